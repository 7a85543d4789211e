//! The outbox dispatcher: claims due rows, renders and sends them, records the outcome.
//!
//! Delivery is at most once without a trace: a row is marked `sent` only after the transport
//! accepted the mail; a temporary failure puts it back to `pending` with a backoff; a mail that may
//! have been delivered (connection lost after the message was handed over, or a worker that died
//! after it began the handover) becomes `uncertain` and waits for staff (or for the operator's
//! resend policy) instead of being sent again silently. The worker records the start of each
//! handover before it opens the SMTP transaction, so a worker that dies leaves at most its
//! concurrency of mails uncertain; the others go back to `pending`. An outcome that cannot be
//! recorded (the database is away) is retried until it is.
//!
//! Backoff after the n-th failed attempt: `d = min(initial · 2^(n-1), max)`, then "equal jitter":
//! a delay drawn uniformly in `[d/2, d]`, so that mails that failed together (an SMTP outage) do not
//! all come back at the same instant, and none comes back sooner than half the nominal delay.
//! With the defaults (60 s, 1 h, 8 attempts) a mail is given up after about 1 to 2 hours.

use crate::config::{MailConfig, MailConfigError, RetryPolicy, UncertainPolicy};
use crate::message::{self, Composition, OutgoingMail};
use crate::recipients::{self, AddressBook, RecipientError};
use crate::reply::ReplyAddresses;
use crate::templates::{self, MailContext};
use crate::transport::{SendError, Transport};
use chrono::TimeDelta;
use futures_util::StreamExt as _;
use secrecy::ExposeSecret as _;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use ticket_domain::event::EventData;
use ticket_domain::notify::Recipient;
use ticket_domain::ticket::Cancellation;
use ticket_domain::{Policy, Ticket};
use ticket_store::clock::Clock;
use ticket_store::outbox::{ClaimedMail, OutboxMail, Settlement};
use ticket_store::tickets::TicketKey;
use ticket_store::{Store, StoreError};
use ticket_wording::Wording;
use tokio::sync::Notify;

/// What one pass over the outbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub claimed: usize,
    pub sent: usize,
    /// Temporary failures, back to `pending` with a backoff.
    pub retried: usize,
    pub failed: usize,
    pub uncertain: usize,
}

impl DispatchReport {
    fn add(&mut self, other: DispatchReport) {
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.retried += other.retried;
        self.failed += other.failed;
        self.uncertain += other.uncertain;
    }
}

/// Wakes a dispatcher that sleeps between polls (e.g. right after a command wrote mails).
#[derive(Debug, Clone)]
pub struct DispatcherWaker(Arc<Notify>);

impl DispatcherWaker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Delivers the outbox. Several dispatchers may share one PostgreSQL database.
pub struct Dispatcher {
    store: Store,
    config: MailConfig,
    book: AddressBook,
    transport: Arc<Transport>,
    clock: Arc<dyn Clock>,
    worker: String,
    wake: Arc<Notify>,
    /// The rules a delivery is recorded under ("notified" conditions, due instants).
    policy: Arc<Policy>,
    /// Signs each ticket's `Reply-To` (mail in), when configured.
    replies: Option<ReplyAddresses>,
    /// The words of the mails.
    wording: Arc<Wording>,
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatcher")
            .field("worker", &self.worker)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

enum Outcome {
    Sent,
    Retried,
    Failed,
    Uncertain,
}

/// When a mail that failed for the `attempts`-th time is tried again (see the module's comment).
pub fn backoff(policy: &RetryPolicy, attempts: u32) -> TimeDelta {
    let doublings = attempts.saturating_sub(1).min(32);
    let nominal = policy
        .initial_backoff_seconds
        .saturating_mul(1_u64 << doublings)
        .min(policy.max_backoff_seconds)
        .saturating_mul(1000);
    let half = nominal / 2;
    let millis = half + rand::random_range(0..=nominal - half);
    TimeDelta::milliseconds(i64::try_from(millis).unwrap_or(i64::MAX))
}

impl Dispatcher {
    /// A dispatcher over `store`, sending through `transport`, with time from `clock`.
    pub fn new(
        store: Store,
        config: MailConfig,
        transport: Transport,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, MailConfigError> {
        config.validate()?;
        let book = AddressBook::from_config(&config)?;
        let worker = format!(
            "{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        Ok(Self {
            store,
            config,
            book,
            transport: Arc::new(transport),
            clock,
            worker,
            wake: Arc::new(Notify::new()),
            policy: Arc::new(Policy::default()),
            replies: None,
            wording: Arc::new(Wording::shipped()),
        })
    }

