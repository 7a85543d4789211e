//! The transparency log (issue 33): its latest signed head, a ticket's chain heads in it with
//! their inclusion proofs, and consistency proofs between two sizes of the tree. Hashes are hex;
//! the signed head is a C2SP checkpoint, checked with the key served at
//! `/.well-known/ticketd-transparency-key`.
//!
//! Leaves name tickets by id and hold hashes only: no personal data. A ticket's leaves are shown to
//! whoever may read the ticket.

use crate::ApiState;
use crate::ApiTag;
use crate::auth::ApiKeyAuth;
use crate::error::ApiError;
use crate::problem::FieldError;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use ticket_domain::values::TicketId;
use ticket_store::StoreError;
use ticket_store::tickets::TicketKey;
use ticket_store::transparency::SignedHead;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// A signed tree head.
#[derive(Debug, Clone, Object)]
pub struct TreeHeadView {
    /// How many leaves the tree holds.
    pub size: u64,
    /// The tree's root (RFC 9162), hex.
    #[oai(validator(min_length = 64, max_length = 64))]
    pub root: String,
    /// When it was signed.
    pub signed_at: DateTime<Utc>,
    /// The signed checkpoint (C2SP tlog-checkpoint in a signed note, Ed25519).
    pub checkpoint: String,
}

impl From<SignedHead> for TreeHeadView {
    fn from(head: SignedHead) -> Self {
        Self {
            size: head.size,
            root: hex::encode(head.root),
            signed_at: head.signed_at,
            checkpoint: head.note,
        }
    }
}

/// One of a ticket's chain heads in the log.
#[derive(Debug, Clone, Object)]
pub struct LogEntryView {
    /// The leaf's index in the tree.
    pub index: u64,
    /// The event of the ticket's chain this head is at.
    pub seq: i64,
    /// The chain's hash at that event, hex.
    pub chain_head: String,
    /// SHA-256(0x00 ‖ "ticketd-chain-head/v1\n" ‖ ticket id ‖ "\n" ‖ seq ‖ "\n" ‖ chain_head ‖
    /// "\n"), hex.
    pub leaf_hash: String,
    /// The inclusion proof of the leaf in `head` (RFC 9162 PATH), hex, leaf to root.
    pub inclusion_path: Vec<String>,
}

/// A ticket's chain heads in the log, proved against the latest signed head.
#[derive(Debug, Clone, Object)]
pub struct TicketLogView {
    /// The ticket.
    pub ticket_id: Uuid,
    /// The latest signed head, which the inclusion paths lead to.
    pub head: TreeHeadView,
    /// Oldest first; empty until the log's next append.
    pub entries: Vec<LogEntryView>,
}

/// A consistency proof: the tree of `from` leaves is a prefix of the tree of `to` leaves.
#[derive(Debug, Clone, Object)]
pub struct ConsistencyView {
    /// The older tree's size.
    pub from: u64,
    /// The newer tree's size.
    pub to: u64,
    /// RFC 9162 PROOF(from, to), hex.
    pub proof: Vec<String>,
}

#[derive(Debug, ApiResponse)]
pub enum HeadResponse {
    /// The latest signed head.
    #[oai(status = 200)]
    Ok(Json<TreeHeadView>),
}

#[derive(Debug, ApiResponse)]
pub enum TicketLogResponse {
    /// The ticket's chain heads in the log.
    #[oai(status = 200)]
    Ok(Json<TicketLogView>),
}

#[derive(Debug, ApiResponse)]
pub enum ConsistencyResponse {
    /// The proof.
    #[oai(status = 200)]
    Ok(Json<ConsistencyView>),
}

/// The transparency log.
#[derive(Debug, Clone, Copy, Default)]
pub struct TransparencyApi;

async fn latest(state: &ApiState) -> Result<SignedHead> {
    state
        .store
        .log_latest_head()
        .await?
        .ok_or_else(|| ApiError::not_found("signed tree head yet"))
}

fn hexes(hashes: Vec<ticket_log::Hash>) -> Vec<String> {
    hashes.into_iter().map(hex::encode).collect()
}

