//! Triage of the quarantine: the mail's content read back from its raw bytes, and the decision
//! (attach, open, drop) recorded, the mail dispatcher woken for what it queued.

use super::OpenedKindDto;
use super::access::read_view;
use super::views::InboundMailResponse;
use crate::ApiState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::problem::{FieldError, Problem};
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use ticket_domain::kind::{IncidentData, KindData, SupportRequestData};
use ticket_domain::values::{EmailAddress, OrganisationId, SHORT_TEXT, Text, TicketId};
use ticket_domain::{Language, NewTicket};
use ticket_inbox::ParsedMail;
use ticket_store::StoreError;
use ticket_store::inbound::{InboundMail, QuarantineDecision};
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// The mail's parsed content; a mail whose bytes were erased cannot be triaged into a ticket.
pub(super) async fn parsed(state: &ApiState, id: Uuid) -> Result<ParsedMail> {
    let raw = state.store.inbound_raw(id).await?.ok_or_else(|| {
        ApiError::from_problem(Problem::new(
            StatusCode::CONFLICT,
            "mail-erased",
            "Mail erased",
            "This mail's content was erased (retention): it can only be dropped.",
        ))
    })?;
    ticket_inbox::parse::parse(&raw).ok_or_else(|| {
        ApiError::from_problem(Problem::new(
            StatusCode::CONFLICT,
            "mail-unreadable",
            "Mail unreadable",
            "This mail cannot be read as a message: it can only be dropped.",
        ))
    })
}

/// The mail's words, or a placeholder when none can be read.
pub(super) fn words(mail: &ParsedMail) -> Result<Text> {
    ticket_inbox::mail_text(mail)
        .or_else(|| Text::parse("body", "(texte du message illisible)", SHORT_TEXT).ok())
        .ok_or_else(|| ApiError::from_problem(Problem::internal()))
}

/// `organisation`, when given, is one of the registry (422 `organisation_id` otherwise).
pub(super) async fn registered(
    state: &ApiState,
    organisation: Option<OrganisationId>,
) -> Result<Option<OrganisationId>> {
    let Some(organisation) = organisation else {
        return Ok(None);
    };
    match state.store.get_organisation(organisation).await {
        Ok(_) => Ok(Some(organisation)),
        Err(StoreError::NotFound(_)) => Err(ApiError::invalid(vec![FieldError {
            field: "organisation_id".to_owned(),
            rule: "registered_organisation".to_owned(),
            message: "no organisation of the registry has this id".to_owned(),
        }])),
        Err(other) => Err(other.into()),
    }
}

/// The ticket a quarantined mail opens: its subject the title, its words the question (or the
/// impact of an incident started when it was received), its sender the reporter's address.
pub(super) fn ticket_from(
    mail: &InboundMail,
    content: &ParsedMail,
    kind: OpenedKindDto,
    organisation: Option<OrganisationId>,
) -> Result<NewTicket> {
    let text = words(content)?;
    let title = content
        .subject
        .as_deref()
        .map(|s| s.chars().take(SHORT_TEXT).collect::<String>())
        .and_then(|s| Text::parse("title", &s, SHORT_TEXT).ok())
        .or_else(|| Text::parse("title", "Message sans objet", SHORT_TEXT).ok())
        .ok_or_else(|| ApiError::from_problem(Problem::internal()))?;
    let data = match kind {
        OpenedKindDto::SupportRequest => {
            KindData::SupportRequest(SupportRequestData { question: text })
        }
        OpenedKindDto::Incident => KindData::Incident(IncidentData {
            service: None,
            started_at: mail.received_at,
            impact: text,
            security: false,
        }),
    };
    Ok(NewTicket {
        id: TicketId::new_v7(),
        reference_number: 0,
        title,
        data,
        organisation,
        reporter_email: content
            .from
            .as_deref()
            .and_then(|from| EmailAddress::parse("from", from).ok()),
        language: Language::Fr,
        proposed_priority: None,
        follow_up_of: None,
        same_session_as: Vec::new(),
    })
}

/// Records `principal`'s decision on the quarantined mail `mail`, attaches the mail's files to
/// the ticket it was attached to or opened (by `principal`; each file's outcome on the mail), and
/// answers the mail as they read it; the dispatcher is woken for the mails the decision queued (a
/// new ticket's acknowledgement).
pub(super) async fn decide(
    state: &ApiState,
    principal: &Principal,
    mail: Uuid,
    decision: QuarantineDecision,
) -> Result<InboundMailResponse> {
    let mut decided = state
        .store
        .decide_quarantined(
            mail,
            decision,
            &principal.actor,
            state.clock.now(),
            &state.policy,
        )
        .await?;
    state.mail_queued.notify_one();
    state
        .inbox
        .attach_decided_files(&mut decided, &principal.actor)
        .await?;
    Ok(InboundMailResponse::Ok(Json(
        read_view(state, principal, decided).await?,
    )))
}
