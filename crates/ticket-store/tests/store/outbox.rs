//! The mail outbox: claims, leases and outcomes, as the dispatcher and staff use them.

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::ExposeSecret as _;
use std::collections::HashSet;
use ticket_domain::kind::UsurpationReporter;
use ticket_domain::notify::{Mailbox, Recipient, Template};
use ticket_domain::testkit::*;
use ticket_domain::values::TicketId;
use ticket_domain::{Actor, Policy};
use ticket_store::outbox::{Settlement, Status};
use ticket_store::{Store, StoreError, store_test};
use uuid::Uuid;

pub(crate) fn monday() -> DateTime<Utc> {
    at("2026-11-23T09:00:00Z")
}

pub(crate) fn lease() -> TimeDelta {
    TimeDelta::minutes(10)
}

/// A partner's incident: two mails (acknowledgement to the reporter, copy to partner support).
pub(crate) async fn partner_incident(store: &Store) -> TicketId {
    let mut new = incident(false, "2026-11-23T08:00:00Z");
    new.id = TicketId::new_v7();
    store
        .create_ticket(
            new,
            &partner(PARTNER),
            monday(),
            &Policy::default(),
            None,
            false,
        )
        .await
        .unwrap()
        .ticket
        .ticket
        .id
}

/// A public identity-theft report: its acknowledgement row carries the tracking secret.
pub(crate) async fn public_report(store: &Store) -> (TicketId, String) {
    let mut new = user_usurpation(UsurpationReporter::User, "2026-11-20T22:00:00Z");
    new.id = TicketId::new_v7();
    let created = store
        .create_ticket(
            new,
            &Actor::PublicReporter,
            monday(),
            &Policy::default(),
            None,
            true,
        )
        .await
        .unwrap();
    (created.ticket.ticket.id, created.tracking_secret.unwrap())
}

pub(crate) async fn status_of(store: &Store, id: Uuid) -> Status {
    store.get_outbox(id).await.unwrap().status
}

store_test!(
    a_claim_takes_due_pending_rows_once_and_counts_the_attempt,
    |store| async move {
        let ticket = partner_incident(&store).await;
        let claimed = store
            .claim_outbox("worker-a", monday(), lease(), 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 2);
        for row in &claimed {
            assert_eq!(row.mail.ticket_id, ticket);
            assert_eq!(row.mail.status, Status::Sending);
            assert_eq!(row.mail.attempts, 1);
            assert_eq!(row.mail.claimed_by.as_deref(), Some("worker-a"));
            assert_eq!(row.mail.claimed_until, Some(monday() + lease()));
        }
        let templates: HashSet<Template> = claimed.iter().map(|r| r.mail.template).collect();
        assert_eq!(
            templates,
            HashSet::from([Template::AcknowledgementOfReceipt, Template::NewTicketCopy])
        );
        assert!(
            claimed
                .iter()
                .any(|r| r.mail.recipient == Recipient::Mailbox(Mailbox::PartnerSupport))
        );
        // Claimed rows are no longer pending: a second worker gets nothing.
        let again = store
            .claim_outbox("worker-b", monday(), lease(), 10)
            .await
            .unwrap();
        assert!(again.is_empty());
        let stored = store.get_outbox(claimed[0].mail.id).await.unwrap();
        assert_eq!(stored, claimed[0].mail);
    }
);

store_test!(
    a_claim_respects_the_limit_and_the_next_attempt_instant,
    |store| async move {
        for _ in 0..3 {
            partner_incident(&store).await;
        }
        let early = store
            .claim_outbox("w", monday() - TimeDelta::seconds(1), lease(), 10)
            .await
            .unwrap();
        assert!(
            early.is_empty(),
            "rows are not due before they were written"
        );
        let first = store.claim_outbox("w", monday(), lease(), 4).await.unwrap();
        assert_eq!(first.len(), 4);
        let rest = store.claim_outbox("w", monday(), lease(), 4).await.unwrap();
        assert_eq!(rest.len(), 2);
    }
);

store_test!(
    concurrent_claims_never_hand_out_the_same_row,
    |store| async move {
        for _ in 0..20 {
            partner_incident(&store).await;
        }
        let mut tasks = Vec::new();
        for worker in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = store
                        .claim_outbox(&format!("w{worker}"), monday(), lease(), 3)
                        .await
                        .unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|r| r.mail.id));
                }
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        let distinct: HashSet<Uuid> = all.iter().copied().collect();
        assert_eq!(all.len(), 40, "every row claimed");
        assert_eq!(distinct.len(), 40, "no row claimed twice");
    }
);

