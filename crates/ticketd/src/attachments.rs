//! Attachments' configuration (`attachments.*`): where the bytes go (a folder, or S3-compatible
//! object storage) and the upload limits; and the sweep of blobs no attachment names.

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use ticket_store::attachments::{AttachmentLimits, Attachments};
use ticket_store::blobs::{BlobLocation, BlobStore, S3Location};

const MASK: &str = "********";

/// Where attachments' bytes are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Storage {
    /// A folder on this machine (`attachments.dir`).
    #[default]
    Folder,
    /// An S3-compatible bucket (`attachments.s3.*`).
    S3,
}

/// An S3-compatible bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    /// The service's address (`https://s3.fr-par.scw.cloud`, `http://127.0.0.1:9000`); AWS's
    /// when absent.
    pub endpoint: Option<String>,
    pub access_key_id: String,
    /// `Debug` redacts it; `check-config` masks it ([`AttachmentsConfig::redacted`]).
    #[serde(serialize_with = "crate::config::serialize_secret")]
    pub secret_access_key: SecretString,
    /// Address buckets as `bucket.host` (virtual-hosted style) instead of `host/bucket` (path
    /// style, the default, which S3-compatible servers all accept).
    pub virtual_hosted_style: bool,
}

impl Default for S3Config {
    fn default() -> Self {
        Self {
            bucket: String::new(),
            region: "us-east-1".to_owned(),
            endpoint: None,
            access_key_id: String::new(),
            secret_access_key: SecretString::default(),
            virtual_hosted_style: false,
        }
    }
}

/// `attachments.*`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttachmentsConfig {
    /// `folder` (default) or `s3`.
    pub storage: Storage,
    /// The folder of `storage = "folder"` (created when missing).
    pub dir: PathBuf,
    /// The largest file accepted, in bytes (413 beyond).
    pub max_file_bytes: u64,
    /// The most files in one upload (422 beyond).
    pub max_files_per_upload: u32,
    /// The most files on one ticket (422 beyond).
    pub max_files_per_ticket: u32,
    /// Bytes no attachment names (an upload that failed, a crash between storing and recording)
    /// are removed once they are this old, in seconds.
    pub orphan_grace_seconds: u64,
    pub s3: S3Config,
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        let limits = AttachmentLimits::default();
        Self {
            storage: Storage::Folder,
            dir: PathBuf::from("./data/attachments"),
            max_file_bytes: limits.max_file_bytes,
            max_files_per_upload: limits.max_files_per_upload,
            max_files_per_ticket: limits.max_files_per_ticket,
            orphan_grace_seconds: 3600,
            s3: S3Config::default(),
        }
    }
}

impl AttachmentsConfig {
    /// Values that parse but cannot work: `(key, reason)`.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(1..=1024 * 1024 * 1024).contains(&self.max_file_bytes) {
            return Err((
                "attachments.max_file_bytes",
                "must be 1 to 1073741824".to_owned(),
            ));
        }
        if !(1..=100).contains(&self.max_files_per_upload) {
            return Err((
                "attachments.max_files_per_upload",
                "must be 1 to 100".to_owned(),
            ));
        }
        if self.max_files_per_ticket < self.max_files_per_upload {
            return Err((
                "attachments.max_files_per_ticket",
                "must be at least attachments.max_files_per_upload".to_owned(),
            ));
        }
        if self.storage == Storage::S3 {
            for (key, value) in [
                ("attachments.s3.bucket", self.s3.bucket.as_str()),
                ("attachments.s3.region", self.s3.region.as_str()),
                (
                    "attachments.s3.access_key_id",
                    self.s3.access_key_id.as_str(),
                ),
                (
                    "attachments.s3.secret_access_key",
                    self.s3.secret_access_key.expose_secret(),
                ),
            ] {
                if value.trim().is_empty() {
                    return Err((
                        key,
                        "is required with attachments.storage = \"s3\"".to_owned(),
                    ));
                }
            }
            if let Some(endpoint) = &self.s3.endpoint
                && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
            {
                return Err((
                    "attachments.s3.endpoint",
                    "must be an absolute http:// or https:// address".to_owned(),
                ));
            }
        }
        Ok(())
    }

    /// The same, secret masked.
    pub fn redacted(&self) -> Self {
        let mut copy = self.clone();
        if !copy.s3.secret_access_key.expose_secret().is_empty() {
            copy.s3.secret_access_key = SecretString::from(MASK);
        }
        copy
    }

    pub fn limits(&self) -> AttachmentLimits {
        AttachmentLimits {
            max_file_bytes: self.max_file_bytes,
            max_files_per_upload: self.max_files_per_upload,
            max_files_per_ticket: self.max_files_per_ticket,
        }
    }

    pub fn location(&self) -> BlobLocation {
        match self.storage {
            Storage::Folder => BlobLocation::Folder(self.dir.clone()),
            Storage::S3 => BlobLocation::S3(S3Location {
                bucket: self.s3.bucket.clone(),
                region: self.s3.region.clone(),
                endpoint: self.s3.endpoint.clone(),
                access_key_id: self.s3.access_key_id.clone(),
                secret_access_key: self.s3.secret_access_key.expose_secret().to_owned(),
                virtual_hosted_style: self.s3.virtual_hosted_style,
            }),
        }
    }

    /// The blob store and limits the API uses.
    pub fn open(&self) -> anyhow::Result<Attachments> {
        let key = match self.storage {
            Storage::Folder => "attachments.dir",
            Storage::S3 => "attachments.s3",
        };
        let blobs = BlobStore::open(&self.location())
            .map_err(|e| anyhow::anyhow!("cannot open the attachments' storage (`{key}`): {e}"))?;
        Ok(Attachments {
            blobs,
            limits: self.limits(),
        })
    }
}

