//! The rules as an operator reads them.

use chrono::TimeDelta;
use ticket_domain::clock::{ClockKind, Phase};
use ticket_domain::escalation::Tier;
use ticket_domain::kind::{Detector, Qualification, UsurpationReporter};
use ticket_domain::notify::{Recipient, Template};
use ticket_domain::priority::Owner;
use ticket_domain::refusal::Rule;
use ticket_domain::testkit::*;
use ticket_domain::ticket::{Cancellation, LinkKind};
use ticket_domain::{
    ClosureReason, Command, Policy, Priority, Role, State, clock_status, next_due, sweep,
};

use super::{MONDAY_10H_PARIS, close, closed_ticket, resolved};

fn with_service(
    mut new: ticket_domain::NewTicket,
    seconds: i64,
    availability: &str,
) -> ticket_domain::NewTicket {
    if let ticket_domain::KindData::Incident(i) = &mut new.data {
        let service = i.service.as_mut().unwrap();
        service.max_unavailability_seconds = Some(seconds);
        service.availability = Some(availability.to_owned());
    }
    new
}

#[test]
fn alarms_the_75_percent_warning_tells_the_assignee_or_the_tier_team_mailbox() {
    let policy = Policy::default();
    // Nobody assigned: the agents' team mailbox hears of the acknowledgement warning.
    let t = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let d = sweep(&t, next_due(&t, &policy).unwrap(), &policy).unwrap();
    assert_eq!(event_types(&d), ["sla_warning"]);
    assert!(has_mail(
        &d,
        Template::SlaWarning,
        Recipient::TierTeam(Tier::Agent)
    ));
    // Assigned: the assignee hears of the handling warning.
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let d = sweep(&t, next_due(&t, &policy).unwrap(), &policy).unwrap();
    assert_eq!(event_types(&d), ["sla_warning"]);
    assert!(has_mail(&d, Template::SlaWarning, Recipient::Assignee));
    assert!(!has_mail(
        &d,
        Template::SlaWarning,
        Recipient::TierTeam(Tier::Agent)
    ));
}

