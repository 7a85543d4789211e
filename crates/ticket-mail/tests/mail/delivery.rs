//! Rule "Notifications (email)", end to end: tickets opened and handled in a real store, the
//! dispatcher delivering to a real SMTP server (aiosmtpd), the mails read back from its maildir.

use crate::support::*;
use chrono::TimeDelta;
use ticket_domain::kind::Qualification;
use ticket_domain::notify::Language;
use ticket_domain::testkit::{staff, text};
use ticket_domain::{ClosureProof, ClosureReason, Command, Priority, Role};
use ticket_mail::testkit::{SmtpServer, smtp_config};
use ticket_store::store_test;

async fn setup(store: ticket_store::Store) -> (World, ticket_mail::Dispatcher, Inbox) {
    let world = World::new(store).await;
    let server = SmtpServer::start().await;
    let dispatcher = world.dispatcher(smtp_config(server.port()));
    (world, dispatcher, Inbox::new(server))
}

/// Runs the dispatcher until nothing is due and returns what arrived.
async fn deliver(
    dispatcher: &ticket_mail::Dispatcher,
    inbox: &mut Inbox,
) -> Vec<ticket_mail::testkit::ReceivedMail> {
    let report = dispatcher.run_until_idle().await.unwrap();
    assert_eq!(report.sent, report.claimed, "{report:?}");
    inbox.take(report.sent).await
}

store_test!(
    a_new_ticket_sends_the_receipt_to_the_reporter_and_a_copy_to_support,
    |store| async move {
        let (world, dispatcher, mut inbox) = setup(store).await;
        let ticket = world
            .partner_incident(Priority::Normale, Language::En)
            .await;
        let reference = ticket.ticket.reference.to_string();
        let mails = deliver(&dispatcher, &mut inbox).await;
        assert_delivered(
            &mails,
            &[
                (
                    DECLARANT,
                    "Acknowledgement of receipt: Service indisponible",
                    "en",
                ),
                (
                    PARTNER_SUPPORT,
                    "Nouveau signalement (incident, priorité 3)",
                    "fr",
                ),
            ],
        );
        for mail in &mails {
            assert!(mail.subject.starts_with(&format!("[{reference}] ")));
        }
        assert!(mail_to(&mails, DECLARANT).text.contains(&reference));
    }
);

store_test!(
    every_event_of_a_security_case_goes_to_the_security_mailbox,
    |store| async move {
        let (world, dispatcher, mut inbox) = setup(store).await;
        let ticket = world.security_incident().await;
        assert_delivered(
            &deliver(&dispatcher, &mut inbox).await,
            &[
                (DECLARANT, "Accusé de réception", "fr"),
                (
                    PARTNER_SUPPORT,
                    "Nouveau signalement (incident, priorité 1)",
                    "fr",
                ),
                (SECURITY, "Sécurité, nouveau signalement", "fr"),
            ],
        );
        let security = staff(Role::Security);
        let ticket = world
            .execute(&ticket, Command::Acknowledge { note: None }, &security)
            .await;
        // Priority 1: the partner hears of it too, at its designated contacts.
        assert_delivered(
            &deliver(&dispatcher, &mut inbox).await,
            &[
                (SECURITY, "Sécurité, pris en compte", "fr"),
                (PARTNER_CONTACTS[0], "Mise à jour, pris en compte", "fr"),
                (PARTNER_CONTACTS[1], "Mise à jour, pris en compte", "fr"),
            ],
        );
        world
            .execute(
                &ticket,
                Command::Comment {
                    body: text("Journaux demandés à l'hébergeur."),
                    internal: true,
                },
                &security,
            )
            .await;
        let mails = deliver(&dispatcher, &mut inbox).await;
        assert_delivered(&mails, &[(SECURITY, "Sécurité, commentaire", "fr")]);
        assert!(mails[0].text.contains("Journaux demandés à l'hébergeur."));
    }
);

