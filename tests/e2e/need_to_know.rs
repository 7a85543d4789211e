//! Need-to-know on the side paths (issue 26): a victim's files (names and bytes), the evidence
//! archive and its journal entry follow the same rule as the ticket read: `security` and
//! `supervisor` in full (journalled), other staff masked. Each test on SQLite and PostgreSQL.

use crate::attachments::PNG;
use crate::e2e_test;
use crate::helpers::*;
use serde_json::{Value, json};
use std::io::Read;
use ticket_domain::Role;

/// Distinctive strings of the victim: none may reach a reader the rules forbid.
pub const BIRTH_NAMES: &str = "Trouvadec";
pub const EMAIL: &str = "gaspard.trouvadec@exemple-victime.fr";
pub const DESCRIPTION: &str = "Récit distinctif Pangolin-3309 de la victime";
pub const REPLY: &str = "Réponse distinctive Axolotl-7741 de la victime";
/// A scan named after the victim.
pub const FILE_NAME: &str = "passeport-Trouvadec-Gaspard.png";

pub const MASKED_ROLES: [Role; 4] = [Role::Agent, Role::Engineer, Role::Admin, Role::Dpo];
pub const FULL_ROLES: [Role; 2] = [Role::Security, Role::Supervisor];

/// A user usurpation the victim reported on the public form, a file named after them attached by
/// security, and the victim's own words in its history; its id.
pub async fn victims_case(app: &TestApp) -> String {
    let body = json!({
        "identity_provider_id": app.identity_provider,
        "birth_names": BIRTH_NAMES,
        "first_names": "Gaspard",
        "birth_date": "1968-05-17",
        "birth_place": "Lanvéoc",
        "email": EMAIL,
        "description": DESCRIPTION,
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
    let (ticket, _) = app
        .ticket(&app.keys.security, body["reference"].as_str().unwrap())
        .await;
    let id = ticket["id"].as_str().unwrap().to_owned();
    let response = app
        .upload(&app.keys.security, &id, &[(FILE_NAME, PNG)], None)
        .await;
    assert_eq!(response.status(), 201);
    victim_writes(app, &id, REPLY).await;
    id
}

/// The victim answers (a comment as the public reporter): their own words in the history.
pub async fn victim_writes(app: &TestApp, id: &str, text: &str) {
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
            &ticket_domain::Policy::default(),
        )
        .await
        .unwrap();
}

/// The journal's entries about `ticket` with `action`, as the dpo reads them.
pub async fn journal_entries(app: &TestApp, ticket: &str, action: &str) -> Vec<Value> {
    let response = app
        .get_as(
            &app.keys.dpo,
            &format!("/api/v1/access-journal?ticket={ticket}&action={action}&limit=200"),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

/// Every file of a ZIP, by name.
pub fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut out = Vec::new();
            entry.read_to_end(&mut out).unwrap();
            (entry.name().unwrap().to_string(), out)
        })
        .collect()
}

pub async fn archive_as(app: &TestApp, key: &str, id: &str) -> Vec<u8> {
    let response = app
        .get_as(key, &format!("/api/v1/tickets/{id}/evidence/archive"))
        .await;
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap().to_vec()
}

