//! A ticket's history: its events, its verifiable evidence file, and its clocks.

use crate::ApiState;
use crate::ApiTag;
use crate::auth::ApiKeyAuth;
use crate::dto::Instant;
use crate::dto::{ClockKindDto, PhaseDto};
use crate::error::ApiError;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use ticket_domain::Actor;
use ticket_domain::event::Visibility;
use ticket_domain::privacy::{
    Disclosure, EvidenceShare, PersonalField, Purpose, disclosed_in_full, disclosure, mask_text,
};
use ticket_domain::values::ANONYMISED;
use ticket_domain::{ClockKind, clock_status};
use ticket_store::privacy::{JournalAction, JournalRecord};
use ticket_store::tickets::StoredEvent;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// One event of a ticket's history.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EventView {
    /// Event id.
    pub id: Uuid,
    /// Position in the ticket's history, from 1.
    pub seq: i64,
    /// When it happened.
    pub at: Instant,
    /// What happened, e.g. `acknowledged`, `commented`, `sla_breached`.
    #[oai(rename = "type")]
    pub event_type: String,
    /// Who did it: a role and name, a partner key, the reporter, or the service.
    pub actor: String,
    /// `public` or `internal` (internal events are shown to staff only).
    pub visibility: String,
    /// The state before, when the event changed it.
    pub from_state: Option<String>,
    /// The state after, when the event changed it.
    pub to_state: Option<String>,
    /// The event's own fields (reason, note, priority, clock...).
    pub data: serde_json::Value,
    /// Hash of this event in the ticket's evidence chain.
    pub hash: String,
}

/// A ticket's events, oldest first.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EventList {
    /// The events this key may see.
    pub items: Vec<EventView>,
}

/// One link of the evidence chain.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EvidenceEntryView {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// The event exactly as hashed (its canonical JSON, parsed).
    pub event: serde_json::Value,
    /// The RFC 8785 canonical JSON that was hashed.
    pub canonical: String,
    /// Hash of the previous event (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 over `prev_hash` then `canonical`, hex.
    pub hash: String,
}

/// Result of recomputing the chain.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct VerificationView {
    /// Whether every link holds.
    pub valid: bool,
    /// Events verified before the first broken one.
    pub events_verified: i64,
    /// The first broken event, if any.
    pub first_broken_seq: Option<i64>,
    /// Why it is broken.
    pub reason: Option<String>,
}

/// A ticket's evidence file ("dossier de preuve"), verifiable offline.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EvidenceView {
    /// The ticket.
    pub ticket_id: Uuid,
    /// Its reference.
    pub reference: String,
    /// How each hash is computed.
    pub algorithm: String,
    /// Every event, in order.
    pub events: Vec<EvidenceEntryView>,
    /// Hash of the last event, as recorded on the ticket.
    pub head: String,
    /// The service's own verification of the chain, for convenience.
    pub verification: VerificationView,
    /// The sealed free texts still held, each with its salt: SHA-256 of the salt then the text
    /// (hex) is the `sealed_sha256` commitment at `pointer` in event `seq`. Included for readers
    /// who see the victim's words in full (`security`, `supervisor`; the export is then recorded
    /// in the access journal); erased by anonymisation, when the chain still verifies.
    pub sealed_texts: Vec<SealedTextView>,
}

/// A sealed free text of the evidence file.
#[derive(Debug, Clone, Object)]
pub struct SealedTextView {
    /// The event holding the commitment.
    pub seq: i64,
    /// Where, as a JSON pointer into the event (`/data/body`).
    pub pointer: String,
    /// The salt, hex.
    pub salt: String,
    /// The text.
    pub value: String,
}

/// One SLA clock.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClockView {
    /// `acknowledgement` or `handling`.
    pub kind: ClockKindDto,
    /// `running`, `paused` (waiting for the reporter) or `stopped`.
    pub phase: PhaseDto,
    /// The calendar the clock counts in, in words.
    pub calendar: String,
    /// Target, in seconds of the clock's calendar (for an incident on a service with a shorter
    /// maximum unavailability, the service's own window).
    pub target_seconds: i64,
    /// Working time used so far, in seconds.
    pub used_seconds: i64,
    /// Working time left, in seconds.
    pub remaining_seconds: i64,
    /// When the target is (or was) reached; absent while paused before reaching it.
    pub deadline: Option<Instant>,
    /// When the warning threshold is (or was) reached.
    pub warning_at: Option<Instant>,
    /// The warning threshold was reached.
    pub warned: bool,
    /// The target was reached.
    pub breached: bool,
    /// Why it breached, in words; absent if it did not.
    pub breach_explanation: Option<String>,
    /// The intervals during which the clock ran; the gaps are pauses.
    pub running_intervals: Vec<IntervalView>,
}

