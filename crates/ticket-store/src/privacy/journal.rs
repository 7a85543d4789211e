//! The access journal: append-only, hash-chained, verified from its head.

use crate::chain::{self, BrokenLink, GENESIS, Verification};
use crate::entities::{access_journal, access_journal_head};
use crate::page::{Page, decode_opaque, encode_opaque, fetch_limit};
use crate::tickets::normalise;
use crate::{Store, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use serde_json::json;
use std::fmt;
use ticket_domain::Actor;
use ticket_domain::privacy::PersonalField;
use ticket_domain::values::TicketId;
use uuid::Uuid;

/// What an entry of the access journal records.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, strum::IntoStaticStr, strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum JournalAction {
    /// A ticket read (or a command's answer) showing personal data in full.
    TicketRead,
    /// An evidence file exported with the sealed texts.
    EvidenceExport,
    /// A victim's attachment downloaded.
    AttachmentDownload,
    /// A person's data exported at their request.
    SubjectAccess,
    /// A person's data erased at their request.
    SubjectErasure,
    /// A ticket's personal data anonymised (retention or erasure).
    Anonymised,
    /// A legal hold set on a ticket.
    LegalHoldSet,
    /// A legal hold lifted.
    LegalHoldLifted,
    /// The raw bytes of an inbound mail of a victim's case read.
    InboundMailRead,
}

impl JournalAction {
    pub const ALL: [JournalAction; 9] = [
        JournalAction::TicketRead,
        JournalAction::EvidenceExport,
        JournalAction::AttachmentDownload,
        JournalAction::SubjectAccess,
        JournalAction::SubjectErasure,
        JournalAction::Anonymised,
        JournalAction::LegalHoldSet,
        JournalAction::LegalHoldLifted,
        JournalAction::InboundMailRead,
    ];

    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn parse(name: &str) -> Option<Self> {
        name.parse().ok()
    }
}

impl fmt::Display for JournalAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What to record: built by the caller, numbered and chained by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRecord {
    pub action: JournalAction,
    pub actor: Actor,
    /// The API key used, if any.
    pub key_id: Option<Uuid>,
    pub ticket: Option<TicketId>,
    pub fields: Vec<PersonalField>,
    /// Words without personal data ("retention", "erasure request"…).
    pub detail: Option<String>,
}

impl JournalRecord {
    pub fn new(action: JournalAction, actor: &Actor, ticket: Option<TicketId>) -> Self {
        Self {
            action,
            actor: actor.clone(),
            key_id: None,
            ticket,
            fields: Vec::new(),
            detail: None,
        }
    }

    pub fn key(mut self, key: Option<Uuid>) -> Self {
        self.key_id = key;
        self
    }

    pub fn fields(mut self, fields: Vec<PersonalField>) -> Self {
        self.fields = fields;
        self
    }

    pub fn detail(mut self, detail: &str) -> Self {
        self.detail = Some(detail.to_owned());
        self
    }
}

/// An entry of the access journal as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JournalEntry {
    pub seq: i64,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub action: String,
    pub actor: String,
    pub role: Option<String>,
    pub organisation_id: Option<Uuid>,
    pub key_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    pub fields: Vec<String>,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<access_journal::Model> for JournalEntry {
    fn from(row: access_journal::Model) -> Self {
        Self {
            seq: row.seq,
            id: row.id,
            at: row.at,
            action: row.action,
            actor: row.actor,
            role: row.role,
            organisation_id: row.organisation_id,
            key_id: row.key_id,
            ticket_id: row.ticket_id,
            fields: split_fields(&row.fields),
            detail: row.detail,
            prev_hash: row.prev_hash,
            hash: row.hash,
        }
    }
}

