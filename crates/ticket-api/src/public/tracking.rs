//! The reporter's side after a report: the confirmation page, the private tracking page, and
//! what the reporter does from it (add information or files, confirm or reject a resolution,
//! download a public file).

use super::pages::{self, HistoryLine};
use super::{
    CSRF_NAME, cookie_value, csrf_refusal, files_error, html, message, public_limits,
    read_submission, redirect, unavailable, with_token,
};
use crate::ApiState;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path, Query};
use poem::{Body, Request, Response, handler};
use serde::Deserialize;
use ticket_domain::event::Visibility;
use ticket_domain::kind::Qualification;
use ticket_domain::values::{LONG_TEXT, Text};
use ticket_domain::{Actor, Command, EventData, Language};
use ticket_store::StoreError;
use ticket_store::attachments::check_uploads;
use ticket_store::tickets::{StoredTicket, TicketKey};
use ticket_wording::{Arg, Words};

/// The ticket a tracking secret opens, or the reporter's 404 page.
async fn tracked(
    state: &ApiState,
    secret: &str,
    language: Language,
) -> Result<StoredTicket, Response> {
    let not_found = || {
        message(
            state,
            language,
            StatusCode::NOT_FOUND,
            ("page-not-found-title", "page-not-found"),
            false,
        )
    };
    if secret.len() < 32 || secret.len() > 64 {
        return Err(not_found());
    }
    match state.store.ticket_by_tracking_secret(secret).await {
        Ok(stored) => Ok(stored),
        Err(StoreError::NotFound(_)) => Err(not_found()),
        Err(error) => Err(unavailable(state, language, &error)),
    }
}

async fn confirmation(state: &ApiState, secret: &str, language: Language) -> Response {
    let stored = match tracked(state, secret, language).await {
        Ok(stored) => stored,
        Err(response) => return response,
    };
    let public = &state.public;
    let w = public.words(language);
    let other = match language {
        Language::Fr => Language::En,
        Language::En => Language::Fr,
    };
    let page = pages::Confirmation {
        w,
        frame: pages::Frame::new(
            w,
            &public.config,
            &state.policy,
            Some(format!("{}/confirmation", other.tracking_path(secret))),
        ),
        title: w.t("page-confirmation-title"),
        reference: stored.ticket.reference.to_string(),
        tracking_path: language.tracking_path(secret),
        tracking_url: language.tracking_url(&public.config.base_url, secret),
        answer_expected: pages::answer_expected(w, &state.policy),
    };
    html(StatusCode::OK, pages::render(&page))
}

#[handler]
pub(super) async fn confirmation_fr(
    state: Data<&ApiState>,
    Path(secret): Path<String>,
) -> Response {
    confirmation(&state, &secret, Language::Fr).await
}

#[handler]
pub(super) async fn confirmation_en(
    state: Data<&ApiState>,
    Path(secret): Path<String>,
) -> Response {
    confirmation(&state, &secret, Language::En).await
}

