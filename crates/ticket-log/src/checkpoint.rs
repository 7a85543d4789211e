//! Signed tree heads in the checkpoint format witnesses and monitors of transparency logs already
//! read (C2SP `tlog-checkpoint`, signed as a C2SP `signed-note` with Ed25519):
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, base64>
//! time <seconds since 1970, UTC>
//!
//! — <key name> <base64(key id ‖ Ed25519 signature)>
//! ```
//!
//! The key id is the first four bytes of `SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)`. A verifier key
//! is written `<name>+<key id, 8 hex digits>+<base64(0x01 ‖ public key)>`, as the note format does.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::merkle::Hash;

/// The algorithm byte of Ed25519 in signed notes.
const ED25519: u8 = 0x01;
/// The prefix of each signature line: an em dash and a space.
const SIGNATURE_LINE: &str = "\u{2014} ";

/// A tree head: which log, how many entries, their root, and when it was signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeHead {
    /// The log's name (its origin line), e.g. `ticketd.example.org/log`.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// When the head was made, in seconds since 1970 (UTC).
    pub time: i64,
}

impl TreeHead {
    /// The text that is signed: the checkpoint's body, each line ending in a newline.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\ntime {}\n",
            self.origin,
            self.size,
            B64.encode(self.root),
            self.time
        )
    }

    fn parse_body(body: &str) -> Result<Self, CheckpointError> {
        let mut lines = body
            .strip_suffix('\n')
            .ok_or(CheckpointError::Malformed("the body does not end a line"))?
            .split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or(CheckpointError::Malformed("no origin line"))?;
        let size = lines
            .next()
            .and_then(|s| s.parse::<u64>().ok().filter(|n| n.to_string() == s))
            .ok_or(CheckpointError::Malformed(
                "the size is not a decimal number",
            ))?;
        let root: Hash = lines
            .next()
            .and_then(|r| B64.decode(r).ok())
            .and_then(|r| r.try_into().ok())
            .ok_or(CheckpointError::Malformed(
                "the root is not a base64 SHA-256 hash",
            ))?;
        let time = lines
            .next()
            .and_then(|t| t.strip_prefix("time "))
            .and_then(|t| t.parse::<i64>().ok())
            .ok_or(CheckpointError::Malformed("no time line"))?;
        if lines.next().is_some() {
            return Err(CheckpointError::Malformed(
                "unexpected lines after the time",
            ));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            time,
        })
    }
}

/// Why a signed head was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    #[error("malformed verifier key: {0}")]
    MalformedKey(&'static str),
    #[error("no signature by the key {0}")]
    NotSignedByKey(String),
    #[error("the signature by {0} does not match the checkpoint")]
    BadSignature(String),
    #[error("the checkpoint is of the log {found}, not {expected}")]
    WrongOrigin { expected: String, found: String },
}

fn key_id(name: &str, public: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ED25519]);
    h.update(public.as_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(['+', ' ', '\n', '\t'])
        && !name.chars().any(char::is_control)
}

/// The log's signing key, with the name its signatures carry.
#[derive(Debug)]
pub struct LogSigner {
    name: String,
    key: SigningKey,
}

impl LogSigner {
    /// The key from its 32-byte seed; `None` if the name cannot be a key name (empty, `+`,
    /// spaces).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Option<Self> {
        valid_name(name).then(|| Self {
            name: name.to_owned(),
            key: SigningKey::from_bytes(seed),
        })
    }

    pub fn verifier(&self) -> LogVerifier {
        LogVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
        }
    }

    /// The signed note of this head.
    pub fn sign(&self, head: &TreeHead) -> String {
        let body = head.body();
        let signature = self.key.sign(body.as_bytes());
        let mut blob = key_id(&self.name, &self.key.verifying_key()).to_vec();
        blob.extend_from_slice(&signature.to_bytes());
        format!(
            "{body}\n{SIGNATURE_LINE}{} {}\n",
            self.name,
            B64.encode(blob)
        )
    }
}

/// A log's public key: what partners, auditors and the verifier are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogVerifier {
    name: String,
    key: VerifyingKey,
}

impl LogVerifier {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads `<name>+<8 hex digits>+<base64(0x01 ‖ key)>`; the key id must match.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let mut parts = text.trim().split('+');
        let (Some(name), Some(id), Some(data), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CheckpointError::MalformedKey("not name+id+key"));
        };
        if !valid_name(name) {
            return Err(CheckpointError::MalformedKey("not a key name"));
        }
        let data = B64
            .decode(data)
            .map_err(|_| CheckpointError::MalformedKey("the key is not base64"))?;
        let (&alg, key) = data
            .split_first()
            .ok_or(CheckpointError::MalformedKey("empty key"))?;
        if alg != ED25519 {
            return Err(CheckpointError::MalformedKey("not an Ed25519 key"));
        }
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| CheckpointError::MalformedKey("an Ed25519 key has 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&key)
            .map_err(|_| CheckpointError::MalformedKey("not a point of Ed25519"))?;
        if hex_id(&key_id(name, &key)) != id {
            return Err(CheckpointError::MalformedKey(
                "the key id does not match the key",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            key,
        })
    }

    /// Verifies the note's signature by this key and reads the head. Signatures by other keys
    /// (witnesses' cosignatures) are allowed beside it and ignored.
    pub fn open(&self, note: &str) -> Result<TreeHead, CheckpointError> {
        let (body, signatures) = note.split_once("\n\n").ok_or(CheckpointError::Malformed(
            "no blank line before the signatures",
        ))?;
        let body = format!("{body}\n");
        let id = key_id(&self.name, &self.key);
        let mut found = false;
        for line in signatures.lines() {
            let line = line
                .strip_prefix(SIGNATURE_LINE)
                .ok_or(CheckpointError::Malformed(
                    "a signature line starts with an em dash",
                ))?;
            let (name, blob) = line.split_once(' ').ok_or(CheckpointError::Malformed(
                "a signature line is name and signature",
            ))?;
            let blob = B64
                .decode(blob)
                .map_err(|_| CheckpointError::Malformed("a signature is not base64"))?;
            if name != self.name || blob.get(..4) != Some(&id[..]) {
                continue;
            }
            let signature = blob
                .get(4..)
                .and_then(|s| Signature::from_slice(s).ok())
                .ok_or_else(|| CheckpointError::BadSignature(self.name.clone()))?;
            self.key
                .verify(body.as_bytes(), &signature)
                .map_err(|_| CheckpointError::BadSignature(self.name.clone()))?;
            found = true;
        }
        if !found {
            return Err(CheckpointError::NotSignedByKey(self.name.clone()));
        }
        TreeHead::parse_body(&body)
    }
}

fn hex_id(id: &[u8; 4]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

impl std::fmt::Display for LogVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut data = vec![ED25519];
        data.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex_id(&key_id(&self.name, &self.key)),
            B64.encode(data)
        )
    }
}
