//! Files on a ticket: upload (`multipart/form-data`), list, download, and the evidence archive
//! (events, files and a manifest of hashes in one ZIP).

use crate::ApiState;
use crate::ApiTag;
use crate::auth::{ApiKeyAuth, Principal};
use crate::error::ApiError;
use crate::problem::Problem;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::types::multipart::Upload as MultipartUpload;
use poem_openapi::{ApiResponse, Enum, Multipart, Object, OpenApi};
use ticket_domain::Ticket;
use ticket_domain::audience::Audience;
use ticket_domain::event::Visibility;
use ticket_domain::privacy::{
    Disclosure, EvidenceShare, Purpose, exported_in_full, files_disclosure, mask_word,
};
use ticket_store::attachments::{Attachment, AttachmentRefusal, Upload};
use ticket_store::privacy::{JournalAction, JournalRecord};
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// The Content-Security-Policy of a download: nothing runs, nothing loads, even if a browser
/// were to render it.
pub const DOWNLOAD_CSP: &str = "default-src 'none'; sandbox";

/// Who may see a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum AttachmentVisibility {
    /// The reporter and the partner see it.
    Public,
    /// Staff only.
    Internal,
}

/// Files to attach.
#[derive(Debug, Multipart)]
#[oai(deny_unknown_fields)]
pub struct AttachmentUpload {
    /// One or several files (repeat the field); each at most the configured size, of an accepted
    /// type (images, PDF, text, mail `.eml`, office documents), detected from the content.
    file: Vec<MultipartUpload>,
    /// `public` (the default: the reporter and the partner see it) or `internal` (staff only).
    visibility: Option<AttachmentVisibility>,
}

/// A file attached to a ticket.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AttachmentView {
    /// Attachment id.
    pub id: Uuid,
    /// The file name, sanitised; absent once the ticket's personal data was erased.
    pub name: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// The media type detected from the content.
    pub media_type: String,
    /// SHA-256 of the bytes, hex; the `files_attached` event carries it, so the evidence chain
    /// covers the file.
    pub sha256: String,
    /// `public` or `internal`.
    pub visibility: AttachmentVisibility,
    /// Who attached it: a role and name, a partner key, the reporter, or the service.
    pub attached_by: String,
    /// When.
    pub attached_at: crate::dto::Instant,
    /// The event that added it.
    pub event_id: Uuid,
    /// When the file was erased (retention); its bytes can no longer be downloaded.
    pub erased_at: Option<crate::dto::Instant>,
}

impl From<Attachment> for AttachmentView {
    fn from(a: Attachment) -> Self {
        Self {
            id: a.id,
            name: a.name,
            size: a.size,
            media_type: a.media_type,
            sha256: a.sha256,
            visibility: match a.visibility {
                Visibility::Public => AttachmentVisibility::Public,
                Visibility::Internal => AttachmentVisibility::Internal,
            },
            attached_by: a.actor,
            attached_at: a.created_at.into(),
            event_id: a.event_id,
            erased_at: a.erased_at.map(Into::into),
        }
    }
}

/// A ticket's files.
#[derive(Debug, Clone, Object)]
pub struct AttachmentList {
    /// The files this key may see, oldest first.
    pub items: Vec<AttachmentView>,
}

/// Answers of an upload.
#[derive(Debug, ApiResponse)]
pub enum UploadResponse {
    /// The files were attached (one `files_attached` event).
    #[oai(status = 201)]
    Created(
        Json<AttachmentList>,
        /// The ticket's new version, as a strong entity tag.
        #[oai(header = "ETag")]
        String,
    ),
}

/// Answers of the list.
#[derive(Debug, ApiResponse)]
pub enum ListResponse {
    /// The files.
    #[oai(status = 200)]
    Ok(Json<AttachmentList>),
}

/// Answers of a download.
#[derive(Debug, ApiResponse)]
pub enum DownloadResponse {
    /// The file's bytes, exactly as attached (checked against their SHA-256).
    #[oai(status = 200, content_type = "application/octet-stream")]
    Ok(
        Binary<Vec<u8>>,
        /// `attachment` with the sanitised file name.
        #[oai(header = "Content-Disposition")]
        String,
        /// `default-src 'none'; sandbox`.
        #[oai(header = "Content-Security-Policy")]
        String,
    ),
}

/// Answers of the evidence archive.
#[derive(Debug, ApiResponse)]
pub enum ArchiveResponse {
    /// A ZIP: `evidence.json` (the chain), `files/<sha256>` (each file still held),
    /// `manifest.sha256` (`sha256sum -c` format) and `README.txt` (how to verify).
    #[oai(status = 200, content_type = "application/zip")]
    Ok(
        Binary<Vec<u8>>,
        /// `attachment; filename="<reference>-evidence.zip"`.
        #[oai(header = "Content-Disposition")]
        String,
    ),
}

