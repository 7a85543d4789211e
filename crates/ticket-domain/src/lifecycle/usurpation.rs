//! Commands on usurpation cases: qualifying a user's report, the organisations concerned and the
//! partner's compromised credentials (rule "Ticket kinds", closure conditions of usurpations).

use super::change::{Change, set_resolution};
use super::permits::check_notified;
use crate::actor::Actor;
use crate::event::{EventData, Visibility};
use crate::kind::{KindData, Qualification};
use crate::refusal::{Refusal, Rule};
use crate::ticket::{ConcernedOrganisation, ConcernedRole, CredentialsOutcome, State};
use crate::values::{FieldError, OrganisationId, Text};

/// `security` qualifies a user usurpation report: confirmed (work goes on, the organisations are
/// told) or unfounded (resolved with the explanation the reporter receives).
pub(super) fn qualify(
    change: &mut Change<'_>,
    qualification: Qualification,
) -> Result<(), Refusal> {
    let state = change.ticket.state;
    if let KindData::UserUsurpation(d) = &mut change.ticket.data {
        d.qualification = Some(qualification.clone());
    }
    let event = EventData::Qualified {
        qualification: qualification.clone(),
    };
    match qualification {
        Qualification::Confirmed => {
            // The mails to the organisations are written with this event; each is notified once
            // the mail server accepted its mail (`RecordMailDelivered`).
            if state == State::Acknowledged {
                change.transition(State::InProgress, Visibility::Public, event);
            } else {
                change.record(Visibility::Public, None, event);
            }
        }
        Qualification::Unfounded { explanation } => {
            set_resolution(&mut change.ticket, change.now, explanation);
            change.transition(State::Resolved, Visibility::Public, event);
        }
    }
    Ok(())
}

/// An organisation concerned was notified through another channel than mail.
pub(super) fn record_organisation_notified(
    change: &mut Change<'_>,
    organisation: OrganisationId,
) -> Result<(), Refusal> {
    check_notified(&change.ticket, organisation)?;
    let now = change.now;
    let Some(concerned) = change
        .ticket
        .concerned
        .iter_mut()
        .find(|c| c.organisation == organisation)
    else {
        return Err(Refusal::new(
            Rule::OrganisationNotConcerned,
            "this organisation is not concerned by the ticket",
        ));
    };
    concerned.notified_at = Some(now);
    let role = concerned.role;
    change.record(
        Visibility::Internal,
        None,
        EventData::OrganisationNotified { organisation, role },
    );
    Ok(())
}

/// An organisation found during the investigation joins the set; it must be notified before closure.
pub(super) fn add_concerned_organisation(
    change: &mut Change<'_>,
    organisation: OrganisationId,
    role: ConcernedRole,
) -> Result<(), Refusal> {
    if change
        .ticket
        .concerned
        .iter()
        .any(|c| c.organisation == organisation)
    {
        return Err(FieldError::new(
            "organisation",
            "not_yet_concerned",
            "this organisation is already concerned by the ticket",
        )
        .into());
    }
    change.ticket.concerned.push(ConcernedOrganisation {
        organisation,
        role,
        notified_at: None,
    });
    change.record(
        Visibility::Internal,
        None,
        EventData::OrganisationConcerned { organisation, role },
    );
    Ok(())
}

pub(super) fn record_credentials_revoked(
    change: &mut Change<'_>,
    note: Text,
) -> Result<(), Refusal> {
    change.ticket.credentials = Some(CredentialsOutcome::Revoked {
        at: change.now,
        note: note.clone(),
    });
    change.record(
        Visibility::Internal,
        None,
        EventData::CredentialsRevoked { note },
    );
    Ok(())
}

/// `security` waives the revocation in writing, under its own name.
pub(super) fn waive_revocation(change: &mut Change<'_>, note: Text) -> Result<(), Refusal> {
    let Actor::Staff { handle, .. } = &change.actor else {
        return Err(Refusal::new(
            Rule::SecurityRoleRequired,
            "only the security role may waive the revocation of credentials",
        ));
    };
    change.ticket.credentials = Some(CredentialsOutcome::Waived {
        at: change.now,
        by: handle.clone(),
        note: note.clone(),
    });
    change.record(
        Visibility::Internal,
        None,
        EventData::RevocationWaived { note },
    );
    Ok(())
}
