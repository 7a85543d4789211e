//! Putting a rendered mail in an envelope: addresses, threading and the headers of automatic mail.
//!
//! Threading: every ticket is one thread. Each mail's `Message-ID` is deterministic per (ticket,
//! event, recipient) — `<{ticket_id}.{event_seq}.{recipient hash}@{domain}>` — so a retried mail
//! keeps its id and a receiving system can tell a duplicate. Every mail of a ticket carries
//! `In-Reply-To` and `References` pointing to the ticket's thread root `<{ticket_id}@{domain}>`.
//! No mail has that root id: it is a virtual parent, which mail clients (JWZ threading, as in
//! Thunderbird, Apple Mail, mutt; Gmail also needs the same subject prefix, which the reference
//! gives) use to group the mails. Pointing at a real earlier mail instead would need to know which
//! mail each recipient got first; different recipients get different mails, and some none.

use crate::templates::RenderedMail;
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::address::Envelope;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox as MailAddress, MultiPart};
use sha2::{Digest, Sha256};
use std::time::SystemTime;
use ticket_domain::notify::{Language, Recipient};
use ticket_domain::values::TicketId;

const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");
const AUTO_RESPONSE_SUPPRESS: HeaderName =
    HeaderName::new_from_ascii_str("X-Auto-Response-Suppress");
const CONTENT_LANGUAGE: HeaderName = HeaderName::new_from_ascii_str("Content-Language");

/// The deterministic Message-ID of the mail announcing event `event_seq` of `ticket` to
/// `recipient`.
pub fn message_id(ticket: TicketId, event_seq: i64, recipient: &Recipient, domain: &str) -> String {
    let canonical =
        serde_json::to_vec(recipient).unwrap_or_else(|_| format!("{recipient:?}").into_bytes());
    let hash = hex::encode(Sha256::digest(canonical));
    format!("<{ticket}.{event_seq}.{}@{domain}>", &hash[..12])
}

/// The virtual root of a ticket's thread, which every mail of the ticket replies to.
pub fn thread_root(ticket: TicketId, domain: &str) -> String {
    format!("<{ticket}@{domain}>")
}

/// A mail ready for a transport.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub message_id: String,
    pub envelope: Envelope,
    /// The whole message as it goes on the wire (RFC 5322).
    pub bytes: Vec<u8>,
    /// The domains of the recipients: what may be logged.
    pub recipient_domains: Vec<String>,
}

/// What goes into one message.
#[derive(Debug, Clone, Copy)]
pub struct Composition<'a> {
    pub from: &'a MailAddress,
    pub to: &'a [MailAddress],
    pub rendered: &'a RenderedMail,
    pub language: Language,
    pub message_id: &'a str,
    pub thread_root: &'a str,
    pub date: DateTime<Utc>,
    /// The ticket's signed reply address, where answers land on the ticket.
    pub reply_to: Option<&'a MailAddress>,
}

/// Builds the message: multipart/alternative (text, then HTML), threaded, marked automatic.
pub fn compose(mail: Composition<'_>) -> Result<OutgoingMail, lettre::error::Error> {
    let mut builder = Message::builder()
        .from(mail.from.clone())
        .subject(mail.rendered.subject.clone())
        .message_id(Some(mail.message_id.to_owned()))
        .in_reply_to(mail.thread_root.to_owned())
        .references(mail.thread_root.to_owned())
        .date(SystemTime::from(mail.date))
        // RFC 3834: an automatic mail, which auto-responders must not answer.
        .raw_header(HeaderValue::new(
            AUTO_SUBMITTED,
            "auto-generated".to_owned(),
        ))
        .raw_header(HeaderValue::new(AUTO_RESPONSE_SUPPRESS, "All".to_owned()))
        .raw_header(HeaderValue::new(
            CONTENT_LANGUAGE,
            mail.language.code().to_owned(),
        ));
    if let Some(reply_to) = mail.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    for to in mail.to {
        builder = builder.to(to.clone());
    }
    let message = builder.multipart(MultiPart::alternative_plain_html(
        mail.rendered.text.clone(),
        mail.rendered.html.clone(),
    ))?;
    let mut recipient_domains: Vec<String> = mail
        .to
        .iter()
        .map(|m| m.email.domain().to_owned())
        .collect();
    recipient_domains.sort();
    recipient_domains.dedup();
    Ok(OutgoingMail {
        message_id: mail.message_id.to_owned(),
        envelope: message.envelope().clone(),
        bytes: message.formatted(),
        recipient_domains,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ticket_domain::notify::Mailbox;
    use ticket_domain::values::OrganisationId;
    use uuid::Uuid;

    #[test]
    fn message_ids_are_deterministic_and_distinct_per_recipient() {
        let ticket = TicketId(Uuid::from_u128(42));
        let security = Recipient::Mailbox(Mailbox::Security);
        let a = message_id(ticket, 3, &security, "ticketd.example.fr");
        assert_eq!(a, message_id(ticket, 3, &security, "ticketd.example.fr"));
        assert!(a.starts_with("<00000000-0000-0000-0000-00000000002a.3."));
        assert!(a.ends_with("@ticketd.example.fr>"));
        let others = [
            message_id(ticket, 4, &security, "ticketd.example.fr"),
            message_id(ticket, 3, &Recipient::Reporter, "ticketd.example.fr"),
            message_id(
                ticket,
                3,
                &Recipient::OrganisationContacts(OrganisationId(Uuid::from_u128(1))),
                "ticketd.example.fr",
            ),
        ];
        assert!(others.iter().all(|other| *other != a));
        assert_eq!(
            thread_root(ticket, "ticketd.example.fr"),
            "<00000000-0000-0000-0000-00000000002a@ticketd.example.fr>"
        );
    }
}
