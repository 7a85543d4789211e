//! Rule "Personal data": need-to-know per reader and the anonymisation of a ticket.

use ticket_domain::kind::{Qualification, UsurpationReporter};
use ticket_domain::privacy::{
    Disclosure, PersonalField, Purpose, anonymise, disclosed_in_full, disclosure,
};
use ticket_domain::testkit::*;
use ticket_domain::{Actor, Role};

const NOW: &str = "2026-11-23T09:00:00Z";

fn report() -> ticket_domain::Ticket {
    open_as(
        &Actor::PublicReporter,
        user_usurpation(UsurpationReporter::User, "2026-11-20T09:00:00Z"),
        NOW,
    )
    .ticket
}

#[test]
fn personal_data_security_and_supervisor_read_in_full_other_staff_masked() {
    let ticket = report();
    for role in Role::ALL {
        let expected = match role {
            Role::Security | Role::Supervisor => Disclosure::Full,
            _ => Disclosure::Masked,
        };
        for field in PersonalField::ALL {
            assert_eq!(
                disclosure(&staff(role), &ticket, field, Purpose::Read),
                expected,
                "{role} {field}"
            );
            assert_eq!(
                disclosure(&staff(role), &ticket, field, Purpose::List),
                Disclosure::Masked,
                "lists: {role} {field}"
            );
        }
    }
    assert_eq!(
        disclosed_in_full(&staff(Role::Security), &ticket, Purpose::Read),
        vec![PersonalField::BirthNames, PersonalField::Email]
    );
    assert!(disclosed_in_full(&staff(Role::Agent), &ticket, Purpose::Read).is_empty());
}

#[test]
fn personal_data_the_identity_provider_sees_what_finds_the_account_once_confirmed() {
    let mut ticket = report();
    let idp = partner(IDP);
    for field in PersonalField::ALL {
        assert_eq!(
            disclosure(&idp, &ticket, field, Purpose::Read),
            Disclosure::Hidden
        );
    }
    if let ticket_domain::KindData::UserUsurpation(data) = &mut ticket.data {
        data.qualification = Some(Qualification::Confirmed);
    }
    let full: Vec<PersonalField> = PersonalField::ALL
        .into_iter()
        .filter(|f| disclosure(&idp, &ticket, *f, Purpose::Read) == Disclosure::Full)
        .collect();
    assert_eq!(
        full,
        vec![
            PersonalField::BirthNames,
            PersonalField::FirstNames,
            PersonalField::BirthDate,
            PersonalField::BirthPlace,
            PersonalField::Email
        ]
    );
    for reader in [partner(SP1), partner(OTHER_PARTNER)] {
        for field in PersonalField::ALL {
            assert_eq!(
                disclosure(&reader, &ticket, field, Purpose::Read),
                Disclosure::Hidden
            );
        }
    }
    // The reporter's tracking page: the conversation and the files shared with them, never their
    // identity or contact back.
    for field in PersonalField::ALL {
        let expected = match field {
            PersonalField::OwnWords | PersonalField::Attachments => Disclosure::Full,
            _ => Disclosure::Hidden,
        };
        assert_eq!(
            disclosure(&Actor::PublicReporter, &ticket, field, Purpose::Read),
            expected,
            "{field}"
        );
    }
}

#[test]
fn retention_anonymising_a_ticket_leaves_no_personal_field() {
    let mut ticket = report();
    assert!(!ticket_domain::privacy::held_fields(&ticket).is_empty());
    anonymise(&mut ticket);
    assert!(ticket_domain::privacy::held_fields(&ticket).is_empty());
    assert_eq!(ticket.reporter.email, None);
    let again = ticket.clone();
    anonymise(&mut ticket);
    assert_eq!(ticket, again, "idempotent");
}