/// `Content-Disposition: attachment` with an ASCII fallback and the UTF-8 name (RFC 6266).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Whether `principal` may see `attachment` at all: staff all, others the public ones.
fn may_see(principal: &Principal, attachment: &Attachment) -> bool {
    principal.is_staff() || attachment.visibility == Visibility::Public
}

/// `attachment` as `principal` may see it on `ticket` (rule `privacy::files_disclosure`): in
/// full, with its name masked, or not at all.
fn view_for(
    principal: &Principal,
    ticket: &Ticket,
    attachment: Attachment,
) -> Option<AttachmentView> {
    if !may_see(principal, &attachment) {
        return None;
    }
    match files_disclosure(&principal.actor, ticket, Purpose::Read) {
        Disclosure::Full => Some(attachment.into()),
        Disclosure::Masked => {
            let mut view = AttachmentView::from(attachment);
            view.name = view.name.as_deref().map(mask_word);
            Some(view)
        }
        Disclosure::Hidden => None,
    }
}

/// Maps a refusal of files to its problem: too large 413, too many 422, wrong type 415.
pub fn refusal_problem(refusal: &AttachmentRefusal) -> Problem {
    let detail = refusal.to_string();
    match refusal {
        AttachmentRefusal::TooLarge { .. } => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "file-too-large",
            "File too large",
            detail,
        ),
        AttachmentRefusal::Unsupported { .. } => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "file-type-not-accepted",
            "File type not accepted",
            format!(
                "{detail}. Accepted: images (PNG, JPEG, GIF, WebP, BMP, TIFF), PDF, text, mail (.eml), office documents."
            ),
        ),
        AttachmentRefusal::TooMany { .. } => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too-many-files",
            "Too many files",
            detail,
        ),
        AttachmentRefusal::Empty { .. } | AttachmentRefusal::NoFile => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no-file",
            "No file",
            detail,
        ),
    }
}

/// Reads the uploaded parts into memory (their size was bounded by the request body limit).
pub async fn read_uploads(parts: Vec<MultipartUpload>) -> Result<Vec<Upload>> {
    let mut uploads = Vec::with_capacity(parts.len());
    for part in parts {
        let name = part.file_name().unwrap_or_default().to_owned();
        let bytes = part.into_vec().await.map_err(|_| {
            ApiError::bad_request("malformed-request", "A file part could not be read.")
        })?;
        uploads.push(Upload {
            name,
            bytes: bytes.into(),
        });
    }
    Ok(uploads)
}

/// Files on tickets.
#[derive(Debug, Clone, Copy, Default)]
pub struct AttachmentsApi;

