//! The lifecycle as a state machine (rule "Lifecycle"): [`open`] creates a ticket, [`decide`] applies a
//! command, [`sweep`] applies what time makes due. Each returns the new ticket, the events to append
//! and the notifications to send, or a [`Refusal`] naming the rule that said no.
//!
//! ```text
//! new → acknowledged → in_progress ⇄ waiting_reporter → resolved → closed
//! resolved → in_progress (not fixed)      closed → in_progress (within 15 days)
//! any open state → cancelled (spam or duplicate)
//! ```

use crate::actor::{Actor, Permission, Role};
use crate::clock::{ClockKind, ClockStatus, SlaClock, warning_threshold};
use crate::closure::{self, ClosureProof, ClosureReason};
use crate::escalation::Tier;
use crate::event::{
    AttachedFile, EscalationCause, Event, EventData, MailReceipt, TicketFacts, Visibility,
};
use crate::kind::{Detector, KindData, Qualification, UsurpationReporter};
use crate::notify::{self, Language, Notification, Recipient, Template};
use crate::policy::{Policy, Target};
use crate::priority::Priority;
use crate::refusal::{Refusal, Rule};
use crate::ticket::{
    Cancellation, ClosureRecord, ConcernedOrganisation, ConcernedRole, Confirmation,
    CredentialsOutcome, Link, LinkKind, Reference, Reporter, ReporterOrigin, Resolution, State,
    Ticket,
};
use crate::values::{EmailAddress, FieldError, OrganisationId, StaffHandle, Text, TicketId};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// An event to append, with the mails it causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub event: Event,
    pub notifications: Vec<Notification>,
}

/// What the rules decided: the ticket as it now is, and what to append and send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub ticket: Ticket,
    pub records: Vec<Record>,
}

/// A command on an existing ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    Acknowledge {
        note: Option<Text>,
    },
    Assign {
        assignee: StaffHandle,
    },
    SetPriority {
        priority: Priority,
        reason: Text,
    },
    Comment {
        body: Text,
        internal: bool,
    },
    Escalate {
        reason: Text,
    },
    WaitForReporter {
        question: Text,
    },
    Resolve {
        summary: Text,
    },
    /// The reporter confirms the resolution in writing (closure condition 1).
    ConfirmResolution,
    /// The reporter says it is not fixed.
    RejectResolution {
        reason: Text,
    },
    /// `security` qualifies a user usurpation report.
    Qualify {
        qualification: Qualification,
    },
    /// An organisation concerned by a usurpation was notified through another channel than mail.
    RecordOrganisationNotified {
        organisation: OrganisationId,
    },
    /// `security` adds an organisation found during the investigation to a usurpation's concerned
    /// organisations; it must then be notified before closure.
    AddConcernedOrganisation {
        organisation: OrganisationId,
        role: ConcernedRole,
    },
    /// Staff record that the reporter answered through another channel (phone, mail): the clock
    /// resumes.
    RecordReporterAnswered {
        note: Text,
    },
    /// Staff record that the reporter says the resolution does not fix the problem.
    RecordNotFixed {
        note: Text,
    },
    /// The mail server accepted a mail (the outbox row is `sent`): what it proves is now met
    /// (resolution notice for closure condition 4, an organisation concerned notified). Only the
    /// system records it.
    RecordMailDelivered {
        template: Template,
        recipient: Recipient,
        /// When the event the mail announces happened.
        event_at: DateTime<Utc>,
        delivered_at: DateTime<Utc>,
    },
    /// Partner usurpation: the compromised credentials were revoked.
    RecordCredentialsRevoked {
        note: Text,
    },
    /// Partner usurpation: `security` waives the revocation in writing.
    WaiveRevocation {
        note: Text,
    },
    Close {
        reason: ClosureReason,
        proof: ClosureProof,
    },
    Reopen {
        reason: Text,
    },
    Cancel {
        cancellation: Cancellation,
        note: Option<Text>,
    },
    Link {
        ticket: TicketId,
        link: LinkKind,
    },
    /// Attach files (already checked and stored by the caller): staff, the partner or the reporter
    /// on the tickets they see; internal files are staff's, like internal notes.
    Attach {
        files: Vec<AttachedFile>,
        internal: bool,
    },
    /// A mail landed on the ticket (channel "e-mail"): a comment of its sender (public, or an
    /// internal note when staff attach a mail from an unverified sender), then the receipt of the
    /// mail in the evidence chain. From the reporter on a ticket waiting for them, the clock resumes.
    ReceiveMail {
        body: Text,
        internal: bool,
        receipt: MailReceipt,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Acknowledge { .. } => "acknowledge",
            Command::Assign { .. } => "assign",
            Command::SetPriority { .. } => "set_priority",
            Command::Comment { .. } => "comment",
            Command::Escalate { .. } => "escalate",
            Command::WaitForReporter { .. } => "wait_for_reporter",
            Command::Resolve { .. } => "resolve",
            Command::ConfirmResolution => "confirm_resolution",
            Command::RejectResolution { .. } => "reject_resolution",
            Command::Qualify { .. } => "qualify",
            Command::RecordOrganisationNotified { .. } => "record_organisation_notified",
            Command::AddConcernedOrganisation { .. } => "add_concerned_organisation",
            Command::RecordReporterAnswered { .. } => "record_reporter_answered",
            Command::RecordNotFixed { .. } => "record_not_fixed",
            Command::RecordMailDelivered { .. } => "record_mail_delivered",
            Command::RecordCredentialsRevoked { .. } => "record_credentials_revoked",
            Command::WaiveRevocation { .. } => "waive_revocation",
            Command::Close { .. } => "close",
            Command::Reopen { .. } => "reopen",
            Command::Cancel { .. } => "cancel",
            Command::Link { .. } => "link",
            Command::Attach { .. } => "attach",
            Command::ReceiveMail { .. } => "receive_mail",
        }
    }
}

/// Appends the receipt of the mail that caused `decision` (an opening or a comment): the mail's
/// hash joins the evidence chain in the same transaction as what it caused.
pub fn with_mail_received(
    decision: Decision,
    receipt: MailReceipt,
    actor: &Actor,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Decision {
    let mut change = Change::new(decision.ticket, actor.clone(), now, policy);
    change.record(
        Visibility::Internal,
        None,
        EventData::MailReceived { receipt },
    );
    let mut received = change.finish();
    let mut records = decision.records;
    records.append(&mut received.records);
    received.records = records;
    received
}

/// What is needed to open a ticket. The store supplies the id and the reference number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    pub id: TicketId,
    pub reference_number: u32,
    pub title: Text,
    pub data: KindData,
    /// The partner the ticket affects. For a partner actor, its own organisation (the default).
    pub organisation: Option<OrganisationId>,
    pub reporter_email: Option<EmailAddress>,
    pub language: Language,
    pub proposed_priority: Option<Priority>,
    /// Opened because a closed ticket could no longer be reopened.
    pub follow_up_of: Option<TicketId>,
    /// Other reports with the same session id (user usurpation): linked, not duplicated.
    pub same_session_as: Vec<TicketId>,
}

