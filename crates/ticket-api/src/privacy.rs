//! Privacy operations: the access journal, legal holds, and data subjects' access and erasure
//! requests (rule "Personal data" of the domain document).

use crate::ApiState;
use crate::ApiTag;
use crate::auth::{ApiKeyAuth, Principal};
use crate::dto::Instant;
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use ticket_domain::Role;
use ticket_domain::values::{EmailAddress, SHORT_TEXT};
use ticket_store::privacy::{
    Anonymisation, JournalAction, JournalEntry, JournalFilter, JournalRecord, LegalHold,
};
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// What a journal entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum JournalActionDto {
    /// A ticket read showing personal data in full.
    TicketRead,
    /// An evidence file exported with its sealed texts.
    EvidenceExport,
    /// A victim's attachment downloaded.
    AttachmentDownload,
    /// A person's data exported at their request.
    SubjectAccess,
    /// A person's data erased at their request.
    SubjectErasure,
    /// A ticket's personal data anonymised (retention or erasure).
    Anonymised,
    /// A legal hold set.
    LegalHoldSet,
    /// A legal hold lifted.
    LegalHoldLifted,
    /// The sender, subject or raw bytes of a victim's inbound mail read.
    InboundMailRead,
}

impl From<JournalActionDto> for JournalAction {
    fn from(value: JournalActionDto) -> Self {
        match value {
            JournalActionDto::TicketRead => JournalAction::TicketRead,
            JournalActionDto::EvidenceExport => JournalAction::EvidenceExport,
            JournalActionDto::AttachmentDownload => JournalAction::AttachmentDownload,
            JournalActionDto::SubjectAccess => JournalAction::SubjectAccess,
            JournalActionDto::SubjectErasure => JournalAction::SubjectErasure,
            JournalActionDto::Anonymised => JournalAction::Anonymised,
            JournalActionDto::LegalHoldSet => JournalAction::LegalHoldSet,
            JournalActionDto::LegalHoldLifted => JournalAction::LegalHoldLifted,
            JournalActionDto::InboundMailRead => JournalAction::InboundMailRead,
        }
    }
}

/// One entry of the access journal. It holds no personal data of users.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct JournalEntryView {
    /// Position in the journal's chain, from 1.
    pub seq: i64,
    /// Entry id.
    pub id: Uuid,
    /// When it happened.
    pub at: Instant,
    /// What was done, e.g. `ticket_read`.
    pub action: String,
    /// Who: a role and name, a partner key, or the service.
    pub actor: String,
    /// The staff role, for staff.
    pub role: Option<String>,
    /// The partner organisation, for a partner key.
    pub organisation_id: Option<Uuid>,
    /// The API key used.
    pub key_id: Option<Uuid>,
    /// The ticket concerned.
    pub ticket_id: Option<Uuid>,
    /// The personal fields shown in full, e.g. `birth_names`, `email`, `own_words`.
    pub fields: Vec<String>,
    /// Why, in words (`retention`, `erasure request`…).
    pub detail: Option<String>,
    /// Hash of the entry before (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 over `prev_hash` then the entry's RFC 8785 canonical JSON, hex.
    pub hash: String,
}

impl From<JournalEntry> for JournalEntryView {
    fn from(entry: JournalEntry) -> Self {
        Self {
            seq: entry.seq,
            id: entry.id,
            at: entry.at.into(),
            action: entry.action,
            actor: entry.actor,
            role: entry.role,
            organisation_id: entry.organisation_id,
            key_id: entry.key_id,
            ticket_id: entry.ticket_id,
            fields: entry.fields,
            detail: entry.detail,
            prev_hash: entry.prev_hash,
            hash: entry.hash,
        }
    }
}

/// A page of the journal.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct JournalPage {
    /// The entries of this page, oldest first.
    pub items: Vec<JournalEntryView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The journal's chain, recomputed.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct JournalVerification {
    /// Whether every link holds and the head matches.
    pub valid: bool,
    /// Entries verified before the first broken one.
    pub entries_verified: i64,
    /// The first broken entry, if any.
    pub first_broken_seq: Option<i64>,
    /// Why it is broken.
    pub reason: Option<String>,
}

