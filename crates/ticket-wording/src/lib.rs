//! The words of the service, for the public pages and the mails alike: one Fluent catalogue per
//! language (`locales/fr.ftl`, `locales/en.ftl`), compiled into the binary.
//!
//! The operator may replace any message by its id from a file per language named in the
//! configuration ([`WordingConfig`]): the file's messages replace the shipped ones, the others
//! stay. An override naming an id the catalogue does not have is refused at startup, so a typo
//! does not go unnoticed.
//!
//! The policy's numbers (trace lifetime, targets) are arguments of the messages, never written in
//! them: an operator who changes the policy gets pages and mails that say so.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use ticket_domain::notify::Language;

/// The shipped French catalogue.
pub const FRENCH: &str = include_str!("../locales/fr.ftl");
/// The shipped English catalogue.
pub const ENGLISH: &str = include_str!("../locales/en.ftl");

/// Where the operator's replacements are read from: one Fluent file per language, each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WordingConfig {
    /// Messages replacing the French ones, by id.
    pub fr: Option<PathBuf>,
    /// Messages replacing the English ones, by id.
    pub en: Option<PathBuf>,
}

/// Why the wording could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum WordingError {
    #[error("cannot read the wording file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the wording file {origin} is not valid Fluent: {detail}")]
    Syntax { origin: String, detail: String },
    #[error("the wording file {origin} replaces messages that do not exist: {ids}")]
    UnknownIds { origin: String, ids: String },
}

/// A value given to a message: text as written, or a number (which plural forms select on).
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Number(f64),
}

impl Arg {
    /// Any displayable value, as text.
    pub fn text(value: impl fmt::Display) -> Self {
        Self::Text(value.to_string())
    }

    /// An enum's name as the API writes it (`waiting_reporter`), for the selectors of the
    /// domain's words (`state`, `closure-reason`…).
    pub fn name(value: &impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(serde_json::Value::String(name)) => Self::Text(name),
            _ => Self::Text(String::new()),
        }
    }

    /// A count or an amount, for plural forms.
    pub fn number(value: impl Into<f64>) -> Self {
        Self::Number(value.into())
    }
}

struct Catalogue {
    bundle: FluentBundle<FluentResource>,
}

impl Catalogue {
    fn new(language: Language, shipped: &str) -> Self {
        let tag = unic_langid::LanguageIdentifier::from_bytes(language.code().as_bytes())
            .unwrap_or_default();
        let mut bundle = FluentBundle::new_concurrent(vec![tag]);
        // Pages and mails are not bidirectional text: no isolation marks around arguments.
        bundle.set_use_isolating(false);
        // The shipped files parse (a test says so); were one broken, its valid messages still load.
        let resource = FluentResource::try_new(shipped.to_owned()).unwrap_or_else(|(r, _)| r);
        bundle.add_resource_overriding(resource);
        Self { bundle }
    }

    fn apply(&mut self, text: &str, origin: &str) -> Result<(), WordingError> {
        let resource = parse(text, origin)?;
        let unknown: Vec<String> = ids(&resource)
            .into_iter()
            .filter(|id| !self.bundle.has_message(id))
            .collect();
        if !unknown.is_empty() {
            return Err(WordingError::UnknownIds {
                origin: origin.to_owned(),
                ids: unknown.join(", "),
            });
        }
        self.bundle.add_resource_overriding(resource);
        Ok(())
    }

    fn format(&self, id: &str, attribute: Option<&str>, args: &[(&str, Arg)]) -> String {
        let Some(message) = self.bundle.get_message(id) else {
            return id.to_owned();
        };
        let pattern = match attribute {
            Some(name) => message.get_attribute(name).map(|a| a.value()),
            None => message.value(),
        };
        let Some(pattern) = pattern else {
            return id.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            let value = match value {
                Arg::Text(text) => FluentValue::from(text.clone()),
                Arg::Number(number) => FluentValue::from(*number),
            };
            fluent_args.set(*name, value);
        }
        let mut errors = Vec::new();
        self.bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    }
}

fn parse(text: &str, origin: &str) -> Result<FluentResource, WordingError> {
    FluentResource::try_new(text.to_owned()).map_err(|(_, errors)| WordingError::Syntax {
        origin: origin.to_owned(),
        detail: errors
            .iter()
            .map(|e| format!("{:?} at {:?}", e.kind, e.pos))
            .collect::<Vec<_>>()
            .join("; "),
    })
}

