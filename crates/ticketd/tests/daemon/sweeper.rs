//! The clock sweeper in a running ticketd: deadlines fire once, on time and in working hours,
//! across restarts and replicas. Time is a `ManualClock` the tests move; after each move they ask
//! the running loop for a pass and wait for it. Each test runs on SQLite and on PostgreSQL, each on
//! its own database.

use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ticket_domain::notify::Recipient;
use ticket_domain::testkit::*;
use ticket_domain::values::TicketId;
use ticket_domain::{
    ClockKind, Command, EventData, Owner, Policy, Priority, Role, Tier, clock_status,
};
use ticket_store::Store;
use ticket_store::clock::{Clock, ManualClock};
use ticket_store::testkit::{Backend, TestDatabase};
use ticket_store::tickets::{StoredEvent, TicketKey};
use ticketd::Application;
use ticketd::config::{Config, DatabaseUrl};
use ticketd::sweeper::{SweeperConfig, SweeperHandle};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Defines a test that runs on SQLite and on PostgreSQL, each on a fresh database.
macro_rules! sweeper_test {
    ($name:ident, |$database:ident| $body:expr) => {
        mod $name {
            use super::*;

            async fn run(backend: Backend) {
                let Some($database) = TestDatabase::create(backend).await.unwrap() else {
                    return;
                };
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(Backend::Postgres).await;
            }
        }
    };
}

/// A ticketd serving in the background, with its sweeper running.
struct Running {
    store: Store,
    sweeper: SweeperHandle,
    clock: ManualClock,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

/// These tests read the outbox; nothing delivers it (no `.eml` files under the crate).
fn without_dispatcher() -> ticket_mail::MailConfig {
    let mut mail = ticket_mail::MailConfig::default();
    mail.dispatcher.enabled = false;
    mail
}

async fn start(database: &TestDatabase, clock: &ManualClock, batch_size: u64) -> Running {
    let sweeper = SweeperConfig {
        batch_size,
        ..SweeperConfig::default()
    };
    start_with(database, Arc::new(clock.clone()), clock, sweeper).await
}

/// Starts ticketd with time from `time`; `clock` is what the test moves.
async fn start_with(
    database: &TestDatabase,
    time: Arc<dyn Clock>,
    clock: &ManualClock,
    sweeper: SweeperConfig,
) -> Running {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: DatabaseUrl::parse(database.url.clone()).unwrap(),
        sweeper,
        mail: without_dispatcher(),
        ..Config::default()
    };
    let app = Application::build_with_clock(config, time).await.unwrap();
    let store = app.store().clone();
    let sweeper = app.sweeper().expect("the sweeper is on by default");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    Running {
        store,
        sweeper,
        clock: clock.clone(),
        stop,
        task,
    }
}

/// Real time shifted by the instant a [`ManualClock`] holds: it flows at the real pace, and a test
/// jumps it to just before a deadline, then lets the sweeper's own timer reach it.
#[derive(Debug)]
struct FlowingClock {
    origin: std::time::Instant,
    base: ManualClock,
}

impl Clock for FlowingClock {
    fn now(&self) -> DateTime<Utc> {
        self.base.now() + TimeDelta::from_std(self.origin.elapsed()).unwrap()
    }
}

