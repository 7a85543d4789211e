//! Mail in over HTTP: a gateway delivers raw mails (`POST /api/v1/inbound-mails`), staff read
//! them and triage the quarantine; a staff member's reply lands as theirs; a mail's files become
//! the ticket's attachments, a quarantined mail's once staff attach it or open a ticket from it.

use crate::helpers::*;
use reqwest::Response;
use serde_json::{Value, json};
use ticket_domain::values::EmailAddress;
use ticket_store::keys::KeyScope;
use ticket_store::registry::NewContact;
use ticket_store::testkit::Backend;

const TRUSTED: &str = "mx.test";
const CONTACT: &str = "contact@partner.example.fr";
const PARTNER_SUPPORT: &str = "support.partenaires@ticketd.localhost";

/// Defines a test that runs on SQLite and on PostgreSQL against a ticketd that believes
/// `mx.test`'s `Authentication-Results` and takes mails up to 200 kB.
macro_rules! inbound_test {
    ($name:ident) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(world) = world(Backend::Sqlite).await {
                    super::$name(world).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(world) = world(Backend::Postgres).await {
                    super::$name(world).await;
                }
            }
        }
    };
}

struct World {
    app: TestApp,
    gateway: String,
}

async fn world(backend: Backend) -> Option<World> {
    let app = spawn_app_with(backend, |config| {
        config.mail.inbound.trusted_authserv_id = Some(TRUSTED.to_owned());
        config.mail.inbound.max_bytes = 200_000;
    })
    .await?;
    let (_, gateway) = app
        .store
        .create_api_key("mx", KeyScope::MailGateway, start_instant())
        .await
        .unwrap();
    app.store
        .add_contact(
            app.partner,
            NewContact {
                name: ticket_domain::values::Text::parse("name", "Support", 200).unwrap(),
                function: ticket_domain::values::Text::parse("function", "N2", 200).unwrap(),
                email: EmailAddress::parse("email", CONTACT).unwrap(),
                phone: None,
            },
            start_instant(),
        )
        .await
        .unwrap();
    Some(World { app, gateway })
}

/// A mail `from`, authenticated by the trusted server, with `extra` headers (ending in CRLF) and
/// a whole MIME body (`content` starts with its own `Content-Type`).
fn mail_with(from: &str, subject: &str, content: &str) -> Vec<u8> {
    let id = uuid::Uuid::new_v4().simple();
    let domain = from.rsplit_once('@').map_or("example.fr", |(_, d)| d);
    format!(
        "Authentication-Results: {TRUSTED}; spf=pass; dmarc=pass (p=reject) header.from={domain}\r\n\
         From: Someone <{from}>\r\nTo: {PARTNER_SUPPORT}\r\nSubject: {subject}\r\n\
         Date: Mon, 23 Nov 2026 10:00:00 +0100\r\nMessage-ID: <{id}@{domain}>\r\nMIME-Version: 1.0\r\n\
         {content}"
    )
    .into_bytes()
}

fn mail(from: &str, subject: &str, body: &str) -> Vec<u8> {
    mail_with(
        from,
        subject,
        &format!("Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"),
    )
}

