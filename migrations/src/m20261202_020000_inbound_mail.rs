//! Mail in: every inbound mail kept (raw bytes, hash, what became of it), the IMAP fetchers' place in
//! each mailbox, and the outbox searchable by Message-ID (threading of replies, bounces).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("inbound_mails")
                    .col(pk_uuid("id"))
                    // The Message-ID (or one derived from the hash when a mail has none): a mail
                    // fetched twice, or received by two mailboxes, is stored once.
                    .col(string_len_uniq("message_id", 998))
                    .col(string_len("sha256", 64))
                    // imap:<mailbox>, pipe, api
                    .col(string_len("source", 64))
                    // landed, opened, quarantined, ignored, bounce, attached, dropped
                    .col(string_len("status", 32))
                    // Why it was quarantined or ignored, in words without personal data.
                    .col(string_null("reason"))
                    .col(uuid_null("ticket_id"))
                    // Personal data (erased by the retention policy, with the raw bytes).
                    .col(string_null("sender"))
                    .col(string_null("subject"))
                    .col(binary_null("raw"))
                    // The attachments as parsed: [{filename, content_type, size}].
                    .col(json_binary("attachments"))
                    .col(timestamp_with_time_zone("received_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(string_null("decided_by"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inbound_mails_status_received")
                    .table("inbound_mails")
                    .col("status")
                    .col("received_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inbound_mails_sender_received")
                    .table("inbound_mails")
                    .col("sender")
                    .col("received_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("imap_mailboxes")
                    // The configured name of the fetched mailbox (partner_support, …).
                    .col(string_len("name", 64).primary_key())
                    .col(big_integer("uid_validity"))
                    // The highest UID whose message is committed (landed, quarantined or ignored).
                    .col(big_integer("last_uid"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_message_id")
                    .table("outbox")
                    .col("message_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("outbox_message_id")
                    .table("outbox")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("imap_mailboxes").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("inbound_mails").to_owned())
            .await
    }
}