store_test!(
    a_sent_mail_records_its_message_id_and_erases_the_tracking_secret,
    |store| async move {
        let (ticket, secret) = public_report(&store).await;
        let claimed = store
            .claim_outbox("w", monday(), lease(), 10)
            .await
            .unwrap();
        let ack = claimed
            .iter()
            .find(|r| r.mail.template == Template::AcknowledgementOfReceipt)
            .unwrap();
        assert_eq!(
            ack.tracking_secret.as_ref().map(|s| s.expose_secret()),
            Some(secret.as_str())
        );
        assert!(
            claimed
                .iter()
                .filter(|r| r.mail.id != ack.mail.id)
                .all(|r| r.tracking_secret.is_none())
        );
        // Only the worker holding the row may mark it.
        assert!(
            !store
                .settle_outbox(
                    ack.mail.id,
                    "another",
                    Settlement::Sent {
                        message_id: "<x@y>",
                        at: monday(),
                        policy: &Policy::default()
                    }
                )
                .await
                .unwrap()
        );
        let later = monday() + TimeDelta::seconds(5);
        assert!(
            store
                .settle_outbox(
                    ack.mail.id,
                    "w",
                    Settlement::Sent {
                        message_id: "<t.1.abc@ticketd.localhost>",
                        at: later,
                        policy: &Policy::default()
                    }
                )
                .await
                .unwrap()
        );
        let row = store
            .outbox_of(ticket)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.id == ack.mail.id)
            .unwrap();
        assert_eq!(row.status, "sent");
        assert_eq!(
            row.message_id.as_deref(),
            Some("<t.1.abc@ticketd.localhost>")
        );
        assert_eq!(row.sent_at, Some(later));
        assert_eq!(row.tracking_secret, None, "the secret is erased once sent");
        assert_eq!(row.claimed_until, None);
    }
);

store_test!(
    a_temporary_failure_goes_back_to_pending_until_its_next_attempt,
    |store| async move {
        partner_incident(&store).await;
        let claimed = store.claim_outbox("w", monday(), lease(), 1).await.unwrap();
        let id = claimed[0].mail.id;
        let next = monday() + TimeDelta::seconds(90);
        assert!(
            store
                .settle_outbox(
                    id,
                    "w",
                    Settlement::Retry {
                        error: "connection refused",
                        next_attempt_at: next
                    }
                )
                .await
                .unwrap()
        );
        let row = store.get_outbox(id).await.unwrap();
        assert_eq!(row.status, Status::Pending);
        assert_eq!(row.attempts, 1);
        assert_eq!(row.next_attempt_at, next);
        assert_eq!(row.last_error.as_deref(), Some("connection refused"));
        let before = store
            .claim_outbox("w", next - TimeDelta::seconds(1), lease(), 10)
            .await
            .unwrap();
        assert!(
            before.iter().all(|r| r.mail.id != id),
            "not before its backoff"
        );
        let after = store.claim_outbox("w", next, lease(), 10).await.unwrap();
        let again = after.iter().find(|r| r.mail.id == id).unwrap();
        assert_eq!(again.mail.attempts, 2, "each attempt is counted");
    }
);

store_test!(
    a_failed_mail_erases_the_tracking_secret,
    |store| async move {
        let (ticket, _) = public_report(&store).await;
        let claimed = store
            .claim_outbox("w", monday(), lease(), 10)
            .await
            .unwrap();
        for row in &claimed {
            assert!(
                store
                    .settle_outbox(
                        row.mail.id,
                        "w",
                        Settlement::Failed {
                            error: "no address for the reporter",
                            at: monday(),
                            policy: &ticket_domain::Policy::default(),
                        }
                    )
                    .await
                    .unwrap()
            );
        }
        for row in store.outbox_of(ticket).await.unwrap() {
            assert_eq!(row.status, "failed");
            assert_eq!(row.tracking_secret, None);
            assert_eq!(
                row.last_error.as_deref(),
                Some("no address for the reporter")
            );
        }
    }
);

