//! Staff sign-in through OpenID Connect (issue 30): who a provider's subject is in the staff
//! directory, the sign-ins under way (state, nonce, PKCE verifier, kept server-side for minutes),
//! the browser sessions (only the hash of their token is stored), and the sign-in audit events.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A member's identity at a provider, bound at their first sign-in (on a verified email).
        manager
            .create_table(
                Table::create()
                    .table("staff_identities")
                    .if_not_exists()
                    .col(string_len("provider", 100))
                    .col(string_len("subject", 255))
                    .col(string_len("handle", 100))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("provider").col("subject"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("signin_attempts")
                    .if_not_exists()
                    // SHA-256 of the `state` sent to the provider.
                    .col(string_len("state_hash", 64).primary_key())
                    .col(string_len("provider", 100))
                    .col(string_len("nonce", 255))
                    .col(string_len("pkce_verifier", 255))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("staff_sessions")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    // SHA-256 of the cookie's token: the database never holds a usable token.
                    .col(string_len("token_hash", 64).unique_key())
                    .col(string_len("csrf_token", 64))
                    .col(string_len("handle", 100))
                    .col(string_len("role", 20))
                    .col(string_len("provider", 100))
                    .col(string_len("subject", 255))
                    // What the provider calls the person, for their page (personal data: gone
                    // with the session).
                    .col(string_len_null("display_name", 255))
                    .col(string_len_null("sid", 255))
                    // For the provider's log-out (`id_token_hint`).
                    .col(text_null("id_token"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("auth_events")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    .col(timestamp_with_time_zone("at"))
                    .col(string_len("kind", 40))
                    .col(string_len_null("handle", 100))
                    .col(string_len_null("provider", 100))
                    .col(string_len_null("reason", 100))
                    .col(uuid_null("session_id"))
                    .to_owned(),
            )
            .await?;
        for (name, table, column) in [
            ("staff_identities_handle", "staff_identities", "handle"),
            ("staff_sessions_handle", "staff_sessions", "handle"),
            ("staff_sessions_subject", "staff_sessions", "subject"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "auth_events",
            "staff_sessions",
            "signin_attempts",
            "staff_identities",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