/// A period during which a clock ran.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct IntervalView {
    /// Start.
    pub start: Instant,
    /// End; absent while it runs.
    pub end: Option<Instant>,
}

/// A ticket's clocks.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClocksView {
    /// The acknowledgement clock and the handling clock.
    pub clocks: Vec<ClockView>,
    /// The instant of the computation.
    pub at: Instant,
    /// The next instant at which a warning, breach, reminder or automatic closure is due.
    pub next_due: Option<Instant>,
}

/// Answers of the history operations.
#[derive(Debug, ApiResponse)]
pub enum EventsResponse {
    /// The events.
    #[oai(status = 200)]
    Ok(Json<EventList>),
}

/// Answers of the evidence operation.
#[derive(Debug, ApiResponse)]
pub enum EvidenceResponse {
    /// The evidence file.
    #[oai(status = 200)]
    Ok(Json<EvidenceView>),
}

/// Answers of the clock operation.
#[derive(Debug, ApiResponse)]
pub enum ClockResponse {
    /// The clocks.
    #[oai(status = 200)]
    Ok(Json<ClocksView>),
}

/// Removes the members without a value, at any depth: a field without a value is omitted.
fn without_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(without_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_nulls),
        _ => {}
    }
}

/// Whether a reader sees this event at all: partners see public events only, never an internal
/// note or alarm (the ticket's history and the change feed alike).
pub(crate) fn shown_to(staff: bool, event: &StoredEvent) -> bool {
    staff || event.event.visibility == Visibility::Public
}

/// Whether `actor` reads the victim's own words (what the public reporter wrote) in full on
/// `ticket`: need-to-know, as on the ticket itself.
pub(crate) fn own_words_in_full(actor: &Actor, ticket: &ticket_domain::Ticket) -> bool {
    disclosure(actor, ticket, PersonalField::OwnWords, Purpose::Read) == Disclosure::Full
}

/// An event as a reader sees it, the public reporter's words masked unless `words`; and whether
/// it showed them (the read is then journaled).
pub(crate) fn event_view(e: StoredEvent, words: bool) -> (EventView, bool) {
    let mut words_shown = false;
    let mut data = serde_json::to_value(&e.event.data).unwrap_or_default();
    if let serde_json::Value::Object(map) = &mut data {
        map.remove("type");
        if e.event.actor == Actor::PublicReporter {
            for value in map.values_mut() {
                if let Some(text) = value.as_str().filter(|t| *t != ANONYMISED) {
                    if words {
                        words_shown = true;
                    } else {
                        *value = serde_json::Value::String(mask_text(text));
                    }
                }
            }
        }
    }
    without_nulls(&mut data);
    let view = EventView {
        id: e.id,
        seq: e.seq,
        at: e.event.at.into(),
        event_type: e.event.data.type_name().to_owned(),
        actor: e.event.actor.describe(),
        visibility: match e.event.visibility {
            Visibility::Public => "public".to_owned(),
            Visibility::Internal => "internal".to_owned(),
        },
        from_state: e.event.transition.map(|(from, _)| from.name().to_owned()),
        to_state: e.event.transition.map(|(_, to)| to.name().to_owned()),
        data,
        hash: e.hash,
    };
    (view, words_shown)
}

/// A ticket's history.
#[derive(Debug, Clone, Copy, Default)]
pub struct HistoryApi;

