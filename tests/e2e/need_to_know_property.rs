//! The need-to-know rule as a property (issue 26): for random tickets of every kind — public
//! identity-theft reports, user usurpations a partner declares, partner usurpations — with files,
//! the victim's words and their mail (threading to the case or to no ticket), no seeded value of
//! the victim reaches, by any way out, a reader the disclosure rules (`ticket_domain::privacy`) do
//! not allow; and each answer that gave a victim's value in full is in the access journal.
//!
//! Readers: every staff role, the reporting partner, the identity provider concerned, an
//! unrelated partner, the public tracking link. Ways out: ticket read and history, list, search,
//! attachment list and download, JSON evidence, evidence archive, quarantine list and read, raw
//! mail, the change feed, a person's export, the tracking pages.
//!
//! The cases are few (`CASES` per database, one ticketd each) so the test stays well under a
//! minute on both databases; each draws fresh distinctive values.

use crate::helpers::*;
use crate::need_to_know::{unzip, victim_writes};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use ticket_domain::privacy::{
    Disclosure, PersonalField, Purpose, SUBJECT_REQUEST_ROLES, disclosure, files_disclosure,
    victims_mail_disclosure,
};
use ticket_domain::{Actor, Role, Ticket};
use ticket_store::keys::KeyScope;
use ticket_store::testkit::Backend;
use ticket_store::tickets::TicketKey;

const CASES: u32 = 6;
const TRUSTED: &str = "mx.test";

/// How the ticket comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The victim on the public form.
    PublicReport,
    /// A partner (not the identity provider) declares a user usurpation.
    PartnerDeclaresUserUsurpation,
    /// A partner declares that someone impersonates it: no victim.
    PartnerUsurpation,
}

/// The victim's mail, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VictimMail {
    None,
    /// Answers the case (its reference in the subject).
    OnTheCase,
    /// Threads to no ticket.
    Stray,
}

/// The distinctive strings of one case (ASCII tokens, searched for in every answer's bytes).
#[derive(Debug, Clone)]
struct Seeds {
    birth_names: String,
    first_names: String,
    birth_date: String,
    birth_place: String,
    email: String,
    phone: String,
    description: String,
    reply: String,
    file_name: String,
    file_content: String,
    mail_subject: String,
    mail_body: String,
}

#[derive(Debug, Clone)]
struct Case {
    origin: Origin,
    confirmed: bool,
    with_phone: bool,
    victim_replies: bool,
    with_file: bool,
    mail: VictimMail,
    seeds: Seeds,
}

fn token(prefix: &'static str) -> impl Strategy<Value = String> {
    "[a-z]{10}".prop_map(move |s| format!("{prefix}{s}"))
}

fn seeds() -> impl Strategy<Value = Seeds> {
    (
        (
            token("Zqn"),
            token("Zqf"),
            1930u32..1995,
            1u32..=12,
            1u32..=28,
        ),
        (token("Zqp"), token("zqe"), 10u32..99, 10u32..99, 10u32..99),
        (token("Zqd"), token("Zqr"), token("Zqs"), token("Zqc")),
        (token("Zqm"), token("Zqb")),
    )
        .prop_map(
            |(
                (names, first, year, month, day),
                (place, mail, a, b, c),
                (d, r, f, content),
                (s, body),
            )| {
                Seeds {
                    birth_names: names,
                    first_names: first,
                    birth_date: format!("{year}-{month:02}-{day:02}"),
                    birth_place: place,
                    email: format!("{mail}@victime.example"),
                    phone: format!("+33 6 {a} {b} {c} 42"),
                    description: d,
                    reply: r,
                    file_name: format!("scan-{f}.png"),
                    file_content: content,
                    mail_subject: s,
                    mail_body: body,
                }
            },
        )
}

fn cases() -> impl Strategy<Value = Case> {
    (
        prop_oneof![
            Just(Origin::PublicReport),
            Just(Origin::PartnerDeclaresUserUsurpation),
            Just(Origin::PartnerUsurpation),
        ],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![
            Just(VictimMail::None),
            Just(VictimMail::OnTheCase),
            Just(VictimMail::Stray)
        ],
        seeds(),
    )
        .prop_map(
            |(origin, confirmed, with_phone, victim_replies, with_file, mail, seeds)| Case {
                origin,
                confirmed,
                with_phone,
                victim_replies,
                with_file,
                mail,
                seeds,
            },
        )
}

