//! What the reporter does from the private tracking page: add information, add files, confirm or
//! reject a resolution. Each answers with a redirection to the page and a notice, or the page
//! again with the error of its form.

use super::csrf::CSRF_NAME;
use super::respond::{csrf_refusal, message, redirect, unavailable};
use super::submission::{FormBody, cookie_value, files_error, public_limits, read_submission};
use super::tracking::{tracked, tracking_page};
use crate::ApiState;
use crate::problem::FieldError;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};
use ticket_domain::values::{LONG_TEXT, Text};
use ticket_domain::{Actor, Command, Language};
use ticket_store::StoreError;
use ticket_store::attachments::{AttachmentLimits, Upload, check_uploads};
use ticket_store::tickets::{StoredTicket, TicketKey};

/// What the reporter does from the tracking page.
#[derive(Debug, Clone, Copy)]
pub(super) enum Action {
    Information,
    Resolution,
    Files,
}

/// Why a form of the tracking page asks for no command.
enum Unusable {
    /// A required text is missing (or does not fit): its field.
    Missing(&'static str),
    /// It asks for nothing the page offers.
    Unknown,
}

/// One form of the tracking page at `secret`, sent back.
struct Sent<'a> {
    state: &'a ApiState,
    secret: &'a str,
    language: Language,
}

impl Sent<'_> {
    /// The tracking page again, with the error of its form.
    async fn invalid(&self, error: FieldError) -> Response {
        tracking_page(
            self.state,
            self.secret,
            self.language,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![error],
        )
        .await
    }

    /// Back to the tracking page, with `notice` shown.
    fn done(&self, notice: &str) -> Response {
        redirect(&format!(
            "{}?notice={notice}",
            self.language.tracking_path(self.secret)
        ))
    }
}

async fn run(
    state: &ApiState,
    request: &Request,
    body: Body,
    secret: &str,
    language: Language,
    action: Action,
) -> Response {
    let sent = Sent {
        state,
        secret,
        language,
    };
    let limits = public_limits(state);
    let Some((form, files)) = read_submission(request, body, &limits).await else {
        return message(
            state,
            language,
            StatusCode::PAYLOAD_TOO_LARGE,
            ("page-too-large-title", "page-too-large"),
            false,
        );
    };
    let now = state.clock.now();
    if let Err(error) = state.public.csrf.check(
        form.get(CSRF_NAME),
        cookie_value(request, CSRF_NAME).as_deref(),
        now,
    ) {
        return csrf_refusal(state, language, error);
    }
    let stored = match tracked(state, secret, language).await {
        Ok(stored) => stored,
        Err(response) => return response,
    };
    let asked = match action {
        Action::Files => return add_files(&sent, &stored, files, &limits).await,
        Action::Information => information_command(&form),
        Action::Resolution => resolution_command(&form),
    };
    let (command, done) = match asked {
        Ok(command) => command,
        Err(Unusable::Missing(field)) => {
            return sent
                .invalid(FieldError {
                    field: field.to_owned(),
                    rule: "required".to_owned(),
                    message: "must not be empty".to_owned(),
                })
                .await;
        }
        Err(Unusable::Unknown) => {
            return message(
                state,
                language,
                StatusCode::BAD_REQUEST,
                ("page-refused-title", "page-refused"),
                false,
            );
        }
    };
    let version = form
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(stored.public_version);
    match state
        .store
        .execute(
            TicketKey::Id(stored.ticket.id),
            version,
            command,
            &Actor::PublicReporter,
            now,
            &state.policy,
        )
        .await
    {
        Ok(_) => sent.done(done),
        Err(StoreError::VersionConflict { .. } | StoreError::Refused(_)) => sent.done("conflict"),
        Err(error) => unavailable(state, language, &error),
    }
}

/// The command of the information form, and the notice shown once it is done.
fn information_command(form: &FormBody) -> Result<(Command, &'static str), Unusable> {
    match Text::parse("message", &form.text("message"), LONG_TEXT) {
        Ok(body) => Ok((
            Command::Comment {
                body,
                internal: false,
            },
            "added",
        )),
        Err(_) => Err(Unusable::Missing("message")),
    }
}

/// The command of the resolution form (confirm, or reject with a reason), and the notice shown
/// once it is done.
fn resolution_command(form: &FormBody) -> Result<(Command, &'static str), Unusable> {
    match form.get("answer") {
        Some("confirm") => Ok((Command::ConfirmResolution, "confirmed")),
        Some("reject") => match Text::parse("reason", &form.text("reason"), LONG_TEXT) {
            Ok(reason) => Ok((Command::RejectResolution { reason }, "rejected")),
            Err(_) => Err(Unusable::Missing("reason")),
        },
        _ => Err(Unusable::Unknown),
    }
}

/// Attaches the files sent from the tracking page, within the public pages' limits.
async fn add_files(
    sent: &Sent<'_>,
    stored: &StoredTicket,
    files: Vec<Upload>,
    limits: &AttachmentLimits,
) -> Response {
    let state = sent.state;
    if let Err(refusal) = check_uploads(&files, limits) {
        return sent.invalid(files_error(&refusal)).await;
    }
    match state
        .store
        .attach_files(
            &state.attachments,
            TicketKey::Id(stored.ticket.id),
            None,
            files,
            false,
            &Actor::PublicReporter,
            state.clock.now(),
            &state.policy,
        )
        .await
    {
        Ok(_) => sent.done("files"),
        Err(StoreError::Refused(_)) => sent.done("conflict"),
        Err(StoreError::Attachment(refusal)) => sent.invalid(files_error(&refusal)).await,
        Err(error) => unavailable(state, sent.language, &error),
    }
}

/// Every form of the tracking page: the route tells which (`action`) and in which language.
#[handler]
pub(super) async fn act(
    state: Data<&ApiState>,
    Data(language): Data<&Language>,
    Data(action): Data<&Action>,
    request: &Request,
    Path(secret): Path<String>,
    body: Body,
) -> Response {
    run(&state, request, body, &secret, *language, *action).await
}