#[OpenApi(tag = "ApiTag::Tickets")]
impl AttachmentsApi {
    /// Attach files to a ticket
    ///
    /// `multipart/form-data` with one or several `file` parts and an optional `visibility`.
    /// Staff (who handle tickets), and partners on their tickets; internal files are staff's. The
    /// type is detected from the content, never from the name or the declared type: images, PDF,
    /// text, mail (`.eml`) and office documents are accepted (415 otherwise, or when the name
    /// announces another type); a file over the size limit is 413, too many files 422. Appends a
    /// `files_attached` event carrying each file's SHA-256; no `If-Match` (attaching changes
    /// nothing the client could have read differently).
    #[oai(
        path = "/api/v1/tickets/:id/attachments",
        method = "post",
        operation_id = "upload_attachments"
    )]
    async fn upload(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        form: AttachmentUpload,
    ) -> Result<UploadResponse> {
        let stored = crate::tickets::visible_ticket(&state, &auth.0, &id.0).await?;
        let uploads = read_uploads(form.file).await?;
        let internal = form.visibility == Some(AttachmentVisibility::Internal);
        let attached = state
            .store
            .attach_files(
                &state.attachments,
                ticket_store::tickets::TicketKey::Id(stored.ticket.id),
                None,
                uploads,
                internal,
                &auth.0.actor,
                state.clock.now(),
                &state.policy,
            )
            .await?;
        Ok(UploadResponse::Created(
            Json(AttachmentList {
                items: attached.attachments.into_iter().map(Into::into).collect(),
            }),
            format!(
                "\"{}\"",
                attached.ticket.version_for(Audience::of(&auth.0.actor))
            ),
        ))
    }

    /// A ticket's files
    ///
    /// Oldest first. Partners see public files only. On a user usurpation the files are the
    /// victim's: `security` and `supervisor` see them (the list is journalled), other staff see
    /// their names masked.
    #[oai(
        path = "/api/v1/tickets/:id/attachments",
        method = "get",
        operation_id = "list_attachments"
    )]
    async fn list(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
    ) -> Result<ListResponse> {
        let stored = crate::tickets::visible_ticket(&state, &auth.0, &id.0).await?;
        let items = state
            .store
            .attachments(stored.ticket.id.0)
            .await?
            .into_iter()
            .filter_map(|a| view_for(&auth.0, &stored.ticket, a))
            .collect::<Vec<_>>();
        // The names of a victim's files, shown in full, are a read of their data: journalled first.
        if !items.is_empty()
            && stored.ticket.data.concerns_a_user()
            && files_disclosure(&auth.0.actor, &stored.ticket, Purpose::Read) == Disclosure::Full
        {
            let record = JournalRecord::new(
                JournalAction::TicketRead,
                &auth.0.actor,
                Some(stored.ticket.id),
            )
            .key(Some(auth.0.key.id))
            .fields(vec![ticket_domain::privacy::PersonalField::Attachments])
            .detail("attachment list");
            state.store.journal(&record, state.clock.now()).await?;
        }
        Ok(ListResponse::Ok(Json(AttachmentList { items })))
    }

    /// Download a file
    ///
    /// The bytes exactly as attached, as `application/octet-stream` with
    /// `Content-Disposition: attachment`, `nosniff` and a sandboxing Content-Security-Policy.
    /// Partners download public files only; an erased file is 404. On a user usurpation only
    /// `security` and `supervisor` download (403 `need-to-know` for other staff), journalled.
    #[oai(
        path = "/api/v1/tickets/:id/attachments/:attachment_id",
        method = "get",
        operation_id = "download_attachment"
    )]
    async fn download(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
        /// Attachment id.
        attachment_id: Path<Uuid>,
    ) -> Result<DownloadResponse> {
        let stored = crate::tickets::visible_ticket(&state, &auth.0, &id.0).await?;
        let attachment = state
            .store
            .attachment(stored.ticket.id.0, attachment_id.0)
            .await?;
        if !may_see(&auth.0, &attachment) {
            return Err(ApiError::not_found("attachment"));
        }
        match files_disclosure(&auth.0.actor, &stored.ticket, Purpose::Read) {
            Disclosure::Full => {}
            Disclosure::Masked => {
                return Err(ApiError::forbidden(
                    "need-to-know",
                    "This file may hold a victim's personal data, which your role sees masked.",
                ));
            }
            Disclosure::Hidden => return Err(ApiError::not_found("attachment")),
        }
        // On a case with a victim, every download is a read of their data: journalled first.
        if stored.ticket.data.concerns_a_user() {
            let record = JournalRecord::new(
                JournalAction::AttachmentDownload,
                &auth.0.actor,
                Some(stored.ticket.id),
            )
            .key(Some(auth.0.key.id))
            .fields(vec![ticket_domain::privacy::PersonalField::Attachments]);
            state.store.journal(&record, state.clock.now()).await?;
        }
        let bytes = state
            .store
            .attachment_bytes(&state.attachments.blobs, &attachment)
            .await?;
        Ok(DownloadResponse::Ok(
            Binary(bytes.to_vec()),
            content_disposition(&attachment.display_name()),
            DOWNLOAD_CSP.to_owned(),
        ))
    }

    /// A ticket's evidence archive
    ///
    /// One ZIP with the evidence file (`evidence.json`: every event with `prev_hash` and `hash`),
    /// the files still held (`files/<sha256>`), a manifest of hashes (`manifest.sha256`, checked
    /// by `sha256sum -c`) and how to verify it offline (`README.txt`, or
    /// `ticketd evidence verify FILE`). Staff only; each role gets what the JSON evidence gives
    /// it: without full need-to-know, no sealed texts and no victim's files (`withheld` says so).
    /// An export holding either is recorded in the access journal.
    #[oai(
        path = "/api/v1/tickets/:id/evidence/archive",
        method = "get",
        operation_id = "get_evidence_archive"
    )]
    async fn archive(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Ticket id or reference.
        id: Path<String>,
    ) -> Result<ArchiveResponse> {
        auth.0.require_staff()?;
        let stored = crate::tickets::visible_ticket(&state, &auth.0, &id.0).await?;
        let share = EvidenceShare::for_reader(&auth.0.actor, &stored.ticket);
        let archive = state
            .store
            .evidence_archive(&state.attachments.blobs, stored.ticket.id, share)
            .await?;
        // What the reader gets in full is journalled before the archive is sent.
        let fields = exported_in_full(&stored.ticket, archive.sealed_texts, archive.files);
        if !fields.is_empty() {
            let record = JournalRecord::new(
                JournalAction::EvidenceExport,
                &auth.0.actor,
                Some(stored.ticket.id),
            )
            .key(Some(auth.0.key.id))
            .fields(fields)
            .detail("archive");
            state.store.journal(&record, state.clock.now()).await?;
        }
        Ok(ArchiveResponse::Ok(
            Binary(archive.zip),
            format!(
                "attachment; filename=\"{}-evidence.zip\"",
                stored.ticket.reference
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_is_safe_and_keeps_the_utf8_name() {
        assert_eq!(
            content_disposition("capture écran\".png"),
            "attachment; filename=\"capture _cran_.png\"; filename*=UTF-8''capture%20%C3%A9cran%22.png"
        );
    }
}
