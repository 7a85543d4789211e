//! API keys: shown once, stored hashed, scoped to a staff role or a partner organisation.

use super::fixtures::*;
use chrono::TimeDelta;
use sea_orm::{EntityTrait, PaginatorTrait};
use ticket_domain::Role;
use ticket_domain::refusal::Rule;
use ticket_domain::testkit::at;
use ticket_domain::values::OrganisationId;
use ticket_store::entities::api_key;
use ticket_store::keys::KeyScope;
use ticket_store::registry::OrganisationRole;
use ticket_store::secrets::secret_hash;
use ticket_store::{StoreError, store_test};

store_test!(
    a_created_key_authenticates_and_carries_its_scope,
    |store| async move {
        let partner = register(&store, "Partenaire", &[OrganisationRole::ServiceProvider]).await;
        let now = at("2026-11-23T09:00:00.987654321Z");
        let scopes = [
            KeyScope::Staff {
                role: Role::Security,
            },
            KeyScope::Partner {
                organisation: partner.id,
            },
        ];
        for scope in scopes {
            let (key, secret) = store
                .create_api_key("  clé principale  ", scope, now)
                .await
                .unwrap();
            assert!(secret.starts_with("tkd_"), "{key:?}");
            assert_eq!(secret.len(), 4 + 43);
            assert_eq!(key.prefix, secret[..12]);
            assert_eq!(key.name, "clé principale");
            assert_eq!(key.scope, scope);
            assert_eq!(key.created_at, at("2026-11-23T09:00:00.987654Z"));
            assert_eq!(key.revoked_at, None);
            assert_eq!(key.last_used_at, None);
            assert_eq!(store.get_api_key(key.id).await.unwrap(), key);

            let used_at = now + TimeDelta::minutes(5);
            let authenticated = store.authenticate(&secret, used_at).await.unwrap().unwrap();
            assert_eq!(authenticated.id, key.id);
            assert_eq!(authenticated.scope, scope);
            assert_eq!(
                authenticated.last_used_at,
                Some(at("2026-11-23T09:05:00.987654Z"))
            );
        }
    }
);

store_test!(
    the_stored_row_holds_the_hash_and_never_the_secret,
    |store| async move {
        let (key, secret) = store
            .create_api_key(
                "supervision",
                KeyScope::Staff {
                    role: Role::Supervisor,
                },
                at("2026-11-23T09:00:00Z"),
            )
            .await
            .unwrap();
        let row = api_key::Entity::find_by_id(key.id)
            .one(store.connection())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.secret_hash, secret_hash(&secret));
        assert_eq!(row.prefix, key.prefix);
        assert_eq!(row.role.as_deref(), Some("supervisor"));
        assert_eq!(row.organisation_id, None);
        // Neither the secret nor its part after the shown prefix appears in any column.
        let unshown = &secret[12..];
        for column in [&row.name, &row.prefix, &row.secret_hash] {
            assert!(!column.contains(unshown), "{column}");
        }
        let printed = format!("{row:?} {key:?}");
        assert!(!printed.contains(unshown));
        assert!(!printed.contains(&secret));
    }
);

store_test!(
    a_wrong_or_malformed_secret_does_not_authenticate,
    |store| async move {
        let (key, secret) = store
            .create_api_key(
                "agent",
                KeyScope::Staff { role: Role::Agent },
                at("2026-11-23T09:00:00Z"),
            )
            .await
            .unwrap();
        let now = at("2026-11-23T10:00:00Z");
        let mut altered = secret.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        let other = format!("tkd_{}", ticket_store::secrets::new_secret());
        for wrong in [
            altered.as_str(),
            other.as_str(),
            &secret[..secret.len() - 1],
            &format!("{secret} "),
            key.prefix.as_str(),
            &secret_hash(&secret),
            &secret[4..],
            "",
        ] {
            assert_eq!(
                store.authenticate(wrong, now).await.unwrap(),
                None,
                "{wrong}"
            );
        }
        // A failed attempt records no use of the key.
        assert_eq!(store.get_api_key(key.id).await.unwrap().last_used_at, None);
    }
);

