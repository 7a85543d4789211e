//! The versions clients hold (API convention: "the ETag a client holds changes only with what that
//! client can see"). `version` stays the internal one, raised by every write and used by the
//! conditional updates; `staff_version` and `public_version` are the internal version of the last
//! write holding an event staff, respectively partners and the public reporter, can see (rules in
//! `ticket_domain::audience`). Both start at the ticket's current version, so the ETags clients
//! hold stay valid.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 2] = ["staff_version", "public_version"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("tickets")
                        .add_column(big_integer(column).default(1))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE tickets SET staff_version = version, public_version = version",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("tickets")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