fn ids(resource: &FluentResource) -> BTreeSet<String> {
    resource
        .entries()
        .filter_map(|entry| match entry {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

/// The catalogue of both languages.
pub struct Wording {
    french: Catalogue,
    english: Catalogue,
}

impl fmt::Debug for Wording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wording").finish_non_exhaustive()
    }
}

impl Wording {
    /// The shipped words, without the operator's replacements.
    pub fn shipped() -> Self {
        Self {
            french: Catalogue::new(Language::Fr, FRENCH),
            english: Catalogue::new(Language::En, ENGLISH),
        }
    }

    /// The shipped words with the operator's replacements read from the files `config` names.
    pub fn load(config: &WordingConfig) -> Result<Self, WordingError> {
        let mut wording = Self::shipped();
        for (language, path) in [(Language::Fr, &config.fr), (Language::En, &config.en)] {
            if let Some(path) = path {
                let text = read(path)?;
                wording.replace(language, &text, &path.display().to_string())?;
            }
        }
        Ok(wording)
    }

    /// Replaces the messages of `language` that `text` (Fluent) defines; `origin` names it in errors.
    pub fn replace(
        &mut self,
        language: Language,
        text: &str,
        origin: &str,
    ) -> Result<(), WordingError> {
        self.catalogue_mut(language).apply(text, origin)
    }

    fn catalogue(&self, language: Language) -> &Catalogue {
        match language {
            Language::Fr => &self.french,
            Language::En => &self.english,
        }
    }

    fn catalogue_mut(&mut self, language: Language) -> &mut Catalogue {
        match language {
            Language::Fr => &mut self.french,
            Language::En => &mut self.english,
        }
    }

    /// The message `id` in `language`; the id itself when the catalogue lacks it (a test checks
    /// that every id the code uses exists).
    pub fn text(&self, language: Language, id: &str) -> String {
        self.catalogue(language).format(id, None, &[])
    }

    /// The message `id` with its arguments.
    pub fn with(&self, language: Language, id: &str, args: &[(&str, Arg)]) -> String {
        self.catalogue(language).format(id, None, args)
    }

    /// The attribute `attribute` of message `id`, with its arguments.
    pub fn attribute(
        &self,
        language: Language,
        id: &str,
        attribute: &str,
        args: &[(&str, Arg)],
    ) -> String {
        self.catalogue(language).format(id, Some(attribute), args)
    }

    /// Whether the catalogue of `language` has a message `id`.
    pub fn has(&self, language: Language, id: &str) -> bool {
        self.catalogue(language).bundle.has_message(id)
    }

    /// The words of one language, for a page or a mail.
    pub fn language(&self, language: Language) -> Words<'_> {
        Words {
            wording: self,
            language,
        }
    }
}

fn read(path: &Path) -> Result<String, WordingError> {
    std::fs::read_to_string(path).map_err(|source| WordingError::Read {
        path: path.to_owned(),
        source,
    })
}

/// The catalogue in one language: what a page template or a mail template holds.
#[derive(Debug, Clone, Copy)]
pub struct Words<'a> {
    pub wording: &'a Wording,
    pub language: Language,
}

impl Words<'_> {
    /// The message `id`.
    pub fn t(&self, id: &str) -> String {
        self.wording.text(self.language, id)
    }

    /// The message `id` with its arguments.
    pub fn with(&self, id: &str, args: &[(&str, Arg)]) -> String {
        self.wording.with(self.language, id, args)
    }

    /// The message `id` with one text argument.
    pub fn with1(&self, id: &str, name: &str, value: impl fmt::Display) -> String {
        self.wording
            .with(self.language, id, &[(name, Arg::text(value))])
    }

    /// The attribute `attribute` of message `id`, with its arguments.
    pub fn attribute(&self, id: &str, attribute: &str, args: &[(&str, Arg)]) -> String {
        self.wording.attribute(self.language, id, attribute, args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message_ids(text: &str) -> BTreeSet<String> {
        match FluentResource::try_new(text.to_owned()) {
            Ok(resource) => ids(&resource),
            Err(_) => BTreeSet::from(["<syntax error>".to_owned()]),
        }
    }

    #[test]
    fn both_languages_have_the_same_messages() {
        let french = message_ids(FRENCH);
        let english = message_ids(ENGLISH);
        assert!(!french.contains("<syntax error>"));
        assert!(!english.contains("<syntax error>"));
        let only_fr: Vec<_> = french.difference(&english).collect();
        let only_en: Vec<_> = english.difference(&french).collect();
        assert!(
            only_fr.is_empty() && only_en.is_empty(),
            "{only_fr:?} {only_en:?}"
        );
    }

    #[test]
    fn an_override_replaces_a_message_by_id_and_keeps_the_others() -> Result<(), WordingError> {
        let mut wording = Wording::shipped();
        let before = wording.text(Language::En, "page-submit");
        wording.replace(Language::Fr, "page-submit = Transmettre\n", "test override")?;
        assert_eq!(wording.text(Language::Fr, "page-submit"), "Transmettre");
        assert_eq!(wording.text(Language::En, "page-submit"), before);
        assert_ne!(
            wording.text(Language::Fr, "page-form-title"),
            "page-form-title"
        );
        Ok(())
    }

    #[test]
    fn an_override_of_an_unknown_id_or_bad_syntax_is_refused() -> Result<(), WordingError> {
        let mut wording = Wording::shipped();
        assert!(matches!(
            wording.replace(Language::Fr, "page-submt = x\n", "typo"),
            Err(WordingError::UnknownIds { .. })
        ));
        assert!(matches!(
            wording.replace(Language::Fr, "page-submit = {\n", "broken"),
            Err(WordingError::Syntax { .. })
        ));
        Ok(())
    }

    #[test]
    fn the_policy_numbers_are_arguments() -> Result<(), WordingError> {
        let wording = Wording::shipped();
        for months in [3_u32, 6] {
            let text = wording.with(
                Language::En,
                "page-connection-hint",
                &[("months", Arg::number(months))],
            );
            assert!(text.contains(&format!("{months} months")), "{text}");
        }
        Ok(())
    }

    #[test]
    fn override_files_named_in_configuration_are_read() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("en.ftl");
        std::fs::write(&path, "page-submit = Send it\n")?;
        let wording = Wording::load(&WordingConfig {
            fr: None,
            en: Some(path),
        })?;
        assert_eq!(wording.text(Language::En, "page-submit"), "Send it");
        Ok(())
    }
}