fn split_fields(fields: &str) -> Vec<String> {
    fields
        .split(',')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Filters of the journal; each narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalFilter {
    pub ticket: Option<TicketId>,
    pub action: Option<JournalAction>,
    /// Exact actor, as described ("security alice", "partner key main").
    pub actor: Option<String>,
    pub key_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
}

/// The canonical text an entry's hash covers: every column but the hashes.
fn journal_canonical(row: &access_journal::Model) -> String {
    chain::canonical_json(&json!({
        "seq": row.seq,
        "id": row.id,
        "at": row.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "action": row.action,
        "actor": row.actor,
        "role": row.role,
        "organisation_id": row.organisation_id,
        "key_id": row.key_id,
        "ticket_id": row.ticket_id,
        "fields": split_fields(&row.fields),
        "detail": row.detail,
    }))
}

/// Appends `record` to the journal inside `txn`: takes the head (locked on PostgreSQL; SQLite's
/// write transaction already excludes other writers), chains the entry, moves the head.
pub(crate) async fn append_journal(
    txn: &DatabaseTransaction,
    record: &JournalRecord,
    now: DateTime<Utc>,
) -> Result<JournalEntry, StoreError> {
    let mut head = access_journal_head::Entity::find_by_id(1);
    if txn.get_database_backend() == DbBackend::Postgres {
        head = head.lock(LockType::Update);
    }
    let head = head
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound("access journal head"))?;
    let mut fields: Vec<&str> = record.fields.iter().map(|f| f.name()).collect();
    fields.sort_unstable();
    fields.dedup();
    let mut row = access_journal::Model {
        seq: head.seq + 1,
        id: Uuid::now_v7(),
        at: normalise(now),
        action: record.action.name().to_owned(),
        actor: record.actor.describe(),
        role: record.actor.role().map(|r| r.name().to_owned()),
        organisation_id: record.actor.organisation().map(|o| o.0),
        key_id: record.key_id,
        ticket_id: record.ticket.map(|t| t.0),
        fields: fields.join(","),
        detail: record.detail.clone(),
        canonical: String::new(),
        prev_hash: head.hash.clone(),
        hash: String::new(),
    };
    row.canonical = journal_canonical(&row);
    row.hash = chain::chain_hash(&row.prev_hash, &row.canonical);
    let moved = access_journal_head::Entity::update_many()
        .col_expr(access_journal_head::Column::Seq, Expr::value(row.seq))
        .col_expr(
            access_journal_head::Column::Hash,
            Expr::value(row.hash.clone()),
        )
        .filter(access_journal_head::Column::Id.eq(1))
        .filter(access_journal_head::Column::Seq.eq(head.seq))
        .exec(txn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(StoreError::corrupt(
            "the access journal head moved during an append",
        ));
    }
    access_journal::Entity::insert(access_journal::ActiveModel {
        seq: Set(row.seq),
        id: Set(row.id),
        at: Set(row.at),
        action: Set(row.action.clone()),
        actor: Set(row.actor.clone()),
        role: Set(row.role.clone()),
        organisation_id: Set(row.organisation_id),
        key_id: Set(row.key_id),
        ticket_id: Set(row.ticket_id),
        fields: Set(row.fields.clone()),
        detail: Set(row.detail.clone()),
        canonical: Set(row.canonical.clone()),
        prev_hash: Set(row.prev_hash.clone()),
        hash: Set(row.hash.clone()),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(row.into())
}

/// Cursors of the journal are opaque: base64url of the last sequence number.
fn encode_seq(seq: i64) -> String {
    encode_opaque(&format!("j{seq}"))
}

fn decode_seq(text: &str) -> Option<i64> {
    decode_opaque(text)?.strip_prefix('j')?.parse().ok()
}

impl Store {
    /// Records a read (or another privacy-relevant act) in the access journal, in its own
    /// transaction. A read whose record cannot be written must not be answered.
    pub async fn journal(
        &self,
        record: &JournalRecord,
        now: DateTime<Utc>,
    ) -> Result<JournalEntry, StoreError> {
        let txn = self.write_transaction().await?;
        let entry = append_journal(&txn, record, now).await?;
        self.commit(txn).await?;
        Ok(entry)
    }

    /// A page of the journal, oldest first (keyset on the sequence number).
    pub async fn list_journal(
        &self,
        filter: &JournalFilter,
        limit: u64,
        cursor: Option<&str>,
    ) -> Result<Page<JournalEntry>, StoreError> {
        let mut condition = Condition::all();
        if let Some(ticket) = filter.ticket {
            condition = condition.add(access_journal::Column::TicketId.eq(ticket.0));
        }
        if let Some(action) = filter.action {
            condition = condition.add(access_journal::Column::Action.eq(action.name()));
        }
        if let Some(actor) = &filter.actor {
            condition = condition.add(access_journal::Column::Actor.eq(actor.as_str()));
        }
        if let Some(key) = filter.key_id {
            condition = condition.add(access_journal::Column::KeyId.eq(key));
        }
        if let Some(from) = filter.from {
            condition = condition.add(access_journal::Column::At.gte(from));
        }
        if let Some(before) = filter.before {
            condition = condition.add(access_journal::Column::At.lt(before));
        }
        if let Some(text) = cursor {
            let after = decode_seq(text).ok_or(StoreError::InvalidCursor)?;
            condition = condition.add(access_journal::Column::Seq.gt(after));
        }
        let rows = access_journal::Entity::find()
            .filter(condition)
            .order_by_asc(access_journal::Column::Seq)
            .limit(fetch_limit(limit))
            .all(&self.db)
            .await?;
        Page::from_rows(rows, limit, |row| encode_seq(row.seq), |row| Ok(row.into()))
    }

    /// Recomputes the journal's chain: sequence without gaps, each entry's canonical text equal to
    /// its columns, each hash, and the head.
    pub async fn verify_journal(&self) -> Result<Verification, StoreError> {
        let head = access_journal_head::Entity::find_by_id(1)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("access journal head"))?;
        let mut previous = GENESIS.to_owned();
        let mut count = 0_i64;
        let broken = |seq: i64, reason: &str, count: i64| Verification {
            valid: false,
            events: count,
            broken: Some(BrokenLink {
                seq,
                reason: reason.to_owned(),
            }),
        };
        let mut after = 0_i64;
        loop {
            let rows = access_journal::Entity::find()
                .filter(access_journal::Column::Seq.gt(after))
                .order_by_asc(access_journal::Column::Seq)
                .limit(1000)
                .all(&self.db)
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.seq;
            for row in &rows {
                let expected = count + 1;
                if row.seq != expected {
                    return Ok(broken(
                        expected,
                        "this entry is missing from the journal",
                        count,
                    ));
                }
                if row.prev_hash != previous {
                    return Ok(broken(
                        row.seq,
                        "its prev_hash does not match the hash of the entry before it",
                        count,
                    ));
                }
                if journal_canonical(row) != row.canonical {
                    return Ok(broken(
                        row.seq,
                        "its columns were altered: they differ from the text that was hashed",
                        count,
                    ));
                }
                if chain::chain_hash(&previous, &row.canonical) != row.hash {
                    return Ok(broken(
                        row.seq,
                        "its content was altered: the hash does not match",
                        count,
                    ));
                }
                previous = row.hash.clone();
                count += 1;
            }
        }
        if count != head.seq || previous != head.hash {
            return Ok(broken(
                count + 1,
                "entries were removed: the journal's head records more than remain",
                count,
            ));
        }
        Ok(Verification {
            valid: true,
            events: count,
            broken: None,
        })
    }
}