store_test!(
    an_expired_lease_makes_a_handed_over_mail_uncertain_and_an_untouched_one_pending,
    |store| async move {
        partner_incident(&store).await;
        let crashed = store
            .claim_outbox("crashed", monday(), lease(), 2)
            .await
            .unwrap();
        assert_eq!(crashed.len(), 2);
        let (handed, untouched) = (crashed[0].mail.id, crashed[1].mail.id);
        // The crashed worker had begun to hand the first mail over, not the second.
        assert!(
            store
                .begin_outbox_handover(handed, "crashed", monday())
                .await
                .unwrap()
        );
        assert!(
            !store
                .begin_outbox_handover(handed, "someone-else", monday())
                .await
                .unwrap(),
            "only the holder begins a handover"
        );
        // Before the lease ends the rows are left alone.
        let during = store
            .claim_outbox("w", monday() + TimeDelta::minutes(9), lease(), 10)
            .await
            .unwrap();
        assert!(
            during
                .iter()
                .all(|r| r.mail.id != handed && r.mail.id != untouched)
        );
        assert_eq!(status_of(&store, handed).await, Status::Sending);
        let after = monday() + TimeDelta::minutes(11);
        assert_eq!(store.expire_outbox_leases(after).await.unwrap(), 1);
        let row = store.get_outbox(handed).await.unwrap();
        assert_eq!(row.status, Status::Uncertain);
        assert!(row.last_error.unwrap().contains("lease expired"));
        let row = store.get_outbox(untouched).await.unwrap();
        assert_eq!(
            row.status,
            Status::Pending,
            "never begun: certainly not sent"
        );
        assert_eq!(
            row.attempts, 0,
            "the lost claim is not counted as an attempt"
        );
        let claimed = store.claim_outbox("w", after, lease(), 10).await.unwrap();
        assert!(
            claimed.iter().all(|r| r.mail.id != handed),
            "an uncertain mail is never resent by itself"
        );
        assert!(
            claimed.iter().any(|r| r.mail.id == untouched),
            "the untouched mail is sent by another worker"
        );
        // The crashed worker's late success is still recorded.
        assert!(
            store
                .settle_outbox(
                    handed,
                    "crashed",
                    Settlement::Sent {
                        message_id: "<m@d>",
                        at: after,
                        policy: &Policy::default()
                    }
                )
                .await
                .unwrap()
        );
        assert_eq!(status_of(&store, handed).await, Status::Sent);
    }
);

