//! Taking a ticket in hand and talking with its reporter: acknowledge, assign, set the
//! priority, comment, escalate, wait for the reporter and record their answer.

use super::bodies::{
    AssignBody, CommentBody, NoteBody, PriorityBody, QuestionBody, ReasonBody, RequiredNoteBody,
};
use super::run::{
    execute, optional_text_or_invalid, require_member, staff_handle_or_invalid, text_or_invalid,
};
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
use ticket_domain::values::LONG_TEXT;

type Result<T> = std::result::Result<T, ApiError>;

/// Commands that take a ticket in hand.
#[derive(Debug, Clone, Copy, Default)]
pub struct HandlingApi;

#[OpenApi(tag = "ApiTag::Commands")]
impl HandlingApi {
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
        execute(state, auth, id, if_match, Command::Acknowledge { note }).await
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
        execute(state, auth, id, if_match, Command::Assign { assignee }).await
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
        execute(state, auth, id, if_match, command).await
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
        execute(state, auth, id, if_match, command).await
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
        execute(state, auth, id, if_match, Command::Escalate { reason }).await
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
        execute(
            state,
            auth,
            id,
            if_match,
            Command::WaitForReporter { question },
        )
        .await
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
        execute(
            state,
            auth,
            id,
            if_match,
            Command::RecordReporterAnswered { note },
        )
        .await
    }
}
