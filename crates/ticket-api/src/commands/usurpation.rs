//! The commands of usurpation cases: qualify a user's report, the organisations concerned and
//! their notification, the partner's compromised credentials.

use super::bodies::{
    ConcernedOrganisationBody, OrganisationNotifiedBody, QualifyBody, RequiredNoteBody,
};
use super::run::{execute, qualification, text_or_invalid};
use crate::ApiState;
use crate::ApiTag;
use crate::auth::ApiKeyAuth;
use crate::error::ApiError;
use crate::tickets::TicketResponse;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use ticket_domain::Command;
use ticket_domain::values::{LONG_TEXT, OrganisationId};

type Result<T> = std::result::Result<T, ApiError>;

/// Commands of usurpation cases.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsurpationApi;

#[OpenApi(tag = "ApiTag::Commands")]
impl UsurpationApi {
    /// Qualify a user usurpation report
    ///
    /// `security` confirms the report (the identity provider and service providers concerned are
    /// told, the victim is advised) or finds it unfounded (resolved with an explanation).
    #[oai(
        path = "/api/v1/tickets/:id/qualify",
        method = "post",
        operation_id = "qualify"
    )]
    async fn qualify(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<QualifyBody>,
    ) -> Result<TicketResponse> {
        let command = qualification(body.0)?;
        execute(state, auth, id, if_match, command).await
    }

    /// Record an organisation notified
    ///
    /// An organisation concerned by a usurpation case was notified through another channel than
    /// mail (a mail to it counts once the mail server accepted it); closure needs every one
    /// notified. `security` or the supervisor.
    #[oai(
        path = "/api/v1/tickets/:id/organisations-notified",
        method = "post",
        operation_id = "record_organisation_notified"
    )]
    async fn organisation_notified(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<OrganisationNotifiedBody>,
    ) -> Result<TicketResponse> {
        let command = Command::RecordOrganisationNotified {
            organisation: OrganisationId(body.0.organisation_id),
        };
        execute(state, auth, id, if_match, command).await
    }

    /// Add an organisation concerned
    ///
    /// `security` (or the supervisor) adds an organisation found during the investigation of a
    /// usurpation case. Each organisation is concerned once; it must be notified before closure: on
    /// a confirmed user usurpation its designated contacts are mailed at once.
    #[oai(
        path = "/api/v1/tickets/:id/concerned-organisations",
        method = "post",
        operation_id = "add_concerned_organisation"
    )]
    async fn add_concerned_organisation(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<ConcernedOrganisationBody>,
    ) -> Result<TicketResponse> {
        let command = Command::AddConcernedOrganisation {
            organisation: OrganisationId(body.0.organisation_id),
            role: body.0.role.into(),
        };
        execute(state, auth, id, if_match, command).await
    }

    /// Record credentials revoked
    ///
    /// Partner usurpation: the compromised credentials were revoked.
    #[oai(
        path = "/api/v1/tickets/:id/credentials-revoked",
        method = "post",
        operation_id = "record_credentials_revoked"
    )]
    async fn credentials_revoked(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<RequiredNoteBody>,
    ) -> Result<TicketResponse> {
        let note = text_or_invalid("note", &body.0.note, LONG_TEXT)?;
        execute(
            state,
            auth,
            id,
            if_match,
            Command::RecordCredentialsRevoked { note },
        )
        .await
    }

    /// Waive the revocation
    ///
    /// Partner usurpation: `security` waives the revocation of credentials in writing.
    #[oai(
        path = "/api/v1/tickets/:id/revocation-waiver",
        method = "post",
        operation_id = "waive_revocation"
    )]
    async fn revocation_waiver(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<RequiredNoteBody>,
    ) -> Result<TicketResponse> {
        let note = text_or_invalid("note", &body.0.note, LONG_TEXT)?;
        execute(state, auth, id, if_match, Command::WaiveRevocation { note }).await
    }
}
