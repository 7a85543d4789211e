//! Mail in, against a real IMAP server (Dovecot) and real databases: each test runs on SQLite and on
//! PostgreSQL (`TEST_DATABASE_URL`; with `TICKETD_REQUIRE_POSTGRES=1` a missing server fails).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod dovecot;
mod idp_reply;
mod imap;
mod landing;
mod reply_tag;

use chrono::{TimeDelta, Utc};
use std::sync::Arc;
use std::time::Duration;
use ticket_domain::kind::{KindData, SupportRequestData};
use ticket_domain::notify::Language;
use ticket_domain::testkit::text;
use ticket_domain::values::{EmailAddress, OrganisationId, TicketId};
use ticket_domain::{Actor, NewTicket, Policy};
use ticket_inbox::imap::ImapFetcher;
use ticket_inbox::{Inbox, OperatorMailbox};
use ticket_mail::MailConfig;
use ticket_mail::config::ImapAccount;
use ticket_mail::reply::ReplyAddresses;
use ticket_store::Store;
use ticket_store::clock::SystemClock;
use ticket_store::registry::{NewContact, NewOrganisation, OrganisationRole};
use ticket_store::tickets::{StoredTicket, TicketKey};

pub const CONTACT: &str = "alice@idp.example.fr";
pub const OTHER_CONTACT: &str = "bob@sp.example.fr";
pub const SECRET: &str = "a-reply-secret-of-at-least-32-characters";
pub const TRUSTED: &str = "mx.test";

/// What the MTA adds when DMARC passes for the sender's domain.
pub fn auth(domain: &str) -> String {
    format!(
        "Authentication-Results: {TRUSTED}; spf=pass; dmarc=pass (p=reject) header.from={domain}\r\n"
    )
}

#[derive(Debug)]
pub struct World {
    pub store: Store,
    pub inbox: Inbox,
    pub partner: OrganisationId,
    pub ticket: StoredTicket,
    /// The Message-ID of the acknowledgement the partner received.
    pub sent_id: String,
    pub replies: ReplyAddresses,
}

pub fn mail_config() -> MailConfig {
    let mut config = MailConfig::default();
    config.inbound.reply_address = Some("support@ticketd.localhost".into());
    config.inbound.trusted_authserv_id = Some(TRUSTED.into());
    config
}

pub fn inbox_with(store: &Store, config: &MailConfig) -> Inbox {
    Inbox::new(
        store.clone(),
        config,
        Some(ReplyAddresses::new("support@ticketd.localhost", SECRET).unwrap()),
        Arc::new(Policy::default()),
        Arc::new(SystemClock),
    )
}

async fn organisation(store: &Store, name: &str, contact: &str) -> OrganisationId {
    let now = Utc::now();
    let org = store
        .create_organisation(
            NewOrganisation {
                name: text(name),
                roles: vec![OrganisationRole::IdentityProvider],
            },
            now,
        )
        .await
        .unwrap();
    store
        .add_contact(
            org.id,
            NewContact {
                name: text("Contact"),
                function: text("Support"),
                email: EmailAddress::parse("email", contact).unwrap(),
                phone: None,
            },
            now,
        )
        .await
        .unwrap();
    org.id
}

/// Marks every pending mail sent under the Message-ID the dispatcher gives it.
pub async fn send_outbox(store: &Store) {
    let now = Utc::now();
    let claimed = store
        .claim_outbox("test", now, TimeDelta::minutes(10), 1000)
        .await
        .unwrap();
    for c in claimed {
        let id = ticket_mail::message::message_id(
            c.mail.ticket_id,
            c.mail.event_seq,
            &c.mail.recipient,
            "ticketd.localhost",
        );
        store
            .settle_outbox(
                c.mail.id,
                "test",
                ticket_store::outbox::Settlement::Sent {
                    message_id: &id,
                    at: now,
                    policy: &Policy::default(),
                },
            )
            .await
            .unwrap();
    }
}

pub async fn world(store: Store) -> World {
    let partner = organisation(&store, "IdP", CONTACT).await;
    organisation(&store, "SP", OTHER_CONTACT).await;
    let actor = Actor::Partner {
        organisation: partner,
        key_name: "main".into(),
    };
    let new = NewTicket {
        id: TicketId::new_v7(),
        reference_number: 0,
        title: text("Question d'inscription"),
        data: KindData::SupportRequest(SupportRequestData {
            question: text("Comment inscrire un nouveau service ?"),
        }),
        organisation: Some(partner),
        reporter_email: None,
        language: Language::Fr,
        proposed_priority: None,
        follow_up_of: None,
        same_session_as: Vec::new(),
    };
    let ticket = store
        .create_ticket(new, &actor, Utc::now(), &Policy::default(), None, false)
        .await
        .unwrap()
        .ticket;
    send_outbox(&store).await;
    let sent_id = store
        .outbox_of(ticket.ticket.id)
        .await
        .unwrap()
        .into_iter()
        .find(|row| row.template == "acknowledgement_of_receipt")
        .and_then(|row| row.message_id)
        .expect("the acknowledgement was sent");
    World {
        inbox: inbox_with(&store, &mail_config()),
        store,
        partner,
        ticket,
        sent_id,
        replies: ReplyAddresses::new("support@ticketd.localhost", SECRET).unwrap(),
    }
}

/// A mail as a partner's client writes it.
pub fn message(from: &str, to: &str, subject: &str, headers: &str, body: &str) -> Vec<u8> {
    let id = uuid::Uuid::new_v4().simple();
    let domain = from.rsplit_once('@').map_or("example.fr", |(_, d)| d);
    format!(
        "{}From: Someone <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Tue, 01 Dec 2026 10:00:00 +0100\r\n\
         Message-ID: <{id}@{domain}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n{headers}\r\n{body}\r\n",
        auth(domain)
    )
    .into_bytes()
}

impl World {
    /// Bodies of the comments (public or reporter's answers) on a ticket.
    pub async fn comments(&self, ticket: TicketId) -> Vec<String> {
        self.store
            .events(ticket)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| match e.event.data {
                ticket_domain::EventData::Commented { body }
                | ticket_domain::EventData::ReporterAnswered { body } => {
                    Some(body.as_str().to_owned())
                }
                _ => None,
            })
            .collect()
    }

    pub async fn event_types(&self, ticket: TicketId) -> Vec<&'static str> {
        self.store
            .events(ticket)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event.data.type_name())
            .collect()
    }

    pub fn fetcher(&self, account: ImapAccount) -> ImapFetcher {
        ImapFetcher::new(
            self.inbox.clone(),
            OperatorMailbox::PartnerSupport,
            account,
            Duration::from_secs(1),
        )
    }

    pub async fn reload(&self) -> StoredTicket {
        self.store
            .get_ticket(TicketKey::Id(self.ticket.ticket.id))
            .await
            .unwrap()
    }
}
