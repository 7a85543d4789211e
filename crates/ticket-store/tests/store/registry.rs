//! The trust-sphere registry: organisations, services, designated contacts.

use super::fixtures::*;
use chrono::TimeDelta;
use sea_orm::{EntityTrait, PaginatorTrait};
use ticket_domain::kind::{Detector, KindData};
use ticket_domain::refusal::Rule;
use ticket_domain::testkit::{at, partner_usurpation, staff, support_request, text};
use ticket_domain::{Policy, Role};
use ticket_store::entities::{contact, organisation, service};
use ticket_store::keys::KeyScope;
use ticket_store::registry::{AssuranceLevel, NewOrganisation, OrganisationRole, validate_roles};
use ticket_store::{StoreError, store_test};

use OrganisationRole::{IdentityProvider, ServiceProvider, UserOrganisation};

store_test!(
    an_organisation_is_created_read_updated_and_deleted_with_its_services_and_contacts,
    |store| async move {
        // Nanoseconds are dropped: what PostgreSQL keeps, so what is read equals what was written.
        let created_at = at("2026-11-23T09:00:00.123456789Z");
        let created = store
            .create_organisation(
                NewOrganisation {
                    name: text("  Caisse nationale  "),
                    roles: vec![ServiceProvider, IdentityProvider],
                },
                created_at,
            )
            .await
            .unwrap();
        assert_eq!(created.name, "Caisse nationale");
        assert_eq!(created.roles, [IdentityProvider, ServiceProvider]);
        assert_eq!(created.created_at, at("2026-11-23T09:00:00.123456Z"));
        assert_eq!(created.updated_at, created.created_at);
        assert!(created.services.is_empty() && created.contacts.is_empty());
        assert_eq!(store.get_organisation(created.id).await.unwrap(), created);

        let row = organisation::Entity::find_by_id(created.id.0)
            .one(store.connection())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.roles, "identity_provider,service_provider");

        let service = store
            .add_service(
                created.id,
                new_service("Compte assuré", Some(4 * 3600)),
                at("2026-11-23T09:01:00Z"),
            )
            .await
            .unwrap();
        assert_eq!(service.organisation, created.id);
        assert_eq!(service.availability, "24/7");
        assert_eq!(service.minimum_assurance_level, AssuranceLevel::Substantial);
        let contact = store
            .add_contact(
                created.id,
                new_contact(
                    "Équipe sécurité",
                    "securite@caisse.example.fr",
                    Some("+33 1 23 45 67 89"),
                ),
                at("2026-11-23T09:02:00Z"),
            )
            .await
            .unwrap();
        assert_eq!(contact.email.expose(), "securite@caisse.example.fr");
        assert_eq!(
            contact.phone.as_ref().map(|p| p.expose()),
            Some("+33 1 23 45 67 89")
        );

        let read = store.get_organisation(created.id).await.unwrap();
        assert_eq!(read.services, std::slice::from_ref(&service));
        assert_eq!(read.contacts, std::slice::from_ref(&contact));
        assert_eq!(store.get_service(service.id).await.unwrap(), service);

        let updated = store
            .update_organisation(
                created.id,
                Some(text("Caisse nationale d'assurance")),
                Some(vec![UserOrganisation]),
                at("2026-11-24T10:00:00Z"),
            )
            .await
            .unwrap();
        assert_eq!(updated.name, "Caisse nationale d'assurance");
        assert_eq!(updated.roles, [UserOrganisation]);
        assert_eq!(updated.created_at, created.created_at);
        assert_eq!(updated.updated_at, at("2026-11-24T10:00:00Z"));
        assert_eq!(updated.services, std::slice::from_ref(&service));
        assert_eq!(updated.contacts, std::slice::from_ref(&contact));
        // Nothing given: only updated_at moves.
        let touched = store
            .update_organisation(created.id, None, None, at("2026-11-25T10:00:00Z"))
            .await
            .unwrap();
        assert_eq!(touched.name, updated.name);
        assert_eq!(touched.roles, updated.roles);
        assert_eq!(store.get_organisation(created.id).await.unwrap(), touched);

        store.delete_organisation(created.id).await.unwrap();
        assert!(matches!(
            store.get_organisation(created.id).await,
            Err(StoreError::NotFound("organisation"))
        ));
        assert!(matches!(
            store.get_service(service.id).await,
            Err(StoreError::NotFound("service"))
        ));
        let db = store.connection();
        assert_eq!(organisation::Entity::find().count(db).await.unwrap(), 0);
        assert_eq!(service::Entity::find().count(db).await.unwrap(), 0);
        assert_eq!(contact::Entity::find().count(db).await.unwrap(), 0);
        assert!(matches!(
            store.delete_organisation(created.id).await,
            Err(StoreError::NotFound("organisation"))
        ));
        assert!(matches!(
            store
                .update_organisation(created.id, None, None, at("2026-11-25T10:00:00Z"))
                .await,
            Err(StoreError::NotFound("organisation"))
        ));
    }
);

