//! Who may read and triage a mail (need-to-know): a victim's mail is masked but for `security`
//! and `supervisor`, whose full reads are journalled; the triage desk is `agent`, `security` and
//! `supervisor`.

use super::views::{InboundMailView, view};
use crate::ApiState;
use crate::auth::Principal;
use crate::error::ApiError;
use ticket_domain::privacy::PersonalField;
use ticket_domain::{Role, TicketKind};
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

/// Whether a mail is personal data of the need-to-know rule: it came through the security mailbox
/// (where identity thefts are reported) or belongs to a user usurpation.
pub(super) async fn restricted(state: &ApiState, mail: &InboundMail) -> Result<bool> {
    if mail.source == Source::Imap(ticket_inbox::OperatorMailbox::Security).name() {
        return Ok(true);
    }
    let Some(ticket) = mail.ticket_id else {
        return Ok(false);
    };
    match state.store.get_ticket(TicketKey::Id(ticket)).await {
        Ok(stored) => Ok(stored.ticket.kind() == TicketKind::UserUsurpation),
        Err(StoreError::NotFound(_)) => Ok(false),
        Err(error) => Err(error.into()),
    }
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
