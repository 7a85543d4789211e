//! Privacy by design: the access journal (append-only, hash-chained), legal holds that suspend the
//! retention of a ticket's personal data, and the sealed texts of the evidence chain (free texts
//! kept beside the chain, which commits to them by a salted hash: erasing the text and its salt
//! leaves the chain verifiable).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The `prev_hash` of the journal's first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("access_journal")
                    .if_not_exists()
                    // Position in the journal's chain, from 1, given by the writer under the
                    // head's lock: no gap, no reordering.
                    .col(big_integer("seq").primary_key())
                    .col(uuid("id").unique_key())
                    .col(timestamp_with_time_zone("at"))
                    .col(string_len("action", 40))
                    // "security alice", "partner key main", "the service": never a user's data.
                    .col(string_len("actor", 200))
                    .col(string_len_null("role", 20))
                    .col(uuid_null("organisation_id"))
                    .col(uuid_null("key_id"))
                    .col(uuid_null("ticket_id"))
                    .col(string_len("fields", 400))
                    .col(string_len_null("detail", 400))
                    .col(text("canonical"))
                    .col(string_len("prev_hash", 64))
                    .col(string_len("hash", 64))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("access_journal_ticket", "ticket_id"),
            ("access_journal_at", "at"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("access_journal")
                        .col(column)
                        .col("seq")
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("access_journal_head")
                    .if_not_exists()
                    .col(integer("id").primary_key())
                    .col(big_integer("seq"))
                    .col(string_len("hash", 64))
                    .to_owned(),
            )
            .await?;
        let head = Query::insert()
            .into_table("access_journal_head")
            .columns(["id", "seq", "hash"])
            .values([1.into(), 0_i64.into(), GENESIS.into()])
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .to_owned();
        manager.exec_stmt(head).await?;
        manager
            .create_table(
                Table::create()
                    .table("legal_holds")
                    .if_not_exists()
                    .col(pk_uuid("ticket_id"))
                    .col(timestamp_with_time_zone("set_at"))
                    .col(string_len("set_by", 200))
                    .col(text("reason"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("legal_holds", "ticket_id")
                            .to("tickets", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("sealed_texts")
                    .if_not_exists()
                    .col(uuid("event_id"))
                    // Where the text sits in the event, as a JSON pointer (`/data/body`).
                    .col(string_len("pointer", 200))
                    .col(uuid("ticket_id"))
                    .col(string_len("salt", 64))
                    .col(text("value"))
                    .primary_key(Index::create().col("event_id").col("pointer"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sealed_texts_ticket")
                    .table("sealed_texts")
                    .col("ticket_id")
                    .to_owned(),
            )
            .await?;
        // Tickets anonymised in the database whose copies outside it (mail files, attachments)
        // are still to be erased: written in the anonymising transaction, so a crash between the
        // two leaves the work queued, never forgotten.
        manager
            .create_table(
                Table::create()
                    .table("external_erasures")
                    .if_not_exists()
                    .col(pk_uuid("ticket_id"))
                    .col(timestamp_with_time_zone("queued_at"))
                    .to_owned(),
            )
            .await?;
        // The anonymiser looks for ended cases by state and last change.
        manager
            .create_index(
                Index::create()
                    .name("tickets_retention")
                    .table("tickets")
                    .col("state")
                    .col("updated_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("tickets_retention")
                    .table("tickets")
                    .to_owned(),
            )
            .await?;
        for table in [
            "external_erasures",
            "sealed_texts",
            "legal_holds",
            "access_journal_head",
            "access_journal",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
