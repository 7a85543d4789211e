//! Inbound mails as a person's data (rule "Personal data"): whose mail is a victim's, what a
//! person's export carries of their mails, and the erasure of mails that thread to no ticket (a
//! ticket's own mails are erased with the ticket, see [`crate::privacy::DatabaseEraser`]).

use super::{InboundMail, InboundStatus, mail_from_row};
use crate::entities::{inbound_mail, legal_hold, ticket};
use crate::privacy::{JournalAction, JournalRecord, append_journal};
use crate::tickets::normalise;
use crate::{Store, StoreError};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use std::collections::HashSet;
use ticket_domain::{Actor, TicketKind};
use uuid::Uuid;

/// Who erased a mail's content, as its `decided_by` when the erasure took it out of the quarantine.
const RETENTION: &str = "retention";
const ERASURE_REQUEST: &str = "erasure request";

fn sender_is(email: &str) -> sea_orm::sea_query::SimpleExpr {
    Expr::expr(Func::lower(Expr::col(inbound_mail::Column::Sender))).eq(email.trim().to_lowercase())
}

impl Store {
    /// Of `senders`, the addresses (lowercased) that are the contact of a victim of a user
    /// usurpation not anonymised yet. One pass over those cases, whatever the number of senders.
    pub async fn victims_among(&self, senders: &[&str]) -> Result<HashSet<String>, StoreError> {
        let wanted: HashSet<String> = senders
            .iter()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        let mut found = HashSet::new();
        if wanted.is_empty() {
            return Ok(found);
        }
        let mut after: Option<Uuid> = None;
        loop {
            let mut query = ticket::Entity::find()
                .select_only()
                .columns([ticket::Column::Id, ticket::Column::Document])
                .filter(ticket::Column::Kind.eq(TicketKind::UserUsurpation.name()))
                .filter(ticket::Column::AnonymisedAt.is_null())
                .order_by_asc(ticket::Column::Id)
                .limit(500);
            if let Some(after) = after {
                query = query.filter(ticket::Column::Id.gt(after));
            }
            let rows: Vec<(Uuid, Value)> = query.into_tuple().all(&self.db).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.0);
            for (_, document) in rows {
                if let Some(address) = document
                    .pointer("/data/contact/email")
                    .and_then(Value::as_str)
                    .map(|a| a.trim().to_lowercase())
                    && wanted.contains(&address)
                {
                    found.insert(address);
                }
            }
        }
        Ok(found)
    }

    /// Every inbound mail `email` sent (compared without case), oldest first, as a person's
    /// export gives it: what is stored of it, and its raw message (as text when it is UTF-8, in
    /// base64 otherwise) until erased.
    pub async fn inbound_of_person(&self, email: &str) -> Result<Vec<Value>, StoreError> {
        let rows = inbound_mail::Entity::find()
            .filter(sender_is(email))
            .order_by_asc(inbound_mail::Column::ReceivedAt)
            .order_by_asc(inbound_mail::Column::Id)
            .all(&self.db)
            .await?;
        let mut mails = Vec::with_capacity(rows.len());
        for row in rows {
            let raw = row.raw.clone();
            let mail: InboundMail = mail_from_row(row)?;
            let mut value = json!({
                "id": mail.id,
                "message_id": mail.message_id,
                "sha256": mail.sha256,
                "source": mail.source,
                "status": mail.status,
                "reason": mail.reason,
                "ticket_id": mail.ticket_id,
                "sender": mail.sender,
                "subject": mail.subject,
                "attachments": mail.attachments,
                "received_at": mail.received_at,
            });
            match raw.map(String::from_utf8) {
                Some(Ok(text)) => value["raw"] = Value::String(text),
                Some(Err(bytes)) => {
                    value["raw_base64"] = Value::String(
                        base64::engine::general_purpose::STANDARD.encode(bytes.into_bytes()),
                    );
                }
                None => {}
            }
            mails.push(value);
        }
        Ok(mails)
    }

    /// Erasure request: erases the mails `email` sent (compared without case) — raw bytes, sender,
    /// subject, file list — except those of a ticket under a legal hold; a quarantined one leaves
    /// the quarantine (dropped). Returns how many were erased.
    pub async fn erase_inbound_of_person(
        &self,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let held = Query::select()
            .column(legal_hold::Column::TicketId)
            .from(legal_hold::Entity)
            .to_owned();
        let which = Condition::all().add(sender_is(email)).add(
            Condition::any()
                .add(inbound_mail::Column::TicketId.is_null())
                .add(inbound_mail::Column::TicketId.not_in_subquery(held)),
        );
        let txn = self.write_transaction().await?;
        let erased = erase_mails(&txn, which, ERASURE_REQUEST, normalise(now)).await?;
        self.commit(txn).await?;
        Ok(erased)
    }

    /// Retention: erases the mails that thread to no ticket received before `cutoff` (the
    /// retention period after their receipt: nothing else ends them), journalled as one
    /// anonymisation. Returns how many were erased.
    pub async fn erase_stray_inbound(
        &self,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let now = normalise(now);
        let which = Condition::all()
            .add(inbound_mail::Column::TicketId.is_null())
            .add(inbound_mail::Column::ReceivedAt.lt(cutoff))
            .add(
                Condition::any()
                    .add(inbound_mail::Column::Raw.is_not_null())
                    .add(inbound_mail::Column::Sender.is_not_null())
                    .add(inbound_mail::Column::Subject.is_not_null()),
            );
        let txn = self.write_transaction().await?;
        let erased = erase_mails(&txn, which, RETENTION, now).await?;
        if erased > 0 {
            append_journal(
                &txn,
                &JournalRecord::new(JournalAction::Anonymised, &Actor::System, None).detail(
                    &format!("{erased} inbound mail(s) threading to no ticket erased (retention)"),
                ),
                now,
            )
            .await?;
        }
        self.commit(txn).await?;
        Ok(erased)
    }
}

/// Takes the quarantined mails among `which` out of the quarantine (dropped by `by`), then erases
/// the content of all of them.
async fn erase_mails(
    txn: &DatabaseTransaction,
    which: Condition,
    by: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    inbound_mail::Entity::update_many()
        .col_expr(
            inbound_mail::Column::Status,
            Expr::value(InboundStatus::Dropped.name()),
        )
        .col_expr(inbound_mail::Column::DecidedAt, Expr::value(Some(now)))
        .col_expr(inbound_mail::Column::DecidedBy, Expr::value(Some(by)))
        .filter(which.clone())
        .filter(inbound_mail::Column::Status.eq(InboundStatus::Quarantined.name()))
        .exec(txn)
        .await?;
    let erased = inbound_mail::Entity::update_many()
        .col_expr(
            inbound_mail::Column::Raw,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(
            inbound_mail::Column::Sender,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            inbound_mail::Column::Subject,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            inbound_mail::Column::Attachments,
            Expr::value(serde_json::json!([])),
        )
        .filter(which)
        .exec(txn)
        .await?;
    Ok(erased.rows_affected)
}