/// Waits (in real time) until `id` has an event of `event_type`.
async fn wait_for_event(store: &Store, id: TicketId, event_type: &str) -> StoredEvent {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(event) = swept_events(store, id)
            .await
            .into_iter()
            .find(|e| e.event.data.type_name() == event_type)
        {
            return event;
        }
        assert!(Instant::now() < deadline, "no {event_type} after 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Running {
    /// Moves time to `instant` and waits for the loop's next pass.
    async fn at(&self, instant: DateTime<Utc>) {
        self.clock.set(instant);
        assert!(self.sweeper.sweep_now().await, "the sweeper is running");
    }

    /// Asks ticketd to stop; returns how long it took.
    async fn stop(self) -> Duration {
        let asked = Instant::now();
        self.stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("ticketd stops")
            .unwrap()
            .unwrap();
        asked.elapsed()
    }
}

/// What time made happen on a ticket: the sweeper's events, with their instants.
async fn timed_events(store: &Store, id: TicketId) -> Vec<(&'static str, DateTime<Utc>)> {
    swept_events(store, id)
        .await
        .iter()
        .map(|e| (e.event.data.type_name(), e.event.at))
        .collect()
}

/// Moving time around them, second by second: the 75 % warning fires at `warning`, the breach
/// and its escalation at `breach`, neither a second early.
async fn alarms_fire_at(
    app: &Running,
    id: TicketId,
    warning: DateTime<Utc>,
    breach: DateTime<Utc>,
) {
    app.at(warning - TimeDelta::seconds(1)).await;
    assert_eq!(timed_events(&app.store, id).await, []);
    app.at(warning).await;
    app.at(breach - TimeDelta::seconds(1)).await;
    assert_eq!(
        timed_events(&app.store, id).await,
        [("sla_warning", warning)]
    );
    app.at(breach).await;
    assert_eq!(
        timed_events(&app.store, id).await,
        [
            ("sla_warning", warning),
            ("sla_breached", breach),
            ("escalated", breach)
        ]
    );
}

async fn swept_events(store: &Store, id: TicketId) -> Vec<StoredEvent> {
    store
        .events(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| {
            matches!(
                e.event.data,
                EventData::SlaWarning { .. }
                    | EventData::SlaBreached { .. }
                    | EventData::Escalated { .. }
                    | EventData::ReminderSent { .. }
                    | EventData::Closed { .. }
            )
        })
        .collect()
}

/// The owners an escalation event was mailed to, from the outbox.
/// The owners told of the ticket's breaches (at 100 % the owners of its priority are told, with or
/// without a tier to escalate to).
async fn breach_mails(store: &Store, id: TicketId) -> Vec<Owner> {
    let breached: Vec<uuid::Uuid> = swept_events(store, id)
        .await
        .into_iter()
        .filter(|e| matches!(e.event.data, EventData::SlaBreached { .. }))
        .map(|e| e.id)
        .collect();
    store
        .outbox_of(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.template == "sla_breach" && breached.contains(&row.event_id))
        .map(
            |row| match serde_json::from_value::<Recipient>(row.recipient).unwrap() {
                Recipient::Owner(owner) => owner,
                other => panic!("a breach mail to {other:?}"),
            },
        )
        .collect()
}

/// A partner's incident of `priority`, declared at `now`; acknowledged at once if `acknowledged`
/// (its acknowledgement clock then stops and only the handling clock runs).
async fn declare(
    store: &Store,
    priority: Priority,
    now: DateTime<Utc>,
    acknowledged: bool,
) -> TicketId {
    let mut new = incident(false, "2026-01-01T00:00:00Z");
    new.proposed_priority = Some(priority);
    new.id = TicketId::new_v7();
    let created = store
        .create_ticket(new, &partner(PARTNER), now, &Policy::default(), None, false)
        .await
        .unwrap()
        .ticket;
    let id = created.ticket.id;
    if acknowledged {
        store
            .execute(
                TicketKey::Id(id),
                created.version,
                Command::Acknowledge { note: None },
                &staff(Role::Agent),
                now,
                &Policy::default(),
            )
            .await
            .unwrap();
    }
    id
}

async fn tier(store: &Store, id: TicketId) -> Tier {
    store
        .get_ticket(TicketKey::Id(id))
        .await
        .unwrap()
        .ticket
        .tier
}

sweeper_test!(
    a_priority_3_ticket_before_whit_monday_escalates_at_the_working_instant,
    |database| async move {
        // Friday 22 May 2026, 17:00 in Paris; Monday 25 May is Whit Monday.
        let friday = at("2026-05-22T15:00:00Z");
        let clock = ManualClock::new(friday);
        let app = start(&database, &clock, 100).await;
        let id = declare(&app.store, Priority::Normale, friday, true).await;
        // 5 working days of 8 h 30: Friday 1 h, Tuesday to Friday 34 h, Monday 1 June 7 h 30.
        let warning = at("2026-05-29T12:52:30Z"); // 75 %: Friday 29 May, 14:52:30 in Paris
        let breach = at("2026-06-01T15:00:00Z"); // Monday 1 June, 17:00 in Paris

        // Whit Monday, and the weekend, do not count.
        app.at(at("2026-05-25T15:00:00Z")).await;
        app.at(warning - TimeDelta::seconds(1)).await;
        assert_eq!(timed_events(&app.store, id).await, []);

        app.at(warning).await;
        let events = swept_events(&app.store, id).await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event.at, warning);
        assert_eq!(
            events[0].event.data,
            EventData::SlaWarning {
                clock: ClockKind::Handling,
                deadline: breach
            }
        );

        app.at(breach - TimeDelta::seconds(1)).await;
        assert_eq!(
            timed_events(&app.store, id).await.len(),
            1,
            "not a second early"
        );
        assert_eq!(tier(&app.store, id).await, Tier::Agent);

        app.at(breach).await;
        assert_eq!(
            timed_events(&app.store, id).await,
            [
                ("sla_warning", warning),
                ("sla_breached", breach),
                ("escalated", breach)
            ]
        );
        let events = swept_events(&app.store, id).await;
        assert!(matches!(
            events[1].event.data,
            EventData::SlaBreached { clock: ClockKind::Handling, deadline, .. } if deadline == breach
        ));
        assert!(matches!(
            events[2].event.data,
            EventData::Escalated {
                from: Tier::Agent,
                to: Tier::Engineer,
                ..
            }
        ));
        assert_eq!(tier(&app.store, id).await, Tier::Engineer);
        // Priority 3's owner is the product lead.
        assert_eq!(breach_mails(&app.store, id).await, [Owner::ProductLead]);

        // Once per deadline.
        app.at(breach + TimeDelta::days(3)).await;
        assert_eq!(timed_events(&app.store, id).await.len(), 3);
        app.stop().await;
    }
);

