//! The first schema: registry, tickets, evidence chain, outbox, keys, idempotency, tracking secrets.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn created_at() -> ColumnDef {
    timestamp_with_time_zone("created_at")
}

fn index(name: &str, table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table.to_owned());
    for column in columns {
        index.col(ToString::to_string(column));
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // ---- The trust-sphere registry ----
        manager
            .create_table(
                Table::create()
                    .table("organisations")
                    .col(pk_uuid("id"))
                    .col(string_uniq("name"))
                    // Comma-separated roles: identity_provider, service_provider, user_organisation.
                    .col(string("roles"))
                    .col(created_at())
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("services")
                    .col(pk_uuid("id"))
                    .col(uuid("organisation_id"))
                    .col(string("name"))
                    .col(string("availability"))
                    .col(big_integer_null("max_unavailability_seconds"))
                    .col(string("minimum_assurance_level"))
                    .col(created_at())
                    .foreign_key(
                        ForeignKey::create()
                            .from("services", "organisation_id")
                            .to("organisations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "services_organisation",
                "services",
                &["organisation_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("contacts")
                    .col(pk_uuid("id"))
                    .col(uuid("organisation_id"))
                    .col(string("name"))
                    .col(string("function"))
                    .col(string("email"))
                    .col(string_null("phone"))
                    .col(created_at())
                    .foreign_key(
                        ForeignKey::create()
                            .from("contacts", "organisation_id")
                            .to("organisations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "contacts_organisation",
                "contacts",
                &["organisation_id"],
            ))
            .await?;

        // ---- Tickets ----
        manager
            .create_table(
                Table::create()
                    .table("reference_counters")
                    .col(string("prefix"))
                    .col(integer("year"))
                    .col(big_integer("last_number"))
                    .primary_key(Index::create().col("prefix").col("year"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("tickets")
                    .col(pk_uuid("id"))
                    .col(string_uniq("reference"))
                    .col(string("kind"))
                    .col(string("state"))
                    .col(small_integer("priority"))
                    .col(string("tier"))
                    .col(uuid_null("organisation_id"))
                    .col(string_null("assignee"))
                    .col(string("title"))
                    // Lower-cased title, for case-insensitive search on both databases.
                    .col(string("title_search"))
                    .col(uuid_null("session_id"))
                    .col(boolean("breached"))
                    .col(timestamp_with_time_zone_null("next_due_at"))
                    .col(created_at())
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(big_integer("version"))
                    // Number of events and hash of the last one: deleting the newest events is detected too.
                    .col(big_integer("event_count"))
                    .col(string_len("chain_head", 64))
                    // The whole domain ticket; personal data of users lives only here and in no event.
                    .col(json_binary("document"))
                    .col(timestamp_with_time_zone_null("anonymised_at"))
                    .to_owned(),
            )
            .await?;
        // Keyset pagination sorts by (created_at, id); the filtered variants below back the common
        // filters so that a page is an index range scan, never an OFFSET.
        for (name, columns) in [
            ("tickets_created", &["created_at", "id"][..]),
            ("tickets_state_created", &["state", "created_at", "id"][..]),
            (
                "tickets_organisation_created",
                &["organisation_id", "created_at", "id"][..],
            ),
            ("tickets_kind_created", &["kind", "created_at", "id"][..]),
            (
                "tickets_priority_created",
                &["priority", "created_at", "id"][..],
            ),
            (
                "tickets_assignee_created",
                &["assignee", "created_at", "id"][..],
            ),
            ("tickets_next_due", &["next_due_at"][..]),
            ("tickets_session", &["session_id"][..]),
        ] {
            manager
                .create_index(index(name, "tickets", columns))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("ticket_organisations")
                    .col(uuid("ticket_id"))
                    .col(uuid("organisation_id"))
                    .col(string("role"))
                    .col(timestamp_with_time_zone_null("notified_at"))
                    .primary_key(Index::create().col("ticket_id").col("organisation_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("ticket_organisations", "ticket_id")
                            .to("tickets", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ticket_organisations_organisation",
                "ticket_organisations",
                &["organisation_id"],
            ))
            .await?;

        // ---- The evidence chain: append-only, hash-linked ----
        manager
            .create_table(
                Table::create()
                    .table("ticket_events")
                    .col(pk_uuid("id"))
                    .col(uuid("ticket_id"))
                    .col(big_integer("seq"))
                    .col(timestamp_with_time_zone("at"))
                    .col(string("event_type"))
                    .col(string("visibility"))
                    // The event's canonical JSON (RFC 8785), exactly the bytes that were hashed.
                    .col(text("canonical"))
                    .col(string_len("prev_hash", 64))
                    .col(string_len("hash", 64))
                    .foreign_key(
                        ForeignKey::create()
                            .from("ticket_events", "ticket_id")
                            .to("tickets", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("ticket_events_seq", "ticket_events", &["ticket_id", "seq"])
                    .unique()
                    .to_owned(),
            )
            .await?;

        // ---- Mail outbox: written in the same transaction as the event it announces ----
        manager
            .create_table(
                Table::create()
                    .table("outbox")
                    .col(pk_uuid("id"))
                    .col(uuid("ticket_id"))
                    .col(uuid("event_id"))
                    .col(big_integer("event_seq"))
                    .col(string("template"))
                    .col(json_binary("recipient"))
                    .col(string("language"))
                    // pending, sending, sent, failed, uncertain
                    .col(string("status"))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("claimed_until"))
                    .col(string_null("claimed_by"))
                    .col(string_null("last_error"))
                    .col(string_null("message_id"))
                    // The reporter's tracking secret, for the acknowledgement mail only; erased once
                    // the mail is sent or given up, so the database keeps only its hash.
                    .col(string_null("tracking_secret"))
                    .col(created_at())
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "outbox_due",
                "outbox",
                &["status", "next_attempt_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "outbox_ticket",
                "outbox",
                &["ticket_id", "event_seq"],
            ))
            .await?;
        // Staff list failed and uncertain mails, oldest first.
        manager
            .create_index(index(
                "outbox_status_created",
                "outbox",
                &["status", "created_at", "id"],
            ))
            .await?;

        // ---- Access ----
        manager
            .create_table(
                Table::create()
                    .table("api_keys")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    // The first characters of the key, to recognise it in a list; never enough to use it.
                    .col(string("prefix"))
                    // SHA-256 of the whole key, hex.
                    .col(string_len_uniq("secret_hash", 64))
                    .col(string_null("role"))
                    .col(uuid_null("organisation_id"))
                    .col(created_at())
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .col(string("principal"))
                    .col(string("key"))
                    .col(string_len("request_hash", 64))
                    .col(uuid("ticket_id"))
                    .col(json_binary("response"))
                    .col(created_at())
                    .primary_key(Index::create().col("principal").col("key"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idempotency_keys_created",
                "idempotency_keys",
                &["created_at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("tracking_secrets")
                    .col(pk_uuid("ticket_id"))
                    .col(string_len_uniq("secret_hash", 64))
                    .col(created_at())
                    .foreign_key(
                        ForeignKey::create()
                            .from("tracking_secrets", "ticket_id")
                            .to("tickets", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "tracking_secrets",
            "idempotency_keys",
            "api_keys",
            "outbox",
            "ticket_events",
            "ticket_organisations",
            "tickets",
            "reference_counters",
            "contacts",
            "services",
            "organisations",
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
