//! The offline verifier checks everything an evidence archive claims (issue 26, point 6): each
//! readable copy of an event against the canonical bytes that were hashed, each sealed text against
//! its commitment, each missing file against an erasure recorded in the chain; it names the part
//! that fails. The README's procedure with standard tools works as written. SQLite and PostgreSQL.

use crate::e2e_test;
use crate::helpers::start_instant;

use crate::need_to_know::{REPLY, archive_as, unzip, victims_case};
use serde_json::Value;
use std::io::Write;
use ticket_store::blobs::sha256_hex;

/// A ZIP of `files`, with `manifest.sha256` written again from them (what a forger does).
fn rezip(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut manifest = String::new();
    for (name, bytes) in files {
        if name != "manifest.sha256" && name != "README.txt" {
            manifest.push_str(&format!("{}  {name}\n", sha256_hex(bytes)));
        }
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options).unwrap();
        if name == "manifest.sha256" {
            zip.write_all(manifest.as_bytes()).unwrap();
        } else {
            zip.write_all(bytes).unwrap();
        }
    }
    zip.finish().unwrap().into_inner()
}

/// `archive` with its evidence.json edited by `edit` (and its manifest regenerated).
fn forged(archive: &[u8], edit: impl Fn(&mut Value)) -> Vec<u8> {
    let mut files = unzip(archive);
    for (name, bytes) in &mut files {
        if name == "evidence.json" {
            let mut evidence: Value = serde_json::from_slice(bytes).unwrap();
            edit(&mut evidence);
            *bytes = serde_json::to_vec_pretty(&evidence).unwrap();
        }
    }
    rezip(&files)
}

fn broken(archive: &[u8]) -> String {
    let verified = ticket_store::archive::verify_archive(archive).unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), archive).unwrap();
    let cli = ticketd::attachments::verify_archive_file(file.path());
    assert!(cli.is_err(), "the command line passes it: {verified:?}");
    verified
        .broken
        .unwrap_or_else(|| cli.unwrap_err().to_string())
}

e2e_test!(the_offline_verifier_cannot_be_fooled, |app| async move {
    let id = victims_case(&app).await;
    let intact = archive_as(&app, &app.keys.security, &id).await;
    let verified = ticket_store::archive::verify_archive(&intact).unwrap();
    assert!(verified.is_valid(), "{verified:?}");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &intact).unwrap();
    ticketd::attachments::verify_archive_file(file.path()).unwrap();

    // The readable copy of an event, edited; the manifest regenerated.
    let archive = forged(&intact, |e| {
        e["events"][0]["event"]["data"]["type"] = "forged".into();
    });
    let reason = broken(&archive);
    assert!(
        reason.contains("event 1") && reason.contains("readable copy"),
        "{reason}"
    );

    // The victim's words, edited: their commitment no longer holds.
    let archive = forged(&intact, |e| {
        for text in e["sealed_texts"].as_array_mut().unwrap() {
            if text["value"] == REPLY {
                text["value"] = "Un autre récit".into();
            }
        }
    });
    let reason = broken(&archive);
    assert!(
        reason.contains("sealed text") && reason.contains("commitment"),
        "{reason}"
    );

    // A file and its manifest line deleted, on a ticket never anonymised.
    let sha = sha256_hex(crate::attachments::PNG);
    let files: Vec<(String, Vec<u8>)> = unzip(&intact)
        .into_iter()
        .filter(|(name, _)| *name != format!("files/{sha}"))
        .collect();
    let reason = broken(&rezip(&files));
    assert!(
        reason.contains(&format!("files/{sha}")) && !reason.contains("retention"),
        "{reason}"
    );

    // A reader's partial copy never passes for the complete file.
    let partial = archive_as(&app, &app.keys.agent, &id).await;
    std::fs::write(file.path(), &partial).unwrap();
    let error = ticketd::attachments::verify_archive_file(file.path()).unwrap_err();
    assert!(error.to_string().contains("withheld"), "{error}");

    // The procedure with standard tools, as written in the archive's README.txt and in the
    // repository's README.
    let readme = ticket_store::archive::README;
    let start = readme.find("Verify with standard tools:").unwrap();
    let end = readme.find("Or run").unwrap();
    let in_archive: String = readme[start..end]
        .lines()
        .skip(1)
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join("\n");
    run_procedure(&in_archive, "ARCHIVE.zip", &intact, &sha);
    let repository = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )
    .unwrap();
    let start = repository.find("Or with standard tools").unwrap();
    let block = &repository[start..];
    let block = &block[block.find("```sh\n").unwrap() + 6..];
    let block = &block[..block.find("```").unwrap()];
    run_procedure(block, "USU-2026-000042-evidence.zip", &intact, &sha);

    // Erased for real (anonymisation, then the files): the chain records it, the archive of the
    // erased case verifies complete, the erasures counted.
    let ticket_id = ticket_domain::values::TicketId(id.parse().unwrap());
    app.store
        .anonymise_ticket(
            ticket_id,
            &ticket_domain::Actor::System,
            None,
            "retention",
            start_instant(),
        )
        .await
        .unwrap();
    let attachments = ticketd::attachments::AttachmentsConfig {
        dir: app.attachments_dir.clone(),
        ..Default::default()
    }
    .open()
    .unwrap();
    app.store
        .erase_attachments(&attachments.blobs, ticket_id.0, start_instant())
        .await
        .unwrap();
    let erased = archive_as(&app, &app.keys.security, &id).await;
    let verified = ticket_store::archive::verify_archive(&erased).unwrap();
    assert!(
        verified.is_valid() && verified.is_complete(),
        "{verified:?}"
    );
    assert_eq!(verified.absent_files, 1, "{verified:?}");
    assert!(verified.erased_sealed_texts >= 1, "{verified:?}");
    std::fs::write(file.path(), &erased).unwrap();
    ticketd::attachments::verify_archive_file(file.path()).unwrap();
});

/// Runs a shell `script` naming the archive `placeholder` on `archive`, in a fresh folder: it must
/// succeed, list the file's hash, recompute the first event's hash and a sealed text's commitment,
/// and find nothing altered.
fn run_procedure(script: &str, placeholder: &str, archive: &[u8], sha: &str) {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("dossier.zip");
    std::fs::write(&zip_path, archive).unwrap();
    let script = script.replace(placeholder, zip_path.to_str().unwrap());
    let output = std::process::Command::new("sh")
        .arg("-ec")
        .arg(&script)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{script}\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(sha),
        "the procedure lists no file hash:\n{stdout}"
    );
    assert!(!stdout.contains("altered"), "{stdout}");
    let evidence: Value = serde_json::from_slice(
        &unzip(archive)
            .into_iter()
            .find(|(n, _)| n == "evidence.json")
            .unwrap()
            .1,
    )
    .unwrap();
    let first_hash = evidence["events"][0]["hash"].as_str().unwrap();
    assert_eq!(
        stdout.matches(first_hash).count(),
        2,
        "the recomputed and the recorded hash:\n{stdout}"
    );
    let sealed = &evidence["sealed_texts"][0];
    let commitment = ticket_store::seal::commitment(
        sealed["salt"].as_str().unwrap(),
        sealed["value"].as_str().unwrap(),
    );
    assert!(stdout.contains(&commitment), "{script}\n{stdout}");
}
