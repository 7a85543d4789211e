//! Privacy by design, as the data-protection officer checks it: what each role sees of a victim,
//! that each full read lands in the access journal, retention with a legal hold, and a person's
//! access and erasure requests. Each test on SQLite and PostgreSQL.

use crate::e2e_test;
use crate::helpers::*;
use serde_json::{Value, json};
use std::sync::Arc;
use ticket_domain::Policy;
use ticket_store::keys::KeyScope;
use ticket_store::testkit::Backend;
use ticketd::anonymiser::{Anonymiser, AnonymiserConfig, MailFiles};

/// The victim's data, unique enough to be searched for in the database's bytes and in mails.
struct Victim {
    birth_names: &'static str,
    first_names: &'static str,
    birth_place: &'static str,
    email: &'static str,
    phone: &'static str,
    description: &'static str,
    reply: &'static str,
}

const VICTIM: Victim = Victim {
    birth_names: "Quenouillard",
    first_names: "Philomène",
    birth_place: "Saint-Zéphirin-des-Bois",
    email: "philomene.quenouillard@exemple-victime.fr",
    phone: "+33 6 71 82 93 04",
    description: "Récit unique Xylophage-4417 de la victime",
    reply: "Réponse unique Zinzolin-8821 de la victime",
};

const HELD: Victim = Victim {
    birth_names: "Vermandois-Hold",
    first_names: "Anselme",
    birth_place: "Bourg-Retenu",
    email: "anselme.hold@exemple-victime.fr",
    phone: "+33 6 11 22 33 44",
    description: "Récit retenu Marmotte-5150",
    reply: "Réponse retenue Ocelot-6160",
};

fn values(victim: &Victim) -> [&'static str; 7] {
    [
        victim.birth_names,
        victim.first_names,
        victim.birth_place,
        victim.email,
        victim.phone,
        victim.description,
        victim.reply,
    ]
}

/// A partner key of the identity provider of the harness.
async fn identity_provider_key(app: &TestApp) -> String {
    app.store
        .create_api_key(
            "idp-main",
            KeyScope::Partner {
                organisation: app.identity_provider,
            },
            start_instant(),
        )
        .await
        .unwrap()
        .1
}