fn history_line(w: Words<'_>, event: &ticket_domain::Event) -> Option<HistoryLine> {
    if event.visibility != Visibility::Public {
        return None;
    }
    let who = w.t(match event.actor {
        Actor::PublicReporter => "page-you",
        _ => "page-team",
    });
    let with_text = |id: &str, text: &str| w.with1(id, "text", text);
    let text = match &event.data {
        EventData::Created { .. } => w.t("page-history-created"),
        EventData::Acknowledged { .. } => w.t("page-history-acknowledged"),
        EventData::Commented { body } | EventData::ReporterAnswered { body } => {
            body.as_str().to_owned()
        }
        EventData::WaitingForReporter { question } => {
            with_text("page-history-question", question.as_str())
        }
        EventData::Resolved { summary } => with_text("page-history-resolved", summary.as_str()),
        EventData::Qualified { qualification } => match qualification {
            Qualification::Confirmed => w.t("page-history-confirmed"),
            Qualification::Unfounded { explanation } => {
                with_text("page-history-unfounded", explanation.as_str())
            }
        },
        EventData::ResolutionConfirmed => w.t("page-history-resolution-confirmed"),
        EventData::ResolutionRejected { reason } => {
            with_text("page-history-resolution-rejected", reason.as_str())
        }
        EventData::Closed { .. } => w.t("page-history-closed"),
        EventData::Reopened { .. } => w.t("page-history-reopened"),
        EventData::ReminderSent { .. } => w.t("page-history-reminder"),
        EventData::Cancelled { .. } => w.t("page-history-cancelled"),
        EventData::FilesAttached { files } => w.with(
            "page-history-files",
            &[(
                "count",
                Arg::number(u32::try_from(files.len()).unwrap_or(u32::MAX)),
            )],
        ),
        _ => return None,
    };
    let paris = event.at.with_timezone(&chrono_tz::Europe::Paris);
    Some(HistoryLine {
        at: paris.format("%Y-%m-%d %H:%M").to_string(),
        who,
        text,
    })
}

/// Why the case was closed, in the words the mails use too.
fn closure_words(w: Words<'_>, stored: &StoredTicket) -> String {
    stored
        .ticket
        .closure
        .as_ref()
        .map(|closure| {
            w.with(
                "closure-reason-line",
                &[("reason", Arg::name(&closure.reason))],
            )
        })
        .unwrap_or_default()
}

#[derive(Debug, Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn tracking(
    state: &ApiState,
    secret: &str,
    language: Language,
    notice: Option<&str>,
    status: StatusCode,
    errors: Vec<crate::problem::FieldError>,
) -> Response {
    let stored = match tracked(state, secret, language).await {
        Ok(stored) => stored,
        Err(response) => return response,
    };
    let events = match state.store.events(stored.ticket.id).await {
        Ok(events) => events,
        Err(error) => return unavailable(state, language, &error),
    };
    let public = &state.public;
    let w = public.words(language);
    let notice = match notice {
        Some(n @ ("added" | "confirmed" | "rejected" | "conflict" | "files")) => {
            w.t(&format!("page-notice-{n}"))
        }
        _ => String::new(),
    };
    let history: Vec<HistoryLine> = events
        .iter()
        .rev()
        .filter_map(|e| history_line(w, &e.event))
        .collect();
    let action_base = language.tracking_path(secret);
    let other = match language {
        Language::Fr => Language::En,
        Language::En => Language::Fr,
    };
    let attachments = match state.store.attachments(stored.ticket.id.0).await {
        Ok(attachments) => attachments,
        Err(error) => return unavailable(state, language, &error),
    };
    let files_action = format!("{action_base}/{}", files_segment(language));
    let files = attachments
        .into_iter()
        .filter(|a| a.visibility == Visibility::Public && a.erased_at.is_none())
        .map(|a| pages::TrackedFile {
            name: a.display_name(),
            size: w.with(
                "page-size-kb",
                &[("size", Arg::text(a.size.div_ceil(1024)))],
            ),
            href: format!("{files_action}/{}", a.id),
        })
        .collect();
    let (error_title, summary) = pages::summary(w, &state.policy, &errors);
    let files_error = errors
        .iter()
        .find(|e| e.field == "files")
        .map(|e| pages::field_message(w, &state.policy, e))
        .unwrap_or_default();
    let ticket_state = stored.ticket.state;
    with_token(public, state.clock.now(), |token| {
        let page = pages::TrackingPage {
            w,
            frame: pages::Frame::new(
                w,
                &public.config,
                &state.policy,
                Some(other.tracking_path(secret)),
            ),
            title: w.t("page-tracking-title"),
            reference: stored.ticket.reference.to_string(),
            notice,
            error_title,
            errors: summary,
            state: w.with("state", &[("state", Arg::name(&ticket_state))]),
            state_explained: w.with("state-explained", &[("state", Arg::name(&ticket_state))]),
            closure: closure_words(w, &stored),
            resolved: ticket_state == ticket_domain::State::Resolved,
            open: ticket_state.is_open(),
            csrf: token.to_owned(),
            version: stored.version,
            action_base,
            files,
            files_action,
            files_hint: pages::files_hint(w),
            files_error,
            history,
        };
        html(status, pages::render(&page))
    })
}

