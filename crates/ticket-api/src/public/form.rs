//! The report form (`/signalement`, `/en/report`): shown empty, and submitted — read, checked
//! against abuse (honeypot, CSRF token, limit per address), then handed to the use case of a
//! public report ([`super::report`]); shown again with its errors when refused.

use super::csrf::{CSRF_NAME, CsrfError};
use super::pages::{self, Choice, FormValues};
use super::report::{Refused, Submission, report_identity_theft};
use super::respond::{csrf_refusal, html, message, redirect, too_many, unavailable, with_token};
use super::submission::{FormBody, client_ip, cookie_value, public_limits, read_submission};
use crate::ApiState;
use crate::problem::FieldError;
use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};
use ticket_domain::Language;
use ticket_domain::public_report::PublicReport;
use ticket_domain::values::OrganisationId;
use ticket_store::StoreError;
use ticket_store::attachments::Upload;
use ticket_store::registry::OrganisationRole;

async fn choices(
    state: &ApiState,
    values: &FormValues,
) -> Result<(Vec<Choice>, Vec<Choice>), StoreError> {
    let organisations = state.store.list_organisations().await?;
    let pick = |role: OrganisationRole| {
        organisations
            .iter()
            .filter(|o| o.roles.contains(&role))
            .map(|o| {
                let id = o.id.to_string();
                Choice {
                    chosen: values.identity_provider == id
                        || values.service_providers.contains(&id),
                    id,
                    name: o.name.clone(),
                }
            })
            .collect::<Vec<_>>()
    };
    Ok((
        pick(OrganisationRole::IdentityProvider),
        pick(OrganisationRole::ServiceProvider),
    ))
}

async fn show_form(
    state: &ApiState,
    language: Language,
    status: StatusCode,
    values: &FormValues,
    errors: &[FieldError],
    notice: Option<&str>,
) -> Response {
    let (identity_providers, service_providers) = match choices(state, values).await {
        Ok(choices) => choices,
        Err(error) => return unavailable(state, language, &error),
    };
    let public = &state.public;
    let w = public.words(language);
    with_token(public, state.clock.now(), |token| {
        let context = pages::FormContext {
            w,
            policy: &state.policy,
            frame: pages::Frame::new(w, &public.config, &state.policy, None),
            csrf: token.to_owned(),
            identity_providers,
            service_providers,
            notice: notice.map(|id| w.t(id)).unwrap_or_default(),
        };
        html(
            status,
            pages::render(&pages::FormPage::new(context, values, errors)),
        )
    })
}

/// The empty form.
async fn empty_form(state: &ApiState, language: Language) -> Response {
    show_form(
        state,
        language,
        StatusCode::OK,
        &FormValues::default(),
        &[],
        None,
    )
    .await
}

#[handler]
pub(super) async fn show(state: Data<&ApiState>, Data(language): Data<&Language>) -> Response {
    empty_form(&state, *language).await
}

async fn submit_form(
    state: &ApiState,
    request: &Request,
    body: Body,
    language: Language,
) -> Response {
    let now = state.clock.now();
    let (values, files) = match read_checked(state, request, body, language, now).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let (report, input_errors) = parse_values(&values, language);
    let submission = Submission {
        report,
        input_errors,
        files,
        idempotency: None,
    };
    match report_identity_theft(state, submission, now).await {
        Ok(created) => {
            let secret = created.tracking_secret.unwrap_or_default();
            redirect(&format!("{}/confirmation", language.tracking_path(&secret)))
        }
        Err(refused) => refused_page(state, language, &values, refused).await,
    }
}

/// The submitted form, read and checked against abuse: not too large, honeypot empty, a valid
/// CSRF token, within the limit per address. `Err`: the page that answers it.
async fn read_checked(
    state: &ApiState,
    request: &Request,
    body: Body,
    language: Language,
    now: DateTime<Utc>,
) -> Result<(FormValues, Vec<Upload>), Response> {
    let public = &state.public;
    let Some((form, files)) = read_submission(request, body, &public_limits(state)).await else {
        return Err(message(
            state,
            language,
            StatusCode::PAYLOAD_TOO_LARGE,
            ("page-too-large-title", "page-too-large"),
            true,
        ));
    };
    if form.get("website").is_some_and(|v| !v.is_empty()) {
        tracing::warn!("public form refused: honeypot field filled");
        return Err(message(
            state,
            language,
            StatusCode::BAD_REQUEST,
            ("page-refused-title", "page-refused"),
            true,
        ));
    }
    let values = form_values(&form);
    match public.csrf.check(
        form.get(CSRF_NAME),
        cookie_value(request, CSRF_NAME).as_deref(),
        now,
    ) {
        Ok(()) => {}
        Err(CsrfError::Expired) => {
            return Err(show_form(
                state,
                language,
                StatusCode::BAD_REQUEST,
                &values,
                &[],
                Some("page-expired"),
            )
            .await);
        }
        Err(error) => return Err(csrf_refusal(state, language, error)),
    }
    if let Err(wait) = public.per_ip.check(&client_ip(request, public), now).await {
        tracing::warn!("public form refused: rate limit per address");
        return Err(too_many(state, language, wait));
    }
    Ok((values, files))
}

