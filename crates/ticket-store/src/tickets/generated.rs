//! Writing generated histories in bulk, for benchmarks: tickets whose lives were played in memory
//! by the domain (`open`, `decide`, `sweep`) are written as the store writes them — the same
//! ticket rows, the same chained events and the reports' facts — many per statement. Mails,
//! sealed texts and search text are not written (no report reads them).

use super::to_row;
use super::write::generated_event_rows;
use crate::entities::{ticket, ticket_event};
use crate::{Store, StoreError};
use sea_orm::sea_query::Query;
use sea_orm::{ConnectionTrait, EntityTrait, TransactionTrait};
use ticket_domain::lifecycle::Record;
use ticket_domain::{Policy, Ticket};

/// Rows per insert statement (under PostgreSQL's 65,535 bound parameters).
const TICKETS_PER_STATEMENT: usize = 1_000;
const EVENTS_PER_STATEMENT: usize = 5_000;
const FACT_TICKETS_PER_STATEMENT: usize = 500;

impl Store {
    /// Writes tickets with their whole lives (`records`, from the opening), in one transaction.
    pub async fn insert_generated(
        &self,
        lives: &[(Ticket, Vec<Record>)],
        policy: &Policy,
    ) -> Result<(), StoreError> {
        let mut tickets = Vec::with_capacity(lives.len());
        let mut events = Vec::new();
        let mut facts = Vec::new();
        for (ticket, records) in lives {
            let (rows, ticket_facts, count, head) = generated_event_rows(ticket, records)?;
            tickets.push(to_row(ticket, count.max(1), count, head, policy)?);
            events.extend(rows);
            facts.push((ticket.id, ticket_facts));
        }
        let txn = self.connection().begin().await?;
        while !tickets.is_empty() {
            let rest = tickets.split_off(tickets.len().min(TICKETS_PER_STATEMENT));
            ticket::Entity::insert_many(std::mem::replace(&mut tickets, rest))
                .exec(&txn)
                .await?;
        }
        while !events.is_empty() {
            let rest = events.split_off(events.len().min(EVENTS_PER_STATEMENT));
            ticket_event::Entity::insert_many(std::mem::replace(&mut events, rest))
                .exec(&txn)
                .await?;
        }
        // The reports' facts, a few hundred tickets' per statement.
        for chunk in facts.chunks_mut(FACT_TICKETS_PER_STATEMENT) {
            let mut insert = Query::insert();
            insert
                .into_table("report_events")
                .columns(["ticket_id", "seq", "fact"]);
            let mut any = false;
            for (id, ticket_facts) in chunk {
                for (seq, fact) in std::mem::take(ticket_facts) {
                    insert
                        .values([id.0.into(), seq.into(), fact.into()])
                        .map_err(StoreError::corrupt)?;
                    any = true;
                }
            }
            if any {
                txn.execute(&insert).await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// Updates the planner's statistics (after a bulk load).
    pub async fn analyse(&self) -> Result<(), StoreError> {
        self.connection().execute_unprepared("ANALYZE").await?;
        Ok(())
    }
}
