//! `POST /api/v1/tickets/{id}/{command}`: every command of the lifecycle. Each needs `If-Match`
//! with the ticket's ETag and answers the updated ticket with its new ETag.

mod bodies;
pub(crate) mod run;

pub(crate) use run::text_or_invalid;

use crate::ApiState;
use crate::ApiTag;
use crate::auth::ApiKeyAuth;
use crate::error::ApiError;
use crate::tickets::{TicketResponse, ticket_id_of};
use bodies::{
    AssignBody, CancelBody, CancelReason, CloseBody, CommentBody, ConcernedOrganisationBody,
    NoteBody, OrganisationNotifiedBody, PriorityBody, QualifyBody, QuestionBody, ReasonBody,
    RequiredNoteBody, ResolveBody,
};
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use run::{
    closure, optional_text_or_invalid, qualification, require_member, run, staff_handle_or_invalid,
};
use ticket_domain::Command;
use ticket_domain::ticket::Cancellation;
use ticket_domain::values::{LONG_TEXT, OrganisationId};

type Result<T> = std::result::Result<T, ApiError>;

/// Ticket commands.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommandsApi;

#[OpenApi(tag = "ApiTag::Commands")]
impl CommandsApi {
    /// Acknowledge a new ticket
    ///
    /// Staff take note of a new ticket; the acknowledgement clock stops. Security cases are
    /// acknowledged by `security` (or a supervisor).
    #[oai(
        path = "/api/v1/tickets/:id/acknowledge",
        method = "post",
        operation_id = "acknowledge"
    )]
    async fn acknowledge(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<NoteBody>,
    ) -> Result<TicketResponse> {
        let note = optional_text_or_invalid("note", body.0.note.as_ref(), LONG_TEXT)?;
        run(
            &state,
            &auth.0,
            &id.0,
            if_match.0.as_deref(),
            Command::Acknowledge { note },
        )
        .await
    }

    /// Assign a ticket
    ///
    /// Names the staff member who handles it, a member of the staff directory (422 otherwise);
    /// an acknowledged ticket goes in progress.
    #[oai(
        path = "/api/v1/tickets/:id/assign",
        method = "post",
        operation_id = "assign"
    )]
    async fn assign(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<AssignBody>,
    ) -> Result<TicketResponse> {
        let assignee = staff_handle_or_invalid("assignee", &body.0.assignee)?;
        require_member(&state, "assignee", &assignee).await?;
        run(
            &state,
            &auth.0,
            &id.0,
            if_match.0.as_deref(),
            Command::Assign { assignee },
        )
        .await
    }

    /// Set the effective priority
    ///
    /// Staff triage: the deadlines are recomputed from the clock's stored intervals and the running
    /// clocks are measured against the new target; a 75 % warning or a breach that already fired on
    /// a clock does not fire again, and a stopped clock raises none. Security cases cannot go below
    /// priority 2 without the `security` role.
    #[oai(
        path = "/api/v1/tickets/:id/priority",
        method = "post",
        operation_id = "set_priority"
    )]
    async fn set_priority(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<PriorityBody>,
    ) -> Result<TicketResponse> {
        let reason = text_or_invalid("reason", &body.0.reason, LONG_TEXT)?;
        let command = Command::SetPriority {
            priority: body.0.priority.into(),
            reason,
        };
        run(&state, &auth.0, &id.0, if_match.0.as_deref(), command).await
    }

    /// Comment
    ///
    /// A public comment reaches the reporter; an internal note (staff only) never leaves the staff.
    /// A comment by the reporter while the ticket waits for them resumes the clock. On a security
    /// case only `security` and the supervisor comment publicly; agents and engineers add internal
    /// notes.
    #[oai(
        path = "/api/v1/tickets/:id/comments",
        method = "post",
        operation_id = "comment"
    )]
    async fn comment(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<CommentBody>,
    ) -> Result<TicketResponse> {
        let text = text_or_invalid("body", &body.0.body, LONG_TEXT)?;
        let command = Command::Comment {
            body: text,
            internal: body.0.internal,
        };
        run(&state, &auth.0, &id.0, if_match.0.as_deref(), command).await
    }

    /// Escalate
    ///
    /// Moves the ticket one tier up (agent → engineer → supervisor; security → supervisor) and
    /// tells the owners of its priority. Security cases are escalated by `security` or the
    /// supervisor.
    #[oai(
        path = "/api/v1/tickets/:id/escalate",
        method = "post",
        operation_id = "escalate"
    )]
    async fn escalate(
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
        run(
            &state,
            &auth.0,
            &id.0,
            if_match.0.as_deref(),
            Command::Escalate { reason },
        )
        .await
    }

    /// Wait for the reporter
    ///
    /// Asks the reporter a question; the clocks pause until they answer.
    #[oai(
        path = "/api/v1/tickets/:id/wait-for-reporter",
        method = "post",
        operation_id = "wait_for_reporter"
    )]
    async fn wait_for_reporter(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// The ticket's ETag, as read from GET.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<QuestionBody>,
    ) -> Result<TicketResponse> {
        let question = text_or_invalid("question", &body.0.question, LONG_TEXT)?;
        run(
            &state,
            &auth.0,
            &id.0,
            if_match.0.as_deref(),
            Command::WaitForReporter { question },
        )
        .await
    }

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
        run(
            &state,
            &auth.0,
            &id.0,
            if_match.0.as_deref(),
            Command::Resolve { summary },
        )
        .await
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
        run(
            &state,
            &auth.0,
            &id.0,
            if_match.0.as_deref(),
            Command::ConfirmResolution,
        )
        .await
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
        run(
            &state,
            &auth.0,
            &id.0,
            if_match.0.as_deref(),
            Command::RejectResolution { reason },
        )
        .await
    }

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
        run(&state, &auth.0, &id.0, if_match.0.as_deref(), command).await
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
        run(&state, &auth.0, &id.0, if_match.0.as_deref(), command).await
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
        run(&state, &auth.0, &id.0, if_match.0.as_deref(), command).await
    }

    /// Record the reporter's answer by another channel
    ///
    /// Staff record that the reporter answered a question by phone or mail: the ticket goes back
    /// in progress and its clock resumes; the note says what they answered.
    #[oai(
        path = "/api/v1/tickets/:id/record-reporter-answered",
        method = "post",
        operation_id = "record_reporter_answered"
    )]
    async fn record_reporter_answered(
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
        run(
            &state,
            &auth.0,
            &id.0,
            if_match.0.as_deref(),
            Command::RecordReporterAnswered { note },
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
        run(
            &state,
            &auth.0,
            &id.0,
            if_match.0.as_deref(),
            Command::RecordNotFixed { note },
        )
        .await
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
        run(
            &state,
            &auth.0,
            &id.0,
            if_match.0.as_deref(),
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
        run(
            &state,
            &auth.0,
            &id.0,
            if_match.0.as_deref(),
            Command::WaiveRevocation { note },
        )
        .await
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
        run(&state, &auth.0, &id.0, if_match.0.as_deref(), command).await
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
        run(
            &state,
            &auth.0,
            &id.0,
            if_match.0.as_deref(),
            Command::Reopen { reason },
        )
        .await
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
        run(
            &state,
            &auth.0,
            &id.0,
            if_match.0.as_deref(),
            Command::Cancel { cancellation, note },
        )
        .await
    }
}