/// How far in the future an instant given by a reporter may be, for clock skew.
const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// Opens a ticket (rules "Ticket kinds", "Priorities", "Clocks", "Notifications").
pub fn open(
    new: NewTicket,
    actor: &Actor,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Decision, Refusal> {
    if !actor.may(Permission::Declare) && actor != &Actor::PublicReporter {
        return Err(Refusal::new(
            Rule::RoleNotAllowed,
            format!("{} may not open tickets", actor.describe()),
        ));
    }
    let organisation = check_declaration(&new, actor, now, policy)?;
    let security_case = new.data.is_security_case();
    let priority = if security_case {
        Priority::Critique
    } else if matches!(new.data, KindData::SupportRequest(_)) {
        new.proposed_priority.unwrap_or(Priority::Info)
    } else {
        new.proposed_priority.unwrap_or(Priority::Normale)
    };
    let origin = match actor {
        Actor::Staff { handle, .. } => ReporterOrigin::Staff {
            handle: handle.clone(),
        },
        Actor::Partner { organisation, .. } => ReporterOrigin::Partner {
            organisation: *organisation,
        },
        Actor::PublicReporter | Actor::System => ReporterOrigin::Public,
    };
    let concerned = concerned_organisations(&new.data, now);
    let tier = Tier::initial(security_case);
    let mut links: Vec<Link> = new
        .same_session_as
        .iter()
        .filter(|id| **id != new.id)
        .map(|id| Link {
            ticket: *id,
            kind: LinkKind::SameSession,
        })
        .collect();
    links.dedup();
    if let Some(previous) = new.follow_up_of {
        links.push(Link {
            ticket: previous,
            kind: LinkKind::FollowUpOf,
        });
    }
    let ticket = Ticket {
        id: new.id,
        reference: Reference::new(new.data.kind(), now, new.reference_number),
        title: new.title.clone(),
        organisation,
        reporter: Reporter {
            origin,
            email: new.reporter_email,
            language: new.language,
        },
        state: State::New,
        proposed_priority: new.proposed_priority,
        priority,
        tier,
        assignee: None,
        created_at: now,
        updated_at: now,
        acknowledged_at: None,
        acknowledgement_clock: SlaClock::started(now),
        handling_clock: SlaClock::started(now),
        waiting_since: None,
        reminders_sent: 0,
        resolution: None,
        confirmation: None,
        closure: None,
        cancellation: None,
        concerned,
        credentials: None,
        links: links.clone(),
        last_reminder_at: None,
        data: new.data,
    };
    let mut change = Change::new(ticket, actor.clone(), now, policy);
    change.record(
        Visibility::Public,
        None,
        EventData::Created {
            kind: change.ticket.kind(),
            title: new.title,
            priority,
            proposed_priority: new.proposed_priority,
            tier,
        },
    );
    for link in links {
        change.record(
            Visibility::Internal,
            None,
            EventData::Linked {
                ticket: link.ticket,
                link: link.kind,
            },
        );
    }
    Ok(change.finish())
}

/// Who may declare what, and the kind-specific checks. Returns the organisation the ticket affects.
fn check_declaration(
    new: &NewTicket,
    actor: &Actor,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Option<OrganisationId>, Refusal> {
    let mut errors = Vec::new();
    let scope = |detail: &str| Refusal::new(Rule::PartnerScope, detail.to_owned());
    let organisation = match actor {
        Actor::Partner { organisation, .. } => {
            if new.organisation.is_some_and(|o| o != *organisation) {
                return Err(scope("a partner declares only for its own organisation"));
            }
            Some(*organisation)
        }
        _ => new.organisation,
    };
    match (&new.data, actor) {
        (_, Actor::PublicReporter) if !matches!(&new.data, KindData::UserUsurpation(d) if d.reported_by == UsurpationReporter::User) =>
        {
            return Err(Refusal::new(
                Rule::RoleNotAllowed,
                "the public may only report the usurpation of their own identity",
            ));
        }
        (KindData::Incident(incident), _) => {
            if let (
                Actor::Partner {
                    organisation: own, ..
                },
                Some(service),
            ) = (actor, &incident.service)
                && service.organisation != *own
            {
                return Err(scope(
                    "a partner declares incidents only on its own services",
                ));
            }
            if incident.started_at > now + CLOCK_SKEW {
                errors.push(FieldError::new(
                    "started_at",
                    "not_in_future",
                    "must not be in the future",
                ));
            }
        }
        (
            KindData::PartnerUsurpation(data),
            Actor::Partner {
                organisation: own, ..
            },
        ) => {
            if data.detected_by != Detector::Partner {
                errors.push(FieldError::new(
                    "detected_by",
                    "partner_reports_as_partner",
                    "a partner's own report is detected_by \"partner\"",
                ));
            }
            if data.partner != *own {
                return Err(scope(
                    "a partner reports only the usurpation of its own organisation",
                ));
            }
        }
        (KindData::UserUsurpation(data), _) => {
            let expected = match actor {
                Actor::Partner { .. } => Some(UsurpationReporter::Partner),
                Actor::PublicReporter => Some(UsurpationReporter::User),
                _ => None,
            };
            if expected.is_some_and(|e| e != data.reported_by) {
                errors.push(FieldError::new(
                    "reported_by",
                    "reporter_matches_actor",
                    "reported_by must say who is reporting: \"partner\" for a partner, \"user\" for the public form",
                ));
            }
            if let Some(at) = data.suspicious_connection_at
                && (at > now + CLOCK_SKEW || at < policy.oldest_traceable_connection(now))
            {
                return Err(Refusal {
                    rule: Rule::ConnectionDateOutOfRange,
                    detail: format!(
                        "the suspicious connection must be within the last {} months: older traces no longer exist",
                        policy.connection_trace_months
                    ),
                    errors: vec![FieldError::new(
                        "suspicious_connection_at",
                        "within_trace_retention",
                        format!(
                            "must be between {} months ago and now",
                            policy.connection_trace_months
                        ),
                    )],
                });
            }
            if data.reported_by == UsurpationReporter::User {
                if !data.consent {
                    errors.push(FieldError::new(
                        "consent",
                        "required",
                        "the reporter's consent is required",
                    ));
                }
                if data.contact.email.is_none() {
                    errors.push(FieldError::new(
                        "contact.email",
                        "required",
                        "an email address is required to receive the reference and follow the report",
                    ));
                }
            }
        }
        _ => {}
    }
    if errors.is_empty() {
        Ok(organisation)
    } else {
        Err(Refusal::invalid(errors))
    }
}

/// Organisations that must be notified before a usurpation case closes.
fn concerned_organisations(data: &KindData, now: DateTime<Utc>) -> Vec<ConcernedOrganisation> {
    match data {
        KindData::UserUsurpation(d) => {
            let mut list: Vec<ConcernedOrganisation> = d
                .identity_provider
                .iter()
                .map(|o| (*o, ConcernedRole::IdentityProvider))
                .chain(
                    d.service_providers
                        .iter()
                        .map(|o| (*o, ConcernedRole::ServiceProvider)),
                )
                .map(|(organisation, role)| ConcernedOrganisation {
                    organisation,
                    role,
                    notified_at: None,
                })
                .collect();
            // A set: an organisation named twice is concerned once, in its first role.
            let mut seen = std::collections::HashSet::new();
            list.retain(|c| seen.insert(c.organisation));
            list
        }
        // The impersonated partner that reported it knows; one detected by the operator is told by
        // mail, and is notified once the mail server accepted that mail.
        KindData::PartnerUsurpation(d) => vec![ConcernedOrganisation {
            organisation: d.partner,
            role: ConcernedRole::ImpersonatedPartner,
            notified_at: (d.detected_by == Detector::Partner).then_some(now),
        }],
        _ => Vec::new(),
    }
}

/// A command without its body: what the table of permissions ([`PERMITS`]) has one row for, and
/// what a ticket read by a caller lists in `allowed_actions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Acknowledge,
    Assign,
    SetPriority,
    /// A public comment (to the reporter, or by the reporter).
    Comment,
    /// A comment with `internal: true`, never shown outside the staff.
    InternalNote,
    Escalate,
    WaitForReporter,
    Resolve,
    ConfirmResolution,
    RejectResolution,
    Qualify,
    RecordOrganisationNotified,
    AddConcernedOrganisation,
    RecordReporterAnswered,
    RecordNotFixed,
    RecordMailDelivered,
    RecordCredentialsRevoked,
    WaiveRevocation,
    Close,
    Reopen,
    Cancel,
    Link,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Acknowledge => "acknowledge",
            Action::Assign => "assign",
            Action::SetPriority => "set_priority",
            Action::Comment => "comment",
            Action::InternalNote => "internal_note",
            Action::Escalate => "escalate",
            Action::WaitForReporter => "wait_for_reporter",
            Action::Resolve => "resolve",
            Action::ConfirmResolution => "confirm_resolution",
            Action::RejectResolution => "reject_resolution",
            Action::Qualify => "qualify",
            Action::RecordOrganisationNotified => "record_organisation_notified",
            Action::AddConcernedOrganisation => "add_concerned_organisation",
            Action::RecordReporterAnswered => "record_reporter_answered",
            Action::RecordNotFixed => "record_not_fixed",
            Action::RecordMailDelivered => "record_mail_delivered",
            Action::RecordCredentialsRevoked => "record_credentials_revoked",
            Action::WaiveRevocation => "waive_revocation",
            Action::Close => "close",
            Action::Reopen => "reopen",
            Action::Cancel => "cancel",
            Action::Link => "link",
        }
    }
}

