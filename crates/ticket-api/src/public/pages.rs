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

#[cfg(test)]
mod tests {
    use super::*;
    use ticket_wording::Wording;

    fn overridden() -> Wording {
        let mut wording = Wording::shipped();
        for (language, text) in [
            (
                Language::Fr,
                "page-site = Guichet <b>Usurpation</b>\npage-submit = Transmettre\n",
            ),
            (
                Language::En,
                "page-site = Theft <b>desk</b>\npage-submit = Send it now\n",
            ),
        ] {
            assert!(wording.replace(language, text, "test").is_ok());
        }
        wording
    }

    fn frame(w: Words<'_>, policy: &Policy) -> Frame {
        let config = PublicConfig {
            operator_name: "Opérateur <Test>".into(),
            ..PublicConfig::default()
        };
        Frame::new(w, &config, policy, None)
    }

    /// Every public page, in both languages, from an operator-overridden wording file: the
    /// operator's words appear, and what users typed (and the operator wrote) stays text.
    #[test]
    fn every_page_renders_the_operators_words_and_escapes_what_users_typed() {
        let wording = overridden();
        let policy = Policy {
            connection_trace_months: 3,
            personal_data_retention_months: 4,
            ..Policy::default()
        };
        for (language, site) in [(Language::Fr, "Guichet"), (Language::En, "Theft")] {
            let w = wording.language(language);
            let values = FormValues {
                birth_names: "<script>alert(1)</script>".into(),
                ..FormValues::default()
            };
            let errors = vec![FieldError {
                field: "connection_date".into(),
                rule: "within_trace_retention".into(),
                message: String::new(),
            }];
            let context = FormContext {
                w,
                policy: &policy,
                frame: frame(w, &policy),
                csrf: "token".into(),
                identity_providers: Vec::new(),
                service_providers: Vec::new(),
                notice: String::new(),
            };
            let form = render(&FormPage::new(context, &values, &errors));
            assert!(
                form.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
                "{form}"
            );
            assert!(form.contains(if language == Language::Fr {
                "Transmettre"
            } else {
                "Send it now"
            }));
            for months in ["3 derniers mois|last 3 months", "4 mois|4 months"] {
                let (fr, en) = months.split_once('|').unwrap_or_default();
                let wanted = if language == Language::Fr { fr } else { en };
                assert!(form.contains(wanted), "the policy's numbers: {wanted}");
            }
            let confirmation = render(&Confirmation {
                w,
                frame: frame(w, &policy),
                title: w.t("page-confirmation-title"),
                reference: "USU-2026-000001".into(),
                tracking_path: language.tracking_path("s3cret"),
                tracking_url: language.tracking_url("https://example.fr", "s3cret"),
                answer_expected: answer_expected(w, &policy),
            });
            assert!(confirmation.contains("pre-plainte-en-ligne.gouv.fr"));
            let tracking = render(&TrackingPage {
                w,
                frame: frame(w, &policy),
                title: w.t("page-tracking-title"),
                reference: "USU-2026-000001".into(),
                notice: String::new(),
                error_title: String::new(),
                errors: Vec::new(),
                state: w.with("state", &[("state", Arg::name(&ticket_domain::State::New))]),
                state_explained: String::new(),
                closure: String::new(),
                resolved: false,
                open: true,
                csrf: "token".into(),
                version: 1,
                action_base: language.tracking_path("s3cret"),
                files: Vec::new(),
                files_action: String::new(),
                files_hint: files_hint(w),
                files_error: String::new(),
                history: vec![HistoryLine {
                    at: "2026-11-23 10:00".into(),
                    who: w.t("page-you"),
                    text: "<img src=x onerror=alert(1)>".into(),
                }],
            });
            assert!(
                tracking.contains("&#60;img src=x onerror=alert(1)&#62;"),
                "{tracking}"
            );
            let message = render(&MessagePage {
                w,
                frame: frame(w, &policy),
                title: w.t("page-not-found-title"),
                text: w.t("page-not-found"),
                back: true,
            });
            for page in [&form, &confirmation, &tracking, &message] {
                assert!(page.contains(&format!(r#"<html lang="{}">"#, language.code())));
                assert!(page.contains(site), "the operator's words");
                assert!(page.contains("Guichet &#60;b&#62;") || page.contains("Theft &#60;b&#62;"));
                assert!(
                    page.contains("Opérateur &#60;Test&#62;"),
                    "the operator's name"
                );
                assert!(!page.contains("<script>") && !page.contains("<b>"));
            }
        }
    }
}
