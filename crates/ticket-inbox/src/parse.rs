//! What the receiving side reads of a mail, taken from `mail-parser` (nothing of MIME by hand):
//! identifiers for threading and deduplication, addresses, the loop and list markers, the trusted
//! MTA's authentication verdict, the text, the attachments, and for a delivery-status notification
//! the Message-ID it reports on and why.

use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

/// One attachment as listed (the bytes stay in the raw message until attachments are stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    pub filename: Option<String>,
    pub content_type: String,
    pub size: usize,
}

/// A delivery-status notification (RFC 3464).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    /// The Message-ID of the mail that could not be delivered, with angle brackets.
    pub original: Option<String>,
    /// Action, status and diagnostic, with addresses reduced to their domain.
    pub reason: String,
}

/// The parts of a mail the inbox decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMail {
    /// With angle brackets; derived from the hash when the mail has none.
    pub message_id: String,
    pub sha256: String,
    /// `From`, lowercased.
    pub from: Option<String>,
    pub subject: Option<String>,
    /// `In-Reply-To` first, then `References` newest first (with angle brackets).
    pub thread_ids: Vec<String>,
    /// `To`, `Cc`, `Delivered-To`, `X-Original-To`, lowercased.
    pub recipients: Vec<String>,
    /// `Auto-Submitted` (other than `no`), `X-Autoreply`, `X-Autorespond`: why it is automatic.
    pub automatic: Option<String>,
    /// `Precedence: bulk|list|junk`, or a `List-Id`.
    pub list: Option<String>,
    /// Every `Authentication-Results` header, raw, topmost first.
    pub authentication_results: Vec<String>,
    /// The text (HTML turned into text when there is no text part).
    pub text: String,
    pub attachments: Vec<AttachmentInfo>,
    pub bounce: Option<Bounce>,
}

fn bracketed(id: &str) -> String {
    format!(
        "<{}>",
        id.trim().trim_start_matches('<').trim_end_matches('>')
    )
}

fn text_list(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(text) => vec![bracketed(text)],
        HeaderValue::TextList(list) => list.iter().map(|id| bracketed(id)).collect(),
        _ => Vec::new(),
    }
}

fn addresses(address: Option<&Address<'_>>) -> Vec<String> {
    address
        .map(|a| {
            a.iter()
                .filter_map(|addr| addr.address())
                .map(str::to_lowercase)
                .collect()
        })
        .unwrap_or_default()
}

fn raw_headers<'a>(message: &'a Message<'_>, name: &'a str) -> impl Iterator<Item = &'a str> {
    message
        .headers_raw()
        .filter(move |(header, _)| header.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim())
}

/// An address written in a header on its own (`Delivered-To: <a@b>`), through the parser.
fn single_address(raw: &str) -> Option<String> {
    let header = format!("To: {raw}\r\n\r\n");
    let parsed = MessageParser::default().parse_headers(header.as_bytes())?;
    parsed
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_lowercase)
}

/// An e-mail address in a text reduced to its domain: a diagnostic may quote the recipient.
pub fn without_addresses(text: &str) -> String {
    text.split_whitespace()
        .map(|word| match word.rsplit_once('@') {
            Some((_, domain)) => format!(
                "…@{}",
                domain.trim_end_matches(|c: char| !c.is_alphanumeric())
            ),
            None => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn bounce(message: &Message<'_>) -> Option<Bounce> {
    let is_report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let status_part = message.parts.iter().find(|part| {
        part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("delivery-status"))
        })
    });
    if !is_report || status_part.is_none() {
        return None;
    }
    // The per-message fields, a blank line, then the per-recipient fields: each block is a header
    // block, read by the parser.
    let mut reason = Vec::new();
    if let Some(part) = status_part {
        let contents = String::from_utf8_lossy(part.contents()).replace("\r\n", "\n");
        for block in contents.split("\n\n").skip(1) {
            let block = format!("{}\n\n", block.trim());
            let Some(fields) = MessageParser::default().parse_headers(block.as_bytes()) else {
                continue;
            };
            for name in ["Action", "Status", "Diagnostic-Code"] {
                if let Some(value) = fields.header_raw(name) {
                    reason.push(format!("{name}: {}", without_addresses(value.trim())));
                }
            }
        }
    }
    // The original: a message/rfc822 part, or text/rfc822-headers parsed as headers.
    let original = message.parts.iter().find_map(|part| {
        if let PartType::Message(inner) = &part.body {
            return inner.message_id().map(bracketed);
        }
        let headers_only = part.content_type().is_some_and(|ct| {
            ct.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("rfc822-headers"))
        });
        if headers_only {
            let mut bytes = part.contents().to_vec();
            bytes.extend_from_slice(b"\r\n\r\n");
            return MessageParser::default()
                .parse_headers(&bytes[..])
                .and_then(|h| h.message_id().map(bracketed));
        }
        None
    });
    Some(Bounce {
        original,
        reason: if reason.is_empty() {
            "delivery failed".to_owned()
        } else {
            reason.join("; ")
        },
    })
}

