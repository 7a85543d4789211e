//! What a mail does, received through the pipe: who speaks, loops and bounces, new requests.

use super::*;
use ticket_domain::kind::UsurpationReporter;
use ticket_domain::values::StaffHandle;
use ticket_domain::{Command, Role, State};
use ticket_inbox::{Delivery, Source};
use ticket_store::inbound::{InboundMail, InboundStatus};

async fn receive(w: &World, raw: &[u8]) -> InboundMail {
    match w.inbox.receive(raw, Source::Pipe).await.unwrap() {
        Delivery::Stored(mail) => *mail,
        Delivery::Duplicate { .. } => panic!("unexpected duplicate"),
    }
}

ticket_store::store_test!(
    the_reporters_reply_resumes_a_waiting_ticket_and_the_assignee_is_told,
    |store| async move {
        let w = world(store).await;
        let policy = Policy::default();
        let now = Utc::now();
        let mut new = ticket_domain::testkit::user_usurpation(
            UsurpationReporter::User,
            &(now - TimeDelta::days(1)).to_rfc3339(),
        );
        if let KindData::UserUsurpation(data) = &mut new.data {
            data.identity_provider = None;
            data.service_providers = Vec::new();
            data.session_id = None;
        }
        let created = w
            .store
            .create_ticket(new, &Actor::PublicReporter, now, &policy, None, true)
            .await
            .unwrap()
            .ticket;
        let officer = Actor::staff(
            StaffHandle::parse("h", "officier@ticketd.localhost").unwrap(),
            Role::Security,
        );
        let key = TicketKey::Id(created.ticket.id);
        let mut version = created.version;
        for command in [
            Command::Acknowledge { note: None },
            Command::Assign {
                assignee: StaffHandle::parse("h", "officier@ticketd.localhost").unwrap(),
            },
            Command::WaitForReporter {
                question: text("Quand avez-vous remarqué la connexion ?"),
            },
        ] {
            version = w
                .store
                .execute(key, version, command, &officer, now, &policy)
                .await
                .unwrap()
                .version;
        }
        send_outbox(&w.store).await;
        let waiting = w.store.get_ticket(key).await.unwrap().ticket;
        assert_eq!(waiting.state, State::WaitingReporter);
        let reference = waiting.reference.to_string();
        let reply = message(
            "victime@example.fr",
            "support.usagers@ticketd.localhost",
            &format!("RE: [{reference}] Votre signalement"),
            "",
            "Je l'ai remarqué hier soir.\r\n\r\nLe 1 déc. 2026, ticketd a écrit :\r\n> Quand ?",
        );
        let mail = receive(&w, &reply).await;
        assert_eq!(mail.status, InboundStatus::Landed);
        let answered = w.store.get_ticket(key).await.unwrap().ticket;
        assert_eq!(answered.state, State::InProgress);
        assert!(answered.waiting_since.is_none());
        assert_eq!(
            w.comments(created.ticket.id).await,
            vec!["Je l'ai remarqué hier soir."]
        );
        // The assignee is told, in the same transaction as the comment.
        let told: Vec<_> = w
            .store
            .outbox_of(created.ticket.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|row| row.template == "reply_arrived")
            .collect();
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].recipient, serde_json::json!({"type": "assignee"}));
        assert_eq!(told[0].status, "pending");
    }
);

ticket_store::store_test!(
    a_partner_writes_only_on_its_own_tickets_and_only_when_authenticated,
    |store| async move {
        let w = world(store).await;
        let reference = w.ticket.ticket.reference.to_string();
        // A contact of another organisation names this ticket: quarantined, not commented.
        let outsider = receive(
            &w,
            &message(
                OTHER_CONTACT,
                "support.partenaires@ticketd.localhost",
                &format!("Re: [{reference}]"),
                "",
                "Moi aussi.",
            ),
        )
        .await;
        assert_eq!(outsider.status, InboundStatus::Quarantined);
        assert_eq!(outsider.ticket_id, Some(w.ticket.ticket.id));
        // The right contact, but DMARC failed at the trusted server: quarantined.
        let spoofed = String::from_utf8(message(
            CONTACT,
            "support.partenaires@ticketd.localhost",
            &format!("Re: [{reference}]"),
            "",
            "Usurpé.",
        ))
        .unwrap()
        .replace("dmarc=pass", "dmarc=fail");
        let spoofed = receive(&w, spoofed.as_bytes()).await;
        assert_eq!(spoofed.status, InboundStatus::Quarantined);
        assert!(spoofed.reason.unwrap().contains("not authenticated"));
        assert!(w.comments(w.ticket.ticket.id).await.is_empty());
        // Staff attach the quarantined mail to the ticket: an internal note of theirs.
        let agent = Actor::staff(StaffHandle::parse("h", "agent").unwrap(), Role::Agent);
        let attached = w
            .store
            .decide_quarantined(
                spoofed.id,
                ticket_store::inbound::QuarantineDecision::Attach {
                    ticket: w.ticket.ticket.id,
                    body: text("Usurpé."),
                },
                &agent,
                Utc::now(),
                &Policy::default(),
            )
            .await
            .unwrap();
        assert_eq!(attached.status, InboundStatus::Attached);
        assert_eq!(attached.decided_by.as_deref(), Some("agent"));
        assert!(
            w.event_types(w.ticket.ticket.id)
                .await
                .contains(&"mail_received")
        );
    }
);