impl Command {
    /// The row of the permission table this command is checked against.
    pub fn action(&self) -> Action {
        match self {
            Command::Acknowledge { .. } => Action::Acknowledge,
            Command::Assign { .. } => Action::Assign,
            Command::SetPriority { .. } => Action::SetPriority,
            Command::Comment { internal: true, .. } => Action::InternalNote,
            Command::Comment { .. } => Action::Comment,
            // Files follow the rules of comments: internal files are internal notes.
            Command::Attach { internal: true, .. } => Action::InternalNote,
            Command::Attach { .. } => Action::Comment,
            // A mail is a comment of its sender (checked as one by `decide`).
            Command::ReceiveMail { internal: true, .. } => Action::InternalNote,
            Command::ReceiveMail { .. } => Action::Comment,
            Command::Escalate { .. } => Action::Escalate,
            Command::WaitForReporter { .. } => Action::WaitForReporter,
            Command::Resolve { .. } => Action::Resolve,
            Command::ConfirmResolution => Action::ConfirmResolution,
            Command::RejectResolution { .. } => Action::RejectResolution,
            Command::Qualify { .. } => Action::Qualify,
            Command::RecordOrganisationNotified { .. } => Action::RecordOrganisationNotified,
            Command::AddConcernedOrganisation { .. } => Action::AddConcernedOrganisation,
            Command::RecordReporterAnswered { .. } => Action::RecordReporterAnswered,
            Command::RecordNotFixed { .. } => Action::RecordNotFixed,
            Command::RecordMailDelivered { .. } => Action::RecordMailDelivered,
            Command::RecordCredentialsRevoked { .. } => Action::RecordCredentialsRevoked,
            Command::WaiveRevocation { .. } => Action::WaiveRevocation,
            Command::Close { .. } => Action::Close,
            Command::Reopen { .. } => Action::Reopen,
            Command::Cancel { .. } => Action::Cancel,
            Command::Link { .. } => Action::Link,
        }
    }
}

/// Who may run an action, before the ticket's state is looked at (rule "Actors").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// Staff who handle tickets; on a security case, `security` or a supervisor.
    Handler,
    /// `security` or a supervisor.
    SecurityHandler,
    /// The `security` role alone (a written waiver).
    Security,
    /// The ticket's reporter.
    Reporter,
    /// The reporter, or a handler of the ticket.
    ReporterOrHandler,
    /// A public comment: a handler of the ticket, or a partner or the reporter who sees it.
    PublicWriter,
    /// An internal note: staff who handle tickets.
    NoteWriter,
    /// The service itself.
    System,
    /// Staff who handle tickets, or the service.
    StaffHandlerOrSystem,
}

/// The states an action is run from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum From {
    Any,
    Open,
    Only(&'static [State]),
}

/// A check on the ticket alone (not on the command's body), returning the refusal.
type Check = fn(&Ticket, &Actor, DateTime<Utc>, &Policy) -> Result<(), Refusal>;

/// Whether some body of a command would be accepted now.
type Offered = fn(&Ticket, &Actor, DateTime<Utc>, &Policy) -> bool;

/// One row of the permission table: who may run an action, on which tickets, from which states,
/// and what else must hold of the ticket. `decide` checks a command against its row before doing
/// anything; `allowed_actions` lists the rows a caller passes (one copy of the rules).
#[derive(Debug, Clone, Copy)]
pub struct Permit {
    pub action: Action,
    who: Who,
    /// Checked before the state: the ticket is of a kind the action applies to.
    applies: Option<Check>,
    from: From,
    /// Checked after the state.
    ready: Option<Check>,
    /// Whether some body of the command would be accepted now (for `allowed_actions`), when the
    /// body can make a permitted command fail (a priority, a closure reason, an organisation).
    offered: Option<Offered>,
}

const fn permit(action: Action, who: Who, from: From) -> Permit {
    Permit {
        action,
        who,
        applies: None,
        from,
        ready: None,
        offered: None,
    }
}

const OPEN_WORK: &[State] = &[
    State::Acknowledged,
    State::InProgress,
    State::WaitingReporter,
];

