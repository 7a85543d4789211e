//! Signed tree heads: what the log's key signed opens, anything else is refused and says why.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ticket_log::{CheckpointError, LogSigner, LogVerifier, TreeHead, leaf_hash, root};

fn head() -> TreeHead {
    TreeHead {
        origin: "ticketd.example.org/log".to_owned(),
        size: 3,
        root: root(&[leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c")]),
        time: 1_796_000_000,
    }
}

fn signer(seed: u8) -> LogSigner {
    LogSigner::from_seed("ticketd.example.org", &[seed; 32]).unwrap()
}

#[test]
fn a_signed_head_opens_with_the_logs_key_and_reads_back_the_same() {
    let s = signer(7);
    let note = s.sign(&head());
    assert!(note.starts_with("ticketd.example.org/log\n3\n"));
    assert!(note.contains("\ntime 1796000000\n\n\u{2014} ticketd.example.org "));
    assert_eq!(s.verifier().open(&note).unwrap(), head());
    // The verifier key survives being written out and read back (how partners are given it).
    let text = s.verifier().to_string();
    assert!(text.starts_with("ticketd.example.org+"));
    let parsed = LogVerifier::parse(&text).unwrap();
    assert_eq!(parsed, s.verifier());
    assert_eq!(parsed.open(&note).unwrap(), head());
}

#[test]
fn a_head_altered_or_signed_by_another_key_is_refused() {
    let s = signer(7);
    let note = s.sign(&head());
    // One more entry claimed than signed.
    let altered = note.replacen("\n3\n", "\n4\n", 1);
    assert_eq!(
        s.verifier().open(&altered),
        Err(CheckpointError::BadSignature(
            "ticketd.example.org".to_owned()
        ))
    );
    // Another key with the same name: its signature carries another key id.
    let other = signer(8).sign(&head());
    assert_eq!(
        s.verifier().open(&other),
        Err(CheckpointError::NotSignedByKey(
            "ticketd.example.org".to_owned()
        ))
    );
    // The signature line swapped onto another head.
    let mut later = head();
    later.size = 4;
    let body = later.body();
    let sig = note.split_once("\n\n").unwrap().1;
    let forged = format!("{body}\n{sig}");
    assert!(matches!(
        s.verifier().open(&forged),
        Err(CheckpointError::BadSignature(_))
    ));
    // A witness's cosignature beside the log's is allowed.
    let cosigned = format!("{note}\u{2014} witness.example AAAAAAAA\n");
    assert_eq!(s.verifier().open(&cosigned).unwrap(), head());
}

#[test]
fn malformed_keys_and_notes_are_refused() {
    let text = signer(7).verifier().to_string();
    let mut parts: Vec<&str> = text.split('+').collect();
    parts[1] = "00000000";
    assert!(matches!(
        LogVerifier::parse(&parts.join("+")),
        Err(CheckpointError::MalformedKey(_))
    ));
    assert!(LogVerifier::parse("name+1234").is_err());
    assert!(LogSigner::from_seed("two words", &[1; 32]).is_none());
    let v = signer(7).verifier();
    assert!(matches!(
        v.open("no signatures"),
        Err(CheckpointError::Malformed(_))
    ));
}
