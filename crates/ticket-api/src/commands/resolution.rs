//! The end of a ticket: resolve, the reporter's confirmation or rejection, a fix that did not
//! hold, close, reopen, cancel.

use super::bodies::{
    CancelBody, CancelReason, CloseBody, ReasonBody, RequiredNoteBody, ResolveBody,
};
use super::run::{closure, execute, optional_text_or_invalid, text_or_invalid};
use crate::ApiState;
use crate::ApiTag;
use crate::auth::ApiKeyAuth;
use crate::error::ApiError;
use crate::tickets::{TicketResponse, ticket_id_of};
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use ticket_domain::Command;
use ticket_domain::ticket::Cancellation;
use ticket_domain::values::LONG_TEXT;

type Result<T> = std::result::Result<T, ApiError>;

/// Commands that resolve, close, reopen or cancel a ticket.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResolutionApi;

#[OpenApi(tag = "ApiTag::Commands")]
impl ResolutionApi {
    /// Resolve
    ///
    /// Records what was done; the reporter is asked to confirm. Closure condition 4 (reporter
    /// notified) is met once the mail server accepted that mail (the outbox row is `sent`); a
    /// failed or uncertain mail leaves it unmet until it is sent again. Security cases are resolved
    /// by `security` or the supervisor.
    #[oai(
        path = "/api/v1/tickets/:id/resolve",
        method = "post",
        operation_id = "resolve"
    )]
    async fn resolve(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<ResolveBody>,
    ) -> Result<TicketResponse> {
        let summary = text_or_invalid("summary", &body.0.summary, LONG_TEXT)?;
        execute(state, auth, id, if_match, Command::Resolve { summary }).await
    }

    /// Confirm the resolution
    ///
    /// The reporter confirms in writing (closure condition 1); the ticket closes as
    /// `resolved_confirmed` when nothing else blocks it.
    #[oai(
        path = "/api/v1/tickets/:id/confirm-resolution",
        method = "post",
        operation_id = "confirm_resolution"
    )]
    async fn confirm_resolution(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> Result<TicketResponse> {
        execute(state, auth, id, if_match, Command::ConfirmResolution).await
    }

    /// Reject the resolution
    ///
    /// The reporter says it is not fixed; the ticket goes back in progress and its clock resumes.
    /// Staff record a reporter's spoken "not fixed" with `record-not-fixed`.
    #[oai(
        path = "/api/v1/tickets/:id/reject-resolution",
        method = "post",
        operation_id = "reject_resolution"
    )]
    async fn reject_resolution(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<ReasonBody>,
    ) -> Result<TicketResponse> {
        let reason = text_or_invalid("reason", &body.0.reason, LONG_TEXT)?;
        execute(
            state,
            auth,
            id,
            if_match,
            Command::RejectResolution { reason },
        )
        .await
    }

    /// Record that the reporter says it is not fixed
    ///
    /// Staff record a reporter's spoken "it is not fixed" on a resolved ticket: back in progress,
    /// the clock resumes; the note says what the reporter said.
    #[oai(
        path = "/api/v1/tickets/:id/record-not-fixed",
        method = "post",
        operation_id = "record_not_fixed"
    )]
    async fn record_not_fixed(
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
        execute(state, auth, id, if_match, Command::RecordNotFixed { note }).await
    }

    /// Close
    ///
    /// With one of the four closure conditions and its proof; a refusal names the unmet condition.
    #[oai(
        path = "/api/v1/tickets/:id/close",
        method = "post",
        operation_id = "close"
    )]
    async fn close(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<CloseBody>,
    ) -> Result<TicketResponse> {
        let command = closure(body.0)?;
        execute(state, auth, id, if_match, command).await
    }

    /// Reopen
    ///
    /// A closed ticket reopens within 15 days (by its reporter or staff; a security case by
    /// `security` or the supervisor); after that, declare a new ticket with `follow_up_of`.
    #[oai(
        path = "/api/v1/tickets/:id/reopen",
        method = "post",
        operation_id = "reopen"
    )]
    async fn reopen(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<ReasonBody>,
    ) -> Result<TicketResponse> {
        let reason = text_or_invalid("reason", &body.0.reason, LONG_TEXT)?;
        execute(state, auth, id, if_match, Command::Reopen { reason }).await
    }

    /// Cancel
    ///
    /// Spam, or a duplicate of another ticket. Security cases are cancelled by `security` or the
    /// supervisor.
    #[oai(
        path = "/api/v1/tickets/:id/cancel",
        method = "post",
        operation_id = "cancel"
    )]
    async fn cancel(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<CancelBody>,
    ) -> Result<TicketResponse> {
        let body = body.0;
        let note = optional_text_or_invalid("note", body.note.as_ref(), LONG_TEXT)?;
        let cancellation = match (body.reason, body.duplicate_of) {
            (CancelReason::Spam, _) => Cancellation::Spam,
            (CancelReason::Duplicate, Some(of)) => Cancellation::Duplicate {
                of: ticket_id_of(&state, &auth.0, "duplicate_of", &of).await?,
            },
            (CancelReason::Duplicate, None) => {
                return Err(ApiError::invalid(vec![crate::problem::FieldError {
                    field: "duplicate_of".into(),
                    rule: "required".into(),
                    message: "a duplicate names the ticket it duplicates".into(),
                }]));
            }
        };
        execute(
            state,
            auth,
            id,
            if_match,
            Command::Cancel { cancellation, note },
        )
        .await
    }
}