ticket_store::store_test!(
    an_auto_reply_and_a_bounce_create_no_comment,
    |store| async move {
        let w = world(store).await;
        let reference = w.ticket.ticket.reference.to_string();
        let auto = receive(
            &w,
            &message(
                CONTACT,
                "support.partenaires@ticketd.localhost",
                &format!("Absence : [{reference}]"),
                &format!(
                    "Auto-Submitted: auto-replied\r\nIn-Reply-To: {}\r\n",
                    w.sent_id
                ),
                "Je suis absente jusqu'au 4 janvier.",
            ),
        )
        .await;
        assert_eq!(auto.status, InboundStatus::Ignored);
        assert!(auto.reason.unwrap().contains("auto-replied"));
        let bounce = format!(
            "From: Mail Delivery System <MAILER-DAEMON@mx.idp.example.fr>\r\n\
To: ne-pas-repondre@ticketd.localhost\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
Message-ID: <bounce-{}@mx.idp.example.fr>\r\n\
Auto-Submitted: auto-replied\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\
\r\n\
--B\r\n\
Content-Type: text/plain\r\n\
\r\n\
Your message could not be delivered.\r\n\
--B\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.idp.example.fr\r\n\
\r\n\
Final-Recipient: rfc822; alice@idp.example.fr\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <alice@idp.example.fr>: Recipient address rejected\r\n\
\r\n\
--B\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
From: ticketd <ne-pas-repondre@ticketd.localhost>\r\n\
Message-ID: {}\r\n\
Subject: [{reference}] Accusé de réception\r\n\
\r\n\
--B--\r\n",
            uuid::Uuid::new_v4().simple(),
            w.sent_id
        );
        let bounced = receive(&w, bounce.as_bytes()).await;
        assert_eq!(bounced.status, InboundStatus::Bounce);
        assert_eq!(bounced.ticket_id, Some(w.ticket.ticket.id));
        assert!(w.comments(w.ticket.ticket.id).await.is_empty());
        let row = w
            .store
            .outbox_of(w.ticket.ticket.id)
            .await
            .unwrap()
            .into_iter()
            .find(|row| row.message_id.as_deref() == Some(w.sent_id.as_str()))
            .unwrap();
        assert_eq!(row.status, "failed");
        let error = row.last_error.unwrap();
        assert!(
            error.starts_with("bounced:") && error.contains("5.1.1"),
            "{error}"
        );
        assert!(
            !error.contains("alice@"),
            "no address in the reason: {error}"
        );
        // Our own mail coming back is a loop, not a comment.
        let own = format!(
            "From: ticketd <ne-pas-repondre@ticketd.localhost>\r\nTo: support.partenaires@ticketd.localhost\r\n\
         Subject: [{reference}] Copie\r\nMessage-ID: <{}.9.abc@ticketd.localhost>\r\n\r\nCopie.\r\n",
            w.ticket.ticket.id
        );
        assert_eq!(
            receive(&w, own.as_bytes()).await.status,
            InboundStatus::Ignored
        );
        assert!(w.comments(w.ticket.ticket.id).await.is_empty());
    }
);

ticket_store::store_test!(
    a_new_mail_from_a_partner_contact_opens_a_ticket,
    |store| async move {
        let w = world(store).await;
        let question = receive(
            &w,
            &message(
                CONTACT,
                "support.partenaires@ticketd.localhost",
                "Documentation du raccordement",
                "",
                "Où trouver la documentation ?",
            ),
        )
        .await;
        assert_eq!(question.status, InboundStatus::Opened);
        let opened = w
            .store
            .get_ticket(TicketKey::Id(question.ticket_id.unwrap()))
            .await
            .unwrap()
            .ticket;
        assert_eq!(opened.kind(), ticket_domain::TicketKind::SupportRequest);
        assert_eq!(opened.organisation, Some(w.partner));
        // Acknowledged like any other (to the sender, who is the reporter), with a copy to support.
        let templates: Vec<String> = w
            .store
            .outbox_of(opened.id)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.template)
            .collect();
        assert!(
            templates.contains(&"acknowledgement_of_receipt".to_owned()),
            "{templates:?}"
        );
        assert!(!templates.contains(&"reply_arrived".to_owned()));
        let incident = receive(
            &w,
            &message(
                CONTACT,
                "support.partenaires@ticketd.localhost",
                "Panne du service de connexion",
                "",
                "Plus aucune connexion depuis 9 h.",
            ),
        )
        .await;
        let incident = w
            .store
            .get_ticket(TicketKey::Id(incident.ticket_id.unwrap()))
            .await
            .unwrap()
            .ticket;
        assert_eq!(incident.kind(), ticket_domain::TicketKind::Incident);
        // Unknown sender: quarantine.
        let unknown = receive(
            &w,
            &message(
                "eve@example.org",
                "support.partenaires@ticketd.localhost",
                "Bonjour",
                "",
                "Une question.",
            ),
        )
        .await;
        assert_eq!(unknown.status, InboundStatus::Quarantined);
    }
);

ticket_store::store_test!(
    a_flood_from_one_sender_is_kept_without_comments,
    |store| async move {
        let mut w = world(store).await;
        let mut config = mail_config();
        config.inbound.flood_max = 3;
        w.inbox = inbox_with(&w.store, &config);
        let reference = w.ticket.ticket.reference.to_string();
        let mut statuses = Vec::new();
        for n in 0..5 {
            let raw = message(
                CONTACT,
                "support.partenaires@ticketd.localhost",
                &format!("Re: [{reference}]"),
                "",
                &format!("Encore {n}"),
            );
            statuses.push(receive(&w, &raw).await.status);
        }
        assert_eq!(statuses[..3], [InboundStatus::Landed; 3]);
        assert_eq!(statuses[3..], [InboundStatus::Ignored; 2]);
        assert_eq!(w.comments(w.ticket.ticket.id).await.len(), 3);
    }
);
