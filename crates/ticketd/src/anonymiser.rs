//! The anonymiser: the background loop that applies the retention policy (rule "Personal data":
//! personal data of a closed case is anonymised `policy.personal_data_retention_months` after the
//! case's last change, unless a legal hold suspends it).
//!
//! A pass (also `ticketd anonymise`) does three things:
//! 1. each ended case past its retention is anonymised in the database, in one transaction per
//!    ticket (the store's erasers: ticket document, sealed texts of the evidence chain, outbox,
//!    tracking secrets, idempotency responses), which also queues the ticket for step 2;
//! 2. for each queued ticket (also those an erasure request anonymised), the copies outside the
//!    database are erased by the [`ExternalEraser`]s — `.eml` files of the files transport — and
//!    the ticket leaves the queue only once every eraser succeeded; inbound mails that thread to
//!    no ticket are erased the retention period after their receipt;
//! 3. the database is compacted so that erased bytes are not left in its files.
//!
//! Replicas may all run it: a ticket's anonymisation is conditional on its version and on not
//! being anonymised yet (one replica does it), and erasing a file twice is harmless.

use crate::config::ConfigError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use ticket_domain::values::TicketId;
use ticket_domain::{Actor, Policy};
use ticket_store::clock::Clock;
use ticket_store::privacy::Anonymisation;
use ticket_store::{Store, StoreError};

/// The `anonymiser` section of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnonymiserConfig {
    /// Whether this process runs the anonymiser in the background.
    pub enabled: bool,
    /// Seconds between two passes.
    pub interval_seconds: u64,
    /// Tickets anonymised per look at the database.
    pub batch_size: u64,
}

impl Default for AnonymiserConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_seconds: 3600,
            batch_size: 100,
        }
    }
}

impl AnonymiserConfig {
    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=86_400).contains(&self.interval_seconds) {
            return Err(ConfigError::Invalid {
                key: "anonymiser.interval_seconds",
                reason: "must be between 1 and 86400".to_owned(),
            });
        }
        if !(1..=10_000).contains(&self.batch_size) {
            return Err(ConfigError::Invalid {
                key: "anonymiser.batch_size",
                reason: "must be between 1 and 10000".to_owned(),
            });
        }
        Ok(())
    }
}

/// A kind of copy of a ticket's personal data outside the database, and how to erase it. Each
/// must be idempotent: a pass that failed halfway runs them all again.
pub trait ExternalEraser: Send + Sync + fmt::Debug {
    /// What it erases, for logs.
    fn name(&self) -> &'static str;

    /// Erases the copies of `ticket`'s data; `message_ids` are the Message-IDs of its mails.
    fn erase<'a>(&'a self, ticket: TicketId, message_ids: &'a [String]) -> Erasing<'a>;
}

/// The work of an [`ExternalEraser`].
pub type Erasing<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// The `.eml` files the files transport wrote for a ticket's mails.
#[derive(Debug, Clone)]
pub struct MailFiles {
    transport: ticket_mail::transport::FileTransport,
}

impl MailFiles {
    pub fn new(dir: PathBuf) -> Self {
        Self {
            transport: ticket_mail::transport::FileTransport::new(dir),
        }
    }
}

impl ExternalEraser for MailFiles {
    fn name(&self) -> &'static str {
        "mail files"
    }

    fn erase<'a>(&'a self, _ticket: TicketId, message_ids: &'a [String]) -> Erasing<'a> {
        Box::pin(self.remove(message_ids))
    }
}