/// The identity provider reports that one of its users' identity was used.
async fn report_as_identity_provider(app: &TestApp, key: &str, victim: &Victim) -> String {
    let body = json!({
        "kind": "user_usurpation",
        "reported_by": "partner",
        "identity_provider_id": app.identity_provider,
        "service_provider_ids": [app.service_provider],
        "victim": {
            "birth_names": victim.birth_names,
            "first_names": victim.first_names,
            "birth_date": "1971-03-09",
            "birth_place": victim.birth_place,
            "email": victim.email,
            "phone": victim.phone,
        },
        "description": victim.description,
        "consent": true,
    });
    let response = app.post_as(key, "/api/v1/usurpations", &body).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// The victim reports through the public API; returns the ticket id and the tracking secret.
async fn report_as_victim(app: &TestApp, victim: &Victim) -> (String, String) {
    let body = json!({
        "identity_provider_id": app.identity_provider,
        "birth_names": victim.birth_names,
        "first_names": victim.first_names,
        "birth_date": "1971-03-09",
        "birth_place": victim.birth_place,
        "email": victim.email,
        "phone": victim.phone,
        "description": victim.description,
        "consent": true,
    });
    let response = app
        .client
        .post(app.url("/api/v1/public/identity-theft-reports"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    let reference = body["reference"].as_str().unwrap();
    let (ticket, _) = app.ticket(&app.keys.security, reference).await;
    let secret = body["tracking_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    (ticket["id"].as_str().unwrap().to_owned(), secret)
}

/// The journal's entries about `ticket`, as the dpo reads them.
async fn journal_of(app: &TestApp, ticket: &str) -> Vec<Value> {
    let response = app
        .get_as(
            &app.keys.dpo,
            &format!("/api/v1/access-journal?ticket={ticket}&limit=200"),
        )
        .await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

fn reads_by<'a>(entries: &'a [Value], actor_prefix: &str) -> Vec<&'a Value> {
    entries
        .iter()
        .filter(|e| {
            e["action"] == "ticket_read" && e["actor"].as_str().unwrap().starts_with(actor_prefix)
        })
        .collect()
}

e2e_test!(
    each_role_sees_what_it_needs_and_each_full_read_is_journalled,
    |app| async move {
        let idp = identity_provider_key(&app).await;
        let id = report_as_identity_provider(&app, &idp, &VICTIM).await;

        // security and supervisor: everything, in full, and the read is journalled with its fields.
        for (key, role) in [
            (&app.keys.security, "security"),
            (&app.keys.supervisor, "supervisor"),
        ] {
            let (ticket, _) = app.ticket(key, &id).await;
            let victim = &ticket["user_usurpation"]["victim"];
            assert_eq!(victim["birth_names"], VICTIM.birth_names, "{role}");
            assert_eq!(victim["first_names"], VICTIM.first_names, "{role}");
            assert_eq!(victim["birth_date"], "1971-03-09", "{role}");
            assert_eq!(victim["birth_place"], VICTIM.birth_place, "{role}");
            assert_eq!(victim["email"], VICTIM.email, "{role}");
            assert_eq!(victim["phone"], VICTIM.phone, "{role}");
            assert_eq!(victim["description"], VICTIM.description, "{role}");
            assert_eq!(victim["masked_fields"], json!([]), "{role}");
            let journal = journal_of(&app, &id).await;
            let reads = reads_by(&journal, role);
            assert_eq!(reads.len(), 1, "{role}: {journal:?}");
            assert_eq!(
                reads[0]["fields"],
                json!([
                    "birth_date",
                    "birth_names",
                    "birth_place",
                    "email",
                    "first_names",
                    "own_words",
                    "phone"
                ]),
                "{role}"
            );
            assert_eq!(reads[0]["role"], role);
        }

        // Other staff: masked, never the values; nothing to journal.
        for (key, role) in [
            (&app.keys.agent, "agent"),
            (&app.keys.engineer, "engineer"),
            (&app.keys.admin, "admin"),
            (&app.keys.dpo, "dpo"),
        ] {
            let (ticket, _) = app.ticket(key, &id).await;
            let victim = &ticket["user_usurpation"]["victim"];
            let shown = victim.to_string();
            for value in values(&VICTIM) {
                assert!(!shown.contains(value), "{role} sees {value}: {shown}");
            }
            assert_eq!(
                victim["birth_names"],
                format!("Q{}", "•".repeat(11)),
                "{role}"
            );
            assert_eq!(victim["email"], "p•••@exemple-victime.fr", "{role}");
            assert_eq!(victim["phone"], "•• •• •• •• 04", "{role}");
            assert_eq!(victim["birth_year"], 1971, "{role}");
            assert!(victim.get("birth_date").is_none(), "{role}");
            assert_eq!(
                victim["masked_fields"].as_array().unwrap().len(),
                7,
                "{role}"
            );
            assert!(
                reads_by(&journal_of(&app, &id).await, role).is_empty(),
                "{role}"
            );
        }

        // Lists are masked for everyone, security included.
        let response = app
            .get_as(&app.keys.security, "/api/v1/tickets?kind=user_usurpation")
            .await;
        let list: Value = response.json().await.unwrap();
        let listed = list["items"][0]["user_usurpation"]["victim"].to_string();
        assert!(!listed.contains(VICTIM.birth_names), "{listed}");

        // The identity provider (its own report, not yet confirmed) sees nothing of the victim; other
        // partners do not see the ticket.
        let (ticket, _) = app.ticket(&idp, &id).await;
        assert!(
            ticket["user_usurpation"].get("victim").is_none(),
            "{ticket}"
        );
        let response = app
            .get_as(&app.keys.other_partner, &format!("/api/v1/tickets/{id}"))
            .await;
        assert_eq!(response.status(), 404);

        // Once security confirmed the report, the identity provider sees what finds the account.
        let (_, etag) = app.ticket(&app.keys.security, &id).await;
        let (_, etag) = app
            .command_ok(&app.keys.security, &id, "acknowledge", &etag, &json!({}))
            .await;
        app.command_ok(
            &app.keys.security,
            &id,
            "qualify",
            &etag,
            &json!({"outcome": "confirmed"}),
        )
        .await;
        let (ticket, _) = app.ticket(&idp, &id).await;
        let victim = &ticket["user_usurpation"]["victim"];
        assert_eq!(victim["birth_names"], VICTIM.birth_names);
        assert_eq!(victim["first_names"], VICTIM.first_names);
        assert_eq!(victim["birth_date"], "1971-03-09");
        assert_eq!(victim["birth_place"], VICTIM.birth_place);
        assert_eq!(victim["email"], VICTIM.email);
        assert!(victim.get("phone").is_none(), "{victim}");
        assert!(victim.get("description").is_none(), "{victim}");
        let journal = journal_of(&app, &id).await;
        let reads = reads_by(&journal, "partner key idp-main");
        assert_eq!(reads.len(), 1, "{journal:?}");
        assert_eq!(reads[0]["organisation_id"], json!(app.identity_provider.0));
        assert_eq!(
            reads[0]["fields"],
            json!([
                "birth_date",
                "birth_names",
                "birth_place",
                "email",
                "first_names"
            ])
        );

        // The evidence export: security gets the sealed texts (and the export is journalled), an
        // agent gets a chain that verifies without them.
        let evidence: Value = app
            .get_as(
                &app.keys.security,
                &format!("/api/v1/tickets/{id}/evidence"),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(evidence["verification"]["valid"], true);
        let journal = journal_of(&app, &id).await;
        assert!(
            journal
                .iter()
                .any(|e| e["action"] == "evidence_export" && e["role"] == "security"),
            "{journal:?}"
        );
        let evidence: Value = app
            .get_as(&app.keys.agent, &format!("/api/v1/tickets/{id}/evidence"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(evidence["verification"]["valid"], true);
        assert_eq!(evidence["sealed_texts"], json!([]));

        // Only admin and dpo read the journal; it verifies.
        let response = app
            .get_as(&app.keys.security, "/api/v1/access-journal")
            .await;
        assert_problem(response, 403).await;
        let verification: Value = app
            .get_as(&app.keys.admin, "/api/v1/access-journal/verification")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(verification["valid"], true, "{verification}");
    }
);

/// Ends a ticket: security cancels it as spam (an ended case is due for anonymisation after its
/// retention).
async fn end(app: &TestApp, id: &str) {
    let (_, etag) = app.ticket(&app.keys.security, id).await;
    app.command_ok(
        &app.keys.security,
        id,
        "cancel",
        &etag,
        &json!({"reason": "spam"}),
    )
    .await;
}

/// The victim answers on the tracking page's API path: a comment as the public reporter.
async fn victim_writes(app: &TestApp, id: &str, text: &str) {
    let ticket = app
        .store
        .get_ticket(ticket_store::tickets::TicketKey::parse(id).unwrap())
        .await
        .unwrap();
    app.store
        .execute(
            ticket_store::tickets::TicketKey::Id(ticket.ticket.id),
            ticket.version,
            ticket_domain::Command::Comment {
                body: ticket_domain::values::Text::parse("body", text, 10_000).unwrap(),
                internal: false,
            },
            &ticket_domain::Actor::PublicReporter,
            ticket_store::clock::Clock::now(&app.clock),
            &Policy::default(),
        )
        .await
        .unwrap();
}

/// Every byte of the database: the SQLite file and its WAL (after the anonymiser's checkpoint),
/// or a `pg_dump` of the PostgreSQL database.
fn database_bytes(app: &TestApp) -> Vec<u8> {
    let url = &app.database().url;
    match app.database().backend {
        Backend::Sqlite => {
            let path = url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap()
                .to_owned();
            let mut bytes = std::fs::read(&path).unwrap();
            for suffix in ["-wal", "-journal"] {
                if let Ok(more) = std::fs::read(format!("{path}{suffix}")) {
                    bytes.extend(more);
                }
            }
            bytes
        }
        Backend::Postgres => {
            let bin =
                std::env::var("PG_BIN").unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".to_owned());
            let output = std::process::Command::new(format!("{bin}/pg_dump"))
                .arg(format!("--dbname={url}"))
                .output()
                .expect("pg_dump runs");
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            output.stdout
        }
    }
}

fn mail_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    bytes
}

fn found(haystack: &[u8], victim: &Victim) -> Vec<&'static str> {
    let text = String::from_utf8_lossy(haystack);
    values(victim)
        .into_iter()
        .filter(|v| text.contains(v))
        .collect()
}

/// Waits until every mail of the outbox is delivered (as `.eml` files).
async fn all_mails_delivered(app: &TestApp) {
    for _ in 0..200 {
        let counts = app.store.count_outbox().await.unwrap();
        let waiting: u64 = counts
            .iter()
            .filter(|(status, _)| status.name() != "sent")
            .map(|(_, n)| n)
            .sum();
        if waiting == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("mails were not delivered");
}

async fn retention_erases_every_copy_but_a_held_case(backend: Backend) {
    let mail_dir = tempfile::tempdir().unwrap();
    let dir = mail_dir.path().to_owned();
    let Some(app) = spawn_app_with(backend, move |config| {
        config.mail.files.dir = dir;
        config.mail.dispatcher.enabled = true;
        config.mail.dispatcher.poll_interval_ms = 20;
        config.anonymiser.enabled = false;
    })
    .await
    else {
        return;
    };
    let (gone, _) = report_as_victim(&app, &VICTIM).await;
    victim_writes(&app, &gone, VICTIM.reply).await;
    let (held, _) = report_as_victim(&app, &HELD).await;
    victim_writes(&app, &held, HELD.reply).await;
    end(&app, &gone).await;
    end(&app, &held).await;
    let response = app
        .client
        .put(app.url(&format!("/api/v1/tickets/{held}/legal-hold")))
        .bearer_auth(&app.keys.supervisor)
        .json(&json!({"reason": "Réquisition judiciaire 2026-117"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    all_mails_delivered(&app).await;

    let anonymiser = Anonymiser::new(
        app.store.clone(),
        Arc::new(Policy::default()),
        Arc::new(app.clock.clone()),
        vec![Arc::new(MailFiles::new(mail_dir.path().to_owned()))],
        &AnonymiserConfig::default(),
    );
    // Before the retention period: nothing is erased, and the search finds the values (so it
    // would see them if they stayed).
    assert_eq!(anonymiser.pass().await.unwrap().anonymised, 0);
    assert_eq!(found(&database_bytes(&app), &VICTIM).len(), 7);
    assert!(!found(&mail_bytes(mail_dir.path()), &VICTIM).is_empty());

    // Seven months later.
    app.clock
        .set(start_instant() + chrono::TimeDelta::days(7 * 31));
    let report = anonymiser.pass().await.unwrap();
    assert_eq!(report.anonymised, 1);
    assert_eq!(report.external, 1);
    assert_eq!(report.failed, 0);

    assert_eq!(found(&database_bytes(&app), &VICTIM), Vec::<&str>::new());
    assert_eq!(
        found(&mail_bytes(mail_dir.path()), &VICTIM),
        Vec::<&str>::new()
    );
    // The held case keeps all of it.
    assert_eq!(found(&database_bytes(&app), &HELD).len(), 7);
    let (ticket, _) = app.ticket(&app.keys.security, &held).await;
    assert_eq!(
        ticket["user_usurpation"]["victim"]["birth_names"],
        HELD.birth_names
    );

    // The anonymised ticket's evidence still verifies; its texts read `[anonymised]`.
    let evidence: Value = app
        .get_as(
            &app.keys.security,
            &format!("/api/v1/tickets/{gone}/evidence"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(evidence["verification"]["valid"], true, "{evidence}");
    assert_eq!(evidence["sealed_texts"], json!([]));
    let (ticket, _) = app.ticket(&app.keys.security, &gone).await;
    assert!(
        ticket["user_usurpation"].get("victim").is_none(),
        "{ticket}"
    );
    // The anonymisation is in the journal, which still verifies.
    let journal = journal_of(&app, &gone).await;
    assert!(journal.iter().any(|e| e["action"] == "anonymised"));
    let verification: Value = app
        .get_as(&app.keys.dpo, "/api/v1/access-journal/verification")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verification["valid"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_erases_every_copy_but_a_held_case_sqlite() {
    retention_erases_every_copy_but_a_held_case(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_erases_every_copy_but_a_held_case_postgres() {
    retention_erases_every_copy_but_a_held_case(Backend::Postgres).await;
}

e2e_test!(
    a_person_gets_all_their_data_then_has_it_erased,
    |app| async move {
        let idp = identity_provider_key(&app).await;
        let first = report_as_identity_provider(&app, &idp, &VICTIM).await;
        let (second, _) = report_as_victim(&app, &VICTIM).await;
        victim_writes(&app, &second, VICTIM.reply).await;
        let (other, _) = report_as_victim(&app, &HELD).await;

        // Access: every ticket of the person (matched without case), none of anyone else's.
        let response = app
            .post_as(
                &app.keys.dpo,
                "/api/v1/data-subject-requests/access",
                &json!({"email": VICTIM.email.to_uppercase()}),
            )
            .await;
        assert_eq!(response.status(), 200);
        assert!(
            response
                .headers()
                .get("Content-Disposition")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        let export: Value = response.json().await.unwrap();
        let ids: Vec<&str> = export["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["ticket"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 2, "{export}");
        assert!(ids.contains(&first.as_str()) && ids.contains(&second.as_str()));
        let text = export.to_string();
        assert!(text.contains(VICTIM.reply), "their own words are in it");
        assert!(!text.contains(HELD.birth_names));
        for id in [&first, &second] {
            assert!(
                journal_of(&app, id)
                    .await
                    .iter()
                    .any(|e| e["action"] == "subject_access" && e["role"] == "dpo")
            );
        }

        // Erasure: a legal hold on the first ticket keeps it; the second is erased.
        let response = app
            .client
            .put(app.url(&format!("/api/v1/tickets/{first}/legal-hold")))
            .bearer_auth(&app.keys.dpo)
            .json(&json!({"reason": "Plainte en cours"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let response = app
            .post_as(
                &app.keys.admin,
                "/api/v1/data-subject-requests/erasure",
                &json!({"email": VICTIM.email}),
            )
            .await;
        assert_eq!(response.status(), 200);
        let erasure: Value = response.json().await.unwrap();
        assert_eq!(erasure["erased"], json!([second]));
        assert_eq!(erasure["held"], json!([first]));
        let (ticket, _) = app.ticket(&app.keys.security, &first).await;
        assert_eq!(
            ticket["user_usurpation"]["victim"]["birth_names"],
            VICTIM.birth_names
        );

        // Once the hold is lifted, a second request leaves none of their data.
        let response = app
            .client
            .delete(app.url(&format!("/api/v1/tickets/{first}/legal-hold")))
            .bearer_auth(&app.keys.supervisor)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let erasure: Value = app
            .post_as(
                &app.keys.dpo,
                "/api/v1/data-subject-requests/erasure",
                &json!({"email": VICTIM.email}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(erasure["erased"], json!([first]));
        let export: Value = app
            .post_as(
                &app.keys.dpo,
                "/api/v1/data-subject-requests/access",
                &json!({"email": VICTIM.email}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(export["tickets"], json!([]));
        for id in [&first, &second] {
            let (ticket, _) = app.ticket(&app.keys.security, id).await;
            let shown = ticket.to_string();
            let events: Value = app
                .get_as(&app.keys.security, &format!("/api/v1/tickets/{id}/events"))
                .await
                .json()
                .await
                .unwrap();
            let shown = format!("{shown}{events}");
            for value in values(&VICTIM) {
                assert!(!shown.contains(value), "{value} left in {id}");
            }
        }
        // Someone else's ticket is untouched.
        let (ticket, _) = app.ticket(&app.keys.security, &other).await;
        assert_eq!(
            ticket["user_usurpation"]["victim"]["birth_names"],
            HELD.birth_names
        );
        let journal: Value = app
            .get_as(
                &app.keys.dpo,
                "/api/v1/access-journal?action=subject_erasure",
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(journal["items"].as_array().unwrap().len(), 2);
    }
);
