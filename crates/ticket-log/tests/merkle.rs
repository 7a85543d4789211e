//! The Merkle code against an independent implementation: the recursive definitions of RFC 9162,
//! section 2.1 (MTH, PATH, PROOF/SUBPROOF), written out here over the entries themselves, for random
//! tree sizes up to 10,000.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use sha2::{Digest, Sha256};
use ticket_log::{
    Frontier, Hash, ProofError, consistency_proof, inclusion_proof, leaf_hash, root,
    verify_consistency, verify_inclusion,
};

/// The oracle: RFC 9162 2.1.1 to 2.1.4.1, word for word.
mod rfc {
    use super::*;

    fn sha(parts: &[&[u8]]) -> Hash {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().into()
    }

    fn k(n: usize) -> usize {
        (0..)
            .map(|i| 1usize << i)
            .take_while(|p| *p < n)
            .last()
            .unwrap()
    }

    pub fn mth(d: &[Vec<u8>]) -> Hash {
        match d.len() {
            0 => sha(&[]),
            1 => sha(&[&[0], &d[0]]),
            n => {
                let k = k(n);
                sha(&[&[1], &mth(&d[..k]), &mth(&d[k..])])
            }
        }
    }

    pub fn path(m: usize, d: &[Vec<u8>]) -> Vec<Hash> {
        let n = d.len();
        if n == 1 {
            return vec![];
        }
        let k = k(n);
        if m < k {
            let mut p = path(m, &d[..k]);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = path(m - k, &d[k..]);
            p.push(mth(&d[..k]));
            p
        }
    }

    fn subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<Hash> {
        let n = d.len();
        if m == n {
            return if b { vec![] } else { vec![mth(d)] };
        }
        let k = k(n);
        if m <= k {
            let mut p = subproof(m, &d[..k], b);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = subproof(m - k, &d[k..], false);
            p.push(mth(&d[..k]));
            p
        }
    }

    pub fn proof(m: usize, d: &[Vec<u8>]) -> Vec<Hash> {
        subproof(m, d, true)
    }
}

fn entries(n: usize, salt: u64) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("chain head {i} of {salt}").into_bytes())
        .collect()
}

fn hashes(d: &[Vec<u8>]) -> Vec<Hash> {
    d.iter().map(|e| leaf_hash(e)).collect()
}

fn flip(proof: &[Hash], which: usize, bit: usize) -> Vec<Hash> {
    let mut p = proof.to_vec();
    let i = which % p.len();
    p[i][bit / 8 % 32] ^= 1 << (bit % 8);
    p
}