sweeper_test!(
    a_priority_1_ticket_escalates_at_night,
    |database| async move {
        // Saturday 23 May 2026, 22:00 in Paris: the 24/7 calendar of priority 1.
        let saturday_night = at("2026-05-23T20:00:00Z");
        let clock = ManualClock::new(saturday_night);
        let app = start(&database, &clock, 100).await;
        let id = declare(&app.store, Priority::Critique, saturday_night, false).await;
        let warning = at("2026-05-23T23:00:00Z"); // 3 h of the 4 h to acknowledge: 01:00 in Paris
        let breach = at("2026-05-24T00:00:00Z"); // Sunday, 02:00 in Paris

        alarms_fire_at(&app, id, warning, breach).await;
        assert!(matches!(
            swept_events(&app.store, id).await[1].event.data,
            EventData::SlaBreached {
                clock: ClockKind::Acknowledgement,
                ..
            }
        ));
        let mut owners = breach_mails(&app.store, id).await;
        owners.sort_by_key(|o| format!("{o:?}"));
        assert_eq!(owners, [Owner::ProductLead, Owner::ProductionLead]);
        app.stop().await;
    }
);

sweeper_test!(
    waiting_for_the_reporter_never_counts,
    |database| async move {
        let policy = Policy::default();
        // Monday 23 November 2026, 10:00 in Paris.
        let monday = at("2026-11-23T09:00:00Z");
        let clock = ManualClock::new(monday);
        let app = start(&database, &clock, 100).await;
        let id = declare(&app.store, Priority::Normale, monday, true).await;
        let handling = |ticket: &ticket_domain::Ticket, now| {
            clock_status(ticket, ClockKind::Handling, &policy, now).deadline
        };
        let ticket = app.store.get_ticket(TicketKey::Id(id)).await.unwrap();
        let unpaused_deadline = handling(&ticket.ticket, monday).unwrap();
        assert_eq!(unpaused_deadline, at("2026-11-30T09:00:00Z"));

        // Tuesday 10:00 in Paris: a question to the reporter; 8 h 30 of 42 h 30 used.
        let asked = at("2026-11-24T09:00:00Z");
        app.clock.set(asked);
        let waiting = app
            .store
            .execute(
                TicketKey::Id(id),
                ticket.version,
                Command::WaitForReporter {
                    question: text("Depuis quand ?"),
                },
                &staff(Role::Agent),
                asked,
                &policy,
            )
            .await
            .unwrap();
        // Past the warning (Thursday) and the deadline (Monday) the clock would have had, and
        // still before the first reminder (5 working days): nothing fires.
        let answered = at("2026-11-30T16:00:00Z");
        app.at(at("2026-11-26T15:22:30Z")).await;
        app.at(unpaused_deadline).await;
        app.at(answered).await;
        assert_eq!(timed_events(&app.store, id).await, []);

        // The partner answers on Monday 30 November, 17:00 in Paris.
        let resumed = app
            .store
            .execute(
                TicketKey::Id(id),
                waiting.version,
                Command::Comment {
                    body: text("Depuis lundi matin."),
                    internal: false,
                },
                &partner(PARTNER),
                answered,
                &policy,
            )
            .await
            .unwrap();
        let paused = policy
            .support_calendar
            .working_time_between(asked, answered);
        assert_eq!(paused, TimeDelta::hours(41));
        let deadline = handling(&resumed.ticket, answered).unwrap();
        assert_eq!(
            deadline,
            policy
                .support_calendar
                .add_working_time(unpaused_deadline, paused),
            "the deadline moved by exactly the paused working time"
        );
        assert_eq!(deadline, at("2026-12-04T16:00:00Z")); // Friday, 17:00 in Paris

        let warning = at("2026-12-03T13:52:30Z");
        alarms_fire_at(&app, id, warning, deadline).await;
        app.stop().await;
    }
);

