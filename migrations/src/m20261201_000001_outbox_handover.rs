//! The outbox remembers when a worker began handing a mail to the mail server, so that a worker
//! that dies leaves uncertain only the mails it had begun to send; the others go back to `pending`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("outbox")
                    .add_column(timestamp_with_time_zone_null("handover_started_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("outbox")
                    .drop_column("handover_started_at")
                    .to_owned(),
            )
            .await
    }
}