/// The segment of the files' addresses under the tracking page.
fn files_segment(language: Language) -> &'static str {
    match language {
        Language::Fr => "fichiers",
        Language::En => "files",
    }
}

#[handler]
pub(super) async fn tracking_fr(
    state: Data<&ApiState>,
    Path(secret): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    tracking(
        &state,
        &secret,
        Language::Fr,
        query.notice.as_deref(),
        StatusCode::OK,
        Vec::new(),
    )
    .await
}

#[handler]
pub(super) async fn tracking_en(
    state: Data<&ApiState>,
    Path(secret): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    tracking(
        &state,
        &secret,
        Language::En,
        query.notice.as_deref(),
        StatusCode::OK,
        Vec::new(),
    )
    .await
}

/// What the reporter does from the tracking page.
enum Action {
    Information,
    Resolution,
    Files,
}

async fn act(
    state: &ApiState,
    request: &Request,
    body: Body,
    secret: &str,
    language: Language,
    action: Action,
) -> Response {
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
    let version = form
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(stored.version);
    let base = language.tracking_path(secret);
    let field_error = |field: &str| {
        vec![crate::problem::FieldError {
            field: field.to_owned(),
            rule: "required".to_owned(),
            message: "must not be empty".to_owned(),
        }]
    };
    let (command, done) = match action {
        Action::Files => {
            let refused = match check_uploads(&files, &limits) {
                Err(refusal) => Some(files_error(&refusal)),
                Ok(()) => None,
            };
            if let Some(error) = refused {
                return tracking(
                    state,
                    secret,
                    language,
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    vec![error],
                )
                .await;
            }
            return match state
                .store
                .attach_files(
                    &state.attachments,
                    TicketKey::Id(stored.ticket.id),
                    None,
                    files,
                    false,
                    &Actor::PublicReporter,
                    now,
                    &state.policy,
                )
                .await
            {
                Ok(_) => redirect(&format!("{base}?notice=files")),
                Err(StoreError::Refused(_)) => redirect(&format!("{base}?notice=conflict")),
                Err(StoreError::Attachment(refusal)) => {
                    tracking(
                        state,
                        secret,
                        language,
                        None,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        vec![files_error(&refusal)],
                    )
                    .await
                }
                Err(error) => unavailable(state, language, &error),
            };
        }
        Action::Information => match Text::parse("message", &form.text("message"), LONG_TEXT) {
            Ok(body) => (
                Command::Comment {
                    body,
                    internal: false,
                },
                "added",
            ),
            Err(_) => {
                return tracking(
                    state,
                    secret,
                    language,
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    field_error("message"),
                )
                .await;
            }
        },
        Action::Resolution => match form.get("answer") {
            Some("confirm") => (Command::ConfirmResolution, "confirmed"),
            Some("reject") => match Text::parse("reason", &form.text("reason"), LONG_TEXT) {
                Ok(reason) => (Command::RejectResolution { reason }, "rejected"),
                Err(_) => {
                    return tracking(
                        state,
                        secret,
                        language,
                        None,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        field_error("reason"),
                    )
                    .await;
                }
            },
            _ => {
                return message(
                    state,
                    language,
                    StatusCode::BAD_REQUEST,
                    ("page-refused-title", "page-refused"),
                    false,
                );
            }
        },
    };
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
        Ok(_) => redirect(&format!("{base}?notice={done}")),
        Err(StoreError::VersionConflict { .. } | StoreError::Refused(_)) => {
            redirect(&format!("{base}?notice=conflict"))
        }
        Err(error) => unavailable(state, language, &error),
    }
}