sweeper_test!(
    a_restart_between_warning_and_breach_neither_loses_nor_repeats_a_firing,
    |database| async move {
        let created = at("2026-11-23T09:00:00Z");
        let clock = ManualClock::new(created);
        let first = start(&database, &clock, 100).await;
        let id = declare(&first.store, Priority::Critique, created, false).await;
        first.at(created + TimeDelta::hours(3)).await;
        assert_eq!(
            timed_events(&first.store, id).await,
            [("sla_warning", created + TimeDelta::hours(3))]
        );
        // A sweeper that ignored the stop would sleep its 100 s interval out; 5 s leaves room for a
        // loaded machine (2.05–2.7 s seen with a load average of 15).
        let stopping = first.stop().await;
        assert!(stopping < Duration::from_secs(5), "stopped in {stopping:?}");

        // While no ticketd runs, time passes the breach.
        let second = start(&database, &clock, 100).await;
        second.at(created + TimeDelta::hours(5)).await;
        second.at(created + TimeDelta::hours(6)).await;
        second.stop().await;
        let third = start(&database, &clock, 100).await;
        third.at(created + TimeDelta::hours(7)).await;
        assert_eq!(
            timed_events(&third.store, id).await,
            [
                ("sla_warning", created + TimeDelta::hours(3)),
                ("sla_breached", created + TimeDelta::hours(5)),
                ("escalated", created + TimeDelta::hours(5))
            ]
        );
        // The breach records the instant it was due, not the late instant it was noticed.
        assert!(matches!(
            swept_events(&third.store, id).await[1].event.data,
            EventData::SlaBreached { deadline, .. } if deadline == created + TimeDelta::hours(4)
        ));
        third.stop().await;
    }
);

