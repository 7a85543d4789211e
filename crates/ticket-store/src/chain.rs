//! The evidence chain ("dossier de preuve"): every event carries the hash of the one before.
//!
//! `hash = SHA-256(prev_hash ‖ canonical_json(event))`, hex-encoded, where `prev_hash` is the
//! previous event's hash as 64 lowercase hex characters (64 zeros for the first event) and
//! `canonical_json` is the RFC 8785 (JCS) serialisation of the event. Anyone can recompute the chain
//! from an exported file without this service.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of a ticket's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// RFC 8785 canonical JSON (JCS), written by a kept implementation (`serde_json_canonicalizer`):
/// object members sorted by their names' UTF-16 code units, no insignificant white space, strings
/// escaped and numbers written as ECMAScript's `JSON.stringify` does. The tests below check it
/// against the RFC's own examples.
pub fn canonical_json(value: &Value) -> String {
    // The canonicaliser fails only on what a `serde_json::Value` cannot hold (a non-finite number,
    // a map key that is not a string); serde_json's compact form is the unreachable fallback.
    serde_json_canonicalizer::to_string(value).unwrap_or_else(|_| value.to_string())
}

/// The chained hash of an event.
pub fn chain_hash(prev_hash: &str, canonical: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

/// One event of an exported evidence file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceEntry {
    pub seq: i64,
    /// The event, as hashed.
    pub event: Value,
    /// The exact canonical text that was hashed.
    pub canonical: String,
    pub prev_hash: String,
    pub hash: String,
}

/// A ticket's whole evidence file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFile {
    pub ticket_id: uuid::Uuid,
    pub reference: String,
    pub algorithm: String,
    pub events: Vec<EvidenceEntry>,
    /// Hash of the last event, as recorded on the ticket.
    pub head: String,
    /// The sealed free texts still held, each with its salt: SHA-256(salt ‖ value) is the
    /// `sealed_sha256` commitment found at `pointer` in event `seq`. Erased by anonymisation.
    #[serde(default)]
    pub sealed_texts: Vec<SealedEntry>,
    /// What this copy leaves out because its reader may not see it (need-to-know); absent from a
    /// complete file. A verifier reports these parts as not verified, never as verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<Withheld>,
}

/// The parts of an evidence file left out of a reader's copy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Withheld {
    /// Why, in words.
    pub reason: String,
    /// How many sealed texts were left out.
    pub sealed_texts: usize,
    /// The SHA-256 of each file left out.
    pub files: Vec<String>,
}

/// A sealed free text of an exported evidence file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedEntry {
    pub seq: i64,
    pub pointer: String,
    pub salt: String,
    pub value: String,
}

/// The first place where a chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenLink {
    /// Sequence number of the first broken event (1-based).
    pub seq: i64,
    pub reason: String,
}

/// Result of verifying a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub valid: bool,
    pub events: i64,
    pub broken: Option<BrokenLink>,
}

/// How the algorithm is described in exported files.
pub const ALGORITHM: &str = "sha256(prev_hash_hex || rfc8785_canonical_json(event)); prev_hash of the first event is 64 zeros";

/// A stored event row, as the verification reads it.
#[derive(Debug, Clone)]
pub struct Link<'a> {
    pub seq: i64,
    pub canonical: &'a str,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

