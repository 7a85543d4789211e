//! API keys that expire and can be rotated: `expires_at` (absent only on a machine key an admin
//! made non-expiring), `machine` (the key serves a program, not a person), and the previous
//! secret of a rotated key with the end of its grace period.
//!
//! Keys written before this migration had no expiry; each still active is given the default
//! policy's lifetime (90 days) from the migration's instant, so that no person's key stays valid
//! for ever after the upgrade. Rotate them (`POST /api/v1/api-keys/{id}/rotate`) or create new ones.

use chrono::{TimeDelta, Utc};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The lifetime given to the keys that exist when the migration runs.
const EXISTING_KEYS_LIFETIME: TimeDelta = TimeDelta::days(90);

const PREVIOUS_INDEX: &str = "api_keys_previous_secret_hash";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            timestamp_with_time_zone_null("expires_at"),
            boolean("machine").default(false).to_owned(),
            string_len_null("previous_secret_hash", 64),
            timestamp_with_time_zone_null("previous_valid_until"),
            timestamp_with_time_zone_null("rotated_at"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("api_keys")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(PREVIOUS_INDEX)
                    .table("api_keys")
                    .col("previous_secret_hash")
                    .to_owned(),
            )
            .await?;
        let expires = Utc::now() + EXISTING_KEYS_LIFETIME;
        manager
            .exec_stmt(
                Query::update()
                    .table("api_keys")
                    .value("expires_at", expires)
                    .and_where(Expr::col("revoked_at").is_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(PREVIOUS_INDEX)
                    .table("api_keys")
                    .to_owned(),
            )
            .await?;
        for column in [
            "rotated_at",
            "previous_valid_until",
            "previous_secret_hash",
            "machine",
            "expires_at",
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("api_keys")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
