//! The authorisation matrix: who may call each operation, in one table.
//!
//! The test reads the served OpenAPI document and fails when an operation has no row (so a new
//! endpoint cannot ship without deciding who may call it) or a row names an operation that is not
//! served. Then it calls every operation as every kind of caller and compares the status.
//!
//! How the table is built, so that each status says something about authorisation only:
//! - Bodies are valid (they pass the shape checks and the field rules), so that 400 and 422 never
//!   hide a 401 or a 403. `{partner}` and `{identity_provider}` stand for the harness's
//!   organisations, `{n}` for a number unique to the call (names that must be unique).
//! - Path parameters name real things made for the row (see [`Fixture`]): a ticket reported by
//!   `partner` on its own organisation, in the state the command needs, so that every role allowed
//!   to run the command gets 2xx. After any 2xx the fixture is made again, so that no caller's
//!   status depends on what an earlier caller changed; refusals change nothing. Commands are sent
//!   with the ticket's current ETag in `If-Match`.
//! - So `other_partner` gets 404 on a ticket or organisation that is not its own (existence does
//!   not leak), 403 where the role is refused before anything is looked up (admin-only operations,
//!   the staff-only evidence file, a declaration for another organisation).
//! - `confirm-resolution` and `reject-resolution` are the reporter's: the ticket is reported by
//!   `partner`, so it is the one caller allowed. `reopen` is for the reporter and ticket handlers.
//!   `revocation-waiver` is for `security` alone; the other security commands also allow a
//!   supervisor.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use ticket_domain::Role;
use ticket_domain::values::{EmailAddress, OrganisationId, StaffHandle, Text};
use ticket_store::keys::KeyScope;
use ticket_store::registry::{
    AssuranceLevel, NewContact, NewOrganisation, NewService, OrganisationRole,
};

/// The callers, in the order of each row's statuses.
const CALLERS: [&str; 9] = [
    "agent",
    "engineer",
    "security",
    "supervisor",
    "admin",
    "dpo",
    "partner",
    "other_partner",
    "no key",
];

/// What a row's path parameters name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixture {
    /// The path has no parameter.
    Nothing,
    /// A ticket reported by `partner` on its own organisation (`{id}`).
    Ticket(Shape),
    /// The harness's `partner` organisation (`{id}`), for reads.
    PartnerOrganisation,
    /// An organisation registered for the row (`{id}`), for changes.
    Organisation,
    /// A service (`{service_id}`) of an organisation registered for the row (`{id}`).
    Service,
    /// A contact (`{contact_id}`) of an organisation registered for the row (`{id}`).
    Contact,
    /// A spare staff key (`{id}`), not one of the callers' keys.
    ApiKey,
    /// A mail of the outbox that failed (`{id}`).
    FailedMail,
    /// A member of the staff directory made for the row, without keys (`{handle}`).
    StaffMember,
    /// An incident under a legal hold (`{id}`).
    HeldTicket,
    /// A public file (`{attachment_id}`) the partner attached to an incident (`{id}`).
    Attachment,
    /// A mail in quarantine (`{id}`), from an unknown sender, and an incident to attach it to
    /// (`{ticket}` in the body).
    QuarantinedMail,
    /// A webhook endpoint of the `partner` organisation (`{id}`), at version 1 (the only one:
    /// earlier fixtures' are deleted, an organisation having at most 10).
    Webhook,
    /// A delivery (`{message_id}`) to a webhook endpoint of `partner` (`{id}`).
    WebhookDelivery,
}

/// The body of a row that uploads a file: `multipart/form-data` with a small text file.
const MULTIPART: &str = "multipart";

/// The body of a row that delivers a mail: an RFC 5322 message as `application/octet-stream`, a new one each call.
const RAW_MAIL: &str = "application/octet-stream";

fn raw_mail(n: usize) -> Vec<u8> {
    format!(
        "From: Inconnu <inconnu-{n}@ailleurs.example>\r\nTo: support.partenaires@ticketd.localhost\r\n\
         Subject: Question {n}\r\nMessage-ID: <authz-{n}-{}@ailleurs.example>\r\n\
         Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n\r\nBonjour, une question.\r\n",
        uuid::Uuid::new_v4().simple()
    )
    .into_bytes()
}

/// The kind and state of a ticket fixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A (non-security) incident, `new`.
    Incident,
    /// The incident, acknowledged by an agent.
    AcknowledgedIncident,
    /// The incident, acknowledged then resolved by an agent.
    ResolvedIncident,
    /// The incident, acknowledged by an agent, waiting for the reporter's answer.
    WaitingIncident,
    /// The incident, closed by an agent by mutual agreement.
    ClosedIncident,
    /// A user usurpation reported by the partner, naming an identity provider (concerned, not yet
    /// notified), `new`.
    UserUsurpation,
    /// The user usurpation, acknowledged.
    AcknowledgedUserUsurpation,
    /// A partner usurpation of the partner's own organisation, `new`.
    PartnerUsurpation,
}

use Fixture::*;
use Shape::*;