/// The form's inputs as the reporter typed them.
fn form_values(form: &FormBody) -> FormValues {
    FormValues {
        session_id: form.text("session_id"),
        connection_date: form.text("connection_date"),
        identity_provider: form.text("identity_provider"),
        service_providers: form.all("service_providers"),
        birth_names: form.text("birth_names"),
        first_names: form.text("first_names"),
        birth_date: form.text("birth_date"),
        birth_place: form.text("birth_place"),
        email: form.text("email"),
        phone: form.text("phone"),
        description: form.text("description"),
        consent: form.get("consent").is_some(),
    }
}

/// The answer to a refused report: the form again with its errors (in the order of the form when
/// the report's rules found some), or the page of the limit or of the failure.
async fn refused_page(
    state: &ApiState,
    language: Language,
    values: &FormValues,
    refused: Refused,
) -> Response {
    let errors = match refused {
        Refused::Invalid { input, rules } if rules.is_empty() => input,
        Refused::Invalid { mut input, rules } => {
            input.extend(rules);
            input.sort_by_key(|e| {
                FIELD_ORDER
                    .iter()
                    .position(|f| *f == e.field)
                    .unwrap_or(usize::MAX)
            });
            input.dedup_by(|a, b| a.field == b.field);
            input
        }
        Refused::TooMany(wait) => {
            tracing::warn!("public form refused: rate limit per email address");
            return too_many(state, language, wait);
        }
        Refused::Store(StoreError::Refused(refusal)) => refusal
            .errors
            .into_iter()
            .map(|e| FieldError {
                field: if e.field == "suspicious_connection_at" {
                    "connection_date".into()
                } else {
                    e.field
                },
                rule: e.rule,
                message: e.message,
            })
            .collect(),
        Refused::Store(error) => return unavailable(state, language, &error),
    };
    show_form(
        state,
        language,
        StatusCode::UNPROCESSABLE_ENTITY,
        values,
        &errors,
        None,
    )
    .await
}

/// The order of the form's fields, for the error summary.
const FIELD_ORDER: [&str; 13] = [
    "session_id",
    "connection_date",
    "identity_provider",
    "service_providers",
    "birth_names",
    "first_names",
    "birth_date",
    "birth_place",
    "email",
    "phone",
    "description",
    "files",
    "consent",
];

/// Typed values from the form's text; the errors of fields that do not parse.
fn parse_values(values: &FormValues, language: Language) -> (PublicReport, Vec<FieldError>) {
    let mut errors = Vec::new();
    let mut format_error = |field: &str| {
        errors.push(FieldError {
            field: field.to_owned(),
            rule: "format".to_owned(),
            message: "has not the expected format".to_owned(),
        });
    };
    let session_id = match values.session_id.trim() {
        "" => None,
        text => uuid::Uuid::parse_str(text)
            .map_err(|_| format_error("session_id"))
            .ok(),
    };
    let connection_date = match values.connection_date.trim() {
        "" => None,
        text => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| format_error("connection_date"))
            .ok(),
    };
    let birth_date = match values.birth_date.trim() {
        "" => None,
        text => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| format_error("birth_date"))
            .ok(),
    };
    let identity_provider = match values.identity_provider.trim() {
        "" => None,
        text => uuid::Uuid::parse_str(text)
            .map(OrganisationId)
            .map_err(|_| format_error("identity_provider"))
            .ok(),
    };
    let mut service_providers = Vec::new();
    for text in &values.service_providers {
        match uuid::Uuid::parse_str(text.trim()) {
            Ok(id) => service_providers.push(OrganisationId(id)),
            Err(_) => format_error("service_providers"),
        }
    }
    let report = PublicReport {
        session_id,
        connection_date,
        identity_provider,
        service_providers,
        birth_names: values.birth_names.clone(),
        first_names: values.first_names.clone(),
        birth_date,
        birth_place: values.birth_place.clone(),
        email: values.email.clone(),
        phone: values.phone.clone(),
        description: values.description.clone(),
        consent: values.consent,
        language,
    };
    // A date that did not parse is reported once, as a format error, not also as missing.
    (report, errors)
}

#[handler]
pub(super) async fn submit(
    state: Data<&ApiState>,
    Data(language): Data<&Language>,
    request: &Request,
    body: Body,
) -> Response {
    submit_form(&state, request, body, *language).await
}