/// Who may run what from which state: the lifecycle's rules as one table.
pub const PERMITS: [Permit; 22] = [
    permit(Action::Acknowledge, Who::Handler, From::Only(&[State::New])),
    permit(Action::Assign, Who::Handler, From::Open),
    Permit {
        offered: Some(|t, a, _, _| {
            Priority::ALL
                .into_iter()
                .any(|p| check_priority(t, a, p).is_ok())
        }),
        ..permit(Action::SetPriority, Who::Handler, From::Open)
    },
    permit(Action::Comment, Who::PublicWriter, From::Open),
    permit(Action::InternalNote, Who::NoteWriter, From::Open),
    Permit {
        ready: Some(|t, _, _, _| {
            t.tier.next().map(|_| ()).ok_or_else(|| {
                Refusal::new(
                    Rule::TopTierReached,
                    "the ticket is already with the supervisor",
                )
            })
        }),
        ..permit(Action::Escalate, Who::Handler, From::Open)
    },
    permit(
        Action::WaitForReporter,
        Who::Handler,
        From::Only(&[State::Acknowledged, State::InProgress]),
    ),
    Permit {
        ready: Some(|t, _, _, _| {
            if t.data
                .user_usurpation()
                .is_some_and(|d| d.qualification.is_none())
            {
                Err(Refusal::new(
                    Rule::InvalidTransition,
                    "a user usurpation report is qualified (confirmed or unfounded) before it is resolved",
                ))
            } else {
                Ok(())
            }
        }),
        ..permit(Action::Resolve, Who::Handler, From::Only(OPEN_WORK))
    },
    permit(
        Action::ConfirmResolution,
        Who::Reporter,
        From::Only(&[State::Resolved]),
    ),
    permit(
        Action::RejectResolution,
        Who::Reporter,
        From::Only(&[State::Resolved]),
    ),
    Permit {
        applies: Some(|t, _, _, _| match t.data.user_usurpation() {
            None => Err(Refusal::new(
                Rule::WrongTicketKind,
                "only user usurpation reports are qualified",
            )),
            Some(d) if d.qualification.is_some() => Err(Refusal::new(
                Rule::AlreadyQualified,
                "the report was already qualified",
            )),
            Some(_) => Ok(()),
        }),
        ..permit(Action::Qualify, Who::SecurityHandler, From::Only(OPEN_WORK))
    },
    Permit {
        offered: Some(|t, _, _, _| {
            t.concerned
                .iter()
                .any(|c| check_notified(t, c.organisation).is_ok())
        }),
        ..permit(
            Action::RecordOrganisationNotified,
            Who::SecurityHandler,
            From::Open,
        )
    },
    Permit {
        applies: Some(|t, _, _, _| {
            if t.data.is_usurpation() {
                Ok(())
            } else {
                Err(Refusal::new(
                    Rule::WrongTicketKind,
                    "only usurpation cases have organisations concerned",
                ))
            }
        }),
        ..permit(
            Action::AddConcernedOrganisation,
            Who::SecurityHandler,
            From::Open,
        )
    },
    permit(
        Action::RecordReporterAnswered,
        Who::Handler,
        From::Only(&[State::WaitingReporter]),
    ),
    permit(
        Action::RecordNotFixed,
        Who::Handler,
        From::Only(&[State::Resolved]),
    ),
    permit(Action::RecordMailDelivered, Who::System, From::Any),
    Permit {
        applies: Some(partner_usurpation_only),
        ready: Some(credentials_pending),
        ..permit(
            Action::RecordCredentialsRevoked,
            Who::SecurityHandler,
            From::Open,
        )
    },
    Permit {
        applies: Some(partner_usurpation_only),
        ready: Some(credentials_pending),
        ..permit(Action::WaiveRevocation, Who::Security, From::Open)
    },
    Permit {
        offered: Some(|t, _, now, policy| {
            let proof = ClosureProof {
                note: Text::parse("note", "note", 10).ok(),
            };
            ClosureReason::ALL
                .into_iter()
                .any(|r| closure::unmet_conditions(t, r, &proof, now, policy).is_empty())
        }),
        ..permit(Action::Close, Who::Handler, From::Open)
    },
    Permit {
        ready: Some(|t, _, now, policy| {
            let closed_at = t.closure.as_ref().map_or(t.updated_at, |c| c.at);
            if now - closed_at > TimeDelta::days(i64::from(policy.reopen_window_days)) {
                Err(Refusal::new(
                    Rule::ReopenWindowElapsed,
                    format!(
                        "the ticket was closed more than {} days ago: open a new ticket linked to it instead",
                        policy.reopen_window_days
                    ),
                ))
            } else {
                Ok(())
            }
        }),
        ..permit(
            Action::Reopen,
            Who::ReporterOrHandler,
            From::Only(&[State::Closed]),
        )
    },
    permit(Action::Cancel, Who::Handler, From::Open),
    permit(Action::Link, Who::StaffHandlerOrSystem, From::Any),
];

// Row `i` of the table is the action of discriminant `i`: checked when compiling.
const _: () = {
    let mut i = 0;
    while i < PERMITS.len() {
        assert!(
            PERMITS[i].action as usize == i,
            "PERMITS is in the order of Action"
        );
        i += 1;
    }
};

impl Permit {
    /// The row of `action`.
    pub fn of(action: Action) -> &'static Permit {
        &PERMITS[action as usize]
    }

    /// Whether `actor` may run this action on `ticket` now, whatever the command's body; the
    /// refusal names the first rule that says no.
    pub fn check(
        &self,
        ticket: &Ticket,
        actor: &Actor,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<(), Refusal> {
        if !ticket.is_visible_to(actor) {
            return Err(Refusal::new(
                Rule::PartnerScope,
                "the ticket is not visible to this actor",
            ));
        }
        self.who.check(ticket, actor)?;
        if let Some(applies) = self.applies {
            applies(ticket, actor, now, policy)?;
        }
        let command = self.action.name();
        match self.from {
            From::Any => {}
            From::Open => expect_open(command, ticket.state)?,
            From::Only(states) => expect_state(command, ticket.state, states)?,
        }
        if let Some(ready) = self.ready {
            ready(ticket, actor, now, policy)?;
        }
        Ok(())
    }
}

impl Who {
    fn check(self, ticket: &Ticket, actor: &Actor) -> Result<(), Refusal> {
        let staff = matches!(actor, Actor::Staff { .. });
        match self {
            Who::Handler => handler(ticket, actor),
            Who::SecurityHandler => security_handler(actor),
            Who::Security => match actor.role() {
                Some(Role::Security) => Ok(()),
                _ => Err(Refusal::new(
                    Rule::SecurityRoleRequired,
                    "only the security role may waive the revocation of credentials",
                )),
            },
            Who::Reporter => reporter_only(ticket, actor),
            Who::ReporterOrHandler if ticket.reporter.is(actor) => Ok(()),
            Who::ReporterOrHandler => handler(ticket, actor),
            // Writing publicly to the reporter of a security case is acting on it.
            Who::PublicWriter if staff && actor.may(Permission::Handle) => handler(ticket, actor),
            Who::PublicWriter if staff || matches!(actor, Actor::System) => {
                Err(role_refusal(actor, "comment"))
            }
            Who::PublicWriter => Ok(()),
            Who::NoteWriter if staff && actor.may(Permission::Handle) => Ok(()),
            Who::NoteWriter if staff || matches!(actor, Actor::System) => {
                Err(role_refusal(actor, "comment"))
            }
            Who::NoteWriter => Err(Refusal::new(
                Rule::RoleNotAllowed,
                "only staff write internal notes",
            )),
            Who::System if matches!(actor, Actor::System) => Ok(()),
            Who::System => Err(role_refusal(actor, "record a mail delivery on")),
            Who::StaffHandlerOrSystem if matches!(actor, Actor::System) => Ok(()),
            Who::StaffHandlerOrSystem => staff_handler(actor),
        }
    }
}

