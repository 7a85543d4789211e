//! Receiving a mail: stored once, in the same transaction as what it causes (a comment, a new
//! ticket, a bounce), or quarantined with the reason.

use super::{InboundStatus, mail_from_row};
use super::{Landing, NewInboundMail, Received};
use crate::entities::{inbound_mail, outbox, ticket};
use crate::outbox::Settlement;
use crate::tickets::{allocate_reference, from_row, insert_opened, normalise, write_decision};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter};
use ticket_domain::event::MailReceipt;
use ticket_domain::lifecycle::with_mail_received;
use ticket_domain::values::TicketId;
use ticket_domain::{Actor, Command, NewTicket, Policy, Refusal};
use uuid::Uuid;

/// What a landing wrote, before the mail's own row.
struct Outcome {
    status: InboundStatus,
    reason: Option<String>,
    ticket: Option<TicketId>,
}

fn quarantined(reason: impl Into<String>, ticket: Option<TicketId>) -> Outcome {
    Outcome {
        status: InboundStatus::Quarantined,
        reason: Some(reason.into()),
        ticket,
    }
}

async fn load_ticket(
    txn: &DatabaseTransaction,
    id: TicketId,
) -> Result<crate::tickets::StoredTicket, StoreError> {
    let row = ticket::Entity::find_by_id(id.0)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound("ticket"))?;
    from_row(row)
}

/// A comment of `actor` with the mail's receipt, or the refusal that quarantines the mail.
pub(super) async fn comment(
    txn: &DatabaseTransaction,
    ticket: TicketId,
    actor: &Actor,
    command: Command,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Result<(), Refusal>, StoreError> {
    let stored = load_ticket(txn, ticket).await?;
    let decision = match ticket_domain::decide(&stored.ticket, command, actor, now, policy) {
        Ok(decision) => decision,
        Err(refusal) => return Ok(Err(refusal)),
    };
    write_decision(txn, &decision, stored.version, now, policy).await?;
    Ok(Ok(()))
}

/// Opens a ticket from a mail, in the caller's transaction; the mail's receipt follows its creation.
pub(super) async fn open(
    txn: &DatabaseTransaction,
    mut new: NewTicket,
    actor: &Actor,
    receipt: MailReceipt,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Result<TicketId, Refusal>, StoreError> {
    new.reference_number = allocate_reference(txn, new.data.kind(), now).await?;
    let decision = match ticket_domain::open(new, actor, now, policy) {
        Ok(decision) => with_mail_received(decision, receipt, actor, now, policy),
        Err(refusal) => return Ok(Err(refusal)),
    };
    let id = decision.ticket.id;
    insert_opened(txn, &decision, None, now, policy).await?;
    Ok(Ok(id))
}

/// Marks failed the outbox mails sent as `original`, with what that means on their ticket (a
/// reminder that did not reach the reporter tells the ticket's tier); returns the ticket they
/// announced.
async fn bounce(
    txn: &DatabaseTransaction,
    original: &str,
    reason: &str,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Option<TicketId>, StoreError> {
    let rows = outbox::Entity::find()
        .filter(outbox::Column::MessageId.eq(original))
        .all(txn)
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    Settlement::Bounced { reason }
        .apply_to_handed_over(txn, original)
        .await?;
    for row in &rows {
        crate::outbox::record_outcome(
            txn,
            row.id,
            crate::outbox::Outcome::Undeliverable,
            now,
            policy,
        )
        .await?;
    }
    Ok(Some(TicketId(first.ticket_id)))
}

/// What a mail does, written in `txn`: the comment or the ticket it lands as, the bounce it
/// reports, or why it is quarantined or ignored.
async fn land(
    txn: &DatabaseTransaction,
    id: Uuid,
    mail: &NewInboundMail,
    landing: &Landing,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Outcome, StoreError> {
    let receipt = |opened| MailReceipt {
        mail: id,
        sha256: mail.sha256.clone(),
        opened,
    };
    Ok(match landing {
        Landing::Comment {
            ticket,
            actor,
            body,
            internal,
        } => {
            let command = Command::ReceiveMail {
                body: body.clone(),
                internal: *internal,
                receipt: receipt(false),
            };
            match comment(txn, *ticket, actor, command, now, policy).await? {
                Ok(()) => Outcome {
                    status: InboundStatus::Landed,
                    reason: None,
                    ticket: Some(*ticket),
                },
                Err(refusal) => quarantined(
                    format!("refused on the ticket: {}", refusal.detail),
                    Some(*ticket),
                ),
            }
        }
        Landing::Open { new, actor } => {
            match open(txn, (**new).clone(), actor, receipt(true), now, policy).await? {
                Ok(ticket) => Outcome {
                    status: InboundStatus::Opened,
                    reason: None,
                    ticket: Some(ticket),
                },
                Err(refusal) => quarantined(format!("no ticket opened: {}", refusal.detail), None),
            }
        }
        Landing::Quarantine { reason, ticket } => quarantined(reason.clone(), *ticket),
        Landing::Ignore { reason, ticket } => Outcome {
            status: InboundStatus::Ignored,
            reason: Some(reason.clone()),
            ticket: *ticket,
        },
        Landing::Bounce { original, reason } => {
            let ticket = match original {
                Some(original) => bounce(txn, original, reason, now, policy).await?,
                None => None,
            };
            let reason = if ticket.is_some() {
                reason.clone()
            } else {
                format!("{reason} (no mail of ours matches it)")
            };
            Outcome {
                status: InboundStatus::Bounce,
                reason: Some(reason),
                ticket,
            }
        }
    })
}

impl Store {
    /// Stores an inbound mail and what it does, in one transaction. A mail whose Message-ID is
    /// already stored writes nothing ([`Received::Duplicate`]). A comment or an opening the domain
    /// refuses (a closed ticket, a partner outside its scope…) quarantines the mail with the
    /// refusal's words instead.
    pub async fn receive_mail(
        &self,
        mail: NewInboundMail,
        landing: Landing,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<Received, StoreError> {
        const ATTEMPTS: usize = 5;
        let now = normalise(now);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_receive(&mail, &landing, now, policy).await {
                Err(StoreError::VersionConflict { .. }) if attempt < ATTEMPTS => continue,
                Err(error) if error.is_unique_violation() => return Ok(Received::Duplicate),
                other => return other,
            }
        }
    }

    async fn try_receive(
        &self,
        mail: &NewInboundMail,
        landing: &Landing,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<Received, StoreError> {
        let txn = self.write_transaction().await?;
        let seen = inbound_mail::Entity::find()
            .filter(inbound_mail::Column::MessageId.eq(mail.message_id.as_str()))
            .count(&txn)
            .await?;
        if seen > 0 {
            txn.rollback().await?;
            return Ok(Received::Duplicate);
        }
        let id = Uuid::now_v7();
        let outcome = land(&txn, id, mail, landing, now, policy).await?;
        let row = inbound_mail::Model {
            id,
            message_id: mail.message_id.clone(),
            sha256: mail.sha256.clone(),
            source: mail.source.clone(),
            status: outcome.status.name().to_owned(),
            reason: outcome.reason,
            ticket_id: outcome.ticket.map(|t| t.0),
            sender: mail.sender.clone(),
            subject: mail.subject.clone(),
            raw: Some(mail.raw.clone()),
            attachments: mail.attachments.clone(),
            received_at: now,
            decided_at: None,
            decided_by: None,
        };
        inbound_mail::Entity::insert(inbound_mail::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await?;
        self.commit(txn).await?;
        Ok(Received::Stored(Box::new(mail_from_row(row)?)))
    }
}
