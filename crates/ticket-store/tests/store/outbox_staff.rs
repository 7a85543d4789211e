//! Mails whose outcome is not known (expired leases, uncertain deliveries) and what staff do with the
//! outbox: resend, retry, list and count.

use crate::outbox::{lease, monday, partner_incident, status_of};
use chrono::TimeDelta;
use ticket_domain::Policy;
use ticket_store::outbox::{Settlement, Status};
use ticket_store::{StoreError, store_test};
use uuid::Uuid;

store_test!(
    uncertain_mails_are_requeued_by_the_resend_policy_and_by_staff_all_at_once,
    |store| async move {
        partner_incident(&store).await;
        let claimed = store.claim_outbox("w", monday(), lease(), 2).await.unwrap();
        let (first, second) = (claimed[0].mail.id, claimed[1].mail.id);
        for id in [first, second] {
            assert!(
                store
                    .settle_outbox(
                        id,
                        "w",
                        Settlement::Uncertain {
                            error: "dropped after DATA",
                            message_id: "<m@d>",
                            at: monday()
                        }
                    )
                    .await
                    .unwrap()
            );
        }
        // Resend policy: not before the delay, and only with attempts left.
        let delay = TimeDelta::hours(1);
        let early = monday() + TimeDelta::minutes(30);
        assert_eq!(
            store
                .requeue_uncertain_outbox(early - delay, 8, early)
                .await
                .unwrap(),
            0
        );
        let late = monday() + TimeDelta::minutes(61);
        assert_eq!(
            store
                .requeue_uncertain_outbox(late - delay, 1, late)
                .await
                .unwrap(),
            0,
            "no attempt left"
        );
        assert_eq!(
            store
                .requeue_uncertain_outbox(late - delay, 8, late)
                .await
                .unwrap(),
            2
        );
        assert_eq!(status_of(&store, first).await, Status::Pending);
        // Staff: every uncertain mail at once, with a fresh budget.
        let again = store.claim_outbox("w", late, lease(), 2).await.unwrap();
        assert_eq!(again.len(), 2);
        for mail in &again {
            store
                .settle_outbox(
                    mail.mail.id,
                    "w",
                    Settlement::Uncertain {
                        error: "dropped",
                        message_id: "<m@d>",
                        at: late,
                    },
                )
                .await
                .unwrap();
        }
        assert_eq!(store.retry_uncertain_outbox(late).await.unwrap(), 2);
        let row = store.get_outbox(second).await.unwrap();
        assert_eq!(row.status, Status::Pending);
        assert_eq!(row.attempts, 0);
        assert_eq!(store.retry_uncertain_outbox(late).await.unwrap(), 0);
    }
);

store_test!(
    an_uncertain_mail_keeps_its_message_id_for_staff,
    |store| async move {
        partner_incident(&store).await;
        let claimed = store.claim_outbox("w", monday(), lease(), 1).await.unwrap();
        let id = claimed[0].mail.id;
        assert!(
            store
                .settle_outbox(
                    id,
                    "w",
                    Settlement::Uncertain {
                        error: "connection closed after DATA",
                        message_id: "<m.1.a@d>",
                        at: monday()
                    }
                )
                .await
                .unwrap()
        );
        let row = store.get_outbox(id).await.unwrap();
        assert_eq!(row.status, Status::Uncertain);
        assert_eq!(row.message_id.as_deref(), Some("<m.1.a@d>"));
        assert!(
            store
                .claim_outbox("w", monday() + TimeDelta::days(1), lease(), 10)
                .await
                .unwrap()
                .iter()
                .all(|r| r.mail.id != id)
        );
    }
);

store_test!(
    staff_retry_failed_and_uncertain_mails_but_nothing_else,
    |store| async move {
        partner_incident(&store).await;
        let claimed = store.claim_outbox("w", monday(), lease(), 2).await.unwrap();
        let (failed, uncertain) = (claimed[0].mail.id, claimed[1].mail.id);
        store
            .settle_outbox(
                failed,
                "w",
                Settlement::Failed {
                    error: "550 no such user",
                    at: monday(),
                    policy: &ticket_domain::Policy::default(),
                },
            )
            .await
            .unwrap();
        store
            .settle_outbox(
                uncertain,
                "w",
                Settlement::Uncertain {
                    error: "dropped",
                    message_id: "<m@d>",
                    at: monday(),
                },
            )
            .await
            .unwrap();
        let later = monday() + TimeDelta::hours(2);
        for id in [failed, uncertain] {
            let retried = store.retry_outbox(id, later).await.unwrap();
            assert_eq!(retried.status, Status::Pending);
            assert_eq!(retried.attempts, 0, "a fresh budget of attempts");
            assert_eq!(retried.next_attempt_at, later);
            assert_eq!(retried.claimed_by, None);
        }
        // Pending, sending or sent: refused; unknown: not found.
        let refused = store.retry_outbox(failed, later).await.unwrap_err();
        let StoreError::Refused(refusal) = refused else {
            panic!("{refused:?}")
        };
        assert_eq!(refusal.rule.name(), "invalid-transition");
        let claimed = store.claim_outbox("w", later, lease(), 10).await.unwrap();
        assert_eq!(claimed.len(), 2);
        store
            .settle_outbox(
                failed,
                "w",
                Settlement::Sent {
                    message_id: "<m@d>",
                    at: later,
                    policy: &Policy::default(),
                },
            )
            .await
            .unwrap();
        assert!(matches!(
            store.retry_outbox(failed, later).await,
            Err(StoreError::Refused(_))
        ));
        assert!(matches!(
            store.retry_outbox(Uuid::now_v7(), later).await,
            Err(StoreError::NotFound("mail"))
        ));
    }
);

store_test!(
    mails_are_listed_by_status_page_by_page_and_counted,
    |store| async move {
        for _ in 0..5 {
            partner_incident(&store).await;
        }
        let claimed = store
            .claim_outbox("w", monday(), lease(), 10)
            .await
            .unwrap();
        let mut failed: Vec<Uuid> = Vec::new();
        for row in claimed.iter().take(7) {
            store
                .settle_outbox(
                    row.mail.id,
                    "w",
                    Settlement::Failed {
                        error: "boom",
                        at: monday(),
                        policy: &ticket_domain::Policy::default(),
                    },
                )
                .await
                .unwrap();
            failed.push(row.mail.id);
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = store
                .list_outbox(Some(Status::Failed), 3, cursor.as_deref())
                .await
                .unwrap();
            assert!(page.items.len() <= 3);
            assert!(page.items.iter().all(|m| m.status == Status::Failed));
            seen.extend(page.items.iter().map(|m| m.id));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        failed.sort();
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(sorted, failed, "every failed mail, once");
        assert_eq!(seen, sorted, "oldest first (ids are time-ordered)");
        let all = store.list_outbox(None, 200, None).await.unwrap();
        assert_eq!(all.items.len(), 10);
        assert!(matches!(
            store.list_outbox(None, 10, Some("not-a-cursor")).await,
            Err(StoreError::InvalidCursor)
        ));
        let counts = store.count_outbox().await.unwrap();
        assert_eq!(
            counts,
            vec![
                (Status::Pending, 0),
                (Status::Sending, 3),
                (Status::Sent, 0),
                (Status::Failed, 7),
                (Status::Uncertain, 0),
            ]
        );
    }
);
