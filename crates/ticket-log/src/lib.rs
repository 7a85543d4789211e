//! The transparency log of ticketd (DOMAIN.md, "the transparency log"): every ticket's chain head
//! is appended to one append-only Merkle tree (RFC 9162), whose heads are signed (Ed25519, as C2SP
//! checkpoints) and sent to witnesses outside the operator. Whoever holds an older signed head can
//! then check that a newer tree extends it (consistency) and that a chain head is in it
//! (inclusion): rewriting or dropping a ticket's events, even with the database in hand, shows.
//!
//! This crate is pure: hashing, proofs and signatures. The store persists the leaves and the
//! frontier; the API serves heads and proofs.

pub mod checkpoint;
pub mod merkle;

pub use checkpoint::{CheckpointError, LogSigner, LogVerifier, TreeHead};
pub use merkle::{
    Frontier, Hash, ProofError, consistency_proof, inclusion_proof, leaf_hash, node_hash, root,
    verify_consistency, verify_inclusion,
};