/// Sizes up to 10,000, with the small and power-of-two edges often.
fn size() -> impl Strategy<Value = usize> {
    prop_oneof![
        1usize..=20,
        (0u32..14).prop_map(|e| 1usize << e),
        1usize..=10_000
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn roots_and_frontiers_equal_the_rfcs_mth(n in 0usize..=3_000, salt in any::<u64>(), cut in any::<prop::sample::Index>()) {
        let d = entries(n, salt);
        let leaves = hashes(&d);
        prop_assert_eq!(root(&leaves), rfc::mth(&d));
        // A frontier saved and restored mid-way gives the same root as one built in one go.
        let m = if n == 0 { 0 } else { cut.index(n + 1) };
        let early = Frontier::of(&leaves[..m]);
        let mut restored = Frontier::from_parts(early.size(), early.peaks()).unwrap();
        for l in &leaves[m..] {
            restored.push(*l);
        }
        prop_assert_eq!(restored.root(), rfc::mth(&d));
        prop_assert_eq!(restored.size(), n as u64);
    }

    #[test]
    fn inclusion_proofs_are_the_rfcs_path_and_only_they_verify(
        n in size(), salt in any::<u64>(), at in any::<prop::sample::Index>(),
        which in any::<usize>(), bit in 0usize..256,
    ) {
        let d = entries(n, salt);
        let leaves = hashes(&d);
        let m = at.index(n);
        let proof = inclusion_proof(&leaves, m).unwrap();
        prop_assert_eq!(&proof, &rfc::path(m, &d));
        let r = rfc::mth(&d);
        prop_assert_eq!(verify_inclusion(m as u64, n as u64, &leaves[m], &proof, &r), Ok(()));
        // Every alteration is refused: another leaf, another index, a flipped bit, a hash
        // dropped or added, an index past the end.
        let other = leaf_hash(b"not in the log");
        prop_assert!(verify_inclusion(m as u64, n as u64, &other, &proof, &r).is_err());
        if n > 1 {
            let wrong = (m + 1) % n;
            prop_assert!(verify_inclusion(wrong as u64, n as u64, &leaves[m], &proof, &r).is_err());
            prop_assert!(verify_inclusion(m as u64, n as u64, &leaves[m], &flip(&proof, which, bit), &r).is_err());
            prop_assert!(verify_inclusion(m as u64, n as u64, &leaves[m], &proof[1..], &r).is_err());
        }
        let mut longer = proof.clone();
        longer.push(other);
        prop_assert!(verify_inclusion(m as u64, n as u64, &leaves[m], &longer, &r).is_err());
        prop_assert_eq!(
            verify_inclusion(n as u64, n as u64, &leaves[m], &proof, &r),
            Err(ProofError::IndexOutOfRange { index: n as u64, size: n as u64 })
        );
    }

    #[test]
    fn consistency_proofs_are_the_rfcs_proof_and_only_they_verify(
        n in size(), salt in any::<u64>(), at in any::<prop::sample::Index>(),
        which in any::<usize>(), bit in 0usize..256,
    ) {
        let d = entries(n, salt);
        let leaves = hashes(&d);
        let m = at.index(n + 1);
        let proof = consistency_proof(&leaves, m).unwrap();
        if m > 0 && m < n {
            prop_assert_eq!(&proof, &rfc::proof(m, &d));
        } else {
            prop_assert!(proof.is_empty());
        }
        let (old, new) = (rfc::mth(&d[..m]), rfc::mth(&d));
        prop_assert_eq!(verify_consistency(m as u64, n as u64, &old, &new, &proof), Ok(()));
        if m > 0 && m < n {
            // A fork: the same size, one entry changed before m — the old root no longer fits.
            let mut forked = d.clone();
            forked[m - 1] = b"rewritten".to_vec();
            let forked_old = rfc::mth(&forked[..m]);
            prop_assert!(verify_consistency(m as u64, n as u64, &forked_old, &new, &proof).is_err());
            // A rewritten newer tree (an entry after m changed) does not fit the proof either.
            let mut rewritten = d.clone();
            rewritten[n - 1] = b"rewritten".to_vec();
            prop_assert!(verify_consistency(m as u64, n as u64, &old, &rfc::mth(&rewritten), &proof).is_err());
            prop_assert!(verify_consistency(m as u64, n as u64, &old, &new, &flip(&proof, which, bit)).is_err());
            prop_assert!(verify_consistency(m as u64, n as u64, &old, &new, &proof[1..]).is_err());
            // A rollback: the newer head is smaller than the older.
            prop_assert_eq!(
                verify_consistency(n as u64, m as u64, &new, &old, &proof),
                Err(ProofError::OlderIsLarger { older: n as u64, newer: m as u64 })
            );
        }
    }
}

#[test]
fn the_empty_tree_and_one_leaf() {
    assert_eq!(root(&[]), <[u8; 32]>::from(Sha256::digest([])));
    let one = leaf_hash(b"x");
    assert_eq!(root(&[one]), one);
    assert_eq!(inclusion_proof(&[one], 0).unwrap(), Vec::<Hash>::new());
    assert_eq!(verify_inclusion(0, 1, &one, &[], &one), Ok(()));
    assert_eq!(
        inclusion_proof(&[one], 1),
        Err(ProofError::IndexOutOfRange { index: 1, size: 1 })
    );
    // The same tree is consistent with itself only if the roots agree.
    assert_eq!(verify_consistency(1, 1, &one, &one, &[]), Ok(()));
    assert_eq!(
        verify_consistency(1, 1, &one, &leaf_hash(b"y"), &[]),
        Err(ProofError::RootMismatch)
    );
}
