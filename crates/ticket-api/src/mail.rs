//! The mail outbox for admins: which mails failed or are uncertain, and retrying them.

use crate::ApiState;
use crate::ApiTag;
use crate::auth::ApiKeyAuth;
use crate::dto::Instant;
use crate::error::ApiError;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use ticket_store::outbox::{OutboxMail, Status};
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// How many mails were put back in the queue.
#[derive(Debug, Clone, Object)]
pub struct Retried {
    /// The number of mails now `pending` again.
    pub retried: u64,
}

/// Answers of `POST /api/v1/mails/retry-uncertain`.
#[derive(Debug, ApiResponse)]
pub enum RetriedResponse {
    /// The uncertain mails are back in the queue.
    #[oai(status = 200)]
    Ok(Json<Retried>),
}

/// Where a mail is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MailStatusDto {
    /// Waiting to be sent (possibly after a temporary failure, until `next_attempt_at`).
    Pending,
    /// Being sent by a dispatcher.
    Sending,
    /// Handed over to the SMTP server.
    Sent,
    /// Given up: a permanent refusal, no address, or too many temporary failures.
    Failed,
    /// The connection dropped after the message was handed over, or its worker died during the
    /// handover: it may have arrived. Not resent unless an admin retries it (or the operator chose
    /// the `resend` policy).
    Uncertain,
}

impl From<Status> for MailStatusDto {
    fn from(status: Status) -> Self {
        match status {
            Status::Pending => MailStatusDto::Pending,
            Status::Sending => MailStatusDto::Sending,
            Status::Sent => MailStatusDto::Sent,
            Status::Failed => MailStatusDto::Failed,
            Status::Uncertain => MailStatusDto::Uncertain,
        }
    }
}

impl From<MailStatusDto> for Status {
    fn from(status: MailStatusDto) -> Self {
        match status {
            MailStatusDto::Pending => Status::Pending,
            MailStatusDto::Sending => Status::Sending,
            MailStatusDto::Sent => Status::Sent,
            MailStatusDto::Failed => Status::Failed,
            MailStatusDto::Uncertain => Status::Uncertain,
        }
    }
}

/// One mail of the outbox. Recipients are named by kind, not by address.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MailView {
    /// Mail id.
    pub id: Uuid,
    /// The ticket the mail is about.
    pub ticket_id: Uuid,
    /// The event that caused it.
    pub event_seq: i64,
    /// Which message, e.g. `acknowledgement_of_receipt`.
    pub template: String,
    /// Who it is for: a mailbox, the reporter, the victim, an organisation's contacts, an owner.
    pub recipient: serde_json::Value,
    /// `fr` or `en`.
    pub language: String,
    /// Where it is in its delivery.
    pub status: MailStatusDto,
    /// Delivery attempts made.
    pub attempts: i32,
    /// Not tried again before this instant.
    pub next_attempt_at: Instant,
    /// Why the last attempt did not succeed.
    pub last_error: Option<String>,
    /// The Message-ID, once an attempt handed the message over.
    pub message_id: Option<String>,
    /// When it was written, with its cause.
    pub created_at: Instant,
    /// When the SMTP server accepted it.
    pub sent_at: Option<Instant>,
}

impl From<OutboxMail> for MailView {
    fn from(mail: OutboxMail) -> Self {
        Self {
            id: mail.id,
            ticket_id: mail.ticket_id.0,
            event_seq: mail.event_seq,
            template: serde_json::to_value(mail.template)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            recipient: serde_json::to_value(mail.recipient).unwrap_or_default(),
            language: mail.language.code().to_owned(),
            status: mail.status.into(),
            attempts: mail.attempts,
            next_attempt_at: mail.next_attempt_at.into(),
            last_error: mail.last_error,
            message_id: mail.message_id,
            created_at: mail.created_at.into(),
            sent_at: mail.sent_at.map(Into::into),
        }
    }
}

/// A page of mails.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MailPage {
    /// The mails of this page, oldest first.
    pub items: Vec<MailView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Answers of the mail list.
#[derive(Debug, ApiResponse)]
pub enum MailPageResponse {
    /// The page.
    #[oai(status = 200)]
    Ok(Json<MailPage>),
}

/// Answers about one mail.
#[derive(Debug, ApiResponse)]
pub enum MailResponse {
    /// The mail.
    #[oai(status = 200)]
    Ok(Json<MailView>),
}

/// The mail outbox.
#[derive(Debug, Clone, Copy, Default)]
pub struct MailApi;

#[OpenApi(tag = "ApiTag::Mail")]
impl MailApi {
    /// List mails
    ///
    /// Admins see which mails failed or are uncertain (`status=failed`, `status=uncertain`), and
    /// any other status. Oldest first.
    #[oai(path = "/api/v1/mails", method = "get", operation_id = "list_mails")]
    async fn list(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Only mails in this status.
        status: Query<Option<MailStatusDto>>,
        /// Page size, 1 to 200; 50 by default.
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "200"))
        )]
        limit: Query<u64>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(min_length = 1, max_length = 1000))]
        cursor: Query<Option<String>>,
    ) -> Result<MailPageResponse> {
        auth.0.require_admin()?;
        let page = state
            .store
            .list_outbox(status.0.map(Into::into), limit.0, cursor.0.as_deref())
            .await?;
        Ok(MailPageResponse::Ok(Json(MailPage {
            items: page.items.into_iter().map(MailView::from).collect(),
            next_cursor: page.next_cursor,
        })))
    }

    /// Read a mail
    #[oai(path = "/api/v1/mails/:id", method = "get", operation_id = "get_mail")]
    async fn get(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Mail id.
        id: Path<Uuid>,
    ) -> Result<MailResponse> {
        auth.0.require_admin()?;
        Ok(MailResponse::Ok(Json(
            state.store.get_outbox(id.0).await?.into(),
        )))
    }

    /// Retry a mail
    ///
    /// Puts a `failed` or `uncertain` mail back in the queue (an uncertain one may then arrive
    /// twice: that is the admin's call). Other statuses are refused with 409.
    #[oai(
        path = "/api/v1/mails/:id/retry",
        method = "post",
        operation_id = "retry_mail"
    )]
    async fn retry(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Mail id.
        id: Path<Uuid>,
    ) -> Result<MailResponse> {
        auth.0.require_admin()?;
        let mail = state.store.retry_outbox(id.0, state.clock.now()).await?;
        Ok(MailResponse::Ok(Json(mail.into())))
    }

    /// Retry every uncertain mail
    ///
    /// Puts every `uncertain` mail back in the queue at once, each with a fresh budget of attempts
    /// and under the same Message-ID (so a recipient's system can recognise a duplicate): for
    /// after an incident, once the admin has decided that a possible duplicate is better than a
    /// possible loss. Answers how many mails were put back.
    #[oai(
        path = "/api/v1/mails/retry-uncertain",
        method = "post",
        operation_id = "retry_uncertain_mails"
    )]
    async fn retry_uncertain(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
    ) -> Result<RetriedResponse> {
        auth.0.require_admin()?;
        let retried = state
            .store
            .retry_uncertain_outbox(state.clock.now())
            .await?;
        Ok(RetriedResponse::Ok(Json(Retried { retried })))
    }
}

fn default_limit() -> u64 {
    50
}
