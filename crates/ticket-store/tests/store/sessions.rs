//! Staff sessions across replicas (issue 30): a session is checked in the database on every
//! request, so removing its member on one replica ends it on every other at once.

use chrono::TimeDelta;
use ticket_domain::Role;
use ticket_domain::testkit::at;
use ticket_domain::values::{EmailAddress, StaffHandle};
use ticket_store::signin::{NewSession, SessionCheck, SessionLimits};
use ticket_store::store_test;
use ticket_store::testkit::{Backend, TestDatabase};

/// Two replicas on one PostgreSQL: a session open on the first stops there within a second of
/// the second replica removing its member (here: the next request after the removal commits).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_removal_on_one_replica_ends_the_session_on_another_within_a_second() {
    let Some(database) = TestDatabase::create(Backend::Postgres)
        .await
        .expect("test database")
    else {
        return;
    };
    let first = database.store().await.unwrap();
    let second = database.store().await.unwrap();
    let now = at("2026-11-23T09:00:00Z");
    let bob = StaffHandle::parse("handle", "bob").unwrap();
    first
        .add_staff_member(
            &bob,
            &EmailAddress::parse("email", "bob@staff.example.fr").unwrap(),
            now,
        )
        .await
        .unwrap();
    let limits = SessionLimits {
        idle: TimeDelta::minutes(30),
        absolute: TimeDelta::hours(10),
    };
    let opened = first
        .open_session(
            NewSession {
                handle: bob.clone(),
                role: Role::Agent,
                provider: "corp".to_owned(),
                subject: "sub-bob".to_owned(),
                sid: None,
                id_token: None,
                display_name: None,
            },
            now,
        )
        .await
        .unwrap();
    assert!(matches!(
        first
            .check_session(&opened.token, limits, now)
            .await
            .unwrap(),
        SessionCheck::Valid(_)
    ));

    let removed = std::time::Instant::now();
    second.remove_staff_member(&bob, now).await.unwrap();
    let stopped = loop {
        if first
            .check_session(&opened.token, limits, now)
            .await
            .unwrap()
            == SessionCheck::Unknown
        {
            break removed.elapsed();
        }
        assert!(
            removed.elapsed() < std::time::Duration::from_secs(1),
            "the first replica still accepts the session"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    eprintln!("the session ended on the other replica {stopped:?} after the removal");
    let events = first.list_auth_events(50, None).await.unwrap().items;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["sign_in", "session_member_removed"]);
}

store_test!(
    sessions_nobody_uses_end_at_their_timeout_and_say_which,
    |store| async move {
        let now = at("2026-11-23T09:00:00Z");
        let limits = SessionLimits {
            idle: TimeDelta::minutes(30),
            absolute: TimeDelta::hours(10),
        };
        let open = |subject: &str, at| {
            let store = store.clone();
            let subject = subject.to_owned();
            async move {
                store
                    .open_session(
                        NewSession {
                            handle: StaffHandle::parse("handle", "bob").unwrap(),
                            role: Role::Agent,
                            provider: "corp".to_owned(),
                            subject,
                            sid: None,
                            id_token: None,
                            display_name: None,
                        },
                        at,
                    )
                    .await
                    .unwrap()
            }
        };
        let idle = open("idle", now).await;
        let busy = open("busy", now).await;
        // The busy one is used every 20 minutes; nobody comes back to the idle one.
        let mut t = now;
        for _ in 0..29 {
            t += TimeDelta::minutes(20);
            assert_eq!(
                store.end_stale_sessions(limits, t).await.unwrap(),
                usize::from(t == now + TimeDelta::minutes(40))
            );
            assert!(matches!(
                store.check_session(&busy.token, limits, t).await.unwrap(),
                SessionCheck::Valid(_)
            ));
        }
        assert_eq!(
            store.check_session(&idle.token, limits, t).await.unwrap(),
            SessionCheck::Unknown
        );
        // 10 hours after its sign-in, the busy one ends too.
        t += TimeDelta::minutes(20);
        assert_eq!(store.end_stale_sessions(limits, t).await.unwrap(), 1);
        assert_eq!(
            store.check_session(&busy.token, limits, t).await.unwrap(),
            SessionCheck::Unknown
        );
        let events = store.list_auth_events(50, None).await.unwrap().items;
        let ended: Vec<(&str, Option<uuid::Uuid>)> = events
            .iter()
            .filter(|e| e.kind != "sign_in")
            .map(|e| (e.kind.as_str(), e.session_id))
            .collect();
        assert_eq!(
            ended,
            [
                ("session_idle_timeout", Some(idle.session.id)),
                ("session_absolute_timeout", Some(busy.session.id)),
            ]
        );
    }
);
