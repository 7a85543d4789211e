//! What replicas on one database share: the public rate limits' recent events (PostgreSQL keeps
//! them, so that N replicas do not allow N times the limit), keys generated once for all replicas
//! (the CSRF key when none is configured), and indexes that let `/metrics` count tickets by kind,
//! state and priority, and breaches and escalations, without reading every ticket and event.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("rate_events")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    // A keyed hash of the limit's name and its key (an address): never the address.
                    .col(string_len("bucket", 80))
                    .col(timestamp_with_time_zone("at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rate_events_bucket_at")
                    .table("rate_events")
                    .col("bucket")
                    .col("at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rate_events_at")
                    .table("rate_events")
                    .col("at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("shared_secrets")
                    .if_not_exists()
                    .col(string_len("name", 64).primary_key())
                    .col(string_len("value", 128))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ticket_events_type")
                    .table("ticket_events")
                    .col("event_type")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tickets_counts")
                    .table("tickets")
                    .col("kind")
                    .col("state")
                    .col("priority")
                    .col("breached")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("tickets_counts")
                    .table("tickets")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ticket_events_type")
                    .table("ticket_events")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("shared_secrets").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("rate_events").to_owned())
            .await
    }
}
