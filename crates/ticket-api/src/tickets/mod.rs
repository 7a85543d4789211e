//! Tickets: declaring, reading, listing, and every command of the lifecycle.

mod create;
mod declare;
mod list;
mod read;
mod requests;
mod usurpation;

pub(crate) use create::idempotency_for;
pub(crate) use read::{now, ticket_id_of, view, visible_ticket};
pub(crate) use requests::field;

use crate::ApiState;
use crate::ApiTag;
use crate::auth::ApiKeyAuth;
use crate::dto::{KindDto, PriorityDto, StateDto, TicketPage, TicketView, TierDto};
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use create::{create, idempotency};
use declare::{incident, support_request};
use list::{
    TicketSort, assignee_filter, check_instants, default_limit, organisation_filter, search,
    ticket_page,
};
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use requests::{IncidentRequest, SupportRequestRequest, UsurpationRequest};
use ticket_domain::values::ServiceId;
use ticket_store::tickets::TicketFilter;
use usurpation::{partner_usurpation, user_usurpation};
use uuid::Uuid;

/// A ticket with its ETag.
#[derive(Debug, ApiResponse)]
pub enum TicketResponse {
    /// The ticket; its `ETag` goes in `If-Match` of the next command.
    #[oai(status = 200)]
    Ok(
        Json<TicketView>,
        /// The ticket's version, as a strong entity tag.
        #[oai(header = "ETag")]
        String,
    ),
}

/// A ticket just created (or, for a retry with the same `Idempotency-Key`, the first answer).
#[derive(Debug, ApiResponse)]
pub enum CreatedResponse {
    /// The ticket was created.
    #[oai(status = 201)]
    Created(
        Json<TicketView>,
        /// The ticket's version, as a strong entity tag.
        #[oai(header = "ETag")]
        String,
        /// Where to read the ticket.
        #[oai(header = "Location")]
        String,
        /// `true` when this is the replayed answer to an earlier request with the same key.
        #[oai(header = "Idempotent-Replayed")]
        Option<String>,
    ),
}

/// A page of tickets.
#[derive(Debug, ApiResponse)]
pub enum TicketPageResponse {
    /// The page.
    #[oai(status = 200)]
    Ok(Json<TicketPage>),
}

type Result<T> = std::result::Result<T, ApiError>;

/// Ticket operations.
#[derive(Debug, Clone, Copy, Default)]
pub struct TicketsApi;

