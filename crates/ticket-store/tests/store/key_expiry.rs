//! Keys that expire, rotate with a grace period, and stop with their member (issue 30).

use super::fixtures::*;
use chrono::TimeDelta;
use ticket_domain::Role;
use ticket_domain::testkit::at;
use ticket_domain::values::StaffHandle;
use ticket_store::keys::{Expiry, KeyCheck, KeyScope, NewKey};
use ticket_store::testkit::{Backend, TestDatabase};
use ticket_store::{Store, StoreError, store_test};

fn staff(role: Role) -> KeyScope {
    KeyScope::Staff { role }
}

fn refused_field(error: StoreError) -> String {
    match error {
        StoreError::Refused(refusal) => refusal.errors[0].field.clone(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn member(store: &Store, handle: &str) -> StaffHandle {
    let handle = StaffHandle::parse("handle", handle).unwrap();
    store
        .add_staff_member(
            &handle,
            &email(&format!("{handle}@staff.example.fr")),
            at("2026-11-23T08:00:00Z"),
        )
        .await
        .unwrap();
    handle
}

store_test!(
    a_key_expires_after_the_policys_default_lifetime,
    |store| async move {
        let now = at("2026-11-23T09:00:00Z");
        let (key, secret) = store
            .create_api_key("sonde", staff(Role::Engineer), now)
            .await
            .unwrap();
        // The policy's default: one year (DOMAIN.md).
        let expiry = now + TimeDelta::days(365);
        assert_eq!(key.expires_at, Some(expiry));
        assert!(!key.machine);
        let just_before = expiry - TimeDelta::seconds(1);
        assert!(matches!(
            store.check_key(&secret, just_before).await.unwrap(),
            KeyCheck::Valid(_)
        ));
        // The cache (filled just above) does not outlive the expiry either.
        assert_eq!(
            store.check_key(&secret, expiry).await.unwrap(),
            KeyCheck::Expired { at: expiry }
        );
        assert_eq!(store.authenticate(&secret, expiry).await.unwrap(), None);
    }
);

store_test!(
    an_expiry_is_in_the_future_within_the_maximum_and_never_only_for_machines,
    |store| async move {
        let now = at("2026-11-23T09:00:00Z");
        let new = |expiry, machine| NewKey {
            name: "robot",
            scope: staff(Role::Engineer),
            member: None,
            machine,
            expiry,
        };
        for (expiry, machine) in [
            (Expiry::At(now + TimeDelta::days(366)), true),
            (Expiry::At(now), false),
            (Expiry::At(now - TimeDelta::days(1)), false),
            (Expiry::Never, false),
        ] {
            let error = store
                .create_key(new(expiry, machine), now)
                .await
                .unwrap_err();
            assert_eq!(refused_field(error), "expires_at", "{expiry:?}");
        }
        let (chosen, _) = store
            .create_key(new(Expiry::At(now + TimeDelta::days(365)), false), now)
            .await
            .unwrap();
        assert_eq!(chosen.expires_at, Some(now + TimeDelta::days(365)));
        let (machine, secret) = store
            .create_key(new(Expiry::Never, true), now)
            .await
            .unwrap();
        assert_eq!(machine.expires_at, None);
        assert!(machine.machine);
        assert!(matches!(
            store
                .check_key(&secret, now + TimeDelta::days(3650))
                .await
                .unwrap(),
            KeyCheck::Valid(_)
        ));
    }
);

store_test!(
    rotation_keeps_both_secrets_for_the_grace_period_only,
    |store| async move {
        let now = at("2026-11-23T09:00:00Z");
        let (key, old) = store
            .create_api_key("passerelle", staff(Role::Agent), now)
            .await
            .unwrap();
        let rotated_at = now + TimeDelta::days(10);
        let (rotated, new) = store
            .rotate_api_key(
                key.id,
                Some(TimeDelta::hours(1)),
                Expiry::Policy,
                rotated_at,
            )
            .await
            .unwrap();
        assert_ne!(old, new);
        assert_eq!(rotated.id, key.id);
        assert_eq!(rotated.prefix, new[..12]);
        assert_eq!(rotated.rotated_at, Some(rotated_at));
        assert_eq!(rotated.expires_at, Some(rotated_at + TimeDelta::days(365)));
        let grace_end = rotated_at + TimeDelta::hours(1);
        assert_eq!(rotated.previous_valid_until, Some(grace_end));
        let within = grace_end - TimeDelta::seconds(1);
        for secret in [&old, &new] {
            match store.check_key(secret, within).await.unwrap() {
                KeyCheck::Valid(valid) => assert_eq!(valid.id, key.id),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            store.check_key(&old, grace_end).await.unwrap(),
            KeyCheck::Replaced { at: grace_end }
        );
        assert!(matches!(
            store.check_key(&new, grace_end).await.unwrap(),
            KeyCheck::Valid(_)
        ));

        // A second rotation forgets the first secret at once.
        let (_, newest) = store
            .rotate_api_key(key.id, None, Expiry::Policy, within)
            .await
            .unwrap();
        assert_eq!(
            store.check_key(&old, within).await.unwrap(),
            KeyCheck::Unknown
        );
        assert!(matches!(
            store.check_key(&new, within).await.unwrap(),
            KeyCheck::Valid(_)
        ));
        assert!(matches!(
            store.check_key(&newest, within).await.unwrap(),
            KeyCheck::Valid(_)
        ));

        // The grace never extends a key past its former expiry, nor beyond the policy.
        let (short, short_old) = store
            .create_key(
                NewKey {
                    name: "court",
                    scope: staff(Role::Agent),
                    member: None,
                    machine: false,
                    expiry: Expiry::At(now + TimeDelta::minutes(30)),
                },
                now,
            )
            .await
            .unwrap();
        let (short, _) = store
            .rotate_api_key(short.id, Some(TimeDelta::days(2)), Expiry::Policy, now)
            .await
            .unwrap();
        assert_eq!(
            short.previous_valid_until,
            Some(now + TimeDelta::minutes(30))
        );
        assert!(matches!(
            store
                .check_key(&short_old, now + TimeDelta::minutes(31))
                .await
                .unwrap(),
            KeyCheck::Replaced { .. }
        ));
        let error = store
            .rotate_api_key(key.id, Some(TimeDelta::days(8)), Expiry::Policy, now)
            .await
            .unwrap_err();
        assert_eq!(refused_field(error), "grace_seconds");

        // A revocation is final: a revoked key is not rotated back to life.
        store.revoke_api_key(key.id, within).await.unwrap();
        assert!(matches!(
            store
                .rotate_api_key(key.id, None, Expiry::Policy, within)
                .await,
            Err(StoreError::InUse(_))
        ));
        assert_eq!(
            store.check_key(&newest, within).await.unwrap(),
            KeyCheck::Unknown
        );
    }
);

store_test!(
    the_keys_to_renew_are_the_active_ones_expiring_soonest_first,
    |store| async move {
        let now = at("2026-11-23T09:00:00Z");
        let key = |name: &'static str, days: i64, machine: bool| {
            let store = store.clone();
            async move {
                let expiry = if days == 0 {
                    Expiry::Never
                } else {
                    Expiry::At(now + TimeDelta::days(days))
                };
                store
                    .create_key(
                        NewKey {
                            name,
                            scope: staff(Role::Agent),
                            member: None,
                            machine,
                            expiry,
                        },
                        now,
                    )
                    .await
                    .unwrap()
                    .0
            }
        };
        let later = key("plus-tard", 60, false).await;
        let soon = key("bientot", 10, false).await;
        let sooner = key("tres-bientot", 3, false).await;
        key("jamais", 0, true).await;
        let revoked = key("revoquee", 2, false).await;
        store.revoke_api_key(revoked.id, now).await.unwrap();

        let ids = |keys: Vec<ticket_store::keys::ApiKey>| {
            keys.into_iter().map(|k| k.id).collect::<Vec<_>>()
        };
        assert_eq!(
            ids(store
                .list_expiring_api_keys(TimeDelta::days(14), now)
                .await
                .unwrap()),
            vec![sooner.id, soon.id]
        );
        // Expired and not revoked: still listed, first.
        assert_eq!(
            ids(store
                .list_expiring_api_keys(TimeDelta::days(0), now + TimeDelta::days(61))
                .await
                .unwrap()),
            vec![sooner.id, soon.id, later.id]
        );
    }
);

store_test!(
    removing_a_member_revokes_their_keys_at_once,
    |store| async move {
        let now = at("2026-11-23T09:00:00Z");
        let bob = member(&store, "bob").await;
        let alice = member(&store, "alice").await;
        let (laptop, laptop_secret) = store
            .create_member_api_key("bob laptop", &bob, Role::Agent, now)
            .await
            .unwrap();
        let (_, phone_secret) = store
            .create_member_api_key("bob phone", &bob, Role::Security, now)
            .await
            .unwrap();
        let (_, alice_secret) = store
            .create_member_api_key("alice", &alice, Role::Agent, now)
            .await
            .unwrap();
        // Cached by this replica.
        for secret in [&laptop_secret, &phone_secret, &alice_secret] {
            assert!(store.authenticate(secret, now).await.unwrap().is_some());
        }
        let revoked = store
            .remove_staff_member(&bob, now + TimeDelta::seconds(1))
            .await
            .unwrap();
        assert_eq!(revoked.len(), 2);
        for secret in [&laptop_secret, &phone_secret] {
            assert_eq!(
                store
                    .check_key(secret, now + TimeDelta::seconds(1))
                    .await
                    .unwrap(),
                KeyCheck::Unknown
            );
        }
        assert!(
            store
                .authenticate(&alice_secret, now)
                .await
                .unwrap()
                .is_some()
        );
        let laptop = store.get_api_key(laptop.id).await.unwrap();
        assert_eq!(laptop.revoked_at, Some(now + TimeDelta::seconds(1)));
        assert!(matches!(
            store.get_staff_member(&bob).await,
            Err(StoreError::NotFound(_))
        ));
    }
);

/// Two replicas on one PostgreSQL: a key the first has just authenticated (and caches for two
/// seconds) stops working there as soon as the second removes its member — within the time a
/// notification takes, far below the cache's two seconds. (SQLite serves one process.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_removal_on_one_replica_stops_the_key_on_another_at_once() {
    let Some(database) = TestDatabase::create(Backend::Postgres)
        .await
        .expect("test database")
    else {
        return;
    };
    let first = database.store().await.unwrap();
    let second = database.store().await.unwrap();
    let now = at("2026-11-23T09:00:00Z");
    let bob = member(&first, "bob").await;
    let (_, secret) = first
        .create_member_api_key("bob", &bob, Role::Agent, now)
        .await
        .unwrap();
    assert!(first.authenticate(&secret, now).await.unwrap().is_some());
    // Cached: no round trip while the key stays valid.
    let trips = first.round_trips();
    assert!(first.authenticate(&secret, now).await.unwrap().is_some());
    assert_eq!(
        first.round_trips(),
        trips,
        "the key is served from the cache"
    );

    let removed = std::time::Instant::now();
    second.remove_staff_member(&bob, now).await.unwrap();
    let stopped = loop {
        if first.authenticate(&secret, now).await.unwrap().is_none() {
            break removed.elapsed();
        }
        assert!(
            removed.elapsed() < std::time::Duration::from_millis(500),
            "the first replica still accepts the key"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    eprintln!("the key stopped on the other replica {stopped:?} after the removal");
}

store_test!(
    a_member_whose_keys_expired_has_no_voice_by_mail,
    |store| async move {
        let now = at("2026-11-23T09:00:00Z");
        let bob = member(&store, "bob").await;
        store
            .create_key(
                NewKey {
                    name: "bob",
                    scope: staff(Role::Security),
                    member: Some(&bob),
                    machine: false,
                    expiry: Expiry::At(now + TimeDelta::days(1)),
                },
                now,
            )
            .await
            .unwrap();
        let address = "bob@staff.example.fr";
        assert_eq!(
            store.staff_by_email(address, now).await.unwrap(),
            Some((bob.clone(), Role::Security))
        );
        assert_eq!(
            store
                .staff_by_email(address, now + TimeDelta::days(1))
                .await
                .unwrap(),
            None
        );
    }
);
