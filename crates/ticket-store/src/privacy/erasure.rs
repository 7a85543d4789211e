//! Anonymisation: the erasers that reach every copy of a ticket's personal data in the database,
//! the tickets due, the erasures outside the database still to do, and the compaction after.

use super::journal::{JournalAction, JournalRecord, append_journal};
use crate::entities::{
    external_erasure, idempotency_key, legal_hold, outbox, sealed_text, ticket, tracking_secret,
};
use crate::tickets::{from_row, normalise};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use ticket_domain::privacy::anonymise;
use ticket_domain::values::TicketId;
use ticket_domain::{Actor, State};
use uuid::Uuid;

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

impl Store {
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
            // The personal data every reader sees (in full or masked) changed.
            .col_expr(ticket::Column::StaffVersion, Expr::value(version + 1))
            .col_expr(ticket::Column::PublicVersion, Expr::value(version + 1))
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
        // The chain records the erasure, so an export without the sealed texts still proves
        // complete (the files are recorded when they are erased).
        crate::tickets::append_service_event(
            &txn,
            id,
            ticket_domain::EventData::PersonalDataErased {
                sealed_texts: true,
                files: Vec::new(),
            },
            now,
        )
        .await?;
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
}

impl Store {
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
