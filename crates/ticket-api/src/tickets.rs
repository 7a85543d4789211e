//! Tickets: declaring, reading, listing, and every command of the lifecycle.

use crate::ApiState;
use crate::ApiTag;
use crate::auth::{ApiKeyAuth, Principal};
use crate::dto::*;
use crate::error::ApiError;
use crate::problem::{FieldError, Problem};
use chrono::{DateTime, NaiveDate, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;
use poem_openapi::{ApiResponse, Object, OpenApi, Union};
use sha2::{Digest, Sha256};
use ticket_domain::closure::ClosureProof;
use ticket_domain::kind::{
    BirthIdentity, Contact, IncidentData, KindData, PartnerUsurpationData, Qualification,
    SupportRequestData, UserUsurpationData,
};
use ticket_domain::personal::Personal;
use ticket_domain::privacy::{Purpose, disclosed_in_full};
use ticket_domain::values::{
    EmailAddress, LONG_TEXT, OrganisationId, PhoneNumber, SHORT_TEXT, ServiceId, StaffHandle, Text,
    TicketId,
};
use ticket_domain::{Command, Language, NewTicket, Permission, Priority};
use ticket_store::privacy::{JournalAction, JournalRecord};
use ticket_store::search::{Search, SearchScope};
use ticket_store::tickets::{
    AssigneeFilter, IdempotencyRequest, Sort, SortKey, StoredTicket, TicketFilter, TicketKey,
};
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

fn field(field: &str, rule: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        rule: rule.to_owned(),
        message: message.into(),
    }
}

/// Collects the field errors of a request, so one answer names every invalid field.
#[derive(Default)]
struct Checks(Vec<FieldError>);

impl Checks {
    fn text(&mut self, name: &str, value: &str, max: usize) -> Option<Text> {
        self.take(Text::parse(name, value, max))
    }

    fn optional_text(&mut self, name: &str, value: Option<&String>, max: usize) -> Option<Text> {
        value.and_then(|v| self.text(name, v, max))
    }

    fn email(&mut self, name: &str, value: Option<&String>) -> Option<EmailAddress> {
        value.and_then(|v| self.take(EmailAddress::parse(name, v)))
    }

    fn phone(&mut self, name: &str, value: Option<&String>) -> Option<PhoneNumber> {
        value.and_then(|v| self.take(PhoneNumber::parse(name, v)))
    }

    fn take<T>(
        &mut self,
        result: std::result::Result<T, ticket_domain::values::FieldError>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error.into());
                None
            }
        }
    }

    fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.0))
        }
    }
}

/// Declaring an incident.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct IncidentRequest {
    /// Short title.
    pub title: String,
    /// The partner the incident affects. A partner key may omit it (its own organisation); staff
    /// give it, or a `service_id`.
    pub organisation_id: Option<Uuid>,
    /// The impacted service, from the registry.
    pub service_id: Option<Uuid>,
    /// When the incident started (not in the future).
    pub started_at: DateTime<Utc>,
    /// What is impacted.
    pub impact: String,
    /// A security problem: priority 1, handled by `security`.
    #[oai(default)]
    pub security: bool,
    /// The priority the reporter proposes; staff set the effective one.
    pub proposed_priority: Option<PriorityDto>,
    /// Where to write to the reporter; for a partner without one, its designated contacts.
    pub reporter_email: Option<String>,
    /// Language of the reporter's mails; `fr` by default.
    pub language: Option<LanguageDto>,
    /// The closed ticket this one follows up (id or reference): it must be closed and past its
    /// reopen window (before that, reopen it). Both tickets are then linked, each way.
    pub follow_up_of: Option<String>,
}

/// Reporting that someone impersonates a partner.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PartnerUsurpationRequest {
    /// Short title.
    pub title: String,
    /// The impersonated partner; a partner key may omit it (its own organisation).
    pub partner_id: Option<Uuid>,
    /// `partner` (a partner's own report) or `operator`.
    pub detected_by: DetectorDto,
    /// What was compromised or imitated.
    #[oai(default)]
    pub vectors: Vec<VectorDto>,
    /// What happened.
    pub description: String,
    /// Where to write to the reporter.
    pub reporter_email: Option<String>,
    /// Language of the reporter's mails; `fr` by default.
    pub language: Option<LanguageDto>,
    /// The closed ticket this one follows up (id or reference): it must be closed and past its
    /// reopen window (before that, reopen it). Both tickets are then linked, each way.
    pub follow_up_of: Option<String>,
}

