//! The public pages, rendered by askama templates (`templates/public/`): compile-time checked,
//! every value escaped. One view per page (`pages/`); the words come from the catalogue
//! (`ticket-wording`), the operator's facts and links from [`super::PublicConfig`].
//!
//! Accessibility (WCAG 2.1 AA): no JavaScript, labels and fieldsets, an error summary naming and
//! linking each field, values kept after an error, `lang` set, visible focus.

mod confirmation;
mod form;
mod message;
mod tracking;

pub use confirmation::Confirmation;
pub use form::{Choice, FormContext, FormPage, FormValues};
pub use message::MessagePage;
pub use tracking::{HistoryLine, TrackedFile, TrackingPage};

use super::PublicConfig;
use crate::problem::FieldError;
use askama::Template;
use ticket_domain::{Language, Policy, Priority};
use ticket_wording::{Arg, Words};

/// The style sheet: readable, high contrast, visible focus, no script.
pub const STYLE: &str = include_str!("../../templates/public/style.css");

/// What every page's frame shows: the language switch and who runs the service.
#[derive(Debug, Clone)]
pub struct Frame {
    pub lang: &'static str,
    pub other_code: &'static str,
    pub other_href: String,
    pub form_path: &'static str,
    pub operator_line: String,
    pub address_line: String,
    pub retention_line: String,
    pub privacy_url: String,
    pub pre_complaint_url: String,
    pub thesee_url: String,
}

impl Frame {
    /// The frame of a page in `w`'s language whose other-language version is at `other_href`
    /// (the other language's form when `None`).
    pub fn new(
        w: Words<'_>,
        config: &PublicConfig,
        policy: &Policy,
        other_href: Option<String>,
    ) -> Self {
        let other = match w.language {
            Language::Fr => Language::En,
            Language::En => Language::Fr,
        };
        Self {
            lang: w.language.code(),
            other_code: other.code(),
            other_href: other_href.unwrap_or_else(|| other.form_path().to_owned()),
            form_path: w.language.form_path(),
            operator_line: w.with1("page-operator", "operator", &config.operator_name),
            address_line: if config.operator_address.trim().is_empty() {
                String::new()
            } else {
                w.with1("page-operator-address", "address", &config.operator_address)
            },
            retention_line: w.with(
                "page-retention",
                &[("months", Arg::number(policy.personal_data_retention_months))],
            ),
            privacy_url: config.privacy_url.clone(),
            pre_complaint_url: config.pre_complaint_url.clone(),
            thesee_url: config.thesee_url.clone(),
        }
    }
}

/// When the victim can expect an answer, from the policy: identity theft is priority 1.
pub fn answer_expected(w: Words<'_>, policy: &Policy) -> String {
    w.with(
        "page-answer-expected",
        &[
            (
                "hours",
                Arg::number(policy.critical_acknowledgement_target_hours),
            ),
            (
                "days",
                Arg::number(policy.priorities.handling_target_days(Priority::Critique)),
            ),
        ],
    )
}

/// One entry of an error summary: the field it links to, and its name with what is wrong.
#[derive(Debug, Clone)]
pub struct SummaryLine {
    pub field: String,
    pub summary: String,
}

/// The message of a field's error, in words, with the policy's numbers.
pub fn field_message(w: Words<'_>, policy: &Policy, error: &FieldError) -> String {
    w.with(
        "page-field-error",
        &[
            ("field", Arg::text(&error.field)),
            ("rule", Arg::text(&error.rule)),
            ("months", Arg::number(policy.connection_trace_months)),
            ("max", Arg::number(super::PUBLIC_MAX_FILES)),
        ],
    )
}

/// The catalogue id of the label naming `field` in an error summary.
fn label_id(field: &str) -> &'static str {
    match field {
        "session_id" => "page-session-label",
        "connection_date" => "page-connection-label",
        "identity_provider" => "page-idp-label",
        "service_providers" => "page-sp-legend",
        "birth_names" => "page-birth-names-label",
        "first_names" => "page-first-names-label",
        "birth_date" => "page-birth-date-label",
        "birth_place" => "page-birth-place-label",
        "email" => "page-email-label",
        "phone" => "page-phone-label",
        "description" => "page-description-label",
        "files" => "page-files-label",
        "consent" => "page-consent-short",
        "message" => "page-add-info-label",
        "reason" => "page-reject-label",
        _ => "page-field-unnamed",
    }
}

/// The error summary: its title and one line per error naming the field.
pub fn summary(w: Words<'_>, policy: &Policy, errors: &[FieldError]) -> (String, Vec<SummaryLine>) {
    let count = u32::try_from(errors.len()).unwrap_or(u32::MAX);
    let title = w.with("page-error-summary", &[("count", Arg::number(count))]);
    let lines = errors
        .iter()
        .map(|e| SummaryLine {
            field: e.field.clone(),
            summary: w.with(
                "page-error-summary-item",
                &[
                    ("label", Arg::text(w.t(label_id(&e.field)))),
                    ("message", Arg::text(field_message(w, policy, e))),
                ],
            ),
        })
        .collect();
    (title, lines)
}

/// Renders a page; a template that fails to render (it cannot, short of a formatting error)
/// becomes a plain message rather than a panic.
pub fn render(page: &impl Template) -> String {
    page.render().unwrap_or_else(|error| {
        tracing::error!(%error, "a public page failed to render");
        "<!doctype html><title>Error</title><p>Error / Erreur</p>".to_owned()
    })
}

/// The hint of the file inputs, with the number of files taken at once.
pub fn files_hint(w: Words<'_>) -> String {
    w.with(
        "page-files-hint",
        &[("max", Arg::number(super::PUBLIC_MAX_FILES))],
    )
}