    /// Records deliveries under `policy` (the operator's) instead of the annexes' defaults.
    #[must_use]
    pub fn with_policy(mut self, policy: Arc<Policy>) -> Self {
        self.policy = policy;
        self
    }

    /// Writes the mails with `wording` (the operator's) instead of the shipped words.
    #[must_use]
    pub fn with_wording(mut self, wording: Arc<Wording>) -> Self {
        self.wording = wording;
        self
    }

    /// Gives every mail about a ticket the ticket's signed reply address as `Reply-To`.
    #[must_use]
    pub fn with_reply_addresses(mut self, replies: ReplyAddresses) -> Self {
        self.replies = Some(replies);
        self
    }

    /// The name this dispatcher claims rows under (`claimed_by`).
    pub fn worker_id(&self) -> &str {
        &self.worker
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Wakes on `signal` as well as on its [`waker`](Self::waker): the API notifies it after a
    /// command that may have queued mail committed.
    #[must_use]
    pub fn woken_by(mut self, signal: Arc<Notify>) -> Self {
        self.wake = signal;
        self
    }

    pub fn waker(&self) -> DispatcherWaker {
        DispatcherWaker(Arc::clone(&self.wake))
    }

    /// Claims one batch of due mails, delivers them (`dispatcher.concurrency` at a time) and
    /// records each outcome.
    pub async fn dispatch_once(&self) -> Result<DispatchReport, StoreError> {
        let lease = TimeDelta::seconds(
            i64::try_from(self.config.dispatcher.lease_seconds).unwrap_or(i64::MAX),
        );
        if self.config.dispatcher.uncertain == UncertainPolicy::Resend {
            let now = self.clock.now();
            let delay = TimeDelta::seconds(
                i64::try_from(self.config.dispatcher.resend_uncertain_after_seconds)
                    .unwrap_or(i64::MAX),
            );
            let requeued = self
                .store
                .requeue_uncertain_outbox(now - delay, self.config.retry.max_attempts, now)
                .await?;
            if requeued > 0 {
                tracing::info!(
                    mails = requeued,
                    "uncertain mails sent again (resend policy)"
                );
            }
        }
        let claimed = self
            .store
            .claim_outbox(
                &self.worker,
                self.clock.now(),
                lease,
                self.config.dispatcher.batch_size,
            )
            .await?;
        let mut report = DispatchReport {
            claimed: claimed.len(),
            ..DispatchReport::default()
        };
        let outcomes: Vec<Outcome> = futures_util::stream::iter(claimed)
            .map(|mail| self.deliver(mail))
            .buffer_unordered(self.config.dispatcher.concurrency)
            .collect()
            .await;
        for outcome in outcomes {
            match outcome {
                Outcome::Sent => report.sent += 1,
                Outcome::Retried => report.retried += 1,
                Outcome::Failed => report.failed += 1,
                Outcome::Uncertain => report.uncertain += 1,
            }
        }
        Ok(report)
    }

    /// Passes until nothing is due: what tests and tools call instead of [`Dispatcher::run`].
    pub async fn run_until_idle(&self) -> Result<DispatchReport, StoreError> {
        let mut total = DispatchReport::default();
        loop {
            let report = self.dispatch_once().await?;
            total.add(report);
            if report.claimed == 0 {
                return Ok(total);
            }
        }
    }

    /// Polls the outbox every `dispatcher.poll_interval_ms` (at once while it is busy, or when
    /// woken) until `shutdown` completes; the batch in progress is finished first.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        let poll = Duration::from_millis(self.config.dispatcher.poll_interval_ms);
        let batch = usize::try_from(self.config.dispatcher.batch_size).unwrap_or(usize::MAX);
        tokio::pin!(shutdown);
        tracing::info!(worker = %self.worker, transport = ?self.config.transport, "mail dispatcher started");
        loop {
            let busy = match self.dispatch_once().await {
                Ok(report) => {
                    if report.claimed > 0 {
                        tracing::debug!(?report, "outbox pass");
                    }
                    report.claimed >= batch
                }
                Err(error) => {
                    tracing::warn!(%error, "the mail dispatcher cannot read the outbox");
                    false
                }
            };
            let pause = if busy { Duration::ZERO } else { poll };
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        self.transport.close().await;
        tracing::info!(worker = %self.worker, "mail dispatcher stopped");
    }

    async fn deliver(&self, claimed: ClaimedMail) -> Outcome {
        let mail = &claimed.mail;
        let message_id = message::message_id(
            mail.ticket_id,
            mail.event_seq,
            &mail.recipient,
            &self.config.message_id_domain,
        );
        let Some(sent) = self.hand_over(&claimed, &message_id).await else {
            return Outcome::Retried;
        };
        let now = self.clock.now();
        let (outcome, marked) = match sent {
            Ok(domains) => {
                tracing::info!(
                    mail = %mail.id, ticket = %mail.ticket_id, template = ?mail.template,
                    to = %domains.join(","), attempt = mail.attempts, "mail sent"
                );
                let settlement = Settlement::Sent {
                    message_id: &message_id,
                    at: now,
                    policy: &self.policy,
                };
                (Outcome::Sent, self.settle(mail, settlement).await)
            }
            Err(SendError::Temporary(error))
                if u32::try_from(mail.attempts).unwrap_or(u32::MAX)
                    < self.config.retry.max_attempts =>
            {
                let attempts = u32::try_from(mail.attempts).unwrap_or(1);
                let next = now + backoff(&self.config.retry, attempts);
                tracing::warn!(
                    mail = %mail.id, ticket = %mail.ticket_id, attempt = mail.attempts,
                    next_attempt_at = %next, %error, "mail not sent, will retry"
                );
                let settlement = Settlement::Retry {
                    error: &error,
                    next_attempt_at: next,
                };
                (Outcome::Retried, self.settle(mail, settlement).await)
            }
            Err(SendError::Temporary(error)) => {
                let error = format!("gave up after {} attempts; last: {error}", mail.attempts);
                tracing::error!(mail = %mail.id, ticket = %mail.ticket_id, %error, "mail failed");
                let settlement = Settlement::Failed {
                    error: &error,
                    at: now,
                    policy: &self.policy,
                };
                (Outcome::Failed, self.settle(mail, settlement).await)
            }
            Err(SendError::Permanent(error)) => {
                tracing::error!(mail = %mail.id, ticket = %mail.ticket_id, %error, "mail failed");
                let settlement = Settlement::Failed {
                    error: &error,
                    at: now,
                    policy: &self.policy,
                };
                (Outcome::Failed, self.settle(mail, settlement).await)
            }
            Err(SendError::Uncertain(error)) => {
                tracing::error!(
                    mail = %mail.id, ticket = %mail.ticket_id, %error,
                    "mail delivery uncertain: left for staff to check, not resent"
                );
                let settlement = Settlement::Uncertain {
                    error: &error,
                    message_id: &message_id,
                    at: now,
                };
                (Outcome::Uncertain, self.settle(mail, settlement).await)
            }
        };
        match marked {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                mail = %mail.id,
                "the outbox row was taken back while it was being sent; its outcome is not recorded"
            ),
            // The row stays `sending`; when the lease ends it becomes `uncertain`, never resent.
            Err(error) => {
                tracing::error!(mail = %mail.id, %error, "cannot record a mail's outcome")
            }
        }
        outcome
    }