/// Reads `raw`; `None` only for bytes that hold no message at all (none of the usual headers).
pub fn parse(raw: &[u8]) -> Option<ParsedMail> {
    let sha256 = hex::encode(Sha256::digest(raw));
    let message = MessageParser::default().parse(raw)?;
    // mail-parser reads any bytes as headers and a body: without one of the headers every mail
    // has (RFC 5322's origination date and originator, or an identifier, recipient or subject)
    // they are no mail.
    let known = message.from().is_some()
        || message.date().is_some()
        || message.message_id().is_some()
        || message.to().is_some()
        || message.subject().is_some();
    if !known {
        return None;
    }
    let message_id = message
        .message_id()
        .map(bracketed)
        .unwrap_or_else(|| format!("<{sha256}@no-message-id.invalid>"));
    let mut thread_ids = text_list(message.in_reply_to());
    let mut references = text_list(message.references());
    references.reverse();
    for id in references {
        if !thread_ids.contains(&id) {
            thread_ids.push(id);
        }
    }
    let mut recipients = addresses(message.to());
    recipients.extend(addresses(message.cc()));
    for name in ["Delivered-To", "X-Original-To"] {
        recipients.extend(raw_headers(&message, name).filter_map(single_address));
    }
    recipients.dedup();
    let automatic = raw_headers(&message, "Auto-Submitted")
        .find(|v| !v.eq_ignore_ascii_case("no") && !v.is_empty())
        .map(|v| format!("Auto-Submitted: {}", v.to_ascii_lowercase()))
        .or_else(|| {
            ["X-Autoreply", "X-Autorespond"]
                .into_iter()
                .find_map(|name| {
                    raw_headers(&message, name)
                        .next()
                        .map(|_| format!("{name} present"))
                })
        });
    let list = raw_headers(&message, "Precedence")
        .map(str::to_ascii_lowercase)
        .find(|v| matches!(v.as_str(), "bulk" | "list" | "junk"))
        .map(|v| format!("Precedence: {v}"))
        .or_else(|| {
            raw_headers(&message, "List-Id")
                .next()
                .map(|_| "List-Id present".to_owned())
        });
    let authentication_results = raw_headers(&message, "Authentication-Results")
        .map(str::to_owned)
        .collect();
    let text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let attachments = message
        .attachments()
        .map(|part| AttachmentInfo {
            filename: part.attachment_name().map(str::to_owned),
            content_type: part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{sub}", ct.ctype()),
                    None => ct.ctype().to_owned(),
                })
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
            size: part.contents().len(),
        })
        .collect();
    Some(ParsedMail {
        message_id,
        sha256,
        from: addresses(message.from()).into_iter().next(),
        subject: message.subject().map(str::to_owned),
        thread_ids,
        recipients,
        automatic,
        list,
        authentication_results,
        text,
        attachments,
        bounce: bounce(&message),
    })
}

