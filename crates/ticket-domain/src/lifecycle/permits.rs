//! Who may run what from which state: the table [`PERMITS`] that `decide` checks each command
//! against and `allowed_actions` lists a caller's actions from, and the checks its rows use.

use super::Command;
use crate::actor::{Actor, Permission, Role};
use crate::closure::{self, ClosureProof, ClosureReason};
use crate::kind::KindData;
use crate::policy::Policy;
use crate::priority::Priority;
use crate::refusal::{Refusal, Rule};
use crate::ticket::{State, Ticket};
use crate::values::{FieldError, OrganisationId, Text};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// A command without its body: what the table of permissions ([`PERMITS`]) has one row for, and
/// what a ticket read by a caller lists in `allowed_actions`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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
    RecordMailUndeliverable,
    RecordCredentialsRevoked,
    WaiveRevocation,
    Close,
    Reopen,
    Cancel,
    Link,
}

impl Action {
    pub fn name(self) -> &'static str {
        self.into()
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
            Command::RecordMailUndeliverable { .. } => Action::RecordMailUndeliverable,
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
pub const PERMITS: [Permit; 23] = [
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
    permit(Action::RecordMailUndeliverable, Who::System, From::Any),
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
pub(super) fn check_priority(
    ticket: &Ticket,
    actor: &Actor,
    priority: Priority,
) -> Result<(), Refusal> {
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
pub(super) fn check_notified(ticket: &Ticket, organisation: OrganisationId) -> Result<(), Refusal> {
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

pub(super) fn role_refusal(actor: &Actor, command: &str) -> Refusal {
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
pub(super) fn handler(ticket: &Ticket, actor: &Actor) -> Result<(), Refusal> {
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

pub(super) fn expect_open(command: &str, state: State) -> Result<(), Refusal> {
    if state.is_open() {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::InvalidTransition,
            format!("cannot {command} a ticket that is {state}"),
        ))
    }
}
