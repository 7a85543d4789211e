//! `ticketd mail-in`, as Postfix's `pipe` runs it: a real message file on standard input, the exit
//! status the MTA acts on (0 taken, 65 refused for good, 75 try again later).

use chrono::Utc;
use std::io::Write as _;
use std::process::{Command, Output, Stdio};
use ticket_domain::kind::{KindData, SupportRequestData};
use ticket_domain::notify::Language;
use ticket_domain::testkit::text;
use ticket_domain::values::{EmailAddress, TicketId};
use ticket_domain::{Actor, EventData, NewTicket, Policy};
use ticket_store::registry::{NewContact, NewOrganisation, OrganisationRole};
use ticket_store::testkit::{Backend, TestDatabase};

fn mail_in(database_url: &str, input: &[u8], extra: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ticketd"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TICKETD_") {
            command.env_remove(name);
        }
    }
    command
        .arg("mail-in")
        .env("TICKETD_DATABASE_URL", database_url)
        .env("TICKETD_MAIL__INBOUND__TRUSTED_AUTHSERV_ID", "mx.test")
        .env("TICKETD_LOG_FORMAT", "json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in extra {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

async fn a_partner_reply_through_the_pipe_lands_once(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await.unwrap() else {
        return;
    };
    let store = database.store().await.unwrap();
    let now = Utc::now();
    let org = store
        .create_organisation(
            NewOrganisation {
                name: text("IdP"),
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
                name: text("Alice"),
                function: text("Support"),
                email: EmailAddress::parse("email", "alice@idp.example.fr").unwrap(),
                phone: None,
            },
            now,
        )
        .await
        .unwrap();
    let actor = Actor::Partner {
        organisation: org.id,
        key_name: "main".into(),
    };
    let new = NewTicket {
        id: TicketId::new_v7(),
        reference_number: 0,
        title: text("Question d'inscription"),
        data: KindData::SupportRequest(SupportRequestData {
            question: text("Comment inscrire un service ?"),
        }),
        organisation: Some(org.id),
        reporter_email: None,
        language: Language::Fr,
        proposed_priority: None,
        follow_up_of: None,
        same_session_as: Vec::new(),
    };
    let ticket = store
        .create_ticket(new, &actor, now, &Policy::default(), None, false)
        .await
        .unwrap()
        .ticket
        .ticket;
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/partner-reply.eml"
    ))
    .unwrap()
    .replace("{REFERENCE}", &ticket.reference.to_string())
    .replace("{NONCE}", &uuid::Uuid::new_v4().simple().to_string())
    .replace('\n', "\r\n");

    let first = mail_in(&database.url, file.as_bytes(), &[]);
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    assert!(String::from_utf8_lossy(&first.stdout).starts_with("landed "));
    let again = mail_in(&database.url, file.as_bytes(), &[]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), "duplicate");
    let comments: Vec<String> = store
        .events(ticket.id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.event.data {
            EventData::Commented { body } => Some(body.as_str().to_owned()),
            _ => None,
        })
        .collect();
    // The text part, quoted-printable decoded, without the signature and the quoted history.
    assert_eq!(
        comments,
        vec![
            "Bonjour,\n\nLe service est de nouveau joignable depuis 10 h 45, merci.\n\nCordialement,"
        ]
    );
    // No personal data in what ticketd wrote to its log.
    let log = String::from_utf8_lossy(&first.stderr);
    assert!(!log.contains("alice@"), "{log}");

    // Too large for the configured limit: refused for good (the MTA bounces it).
    let large = mail_in(
        &database.url,
        file.as_bytes(),
        &[("TICKETD_MAIL__INBOUND__MAX_BYTES", "200")],
    );
    assert_eq!(large.status.code(), Some(65), "{large:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    a_partner_reply_through_the_pipe_lands_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    a_partner_reply_through_the_pipe_lands_once(Backend::Postgres).await;
}

#[test]
fn an_unreachable_database_asks_the_mta_to_try_again() {
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = mail_in(
        &format!("postgres://postgres@127.0.0.1:{free}/nowhere"),
        b"From: a@b.example\r\nSubject: x\r\n\r\nbody\r\n",
        &[("TICKETD_DATABASE_ACQUIRE_TIMEOUT_MS", "200")],
    );
    assert_eq!(output.status.code(), Some(75), "{output:?}");
}