/// The files attached to a mail, with the names their sender gave (the type is detected from the
/// bytes when they are stored, never taken from the mail's headers). `None` when `raw` is not a
/// mail.
pub fn attachment_files(raw: &[u8]) -> Option<Vec<(Option<String>, Vec<u8>)>> {
    let message = MessageParser::default().parse(raw)?;
    Some(
        message
            .attachments()
            .map(|part| {
                (
                    part.attachment_name().map(str::to_owned),
                    part.contents().to_vec(),
                )
            })
            .collect(),
    )
}

/// Whether the trusted MTA (`authserv_id`) says DMARC passed for the `From` domain.
///
/// Only the topmost `Authentication-Results` of that server counts (RFC 8601: it removes any of
/// its own that the mail brought along, so those below come from elsewhere and are ignored).
pub fn dmarc_passed(mail: &ParsedMail, authserv_id: &str) -> bool {
    let Some(from_domain) = mail.from.as_deref().and_then(|f| f.rsplit_once('@')) else {
        return false;
    };
    let from_domain = from_domain.1;
    let Some(header) = mail.authentication_results.iter().find(|header| {
        header
            .split(';')
            .next()
            .and_then(|id| id.split_whitespace().next())
            .is_some_and(|id| id.eq_ignore_ascii_case(authserv_id))
    }) else {
        return false;
    };
    header.split(';').skip(1).any(|method| {
        let mut words = method.split_whitespace();
        let passed = words
            .next()
            .is_some_and(|result| result.eq_ignore_ascii_case("dmarc=pass"));
        // The verdict is about the From domain; a header.from naming another domain does not count.
        let domain_matches = method
            .split_whitespace()
            .find_map(|w| w.strip_prefix("header.from="))
            .is_none_or(|d| d.trim_end_matches(')').eq_ignore_ascii_case(from_domain));
        passed && domain_matches
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const REPLY: &str = "From: Alice Partner <Alice@Idp.example.fr>\r\n\
To: support+INC-2026-000001.0123456789abcdef@ticketd.localhost\r\n\
Subject: Re: [INC-2026-000001] Panne\r\n\
Message-ID: <reply-1@idp.example.fr>\r\n\
In-Reply-To: <t.3.abc@ticketd.localhost>\r\n\
References: <t@ticketd.localhost> <t.3.abc@ticketd.localhost>\r\n\
Authentication-Results: mx.ticketd.localhost; spf=pass smtp.mailfrom=idp.example.fr;\r\n dmarc=pass (p=reject) header.from=idp.example.fr\r\n\
Authentication-Results: evil.example; dmarc=pass\r\n\
\r\n\
Le service est revenu.\r\n";

    #[test]
    fn a_reply_is_read_with_its_threading_and_authentication() {
        let mail = parse(REPLY.as_bytes()).unwrap();
        assert_eq!(mail.message_id, "<reply-1@idp.example.fr>");
        assert_eq!(mail.from.as_deref(), Some("alice@idp.example.fr"));
        assert_eq!(
            mail.thread_ids,
            vec!["<t.3.abc@ticketd.localhost>", "<t@ticketd.localhost>"]
        );
        assert!(mail.recipients[0].starts_with("support+inc-2026-000001."));
        assert!(mail.text.contains("Le service est revenu."));
        assert!(mail.automatic.is_none() && mail.list.is_none() && mail.bounce.is_none());
        assert!(dmarc_passed(&mail, "mx.ticketd.localhost"));
        assert!(!dmarc_passed(&mail, "other.example"));
    }

    #[test]
    fn addresses_leave_diagnostics() {
        assert_eq!(
            without_addresses("smtp; 550 5.1.1 <bob@example.org>: unknown"),
            "smtp; 550 5.1.1 …@example.org unknown"
        );
    }
}

#[cfg(test)]
mod no_mail {
    #[test]
    fn bytes_without_a_mails_headers_are_no_mail() {
        for raw in [&b"\x00\x01\x02"[..], b"not a mail at all\r\n", b""] {
            assert!(super::parse(raw).is_none(), "{raw:?}");
        }
        assert!(super::parse(b"Subject: hi\r\n\r\nbody\r\n").is_some());
    }
}
