//! Running a command: the ticket, the version named by `If-Match`, and the bodies' conversion into
//! domain commands.

use super::bodies::{CloseBody, QualificationOutcome, QualifyBody};
use crate::ApiState;
use crate::auth::ApiKeyAuth;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::problem::Problem;
use crate::tickets::{TicketResponse, field, now, view, visible_ticket};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use ticket_domain::Command;
use ticket_domain::closure::ClosureProof;
use ticket_domain::kind::Qualification;
use ticket_domain::values::{LONG_TEXT, StaffHandle, Text};
use ticket_store::tickets::TicketKey;

type Result<T> = std::result::Result<T, ApiError>;

/// The version named by `If-Match`: required (428), a strong ETag (`"3"`), else 400.
pub(crate) fn expected_version(if_match: Option<&str>) -> Result<i64> {
    let Some(value) = if_match else {
        return Err(ApiError::from_problem(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "if-match-required",
            "If-Match required",
            "Commands need `If-Match` with the ticket's ETag, as read from GET.",
        )));
    };
    value
        .trim()
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "malformed-if-match",
                "`If-Match` must be the ticket's strong ETag, e.g. \"3\".",
            )
        })
}

/// Runs one command on the version named by `If-Match`.
/// A command as an operation receives it: its extractors, and the command its body gave.
pub(super) async fn execute(
    state: Data<&ApiState>,
    auth: ApiKeyAuth,
    id: Path<String>,
    if_match: Header<Option<String>>,
    command: Command,
) -> Result<TicketResponse> {
    run(&state, &auth.0, &id.0, if_match.0.as_deref(), command).await
}

pub(crate) async fn run(
    state: &ApiState,
    principal: &Principal,
    id: &str,
    if_match: Option<&str>,
    command: Command,
) -> Result<TicketResponse> {
    let stored = visible_ticket(state, principal, id).await?;
    let version = expected_version(if_match)?;
    let updated = state
        .store
        .execute(
            TicketKey::Id(stored.ticket.id),
            version,
            command,
            &principal.actor,
            now(state),
            &state.policy,
        )
        .await?;
    state.mail_queued.notify_one();
    view(state, &updated, principal).await
}

pub(crate) fn text_or_invalid(name: &str, value: &str, max: usize) -> Result<Text> {
    Text::parse(name, value, max).map_err(|e| ApiError::invalid(vec![e.into()]))
}

pub(crate) fn optional_text_or_invalid(
    name: &str,
    value: Option<&String>,
    max: usize,
) -> Result<Option<Text>> {
    value.map(|v| text_or_invalid(name, v, max)).transpose()
}

/// 422 naming `field` unless `handle` is a member of the staff directory.
pub(crate) async fn require_member(
    state: &ApiState,
    name: &str,
    handle: &StaffHandle,
) -> Result<()> {
    match state.store.get_staff_member(handle).await {
        Ok(_) => Ok(()),
        Err(ticket_store::StoreError::NotFound(_)) => Err(ApiError::invalid(vec![field(
            name,
            "staff_member",
            "no member of the staff directory has this handle (see GET /api/v1/staff)",
        )])),
        Err(other) => Err(other.into()),
    }
}

pub(crate) fn staff_handle_or_invalid(name: &str, value: &str) -> Result<StaffHandle> {
    StaffHandle::parse(name, value).map_err(|e| ApiError::invalid(vec![e.into()]))
}

pub(crate) fn closure(body: CloseBody) -> Result<Command> {
    Ok(Command::Close {
        reason: body.reason.into(),
        proof: ClosureProof {
            note: optional_text_or_invalid("note", body.note.as_ref(), LONG_TEXT)?,
        },
    })
}

pub(crate) fn qualification(body: QualifyBody) -> Result<Command> {
    let qualification = match body.outcome {
        QualificationOutcome::Confirmed => Qualification::Confirmed,
        QualificationOutcome::Unfounded => {
            let Some(explanation) =
                optional_text_or_invalid("explanation", body.explanation.as_ref(), LONG_TEXT)?
            else {
                return Err(ApiError::invalid(vec![field(
                    "explanation",
                    "required",
                    "an unfounded report needs the explanation the reporter receives",
                )]));
            };
            Qualification::Unfounded { explanation }
        }
    };
    Ok(Command::Qualify { qualification })
}
