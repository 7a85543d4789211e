//! Mail in, over HTTP: a receiving MTA delivers raw mails (`POST /api/v1/inbound-mails` with a
//! `mail_gateway` key), and staff read the inbound mails and triage the quarantine (attach a mail
//! to a ticket, open a ticket from it, or drop it).
//!
//! Who may do what:
//! - Read (list, one mail, its raw bytes): every staff role; partners never (a mail of the
//!   quarantine may be anyone's).
//! - Triage the quarantine: the triage desk (`agent`, `security`, `supervisor`). Not `engineer`
//!   (level 3 takes escalated tickets, not incoming mail), not `admin` nor `dpo` (they handle no
//!   ticket: the rules refuse their notes and declarations).
//! - A mail of a victim's case (its ticket is a user usurpation) or of the security mailbox is
//!   personal data of the need-to-know rule: `security` and `supervisor` see its sender and
//!   subject in full, read its raw bytes and triage it, each full read journalled; other staff see
//!   them masked, and lists mask them for everyone.

use crate::ApiState;
use crate::ApiTag;
use crate::auth::{ApiKeyAuth, Principal};
use crate::dto::Instant;
use crate::error::ApiError;
use crate::problem::{FieldError, Problem};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiRequest, ApiResponse, Enum, Object, OpenApi};
use ticket_domain::kind::{IncidentData, KindData, SupportRequestData};
use ticket_domain::privacy::{PersonalField, mask_email, mask_text};
use ticket_domain::values::{EmailAddress, OrganisationId, SHORT_TEXT, Text, TicketId};
use ticket_domain::{Language, NewTicket, Role, TicketKind};
use ticket_inbox::{Delivery, InboxError, Source};
use ticket_store::StoreError;
use ticket_store::inbound::{InboundMail, InboundStatus, QuarantineDecision};
use ticket_store::privacy::{JournalAction, JournalRecord};
use ticket_store::tickets::TicketKey;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// Where a mail gateway delivers mails; the one operation its key may call.
pub const INBOUND_MAILS_PATH: &str = "/api/v1/inbound-mails";

/// What became of an inbound mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum InboundStatusDto {
    /// It became a comment of its sender on a ticket.
    Landed,
    /// It opened a ticket (by itself, or staff opened one from the quarantine).
    Opened,
    /// Waiting for staff: unknown or unauthenticated sender, forged reply address, no ticket.
    Quarantined,
    /// Kept, not turned into a comment: auto-reply, mailing list, our own mail, a flood.
    Ignored,
    /// A delivery-status notification: the outbox mail it reports was marked failed.
    Bounce,
    /// Staff attached it from the quarantine to a ticket, as an internal note.
    Attached,
    /// Staff dropped it from the quarantine.
    Dropped,
}

impl From<InboundStatus> for InboundStatusDto {
    fn from(status: InboundStatus) -> Self {
        match status {
            InboundStatus::Landed => InboundStatusDto::Landed,
            InboundStatus::Opened => InboundStatusDto::Opened,
            InboundStatus::Quarantined => InboundStatusDto::Quarantined,
            InboundStatus::Ignored => InboundStatusDto::Ignored,
            InboundStatus::Bounce => InboundStatusDto::Bounce,
            InboundStatus::Attached => InboundStatusDto::Attached,
            InboundStatus::Dropped => InboundStatusDto::Dropped,
        }
    }
}

impl From<InboundStatusDto> for InboundStatus {
    fn from(status: InboundStatusDto) -> Self {
        match status {
            InboundStatusDto::Landed => InboundStatus::Landed,
            InboundStatusDto::Opened => InboundStatus::Opened,
            InboundStatusDto::Quarantined => InboundStatus::Quarantined,
            InboundStatusDto::Ignored => InboundStatus::Ignored,
            InboundStatusDto::Bounce => InboundStatus::Bounce,
            InboundStatusDto::Attached => InboundStatus::Attached,
            InboundStatusDto::Dropped => InboundStatus::Dropped,
        }
    }
}