#[test]
fn alarms_a_breach_tells_the_owners_of_its_priority_whatever_the_tier() {
    let policy = Policy::default();
    let sec = staff(Role::Security);
    let t = open_as(
        &partner(PARTNER),
        incident(true, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    // Already at the top tier: a breach cannot escalate, and still tells the owners.
    let t = apply(
        &t,
        Command::Escalate {
            reason: text("fuite"),
        },
        &sec,
        MONDAY_10H_PARIS,
    )
    .ticket;
    assert_eq!(t.tier, Tier::Supervisor);
    let d = sweep(&t, at("2026-11-23T14:00:00Z"), &policy).unwrap();
    assert_eq!(event_types(&d), ["sla_warning", "sla_breached"]);
    for owner in [Owner::ProductionLead, Owner::ProductLead] {
        assert!(has_mail(&d, Template::SlaBreach, Recipient::Owner(owner)));
    }
    // Once per clock: the acknowledgement breach is not told again.
    assert!(sweep(&d.ticket, at("2026-11-23T15:00:00Z"), &policy).is_none());
}

#[test]
fn alarms_never_fire_on_a_stopped_clock_and_a_priority_change_fires_each_alarm_at_most_once() {
    let policy = Policy::default();
    let agent = staff(Role::Agent);
    let mut t = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    // The acknowledgement clock breaches (escalated to the engineers)…
    let breached_at = at("2026-11-25T09:00:00Z");
    while let Some(due) = next_due(&t, &policy).filter(|d| *d <= breached_at) {
        t = sweep(&t, due, &policy).unwrap().ticket;
    }
    assert!(t.acknowledgement_clock.breach_fired);
    assert_eq!(t.tier, Tier::Engineer);
    // …is acknowledged late, and the priority is lowered: nothing fires again.
    let later = "2026-11-25T10:00:00Z";
    t = apply(&t, Command::Acknowledge { note: None }, &agent, later).ticket;
    let d = apply(
        &t,
        Command::SetPriority {
            priority: Priority::Mineure,
            reason: text("contourné"),
        },
        &agent,
        later,
    );
    assert!(mails(&d).iter().all(|n| n.template != Template::Escalation));
    t = d.ticket;
    assert!(sweep(&t, at(later) + TimeDelta::seconds(1), &policy).is_none());
    assert_eq!(t.tier, Tier::Engineer);
    // Raised to priority 1, the running handling clock is measured against 2 days 24/7: its
    // warning and breach fire once each, at once.
    let d = apply(
        &t,
        Command::SetPriority {
            priority: Priority::Critique,
            reason: text("aggravé"),
        },
        &agent,
        "2026-11-25T10:00:01Z",
    );
    let d = sweep(&d.ticket, at("2026-11-25T10:00:02Z"), &policy).unwrap();
    assert_eq!(
        event_types(&d),
        ["sla_warning", "sla_breached", "escalated"]
    );
    assert!(sweep(&d.ticket, at("2026-11-26T10:00:00Z"), &policy).is_none());
    // A stopped clock raises nothing, even when a new target would put it past its deadline.
    assert_eq!(d.ticket.acknowledgement_clock.phase(), Phase::Stopped);
}

#[test]
fn priorities_a_services_maximum_unavailability_counts_on_its_own_availability_window() {
    let policy = Policy::default();
    // Friday 27 November 2026, 17:00 Paris.
    let friday = "2026-11-27T16:00:00Z";
    let deadline = |new| {
        let t = open_as(&partner(PARTNER), new, friday).ticket;
        clock_status(&t, ClockKind::Handling, &policy, at(friday)).deadline
    };
    // Down at most 48 h on a 24/7 service: 48 elapsed hours, not the table's 5 working days.
    let new = with_service(incident(false, friday), 48 * 3600, "24/7");
    assert_eq!(deadline(new), Some(at("2026-11-29T16:00:00Z")));
    // 4 h on a 24/7 service: Friday 21:00 Paris, not Monday 12:30.
    let new = with_service(incident(false, friday), 4 * 3600, "24h/24, 7j/7");
    assert_eq!(deadline(new), Some(at("2026-11-27T20:00:00Z")));
    // 4 h on an office-hours service: its own hours (Friday 1 h, Monday 3 h).
    let new = with_service(incident(false, friday), 4 * 3600, "heures ouvrées");
    assert_eq!(deadline(new), Some(at("2026-11-30T11:30:00Z")));
    // 10 days 24/7 is longer than the table's 5 working days: the table's deadline wins.
    let new = with_service(incident(false, friday), 10 * 86_400, "24/7");
    let table = deadline(incident(false, friday));
    assert_eq!(deadline(new), table);
}

#[test]
fn kinds_the_organisations_concerned_are_a_set_and_security_adds_one_found_during_the_investigation()
 {
    let sec = staff(Role::Security);
    let mut new = user_usurpation(UsurpationReporter::Operator, "2026-11-20T09:00:00Z");
    if let ticket_domain::KindData::UserUsurpation(d) = &mut new.data {
        d.service_providers = vec![org(SP1), org(SP2), org(SP1)];
    }
    let t = open_as(&sec, new, MONDAY_10H_PARIS).ticket;
    assert_eq!(t.concerned.len(), 3, "IdP, SP1 and SP2, each once");
    let t = apply(
        &t,
        Command::Acknowledge { note: None },
        &sec,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let d = apply(
        &t,
        Command::Qualify {
            qualification: Qualification::Confirmed,
        },
        &sec,
        MONDAY_10H_PARIS,
    );
    let t = deliver_mails(&d, MONDAY_10H_PARIS);
    assert!(t.concerned.iter().all(|c| c.notified_at.is_some()));
    // Found during the investigation: added, told by mail, and needed before closure.
    let found = org(13);
    let add = Command::AddConcernedOrganisation {
        organisation: found,
        role: ticket_domain::ticket::ConcernedRole::ServiceProvider,
    };
    assert_eq!(
        refuse(&t, add.clone(), &staff(Role::Agent), MONDAY_10H_PARIS).rule,
        Rule::SecurityRoleRequired
    );
    let d = apply(&t, add.clone(), &sec, MONDAY_10H_PARIS);
    assert_eq!(event_types(&d), ["organisation_concerned"]);
    assert!(has_mail(
        &d,
        Template::UsurpationConfirmed,
        Recipient::OrganisationContacts(found)
    ));
    let agreed = close(ClosureReason::MutualAgreement, Some("accord"));
    assert_eq!(
        refuse(&d.ticket, agreed.clone(), &sec, MONDAY_10H_PARIS).rule,
        Rule::OrganisationsNotNotified
    );
    assert_eq!(
        refuse(&d.ticket, add, &sec, MONDAY_10H_PARIS).rule,
        Rule::InvalidInput,
        "an organisation is concerned once"
    );
    let t = deliver_mails(&d, MONDAY_10H_PARIS);
    apply(&t, agreed, &sec, MONDAY_10H_PARIS);
}

#[test]
fn closure_notified_means_the_mail_server_accepted_the_mail_not_that_it_was_queued() {
    let agent = staff(Role::Agent);
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let resolved = apply(
        &t,
        Command::Resolve {
            summary: text("corrigé"),
        },
        &agent,
        "2026-11-23T10:00:00Z",
    );
    let by_operator = close(ClosureReason::ResolvedByOperator, None);
    // Queued (or failed, or uncertain): condition 4 unmet, and the refusal says why.
    let refusal = refuse(
        &resolved.ticket,
        by_operator.clone(),
        &agent,
        "2026-11-23T10:00:01Z",
    );
    assert_eq!(refusal.rule, Rule::ClosureConditionUnmet);
    assert!(
        refusal
            .detail
            .contains("not been accepted by the mail server"),
        "{}",
        refusal.detail
    );
    let delivered = |event_at: &str, actor: &ticket_domain::Actor| {
        ticket_domain::decide(
            &resolved.ticket,
            Command::RecordMailDelivered {
                template: Template::ResolutionConfirmationRequest,
                recipient: Recipient::Reporter,
                event_at: at(event_at),
                delivered_at: at("2026-11-23T11:00:00Z"),
            },
            actor,
            at("2026-11-23T11:00:00Z"),
            &Policy::default(),
        )
    };
    // Only the system records a delivery; a mail about an earlier resolution proves nothing.
    assert!(delivered("2026-11-23T10:00:00Z", &agent).is_err());
    let stale = delivered("2026-11-23T09:00:00Z", &ticket_domain::Actor::System).unwrap();
    assert!(stale.records.is_empty());
    let d = delivered("2026-11-23T10:00:00Z", &ticket_domain::Actor::System).unwrap();
    assert_eq!(event_types(&d), ["mail_delivered"]);
    assert!(mails(&d).is_empty(), "nobody is mailed that a mail arrived");
    apply(&d.ticket, by_operator, &agent, "2026-11-23T11:00:01Z");
    // A partner impersonation detected by the operator: the partner is notified once its mail
    // was accepted.
    let sec = staff(Role::Security);
    let opened = open_as(
        &sec,
        partner_usurpation(Detector::Operator),
        MONDAY_10H_PARIS,
    );
    assert!(
        opened
            .ticket
            .concerned
            .iter()
            .all(|c| c.notified_at.is_none())
    );
    let t = deliver_mails(&opened, MONDAY_10H_PARIS);
    assert!(t.concerned.iter().all(|c| c.notified_at.is_some()));
}

#[test]
fn lifecycle_staff_record_an_answer_by_another_channel_and_a_spoken_not_fixed() {
    let policy = Policy::default();
    let agent = staff(Role::Agent);
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let t = apply(
        &t,
        Command::WaitForReporter {
            question: text("Quel navigateur ?"),
        },
        &agent,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let d = apply(
        &t,
        Command::RecordReporterAnswered {
            note: text("Réponse par téléphone : Firefox"),
        },
        &agent,
        "2026-11-24T09:00:00Z",
    );
    assert_eq!(d.ticket.state, State::InProgress);
    assert_eq!(event_types(&d), ["reporter_answered"]);
    assert_eq!(d.ticket.handling_clock.phase(), Phase::Running);
    assert_eq!(
        clock_status(
            &d.ticket,
            ClockKind::Handling,
            &policy,
            at("2026-11-24T09:00:00Z")
        )
        .used,
        TimeDelta::zero(),
        "the day spent waiting does not count"
    );
    assert!(matches!(
        d.records[0].event.actor,
        ticket_domain::Actor::Staff { .. }
    ));
    let resolved = apply(
        &d.ticket,
        Command::Resolve {
            summary: text("corrigé"),
        },
        &agent,
        "2026-11-24T10:00:00Z",
    )
    .ticket;
    let d = apply(
        &resolved,
        Command::RecordNotFixed {
            note: text("Au téléphone : toujours en panne"),
        },
        &agent,
        "2026-11-24T11:00:00Z",
    );
    assert_eq!(d.ticket.state, State::InProgress);
    assert_eq!(event_types(&d), ["resolution_rejected"]);
    assert!(d.ticket.resolution.is_none());
    assert_eq!(d.ticket.handling_clock.phase(), Phase::Running);
    // A partner uses its own commands, not the staff's record.
    assert_eq!(
        refuse(
            &resolved,
            Command::RecordNotFixed { note: text("non") },
            &partner(PARTNER),
            "2026-11-24T11:00:00Z"
        )
        .rule,
        Rule::RoleNotAllowed
    );
}

#[test]
fn actors_only_security_and_supervisor_act_on_security_cases() {
    let cases = [
        open_as(
            &partner(PARTNER),
            incident(true, MONDAY_10H_PARIS),
            MONDAY_10H_PARIS,
        )
        .ticket,
        open_as(
            &partner(PARTNER),
            partner_usurpation(Detector::Partner),
            MONDAY_10H_PARIS,
        )
        .ticket,
        open_as(
            &ticket_domain::Actor::PublicReporter,
            user_usurpation(UsurpationReporter::User, "2026-11-20T09:00:00Z"),
            MONDAY_10H_PARIS,
        )
        .ticket,
    ];
    for t in cases {
        let acknowledged = apply(
            &t,
            Command::Acknowledge { note: None },
            &staff(Role::Supervisor),
            MONDAY_10H_PARIS,
        )
        .ticket;
        for role in [Role::Agent, Role::Engineer] {
            let who = staff(role);
            let refused = [
                (&t, Command::Acknowledge { note: None }),
                (&acknowledged, Command::Escalate { reason: text("?") }),
                (
                    &acknowledged,
                    Command::Comment {
                        body: text("réponse publique"),
                        internal: false,
                    },
                ),
                (
                    &acknowledged,
                    Command::Resolve {
                        summary: text("ok"),
                    },
                ),
                (
                    &acknowledged,
                    close(ClosureReason::MutualAgreement, Some("accord")),
                ),
                (
                    &acknowledged,
                    Command::Cancel {
                        cancellation: Cancellation::Spam,
                        note: None,
                    },
                ),
            ];
            for (ticket, command) in refused {
                let name = command.name();
                let refusal = refuse(ticket, command, &who, MONDAY_10H_PARIS);
                assert_eq!(refusal.rule, Rule::SecurityRoleRequired, "{role} {name}");
            }
            // They read it and add internal notes.
            apply(
                &acknowledged,
                Command::Comment {
                    body: text("note interne"),
                    internal: true,
                },
                &who,
                MONDAY_10H_PARIS,
            );
        }
        let sec = staff(Role::Security);
        let spam = apply(
            &acknowledged,
            Command::Cancel {
                cancellation: Cancellation::Spam,
                note: None,
            },
            &sec,
            MONDAY_10H_PARIS,
        );
        assert_eq!(spam.ticket.state, State::Cancelled);
    }
    // Reopening a closed security case: not an agent's.
    let t = open_as(
        &partner(PARTNER),
        partner_usurpation(Detector::Partner),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let sec = staff(Role::Security);
    let t = apply(
        &t,
        Command::Acknowledge { note: None },
        &sec,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let t = apply(
        &t,
        Command::WaiveRevocation {
            note: text("sans objet"),
        },
        &sec,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let t = apply(
        &t,
        close(ClosureReason::MutualAgreement, Some("accord")),
        &sec,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let reopen = Command::Reopen {
        reason: text("revenu"),
    };
    assert_eq!(
        refuse(&t, reopen.clone(), &staff(Role::Agent), MONDAY_10H_PARIS).rule,
        Rule::SecurityRoleRequired
    );
    apply(&t, reopen, &sec, MONDAY_10H_PARIS);
}

#[test]
fn lifecycle_follow_ups_link_both_ways_and_need_a_closed_ticket_past_its_reopen_window() {
    let policy = Policy::default();
    let open = incident_in_progress(MONDAY_10H_PARIS);
    let refusal = ticket_domain::lifecycle::check_follow_up(&open, at(MONDAY_10H_PARIS), &policy)
        .unwrap_err();
    assert_eq!(refusal.rule, Rule::FollowUpNotAllowed);
    assert_eq!(refusal.errors[0].field, "follow_up_of");
    let closed = closed_ticket("2026-12-01T09:00:00Z");
    assert_eq!(
        ticket_domain::lifecycle::check_follow_up(&closed, at("2026-12-10T09:00:00Z"), &policy)
            .unwrap_err()
            .rule,
        Rule::FollowUpNotAllowed,
        "within the reopen window it is reopened instead"
    );
    assert!(
        ticket_domain::lifecycle::check_follow_up(&closed, at("2026-12-16T09:00:01Z"), &policy)
            .is_ok()
    );
    let mut new = incident(false, "2026-12-16T09:00:00Z");
    new.follow_up_of = Some(closed.id);
    let follow_up = open_as(&partner(PARTNER), new, "2026-12-16T09:00:01Z").ticket;
    assert!(follow_up.has_link(closed.id, LinkKind::FollowUpOf));
    // The closed ticket records the follow-up too (the store does it in the same transaction).
    let back = apply(
        &closed,
        Command::Link {
            ticket: follow_up.id,
            link: LinkKind::FollowedUpBy,
        },
        &ticket_domain::Actor::System,
        "2026-12-16T09:00:01Z",
    );
    assert!(back.ticket.has_link(follow_up.id, LinkKind::FollowedUpBy));
    assert_eq!(back.ticket.state, State::Closed);
}

#[test]
fn closure_3_the_automatic_closure_comes_two_working_days_after_the_last_reminder() {
    let policy = Policy::default();
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let t = apply(
        &t,
        Command::WaitForReporter {
            question: text("?"),
        },
        &staff(Role::Agent),
        MONDAY_10H_PARIS,
    )
    .ticket;
    // A long outage: the sweeper first runs 12 working days later (Wednesday 9 December).
    let back = at("2026-12-09T09:00:00Z");
    let d = sweep(&t, back, &policy).unwrap();
    assert_eq!(event_types(&d), ["reminder_sent"]);
    assert!(sweep(&d.ticket, back + TimeDelta::seconds(1), &policy).is_none());
    // The mail server accepts it at once (closure condition 3 needs it delivered).
    let delivered = deliver_mails(&d, "2026-12-09T09:00:00Z");
    let d = ticket_domain::Decision {
        ticket: delivered,
        records: Vec::new(),
    };
    let early = refuse(
        &d.ticket,
        close(ClosureReason::ReporterUnresponsive, None),
        &staff(Role::Agent),
        "2026-12-10T09:00:00Z",
    );
    assert!(early.detail.contains("last reminder"), "{}", early.detail);
    // Two working days after the reminder: Friday 11 December, 10:00 Paris.
    let due = next_due(&d.ticket, &policy).unwrap();
    assert_eq!(due, at("2026-12-11T09:00:00Z"));
    let closed = sweep(&d.ticket, due, &policy).unwrap();
    assert_eq!(closed.ticket.state, State::Closed);
}

#[test]
fn notifications_a_mail_shows_the_ticket_as_it_stood_right_after_its_event() {
    let mut new = incident(false, MONDAY_10H_PARIS);
    new.proposed_priority = Some(Priority::Critique);
    let created = open_as(&partner(PARTNER), new, MONDAY_10H_PARIS);
    let facts = created.records[0].event.facts.clone().unwrap();
    assert_eq!(facts.priority, Priority::Critique);
    assert_eq!(facts.state, State::New);
    assert_eq!(
        facts.acknowledgement_deadline,
        Some(at("2026-11-23T13:00:00Z"))
    );
    // A second later the priority is lowered and the ticket acknowledged: the creation's mails
    // still show priority 1, state new.
    let agent = staff(Role::Agent);
    let t = apply(
        &created.ticket,
        Command::SetPriority {
            priority: Priority::Normale,
            reason: text("moins grave"),
        },
        &agent,
        "2026-11-23T09:00:01Z",
    )
    .ticket;
    let t = apply(
        &t,
        Command::Acknowledge { note: None },
        &agent,
        "2026-11-23T09:00:02Z",
    )
    .ticket;
    let then = created.records[0].event.facts_applied_to(&t);
    assert_eq!(then.priority, Priority::Critique);
    assert_eq!(then.state, State::New);
    // One decision, two events: confirmation then closure, each with its own state.
    let t = resolved(true);
    let d = apply(
        &t,
        Command::ConfirmResolution,
        &partner(PARTNER),
        MONDAY_10H_PARIS,
    );
    let states: Vec<State> = d
        .records
        .iter()
        .map(|r| r.event.facts.as_ref().unwrap().state)
        .collect();
    assert_eq!(states, [State::Resolved, State::Closed]);
}