/// The victim's identity and contact, as far as known.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct VictimInput {
    /// Birth names (noms de naissance).
    pub birth_names: Option<String>,
    /// First names.
    pub first_names: Option<String>,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Birth place (town, and country if not France).
    pub birth_place: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
}

/// Reporting that a user's identity was used by someone else.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserUsurpationRequest {
    /// Short title; "Usurpation d'identité" by default.
    pub title: Option<String>,
    /// `partner` for a partner key, `operator` or `user` (on the victim's behalf) for staff.
    pub reported_by: UsurpationReporterDto,
    /// Authentication session id or event id (UUID) from the alert mail; reports with the same id
    /// are linked.
    pub session_id: Option<Uuid>,
    /// When the suspicious connection happened: within the last 6 months.
    pub suspicious_connection_at: Option<DateTime<Utc>>,
    /// The identity provider holding the account (an organisation of the registry).
    pub identity_provider_id: Option<Uuid>,
    /// The service providers accessed (organisations of the registry).
    #[oai(default)]
    pub service_provider_ids: Vec<Uuid>,
    /// The victim's identity and contact.
    pub victim: Option<VictimInput>,
    /// What happened.
    pub description: Option<String>,
    /// The victim agreed to the processing of the report.
    #[oai(default)]
    pub consent: bool,
    /// Where to write to the reporter.
    pub reporter_email: Option<String>,
    /// Language of the reporter's mails; `fr` by default.
    pub language: Option<LanguageDto>,
    /// The closed ticket this one follows up (id or reference): it must be closed and past its
    /// reopen window (before that, reopen it). Both tickets are then linked, each way.
    pub follow_up_of: Option<String>,
}

/// A usurpation report: `kind` says which.
#[derive(Debug, Clone, Union)]
#[oai(discriminator_name = "kind")]
pub enum UsurpationRequest {
    /// Someone impersonates a partner.
    #[oai(mapping = "partner_usurpation")]
    PartnerUsurpation(PartnerUsurpationRequest),
    /// A user's identity was used by someone else.
    #[oai(mapping = "user_usurpation")]
    UserUsurpation(UserUsurpationRequest),
}

/// Asking a non-technical question.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SupportRequestRequest {
    /// Short title.
    pub title: String,
    /// The question.
    pub question: String,
    /// The organisation asking; a partner key may omit it.
    pub organisation_id: Option<Uuid>,
    /// Where to write to the reporter.
    pub reporter_email: Option<String>,
    /// Language of the reporter's mails; `fr` by default.
    pub language: Option<LanguageDto>,
}

/// An optional note.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NoteBody {
    /// A note recorded with the command.
    pub note: Option<String>,
}

/// Assigning a ticket.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AssignBody {
    /// The staff member who takes the ticket.
    pub assignee: String,
}

/// Setting the effective priority.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PriorityBody {
    /// The new priority.
    pub priority: PriorityDto,
    /// Why.
    pub reason: String,
}

/// A comment.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CommentBody {
    /// The text.
    pub body: String,
    /// An internal note, never shown to partners or the public (staff only).
    #[oai(default)]
    pub internal: bool,
}

/// A reason.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReasonBody {
    /// Why.
    pub reason: String,
}

/// A question to the reporter.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct QuestionBody {
    /// What the reporter is asked; the clock pauses until they answer.
    pub question: String,
}

/// A resolution.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ResolveBody {
    /// What was done; the reporter is asked to confirm.
    pub summary: String,
}

/// Outcome of `security`'s qualification of a user usurpation report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum QualificationOutcome {
    /// The organisations concerned are mailed (each notified once the mail server accepted its
    /// mail) and the victim advised.
    Confirmed,
    /// Resolved with an explanation the reporter receives.
    Unfounded,
}

/// Qualifying a user usurpation report.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct QualifyBody {
    /// `confirmed` or `unfounded`.
    pub outcome: QualificationOutcome,
    /// Required when unfounded: the explanation the reporter receives.
    pub explanation: Option<String>,
}

/// An organisation notified of a usurpation case.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OrganisationNotifiedBody {
    /// The organisation concerned that was notified.
    pub organisation_id: Uuid,
}

/// An organisation found during the investigation of a usurpation case.
#[derive(Debug, Clone, Object)]
pub struct ConcernedOrganisationBody {
    /// The organisation of the registry now concerned by the case.
    pub organisation_id: Uuid,
    /// Why it is concerned.
    pub role: crate::dto::ConcernedRoleDto,
}