/// A seeded value and what it is of the victim's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A field of the victim (the file's name and bytes are `Attachments`).
    Field(PersonalField),
    /// The subject or words of the victim's mail.
    Mail,
    /// What a partner wrote or attached on a case without a victim: no victim's data, but only
    /// for those who may read the ticket.
    CaseText,
}

/// A reader, and the key it reads with (`None`: the public tracking link).
struct Reader {
    name: &'static str,
    actor: Actor,
    key: Option<String>,
}

struct World {
    app: TestApp,
    gateway: String,
    identity_provider_key: String,
}

async fn world(backend: Backend) -> Option<World> {
    let app = spawn_app_with(backend, |config| {
        config.mail.inbound.trusted_authserv_id = Some(TRUSTED.to_owned());
        config.anonymiser.enabled = false;
        // Every case may come from the public form, all from 127.0.0.1.
        // (a shrunk case reports again with the same address).
        config.public.per_ip.max = 1000;
        config.public.per_email.max = 1000;
    })
    .await?;
    let (_, gateway) = app
        .store
        .create_api_key("mx", KeyScope::MailGateway, start_instant())
        .await
        .unwrap();
    let (_, identity_provider_key) = app
        .store
        .create_api_key(
            "idp",
            KeyScope::Partner {
                organisation: app.identity_provider,
            },
            start_instant(),
        )
        .await
        .unwrap();
    Some(World {
        app,
        gateway,
        identity_provider_key,
    })
}

/// What was made for a case.
struct Made {
    id: String,
    reference: String,
    tracking_secret: Option<String>,
    attachment: Option<String>,
    mail: Option<String>,
    values: Vec<(String, Kind)>,
}