/// Runs `command` as `actor` on the ticket's current version.
async fn execute_now(
    store: &Store,
    ticket: TicketId,
    command: ticket_domain::Command,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<ticket_domain::Ticket, StoreError> {
    use ticket_store::tickets::TicketKey;
    let current = store.get_ticket(TicketKey::Id(ticket)).await?;
    Ok(store
        .execute(
            TicketKey::Id(ticket),
            current.version,
            command,
            actor,
            now,
            &Policy::default(),
        )
        .await?
        .ticket)
}

store_test!(
    closure_4_needs_the_resolution_mail_sent_not_queued_or_failed,
    |store| async move {
        use ticket_domain::{ClosureProof, ClosureReason, Command, Role};
        let agent = staff(Role::Agent);
        let ticket = partner_incident(&store).await;
        execute_now(
            &store,
            ticket,
            Command::Acknowledge { note: None },
            &agent,
            monday(),
        )
        .await
        .unwrap();
        execute_now(
            &store,
            ticket,
            Command::Resolve {
                summary: text("corrigé"),
            },
            &agent,
            monday(),
        )
        .await
        .unwrap();
        let close = || Command::Close {
            reason: ClosureReason::ResolvedByOperator,
            proof: ClosureProof::default(),
        };
        let queued = execute_now(&store, ticket, close(), &agent, monday()).await;
        assert!(
            matches!(&queued, Err(StoreError::Refused(r)) if r.detail.contains("mail server")),
            "{queued:?}"
        );
        let claimed = store
            .claim_outbox("w", monday(), lease(), 10)
            .await
            .unwrap();
        let resolution = claimed
            .iter()
            .find(|r| r.mail.template == Template::ResolutionConfirmationRequest)
            .unwrap()
            .mail
            .id;
        assert!(
            store
                .settle_outbox(
                    resolution,
                    "w",
                    Settlement::Failed {
                        error: "550 no such user",
                        at: monday(),
                        policy: &ticket_domain::Policy::default(),
                    }
                )
                .await
                .unwrap()
        );
        assert!(
            execute_now(&store, ticket, close(), &agent, monday())
                .await
                .is_err()
        );
        // Sent again by staff, accepted by the server: the condition is met, and the evidence file
        // says when.
        store.retry_outbox(resolution, monday()).await.unwrap();
        let later = monday() + TimeDelta::minutes(5);
        let again = store.claim_outbox("w", later, lease(), 10).await.unwrap();
        assert_eq!(again.len(), 1);
        assert!(
            store
                .settle_outbox(
                    resolution,
                    "w",
                    Settlement::Sent {
                        message_id: "<m@d>",
                        at: later,
                        policy: &Policy::default()
                    }
                )
                .await
                .unwrap()
        );
        let events = store.events(ticket).await.unwrap();
        assert_eq!(
            events.last().map(|e| e.event.data.type_name()),
            Some("mail_delivered")
        );
        let closed = execute_now(&store, ticket, close(), &agent, later)
            .await
            .unwrap();
        assert_eq!(closed.state, ticket_domain::State::Closed);
        assert!(store.verify_chain(ticket).await.unwrap().valid);
    }
);

store_test!(
    a_follow_up_needs_a_closed_ticket_past_its_reopen_window_and_links_both_ways,
    |store| async move {
        use ticket_domain::ticket::LinkKind;
        use ticket_domain::{ClosureProof, ClosureReason, Command, Role};
        let agent = staff(Role::Agent);
        let previous = partner_incident(&store).await;
        let follow_up = |days: i64| {
            let mut new = incident(false, "2026-11-23T08:00:00Z");
            new.id = TicketId::new_v7();
            new.follow_up_of = Some(previous);
            let store = store.clone();
            async move {
                store
                    .create_ticket(
                        new,
                        &partner(PARTNER),
                        monday() + TimeDelta::days(days),
                        &Policy::default(),
                        None,
                        false,
                    )
                    .await
            }
        };
        // Still open: refused.
        let open = follow_up(1).await;
        assert!(
            matches!(&open, Err(StoreError::Refused(r)) if r.rule == ticket_domain::refusal::Rule::FollowUpNotAllowed),
            "{open:?}"
        );
        execute_now(
            &store,
            previous,
            Command::Close {
                reason: ClosureReason::MutualAgreement,
                proof: ClosureProof {
                    note: Some(text("accord")),
                },
            },
            &agent,
            monday(),
        )
        .await
        .unwrap();
        // Within the reopen window: refused (reopen it instead).
        assert!(follow_up(10).await.is_err());
        let created = follow_up(16).await.unwrap().ticket.ticket;
        assert!(created.has_link(previous, LinkKind::FollowUpOf));
        let closed = store
            .get_ticket(ticket_store::tickets::TicketKey::Id(previous))
            .await
            .unwrap()
            .ticket;
        assert!(closed.has_link(created.id, LinkKind::FollowedUpBy));
        assert!(store.verify_chain(previous).await.unwrap().valid);
    }
);

store_test!(
    a_reminder_refused_for_good_tells_the_tier_in_the_same_transaction,
    |store| async move {
        use ticket_store::tickets::TicketKey;
        let policy = Policy::default();
        let ticket = partner_incident(&store).await;
        let agent = staff(ticket_domain::Role::Agent);
        execute_now(
            &store,
            ticket,
            ticket_domain::Command::Acknowledge { note: None },
            &agent,
            monday(),
        )
        .await
        .unwrap();
        execute_now(
            &store,
            ticket,
            ticket_domain::Command::WaitForReporter {
                question: text("Pouvez-vous préciser ?"),
            },
            &agent,
            monday(),
        )
        .await
        .unwrap();
        // The sweeper queues the reminder when it is due.
        let current = store.get_ticket(TicketKey::Id(ticket)).await.unwrap();
        let due = ticket_domain::next_due(&current.ticket, &policy).unwrap();
        store.sweep_ticket(ticket, due, &policy).await.unwrap();
        let far = due + TimeDelta::days(1);
        let claimed = store.claim_outbox("w", far, lease(), 100).await.unwrap();
        let reminder = claimed
            .iter()
            .find(|c| c.mail.template == Template::ReporterReminder)
            .expect("a reminder is claimed");
        // The mail server refuses it for good.
        assert!(
            store
                .settle_outbox(
                    reminder.mail.id,
                    "w",
                    Settlement::Failed {
                        error: "550 no such user",
                        at: far,
                        policy: &policy,
                    },
                )
                .await
                .unwrap()
        );
        assert_eq!(status_of(&store, reminder.mail.id).await, Status::Failed);
        let events = store.events(ticket).await.unwrap();
        let last = events.last().unwrap();
        assert_eq!(last.event.data.type_name(), "reminder_undeliverable");
        // Whoever handles the ticket gets a mail: the agent's tier mailbox (unassigned).
        let tier_mail = store
            .outbox_of(ticket)
            .await
            .unwrap()
            .into_iter()
            .find(|row| row.template == "reminder_undeliverable")
            .expect("the tier is told");
        assert_eq!(tier_mail.status, "pending");
        assert_eq!(tier_mail.event_seq, last.seq);
        // Other mails refused for good record nothing on the ticket.
        let other = claimed
            .iter()
            .find(|c| c.mail.template != Template::ReporterReminder)
            .expect("another mail");
        store
            .settle_outbox(
                other.mail.id,
                "w",
                Settlement::Failed {
                    error: "550 no such user",
                    at: far,
                    policy: &policy,
                },
            )
            .await
            .unwrap();
        assert_eq!(store.events(ticket).await.unwrap().len(), events.len());
    }
);
