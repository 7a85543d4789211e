//! Privacy by design in the store: the access journal, legal holds, anonymisation and the
//! requests of data subjects (rule "Personal data" of the domain document).
//!
//! **Access journal.** Every read of a ticket's personal data in full (ticket read, evidence
//! export, attachment download, a person's export) appends one entry: who, when, which ticket,
//! which fields. The journal is append-only and hash-chained like the evidence file: each entry
//! carries `SHA-256(prev_hash ‖ canonical_json(entry))`, and a one-row head (`access_journal_head`,
//! locked by each append) holds the last sequence number and hash, so an entry edited, removed or
//! inserted shows in [`Store::verify_journal`]. Entries hold no personal data: actors are staff
//! handles or key names, fields are field names, a person's address is never written.
//!
//! **Anonymisation** reaches every copy of a ticket's personal data through a list of erasers,
//! [`DatabaseEraser::ALL`], run in one transaction with the ticket's own update (copies outside
//! the database — `.eml` files, attachments — are erased by the caller first, see `ticketd`).
//! The evidence chain never held the personal data (see [`crate::seal`]), so it still verifies.

use crate::chain::{self, BrokenLink, GENESIS, Verification};
use crate::entities::{
    access_journal, access_journal_head, external_erasure, idempotency_key, legal_hold, outbox,
    sealed_text, ticket, tracking_secret,
};
use crate::page::{Page, decode_opaque, encode_opaque, fetch_limit};
use crate::tickets::{TicketKey, from_row, normalise};
use crate::{Store, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, LockType, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt;
use ticket_domain::privacy::{PersonalField, anonymise};
use ticket_domain::values::TicketId;
use ticket_domain::{Actor, State};
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

/// A legal hold: the ticket's personal data is kept whatever the retention says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegalHold {
    pub ticket_id: TicketId,
    pub set_at: DateTime<Utc>,
    pub set_by: String,
    pub reason: String,
}

impl From<legal_hold::Model> for LegalHold {
    fn from(row: legal_hold::Model) -> Self {
        Self {
            ticket_id: TicketId(row.ticket_id),
            set_at: row.set_at,
            set_by: row.set_by,
            reason: row.reason,
        }
    }
}

/// What anonymising a ticket did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anonymisation {
    /// Its personal data is gone from every copy in the database.
    Done,
    /// It had been anonymised before.
    AlreadyDone,
    /// A legal hold keeps it.
    Held,
}

/// One kind of copy of a ticket's personal data in the database, and how to erase it. Run in
/// order, in the anonymising transaction. Other copies (search columns or tables, raw inbound
/// mails) get a variant of their own here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatabaseEraser {
    /// The sealed free texts of the evidence chain, with their salts.
    SealedTexts,
    /// Outbox rows: the plaintext tracking secret a mail still waits to carry; mails not yet
    /// delivered are given up (they would show an anonymised ticket).
    Outbox,
    /// The hash of the private tracking link: the link stops working.
    TrackingSecrets,
    /// Idempotency keys keep the creation's response, which holds the ticket as created.
    IdempotencyResponses,
    /// The full-text search row: rewritten from the anonymised ticket, without the comments
    /// (whose words the evidence chain keeps only sealed).
    SearchIndex,
    /// Mails received on the ticket: their raw bytes, sender, subject and attachment list (the
    /// evidence chain keeps only their SHA-256).
    InboundMails,
}