e2e_test!(
    a_victims_files_and_archive_follow_need_to_know_and_exports_are_journalled,
    |app| async move {
        let id = victims_case(&app).await;
        let sha = ticket_store::blobs::sha256_hex(PNG);

        for role in MASKED_ROLES {
            let key = app.keys.of_role(role);
            // Point 1: the list masks the name; the bytes are not served.
            let items = app.attachment_list(key, &id).await;
            assert_eq!(items.len(), 1, "{role}");
            let listed = items[0].to_string();
            assert!(!listed.contains("Trouvadec"), "{role} lists {listed}");
            let path = format!(
                "/api/v1/tickets/{id}/attachments/{}",
                items[0]["id"].as_str().unwrap()
            );
            let problem = assert_problem(app.get_as(key, &path).await, 403).await;
            assert!(problem.problem_type.ends_with("need-to-know"), "{role}");
            // Point 2: the archive holds neither the victim's words nor their file.
            let zip = archive_as(&app, key, &id).await;
            let files = unzip(&zip);
            assert!(
                !files.iter().any(|(name, _)| name.starts_with("files/")),
                "{role}: {:?}",
                files.iter().map(|f| &f.0).collect::<Vec<_>>()
            );
            let text = String::from_utf8_lossy(&zip);
            for value in [REPLY, DESCRIPTION, BIRTH_NAMES, EMAIL] {
                assert!(!text.contains(value), "{role}'s archive holds {value}");
            }
            // What the JSON evidence endpoint gives, the archive gives.
            let evidence: Value = app
                .get_as(key, &format!("/api/v1/tickets/{id}/evidence"))
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(evidence["sealed_texts"], json!([]), "{role}");
            // Point 3: nothing in full, nothing to journal.
            assert!(
                journal_entries(&app, &id, "evidence_export")
                    .await
                    .is_empty(),
                "{role}"
            );
        }

        for role in FULL_ROLES {
            let key = app.keys.of_role(role);
            let items = app.attachment_list(key, &id).await;
            assert_eq!(items[0]["name"], FILE_NAME, "{role}");
            let path = format!(
                "/api/v1/tickets/{id}/attachments/{}",
                items[0]["id"].as_str().unwrap()
            );
            let response = app.get_as(key, &path).await;
            assert_eq!(response.status(), 200, "{role}");
            assert_eq!(response.bytes().await.unwrap().as_ref(), PNG, "{role}");
            let zip = archive_as(&app, key, &id).await;
            let files = unzip(&zip);
            assert!(
                files
                    .iter()
                    .any(|(name, _)| *name == format!("files/{sha}")),
                "{role}"
            );
            let text = String::from_utf8_lossy(&zip);
            assert!(
                text.contains(REPLY),
                "{role}'s archive lacks the sealed texts"
            );
            let verified = ticket_store::archive::verify_archive(&zip).unwrap();
            assert!(verified.is_valid(), "{role}: {verified:?}");
            // Point 3: the export is journalled, with what it gave in full.
            let exports = journal_entries(&app, &id, "evidence_export").await;
            let mine: Vec<&Value> = exports
                .iter()
                .filter(|e| e["role"] == role.name())
                .collect();
            assert_eq!(mine.len(), 1, "{role}: {exports:?}");
            assert_eq!(
                mine[0]["fields"],
                json!(["attachments", "own_words"]),
                "{role}"
            );
        }
    }
);

e2e_test!(
    the_identity_provider_concerned_reads_a_confirmed_public_report,
    |app| async move {
        let id = victims_case(&app).await;
        let (_, idp) = app
            .store
            .create_api_key(
                "idp-main",
                ticket_store::keys::KeyScope::Partner {
                    organisation: app.identity_provider,
                },
                start_instant(),
            )
            .await
            .unwrap();
        // Not confirmed: not the identity provider's case.
        let response = app.get_as(&idp, &format!("/api/v1/tickets/{id}")).await;
        assert_problem(response, 404).await;

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
        // Confirmed: what finds the account, nothing else; the read is journalled.
        let (ticket, _) = app.ticket(&idp, &id).await;
        let victim = &ticket["user_usurpation"]["victim"];
        assert_eq!(victim["birth_names"], BIRTH_NAMES, "{ticket}");
        assert_eq!(victim["email"], EMAIL, "{ticket}");
        let shown = ticket.to_string();
        assert!(!shown.contains(DESCRIPTION), "{shown}");
        let events = app
            .get_as(&idp, &format!("/api/v1/tickets/{id}/events"))
            .await
            .text()
            .await
            .unwrap();
        assert!(!events.contains(REPLY), "{events}");
        assert!(app.attachment_list(&idp, &id).await.is_empty());
        let reads = journal_entries(&app, &id, "ticket_read").await;
        assert!(
            reads.iter().any(|e| e["actor"] == "partner key idp-main"),
            "{reads:?}"
        );
        // Another partner still does not see it.
        let response = app
            .get_as(&app.keys.other_partner, &format!("/api/v1/tickets/{id}"))
            .await;
        assert_problem(response, 404).await;
    }
);
