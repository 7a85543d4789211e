//! Opening a ticket (rules "Ticket kinds", "Priorities", "Clocks", "Notifications") and following
//! up a closed one.

use super::Decision;
use super::change::Change;
use crate::actor::{Actor, Permission};
use crate::clock::SlaClock;
use crate::escalation::Tier;
use crate::event::{EventData, Visibility};
use crate::kind::{Detector, KindData, UserUsurpationData, UsurpationReporter};
use crate::notify::Language;
use crate::policy::Policy;
use crate::priority::Priority;
use crate::refusal::{Refusal, Rule};
use crate::ticket::{
    ConcernedOrganisation, ConcernedRole, Link, LinkKind, Reference, Reporter, ReporterOrigin,
    State, Ticket,
};
use crate::values::{EmailAddress, FieldError, OrganisationId, Text, TicketId};
use chrono::{DateTime, TimeDelta, Utc};

/// What is needed to open a ticket. The store supplies the id and the reference number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    pub id: TicketId,
    pub reference_number: u32,
    pub title: Text,
    pub data: KindData,
    /// The partner the ticket affects. For a partner actor, its own organisation (the default).
    pub organisation: Option<OrganisationId>,
    pub reporter_email: Option<EmailAddress>,
    pub language: Language,
    pub proposed_priority: Option<Priority>,
    /// Opened because a closed ticket could no longer be reopened.
    pub follow_up_of: Option<TicketId>,
    /// Other reports with the same session id (user usurpation): linked, not duplicated.
    pub same_session_as: Vec<TicketId>,
}