impl DatabaseEraser {
    pub const ALL: [DatabaseEraser; 6] = [
        DatabaseEraser::SealedTexts,
        DatabaseEraser::Outbox,
        DatabaseEraser::TrackingSecrets,
        DatabaseEraser::IdempotencyResponses,
        DatabaseEraser::SearchIndex,
        DatabaseEraser::InboundMails,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DatabaseEraser::SealedTexts => "sealed texts",
            DatabaseEraser::Outbox => "outbox",
            DatabaseEraser::TrackingSecrets => "tracking secrets",
            DatabaseEraser::IdempotencyResponses => "idempotency responses",
            DatabaseEraser::SearchIndex => "search index",
            DatabaseEraser::InboundMails => "inbound mails",
        }
    }

    async fn erase(
        self,
        txn: &DatabaseTransaction,
        anonymised: &ticket_domain::Ticket,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let id = anonymised.id;
        match self {
            DatabaseEraser::SearchIndex => {
                crate::search::reindex_anonymised(txn, anonymised).await?;
            }
            DatabaseEraser::InboundMails => {
                crate::entities::inbound_mail::Entity::update_many()
                    .col_expr(
                        crate::entities::inbound_mail::Column::Raw,
                        Expr::value(Option::<Vec<u8>>::None),
                    )
                    .col_expr(
                        crate::entities::inbound_mail::Column::Sender,
                        Expr::value(Option::<String>::None),
                    )
                    .col_expr(
                        crate::entities::inbound_mail::Column::Subject,
                        Expr::value(Option::<String>::None),
                    )
                    .col_expr(
                        crate::entities::inbound_mail::Column::Attachments,
                        Expr::value(serde_json::json!([])),
                    )
                    .filter(crate::entities::inbound_mail::Column::TicketId.eq(id.0))
                    .exec(txn)
                    .await?;
            }
            DatabaseEraser::SealedTexts => {
                sealed_text::Entity::delete_many()
                    .filter(sealed_text::Column::TicketId.eq(id.0))
                    .exec(txn)
                    .await?;
            }
            DatabaseEraser::Outbox => {
                outbox::Entity::update_many()
                    .col_expr(
                        outbox::Column::TrackingSecret,
                        Expr::value(Option::<String>::None),
                    )
                    .filter(outbox::Column::TicketId.eq(id.0))
                    .exec(txn)
                    .await?;
                outbox::Entity::update_many()
                    .col_expr(outbox::Column::Status, Expr::value("failed"))
                    .col_expr(
                        outbox::Column::LastError,
                        Expr::value("the ticket's personal data was anonymised before delivery"),
                    )
                    .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
                    .filter(outbox::Column::TicketId.eq(id.0))
                    // A mail being sent is left to its worker's lease protocol: it already holds
                    // the rendered message.
                    .filter(outbox::Column::Status.is_in(["pending", "uncertain"]))
                    .exec(txn)
                    .await?;
            }
            DatabaseEraser::TrackingSecrets => {
                tracking_secret::Entity::delete_many()
                    .filter(tracking_secret::Column::TicketId.eq(id.0))
                    .exec(txn)
                    .await?;
            }
            DatabaseEraser::IdempotencyResponses => {
                idempotency_key::Entity::delete_many()
                    .filter(idempotency_key::Column::TicketId.eq(id.0))
                    .exec(txn)
                    .await?;
            }
        }
        Ok(())
    }
}

