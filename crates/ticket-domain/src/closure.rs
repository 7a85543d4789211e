//! The four closure conditions and the extra conditions of usurpation tickets
//! (rule "Closure conditions").

use crate::kind::{KindData, Qualification};
use crate::policy::Policy;
use crate::refusal::Rule;
use crate::ticket::{State, Ticket};
use crate::values::Text;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a ticket is closed. A ticket may be closed only with one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ClosureReason {
    /// 1: resolved, and the reporter confirmed it (in writing, or verbally as recorded in a note).
    ResolvedConfirmed,
    /// 2: not resolved, but both parties agree to close; a note says what was agreed.
    MutualAgreement,
    /// 3: waited for the reporter at least 10 working days, and at least one reminder was delivered
    /// (accepted by the mail server), the last one at least 2 working days before.
    ReporterUnresponsive,
    /// 4: staff resolved it and the reporter has been notified of the resolution.
    ResolvedByOperator,
}

impl ClosureReason {
    pub const ALL: [ClosureReason; 4] = [
        ClosureReason::ResolvedConfirmed,
        ClosureReason::MutualAgreement,
        ClosureReason::ReporterUnresponsive,
        ClosureReason::ResolvedByOperator,
    ];

    pub fn name(self) -> &'static str {
        self.into()
    }
}

impl fmt::Display for ClosureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The proof given with a closure: a note (verbal confirmation for condition 1, what was agreed for
/// condition 2). Conditions 3 and 4 are proven by the ticket's own history.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClosureProof {
    pub note: Option<Text>,
}

/// One unmet condition: the rule and what is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmet {
    pub rule: Rule,
    pub missing: String,
}

impl Unmet {
    fn new(rule: Rule, missing: impl Into<String>) -> Self {
        Self {
            rule,
            missing: missing.into(),
        }
    }
}

/// Working time the ticket has been waiting for the reporter, on the support calendar.
pub fn waited(ticket: &Ticket, now: DateTime<Utc>, policy: &Policy) -> TimeDelta {
    match (ticket.state, ticket.waiting_since) {
        (State::WaitingReporter, Some(since)) => {
            policy.support_calendar.working_time_between(since, now)
        }
        _ => TimeDelta::zero(),
    }
}

/// Every condition `reason` needs that the ticket does not meet; empty when the closure is allowed.
pub fn unmet_conditions(
    ticket: &Ticket,
    reason: ClosureReason,
    proof: &ClosureProof,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Vec<Unmet> {
    let mut unmet = Vec::new();
    let condition = Rule::ClosureConditionUnmet;
    match reason {
        ClosureReason::ResolvedConfirmed => {
            if ticket.state != State::Resolved {
                unmet.push(Unmet::new(condition, "the ticket is not resolved"));
            }
            if ticket.confirmation.is_none() && proof.note.is_none() {
                unmet.push(Unmet::new(
                    condition,
                    "the reporter has not confirmed the resolution: they confirm in writing, or staff record their verbal confirmation in the note",
                ));
            }
        }
        ClosureReason::MutualAgreement => {
            if proof.note.is_none() {
                unmet.push(Unmet::new(
                    condition,
                    "a note saying what was agreed is required",
                ));
            }
        }
        ClosureReason::ReporterUnresponsive => {
            let needed = policy
                .support_calendar
                .working_days(policy.unresponsive_after_days);
            if ticket.state != State::WaitingReporter {
                unmet.push(Unmet::new(
                    condition,
                    "the ticket is not waiting for the reporter",
                ));
            } else if waited(ticket, now, policy) < needed {
                unmet.push(Unmet::new(
                    condition,
                    format!(
                        "the ticket has waited less than {} working days for the reporter",
                        policy.unresponsive_after_days
                    ),
                ));
            }
            let since_delivery = ticket
                .last_reminder_delivered_at
                .map(|d| policy.support_calendar.working_time_between(d, now));
            match ticket.last_reminder_at {
                _ if ticket.reminders_sent == 0 => unmet.push(Unmet::new(
                    condition,
                    "no reminder was sent to the reporter",
                )),
                // "Notified" means delivered: a reminder still queued, failed or uncertain does
                // not count.
                _ if since_delivery.is_none() => unmet.push(Unmet::new(
                    condition,
                    "no reminder has been delivered to the reporter: the mail server has not accepted one (still queued, failed or uncertain: see the ticket's mails)",
                )),
                _ if since_delivery.is_some_and(|s| {
                    s < policy
                        .support_calendar
                        .working_days(policy.closure_after_reminder_days)
                }) =>
                {
                    unmet.push(Unmet::new(
                        condition,
                        format!(
                            "the last reminder was delivered less than {} working days ago: the reporter has time to answer it",
                            policy.closure_after_reminder_days
                        ),
                    ))
                }
                Some(reminded)
                    if policy.support_calendar.working_time_between(reminded, now)
                        < policy
                            .support_calendar
                            .working_days(policy.closure_after_reminder_days) =>
                {
                    unmet.push(Unmet::new(
                        condition,
                        format!(
                            "the last reminder was sent less than {} working days ago: the reporter has time to answer it",
                            policy.closure_after_reminder_days
                        ),
                    ))
                }
                _ => {}
            }
        }
        ClosureReason::ResolvedByOperator => {
            if ticket.state != State::Resolved {
                unmet.push(Unmet::new(condition, "the ticket is not resolved"));
            }
            let notified = ticket
                .resolution
                .as_ref()
                .is_some_and(|r| r.reporter_notified);
            if !notified && !ticket.reporter.can_be_notified() {
                unmet.push(Unmet::new(
                    condition,
                    "the reporter left no address to notify the resolution to: close with another reason",
                ));
            } else if !notified {
                unmet.push(Unmet::new(
                    condition,
                    "the reporter has not been notified of the resolution: the mail announcing it has not been accepted by the mail server (still queued, failed or uncertain: see the ticket's mails and send a failed one again)",
                ));
            }
        }
    }
    unmet.extend(usurpation_conditions(ticket));
    unmet
}

/// Usurpation tickets also need every organisation concerned notified, and for a partner usurpation
/// the compromised credentials revoked or a written waiver from `security`. An unfounded report
/// concerns no organisation, so it needs no notification.
fn usurpation_conditions(ticket: &Ticket) -> Vec<Unmet> {
    let mut unmet = Vec::new();
    let unfounded = matches!(
        &ticket.data,
        KindData::UserUsurpation(d) if matches!(d.qualification, Some(Qualification::Unfounded { .. }))
    );
    if ticket.data.is_usurpation() && !unfounded {
        let pending = ticket
            .concerned
            .iter()
            .filter(|c| c.notified_at.is_none())
            .count();
        if pending > 0 {
            unmet.push(Unmet::new(
                Rule::OrganisationsNotNotified,
                format!(
                    "{pending} organisation(s) concerned have not been notified: a mail to them is accepted by the mail server, or security records another channel"
                ),
            ));
        }
    }
    if matches!(ticket.data, KindData::PartnerUsurpation(_)) && ticket.credentials.is_none() {
        unmet.push(Unmet::new(
            Rule::CredentialsNotRevoked,
            "the compromised credentials have not been revoked and security has not waived it in writing",
        ));
    }
    unmet
}
