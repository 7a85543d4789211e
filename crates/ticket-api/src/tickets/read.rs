//! Reading a ticket the caller may see.

use super::TicketResponse;
use super::requests::field;
use crate::ApiState;
use crate::auth::Principal;
use crate::dto::{TicketView, etag};
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use poem_openapi::payload::Json;
use ticket_domain::audience::Audience;
use ticket_domain::privacy::{Purpose, disclosed_in_full};
use ticket_domain::values::TicketId;
use ticket_store::privacy::{JournalAction, JournalRecord};
use ticket_store::tickets::{StoredTicket, TicketKey};

type Result<T> = std::result::Result<T, ApiError>;

pub(crate) fn now(state: &ApiState) -> DateTime<Utc> {
    state.clock.now()
}

pub(crate) fn ticket_key(text: &str) -> Result<TicketKey> {
    TicketKey::parse(text).ok_or_else(|| ApiError::not_found("ticket"))
}

/// The ticket if the caller may see it; 404 otherwise, so that its existence does not leak.
pub(crate) async fn visible_ticket(
    state: &ApiState,
    principal: &Principal,
    id: &str,
) -> Result<StoredTicket> {
    let stored = state.store.get_ticket(ticket_key(id)?).await?;
    if stored.ticket.is_visible_to(&principal.actor) {
        Ok(stored)
    } else {
        Err(ApiError::not_found("ticket"))
    }
}

pub(crate) async fn view(
    state: &ApiState,
    stored: &StoredTicket,
    principal: &Principal,
) -> Result<TicketResponse> {
    Ok(TicketResponse::Ok(
        Json(read_view(state, stored, principal).await?),
        etag(stored.version_for(Audience::of(&principal.actor))),
    ))
}

/// The ticket as the caller sees it on opening it. A read that shows personal data in full is
/// recorded in the access journal first: if it cannot be recorded, it is not answered.
pub(crate) async fn read_view(
    state: &ApiState,
    stored: &StoredTicket,
    principal: &Principal,
) -> Result<TicketView> {
    let fields = disclosed_in_full(&principal.actor, &stored.ticket, Purpose::Read);
    if !fields.is_empty() {
        let record = JournalRecord::new(
            JournalAction::TicketRead,
            &principal.actor,
            Some(stored.ticket.id),
        )
        .key(Some(principal.key.id))
        .fields(fields);
        state.store.journal(&record, now(state)).await?;
    }
    Ok(TicketView::new(
        &stored.ticket,
        stored.version_for(Audience::of(&principal.actor)),
        &principal.actor,
    )
    .with_actions(&stored.ticket, &principal.actor, &state.policy, now(state)))
}

/// The id of a ticket named in a body (by id or reference), 422 naming `name` unless the caller
/// sees it.
pub(crate) async fn ticket_id_of(
    state: &ApiState,
    principal: &Principal,
    name: &str,
    text: &str,
) -> Result<TicketId> {
    match TicketKey::parse(text) {
        Some(key) => match state.store.get_ticket(key).await {
            Ok(stored) if stored.ticket.is_visible_to(&principal.actor) => Ok(stored.ticket.id),
            _ => Err(ApiError::invalid(vec![field(
                name,
                "existing_ticket",
                "no such ticket, or not one you may see",
            )])),
        },
        None => Err(ApiError::invalid(vec![field(
            name,
            "ticket_id",
            "must be a ticket id or reference",
        )])),
    }
}
