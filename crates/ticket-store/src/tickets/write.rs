//! Writing what the domain decided: the ticket's row, its chained events and their mails, the
//! organisations concerned.

use super::{Versions, to_row};
use crate::StoreError;
use crate::batch::Writes;
use crate::chain::{self};
use crate::entities::sealed_text;
use crate::entities::{ticket, ticket_event, ticket_organisation};
use crate::outbox;
use crate::reports::UNREPORTED_EVENTS;
use crate::seal::{self, SealedText};
use crate::search::{self};
use crate::webhooks::Targets;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{InsertStatement, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait as _,
};
use serde_json::{Value, json};
use ticket_domain::audience::Audience;
use ticket_domain::kind::KindData;
use ticket_domain::lifecycle::{Decision, Record};
use ticket_domain::privacy::seals_every_text;
use ticket_domain::values::TicketId;
use ticket_domain::{Policy, Ticket};
use ticket_reports::{IncidentFacts, ReportEvent};
use uuid::Uuid;

/// The canonical JSON of an event at its place in a ticket's chain, its free texts sealed (see
/// [`crate::seal`]) when they may hold personal data; and the texts taken out.
fn canonical_event(
    ticket_id: TicketId,
    seq: i64,
    event: &ticket_domain::Event,
    seal_all: bool,
) -> Result<(String, Vec<SealedText>), StoreError> {
    let mut value = serde_json::to_value(event)?;
    let sealed = seal::seal(&mut value, seal_all);
    if let Value::Object(map) = &mut value {
        map.insert("ticket_id".into(), json!(ticket_id));
        map.insert("seq".into(), json!(seq));
    }
    Ok((chain::canonical_json(&value), sealed))
}

/// Writes a decision on a ticket that has `expected_version` (internal): the conditional update
/// comes first, so it takes the row (PostgreSQL) or the write lock (SQLite) before the chain is
/// read and extended. The versions clients hold move only with the events they can see.
pub(crate) async fn write_decision(
    txn: &DatabaseTransaction,
    decision: &Decision,
    expected_version: i64,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Versions, StoreError> {
    let id = decision.ticket.id;
    let version = expected_version + 1;
    let current = ticket::Entity::find_by_id(id.0)
        .select_only()
        .columns([
            ticket::Column::EventCount,
            ticket::Column::ChainHead,
            ticket::Column::Version,
            ticket::Column::StaffVersion,
            ticket::Column::PublicVersion,
        ])
        .into_tuple::<(i64, String, i64, i64, i64)>()
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound("ticket"))?;
    let (count, head, stored_version, staff_version, public_version) = current;
    if stored_version != expected_version {
        return Err(StoreError::VersionConflict {
            expected: expected_version,
            current: stored_version,
        });
    }
    // Every extension of the chain bumps the version, so if the conditional update below succeeds
    // the chain read above is still the latest one.
    let prepared = prepare_events(
        id,
        count,
        head.clone(),
        &decision.records,
        seals_every_text(&decision.ticket),
    )?;
    let new_count = count + prepared.len() as i64;
    let new_head = prepared
        .last()
        .map_or_else(|| head.clone(), |p| p.hash.clone());
    // An audience's version is the internal version of the last write it can see.
    let seen = |audience: Audience, before: i64| {
        if decision
            .records
            .iter()
            .any(|r| r.event.raises_version_of(audience))
        {
            version
        } else {
            before
        }
    };
    let versions = Versions {
        internal: version,
        staff: seen(Audience::Staff, staff_version),
        public: seen(Audience::Public, public_version),
    };
    let mut row = to_row(&decision.ticket, version, new_count, new_head, policy)?;
    row.created_at = sea_orm::ActiveValue::NotSet;
    row.staff_version = Set(versions.staff);
    row.public_version = Set(versions.public);
    let result = ticket::Entity::update_many()
        .set(row)
        .filter(ticket::Column::Id.eq(id.0))
        .filter(ticket::Column::Version.eq(expected_version))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        let current = ticket::Entity::find_by_id(id.0)
            .select_only()
            .column(ticket::Column::Version)
            .into_tuple::<i64>()
            .one(txn)
            .await?
            .unwrap_or(expected_version);
        return Err(StoreError::VersionConflict {
            expected: expected_version,
            current,
        });
    }
    let targets = Targets::of(&decision.ticket);
    let mut writes = Writes::default();
    decision_writes(
        &mut writes,
        &decision.ticket,
        prepared,
        &decision.records,
        None,
        &targets,
        now,
    )?;
    writes.run(txn).await?;
    Ok(versions)
}

/// What a decision inserts beside its ticket's row: its events (with their sealed texts, mails
/// and webhook deliveries to `targets`), the organisations concerned, the search row.
pub(crate) fn decision_writes(
    writes: &mut Writes,
    ticket: &Ticket,
    prepared: Vec<PreparedEvent>,
    records: &[Record],
    tracking_secret: Option<&str>,
    targets: &Targets,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    insert_events(
        writes,
        ticket.id,
        prepared,
        records,
        tracking_secret,
        Some((ticket, targets)),
        now,
    )?;
    sync_concerned(writes, ticket)?;
    let events: Vec<&ticket_domain::Event> = records.iter().map(|r| &r.event).collect();
    writes.insert(search::index_statement(ticket, &events));
    Ok(())
}