#[derive(Debug)]
struct Row {
    method: &'static str,
    /// As in the OpenAPI document.
    path: &'static str,
    fixture: Fixture,
    /// A JSON body, placeholders not yet filled in.
    body: Option<&'static str>,
    /// Status per caller, in the order of [`CALLERS`].
    expect: [u16; 9],
}

/// The query of operations with required query parameters.
const QUERIES: &[(&str, &str)] = &[
    ("/api/v1/reports/quality", "?from=2026-11-01&to=2026-11-30"),
    ("/api/v1/transparency/consistency", "?from=0"),
    (
        "/api/v1/reports/quality/chart",
        "?from=2026-11-01&to=2026-11-30&figure=opened",
    ),
];

const fn row(
    method: &'static str,
    path: &'static str,
    fixture: Fixture,
    body: Option<&'static str>,
    expect: [u16; 9],
) -> Row {
    Row {
        method,
        path,
        fixture,
        body,
        expect,
    }
}

/// Statuses for: agent, engineer, security, supervisor, admin, dpo, partner, other_partner, no key.
/// `dpo` reads tickets (masked) like admin, and administers nothing.
const TABLE: &[Row] = &[
    // Operations.
    row(
        "GET",
        "/healthz",
        Nothing,
        None,
        [200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    row(
        "GET",
        "/readyz",
        Nothing,
        None,
        [200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    // Declarations: any staff but admin; a partner for its own organisation only.
    row(
        "POST",
        "/api/v1/incidents",
        Nothing,
        Some(
            r#"{"title": "Panne", "started_at": "2026-11-23T08:30:00Z", "impact": "Connexion impossible", "organisation_id": "{partner}"}"#,
        ),
        [201, 201, 201, 201, 403, 403, 201, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/usurpations",
        Nothing,
        Some(
            r#"{"kind": "partner_usurpation", "title": "Hameçonnage", "partner_id": "{partner}", "detected_by": "partner", "description": "Un faux site imite le service"}"#,
        ),
        [201, 201, 201, 201, 403, 403, 201, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/support-requests",
        Nothing,
        Some(
            r#"{"title": "Inscription", "question": "Comment rejoindre la fédération ?", "organisation_id": "{partner}"}"#,
        ),
        [201, 201, 201, 201, 403, 403, 201, 403, 401],
    ),
    // Reading tickets: every staff role; a partner its own organisation's.
    row(
        "GET",
        "/api/v1/tickets",
        Nothing,
        None,
        [200, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    row(
        "GET",
        "/api/v1/tickets/{id}",
        Ticket(Incident),
        None,
        [200, 200, 200, 200, 200, 200, 200, 404, 401],
    ),
    row(
        "GET",
        "/api/v1/tickets/{id}/events",
        Ticket(Incident),
        None,
        [200, 200, 200, 200, 200, 200, 200, 404, 401],
    ),
    row(
        "GET",
        "/api/v1/tickets/{id}/evidence",
        Ticket(Incident),
        None,
        [200, 200, 200, 200, 200, 200, 403, 403, 401],
    ),
    // Files: staff who handle tickets, and the partner, attach; whoever reads the ticket lists
    // and downloads; the evidence archive is staff's.
    row(
        "POST",
        "/api/v1/tickets/{id}/attachments",
        Ticket(Incident),
        Some(MULTIPART),
        [201, 201, 201, 201, 403, 403, 201, 404, 401],
    ),
    row(
        "GET",
        "/api/v1/tickets/{id}/attachments",
        Ticket(Incident),
        None,
        [200, 200, 200, 200, 200, 200, 200, 404, 401],
    ),
    row(
        "GET",
        "/api/v1/tickets/{id}/attachments/{attachment_id}",
        Attachment,
        None,
        [200, 200, 200, 200, 200, 200, 200, 404, 401],
    ),
    row(
        "GET",
        "/api/v1/tickets/{id}/evidence/archive",
        Ticket(Incident),
        None,
        [200, 200, 200, 200, 200, 200, 403, 403, 401],
    ),
    row(
        "GET",
        "/api/v1/tickets/{id}/clock",
        Ticket(Incident),
        None,
        [200, 200, 200, 200, 200, 200, 200, 404, 401],
    ),
    // Handling: staff who handle tickets (not admin); partners comment on their own tickets.
    row(
        "POST",
        "/api/v1/tickets/{id}/acknowledge",
        Ticket(Incident),
        Some(r#"{"note": "Pris en compte"}"#),
        [200, 200, 200, 200, 403, 403, 403, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/tickets/{id}/assign",
        Ticket(Incident),
        Some(r#"{"assignee": "alice"}"#),
        [200, 200, 200, 200, 403, 403, 403, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/tickets/{id}/priority",
        Ticket(Incident),
        Some(r#"{"priority": "mineure", "reason": "Impact limité"}"#),
        [200, 200, 200, 200, 403, 403, 403, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/tickets/{id}/comments",
        Ticket(Incident),
        Some(r#"{"body": "Une précision"}"#),
        [200, 200, 200, 200, 403, 403, 200, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/tickets/{id}/escalate",
        Ticket(Incident),
        Some(r#"{"reason": "Il faut un développeur"}"#),
        [200, 200, 200, 200, 403, 403, 403, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/tickets/{id}/wait-for-reporter",
        Ticket(AcknowledgedIncident),
        Some(r#"{"question": "Depuis quand ?"}"#),
        [200, 200, 200, 200, 403, 403, 403, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/tickets/{id}/resolve",
        Ticket(AcknowledgedIncident),
        Some(r#"{"summary": "Certificat renouvelé"}"#),
        [200, 200, 200, 200, 403, 403, 403, 404, 401],
    ),
    // The reporter's own answers to a resolution.
    row(
        "POST",
        "/api/v1/tickets/{id}/confirm-resolution",
        Ticket(ResolvedIncident),
        None,
        [403, 403, 403, 403, 403, 403, 200, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/tickets/{id}/reject-resolution",
        Ticket(ResolvedIncident),
        Some(r#"{"reason": "Toujours en panne"}"#),
        [403, 403, 403, 403, 403, 403, 200, 404, 401],
    ),
    // Security handling: security, or a supervisor; the waiver is security's alone.
    row(
        "POST",
        "/api/v1/tickets/{id}/qualify",
        Ticket(AcknowledgedUserUsurpation),
        Some(r#"{"outcome": "confirmed"}"#),
        [403, 403, 200, 200, 403, 403, 403, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/tickets/{id}/organisations-notified",
        Ticket(UserUsurpation),
        Some(r#"{"organisation_id": "{identity_provider}"}"#),
        [403, 403, 200, 200, 403, 403, 403, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/tickets/{id}/concerned-organisations",
        Ticket(UserUsurpation),
        Some(r#"{"organisation_id": "{partner}", "role": "service_provider"}"#),
        [403, 403, 200, 200, 403, 403, 403, 404, 401],
    ),
    // Staff record what the reporter said on the phone.
    row(
        "POST",
        "/api/v1/tickets/{id}/record-reporter-answered",
        Ticket(WaitingIncident),
        Some(r#"{"note": "Réponse par téléphone : Firefox"}"#),
        [200, 200, 200, 200, 403, 403, 403, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/tickets/{id}/record-not-fixed",
        Ticket(ResolvedIncident),
        Some(r#"{"note": "Au téléphone : toujours en panne"}"#),
        [200, 200, 200, 200, 403, 403, 403, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/tickets/{id}/credentials-revoked",
        Ticket(PartnerUsurpation),
        Some(r#"{"note": "Secret client renouvelé"}"#),
        [403, 403, 200, 200, 403, 403, 403, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/tickets/{id}/revocation-waiver",
        Ticket(PartnerUsurpation),
        Some(r#"{"note": "Aucun secret en cause"}"#),
        [403, 403, 200, 403, 403, 403, 403, 404, 401],
    ),
    // Ending a ticket: handlers; reopening: handlers and the reporter.
    row(
        "POST",
        "/api/v1/tickets/{id}/close",
        Ticket(Incident),
        Some(r#"{"reason": "mutual_agreement", "note": "Clôture convenue par téléphone"}"#),
        [200, 200, 200, 200, 403, 403, 403, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/tickets/{id}/reopen",
        Ticket(ClosedIncident),
        Some(r#"{"reason": "Toujours en panne"}"#),
        [200, 200, 200, 200, 403, 403, 200, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/tickets/{id}/cancel",
        Ticket(Incident),
        Some(r#"{"reason": "spam"}"#),
        [200, 200, 200, 200, 403, 403, 403, 404, 401],
    ),
    // The registry: staff read it all, a partner its own organisation; admins change it.
    row(
        "GET",
        "/api/v1/organisations",
        Nothing,
        None,
        [200, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    row(
        "POST",
        "/api/v1/organisations",
        Nothing,
        Some(r#"{"name": "Organisation {n}", "roles": ["service_provider"]}"#),
        [403, 403, 403, 403, 201, 403, 403, 403, 401],
    ),
    row(
        "GET",
        "/api/v1/organisations/{id}",
        PartnerOrganisation,
        None,
        [200, 200, 200, 200, 200, 200, 200, 404, 401],
    ),
    row(
        "PATCH",
        "/api/v1/organisations/{id}",
        Organisation,
        Some(r#"{"roles": ["identity_provider"]}"#),
        [403, 403, 403, 403, 200, 403, 403, 403, 401],
    ),
    row(
        "DELETE",
        "/api/v1/organisations/{id}",
        Organisation,
        None,
        [403, 403, 403, 403, 204, 403, 403, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/organisations/{id}/services",
        Organisation,
        Some(
            r#"{"name": "Portail", "availability": "24/7", "minimum_assurance_level": "substantial"}"#,
        ),
        [403, 403, 403, 403, 201, 403, 403, 403, 401],
    ),
    row(
        "DELETE",
        "/api/v1/organisations/{id}/services/{service_id}",
        Service,
        None,
        [403, 403, 403, 403, 204, 403, 403, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/organisations/{id}/contacts",
        Organisation,
        Some(
            r#"{"name": "Support", "function": "Niveau 2", "email": "support@organisation.example"}"#,
        ),
        [403, 403, 403, 403, 201, 403, 403, 403, 401],
    ),
    row(
        "DELETE",
        "/api/v1/organisations/{id}/contacts/{contact_id}",
        Contact,
        None,
        [403, 403, 403, 403, 204, 403, 403, 403, 401],
    ),
    // The public report: no key needed, a key changes nothing. Each call has its own email
    // address (3 reports per address a day); the 8 calls stay under the 10 per client address.
    row(
        "POST",
        "/api/v1/public/identity-theft-reports",
        Nothing,
        Some(
            r#"{"birth_names": "Martin", "first_names": "Claire", "birth_date": "1980-04-12", "birth_place": "Tours", "email": "usager-{n}@example.fr", "description": "Quelqu'un s'est connecté à mon compte", "consent": true}"#,
        ),
        [201, 201, 201, 201, 201, 201, 201, 201, 201],
    ),
    // API keys: admins only.
    row(
        "GET",
        "/api/v1/api-keys",
        Nothing,
        None,
        [403, 403, 403, 403, 200, 403, 403, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/api-keys",
        Nothing,
        Some(r#"{"name": "spare-{n}", "role": "agent", "machine": true}"#),
        [403, 403, 403, 403, 201, 403, 403, 403, 401],
    ),
    row(
        "GET",
        "/api/v1/api-keys/{id}",
        ApiKey,
        None,
        [403, 403, 403, 403, 200, 403, 403, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/api-keys/{id}/revoke",
        ApiKey,
        None,
        [403, 403, 403, 403, 200, 403, 403, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/api-keys/{id}/rotate",
        ApiKey,
        Some(r#"{"grace_seconds": 60}"#),
        [403, 403, 403, 403, 200, 403, 403, 403, 401],
    ),
    // Webhooks: admins for any organisation, a partner key for its own (404 for another's).
    row(
        "GET",
        "/api/v1/webhooks",
        Nothing,
        None,
        [403, 403, 403, 403, 200, 403, 200, 200, 401],
    ),
    row(
        "POST",
        "/api/v1/webhooks",
        Webhook,
        Some(
            r#"{"url": "http://receiver.test:9/hook-{n}", "event_types": ["created", "action_required"], "organisation_id": "{partner}"}"#,
        ),
        [403, 403, 403, 403, 201, 403, 201, 403, 401],
    ),
    row(
        "GET",
        "/api/v1/webhooks/{id}",
        Webhook,
        None,
        [403, 403, 403, 403, 200, 403, 200, 404, 401],
    ),
    row(
        "PATCH",
        "/api/v1/webhooks/{id}",
        Webhook,
        Some(r#"{"enabled": false}"#),
        [403, 403, 403, 403, 200, 403, 200, 404, 401],
    ),
    row(
        "DELETE",
        "/api/v1/webhooks/{id}",
        Webhook,
        None,
        [403, 403, 403, 403, 204, 403, 204, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/webhooks/{id}/rotate-secret",
        Webhook,
        Some(r#"{"overlap_seconds": 60}"#),
        [403, 403, 403, 403, 200, 403, 200, 404, 401],
    ),
    row(
        "GET",
        "/api/v1/webhooks/{id}/attempts",
        Webhook,
        None,
        [403, 403, 403, 403, 200, 403, 200, 404, 401],
    ),
    row(
        "GET",
        "/api/v1/webhooks/{id}/deliveries",
        Webhook,
        None,
        [403, 403, 403, 403, 200, 403, 200, 404, 401],
    ),
    row(
        "POST",
        "/api/v1/webhooks/{id}/deliveries/{message_id}/redeliver",
        WebhookDelivery,
        None,
        [403, 403, 403, 403, 202, 403, 202, 404, 401],
    ),
    // The change feed: every caller (a partner reads its own tickets' public events).
    row(
        "GET",
        "/api/v1/changes",
        Nothing,
        None,
        [200, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    // The transparency log: any key (hashes and ticket ids only). The harness runs no log, so
    // there is no head to prove against: 404 once the caller is let in (and another partner's
    // ticket is 404 anyway). With a log, see transparency.rs.
    row(
        "GET",
        "/api/v1/transparency/head",
        Nothing,
        None,
        [404, 404, 404, 404, 404, 404, 404, 404, 401],
    ),
    row(
        "GET",
        "/api/v1/transparency/tickets/{id}",
        Ticket(Incident),
        None,
        [404, 404, 404, 404, 404, 404, 404, 404, 401],
    ),
    row(
        "GET",
        "/api/v1/transparency/consistency",
        Nothing,
        None,
        [404, 404, 404, 404, 404, 404, 404, 404, 401],
    ),
    // Quality-of-service reports: supervisors and admins; a partner its own organisation's.
    row(
        "GET",
        "/api/v1/reports/quality",
        Nothing,
        None,
        [403, 403, 403, 200, 200, 403, 200, 200, 401],
    ),
    row(
        "GET",
        "/api/v1/reports/quality/chart",
        Nothing,
        None,
        [403, 403, 403, 200, 200, 403, 200, 200, 401],
    ),
    // The triage desk's queue counts: every caller (a partner counts its own tickets).
    row(
        "GET",
        "/api/v1/queues",
        Nothing,
        None,
        [200, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    // The staff directory: staff read it (to assign), admins manage it.
    row(
        "GET",
        "/api/v1/staff",
        Nothing,
        None,
        [200, 200, 200, 200, 200, 200, 403, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/staff",
        Nothing,
        Some(r#"{"handle": "member-{n}", "email": "member-{n}@staff.example.fr"}"#),
        [403, 403, 403, 403, 201, 403, 403, 403, 401],
    ),
    row(
        "GET",
        "/api/v1/staff/{handle}",
        StaffMember,
        None,
        [200, 200, 200, 200, 200, 200, 403, 403, 401],
    ),
    row(
        "PUT",
        "/api/v1/staff/{handle}",
        StaffMember,
        Some(r#"{"email": "changed-{n}@staff.example.fr"}"#),
        [403, 403, 403, 403, 200, 403, 403, 403, 401],
    ),
    row(
        "DELETE",
        "/api/v1/staff/{handle}",
        StaffMember,
        None,
        [403, 403, 403, 403, 204, 403, 403, 403, 401],
    ),
    // The mail outbox: admins only.
    row(
        "GET",
        "/api/v1/mails",
        Nothing,
        None,
        [403, 403, 403, 403, 200, 403, 403, 403, 401],
    ),
    row(
        "GET",
        "/api/v1/mails/{id}",
        FailedMail,
        None,
        [403, 403, 403, 403, 200, 403, 403, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/mails/{id}/retry",
        FailedMail,
        None,
        [403, 403, 403, 403, 200, 403, 403, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/mails/retry-uncertain",
        Nothing,
        None,
        [403, 403, 403, 403, 200, 403, 403, 403, 401],
    ),
    // Staff sign-in's audit list (issue 30): admins only.
    row(
        "GET",
        "/api/v1/auth-events",
        Nothing,
        None,
        [403, 403, 403, 403, 200, 403, 403, 403, 401],
    ),
    // Privacy: the access journal and data subjects' requests for admin and dpo; legal holds
    // for security, supervisor and dpo (refused by role before the ticket is looked up).
    row(
        "GET",
        "/api/v1/access-journal",
        Nothing,
        None,
        [403, 403, 403, 403, 200, 200, 403, 403, 401],
    ),
    row(
        "GET",
        "/api/v1/access-journal/verification",
        Nothing,
        None,
        [403, 403, 403, 403, 200, 200, 403, 403, 401],
    ),
    row(
        "GET",
        "/api/v1/tickets/{id}/legal-hold",
        HeldTicket,
        None,
        [403, 403, 200, 200, 403, 200, 403, 403, 401],
    ),
    row(
        "PUT",
        "/api/v1/tickets/{id}/legal-hold",
        Ticket(Incident),
        Some(r#"{"reason": "Réquisition judiciaire {n}"}"#),
        [403, 403, 200, 200, 403, 200, 403, 403, 401],
    ),
    row(
        "DELETE",
        "/api/v1/tickets/{id}/legal-hold",
        HeldTicket,
        None,
        [403, 403, 204, 204, 403, 204, 403, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/data-subject-requests/access",
        Nothing,
        Some(r#"{"email": "personne-{n}@example.fr"}"#),
        [403, 403, 403, 403, 200, 200, 403, 403, 401],
    ),
    // Mail in: a gateway key delivers (and does nothing else, see
    // `a_mail_gateway_key_only_delivers_mails`); staff read inbound mails; the triage desk
    // (agent, security, supervisor) attaches, opens or drops a quarantined one.
    row(
        "POST",
        "/api/v1/inbound-mails",
        Nothing,
        Some(RAW_MAIL),
        [403, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    row(
        "GET",
        "/api/v1/inbound-mails",
        Nothing,
        None,
        [200, 200, 200, 200, 200, 200, 403, 403, 401],
    ),
    row(
        "GET",
        "/api/v1/inbound-mails/{id}",
        QuarantinedMail,
        None,
        [200, 200, 200, 200, 200, 200, 403, 403, 401],
    ),
    row(
        "GET",
        "/api/v1/inbound-mails/{id}/raw",
        QuarantinedMail,
        None,
        [200, 200, 200, 200, 200, 200, 403, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/inbound-mails/{id}/attach",
        QuarantinedMail,
        Some(r#"{"ticket_id": "{ticket}"}"#),
        [200, 403, 200, 200, 403, 403, 403, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/inbound-mails/{id}/open",
        QuarantinedMail,
        Some(r#"{"kind": "support_request"}"#),
        [200, 403, 200, 200, 403, 403, 403, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/inbound-mails/{id}/drop",
        QuarantinedMail,
        None,
        [200, 403, 200, 200, 403, 403, 403, 403, 401],
    ),
    row(
        "POST",
        "/api/v1/data-subject-requests/erasure",
        Nothing,
        Some(r#"{"email": "personne-{n}@example.fr"}"#),
        [403, 403, 403, 403, 200, 200, 403, 403, 401],
    ),
];

/// What a row's path parameters are filled with.
#[derive(Debug, Clone)]
struct Target {
    id: Option<String>,
    sub_id: Option<String>,
    ticket: bool,
}

async fn declare(app: &TestApp, path: &str, body: Value) -> String {
    let response = app.post_as(&app.keys.partner, path, &body).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "fixture: {body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Runs a command as `key` on the ticket's current version; it must succeed.
async fn advance(app: &TestApp, key: &str, id: &str, command: &str, body: Value) {
    let (_, etag) = app.ticket(&app.keys.agent, id).await;
    app.command_ok(key, id, command, &etag, &body).await;
}

async fn ticket(app: &TestApp, shape: Shape) -> String {
    let incident = json!({
        "title": "Connexion impossible",
        "started_at": "2026-11-23T08:30:00Z",
        "impact": "Les usagers ne peuvent plus se connecter",
    });
    let agent = app.keys.agent.clone();
    match shape {
        Incident | AcknowledgedIncident | ResolvedIncident | WaitingIncident | ClosedIncident => {
            let id = declare(app, "/api/v1/incidents", incident).await;
            match shape {
                AcknowledgedIncident | ResolvedIncident | WaitingIncident => {
                    advance(app, &agent, &id, "acknowledge", json!({})).await;
                    if shape == ResolvedIncident {
                        let summary = json!({"summary": "Certificat renouvelé"});
                        advance(app, &agent, &id, "resolve", summary).await;
                    }
                    if shape == WaitingIncident {
                        let question = json!({"question": "Quel navigateur ?"});
                        advance(app, &agent, &id, "wait-for-reporter", question).await;
                    }
                }
                ClosedIncident => {
                    let close = json!({"reason": "mutual_agreement", "note": "Convenu"});
                    advance(app, &agent, &id, "close", close).await;
                }
                _ => {}
            }
            id
        }
        UserUsurpation | AcknowledgedUserUsurpation => {
            let report = json!({
                "kind": "user_usurpation",
                "reported_by": "partner",
                "identity_provider_id": app.identity_provider,
                "description": "Connexion suspecte sur le compte d'un usager",
            });
            let id = declare(app, "/api/v1/usurpations", report).await;
            if shape == AcknowledgedUserUsurpation {
                advance(app, &app.keys.security, &id, "acknowledge", json!({})).await;
            }
            id
        }
        PartnerUsurpation => {
            let report = json!({
                "kind": "partner_usurpation",
                "title": "Secret client divulgué",
                "detected_by": "partner",
                "vectors": ["leaked_client_secret"],
                "description": "Le secret client a été publié par erreur",
            });
            declare(app, "/api/v1/usurpations", report).await
        }
    }
}

async fn organisation(app: &TestApp, n: usize) -> OrganisationId {
    let new = NewOrganisation {
        name: Text::parse("name", &format!("Fixture {n}"), 200).unwrap(),
        roles: vec![OrganisationRole::ServiceProvider],
    };
    app.store
        .create_organisation(new, start_instant())
        .await
        .unwrap()
        .id
}

async fn prepare(app: &TestApp, fixture: Fixture, n: usize) -> Target {
    let target = |id: String, sub_id: Option<String>| Target {
        id: Some(id),
        sub_id,
        ticket: false,
    };
    match fixture {
        Nothing => Target {
            id: None,
            sub_id: None,
            ticket: false,
        },
        Ticket(shape) => Target {
            id: Some(ticket(app, shape).await),
            sub_id: None,
            ticket: true,
        },
        PartnerOrganisation => target(app.partner.to_string(), None),
        Organisation => target(organisation(app, n).await.to_string(), None),
        Service => {
            let id = organisation(app, n).await;
            let new = NewService {
                name: Text::parse("name", "Portail", 200).unwrap(),
                availability: Text::parse("availability", "24/7", 200).unwrap(),
                max_unavailability_seconds: None,
                minimum_assurance_level: AssuranceLevel::None,
            };
            let service = app
                .store
                .add_service(id, new, start_instant())
                .await
                .unwrap();
            target(id.to_string(), Some(service.id.to_string()))
        }
        Contact => {
            let id = organisation(app, n).await;
            let new = NewContact {
                name: Text::parse("name", "Support", 200).unwrap(),
                function: Text::parse("function", "Niveau 2", 200).unwrap(),
                email: EmailAddress::parse("email", "support@organisation.example").unwrap(),
                phone: None,
            };
            let contact = app
                .store
                .add_contact(id, new, start_instant())
                .await
                .unwrap();
            target(id.to_string(), Some(contact.id.to_string()))
        }
        ApiKey => {
            let (key, _) = app
                .store
                .create_api_key(
                    &format!("spare-fixture-{n}"),
                    KeyScope::Staff { role: Role::Agent },
                    start_instant(),
                )
                .await
                .unwrap();
            target(key.id.to_string(), None)
        }
        FailedMail => target(failed_mail(app).await.to_string(), None),
        StaffMember => {
            let handle = StaffHandle::parse("handle", &format!("fixture-{n}")).unwrap();
            let email =
                EmailAddress::parse("email", &format!("fixture-{n}@staff.example.fr")).unwrap();
            app.store
                .add_staff_member(&handle, &email, start_instant())
                .await
                .unwrap();
            target(handle.to_string(), None)
        }
        HeldTicket => {
            let id = ticket(app, Incident).await;
            let ticket_id = ticket_domain::values::TicketId(id.parse().unwrap());
            let security = ticket_domain::Actor::staff(
                ticket_domain::values::StaffHandle::sanitised("security"),
                Role::Security,
            );
            app.store
                .set_legal_hold(ticket_id, &security, None, "Enquête", start_instant())
                .await
                .unwrap();
            target(id, None)
        }
        Attachment => {
            let id = ticket(app, Incident).await;
            let response = app
                .upload(&app.keys.partner, &id, &[("log.txt", b"login ok\n")], None)
                .await;
            assert_eq!(response.status(), 201, "fixture");
            let body: Value = response.json().await.unwrap();
            let attachment = body["items"][0]["id"].as_str().unwrap().to_owned();
            target(id, Some(attachment))
        }
        QuarantinedMail => {
            let ticket = ticket(app, Incident).await;
            let raw = raw_mail(n);
            let mail = ticket_store::inbound::NewInboundMail {
                message_id: format!(
                    "<authz-fixture-{n}-{}@ailleurs.example>",
                    uuid::Uuid::new_v4()
                ),
                sha256: "0".repeat(64),
                source: "pipe".to_owned(),
                sender: Some(format!("inconnu-{n}@ailleurs.example")),
                subject: Some(format!("Question {n}")),
                raw,
                attachments: json!([]),
            };
            let landing = ticket_store::inbound::Landing::Quarantine {
                reason: "unknown sender".to_owned(),
                ticket: None,
            };
            let received = app
                .store
                .receive_mail(mail, landing, start_instant(), &Default::default())
                .await
                .unwrap();
            let ticket_store::inbound::Received::Stored(mail) = received else {
                panic!("fixture: the mail was taken for a duplicate");
            };
            target(mail.id.to_string(), Some(ticket))
        }
        Webhook => target(webhook(app, n).await.to_string(), None),
        WebhookDelivery => {
            let endpoint = webhook(app, n).await;
            ticket(app, Incident).await;
            let delivery = app
                .store
                .webhook_deliveries(endpoint, 1)
                .await
                .unwrap()
                .pop()
                .expect("fixture: the declaration's delivery");
            target(
                endpoint.to_string(),
                Some(ticket_store::webhooks::message_id(delivery.event_id)),
            )
        }
    }
}

/// A fresh webhook endpoint of `partner` (the earlier fixtures' deleted), subscribed to `created`.
async fn webhook(app: &TestApp, n: usize) -> uuid::Uuid {
    for endpoint in app
        .store
        .list_webhook_endpoints(Some(app.partner))
        .await
        .unwrap()
    {
        app.store
            .delete_webhook_endpoint(endpoint.id, endpoint.version)
            .await
            .unwrap();
    }
    let (endpoint, _) = app
        .store
        .create_webhook_endpoint(
            ticket_store::webhooks::NewEndpoint {
                organisation: app.partner,
                url: format!("http://receiver.test:9/fixture-{n}"),
                event_types: vec!["created".to_owned()],
            },
            start_instant(),
        )
        .await
        .unwrap();
    endpoint.id
}

/// Declares a ticket and fails its first mail, as a dispatcher would after a permanent refusal.
pub async fn failed_mail(app: &TestApp) -> uuid::Uuid {
    let body = json!({"title": "Panne", "started_at": "2026-11-23T08:00:00Z", "impact": "x"});
    let response = app
        .post_as(&app.keys.partner, "/api/v1/incidents", &body)
        .await;
    assert_eq!(response.status(), 201);
    let claimed = app
        .store
        .claim_outbox(
            "test-worker",
            start_instant(),
            chrono::TimeDelta::minutes(5),
            1,
        )
        .await
        .unwrap();
    let mail = claimed[0].mail.id;
    assert!(
        app.store
            .settle_outbox(
                mail,
                "test-worker",
                ticket_store::outbox::Settlement::Failed {
                    error: "550 mailbox unavailable",
                    at: ticket_store::clock::Clock::now(&app.clock),
                    policy: &ticket_domain::Policy::default(),
                }
            )
            .await
            .unwrap()
    );
    mail
}

async fn call(app: &TestApp, row: &Row, target: &Target, key: Option<&str>, n: usize) -> u16 {
    let mut path = row.path.to_owned();
    for (placeholder, value) in [
        ("{id}", &target.id),
        ("{handle}", &target.id),
        ("{service_id}", &target.sub_id),
        ("{contact_id}", &target.sub_id),
        ("{attachment_id}", &target.sub_id),
        ("{message_id}", &target.sub_id),
    ] {
        if path.contains(placeholder) {
            let value = value.as_deref().unwrap_or_else(|| {
                panic!(
                    "{} {}: the fixture fills no {placeholder}",
                    row.method, row.path
                )
            });
            path = path.replace(placeholder, value);
        }
    }
    // Operations whose query has required parameters get a valid one.
    if let Some((_, query)) = QUERIES.iter().find(|(p, _)| *p == row.path) {
        path.push_str(query);
    }
    let method = Method::from_bytes(row.method.as_bytes()).unwrap();
    let mut request = app.client.request(method, app.url(&path));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if target.ticket && row.method != "GET" {
        let id = target.id.as_deref().unwrap_or_default();
        let (_, etag) = app.ticket(&app.keys.agent, id).await;
        request = request.header("If-Match", etag);
    }
    // A webhook fixture is at version 1.
    if row.path.starts_with("/api/v1/webhooks/{id}") && ["PATCH", "DELETE"].contains(&row.method)
        || row.path.ends_with("/rotate-secret")
    {
        request = request.header("If-Match", "\"1\"");
    }
    if row.body == Some(MULTIPART) {
        let (content_type, body) =
            crate::attachments::multipart(&[("log.txt", b"login ok\n")], None);
        request = request.header("Content-Type", content_type).body(body);
    } else if row.body == Some(RAW_MAIL) {
        request = request.header("Content-Type", RAW_MAIL).body(raw_mail(n));
    } else if let Some(body) = row.body {
        let body = body
            .replace("{ticket}", target.sub_id.as_deref().unwrap_or_default())
            .replace("{partner}", &app.partner.to_string())
            .replace("{identity_provider}", &app.identity_provider.to_string())
            .replace("{n}", &n.to_string());
        let body: Value = serde_json::from_str(&body).unwrap();
        request = request.json(&body);
    }
    request.send().await.unwrap().status().as_u16()
}

/// The (method, path) of every operation of the served OpenAPI document.
async fn served_operations(app: &TestApp) -> BTreeSet<(String, String)> {
    let spec: Value = app.get_openapi().await.json().await.unwrap();
    let mut operations = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if [
                "get", "put", "post", "patch", "delete", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_every_caller_as_the_table_says() {
    let app = spawn_app().await;

    let served = served_operations(&app).await;
    let rows: BTreeSet<(String, String)> = TABLE
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(rows.len(), TABLE.len(), "an operation has two rows");
    let missing: Vec<_> = served.difference(&rows).collect();
    assert!(
        missing.is_empty(),
        "operations without a row in the authorisation table (tests/e2e/authz.rs): {missing:?}"
    );
    let stale: Vec<_> = rows.difference(&served).collect();
    assert!(
        stale.is_empty(),
        "rows for operations that are not served: {stale:?}"
    );

    let keys = app.keys.clone();
    let callers: [Option<&str>; 9] = [
        Some(&keys.agent),
        Some(&keys.engineer),
        Some(&keys.security),
        Some(&keys.supervisor),
        Some(&keys.admin),
        Some(&keys.dpo),
        Some(&keys.partner),
        Some(&keys.other_partner),
        None,
    ];
    let mut n = 0;
    let mut failures = Vec::new();
    for row in TABLE {
        n += 1;
        let mut target = prepare(&app, row.fixture, n).await;
        for ((caller, key), expected) in CALLERS.iter().zip(callers).zip(row.expect) {
            n += 1;
            let status = call(&app, row, &target, key, n).await;
            if status != expected {
                failures.push(format!(
                    "{} {} as {caller}: expected {expected}, got {status}",
                    row.method, row.path
                ));
            }
            if (200..300).contains(&status) {
                n += 1;
                target = prepare(&app, row.fixture, n).await;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A mail gateway key (role `mail_gateway`) delivers mails and may call nothing else: 403 on every
/// operation that needs a key (public ones answer it as they answer anyone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_gateway_key_only_delivers_mails() {
    let app = spawn_app().await;
    let (_, gateway) = app
        .store
        .create_api_key("mx", KeyScope::MailGateway, start_instant())
        .await
        .unwrap();
    let mut n = 100_000;
    let mut failures = Vec::new();
    for row in TABLE {
        n += 1;
        let target = prepare(&app, row.fixture, n).await;
        let no_key = row.expect[8];
        let expected = if row.method == "POST" && row.path == "/api/v1/inbound-mails" {
            201
        } else if no_key == 401 {
            403
        } else {
            no_key
        };
        n += 1;
        let status = call(&app, row, &target, Some(&gateway), n).await;
        if status != expected {
            failures.push(format!(
                "{} {} as mail_gateway: expected {expected}, got {status}",
                row.method, row.path
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