/// How far in the future an instant given by a reporter may be, for clock skew.
const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// Opens a ticket (rules "Ticket kinds", "Priorities", "Clocks", "Notifications").
pub fn open(
    new: NewTicket,
    actor: &Actor,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Decision, Refusal> {
    if !actor.may(Permission::Declare) && actor != &Actor::PublicReporter {
        return Err(Refusal::new(
            Rule::RoleNotAllowed,
            format!("{} may not open tickets", actor.describe()),
        ));
    }
    let organisation = check_declaration(&new, actor, now, policy)?;
    let security_case = new.data.is_security_case();
    let priority = if security_case {
        Priority::Critique
    } else if matches!(new.data, KindData::SupportRequest(_)) {
        new.proposed_priority.unwrap_or(Priority::Info)
    } else {
        new.proposed_priority.unwrap_or(Priority::Normale)
    };
    let origin = reporter_origin(actor);
    let concerned = concerned_organisations(&new.data, now);
    let tier = Tier::initial(security_case);
    let links = opening_links(&new);
    let ticket = Ticket {
        id: new.id,
        reference: Reference::new(new.data.kind(), now, new.reference_number),
        title: new.title.clone(),
        organisation,
        reporter: Reporter {
            origin,
            email: new.reporter_email,
            language: new.language,
        },
        state: State::New,
        proposed_priority: new.proposed_priority,
        priority,
        tier,
        assignee: None,
        created_at: now,
        updated_at: now,
        acknowledged_at: None,
        acknowledgement_clock: SlaClock::started(now),
        handling_clock: SlaClock::started(now),
        waiting_since: None,
        reminders_sent: 0,
        resolution: None,
        confirmation: None,
        closure: None,
        cancellation: None,
        concerned,
        credentials: None,
        links: links.clone(),
        last_reminder_at: None,
        last_reminder_delivered_at: None,
        data: new.data,
    };
    let mut change = Change::new(ticket, actor.clone(), now, policy);
    change.record(
        Visibility::Public,
        None,
        EventData::Created {
            kind: change.ticket.kind(),
            title: new.title,
            priority,
            proposed_priority: new.proposed_priority,
            tier,
        },
    );
    for link in links {
        change.record(
            Visibility::Internal,
            None,
            EventData::Linked {
                ticket: link.ticket,
                link: link.kind,
            },
        );
    }
    Ok(change.finish())
}

/// Who opened the ticket, as its reporter.
fn reporter_origin(actor: &Actor) -> ReporterOrigin {
    match actor {
        Actor::Staff { handle, .. } => ReporterOrigin::Staff {
            handle: handle.clone(),
        },
        Actor::Partner { organisation, .. } => ReporterOrigin::Partner {
            organisation: *organisation,
        },
        Actor::PublicReporter | Actor::System => ReporterOrigin::Public,
    }
}

/// The links a new ticket starts with: reports of the same session, and the ticket it follows up.
fn opening_links(new: &NewTicket) -> Vec<Link> {
    let mut links: Vec<Link> = new
        .same_session_as
        .iter()
        .filter(|id| **id != new.id)
        .map(|id| Link {
            ticket: *id,
            kind: LinkKind::SameSession,
        })
        .collect();
    links.dedup();
    if let Some(previous) = new.follow_up_of {
        links.push(Link {
            ticket: previous,
            kind: LinkKind::FollowUpOf,
        });
    }
    links
}

/// Who may declare what, and the kind-specific checks. Returns the organisation the ticket affects.
fn check_declaration(
    new: &NewTicket,
    actor: &Actor,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Option<OrganisationId>, Refusal> {
    let mut errors = Vec::new();
    let scope = |detail: &str| Refusal::new(Rule::PartnerScope, detail.to_owned());
    let organisation = match actor {
        Actor::Partner { organisation, .. } => {
            if new.organisation.is_some_and(|o| o != *organisation) {
                return Err(scope("a partner declares only for its own organisation"));
            }
            Some(*organisation)
        }
        _ => new.organisation,
    };
    match (&new.data, actor) {
        (_, Actor::PublicReporter) if !matches!(&new.data, KindData::UserUsurpation(d) if d.reported_by == UsurpationReporter::User) =>
        {
            return Err(Refusal::new(
                Rule::RoleNotAllowed,
                "the public may only report the usurpation of their own identity",
            ));
        }
        (KindData::Incident(incident), _) => {
            if let (
                Actor::Partner {
                    organisation: own, ..
                },
                Some(service),
            ) = (actor, &incident.service)
                && service.organisation != *own
            {
                return Err(scope(
                    "a partner declares incidents only on its own services",
                ));
            }
            if incident.started_at > now + CLOCK_SKEW {
                errors.push(FieldError::new(
                    "started_at",
                    "not_in_future",
                    "must not be in the future",
                ));
            }
        }
        (
            KindData::PartnerUsurpation(data),
            Actor::Partner {
                organisation: own, ..
            },
        ) => {
            if data.detected_by != Detector::Partner {
                errors.push(FieldError::new(
                    "detected_by",
                    "partner_reports_as_partner",
                    "a partner's own report is detected_by \"partner\"",
                ));
            }
            if data.partner != *own {
                return Err(scope(
                    "a partner reports only the usurpation of its own organisation",
                ));
            }
        }
        (KindData::UserUsurpation(data), _) => {
            check_user_usurpation(data, actor, now, policy, &mut errors)?;
        }
        _ => {}
    }
    if errors.is_empty() {
        Ok(organisation)
    } else {
        Err(Refusal::invalid(errors))
    }
}

/// A user usurpation report: who reports it, a traceable connection date, and from the public form,
/// consent and an address to follow the report. Field errors are added to `errors`.
fn check_user_usurpation(
    data: &UserUsurpationData,
    actor: &Actor,
    now: DateTime<Utc>,
    policy: &Policy,
    errors: &mut Vec<FieldError>,
) -> Result<(), Refusal> {
    let expected = match actor {
        Actor::Partner { .. } => Some(UsurpationReporter::Partner),
        Actor::PublicReporter => Some(UsurpationReporter::User),
        _ => None,
    };
    if expected.is_some_and(|e| e != data.reported_by) {
        errors.push(FieldError::new(
            "reported_by",
            "reporter_matches_actor",
            "reported_by must say who is reporting: \"partner\" for a partner, \"user\" for the public form",
        ));
    }
    if let Some(at) = data.suspicious_connection_at
        && (at > now + CLOCK_SKEW || at < policy.oldest_traceable_connection(now))
    {
        return Err(Refusal {
            rule: Rule::ConnectionDateOutOfRange,
            detail: format!(
                "the suspicious connection must be within the last {} months: older traces no longer exist",
                policy.connection_trace_months
            ),
            errors: vec![FieldError::new(
                "suspicious_connection_at",
                "within_trace_retention",
                format!(
                    "must be between {} months ago and now",
                    policy.connection_trace_months
                ),
            )],
        });
    }
    if data.reported_by == UsurpationReporter::User {
        if !data.consent {
            errors.push(FieldError::new(
                "consent",
                "required",
                "the reporter's consent is required",
            ));
        }
        if data.contact.email.is_none() {
            errors.push(FieldError::new(
                "contact.email",
                "required",
                "an email address is required to receive the reference and follow the report",
            ));
        }
    }
    Ok(())
}

/// Organisations that must be notified before a usurpation case closes.
fn concerned_organisations(data: &KindData, now: DateTime<Utc>) -> Vec<ConcernedOrganisation> {
    match data {
        KindData::UserUsurpation(d) => {
            let mut list: Vec<ConcernedOrganisation> = d
                .identity_provider
                .iter()
                .map(|o| (*o, ConcernedRole::IdentityProvider))
                .chain(
                    d.service_providers
                        .iter()
                        .map(|o| (*o, ConcernedRole::ServiceProvider)),
                )
                .map(|(organisation, role)| ConcernedOrganisation {
                    organisation,
                    role,
                    notified_at: None,
                })
                .collect();
            // A set: an organisation named twice is concerned once, in its first role.
            let mut seen = std::collections::HashSet::new();
            list.retain(|c| seen.insert(c.organisation));
            list
        }
        // The impersonated partner that reported it knows; one detected by the operator is told by
        // mail, and is notified once the mail server accepted that mail.
        KindData::PartnerUsurpation(d) => vec![ConcernedOrganisation {
            organisation: d.partner,
            role: ConcernedRole::ImpersonatedPartner,
            notified_at: (d.detected_by == Detector::Partner).then_some(now),
        }],
        _ => Vec::new(),
    }
}

/// Whether a closed ticket may be followed up by a new one (rule "Lifecycle"): only once it is
/// closed and its reopen window has passed; before that it is reopened.
pub fn check_follow_up(
    previous: &Ticket,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(), Refusal> {
    let refuse = |detail: String| {
        Err(Refusal {
            rule: Rule::FollowUpNotAllowed,
            detail: detail.clone(),
            errors: vec![FieldError::new(
                "follow_up_of",
                "closed_past_reopen_window",
                detail,
            )],
        })
    };
    if previous.state != State::Closed {
        return refuse(format!(
            "ticket {} is {}: only a closed ticket is followed up by a new one",
            previous.reference, previous.state
        ));
    }
    let closed_at = previous
        .closure
        .as_ref()
        .map_or(previous.updated_at, |c| c.at);
    if now - closed_at <= TimeDelta::days(i64::from(policy.reopen_window_days)) {
        return refuse(format!(
            "ticket {} was closed less than {} days ago: reopen it instead",
            previous.reference, policy.reopen_window_days
        ));
    }
    Ok(())
}