/// A file a mail carried.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InboundFileView {
    /// The name its sender gave (masked on a victim's mail for readers who may not see it).
    pub filename: Option<String>,
    /// The type the mail declared.
    pub content_type: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// The ticket attachment it became, when the mail landed on or opened a ticket.
    pub attachment_id: Option<Uuid>,
    /// Why it was not attached (size, type, the ticket's limit).
    pub refused: Option<String>,
}

/// An inbound mail (without its raw bytes: `GET …/raw`).
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InboundMailView {
    /// Mail id.
    pub id: Uuid,
    /// The `Message-ID`, with its angle brackets (derived from the hash when the mail had none).
    pub message_id: String,
    /// SHA-256 of the raw message, hex (the `mail_received` event carries it).
    pub sha256: String,
    /// Where it came from: `imap:<mailbox>`, `pipe` (`ticketd mail-in`), `api`.
    pub source: String,
    /// What became of it.
    pub status: InboundStatusDto,
    /// Why it was quarantined or ignored, or what a bounce reported; no personal data.
    pub reason: Option<String>,
    /// The ticket it landed on, opened, was attached to, or seemed to answer.
    pub ticket_id: Option<Uuid>,
    /// The `From` address; masked (`c•••@example.fr`) on a victim's mail for readers who may not
    /// see it, and in lists.
    pub sender: Option<String>,
    /// The subject; masked like `sender`.
    pub subject: Option<String>,
    /// Whether `sender`, `subject` and file names are masked for this reader.
    pub masked: bool,
    /// The files it carried.
    pub attachments: Vec<InboundFileView>,
    /// When it was received.
    pub received_at: Instant,
    /// When staff decided on it (attach, open, drop).
    pub decided_at: Option<Instant>,
    /// Who decided.
    pub decided_by: Option<String>,
}

fn files(value: &serde_json::Value, masked: bool) -> Vec<InboundFileView> {
    let Some(items) = value.as_array() else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| {
            let text = |key: &str| item.get(key).and_then(|v| v.as_str()).map(str::to_owned);
            InboundFileView {
                filename: text("filename").map(|name| if masked { mask_text(&name) } else { name }),
                content_type: text("content_type"),
                size: item.get("size").and_then(serde_json::Value::as_u64),
                attachment_id: text("attachment_id").and_then(|id| id.parse().ok()),
                refused: text("refused"),
            }
        })
        .collect()
}

fn view(mail: InboundMail, masked: bool) -> InboundMailView {
    InboundMailView {
        id: mail.id,
        message_id: mail.message_id,
        sha256: mail.sha256,
        source: mail.source,
        status: mail.status.into(),
        reason: mail.reason,
        ticket_id: mail.ticket_id.map(|t| t.0),
        sender: mail.sender.map(|s| if masked { mask_email(&s) } else { s }),
        subject: mail.subject.map(|s| if masked { mask_text(&s) } else { s }),
        masked,
        attachments: files(&mail.attachments, masked),
        received_at: mail.received_at.into(),
        decided_at: mail.decided_at.map(Into::into),
        decided_by: mail.decided_by,
    }
}

/// A page of inbound mails.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InboundMailPage {
    /// The mails of this page, oldest first.
    pub items: Vec<InboundMailView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Attaching a quarantined mail to a ticket.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct AttachMailBody {
    /// The ticket (id or reference) the mail's words go on, as an internal note of the caller:
    /// its sender was not verified, so it speaks for nobody.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub ticket_id: String,
}

/// What kind of ticket a quarantined mail opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum OpenedKindDto {
    /// A question (the default).
    SupportRequest,
    /// A malfunction, started when the mail was received.
    Incident,
}

/// Opening a ticket from a quarantined mail: its subject is the title, its words the question or
/// impact, its sender the reporter's address.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct OpenFromMailBody {
    /// `support_request` (the default) or `incident`.
    pub kind: Option<OpenedKindDto>,
    /// The partner organisation the ticket affects, if any.
    pub organisation_id: Option<Uuid>,
}

