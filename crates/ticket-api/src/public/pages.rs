//! Server-rendered HTML of the public pages: no JavaScript, labels and fieldsets, an error summary
//! linking to each field, values kept after an error, `lang` set, visible focus (WCAG 2.1 AA).

use super::copy::{Copy, copy, field_message, state_words};
use crate::problem::FieldError;
use std::fmt::Write as _;
use ticket_domain::Language;

/// Escapes text for HTML content and attribute values (`&`, `<`, `>`, `"`, `'`).
pub fn escape(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}

/// The page frame: header with the language switch, main content, footer.
pub fn layout(c: &Copy, title: &str, other_language_href: &str, main: &str) -> String {
    format!(
        r##"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} – {site}</title>
<link rel="stylesheet" href="/public.css">
</head>
<body>
<a class="skip-link" href="#content">{skip}</a>
<header class="site-header">
<p class="site-name">{site}</p>
<nav aria-label="Language"><a href="{other_href}" lang="{other_code}" hreflang="{other_code}">{other}</a></nav>
</header>
<main id="content" tabindex="-1">
{main}
</main>
</body>
</html>
"##,
        lang = c.lang,
        title = escape(title),
        site = escape(c.site),
        skip = escape(c.skip),
        other_href = escape(other_language_href),
        other_code = c.other_language_code,
        other = escape(c.other_language),
    )
}

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
}

struct Field<'a> {
    name: &'a str,
    label: &'a str,
    hint: Option<&'a str>,
    required: bool,
}

fn describedby(name: &str, hint: bool, error: bool) -> String {
    let mut ids = Vec::new();
    if hint {
        ids.push(format!("{name}-hint"));
    }
    if error {
        ids.push(format!("{name}-error"));
    }
    if ids.is_empty() {
        String::new()
    } else {
        format!(r#" aria-describedby="{}""#, ids.join(" "))
    }
}

fn label_html(c: &Copy, field: &Field<'_>) -> String {
    let marker = if field.required {
        c.required
    } else {
        c.optional
    };
    format!(
        r#"<label for="{name}">{label} <span class="marker">({marker})</span></label>"#,
        name = field.name,
        label = escape(field.label)
    )
}

fn hint_and_error(c: &Copy, field: &Field<'_>, error: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(hint) = field.hint {
        let _ = write!(
            out,
            r#"<p class="hint" id="{}-hint">{}</p>"#,
            field.name,
            escape(hint)
        );
    }
    if let Some(error) = error {
        let _ = write!(
            out,
            r#"<p class="error-message" id="{}-error"><span class="visually-hidden">{} </span>{}</p>"#,
            field.name,
            escape(c.error_prefix),
            escape(error)
        );
    }
    out
}

fn input(
    c: &Copy,
    field: Field<'_>,
    kind: &str,
    value: &str,
    error: Option<&str>,
    extra: &str,
) -> String {
    format!(
        r#"<div class="field{error_class}">{label}{messages}<input type="{kind}" id="{name}" name="{name}" value="{value}"{describedby}{invalid}{required}{extra}></div>"#,
        error_class = if error.is_some() { " field--error" } else { "" },
        label = label_html(c, &field),
        messages = hint_and_error(c, &field, error),
        kind = kind,
        name = field.name,
        value = escape(value),
        describedby = describedby(field.name, field.hint.is_some(), error.is_some()),
        invalid = if error.is_some() {
            r#" aria-invalid="true""#
        } else {
            ""
        },
        required = if field.required {
            r#" aria-required="true""#
        } else {
            ""
        },
        extra = extra,
    )
}