/// The actions `actor` may run on `ticket` now, as [`decide`] would judge them: each passes its
/// row of [`PERMITS`], and some body of the command would be accepted (a priority other than the
/// current one, a closure reason whose conditions are met, an organisation not yet notified).
pub fn allowed_actions(
    ticket: &Ticket,
    actor: &Actor,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Vec<Action> {
    PERMITS
        .iter()
        .filter(|p| p.check(ticket, actor, now, policy).is_ok())
        .filter(|p| {
            p.offered
                .is_none_or(|offered| offered(ticket, actor, now, policy))
        })
        .map(|p| p.action)
        .collect()
}

/// Whether `priority` may be set on `ticket` by `actor` (rule "Priorities").
fn check_priority(ticket: &Ticket, actor: &Actor, priority: Priority) -> Result<(), Refusal> {
    if priority == ticket.priority {
        return Err(FieldError::new(
            "priority",
            "changed",
            format!("the priority is already {priority}"),
        )
        .into());
    }
    if ticket.is_security_case()
        && priority.is_lower_than(Priority::Majeure)
        && actor.role() != Some(Role::Security)
    {
        return Err(Refusal::new(
            Rule::PriorityFloor,
            "security incidents and usurpations cannot be lowered below priority 2 without the security role",
        ));
    }
    Ok(())
}

/// Whether `organisation` is concerned by `ticket` and not yet notified.
fn check_notified(ticket: &Ticket, organisation: OrganisationId) -> Result<(), Refusal> {
    match ticket
        .concerned
        .iter()
        .find(|c| c.organisation == organisation)
    {
        None => Err(Refusal::new(
            Rule::OrganisationNotConcerned,
            "this organisation is not concerned by the ticket",
        )),
        Some(c) if c.notified_at.is_some() => Err(FieldError::new(
            "organisation",
            "not_yet_notified",
            "this organisation was already recorded as notified",
        )
        .into()),
        Some(_) => Ok(()),
    }
}

fn partner_usurpation_only(
    ticket: &Ticket,
    _: &Actor,
    _: DateTime<Utc>,
    _: &Policy,
) -> Result<(), Refusal> {
    if matches!(ticket.data, KindData::PartnerUsurpation(_)) {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::WrongTicketKind,
            "credentials are revoked only for partner usurpations",
        ))
    }
}

fn credentials_pending(
    ticket: &Ticket,
    _: &Actor,
    _: DateTime<Utc>,
    _: &Policy,
) -> Result<(), Refusal> {
    if ticket.credentials.is_some() {
        return Err(Refusal::new(
            Rule::InvalidTransition,
            "the outcome for the compromised credentials was already recorded",
        ));
    }
    Ok(())
}