/// Verifies a chain: sequence numbers 1..n without gaps, each `prev_hash` equal to the previous
/// hash, each hash recomputed from the canonical text (which must be canonical and name this
/// event's sequence), and the last hash equal to the head recorded on the ticket.
pub fn verify<'a>(
    links: impl IntoIterator<Item = Link<'a>>,
    expected_count: i64,
    head: &str,
) -> Verification {
    let mut previous = GENESIS.to_owned();
    let mut count = 0_i64;
    let broken = |seq: i64, reason: &str| BrokenLink {
        seq,
        reason: reason.to_owned(),
    };
    for link in links {
        let expected_seq = count + 1;
        if link.seq != expected_seq {
            return Verification {
                valid: false,
                events: count,
                broken: Some(broken(expected_seq, "this event is missing from the chain")),
            };
        }
        let reparsed: Option<Value> = serde_json::from_str(link.canonical).ok();
        let is_canonical = reparsed
            .as_ref()
            .is_some_and(|v| canonical_json(v) == link.canonical);
        let names_its_seq = reparsed
            .as_ref()
            .and_then(|v| v.get("seq"))
            .and_then(Value::as_i64)
            == Some(link.seq);
        let reason = if link.prev_hash != previous {
            Some("its prev_hash does not match the hash of the event before it")
        } else if !is_canonical || !names_its_seq {
            Some("its content is not the canonical JSON of this event")
        } else if chain_hash(&previous, link.canonical) != link.hash {
            Some("its content was altered: the hash does not match")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Verification {
                valid: false,
                events: count,
                broken: Some(broken(link.seq, reason)),
            };
        }
        previous = link.hash.to_owned();
        count += 1;
    }
    if count < expected_count || previous != head {
        return Verification {
            valid: false,
            events: count,
            broken: Some(broken(
                count + 1,
                "this event and any after it were removed: the ticket records more events than remain",
            )),
        };
    }
    Verification {
        valid: true,
        events: count,
        broken: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_members_and_drops_white_space() {
        let value = json!({"b": 1, "a": {"d": [true, null], "c": "x"}});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"c":"x","d":[true,null]},"b":1}"#
        );
    }

    #[test]
    fn canonical_json_escapes_like_json_stringify() {
        let value = json!({"s": "é\"\\\n\u{1}/"});
        assert_eq!(canonical_json(&value), "{\"s\":\"é\\\"\\\\\\n\\u0001/\"}");
    }

    /// RFC 8785, section 3.2.2: the sample input and its canonical form, numbers included.
    #[test]
    fn canonical_json_gives_the_rfc_8785_sample_output() {
        let input: Value = serde_json::from_str(
            r#"{
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&input),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    /// RFC 8785, section 3.2.3: the sorting example.
    #[test]
    fn canonical_json_sorts_like_the_rfc_8785_example() {
        let input: Value = serde_json::from_str(
            r#"{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
                "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
                "\u00f6": "Latin Small Letter O With Diaeresis"}"#,
        )
        .unwrap();
        let canonical = canonical_json(&input);
        assert!(
            canonical.starts_with("{\"\\r\":\"Carriage Return\",\"1\":\"One\","),
            "{canonical}"
        );
        let names: Vec<String> = canonical
            .split("\":\"")
            .skip(1)
            .map(|part| part.split('"').next().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            names,
            [
                "Carriage Return",
                "One",
                "Control",
                "Latin Small Letter O With Diaeresis",
                "Euro Sign",
                "Emoji: Grinning Face",
                "Hebrew Letter Dalet With Dagesh"
            ]
        );
    }

    #[test]
    fn canonical_json_sorts_by_utf16_code_units() {
        // U+E000 sorts after U+1F600 in UTF-8 but before it in UTF-16 (surrogates are 0xD83D…).
        let value = json!({"\u{1F600}": 1, "\u{E000}": 2});
        assert_eq!(canonical_json(&value), "{\"\u{1F600}\":1,\"\u{E000}\":2}");
    }

    fn chain(n: i64) -> Vec<(i64, String, String, String)> {
        let mut previous = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let canonical = canonical_json(&json!({"seq": seq, "data": {"type": "commented"}}));
                let hash = chain_hash(&previous, &canonical);
                let row = (seq, canonical, previous.clone(), hash.clone());
                previous = hash;
                row
            })
            .collect()
    }

    fn links(rows: &[(i64, String, String, String)]) -> Vec<Link<'_>> {
        rows.iter()
            .map(|(seq, c, p, h)| Link {
                seq: *seq,
                canonical: c,
                prev_hash: p,
                hash: h,
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let rows = chain(3);
        let head = rows[2].3.clone();
        assert_eq!(
            verify(links(&rows), 3, &head),
            Verification {
                valid: true,
                events: 3,
                broken: None
            }
        );
    }

    #[test]
    fn an_edited_event_is_named() {
        let mut rows = chain(3);
        let head = rows[2].3.clone();
        rows[1].1 = rows[1].1.replace("commented", "resolved");
        let v = verify(links(&rows), 3, &head);
        assert_eq!(v.broken.unwrap().seq, 2);
    }

    #[test]
    fn a_deleted_event_is_named() {
        let mut rows = chain(3);
        let head = rows[2].3.clone();
        rows.remove(1);
        assert_eq!(verify(links(&rows), 3, &head).broken.unwrap().seq, 2);
        let mut rows = chain(3);
        rows.pop();
        let v = verify(links(&rows), 3, &head);
        assert_eq!(v.broken.unwrap().seq, 3);
    }

    #[test]
    fn a_rehashed_forgery_still_breaks_at_the_head() {
        // Someone edits event 3 and recomputes its hash: the head recorded on the ticket differs.
        let mut rows = chain(3);
        let head = rows[2].3.clone();
        rows[2].1 = canonical_json(&json!({"seq": 3, "data": {"type": "closed"}}));
        rows[2].3 = chain_hash(&rows[2].2, &rows[2].1);
        assert!(!verify(links(&rows), 3, &head).valid);
    }
}
