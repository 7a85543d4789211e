//! The change feed (issue 36): `GET /api/v1/changes?after=CURSOR`, every event the caller may
//! see, in commit order, never skipping one committed late; the pull twin of webhooks.
//!
//! Need-to-know is the ticket history's own ([`crate::history`]): a change is shown only on a
//! ticket the caller may read, only if its history would show it (partners: public events only),
//! as its history shows it (the victim's words masked unless the caller sees them in full, such a
//! read journaled). The order and the cursor are the store's ([`ticket_store::changes`]).

use crate::ApiState;
use crate::ApiTag;
use crate::auth::{ApiKeyAuth, Principal};
use crate::error::ApiError;
use crate::history::{EventView, event_view, own_words_in_full, shown_to};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use std::collections::HashMap;
use std::time::Duration;
use ticket_domain::privacy::PersonalField;
use ticket_domain::values::TicketId;
use ticket_store::StoreError;
use ticket_store::changes::{Change, FeedCursor};
use ticket_store::privacy::{JournalAction, JournalRecord};
use ticket_store::tickets::TicketKey;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// The longest a request may wait for a change (`wait`).
pub const MAX_WAIT_SECONDS: u64 = 30;

/// How often a waiting request looks again.
const POLL_EVERY: Duration = Duration::from_millis(250);

/// One change: an event of a ticket.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ChangeView {
    /// The ticket.
    pub ticket_id: Uuid,
    /// Its reference.
    pub reference: String,
    /// The event, as the ticket's history shows it to the caller.
    pub event: EventView,
}

/// Changes in commit order, and where to read on.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ChangePage {
    /// The changes the caller may see, oldest commit first; may be empty.
    pub items: Vec<ChangeView>,
    /// Pass it as `after` to read on: always present (the feed has no last page), after the
    /// last change read even if the caller may not see it.
    pub next_cursor: String,
}

/// Answers of the change feed.
#[derive(Debug, ApiResponse)]
pub enum ChangesResponse {
    /// The changes.
    #[oai(status = 200)]
    Ok(Json<ChangePage>),
}

fn default_limit() -> u64 {
    50
}

fn default_wait() -> u64 {
    0
}

/// The change feed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChangesApi;

#[OpenApi(tag = "ApiTag::Tickets")]
impl ChangesApi {
    /// Changes, in commit order
    ///
    /// The events of the tickets the caller may read, in the order their transactions committed,
    /// each as the ticket's history shows it to the caller (partners: public events of their own
    /// tickets only). Start without `after`, then pass each answer's `next_cursor`: no event is
    /// skipped or repeated, even one whose transaction committed after later ones had started.
    /// With `wait`, an answer without changes is held up to that many seconds until one comes.
    #[oai(
        path = "/api/v1/changes",
        method = "get",
        operation_id = "list_changes"
    )]
    async fn changes(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// The `next_cursor` of the previous answer; without it, the feed starts at its beginning.
        #[oai(validator(min_length = 1, max_length = 1000))]
        after: Query<Option<String>>,
        /// At most this many changes, 1 to 200; 50 by default.
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "200"))
        )]
        limit: Query<u64>,
        /// Seconds to wait for a change when there is none yet, 0 to 30; 0 by default.
        #[oai(
            default = "default_wait",
            validator(minimum(value = "0"), maximum(value = "30"))
        )]
        wait: Query<u64>,
    ) -> Result<ChangesResponse> {
        let mut cursor = match after.0.as_deref() {
            None => FeedCursor::START,
            Some(text) => FeedCursor::parse(text).ok_or(StoreError::InvalidCursor)?,
        };
        let until = tokio::time::Instant::now() + Duration::from_secs(wait.0.min(MAX_WAIT_SECONDS));
        loop {
            let changes = state.store.changes_after(cursor, limit.0).await?;
            let read_all = (changes.len() as u64) < limit.0;
            if let Some(last) = changes.last() {
                cursor = last.cursor;
            }
            let items = visible(&state, &auth.0, changes).await?;
            let now = tokio::time::Instant::now();
            if !items.is_empty() || now >= until {
                return Ok(ChangesResponse::Ok(Json(ChangePage {
                    items,
                    next_cursor: cursor.encode(),
                })));
            }
            if read_all {
                tokio::time::sleep(POLL_EVERY.min(until - now)).await;
            }
        }
    }
}

/// What the caller may see of `changes`, in their order; the reads of the victim's words
/// journaled first (if they cannot be, nothing is answered).
async fn visible(
    state: &ApiState,
    principal: &Principal,
    changes: Vec<Change>,
) -> Result<Vec<ChangeView>> {
    let staff = principal.is_staff();
    // Per ticket: its reference and whether the caller reads the victim's words, or `None` when
    // the caller may not read the ticket.
    let mut tickets: HashMap<TicketId, Option<(String, bool)>> = HashMap::new();
    let mut words_read = Vec::new();
    let mut items = Vec::new();
    for change in changes {
        let reader = match tickets.get(&change.ticket_id) {
            Some(reader) => reader.clone(),
            None => {
                let reader = match state
                    .store
                    .get_ticket(TicketKey::Id(change.ticket_id))
                    .await
                {
                    Ok(stored) if stored.ticket.is_visible_to(&principal.actor) => Some((
                        stored.ticket.reference.to_string(),
                        own_words_in_full(&principal.actor, &stored.ticket),
                    )),
                    Ok(_) | Err(StoreError::NotFound(_)) => None,
                    Err(error) => return Err(error.into()),
                };
                tickets.insert(change.ticket_id, reader.clone());
                reader
            }
        };
        let Some((reference, words)) = reader else {
            continue;
        };
        if !shown_to(staff, &change.event) {
            continue;
        }
        let (event, shown) = event_view(change.event, words);
        if shown && !words_read.contains(&change.ticket_id) {
            words_read.push(change.ticket_id);
        }
        items.push(ChangeView {
            ticket_id: change.ticket_id.0,
            reference,
            event,
        });
    }
    for ticket in words_read {
        let record = JournalRecord::new(JournalAction::TicketRead, &principal.actor, Some(ticket))
            .key(Some(principal.key.id))
            .fields(vec![PersonalField::OwnWords])
            .detail("changes");
        state.store.journal(&record, state.clock.now()).await?;
    }
    Ok(items)
}
