//! This process among the replicas of one PostgreSQL database: it records where it keeps
//! attachments' bytes, refuses to start when a live replica keeps them elsewhere (a folder on each
//! machine splits the files between them), and refreshes its record while it runs.

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use ticket_store::Store;
use ticket_store::replica_registry::ReplicaSelf;

use crate::attachments::{AttachmentsConfig, Storage};

/// How often a replica refreshes its record.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// A record not refreshed for this long is a replica gone (killed, or cut off).
pub fn stale_after() -> chrono::TimeDelta {
    chrono::TimeDelta::seconds(30)
}

/// This process's record, kept fresh by [`Replica::run`].
#[derive(Debug, Clone)]
pub struct Replica {
    store: Store,
    me: ReplicaSelf,
}

/// The machine's name: a pod's name on Kubernetes, a container's id under compose.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Where the bytes are, as replicas compare it: a folder is named with its machine (the same path
/// on two machines is two folders), a bucket with its service.
pub fn attachment_store(config: &AttachmentsConfig, host: &str) -> String {
    match config.storage {
        Storage::Folder => {
            let dir = std::fs::canonicalize(&config.dir).unwrap_or_else(|_| config.dir.clone());
            format!("folder {host}:{}", dir.display())
        }
        Storage::S3 => format!(
            "s3 {}/{}",
            config
                .s3
                .endpoint
                .as_deref()
                .unwrap_or("https://s3.amazonaws.com")
                .trim_end_matches('/'),
            config.s3.bucket
        ),
    }
}

/// Records this process among the replicas of the database, or refuses when a live replica
/// keeps attachments in another place. `None` on SQLite (one process).
pub async fn join(store: &Store, config: &AttachmentsConfig) -> anyhow::Result<Option<Replica>> {
    if store.backend() != sea_orm::DbBackend::Postgres {
        return Ok(None);
    }
    let host = host_name();
    let me = ReplicaSelf {
        id: uuid::Uuid::now_v7(),
        attachments: attachment_store(config, &host),
        host,
    };
    let joined = store
        .join_replicas(&me, stale_after())
        .await
        .context("cannot record this replica in the database (`replicas`)")?;
    if let Err(others) = joined {
        let listed: Vec<String> = others.iter().map(ToString::to_string).collect();
        anyhow::bail!(
            "another ticketd replica serves from this database and keeps its attachments \
             elsewhere: {}; this one would keep them in {} and files uploaded through one replica \
             would be missing on the other. Replicas sharing a database need one shared attachment \
             store: set attachments.storage = \"s3\" (TICKETD_ATTACHMENTS__STORAGE=s3) with the \
             same bucket on every replica (`attachments`)",
            listed.join("; "),
            me.attachments
        );
    }
    Ok(Some(Replica {
        store: store.clone(),
        me,
    }))
}

impl Replica {
    /// Refreshes the record every [`HEARTBEAT`] until `stopped`, then removes it.
    pub async fn run(self, stopped: impl Future<Output = ()>) {
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                () = &mut stopped => break,
                () = tokio::time::sleep(HEARTBEAT) => {}
            }
            match self.store.replica_heartbeat(&self.me, stale_after()).await {
                Ok(others) => {
                    for other in others {
                        tracing::error!(
                            replica = %other,
                            own = %self.me.attachments,
                            "another replica on this database keeps attachments elsewhere: \
                             files uploaded through one are missing on the other; give every \
                             replica the same S3 bucket (`attachments`)"
                        );
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot refresh this replica's record"),
            }
        }
        if let Err(error) = self.store.leave_replicas(self.me.id).await {
            tracing::warn!(%error, "cannot remove this replica's record");
        }
    }
}