store_test!(
    the_list_is_sorted_by_name_with_each_organisation_s_services_and_contacts,
    |store| async move {
        let charlie = register(&store, "charlie", &[ServiceProvider]).await;
        let alpha = register(&store, "Alpha", &[IdentityProvider]).await;
        let bravo = register(&store, "bravo", &[UserOrganisation]).await;
        let now = at("2026-11-23T10:00:00Z");
        let s1 = store
            .add_service(alpha.id, new_service("Connexion", None), now)
            .await
            .unwrap();
        let s2 = store
            .add_service(
                alpha.id,
                new_service("Compte", Some(3600)),
                now + TimeDelta::seconds(1),
            )
            .await
            .unwrap();
        let s3 = store
            .add_service(charlie.id, new_service("Démarches", None), now)
            .await
            .unwrap();
        let c1 = store
            .add_contact(
                charlie.id,
                new_contact("Support", "support@charlie.example.fr", None),
                now,
            )
            .await
            .unwrap();

        let list = store.list_organisations().await.unwrap();
        let names: Vec<&str> = list.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["Alpha", "bravo", "charlie"]);
        assert_eq!(list[0].id, alpha.id);
        assert_eq!(list[0].services, [s1, s2]);
        assert!(list[0].contacts.is_empty());
        assert_eq!(list[1].id, bravo.id);
        assert!(list[1].services.is_empty() && list[1].contacts.is_empty());
        assert_eq!(list[2].services, [s3]);
        assert_eq!(list[2].contacts, [c1]);
        for organisation in &list {
            assert_eq!(
                &store.get_organisation(organisation.id).await.unwrap(),
                organisation
            );
        }
    }
);

store_test!(
    a_second_organisation_with_the_same_name_is_refused,
    |store| async move {
        let first = register(&store, "Ministère", &[ServiceProvider]).await;
        let again = store
            .create_organisation(
                NewOrganisation {
                    name: text("Ministère"),
                    roles: vec![IdentityProvider],
                },
                at("2026-11-23T10:00:00Z"),
            )
            .await;
        assert!(matches!(
            again,
            Err(StoreError::Duplicate("organisation name"))
        ));
        let other = register(&store, "Préfecture", &[ServiceProvider]).await;
        let renamed = store
            .update_organisation(
                other.id,
                Some(text("Ministère")),
                None,
                at("2026-11-23T10:00:00Z"),
            )
            .await;
        assert!(matches!(
            renamed,
            Err(StoreError::Duplicate("organisation name"))
        ));
        // Nothing changed.
        assert_eq!(store.get_organisation(other.id).await.unwrap(), other);
        assert_eq!(store.list_organisations().await.unwrap(), [first, other]);
    }
);