impl World {
    async fn deliver_as(&self, key: &str, raw: &[u8]) -> Response {
        self.app
            .client
            .post(self.app.url("/api/v1/inbound-mails"))
            .bearer_auth(key)
            .header("Content-Type", "application/octet-stream")
            .body(raw.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// Delivers `raw` through the gateway; it must be stored. Returns the stored mail as staff
    /// (security) read it.
    async fn deliver(&self, raw: &[u8]) -> Value {
        let response = self.deliver_as(&self.gateway, raw).await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["duplicate"], false);
        let id = body["id"].as_str().unwrap();
        let mail: Value = self
            .app
            .get_as(&self.app.keys.agent, &format!("/api/v1/inbound-mails/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(mail["status"], body["status"]);
        mail
    }

    /// An incident the partner declared, with its reference.
    async fn incident(&self) -> (String, String) {
        let body = json!({
            "title": "Connexion impossible",
            "started_at": "2026-11-23T08:30:00Z",
            "impact": "Les usagers ne peuvent plus se connecter",
        });
        let response = self
            .app
            .post_as(&self.app.keys.partner, "/api/v1/incidents", &body)
            .await;
        assert_eq!(response.status(), 201);
        let ticket: Value = response.json().await.unwrap();
        (
            ticket["id"].as_str().unwrap().to_owned(),
            ticket["reference"].as_str().unwrap().to_owned(),
        )
    }

    async fn events(&self, id: &str) -> Vec<Value> {
        let events: Value = self
            .app
            .get_as(
                &self.app.keys.security,
                &format!("/api/v1/tickets/{id}/events"),
            )
            .await
            .json()
            .await
            .unwrap();
        events["items"].as_array().unwrap().clone()
    }

    async fn post(&self, key: &str, path: &str, body: Option<Value>) -> Response {
        let request = self.app.client.post(self.app.url(path)).bearer_auth(key);
        match body {
            Some(body) => request.json(&body),
            None => request,
        }
        .send()
        .await
        .unwrap()
    }
}

async fn a_gateway_delivers_a_partner_reply_once(w: World) {
    let (id, reference) = w.incident().await;
    let raw = mail(
        CONTACT,
        &format!("Re: [{reference}] Connexion impossible"),
        "Le service est revenu depuis 10 h.",
    );
    let response = w.deliver_as(&w.gateway, &raw).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "landed");
    assert!(
        body.get("ticket_id").is_none(),
        "the gateway learns no ticket"
    );
    // The same message again (an MTA retrying): 200, nothing written.
    let again = w.deliver_as(&w.gateway, &raw).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["duplicate"], true);
    let events = w.events(&id).await;
    let received = events
        .iter()
        .filter(|e| e["type"] == "mail_received")
        .count();
    assert_eq!(received, 1, "{events:?}");
    // The mail is listed on its ticket, by id or reference.
    let list: Value = w
        .app
        .get_as(
            &w.app.keys.agent,
            &format!("/api/v1/inbound-mails?ticket={reference}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["sender"], CONTACT);
    assert_eq!(list["items"][0]["source"], "api");
}
inbound_test!(a_gateway_delivers_a_partner_reply_once);

async fn a_gateway_key_only_delivers_and_only_it_delivers(w: World) {
    let raw = mail(CONTACT, "Une question", "Bonjour");
    // Staff and partner keys may not deliver; no key is 401.
    for key in [&w.app.keys.admin, &w.app.keys.agent, &w.app.keys.partner] {
        let problem = assert_problem(w.deliver_as(key, &raw).await, 403).await;
        assert!(problem.problem_type.ends_with("/mail-gateway-key-required"));
    }
    let response = w
        .app
        .client
        .post(w.app.url("/api/v1/inbound-mails"))
        .header("Content-Type", "application/octet-stream")
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_problem(response, 401).await;
    // The gateway key reads nothing and changes nothing else.
    for path in [
        "/api/v1/tickets",
        "/api/v1/inbound-mails",
        "/api/v1/staff",
        "/api/v1/api-keys",
    ] {
        let problem = assert_problem(w.app.get_as(&w.gateway, path).await, 403).await;
        assert!(
            problem.problem_type.ends_with("/mail-gateway-key"),
            "{path}"
        );
    }
    // Not a mail: 422; another media type: 415; too large: 413.
    let problem = assert_problem(w.deliver_as(&w.gateway, b"\x00\x01\x02").await, 422).await;
    assert!(problem.problem_type.ends_with("/invalid-input"));
    let response = w
        .app
        .client
        .post(w.app.url("/api/v1/inbound-mails"))
        .bearer_auth(&w.gateway)
        .header("Content-Type", "text/plain")
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 415).await;
    assert_eq!(
        problem.detail,
        "The body was sent with `Content-Type: text/plain`; this operation takes \
         `application/octet-stream`."
    );
    let huge = mail(CONTACT, "Gros", &"x".repeat(300_000));
    assert_problem(w.deliver_as(&w.gateway, &huge).await, 413).await;
    // A key made with the role `mail_gateway` is listed with it.
    let keys: Value = w
        .app
        .get_as(&w.app.keys.admin, "/api/v1/api-keys")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        keys["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["name"] == "mx" && k["role"] == "mail_gateway")
    );
}
inbound_test!(a_gateway_key_only_delivers_and_only_it_delivers);

async fn a_victims_mail_is_masked_and_its_reads_journalled(w: World) {
    let report = json!({
        "kind": "user_usurpation",
        "reported_by": "partner",
        "identity_provider_id": w.app.identity_provider,
        "description": "Connexion suspecte sur le compte d'un usager",
    });
    let response = w
        .app
        .post_as(&w.app.keys.partner, "/api/v1/usurpations", &report)
        .await;
    assert_eq!(response.status(), 201);
    let ticket: Value = response.json().await.unwrap();
    let reference = ticket["reference"].as_str().unwrap();
    // Someone unknown writes about the case: quarantined, on the case.
    let stored = w
        .deliver(&mail(
            "victime@boite.example",
            &format!("Re: [{reference}] mon compte"),
            "On a usurpé mon identité.",
        ))
        .await;
    let id = stored["id"].as_str().unwrap();
    assert_eq!(stored["status"], "quarantined");
    // The agent (who read it above) sees it masked, cannot download it nor triage it.
    assert_eq!(stored["masked"], true);
    assert_eq!(stored["sender"], "v•••@boite.example");
    assert!(!stored["subject"].as_str().unwrap().contains("compte"));
    let problem = assert_problem(
        w.app
            .get_as(
                &w.app.keys.agent,
                &format!("/api/v1/inbound-mails/{id}/raw"),
            )
            .await,
        403,
    )
    .await;
    assert!(problem.problem_type.ends_with("/security-role-required"));
    assert_problem(
        w.post(
            &w.app.keys.agent,
            &format!("/api/v1/inbound-mails/{id}/drop"),
            None,
        )
        .await,
        403,
    )
    .await;
    // Lists mask it for everyone.
    let list: Value = w
        .app
        .get_as(&w.app.keys.security, "/api/v1/inbound-mails")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["sender"], "v•••@boite.example");
    // Security reads it in full, and downloads it; both reads are journalled.
    let full: Value = w
        .app
        .get_as(&w.app.keys.security, &format!("/api/v1/inbound-mails/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(full["sender"], "victime@boite.example");
    assert_eq!(full["masked"], false);
    let raw = w
        .app
        .get_as(
            &w.app.keys.security,
            &format!("/api/v1/inbound-mails/{id}/raw"),
        )
        .await;
    assert_eq!(raw.status(), 200);
    let journal: Value = w
        .app
        .get_as(
            &w.app.keys.dpo,
            "/api/v1/access-journal?action=inbound_mail_read",
        )
        .await
        .json()
        .await
        .unwrap();
    let entries = journal["items"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{journal}");
    assert!(
        entries
            .iter()
            .all(|e| e["actor"].as_str().unwrap().starts_with("security")
                && e["ticket_id"] == ticket["id"])
    );
    assert!(
        entries[1]["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("attachments"))
    );
}
inbound_test!(a_victims_mail_is_masked_and_its_reads_journalled);

async fn a_staff_members_reply_lands_as_theirs(w: World) {
    let (id, reference) = w.incident().await;
    // `agent@staff.example.fr` is the member behind the agent key (see the helpers).
    let stored = w
        .deliver(&mail(
            "Agent@Staff.Example.FR",
            &format!("Re: [{reference}] Connexion impossible"),
            "Nous regardons, merci de patienter.",
        ))
        .await;
    assert_eq!(stored["status"], "landed", "{stored}");
    let events = w.events(&id).await;
    let received = events
        .iter()
        .find(|e| e["type"] == "mail_received")
        .expect("the reply on the ticket");
    assert_eq!(received["actor"], "agent agent", "{received}");
    // A member without an active key (`alice`) has no voice by mail: quarantined.
    let alice = w
        .deliver(&mail(
            "alice@staff.example.fr",
            &format!("Re: [{reference}] Connexion impossible"),
            "Je prends.",
        ))
        .await;
    assert_eq!(alice["status"], "quarantined");
}
inbound_test!(a_staff_members_reply_lands_as_theirs);

async fn a_mails_files_become_the_tickets_attachments(w: World) {
    let (id, reference) = w.incident().await;
    let content = "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n\
--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLe journal est joint.\r\n\
--B\r\nContent-Type: text/plain; name=\"journal.txt\"\r\nContent-Disposition: attachment; filename=\"journal.txt\"\r\n\r\n\
2026-11-23 10:00 login failed\r\n\
--B\r\nContent-Type: application/octet-stream; name=\"outil.exe\"\r\nContent-Disposition: attachment; filename=\"outil.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n\
--B--\r\n";
    let stored = w
        .deliver(&mail_with(
            CONTACT,
            &format!("Re: [{reference}] journal"),
            content,
        ))
        .await;
    assert_eq!(stored["status"], "landed", "{stored}");
    let files = stored["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{stored}");
    let text = files
        .iter()
        .find(|f| f["filename"] == "journal.txt")
        .unwrap();
    let exe = files.iter().find(|f| f["filename"] == "outil.exe").unwrap();
    assert!(text["attachment_id"].is_string(), "{text}");
    assert!(text.get("refused").is_none());
    assert!(exe.get("attachment_id").is_none());
    assert!(exe["refused"].is_string(), "{exe}");
    // The accepted file is the ticket's, attached by the partner, and downloads as sent.
    let list: Value = w
        .app
        .get_as(
            &w.app.keys.partner,
            &format!("/api/v1/tickets/{id}/attachments"),
        )
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["id"], text["attachment_id"]);
    assert_eq!(items[0]["visibility"], "public");
    let download = w
        .app
        .get_as(
            &w.app.keys.partner,
            &format!(
                "/api/v1/tickets/{id}/attachments/{}",
                text["attachment_id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(download.status(), 200);
    assert_eq!(
        download.bytes().await.unwrap().as_ref(),
        b"2026-11-23 10:00 login failed"
    );
}
inbound_test!(a_mails_files_become_the_tickets_attachments);

mod quarantine;
mod stray;
