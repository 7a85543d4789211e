//! Files on tickets: checked (size, count, type detected from the content against an allow-list,
//! name sanitised), stored in the blob store by their SHA-256, and recorded in the same transaction
//! as the `files_attached` event whose hash covers them.
//!
//! [`Store::attach_files`] is the one way in: the API, the public form, the tracking page and
//! inbound mail all use it. [`Store::erase_attachments`] forgets a ticket's files (retention).

use crate::blobs::{BlobError, BlobStore, sha256_hex};
use crate::entities::{attachment, ticket_event};
use crate::tickets::{StoredTicket, TicketKey, normalise, write_decision};
use crate::{Store, StoreError};
use bytes::Bytes;
use checks::{Checked, check, extension_of};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashSet;
use ticket_domain::audience::Audience;
use ticket_domain::event::{AttachedFile, Visibility};
use ticket_domain::{Actor, Command, Policy};
use uuid::Uuid;

mod checks;

pub use checks::{check_uploads, detect_media_type, sanitise_name};

/// Limits of uploads (configuration `attachments.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentLimits {
    /// Largest file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Most files in one upload.
    pub max_files_per_upload: u32,
    /// Most files on one ticket.
    pub max_files_per_ticket: u32,
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 10 * 1024 * 1024,
            max_files_per_upload: 5,
            max_files_per_ticket: 50,
        }
    }
}

/// The blob store and the limits: what attaching needs besides the database.
#[derive(Debug, Clone)]
pub struct Attachments {
    pub blobs: BlobStore,
    pub limits: AttachmentLimits,
}

/// A file as received: the name the sender gave and the bytes. Any media type the sender claimed
/// is ignored.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Bytes,
}

/// Why files were refused; nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentRefusal {
    #[error("file {index} is larger than {limit} bytes")]
    TooLarge { index: usize, limit: u64 },
    #[error("at most {limit} files at once, or on one ticket ({limit} reached)")]
    TooMany { limit: u32 },
    #[error("file {index} is empty")]
    Empty { index: usize },
    #[error("no file was sent")]
    NoFile,
    /// The content is not of an accepted type (or disagrees with the name's extension).
    #[error("file {index}: {reason}")]
    Unsupported { index: usize, reason: String },
}

/// An attachment's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub event_id: Uuid,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    /// The sanitised name; `None` once erased.
    pub name: Option<String>,
    pub visibility: Visibility,
    /// Who attached it ("agent alice", "partner key main", "the reporter").
    pub actor: String,
    pub created_at: DateTime<Utc>,
    pub erased_at: Option<DateTime<Utc>>,
}

impl Attachment {
    /// A name safe to show and to offer as a download name.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{}.{}", &self.sha256[..12], extension_of(&self.media_type)))
    }
}

/// What one upload attached.
#[derive(Debug, Clone)]
pub struct Attached {
    pub ticket: StoredTicket,
    pub attachments: Vec<Attachment>,
}

fn visibility_name(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Public => "public",
        Visibility::Internal => "internal",
    }
}

fn from_row(row: attachment::Model) -> Result<Attachment, StoreError> {
    Ok(Attachment {
        id: row.id,
        ticket_id: row.ticket_id,
        event_id: row.event_id,
        sha256: row.sha256,
        size: u64::try_from(row.size)
            .map_err(|_| StoreError::corrupt("negative attachment size"))?,
        media_type: row.media_type,
        name: row.name,
        visibility: match row.visibility.as_str() {
            "internal" => Visibility::Internal,
            _ => Visibility::Public,
        },
        actor: row.actor,
        created_at: row.created_at,
        erased_at: row.erased_at,
    })
}

impl From<BlobError> for StoreError {
    fn from(error: BlobError) -> Self {
        StoreError::Blob(error.to_string())
    }
}

