//! The README's need-to-know table (section "Privacy"), computed from the disclosure rules: for
//! each reader and each way a victim's data leaves the service, what it sees. The test fails when
//! the README and the rules disagree; `UPDATE_README=1` writes the table computed here.

use ticket_domain::kind::{KindData, Qualification, UsurpationReporter};
use ticket_domain::privacy::{
    Disclosure, EvidenceShare, PersonalField, Purpose, SUBJECT_REQUEST_ROLES, disclosure,
    files_disclosure, victims_mail_disclosure,
};
use ticket_domain::testkit::*;
use ticket_domain::{Actor, Role, Ticket};

const BEGIN: &str =
    "<!-- need-to-know table: computed by crates/ticket-domain/tests/domain/ways_out.rs -->";
const END: &str = "<!-- end of the need-to-know table -->";

/// A confirmed user usurpation, its identity provider `IDP`.
fn victims_case() -> Ticket {
    let mut t = open_as(
        &Actor::PublicReporter,
        user_usurpation(UsurpationReporter::User, "2026-11-22T09:00:00Z"),
        "2026-11-23T09:00:00Z",
    )
    .ticket;
    if let KindData::UserUsurpation(data) = &mut t.data {
        data.qualification = Some(Qualification::Confirmed);
    }
    t
}

/// What a reader sees of the victim's identity, contact and words, for `purpose`.
fn fields(reader: &Actor, t: &Ticket, purpose: Purpose) -> String {
    let fields: Vec<PersonalField> = PersonalField::ALL
        .into_iter()
        .filter(|f| *f != PersonalField::Attachments)
        .collect();
    let seen: Vec<Disclosure> = fields
        .iter()
        .map(|f| disclosure(reader, t, *f, purpose))
        .collect();
    let journalled = if purpose == Purpose::Read {
        " (journalled)"
    } else {
        ""
    };
    if seen.iter().all(|d| *d == Disclosure::Full) {
        format!("full{journalled}")
    } else if seen.iter().all(|d| *d == Disclosure::Masked) {
        "masked".to_owned()
    } else if seen.iter().all(|d| *d == Disclosure::Hidden) {
        "—".to_owned()
    } else {
        let named = |level: Disclosure| -> String {
            fields
                .iter()
                .zip(&seen)
                .filter(|(_, d)| **d == level)
                .map(|(f, _)| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let full = named(Disclosure::Full);
        let masked = named(Disclosure::Masked);
        let mut parts = Vec::new();
        if !full.is_empty() {
            parts.push(format!("{full} in full{journalled}"));
        }
        if !masked.is_empty() {
            parts.push(format!("{masked} masked"));
        }
        format!("{}; nothing else", parts.join("; "))
    }
}

fn row(name: &str, reader: &Actor, t: &Ticket) -> String {
    let staff = reader.role().is_some();
    let share = EvidenceShare::for_reader(reader, t);
    let files = files_disclosure(reader, t, Purpose::Read);
    let mail = |purpose| victims_mail_disclosure(reader, purpose);
    let cells = [
        fields(reader, t, Purpose::Read),
        fields(reader, t, Purpose::List),
        fields(reader, t, Purpose::List),
        match files {
            Disclosure::Full => "names (journalled)".to_owned(),
            Disclosure::Masked => "names masked".to_owned(),
            Disclosure::Hidden => "—".to_owned(),
        },
        match files {
            Disclosure::Full => "bytes (journalled)".to_owned(),
            Disclosure::Masked => "403 need-to-know".to_owned(),
            Disclosure::Hidden => "404".to_owned(),
        },
        match (staff, share.sealed_texts) {
            (false, _) => "403".to_owned(),
            (true, true) => "chain + sealed texts (journalled)".to_owned(),
            (true, false) => "chain only".to_owned(),
        },
        match (staff, share.sealed_texts, share.files) {
            (false, _, _) => "403".to_owned(),
            (true, true, true) => "whole (journalled)".to_owned(),
            (true, _, _) => "chain; texts and files `withheld`".to_owned(),
        },
        match mail(Purpose::List) {
            Disclosure::Hidden => "403".to_owned(),
            _ => "masked".to_owned(),
        },
        match mail(Purpose::Read) {
            Disclosure::Full => "full (journalled)".to_owned(),
            Disclosure::Masked => "masked".to_owned(),
            Disclosure::Hidden => "403".to_owned(),
        },
        match mail(Purpose::Read) {
            Disclosure::Full => "bytes (journalled)".to_owned(),
            _ => "403".to_owned(),
        },
        match reader.role() {
            Some(role) if SUBJECT_REQUEST_ROLES.contains(&role) => "full (journalled)".to_owned(),
            _ => "403".to_owned(),
        },
    ];
    format!("| {name} | {} |", cells.join(" | "))
}

fn table() -> String {
    let t = victims_case();
    let mut lines = vec![
        "| reader | ticket read | list | search | attachment list | attachment download | JSON evidence | evidence archive | quarantine list | quarantine read | inbound mail raw | person's export |".to_owned(),
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |".to_owned(),
    ];
    for role in Role::ALL {
        lines.push(row(&format!("`{role}`"), &staff(role), &t));
    }
    lines.push(row(
        "identity provider concerned (confirmed report)",
        &partner(IDP),
        &t,
    ));
    lines.push(row("another partner", &partner(OTHER_PARTNER), &t));
    lines.join("\n")
}

#[test]
fn the_readmes_need_to_know_table_is_the_rules() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(BEGIN)
        .expect("the README has the table's markers")
        + BEGIN.len();
    let end = readme
        .find(END)
        .expect("the README has the table's markers");
    let computed = format!("\n{}\n", table());
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{computed}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        computed,
        "the README's need-to-know table differs from the rules: run UPDATE_README=1 cargo test -p ticket-domain --test domain ways_out"
    );
}
