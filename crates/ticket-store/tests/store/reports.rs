//! What the quality-of-service reports read: the facts kept beside the events (`report_events`),
//! written by the same transactions, and those the migration copied from the events written
//! before it.

use crate::tickets::{monday, partner_incident};
use chrono::TimeDelta;
use sea_orm::ConnectionTrait as _;
use ticket_domain::testkit::*;
use ticket_domain::{Command, Policy, Priority, Role};
use ticket_migrations::{Migrator, MigratorTrait};
use ticket_reports::input::ReportData;
use ticket_store::store_test;
use ticket_store::tickets::TicketKey;

store_test!(
    the_reports_read_the_same_history_from_kept_facts_and_from_copied_events,
    |store| async move {
        let policy = Policy::default();
        let agent = staff(Role::Agent);
        let incident = partner_incident(&store, Priority::Normale, monday()).await;
        let later = monday() + TimeDelta::minutes(30);
        let acknowledged = store
            .execute(
                TicketKey::Id(incident.ticket.id),
                incident.version,
                Command::Acknowledge { note: None },
                &agent,
                later,
                &policy,
            )
            .await
            .unwrap();
        let commented = store
            .execute(
                TicketKey::Id(incident.ticket.id),
                acknowledged.version,
                Command::Comment {
                    body: text("Nous regardons"),
                    internal: true,
                },
                &agent,
                later + TimeDelta::minutes(5),
                &policy,
            )
            .await
            .unwrap();
        store
            .execute(
                TicketKey::Id(incident.ticket.id),
                commented.version,
                Command::Resolve {
                    summary: text("Corrigé"),
                },
                &agent,
                later + TimeDelta::hours(2),
                &policy,
            )
            .await
            .unwrap();
        store
            .create_ticket(
                support_request(),
                &partner(PARTNER),
                monday(),
                &policy,
                None,
                false,
            )
            .await
            .unwrap();
        let (start, end) = (monday() - TimeDelta::days(1), monday() + TimeDelta::days(1));
        let kept = store.report_histories(start, end, None).await.unwrap();
        assert_eq!(kept.len(), 2);
        let read = kept.iter().find(|t| t.id == incident.ticket.id.0).unwrap();
        // The incident's service and start come with its opening's fact.
        let facts = read.incident.as_ref().expect("the incident's facts");
        assert_eq!(facts.started_at, at("2026-11-23T08:00:00Z"));
        assert!(facts.service.is_some());
        // The comment moves no figure: no fact of it.
        let kinds: Vec<_> = read.events.iter().map(|e| e.data.clone()).collect();
        assert!(matches!(kinds[0], ReportData::Created { .. }), "{kinds:?}");
        assert!(kinds.contains(&ReportData::Acknowledged {}), "{kinds:?}");
        assert!(kinds.contains(&ReportData::Resolved {}), "{kinds:?}");
        let all_events = store.events(incident.ticket.id).await.unwrap().len();
        assert_eq!(read.events.len(), all_events - 1, "{kinds:?}");
        // A fact holds no free text: neither the comment nor the summary.
        let rows = store
            .connection()
            .query_all_raw(sea_orm::Statement::from_string(
                store.backend(),
                "SELECT fact FROM report_events",
            ))
            .await
            .unwrap();
        for row in rows {
            let fact: String = row.try_get("", "fact").unwrap();
            assert!(
                !fact.contains("Corrigé") && !fact.contains("Nous regardons"),
                "{fact}"
            );
        }

        // The table made again by its migration, from the events: the same histories.
        let db = store.connection();
        db.execute_unprepared("DROP TABLE report_events")
            .await
            .unwrap();
        db.execute_unprepared(
            "DELETE FROM seaql_migrations WHERE version = 'm20261208_320100_report_events'",
        )
        .await
        .unwrap();
        Migrator::up(db, None).await.unwrap();
        let copied = store.report_histories(start, end, None).await.unwrap();
        assert_eq!(copied, kept);
    }
);