#[OpenApi(tag = "ApiTag::Tickets")]
impl TicketsApi {
    /// Declare an incident
    ///
    /// A partner declares an incident on its own organisation (and services); staff declare for any
    /// organisation. The reporter receives an acknowledgement with the reference, and a copy goes to
    /// the partner support mailbox (and the security mailbox for a security incident).
    /// Honours `Idempotency-Key`: a retry with the same key and body answers the first response.
    #[oai(
        path = "/api/v1/incidents",
        method = "post",
        operation_id = "declare_incident"
    )]
    async fn declare_incident(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Makes retries safe: the same key with the same body answers the first response.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: Json<IncidentRequest>,
    ) -> Result<CreatedResponse> {
        let principal = &auth.0;
        let idempotency = idempotency(principal, idempotency_key.0, &body.0)?;
        let new = incident(&state, principal, body.0).await?;
        create(&state, principal, new, idempotency).await
    }

    /// Report a usurpation
    ///
    /// `kind: partner_usurpation` — someone impersonates a partner (phishing site, leaked secret,
    /// forged tokens); `kind: user_usurpation` — a user's identity was used by someone else. Both are
    /// priority 1 and handled by `security`. Two user usurpation reports with the same `session_id`
    /// are linked, not duplicated. Honours `Idempotency-Key`.
    #[oai(
        path = "/api/v1/usurpations",
        method = "post",
        operation_id = "report_usurpation"
    )]
    async fn report_usurpation(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Makes retries safe: the same key with the same body answers the first response.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: Json<UsurpationRequest>,
    ) -> Result<CreatedResponse> {
        let principal = &auth.0;
        let idempotency = idempotency(principal, idempotency_key.0, &body.0)?;
        let new = match body.0 {
            UsurpationRequest::PartnerUsurpation(request) => {
                partner_usurpation(&state, principal, request).await?
            }
            UsurpationRequest::UserUsurpation(request) => {
                user_usurpation(&state, principal, request).await?
            }
        };
        create(&state, principal, new, idempotency).await
    }

    /// Ask a support question
    ///
    /// A non-technical question (enrolment, documentation); priority 5 by default. Honours
    /// `Idempotency-Key`.
    #[oai(
        path = "/api/v1/support-requests",
        method = "post",
        operation_id = "ask_support"
    )]
    async fn ask_support(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Makes retries safe: the same key with the same body answers the first response.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: Json<SupportRequestRequest>,
    ) -> Result<CreatedResponse> {
        let principal = &auth.0;
        let idempotency = idempotency(principal, idempotency_key.0, &body.0)?;
        let new = support_request(&state, body.0).await?;
        create(&state, principal, new, idempotency).await
    }

    /// List tickets
    ///
    /// Staff see every ticket; a partner sees its organisation's. Filters combine (repeat `state`
    /// or `priority` for several values). `sort` is one of `created_at` (the default), `updated_at`,
    /// `priority` (priority 1, `critique`, first), `deadline` (the nearest next deadline of a running
    /// clock first; tickets without one come last), each reversed with a leading `-` (see
    /// `TicketSort`); ties are ordered by id. Pass `next_cursor`
    /// back as `cursor`, with the same `sort`, for the next page: pages never skip or repeat a
    /// ticket, even while tickets are created.
    #[oai(
        path = "/api/v1/tickets",
        method = "get",
        operation_id = "list_tickets"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn list_tickets(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Only tickets in one of these states (repeat the parameter for several).
        #[oai(name = "state", default)]
        state_filter: Query<Vec<StateDto>>,
        /// Only tickets of this kind.
        kind: Query<Option<KindDto>>,
        /// Only tickets of one of these effective priorities (repeat the parameter for several).
        #[oai(default)]
        priority: Query<Vec<PriorityDto>>,
        /// Only tickets affecting this organisation (partners: always their own).
        organisation_id: Query<Option<Uuid>>,
        /// Only incidents on this service of the registry.
        service_id: Query<Option<Uuid>>,
        /// Only tickets assigned to this member of the staff directory (its handle), to the
        /// caller's own member (`me`, for a key that belongs to a member), or to nobody (`none`).
        #[oai(validator(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\u0000-\u001F\u007F]*$"
        ))]
        assignee: Query<Option<String>>,
        /// Only tickets handled at this escalation tier.
        tier: Query<Option<TierDto>>,
        /// Only tickets whose deadline was (`true`) or was not (`false`) breached.
        breached: Query<Option<bool>>,
        /// Only tickets waiting (`true`) or not waiting (`false`) for the reporter.
        waiting_reporter: Query<Option<bool>>,
        /// Only tickets whose next deadline comes before this instant (e.g. the end of today).
        due_before: Query<Option<DateTime<Utc>>>,
        /// Full-text search, at most 200 characters: tickets where every word is found (case and
        /// accents aside; French word forms on PostgreSQL) in the reference, title, impact,
        /// description or question, public comments, session id; staff also search internal
        /// notes, and `security` and `supervisor` the victim's names, email and own words.
        #[oai(validator(max_length = 200, pattern = r"^[^\u0000-\u001F\u007F]*$"))]
        q: Query<Option<String>>,
        /// Only tickets created at or after this instant (years 1 to 9999).
        created_from: Query<Option<DateTime<Utc>>>,
        /// Only tickets created before this instant (years 1 to 9999).
        created_before: Query<Option<DateTime<Utc>>>,
        /// Only tickets changed at or after this instant (years 1 to 9999).
        updated_from: Query<Option<DateTime<Utc>>>,
        /// Only tickets changed before this instant (years 1 to 9999).
        updated_before: Query<Option<DateTime<Utc>>>,
        /// Only user usurpation reports of this authentication session or event id.
        session_id: Query<Option<Uuid>>,
        /// The order of the list; `created_at` by default.
        sort: Query<Option<TicketSort>>,
        /// Page size, 1 to 200; 50 by default.
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "200"))
        )]
        limit: Query<u64>,
        /// The `next_cursor` of the previous page (with the same `sort`).
        #[oai(validator(min_length = 1, max_length = 1000))]
        cursor: Query<Option<String>>,
    ) -> Result<TicketPageResponse> {
        let principal = &auth.0;
        check_instants(&[
            ("created_from", created_from.0),
            ("created_before", created_before.0),
            ("updated_from", updated_from.0),
            ("updated_before", updated_before.0),
            ("due_before", due_before.0),
        ])?;
        let assignee = assignee_filter(&state, principal, assignee.0.as_deref()).await?;
        let Some(organisation) = organisation_filter(principal, organisation_id.0) else {
            return Ok(TicketPageResponse::Ok(Json(TicketPage {
                items: Vec::new(),
                next_cursor: None,
            })));
        };
        let filter = TicketFilter {
            states: state_filter.0.into_iter().map(Into::into).collect(),
            kind: kind.0.map(Into::into),
            priorities: priority.0.into_iter().map(Into::into).collect(),
            organisation,
            service: service_id.0.map(ServiceId),
            assignee,
            tier: tier.0.map(Into::into),
            breached: breached.0,
            waiting_reporter: waiting_reporter.0,
            due_before: due_before.0,
            search: search(principal, q.0)?,
            created_from: created_from.0,
            created_before: created_before.0,
            updated_from: updated_from.0,
            updated_before: updated_before.0,
            session: session_id.0,
        };
        let sort = sort.0.unwrap_or(TicketSort::CreatedAt);
        let page = ticket_page(&state, principal, &filter, sort, limit.0, cursor.0).await?;
        Ok(TicketPageResponse::Ok(Json(page)))
    }

    /// Read a ticket
    ///
    /// By id or by reference (`INC-2026-000042`). The `ETag` is what commands need in `If-Match`.
    #[oai(
        path = "/api/v1/tickets/:id",
        method = "get",
        operation_id = "get_ticket"
    )]
    async fn get_ticket(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
    ) -> Result<TicketResponse> {
        let stored = visible_ticket(&state, &auth.0, &id.0).await?;
        view(&state, &stored, &auth.0).await
    }
}