/// A legal hold on a ticket.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LegalHoldView {
    /// The ticket held.
    pub ticket_id: Uuid,
    /// When the hold was set.
    pub set_at: Instant,
    /// Who set it.
    pub set_by: String,
    /// Why (a case number, a request of the courts…).
    pub reason: String,
}

impl From<LegalHold> for LegalHoldView {
    fn from(hold: LegalHold) -> Self {
        Self {
            ticket_id: hold.ticket_id.0,
            set_at: hold.set_at.into(),
            set_by: hold.set_by,
            reason: hold.reason,
        }
    }
}

/// Setting a legal hold.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct LegalHoldRequest {
    /// Why the data must be kept (a case number, a request of the courts…), 1 to 200 characters;
    /// no personal data.
    #[oai(validator(min_length = 1, max_length = 200))]
    pub reason: String,
}

/// A data subject's request: the person is named by their email address.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct SubjectRequest {
    /// The person's email address, as they gave it in their reports.
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: String,
}

/// What an erasure request did.
#[derive(Debug, Clone, Object)]
pub struct ErasureView {
    /// Tickets whose personal data was erased now.
    pub erased: Vec<Uuid>,
    /// Tickets kept under a legal hold: nothing of them was erased.
    pub held: Vec<Uuid>,
}

/// Answers of the journal list.
#[derive(Debug, ApiResponse)]
pub enum JournalPageResponse {
    /// The page.
    #[oai(status = 200)]
    Ok(Json<JournalPage>),
}

/// Answers of the journal verification.
#[derive(Debug, ApiResponse)]
pub enum JournalVerificationResponse {
    /// The verification.
    #[oai(status = 200)]
    Ok(Json<JournalVerification>),
}

/// Answers about a legal hold.
#[derive(Debug, ApiResponse)]
pub enum LegalHoldResponse {
    /// The hold.
    #[oai(status = 200)]
    Ok(Json<LegalHoldView>),
}

/// Answers of lifting a legal hold.
#[derive(Debug, ApiResponse)]
pub enum LiftedResponse {
    /// The hold is lifted.
    #[oai(status = 204)]
    NoContent,
}

