//! The triage desk's queue counts read one index instead of the tickets' rows (whose documents make
//! the table large): every column the counts look at, priority first (they are grouped by it).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "tickets_queues";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table("tickets")
                    .col("priority")
                    .col("state")
                    .col("organisation_id")
                    .col("assignee")
                    .col("breached")
                    .col("deadline_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table("tickets").to_owned())
            .await
    }
}