pub(crate) struct PreparedEvent {
    id: Uuid,
    seq: i64,
    canonical: String,
    prev_hash: String,
    pub(crate) hash: String,
    sealed: Vec<SealedText>,
}

pub(crate) fn prepare_events(
    ticket_id: TicketId,
    count: i64,
    head: String,
    records: &[Record],
    seal_all: bool,
) -> Result<Vec<PreparedEvent>, StoreError> {
    let mut previous = head;
    let mut prepared = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let seq = count + 1 + i as i64;
        let (canonical, sealed) = canonical_event(ticket_id, seq, &record.event, seal_all)?;
        let hash = chain::chain_hash(&previous, &canonical);
        prepared.push(PreparedEvent {
            id: Uuid::now_v7(),
            seq,
            canonical,
            prev_hash: std::mem::replace(&mut previous, hash.clone()),
            hash,
            sealed,
        });
    }
    Ok(prepared)
}

/// What the reports keep of each event that may move a figure (`report_events`, migration
/// m20261208_320100): its sequence number and fact ([`ReportEvent::to_fact`]), an incident's
/// opening with the incident's service and start.
pub(crate) fn report_facts(
    prepared: &[PreparedEvent],
    records: &[Record],
    incident: Option<&IncidentFacts>,
) -> Result<Vec<(i64, String)>, StoreError> {
    let mut facts = Vec::new();
    for (event, record) in prepared.iter().zip(records) {
        let kind = record.event.data.type_name();
        if UNREPORTED_EVENTS.contains(&kind) {
            continue;
        }
        let read = ReportEvent::from_canonical(&event.canonical)?;
        let fact = read.to_fact(incident.filter(|_| kind == "created"))?;
        facts.push((event.seq, fact));
    }
    Ok(facts)
}

/// The insert of `facts` of a ticket into `report_events`; none without facts.
pub(crate) fn report_insert(
    ticket_id: TicketId,
    facts: Vec<(i64, String)>,
) -> Result<Option<InsertStatement>, StoreError> {
    if facts.is_empty() {
        return Ok(None);
    }
    let mut insert = Query::insert();
    insert
        .into_table("report_events")
        .columns(["ticket_id", "seq", "fact"]);
    for (seq, fact) in facts {
        insert
            .values([ticket_id.0.into(), seq.into(), fact.into()])
            .map_err(StoreError::corrupt)?;
    }
    Ok(Some(insert))
}

/// The events' rows, their sealed texts, their mails and (when `decided` names the ticket as
/// decided and the endpoints that may hear of it) their webhook deliveries and, for an incident,
/// the reports' facts with its service and start.
fn insert_events(
    writes: &mut Writes,
    ticket_id: TicketId,
    prepared: Vec<PreparedEvent>,
    records: &[Record],
    tracking_secret: Option<&str>,
    decided: Option<(&Ticket, &Targets)>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let incident = decided.and_then(|(ticket, _)| match &ticket.data {
        KindData::Incident(data) => Some(IncidentFacts {
            started_at: data.started_at,
            service: data.service.clone(),
        }),
        _ => None,
    });
    let facts = report_facts(&prepared, records, incident.as_ref())?;
    for (event, record) in prepared.into_iter().zip(records) {
        let row = ticket_event::ActiveModel {
            id: Set(event.id),
            ticket_id: Set(ticket_id.0),
            seq: Set(event.seq),
            at: Set(record.event.at),
            event_type: Set(record.event.data.type_name().to_owned()),
            visibility: Set(visibility_name(record.event.visibility).to_owned()),
            canonical: Set(event.canonical),
            prev_hash: Set(event.prev_hash),
            hash: Set(event.hash),
        };
        writes.insert(ticket_event::Entity::insert(row).into_query());
        for text in &event.sealed {
            writes.insert(
                sealed_text::Entity::insert(sealed_text::ActiveModel {
                    event_id: Set(event.id),
                    pointer: Set(text.pointer.clone()),
                    ticket_id: Set(ticket_id.0),
                    salt: Set(text.salt.clone()),
                    value: Set(text.value.clone()),
                })
                .into_query(),
            );
        }
        if let Some(mails) = outbox::enqueue(
            ticket_id,
            event.id,
            event.seq,
            &record.notifications,
            tracking_secret,
            now,
        )? {
            writes.insert(mails);
        }
        if let Some((ticket, targets)) = decided
            && let Some(deliveries) = targets.deliveries(ticket, event.id, &record.event, now)
        {
            writes.insert(deliveries);
        }
    }
    if let Some(insert) = report_insert(ticket_id, facts)? {
        writes.insert(insert);
    }
    Ok(())
}