    /// Prepares the mail, records the start of its handover, and hands it to the transport: the
    /// domains it went to, or why not. `None` when the row was taken back before it was sent.
    async fn hand_over(
        &self,
        claimed: &ClaimedMail,
        message_id: &str,
    ) -> Option<Result<Vec<String>, SendError>> {
        let mail = &claimed.mail;
        let outgoing = match self.prepare(claimed, message_id).await {
            Ok(outgoing) => outgoing,
            Err(error) => return Some(Err(error)),
        };
        match self
            .store
            .begin_outbox_handover(mail.id, &self.worker, self.clock.now())
            .await
        {
            Ok(true) => Some(
                self.transport
                    .send(&outgoing)
                    .await
                    .map(|()| outgoing.recipient_domains),
            ),
            Ok(false) => {
                tracing::warn!(
                    mail = %mail.id,
                    "the outbox row was taken back before it was sent; left alone"
                );
                None
            }
            Err(error) => Some(Err(SendError::Temporary(format!(
                "cannot record the start of the handover: {error}"
            )))),
        }
    }

    /// Records how the attempt on `mail` ended (see [`Dispatcher::record`]).
    async fn settle(
        &self,
        mail: &OutboxMail,
        settlement: Settlement<'_>,
    ) -> Result<bool, StoreError> {
        self.record(|| self.store.settle_outbox(mail.id, &self.worker, settlement))
            .await
    }