store_test!(
    roles_must_be_given_once_each_and_a_maximum_unavailability_must_be_positive,
    |store| async move {
        for roles in [vec![], vec![ServiceProvider, ServiceProvider]] {
            let expected = validate_roles(&roles).unwrap_err();
            let refused = store
                .create_organisation(
                    NewOrganisation {
                        name: text("Sans rôle"),
                        roles,
                    },
                    at("2026-11-23T10:00:00Z"),
                )
                .await;
            let Err(StoreError::Refused(refusal)) = refused else {
                panic!("accepted invalid roles: {refused:?}");
            };
            assert_eq!(refusal.rule, Rule::InvalidInput);
            assert_eq!(refusal.errors, expected);
            assert!(refusal.errors.iter().all(|e| e.field == "roles"));
        }
        let db = store.connection();
        assert_eq!(organisation::Entity::find().count(db).await.unwrap(), 0);

        let valid = register(&store, "Valide", &[ServiceProvider]).await;
        let refused = store
            .update_organisation(valid.id, None, Some(vec![]), at("2026-11-23T10:00:00Z"))
            .await;
        assert!(matches!(refused, Err(StoreError::Refused(r)) if r.errors[0].field == "roles"));

        for seconds in [0, -60] {
            let refused = store
                .add_service(
                    valid.id,
                    new_service("Compte", Some(seconds)),
                    at("2026-11-23T10:00:00Z"),
                )
                .await;
            assert!(
                matches!(&refused, Err(StoreError::Refused(r))
                    if r.errors[0].field == "max_unavailability_seconds"),
                "{refused:?}"
            );
        }
        assert_eq!(service::Entity::find().count(db).await.unwrap(), 0);
        assert_eq!(store.get_organisation(valid.id).await.unwrap(), valid);
    }
);

store_test!(
    an_organisation_that_tickets_refer_to_cannot_be_deleted,
    |store| async move {
        let now = at("2026-11-23T10:00:00Z");
        // The organisation a ticket is about (tickets.organisation_id).
        let affected = register(&store, "Affectée", &[ServiceProvider]).await;
        let mut question = support_request();
        question.organisation = Some(affected.id);
        store
            .create_ticket(
                question,
                &staff(Role::Agent),
                now,
                &Policy::default(),
                None,
                false,
            )
            .await
            .unwrap();
        // An organisation a ticket concerns without being about it (ticket_organisations).
        let impersonated = register(&store, "Usurpée", &[ServiceProvider]).await;
        let mut usurpation = partner_usurpation(Detector::Operator);
        usurpation.organisation = None;
        let KindData::PartnerUsurpation(data) = &mut usurpation.data else {
            unreachable!()
        };
        data.partner = impersonated.id;
        store
            .create_ticket(
                usurpation,
                &staff(Role::Security),
                now,
                &Policy::default(),
                None,
                false,
            )
            .await
            .unwrap();

        for organisation in [&affected, &impersonated] {
            assert!(matches!(
                store.delete_organisation(organisation.id).await,
                Err(StoreError::InUse("tickets"))
            ));
            assert_eq!(
                &store.get_organisation(organisation.id).await.unwrap(),
                organisation
            );
        }

        // A partner whose key is active: deleting it would leave a key for nobody.
        let keyed = register(&store, "Avec clé", &[IdentityProvider]).await;
        let service = store
            .add_service(keyed.id, new_service("Connexion", None), now)
            .await
            .unwrap();
        let (key, _) = store
            .create_api_key(
                "principale",
                KeyScope::Partner {
                    organisation: keyed.id,
                },
                now,
            )
            .await
            .unwrap();
        assert!(matches!(
            store.delete_organisation(keyed.id).await,
            Err(StoreError::InUse("active api keys"))
        ));
        store.revoke_api_key(key.id, now).await.unwrap();
        store.delete_organisation(keyed.id).await.unwrap();
        assert!(matches!(
            store.get_service(service.id).await,
            Err(StoreError::NotFound("service"))
        ));
    }
);

store_test!(
    a_service_snapshot_carries_its_maximum_unavailability,
    |store| async move {
        let organisation = register(&store, "Opérateur", &[ServiceProvider]).await;
        let now = at("2026-11-23T10:00:00Z");
        let bounded = store
            .add_service(organisation.id, new_service("Compte", Some(2 * 3600)), now)
            .await
            .unwrap();
        let unbounded = store
            .add_service(organisation.id, new_service("Documentation", None), now)
            .await
            .unwrap();
        let snapshot = store.service_snapshot(bounded.id).await.unwrap();
        assert_eq!(snapshot.id, bounded.id);
        assert_eq!(snapshot.organisation, organisation.id);
        assert_eq!(snapshot.name, "Compte");
        assert_eq!(snapshot.max_unavailability_seconds, Some(7200));
        let snapshot = store.service_snapshot(unbounded.id).await.unwrap();
        assert_eq!(snapshot.max_unavailability_seconds, None);
        assert!(matches!(
            store
                .service_snapshot(ticket_domain::values::ServiceId::new_v7())
                .await,
            Err(StoreError::NotFound("service"))
        ));
    }
);