/// Answers of an access request.
#[derive(Debug, ApiResponse)]
pub enum ExportResponse {
    /// Everything held about the person, as a JSON file.
    #[oai(status = 200)]
    Ok(
        Json<serde_json::Value>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

/// Answers of an erasure request.
#[derive(Debug, ApiResponse)]
pub enum ErasureResponse {
    /// What was erased and what a legal hold keeps.
    #[oai(status = 200)]
    Ok(Json<ErasureView>),
}

fn require_role(principal: &Principal, roles: &[Role], rule: &str, who: &str) -> Result<()> {
    match principal.role() {
        Some(role) if roles.contains(&role) => Ok(()),
        _ => Err(ApiError::forbidden(
            rule,
            format!("Only {who} may do this."),
        )),
    }
}

fn journal_readers(principal: &Principal) -> Result<()> {
    require_role(
        principal,
        &ticket_domain::privacy::SUBJECT_REQUEST_ROLES,
        "privacy-role-required",
        "an admin or dpo key",
    )
}

fn hold_keepers(principal: &Principal) -> Result<()> {
    require_role(
        principal,
        &[Role::Security, Role::Supervisor, Role::Dpo],
        "legal-hold-role-required",
        "a security, supervisor or dpo key",
    )
}

fn email_of(request: &SubjectRequest) -> Result<EmailAddress> {
    EmailAddress::parse("email", &request.email).map_err(|e| ApiError::invalid(vec![e.into()]))
}

fn default_limit() -> u64 {
    50
}

/// Privacy operations.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrivacyApi;

#[OpenApi(tag = "ApiTag::Privacy")]
impl PrivacyApi {
    /// Read the access journal
    ///
    /// Every read of a ticket's personal data in full, every export, erasure, anonymisation and
    /// legal hold: who, when, which ticket, which fields. Admin and dpo only. Oldest first.
    #[oai(
        path = "/api/v1/access-journal",
        method = "get",
        operation_id = "list_access_journal"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Only entries about this ticket (id or reference).
        #[oai(validator(min_length = 1, max_length = 100))]
        ticket: Query<Option<String>>,
        /// Only entries of this action.
        action: Query<Option<JournalActionDto>>,
        /// Only entries of this actor, exactly as shown (`security alice`).
        #[oai(validator(min_length = 1, max_length = 200))]
        actor: Query<Option<String>>,
        /// Only entries made with this API key.
        key_id: Query<Option<Uuid>>,
        /// Only entries at or after this instant.
        from: Query<Option<DateTime<Utc>>>,
        /// Only entries before this instant.
        before: Query<Option<DateTime<Utc>>>,
        /// Page size, 1 to 200; 50 by default.
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "200"))
        )]
        limit: Query<u64>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(min_length = 1, max_length = 1000))]
        cursor: Query<Option<String>>,
    ) -> Result<JournalPageResponse> {
        journal_readers(&auth.0)?;
        let ticket = match ticket.0 {
            Some(text) => {
                Some(crate::tickets::ticket_id_of(&state, &auth.0, "ticket", &text).await?)
            }
            None => None,
        };
        let filter = JournalFilter {
            ticket,
            action: action.0.map(Into::into),
            actor: actor.0,
            key_id: key_id.0,
            from: from.0,
            before: before.0,
        };
        let page = state
            .store
            .list_journal(&filter, limit.0, cursor.0.as_deref())
            .await?;
        Ok(JournalPageResponse::Ok(Json(JournalPage {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor,
        })))
    }

    /// Verify the access journal
    ///
    /// Recomputes the journal's hash chain and names the first entry that was altered, removed or
    /// inserted. Admin and dpo only.
    #[oai(
        path = "/api/v1/access-journal/verification",
        method = "get",
        operation_id = "verify_access_journal"
    )]
    async fn verify(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
    ) -> Result<JournalVerificationResponse> {
        journal_readers(&auth.0)?;
        let v = state.store.verify_journal().await?;
        Ok(JournalVerificationResponse::Ok(Json(JournalVerification {
            valid: v.valid,
            entries_verified: v.events,
            first_broken_seq: v.broken.as_ref().map(|b| b.seq),
            reason: v.broken.map(|b| b.reason),
        })))
    }

    /// Read a ticket's legal hold
    ///
    /// 404 when the ticket has none. Security, supervisor and dpo.
    #[oai(
        path = "/api/v1/tickets/:id/legal-hold",
        method = "get",
        operation_id = "get_legal_hold"
    )]
    async fn get_hold(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
    ) -> Result<LegalHoldResponse> {
        hold_keepers(&auth.0)?;
        let ticket = crate::tickets::visible_ticket(&state, &auth.0, &id.0)
            .await?
            .ticket
            .id;
        let hold = state
            .store
            .legal_hold(ticket)
            .await?
            .ok_or_else(|| ApiError::not_found("legal hold"))?;
        Ok(LegalHoldResponse::Ok(Json(hold.into())))
    }

    /// Set a legal hold
    ///
    /// The ticket's personal data is kept, whatever the retention policy, and an erasure request
    /// leaves it; setting it again replaces the reason. Security, supervisor and dpo. 409 when
    /// the ticket was already anonymised.
    #[oai(
        path = "/api/v1/tickets/:id/legal-hold",
        method = "put",
        operation_id = "set_legal_hold"
    )]
    async fn set_hold(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        body: Json<LegalHoldRequest>,
    ) -> Result<LegalHoldResponse> {
        hold_keepers(&auth.0)?;
        let reason = crate::commands::text_or_invalid("reason", &body.0.reason, SHORT_TEXT)?;
        let ticket = crate::tickets::visible_ticket(&state, &auth.0, &id.0)
            .await?
            .ticket
            .id;
        let hold = state
            .store
            .set_legal_hold(
                ticket,
                &auth.0.actor,
                Some(auth.0.key.id),
                reason.as_str(),
                state.clock.now(),
            )
            .await?;
        Ok(LegalHoldResponse::Ok(Json(hold.into())))
    }

    /// Lift a legal hold
    ///
    /// The retention policy applies again. 404 when the ticket has none. Security, supervisor and
    /// dpo.
    #[oai(
        path = "/api/v1/tickets/:id/legal-hold",
        method = "delete",
        operation_id = "lift_legal_hold"
    )]
    async fn lift_hold(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
    ) -> Result<LiftedResponse> {
        hold_keepers(&auth.0)?;
        let ticket = crate::tickets::visible_ticket(&state, &auth.0, &id.0)
            .await?
            .ticket
            .id;
        if state
            .store
            .lift_legal_hold(
                ticket,
                &auth.0.actor,
                Some(auth.0.key.id),
                state.clock.now(),
            )
            .await?
        {
            Ok(LiftedResponse::NoContent)
        } else {
            Err(ApiError::not_found("legal hold"))
        }
    }

    /// Export a person's data (access request)
    ///
    /// Everything held about the person at this email address — each ticket naming them as
    /// victim or reporter, with its history, mails and legal hold, and each mail they sent
    /// (`inbound_mails`, those that thread to no ticket included) — as a JSON file to hand to
    /// them. Recorded in the access journal. Dpo and admin only.
    #[oai(
        path = "/api/v1/data-subject-requests/access",
        method = "post",
        operation_id = "export_person"
    )]
    async fn export(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        body: Json<SubjectRequest>,
    ) -> Result<ExportResponse> {
        journal_readers(&auth.0)?;
        let email = email_of(&body.0)?;
        let export = state
            .store
            .export_person(
                email.expose(),
                &auth.0.actor,
                Some(auth.0.key.id),
                state.clock.now(),
            )
            .await?;
        Ok(ExportResponse::Ok(
            Json(serde_json::to_value(&export).unwrap_or_default()),
            "attachment; filename=\"personal-data.json\"".to_owned(),
        ))
    }

    /// Erase a person's data (erasure request)
    ///
    /// Anonymises every ticket naming the person at this email address, in every copy, except the
    /// tickets under a legal hold (listed as `held`), and erases the mails they sent (those that
    /// thread to no ticket included; a quarantined one leaves the quarantine). Recorded in the access journal. Dpo and
    /// admin only.
    #[oai(
        path = "/api/v1/data-subject-requests/erasure",
        method = "post",
        operation_id = "erase_person"
    )]
    async fn erase(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        body: Json<SubjectRequest>,
    ) -> Result<ErasureResponse> {
        journal_readers(&auth.0)?;
        let email = email_of(&body.0)?;
        let result = erase_person(&state, &auth.0, email.expose()).await?;
        Ok(ErasureResponse::Ok(Json(result)))
    }
}

/// Anonymises every ticket of the person, except those held.
async fn erase_person(state: &ApiState, principal: &Principal, email: &str) -> Result<ErasureView> {
    let now = state.clock.now();
    let mut view = ErasureView {
        erased: Vec::new(),
        held: Vec::new(),
    };
    for ticket in state.store.tickets_of_person(email).await? {
        match state
            .store
            .anonymise_ticket(
                ticket,
                &principal.actor,
                Some(principal.key.id),
                "erasure request of the data subject",
                now,
            )
            .await?
        {
            Anonymisation::Done | Anonymisation::AlreadyDone => view.erased.push(ticket.0),
            Anonymisation::Held => view.held.push(ticket.0),
        }
    }
    // The mails they sent, those that thread to no ticket included (a ticket's own mails went
    // with it; a held ticket's stay).
    let mails = state.store.erase_inbound_of_person(email, now).await?;
    let record = JournalRecord::new(JournalAction::SubjectErasure, &principal.actor, None)
        .key(Some(principal.key.id))
        .detail(&format!(
            "{} ticket(s) erased, {} held, {mails} inbound mail(s) erased",
            view.erased.len(),
            view.held.len()
        ));
    state.store.journal(&record, now).await?;
    Ok(view)
}
