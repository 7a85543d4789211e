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
                self.told(body, "mail-new-report", None, "mail-new-report-2")
            }
            EventData::Acknowledged { note } => self.told(
                body,
                "mail-the-report-was-acknowledged",
                note.as_ref().map(|note| note.as_str()),
                "mail-acknowledged",
            ),
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
            _ => self.describe_answer_event(body),
        }
    }

    /// [`Self::describe_event`] for questions, answers, resolutions and qualifications.
    fn describe_answer_event(&self, body: &mut Body) -> String {
        match &self.c.event.data {
            EventData::WaitingForReporter { question } => self.told(
                body,
                "mail-question-asked-to-the-reporter",
                Some(question.as_str()),
                "mail-question-to-the-reporter",
            ),
            EventData::ReporterAnswered { body: answer } => self.told(
                body,
                "mail-the-reporter-answered-2",
                Some(answer.as_str()),
                "mail-reporter-s-answer",
            ),
            EventData::Resolved { summary } => self.told(
                body,
                "mail-the-ticket-is-resolved",
                Some(summary.as_str()),
                "mail-resolved",
            ),
            EventData::ResolutionConfirmed => self.told(
                body,
                "mail-the-reporter-confirmed-the-resolution",
                None,
                "mail-resolution-confirmed",
            ),
            EventData::ResolutionRejected { reason } => self.told(
                body,
                "mail-the-reporter-says-the-problem",
                Some(reason.as_str()),
                "mail-resolution-rejected",
            ),
            EventData::Qualified { qualification } => match qualification {
                Qualification::Confirmed => self.told(
                    body,
                    "mail-the-theft-is-confirmed-the",
                    None,
                    "mail-theft-confirmed",
                ),
                Qualification::Unfounded { explanation } => self.told(
                    body,
                    "mail-the-report-is-found-unfounded",
                    Some(explanation.as_str()),
                    "mail-report-unfounded",
                ),
            },
            _ => self.describe_other_event(body),
        }
    }

    /// [`Self::describe_event`] for the investigation of a usurpation and the mails delivered.
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
            EventData::MailDelivered { .. } => self.told(
                body,
                "mail-a-message-was-accepted-by",
                None,
                "mail-message-delivered",
            ),
            EventData::CredentialsRevoked { note } => self.told(
                body,
                "mail-the-compromised-credentials-are-revoked",
                Some(note.as_str()),
                "mail-credentials-revoked",
            ),
            EventData::RevocationWaived { note } => self.told(
                body,
                "mail-the-security-team-waived-the",
                Some(note.as_str()),
                "mail-revocation-waived",
            ),
            _ => self.describe_closure_or_clock_event(body),
        }
    }

    /// [`Self::describe_event`] for closures, links, clock alarms, reminders, files and mails in.
    fn describe_closure_or_clock_event(&self, body: &mut Body) -> String {
        match &self.c.event.data {
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
            EventData::Reopened { reason } => self.told(
                body,
                "mail-ticket-reopened",
                Some(reason.as_str()),
                "mail-reopened",
            ),
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
                body.paragraph(self.deadline("mail-the-deadline-is-near", clock, *deadline));
                self.w.t("mail-deadline-near")
            }
            EventData::SlaBreached {
                clock, deadline, ..
            } => {
                body.paragraph(self.deadline("mail-the-deadline-was-missed-it", clock, *deadline));
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
            EventData::MailReceived { .. } => self.told(
                body,
                "mail-a-mail-arrived-on-the",
                None,
                "mail-mail-received",
            ),
            _ => String::new(),
        }
    }

    /// A paragraph, the words it quotes (when there are), and the subject's label.
    fn told(&self, body: &mut Body, paragraph: &str, quoted: Option<&str>, label: &str) -> String {
        body.paragraph(self.w.t(paragraph));
        if let Some(quoted) = quoted {
            body.quote(quoted);
        }
        self.w.t(label)
    }

    /// The message `id` about `clock`'s `deadline`.
    fn deadline(
        &self,
        id: &str,
        clock: &ticket_domain::clock::ClockKind,
        deadline: chrono::DateTime<chrono::Utc>,
    ) -> String {
        let (clock, deadline) = (
            words::name(self.w, "clock", "clock", clock),
            words::instant(self.w, deadline),
        );
        self.w.with(
            id,
            &[
                ("clock", Arg::text(&clock)),
                ("deadline", Arg::text(&deadline)),
            ],
        )
    }
}
