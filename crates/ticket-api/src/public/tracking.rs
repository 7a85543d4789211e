//! The reporter's side after a report: the confirmation page, the private tracking page, and
//! what the reporter does from it (add information or files, confirm or reject a resolution,
//! download a public file).

use super::pages::{self, HistoryLine};
use super::respond::{html, message, unavailable, with_token};
use crate::ApiState;
use crate::problem::FieldError;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path, Query};
use poem::{Response, handler};
use serde::Deserialize;
use ticket_domain::event::Visibility;
use ticket_domain::kind::Qualification;
use ticket_domain::{Actor, EventData, Language};
use ticket_store::StoreError;
use ticket_store::attachments::Attachment;
use ticket_store::tickets::StoredTicket;
use ticket_wording::{Arg, Words};

/// The reporter's 404 page: no such tracking page, or no such file on it.
fn not_found(state: &ApiState, language: Language) -> Response {
    message(
        state,
        language,
        StatusCode::NOT_FOUND,
        ("page-not-found-title", "page-not-found"),
        false,
    )
}

/// The ticket a tracking secret opens, or the reporter's 404 page.
pub(super) async fn tracked(
    state: &ApiState,
    secret: &str,
    language: Language,
) -> Result<StoredTicket, Response> {
    let not_found = || not_found(state, language);
    if secret.len() < 32 || secret.len() > 64 {
        return Err(not_found());
    }
    match state.store.ticket_by_tracking_secret(secret).await {
        Ok(stored) => Ok(stored),
        Err(StoreError::NotFound(_)) => Err(not_found()),
        Err(error) => Err(unavailable(state, language, &error)),
    }
}

async fn confirmation_page(state: &ApiState, secret: &str, language: Language) -> Response {
    let stored = match tracked(state, secret, language).await {
        Ok(stored) => stored,
        Err(response) => return response,
    };
    let public = &state.public;
    let w = public.words(language);
    let other = other_language(language);
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
pub(super) async fn confirmation(
    state: Data<&ApiState>,
    Data(language): Data<&Language>,
    Path(secret): Path<String>,
) -> Response {
    confirmation_page(&state, &secret, *language).await
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

pub(super) async fn tracking_page(
    state: &ApiState,
    secret: &str,
    language: Language,
    notice: Option<&str>,
    status: StatusCode,
    errors: Vec<FieldError>,
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
    let notice = notice_words(w, notice);
    let history: Vec<HistoryLine> = events
        .iter()
        .rev()
        .filter_map(|e| history_line(w, &e.event))
        .collect();
    let action_base = language.tracking_path(secret);
    let other = other_language(language);
    let attachments = match state.store.attachments(stored.ticket.id.0).await {
        Ok(attachments) => attachments,
        Err(error) => return unavailable(state, language, &error),
    };
    let files_action = format!("{action_base}/{}", files_segment(language));
    let files = public_files(w, attachments, &files_action);
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
            // The reporter holds the public version.
            version: stored.public_version,
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

/// The notice a tracking page shows after an action (`?notice=`), when it is one of them.
fn notice_words(w: Words<'_>, notice: Option<&str>) -> String {
    match notice {
        Some(n @ ("added" | "confirmed" | "rejected" | "conflict" | "files")) => {
            w.t(&format!("page-notice-{n}"))
        }
        _ => String::new(),
    }
}

/// The ticket's public files, as the tracking page lists them.
fn public_files(
    w: Words<'_>,
    attachments: Vec<Attachment>,
    files_action: &str,
) -> Vec<pages::TrackedFile> {
    attachments
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
        .collect()
}

/// The other language of the pages, for the link to the same page in it.
fn other_language(language: Language) -> Language {
    match language {
        Language::Fr => Language::En,
        Language::En => Language::Fr,
    }
}

/// The segment of the files' addresses under the tracking page.
fn files_segment(language: Language) -> &'static str {
    match language {
        Language::Fr => "fichiers",
        Language::En => "files",
    }
}

#[handler]
pub(super) async fn show(
    state: Data<&ApiState>,
    Data(language): Data<&Language>,
    Path(secret): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    tracking_page(
        &state,
        &secret,
        *language,
        query.notice.as_deref(),
        StatusCode::OK,
        Vec::new(),
    )
    .await
}

/// A public file of the ticket, downloaded by its reporter: the API's download headers, and the
/// tracking page's (no referrer).
async fn public_file(state: &ApiState, secret: &str, id: &str, language: Language) -> Response {
    let stored = match tracked(state, secret, language).await {
        Ok(stored) => stored,
        Err(response) => return response,
    };
    let not_found = || not_found(state, language);
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
pub(super) async fn download(
    state: Data<&ApiState>,
    Data(language): Data<&Language>,
    Path((secret, id)): Path<(String, String)>,
) -> Response {
    public_file(&state, &secret, &id, *language).await
}
