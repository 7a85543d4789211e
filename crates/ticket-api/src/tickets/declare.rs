//! The declarations whose checks are their own: an incident, a support request. Each checks the
//! body field by field into the ticket to open (usurpations: [`super::usurpation`]).

use super::create::{follow_up, new_ticket, organisation_exists};
use super::requests::{Checks, IncidentRequest, SupportRequestRequest, field};
use crate::ApiState;
use crate::auth::Principal;
use crate::error::ApiError;
use ticket_domain::kind::{IncidentData, KindData, SupportRequestData};
use ticket_domain::values::{LONG_TEXT, SHORT_TEXT, ServiceId};
use ticket_domain::{NewTicket, Priority};

type Result<T> = std::result::Result<T, ApiError>;

/// An incident: a partner on its own organisation (and services), staff for any organisation,
/// named or found from the service.
pub(crate) async fn incident(
    state: &ApiState,
    principal: &Principal,
    request: IncidentRequest,
) -> Result<NewTicket> {
    let mut checks = Checks::default();
    let title = checks.text("title", &request.title, SHORT_TEXT);
    let impact = checks.text("impact", &request.impact, LONG_TEXT);
    let email = checks.email("reporter_email", request.reporter_email.as_ref());
    let service = match request.service_id {
        Some(id) => match state.store.service_snapshot(ServiceId(id)).await {
            Ok(snapshot) => Some(snapshot),
            Err(_) => {
                checks.push(field(
                    "service_id",
                    "registered_service",
                    "no service of the registry has this id",
                ));
                None
            }
        },
        None => None,
    };
    let mut organisation = match request.organisation_id {
        Some(id) => organisation_exists(state, id, "organisation_id", &mut checks).await,
        None => None,
    };
    if organisation.is_none() {
        organisation = service.as_ref().map(|s| s.organisation);
    }
    if principal.is_staff() && organisation.is_none() && request.organisation_id.is_none() {
        checks.push(field(
            "organisation_id",
            "required",
            "staff declare an incident for an organisation: give organisation_id or service_id",
        ));
    }
    let follow_up_of =
        follow_up(state, principal, request.follow_up_of.as_ref(), &mut checks).await;
    checks.finish()?;
    let (Some(title), Some(impact)) = (title, impact) else {
        return Err(ApiError::invalid(Vec::new()));
    };
    let data = KindData::Incident(IncidentData {
        service,
        started_at: request.started_at,
        impact,
        security: request.security,
    });
    let mut new = new_ticket(title, data, organisation, email, request.language);
    new.proposed_priority = request.proposed_priority.map(Priority::from);
    new.follow_up_of = follow_up_of;
    Ok(new)
}

/// A support request: a question, optionally for an organisation.
pub(crate) async fn support_request(
    state: &ApiState,
    request: SupportRequestRequest,
) -> Result<NewTicket> {
    let mut checks = Checks::default();
    let title = checks.text("title", &request.title, SHORT_TEXT);
    let question = checks.text("question", &request.question, LONG_TEXT);
    let email = checks.email("reporter_email", request.reporter_email.as_ref());
    let organisation = match request.organisation_id {
        Some(id) => organisation_exists(state, id, "organisation_id", &mut checks).await,
        None => None,
    };
    checks.finish()?;
    let (Some(title), Some(question)) = (title, question) else {
        return Err(ApiError::invalid(Vec::new()));
    };
    let data = KindData::SupportRequest(SupportRequestData { question });
    let new = new_ticket(title, data, organisation, email, request.language);
    Ok(new)
}