store_test!(
    a_revoked_key_no_longer_authenticates_and_revoking_again_keeps_the_first_instant,
    |store| async move {
        let (key, secret) = store
            .create_api_key(
                "ancien poste",
                KeyScope::Staff {
                    role: Role::Engineer,
                },
                at("2026-11-23T09:00:00Z"),
            )
            .await
            .unwrap();
        // Authenticated first: the replica keeps the key a moment (KEY_CACHE_TTL), and its own
        // revocation must still take effect at once, without a database round trip saved.
        let used_at = at("2026-11-23T12:00:00Z");
        assert!(
            store
                .authenticate(&secret, used_at)
                .await
                .unwrap()
                .is_some()
        );
        let before = store.round_trips();
        assert!(
            store
                .authenticate(&secret, used_at)
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            store.round_trips(),
            before,
            "a key just authenticated is kept"
        );
        let revoked_at = at("2026-11-23T12:00:00.5Z");
        let revoked = store.revoke_api_key(key.id, revoked_at).await.unwrap();
        assert_eq!(revoked.revoked_at, Some(revoked_at));
        assert_eq!(
            store
                .authenticate(&secret, revoked_at + TimeDelta::seconds(1))
                .await
                .unwrap(),
            None
        );
        let again = store
            .revoke_api_key(key.id, at("2026-11-24T12:00:00Z"))
            .await
            .unwrap();
        assert_eq!(again.revoked_at, Some(revoked_at));
        assert_eq!(store.get_api_key(key.id).await.unwrap(), again);
        assert!(matches!(
            store.revoke_api_key(uuid::Uuid::now_v7(), revoked_at).await,
            Err(StoreError::NotFound("api key"))
        ));
        assert!(matches!(
            store.get_api_key(uuid::Uuid::now_v7()).await,
            Err(StoreError::NotFound("api key"))
        ));
    }
);

store_test!(
    a_partner_key_needs_an_existing_organisation_and_a_key_a_name,
    |store| async move {
        let now = at("2026-11-23T09:00:00Z");
        let missing = store
            .create_api_key(
                "fantôme",
                KeyScope::Partner {
                    organisation: OrganisationId::new_v7(),
                },
                now,
            )
            .await;
        assert!(matches!(missing, Err(StoreError::NotFound("organisation"))));
        for name in ["", "   ", &"n".repeat(101)] {
            let refused = store
                .create_api_key(name, KeyScope::Staff { role: Role::Admin }, now)
                .await;
            let Err(StoreError::Refused(refusal)) = refused else {
                panic!("accepted the name {name:?}: {refused:?}");
            };
            assert_eq!(refusal.rule, Rule::InvalidInput);
            assert_eq!(refusal.errors[0].field, "name");
        }
        assert_eq!(
            api_key::Entity::find()
                .count(store.connection())
                .await
                .unwrap(),
            0
        );
        let (longest, _) = store
            .create_api_key(&"n".repeat(100), KeyScope::Staff { role: Role::Admin }, now)
            .await
            .unwrap();
        assert_eq!(longest.name.chars().count(), 100);
    }
);

