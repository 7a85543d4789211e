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
                 `event` is a readable copy of `canonical`; `sealed_texts` are the free texts the
                 events hold as {\"sealed_sha256\": SHA-256(salt || value)}; `withheld`, when
                 present, lists what this reader's copy leaves out (need-to-know): such a copy is
                 not the complete file.
files/<sha256>   each attached file, named by the SHA-256 recorded in its `files_attached` event
                 (a file is absent only when a `personal_data_erased` event of the chain names it,
                 or when `withheld` does).
manifest.sha256  the SHA-256 of evidence.json and of every file.

Verify with standard tools:
  unzip -q ARCHIVE.zip -d evidence && cd evidence
  sha256sum -c manifest.sha256          # every line must say OK
  for f in files/*; do [ -e \"$f\" ] || continue; [ \"$(sha256sum < \"$f\" | cut -d' ' -f1)\" = \"${f#files/}\" ] || echo \"altered: $f\"; done
  # the files the chain names (from the hashed text, not the readable copy):
  jq -r '.events[].canonical | fromjson | .data | select(.type == \"files_attached\") | .files[].sha256' evidence.json
  # the files whose erasure the chain records:
  jq -r '.events[].canonical | fromjson | .data | select(.type == \"personal_data_erased\") | .files[]?' evidence.json
  # the chain: recompute each hash (here the first; the same for each i, with prev_hash = hash of i-1):
  jq -j '.events[0].prev_hash, .events[0].canonical' evidence.json | sha256sum   # = .events[0].hash
  jq -r '.events[0].hash' evidence.json
  # a sealed text: SHA-256(salt || value) = the sealed_sha256 at its pointer in event seq:
  jq -j '.sealed_texts[0] | .salt, .value' evidence.json | sha256sum
Or run `ticketd evidence verify ARCHIVE.zip`, which does all of this (every event, every readable
copy, every sealed text, every file) and names the first part that does not hold.
";

/// The result of verifying an archive.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArchiveVerification {
    /// Events whose chain link holds, before the first broken one.
    pub events: i64,
    /// Files whose bytes match the hash their event recorded.
    pub files: usize,
    /// Files named by events but absent, whose erasure an event of the chain records.
    pub absent_files: usize,
    /// Sealed texts checked against their commitments.
    pub sealed_texts: usize,
    /// Sealed texts absent, whose erasure an event of the chain records.
    pub erased_sealed_texts: usize,
    /// Files left out of this reader's copy (need-to-know): not verified.
    pub withheld_files: usize,
    /// Sealed texts left out of this reader's copy (need-to-know): not verified.
    pub withheld_sealed_texts: usize,
    /// The first thing that does not hold, in words naming the event, sealed text or file.
    pub broken: Option<String>,
}

impl ArchiveVerification {
    /// Nothing it holds is broken.
    pub fn is_valid(&self) -> bool {
        self.broken.is_none()
    }

    /// It is the whole evidence file: nothing was withheld from its reader.
    pub fn is_complete(&self) -> bool {
        self.withheld_files == 0 && self.withheld_sealed_texts == 0
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

/// Every sealed commitment of an event (`{"sealed_sha256": …}`), with its JSON pointer.
fn commitments(value: &Value, pointer: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(sealed) = map.get(crate::seal::SEALED).and_then(Value::as_str) {
                out.push((pointer, sealed.to_owned()));
                return;
            }
            for (key, item) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                commitments(item, format!("{pointer}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                commitments(item, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// What the chain records as erased: the files named, and from which event on every sealed text
/// before it is gone.
#[derive(Default)]
struct Erasures {
    files: BTreeMap<String, i64>,
    sealed_texts_before: Option<i64>,
}

fn erasures(events: &[(i64, Value)]) -> Erasures {
    let mut out = Erasures::default();
    for (seq, event) in events {
        let Some(data) = event.get("data") else {
            continue;
        };
        if data.get("type").and_then(Value::as_str) != Some("personal_data_erased") {
            continue;
        }
        if data.get("sealed_texts").and_then(Value::as_bool) == Some(true) {
            out.sealed_texts_before = Some(out.sealed_texts_before.map_or(*seq, |s| s.max(*seq)));
        }
        for sha in data
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            out.files.entry(sha.to_owned()).or_insert(*seq);
        }
    }
    out
}

/// Verifies an evidence archive offline, everything it claims: the chain of `evidence.json` (every
/// hash recomputed, the head matched), each readable copy of an event against the canonical text
/// that was hashed, each sealed text against its commitment, each file against the hash its event
/// recorded, each absent sealed text or file against an erasure the chain records (or the copy's
/// `withheld` list, which makes it a partial copy), then the manifest. Names the first part that
/// does not hold.
pub fn verify_archive(bytes: &[u8]) -> Result<ArchiveVerification, ArchiveError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ArchiveError::Zip(e.to_string()))?;
    let names: Vec<String> = archive
        .file_names()
        .filter_map(|name| name.ok().map(|n| n.into_owned()))
        .collect();
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
        broken: chain
            .broken
            .map(|b| format!("event {} is broken: {}", b.seq, b.reason)),
        ..ArchiveVerification::default()
    };
    if result.broken.is_some() {
        return Ok(result);
    }
    let fail = |mut result: ArchiveVerification, why: String| {
        result.broken = Some(why);
        Ok(result)
    };
    // The canonical text is what the chain covers: everything is read from it, and the readable
    // copy beside it must say the same.
    let mut covered: Vec<(i64, Value)> = Vec::with_capacity(file.events.len());
    for entry in &file.events {
        let hashed: Value = serde_json::from_str(&entry.canonical).unwrap_or(Value::Null);
        if hashed != entry.event {
            return fail(
                result,
                format!(
                    "event {}: its readable copy (`event`) differs from the canonical JSON that was hashed",
                    entry.seq
                ),
            );
        }
        covered.push((entry.seq, hashed));
    }
    let erased = erasures(&covered);
    let withheld = file.withheld.clone().unwrap_or_default();

    // Sealed texts: each one held matches its commitment; each commitment without its text was
    // erased (an event of the chain says so) or withheld from this copy.
    let mut held: BTreeMap<(i64, String), &chain::SealedEntry> = BTreeMap::new();
    for text in &file.sealed_texts {
        held.insert((text.seq, text.pointer.clone()), text);
    }
    let mut missing_texts = 0_usize;
    for (seq, event) in &covered {
        let mut found = Vec::new();
        commitments(event, String::new(), &mut found);
        for (pointer, sealed) in found {
            match held.remove(&(*seq, pointer.clone())) {
                Some(text) => {
                    if crate::seal::commitment(&text.salt, &text.value) != sealed {
                        return fail(
                            result,
                            format!(
                                "the sealed text of event {seq} at {pointer} was altered: it does not match its commitment (sealed_sha256)"
                            ),
                        );
                    }
                    result.sealed_texts += 1;
                }
                None if erased.sealed_texts_before.is_some_and(|e| e > *seq) => {
                    result.erased_sealed_texts += 1;
                }
                None => missing_texts += 1,
            }
        }
    }
    if let Some(((seq, pointer), _)) = held.into_iter().next() {
        return fail(
            result,
            format!(
                "the sealed text of event {seq} at {pointer} matches no commitment of the chain"
            ),
        );
    }
    if missing_texts > withheld.sealed_texts {
        return fail(
            result,
            format!(
                "{} sealed text(s) are missing, and no erasure recorded in the chain (personal_data_erased) accounts for them",
                missing_texts - withheld.sealed_texts
            ),
        );
    }
    result.withheld_sealed_texts = missing_texts;

    // Files: each held matches its hash; each absent was erased (named by an event) or withheld.
    let covered_file = EvidenceFile {
        events: file
            .events
            .iter()
            .zip(&covered)
            .map(|(e, (_, hashed))| {
                let mut e = e.clone();
                e.event = hashed.clone();
                e
            })
            .collect(),
        ..file.clone()
    };
    let named = attached_hashes(&covered_file);
    for (seq, sha256) in &named {
        match read(&format!("files/{sha256}"))? {
            Some(bytes) if sha256_hex(&bytes) == *sha256 => result.files += 1,
            Some(_) => {
                return fail(
                    result,
                    format!(
                        "file files/{sha256} (attached by event {seq}) was altered: its bytes do not match the SHA-256 the event recorded"
                    ),
                );
            }
            None => match erased.files.get(sha256) {
                Some(by) if by > seq => result.absent_files += 1,
                _ if withheld.files.contains(sha256) => result.withheld_files += 1,
                _ => {
                    return fail(
                        result,
                        format!(
                            "file files/{sha256} (attached by event {seq}) is missing, and no erasure recorded in the chain (personal_data_erased) names it"
                        ),
                    );
                }
            },
        }
    }
    if let Some(stray) = names.iter().find(|n| {
        n.strip_prefix("files/")
            .is_some_and(|sha| !named.iter().any(|(_, s)| s == sha))
    }) {
        return fail(
            result,
            format!("file {stray} is named by no event of the chain"),
        );
    }

    let manifest = read("manifest.sha256")?.ok_or(ArchiveError::Missing("manifest.sha256"))?;
    for line in String::from_utf8_lossy(&manifest).lines() {
        let Some((hash, name)) = line.split_once("  ") else {
            continue;
        };
        let matches = read(name)?.is_some_and(|bytes| sha256_hex(&bytes) == hash);
        if !matches {
            return fail(
                result,
                format!("file {name} does not match its line of manifest.sha256"),
            );
        }
    }
    Ok(result)
}