/// Applies a command to a ticket, or says which rule refuses it. The command is first checked
/// against its row of [`PERMITS`]; then its body.
pub fn decide(
    ticket: &Ticket,
    command: Command,
    actor: &Actor,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Decision, Refusal> {
    if !ticket.is_visible_to(actor) {
        return Err(Refusal::new(
            Rule::PartnerScope,
            "the ticket is not visible to this actor",
        ));
    }
    if let Command::ReceiveMail {
        body,
        internal,
        receipt,
    } = command
    {
        let commented = decide(
            ticket,
            Command::Comment { body, internal },
            actor,
            now,
            policy,
        )?;
        return Ok(with_mail_received(commented, receipt, actor, now, policy));
    }
    Permit::of(command.action()).check(ticket, actor, now, policy)?;
    let mut change = Change::new(ticket.clone(), actor.clone(), now, policy);
    let state = ticket.state;
    match command {
        Command::ReceiveMail { .. } => {
            return Err(Refusal::new(
                Rule::InvalidTransition,
                "a mail is received through its own path",
            ));
        }
        Command::Acknowledge { note } => {
            let t = &mut change.ticket;
            t.acknowledged_at = Some(now);
            t.acknowledgement_clock.stop(now);
            change.transition(
                State::Acknowledged,
                Visibility::Public,
                EventData::Acknowledged { note },
            );
        }
        Command::Assign { assignee } => {
            change.ticket.assignee = Some(assignee.clone());
            let data = EventData::Assigned { assignee };
            if state == State::Acknowledged {
                change.transition(State::InProgress, Visibility::Internal, data);
            } else {
                change.record(Visibility::Internal, None, data);
            }
        }
        Command::SetPriority { priority, reason } => {
            check_priority(ticket, actor, priority)?;
            // The running clocks are measured against the new target from now on; an alarm that
            // already fired on a clock does not fire again (rule "Clocks (SLA)").
            change.ticket.priority = priority;
            change.record(
                Visibility::Public,
                None,
                EventData::PriorityChanged {
                    from: ticket.priority,
                    to: priority,
                    reason,
                },
            );
        }
        Command::Comment { body, internal } => {
            if state == State::WaitingReporter && ticket.reporter.is(actor) {
                resume_after_wait(&mut change.ticket, now);
                change.transition(
                    State::InProgress,
                    Visibility::Public,
                    EventData::ReporterAnswered { body },
                );
            } else {
                let visibility = if internal {
                    Visibility::Internal
                } else {
                    Visibility::Public
                };
                change.record(visibility, None, EventData::Commented { body });
            }
        }
        Command::Attach { files, internal } => {
            // The same rules as a comment: staff who handle tickets, the partner and the reporter
            // on their own tickets; internal files are staff's; a public file on a security case
            // is acting on it.
            let is_staff = matches!(actor, Actor::Staff { .. });
            if (is_staff && !actor.may(Permission::Handle)) || matches!(actor, Actor::System) {
                return Err(role_refusal(actor, "attach"));
            }
            if internal && !is_staff {
                return Err(Refusal::new(
                    Rule::RoleNotAllowed,
                    "only staff attach internal files",
                ));
            }
            expect_open("attach", state)?;
            if is_staff && !internal {
                handler(ticket, actor)?;
            }
            let visibility = if internal {
                Visibility::Internal
            } else {
                Visibility::Public
            };
            change.record(visibility, None, EventData::FilesAttached { files });
        }
        Command::Escalate { reason } => {
            let next = ticket.tier.next().ok_or_else(|| {
                Refusal::new(
                    Rule::TopTierReached,
                    "the ticket is already with the supervisor",
                )
            })?;
            change.ticket.tier = next;
            change.record(
                Visibility::Internal,
                None,
                EventData::Escalated {
                    from: ticket.tier,
                    to: next,
                    cause: EscalationCause::Manual { reason },
                },
            );
        }
        Command::WaitForReporter { question } => {
            let t = &mut change.ticket;
            t.handling_clock.pause(now);
            t.acknowledgement_clock.pause(now);
            t.waiting_since = Some(now);
            t.reminders_sent = 0;
            change.transition(
                State::WaitingReporter,
                Visibility::Public,
                EventData::WaitingForReporter { question },
            );
        }
        Command::Resolve { summary } => {
            resolve(&mut change.ticket, now, summary.clone());
            change.transition(
                State::Resolved,
                Visibility::Public,
                EventData::Resolved { summary },
            );
        }
        Command::ConfirmResolution => {
            change.ticket.confirmation = Some(Confirmation::Written { at: now });
            change.record(Visibility::Public, None, EventData::ResolutionConfirmed);
            let proof = ClosureProof::default();
            if closure::unmet_conditions(
                &change.ticket,
                ClosureReason::ResolvedConfirmed,
                &proof,
                now,
                policy,
            )
            .is_empty()
            {
                close(&mut change, ClosureReason::ResolvedConfirmed, None);
            }
        }
        Command::RejectResolution { reason } => {
            reopen_after_rejection(&mut change.ticket, now);
            change.transition(
                State::InProgress,
                Visibility::Public,
                EventData::ResolutionRejected { reason },
            );
        }
        Command::Qualify { qualification } => {
            if let KindData::UserUsurpation(d) = &mut change.ticket.data {
                d.qualification = Some(qualification.clone());
            }
            let event = EventData::Qualified {
                qualification: qualification.clone(),
            };
            match qualification {
                Qualification::Confirmed => {
                    // The mails to the organisations are written with this event; each is notified
                    // once the mail server accepted its mail (`RecordMailDelivered`).
                    if state == State::Acknowledged {
                        change.transition(State::InProgress, Visibility::Public, event);
                    } else {
                        change.record(Visibility::Public, None, event);
                    }
                }
                Qualification::Unfounded { explanation } => {
                    resolve(&mut change.ticket, now, explanation);
                    change.transition(State::Resolved, Visibility::Public, event);
                }
            }
        }
        Command::RecordOrganisationNotified { organisation } => {
            check_notified(ticket, organisation)?;
            let Some(concerned) = change
                .ticket
                .concerned
                .iter_mut()
                .find(|c| c.organisation == organisation)
            else {
                return Err(Refusal::new(
                    Rule::OrganisationNotConcerned,
                    "this organisation is not concerned by the ticket",
                ));
            };
            concerned.notified_at = Some(now);
            let role = concerned.role;
            change.record(
                Visibility::Internal,
                None,
                EventData::OrganisationNotified { organisation, role },
            );
        }
        Command::AddConcernedOrganisation { organisation, role } => {
            if ticket
                .concerned
                .iter()
                .any(|c| c.organisation == organisation)
            {
                return Err(FieldError::new(
                    "organisation",
                    "not_yet_concerned",
                    "this organisation is already concerned by the ticket",
                )
                .into());
            }
            change.ticket.concerned.push(ConcernedOrganisation {
                organisation,
                role,
                notified_at: None,
            });
            change.record(
                Visibility::Internal,
                None,
                EventData::OrganisationConcerned { organisation, role },
            );
        }
        Command::RecordReporterAnswered { note } => {
            resume_after_wait(&mut change.ticket, now);
            change.transition(
                State::InProgress,
                Visibility::Public,
                EventData::ReporterAnswered { body: note },
            );
        }
        Command::RecordNotFixed { note } => {
            reopen_after_rejection(&mut change.ticket, now);
            change.transition(
                State::InProgress,
                Visibility::Public,
                EventData::ResolutionRejected { reason: note },
            );
        }
        Command::RecordMailDelivered {
            template,
            recipient,
            event_at,
            delivered_at,
        } => {
            record_delivery(&mut change, template, recipient, event_at, delivered_at);
        }
        Command::RecordCredentialsRevoked { note } => {
            change.ticket.credentials = Some(CredentialsOutcome::Revoked {
                at: now,
                note: note.clone(),
            });
            change.record(
                Visibility::Internal,
                None,
                EventData::CredentialsRevoked { note },
            );
        }
        Command::WaiveRevocation { note } => {
            let Actor::Staff { handle, .. } = actor else {
                return Err(Refusal::new(
                    Rule::SecurityRoleRequired,
                    "only the security role may waive the revocation of credentials",
                ));
            };
            change.ticket.credentials = Some(CredentialsOutcome::Waived {
                at: now,
                by: handle.clone(),
                note: note.clone(),
            });
            change.record(
                Visibility::Internal,
                None,
                EventData::RevocationWaived { note },
            );
        }
        Command::Close { reason, proof } => {
            let unmet = closure::unmet_conditions(ticket, reason, &proof, now, policy);
            if let Some(first) = unmet.first() {
                let missing: Vec<&str> = unmet.iter().map(|u| u.missing.as_str()).collect();
                let mut refusal = Refusal::new(
                    first.rule,
                    format!("cannot close as {reason}: {}", missing.join("; ")),
                );
                // Every unmet condition, named, so a client need not parse `detail`.
                refusal.errors = unmet
                    .iter()
                    .map(|u| {
                        crate::values::FieldError::new("reason", u.rule.name(), u.missing.clone())
                    })
                    .collect();
                return Err(refusal);
            }
            if reason == ClosureReason::ResolvedConfirmed
                && ticket.confirmation.is_none()
                && let (Some(note), Actor::Staff { handle, .. }) = (&proof.note, actor)
            {
                change.ticket.confirmation = Some(Confirmation::Verbal {
                    at: now,
                    recorded_by: handle.clone(),
                    note: note.clone(),
                });
            }
            close(&mut change, reason, proof.note);
        }
        Command::Reopen { reason } => {
            let t = &mut change.ticket;
            t.closure = None;
            t.resolution = None;
            t.confirmation = None;
            t.handling_clock.resume(now);
            change.transition(
                State::InProgress,
                Visibility::Public,
                EventData::Reopened { reason },
            );
        }
        Command::Cancel { cancellation, note } => {
            if let Cancellation::Duplicate { of } = &cancellation {
                if *of == ticket.id {
                    return Err(Refusal::new(
                        Rule::SelfReference,
                        "a ticket cannot duplicate itself",
                    ));
                }
                change.ticket.links.push(Link {
                    ticket: *of,
                    kind: LinkKind::DuplicateOf,
                });
            }
            let t = &mut change.ticket;
            t.cancellation = Some(cancellation.clone());
            t.acknowledgement_clock.stop(now);
            t.handling_clock.stop(now);
            t.waiting_since = None;
            change.transition(
                State::Cancelled,
                Visibility::Public,
                EventData::Cancelled { cancellation, note },
            );
        }
        Command::Link {
            ticket: other,
            link,
        } => {
            if other == ticket.id {
                return Err(Refusal::new(
                    Rule::SelfReference,
                    "a ticket cannot be linked to itself",
                ));
            }
            if !ticket.has_link(other, link) {
                change.ticket.links.push(Link {
                    ticket: other,
                    kind: link,
                });
                change.record(
                    Visibility::Internal,
                    None,
                    EventData::Linked {
                        ticket: other,
                        link,
                    },
                );
            }
        }
    }
    Ok(change.finish())
}

/// Applies what time makes due on a ticket's clocks (rule "Clocks (SLA)", "Escalation", closure
/// condition 3): the 75 % warning, the breach and its escalation, reminders to a silent reporter and
/// the automatic closure. `None` when nothing is due. Each alarm fires at most once per clock, and
/// never on a stopped clock.
pub fn sweep(ticket: &Ticket, now: DateTime<Utc>, policy: &Policy) -> Option<Decision> {
    if !ticket.state.is_open() {
        return None;
    }
    let mut change = Change::new(ticket.clone(), Actor::System, now, policy);
    for kind in [ClockKind::Acknowledgement, ClockKind::Handling] {
        let clock = clock_of(&change.ticket, kind).clone();
        if clock.stopped {
            continue;
        }
        let status = clock_status(&change.ticket, kind, policy, now);
        if !clock.warning_fired
            && status.warned
            && let Some(deadline) = status.deadline.or(status.warning_at)
        {
            clock_of_mut(&mut change.ticket, kind).warning_fired = true;
            change.record(
                Visibility::Internal,
                None,
                EventData::SlaWarning {
                    clock: kind,
                    deadline,
                },
            );
        }
        if !clock.breach_fired && status.breached {
            clock_of_mut(&mut change.ticket, kind).breach_fired = true;
            let what = format!("priority {} ({})", ticket.priority.level(), ticket.priority);
            let explanation = status.explain_breach(&clock, &what).unwrap_or_default();
            change.record(
                Visibility::Internal,
                None,
                EventData::SlaBreached {
                    clock: kind,
                    deadline: status.deadline.unwrap_or(now),
                    explanation,
                },
            );
            if let Some(next) = change.ticket.tier.next() {
                let from = change.ticket.tier;
                change.ticket.tier = next;
                change.record(
                    Visibility::Internal,
                    None,
                    EventData::Escalated {
                        from,
                        to: next,
                        cause: EscalationCause::Breach { clock: kind },
                    },
                );
            }
        }
    }
    if ticket.state == State::WaitingReporter {
        if let Some(due) = next_reminder(ticket, policy)
            && due <= now
        {
            let t = &mut change.ticket;
            t.reminders_sent += 1;
            t.last_reminder_at = Some(now);
            let number = t.reminders_sent;
            change.record(Visibility::Public, None, EventData::ReminderSent { number });
        } else if let Some(due) = automatic_closure(ticket, policy)
            && due <= now
        {
            close(&mut change, ClosureReason::ReporterUnresponsive, None);
        }
    }
    if change.events.is_empty() {
        None
    } else {
        Some(change.finish())
    }
}

/// The earliest instant at which [`sweep`] will have something to do; what the sweeper indexes.
pub fn next_due(ticket: &Ticket, policy: &Policy) -> Option<DateTime<Utc>> {
    if !ticket.state.is_open() {
        return None;
    }
    let mut due: Vec<DateTime<Utc>> = Vec::new();
    for kind in [ClockKind::Acknowledgement, ClockKind::Handling] {
        let clock = clock_of(ticket, kind);
        if clock.stopped {
            continue;
        }
        for target in policy.targets(kind, ticket.priority, &ticket.data) {
            if !clock.warning_fired {
                let amount = warning_threshold(target.amount, policy.warning_percent);
                due.extend(clock.instant_reaching(target.calendar, amount));
            }
            if !clock.breach_fired {
                due.extend(clock.instant_reaching(target.calendar, target.amount));
            }
        }
    }
    if ticket.state == State::WaitingReporter {
        due.extend(next_reminder(ticket, policy).or_else(|| automatic_closure(ticket, policy)));
    }
    due.into_iter().min()
}

/// The earliest deadline of the ticket's clocks that are not stopped (what the triage desk sorts
/// "next deadline" on, and filters "due before" with): a running clock's deadline, or one a paused
/// clock already passed. `None` when no clock has a deadline left (done, or waiting for the
/// reporter before the target was reached). It does not depend on the instant it is computed at.
pub fn next_deadline(ticket: &Ticket, policy: &Policy) -> Option<DateTime<Utc>> {
    if !ticket.state.is_open() {
        return None;
    }
    [ClockKind::Acknowledgement, ClockKind::Handling]
        .into_iter()
        .filter(|kind| !clock_of(ticket, *kind).stopped)
        .filter_map(|kind| clock_status(ticket, kind, policy, ticket.updated_at).deadline)
        .min()
}

/// When the next reminder to a silent reporter is due, if another one is to be sent: every
/// `reminder_after_days` working days of waiting, until the wait is long enough to close.
fn next_reminder(ticket: &Ticket, policy: &Policy) -> Option<DateTime<Utc>> {
    let since = ticket.waiting_since?;
    if !ticket.reporter.can_be_notified() {
        return None;
    }
    let days = policy
        .reminder_after_days
        .checked_mul(ticket.reminders_sent + 1)?;
    if ticket.reminders_sent > 0 && days >= policy.unresponsive_after_days {
        return None;
    }
    let calendar = &policy.support_calendar;
    Some(calendar.add_working_time(since, calendar.working_days(days)))
}

/// When closure condition 3 (reporter unresponsive) will be met — the wait long enough and the last
/// reminder old enough — if the rest of the closure rules allow it then.
fn automatic_closure(ticket: &Ticket, policy: &Policy) -> Option<DateTime<Utc>> {
    let since = ticket.waiting_since?;
    if ticket.reminders_sent == 0 {
        return None;
    }
    let calendar = &policy.support_calendar;
    let waited_enough =
        calendar.add_working_time(since, calendar.working_days(policy.unresponsive_after_days));
    let answer_time = ticket.last_reminder_at.map(|reminded| {
        calendar.add_working_time(
            reminded,
            calendar.working_days(policy.closure_after_reminder_days),
        )
    });
    let at = answer_time.map_or(waited_enough, |a| a.max(waited_enough));
    let proof = ClosureProof::default();
    closure::unmet_conditions(
        ticket,
        ClosureReason::ReporterUnresponsive,
        &proof,
        at,
        policy,
    )
    .is_empty()
    .then_some(at)
}

/// A ticket's clock against its current targets, at `now`: what the clock endpoint shows. With
/// two targets (the table's and a service's maximum unavailability), the one whose deadline comes
/// first wins; a clock with no deadline left is shown against the target it is closest to.
pub fn clock_status(
    ticket: &Ticket,
    kind: ClockKind,
    policy: &Policy,
    now: DateTime<Utc>,
) -> ClockStatus {
    let clock = clock_of(ticket, kind);
    let measure = |target: &Target<'_>| {
        clock.status(
            kind,
            target.calendar,
            target.amount,
            policy.warning_percent,
            now,
        )
    };
    let table = measure(&match kind {
        ClockKind::Acknowledgement => policy.acknowledgement_target(ticket.priority),
        ClockKind::Handling => policy.handling_target(ticket.priority),
    });
    let service = match kind {
        ClockKind::Acknowledgement => None,
        ClockKind::Handling => policy.service_limit(&ticket.data),
    };
    let Some(service) = service.map(|target| measure(&target)) else {
        return table;
    };
    // Used share of the target, compared without floating point.
    let share = |s: &ClockStatus| {
        (i128::from(s.used.num_seconds()) << 32) / i128::from(s.target.num_seconds().max(1))
    };
    let service_wins = match (service.deadline, table.deadline) {
        (Some(a), Some(b)) => a < b,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (None, None) => share(&service) > share(&table),
    };
    if service_wins { service } else { table }
}

