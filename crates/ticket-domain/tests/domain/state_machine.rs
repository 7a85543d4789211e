//! Property tests of the lifecycle: random sequences of commands by random actors, with time moving
//! and the sweeper running in between, never reach an inconsistent ticket, and a ticket is closed only
//! with one of the four reasons and its proof.

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use ticket_domain::clock::{ClockKind, Phase};
use ticket_domain::closure::waited;
use ticket_domain::kind::{Detector, KindData, Qualification, UsurpationReporter};
use ticket_domain::lifecycle::PERMITS;
use ticket_domain::testkit::*;
use ticket_domain::ticket::Cancellation;
use ticket_domain::values::{StaffHandle, TicketId};
use ticket_domain::{
    Action, Actor, ClosureProof, ClosureReason, Command, Decision, EventData, NewTicket, Policy,
    Priority, Role, State, Ticket, allowed_actions,
};

#[derive(Debug, Clone)]
enum Step {
    Command(usize, CommandChoice),
    Sweep,
    /// The mail server accepts one of the mails written so far (by index, modulo their number).
    Deliver(usize),
}

#[derive(Debug, Clone)]
enum CommandChoice {
    Acknowledge,
    Assign,
    SetPriority(u8),
    Comment(bool),
    Escalate,
    Wait,
    Resolve,
    Confirm,
    Reject,
    Qualify(bool),
    NotifyOrganisation(usize),
    Revoke,
    Waive,
    Close(usize, bool),
    Reopen,
    Cancel(bool),
    AnsweredElsewhere,
    StaffRecordsNotFixed,
    AddConcerned(u128),
}

fn actors() -> Vec<Actor> {
    vec![
        staff(Role::Agent),
        staff(Role::Engineer),
        staff(Role::Security),
        staff(Role::Supervisor),
        staff(Role::Admin),
        partner(PARTNER),
        partner(OTHER_PARTNER),
        Actor::PublicReporter,
        Actor::System,
    ]
}

fn command_choice() -> impl Strategy<Value = CommandChoice> {
    prop_oneof![
        Just(CommandChoice::Acknowledge),
        Just(CommandChoice::Assign),
        (1u8..=5).prop_map(CommandChoice::SetPriority),
        any::<bool>().prop_map(CommandChoice::Comment),
        Just(CommandChoice::Escalate),
        Just(CommandChoice::Wait),
        Just(CommandChoice::Resolve),
        Just(CommandChoice::Confirm),
        Just(CommandChoice::Reject),
        any::<bool>().prop_map(CommandChoice::Qualify),
        (0usize..4).prop_map(CommandChoice::NotifyOrganisation),
        Just(CommandChoice::Revoke),
        Just(CommandChoice::Waive),
        ((0usize..4), any::<bool>()).prop_map(|(r, n)| CommandChoice::Close(r, n)),
        Just(CommandChoice::Reopen),
        any::<bool>().prop_map(CommandChoice::Cancel),
        Just(CommandChoice::AnsweredElsewhere),
        Just(CommandChoice::StaffRecordsNotFixed),
        (10u128..14).prop_map(CommandChoice::AddConcerned),
    ]
}

fn step() -> impl Strategy<Value = (Step, u32)> {
    let step = prop_oneof![
        4 => ((0usize..9), command_choice()).prop_map(|(a, c)| Step::Command(a, c)),
        1 => Just(Step::Sweep),
        1 => (0usize..64).prop_map(Step::Deliver),
    ];
    // Time moves by 0 to 3 days (in minutes) between steps.
    (step, 0u32..(3 * 24 * 60))
}

