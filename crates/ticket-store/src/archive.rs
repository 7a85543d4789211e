//! The evidence archive: one ZIP holding a ticket's evidence file, the files its events attached
//! (while they are held), a manifest of hashes and how to verify it all with standard tools; and
//! the verifier (`ticketd evidence verify FILE`), which names the first broken event or file.
//!
//! ```text
//! evidence.json      the chain: every event, its canonical JSON, prev_hash and hash
//! files/<sha256>     each attached file, named by the SHA-256 its event recorded
//! manifest.sha256    `sha256sum -c` input for evidence.json and every file
//! README.txt         the procedure
//! ```

use crate::blobs::{BlobStore, sha256_hex};
use crate::chain::{self, EvidenceFile, Link, Withheld};
use crate::{Store, StoreError};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use ticket_domain::privacy::EvidenceShare;
use ticket_domain::values::TicketId;

/// The procedure written into every archive.
pub const README: &str = "\
Evidence archive of a ticket (dossier de preuve)

evidence.json    every event of the ticket, in order: `canonical` is the RFC 8785 JSON that was
                 hashed, `hash` = SHA-256(prev_hash || canonical) in hex, the first prev_hash is
                 64 zeros, and `head` is the hash of the last event as recorded on the ticket.
files/<sha256>   each attached file, named by the SHA-256 recorded in its `files_attached` event
                 (a file erased under the retention policy is absent; its hash stays in the chain).
manifest.sha256  the SHA-256 of evidence.json and of every file.