async fn make(w: &World, case: &Case) -> Made {
    let app = &w.app;
    let s = &case.seeds;
    let victim = json!({
        "birth_names": s.birth_names,
        "first_names": s.first_names,
        "birth_date": s.birth_date,
        "birth_place": s.birth_place,
        "email": s.email,
    });
    let mut values: Vec<(String, Kind)> = Vec::new();
    let (id, reference, tracking_secret) = match case.origin {
        Origin::PublicReport => {
            let mut body = victim.clone();
            body["identity_provider_id"] = json!(app.identity_provider);
            body["description"] = json!(format!("Récit {}", s.description));
            body["consent"] = json!(true);
            if case.with_phone {
                body["phone"] = json!(s.phone);
            }
            let response = app
                .client
                .post(app.url("/api/v1/public/identity-theft-reports"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            let body: Value = response.json().await.unwrap();
            let reference = body["reference"].as_str().unwrap().to_owned();
            let secret = body["tracking_url"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned();
            let (ticket, _) = app.ticket(&app.keys.security, &reference).await;
            (
                ticket["id"].as_str().unwrap().to_owned(),
                reference,
                Some(secret),
            )
        }
        Origin::PartnerDeclaresUserUsurpation => {
            let mut victim = victim.clone();
            if case.with_phone {
                victim["phone"] = json!(s.phone);
            }
            let body = json!({
                "kind": "user_usurpation",
                "reported_by": "partner",
                "identity_provider_id": app.identity_provider,
                "victim": victim,
                "description": format!("Signalement {}", s.description),
                "consent": true,
            });
            let response = app
                .post_as(&app.keys.partner, "/api/v1/usurpations", &body)
                .await;
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            assert_eq!(status, 201, "{body}");
            (
                body["id"].as_str().unwrap().to_owned(),
                body["reference"].as_str().unwrap().to_owned(),
                None,
            )
        }
        Origin::PartnerUsurpation => {
            let body = json!({
                "kind": "partner_usurpation",
                "title": "Hameçonnage",
                "partner_id": app.partner,
                "detected_by": "partner",
                "description": format!("Un faux site {}", s.description),
            });
            let response = app
                .post_as(&app.keys.partner, "/api/v1/usurpations", &body)
                .await;
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            assert_eq!(status, 201, "{body}");
            (
                body["id"].as_str().unwrap().to_owned(),
                body["reference"].as_str().unwrap().to_owned(),
                None,
            )
        }
    };
    let user_case = case.origin != Origin::PartnerUsurpation;
    if user_case {
        values.extend([
            (
                s.birth_names.clone(),
                Kind::Field(PersonalField::BirthNames),
            ),
            (
                s.first_names.clone(),
                Kind::Field(PersonalField::FirstNames),
            ),
            (s.birth_date.clone(), Kind::Field(PersonalField::BirthDate)),
            (
                s.birth_place.clone(),
                Kind::Field(PersonalField::BirthPlace),
            ),
            (s.email.clone(), Kind::Field(PersonalField::Email)),
            (s.description.clone(), Kind::Field(PersonalField::OwnWords)),
        ]);
    } else {
        values.push((s.description.clone(), Kind::CaseText));
        if case.with_phone {
            values.push((s.phone.clone(), Kind::Field(PersonalField::Phone)));
        }
    }
    if case.confirmed && user_case {
        let (_, etag) = app.ticket(&app.keys.security, &id).await;
        app.command_ok(&app.keys.security, &id, "acknowledge", &etag, &json!({}))
            .await;
        let (_, etag) = app.ticket(&app.keys.security, &id).await;
        app.command_ok(
            &app.keys.security,
            &id,
            "qualify",
            &etag,
            &json!({"outcome": "confirmed"}),
        )
        .await;
    }
    // Only the public reporter holds a tracking link to answer with.
    if case.victim_replies && case.origin == Origin::PublicReport {
        victim_writes(app, &id, &format!("Réponse {}", s.reply)).await;
        values.push((s.reply.clone(), Kind::Field(PersonalField::OwnWords)));
    }
    let mut attachment = None;
    if case.with_file {
        let mut content = crate::attachments::PNG.to_vec();
        content.extend_from_slice(s.file_content.as_bytes());
        let response = app
            .upload(
                &app.keys.security,
                &id,
                &[(s.file_name.as_str(), content.as_slice())],
                Some("public"),
            )
            .await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        attachment = Some(body["items"][0]["id"].as_str().unwrap().to_owned());
        let kind = if user_case {
            Kind::Field(PersonalField::Attachments)
        } else {
            Kind::CaseText
        };
        values.push((s.file_name.clone(), kind));
        values.push((s.file_content.clone(), kind));
    }
    let mut mail = None;
    if case.mail != VictimMail::None && user_case {
        let subject = match case.mail {
            VictimMail::OnTheCase => format!("Re: [{reference}] {}", s.mail_subject),
            _ => format!("Aide {}", s.mail_subject),
        };
        let domain = "victime.example";
        let raw = format!(
            "Authentication-Results: {TRUSTED}; spf=pass; dmarc=pass (p=reject) header.from={domain}\r\n\
             From: <{}>\r\nTo: support.usagers@ticketd.localhost\r\nSubject: {subject}\r\n\
             Date: Mon, 23 Nov 2026 10:00:00 +0100\r\nMessage-ID: <{}@{domain}>\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour {}\r\n",
            s.email,
            uuid::Uuid::new_v4().simple(),
            s.mail_body,
        );
        let response = app
            .client
            .post(app.url("/api/v1/inbound-mails"))
            .bearer_auth(&w.gateway)
            .header("Content-Type", "application/octet-stream")
            .body(raw.into_bytes())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        mail = Some(body["id"].as_str().unwrap().to_owned());
        values.push((s.mail_subject.clone(), Kind::Mail));
        values.push((s.mail_body.clone(), Kind::Mail));
    }
    Made {
        id,
        reference,
        tracking_secret,
        attachment,
        mail,
        values,
    }
}

fn partner(organisation: ticket_domain::values::OrganisationId) -> Actor {
    Actor::Partner {
        organisation,
        key_name: "key".to_owned(),
    }
}

fn readers(w: &World, made: &Made) -> Vec<Reader> {
    let app = &w.app;
    let mut readers: Vec<Reader> = Role::ALL
        .into_iter()
        .map(|role| Reader {
            name: role.name(),
            actor: ticket_domain::testkit::staff(role),
            key: Some(app.keys.of_role(role).to_owned()),
        })
        .collect();
    readers.push(Reader {
        name: "reporting partner",
        actor: partner(app.partner),
        key: Some(app.keys.partner.clone()),
    });
    readers.push(Reader {
        name: "identity provider concerned",
        actor: partner(app.identity_provider),
        key: Some(w.identity_provider_key.clone()),
    });
    readers.push(Reader {
        name: "unrelated partner",
        actor: partner(app.other_partner),
        key: Some(app.keys.other_partner.clone()),
    });
    if made.tracking_secret.is_some() {
        readers.push(Reader {
            name: "tracking link",
            actor: Actor::PublicReporter,
            key: None,
        });
    }
    readers
}

/// A way out: its name, what the rules let `reader` see of a value of `kind` through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    TicketRead,
    History,
    List,
    Search,
    AttachmentList,
    AttachmentDownload,
    Evidence,
    Archive,
    QuarantineList,
    QuarantineRead,
    RawMail,
    Changes,
    Export,
    Tracking,
}

const WAYS: [Way; 14] = [
    Way::TicketRead,
    Way::History,
    Way::List,
    Way::Search,
    Way::AttachmentList,
    Way::AttachmentDownload,
    Way::Evidence,
    Way::Archive,
    Way::QuarantineList,
    Way::QuarantineRead,
    Way::RawMail,
    Way::Changes,
    Way::Export,
    Way::Tracking,
];

/// Whether the rules let `reader` see a value of `kind` in full through `way`.
fn allowed(reader: &Actor, ticket: &Ticket, way: Way, kind: Kind) -> bool {
    let full = |d: Disclosure| d == Disclosure::Full;
    let field = |field: PersonalField, purpose: Purpose| match field {
        PersonalField::Attachments => full(files_disclosure(reader, ticket, purpose)),
        other => full(disclosure(reader, ticket, other, purpose)),
    };
    let staff = reader.role().is_some();
    if kind == Kind::CaseText {
        return match way {
            Way::TicketRead
            | Way::History
            | Way::List
            | Way::Search
            | Way::AttachmentList
            | Way::AttachmentDownload
            | Way::Changes => ticket.is_visible_to(reader),
            Way::Evidence | Way::Archive => staff,
            _ => false,
        };
    }
    match way {
        Way::Export => reader
            .role()
            .is_some_and(|role| SUBJECT_REQUEST_ROLES.contains(&role)),
        Way::Tracking => match kind {
            Kind::Field(f) => field(f, Purpose::Read),
            // Their mail that landed on the case is one of their messages there.
            Kind::Mail => field(PersonalField::OwnWords, Purpose::Read),
            Kind::CaseText => false,
        },
        Way::QuarantineList => staff && full(victims_mail_disclosure(reader, Purpose::List)),
        Way::QuarantineRead | Way::RawMail => {
            staff && full(victims_mail_disclosure(reader, Purpose::Read))
        }
        Way::List | Way::Search => match kind {
            Kind::Field(f) => field(f, Purpose::List),
            Kind::Mail | Kind::CaseText => false,
        },
        Way::Evidence | Way::Archive => {
            staff
                && match kind {
                    Kind::Field(f) => field(f, Purpose::Read),
                    // A mail that landed on the case is the victim's words there.
                    Kind::Mail | Kind::CaseText => field(PersonalField::OwnWords, Purpose::Read),
                }
        }
        Way::TicketRead
        | Way::History
        | Way::AttachmentList
        | Way::AttachmentDownload
        | Way::Changes => match kind {
            Kind::Field(f) => field(f, Purpose::Read),
            Kind::Mail | Kind::CaseText => field(PersonalField::OwnWords, Purpose::Read),
        },
    }
}

/// The bytes `reader` gets through `way` (every page, every file of an archive).
async fn answer(w: &World, made: &Made, reader: &Reader, way: Way, search: &str) -> Vec<u8> {
    let app = &w.app;
    let id = &made.id;
    let get = |path: String| async move {
        let request = app.client.get(app.url(&path));
        let request = match &reader.key {
            Some(key) => request.bearer_auth(key),
            None => request,
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let bytes = response.bytes().await.unwrap().to_vec();
        assert!(status.as_u16() < 500, "{path} as {}: {status}", reader.name);
        bytes
    };
    match way {
        Way::Tracking => {
            let Some(secret) = &made.tracking_secret else {
                return Vec::new();
            };
            if reader.key.is_some() {
                return Vec::new();
            }
            let mut bytes = get(format!("/suivi/{secret}")).await;
            bytes.extend(get(format!("/suivi/{secret}/fichiers")).await);
            bytes
        }
        _ if reader.key.is_none() => Vec::new(),
        Way::TicketRead => get(format!("/api/v1/tickets/{id}")).await,
        Way::History => get(format!("/api/v1/tickets/{id}/events")).await,
        Way::List => get("/api/v1/tickets?limit=200".to_owned()).await,
        Way::Search => get(format!("/api/v1/tickets?limit=200&q={search}")).await,
        Way::AttachmentList => get(format!("/api/v1/tickets/{id}/attachments")).await,
        Way::AttachmentDownload => match &made.attachment {
            Some(file) => get(format!("/api/v1/tickets/{id}/attachments/{file}")).await,
            None => Vec::new(),
        },
        Way::Evidence => get(format!("/api/v1/tickets/{id}/evidence")).await,
        Way::Archive => {
            let bytes = get(format!("/api/v1/tickets/{id}/evidence/archive")).await;
            if bytes.starts_with(b"PK") {
                unzip(&bytes).into_iter().flat_map(|(_, b)| b).collect()
            } else {
                bytes
            }
        }
        Way::QuarantineList => get("/api/v1/inbound-mails?limit=200".to_owned()).await,
        Way::QuarantineRead => match &made.mail {
            Some(mail) => get(format!("/api/v1/inbound-mails/{mail}")).await,
            None => Vec::new(),
        },
        Way::RawMail => match &made.mail {
            Some(mail) => get(format!("/api/v1/inbound-mails/{mail}/raw")).await,
            None => Vec::new(),
        },
        Way::Changes => {
            let mut all = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let path = match &after {
                    Some(cursor) => format!("/api/v1/changes?limit=200&after={cursor}"),
                    None => "/api/v1/changes?limit=200".to_owned(),
                };
                let bytes = get(path).await;
                let page: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                all.extend_from_slice(&bytes);
                let more = page["items"].as_array().is_some_and(|i| !i.is_empty());
                match page["next_cursor"].as_str() {
                    Some(cursor) if more => after = Some(cursor.to_owned()),
                    _ => break,
                }
            }
            all
        }
        Way::Export => {
            let Some(key) = &reader.key else {
                return Vec::new();
            };
            let Some(email) = made
                .values
                .iter()
                .find(|(_, k)| *k == Kind::Field(PersonalField::Email))
                .map(|(v, _)| v.clone())
            else {
                return Vec::new();
            };
            let response = app
                .post_as(
                    key,
                    "/api/v1/data-subject-requests/access",
                    &json!({"email": email}),
                )
                .await;
            assert!(response.status().as_u16() < 500);
            response.bytes().await.unwrap().to_vec()
        }
    }
}

async fn journal_length(app: &TestApp) -> i64 {
    app.store.verify_journal().await.unwrap().events
}

/// Checks one case; the leaks and unjournalled full reads found, in words.
async fn check(w: &World, case: &Case) -> Vec<String> {
    let made = make(w, case).await;
    let stored = w
        .app
        .store
        .get_ticket(TicketKey::parse(&made.id).unwrap())
        .await
        .unwrap();
    let search = case.seeds.birth_names.clone();
    let mut problems = Vec::new();
    for reader in readers(w, &made) {
        for way in WAYS {
            let before = journal_length(&w.app).await;
            let bytes = answer(w, &made, &reader, way, &search).await;
            let after = journal_length(&w.app).await;
            let text = String::from_utf8_lossy(&bytes);
            let mut shown_in_full = false;
            if way == Way::TicketRead
                && reader.actor.role() == Some(Role::Security)
                && case.origin != Origin::PartnerUsurpation
                && !text.contains(case.seeds.birth_names.as_str())
            {
                // The check would see nothing if the values never came out at all.
                problems.push(format!(
                    "security does not see the victim's names on {}",
                    made.reference
                ));
            }
            for (value, kind) in &made.values {
                if !text.contains(value.as_str()) {
                    continue;
                }
                shown_in_full |= *kind != Kind::CaseText;
                if !allowed(&reader.actor, &stored.ticket, way, *kind) {
                    problems.push(format!(
                        "{way:?} gives {} {value:?} ({kind:?}) of {}",
                        reader.name, made.reference
                    ));
                }
            }
            // The person themself, on their own tracking link, is not a reader the journal
            // answers for (it records who else read their data).
            if shown_in_full && after == before && reader.key.is_some() {
                problems.push(format!(
                    "{way:?} gave {} the victim's data of {} in full, unjournalled",
                    reader.name, made.reference
                ));
            }
        }
    }
    problems
}

fn run(backend: Backend) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let Some(world) = runtime.block_on(world(backend)) else {
        return;
    };
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        max_shrink_iters: 4,
        ..Config::default()
    });
    let result = runner.run(&cases(), |case| {
        let problems = runtime.block_on(check(&world, &case));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(TestCaseError::fail(problems.join("\n")))
        }
    });
    runtime.block_on(async move { drop(world) });
    if let Err(error) = result {
        panic!("{error}");
    }
}

#[test]
fn no_victim_value_reaches_a_reader_the_rules_forbid_sqlite() {
    run(Backend::Sqlite);
}

#[test]
fn no_victim_value_reaches_a_reader_the_rules_forbid_postgres() {
    run(Backend::Postgres);
}
