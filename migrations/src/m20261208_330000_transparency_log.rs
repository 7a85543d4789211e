//! The transparency log (issue 33): every ticket's chain head appended to one Merkle tree, and the
//! tree's signed heads. `transparency_log` holds the leaves in order (index, which ticket, which
//! event of its chain, the chain's hash there, and the leaf's hash); `transparency_heads` each
//! signed head with what the next append starts from (the tree's frontier and the change feed's
//! cursor up to which heads are logged).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("transparency_log")
                    .if_not_exists()
                    .col(big_integer("idx").primary_key())
                    .col(uuid("ticket_id"))
                    .col(big_integer("seq"))
                    .col(string_len("chain_head", 64))
                    .col(string_len("leaf_hash", 64))
                    .col(timestamp_with_time_zone("logged_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("transparency_log_ticket")
                    .table("transparency_log")
                    .col("ticket_id")
                    .col("seq")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("transparency_heads")
                    .if_not_exists()
                    .col(big_integer("size").primary_key())
                    .col(string_len("root", 64))
                    .col(timestamp_with_time_zone("signed_at"))
                    // The signed checkpoint, as served and sent to witnesses.
                    .col(text("note"))
                    // The frontier's peaks, hex, left to right, without separators.
                    .col(text("peaks"))
                    // The change feed's cursor up to which chain heads are in this tree.
                    .col(string_len("feed_cursor", 255))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("transparency_heads").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("transparency_log").to_owned())
            .await
    }
}