store_test!(
    a_confirmed_user_usurpation_tells_the_providers_and_advises_the_victim,
    |store| async move {
        let (world, dispatcher, mut inbox) = setup(store).await;
        let ticket = world.public_usurpation().await;
        let mails = deliver(&dispatcher, &mut inbox).await;
        assert_delivered(
            &mails,
            &[
                (VICTIM, "Accusé de réception", "fr"),
                (
                    USER_SUPPORT,
                    "Nouveau signalement (usurpation d'identité d'un usager",
                    "fr",
                ),
                (SECURITY, "Sécurité, nouveau signalement", "fr"),
            ],
        );
        let receipt = mail_to(&mails, VICTIM);
        assert!(
            receipt.text.contains("http://127.0.0.1:8080/suivi/"),
            "{}",
            receipt.text
        );
        let rows = world.store.outbox_of(ticket.ticket.id).await.unwrap();
        assert!(
            rows.iter().all(|r| r.tracking_secret.is_none()),
            "the tracking secret is erased once the receipt is sent"
        );

        let security = staff(Role::Security);
        let ticket = world
            .execute(&ticket, Command::Acknowledge { note: None }, &security)
            .await;
        assert_delivered(
            &deliver(&dispatcher, &mut inbox).await,
            &[(SECURITY, "Sécurité, pris en compte", "fr")],
        );
        world
            .execute(
                &ticket,
                Command::Qualify {
                    qualification: Qualification::Confirmed,
                },
                &security,
            )
            .await;
        let mails = deliver(&dispatcher, &mut inbox).await;
        assert_delivered(
            &mails,
            &[
                (
                    VICTIM,
                    "Usurpation de votre identité : que faire maintenant",
                    "fr",
                ),
                (
                    IDP_CONTACT,
                    "Usurpation d'identité confirmée, action requise",
                    "fr",
                ),
                (
                    SP1_CONTACT,
                    "Usurpation d'identité confirmée, action requise",
                    "fr",
                ),
                (
                    SP2_CONTACT,
                    "Usurpation d'identité confirmée, action requise",
                    "fr",
                ),
                (SECURITY, "Sécurité, usurpation confirmée", "fr"),
            ],
        );
        let advice = &mail_to(&mails, VICTIM).text;
        for needle in [
            "mots de passe",
            "deux étapes",
            "pré-plainte en ligne",
            "THESEE",
            "tribunal judiciaire",
        ] {
            assert!(advice.contains(needle), "{needle}");
        }
        assert!(
            mail_to(&mails, IDP_CONTACT)
                .text
                .contains("fournisseur d'identité")
        );
        assert!(
            mail_to(&mails, SP1_CONTACT)
                .text
                .contains("fournisseur de service")
        );
    }
);

store_test!(
    a_partner_usurpation_detected_by_the_operator_tells_the_partners_contacts,
    |store| async move {
        let (world, dispatcher, mut inbox) = setup(store).await;
        world.operator_partner_usurpation().await;
        let mails = deliver(&dispatcher, &mut inbox).await;
        assert_delivered(
            &mails,
            &[
                (
                    PARTNER_SUPPORT,
                    "Nouveau signalement (usurpation d'un partenaire",
                    "fr",
                ),
                (
                    PARTNER_CONTACTS[0],
                    "Usurpation de votre organisation détectée",
                    "fr",
                ),
                (
                    PARTNER_CONTACTS[1],
                    "Usurpation de votre organisation détectée",
                    "fr",
                ),
                (SECURITY, "Sécurité, nouveau signalement", "fr"),
            ],
        );
        // The two contacts share one mail, so they see each other.
        let to_contacts = mail_to(&mails, PARTNER_CONTACTS[0]);
        assert_eq!(to_contacts.rcpt_to.len(), 2);
        assert!(to_contacts.text.contains("site d'hameçonnage"));
    }
);

store_test!(
    the_partner_hears_of_every_public_event_of_a_priority_2_ticket,
    |store| async move {
        let (world, dispatcher, mut inbox) = setup(store).await;
        let ticket = world.staff_incident(Priority::Majeure).await;
        assert_delivered(
            &deliver(&dispatcher, &mut inbox).await,
            &[
                (
                    PARTNER_SUPPORT,
                    "Nouveau signalement (incident, priorité 2)",
                    "fr",
                ),
                (
                    PARTNER_CONTACTS[0],
                    "Mise à jour, nouveau signalement",
                    "fr",
                ),
                (
                    PARTNER_CONTACTS[1],
                    "Mise à jour, nouveau signalement",
                    "fr",
                ),
            ],
        );
        let agent = staff(Role::Agent);
        let ticket = world
            .execute(&ticket, Command::Acknowledge { note: None }, &agent)
            .await;
        assert_delivered(
            &deliver(&dispatcher, &mut inbox).await,
            &[
                (PARTNER_CONTACTS[0], "Mise à jour, pris en compte", "fr"),
                (PARTNER_CONTACTS[1], "Mise à jour, pris en compte", "fr"),
            ],
        );
        // An internal note is not the partner's business.
        world
            .execute(
                &ticket,
                Command::Comment {
                    body: text("Piste : certificat expiré."),
                    internal: true,
                },
                &agent,
            )
            .await;
        let report = dispatcher.run_until_idle().await.unwrap();
        assert_eq!(report.claimed, 0);
    }
);

