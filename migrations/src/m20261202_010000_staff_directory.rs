//! The triage desk: a staff directory (members with a handle and an email; staff API keys may
//! belong to one), and the columns and indexes the ticket list filters and sorts on.
//!
//! Every sort of the list is a keyset over (sort key, id), so each has an index on both databases:
//! `priority`, `deadline_at` (the next deadline of a running clock), `created_at`, `updated_at`.
//! `deadline_at` and `service_id` are filled by the store when a ticket is written; rows written
//! before this migration are filled by the store at start-up (`Store::backfill_triage_columns`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(name: &str, table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table.to_owned());
    for column in columns {
        index.col(ToString::to_string(column));
    }
    index.to_owned()
}

/// Indexes of the ticket list's sorts and filters, (key, id) each.
const TICKET_INDEXES: [(&str, &[&str]); 6] = [
    ("tickets_priority_id", &["priority", "id"]),
    ("tickets_deadline_id", &["deadline_at", "id"]),
    ("tickets_updated_id", &["updated_at", "id"]),
    ("tickets_state_deadline", &["state", "deadline_at", "id"]),
    ("tickets_tier_created", &["tier", "created_at", "id"]),
    (
        "tickets_service_created",
        &["service_id", "created_at", "id"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("staff_members")
                    .if_not_exists()
                    .col(string_len("handle", 100).primary_key())
                    // Where mails to this member go (a ticket assigned to them: replies, escalations).
                    .col(string_len("email", 254))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table("api_keys")
                    .add_column(string_len_null("staff_member", 100))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "api_keys_staff_member",
                "api_keys",
                &["staff_member"],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("tickets")
                    .add_column(timestamp_with_time_zone_null("deadline_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("tickets")
                    .add_column(uuid_null("service_id"))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in TICKET_INDEXES {
            manager
                .create_index(index(name, "tickets", columns))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in TICKET_INDEXES {
            manager
                .drop_index(Index::drop().name(name).table("tickets").to_owned())
                .await?;
        }
        for column in ["service_id", "deadline_at"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("tickets")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("api_keys_staff_member")
                    .table("api_keys")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("api_keys")
                    .drop_column("staff_member")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("staff_members").to_owned())
            .await
    }
}
