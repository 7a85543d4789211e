//! Who may read and triage a mail (need-to-know): a victim's mail (of their case, of the security
//! mailbox, or sent by them, threading to no ticket or not) is masked but for `security`
//! and `supervisor`, whose full reads are journalled; the triage desk is `agent`, `security` and
//! `supervisor`.

use super::views::{InboundMailView, view};
use crate::ApiState;
use crate::auth::Principal;
use crate::error::ApiError;
use std::collections::HashSet;
use ticket_domain::Role;
use ticket_domain::privacy::{MailOrigin, PersonalField, is_victims_mail};
use ticket_inbox::Source;
use ticket_store::StoreError;
use ticket_store::inbound::InboundMail;
use ticket_store::privacy::{JournalAction, JournalRecord};
use ticket_store::tickets::TicketKey;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// Whether the reader sees a victim's data in full (need-to-know).
pub(super) fn sees_in_full(principal: &Principal) -> bool {
    ticket_domain::privacy::victims_mail_disclosure(
        &principal.actor,
        ticket_domain::privacy::Purpose::Read,
    ) == ticket_domain::privacy::Disclosure::Full
}

/// Whether a mail is a victim's (rule `ticket_domain::privacy::is_victims_mail`): it came through
/// the security mailbox, belongs to a user usurpation, or its sender is a victim's contact.
pub(super) async fn restricted(state: &ApiState, mail: &InboundMail) -> Result<bool> {
    let victims = victims_among(state, std::slice::from_ref(mail)).await?;
    restricted_among(state, mail, &victims).await
}

/// The senders of `mails` who are victims (lowercased), looked up once for a whole page.
pub(super) async fn victims_among(
    state: &ApiState,
    mails: &[InboundMail],
) -> Result<HashSet<String>> {
    let senders: Vec<&str> = mails.iter().filter_map(|m| m.sender.as_deref()).collect();
    Ok(state.store.victims_among(&senders).await?)
}

/// [`restricted`], the victims among the senders known.
pub(super) async fn restricted_among(
    state: &ApiState,
    mail: &InboundMail,
    victims: &HashSet<String>,
) -> Result<bool> {
    let ticket = match mail.ticket_id {
        None => None,
        Some(ticket) => match state.store.get_ticket(TicketKey::Id(ticket)).await {
            Ok(stored) => Some(stored.ticket.kind()),
            Err(StoreError::NotFound(_)) => None,
            Err(error) => return Err(error.into()),
        },
    };
    let origin = MailOrigin {
        security_mailbox: mail.source
            == Source::Imap(ticket_inbox::OperatorMailbox::Security).name(),
        ticket,
        sender_is_a_victim: mail
            .sender
            .as_deref()
            .is_some_and(|s| victims.contains(&s.trim().to_lowercase())),
    };
    Ok(is_victims_mail(&origin))
}

/// Journals a full read of a restricted mail.
pub(super) async fn journal(
    state: &ApiState,
    principal: &Principal,
    mail: &InboundMail,
    fields: Vec<PersonalField>,
    what: &str,
) -> Result<()> {
    let record = JournalRecord::new(
        JournalAction::InboundMailRead,
        &principal.actor,
        mail.ticket_id,
    )
    .key(Some(principal.key.id))
    .fields(fields)
    .detail(&format!("{what} of inbound mail {}", mail.id));
    state.store.journal(&record, state.clock.now()).await?;
    Ok(())
}

/// One mail as `principal` reads it: masked, or in full and journalled.
pub(super) async fn read_view(
    state: &ApiState,
    principal: &Principal,
    mail: InboundMail,
) -> Result<InboundMailView> {
    if !restricted(state, &mail).await? {
        return Ok(view(mail, false));
    }
    if !sees_in_full(principal) {
        return Ok(view(mail, true));
    }
    journal(
        state,
        principal,
        &mail,
        vec![PersonalField::Email, PersonalField::OwnWords],
        "sender and subject",
    )
    .await?;
    Ok(view(mail, false))
}

/// The triage desk: agents, security officers, supervisors.
fn require_triage(principal: &Principal) -> Result<()> {
    principal.require_staff()?;
    if matches!(
        principal.role(),
        Some(Role::Agent | Role::Security | Role::Supervisor)
    ) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "role-not-allowed",
            "Only agents, security officers and supervisors triage inbound mails.",
        ))
    }
}

pub(super) fn security_required() -> ApiError {
    ApiError::forbidden(
        "security-role-required",
        "This mail belongs to an identity-theft case or the security mailbox: only security \
         officers and supervisors may read it in full or triage it.",
    )
}

/// A quarantined mail the caller may triage: 404, or 403 on a restricted mail.
pub(super) async fn triageable(
    state: &ApiState,
    principal: &Principal,
    id: Uuid,
) -> Result<InboundMail> {
    require_triage(principal)?;
    let mail = state.store.get_inbound(id).await?;
    if restricted(state, &mail).await? && !sees_in_full(principal) {
        return Err(security_required());
    }
    Ok(mail)
}
