//! What an event did, in words, for the mails that announce it.

use super::{Arg, Body, Mail, words};
use ticket_domain::event::{EscalationCause, EventData, Visibility};
use ticket_domain::kind::Qualification;
use ticket_domain::ticket::Cancellation;

impl Mail<'_> {
    /// Writes what the event did into `body`; returns a short label for the subject.
    pub(super) fn describe_event(&self, body: &mut Body) -> String {
        let event = self.c.event;
        let internal = event.visibility == Visibility::Internal;
        match &event.data {
            EventData::Created { .. } => {
                body.paragraph(self.w.t("mail-new-report"));
                self.w.t("mail-new-report-2")
            }
            EventData::Acknowledged { note } => {
                body.paragraph(self.w.t("mail-the-report-was-acknowledged"));
                if let Some(note) = note {
                    body.quote(note.as_str());
                }
                self.w.t("mail-acknowledged")
            }
            EventData::Assigned { assignee } => {
                body.paragraph(
                    self.w
                        .with("mail-assigned-to", &[("assignee", Arg::text(assignee))]),
                );
                self.w.t("mail-assigned")
            }
            EventData::PriorityChanged { from, to, reason } => {
                let (from, to) = (words::priority(self.w, *from), words::priority(self.w, *to));
                body.paragraph(self.w.with(
                    "mail-priority-changed",
                    &[("from", Arg::text(&from)), ("to", Arg::text(&to))],
                ));
                body.quote(reason.as_str());
                self.w.t("mail-priority-changed-2")
            }
            EventData::Commented { body: comment } => {
                if internal {
                    body.paragraph(self.w.t("mail-internal-note"));
                } else {
                    body.paragraph(self.w.t("mail-new-comment"));
                }
                body.quote(comment.as_str());
                self.w.t("mail-comment")
            }
            EventData::Escalated { from, to, cause } => {
                let (from, to) = (
                    words::name(self.w, "tier", "tier", from),
                    words::name(self.w, "tier", "tier", to),
                );
                body.paragraph(self.w.with(
                    "mail-escalated",
                    &[("from", Arg::text(&from)), ("to", Arg::text(&to))],
                ));
                match cause {
                    EscalationCause::Manual { reason } => {
                        body.quote(reason.as_str());
                    }
                    EscalationCause::Breach { clock } => {
                        let clock = words::name(self.w, "clock", "clock", clock);
                        body.paragraph(self.w.with(
                            "mail-cause-deadline-missed",
                            &[("clock", Arg::text(&clock))],
                        ));
                    }
                }
                self.w.t("mail-escalation-2")
            }
            EventData::WaitingForReporter { question } => {
                body.paragraph(self.w.t("mail-question-asked-to-the-reporter"));
                body.quote(question.as_str());
                self.w.t("mail-question-to-the-reporter")
            }
            EventData::ReporterAnswered { body: answer } => {
                body.paragraph(self.w.t("mail-the-reporter-answered-2"));
                body.quote(answer.as_str());
                self.w.t("mail-reporter-s-answer")
            }
            EventData::Resolved { summary } => {
                body.paragraph(self.w.t("mail-the-ticket-is-resolved"));
                body.quote(summary.as_str());
                self.w.t("mail-resolved")
            }
            EventData::ResolutionConfirmed => {
                body.paragraph(self.w.t("mail-the-reporter-confirmed-the-resolution"));
                self.w.t("mail-resolution-confirmed")
            }
            EventData::ResolutionRejected { reason } => {
                body.paragraph(self.w.t("mail-the-reporter-says-the-problem"));
                body.quote(reason.as_str());
                self.w.t("mail-resolution-rejected")
            }
            EventData::Qualified { qualification } => match qualification {
                Qualification::Confirmed => {
                    body.paragraph(self.w.t("mail-the-theft-is-confirmed-the"));
                    self.w.t("mail-theft-confirmed")
                }
                Qualification::Unfounded { explanation } => {
                    body.paragraph(self.w.t("mail-the-report-is-found-unfounded"));
                    body.quote(explanation.as_str());
                    self.w.t("mail-report-unfounded")
                }
            },
            _ => self.describe_other_event(body),
        }
    }

    /// [`Self::describe_event`] for the investigation, closure, clock and mail events.
    fn describe_other_event(&self, body: &mut Body) -> String {
        let event = self.c.event;
        match &event.data {
            EventData::OrganisationNotified { role, .. } => {
                let role = words::name(self.w, "concerned-role", "role", role);
                body.paragraph(self.w.with(
                    "mail-organisation-concerned-notified",
                    &[("role", Arg::text(&role))],
                ));
                self.w.t("mail-organisation-notified")
            }
            EventData::OrganisationConcerned { role, .. } => {
                let role = words::name(self.w, "concerned-role", "role", role);
                body.paragraph(self.w.with(
                    "mail-an-organisation-found-during-the",
                    &[("role", Arg::text(&role))],
                ));
                self.w.t("mail-organisation-concerned")
            }
            EventData::MailDelivered { .. } => {
                body.paragraph(self.w.t("mail-a-message-was-accepted-by"));
                self.w.t("mail-message-delivered")
            }
            EventData::CredentialsRevoked { note } => {
                body.paragraph(self.w.t("mail-the-compromised-credentials-are-revoked"));
                body.quote(note.as_str());
                self.w.t("mail-credentials-revoked")
            }
            EventData::RevocationWaived { note } => {
                body.paragraph(self.w.t("mail-the-security-team-waived-the"));
                body.quote(note.as_str());
                self.w.t("mail-revocation-waived")
            }
            EventData::Closed { reason, note } => {
                let reason = words::name(self.w, "closure-reason", "reason", reason);
                body.paragraph(
                    self.w
                        .with("mail-ticket-closed", &[("reason", Arg::text(&reason))]),
                );
                if let Some(note) = note {
                    body.quote(note.as_str());
                }
                self.w.t("mail-closed")
            }
            EventData::Reopened { reason } => {
                body.paragraph(self.w.t("mail-ticket-reopened"));
                body.quote(reason.as_str());
                self.w.t("mail-reopened")
            }
            EventData::Cancelled { cancellation, note } => {
                match cancellation {
                    Cancellation::Spam => {
                        body.paragraph(self.w.t("mail-ticket-cancelled-spam"));
                    }
                    Cancellation::Duplicate { .. } => {
                        body.paragraph(self.w.t("mail-ticket-cancelled-duplicate-of-another"));
                    }
                }
                if let Some(note) = note {
                    body.quote(note.as_str());
                }
                self.w.t("mail-cancelled")
            }
            EventData::Linked { link, .. } => {
                let link = words::name(self.w, "link", "link", link);
                body.paragraph(self.w.with(
                    "mail-linked-to-another-ticket",
                    &[("link", Arg::text(&link))],
                ));
                self.w.t("mail-linked")
            }
            EventData::SlaWarning { clock, deadline } => {
                let (clock, deadline) = (
                    words::name(self.w, "clock", "clock", clock),
                    words::instant(self.w, *deadline),
                );
                body.paragraph(self.w.with(
                    "mail-the-deadline-is-near",
                    &[
                        ("clock", Arg::text(&clock)),
                        ("deadline", Arg::text(&deadline)),
                    ],
                ));
                self.w.t("mail-deadline-near")
            }
            EventData::SlaBreached {
                clock, deadline, ..
            } => {
                let (clock, deadline) = (
                    words::name(self.w, "clock", "clock", clock),
                    words::instant(self.w, *deadline),
                );
                body.paragraph(self.w.with(
                    "mail-the-deadline-was-missed-it",
                    &[
                        ("clock", Arg::text(&clock)),
                        ("deadline", Arg::text(&deadline)),
                    ],
                ));
                self.w.t("mail-deadline-missed-2")
            }
            EventData::ReminderSent { number } => {
                body.paragraph(self.w.with(
                    "mail-reminder-sent-to-the-reporter",
                    &[("number", Arg::text(number))],
                ));
                self.w.t("mail-reminder-2")
            }
            // File names are the sender's words: the mail says how many, not which.
            EventData::FilesAttached { files } => {
                let count = files.len();
                body.paragraph(self.w.with(
                    "mail-file-s-attached-to-the",
                    &[("count", Arg::text(count))],
                ));
                self.w.t("mail-attachment")
            }
            EventData::MailReceived { .. } => {
                body.paragraph(self.w.t("mail-a-mail-arrived-on-the"));
                self.w.t("mail-mail-received")
            }
            _ => String::new(),
        }
    }
}
