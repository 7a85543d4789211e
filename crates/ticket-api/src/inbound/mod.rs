//! Mail in, over HTTP: a receiving MTA delivers raw mails (`POST /api/v1/inbound-mails` with a
//! `mail_gateway` key), and staff read the inbound mails and triage the quarantine (attach a mail
//! to a ticket, open a ticket from it, or drop it).
//!
//! Who may do what:
//! - Read (list, one mail, its raw bytes): every staff role; partners never (a mail of the
//!   quarantine may be anyone's).
//! - Triage the quarantine: the triage desk (`agent`, `security`, `supervisor`). Not `engineer`
//!   (level 3 takes escalated tickets, not incoming mail), not `admin` nor `dpo` (they handle no
//!   ticket: the rules refuse their notes and declarations).
//! - A mail of a victim's case (its ticket is a user usurpation), of the security mailbox, or sent
//!   by a victim (threading to no ticket or not) is personal data of the need-to-know rule: `security` and `supervisor` see its sender and
//!   subject in full, read its raw bytes and triage it, each full read journalled; other staff see
//!   them masked, and lists mask them for everyone.

mod access;
mod triage;
mod views;

pub use views::{
    AttachMailBody, DeliveryResponse, DeliveryView, InboundFileView, InboundMailPage,
    InboundMailPageResponse, InboundMailResponse, InboundMailView, InboundStatusDto,
    OpenFromMailBody, OpenedKindDto, RawMail, RawMailResponse,
};

use crate::ApiState;
use crate::ApiTag;
use crate::auth::ApiKeyAuth;
use crate::error::ApiError;
use crate::problem::{FieldError, Problem};
use access::{
    journal, read_view, restricted, restricted_among, security_required, sees_in_full, triageable,
    victims_among,
};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use ticket_domain::privacy::PersonalField;
use ticket_domain::values::{OrganisationId, TicketId};
use ticket_inbox::{Delivery, InboxError, Source};
use ticket_store::StoreError;
use ticket_store::inbound::QuarantineDecision;
use ticket_store::tickets::TicketKey;
use triage::{decide, parsed, registered, ticket_from, words};
use uuid::Uuid;
use views::view;

type Result<T> = std::result::Result<T, ApiError>;

/// Where a mail gateway delivers mails; the one operation its key may call.
pub const INBOUND_MAILS_PATH: &str = "/api/v1/inbound-mails";

#[derive(Debug, Clone, Copy, Default)]
pub struct InboundApi;

