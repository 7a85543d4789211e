//! The identity provider concerned by a confirmed public report answers the "action required" mail
//! by e-mail: its reply lands on the ticket (issue 26, point 4); before the confirmation, it does
//! not.

use super::*;
use ticket_domain::kind::{Qualification, UsurpationReporter};
use ticket_domain::values::StaffHandle;
use ticket_domain::{Command, Role};
use ticket_inbox::{Delivery, Source};
use ticket_store::inbound::{InboundMail, InboundStatus};

async fn receive(w: &World, raw: &[u8]) -> InboundMail {
    match w.inbox.receive(raw, Source::Pipe).await.unwrap() {
        Delivery::Stored(mail) => *mail,
        Delivery::Duplicate { .. } => panic!("unexpected duplicate"),
    }
}

ticket_store::store_test!(
    the_identity_provider_concerned_answers_a_confirmed_public_report,
    |store| async move {
        let w = world(store).await;
        let policy = Policy::default();
        let now = Utc::now();
        let mut new = ticket_domain::testkit::user_usurpation(
            UsurpationReporter::User,
            &(now - TimeDelta::days(1)).to_rfc3339(),
        );
        if let KindData::UserUsurpation(data) = &mut new.data {
            data.identity_provider = Some(w.partner);
            data.service_providers = Vec::new();
            data.session_id = None;
        }
        let created = w
            .store
            .create_ticket(new, &Actor::PublicReporter, now, &policy, None, true)
            .await
            .unwrap()
            .ticket;
        let key = TicketKey::Id(created.ticket.id);
        let reference = created.ticket.reference.to_string();
        let reply = |body: &str| {
            message(
                CONTACT,
                "support.securite@ticketd.localhost",
                &format!("RE: [{reference}] Action requise"),
                "",
                body,
            )
        };
        // Not confirmed yet: the identity provider has no part in the case.
        let early = receive(&w, &reply("Compte introuvable pour l'instant.")).await;
        assert_eq!(early.status, InboundStatus::Quarantined);

        let officer = Actor::staff(
            StaffHandle::parse("h", "officier@ticketd.localhost").unwrap(),
            Role::Security,
        );
        let mut version = created.version;
        for command in [
            Command::Acknowledge { note: None },
            Command::Qualify {
                qualification: Qualification::Confirmed,
            },
        ] {
            version = w
                .store
                .execute(key, version, command, &officer, now, &policy)
                .await
                .unwrap()
                .version;
        }
        let mail = receive(&w, &reply("Compte retrouvé et bloqué.")).await;
        assert_eq!(mail.status, InboundStatus::Landed, "{:?}", mail.reason);
        assert_eq!(
            w.comments(created.ticket.id).await,
            vec!["Compte retrouvé et bloqué."]
        );
    }
);
