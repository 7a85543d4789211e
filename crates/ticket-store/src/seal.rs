//! Sealed texts: how free texts enter the evidence chain without becoming part of it.
//!
//! A free text of an event that may hold personal data (every free text of a user's case; what a
//! member of the public wrote on any case) is replaced, in the hashed canonical JSON, by a
//! commitment `{"sealed_sha256": hex(SHA-256(salt ‖ text))}` with a fresh random 256-bit salt. The
//! text and its salt are kept beside the chain (table `sealed_texts`). An evidence export holds
//! them, so anyone can check each commitment offline; the anonymiser deletes them, and the chain —
//! which never held the text — still verifies. Without the salt, the commitment cannot be tested
//! against guesses of the text.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use ticket_domain::values::ANONYMISED;

/// The member naming a commitment in a sealed event.
pub const SEALED: &str = "sealed_sha256";

/// A text taken out of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SealedText {
    /// Where it sat (JSON pointer into the event).
    pub(crate) pointer: String,
    pub(crate) salt: String,
    pub(crate) value: String,
}

/// The free texts of each event type, as JSON pointers into the event.
fn free_texts(event_type: &str) -> &'static [&'static str] {
    match event_type {
        "acknowledged" | "credentials_revoked" | "revocation_waived" | "closed" | "cancelled" => {
            &["/data/note"]
        }
        "priority_changed" | "resolution_rejected" | "reopened" => &["/data/reason"],
        "commented" | "reporter_answered" => &["/data/body"],
        "escalated" => &["/data/cause/reason"],
        "waiting_for_reporter" => &["/data/question"],
        "resolved" => &["/data/summary"],
        "qualified" => &["/data/qualification/explanation"],
        _ => &[],
    }
}

/// The commitment to `value` under `salt` (hex).
pub fn commitment(salt: &str, value: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(value.as_bytes());
    hex::encode(hasher.finalize())
}

/// Replaces the free texts of `event` (its serialised JSON) by commitments, when `seal_all` (a
/// user's case) or when the public wrote it; returns what was taken out.
pub(crate) fn seal(event: &mut Value, seal_all: bool) -> Vec<SealedText> {
    let by_public = event.pointer("/actor/type").and_then(Value::as_str) == Some("public_reporter");
    if !seal_all && !by_public {
        return Vec::new();
    }
    let event_type = event
        .pointer("/data/type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut sealed = Vec::new();
    for pointer in free_texts(&event_type) {
        if let Some(slot) = event.pointer_mut(pointer)
            && let Some(text) = slot.as_str().map(str::to_owned)
        {
            let mut bytes = [0_u8; 32];
            rand::fill(&mut bytes);
            let salt = hex::encode(bytes);
            *slot = json!({ SEALED: commitment(&salt, &text) });
            sealed.push(SealedText {
                pointer: (*pointer).to_owned(),
                salt,
                value: text,
            });
        }
    }
    sealed
}

/// Puts the sealed texts back into `event`; a text the anonymiser erased reads `[anonymised]`.
pub(crate) fn unseal(event: &mut Value, lookup: impl Fn(&str) -> Option<String>) {
    let event_type = event
        .pointer("/data/type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    for pointer in free_texts(&event_type) {
        if let Some(slot) = event.pointer_mut(pointer)
            && slot.get(SEALED).is_some()
        {
            *slot = Value::String(lookup(pointer).unwrap_or_else(|| ANONYMISED.to_owned()));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_text_leaves_only_its_commitment_and_comes_back() {
        let original = json!({"actor": {"type": "public_reporter"},
            "data": {"type": "commented", "body": "Jeanne Dupont, 06 12 34 56 78"}});
        let mut event = original.clone();
        let sealed = seal(&mut event, false);
        assert_eq!(sealed.len(), 1);
        assert!(!event.to_string().contains("Dupont"));
        let marker = event
            .pointer("/data/body/sealed_sha256")
            .unwrap()
            .as_str()
            .unwrap();
        assert_eq!(marker, commitment(&sealed[0].salt, &sealed[0].value));
        let mut back = event.clone();
        unseal(&mut back, |_| Some(sealed[0].value.clone()));
        assert_eq!(back, original);
        unseal(&mut event, |_| None);
        assert_eq!(event.pointer("/data/body").unwrap(), ANONYMISED);
    }

    #[test]
    fn staff_texts_outside_a_users_case_and_enum_reasons_stay_in_the_chain() {
        let mut event = json!({"actor": {"type": "staff"},
            "data": {"type": "commented", "body": "restarted the proxy"}});
        assert!(seal(&mut event, false).is_empty());
        let mut closed = json!({"actor": {"type": "staff"},
            "data": {"type": "closed", "reason": "mutual_agreement", "note": "agreed by phone"}});
        let sealed = seal(&mut closed, true);
        assert_eq!(sealed.len(), 1);
        assert_eq!(closed.pointer("/data/reason").unwrap(), "mutual_agreement");
    }
}