/// `ticketd evidence verify FILE`: prints what holds, or the first broken event, sealed text or
/// file, and fails in that case; a reader's partial copy (parts withheld by need-to-know) also
/// fails, saying so: it is not the complete evidence file.
pub fn verify_archive_file(path: &std::path::Path) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let result = ticket_store::archive::verify_archive(&bytes)?;
    if let Some(broken) = &result.broken {
        return Err(anyhow::anyhow!("evidence archive NOT valid: {broken}"));
    }
    let erased = if result.absent_files + result.erased_sealed_texts > 0 {
        format!(
            " ({} files and {} sealed texts erased, as events of the chain record)",
            result.absent_files, result.erased_sealed_texts
        )
    } else {
        String::new()
    };
    let summary = format!(
        "{} events chained, {} readable copies match, {} sealed texts match their commitments, {} files match their hashes{erased}",
        result.events, result.events, result.sealed_texts, result.files
    );
    if !result.is_complete() {
        return Err(anyhow::anyhow!(
            "evidence archive INCOMPLETE: {summary}; but {} files and {} sealed texts were withheld from this reader's copy (need-to-know) and are not verified: this is not the complete evidence file",
            result.withheld_files,
            result.withheld_sealed_texts
        ));
    }
    println!("evidence archive verified: {summary}");
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn s3_needs_its_bucket_and_credentials_and_its_secret_is_masked() {
        let mut config = AttachmentsConfig {
            storage: Storage::S3,
            ..AttachmentsConfig::default()
        };
        assert_eq!(config.validate().unwrap_err().0, "attachments.s3.bucket");
        config.s3.bucket = "preuves".into();
        config.s3.access_key_id = "AKIA".into();
        assert_eq!(
            config.validate().unwrap_err().0,
            "attachments.s3.secret_access_key"
        );
        config.s3.secret_access_key = SecretString::from("s3cret");
        config.s3.endpoint = Some("s3.example.fr".into());
        assert_eq!(config.validate().unwrap_err().0, "attachments.s3.endpoint");
        config.s3.endpoint = Some("https://s3.example.fr".into());
        assert!(config.validate().is_ok());
        assert_eq!(config.redacted().s3.secret_access_key.expose_secret(), MASK);
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn limits_are_checked() {
        let config = AttachmentsConfig {
            max_files_per_upload: 10,
            max_files_per_ticket: 5,
            ..AttachmentsConfig::default()
        };
        assert_eq!(
            config.validate().unwrap_err().0,
            "attachments.max_files_per_ticket"
        );
        let config = AttachmentsConfig {
            max_file_bytes: 0,
            ..AttachmentsConfig::default()
        };
        assert_eq!(
            config.validate().unwrap_err().0,
            "attachments.max_file_bytes"
        );
    }
}