impl Store {
    /// Attaches files to a ticket: checks them (limits, type from the content, name), lets the
    /// rules decide whether `actor` may (staff, the partner, the reporter; internal files staff
    /// only), stores the bytes, then writes the `files_attached` event (carrying each hash) and the
    /// attachments' rows in one transaction. With `expected_version` the ticket must still have it
    /// (412 otherwise); without, the files are appended to whatever the ticket is now. Bytes
    /// stored for a transaction that did not commit are removed (and the orphan sweep removes any
    /// a crash left).
    #[allow(clippy::too_many_arguments)]
    pub async fn attach_files(
        &self,
        attachments: &Attachments,
        key: TicketKey,
        expected_version: Option<i64>,
        uploads: Vec<Upload>,
        internal: bool,
        actor: &Actor,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<Attached, StoreError> {
        let now = normalise(now);
        let checked = check(uploads, &attachments.limits)?;
        let files: Vec<AttachedFile> = checked
            .iter()
            .map(|c| AttachedFile {
                id: Uuid::now_v7(),
                sha256: sha256_hex(&c.bytes),
                size: c.bytes.len() as u64,
                media_type: c.media_type.to_owned(),
            })
            .collect();
        let command = Command::Attach {
            files: files.clone(),
            internal,
        };
        // The rules decide before any byte is stored.
        let current = self.get_ticket(key).await?;
        ticket_domain::decide(&current.ticket, command.clone(), actor, now, policy)?;
        let mut stored = Vec::new();
        for file in &checked {
            stored.push(attachments.blobs.put(file.bytes.clone()).await?);
        }
        let mut attempts = 0;
        let result = loop {
            attempts += 1;
            let result = self
                .record_attachments(
                    key,
                    expected_version,
                    &command,
                    &checked,
                    &files,
                    actor,
                    now,
                    policy,
                    attachments.limits.max_files_per_ticket,
                )
                .await;
            match result {
                // Written by someone else in between: look again (with `expected_version`, the
                // version the actor holds is compared again: bookkeeping alone is no conflict).
                Err(StoreError::VersionConflict { .. }) if attempts < 5 => {}
                other => break other,
            }
        };
        if result.is_err() {
            self.forget_unreferenced(&attachments.blobs, &stored).await;
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_attachments(
        &self,
        key: TicketKey,
        expected_version: Option<i64>,
        command: &Command,
        checked: &[Checked],
        files: &[AttachedFile],
        actor: &Actor,
        now: DateTime<Utc>,
        policy: &Policy,
        max_per_ticket: u32,
    ) -> Result<Attached, StoreError> {
        let current = self.get_ticket(key).await?;
        // `expected_version` is the version the actor's audience holds (its ETag).
        let audience = Audience::of(actor);
        if let Some(expected) = expected_version
            && !current.is_current_for(audience, expected)
        {
            return Err(StoreError::VersionConflict {
                expected,
                current: current.version_for(audience),
            });
        }
        let decision = ticket_domain::decide(&current.ticket, command.clone(), actor, now, policy)?;
        let ticket_id = current.ticket.id;
        let txn = self.write_transaction().await?;
        let already = attachment::Entity::find()
            .filter(attachment::Column::TicketId.eq(ticket_id.0))
            .count(&txn)
            .await?;
        if already + files.len() as u64 > u64::from(max_per_ticket) {
            return Err(AttachmentRefusal::TooMany {
                limit: max_per_ticket,
            }
            .into());
        }
        let versions = write_decision(&txn, &decision, current.version, now, policy).await?;
        let event_id: Uuid = ticket_event::Entity::find()
            .select_only()
            .column(ticket_event::Column::Id)
            .filter(ticket_event::Column::TicketId.eq(ticket_id.0))
            .filter(ticket_event::Column::EventType.eq("files_attached"))
            .order_by_desc(ticket_event::Column::Seq)
            .into_tuple()
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound("event"))?;
        let visibility = match command {
            Command::Attach { internal: true, .. } => Visibility::Internal,
            _ => Visibility::Public,
        };
        let mut out = Vec::with_capacity(files.len());
        for (file, checked) in files.iter().zip(checked) {
            let row = attachment::Model {
                id: file.id,
                ticket_id: ticket_id.0,
                event_id,
                sha256: file.sha256.clone(),
                size: i64::try_from(file.size).map_err(|_| StoreError::corrupt("file size"))?,
                media_type: file.media_type.clone(),
                name: Some(checked.name.clone()),
                visibility: visibility_name(visibility).to_owned(),
                actor: actor.describe(),
                created_at: now,
                erased_at: None,
            };
            attachment::Entity::insert(attachment::ActiveModel {
                id: Set(row.id),
                ticket_id: Set(row.ticket_id),
                event_id: Set(row.event_id),
                sha256: Set(row.sha256.clone()),
                size: Set(row.size),
                media_type: Set(row.media_type.clone()),
                name: Set(row.name.clone()),
                visibility: Set(row.visibility.clone()),
                actor: Set(row.actor.clone()),
                created_at: Set(row.created_at),
                erased_at: Set(None),
            })
            .exec_without_returning(&txn)
            .await?;
            out.push(from_row(row)?);
        }
        self.commit(txn).await?;
        Ok(Attached {
            ticket: StoredTicket::with_versions(decision.ticket, versions),
            attachments: out,
        })
    }

    /// Removes the blobs among `hashes` that no attachment row names (best effort: the orphan
    /// sweep catches what this misses).
    async fn forget_unreferenced(&self, blobs: &BlobStore, hashes: &[String]) {
        for sha256 in hashes {
            let referenced = attachment::Entity::find()
                .filter(attachment::Column::Sha256.eq(sha256.as_str()))
                .filter(attachment::Column::ErasedAt.is_null())
                .count(&self.db)
                .await;
            if matches!(referenced, Ok(0))
                && let Err(error) = blobs.delete(sha256).await
            {
                tracing::warn!(%error, "could not remove the bytes of an upload that was not recorded");
            }
        }
    }

    /// A ticket's attachments, oldest first (erased ones included, without their names).
    pub async fn attachments(&self, ticket_id: Uuid) -> Result<Vec<Attachment>, StoreError> {
        attachment::Entity::find()
            .filter(attachment::Column::TicketId.eq(ticket_id))
            .order_by_asc(attachment::Column::CreatedAt)
            .order_by_asc(attachment::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(from_row)
            .collect()
    }

    /// One attachment of a ticket.
    pub async fn attachment(&self, ticket_id: Uuid, id: Uuid) -> Result<Attachment, StoreError> {
        let row = attachment::Entity::find_by_id(id)
            .filter(attachment::Column::TicketId.eq(ticket_id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("attachment"))?;
        from_row(row)
    }

    /// The bytes of an attachment, checked against the hash the evidence chain recorded: altered
    /// bytes are never served as the evidence.
    pub async fn attachment_bytes(
        &self,
        blobs: &BlobStore,
        attachment: &Attachment,
    ) -> Result<Bytes, StoreError> {
        if attachment.erased_at.is_some() {
            return Err(StoreError::NotFound("attachment"));
        }
        let bytes = blobs
            .get(&attachment.sha256)
            .await?
            .ok_or_else(|| StoreError::corrupt("the bytes of an attachment are missing"))?;
        if sha256_hex(&bytes) != attachment.sha256 {
            return Err(StoreError::corrupt(format!(
                "the stored bytes of attachment {} do not match its hash",
                attachment.id
            )));
        }
        Ok(bytes)
    }

    /// Erases a ticket's attachments (retention, or a person's request): the names are forgotten,
    /// and the bytes removed unless another ticket's attachment has the same content. The events
    /// keep the hashes, so the evidence chain still verifies. Returns how many were erased.
    pub async fn erase_attachments(
        &self,
        blobs: &BlobStore,
        ticket_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let now = normalise(now);
        let rows = attachment::Entity::find()
            .filter(attachment::Column::TicketId.eq(ticket_id))
            .filter(attachment::Column::ErasedAt.is_null())
            .all(&self.db)
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let txn = self.write_transaction().await?;
        let result = attachment::Entity::update_many()
            .col_expr(
                attachment::Column::Name,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .col_expr(
                attachment::Column::ErasedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(attachment::Column::TicketId.eq(ticket_id))
            .filter(attachment::Column::ErasedAt.is_null())
            .exec(&txn)
            .await?;
        let mut hashes: Vec<String> = rows
            .into_iter()
            .map(|r| r.sha256)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        hashes.sort();
        // The chain names each erased file: an export without it still proves complete.
        crate::tickets::append_service_event(
            &txn,
            ticket_domain::values::TicketId(ticket_id),
            ticket_domain::EventData::PersonalDataErased {
                sealed_texts: false,
                files: hashes.clone(),
            },
            now,
        )
        .await?;
        self.commit(txn).await?;
        self.forget_unreferenced(blobs, &hashes).await;
        Ok(result.rows_affected)
    }

    /// The hashes of every attachment not erased, each once: the bytes a restored database
    /// needs from the blob store.
    pub async fn live_attachment_hashes(&self) -> Result<Vec<String>, StoreError> {
        Ok(attachment::Entity::find()
            .select_only()
            .column(attachment::Column::Sha256)
            .distinct()
            .filter(attachment::Column::ErasedAt.is_null())
            .order_by_asc(attachment::Column::Sha256)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// Removes blobs that no live attachment names and that are older than `grace` (an upload in
    /// flight stores its bytes a moment before its transaction commits). Returns how many.
    pub async fn sweep_orphan_blobs(
        &self,
        blobs: &BlobStore,
        now: DateTime<Utc>,
        grace: TimeDelta,
    ) -> Result<u64, StoreError> {
        let mut removed = 0;
        for blob in blobs.list().await? {
            if blob.stored_at > now - grace {
                continue;
            }
            let referenced = attachment::Entity::find()
                .filter(attachment::Column::Sha256.eq(blob.sha256.as_str()))
                .filter(attachment::Column::ErasedAt.is_null())
                .count(&self.db)
                .await?;
            if referenced == 0 {
                blobs.delete(&blob.sha256).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}