/// A note recorded as proof.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RequiredNoteBody {
    /// The note.
    pub note: String,
}

/// Closing a ticket with one of the four closure conditions.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CloseBody {
    /// The closure condition.
    pub reason: ClosureReasonDto,
    /// The proof: the reporter's verbal confirmation (`resolved_confirmed`) or what was agreed
    /// (`mutual_agreement`).
    pub note: Option<String>,
}

/// Why a ticket is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum CancelReason {
    /// Spam.
    Spam,
    /// A duplicate of another ticket.
    Duplicate,
}

/// Cancelling a ticket.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CancelBody {
    /// `spam` or `duplicate`.
    pub reason: CancelReason,
    /// With `duplicate`: the ticket this one duplicates (id or reference).
    pub duplicate_of: Option<String>,
    /// A note.
    pub note: Option<String>,
}

/// Ticket operations.
#[derive(Debug, Clone, Copy, Default)]
pub struct TicketsApi;

fn now(state: &ApiState) -> DateTime<Utc> {
    state.clock.now()
}

fn ticket_key(text: &str) -> Result<TicketKey> {
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

/// The version named by `If-Match`: required (428), a strong ETag (`"3"`), else 400.
fn expected_version(if_match: Option<&str>) -> Result<i64> {
    let Some(value) = if_match else {
        return Err(ApiError::from_problem(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "if-match-required",
            "If-Match required",
            "Commands need `If-Match` with the ticket's ETag, as read from GET.",
        )));
    };
    value
        .trim()
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "malformed-if-match",
                "`If-Match` must be the ticket's strong ETag, e.g. \"3\".",
            )
        })
}

