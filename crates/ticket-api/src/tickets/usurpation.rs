//! Reports of a usurpation through the API: the body checked into a ticket to open.

use super::create::{follow_up, new_ticket, organisation_exists};
use super::read::now;
use super::requests::{
    Checks, PartnerUsurpationRequest, UserUsurpationRequest, VictimInput, field,
};
use crate::ApiState;
use crate::auth::Principal;
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use ticket_domain::NewTicket;
use ticket_domain::kind::{
    BirthIdentity, Contact, KindData, PartnerUsurpationData, UserUsurpationData,
};
use ticket_domain::personal::Personal;
use ticket_domain::public_report::birth_date_error;
use ticket_domain::values::{LONG_TEXT, SHORT_TEXT, Text};

type Result<T> = std::result::Result<T, ApiError>;

/// Someone impersonates a partner: a partner reports its own case, staff name the partner.
pub(crate) async fn partner_usurpation(
    state: &ApiState,
    principal: &Principal,
    request: PartnerUsurpationRequest,
) -> Result<NewTicket> {
    let mut checks = Checks::default();
    let title = checks.text("title", &request.title, SHORT_TEXT);
    let description = checks.text("description", &request.description, LONG_TEXT);
    let email = checks.email("reporter_email", request.reporter_email.as_ref());
    let partner = match (request.partner_id, principal.organisation()) {
        (Some(id), _) => organisation_exists(state, id, "partner_id", &mut checks).await,
        (None, Some(own)) => Some(own),
        (None, None) => {
            checks.push(field(
                "partner_id",
                "required",
                "staff name the impersonated partner",
            ));
            None
        }
    };
    let follow_up_of =
        follow_up(state, principal, request.follow_up_of.as_ref(), &mut checks).await;
    checks.finish()?;
    let (Some(title), Some(description), Some(partner)) = (title, description, partner) else {
        return Err(ApiError::invalid(Vec::new()));
    };
    let data = KindData::PartnerUsurpation(PartnerUsurpationData {
        detected_by: request.detected_by.into(),
        partner,
        vectors: request.vectors.into_iter().map(Into::into).collect(),
        description,
    });
    let mut new = new_ticket(title, data, Some(partner), email, request.language);
    new.follow_up_of = follow_up_of;
    Ok(new)
}

/// A user's identity was used by someone else: the victim's identity as far as known, each field
/// checked.
pub(crate) async fn user_usurpation(
    state: &ApiState,
    principal: &Principal,
    request: UserUsurpationRequest,
) -> Result<NewTicket> {
    let mut checks = Checks::default();
    let title = match &request.title {
        Some(t) => checks.text("title", t, SHORT_TEXT),
        None => Text::parse("title", "Usurpation d'identité", SHORT_TEXT).ok(),
    };
    let email = checks.email("reporter_email", request.reporter_email.as_ref());
    let victim = request.victim.clone().unwrap_or(VictimInput {
        birth_names: None,
        first_names: None,
        birth_date: None,
        birth_place: None,
        email: None,
        phone: None,
    });
    let (identity, contact) = victim_of(&victim, now(state), &mut checks);
    let description = checks
        .optional_text("description", request.description.as_ref(), LONG_TEXT)
        .map(|t| Personal::new(t.as_str().to_owned()));
    let identity_provider = match request.identity_provider_id {
        Some(id) => organisation_exists(state, id, "identity_provider_id", &mut checks).await,
        None => None,
    };
    let mut service_providers = Vec::new();
    for (i, id) in request.service_provider_ids.iter().enumerate() {
        if let Some(o) = organisation_exists(
            state,
            *id,
            &format!("service_provider_ids[{i}]"),
            &mut checks,
        )
        .await
        {
            service_providers.push(o);
        }
    }
    let follow_up_of =
        follow_up(state, principal, request.follow_up_of.as_ref(), &mut checks).await;
    checks.finish()?;
    let Some(title) = title else {
        return Err(ApiError::invalid(Vec::new()));
    };
    let data = KindData::UserUsurpation(UserUsurpationData {
        reported_by: request.reported_by.into(),
        session_id: request.session_id,
        suspicious_connection_at: request.suspicious_connection_at,
        suspicious_connection_date: None,
        identity_provider,
        service_providers,
        victim: identity,
        contact,
        description,
        consent: request.consent,
        qualification: None,
    });
    let mut new = new_ticket(
        title,
        data,
        principal.organisation(),
        email,
        request.language,
    );
    new.follow_up_of = follow_up_of;
    Ok(new)
}

/// The victim's birth identity and contact, each field checked (errors in `checks`).
fn victim_of(
    victim: &VictimInput,
    now: DateTime<Utc>,
    checks: &mut Checks,
) -> (BirthIdentity, Contact) {
    let identity = BirthIdentity {
        birth_names: checks
            .optional_text(
                "victim.birth_names",
                victim.birth_names.as_ref(),
                SHORT_TEXT,
            )
            .map(|t| Personal::new(t.as_str().to_owned())),
        first_names: checks
            .optional_text(
                "victim.first_names",
                victim.first_names.as_ref(),
                SHORT_TEXT,
            )
            .map(|t| Personal::new(t.as_str().to_owned())),
        birth_date: victim.birth_date.and_then(|date| {
            match birth_date_error("victim.birth_date", date, now) {
                Some(error) => {
                    checks.push(error.into());
                    None
                }
                None => Some(Personal::new(date)),
            }
        }),
        birth_place: checks
            .optional_text(
                "victim.birth_place",
                victim.birth_place.as_ref(),
                SHORT_TEXT,
            )
            .map(|t| Personal::new(t.as_str().to_owned())),
    };
    let contact = Contact {
        email: checks.email("victim.email", victim.email.as_ref()),
        phone: checks.phone("victim.phone", victim.phone.as_ref()),
    };
    (identity, contact)
}