sweeper_test!(
    two_ticketd_sweeping_one_database_escalate_each_ticket_once,
    |database| async move {
        let created = at("2026-11-23T09:00:00Z");
        let clock = ManualClock::new(created);
        // Small batches, so that the two loops interleave.
        let a = start(&database, &clock, 10).await;
        let b = start(&database, &clock, 10).await;
        let mut ids = Vec::new();
        for chunk in 0..25 {
            let tasks: Vec<_> = (0..8)
                .map(|i| {
                    let store = if (chunk + i) % 2 == 0 {
                        a.store.clone()
                    } else {
                        b.store.clone()
                    };
                    tokio::spawn(async move {
                        declare(&store, Priority::Critique, created, false).await
                    })
                })
                .collect();
            for task in tasks {
                ids.push(task.await.unwrap());
            }
        }
        assert_eq!(ids.len(), 200);
        clock.set(created + TimeDelta::hours(5));
        let (a_swept, b_swept) = tokio::join!(a.sweeper.sweep_now(), b.sweeper.sweep_now());
        assert!(a_swept && b_swept);
        for id in &ids {
            let types: Vec<&str> = timed_events(&a.store, *id)
                .await
                .into_iter()
                .map(|(t, _)| t)
                .collect();
            assert_eq!(types, ["sla_warning", "sla_breached", "escalated"], "{id}");
            assert_eq!(breach_mails(&a.store, *id).await.len(), 2);
        }
        a.stop().await;
        b.stop().await;
    }
);

sweeper_test!(
    the_loop_wakes_by_itself_at_the_earliest_due_instant,
    |database| async move {
        let clock = ManualClock::new(at("2026-11-23T09:00:00Z"));
        let time = Arc::new(FlowingClock {
            origin: Instant::now(),
            base: clock.clone(),
        });
        // A long maximum interval: only the due instant can wake it in time.
        let sweeper = SweeperConfig {
            max_interval_seconds: 3600,
            ..SweeperConfig::default()
        };
        let app = start_with(&database, time.clone(), &clock, sweeper).await;
        let id = declare(&app.store, Priority::Critique, time.now(), false).await;
        let created = app
            .store
            .get_ticket(TicketKey::Id(id))
            .await
            .unwrap()
            .ticket
            .created_at;
        let warning = created + TimeDelta::hours(3);
        // Jump to 2 s before the warning; the sweeper replans on this wake, then sleeps.
        clock.set(clock.now() + TimeDelta::hours(3) - TimeDelta::seconds(2));
        assert!(app.sweeper.sweep_now().await);
        assert!(time.now() < warning);
        assert_eq!(timed_events(&app.store, id).await, []);
        let fired = wait_for_event(&app.store, id, "sla_warning").await;
        let late = fired.event.at - warning;
        assert!(
            late >= TimeDelta::zero() && late < TimeDelta::seconds(3),
            "fired {late:?} after the instant"
        );
        app.stop().await;
    }
);

sweeper_test!(
    the_loop_wakes_at_least_every_max_interval,
    |database| async move {
        let created = at("2026-11-23T09:00:00Z");
        let clock = ManualClock::new(created);
        let sweeper = SweeperConfig {
            max_interval_seconds: 1,
            ..SweeperConfig::default()
        };
        let app = start_with(&database, Arc::new(clock.clone()), &clock, sweeper).await;
        // After this pass the loop plans its next wake: nothing is due, so in at most 1 s.
        assert!(app.sweeper.sweep_now().await);
        let planned = Instant::now();
        let id = declare(&app.store, Priority::Critique, created, false).await;
        // Time jumps without telling the sweeper (as when a command brought a deadline forward).
        clock.set(created + TimeDelta::hours(5));
        wait_for_event(&app.store, id, "escalated").await;
        let waited = planned.elapsed();
        assert!(
            waited >= Duration::from_millis(900),
            "woken by the interval, not before: {waited:?}"
        );
        app.stop().await;
    }
);

#[tokio::test]
async fn a_disabled_sweeper_is_not_started() {
    let database = TestDatabase::create(Backend::Sqlite)
        .await
        .unwrap()
        .unwrap();
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: DatabaseUrl::parse(database.url.clone()).unwrap(),
        sweeper: SweeperConfig {
            enabled: false,
            ..SweeperConfig::default()
        },
        mail: without_dispatcher(),
        ..Config::default()
    };
    let app = Application::build(config).await.unwrap();
    assert!(app.sweeper().is_none());
}