/// Whether a closed ticket may be followed up by a new one (rule "Lifecycle"): only once it is
/// closed and its reopen window has passed; before that it is reopened.
pub fn check_follow_up(
    previous: &Ticket,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(), Refusal> {
    let refuse = |detail: String| {
        Err(Refusal {
            rule: Rule::FollowUpNotAllowed,
            detail: detail.clone(),
            errors: vec![FieldError::new(
                "follow_up_of",
                "closed_past_reopen_window",
                detail,
            )],
        })
    };
    if previous.state != State::Closed {
        return refuse(format!(
            "ticket {} is {}: only a closed ticket is followed up by a new one",
            previous.reference, previous.state
        ));
    }
    let closed_at = previous
        .closure
        .as_ref()
        .map_or(previous.updated_at, |c| c.at);
    if now - closed_at <= TimeDelta::days(i64::from(policy.reopen_window_days)) {
        return refuse(format!(
            "ticket {} was closed less than {} days ago: reopen it instead",
            previous.reference, policy.reopen_window_days
        ));
    }
    Ok(())
}

fn clock_of(ticket: &Ticket, kind: ClockKind) -> &SlaClock {
    match kind {
        ClockKind::Acknowledgement => &ticket.acknowledgement_clock,
        ClockKind::Handling => &ticket.handling_clock,
    }
}

fn clock_of_mut(ticket: &mut Ticket, kind: ClockKind) -> &mut SlaClock {
    match kind {
        ClockKind::Acknowledgement => &mut ticket.acknowledgement_clock,
        ClockKind::Handling => &mut ticket.handling_clock,
    }
}

/// A ticket being changed by one actor at one instant, and the events recorded so far.
struct Change<'p> {
    ticket: Ticket,
    actor: Actor,
    now: DateTime<Utc>,
    policy: &'p Policy,
    events: Vec<Event>,
}