#[OpenApi(tag = "ApiTag::Tickets")]
impl HistoryApi {
    /// A ticket's events
    ///
    /// Oldest first. Partners see public events only: internal notes never reach them.
    #[oai(
        path = "/api/v1/tickets/:id/events",
        method = "get",
        operation_id = "list_events"
    )]
    async fn events(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
    ) -> Result<EventsResponse> {
        let stored = crate::tickets::visible_ticket(&state, &auth.0, &id.0).await?;
        let staff = auth.0.is_staff();
        let events = state.store.events(stored.ticket.id).await?;
        let words = own_words_in_full(&auth.0.actor, &stored.ticket);
        let mut words_shown = false;
        let items: Vec<EventView> = events
            .into_iter()
            .filter(|e| shown_to(staff, e))
            .map(|e| {
                let (view, shown) = event_view(e, words);
                words_shown |= shown;
                view
            })
            .collect();
        if words_shown {
            let record = JournalRecord::new(
                JournalAction::TicketRead,
                &auth.0.actor,
                Some(stored.ticket.id),
            )
            .key(Some(auth.0.key.id))
            .fields(vec![PersonalField::OwnWords])
            .detail("history");
            state.store.journal(&record, state.clock.now()).await?;
        }
        Ok(EventsResponse::Ok(Json(EventList { items })))
    }

    /// A ticket's evidence file
    ///
    /// Every event with `prev_hash` and `hash` (SHA-256 over the previous hash and the event's
    /// RFC 8785 canonical JSON), so anyone can recompute the chain without this service. Staff only.
    #[oai(
        path = "/api/v1/tickets/:id/evidence",
        method = "get",
        operation_id = "get_evidence"
    )]
    async fn evidence(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
    ) -> Result<EvidenceResponse> {
        auth.0.require_staff()?;
        let stored = crate::tickets::visible_ticket(&state, &auth.0, &id.0).await?;
        let file = state.store.evidence(stored.ticket.id).await?;
        let verification = state.store.verify_chain(stored.ticket.id).await?;
        // The same share as the archive's (rule `privacy::EvidenceShare`).
        let words = EvidenceShare::for_reader(&auth.0.actor, &stored.ticket).sealed_texts;
        let sealed_texts: Vec<SealedTextView> = if words {
            file.sealed_texts
                .into_iter()
                .map(|t| SealedTextView {
                    seq: t.seq,
                    pointer: t.pointer,
                    salt: t.salt,
                    value: t.value,
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut fields = disclosed_in_full(&auth.0.actor, &stored.ticket, Purpose::Read)
            .into_iter()
            .filter(|f| *f == PersonalField::OwnWords)
            .collect::<Vec<_>>();
        if !sealed_texts.is_empty() && fields.is_empty() {
            fields.push(PersonalField::OwnWords);
        }
        if !fields.is_empty() {
            let record = JournalRecord::new(
                JournalAction::EvidenceExport,
                &auth.0.actor,
                Some(stored.ticket.id),
            )
            .key(Some(auth.0.key.id))
            .fields(fields);
            state.store.journal(&record, state.clock.now()).await?;
        }
        Ok(EvidenceResponse::Ok(Json(EvidenceView {
            ticket_id: file.ticket_id,
            reference: file.reference,
            algorithm: file.algorithm,
            events: file
                .events
                .into_iter()
                .map(|e| EvidenceEntryView {
                    seq: e.seq,
                    event: e.event,
                    canonical: e.canonical,
                    prev_hash: e.prev_hash,
                    hash: e.hash,
                })
                .collect(),
            head: file.head,
            verification: VerificationView {
                valid: verification.valid,
                events_verified: verification.events,
                first_broken_seq: verification.broken.as_ref().map(|b| b.seq),
                reason: verification.broken.map(|b| b.reason),
            },
            sealed_texts,
        })))
    }

    /// A ticket's clocks
    ///
    /// Running and paused intervals, working time used, deadlines, warning and breach instants,
    /// and in words why a clock breached.
    #[oai(
        path = "/api/v1/tickets/:id/clock",
        method = "get",
        operation_id = "get_clock"
    )]
    async fn clock(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
    ) -> Result<ClockResponse> {
        let stored = crate::tickets::visible_ticket(&state, &auth.0, &id.0).await?;
        let now = state.clock.now();
        let ticket = &stored.ticket;
        let what = format!("priority {} ({})", ticket.priority.level(), ticket.priority);
        let clocks = [ClockKind::Acknowledgement, ClockKind::Handling]
            .into_iter()
            .map(|kind| {
                let status = clock_status(ticket, kind, &state.policy, now);
                let clock = match kind {
                    ClockKind::Acknowledgement => &ticket.acknowledgement_clock,
                    ClockKind::Handling => &ticket.handling_clock,
                };
                ClockView {
                    kind: kind.into(),
                    phase: status.phase.into(),
                    calendar: status.calendar.clone(),
                    target_seconds: status.target.num_seconds(),
                    used_seconds: status.used.num_seconds(),
                    remaining_seconds: status.remaining.num_seconds(),
                    deadline: status.deadline.map(Into::into),
                    warning_at: status.warning_at.map(Into::into),
                    warned: status.warned,
                    breached: status.breached,
                    breach_explanation: status.explain_breach(clock, &what),
                    running_intervals: clock
                        .intervals
                        .iter()
                        .map(|i| IntervalView {
                            start: i.start.into(),
                            end: i.end.map(Into::into),
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(ClockResponse::Ok(Json(ClocksView {
            clocks,
            at: now.into(),
            next_due: ticket_domain::next_due(ticket, &state.policy).map(Into::into),
        })))
    }
}