store_test!(
    an_escalation_tells_the_owners_of_the_priority,
    |store| async move {
        let (world, dispatcher, mut inbox) = setup(store).await;
        let ticket = world
            .partner_incident(Priority::Critique, Language::Fr)
            .await;
        deliver(&dispatcher, &mut inbox).await;
        let agent = staff(Role::Agent);
        let ticket = world
            .execute(
                &ticket,
                Command::Escalate {
                    reason: text("Correctif du fournisseur nécessaire"),
                },
                &agent,
            )
            .await;
        assert_delivered(
            &deliver(&dispatcher, &mut inbox).await,
            &[
                (
                    PRODUCTION_LEAD,
                    "Escalade (priorité 1) vers ingénierie (niveau 3)",
                    "fr",
                ),
                (
                    PRODUCT_LEAD,
                    "Escalade (priorité 1) vers ingénierie (niveau 3)",
                    "fr",
                ),
            ],
        );
        world
            .execute(
                &ticket,
                Command::Escalate {
                    reason: text("Toujours pas de date"),
                },
                &agent,
            )
            .await;
        assert_delivered(
            &deliver(&dispatcher, &mut inbox).await,
            &[
                (
                    PRODUCTION_LEAD,
                    "Escalade (priorité 1) vers supervision",
                    "fr",
                ),
                (PRODUCT_LEAD, "Escalade (priorité 1) vers supervision", "fr"),
                (SUPERVISOR, "Escalade (priorité 1) vers supervision", "fr"),
            ],
        );
    }
);

store_test!(
    a_resolution_asks_the_reporter_to_confirm_and_a_closure_says_why,
    |store| async move {
        let (world, dispatcher, mut inbox) = setup(store).await;
        let ticket = world
            .partner_incident(Priority::Normale, Language::Fr)
            .await;
        deliver(&dispatcher, &mut inbox).await;
        let agent = staff(Role::Agent);
        let ticket = world
            .execute(&ticket, Command::Acknowledge { note: None }, &agent)
            .await;
        let ticket = world
            .execute(
                &ticket,
                Command::Resolve {
                    summary: text("Le certificat expiré a été remplacé."),
                },
                &agent,
            )
            .await;
        let mails = deliver(&dispatcher, &mut inbox).await;
        assert_delivered(&mails, &[(DECLARANT, "Résolu, merci de confirmer", "fr")]);
        assert!(
            mails[0]
                .text
                .contains("Le certificat expiré a été remplacé.")
        );
        world
            .execute(
                &ticket,
                Command::Close {
                    reason: ClosureReason::ResolvedByOperator,
                    proof: ClosureProof::default(),
                },
                &agent,
            )
            .await;
        let mails = deliver(&dispatcher, &mut inbox).await;
        assert_delivered(&mails, &[(DECLARANT, "Signalement clos", "fr")]);
        assert!(
            mails[0]
                .text
                .contains("Motif : le problème a été résolu par nos équipes")
        );
    }
);

store_test!(a_silent_reporter_is_reminded, |store| async move {
    let (world, dispatcher, mut inbox) = setup(store).await;
    let ticket = world
        .partner_incident(Priority::Normale, Language::Fr)
        .await;
    deliver(&dispatcher, &mut inbox).await;
    let agent = staff(Role::Agent);
    let ticket = world
        .execute(&ticket, Command::Acknowledge { note: None }, &agent)
        .await;
    world
        .execute(
            &ticket,
            Command::WaitForReporter {
                question: text("Depuis quelle heure exactement ?"),
            },
            &agent,
        )
        .await;
    assert_delivered(
        &deliver(&dispatcher, &mut inbox).await,
        &[(DECLARANT, "Une question sur votre signalement", "fr")],
    );
    // Five working days of silence (Monday to the next Monday, and a bit).
    world.advance(TimeDelta::days(7) + TimeDelta::hours(2));
    let swept = world
        .store
        .sweep_ticket(ticket.ticket.id, world.now(), &world.policy)
        .await
        .unwrap();
    assert!(swept.is_some(), "a reminder was due");
    let mails = deliver(&dispatcher, &mut inbox).await;
    assert_delivered(
        &mails,
        &[(DECLARANT, "Relance, votre réponse est attendue", "fr")],
    );
    assert!(mails[0].text.contains("Depuis quelle heure exactement ?"));
});
