//! Revoked keys, heard by every replica at once (PostgreSQL `LISTEN`/`NOTIFY`).
//!
//! A replica keeps the keys it authenticated for up to [`crate::keys::KEY_CACHE_TTL`], so that a
//! request costs no round trip to authenticate. A revocation — by an admin, by a rotation, or by
//! removing a member from the staff directory — sends a notification in its own transaction;
//! PostgreSQL delivers it to every listening replica when (and only if) that transaction commits,
//! and each replica drops those keys from its cache on receipt. "At once" is therefore the
//! delivery time of a notification (well under a millisecond on one host, a network round trip
//! between hosts), not the cache's two seconds.
//!
//! A replica trusts its cache only while it listens: before its listener is connected, and from
//! the moment the listener's connection fails until it is back (when the cache starts empty, as
//! notifications may have been missed meanwhile), every request asks the database. SQLite serves
//! one process, whose revocations forget the keys directly.

use crate::StoreError;
use crate::keys::KeyCache;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::sync::{Arc, Weak};
use std::time::Duration;
use uuid::Uuid;

/// The notification channel.
const CHANNEL: &str = "ticketd_api_keys_revoked";
/// Payloads are limited to 8000 bytes by PostgreSQL; past this many ids, "forget everything".
const MAX_IDS_PER_NOTICE: usize = 100;
/// What a notice says when it names no key: every replica empties its cache.
const EVERYTHING: &str = "*";
/// How long the start waits for the listener's first connection.
const FIRST_CONNECT_WAIT: Duration = Duration::from_secs(2);
/// Pause before connecting the listener again after a failure.
const RECONNECT_PAUSE: Duration = Duration::from_millis(500);

/// Tells the other replicas, when `txn` commits, that the keys `ids` no longer work.
pub(crate) async fn announce<C: ConnectionTrait>(txn: &C, ids: &[Uuid]) -> Result<(), StoreError> {
    if txn.get_database_backend() != DbBackend::Postgres || ids.is_empty() {
        return Ok(());
    }
    let payload = if ids.len() > MAX_IDS_PER_NOTICE {
        EVERYTHING.to_owned()
    } else {
        ids.iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

/// Starts listening (PostgreSQL): returns once the first connection listens, so that a new replica
/// uses its cache from its first request; if it cannot connect, the cache stays unused and the
/// listener keeps trying in the background. Ends when the cache is dropped.
pub(crate) async fn listen(url: &str, cache: &Arc<KeyCache>) {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    if let Ok(mut stop) = cache.stop.lock() {
        *stop = Some(stop_tx);
    }
    // The database was reached a moment ago; a listener that cannot connect soon is retried in
    // the background rather than holding up the start.
    let first = tokio::time::timeout(FIRST_CONNECT_WAIT, connect(url))
        .await
        .ok()
        .flatten();
    if first.is_some() {
        cache.set_trusted(true);
    } else {
        tracing::warn!("cannot listen to key revocations yet: keys are not cached meanwhile");
    }
    tokio::spawn(run(url.to_owned(), Arc::downgrade(cache), first, stop_rx));
}

async fn connect(url: &str) -> Option<PgListener> {
    let mut listener = match PgListener::connect(url).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::debug!(%error, "cannot connect to listen to key revocations");
            return None;
        }
    };
    // A lost connection is reported (`Ok(None)`) rather than mended behind our back, so that the
    // cache is emptied for the notifications missed meanwhile.
    listener.eager_reconnect(false);
    match listener.listen(CHANNEL).await {
        Ok(()) => Some(listener),
        Err(error) => {
            tracing::debug!(%error, "cannot listen to key revocations");
            None
        }
    }
}

async fn run(
    url: String,
    cache: Weak<KeyCache>,
    mut listener: Option<PgListener>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        let Some(active) = listener.as_mut() else {
            tokio::select! {
                _ = &mut stop => return,
                () = tokio::time::sleep(RECONNECT_PAUSE) => {}
            }
            listener = connect(&url).await;
            if listener.is_some() {
                let Some(cache) = cache.upgrade() else { return };
                // Notifications may have been missed while deaf: start again empty.
                cache.forget_all();
                cache.set_trusted(true);
                tracing::info!("listening to key revocations again");
            }
            continue;
        };
        let received = tokio::select! {
            _ = &mut stop => return,
            received = active.try_recv() => received,
        };
        let Some(cache) = cache.upgrade() else { return };
        match received {
            Ok(Some(notice)) => {
                let payload = notice.payload();
                if payload == EVERYTHING {
                    cache.forget_all();
                } else {
                    let ids: Vec<Uuid> = payload
                        .split(',')
                        .filter_map(|id| Uuid::parse_str(id).ok())
                        .collect();
                    cache.forget(&ids);
                }
            }
            Ok(None) | Err(_) => {
                tracing::warn!("lost the key revocations' connection: keys are not cached");
                cache.set_trusted(false);
                listener = None;
            }
        }
    }
}