#[OpenApi(tag = "ApiTag::InboundMail")]
impl InboundApi {
    /// Deliver a mail
    ///
    /// For a receiving MTA, with a `mail_gateway` key (the only operation such a key may call):
    /// one raw RFC 5322 message, sent as `application/octet-stream` (the type generated clients
    /// send bytes as), received like `ticketd mail-in` receives it
    /// (threading, sender checks, loops, bounces). 201 with what it did; 200 for a mail already
    /// received (same `Message-ID`: nothing written); 413 over the configured size; 422 when the
    /// body is not a mail; 503 when the database cannot take it now (the MTA keeps the mail and
    /// retries).
    #[oai(
        path = "/api/v1/inbound-mails",
        method = "post",
        operation_id = "deliver_inbound_mail"
    )]
    async fn deliver(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        body: RawMail,
    ) -> Result<DeliveryResponse> {
        auth.0.require_mail_gateway()?;
        let RawMail::Mail(raw) = body;
        match state.inbox.receive(&raw.0, Source::Api).await {
            Ok(Delivery::Stored(mail)) => {
                // A mail that landed on or opened a ticket may have queued mails.
                state.mail_queued.notify_one();
                Ok(DeliveryResponse::Created(Json(DeliveryView {
                    id: Some(mail.id),
                    status: Some(mail.status.into()),
                    duplicate: false,
                })))
            }
            Ok(Delivery::Duplicate { .. }) => Ok(DeliveryResponse::Duplicate(Json(DeliveryView {
                id: None,
                status: None,
                duplicate: true,
            }))),
            Err(error @ InboxError::TooLarge { .. }) => Err(ApiError::from_problem(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                error.to_string(),
            ))),
            Err(InboxError::NotAMail) => Err(ApiError::invalid(vec![FieldError {
                field: "body".to_owned(),
                rule: "rfc5322_message".to_owned(),
                message: "the body is not a mail message (RFC 5322)".to_owned(),
            }])),
            Err(InboxError::Store(error)) if error.is_unavailable() => Err(error.into()),
            Err(error) if error.is_temporary() => {
                tracing::warn!(%error, "an inbound mail could not be stored; the gateway retries");
                Err(ApiError::from_problem(Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Service unavailable",
                    "The mail could not be stored now; nothing was changed. Retry later.",
                )))
            }
            Err(InboxError::Store(error)) => Err(error.into()),
        }
    }

    /// List inbound mails
    ///
    /// Staff only. Oldest first; `status=quarantined` is the quarantine to triage. A victim's
    /// mail (identity-theft case, security mailbox, or sent by a victim, threading to no ticket
    /// or not) is listed with its sender and subject masked,
    /// whoever reads: open it to see them.
    #[oai(
        path = "/api/v1/inbound-mails",
        method = "get",
        operation_id = "list_inbound_mails"
    )]
    async fn list(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Only mails with this status.
        status: Query<Option<InboundStatusDto>>,
        /// Only mails of this ticket (id or reference).
        #[oai(validator(min_length = 1, max_length = 100))]
        ticket: Query<Option<String>>,
        /// Page size, 1 to 200; 50 by default.
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "200"))
        )]
        limit: Query<u64>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(min_length = 1, max_length = 1000))]
        cursor: Query<Option<String>>,
    ) -> Result<InboundMailPageResponse> {
        auth.0.require_staff()?;
        let ticket = match ticket.0.as_deref() {
            None => None,
            Some(text) => match TicketKey::parse(text) {
                Some(TicketKey::Id(id)) => Some(id),
                Some(key) => match state.store.get_ticket(key).await {
                    Ok(stored) => Some(stored.ticket.id),
                    Err(StoreError::NotFound(_)) => Some(TicketId(Uuid::nil())),
                    Err(error) => return Err(error.into()),
                },
                None => Some(TicketId(Uuid::nil())),
            },
        };
        let page = state
            .store
            .list_inbound(
                status.0.map(Into::into),
                ticket,
                limit.0,
                cursor.0.as_deref(),
            )
            .await?;
        let victims = victims_among(&state, &page.items).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for mail in page.items {
            let masked = restricted_among(&state, &mail, &victims).await?;
            items.push(view(mail, masked));
        }
        Ok(InboundMailPageResponse::Ok(Json(InboundMailPage {
            items,
            next_cursor: page.next_cursor,
        })))
    }

    /// Read an inbound mail
    ///
    /// Staff only. A victim's mail shows its sender and subject in full to `security` and
    /// `supervisor` (the read is journalled), masked to other staff.
    #[oai(
        path = "/api/v1/inbound-mails/:id",
        method = "get",
        operation_id = "get_inbound_mail"
    )]
    async fn get(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Mail id.
        id: Path<Uuid>,
    ) -> Result<InboundMailResponse> {
        auth.0.require_staff()?;
        let mail = state.store.get_inbound(id.0).await?;
        Ok(InboundMailResponse::Ok(Json(
            read_view(&state, &auth.0, mail).await?,
        )))
    }

    /// Download an inbound mail as received
    ///
    /// Staff only: the raw message (`application/octet-stream`, named `<id>.eml` by
    /// `Content-Disposition: attachment`,
    /// `nosniff`, a sandboxing Content-Security-Policy). A victim's mail only for `security` and
    /// `supervisor`, each download journalled (403 for other staff). 404 once its content was
    /// erased (retention).
    #[oai(
        path = "/api/v1/inbound-mails/:id/raw",
        method = "get",
        operation_id = "get_inbound_mail_raw"
    )]
    async fn raw(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Mail id.
        id: Path<Uuid>,
    ) -> Result<RawMailResponse> {
        auth.0.require_staff()?;
        let mail = state.store.get_inbound(id.0).await?;
        if restricted(&state, &mail).await? {
            if !sees_in_full(&auth.0) {
                return Err(security_required());
            }
            journal(
                &state,
                &auth.0,
                &mail,
                vec![
                    PersonalField::Email,
                    PersonalField::OwnWords,
                    PersonalField::Attachments,
                ],
                "raw message",
            )
            .await?;
        }
        let raw = state
            .store
            .inbound_raw(mail.id)
            .await?
            .ok_or_else(|| ApiError::not_found("inbound mail content"))?;
        Ok(RawMailResponse::Ok(
            Binary(raw),
            format!("attachment; filename=\"{}.eml\"", mail.id),
            crate::attachments::DOWNLOAD_CSP.to_owned(),
        ))
    }

    /// Attach a quarantined mail to a ticket
    ///
    /// The triage desk (`agent`, `security`, `supervisor`; a victim's mail: `security` and
    /// `supervisor`). The mail's words go on the ticket as an internal note of the caller, with
    /// the mail's receipt (its SHA-256) in the evidence chain; its files become internal
    /// attachments of the caller's, under the upload limits (each file's outcome in the answer's
    /// `attachments`). Only a quarantined mail (409 otherwise).
    #[oai(
        path = "/api/v1/inbound-mails/:id/attach",
        method = "post",
        operation_id = "attach_inbound_mail"
    )]
    async fn attach(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Mail id.
        id: Path<Uuid>,
        body: Json<AttachMailBody>,
    ) -> Result<InboundMailResponse> {
        let mail = triageable(&state, &auth.0, id.0).await?;
        let ticket = crate::tickets::visible_ticket(&state, &auth.0, &body.0.ticket_id)
            .await
            .map_err(|_| {
                ApiError::invalid(vec![FieldError {
                    field: "ticket_id".to_owned(),
                    rule: "existing_ticket".to_owned(),
                    message: "no ticket has this id or reference".to_owned(),
                }])
            })?;
        let text = words(&parsed(&state, mail.id).await?)?;
        let attach = QuarantineDecision::Attach {
            ticket: ticket.ticket.id,
            body: text,
        };
        decide(&state, &auth.0, mail.id, attach).await
    }

    /// Open a ticket from a quarantined mail
    ///
    /// The triage desk (`agent`, `security`, `supervisor`; a victim's mail: `security` and
    /// `supervisor`). A support request (or an incident) declared by the caller: the mail's
    /// subject is its title, its words the question or impact, its sender kept as the reporter's
    /// address. The caller is the reporter: mails about the ticket go to the staff and mailboxes
    /// as for any ticket a member declares, none to the sender. The mail's files become the
    /// ticket's attachments, under the upload limits (each file's outcome in the answer's
    /// `attachments`). Only a quarantined mail (409 otherwise).
    #[oai(
        path = "/api/v1/inbound-mails/:id/open",
        method = "post",
        operation_id = "open_from_inbound_mail"
    )]
    async fn open(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Mail id.
        id: Path<Uuid>,
        body: Json<OpenFromMailBody>,
    ) -> Result<InboundMailResponse> {
        let mail = triageable(&state, &auth.0, id.0).await?;
        let organisation = registered(&state, body.0.organisation_id.map(OrganisationId)).await?;
        let content = parsed(&state, mail.id).await?;
        let kind = body.0.kind.unwrap_or(OpenedKindDto::SupportRequest);
        let new = ticket_from(&mail, &content, kind, organisation)?;
        let open = QuarantineDecision::Open { new: Box::new(new) };
        decide(&state, &auth.0, mail.id, open).await
    }

    /// Drop a quarantined mail
    ///
    /// The triage desk (`agent`, `security`, `supervisor`; a victim's mail: `security` and
    /// `supervisor`). The mail stays stored (its raw bytes until retention erases them), marked
    /// dropped with who decided. Only a quarantined mail (409 otherwise).
    #[oai(
        path = "/api/v1/inbound-mails/:id/drop",
        method = "post",
        operation_id = "drop_inbound_mail"
    )]
    async fn drop_mail(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Mail id.
        id: Path<Uuid>,
    ) -> Result<InboundMailResponse> {
        let mail = triageable(&state, &auth.0, id.0).await?;
        decide(&state, &auth.0, mail.id, QuarantineDecision::Drop).await
    }
}

fn default_limit() -> u64 {
    50
}
