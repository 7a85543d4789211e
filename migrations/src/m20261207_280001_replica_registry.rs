//! The replicas serving from one database, with where each keeps attachments' bytes: a replica
//! refuses to start when a live one keeps them elsewhere (two folders on two machines would each
//! hold half of the files).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("replicas")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    // The machine's name (a pod's name on Kubernetes): no personal data.
                    .col(string_len("host", 255))
                    // `folder HOST:/abs/path` or `s3 ENDPOINT/BUCKET`: replicas must show the same.
                    .col(string_len("attachments", 1024))
                    .col(timestamp_with_time_zone("started_at"))
                    .col(timestamp_with_time_zone("seen_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("replicas").to_owned())
            .await
    }
}
