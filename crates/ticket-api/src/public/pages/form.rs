//! The report form, empty or with the values and errors of a refused submission.

use super::{Frame, SummaryLine, field_message, files_hint, summary};
use crate::problem::FieldError;
use askama::Template;
use ticket_domain::Policy;
use ticket_wording::{Arg, Words};

/// The values of the form as typed, to show them again after an error.
#[derive(Debug, Clone, Default)]
pub struct FormValues {
    pub session_id: String,
    pub connection_date: String,
    pub identity_provider: String,
    pub service_providers: Vec<String>,
    pub birth_names: String,
    pub first_names: String,
    pub birth_date: String,
    pub birth_place: String,
    pub email: String,
    pub phone: String,
    pub description: String,
    pub consent: bool,
}

/// An organisation offered in the form's lists.
#[derive(Debug, Clone)]
pub struct Choice {
    pub id: String,
    pub name: String,
    /// Chosen in the values shown again.
    pub chosen: bool,
}

/// One text input, with everything its template needs.
#[derive(Debug, Clone)]
pub struct Input {
    pub name: &'static str,
    pub label: String,
    pub marker: String,
    pub hint: String,
    pub error: String,
    pub kind: &'static str,
    pub value: String,
    pub required: bool,
    pub describedby: String,
    pub autocomplete: &'static str,
    pub no_spellcheck: bool,
}

#[derive(Debug, Template)]
#[template(path = "public/form.html")]
pub struct FormPage<'a> {
    pub w: Words<'a>,
    pub frame: Frame,
    pub title: String,
    pub notice: String,
    pub answer_expected: String,
    pub error_title: String,
    pub errors: Vec<SummaryLine>,
    pub csrf: String,
    pub connection: Vec<Input>,
    pub identity: Vec<Input>,
    pub contact: Vec<Input>,
    pub identity_providers: Vec<Choice>,
    pub idp_error: String,
    pub service_providers: Vec<Choice>,
    pub sp_error: String,
    pub description: String,
    pub description_error: String,
    pub files_hint: String,
    pub files_error: String,
    pub consent: bool,
    pub consent_error: String,
}

/// What the form shows besides its values: its frame, token, lists and messages.
#[derive(Debug)]
pub struct FormContext<'a> {
    pub w: Words<'a>,
    pub policy: &'a Policy,
    pub frame: Frame,
    pub csrf: String,
    pub identity_providers: Vec<Choice>,
    pub service_providers: Vec<Choice>,
    pub notice: String,
}

/// (name, label id, hint id, type, required, autocomplete, no spellcheck)
type Spec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static str,
    bool,
);

const CONNECTION: [Spec; 2] = [
    (
        "session_id",
        "page-session-label",
        "page-session-hint",
        "text",
        false,
        "off",
        true,
    ),
    (
        "connection_date",
        "page-connection-label",
        "page-connection-hint",
        "date",
        false,
        "",
        false,
    ),
];
const IDENTITY: [Spec; 4] = [
    (
        "birth_names",
        "page-birth-names-label",
        "",
        "text",
        true,
        "family-name",
        false,
    ),
    (
        "first_names",
        "page-first-names-label",
        "",
        "text",
        true,
        "given-name",
        false,
    ),
    (
        "birth_date",
        "page-birth-date-label",
        "page-date-hint",
        "date",
        true,
        "bday",
        false,
    ),
    (
        "birth_place",
        "page-birth-place-label",
        "page-birth-place-hint",
        "text",
        true,
        "",
        false,
    ),
];
const CONTACT: [Spec; 2] = [
    (
        "email",
        "page-email-label",
        "page-email-hint",
        "email",
        true,
        "email",
        true,
    ),
    ("phone", "page-phone-label", "", "tel", false, "tel", false),
];

impl<'a> FormPage<'a> {
    pub fn new(context: FormContext<'a>, values: &FormValues, errors: &[FieldError]) -> Self {
        let FormContext { w, policy, .. } = context;
        let error_of = |name: &str| {
            errors
                .iter()
                .find(|e| e.field == name)
                .map(|e| field_message(w, policy, e))
                .unwrap_or_default()
        };
        let input = |spec: &Spec| {
            let (name, label, hint, kind, required, autocomplete, no_spellcheck) = *spec;
            let hint = match hint {
                "" => String::new(),
                "page-connection-hint" => w.with(
                    hint,
                    &[("months", Arg::number(policy.connection_trace_months))],
                ),
                id => w.t(id),
            };
            let error = error_of(name);
            let describedby = [
                (!hint.is_empty()).then(|| format!("{name}-hint")),
                (!error.is_empty()).then(|| format!("{name}-error")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            Input {
                name,
                label: w.t(label),
                marker: w.t(if required {
                    "page-required"
                } else {
                    "page-optional"
                }),
                hint,
                error,
                kind,
                value: value_of(values, name),
                required,
                describedby,
                autocomplete,
                no_spellcheck,
            }
        };
        let (error_title, summary_lines) = summary(w, policy, errors);
        Self {
            w,
            title: w.t("page-form-title"),
            notice: context.notice,
            answer_expected: super::answer_expected(w, policy),
            error_title,
            errors: summary_lines,
            csrf: context.csrf,
            connection: CONNECTION.iter().map(input).collect(),
            identity: IDENTITY.iter().map(input).collect(),
            contact: CONTACT.iter().map(input).collect(),
            identity_providers: context.identity_providers,
            idp_error: error_of("identity_provider"),
            service_providers: context.service_providers,
            sp_error: error_of("service_providers"),
            description: values.description.clone(),
            description_error: error_of("description"),
            files_hint: files_hint(w),
            files_error: error_of("files"),
            consent: values.consent,
            consent_error: error_of("consent"),
            frame: context.frame,
        }
    }
}

fn value_of(values: &FormValues, name: &str) -> String {
    match name {
        "session_id" => &values.session_id,
        "connection_date" => &values.connection_date,
        "birth_names" => &values.birth_names,
        "first_names" => &values.first_names,
        "birth_date" => &values.birth_date,
        "birth_place" => &values.birth_place,
        "email" => &values.email,
        "phone" => &values.phone,
        _ => "",
    }
    .to_owned()
}