store_test!(
    the_list_shows_each_key_s_prefix_newest_first_and_never_a_secret,
    |store| async move {
        let partner = register(&store, "Partenaire", &[OrganisationRole::IdentityProvider]).await;
        let (first, first_secret) = store
            .create_api_key(
                "premier",
                KeyScope::Staff { role: Role::Admin },
                at("2026-11-23T09:00:00Z"),
            )
            .await
            .unwrap();
        let (second, second_secret) = store
            .create_api_key(
                "second",
                KeyScope::Partner {
                    organisation: partner.id,
                },
                at("2026-11-23T10:00:00Z"),
            )
            .await
            .unwrap();
        let revoked = store
            .revoke_api_key(first.id, at("2026-11-23T11:00:00Z"))
            .await
            .unwrap();

        let list = store.list_api_keys().await.unwrap();
        assert_eq!(list, [second.clone(), revoked]);
        assert_eq!(list[0].prefix, second_secret[..12]);
        assert_eq!(list[1].prefix, first_secret[..12]);
        let json = serde_json::to_string(&list).unwrap();
        for secret in [&first_secret, &second_secret] {
            assert!(!json.contains(&secret[12..]), "{json}");
        }
        let value = serde_json::to_value(&list[0]).unwrap();
        assert_eq!(value["scope"]["type"], "partner");
        assert_eq!(value["scope"]["organisation"], partner.id.to_string());
    }
);

store_test!(use_is_recorded_at_most_once_a_minute, |store| async move {
    let (key, secret) = store
        .create_api_key(
            "robot",
            KeyScope::Staff { role: Role::Agent },
            at("2026-11-23T09:00:00Z"),
        )
        .await
        .unwrap();
    let stored_use = || async {
        api_key::Entity::find_by_id(key.id)
            .one(store.connection())
            .await
            .unwrap()
            .unwrap()
            .last_used_at
    };
    let first = at("2026-11-23T10:00:00Z");
    let key_then = store.authenticate(&secret, first).await.unwrap().unwrap();
    assert_eq!(key_then.last_used_at, Some(first));
    assert_eq!(stored_use().await, Some(first));

    // Within the minute: not rewritten, and the answer says when the use was recorded.
    for later in [
        first + TimeDelta::seconds(1),
        first + TimeDelta::seconds(59),
    ] {
        let key_now = store.authenticate(&secret, later).await.unwrap().unwrap();
        assert_eq!(key_now.last_used_at, Some(first));
        assert_eq!(stored_use().await, Some(first));
    }

    let a_minute_later = first + TimeDelta::seconds(60);
    let key_now = store
        .authenticate(&secret, a_minute_later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(key_now.last_used_at, Some(a_minute_later));
    assert_eq!(stored_use().await, Some(a_minute_later));

    // Many requests at once record one use and all succeed.
    let next = a_minute_later + TimeDelta::minutes(2);
    let attempts = (0..8).map(|_| {
        let (store, secret) = (store.clone(), secret.clone());
        async move { store.authenticate(&secret, next).await }
    });
    for result in futures_join_all(attempts).await {
        assert_eq!(result.unwrap().unwrap().id, key.id);
    }
    assert_eq!(stored_use().await, Some(next));
});

/// Runs the futures concurrently and collects their outputs (without a dependency on `futures`).
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}

store_test!(
    an_organisation_deleted_while_a_key_is_created_for_it_leaves_no_key_behind,
    |store| async move {
        let now = at("2026-11-23T09:00:00Z");
        for round in 0..20 {
            let partner = register(
                &store,
                &format!("Partenaire {round}"),
                &[OrganisationRole::ServiceProvider],
            )
            .await;
            let scope = KeyScope::Partner {
                organisation: partner.id,
            };
            let creating = {
                let store = store.clone();
                tokio::spawn(async move { store.create_api_key("course", scope, now).await })
            };
            let deleting = {
                let store = store.clone();
                tokio::spawn(async move { store.delete_organisation(partner.id).await })
            };
            let created = creating.await.unwrap();
            let deleted = deleting.await.unwrap();
            match (&created, &deleted) {
                // The key came first: the organisation stays.
                (Ok(_), Err(StoreError::InUse("active api keys"))) => {
                    store.get_organisation(partner.id).await.unwrap();
                }
                // The deletion came first: no key.
                (Err(StoreError::NotFound("organisation")), Ok(())) => {}
                _ => panic!(
                    "round {round}: {:?}, {deleted:?}",
                    // The key, never its secret.
                    created.as_ref().map(|(key, _)| key)
                ),
            }
        }
    }
);