/// The report form, empty or with the values and errors of a refused submission.
pub fn form_page(
    language: Language,
    values: &FormValues,
    errors: &[FieldError],
    csrf: &str,
    identity_providers: &[Choice],
    service_providers: &[Choice],
    notice: Option<&str>,
) -> String {
    let c = copy(language);
    let error_of = |name: &str| {
        errors
            .iter()
            .find(|e| e.field == name)
            .map(|e| field_message(language, &e.field, &e.rule))
    };
    let mut main = String::new();
    let _ = write!(main, "<h1>{}</h1>", escape(c.form_title));
    if let Some(notice) = notice {
        let _ = write!(
            main,
            r#"<div class="notice" role="status"><p>{}</p></div>"#,
            escape(notice)
        );
    }
    if !errors.is_empty() {
        let title = if errors.len() == 1 {
            c.error_summary_one.to_owned()
        } else {
            c.error_summary_many
                .replace("{n}", &errors.len().to_string())
        };
        let _ = write!(
            main,
            r#"<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1"><h2 id="error-summary-title">{}</h2><ul>"#,
            escape(&title)
        );
        for error in errors {
            let _ = write!(
                main,
                r##"<li><a href="#{}">{}</a></li>"##,
                escape(&error.field),
                escape(field_message(language, &error.field, &error.rule))
            );
        }
        main.push_str("</ul></div>");
    }
    let _ = write!(
        main,
        r#"<p>{}</p><p class="hint">{}</p>"#,
        escape(c.form_intro),
        escape(c.required_note)
    );
    let _ = write!(
        main,
        r#"<form method="post" action="{}" enctype="multipart/form-data" novalidate>"#,
        c.form_path
    );
    let _ = write!(
        main,
        r#"<input type="hidden" name="csrf_token" value="{}">"#,
        escape(csrf)
    );

    // The suspicious connection.
    let _ = write!(
        main,
        r#"<fieldset><legend>{}</legend>"#,
        escape(c.connection_legend)
    );
    main.push_str(&input(
        c,
        Field {
            name: "session_id",
            label: c.session_label,
            hint: Some(c.session_hint),
            required: false,
        },
        "text",
        &values.session_id,
        error_of("session_id"),
        r#" autocomplete="off" spellcheck="false""#,
    ));
    main.push_str(&input(
        c,
        Field {
            name: "connection_date",
            label: c.connection_label,
            hint: Some(c.connection_hint),
            required: false,
        },
        "date",
        &values.connection_date,
        error_of("connection_date"),
        "",
    ));
    {
        let field = Field {
            name: "identity_provider",
            label: c.idp_label,
            hint: None,
            required: false,
        };
        let error = error_of("identity_provider");
        let _ = write!(
            main,
            r#"<div class="field{}">{}{}<select id="identity_provider" name="identity_provider"{}{}><option value="">{}</option>"#,
            if error.is_some() { " field--error" } else { "" },
            label_html(c, &field),
            hint_and_error(c, &field, error),
            describedby("identity_provider", false, error.is_some()),
            if error.is_some() {
                r#" aria-invalid="true""#
            } else {
                ""
            },
            escape(c.idp_unknown)
        );
        for choice in identity_providers {
            let selected = if values.identity_provider == choice.id {
                " selected"
            } else {
                ""
            };
            let _ = write!(
                main,
                r#"<option value="{}"{selected}>{}</option>"#,
                escape(&choice.id),
                escape(&choice.name)
            );
        }
        main.push_str("</select></div>");
    }
    if !service_providers.is_empty() {
        let error = error_of("service_providers");
        let _ = write!(
            main,
            r#"<fieldset class="field{}" id="service_providers" aria-describedby="service_providers-hint{}"><legend>{} <span class="marker">({})</span></legend><p class="hint" id="service_providers-hint">{}</p>"#,
            if error.is_some() { " field--error" } else { "" },
            if error.is_some() {
                " service_providers-error"
            } else {
                ""
            },
            escape(c.sp_legend),
            c.optional,
            escape(c.sp_hint)
        );
        if let Some(error) = error {
            let _ = write!(
                main,
                r#"<p class="error-message" id="service_providers-error"><span class="visually-hidden">{} </span>{}</p>"#,
                escape(c.error_prefix),
                escape(error)
            );
        }
        for (i, choice) in service_providers.iter().enumerate() {
            let checked = if values.service_providers.contains(&choice.id) {
                " checked"
            } else {
                ""
            };
            let _ = write!(
                main,
                r#"<div class="checkbox"><input type="checkbox" id="service_providers-{i}" name="service_providers" value="{}"{checked}><label for="service_providers-{i}">{}</label></div>"#,
                escape(&choice.id),
                escape(&choice.name)
            );
        }
        main.push_str("</fieldset>");
    }
    main.push_str("</fieldset>");

    // Birth identity.
    let _ = write!(
        main,
        r#"<fieldset><legend>{}</legend><p class="hint">{}</p>"#,
        escape(c.identity_legend),
        escape(c.identity_hint)
    );
    main.push_str(&input(
        c,
        Field {
            name: "birth_names",
            label: c.birth_names_label,
            hint: None,
            required: true,
        },
        "text",
        &values.birth_names,
        error_of("birth_names"),
        r#" autocomplete="family-name""#,
    ));
    main.push_str(&input(
        c,
        Field {
            name: "first_names",
            label: c.first_names_label,
            hint: None,
            required: true,
        },
        "text",
        &values.first_names,
        error_of("first_names"),
        r#" autocomplete="given-name""#,
    ));
    main.push_str(&input(
        c,
        Field {
            name: "birth_date",
            label: c.birth_date_label,
            hint: Some(c.date_hint),
            required: true,
        },
        "date",
        &values.birth_date,
        error_of("birth_date"),
        r#" autocomplete="bday""#,
    ));
    main.push_str(&input(
        c,
        Field {
            name: "birth_place",
            label: c.birth_place_label,
            hint: Some(c.birth_place_hint),
            required: true,
        },
        "text",
        &values.birth_place,
        error_of("birth_place"),
        "",
    ));
    main.push_str("</fieldset>");

    // Contact.
    let _ = write!(
        main,
        r#"<fieldset><legend>{}</legend>"#,
        escape(c.contact_legend)
    );
    main.push_str(&input(
        c,
        Field {
            name: "email",
            label: c.email_label,
            hint: Some(c.email_hint),
            required: true,
        },
        "email",
        &values.email,
        error_of("email"),
        r#" autocomplete="email" spellcheck="false""#,
    ));
    main.push_str(&input(
        c,
        Field {
            name: "phone",
            label: c.phone_label,
            hint: None,
            required: false,
        },
        "tel",
        &values.phone,
        error_of("phone"),
        r#" autocomplete="tel""#,
    ));
    main.push_str("</fieldset>");

    // Description.
    {
        let field = Field {
            name: "description",
            label: c.description_label,
            hint: Some(c.description_hint),
            required: true,
        };
        let error = error_of("description");
        let _ = write!(
            main,
            r#"<div class="field{}">{}{}<textarea id="description" name="description" rows="6"{}{} aria-required="true">{}</textarea></div>"#,
            if error.is_some() { " field--error" } else { "" },
            label_html(c, &field),
            hint_and_error(c, &field, error),
            describedby("description", true, error.is_some()),
            if error.is_some() {
                r#" aria-invalid="true""#
            } else {
                ""
            },
            escape(&values.description)
        );
    }

    // Files (optional): the alert mail, a screenshot.
    {
        let error = error_of("files");
        let (label, hint) = files_words(language);
        let _ = write!(
            main,
            r#"<div class="field{}"><label for="files">{} <span class="marker">({})</span></label><p class="hint" id="files-hint">{}</p>{}<input type="file" id="files" name="files" multiple aria-describedby="files-hint{}"{}></div>"#,
            if error.is_some() { " field--error" } else { "" },
            escape(label),
            escape(c.optional),
            escape(hint),
            error
                .map(|e| format!(r#"<p class="error-message" id="files-error"><span class="visually-hidden">{} </span>{}</p>"#, escape(c.error_prefix), escape(e)))
                .unwrap_or_default(),
            if error.is_some() { " files-error" } else { "" },
            if error.is_some() { r#" aria-invalid="true""# } else { "" },
        );
    }

    // Consent.
    {
        let error = error_of("consent");
        let _ = write!(
            main,
            r#"<div class="field{}">{}<div class="checkbox"><input type="checkbox" id="consent" name="consent" value="yes"{}{}{} aria-required="true"><label for="consent">{} <span class="marker">({})</span></label></div></div>"#,
            if error.is_some() { " field--error" } else { "" },
            error
                .map(|e| format!(r#"<p class="error-message" id="consent-error"><span class="visually-hidden">{} </span>{}</p>"#, escape(c.error_prefix), escape(e)))
                .unwrap_or_default(),
            if values.consent { " checked" } else { "" },
            if error.is_some() { r#" aria-describedby="consent-error""# } else { "" },
            if error.is_some() { r#" aria-invalid="true""# } else { "" },
            escape(c.consent_label),
            c.required
        );
    }

    // A field people never see; bots fill it.
    let _ = write!(
        main,
        r#"<div class="hp" aria-hidden="true"><label for="website">{}</label><input type="text" id="website" name="website" tabindex="-1" autocomplete="off"></div>"#,
        escape(c.honeypot_label)
    );
    let _ = write!(
        main,
        r#"<button type="submit">{}</button></form>"#,
        escape(c.submit)
    );
    layout(c, c.form_title, c.other_language_href, &main)
}

fn advice(c: &Copy) -> String {
    format!(
        r#"<section aria-labelledby="next-steps"><h2 id="next-steps">{}</h2><ol class="advice"><li><h3>{}</h3><p>{}</p></li><li><h3>{}</h3><p>{}</p></li><li><h3>{}</h3><p>{}</p><p>{}</p></li></ol></section>"#,
        escape(c.next_steps_title),
        escape(c.advice_passwords_title),
        escape(c.advice_passwords),
        escape(c.advice_account_title),
        escape(c.advice_account),
        escape(c.advice_complaint_title),
        escape(c.advice_complaint),
        escape(c.advice_court),
    )
}

/// After a report: the reference, the private tracking link and what to do now.
pub fn confirmation_page(
    language: Language,
    reference: &str,
    tracking_url: &str,
    tracking_path: &str,
) -> String {
    let c = copy(language);
    let main = format!(
        r#"<h1>{title}</h1><div class="panel" role="status"><p>{reference_label}</p><p class="reference" id="reference">{reference}</p></div><p>{keep}</p><p class="tracking-link"><a id="tracking-link" href="{path}">{url}</a></p><p>{mail}</p>{advice}<p><a class="button" href="{path}">{follow}</a></p>"#,
        title = escape(c.confirmation_title),
        reference_label = escape(c.reference_label),
        reference = escape(reference),
        keep = escape(c.keep_link),
        path = escape(tracking_path),
        url = escape(tracking_url),
        mail = escape(c.mail_sent),
        advice = advice(c),
        follow = escape(c.follow_link),
    );
    layout(c, c.confirmation_title, c.other_language_href, &main)
}

/// One line of the reporter's history.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    pub at: String,
    pub who: String,
    pub text: String,
}

/// The label and hint of the file input.
fn files_words(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::Fr => (
            "Pièces jointes",
            "Par exemple le message d'alerte reçu ou une capture d'écran : jusqu'à 3 fichiers (images, PDF, texte, message .eml, documents bureautiques).",
        ),
        Language::En => (
            "Files",
            "For example the alert message you received or a screenshot: up to 3 files (images, PDF, text, .eml message, office documents).",
        ),
    }
}

/// A public file of the ticket, as its tracking page lists it.
#[derive(Debug, Clone)]
pub struct TrackedFile {
    pub name: String,
    pub size: u64,
    pub href: String,
}

/// What the tracking page shows.
#[derive(Debug, Clone)]
pub struct Tracking<'a> {
    pub reference: &'a str,
    pub state: ticket_domain::State,
    pub closure_words: Option<String>,
    pub history: Vec<HistoryLine>,
    /// The public files, and where to send more.
    pub files: Vec<TrackedFile>,
    pub files_action: &'a str,
    pub version: i64,
    pub csrf: &'a str,
    pub action_base: &'a str,
    pub other_language_href: &'a str,
    pub notice: Option<&'a str>,
    pub errors: Vec<FieldError>,
}

/// The reporter's private page: state in plain words, public history, adding information,
/// confirming or rejecting a resolution.
pub fn tracking_page(language: Language, t: &Tracking<'_>) -> String {
    let c = copy(language);
    let (state, explanation) = state_words(language, t.state);
    let mut main = format!(
        "<h1>{} <span class=\"reference\">{}</span></h1>",
        escape(c.tracking_title),
        escape(t.reference)
    );
    if let Some(notice) = t.notice {
        let _ = write!(
            main,
            r#"<div class="notice" role="status"><p>{}</p></div>"#,
            escape(notice)
        );
    }
    if !t.errors.is_empty() {
        let _ = write!(
            main,
            r#"<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1"><h2 id="error-summary-title">{}</h2><ul>"#,
            escape(c.error_summary_one)
        );
        for error in &t.errors {
            let _ = write!(
                main,
                r##"<li><a href="#{}">{}</a></li>"##,
                escape(&error.field),
                escape(field_message(language, &error.field, &error.rule))
            );
        }
        main.push_str("</ul></div>");
    }
    let _ = write!(
        main,
        r#"<section class="panel" aria-labelledby="state-title"><h2 id="state-title">{}</h2><p class="state" id="state">{}</p><p>{}</p>{}</section>"#,
        escape(c.state_label),
        escape(state),
        escape(explanation),
        t.closure_words
            .as_deref()
            .map(|w| format!("<p>{}</p>", escape(w)))
            .unwrap_or_default()
    );
    let hidden = format!(
        r#"<input type="hidden" name="csrf_token" value="{}"><input type="hidden" name="version" value="{}">"#,
        escape(t.csrf),
        t.version
    );
    if t.state == ticket_domain::State::Resolved {
        let _ = write!(
            main,
            r#"<section aria-labelledby="resolution-title"><h2 id="resolution-title">{title}</h2><form method="post" action="{base}/resolution">{hidden}<input type="hidden" name="answer" value="confirm"><button type="submit" id="confirm-resolution">{confirm}</button></form><form method="post" action="{base}/resolution">{hidden}<input type="hidden" name="answer" value="reject"><div class="field"><label for="reason">{reject_label} <span class="marker">({required})</span></label><textarea id="reason" name="reason" rows="3" aria-required="true"></textarea></div><button type="submit" class="secondary" id="reject-resolution">{reject}</button></form></section>"#,
            title = escape(c.resolution_title),
            base = escape(t.action_base),
            hidden = hidden,
            confirm = escape(c.confirm_submit),
            reject_label = escape(c.reject_label),
            required = c.required,
            reject = escape(c.reject_submit),
        );
    }
    if t.state.is_open() {
        let _ = write!(
            main,
            r#"<section aria-labelledby="add-title"><h2 id="add-title">{title}</h2><form method="post" action="{base}/information">{hidden}<div class="field"><label for="message">{label} <span class="marker">({required})</span></label><p class="hint" id="message-hint">{hint}</p><textarea id="message" name="message" rows="5" aria-describedby="message-hint" aria-required="true"></textarea></div><button type="submit">{submit}</button></form></section>"#,
            title = escape(c.add_info_title),
            base = escape(t.action_base),
            hidden = hidden,
            label = escape(c.add_info_label),
            required = c.required,
            hint = escape(c.add_info_hint),
            submit = escape(c.add_info_submit),
        );
    }
    {
        let (label, hint) = files_words(language);
        let _ = write!(
            main,
            r#"<section aria-labelledby="files-title"><h2 id="files-title">{}</h2><ul class="files" id="file-list">"#,
            escape(label)
        );
        for file in &t.files {
            let _ = write!(
                main,
                r#"<li><a href="{}" download>{}</a> ({} {})</li>"#,
                escape(&file.href),
                escape(&file.name),
                file.size.div_ceil(1024),
                match language {
                    Language::Fr => "Ko",
                    Language::En => "KB",
                }
            );
        }
        main.push_str("</ul>");
        if t.state.is_open() {
            let error = t.errors.iter().find(|e| e.field == "files");
            let _ = write!(
                main,
                r#"<form method="post" action="{base}" enctype="multipart/form-data"><input type="hidden" name="csrf_token" value="{csrf}"><div class="field{class}"><label for="files">{add}</label><p class="hint" id="files-hint">{hint}</p>{error}<input type="file" id="files" name="files" multiple aria-describedby="files-hint"></div><button type="submit" id="send-files">{submit}</button></form>"#,
                base = escape(t.files_action),
                csrf = escape(t.csrf),
                class = if error.is_some() { " field--error" } else { "" },
                add = escape(match language {
                    Language::Fr => "Ajouter des fichiers",
                    Language::En => "Add files",
                }),
                hint = escape(hint),
                error = error
                    .map(|e| format!(
                        r#"<p class="error-message" id="files-error">{}</p>"#,
                        escape(field_message(language, &e.field, &e.rule))
                    ))
                    .unwrap_or_default(),
                submit = escape(match language {
                    Language::Fr => "Envoyer les fichiers",
                    Language::En => "Send the files",
                }),
            );
        }
        main.push_str("</section>");
    }
    let _ = write!(
        main,
        r#"<section aria-labelledby="history-title"><h2 id="history-title">{}</h2><ol class="history">"#,
        escape(c.history_title)
    );
    for line in &t.history {
        let _ = write!(
            main,
            r#"<li><p class="history-meta"><time>{}</time> · {}</p><p>{}</p></li>"#,
            escape(&line.at),
            escape(&line.who),
            escape(&line.text)
        );
    }
    main.push_str("</ol></section>");
    layout(c, c.tracking_title, t.other_language_href, &main)
}

/// A page that only says something: not found, refused, too many, too large.
pub fn message_page(language: Language, title: &str, text: &str, back: bool) -> String {
    let c = copy(language);
    let back_link = if back {
        format!(
            r#"<p><a href="{}">{}</a></p>"#,
            c.form_path,
            escape(c.back_to_form)
        )
    } else {
        String::new()
    };
    let main = format!(
        "<h1>{}</h1><p>{}</p>{}",
        escape(title),
        escape(text),
        back_link
    );
    layout(c, title, c.other_language_href, &main)
}

/// The style sheet: readable, high contrast, visible focus, no script.
pub const STYLE: &str = r#"
:root { --text: #161616; --muted: #3a3a3a; --accent: #000091; --error: #ce0500; --bg: #ffffff; --panel: #f5f5fe; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; font-size: 1rem; line-height: 1.5; color: var(--text); background: var(--bg); }
.skip-link { position: absolute; left: -10000px; top: 0; }
.skip-link:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem 1rem; z-index: 10; }
.site-header { display: flex; justify-content: space-between; align-items: center; padding: 1rem 1.5rem; border-bottom: 4px solid var(--accent); }
.site-name { font-weight: 700; margin: 0; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 2rem; line-height: 1.25; }
fieldset { border: 1px solid #929292; padding: 1rem 1.25rem; margin: 0 0 1.5rem; }
legend { font-weight: 700; font-size: 1.15rem; padding: 0 .25rem; }
.field { margin: 0 0 1.25rem; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
.checkbox { display: flex; gap: .5rem; align-items: flex-start; margin: .5rem 0; }
.checkbox label { font-weight: 400; }
.checkbox input { width: 1.25rem; height: 1.25rem; margin-top: .15rem; flex: none; }
.marker { font-weight: 400; color: var(--muted); }
.hint { color: var(--muted); margin: 0 0 .35rem; }
input[type=text], input[type=email], input[type=tel], input[type=date], select, textarea { width: 100%; font: inherit; padding: .5rem; border: 2px solid #3a3a3a; border-radius: 4px; background: #fff; color: var(--text); }
.field--error input, .field--error select, .field--error textarea { border-color: var(--error); }
.field--error { border-left: 4px solid var(--error); padding-left: .75rem; }
.error-message { color: var(--error); font-weight: 600; margin: 0 0 .35rem; }
.error-summary { border: 3px solid var(--error); padding: 1rem 1.25rem; margin-bottom: 1.5rem; }
.error-summary h2 { margin-top: 0; font-size: 1.25rem; }
.error-summary a { color: var(--error); font-weight: 600; }
.notice, .panel { background: var(--panel); border-left: 4px solid var(--accent); padding: 1rem 1.25rem; margin-bottom: 1.5rem; }
.reference { font-family: ui-monospace, monospace; font-size: 1.35rem; font-weight: 700; }
.tracking-link a { word-break: break-all; }
button, .button { display: inline-block; font: inherit; font-weight: 600; background: var(--accent); color: #fff; border: 2px solid var(--accent); border-radius: 4px; padding: .6rem 1.25rem; cursor: pointer; text-decoration: none; margin: .25rem 0 1rem; }
button.secondary { background: #fff; color: var(--accent); }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus, textarea:focus, main:focus, .error-summary:focus { outline: 3px solid #0a76f6; outline-offset: 2px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.hp { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
.history { padding-left: 1.25rem; }
.history-meta { color: var(--muted); margin-bottom: 0; }
.advice h3 { font-size: 1.1rem; margin-bottom: .25rem; }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;y&#x27;"
        );
    }

    #[test]
    fn the_form_keeps_values_and_links_each_error_to_its_field() {
        let values = FormValues {
            birth_names: "<Martin>".into(),
            ..FormValues::default()
        };
        let errors = vec![FieldError {
            field: "email".into(),
            rule: "required".into(),
            message: String::new(),
        }];
        let html = form_page(Language::Fr, &values, &errors, "token", &[], &[], None);
        assert!(html.contains(r#"<html lang="fr">"#));
        assert!(html.contains(r##"<a href="#email">Ce champ est obligatoire</a>"##));
        assert!(html.contains(r#"value="&lt;Martin&gt;""#));
        assert!(html.contains(r#"aria-invalid="true""#));
        let english = form_page(
            Language::En,
            &FormValues::default(),
            &[],
            "token",
            &[],
            &[],
            None,
        );
        assert!(english.contains(r#"<html lang="en">"#));
        assert!(english.contains("Report identity theft"));
    }
}