#[handler]
pub(super) async fn files_fr(
    state: Data<&ApiState>,
    request: &Request,
    Path(secret): Path<String>,
    body: Body,
) -> Response {
    act(&state, request, body, &secret, Language::Fr, Action::Files).await
}

#[handler]
pub(super) async fn files_en(
    state: Data<&ApiState>,
    request: &Request,
    Path(secret): Path<String>,
    body: Body,
) -> Response {
    act(&state, request, body, &secret, Language::En, Action::Files).await
}

/// A public file of the ticket, downloaded by its reporter: the API's download headers, and the
/// tracking page's (no referrer).
async fn download(state: &ApiState, secret: &str, id: &str, language: Language) -> Response {
    let stored = match tracked(state, secret, language).await {
        Ok(stored) => stored,
        Err(response) => return response,
    };
    let not_found = || {
        message(
            state,
            language,
            StatusCode::NOT_FOUND,
            ("page-not-found-title", "page-not-found"),
            false,
        )
    };
    let Ok(id) = uuid::Uuid::parse_str(id) else {
        return not_found();
    };
    let attachment = match state.store.attachment(stored.ticket.id.0, id).await {
        Ok(a) if a.visibility == Visibility::Public && a.erased_at.is_none() => a,
        Ok(_) | Err(StoreError::NotFound(_)) => return not_found(),
        Err(error) => return unavailable(state, language, &error),
    };
    match state
        .store
        .attachment_bytes(&state.attachments.blobs, &attachment)
        .await
    {
        Ok(bytes) => Response::builder()
            .status(StatusCode::OK)
            .content_type("application/octet-stream")
            .header(
                header::CONTENT_DISPOSITION,
                crate::attachments::content_disposition(&attachment.display_name()),
            )
            .header(
                header::CONTENT_SECURITY_POLICY,
                crate::attachments::DOWNLOAD_CSP,
            )
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .header(header::REFERRER_POLICY, "no-referrer")
            .header(header::CACHE_CONTROL, "no-store")
            .body(bytes.to_vec()),
        Err(error) => unavailable(state, language, &error),
    }
}

#[handler]
pub(super) async fn download_fr(
    state: Data<&ApiState>,
    Path((secret, id)): Path<(String, String)>,
) -> Response {
    download(&state, &secret, &id, Language::Fr).await
}

#[handler]
pub(super) async fn download_en(
    state: Data<&ApiState>,
    Path((secret, id)): Path<(String, String)>,
) -> Response {
    download(&state, &secret, &id, Language::En).await
}

#[handler]
pub(super) async fn information_fr(
    state: Data<&ApiState>,
    request: &Request,
    body: Body,
    Path(secret): Path<String>,
) -> Response {
    act(
        &state,
        request,
        body,
        &secret,
        Language::Fr,
        Action::Information,
    )
    .await
}

#[handler]
pub(super) async fn information_en(
    state: Data<&ApiState>,
    request: &Request,
    body: Body,
    Path(secret): Path<String>,
) -> Response {
    act(
        &state,
        request,
        body,
        &secret,
        Language::En,
        Action::Information,
    )
    .await
}

#[handler]
pub(super) async fn resolution_fr(
    state: Data<&ApiState>,
    request: &Request,
    body: Body,
    Path(secret): Path<String>,
) -> Response {
    act(
        &state,
        request,
        body,
        &secret,
        Language::Fr,
        Action::Resolution,
    )
    .await
}

#[handler]
pub(super) async fn resolution_en(
    state: Data<&ApiState>,
    request: &Request,
    body: Body,
    Path(secret): Path<String>,
) -> Response {
    act(
        &state,
        request,
        body,
        &secret,
        Language::En,
        Action::Resolution,
    )
    .await
}