impl MailFiles {
    async fn remove(&self, message_ids: &[String]) -> anyhow::Result<()> {
        for id in message_ids {
            let path = self.transport.path_of(id);
            for file in [path.clone(), path.with_extension("eml.partial")] {
                match tokio::fs::remove_file(&file).await {
                    Ok(()) => {}
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => {
                        return Err(anyhow::anyhow!(
                            "cannot remove a mail file in {}: {error}",
                            self.transport.dir().display()
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The erasers of copies outside the database for this configuration. Attachments (object
/// storage) get one here too.
pub fn external_erasers(
    config: &crate::config::Config,
    store: &Store,
    attachments: Arc<ticket_store::attachments::Attachments>,
    clock: Arc<dyn Clock>,
) -> Vec<Arc<dyn ExternalEraser>> {
    vec![
        // Whatever the transport now, files written under an earlier `files` setting are erased.
        Arc::new(MailFiles::new(config.mail.files.dir.clone())),
        Arc::new(AttachmentFiles {
            store: store.clone(),
            attachments,
            clock,
        }),
    ]
}

/// The files attached to a ticket: their names erased from the database and their bytes from
/// the attachments' storage (unless another live attachment has the same content).
#[derive(Debug, Clone)]
pub struct AttachmentFiles {
    store: Store,
    attachments: Arc<ticket_store::attachments::Attachments>,
    clock: Arc<dyn Clock>,
}

impl ExternalEraser for AttachmentFiles {
    fn name(&self) -> &'static str {
        "attachments"
    }

    fn erase<'a>(&'a self, ticket: TicketId, _message_ids: &'a [String]) -> Erasing<'a> {
        Box::pin(async move {
            self.store
                .erase_attachments(&self.attachments.blobs, ticket.0, self.clock.now())
                .await?;
            Ok(())
        })
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Tickets anonymised in the database.
    pub anonymised: usize,
    /// Tickets whose copies outside the database were erased.
    pub external: usize,
    /// Tickets that failed (logged; retried at the next pass).
    pub failed: usize,
    /// Inbound mails that thread to no ticket, erased after their retention.
    pub stray_mails: u64,
}

/// The anonymiser of one process.
#[derive(Debug, Clone)]
pub struct Anonymiser {
    store: Store,
    policy: Arc<Policy>,
    clock: Arc<dyn Clock>,
    erasers: Vec<Arc<dyn ExternalEraser>>,
    interval: Duration,
    batch: u64,
}

impl Anonymiser {
    pub fn new(
        store: Store,
        policy: Arc<Policy>,
        clock: Arc<dyn Clock>,
        erasers: Vec<Arc<dyn ExternalEraser>>,
        config: &AnonymiserConfig,
    ) -> Self {
        Self {
            store,
            policy,
            clock,
            erasers,
            interval: Duration::from_secs(config.interval_seconds),
            batch: config.batch_size,
        }
    }

    /// One pass (see the module's documentation).
    pub async fn pass(&self) -> Result<PassReport, StoreError> {
        let mut report = PassReport::default();
        let now = self.clock.now();
        let cutoff = self.policy.retention_cutoff(now);
        let mut failed = std::collections::HashSet::new();
        loop {
            let due = self.store.due_for_anonymisation(cutoff, self.batch).await?;
            let fresh: Vec<TicketId> = due.into_iter().filter(|t| !failed.contains(t)).collect();
            if fresh.is_empty() {
                break;
            }
            for ticket in fresh {
                match self
                    .store
                    .anonymise_ticket(ticket, &Actor::System, None, "retention", now)
                    .await
                {
                    Ok(Anonymisation::Done) => report.anonymised += 1,
                    Ok(Anonymisation::AlreadyDone | Anonymisation::Held) => {
                        failed.insert(ticket);
                    }
                    Err(error) => {
                        tracing::warn!(%error, ticket = %ticket.0, "could not anonymise a ticket");
                        report.failed += 1;
                        failed.insert(ticket);
                    }
                }
            }
        }
        // A mail that threads to no ticket has no case to end it: its retention runs from its
        // receipt.
        report.stray_mails = self.store.erase_stray_inbound(cutoff, now).await?;
        let mut skipped = std::collections::HashSet::new();
        loop {
            let queued: Vec<TicketId> = self
                .store
                .pending_external_erasures(self.batch.saturating_add(skipped.len() as u64))
                .await?
                .into_iter()
                .filter(|t| !skipped.contains(t))
                .collect();
            if queued.is_empty() {
                break;
            }
            for ticket in queued {
                match self.erase_outside(ticket).await {
                    Ok(()) => {
                        self.store.external_erasure_done(ticket).await?;
                        report.external += 1;
                    }
                    Err(error) => {
                        tracing::warn!(error = %format!("{error:#}"), ticket = %ticket.0,
                            "could not erase a ticket's copies outside the database");
                        report.failed += 1;
                        skipped.insert(ticket);
                    }
                }
            }
        }
        if report.anonymised + report.external > 0 || report.stray_mails > 0 {
            self.store.compact_after_erasure().await?;
            tracing::info!(
                anonymised = report.anonymised,
                external = report.external,
                stray_mails = report.stray_mails,
                "anonymiser pass"
            );
        }
        Ok(report)
    }

    async fn erase_outside(&self, ticket: TicketId) -> anyhow::Result<()> {
        let message_ids = self.store.message_ids_of(ticket).await?;
        for eraser in &self.erasers {
            eraser
                .erase(ticket, &message_ids)
                .await
                .map_err(|e| e.context(eraser.name()))?;
        }
        Ok(())
    }

    /// Passes every `interval` until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        loop {
            if let Err(error) = self.pass().await {
                tracing::warn!(%error, "anonymiser pass failed; retried at the next one");
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }
}
