//! Webhooks for partners (issue 36): each organisation's endpoints, the deliveries written in the
//! same transaction as the event they announce (one row per endpoint and event), and the log of
//! every attempt.
//!
//! A delivery's id on the wire (`webhook-id`) is derived from its event (`msg_` + the event id),
//! so it is the same on every retry and a receiver can deduplicate. Deliveries are sent per
//! endpoint in the change feed's order (`ticket_events.feed_position`), a later one waiting for
//! the earlier ones; a replica claims one with a lease (`lease_until`), so a replica killed during
//! a delivery only delays it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("webhook_endpoints")
                    .col(pk_uuid("id"))
                    .col(uuid("organisation_id"))
                    .col(string_len("url", 2048))
                    // A JSON array of event types.
                    .col(text("event_types"))
                    .col(string_len("secret", 100))
                    .col(string_len_null("previous_secret", 100))
                    .col(timestamp_with_time_zone_null("previous_valid_until"))
                    .col(big_integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("failing_since"))
                    .col(timestamp_with_time_zone_null("disabled_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_endpoints_organisation")
                    .table("webhook_endpoints")
                    .col("organisation_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .col(uuid("endpoint_id"))
                    .col(uuid("event_id"))
                    .col(uuid("ticket_id"))
                    // `pending`, `delivered` or `failed`.
                    .col(string_len("state", 16))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(uuid_null("lease_owner"))
                    .col(timestamp_with_time_zone_null("lease_until"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("settled_at"))
                    .col(integer_null("last_status"))
                    .primary_key(Index::create().col("endpoint_id").col("event_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_pending")
                    .table("webhook_deliveries")
                    .col("state")
                    .col("endpoint_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_attempts")
                    .col(pk_uuid("id"))
                    .col(uuid("endpoint_id"))
                    .col(uuid("event_id"))
                    .col(integer("attempt"))
                    .col(timestamp_with_time_zone("at"))
                    .col(integer_null("status_code"))
                    .col(big_integer("latency_ms"))
                    .col(string_len("response_head", 2048))
                    .col(string_len_null("error", 200))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_attempts_endpoint")
                    .table("webhook_attempts")
                    .col("endpoint_id")
                    .col("at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "webhook_attempts",
            "webhook_deliveries",
            "webhook_endpoints",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