async fn view(
    state: &ApiState,
    stored: &StoredTicket,
    principal: &Principal,
) -> Result<TicketResponse> {
    Ok(TicketResponse::Ok(
        Json(read_view(state, stored, principal).await?),
        etag(stored.version),
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
    Ok(
        TicketView::new(&stored.ticket, stored.version, &principal.actor).with_actions(
            &stored.ticket,
            &principal.actor,
            &state.policy,
            now(state),
        ),
    )
}

/// SHA-256 of the request's canonical JSON: two requests with the same content have the same hash.
fn request_hash(body: &impl ToJSON) -> String {
    let value = body.to_json().unwrap_or_default();
    hex::encode(Sha256::digest(
        ticket_store::chain::canonical_json(&value).as_bytes(),
    ))
}

fn idempotency(
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

async fn follow_up(
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

async fn organisation_exists(
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

async fn create(
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
    let stored = created.ticket;
    Ok(CreatedResponse::Created(
        Json(read_view(state, &stored, principal).await?),
        etag(stored.version),
        format!("/api/v1/tickets/{}", stored.ticket.id),
        created.replayed.then(|| "true".to_owned()),
    ))
}

fn new_ticket(
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
        let request = body.0;
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
            Some(id) => organisation_exists(&state, id, "organisation_id", &mut checks).await,
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
        let follow_up_of = follow_up(
            &state,
            principal,
            request.follow_up_of.as_ref(),
            &mut checks,
        )
        .await;
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
        let mut checks = Checks::default();
        let new = match body.0 {
            UsurpationRequest::PartnerUsurpation(request) => {
                let title = checks.text("title", &request.title, SHORT_TEXT);
                let description = checks.text("description", &request.description, LONG_TEXT);
                let email = checks.email("reporter_email", request.reporter_email.as_ref());
                let partner = match (request.partner_id, principal.organisation()) {
                    (Some(id), _) => {
                        organisation_exists(&state, id, "partner_id", &mut checks).await
                    }
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
                let follow_up_of = follow_up(
                    &state,
                    principal,
                    request.follow_up_of.as_ref(),
                    &mut checks,
                )
                .await;
                checks.finish()?;
                let (Some(title), Some(description), Some(partner)) = (title, description, partner)
                else {
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
                new
            }
            UsurpationRequest::UserUsurpation(request) => {
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
                        match crate::public::report::birth_date_error(
                            "victim.birth_date",
                            date,
                            now(&state),
                        ) {
                            Some(error) => {
                                checks.push(error);
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
                let description = checks
                    .optional_text("description", request.description.as_ref(), LONG_TEXT)
                    .map(|t| Personal::new(t.as_str().to_owned()));
                let identity_provider = match request.identity_provider_id {
                    Some(id) => {
                        organisation_exists(&state, id, "identity_provider_id", &mut checks).await
                    }
                    None => None,
                };
                let mut service_providers = Vec::new();
                for (i, id) in request.service_provider_ids.iter().enumerate() {
                    if let Some(o) = organisation_exists(
                        &state,
                        *id,
                        &format!("service_provider_ids[{i}]"),
                        &mut checks,
                    )
                    .await
                    {
                        service_providers.push(o);
                    }
                }
                let follow_up_of = follow_up(
                    &state,
                    principal,
                    request.follow_up_of.as_ref(),
                    &mut checks,
                )
                .await;
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
                new
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
        let request = body.0;
        let mut checks = Checks::default();
        let title = checks.text("title", &request.title, SHORT_TEXT);
        let question = checks.text("question", &request.question, LONG_TEXT);
        let email = checks.email("reporter_email", request.reporter_email.as_ref());
        let organisation = match request.organisation_id {
            Some(id) => organisation_exists(&state, id, "organisation_id", &mut checks).await,
            None => None,
        };
        checks.finish()?;
        let (Some(title), Some(question)) = (title, question) else {
            return Err(ApiError::invalid(Vec::new()));
        };
        let data = KindData::SupportRequest(SupportRequestData { question });
        let new = new_ticket(title, data, organisation, email, request.language);
        create(&state, principal, new, idempotency).await
    }

    /// List tickets
    ///
    /// Staff see every ticket; a partner sees its organisation's. Filters combine (repeat `state`
    /// or `priority` for several values). `sort` is one of `created_at` (the default), `updated_at`,
    /// `priority`, `deadline` (the next deadline of a running clock; tickets without one come last),
    /// each ascending, or descending with a leading `-`; ties are ordered by id. Pass `next_cursor`
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
        let mut out_of_range = Vec::new();
        for (name, instant) in [
            ("created_from", created_from.0),
            ("created_before", created_before.0),
            ("updated_from", updated_from.0),
            ("updated_before", updated_before.0),
            ("due_before", due_before.0),
        ] {
            if instant.is_some_and(|i| !(1..=9999).contains(&chrono::Datelike::year(&i))) {
                out_of_range.push(field(
                    name,
                    "instant_range",
                    "must be an instant between the years 1 and 9999",
                ));
            }
        }
        if !out_of_range.is_empty() {
            return Err(ApiError::malformed(out_of_range));
        }
        let assignee = match assignee.0.as_deref().map(str::trim) {
            None => None,
            Some("none") => Some(AssigneeFilter::Unassigned),
            Some("me") => match principal.member() {
                Some(member) => Some(AssigneeFilter::Member(member)),
                None => {
                    return Err(ApiError::invalid(vec![field(
                        "assignee",
                        "caller_is_member",
                        "`me` is the staff member your key belongs to, and this key belongs to none",
                    )]));
                }
            },
            Some(handle) => {
                let handle = staff_handle_or_invalid("assignee", handle)?;
                require_member(&state, "assignee", &handle).await?;
                Some(AssigneeFilter::Member(handle))
            }
        };
        let organisation = match principal.organisation() {
            Some(own) => {
                if organisation_id.0.is_some_and(|o| o != own.0) {
                    return Ok(TicketPageResponse::Ok(Json(TicketPage {
                        items: Vec::new(),
                        next_cursor: None,
                    })));
                }
                Some(own)
            }
            None => organisation_id.0.map(OrganisationId),
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
            search: q.0.filter(|t| !t.trim().is_empty()).map(|text| Search {
                text,
                scope: SearchScope {
                    internal_notes: principal.actor.may(Permission::ReadInternalNotes),
                    personal_data: principal.actor.is_security_or_supervisor(),
                },
            }),
            created_from: created_from.0,
            created_before: created_before.0,
            updated_from: updated_from.0,
            updated_before: updated_before.0,
            session: session_id.0,
        };
        let page = state
            .store
            .list_tickets(
                &filter,
                sort.0.unwrap_or(TicketSort::CreatedAt).into(),
                limit.0,
                cursor.0.as_deref(),
            )
            .await?;
        let now = now(&state);
        Ok(TicketPageResponse::Ok(Json(TicketPage {
            items: page
                .items
                .iter()
                .map(|t| {
                    TicketView::listed(&t.ticket, t.version, &principal.actor).with_actions(
                        &t.ticket,
                        &principal.actor,
                        &state.policy,
                        now,
                    )
                })
                .collect(),
            next_cursor: page.next_cursor,
        })))
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

/// The order of a ticket list: a key, ascending, or descending with a leading `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
pub enum TicketSort {
    /// Oldest first (the default).
    #[oai(rename = "created_at")]
    CreatedAt,
    /// Newest first.
    #[oai(rename = "-created_at")]
    CreatedAtDesc,
    /// Least recently changed first.
    #[oai(rename = "updated_at")]
    UpdatedAt,
    /// Most recently changed first.
    #[oai(rename = "-updated_at")]
    UpdatedAtDesc,
    /// Priority 1 (`critique`) first.
    #[oai(rename = "priority")]
    Priority,
    /// Priority 5 (`info`) first.
    #[oai(rename = "-priority")]
    PriorityDesc,
    /// The nearest next deadline first; tickets without a running deadline last.
    #[oai(rename = "deadline")]
    Deadline,
    /// Tickets without a running deadline first, then the furthest deadline.
    #[oai(rename = "-deadline")]
    DeadlineDesc,
}

impl From<TicketSort> for Sort {
    fn from(sort: TicketSort) -> Self {
        let (key, descending) = match sort {
            TicketSort::CreatedAt => (SortKey::Created, false),
            TicketSort::CreatedAtDesc => (SortKey::Created, true),
            TicketSort::UpdatedAt => (SortKey::Updated, false),
            TicketSort::UpdatedAtDesc => (SortKey::Updated, true),
            TicketSort::Priority => (SortKey::Priority, false),
            TicketSort::PriorityDesc => (SortKey::Priority, true),
            TicketSort::Deadline => (SortKey::Deadline, false),
            TicketSort::DeadlineDesc => (SortKey::Deadline, true),
        };
        Sort { key, descending }
    }
}

fn default_limit() -> u64 {
    50
}

/// Runs one command on the version named by `If-Match`.
pub(crate) async fn run(
    state: &ApiState,
    principal: &Principal,
    id: &str,
    if_match: Option<&str>,
    command: Command,
) -> Result<TicketResponse> {
    let stored = visible_ticket(state, principal, id).await?;
    let version = expected_version(if_match)?;
    let updated = state
        .store
        .execute(
            TicketKey::Id(stored.ticket.id),
            version,
            command,
            &principal.actor,
            now(state),
            &state.policy,
        )
        .await?;
    view(state, &updated, principal).await
}

pub(crate) fn text_or_invalid(name: &str, value: &str, max: usize) -> Result<Text> {
    Text::parse(name, value, max).map_err(|e| ApiError::invalid(vec![e.into()]))
}

pub(crate) fn optional_text_or_invalid(
    name: &str,
    value: Option<&String>,
    max: usize,
) -> Result<Option<Text>> {
    value.map(|v| text_or_invalid(name, v, max)).transpose()
}

/// 422 naming `field` unless `handle` is a member of the staff directory.
pub(crate) async fn require_member(
    state: &ApiState,
    name: &str,
    handle: &StaffHandle,
) -> Result<()> {
    match state.store.get_staff_member(handle).await {
        Ok(_) => Ok(()),
        Err(ticket_store::StoreError::NotFound(_)) => Err(ApiError::invalid(vec![field(
            name,
            "staff_member",
            "no member of the staff directory has this handle (see GET /api/v1/staff)",
        )])),
        Err(other) => Err(other.into()),
    }
}

pub(crate) fn staff_handle_or_invalid(name: &str, value: &str) -> Result<StaffHandle> {
    StaffHandle::parse(name, value).map_err(|e| ApiError::invalid(vec![e.into()]))
}

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

pub(crate) fn closure(body: CloseBody) -> Result<Command> {
    Ok(Command::Close {
        reason: body.reason.into(),
        proof: ClosureProof {
            note: optional_text_or_invalid("note", body.note.as_ref(), LONG_TEXT)?,
        },
    })
}

pub(crate) fn qualification(body: QualifyBody) -> Result<Command> {
    let qualification = match body.outcome {
        QualificationOutcome::Confirmed => Qualification::Confirmed,
        QualificationOutcome::Unfounded => {
            let Some(explanation) =
                optional_text_or_invalid("explanation", body.explanation.as_ref(), LONG_TEXT)?
            else {
                return Err(ApiError::invalid(vec![field(
                    "explanation",
                    "required",
                    "an unfounded report needs the explanation the reporter receives",
                )]));
            };
            Qualification::Unfounded { explanation }
        }
    };
    Ok(Command::Qualify { qualification })
}