    /// Records an outcome, trying again while the database cannot take it (it is away, or its disk
    /// is full): an outcome that is not recorded would make a sent mail uncertain, or a failed one
    /// wait for its lease. Gives up only when the worker no longer holds the row.
    async fn record<F, Fut>(&self, mark: F) -> Result<bool, StoreError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<bool, StoreError>>,
    {
        let mut pause = Duration::from_millis(100);
        loop {
            match mark().await {
                Err(error) if error.is_unavailable() => {
                    tracing::warn!(%error, "cannot record a mail's outcome yet; trying again");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
                other => return other,
            }
        }
    }

    /// Looks up what the mail needs, renders it and puts it in an envelope.
    async fn prepare(
        &self,
        claimed: &ClaimedMail,
        message_id: &str,
    ) -> Result<OutgoingMail, SendError> {
        let mail = &claimed.mail;
        let unavailable = |error: StoreError| match error {
            StoreError::NotFound(what) => {
                SendError::Permanent(format!("the mail's {what} no longer exists"))
            }
            error => SendError::Temporary(format!("cannot read the ticket: {error}")),
        };
        let current = self
            .store
            .get_ticket(TicketKey::Id(mail.ticket_id))
            .await
            .map_err(unavailable)?
            .ticket;
        let events = self
            .store
            .events(mail.ticket_id)
            .await
            .map_err(unavailable)?;
        let event = events
            .iter()
            .find(|e| e.seq == mail.event_seq)
            .ok_or_else(|| {
                SendError::Permanent(format!(
                    "event {} of the ticket no longer exists",
                    mail.event_seq
                ))
            })?;
        // The ticket as it stood right after the event, however late the mail goes out.
        let ticket = event.event.facts_applied_to(&current);
        let pending_question = events
            .iter()
            .rev()
            .filter(|e| e.seq <= mail.event_seq)
            .find_map(|e| match &e.event.data {
                EventData::WaitingForReporter { question } => Some(question),
                _ => None,
            });
        let duplicate_of = match &event.event.data {
            EventData::Cancelled {
                cancellation: Cancellation::Duplicate { of },
                ..
            } => self
                .store
                .get_ticket(TicketKey::Id(*of))
                .await
                .ok()
                .map(|t| t.ticket.reference),
            _ => None,
        };
        let to = self.addresses(&ticket, mail.recipient).await?;
        let link = claimed.tracking_secret.as_ref().map(|secret| {
            templates::tracking_link(
                self.config.public_url(),
                mail.language,
                secret.expose_secret(),
            )
        });
        let context = MailContext {
            ticket: &ticket,
            event: &event.event,
            recipient: mail.recipient,
            tracking_link: link.as_deref(),
            pending_question,
            duplicate_of,
            security_address: &self.config.mailboxes.security,
            words: &self.wording,
            replies_read: self.replies.is_some(),
        };
        let rendered = templates::render(mail.template, mail.language, &context);
        let thread_root = message::thread_root(mail.ticket_id, &self.config.message_id_domain);
        let reply_to = self.reply_to(&ticket)?;
        message::compose(Composition {
            from: &self.book.from,
            to: &to,
            rendered: &rendered,
            language: mail.language,
            message_id,
            thread_root: &thread_root,
            date: self.clock.now(),
            reply_to: reply_to.as_ref(),
        })
        .map_err(|error| SendError::Permanent(format!("cannot build the message: {error}")))
    }

    /// The addresses of `recipient` for `ticket`: a registry that cannot be read is tried again.
    async fn addresses(
        &self,
        ticket: &Ticket,
        recipient: Recipient,
    ) -> Result<Vec<lettre::message::Mailbox>, SendError> {
        recipients::resolve(&self.store, &self.book, ticket, recipient)
            .await
            .map_err(|error| match error {
                RecipientError::Store(error) => {
                    SendError::Temporary(format!("cannot read the registry: {error}"))
                }
                error => SendError::Permanent(error.to_string()),
            })
    }

    /// The ticket's signed reply address, when replies are read.
    fn reply_to(&self, ticket: &Ticket) -> Result<Option<lettre::message::Mailbox>, SendError> {
        let Some(replies) = &self.replies else {
            return Ok(None);
        };
        replies
            .for_ticket(&ticket.reference)
            .parse::<lettre::message::Mailbox>()
            .map(Some)
            .map_err(|error| SendError::Permanent(format!("unusable reply address: {error}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_limit_with_jitter_within_half() {
        let policy = RetryPolicy {
            max_attempts: 8,
            initial_backoff_seconds: 60,
            max_backoff_seconds: 3600,
        };
        for (attempts, nominal) in [
            (1, 60),
            (2, 120),
            (3, 240),
            (6, 1920),
            (7, 3600),
            (30, 3600),
        ] {
            for _ in 0..50 {
                let delay = backoff(&policy, attempts).num_milliseconds();
                assert!(delay >= nominal * 500, "{attempts}: {delay}");
                assert!(delay <= nominal * 1000, "{attempts}: {delay}");
            }
        }
    }
}
