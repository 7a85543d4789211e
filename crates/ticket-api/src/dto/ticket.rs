//! A ticket as the API shows it: its view, built from the domain's ticket as a reader may see it,
//! with the commands the reader may run on it and its deadlines; a page of tickets.

use super::details::{
    CancellationView, ClosureView, ConcernedView, ConfirmationView, CredentialsView, IncidentView,
    LinkView, PartnerUsurpationView, ReporterView, ResolutionView, SupportRequestView,
    UserUsurpationView,
};
use super::{Instant, KindDto, PriorityDto, StateDto, TierDto, VictimView};
use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use ticket_domain::Ticket;
use ticket_domain::actor::Actor;
use ticket_domain::kind::KindData;
use ticket_domain::privacy::Purpose;
use uuid::Uuid;

/// A ticket.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TicketView {
    /// Stable id (UUID v7).
    pub id: Uuid,
    /// Human reference, e.g. `INC-2026-000042`; accepted wherever an id is.
    pub reference: String,
    /// Kind of ticket.
    pub kind: KindDto,
    /// Lifecycle state.
    pub state: StateDto,
    /// Short title.
    pub title: String,
    /// Effective priority.
    pub priority: PriorityDto,
    /// Priority proposed by the reporter.
    pub proposed_priority: Option<PriorityDto>,
    /// Escalation tier handling it.
    pub tier: TierDto,
    /// Staff member assigned.
    pub assignee: Option<String>,
    /// The partner organisation the ticket affects.
    pub organisation_id: Option<Uuid>,
    /// Who reported it.
    pub reporter: ReporterView,
    /// When it was opened.
    pub created_at: Instant,
    /// When it last changed.
    pub updated_at: Instant,
    /// When it was acknowledged.
    pub acknowledged_at: Option<Instant>,
    /// Since when it waits for the reporter.
    pub waiting_since: Option<Instant>,
    /// Reminders sent to the reporter during the current wait.
    pub reminders_sent: u32,
    /// Version for optimistic concurrency; the `ETag` is this number in quotes.
    pub version: i64,
    /// Incident details (kind `incident`).
    pub incident: Option<IncidentView>,
    /// Partner usurpation details (kind `partner_usurpation`).
    pub partner_usurpation: Option<PartnerUsurpationView>,
    /// User usurpation details (kind `user_usurpation`).
    pub user_usurpation: Option<UserUsurpationView>,
    /// Support request details (kind `support_request`).
    pub support_request: Option<SupportRequestView>,
    /// The resolution, once resolved.
    pub resolution: Option<ResolutionView>,
    /// The reporter's confirmation of the resolution.
    pub confirmation: Option<ConfirmationView>,
    /// How it was closed.
    pub closure: Option<ClosureView>,
    /// Why it was cancelled.
    pub cancellation: Option<CancellationView>,
    /// Organisations concerned by a usurpation case and when each was notified.
    pub concerned_organisations: Vec<ConcernedView>,
    /// Partner usurpation: revocation of the compromised credentials, or its waiver.
    pub credentials: Option<CredentialsView>,
    /// Related tickets.
    pub links: Vec<LinkView>,
    /// The commands the caller may run on the ticket now, as the rules decide (each the
    /// `operation_id` of a command; `internal_note` is `comment` with `internal: true`).
    pub allowed_actions: Vec<ActionDto>,
    /// The ticket's deadlines at the instant it was read.
    pub deadlines: Option<DeadlinesView>,
}

/// A command a caller may run on a ticket: the `operation_id` of its operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, strum::EnumString)]
#[oai(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ActionDto {
    /// `POST /api/v1/tickets/{id}/acknowledge`
    Acknowledge,
    /// `POST /api/v1/tickets/{id}/assign`
    Assign,
    /// `POST /api/v1/tickets/{id}/priority`
    SetPriority,
    /// `POST /api/v1/tickets/{id}/comments`, public
    Comment,
    /// `POST /api/v1/tickets/{id}/comments` with `internal: true`
    InternalNote,
    /// `POST /api/v1/tickets/{id}/escalate`
    Escalate,
    /// `POST /api/v1/tickets/{id}/wait-for-reporter`
    WaitForReporter,
    /// `POST /api/v1/tickets/{id}/resolve`
    Resolve,
    /// `POST /api/v1/tickets/{id}/confirm-resolution`
    ConfirmResolution,
    /// `POST /api/v1/tickets/{id}/reject-resolution`
    RejectResolution,
    /// `POST /api/v1/tickets/{id}/qualify`
    Qualify,
    /// `POST /api/v1/tickets/{id}/organisations-notified`
    RecordOrganisationNotified,
    /// `POST /api/v1/tickets/{id}/concerned-organisations`
    AddConcernedOrganisation,
    /// `POST /api/v1/tickets/{id}/record-reporter-answered`
    RecordReporterAnswered,
    /// `POST /api/v1/tickets/{id}/record-not-fixed`
    RecordNotFixed,
    /// `POST /api/v1/tickets/{id}/credentials-revoked`
    RecordCredentialsRevoked,
    /// `POST /api/v1/tickets/{id}/revocation-waiver`
    WaiveRevocation,
    /// `POST /api/v1/tickets/{id}/close`
    Close,
    /// `POST /api/v1/tickets/{id}/reopen`
    Reopen,
    /// `POST /api/v1/tickets/{id}/cancel`
    Cancel,
}

impl ActionDto {
    /// The API's name of a domain action (the same name); `None` for what only the service does
    /// (recording a delivered mail, linking tickets).
    pub fn of(action: ticket_domain::Action) -> Option<Self> {
        action.name().parse().ok()
    }
}