Verify with standard tools:
  unzip ARCHIVE.zip -d evidence && cd evidence
  sha256sum -c manifest.sha256          # every line must say OK
  for f in files/*; do [ \"$(sha256sum < \"$f\" | cut -d' ' -f1)\" = \"${f#files/}\" ] || echo \"altered: $f\"; done
  # each files/<sha256> must appear in a files_attached event of evidence.json:
  grep -o '\"sha256\":\"[0-9a-f]*\"' evidence.json
  # the chain: recompute each hash (e.g. with jq and sha256sum):
  jq -j '.events[0].prev_hash, .events[0].canonical' evidence.json | sha256sum   # = .events[0].hash
Or run `ticketd evidence verify ARCHIVE.zip`, which does all of this and names the first broken
event or file.
";

/// The result of verifying an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveVerification {
    /// Events whose chain link holds, before the first broken one.
    pub events: i64,
    /// Files whose bytes match the hash their event recorded.
    pub files: usize,
    /// Files named by events but absent (erased under retention).
    pub absent_files: usize,
    /// The first thing that does not hold, in words naming the event or the file.
    pub broken: Option<String>,
}

impl ArchiveVerification {
    pub fn is_valid(&self) -> bool {
        self.broken.is_none()
    }
}

/// Why an archive could not even be read.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("not a readable ZIP archive: {0}")]
    Zip(String),
    #[error("the archive has no {0}")]
    Missing(&'static str),
    #[error("evidence.json is not a valid evidence file: {0}")]
    Evidence(String),
}

fn zip_error(error: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(format!("cannot write the evidence archive: {error}"))
}

/// The hashes each `files_attached` event recorded, with the event's place in the chain.
fn attached_hashes(file: &EvidenceFile) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for entry in &file.events {
        let Some(data) = entry.event.get("data") else {
            continue;
        };
        if data.get("type").and_then(Value::as_str) != Some("files_attached") {
            continue;
        }
        for f in data
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(sha) = f.get("sha256").and_then(Value::as_str) {
                out.push((entry.seq, sha.to_owned()));
            }
        }
    }
    out
}

/// An evidence archive, and what it holds of a victim's data (for the access journal).
#[derive(Debug, Clone)]
pub struct EvidenceArchive {
    pub zip: Vec<u8>,
    /// Sealed texts included (the victim's words, with their salts).
    pub sealed_texts: usize,
    /// Files included.
    pub files: usize,
}

impl Store {
    /// The evidence archive of a ticket (see the module's documentation), holding what `share`
    /// lets its reader see: without the sealed texts or the files, `evidence.json` says what was
    /// withheld, so that the copy never passes for a complete one. Files are written as stored,
    /// unchecked: an altered file must show in the archive for the verifier to name it.
    pub async fn evidence_archive(
        &self,
        blobs: &BlobStore,
        id: TicketId,
        share: EvidenceShare,
    ) -> Result<EvidenceArchive, StoreError> {
        let mut file = self.evidence(id).await?;
        let mut withheld = Withheld {
            reason: "need-to-know: the reader's role may not see these".to_owned(),
            ..Withheld::default()
        };
        if !share.sealed_texts {
            withheld.sealed_texts = std::mem::take(&mut file.sealed_texts).len();
        }
        let mut files = BTreeMap::new();
        for (_, sha256) in attached_hashes(&file) {
            if files.contains_key(&sha256) || withheld.files.contains(&sha256) {
                continue;
            }
            if !share.files {
                withheld.files.push(sha256);
                continue;
            }
            if let Some(bytes) = blobs.get(&sha256).await? {
                files.insert(sha256, bytes);
            }
        }
        if withheld.sealed_texts > 0 || !withheld.files.is_empty() {
            file.withheld = Some(withheld);
        }
        let sealed_texts = file.sealed_texts.len();
        let evidence = serde_json::to_vec_pretty(&file)?;
        let mut manifest = format!("{}  evidence.json\n", sha256_hex(&evidence));
        for (sha256, bytes) in &files {
            manifest.push_str(&format!("{}  files/{sha256}\n", sha256_hex(bytes)));
        }
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(false);
        let mut add = |name: &str, bytes: &[u8]| -> Result<(), StoreError> {
            zip.start_file(name, options).map_err(zip_error)?;
            zip.write_all(bytes).map_err(zip_error)
        };
        add("README.txt", README.as_bytes())?;
        add("evidence.json", &evidence)?;
        add("manifest.sha256", manifest.as_bytes())?;
        for (sha256, bytes) in &files {
            add(&format!("files/{sha256}"), bytes)?;
        }
        let cursor = zip.finish().map_err(zip_error)?;
        Ok(EvidenceArchive {
            zip: cursor.into_inner(),
            sealed_texts,
            files: files.len(),
        })
    }
}

/// Verifies an evidence archive offline: the chain of `evidence.json` (every hash recomputed, the
/// head matched), then every file against the hash its event recorded, then the manifest. Names
/// the first broken event or file.
pub fn verify_archive(bytes: &[u8]) -> Result<ArchiveVerification, ArchiveError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ArchiveError::Zip(e.to_string()))?;
    let mut read = |name: &str| -> Result<Option<Vec<u8>>, ArchiveError> {
        match archive.by_name(name) {
            Ok(mut entry) => {
                let mut out = Vec::new();
                entry
                    .read_to_end(&mut out)
                    .map_err(|e| ArchiveError::Zip(e.to_string()))?;
                Ok(Some(out))
            }
            Err(zip::result::ZipError::FileNotFound) => Ok(None),
            Err(e) => Err(ArchiveError::Zip(e.to_string())),
        }
    };
    let evidence_bytes = read("evidence.json")?.ok_or(ArchiveError::Missing("evidence.json"))?;
    let file: EvidenceFile = serde_json::from_slice(&evidence_bytes)
        .map_err(|e| ArchiveError::Evidence(format!("{:?} at line {}", e.classify(), e.line())))?;
    let chain = chain::verify(
        file.events.iter().map(|e| Link {
            seq: e.seq,
            canonical: &e.canonical,
            prev_hash: &e.prev_hash,
            hash: &e.hash,
        }),
        file.events.len() as i64,
        &file.head,
    );
    let mut result = ArchiveVerification {
        events: chain.events,
        files: 0,
        absent_files: 0,
        broken: chain
            .broken
            .map(|b| format!("event {} is broken: {}", b.seq, b.reason)),
    };
    if result.broken.is_some() {
        return Ok(result);
    }
    // The canonical text is what the chain covers: read the hashes from it, not from the
    // convenience copy beside it.
    let covered = EvidenceFile {
        events: file
            .events
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.event = serde_json::from_str(&e.canonical).unwrap_or(Value::Null);
                e
            })
            .collect(),
        ..file.clone()
    };
    for (seq, sha256) in attached_hashes(&covered) {
        match read(&format!("files/{sha256}"))? {
            Some(bytes) if sha256_hex(&bytes) == sha256 => result.files += 1,
            Some(_) => {
                result.broken = Some(format!(
                    "file files/{sha256} (attached by event {seq}) was altered: its bytes do not match the SHA-256 the event recorded"
                ));
                return Ok(result);
            }
            None => result.absent_files += 1,
        }
    }
    let manifest = read("manifest.sha256")?.ok_or(ArchiveError::Missing("manifest.sha256"))?;
    for line in String::from_utf8_lossy(&manifest).lines() {
        let Some((hash, name)) = line.split_once("  ") else {
            continue;
        };
        let matches = read(name)?.is_some_and(|bytes| sha256_hex(&bytes) == hash);
        if !matches {
            result.broken = Some(format!(
                "file {name} does not match its line of manifest.sha256"
            ));
            return Ok(result);
        }
    }
    Ok(result)
}
