//! Mails to the operator's mailboxes and owners.

use super::{Arg, Body, Mail, connection_words, words};
use ticket_domain::Actor;
use ticket_domain::event::{EscalationCause, EventData};
use ticket_domain::kind::KindData;
use ticket_domain::notify::Recipient;
use ticket_domain::ticket::ReporterOrigin;

impl Mail<'_> {
    // ---- To the operator's mailboxes and owners ----

    pub(super) fn new_ticket_copy(&self) -> (String, Body) {
        let title = self.title;
        let t = self.c.ticket;
        let mut body = self.body();
        body.paragraph(self.w.t("mail-a-new-report-has-been"));
        let mut facts = self.summary_facts();
        facts.push((
            self.w.t("mail-handled-by"),
            words::name(self.w, "tier", "tier", &t.tier),
        ));
        facts.push((self.w.t("mail-reporter"), self.reporter_origin()));
        facts.push((
            self.w.t("mail-received-on"),
            words::instant(self.w, t.created_at),
        ));
        let mut details = None;
        match &t.data {
            KindData::Incident(incident) => {
                if let Some(service) = &incident.service {
                    facts.push((self.w.t("mail-service"), service.name.clone()));
                }
                facts.push((
                    self.w.t("mail-started"),
                    words::instant(self.w, incident.started_at),
                ));
                facts.push((
                    self.w.t("mail-security-incident"),
                    words::yes_no(self.w, incident.security),
                ));
                details = Some(incident.impact.as_str());
            }
            KindData::PartnerUsurpation(data) => {
                let vectors: Vec<String> = data
                    .vectors
                    .iter()
                    .map(|v| words::name(self.w, "vector", "vector", v))
                    .collect();
                facts.push((self.w.t("mail-means-observed"), vectors.join(", ")));
                details = Some(data.description.as_str());
            }
            KindData::UserUsurpation(data) => {
                if let Some(when) = connection_words(self.w)(data) {
                    facts.push((self.w.t("mail-suspicious-sign-in"), when));
                }
            }
            KindData::SupportRequest(data) => details = Some(data.question.as_str()),
        }
        if let Some(proposed) = t.proposed_priority {
            facts.push((
                self.w.t("mail-proposed-priority"),
                words::priority(self.w, proposed),
            ));
        }
        body.facts(facts);
        if let Some(details) = details {
            body.quote(details);
        }
        self.staff_footer(&mut body);
        let kind = words::name(self.w, "kind", "kind", &t.kind());
        let level = t.priority.level();
        (
            self.w.with(
                "mail-new-report-priority",
                &[
                    ("kind", Arg::text(&kind)),
                    ("level", Arg::text(level)),
                    ("title", Arg::text(title)),
                ],
            ),
            body,
        )
    }

    pub(super) fn security_alert(&self) -> (String, Body) {
        let (title, reference) = (self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(self.w.with(
            "mail-event-on-security-ticket",
            &[("reference", Arg::text(reference))],
        ));
        let label = self.describe_event(&mut body);
        let mut facts = self.summary_facts();
        facts.push((
            self.w.t("mail-handled-by"),
            words::name(self.w, "tier", "tier", &self.c.ticket.tier),
        ));
        facts.push((
            self.w.t("mail-by"),
            words::actor(self.w, &self.c.event.actor),
        ));
        facts.push((self.w.t("mail-on"), words::instant(self.w, self.c.event.at)));
        body.facts(facts);
        self.staff_footer(&mut body);
        (
            self.w.with(
                "mail-security",
                &[("label", Arg::text(&label)), ("title", Arg::text(title))],
            ),
            body,
        )
    }

    /// A 75 % warning (to the assignee or the tier's team) or a breach (to the priority's owners).
    /// To whoever handles the ticket: an answer arrived by e-mail (read in ticketd; the mail does
    /// not repeat it, so a victim's words stay where access is controlled and journaled).
    pub(super) fn reply_arrived(&self) -> (String, Body) {
        let (title, reference) = (self.title, &self.reference);
        let mut body = self.body();
        let who = match &self.c.event.actor {
            Actor::Partner { .. } => self.w.t("mail-the-partner"),
            Actor::PublicReporter => self.w.t("mail-the-reporter"),
            Actor::Staff { handle, .. } => handle.to_string(),
            Actor::System => self.w.t("mail-the-service"),
        };
        body.paragraph(self.w.with(
            "mail-a-reply-arrived-by-e",
            &[
                ("reference", Arg::text(reference)),
                ("who", Arg::text(&who)),
            ],
        ));
        body.facts(self.summary_facts());
        self.staff_footer(&mut body);
        (
            self.w
                .with("mail-a-reply-arrived", &[("title", Arg::text(title))]),
            body,
        )
    }

    /// To whoever handles the ticket: a reminder could not reach the silent reporter (refused for
    /// good or bounced), so the automatic closure waits; the reporter must be reached another way.
    /// The reporter's address stays in ticketd.
    pub(super) fn reminder_undeliverable(&self) -> (String, Body) {
        let (title, reference) = (self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(self.w.with(
            "mail-reminder-undeliverable-body",
            &[("reference", Arg::text(reference))],
        ));
        body.facts(self.summary_facts());
        self.staff_footer(&mut body);
        (
            self.w.with(
                "mail-reminder-undeliverable",
                &[("title", Arg::text(title))],
            ),
            body,
        )
    }

    pub(super) fn deadline_alarm(&self) -> (String, Body) {
        let title = self.title;
        let t = self.c.ticket;
        let mut body = self.body();
        let label = self.describe_event(&mut body);
        let mut facts = self.summary_facts();
        facts.push((
            self.w.t("mail-handled-by"),
            words::name(self.w, "tier", "tier", &t.tier),
        ));
        body.facts(facts);
        if let Recipient::Owner(owner) = self.c.recipient {
            let owner = words::name(self.w, "owner", "owner", &owner);
            let priority = words::priority(self.w, t.priority);
            body.paragraph(self.w.with(
                "mail-you-receive-this-message-as",
                &[
                    ("owner", Arg::text(&owner)),
                    ("priority", Arg::text(&priority)),
                ],
            ));
        }
        self.staff_footer(&mut body);
        let level = t.priority.level();
        (
            self.w.with(
                "mail-priority-2",
                &[
                    ("level", Arg::text(level)),
                    ("label", Arg::text(&label)),
                    ("title", Arg::text(title)),
                ],
            ),
            body,
        )
    }

    pub(super) fn escalation(&self) -> (String, Body) {
        let (title, reference) = (self.title, &self.reference);
        let t = self.c.ticket;
        let mut body = self.body();
        let (from, to, cause) = match &self.c.event.data {
            EventData::Escalated { from, to, cause } => (*from, *to, Some(cause)),
            _ => (t.tier, t.tier, None),
        };
        let to_words = words::name(self.w, "tier", "tier", &to);
        body.paragraph(self.w.with(
            "mail-ticket-has-been-escalated-to",
            &[
                ("reference", Arg::text(reference)),
                ("to_words", Arg::text(&to_words)),
            ],
        ));
        let mut facts = self.summary_facts();
        facts.push((
            self.w.t("mail-escalation"),
            format!(
                "{} → {}",
                words::name(self.w, "tier", "tier", &from),
                to_words
            ),
        ));
        match cause {
            Some(EscalationCause::Breach { clock }) => {
                let clock = words::name(self.w, "clock", "clock", clock);
                facts.push((
                    self.w.t("mail-cause"),
                    self.w
                        .with("mail-deadline-missed", &[("clock", Arg::text(&clock))]),
                ));
            }
            Some(EscalationCause::Manual { reason }) => {
                facts.push((self.w.t("mail-cause"), self.w.t("mail-escalated-by-staff")));
                body.facts(facts);
                facts = Vec::new();
                body.quote(reason.as_str());
            }
            None => {}
        }
        body.facts(facts);
        if let Recipient::Owner(owner) = self.c.recipient {
            let owner = words::name(self.w, "owner", "owner", &owner);
            let priority = words::priority(self.w, t.priority);
            body.paragraph(self.w.with(
                "mail-you-receive-this-message-as-2",
                &[
                    ("owner", Arg::text(&owner)),
                    ("priority", Arg::text(&priority)),
                ],
            ));
        }
        self.staff_footer(&mut body);
        let level = t.priority.level();
        (
            self.w.with(
                "mail-escalated-priority-to",
                &[
                    ("level", Arg::text(level)),
                    ("to_words", Arg::text(&to_words)),
                    ("title", Arg::text(title)),
                ],
            ),
            body,
        )
    }

    pub(super) fn reporter_origin(&self) -> String {
        match &self.c.ticket.reporter.origin {
            ReporterOrigin::Partner { .. } => self.w.t("mail-a-partner"),
            ReporterOrigin::Public => self.w.t("mail-a-user-public-form"),
            ReporterOrigin::Staff { handle } => {
                self.w.with("mail-staff", &[("handle", Arg::text(handle))])
            }
        }
    }
}