#[OpenApi(tag = "ApiTag::Tickets")]
impl TransparencyApi {
    /// The transparency log's latest signed head
    ///
    /// Keep it: a later head must be consistent with it (`/api/v1/transparency/consistency`), so a
    /// log rewritten or rolled back shows. 404 until the log has signed its first head.
    #[oai(
        path = "/api/v1/transparency/head",
        method = "get",
        operation_id = "get_transparency_head"
    )]
    async fn head(&self, state: Data<&ApiState>, _auth: ApiKeyAuth) -> Result<HeadResponse> {
        Ok(HeadResponse::Ok(Json(latest(&state).await?.into())))
    }

    /// A ticket's chain heads in the transparency log
    ///
    /// Each time the ticket's evidence chain grew, its new head was appended to the log; each
    /// entry comes with its inclusion proof in the latest signed head. An evidence file whose
    /// chain does not pass through these heads was rewritten.
    #[oai(
        path = "/api/v1/transparency/tickets/:id",
        method = "get",
        operation_id = "get_ticket_transparency"
    )]
    async fn ticket(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// The ticket's id.
        id: Path<Uuid>,
    ) -> Result<TicketLogResponse> {
        match state.store.get_ticket(TicketKey::Id(TicketId(id.0))).await {
            Ok(stored) if stored.ticket.is_visible_to(&auth.0.actor) => {}
            Ok(_) | Err(StoreError::NotFound(_)) => return Err(ApiError::not_found("ticket")),
            Err(error) => return Err(error.into()),
        }
        let head = latest(&state).await?;
        let leaves = state.store.log_leaf_hashes(head.size).await?;
        let mut entries = Vec::new();
        for entry in state.store.log_entries_of(id.0).await? {
            if entry.index >= head.size {
                continue;
            }
            let path = ticket_log::inclusion_proof(&leaves, entry.index as usize)
                .map_err(|_| StoreError::Corrupt("a log entry past the tree".into()))?;
            entries.push(LogEntryView {
                index: entry.index,
                seq: entry.seq,
                chain_head: entry.chain_head,
                leaf_hash: hex::encode(entry.leaf_hash),
                inclusion_path: hexes(path),
            });
        }
        Ok(TicketLogResponse::Ok(Json(TicketLogView {
            ticket_id: id.0,
            head: head.into(),
            entries,
        })))
    }

    /// A consistency proof between two sizes of the transparency log
    ///
    /// Proves that the tree of `from` leaves is a prefix of the tree of `to` leaves (by default the
    /// latest signed head's size): nothing in it was changed or removed since.
    #[oai(
        path = "/api/v1/transparency/consistency",
        method = "get",
        operation_id = "get_transparency_consistency"
    )]
    async fn consistency(
        &self,
        state: Data<&ApiState>,
        _auth: ApiKeyAuth,
        /// The older tree's size.
        #[oai(validator(maximum(value = "9007199254740991")))]
        from: Query<u64>,
        /// The newer tree's size; the latest signed head's by default.
        #[oai(validator(maximum(value = "9007199254740991")))]
        to: Query<Option<u64>>,
    ) -> Result<ConsistencyResponse> {
        let head = latest(&state).await?;
        let to = to.0.unwrap_or(head.size);
        let mut errors = Vec::new();
        if to > head.size {
            errors.push(FieldError {
                field: "to".to_owned(),
                rule: "log_size".to_owned(),
                message: format!("the log holds {} leaves so far", head.size),
            });
        }
        if from.0 > to {
            errors.push(FieldError {
                field: "from".to_owned(),
                rule: "log_size".to_owned(),
                message: "must not be larger than `to`".to_owned(),
            });
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid(errors));
        }
        let leaves = state.store.log_leaf_hashes(to).await?;
        let proof = ticket_log::consistency_proof(&leaves, from.0 as usize)
            .map_err(|_| StoreError::Corrupt("the log has fewer leaves than its head".into()))?;
        Ok(ConsistencyResponse::Ok(Json(ConsistencyView {
            from: from.0,
            to,
            proof: hexes(proof),
        })))
    }
}
