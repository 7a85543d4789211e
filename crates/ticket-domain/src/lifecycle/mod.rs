//! The lifecycle as a state machine (rule "Lifecycle"): [`open`] creates a ticket, [`decide`] applies a
//! command, [`sweep`] applies what time makes due. Each returns the new ticket, the events to append
//! and the notifications to send, or a [`Refusal`] naming the rule that said no.
//!
//! ```text
//! new → acknowledged → in_progress ⇄ waiting_reporter → resolved → closed
//! resolved → in_progress (not fixed)      closed → in_progress (within 15 days)
//! any open state → cancelled (spam or duplicate)
//! ```

mod change;
mod clocks;
mod conversation;
mod opening;
mod permits;
mod resolution;
mod triage;
mod usurpation;

pub use clocks::{clock_status, next_deadline, next_due, sweep};
pub use opening::{NewTicket, check_follow_up, open};
pub use permits::{Action, PERMITS, Permit, allowed_actions};

use crate::actor::Actor;
use crate::closure::{ClosureProof, ClosureReason};
use crate::event::{AttachedFile, Event, EventData, MailReceipt, Visibility};
use crate::kind::Qualification;
use crate::notify::{Notification, Recipient, Template};
use crate::policy::Policy;
use crate::priority::Priority;
use crate::refusal::{Refusal, Rule};
use crate::ticket::{Cancellation, ConcernedRole, LinkKind, Ticket};
use crate::values::{OrganisationId, StaffHandle, Text, TicketId};
use change::Change;
use chrono::{DateTime, Utc};
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(tag = "command", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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
    /// The mail server refused a mail for good, or it bounced: what it was to prove stays unmet,
    /// and a reminder to the silent reporter tells the ticket's tier. Only the system records it.
    RecordMailUndeliverable {
        template: Template,
        recipient: Recipient,
        /// When the event the mail announces happened.
        event_at: DateTime<Utc>,
        failed_at: DateTime<Utc>,
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
    /// The command's name, as in its serialised form.
    pub fn name(&self) -> &'static str {
        self.into()
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

/// Applies a command to a ticket, or says which rule refuses it. The command is first checked
/// against its row of [`PERMITS`]; then its body, by the command's own function.
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
    apply(&mut change, command)?;
    Ok(change.finish())
}

/// Runs a permitted command's own function on the ticket being changed.
fn apply(change: &mut Change<'_>, command: Command) -> Result<(), Refusal> {
    match command {
        Command::ReceiveMail { .. } => Err(Refusal::new(
            Rule::InvalidTransition,
            "a mail is received through its own path",
        )),
        Command::Acknowledge { note } => triage::acknowledge(change, note),
        Command::Assign { assignee } => triage::assign(change, assignee),
        Command::SetPriority { priority, reason } => triage::set_priority(change, priority, reason),
        Command::Escalate { reason } => triage::escalate(change, reason),
        Command::Cancel { cancellation, note } => triage::cancel(change, cancellation, note),
        Command::Link { ticket, link } => triage::link(change, ticket, link),
        Command::Comment { body, internal } => conversation::comment(change, body, internal),
        Command::Attach { files, internal } => conversation::attach(change, files, internal),
        Command::WaitForReporter { question } => conversation::wait_for_reporter(change, question),
        Command::RecordReporterAnswered { note } => {
            conversation::record_reporter_answered(change, note)
        }
        Command::Resolve { summary } => resolution::resolve(change, summary),
        Command::ConfirmResolution => resolution::confirm_resolution(change),
        Command::RejectResolution { reason } => resolution::reject_resolution(change, reason),
        Command::RecordNotFixed { note } => resolution::reject_resolution(change, note),
        Command::Close { reason, proof } => resolution::close(change, reason, proof),
        Command::Reopen { reason } => resolution::reopen(change, reason),
        Command::RecordMailDelivered {
            template,
            recipient,
            event_at,
            delivered_at,
        } => resolution::record_mail_delivered(change, template, recipient, event_at, delivered_at),
        Command::RecordMailUndeliverable {
            template,
            recipient,
            event_at,
            failed_at,
        } => {
            resolution::record_mail_undeliverable(change, template, recipient, event_at, failed_at)
        }
        Command::Qualify { qualification } => usurpation::qualify(change, qualification),
        Command::RecordOrganisationNotified { organisation } => {
            usurpation::record_organisation_notified(change, organisation)
        }
        Command::AddConcernedOrganisation { organisation, role } => {
            usurpation::add_concerned_organisation(change, organisation, role)
        }
        Command::RecordCredentialsRevoked { note } => {
            usurpation::record_credentials_revoked(change, note)
        }
        Command::WaiveRevocation { note } => usurpation::waive_revocation(change, note),
    }
}
