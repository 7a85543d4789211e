//! `ticketd files …`: attachments' bytes copied between the configured store (a folder or an
//! S3-compatible bucket) and a backup folder, and checked against the database.
//!
//! The backup folder has the layout of the folder store (`sha256/ab/abcd…`): bytes are named by
//! their hash, so a backup copies only what the folder does not hold yet, never overwrites, and a
//! file is copied only once it matches its name. See deploy/RUNBOOK.md for why backing up the
//! database first and the files after covers every file an acknowledged upload stored.

use std::path::Path;

use anyhow::Context as _;
use ticket_store::blobs::{BlobLocation, BlobStore, sha256_hex};

use crate::cli::FilesCommand;
use crate::config::Config;

/// Copies every blob of `from` missing in `to`, each checked against its hash; returns (copied,
/// already there).
async fn copy_all(from: &BlobStore, to: &BlobStore) -> anyhow::Result<(u64, u64)> {
    let present: std::collections::HashSet<String> = to
        .list()
        .await
        .context("cannot list the destination")?
        .into_iter()
        .map(|blob| blob.sha256)
        .collect();
    let (mut copied, mut kept) = (0, 0);
    for blob in from.list().await.context("cannot list the source")? {
        if present.contains(&blob.sha256) {
            kept += 1;
            continue;
        }
        // Listed, then removed (an erasure) before it was read: nothing to keep.
        let Some(bytes) = from
            .get(&blob.sha256)
            .await
            .with_context(|| format!("cannot read {}", blob.sha256))?
        else {
            continue;
        };
        anyhow::ensure!(
            sha256_hex(&bytes) == blob.sha256,
            "the bytes stored as {} do not match their hash: not copied",
            blob.sha256
        );
        to.put(bytes)
            .await
            .with_context(|| format!("cannot write {}", blob.sha256))?;
        copied += 1;
    }
    Ok((copied, kept))
}

fn folder(path: &Path) -> anyhow::Result<BlobStore> {
    BlobStore::open(&BlobLocation::Folder(path.to_path_buf()))
        .with_context(|| format!("cannot use the folder {}", path.display()))
}

/// Runs a `ticketd files` subcommand.
pub async fn run(config: &Config, command: FilesCommand) -> anyhow::Result<()> {
    match command {
        FilesCommand::Backup { to } => {
            let store = config.attachments.open()?.blobs;
            let (copied, kept) = copy_all(&store, &folder(&to)?).await?;
            println!(
                "ticketd: {copied} file(s) copied to {}, {kept} already there",
                to.display()
            );
        }
        FilesCommand::Restore { from } => {
            anyhow::ensure!(from.is_dir(), "{} is not a folder", from.display());
            let store = config.attachments.open()?.blobs;
            let (copied, kept) = copy_all(&folder(&from)?, &store).await?;
            println!("ticketd: {copied} file(s) restored, {kept} already in the store");
        }
        FilesCommand::Check => {
            let database = crate::startup::open_store(config).await?;
            let store = config.attachments.open()?.blobs;
            let hashes = database.live_attachment_hashes().await?;
            let mut missing = 0_u64;
            for sha256 in &hashes {
                let good = matches!(store.get(sha256).await?, Some(bytes) if sha256_hex(&bytes) == *sha256);
                if !good {
                    missing += 1;
                    println!("missing or altered: {sha256}");
                }
            }
            anyhow::ensure!(
                missing == 0,
                "{missing} of the {} file(s) the database names are missing or altered in the \
                 attachments' store",
                hashes.len()
            );
            println!(
                "ticketd: all {} file(s) the database names are in the attachments' store",
                hashes.len()
            );
        }
    }
    Ok(())
}