/// A raw mail, as the MTA received it.
#[derive(Debug, ApiRequest)]
pub enum RawMail {
    /// One RFC 5322 message, at most the configured size (`mail.inbound.max_bytes`).
    #[oai(content_type = "application/octet-stream")]
    Mail(Binary<Vec<u8>>),
}

/// What the service did with a delivered mail. It names no sender and no ticket.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DeliveryView {
    /// The stored mail's id; absent for a mail already received.
    pub id: Option<Uuid>,
    /// What became of it; absent for a mail already received.
    pub status: Option<InboundStatusDto>,
    /// Whether a mail with this `Message-ID` was already received (nothing was written).
    pub duplicate: bool,
}

/// Answers of a delivery.
#[derive(Debug, ApiResponse)]
pub enum DeliveryResponse {
    /// Stored, with what it did (landed, opened, quarantined, ignored, bounce).
    #[oai(status = 201)]
    Created(Json<DeliveryView>),
    /// A mail with this `Message-ID` was already received: nothing was written.
    #[oai(status = 200)]
    Duplicate(Json<DeliveryView>),
}

/// Answers of the list.
#[derive(Debug, ApiResponse)]
pub enum InboundMailPageResponse {
    /// The page.
    #[oai(status = 200)]
    Ok(Json<InboundMailPage>),
}

/// Answers about one mail.
#[derive(Debug, ApiResponse)]
pub enum InboundMailResponse {
    /// The mail.
    #[oai(status = 200)]
    Ok(Json<InboundMailView>),
}

/// Answers of a raw read.
#[derive(Debug, ApiResponse)]
pub enum RawMailResponse {
    /// The message exactly as received (its SHA-256 is the mail's `sha256`).
    #[oai(status = 200, content_type = "application/octet-stream")]
    Ok(
        Binary<Vec<u8>>,
        /// `attachment; filename="<id>.eml"`.
        #[oai(header = "Content-Disposition")]
        String,
        /// `default-src 'none'; sandbox`.
        #[oai(header = "Content-Security-Policy")]
        String,
    ),
}

/// Whether the reader sees a victim's data in full (need-to-know).
fn sees_in_full(principal: &Principal) -> bool {
    matches!(principal.role(), Some(Role::Security | Role::Supervisor))
}