store_test!(
    contacts_of_an_organisation_are_what_the_mailer_reaches,
    |store| async move {
        let organisation = register(&store, "Fournisseur", &[IdentityProvider]).await;
        let other = register(&store, "Autre", &[ServiceProvider]).await;
        let silent = register(&store, "Sans contact", &[ServiceProvider]).await;
        let now = at("2026-11-23T10:00:00Z");
        let first = store
            .add_contact(
                organisation.id,
                new_contact("Alice Martin", "alice@fournisseur.example.fr", None),
                now,
            )
            .await
            .unwrap();
        let second = store
            .add_contact(
                organisation.id,
                new_contact(
                    "Astreinte",
                    "astreinte@fournisseur.example.fr",
                    Some("06 12 34 56 78"),
                ),
                now + TimeDelta::seconds(1),
            )
            .await
            .unwrap();
        store
            .add_contact(
                other.id,
                new_contact("Support", "support@autre.example.fr", None),
                now,
            )
            .await
            .unwrap();

        let contacts = store.contacts_of(organisation.id).await.unwrap();
        assert_eq!(contacts, [first.clone(), second]);
        assert!(store.contacts_of(silent.id).await.unwrap().is_empty());
        assert!(matches!(
            store
                .contacts_of(ticket_domain::values::OrganisationId::new_v7())
                .await,
            Err(StoreError::NotFound("organisation"))
        ));
        // Personal data stays out of debug output (what a log line would print).
        let printed = format!("{contacts:?}");
        assert!(!printed.contains("fournisseur.example.fr"), "{printed}");
        assert!(!printed.contains("06 12"), "{printed}");

        store
            .remove_contact(organisation.id, first.id)
            .await
            .unwrap();
        assert_eq!(store.contacts_of(organisation.id).await.unwrap().len(), 1);
    }
);

store_test!(
    services_and_contacts_are_removed_only_through_their_own_organisation,
    |store| async move {
        let owner = register(&store, "Propriétaire", &[ServiceProvider]).await;
        let intruder = register(&store, "Intruse", &[ServiceProvider]).await;
        let now = at("2026-11-23T10:00:00Z");
        let service = store
            .add_service(owner.id, new_service("Compte", None), now)
            .await
            .unwrap();
        let contact = store
            .add_contact(
                owner.id,
                new_contact("Support", "support@proprietaire.example.fr", None),
                now,
            )
            .await
            .unwrap();

        assert!(matches!(
            store.remove_service(intruder.id, service.id).await,
            Err(StoreError::NotFound("service"))
        ));
        assert!(matches!(
            store.remove_contact(intruder.id, contact.id).await,
            Err(StoreError::NotFound("contact"))
        ));
        let read = store.get_organisation(owner.id).await.unwrap();
        assert_eq!(read.services, std::slice::from_ref(&service));
        assert_eq!(read.contacts, std::slice::from_ref(&contact));

        store.remove_service(owner.id, service.id).await.unwrap();
        store.remove_contact(owner.id, contact.id).await.unwrap();
        let read = store.get_organisation(owner.id).await.unwrap();
        assert!(read.services.is_empty() && read.contacts.is_empty());
        assert!(matches!(
            store.remove_service(owner.id, service.id).await,
            Err(StoreError::NotFound("service"))
        ));
        assert!(matches!(
            store.remove_contact(owner.id, contact.id).await,
            Err(StoreError::NotFound("contact"))
        ));
    }
);

store_test!(
    services_and_contacts_need_an_existing_organisation,
    |store| async move {
        let missing = ticket_domain::values::OrganisationId::new_v7();
        let now = at("2026-11-23T10:00:00Z");
        assert!(matches!(
            store
                .add_service(missing, new_service("Compte", None), now)
                .await,
            Err(StoreError::NotFound("organisation"))
        ));
        assert!(matches!(
            store
                .add_contact(
                    missing,
                    new_contact("Support", "support@example.fr", None),
                    now
                )
                .await,
            Err(StoreError::NotFound("organisation"))
        ));
        let db = store.connection();
        assert_eq!(service::Entity::find().count(db).await.unwrap(), 0);
        assert_eq!(contact::Entity::find().count(db).await.unwrap(), 0);
    }
);