impl<'p> Change<'p> {
    fn new(ticket: Ticket, actor: Actor, now: DateTime<Utc>, policy: &'p Policy) -> Self {
        Self {
            ticket,
            actor,
            now,
            policy,
            events: Vec::new(),
        }
    }

    /// The ticket as it stands right after the event being recorded, for the mails announcing it.
    fn facts(&self) -> TicketFacts {
        let deadline = |kind| {
            let clock = clock_of(&self.ticket, kind);
            if clock.stopped {
                None
            } else {
                clock_status(&self.ticket, kind, self.policy, self.now).deadline
            }
        };
        TicketFacts {
            state: self.ticket.state,
            priority: self.ticket.priority,
            tier: self.ticket.tier,
            assignee: self.ticket.assignee.clone(),
            acknowledgement_deadline: deadline(ClockKind::Acknowledgement),
            handling_deadline: deadline(ClockKind::Handling),
        }
    }

    fn record(
        &mut self,
        visibility: Visibility,
        transition: Option<(State, State)>,
        data: EventData,
    ) {
        let facts = self.facts();
        self.events.push(Event {
            at: self.now,
            actor: self.actor.clone(),
            visibility,
            transition,
            data,
            facts: Some(facts),
        });
    }

    /// Moves the ticket to `to` and records why.
    fn transition(&mut self, to: State, visibility: Visibility, data: EventData) {
        let from = self.ticket.state;
        self.ticket.state = to;
        self.record(visibility, Some((from, to)), data);
    }

    /// Routes each event's notifications against the ticket as it stood right after that event.
    fn finish(mut self) -> Decision {
        self.ticket.updated_at = self.now;
        let policy = self.policy;
        let ticket = &self.ticket;
        let records = self
            .events
            .into_iter()
            .map(|event| Record {
                notifications: notify::route(&event.facts_applied_to(ticket), &event, policy),
                event,
            })
            .collect();
        Decision {
            ticket: self.ticket,
            records,
        }
    }
}

fn resolve(ticket: &mut Ticket, now: DateTime<Utc>, summary: Text) {
    ticket.acknowledgement_clock.stop(now);
    ticket.handling_clock.stop(now);
    ticket.waiting_since = None;
    // A staff reporter follows the ticket directly; anyone else is notified once the mail server
    // accepted the mail announcing the resolution (`RecordMailDelivered`).
    let reporter_notified = matches!(ticket.reporter.origin, ReporterOrigin::Staff { .. });
    ticket.resolution = Some(Resolution {
        at: now,
        summary,
        reporter_notified,
    });
}

fn resume_after_wait(ticket: &mut Ticket, now: DateTime<Utc>) {
    ticket.handling_clock.resume(now);
    ticket.waiting_since = None;
    ticket.reminders_sent = 0;
    ticket.last_reminder_at = None;
}

/// The reporter says the resolution does not fix it: back to work, the handling clock runs again.
fn reopen_after_rejection(ticket: &mut Ticket, now: DateTime<Utc>) {
    ticket.resolution = None;
    ticket.confirmation = None;
    ticket.handling_clock.resume(now);
}

/// What a delivered mail proves: the reporter told of the current resolution (closure condition
/// 4), or an organisation concerned notified. Records an internal event when it proves something
/// new; a mail about an earlier resolution, or to an organisation already notified, changes nothing.
fn record_delivery(
    change: &mut Change<'_>,
    template: Template,
    recipient: Recipient,
    event_at: DateTime<Utc>,
    delivered_at: DateTime<Utc>,
) {
    let t = &mut change.ticket;
    let proved = match (template, recipient) {
        (
            Template::ResolutionConfirmationRequest | Template::UnfoundedExplanation,
            Recipient::Reporter,
        ) => match &mut t.resolution {
            Some(resolution) if resolution.at <= event_at && !resolution.reporter_notified => {
                resolution.reporter_notified = true;
                true
            }
            _ => false,
        },
        (
            Template::UsurpationConfirmed | Template::PartnerImpersonationDetected,
            Recipient::OrganisationContacts(organisation),
        ) => match t
            .concerned
            .iter_mut()
            .find(|c| c.organisation == organisation && c.notified_at.is_none())
        {
            Some(concerned) => {
                concerned.notified_at = Some(delivered_at);
                true
            }
            None => false,
        },
        _ => false,
    };
    if proved {
        change.record(
            Visibility::Internal,
            None,
            EventData::MailDelivered {
                template,
                recipient,
                delivered_at,
            },
        );
    }
}

fn close(change: &mut Change, reason: ClosureReason, note: Option<Text>) {
    let now = change.now;
    let t = &mut change.ticket;
    t.acknowledgement_clock.stop(now);
    t.handling_clock.stop(now);
    t.waiting_since = None;
    t.closure = Some(ClosureRecord {
        at: now,
        reason,
        note: note.clone(),
    });
    change.transition(
        State::Closed,
        Visibility::Public,
        EventData::Closed { reason, note },
    );
}

fn role_refusal(actor: &Actor, command: &str) -> Refusal {
    Refusal::new(
        Rule::RoleNotAllowed,
        format!("{} may not {command} this ticket", actor.describe()),
    )
}

/// Staff who handle tickets (not admins, not partners, not the public).
fn staff_handler(actor: &Actor) -> Result<(), Refusal> {
    if matches!(actor, Actor::Staff { .. }) && actor.may(Permission::Handle) {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::RoleNotAllowed,
            format!("{} may not handle tickets", actor.describe()),
        ))
    }
}

/// Staff who may handle this ticket: security cases are handled by `security` (or a supervisor).
fn handler(ticket: &Ticket, actor: &Actor) -> Result<(), Refusal> {
    staff_handler(actor)?;
    if ticket.is_security_case() && !actor.is_security_or_supervisor() {
        return Err(Refusal::new(
            Rule::SecurityRoleRequired,
            "security incidents and usurpations are handled by the security role",
        ));
    }
    Ok(())
}

fn security_handler(actor: &Actor) -> Result<(), Refusal> {
    staff_handler(actor)?;
    if actor.is_security_or_supervisor() {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::SecurityRoleRequired,
            "only the security role (or a supervisor) may do this",
        ))
    }
}

fn reporter_only(ticket: &Ticket, actor: &Actor) -> Result<(), Refusal> {
    if ticket.reporter.is(actor) {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::ReporterOnly,
            "only the reporter confirms or rejects a resolution; staff record a verbal confirmation when closing",
        ))
    }
}

fn expect_state(command: &str, state: State, allowed: &[State]) -> Result<(), Refusal> {
    if allowed.contains(&state) {
        Ok(())
    } else {
        let names: Vec<&str> = allowed.iter().map(|s| s.name()).collect();
        Err(Refusal::new(
            Rule::InvalidTransition,
            format!(
                "cannot {command} a ticket that is {state}; it must be {}",
                names.join(" or ")
            ),
        ))
    }
}

fn expect_open(command: &str, state: State) -> Result<(), Refusal> {
    if state.is_open() {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::InvalidTransition,
            format!("cannot {command} a ticket that is {state}"),
        ))
    }
}
