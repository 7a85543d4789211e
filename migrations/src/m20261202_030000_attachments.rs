//! Files attached to tickets. The bytes live in the blob store (a folder or S3-compatible storage),
//! named by their SHA-256; this table holds what the chain does not: the name the sender chose
//! (personal data, erased with the ticket's), who attached it and who may see it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("attachments")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("ticket_id"))
                    // The `files_attached` event that added it (its hash covers `sha256`).
                    .col(uuid("event_id"))
                    .col(string_len("sha256", 64))
                    .col(big_integer("size"))
                    .col(string_len("media_type", 100))
                    // Sanitised; absent once the ticket's personal data is erased.
                    .col(string_len_null("name", 255))
                    .col(string_len("visibility", 16))
                    .col(string_len("actor", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("erased_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("attachments", "ticket_id")
                            .to("tickets", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("attachments_ticket")
                    .table("attachments")
                    .col("ticket_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("attachments_sha256")
                    .table("attachments")
                    .col("sha256")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("attachments").to_owned())
            .await
    }
}