fn to_command(choice: &CommandChoice, ticket: &Ticket) -> Command {
    let orgs: Vec<_> = ticket.concerned.iter().map(|c| c.organisation).collect();
    match choice {
        CommandChoice::Acknowledge => Command::Acknowledge { note: None },
        CommandChoice::Assign => Command::Assign {
            assignee: StaffHandle::parse("a", "alice").unwrap(),
        },
        CommandChoice::SetPriority(level) => Command::SetPriority {
            priority: Priority::from_level(*level).unwrap(),
            reason: text("triage"),
        },
        CommandChoice::Comment(internal) => Command::Comment {
            body: text("message"),
            internal: *internal,
        },
        CommandChoice::Escalate => Command::Escalate {
            reason: text("aide"),
        },
        CommandChoice::Wait => Command::WaitForReporter {
            question: text("?"),
        },
        CommandChoice::Resolve => Command::Resolve {
            summary: text("corrigé"),
        },
        CommandChoice::Confirm => Command::ConfirmResolution,
        CommandChoice::Reject => Command::RejectResolution {
            reason: text("non"),
        },
        CommandChoice::Qualify(confirmed) => Command::Qualify {
            qualification: if *confirmed {
                Qualification::Confirmed
            } else {
                Qualification::Unfounded {
                    explanation: text("connexion légitime"),
                }
            },
        },
        CommandChoice::NotifyOrganisation(i) => Command::RecordOrganisationNotified {
            organisation: orgs.get(*i).copied().unwrap_or(org(OTHER_PARTNER)),
        },
        CommandChoice::AnsweredElsewhere => Command::RecordReporterAnswered {
            note: text("au téléphone"),
        },
        CommandChoice::StaffRecordsNotFixed => Command::RecordNotFixed {
            note: text("toujours en panne, au téléphone"),
        },
        CommandChoice::AddConcerned(n) => Command::AddConcernedOrganisation {
            organisation: org(*n),
            role: ticket_domain::ticket::ConcernedRole::ServiceProvider,
        },
        CommandChoice::Revoke => Command::RecordCredentialsRevoked {
            note: text("révoqué"),
        },
        CommandChoice::Waive => Command::WaiveRevocation {
            note: text("dérogation"),
        },
        CommandChoice::Close(reason, with_note) => Command::Close {
            reason: ClosureReason::ALL[*reason],
            proof: ClosureProof {
                note: with_note.then(|| text("preuve")),
            },
        },
        CommandChoice::Reopen => Command::Reopen {
            reason: text("revenu"),
        },
        CommandChoice::Cancel(spam) => Command::Cancel {
            cancellation: if *spam {
                Cancellation::Spam
            } else {
                Cancellation::Duplicate {
                    of: TicketId::new_v7(),
                }
            },
            note: None,
        },
    }
}

fn initial(kind: usize, now: &str) -> (NewTicket, Actor) {
    match kind {
        0 => (incident(false, now), partner(PARTNER)),
        1 => (incident(true, now), partner(PARTNER)),
        2 => (
            user_usurpation(UsurpationReporter::User, "2026-11-20T09:00:00Z"),
            Actor::PublicReporter,
        ),
        3 => (
            partner_usurpation(Detector::Operator),
            staff(Role::Security),
        ),
        _ => (support_request(), partner(PARTNER)),
    }
}

