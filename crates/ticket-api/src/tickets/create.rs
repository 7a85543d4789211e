//! Creating a ticket: retry protection, the checks shared by the declarations, the store call.

use super::CreatedResponse;
use super::read::{now, read_view};
use super::requests::{Checks, field};
use crate::ApiState;
use crate::auth::Principal;
use crate::dto::{LanguageDto, etag};
use crate::error::ApiError;
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;
use sha2::{Digest, Sha256};
use ticket_domain::audience::Audience;
use ticket_domain::kind::KindData;
use ticket_domain::values::{EmailAddress, OrganisationId, Text, TicketId};
use ticket_domain::{Language, NewTicket};
use ticket_store::tickets::{IdempotencyRequest, TicketKey};
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// SHA-256 of the request's canonical JSON: two requests with the same content have the same hash.
fn request_hash(body: &impl ToJSON) -> String {
    let value = body.to_json().unwrap_or_default();
    hex::encode(Sha256::digest(
        ticket_store::chain::canonical_json(&value).as_bytes(),
    ))
}

pub(crate) fn idempotency(
    principal: &Principal,
    key: Option<String>,
    body: &impl ToJSON,
) -> Result<Option<IdempotencyRequest>> {
    idempotency_for(principal.key.id.to_string(), key, body)
}

/// The retry protection of a create request by `principal` (an API key's id, or `public`).
pub(crate) fn idempotency_for(
    principal: String,
    key: Option<String>,
    body: &impl ToJSON,
) -> Result<Option<IdempotencyRequest>> {
    let Some(key) = key else { return Ok(None) };
    let key = key.trim().to_owned();
    if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            "malformed-idempotency-key",
            "`Idempotency-Key` must be 1 to 200 visible ASCII characters, e.g. a UUID.",
        ));
    }
    Ok(Some(IdempotencyRequest {
        principal,
        key,
        request_hash: request_hash(body),
    }))
}

pub(crate) async fn follow_up(
    state: &ApiState,
    principal: &Principal,
    text: Option<&String>,
    checks: &mut Checks,
) -> Option<TicketId> {
    let text = text?;
    let Some(key) = TicketKey::parse(text) else {
        checks.push(field(
            "follow_up_of",
            "ticket_id",
            "must be a ticket id or reference",
        ));
        return None;
    };
    match state.store.get_ticket(key).await {
        Ok(stored) if stored.ticket.is_visible_to(&principal.actor) => Some(stored.ticket.id),
        _ => {
            checks.push(field(
                "follow_up_of",
                "existing_ticket",
                "no such ticket, or not one you may see",
            ));
            None
        }
    }
}

pub(crate) async fn organisation_exists(
    state: &ApiState,
    id: Uuid,
    name: &str,
    checks: &mut Checks,
) -> Option<OrganisationId> {
    match state.store.get_organisation(OrganisationId(id)).await {
        Ok(_) => Some(OrganisationId(id)),
        Err(_) => {
            checks.push(field(
                name,
                "registered_organisation",
                "no organisation of the registry has this id",
            ));
            None
        }
    }
}

pub(crate) async fn create(
    state: &ApiState,
    principal: &Principal,
    new: NewTicket,
    idempotency: Option<IdempotencyRequest>,
) -> Result<CreatedResponse> {
    let created = state
        .store
        .create_ticket(
            new,
            &principal.actor,
            now(state),
            &state.policy,
            idempotency,
            false,
        )
        .await?;
    state.mail_queued.notify_one();
    let stored = created.ticket;
    Ok(CreatedResponse::Created(
        Json(read_view(state, &stored, principal).await?),
        etag(stored.version_for(Audience::of(&principal.actor))),
        format!("/api/v1/tickets/{}", stored.ticket.id),
        created.replayed.then(|| "true".to_owned()),
    ))
}

pub(crate) fn new_ticket(
    title: Text,
    data: KindData,
    organisation: Option<OrganisationId>,
    email: Option<EmailAddress>,
    language: Option<LanguageDto>,
) -> NewTicket {
    NewTicket {
        id: TicketId::new_v7(),
        reference_number: 0,
        title,
        data,
        organisation,
        reporter_email: email,
        language: language.map_or(Language::Fr, Into::into),
        proposed_priority: None,
        follow_up_of: None,
        same_session_as: Vec::new(),
    }
}