/// One clock's deadline, as the ticket's list and page show it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DeadlineView {
    /// When the target is (or was) reached; absent while the clock is paused before reaching it,
    /// or stopped.
    pub deadline: Option<Instant>,
    /// When 75 % of the target is (or was) used: the warning.
    pub warning_at: Option<Instant>,
    /// The target was missed.
    pub breached: bool,
    /// The clock waits for the reporter.
    pub paused: bool,
    /// The clock's goal was met (acknowledged, resolved): it no longer runs.
    pub stopped: bool,
    /// Working time left before the target, in seconds (negative once breached).
    pub remaining_seconds: i64,
}

/// A ticket's deadlines, computed by the rules at the instant the ticket is read.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DeadlinesView {
    /// Acknowledgement deadline.
    pub acknowledgement: DeadlineView,
    /// Handling deadline.
    pub handling: DeadlineView,
    /// The earliest deadline of a clock not stopped: what `sort=deadline` and `due_before`
    /// use; absent when none runs.
    pub next: Option<Instant>,
}

impl DeadlinesView {
    pub fn new(ticket: &Ticket, policy: &ticket_domain::Policy, now: DateTime<Utc>) -> Self {
        use ticket_domain::clock::Phase;
        let clock = |kind| {
            let status = ticket_domain::clock_status(ticket, kind, policy, now);
            DeadlineView {
                deadline: status.deadline.map(Into::into),
                warning_at: status.warning_at.map(Into::into),
                breached: status.breached,
                paused: status.phase == Phase::Paused,
                stopped: status.phase == Phase::Stopped,
                remaining_seconds: status.remaining.num_seconds(),
            }
        };
        DeadlinesView {
            acknowledgement: clock(ticket_domain::ClockKind::Acknowledgement),
            handling: clock(ticket_domain::ClockKind::Handling),
            next: ticket_domain::next_deadline(ticket, policy).map(Into::into),
        }
    }
}

impl TicketView {
    /// The ticket as `viewer` may see it when opening it (need-to-know: see [`VictimView`]).
    pub fn new(ticket: &Ticket, version: i64, viewer: &Actor) -> Self {
        Self::with_purpose(ticket, version, viewer, Purpose::Read)
    }

    /// The ticket as `viewer` sees it in a list: personal data masked at best.
    pub fn listed(ticket: &Ticket, version: i64, viewer: &Actor) -> Self {
        Self::with_purpose(ticket, version, viewer, Purpose::List)
    }

    fn with_purpose(ticket: &Ticket, version: i64, viewer: &Actor, purpose: Purpose) -> Self {
        let mut view = TicketView {
            id: ticket.id.0,
            reference: ticket.reference.to_string(),
            kind: ticket.kind().into(),
            state: ticket.state.into(),
            title: ticket.title.as_str().to_owned(),
            priority: ticket.priority.into(),
            proposed_priority: ticket.proposed_priority.map(Into::into),
            tier: ticket.tier.into(),
            assignee: ticket.assignee.as_ref().map(|a| a.as_str().to_owned()),
            organisation_id: ticket.organisation.map(|o| o.0),
            reporter: ReporterView::of(&ticket.reporter),
            created_at: ticket.created_at.into(),
            updated_at: ticket.updated_at.into(),
            acknowledged_at: ticket.acknowledged_at.map(Into::into),
            waiting_since: ticket.waiting_since.map(Into::into),
            reminders_sent: ticket.reminders_sent,
            version,
            incident: None,
            partner_usurpation: None,
            user_usurpation: None,
            support_request: None,
            resolution: ticket.resolution.as_ref().map(ResolutionView::of),
            confirmation: ticket.confirmation.as_ref().map(ConfirmationView::of),
            closure: ticket.closure.as_ref().map(ClosureView::of),
            cancellation: ticket.cancellation.as_ref().map(CancellationView::of),
            concerned_organisations: ticket.concerned.iter().map(ConcernedView::of).collect(),
            credentials: ticket.credentials.as_ref().map(CredentialsView::of),
            links: ticket.links.iter().map(LinkView::of).collect(),
            allowed_actions: Vec::new(),
            deadlines: None,
        };
        match &ticket.data {
            KindData::Incident(d) => view.incident = Some(IncidentView::of(d)),
            KindData::PartnerUsurpation(d) => {
                view.partner_usurpation = Some(PartnerUsurpationView::of(d));
            }
            KindData::UserUsurpation(d) => {
                view.user_usurpation = Some(UserUsurpationView::of(
                    d,
                    VictimView::of(ticket, viewer, purpose),
                ));
            }
            KindData::SupportRequest(d) => {
                view.support_request = Some(SupportRequestView {
                    question: d.question.as_str().to_owned(),
                });
            }
        }
        view
    }
}

impl TicketView {
    /// The ticket as `viewer` reads it at `now`, with what they may do and its deadlines, both
    /// computed by the domain from the ticket alone (no query per ticket).
    pub fn read(
        ticket: &Ticket,
        version: i64,
        viewer: &Actor,
        policy: &ticket_domain::Policy,
        now: DateTime<Utc>,
    ) -> Self {
        Self::new(ticket, version, viewer).with_actions(ticket, viewer, policy, now)
    }

    /// This view with what `viewer` may do on `ticket` at `now` and the ticket's deadlines.
    pub fn with_actions(
        mut self,
        ticket: &Ticket,
        viewer: &Actor,
        policy: &ticket_domain::Policy,
        now: DateTime<Utc>,
    ) -> Self {
        self.allowed_actions = ticket_domain::allowed_actions(ticket, viewer, now, policy)
            .into_iter()
            .filter_map(ActionDto::of)
            .collect();
        self.deadlines = Some(DeadlinesView::new(ticket, policy, now));
        self
    }
}

/// A page of tickets.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TicketPage {
    /// The tickets of this page, in the order asked (`sort`).
    pub items: Vec<TicketView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}