/// Everything that must hold of a ticket after any accepted decision.
fn check(
    before: &Ticket,
    decision: &Decision,
    now: DateTime<Utc>,
    policy: &Policy,
    lowered_by_security: bool,
) {
    let t = &decision.ticket;
    // Transitions chain from the state before to the state after.
    let mut state = before.state;
    for record in &decision.records {
        let event = &record.event;
        assert_eq!(event.at, now, "events happen now");
        if let Some((from, to)) = event.transition {
            assert_eq!(from, state, "transition from the current state");
            state = to;
        }
        if let EventData::Closed { reason, note } = &event.data {
            // A ticket closes only with one of the four reasons and its proof.
            match reason {
                ClosureReason::ResolvedConfirmed => assert!(t.confirmation.is_some()),
                ClosureReason::MutualAgreement => assert!(note.is_some()),
                ClosureReason::ReporterUnresponsive => {
                    assert!(before.reminders_sent >= 1 || t.reminders_sent >= 1);
                    assert!(
                        waited(before, now, policy)
                            >= policy
                                .support_calendar
                                .working_days(policy.unresponsive_after_days)
                    );
                }
                ClosureReason::ResolvedByOperator => {
                    assert!(
                        before
                            .resolution
                            .as_ref()
                            .is_some_and(|r| r.reporter_notified)
                    );
                }
            }
            let unfounded = matches!(&t.data, KindData::UserUsurpation(d) if matches!(d.qualification, Some(Qualification::Unfounded { .. })));
            if t.data.is_usurpation() && !unfounded {
                assert!(
                    t.concerned.iter().all(|c| c.notified_at.is_some()),
                    "usurpation closed with an organisation not notified"
                );
            }
            if matches!(t.data, KindData::PartnerUsurpation(_)) {
                assert!(
                    t.credentials.is_some(),
                    "partner usurpation closed without revocation or waiver"
                );
            }
        }
    }
    assert_eq!(state, t.state, "the last transition gives the state");
    assert_eq!(t.updated_at, now);
    assert_eq!(t.state == State::Closed, t.closure.is_some());
    assert_eq!(t.state == State::Cancelled, t.cancellation.is_some());
    assert_eq!(t.state == State::WaitingReporter, t.waiting_since.is_some());
    if t.state == State::Resolved {
        assert!(t.resolution.is_some());
    }
    let should_run = matches!(
        t.state,
        State::New | State::Acknowledged | State::InProgress
    );
    assert_eq!(
        t.handling_clock.phase() == Phase::Running,
        should_run,
        "handling clock runs iff work is due ({:?})",
        t.state
    );
    if t.state != State::New {
        assert!(
            !t.acknowledgement_clock.is_running(),
            "acknowledgement clock stops once acknowledged"
        );
    }
    if !t.state.is_open() {
        assert_eq!(ticket_domain::next_due(t, policy), None);
    }
    if t.is_security_case() && t.priority.is_lower_than(Priority::Majeure) {
        assert!(
            lowered_by_security,
            "security case below priority 2 without the security role"
        );
    }
    // Intervals are ordered and closed ones are not inverted.
    for clock in [&t.acknowledgement_clock, &t.handling_clock] {
        for pair in clock.intervals.windows(2) {
            assert!(pair[0].end.is_some_and(|e| e <= pair[1].start));
        }
        for interval in &clock.intervals {
            assert!(interval.end.is_none_or(|e| e >= interval.start));
        }
    }
}

/// 300 cases unless `PROPTEST_CASES` says otherwise (proptest's default configuration reads it).
fn config(default_cases: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_some() {
        base
    } else {
        ProptestConfig {
            cases: default_cases,
            ..base
        }
    }
}

