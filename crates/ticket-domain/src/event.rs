//! Events: what happened to a ticket, appended to its evidence file and never changed.

use crate::actor::Actor;
use crate::clock::ClockKind;
use crate::closure::ClosureReason;
use crate::escalation::Tier;
use crate::kind::{Qualification, TicketKind};
use crate::notify::{Recipient, Template};
use crate::priority::Priority;
use crate::ticket::{Cancellation, ConcernedRole, LinkKind, State, Ticket};
use crate::values::{OrganisationId, StaffHandle, Text, TicketId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who may read an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The reporter and the partner see it.
    Public,
    /// Staff only: internal notes, triage details.
    Internal,
}

/// Why a ticket escalated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum EscalationCause {
    Manual { reason: Text },
    Breach { clock: ClockKind },
}

/// What happened. Personal data of users never appears here: it lives in the ticket's kind data, so
/// that anonymising it leaves the evidence chain intact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventData {
    Created {
        kind: TicketKind,
        title: Text,
        priority: Priority,
        proposed_priority: Option<Priority>,
        tier: Tier,
    },
    Acknowledged {
        note: Option<Text>,
    },
    Assigned {
        assignee: StaffHandle,
    },
    PriorityChanged {
        from: Priority,
        to: Priority,
        reason: Text,
    },
    Commented {
        body: Text,
    },
    Escalated {
        from: Tier,
        to: Tier,
        cause: EscalationCause,
    },
    WaitingForReporter {
        question: Text,
    },
    ReporterAnswered {
        body: Text,
    },
    Resolved {
        summary: Text,
    },
    ResolutionConfirmed,
    ResolutionRejected {
        reason: Text,
    },
    Qualified {
        qualification: Qualification,
    },
    OrganisationNotified {
        organisation: OrganisationId,
        role: ConcernedRole,
    },
    /// `security` added an organisation found during the investigation.
    OrganisationConcerned {
        organisation: OrganisationId,
        role: ConcernedRole,
    },
    /// The mail server accepted a mail that proves a closure condition (resolution notice,
    /// organisation notified).
    MailDelivered {
        template: Template,
        recipient: Recipient,
        delivered_at: DateTime<Utc>,
    },
    /// A reminder to the silent reporter could not be delivered (refused for good, or bounced):
    /// the automatic closure waits for a delivered one, and the ticket's tier is told.
    ReminderUndeliverable {
        failed_at: DateTime<Utc>,
    },
    CredentialsRevoked {
        note: Text,
    },
    RevocationWaived {
        note: Text,
    },
    Closed {
        reason: ClosureReason,
        note: Option<Text>,
    },
    Reopened {
        reason: Text,
    },
    Cancelled {
        cancellation: Cancellation,
        note: Option<Text>,
    },
    Linked {
        ticket: TicketId,
        link: LinkKind,
    },
    SlaWarning {
        clock: ClockKind,
        deadline: DateTime<Utc>,
    },
    SlaBreached {
        clock: ClockKind,
        deadline: DateTime<Utc>,
        explanation: String,
    },
    ReminderSent {
        number: u32,
    },
    /// Files were attached. The event carries each file's SHA-256, so the evidence chain covers
    /// the bytes; the name the sender chose (personal data) is kept beside the chain, erasable.
    FilesAttached {
        files: Vec<AttachedFile>,
    },
    /// A mail landed on the ticket (channel "e-mail"): its raw message is kept by the store, and its
    /// SHA-256 is here, in the evidence chain, so the comment it became can be proved to come from
    /// that very message. Recorded right after the comment or the opening it caused.
    MailReceived {
        receipt: MailReceipt,
    },
    /// Personal data of the ticket was erased (retention, a person's request): the sealed free
    /// texts of the events before this one (`sealed_texts`), and the files named by their SHA-256.
    /// The chain still verifies, and an offline verifier accepts their absence from an export
    /// because this event, itself in the chain, names it. Recorded by the service.
    PersonalDataErased {
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        sealed_texts: bool,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        files: Vec<String>,
    },
}

/// A file attached to a ticket, as the evidence chain records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedFile {
    /// The attachment's id.
    pub id: uuid::Uuid,
    /// SHA-256 of the bytes, 64 lowercase hex characters.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// The media type detected from the content (never the sender's claim).
    pub media_type: String,
}

/// Which inbound mail an event came from, and the SHA-256 of its raw bytes (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailReceipt {
    /// The stored inbound mail.
    pub mail: uuid::Uuid,
    pub sha256: String,
    /// The mail opened the ticket (rather than answering on it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub opened: bool,
}

impl EventData {
    /// The event's type name, as stored and shown.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventData::Created { .. } => "created",
            EventData::Acknowledged { .. } => "acknowledged",
            EventData::Assigned { .. } => "assigned",
            EventData::PriorityChanged { .. } => "priority_changed",
            EventData::Commented { .. } => "commented",
            EventData::Escalated { .. } => "escalated",
            EventData::WaitingForReporter { .. } => "waiting_for_reporter",
            EventData::ReporterAnswered { .. } => "reporter_answered",
            EventData::Resolved { .. } => "resolved",
            EventData::ResolutionConfirmed => "resolution_confirmed",
            EventData::ResolutionRejected { .. } => "resolution_rejected",
            EventData::Qualified { .. } => "qualified",
            EventData::OrganisationNotified { .. } => "organisation_notified",
            EventData::OrganisationConcerned { .. } => "organisation_concerned",
            EventData::MailDelivered { .. } => "mail_delivered",
            EventData::ReminderUndeliverable { .. } => "reminder_undeliverable",
            EventData::CredentialsRevoked { .. } => "credentials_revoked",
            EventData::RevocationWaived { .. } => "revocation_waived",
            EventData::Closed { .. } => "closed",
            EventData::Reopened { .. } => "reopened",
            EventData::Cancelled { .. } => "cancelled",
            EventData::Linked { .. } => "linked",
            EventData::SlaWarning { .. } => "sla_warning",
            EventData::SlaBreached { .. } => "sla_breached",
            EventData::ReminderSent { .. } => "reminder_sent",
            EventData::FilesAttached { .. } => "files_attached",
            EventData::PersonalDataErased { .. } => "personal_data_erased",
            EventData::MailReceived { .. } => "mail_received",
        }
    }
}

/// One entry of a ticket's history: who, when, what, why, and the state change if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub visibility: Visibility,
    /// `(from, to)` when the event changed the ticket's state.
    pub transition: Option<(State, State)>,
    pub data: EventData,
    /// The ticket as it stood right after the event: what the mails announcing it show, whenever
    /// they are sent. Absent from events recorded before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<TicketFacts>,
}

/// What a mail shows of the ticket: its state, priority, tier, assignee and deadlines right after
/// the event it announces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketFacts {
    pub state: State,
    pub priority: Priority,
    pub tier: Tier,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<StaffHandle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledgement_deadline: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handling_deadline: Option<DateTime<Utc>>,
}

impl Event {
    /// `ticket` as it stood right after this event (state, priority, tier, assignee), as far as the
    /// event recorded it; `ticket` itself for events recorded before facts were kept.
    pub fn facts_applied_to(&self, ticket: &Ticket) -> Ticket {
        let mut then = ticket.clone();
        if let Some(facts) = &self.facts {
            then.state = facts.state;
            then.priority = facts.priority;
            then.tier = facts.tier;
            then.assignee = facts.assignee.clone();
        }
        then
    }
}
