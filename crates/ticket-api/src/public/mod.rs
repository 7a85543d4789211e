//! The public side: the identity-theft report form (`/signalement`, `/en/report`), the
//! confirmation and private tracking pages (`/suivi/{secret}`, `/en/tracking/{secret}`), and
//! `POST /api/v1/public/identity-theft-reports` for partners' own forms.
//!
//! Anti-abuse: a signed double-submit CSRF token, a honeypot field, a body size limit, and rate
//! limits per IP address and per email address (configurable), answered 429 with a readable page.

mod actions;
pub mod api;
pub mod csrf;
mod form;
pub mod pages;
pub mod rate;
mod report;
mod respond;
mod submission;
mod tracking;

use actions::act;
use csrf::Csrf;
use poem::{Endpoint, EndpointExt as _, Route, get, post};
use rate::{Limit, RateLimiter};
use respond::style;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use ticket_domain::Language;
use ticket_wording::{Wording, Words};
use tracking::{confirmation, download};

pub use submission::{MAX_FORM_BYTES, PUBLIC_MAX_FILES, forwarded_client};

/// Settings of the public pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PublicConfig {
    /// Absolute address of this service as the public reaches it, for the links in pages and mails.
    pub base_url: String,
    /// Key signing the forms' CSRF tokens (at least 32 characters); random per process when absent,
    /// so set it when several replicas serve the forms.
    pub csrf_key: Option<String>,
    /// Reports accepted per client IP address.
    pub per_ip: Limit,
    /// Reports accepted per email address.
    pub per_email: Limit,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// How many proxies in front of this service append to `X-Forwarded-For` (1 to 10): the
    /// client address is the entry that many places from the right, the last one no trusted
    /// proxy added (entries further left are the client's own and never trusted).
    pub trusted_proxy_hops: usize,
    /// Who runs the service, named at the foot of every public page.
    pub operator_name: String,
    /// The operator's postal address, shown under its name (none when empty).
    pub operator_address: String,
    /// The operator's privacy notice, linked from every public page.
    pub privacy_url: String,
    /// The online pre-complaint service, linked from the confirmation page.
    pub pre_complaint_url: String,
    /// The THESEE online complaint service for internet scams, linked from the confirmation page.
    pub thesee_url: String,
}

impl Default for PublicConfig {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8080".to_owned(),
            csrf_key: None,
            per_ip: Limit {
                max: 10,
                window_seconds: 3600,
            },
            per_email: Limit {
                max: 3,
                window_seconds: 86_400,
            },
            trust_forwarded_for: false,
            trusted_proxy_hops: 1,
            operator_name: "l'opérateur de la fédération d'identité".to_owned(),
            operator_address: String::new(),
            privacy_url:
                "https://www.cnil.fr/fr/les-droits-pour-maitriser-vos-donnees-personnelles"
                    .to_owned(),
            pre_complaint_url: "https://www.pre-plainte-en-ligne.gouv.fr/".to_owned(),
            thesee_url: "https://www.service-public.fr/particuliers/vosdroits/R63156".to_owned(),
        }
    }
}

/// The public side's state: its settings, the CSRF key and the rate limiters.
#[derive(Debug)]
pub struct PublicState {
    pub config: PublicConfig,
    pub csrf: Csrf,
    pub per_ip: RateLimiter,
    pub per_email: RateLimiter,
    /// The words of the pages (the shipped catalogue, or the operator's).
    pub wording: Arc<Wording>,
}

impl PublicState {
    /// Rate limits kept in memory: one process (SQLite).
    pub fn new(config: PublicConfig) -> Self {
        Self {
            csrf: Csrf::new(config.csrf_key.as_deref().map(str::as_bytes)),
            per_ip: RateLimiter::new(config.per_ip),
            per_email: RateLimiter::new(config.per_email),
            wording: Arc::new(Wording::shipped()),
            config,
        }
    }

    /// Rate limits kept in `store`'s database, shared by the replicas on it (PostgreSQL);
    /// `key` (shared by the replicas too) keys the hashes stored in place of the addresses.
    pub fn shared(config: PublicConfig, store: &ticket_store::Store, key: &[u8]) -> Self {
        Self {
            csrf: Csrf::new(config.csrf_key.as_deref().map(str::as_bytes)),
            per_ip: RateLimiter::shared(config.per_ip, store.clone(), "ip", key),
            per_email: RateLimiter::shared(config.per_email, store.clone(), "email", key),
            wording: Arc::new(Wording::shipped()),
            config,
        }
    }

    /// Writes the pages with `wording` (the operator's) instead of the shipped words.
    #[must_use]
    pub fn with_wording(mut self, wording: Arc<Wording>) -> Self {
        self.wording = wording;
        self
    }

    fn words(&self, language: Language) -> Words<'_> {
        self.wording.language(language)
    }

    fn secure_cookie(&self) -> bool {
        self.config.base_url.starts_with("https://")
    }
}

/// Adds the routes of the public pages to `route`: each page at its French and its English
/// address, the handler told the language.
pub fn add_routes(route: Route) -> Route {
    use actions::Action::{Files, Information, Resolution};
    let route = route.at("/public.css", get(style));
    let route = bilingual(route, ("/signalement", "/en/report"), || {
        get(form::show).post(form::submit)
    });
    let route = bilingual(route, ("/suivi/:secret", "/en/tracking/:secret"), || {
        get(tracking::show)
    });
    let route = bilingual(
        route,
        (
            "/suivi/:secret/confirmation",
            "/en/tracking/:secret/confirmation",
        ),
        || get(confirmation),
    );
    let route = bilingual(
        route,
        (
            "/suivi/:secret/information",
            "/en/tracking/:secret/information",
        ),
        || post(act).data(Information),
    );
    let route = bilingual(
        route,
        ("/suivi/:secret/fichiers", "/en/tracking/:secret/files"),
        || post(act).data(Files),
    );
    let route = bilingual(
        route,
        (
            "/suivi/:secret/fichiers/:id",
            "/en/tracking/:secret/files/:id",
        ),
        || get(download),
    );
    bilingual(
        route,
        (
            "/suivi/:secret/resolution",
            "/en/tracking/:secret/resolution",
        ),
        || post(act).data(Resolution),
    )
}

/// One page at its French and its English address, its handler told the language by each.
fn bilingual<E>(route: Route, (fr, en): (&str, &str), endpoint: impl Fn() -> E) -> Route
where
    E: Endpoint + 'static,
{
    route
        .at(fr, endpoint().data(Language::Fr))
        .at(en, endpoint().data(Language::En))
}

/// The methods the public pages answer at `path` (for `Allow` on a 405), as [`add_routes`]
/// routes them.
pub fn methods_of(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["public.css"] | ["suivi", _] | ["en", "tracking", _] => Some("GET"),
        ["signalement"] | ["en", "report"] => Some("GET, POST"),
        ["suivi", _, "confirmation"] | ["en", "tracking", _, "confirmation"] => Some("GET"),
        ["suivi", _, "information" | "resolution" | "fichiers"]
        | ["en", "tracking", _, "information" | "resolution" | "files"] => Some("POST"),
        ["suivi", _, "fichiers", _] | ["en", "tracking", _, "files", _] => Some("GET"),
        _ => None,
    }
}