/// Everything held about a person, as handed to them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonExport {
    pub generated_at: DateTime<Utc>,
    /// Each ticket naming the person: the ticket as stored, its history with the free texts, its
    /// mails (without secrets) and its legal hold.
    pub tickets: Vec<Value>,
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

    pub async fn legal_hold(&self, id: TicketId) -> Result<Option<LegalHold>, StoreError> {
        Ok(legal_hold::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .map(Into::into))
    }

    /// Sets (or replaces the reason of) a legal hold on a ticket, journalled.
    pub async fn set_legal_hold(
        &self,
        id: TicketId,
        actor: &Actor,
        key: Option<Uuid>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<LegalHold, StoreError> {
        let now = normalise(now);
        let txn = self.write_transaction().await?;
        let anonymised: Option<Option<DateTime<Utc>>> = ticket::Entity::find_by_id(id.0)
            .select_only()
            .column(ticket::Column::AnonymisedAt)
            .into_tuple()
            .one(&txn)
            .await?;
        match anonymised {
            None => return Err(StoreError::NotFound("ticket")),
            Some(Some(_)) => return Err(StoreError::AlreadyAnonymised),
            Some(None) => {}
        }
        let row = legal_hold::Model {
            ticket_id: id.0,
            set_at: now,
            set_by: actor.describe(),
            reason: reason.to_owned(),
        };
        legal_hold::Entity::delete_by_id(id.0).exec(&txn).await?;
        legal_hold::Entity::insert(legal_hold::ActiveModel {
            ticket_id: Set(row.ticket_id),
            set_at: Set(row.set_at),
            set_by: Set(row.set_by.clone()),
            reason: Set(row.reason.clone()),
        })
        .exec_without_returning(&txn)
        .await?;
        append_journal(
            &txn,
            &JournalRecord::new(JournalAction::LegalHoldSet, actor, Some(id)).key(key),
            now,
        )
        .await?;
        self.commit(txn).await?;
        Ok(row.into())
    }

    /// Lifts a ticket's legal hold; `false` if it had none.
    pub async fn lift_legal_hold(
        &self,
        id: TicketId,
        actor: &Actor,
        key: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let txn = self.write_transaction().await?;
        let deleted = legal_hold::Entity::delete_by_id(id.0).exec(&txn).await?;
        if deleted.rows_affected == 0 {
            return Ok(false);
        }
        append_journal(
            &txn,
            &JournalRecord::new(JournalAction::LegalHoldLifted, actor, Some(id)).key(key),
            now,
        )
        .await?;
        self.commit(txn).await?;
        Ok(true)
    }

    /// Ended cases (closed or cancelled) unchanged since `cutoff`, not anonymised, not held:
    /// oldest first.
    pub async fn due_for_anonymisation(
        &self,
        cutoff: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<TicketId>, StoreError> {
        let held = Query::select()
            .column(legal_hold::Column::TicketId)
            .from(legal_hold::Entity)
            .to_owned();
        let ids: Vec<Uuid> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::Id)
            .filter(ticket::Column::State.is_in([State::Closed.name(), State::Cancelled.name()]))
            .filter(ticket::Column::UpdatedAt.lt(cutoff))
            .filter(ticket::Column::AnonymisedAt.is_null())
            .filter(ticket::Column::Id.not_in_subquery(held))
            .order_by_asc(ticket::Column::UpdatedAt)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids.into_iter().map(TicketId).collect())
    }

    /// Tickets anonymised in the database whose copies outside it are still to be erased,
    /// oldest first.
    pub async fn pending_external_erasures(&self, limit: u64) -> Result<Vec<TicketId>, StoreError> {
        let ids: Vec<Uuid> = external_erasure::Entity::find()
            .select_only()
            .column(external_erasure::Column::TicketId)
            .order_by_asc(external_erasure::Column::QueuedAt)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids.into_iter().map(TicketId).collect())
    }

    /// The copies of `id` outside the database are erased.
    pub async fn external_erasure_done(&self, id: TicketId) -> Result<(), StoreError> {
        external_erasure::Entity::delete_by_id(id.0)
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The Message-IDs of a ticket's mails handed to a transport (to find their copies outside the
    /// database, such as `.eml` files).
    pub async fn message_ids_of(&self, id: TicketId) -> Result<Vec<String>, StoreError> {
        let ids: Vec<Option<String>> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::MessageId)
            .filter(outbox::Column::TicketId.eq(id.0))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids.into_iter().flatten().collect())
    }

    /// Erases a ticket's personal data from every copy in the database ([`DatabaseEraser::ALL`]
    /// and the ticket's document), in one transaction conditional on the ticket's version, and
    /// records it in the journal. Refused while a legal hold applies. Idempotent: several
    /// anonymisers (replicas) may try the same ticket; one does it.
    pub async fn anonymise_ticket(
        &self,
        id: TicketId,
        actor: &Actor,
        key: Option<Uuid>,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<Anonymisation, StoreError> {
        let now = normalise(now);
        let txn = self.write_transaction().await?;
        let row = ticket::Entity::find_by_id(id.0)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound("ticket"))?;
        if row.anonymised_at.is_some() {
            return Ok(Anonymisation::AlreadyDone);
        }
        if legal_hold::Entity::find_by_id(id.0)
            .one(&txn)
            .await?
            .is_some()
        {
            return Ok(Anonymisation::Held);
        }
        let version = row.version;
        let mut stored = from_row(row)?;
        anonymise(&mut stored.ticket);
        let updated = ticket::Entity::update_many()
            .col_expr(
                ticket::Column::Document,
                Expr::value(serde_json::to_value(&stored.ticket)?),
            )
            .col_expr(ticket::Column::AnonymisedAt, Expr::value(now))
            .col_expr(ticket::Column::Version, Expr::value(version + 1))
            .filter(ticket::Column::Id.eq(id.0))
            .filter(ticket::Column::Version.eq(version))
            .filter(ticket::Column::AnonymisedAt.is_null())
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            // Another anonymiser or a command got there first: the next pass looks again.
            return Ok(Anonymisation::AlreadyDone);
        }
        for eraser in DatabaseEraser::ALL {
            eraser.erase(&txn, &stored.ticket, now).await?;
        }
        external_erasure::Entity::insert(external_erasure::ActiveModel {
            ticket_id: Set(id.0),
            queued_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        append_journal(
            &txn,
            &JournalRecord::new(JournalAction::Anonymised, actor, Some(id))
                .key(key)
                .detail(why),
            now,
        )
        .await?;
        self.commit(txn).await?;
        Ok(Anonymisation::Done)
    }

    /// The tickets naming `email` as the victim's contact or the reporter's address (compared
    /// without case), not anonymised, oldest first.
    pub async fn tickets_of_person(&self, email: &str) -> Result<Vec<TicketId>, StoreError> {
        let wanted = email.trim().to_lowercase();
        let mut found = Vec::new();
        let mut after: Option<Uuid> = None;
        loop {
            let mut query = ticket::Entity::find()
                .select_only()
                .columns([ticket::Column::Id, ticket::Column::Document])
                .filter(ticket::Column::AnonymisedAt.is_null())
                .order_by_asc(ticket::Column::Id)
                .limit(500);
            if let Some(after) = after {
                query = query.filter(ticket::Column::Id.gt(after));
            }
            let rows: Vec<(Uuid, Value)> = query.into_tuple().all(&self.db).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.0);
            for (id, document) in rows {
                let names = |pointer: &str| {
                    document
                        .pointer(pointer)
                        .and_then(Value::as_str)
                        .is_some_and(|a| a.trim().to_lowercase() == wanted)
                };
                if names("/data/contact/email") || names("/reporter/email") {
                    found.push(TicketId(id));
                }
            }
        }
        Ok(found)
    }

    /// Everything held about the person at `email`: each of their tickets with its history (free
    /// texts included), its mails and its legal hold. Journalled, one entry per ticket.
    pub async fn export_person(
        &self,
        email: &str,
        actor: &Actor,
        key: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<PersonExport, StoreError> {
        let now = normalise(now);
        let ids = self.tickets_of_person(email).await?;
        let mut tickets = Vec::with_capacity(ids.len());
        for id in &ids {
            let stored = self.get_ticket(TicketKey::Id(*id)).await?;
            let events = self.events(*id).await?;
            let mails = self.outbox_of(*id).await?;
            let hold = self.legal_hold(*id).await?;
            tickets.push(json!({
                "ticket": stored.ticket,
                "events": events.iter().map(|e| json!({"seq": e.seq, "event": e.event, "hash": e.hash})).collect::<Vec<_>>(),
                "mails": mails.iter().map(|m| json!({
                    "template": m.template, "status": m.status, "created_at": m.created_at,
                    "sent_at": m.sent_at, "message_id": m.message_id,
                })).collect::<Vec<_>>(),
                "legal_hold": hold,
            }));
        }
        let txn = self.write_transaction().await?;
        for id in &ids {
            let stored = self.get_ticket(TicketKey::Id(*id)).await?;
            append_journal(
                &txn,
                &JournalRecord::new(JournalAction::SubjectAccess, actor, Some(*id))
                    .key(key)
                    .fields(ticket_domain::privacy::held_fields(&stored.ticket))
                    .detail("access request of the data subject"),
                now,
            )
            .await?;
        }
        self.commit(txn).await?;
        Ok(PersonExport {
            generated_at: now,
            tickets,
        })
    }

    /// After anonymisation, makes erased bytes unrecoverable from the database files: on SQLite
    /// the WAL is checkpointed and truncated (its frames hold old page images; `secure_delete`
    /// already zeroes freed content); on PostgreSQL the tables are vacuumed, so the dead row
    /// versions holding the old values are reclaimed.
    pub async fn compact_after_erasure(&self) -> Result<(), StoreError> {
        match self.backend() {
            DbBackend::Sqlite => {
                // FTS5 keeps a deleted row's terms in its older segments until they are merged:
                // merge them all, so the erased words leave the file.
                self.db
                    .execute_raw(Statement::from_string(
                        DbBackend::Sqlite,
                        "INSERT INTO ticket_search_fts (ticket_search_fts) VALUES ('optimize')",
                    ))
                    .await?;
                self.db
                    .execute_raw(Statement::from_string(
                        DbBackend::Sqlite,
                        "PRAGMA wal_checkpoint(TRUNCATE)",
                    ))
                    .await?;
            }
            _ => {
                for table in [
                    "tickets",
                    "sealed_texts",
                    "outbox",
                    "tracking_secrets",
                    "idempotency_keys",
                    "ticket_search",
                    "inbound_mails",
                ] {
                    self.db
                        .execute_raw(Statement::from_string(
                            self.backend(),
                            format!("VACUUM {table}"),
                        ))
                        .await?;
                }
            }
        }
        Ok(())
    }
}