/// Whether a mail is personal data of the need-to-know rule: it came through the security mailbox
/// (where identity thefts are reported) or belongs to a user usurpation.
async fn restricted(state: &ApiState, mail: &InboundMail) -> Result<bool> {
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
async fn journal(
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
async fn read_view(
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

fn security_required() -> ApiError {
    ApiError::forbidden(
        "security-role-required",
        "This mail belongs to an identity-theft case or the security mailbox: only security \
         officers and supervisors may read it in full or triage it.",
    )
}

/// Records the triage desk's decision on a quarantined mail and answers the mail as the caller
/// may now read it.
async fn decide(
    state: &ApiState,
    principal: &Principal,
    mail: Uuid,
    decision: QuarantineDecision,
) -> Result<InboundMailResponse> {
    let decided = state
        .store
        .decide_quarantined(
            mail,
            decision,
            &principal.actor,
            state.clock.now(),
            &state.policy,
        )
        .await?;
    Ok(InboundMailResponse::Ok(Json(
        read_view(state, principal, decided).await?,
    )))
}

/// A quarantined mail the caller may triage: 404, or 403 on a restricted mail.
async fn triageable(state: &ApiState, principal: &Principal, id: Uuid) -> Result<InboundMail> {
    require_triage(principal)?;
    let mail = state.store.get_inbound(id).await?;
    if restricted(state, &mail).await? && !sees_in_full(principal) {
        return Err(security_required());
    }
    Ok(mail)
}

/// The mail's parsed content; a mail whose bytes were erased cannot be triaged into a ticket.
async fn parsed(state: &ApiState, id: Uuid) -> Result<ticket_inbox::ParsedMail> {
    let raw = state.store.inbound_raw(id).await?.ok_or_else(|| {
        ApiError::from_problem(Problem::new(
            StatusCode::CONFLICT,
            "mail-erased",
            "Mail erased",
            "This mail's content was erased (retention): it can only be dropped.",
        ))
    })?;
    ticket_inbox::parse::parse(&raw).ok_or_else(|| {
        ApiError::from_problem(Problem::new(
            StatusCode::CONFLICT,
            "mail-unreadable",
            "Mail unreadable",
            "This mail cannot be read as a message: it can only be dropped.",
        ))
    })
}

fn words(mail: &ticket_inbox::ParsedMail) -> Result<Text> {
    ticket_inbox::mail_text(mail)
        .or_else(|| Text::parse("body", "(texte du message illisible)", SHORT_TEXT).ok())
        .ok_or_else(|| ApiError::from_problem(Problem::internal()))
}

/// Inbound mails and the quarantine.
#[derive(Debug, Clone, Copy, Default)]
pub struct InboundApi;

#[OpenApi(tag = "ApiTag::InboundMail")]
impl InboundApi {
    /// Deliver a mail
    ///
    /// For a receiving MTA, with a `mail_gateway` key (the only operation such a key may call):
    /// one raw RFC 5322 message, sent as `application/octet-stream` (the type generated clients
    /// send bytes as), received like `ticketd mail-in` receives it
    /// (threading, sender checks, loops, bounces). 201 with what it did; 200 for a mail already
    /// received (same `Message-ID`: nothing written); 413 over the configured size; 422 when the
    /// body is not a mail; 503 when the database cannot take it now (the MTA keeps the mail and
    /// retries).
    #[oai(
        path = "/api/v1/inbound-mails",
        method = "post",
        operation_id = "deliver_inbound_mail"
    )]
    async fn deliver(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        body: RawMail,
    ) -> Result<DeliveryResponse> {
        auth.0.require_mail_gateway()?;
        let RawMail::Mail(raw) = body;
        match state.inbox.receive(&raw.0, Source::Api).await {
            Ok(Delivery::Stored(mail)) => Ok(DeliveryResponse::Created(Json(DeliveryView {
                id: Some(mail.id),
                status: Some(mail.status.into()),
                duplicate: false,
            }))),
            Ok(Delivery::Duplicate { .. }) => Ok(DeliveryResponse::Duplicate(Json(DeliveryView {
                id: None,
                status: None,
                duplicate: true,
            }))),
            Err(error @ InboxError::TooLarge { .. }) => Err(ApiError::from_problem(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                error.to_string(),
            ))),
            Err(InboxError::NotAMail) => Err(ApiError::invalid(vec![FieldError {
                field: "body".to_owned(),
                rule: "rfc5322_message".to_owned(),
                message: "the body is not a mail message (RFC 5322)".to_owned(),
            }])),
            Err(InboxError::Store(error)) if error.is_unavailable() => Err(error.into()),
            Err(error) if error.is_temporary() => {
                tracing::warn!(%error, "an inbound mail could not be stored; the gateway retries");
                Err(ApiError::from_problem(Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Service unavailable",
                    "The mail could not be stored now; nothing was changed. Retry later.",
                )))
            }
            Err(InboxError::Store(error)) => Err(error.into()),
        }
    }

    /// List inbound mails
    ///
    /// Staff only. Oldest first; `status=quarantined` is the quarantine to triage. A victim's
    /// mail (identity-theft case, security mailbox) is listed with its sender and subject masked,
    /// whoever reads: open it to see them.
    #[oai(
        path = "/api/v1/inbound-mails",
        method = "get",
        operation_id = "list_inbound_mails"
    )]
    async fn list(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Only mails with this status.
        status: Query<Option<InboundStatusDto>>,
        /// Only mails of this ticket (id or reference).
        #[oai(validator(min_length = 1, max_length = 100))]
        ticket: Query<Option<String>>,
        /// Page size, 1 to 200; 50 by default.
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "200"))
        )]
        limit: Query<u64>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(min_length = 1, max_length = 1000))]
        cursor: Query<Option<String>>,
    ) -> Result<InboundMailPageResponse> {
        auth.0.require_staff()?;
        let ticket = match ticket.0.as_deref() {
            None => None,
            Some(text) => match TicketKey::parse(text) {
                Some(TicketKey::Id(id)) => Some(id),
                Some(key) => match state.store.get_ticket(key).await {
                    Ok(stored) => Some(stored.ticket.id),
                    Err(StoreError::NotFound(_)) => Some(TicketId(Uuid::nil())),
                    Err(error) => return Err(error.into()),
                },
                None => Some(TicketId(Uuid::nil())),
            },
        };
        let page = state
            .store
            .list_inbound(
                status.0.map(Into::into),
                ticket,
                limit.0,
                cursor.0.as_deref(),
            )
            .await?;
        let mut items = Vec::with_capacity(page.items.len());
        for mail in page.items {
            let masked = restricted(&state, &mail).await?;
            items.push(view(mail, masked));
        }
        Ok(InboundMailPageResponse::Ok(Json(InboundMailPage {
            items,
            next_cursor: page.next_cursor,
        })))
    }

    /// Read an inbound mail
    ///
    /// Staff only. A victim's mail shows its sender and subject in full to `security` and
    /// `supervisor` (the read is journalled), masked to other staff.
    #[oai(
        path = "/api/v1/inbound-mails/:id",
        method = "get",
        operation_id = "get_inbound_mail"
    )]
    async fn get(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Mail id.
        id: Path<Uuid>,
    ) -> Result<InboundMailResponse> {
        auth.0.require_staff()?;
        let mail = state.store.get_inbound(id.0).await?;
        Ok(InboundMailResponse::Ok(Json(
            read_view(&state, &auth.0, mail).await?,
        )))
    }

    /// Download an inbound mail as received
    ///
    /// Staff only: the raw message (`application/octet-stream`, named `<id>.eml` by
    /// `Content-Disposition: attachment`,
    /// `nosniff`, a sandboxing Content-Security-Policy). A victim's mail only for `security` and
    /// `supervisor`, each download journalled (403 for other staff). 404 once its content was
    /// erased (retention).
    #[oai(
        path = "/api/v1/inbound-mails/:id/raw",
        method = "get",
        operation_id = "get_inbound_mail_raw"
    )]
    async fn raw(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Mail id.
        id: Path<Uuid>,
    ) -> Result<RawMailResponse> {
        auth.0.require_staff()?;
        let mail = state.store.get_inbound(id.0).await?;
        if restricted(&state, &mail).await? {
            if !sees_in_full(&auth.0) {
                return Err(security_required());
            }
            journal(
                &state,
                &auth.0,
                &mail,
                vec![
                    PersonalField::Email,
                    PersonalField::OwnWords,
                    PersonalField::Attachments,
                ],
                "raw message",
            )
            .await?;
        }
        let raw = state
            .store
            .inbound_raw(mail.id)
            .await?
            .ok_or_else(|| ApiError::not_found("inbound mail content"))?;
        Ok(RawMailResponse::Ok(
            Binary(raw),
            format!("attachment; filename=\"{}.eml\"", mail.id),
            crate::attachments::DOWNLOAD_CSP.to_owned(),
        ))
    }

    /// Attach a quarantined mail to a ticket
    ///
    /// The triage desk (`agent`, `security`, `supervisor`; a victim's mail: `security` and
    /// `supervisor`). The mail's words go on the ticket as an internal note of the caller, with
    /// the mail's receipt (its SHA-256) in the evidence chain. Only a quarantined mail (409
    /// otherwise).
    #[oai(
        path = "/api/v1/inbound-mails/:id/attach",
        method = "post",
        operation_id = "attach_inbound_mail"
    )]
    async fn attach(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Mail id.
        id: Path<Uuid>,
        body: Json<AttachMailBody>,
    ) -> Result<InboundMailResponse> {
        let mail = triageable(&state, &auth.0, id.0).await?;
        let ticket = crate::tickets::visible_ticket(&state, &auth.0, &body.0.ticket_id)
            .await
            .map_err(|_| {
                ApiError::invalid(vec![FieldError {
                    field: "ticket_id".to_owned(),
                    rule: "existing_ticket".to_owned(),
                    message: "no ticket has this id or reference".to_owned(),
                }])
            })?;
        let text = words(&parsed(&state, mail.id).await?)?;
        decide(
            &state,
            &auth.0,
            mail.id,
            QuarantineDecision::Attach {
                ticket: ticket.ticket.id,
                body: text,
            },
        )
        .await
    }

    /// Open a ticket from a quarantined mail
    ///
    /// The triage desk (`agent`, `security`, `supervisor`; a victim's mail: `security` and
    /// `supervisor`). A support request (or an incident) declared by the caller: the mail's
    /// subject is its title, its words the question or impact, its sender the reporter's address
    /// (acknowledged like any new ticket). Only a quarantined mail (409 otherwise).
    #[oai(
        path = "/api/v1/inbound-mails/:id/open",
        method = "post",
        operation_id = "open_from_inbound_mail"
    )]
    async fn open(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Mail id.
        id: Path<Uuid>,
        body: Json<OpenFromMailBody>,
    ) -> Result<InboundMailResponse> {
        let mail = triageable(&state, &auth.0, id.0).await?;
        let organisation = body.0.organisation_id.map(OrganisationId);
        if let Some(organisation) = organisation {
            match state.store.get_organisation(organisation).await {
                Ok(_) => {}
                Err(StoreError::NotFound(_)) => {
                    return Err(ApiError::invalid(vec![FieldError {
                        field: "organisation_id".to_owned(),
                        rule: "registered_organisation".to_owned(),
                        message: "no organisation of the registry has this id".to_owned(),
                    }]));
                }
                Err(other) => return Err(other.into()),
            }
        }
        let content = parsed(&state, mail.id).await?;
        let text = words(&content)?;
        let title = content
            .subject
            .as_deref()
            .map(|s| s.chars().take(SHORT_TEXT).collect::<String>())
            .and_then(|s| Text::parse("title", &s, SHORT_TEXT).ok())
            .or_else(|| Text::parse("title", "Message sans objet", SHORT_TEXT).ok())
            .ok_or_else(|| ApiError::from_problem(Problem::internal()))?;
        let data = match body.0.kind.unwrap_or(OpenedKindDto::SupportRequest) {
            OpenedKindDto::SupportRequest => {
                KindData::SupportRequest(SupportRequestData { question: text })
            }
            OpenedKindDto::Incident => KindData::Incident(IncidentData {
                service: None,
                started_at: mail.received_at,
                impact: text,
                security: false,
            }),
        };
        let new = NewTicket {
            id: TicketId::new_v7(),
            reference_number: 0,
            title,
            data,
            organisation,
            reporter_email: content
                .from
                .as_deref()
                .and_then(|from| EmailAddress::parse("from", from).ok()),
            language: Language::Fr,
            proposed_priority: None,
            follow_up_of: None,
            same_session_as: Vec::new(),
        };
        decide(
            &state,
            &auth.0,
            mail.id,
            QuarantineDecision::Open { new: Box::new(new) },
        )
        .await
    }

    /// Drop a quarantined mail
    ///
    /// The triage desk (`agent`, `security`, `supervisor`; a victim's mail: `security` and
    /// `supervisor`). The mail stays stored (its raw bytes until retention erases them), marked
    /// dropped with who decided. Only a quarantined mail (409 otherwise).
    #[oai(
        path = "/api/v1/inbound-mails/:id/drop",
        method = "post",
        operation_id = "drop_inbound_mail"
    )]
    async fn drop_mail(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Mail id.
        id: Path<Uuid>,
    ) -> Result<InboundMailResponse> {
        let mail = triageable(&state, &auth.0, id.0).await?;
        decide(&state, &auth.0, mail.id, QuarantineDecision::Drop).await
    }
}

fn default_limit() -> u64 {
    50
}
