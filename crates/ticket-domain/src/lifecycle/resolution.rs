//! Commands that resolve, close and reopen a ticket (rules "Lifecycle", "Closure conditions"), and
//! the delivered mails that prove a closure condition.

use super::change::{Change, reopen_after_rejection, set_resolution};
use crate::actor::Actor;
use crate::closure::{self, ClosureProof, ClosureReason};
use crate::event::{EventData, Visibility};
use crate::notify::{Recipient, Template};
use crate::refusal::Refusal;
use crate::ticket::{Confirmation, State};
use crate::values::{FieldError, Text};
use chrono::{DateTime, Utc};

pub(super) fn resolve(change: &mut Change<'_>, summary: Text) -> Result<(), Refusal> {
    set_resolution(&mut change.ticket, change.now, summary.clone());
    change.transition(
        State::Resolved,
        Visibility::Public,
        EventData::Resolved { summary },
    );
    Ok(())
}

/// The reporter confirms in writing; the ticket closes at once when closure condition 1 is met.
pub(super) fn confirm_resolution(change: &mut Change<'_>) -> Result<(), Refusal> {
    let now = change.now;
    change.ticket.confirmation = Some(Confirmation::Written { at: now });
    change.record(Visibility::Public, None, EventData::ResolutionConfirmed);
    let proof = ClosureProof::default();
    if closure::unmet_conditions(
        &change.ticket,
        ClosureReason::ResolvedConfirmed,
        &proof,
        now,
        change.policy,
    )
    .is_empty()
    {
        change.close(ClosureReason::ResolvedConfirmed, None);
    }
    Ok(())
}

/// The reporter says it is not fixed (`reject_resolution`), or staff record they said so
/// (`record_not_fixed`): back to work.
pub(super) fn reject_resolution(change: &mut Change<'_>, reason: Text) -> Result<(), Refusal> {
    reopen_after_rejection(&mut change.ticket, change.now);
    change.transition(
        State::InProgress,
        Visibility::Public,
        EventData::ResolutionRejected { reason },
    );
    Ok(())
}

/// Closes for `reason` when each of its conditions is met; the refusal names every unmet one.
pub(super) fn close(
    change: &mut Change<'_>,
    reason: ClosureReason,
    proof: ClosureProof,
) -> Result<(), Refusal> {
    let now = change.now;
    let unmet = closure::unmet_conditions(&change.ticket, reason, &proof, now, change.policy);
    if let Some(first) = unmet.first() {
        let missing: Vec<&str> = unmet.iter().map(|u| u.missing.as_str()).collect();
        let mut refusal = Refusal::new(
            first.rule,
            format!("cannot close as {reason}: {}", missing.join("; ")),
        );
        // Every unmet condition, named, so a client need not parse `detail`.
        refusal.errors = unmet
            .iter()
            .map(|u| FieldError::new("reason", u.rule.name(), u.missing.clone()))
            .collect();
        return Err(refusal);
    }
    if reason == ClosureReason::ResolvedConfirmed
        && change.ticket.confirmation.is_none()
        && let (Some(note), Actor::Staff { handle, .. }) = (&proof.note, &change.actor)
    {
        change.ticket.confirmation = Some(Confirmation::Verbal {
            at: now,
            recorded_by: handle.clone(),
            note: note.clone(),
        });
    }
    change.close(reason, proof.note);
    Ok(())
}

/// Reopens a closed ticket (within the reopen window, checked by its permit).
pub(super) fn reopen(change: &mut Change<'_>, reason: Text) -> Result<(), Refusal> {
    let now = change.now;
    let t = &mut change.ticket;
    t.closure = None;
    t.resolution = None;
    t.confirmation = None;
    t.handling_clock.resume(now);
    change.transition(
        State::InProgress,
        Visibility::Public,
        EventData::Reopened { reason },
    );
    Ok(())
}

/// What a delivered mail proves: the reporter told of the current resolution (closure condition
/// 4) or reminded during the current wait (condition 3), or an organisation concerned notified. Records an internal event when it proves something
/// new; a mail about an earlier resolution, or to an organisation already notified, changes nothing.
/// A mail refused for good or bounced. A reminder of the current wait (DOMAIN.md, closure
/// condition 3): the automatic closure keeps waiting for a delivered one, and whoever handles the
/// ticket is told the reporter was not reached. Any other mail: nothing to record here (the
/// outbox shows it failed).
pub(super) fn record_mail_undeliverable(
    change: &mut Change<'_>,
    template: Template,
    recipient: Recipient,
    event_at: DateTime<Utc>,
    failed_at: DateTime<Utc>,
) -> Result<(), Refusal> {
    let of_current_wait = matches!(
        (template, recipient),
        (Template::ReporterReminder, Recipient::Reporter)
    ) && change
        .ticket
        .waiting_since
        .is_some_and(|since| since <= event_at);
    if of_current_wait {
        change.record(
            Visibility::Internal,
            None,
            EventData::ReminderUndeliverable { failed_at },
        );
    }
    Ok(())
}

pub(super) fn record_mail_delivered(
    change: &mut Change<'_>,
    template: Template,
    recipient: Recipient,
    event_at: DateTime<Utc>,
    delivered_at: DateTime<Utc>,
) -> Result<(), Refusal> {
    let t = &mut change.ticket;
    let proved = match (template, recipient) {
        (
            Template::ResolutionConfirmationRequest | Template::UnfoundedExplanation,
            Recipient::Reporter,
        ) => match &mut t.resolution {
            Some(resolution) if resolution.at <= event_at && !resolution.reporter_notified => {
                resolution.reporter_notified = true;
                true
            }
            _ => false,
        },
        // Closure condition 3: a reminder of the current wait reached the mail server.
        (Template::ReporterReminder, Recipient::Reporter) => match t.waiting_since {
            Some(since)
                if since <= event_at
                    && t.last_reminder_delivered_at
                        .is_none_or(|d| d < delivered_at) =>
            {
                t.last_reminder_delivered_at = Some(delivered_at);
                true
            }
            _ => false,
        },
        (
            Template::UsurpationConfirmed | Template::PartnerImpersonationDetected,
            Recipient::OrganisationContacts(organisation),
        ) => match t
            .concerned
            .iter_mut()
            .find(|c| c.organisation == organisation && c.notified_at.is_none())
        {
            Some(concerned) => {
                concerned.notified_at = Some(delivered_at);
                true
            }
            None => false,
        },
        _ => false,
    };
    if proved {
        change.record(
            Visibility::Internal,
            None,
            EventData::MailDelivered {
                template,
                recipient,
                delivered_at,
            },
        );
    }
    Ok(())
}
