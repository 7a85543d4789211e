//! The bodies of the ticket commands.

use crate::dto::{ClosureReasonDto, PriorityDto};
use poem_openapi::Object;
use uuid::Uuid;
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
