//! Mails to the reporter and to the victim of a confirmed user usurpation.

use super::{Arg, Body, Mail, connection_words, words};
use ticket_domain::event::EventData;
use ticket_domain::kind::Qualification;
use ticket_domain::ticket::ReporterOrigin;

impl Mail<'_> {
    // ---- To the reporter ----

    pub(super) fn acknowledgement(&self) -> (String, Body) {
        let (title, reference) = (self.title, &self.reference);
        let t = self.c.ticket;
        let mut body = self.body();
        body.paragraph(self.w.with(
            "mail-we-have-received-your-report",
            &[("reference", Arg::text(reference))],
        ));
        body.facts(vec![
            (self.w.t("mail-reference"), reference.clone()),
            (self.w.t("mail-subject"), title.to_owned()),
            (
                self.w.t("mail-kind"),
                words::name(self.w, "kind", "kind", &t.kind()),
            ),
            (
                self.w.t("mail-received-on"),
                words::instant(self.w, t.created_at),
            ),
        ]);
        if t.is_security_case() {
            body.paragraph(self.w.t("mail-the-federation-s-security-team"));
        } else {
            body.paragraph(self.w.t("mail-our-team-will-look-into"));
        }
        match (self.c.tracking_link, &t.reporter.origin) {
            (Some(link), _) => {
                body.link(self.w.t("mail-follow-your-report-and-answer"), link);
                body.paragraph(self.w.t("mail-this-link-is-personal-do"));
            }
            (None, ReporterOrigin::Partner { .. }) => {
                body.paragraph(self.w.t("mail-you-can-follow-this-ticket"));
            }
            (None, _) => {}
        }
        self.sign_off(&mut body);
        (
            self.w.with(
                "mail-acknowledgement-of-receipt",
                &[("title", Arg::text(title))],
            ),
            body,
        )
    }

    pub(super) fn question(&self) -> (String, Body) {
        let (title, reference) = (self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(self.w.with(
            "mail-to-move-forward-with-your",
            &[("reference", Arg::text(reference))],
        ));
        if let EventData::WaitingForReporter { question } = &self.c.event.data {
            body.quote(question.as_str());
        }
        let place = self.where_to_act();
        body.paragraph(self.w.with(
            "mail-please-answer-work-on-the",
            &[("place", Arg::text(&place))],
        ));
        self.sign_off(&mut body);
        (
            self.w.with(
                "mail-a-question-about-your-report",
                &[("title", Arg::text(title))],
            ),
            body,
        )
    }

    pub(super) fn reply(&self) -> (String, Body) {
        let (title, reference) = (self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(self.w.with(
            "mail-our-team-has-answered-on",
            &[("reference", Arg::text(reference))],
        ));
        if let EventData::Commented { body: comment } = &self.c.event.data {
            body.quote(comment.as_str());
        }
        let place = self.where_to_act();
        body.paragraph(
            self.w
                .with("mail-you-can-answer", &[("place", Arg::text(&place))]),
        );
        self.sign_off(&mut body);
        (
            self.w
                .with("mail-reply-to-your-report", &[("title", Arg::text(title))]),
            body,
        )
    }

    /// To the assignee: the reporter wrote on their ticket. The reporter's words stay in ticketd
    /// (they may hold a victim's personal data, shown there by role).
    pub(super) fn reporter_replied(&self) -> (String, Body) {
        let (title, reference) = (self.title, &self.reference);
        let mut body = self.body();
        let what = match &self.c.event.data {
            EventData::ResolutionRejected { .. } => self.w.with(
                "mail-the-reporter-says-the-resolution",
                &[("reference", Arg::text(reference))],
            ),
            _ => self.w.with(
                "mail-the-reporter-has-answered-on",
                &[("reference", Arg::text(reference))],
            ),
        };
        body.paragraph(what);
        body.facts(self.summary_facts());
        body.paragraph(self.w.t("mail-their-answer-can-be-read"));
        self.staff_footer(&mut body);
        (
            self.w
                .with("mail-the-reporter-answered", &[("title", Arg::text(title))]),
            body,
        )
    }

    pub(super) fn resolution(&self) -> (String, Body) {
        let (title, reference) = (self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(self.w.with(
            "mail-we-consider-your-report-resolved",
            &[("reference", Arg::text(reference))],
        ));
        if let EventData::Resolved { summary } = &self.c.event.data {
            body.quote(summary.as_str());
        }
        let place = self.where_to_act();
        body.paragraph(self.w.with(
            "mail-please-confirm-that-the-problem",
            &[("place", Arg::text(&place))],
        ));
        body.paragraph(self.w.t("mail-your-confirmation-lets-us-close"));
        self.sign_off(&mut body);
        (
            self.w.with(
                "mail-resolved-please-confirm",
                &[("title", Arg::text(title))],
            ),
            body,
        )
    }

    pub(super) fn closure(&self) -> (String, Body) {
        let (title, reference) = (self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(self.w.with(
            "mail-your-report-is-closed",
            &[("reference", Arg::text(reference))],
        ));
        if let EventData::Closed { reason, note } = &self.c.event.data {
            let reason = words::name(self.w, "closure-reason", "reason", reason);
            body.paragraph(
                self.w
                    .with("mail-reason", &[("reason", Arg::text(&reason))]),
            );
            if let Some(note) = note {
                body.paragraph(self.w.t("mail-details"));
                body.quote(note.as_str());
            }
        }
        let place = self.where_to_act();
        body.paragraph(self.w.with(
            "mail-if-the-problem-comes-back",
            &[
                ("place", Arg::text(&place)),
                ("reference", Arg::text(reference)),
            ],
        ));
        self.sign_off(&mut body);
        (
            self.w
                .with("mail-report-closed", &[("title", Arg::text(title))]),
            body,
        )
    }

    pub(super) fn duplicate(&self) -> (String, Body) {
        let (title, reference) = (self.title, &self.reference);
        let mut body = self.body();
        let other = self
            .c
            .duplicate_of
            .map(|r| r.to_string())
            .unwrap_or_else(|| self.w.t("mail-another-ticket"));
        body.paragraph(self.w.with(
            "mail-your-report-is-about-the",
            &[
                ("reference", Arg::text(reference)),
                ("other", Arg::text(&other)),
            ],
        ));
        if let EventData::Cancelled {
            note: Some(note), ..
        } = &self.c.event.data
        {
            body.quote(note.as_str());
        }
        self.sign_off(&mut body);
        (
            self.w.with(
                "mail-duplicate-of",
                &[("other", Arg::text(&other)), ("title", Arg::text(title))],
            ),
            body,
        )
    }

    pub(super) fn reminder(&self) -> (String, Body) {
        let (title, reference) = (self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(self.w.with(
            "mail-we-are-still-waiting-for",
            &[("reference", Arg::text(reference))],
        ));
        if let Some(question) = self.c.pending_question {
            body.quote(question.as_str());
        }
        let place = self.where_to_act();
        body.paragraph(self.w.with(
            "mail-please-answer-without-an-answer",
            &[("place", Arg::text(&place))],
        ));
        if let EventData::ReminderSent { number } = self.c.event.data {
            body.facts(vec![(self.w.t("mail-reminder"), format!("{number}"))]);
        }
        self.sign_off(&mut body);
        (
            self.w.with(
                "mail-reminder-your-answer-is-awaited",
                &[("title", Arg::text(title))],
            ),
            body,
        )
    }

    pub(super) fn unfounded(&self) -> (String, Body) {
        let reference = &self.reference;
        let mut body = self.body();
        body.paragraph(self.w.with(
            "mail-the-federation-s-security-team-2",
            &[("reference", Arg::text(reference))],
        ));
        if let EventData::Qualified {
            qualification: Qualification::Unfounded { explanation },
        } = &self.c.event.data
        {
            body.quote(explanation.as_str());
        }
        let place = self.where_to_act();
        body.paragraph(self.w.with(
            "mail-if-you-disagree-or-have",
            &[("place", Arg::text(&place))],
        ));
        self.sign_off(&mut body);
        (self.w.t("mail-outcome-of-the-analysis-of"), body)
    }

    // ---- To the victim of a confirmed user usurpation ----

    pub(super) fn victim_advice(&self) -> (String, Body) {
        let reference = &self.reference;
        let mut body = self.body();
        body.paragraph(self.w.with(
            "mail-the-identity-federation-s-security",
            &[("reference", Arg::text(reference))],
        ));
        let mut facts = vec![(self.w.t("mail-reference"), reference.clone())];
        if let Some(when) = self
            .c
            .ticket
            .data
            .user_usurpation()
            .and_then(connection_words(self.w))
        {
            facts.push((self.w.t("mail-suspicious-sign-in"), when));
        }
        body.facts(facts);
        body.paragraph(self.w.t("mail-here-is-what-we-advise"));

        body.heading(self.w.t("mail-1-change-your-passwords"));
        body.list(vec![
            self.w.t("mail-start-with-your-email-account"),
            self.w.t("mail-then-change-the-password-of"),
            self.w.t("mail-finally-change-it-on-any"),
        ]);

        body.heading(self.w.t("mail-2-secure-your-identity-account"));
        body.list(vec![
            self.w.t("mail-check-your-account-s-recent"),
            self.w.t("mail-turn-on-2-step-verification"),
            self.w.t("mail-check-that-your-email-address"),
            self.w.t("mail-contact-your-identity-provider-s"),
            self.w.t("mail-if-bank-details-may-have"),
        ]);

        body.heading(self.w.t("mail-3-file-a-complaint"));
        body.paragraph(self.w.t("mail-identity-theft-is-an-offence"));
        body.list(vec![
            self.w.t("mail-online-the-online-pre-complaint"),
            self.w.t("mail-at-any-police-station-commissariat"),
            self.w.t("mail-by-letter-to-the-public"),
        ]);
        body.paragraph(self.w.with(
            "mail-for-your-complaint-gather-the",
            &[("reference", Arg::text(reference))],
        ));
        body.paragraph(self.w.t("mail-you-will-also-find-advice"));
        self.sign_off(&mut body);
        (self.w.t("mail-theft-of-your-identity-what"), body)
    }
}
