//! Commands of the conversation with the reporter: comments, files, questions and answers (rules
//! "Clocks (SLA)": the clock pauses while the ticket waits for the reporter).

use super::change::{Change, resume_after_wait};
use super::permits::{expect_open, handler, role_refusal};
use crate::actor::{Actor, Permission};
use crate::event::{AttachedFile, EventData, Visibility};
use crate::refusal::{Refusal, Rule};
use crate::ticket::State;
use crate::values::Text;

fn visibility(internal: bool) -> Visibility {
    if internal {
        Visibility::Internal
    } else {
        Visibility::Public
    }
}

/// A comment; from the reporter on a ticket waiting for them, it is their answer and the clock
/// resumes.
pub(super) fn comment(change: &mut Change<'_>, body: Text, internal: bool) -> Result<(), Refusal> {
    if change.ticket.state == State::WaitingReporter && change.ticket.reporter.is(&change.actor) {
        resume_after_wait(&mut change.ticket, change.now);
        change.transition(
            State::InProgress,
            Visibility::Public,
            EventData::ReporterAnswered { body },
        );
    } else {
        change.record(visibility(internal), None, EventData::Commented { body });
    }
    Ok(())
}

/// The same rules as a comment: staff who handle tickets, the partner and the reporter on their own
/// tickets; internal files are staff's; a public file on a security case is acting on it.
pub(super) fn attach(
    change: &mut Change<'_>,
    files: Vec<AttachedFile>,
    internal: bool,
) -> Result<(), Refusal> {
    let actor = &change.actor;
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
    expect_open("attach", change.ticket.state)?;
    if is_staff && !internal {
        handler(&change.ticket, actor)?;
    }
    change.record(
        visibility(internal),
        None,
        EventData::FilesAttached { files },
    );
    Ok(())
}

/// Asks the reporter a question: the clocks pause until they answer.
pub(super) fn wait_for_reporter(change: &mut Change<'_>, question: Text) -> Result<(), Refusal> {
    let now = change.now;
    let t = &mut change.ticket;
    t.handling_clock.pause(now);
    t.acknowledgement_clock.pause(now);
    t.waiting_since = Some(now);
    t.reminders_sent = 0;
    t.last_reminder_at = None;
    t.last_reminder_delivered_at = None;
    change.transition(
        State::WaitingReporter,
        Visibility::Public,
        EventData::WaitingForReporter { question },
    );
    Ok(())
}

/// Staff record an answer the reporter gave through another channel: the clock resumes.
pub(super) fn record_reporter_answered(change: &mut Change<'_>, note: Text) -> Result<(), Refusal> {
    resume_after_wait(&mut change.ticket, change.now);
    change.transition(
        State::InProgress,
        Visibility::Public,
        EventData::ReporterAnswered { body: note },
    );
    Ok(())
}