/// Appends an internal event of the service to a ticket's chain outside any command (what the
/// rules do not decide, such as an erasure): the version is bumped first, which takes the row
/// (PostgreSQL) before the chain is read, like [`write_decision`]'s conditional update.
pub(crate) async fn append_service_event(
    txn: &DatabaseTransaction,
    ticket_id: TicketId,
    data: ticket_domain::EventData,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    ticket::Entity::update_many()
        .col_expr(
            ticket::Column::Version,
            sea_orm::sea_query::ExprTrait::add(
                sea_orm::sea_query::Expr::col(ticket::Column::Version),
                1_i64,
            ),
        )
        .filter(ticket::Column::Id.eq(ticket_id.0))
        .exec(txn)
        .await?;
    let (count, head) = ticket::Entity::find_by_id(ticket_id.0)
        .select_only()
        .columns([ticket::Column::EventCount, ticket::Column::ChainHead])
        .into_tuple::<(i64, String)>()
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound("ticket"))?;
    let records = [Record {
        event: ticket_domain::Event {
            at: now,
            actor: ticket_domain::Actor::System,
            visibility: ticket_domain::event::Visibility::Internal,
            transition: None,
            data,
            facts: None,
        },
        notifications: Vec::new(),
    }];
    let prepared = prepare_events(ticket_id, count, head, &records, false)?;
    let new_head = prepared
        .last()
        .map(|p| p.hash.clone())
        .ok_or_else(|| StoreError::corrupt("no event prepared"))?;
    ticket::Entity::update_many()
        .col_expr(
            ticket::Column::EventCount,
            sea_orm::sea_query::Expr::value(count + 1),
        )
        .col_expr(
            ticket::Column::ChainHead,
            sea_orm::sea_query::Expr::value(new_head),
        )
        .filter(ticket::Column::Id.eq(ticket_id.0))
        .exec(txn)
        .await?;
    let mut writes = Writes::default();
    // An internal event: no partner hears of it.
    insert_events(&mut writes, ticket_id, prepared, &records, None, None, now)?;
    writes.run(txn).await
}

fn visibility_name(visibility: ticket_domain::event::Visibility) -> &'static str {
    match visibility {
        ticket_domain::event::Visibility::Public => "public",
        ticket_domain::event::Visibility::Internal => "internal",
    }
}

/// Mirrors the organisations concerned by a ticket into their table (to find a partner's cases).
fn sync_concerned(writes: &mut Writes, ticket: &Ticket) -> Result<(), StoreError> {
    if ticket.concerned.is_empty() {
        return Ok(());
    }
    for concerned in &ticket.concerned {
        let role = serde_json::to_value(concerned.role)?;
        let row = ticket_organisation::ActiveModel {
            ticket_id: Set(ticket.id.0),
            organisation_id: Set(concerned.organisation.0),
            role: Set(role.as_str().unwrap_or_default().to_owned()),
            notified_at: Set(concerned.notified_at),
        };
        let upsert = ticket_organisation::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    ticket_organisation::Column::TicketId,
                    ticket_organisation::Column::OrganisationId,
                ])
                .update_columns([
                    ticket_organisation::Column::Role,
                    ticket_organisation::Column::NotifiedAt,
                ])
                .to_owned(),
            )
            .into_query();
        writes.insert(upsert);
    }
    Ok(())
}

/// The event rows of a ticket whose whole life is `records` (from its opening), chained from the
/// genesis as [`prepare_events`] chains them; and the chain's length and head. For the generated
/// histories of benchmarks ([`crate::Store::insert_generated`]): no sealed texts nor mails.
#[cfg(feature = "testkit")]
pub(crate) fn generated_event_rows(
    ticket: &Ticket,
    records: &[Record],
) -> Result<GeneratedRows, StoreError> {
    let prepared = prepare_events(
        ticket.id,
        0,
        chain::GENESIS.to_owned(),
        records,
        seals_every_text(ticket),
    )?;
    let head = prepared
        .last()
        .map_or_else(|| chain::GENESIS.to_owned(), |p| p.hash.clone());
    let count = prepared.len() as i64;
    let incident = match &ticket.data {
        KindData::Incident(data) => Some(IncidentFacts {
            started_at: data.started_at,
            service: data.service.clone(),
        }),
        _ => None,
    };
    let facts = report_facts(&prepared, records, incident.as_ref())?;
    let rows = prepared
        .into_iter()
        .zip(records)
        .map(|(event, record)| ticket_event::ActiveModel {
            id: Set(event.id),
            ticket_id: Set(ticket.id.0),
            seq: Set(event.seq),
            at: Set(record.event.at),
            event_type: Set(record.event.data.type_name().to_owned()),
            visibility: Set(visibility_name(record.event.visibility).to_owned()),
            canonical: Set(event.canonical),
            prev_hash: Set(event.prev_hash),
            hash: Set(event.hash),
        })
        .collect();
    Ok((rows, facts, count, head))
}

/// A generated ticket's event rows, its reports' facts, the chain's length and head.
#[cfg(feature = "testkit")]
pub(crate) type GeneratedRows = (
    Vec<ticket_event::ActiveModel>,
    Vec<(i64, String)>,
    i64,
    String,
);