#[test]
fn property_tests_honour_proptest_cases() {
    let expected = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(300);
    assert_eq!(config(300).cases, expected);
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn no_command_sequence_reaches_an_inconsistent_state(
        kind in 0usize..5,
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let policy = Policy::default();
        let actors = actors();
        let start = "2026-11-23T09:00:00Z";
        let (new, reporter) = initial(kind, start);
        let mut now = at(start);
        let mut ticket = ticket_domain::open(new, &reporter, now, &policy).unwrap().ticket;
        let mut lowered_by_security = false;
        let mut written: Vec<Command> = Vec::new();
        let mut fired: Vec<(&'static str, ClockKind)> = Vec::new();
        for (step, minutes) in steps {
            now += TimeDelta::minutes(i64::from(minutes));
            let (decision, actor) = match &step {
                Step::Sweep => (ticket_domain::sweep(&ticket, now, &policy), None),
                Step::Command(a, choice) => {
                    let actor = &actors[*a];
                    let command = to_command(choice, &ticket);
                    (ticket_domain::decide(&ticket, command, actor, now, &policy).ok(), Some(actor))
                }
                Step::Deliver(i) if !written.is_empty() => {
                    let command = written[i % written.len()].clone();
                    let command = match command {
                        Command::RecordMailDelivered { template, recipient, event_at, .. } => {
                            Command::RecordMailDelivered { template, recipient, event_at, delivered_at: now }
                        }
                        other => other,
                    };
                    let decision = ticket_domain::decide(&ticket, command, &Actor::System, now, &policy);
                    prop_assert!(decision.is_ok(), "a delivery is always recorded: {decision:?}");
                    (decision.ok(), Some(&Actor::System))
                }
                Step::Deliver(_) => (None, None),
            };
            if let Some(decision) = decision {
                if decision.records.iter().any(|r| matches!(&r.event.data, EventData::PriorityChanged { to, .. } if to.is_lower_than(Priority::Majeure)))
                {
                    lowered_by_security = actor.and_then(Actor::role) == Some(Role::Security);
                }
                for record in &decision.records {
                    // Each alarm fires at most once per clock over the ticket's whole life, and
                    // never on a clock that was stopped.
                    let alarm = match &record.event.data {
                        EventData::SlaWarning { clock, .. } => Some(("warning", *clock)),
                        EventData::SlaBreached { clock, .. } => Some(("breach", *clock)),
                        _ => None,
                    };
                    if let Some((name, clock)) = alarm {
                        prop_assert!(!fired.contains(&(name, clock)), "{name} {clock:?} fired twice");
                        fired.push((name, clock));
                        let before = match clock {
                            ClockKind::Acknowledgement => &ticket.acknowledgement_clock,
                            ClockKind::Handling => &ticket.handling_clock,
                        };
                        prop_assert!(!before.stopped, "{name} on a stopped {clock:?} clock");
                    }
                    for n in &record.notifications {
                        written.push(Command::RecordMailDelivered {
                            template: n.template,
                            recipient: n.recipient,
                            event_at: record.event.at,
                            delivered_at: record.event.at,
                        });
                    }
                }
                check(&ticket, &decision, now, &policy, lowered_by_security);
                ticket = decision.ticket;
            }
        }
    }

    #[test]
    fn the_sweeper_fires_each_alarm_once(
        kind in 0usize..5,
        gaps in proptest::collection::vec(0u32..(4 * 24 * 60), 1..30),
    ) {
        let policy = Policy::default();
        let start = "2026-11-23T09:00:00Z";
        let (new, reporter) = initial(kind, start);
        let mut now = at(start);
        let mut ticket = ticket_domain::open(new, &reporter, now, &policy).unwrap().ticket;
        let mut fired: Vec<(&'static str, String)> = Vec::new();
        for minutes in gaps {
            now += TimeDelta::minutes(i64::from(minutes));
            if let Some(d) = ticket_domain::sweep(&ticket, now, &policy) {
                for r in &d.records {
                    let key = match &r.event.data {
                        EventData::SlaWarning { clock, .. } => ("warning", clock.name().to_owned()),
                        EventData::SlaBreached { clock, .. } => ("breach", clock.name().to_owned()),
                        _ => continue,
                    };
                    prop_assert!(!fired.contains(&key), "{key:?} fired twice");
                    fired.push(key);
                }
                ticket = d.ticket;
                // Sweeping again at the same instant does nothing more.
                prop_assert!(ticket_domain::sweep(&ticket, now, &policy).is_none());
            }
            if let Some(due) = ticket_domain::next_due(&ticket, &policy) {
                // Nothing is due strictly before the announced instant.
                let just_before = due - TimeDelta::seconds(1);
                if just_before >= now {
                    prop_assert!(ticket_domain::sweep(&ticket, just_before, &policy).is_none());
                }
            }
        }
    }
}

/// Commands of `action` with the bodies worth trying on `ticket`: every priority, every closure
/// reason with and without a note, every organisation concerned and one that is not, both
/// qualifications, both cancellations.
fn bodies(action: Action, ticket: &Ticket, now: DateTime<Utc>) -> Vec<Command> {
    use ticket_domain::notify::{Recipient, Template};
    let organisations: Vec<_> = ticket
        .concerned
        .iter()
        .map(|c| c.organisation)
        .chain([org(OTHER_PARTNER)])
        .collect();
    match action {
        Action::Acknowledge => vec![Command::Acknowledge { note: None }],
        Action::Assign => vec![to_command(&CommandChoice::Assign, ticket)],
        Action::SetPriority => (1u8..=5)
            .map(|p| to_command(&CommandChoice::SetPriority(p), ticket))
            .collect(),
        Action::Comment => vec![to_command(&CommandChoice::Comment(false), ticket)],
        Action::InternalNote => vec![to_command(&CommandChoice::Comment(true), ticket)],
        Action::Escalate => vec![to_command(&CommandChoice::Escalate, ticket)],
        Action::WaitForReporter => vec![to_command(&CommandChoice::Wait, ticket)],
        Action::Resolve => vec![to_command(&CommandChoice::Resolve, ticket)],
        Action::ConfirmResolution => vec![Command::ConfirmResolution],
        Action::RejectResolution => vec![to_command(&CommandChoice::Reject, ticket)],
        Action::Qualify => [true, false]
            .iter()
            .map(|c| to_command(&CommandChoice::Qualify(*c), ticket))
            .collect(),
        Action::RecordOrganisationNotified => organisations
            .into_iter()
            .map(|organisation| Command::RecordOrganisationNotified { organisation })
            .collect(),
        Action::AddConcernedOrganisation => vec![Command::AddConcernedOrganisation {
            organisation: org(99),
            role: ticket_domain::ticket::ConcernedRole::ServiceProvider,
        }],
        Action::RecordReporterAnswered => {
            vec![to_command(&CommandChoice::AnsweredElsewhere, ticket)]
        }
        Action::RecordNotFixed => vec![to_command(&CommandChoice::StaffRecordsNotFixed, ticket)],
        Action::RecordMailDelivered => vec![Command::RecordMailDelivered {
            template: Template::TicketUpdate,
            recipient: Recipient::Reporter,
            event_at: now,
            delivered_at: now,
        }],
        Action::RecordMailUndeliverable => vec![Command::RecordMailUndeliverable {
            template: Template::ReporterReminder,
            recipient: Recipient::Reporter,
            event_at: now,
            failed_at: now,
        }],
        Action::RecordCredentialsRevoked => vec![to_command(&CommandChoice::Revoke, ticket)],
        Action::WaiveRevocation => vec![to_command(&CommandChoice::Waive, ticket)],
        Action::Close => (0..4)
            .flat_map(|r| {
                [true, false].map(|note| to_command(&CommandChoice::Close(r, note), ticket))
            })
            .collect(),
        Action::Reopen => vec![to_command(&CommandChoice::Reopen, ticket)],
        Action::Cancel => [true, false]
            .iter()
            .map(|spam| to_command(&CommandChoice::Cancel(*spam), ticket))
            .collect(),
        Action::Link => vec![Command::Link {
            ticket: TicketId::new_v7(),
            link: ticket_domain::ticket::LinkKind::SameSession,
        }],
    }
}

proptest! {
    #![proptest_config(config(100))]

    /// `allowed_actions` is what `decide` accepts: for tickets reached by random command
    /// sequences, and every actor, each listed action is accepted with some body, and each
    /// unlisted action is refused with every body.
    #[test]
    fn allowed_actions_are_what_decide_accepts(
        kind in 0usize..5,
        steps in proptest::collection::vec(step(), 0..25),
    ) {
        let policy = Policy::default();
        let actors = actors();
        let start = "2026-11-23T09:00:00Z";
        let (new, reporter) = initial(kind, start);
        let mut now = at(start);
        let mut ticket = ticket_domain::open(new, &reporter, now, &policy).unwrap().ticket;
        // The reporter of a public report is the public; of the others, the partner or staff.
        let mut everyone = actors.clone();
        everyone.push(reporter.clone());
        let check_all = |ticket: &Ticket, now: DateTime<Utc>| -> Result<(), TestCaseError> {
            for actor in &everyone {
                let allowed = allowed_actions(ticket, actor, now, &policy);
                for row in PERMITS {
                    let accepted: Vec<&'static str> = bodies(row.action, ticket, now)
                        .into_iter()
                        .filter(|c| ticket_domain::decide(ticket, c.clone(), actor, now, &policy).is_ok())
                        .map(|c| c.name())
                        .collect();
                    let listed = allowed.contains(&row.action);
                    prop_assert_eq!(
                        listed,
                        !accepted.is_empty(),
                        "{:?} by {:?} on a {:?} {:?} ticket: listed {}, accepted {:?}",
                        row.action, actor.describe(), ticket.state, ticket.kind(), listed, accepted
                    );
                }
            }
            Ok(())
        };
        check_all(&ticket, now)?;
        for (step, minutes) in steps {
            now += TimeDelta::minutes(i64::from(minutes));
            let decision = match &step {
                Step::Sweep => ticket_domain::sweep(&ticket, now, &policy),
                Step::Command(a, choice) => {
                    let command = to_command(choice, &ticket);
                    ticket_domain::decide(&ticket, command, &actors[*a], now, &policy).ok()
                }
                Step::Deliver(_) => None,
            };
            if let Some(decision) = decision {
                ticket = decision.ticket;
                check_all(&ticket, now)?;
            }
        }
    }
}
