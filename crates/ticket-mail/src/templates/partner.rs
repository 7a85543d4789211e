//! Mails to partners: updates, confirmed usurpations, impersonations detected.

use super::{Arg, Body, Mail, connection_words, words};
use ticket_domain::kind::KindData;
use ticket_domain::notify::Recipient;
use ticket_domain::ticket::ConcernedRole;

impl Mail<'_> {
    // ---- To partners ----

    pub(super) fn ticket_update(&self) -> (String, Body) {
        let (title, reference) = (self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(self.w.with(
            "mail-ticket-which-concerns-your-organisation",
            &[("reference", Arg::text(reference))],
        ));
        let label = self.describe_event(&mut body);
        body.facts(self.summary_facts());
        body.paragraph(self.w.t("mail-you-receive-this-message-because"));
        self.sign_off(&mut body);
        (
            self.w.with(
                "mail-update",
                &[("label", Arg::text(&label)), ("title", Arg::text(title))],
            ),
            body,
        )
    }

    pub(super) fn usurpation_confirmed(&self) -> (String, Body) {
        let reference = &self.reference;
        let security = self.c.security_address;
        let t = self.c.ticket;
        let role = match self.c.recipient {
            Recipient::OrganisationContacts(organisation) => t
                .concerned
                .iter()
                .find(|c| c.organisation == organisation)
                .map(|c| c.role),
            _ => None,
        };
        let mut body = self.body();
        body.paragraph(self.w.with(
            "mail-the-identity-federation-s-security-2",
            &[("reference", Arg::text(reference))],
        ));
        let mut facts = vec![(self.w.t("mail-reference"), reference.clone())];
        if let Some(role) = role {
            facts.push((
                self.w.t("mail-your-organisation"),
                words::name(self.w, "concerned-role", "role", &role),
            ));
        }
        if let Some(data) = t.data.user_usurpation() {
            if let Some(when) = connection_words(self.w)(data) {
                facts.push((self.w.t("mail-suspicious-sign-in"), when));
            }
            if let Some(session) = data.session_id {
                facts.push((
                    self.w.t("mail-session-or-event-identifier"),
                    session.to_string(),
                ));
            }
        }
        body.facts(facts);
        body.paragraph(self.w.t("mail-we-ask-you-to"));
        let mut actions = Vec::new();
        if role != Some(ConcernedRole::ServiceProvider) {
            actions.push(self.w.t("mail-check-the-activity-of-the"));
        }
        if role != Some(ConcernedRole::IdentityProvider) {
            actions.push(self.w.t("mail-check-what-was-done-during"));
        }
        actions.push(self.w.with(
            "mail-write-to-the-security-team",
            &[
                ("security", Arg::text(security)),
                ("reference", Arg::text(reference)),
            ],
        ));
        body.list(actions);
        self.sign_off(&mut body);
        (
            self.w.t("mail-confirmed-identity-theft-action-required"),
            body,
        )
    }

    pub(super) fn partner_impersonation(&self) -> (String, Body) {
        let reference = &self.reference;
        let security = self.c.security_address;
        let mut body = self.body();
        body.paragraph(self.w.with(
            "mail-the-identity-federation-s-teams",
            &[("reference", Arg::text(reference))],
        ));
        if let KindData::PartnerUsurpation(data) = &self.c.ticket.data {
            let vectors: Vec<String> = data
                .vectors
                .iter()
                .map(|v| words::name(self.w, "vector", "vector", v))
                .collect();
            body.facts(vec![
                (self.w.t("mail-reference"), reference.clone()),
                (self.w.t("mail-means-observed"), vectors.join(", ")),
            ]);
            body.quote(data.description.as_str());
        }
        body.paragraph(self.w.t("mail-we-ask-you-to"));
        body.list(vec![
            self.w.t("mail-revoke-and-replace-straight-away"),
            self.w.t("mail-warn-your-users-if-a"),
            self.w.with(
                "mail-write-to-the-security-team-2",
                &[
                    ("security", Arg::text(security)),
                    ("reference", Arg::text(reference)),
                ],
            ),
        ]);
        self.sign_off(&mut body);
        (
            self.w.t("mail-impersonation-of-your-organisation-detected"),
            body,
        )
    }
}
