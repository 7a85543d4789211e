//! The blob store: attachment bytes, named by their SHA-256, in a folder (the embedded default) or
//! in S3-compatible object storage (production). Identical files are stored once.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt as _;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Where the bytes go.
#[derive(Clone, PartialEq, Eq)]
pub enum BlobLocation {
    /// A local folder (created if missing).
    Folder(std::path::PathBuf),
    /// An S3-compatible bucket.
    S3(S3Location),
}

/// An S3-compatible bucket and how to reach it.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub region: String,
    /// e.g. `https://s3.fr-par.scw.cloud` or `http://127.0.0.1:9000`; AWS's when absent.
    pub endpoint: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `https://bucket.host/key` instead of `https://host/bucket/key`.
    pub virtual_hosted_style: bool,
}

impl std::fmt::Debug for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Location")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("virtual_hosted_style", &self.virtual_hosted_style)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for BlobLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlobLocation::Folder(path) => f.debug_tuple("Folder").field(path).finish(),
            BlobLocation::S3(s3) => f.debug_tuple("S3").field(s3).finish(),
        }
    }
}

/// A failure of the blob store (unreachable, refused, or a blob missing).
#[derive(Debug, thiserror::Error)]
#[error("blob store: {0}")]
pub struct BlobError(String);

impl BlobError {
    fn from_store(error: object_store::Error) -> Self {
        // object_store's messages name the path, which is only a hash here: no personal data.
        BlobError(error.to_string())
    }
}

/// One stored blob, as a sweep lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    pub sha256: String,
    pub stored_at: DateTime<Utc>,
}

/// Content-addressed bytes.
#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    description: String,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStore")
            .field("location", &self.description)
            .finish()
    }
}

/// The hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

const PREFIX: &str = "sha256";

fn key(sha256: &str) -> Path {
    Path::from(format!("{PREFIX}/{}/{sha256}", &sha256[..2]))
}

impl BlobStore {
    pub fn open(location: &BlobLocation) -> Result<Self, BlobError> {
        match location {
            BlobLocation::Folder(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    BlobError(format!("cannot create the folder {}: {e}", dir.display()))
                })?;
                let store = LocalFileSystem::new_with_prefix(dir)
                    .map_err(BlobError::from_store)?
                    .with_automatic_cleanup(true);
                Ok(Self {
                    inner: Arc::new(store),
                    description: format!("folder {}", dir.display()),
                })
            }
            BlobLocation::S3(s3) => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_access_key_id(&s3.access_key_id)
                    .with_secret_access_key(&s3.secret_access_key)
                    .with_virtual_hosted_style_request(s3.virtual_hosted_style);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                let store = builder.build().map_err(BlobError::from_store)?;
                Ok(Self {
                    inner: Arc::new(store),
                    description: format!("s3 bucket {}", s3.bucket),
                })
            }
        }
    }

    /// Stores `bytes` under their SHA-256 and returns it. Storing the same bytes twice is harmless.
    pub async fn put(&self, bytes: Bytes) -> Result<String, BlobError> {
        let sha256 = sha256_hex(&bytes);
        let path = key(&sha256);
        match self.inner.head(&path).await {
            Ok(_) => return Ok(sha256),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(error) => return Err(BlobError::from_store(error)),
        }
        self.inner
            .put(&path, bytes.into())
            .await
            .map_err(BlobError::from_store)?;
        Ok(sha256)
    }

    /// The bytes stored under `sha256` (as stored: the caller checks them against the hash).
    pub async fn get(&self, sha256: &str) -> Result<Option<Bytes>, BlobError> {
        if !is_sha256(sha256) {
            return Ok(None);
        }
        match self.inner.get(&key(sha256)).await {
            Ok(result) => Ok(Some(result.bytes().await.map_err(BlobError::from_store)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(BlobError::from_store(error)),
        }
    }

    /// Removes the blob; removing a missing one is not an error.
    pub async fn delete(&self, sha256: &str) -> Result<(), BlobError> {
        if !is_sha256(sha256) {
            return Ok(());
        }
        match self.inner.delete(&key(sha256)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(BlobError::from_store(error)),
        }
    }

    /// Every blob stored, for the orphan sweep.
    pub async fn list(&self) -> Result<Vec<BlobInfo>, BlobError> {
        let prefix = Path::from(PREFIX);
        let metas: Vec<_> = self
            .inner
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(BlobError::from_store)?;
        Ok(metas
            .into_iter()
            .filter_map(|meta| {
                let name = meta.location.filename()?.to_owned();
                is_sha256(&name).then_some(BlobInfo {
                    sha256: name,
                    stored_at: meta.last_modified,
                })
            })
            .collect())
    }
}
