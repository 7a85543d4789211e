//! One template per [`Template`] of the domain, in French and English: a subject that carries the
//! ticket's reference, and a [`Body`] rendered as plain text and HTML.
//!
//! Templates read the ticket and the event the mail announces; what needs the store (the tracking
//! link, the question still waiting, the reference of a duplicated ticket) comes in the context.

mod events;
mod partner;
mod reporter;
mod staff;

use crate::body::Body;
use crate::words;
use ticket_domain::event::Event;
use ticket_domain::notify::{Language, Recipient, Template};
use ticket_domain::ticket::{Reference, ReporterOrigin, Ticket};
use ticket_domain::values::Text;
use ticket_wording::{Arg, Wording, Words};

/// Everything a template may print.
#[derive(Debug, Clone, Copy)]
pub struct MailContext<'a> {
    pub ticket: &'a Ticket,
    /// The event the mail announces.
    pub event: &'a Event,
    pub recipient: Recipient,
    /// The reporter's private tracking link (acknowledgement to a public reporter only).
    pub tracking_link: Option<&'a str>,
    /// The question the reporter has not answered yet (reminders).
    pub pending_question: Option<&'a Text>,
    /// The ticket this one duplicates (duplicate notice).
    pub duplicate_of: Option<Reference>,
    /// The security mailbox, which partners write to.
    pub security_address: &'a str,
    /// The words of the mails (the shipped catalogue, or the operator's).
    pub words: &'a Wording,
    /// Replies to the mail are read and land on the ticket (`mail.inbound.reply_address` is set).
    pub replies_read: bool,
}

/// A mail ready to be put in an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The reporter's private tracking page: `{public_url}/suivi/{secret}` or
/// `{public_url}/en/tracking/{secret}`.
pub fn tracking_link(public_url: &str, language: Language, secret: &str) -> String {
    language.tracking_url(public_url, secret)
}

/// Renders `template` in `language`.
pub fn render(template: Template, language: Language, context: &MailContext<'_>) -> RenderedMail {
    let mail = Mail {
        c: context,
        l: language,
        w: context.words.language(language),
        reference: context.ticket.reference.to_string(),
        title: context.ticket.title.as_str(),
    };
    let (subject, body) = match template {
        Template::AcknowledgementOfReceipt => mail.acknowledgement(),
        Template::NewTicketCopy => mail.new_ticket_copy(),
        Template::SecurityAlert => mail.security_alert(),
        Template::TicketUpdate => mail.ticket_update(),
        Template::Escalation => mail.escalation(),
        Template::SlaWarning | Template::SlaBreach => mail.deadline_alarm(),
        Template::QuestionToReporter => mail.question(),
        Template::ReplyToReporter => mail.reply(),
        Template::ResolutionConfirmationRequest => mail.resolution(),
        Template::ClosureNotice => mail.closure(),
        Template::DuplicateNotice => mail.duplicate(),
        Template::ReporterReminder => mail.reminder(),
        Template::VictimAdvice => mail.victim_advice(),
        Template::UsurpationConfirmed => mail.usurpation_confirmed(),
        Template::UnfoundedExplanation => mail.unfounded(),
        Template::PartnerImpersonationDetected => mail.partner_impersonation(),
        Template::ReporterReplied => mail.reporter_replied(),
        Template::ReplyArrived => mail.reply_arrived(),
        Template::ReminderUndeliverable => mail.reminder_undeliverable(),
    };
    let subject = one_line(&format!("[{}] {subject}", mail.reference));
    RenderedMail {
        text: body.to_text(),
        html: body.to_html(&subject),
        subject,
    }
}

/// A subject is one line: line breaks in a title must not become header lines.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

struct Mail<'a> {
    c: &'a MailContext<'a>,
    l: Language,
    w: Words<'a>,
    reference: String,
    title: &'a str,
}

impl Mail<'_> {
    fn body(&self) -> Body {
        let mut body = Body::new(self.l);
        body.paragraph(self.w.t("mail-hello"));
        body
    }

    /// Closing of the mails to reporters, victims and partners.
    fn sign_off(&self, body: &mut Body) {
        body.paragraph(self.w.t("mail-the-identity-federation-support-team"));
        // With a reply address, replies are read and land on the ticket: say so, or say not to reply.
        let footer = if self.c.replies_read {
            "mail-this-message-is-sent-automatically-replies-read"
        } else {
            "mail-this-message-is-sent-automatically"
        };
        body.footer(self.w.with1(footer, "reference", &self.reference));
    }

    /// Closing of the mails to the operator's mailboxes and owners.
    fn staff_footer(&self, body: &mut Body) {
        body.footer(self.w.t("mail-automatic-message-from-ticketd-replies"));
    }

    /// Where the reporter acts: the tracking page (public) or the partner API.
    fn where_to_act(&self) -> String {
        let reference = &self.reference;
        match self.c.ticket.reporter.origin {
            ReporterOrigin::Public => self.w.t("mail-on-your-private-tracking-page"),
            _ => self.w.with(
                "mail-through-the-partner-api-on",
                &[("reference", Arg::text(reference))],
            ),
        }
    }

    fn summary_facts(&self) -> Vec<(String, String)> {
        let t = self.c.ticket;
        vec![
            (self.w.t("mail-reference"), self.reference.clone()),
            (self.w.t("mail-subject"), self.title.to_owned()),
            (
                self.w.t("mail-kind"),
                words::name(self.w, "kind", "kind", &t.kind()),
            ),
            (
                self.w.t("mail-priority"),
                words::priority(self.w, t.priority),
            ),
            (
                self.w.t("mail-state"),
                words::name(self.w, "state", "state", &t.state),
            ),
        ]
    }
}

/// When the suspicious connection happened, in words: the instant, or the day when only the day
/// is known (never an invented time).
fn connection_words<'a>(
    w: Words<'a>,
) -> impl Fn(&ticket_domain::kind::UserUsurpationData) -> Option<String> + 'a {
    move |data| match (
        data.suspicious_connection_at,
        data.suspicious_connection_date,
    ) {
        (Some(at), _) => Some(words::instant(w, at)),
        (None, Some(day)) => Some(words::day(w.language, day)),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_stay_on_one_line() {
        assert_eq!(
            one_line("[INC] a\r\nBcc: x@y.fr\tz"),
            "[INC] a Bcc: x@y.fr z"
        );
    }

    #[test]
    fn tracking_links_follow_the_language() {
        assert_eq!(
            tracking_link("https://signalement.example.fr/", Language::Fr, "abc"),
            "https://signalement.example.fr/suivi/abc"
        );
        assert_eq!(
            tracking_link("https://signalement.example.fr", Language::En, "abc"),
            "https://signalement.example.fr/en/tracking/abc"
        );
    }
}
