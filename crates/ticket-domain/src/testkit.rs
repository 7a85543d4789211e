//! Test fixtures: a small trust sphere, actors and ticket builders, for this crate's rule tests and
//! the store and API tests. Compiled only with the `testkit` feature; panics are how fixtures fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::kind::{
    BirthIdentity, Contact, Detector, IncidentData, PartnerUsurpationData, ServiceSnapshot,
    SupportRequestData, UserUsurpationData, UsurpationReporter, UsurpationVector,
};
use crate::lifecycle::Record;
use crate::notify::{Notification, Recipient, Template};
use crate::personal::Personal;
use crate::values::{EmailAddress, OrganisationId, ServiceId, StaffHandle, Text, TicketId};
use crate::{
    Actor, Command, Decision, KindData, Language, NewTicket, Policy, Priority, Role, Ticket,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// An instant written as RFC 3339.
pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339}: {e}"))
        .with_timezone(&Utc)
}

pub fn text(s: &str) -> Text {
    Text::parse("text", s, 10_000).unwrap()
}

pub fn staff(role: Role) -> Actor {
    Actor::staff(StaffHandle::parse("h", role.name()).unwrap(), role)
}

pub fn org(n: u128) -> OrganisationId {
    OrganisationId(Uuid::from_u128(n))
}

pub const PARTNER: u128 = 1;
pub const OTHER_PARTNER: u128 = 2;
pub const IDP: u128 = 10;
pub const SP1: u128 = 11;
pub const SP2: u128 = 12;

pub fn partner(n: u128) -> Actor {
    Actor::Partner {
        organisation: org(n),
        key_name: format!("key-{n}"),
    }
}

fn new_ticket(data: KindData, organisation: Option<OrganisationId>) -> NewTicket {
    NewTicket {
        id: TicketId::new_v7(),
        reference_number: 42,
        title: text("Service indisponible"),
        data,
        organisation,
        reporter_email: None,
        language: Language::Fr,
        proposed_priority: None,
        follow_up_of: None,
        same_session_as: Vec::new(),
    }
}

pub fn incident(security: bool, started: &str) -> NewTicket {
    new_ticket(
        KindData::Incident(IncidentData {
            service: Some(ServiceSnapshot {
                id: ServiceId(Uuid::from_u128(100)),
                organisation: org(PARTNER),
                name: "Compte assuré".into(),
                max_unavailability_seconds: None,
                availability: Some("24/7".into()),
            }),
            started_at: at(started),
            impact: text("Les usagers ne peuvent plus se connecter"),
            security,
        }),
        Some(org(PARTNER)),
    )
}

pub fn support_request() -> NewTicket {
    new_ticket(
        KindData::SupportRequest(SupportRequestData {
            question: text("Comment s'inscrire ?"),
        }),
        Some(org(PARTNER)),
    )
}

pub fn partner_usurpation(detected_by: Detector) -> NewTicket {
    new_ticket(
        KindData::PartnerUsurpation(PartnerUsurpationData {
            detected_by,
            partner: org(PARTNER),
            vectors: vec![UsurpationVector::PhishingSite],
            description: text("Un site imite notre page de connexion"),
        }),
        Some(org(PARTNER)),
    )
}

pub fn user_usurpation(reported_by: UsurpationReporter, connection: &str) -> NewTicket {
    let mut new = new_ticket(
        KindData::UserUsurpation(UserUsurpationData {
            reported_by,
            session_id: Some(Uuid::from_u128(7)),
            suspicious_connection_at: Some(at(connection)),
            suspicious_connection_date: None,
            identity_provider: Some(org(IDP)),
            service_providers: vec![org(SP1), org(SP2)],
            victim: BirthIdentity {
                birth_names: Some(Personal::new("Martin".into())),
                ..BirthIdentity::default()
            },
            contact: Contact {
                email: Some(EmailAddress::parse("email", "victime@example.fr").unwrap()),
                phone: None,
            },
            description: None,
            consent: true,
            qualification: None,
        }),
        None,
    );
    if reported_by == UsurpationReporter::User {
        new.reporter_email = Some(EmailAddress::parse("email", "victime@example.fr").unwrap());
    }
    if reported_by == UsurpationReporter::Partner {
        new.organisation = Some(org(PARTNER));
    }
    new
}

pub fn open_as(actor: &Actor, new: NewTicket, now: &str) -> Decision {
    crate::open(new, actor, at(now), &Policy::default()).unwrap()
}

pub fn apply(ticket: &Ticket, command: Command, actor: &Actor, now: &str) -> Decision {
    crate::decide(ticket, command, actor, at(now), &Policy::default())
        .unwrap_or_else(|r| panic!("{} refused: {r}", now))
}

pub fn refuse(ticket: &Ticket, command: Command, actor: &Actor, now: &str) -> crate::Refusal {
    match crate::decide(ticket, command, actor, at(now), &Policy::default()) {
        Ok(d) => panic!(
            "accepted: {:?}",
            d.records
                .iter()
                .map(|r| r.event.data.type_name())
                .collect::<Vec<_>>()
        ),
        Err(r) => r,
    }
}

/// All notifications of a decision.
pub fn mails(decision: &Decision) -> Vec<Notification> {
    decision
        .records
        .iter()
        .flat_map(|r: &Record| r.notifications.clone())
        .collect()
}

pub fn has_mail(decision: &Decision, template: Template, recipient: Recipient) -> bool {
    mails(decision)
        .iter()
        .any(|n| n.template == template && n.recipient == recipient)
}

pub fn event_types(decision: &Decision) -> Vec<&'static str> {
    decision
        .records
        .iter()
        .map(|r| r.event.data.type_name())
        .collect()
}

/// A partner's priority-3 incident, acknowledged and in progress.
pub fn incident_in_progress(now: &str) -> Ticket {
    let mut new = incident(false, now);
    new.proposed_priority = Some(Priority::Normale);
    let t = open_as(&partner(PARTNER), new, now).ticket;
    let t = apply(
        &t,
        Command::Acknowledge { note: None },
        &staff(Role::Agent),
        now,
    )
    .ticket;
    apply(
        &t,
        Command::Assign {
            assignee: StaffHandle::parse("assignee", "alice").unwrap(),
        },
        &staff(Role::Agent),
        now,
    )
    .ticket
}

/// The mail server accepts every mail of `decision`: what the store records when the outbox rows
/// become `sent` (`RecordMailDelivered` as the system, one per mail).
pub fn deliver_mails(decision: &Decision, now: &str) -> Ticket {
    let mut ticket = decision.ticket.clone();
    for record in &decision.records {
        for n in &record.notifications {
            let command = Command::RecordMailDelivered {
                template: n.template,
                recipient: n.recipient,
                event_at: record.event.at,
                delivered_at: at(now),
            };
            ticket = apply(&ticket, command, &Actor::System, now).ticket;
        }
    }
    ticket
}
