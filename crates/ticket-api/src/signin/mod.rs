//! Staff sign-in through the operator's OpenID Connect providers (issue 30), and the browser
//! sessions it opens.
//!
//! - `GET /signin`: the providers to sign in with; `GET /signin/{provider}` starts a sign-in
//!   (authorization code flow with PKCE, `state` and `nonce` kept in the database for ten minutes,
//!   the `state` also in a short-lived cookie so that a sign-in finishes in the browser that
//!   started it); `GET /signin/callback` finishes it.
//! - A person signs in only if the staff directory knows them ([`ticket_store::signin`]); their
//!   role is the one the provider's groups map to (`group_roles`), else the directory's (the role
//!   of their active staff keys); neither gives one: refused.
//! - The session: a random token in a `__Host-` cookie (`HttpOnly; Secure; SameSite=Lax;
//!   Path=/`), its hash in the database, a new one at each sign-in; idle and absolute timeouts
//!   on the service's clock. The API takes it like a key ([`session`]), with the session's CSRF
//!   token on every state-changing request.
//! - `POST /signout` ends it here and at the provider (RP-initiated log-out);
//!   `POST /signin/backchannel-logout/{provider}` takes the provider's log-out token.
//! - Refusals are pages in French or English (the Fluent catalogue, by `Accept-Language`), never
//!   a 5xx but when the provider itself cannot be reached (503).

pub mod audit;
pub mod oidc;
mod pages;
pub mod session;

use crate::ApiState;
use oidc::{OidcRefusal, RelyingParty};
use pages::Refusal;
use poem::http::{StatusCode, header};
use poem::web::{Form, Path, Query};
use poem::{Request, Response, Route, get, handler, post};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use ticket_domain::actor::Role;
use ticket_store::clock::Clock;
use ticket_store::signin::{AuthEventKind, NewSession, PendingSignin, SessionLimits};

pub const SIGNIN_PATH: &str = "/signin";
pub const CALLBACK_PATH: &str = "/signin/callback";
pub const SIGNOUT_PATH: &str = "/signout";
pub const ME_PATH: &str = "/console/me";
pub const BACKCHANNEL_PATH: &str = "/signin/backchannel-logout";

/// The session cookie. `__Host-`: only set by this host, `Secure`, `Path=/`, no `Domain`.
pub const SESSION_COOKIE: &str = "__Host-ticketd-session";
/// The sign-in under way's `state`, so that it finishes in the browser that started it.
pub const SIGNIN_COOKIE: &str = "__Host-ticketd-signin";
/// The header a state-changing request of a session carries its CSRF token in.
pub const CSRF_HEADER: &str = "X-CSRF-Token";
/// The form field a form of the session's pages carries it in.
pub const CSRF_FIELD: &str = "csrf_token";

/// The `signin` section of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigninConfig {
    /// A session ends after this long without a request, in seconds (60 to 86400).
    pub idle_timeout_seconds: u32,
    /// A session ends this long after its sign-in whatever happens, in seconds (300 to 604800).
    pub absolute_timeout_seconds: u32,
    /// The operator's OpenID Connect providers; none: nobody signs in (keys only).
    pub providers: Vec<ProviderConfig>,
}

impl Default for SigninConfig {
    fn default() -> Self {
        Self {
            idle_timeout_seconds: 30 * 60,
            absolute_timeout_seconds: 10 * 3600,
            providers: Vec::new(),
        }
    }
}

/// One OpenID Connect provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Short name, in addresses (`/signin/{name}`) and the audit list: `a-z`, `0-9`, `-`.
    pub name: String,
    /// What the sign-in page shows ("ProConnect"); the name when empty.
    #[serde(default)]
    pub label: String,
    /// The issuer (`iss`); the discovery document is at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// The client secret (`client_secret_basic`); none for a public client (PKCE only).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Scopes asked for (`openid` is always asked).
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The claim that names the person on their page (`name`, `given_name`, `family_name`,
    /// `preferred_username`, `email`, or any other string claim, e.g. `usual_name`).
    #[serde(default = "default_name_claim")]
    pub name_claim: String,
    /// The claim carrying the person's groups (a list of strings, or one string); none: no groups.
    #[serde(default)]
    pub groups_claim: Option<String>,
    /// Group → role (`agent`, `engineer`, `security`, `supervisor`, `admin`, `dpo`).
    #[serde(default)]
    pub group_roles: BTreeMap<String, String>,
    /// Take the `email` claim as verified without `email_verified` (a provider that only
    /// releases addresses it verified, e.g. ProConnect).
    #[serde(default)]
    pub trust_email: bool,
}

fn default_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(str::to_owned).to_vec()
}

fn default_name_claim() -> String {
    "name".to_owned()
}

impl SigninConfig {
    /// Checks what serde cannot; the error names the key (`signin.…`) and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(60..=86_400).contains(&self.idle_timeout_seconds) {
            return Err((
                "signin.idle_timeout_seconds",
                "must be between 60 and 86400".to_owned(),
            ));
        }
        if !(300..=604_800).contains(&self.absolute_timeout_seconds)
            || self.absolute_timeout_seconds < self.idle_timeout_seconds
        {
            return Err((
                "signin.absolute_timeout_seconds",
                "must be between 300 and 604800, and not below the idle timeout".to_owned(),
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for provider in &self.providers {
            let name_ok = !provider.name.is_empty()
                && provider.name.len() <= 40
                && provider
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && provider.name != "callback"
                && provider.name != "backchannel-logout";
            if !name_ok || !names.insert(provider.name.clone()) {
                return Err((
                    "signin.providers.name",
                    format!(
                        "`{}` must be unique, 1 to 40 of a-z, 0-9 and -, and neither `callback` \
                         nor `backchannel-logout`",
                        provider.name
                    ),
                ));
            }
            if !(provider.issuer.starts_with("https://") || provider.issuer.starts_with("http://"))
            {
                return Err((
                    "signin.providers.issuer",
                    format!("provider `{}`: must be an http(s) address", provider.name),
                ));
            }
            if provider.client_id.is_empty() {
                return Err((
                    "signin.providers.client_id",
                    format!("provider `{}`: must not be empty", provider.name),
                ));
            }
            if let Some(role) = provider
                .group_roles
                .values()
                .find(|r| Role::parse(r).is_none())
            {
                return Err((
                    "signin.providers.group_roles",
                    format!("provider `{}`: `{role}` is not a role", provider.name),
                ));
            }
        }
        Ok(())
    }

    pub fn limits(&self) -> SessionLimits {
        SessionLimits {
            idle: chrono::TimeDelta::seconds(i64::from(self.idle_timeout_seconds)),
            absolute: chrono::TimeDelta::seconds(i64::from(self.absolute_timeout_seconds)),
        }
    }

    /// The same settings with the client secrets masked.
    pub fn redacted(&self) -> Self {
        let mut copy = self.clone();
        for provider in &mut copy.providers {
            if provider.client_secret.is_some() {
                provider.client_secret = Some("********".to_owned());
            }
        }
        copy
    }
}

/// The sign-in side's state: the settings and the relying party.
#[derive(Debug)]
pub struct SigninState {
    pub config: SigninConfig,
    pub relying_party: RelyingParty,
    /// Cookies carry `Secure` always; this only says whether the service is reached by https.
    pub base_url: String,
}

impl SigninState {
    pub fn new(
        config: SigninConfig,
        base_url: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, String> {
        Ok(Self {
            relying_party: RelyingParty::new(config.providers.clone(), base_url, clock)?,
            config,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }
}

/// Adds the sign-in pages to `route`.
pub fn add_routes(route: Route) -> Route {
    route
        .at(SIGNIN_PATH, get(choose))
        .at(CALLBACK_PATH, get(callback))
        .at(format!("{SIGNIN_PATH}/:provider"), get(start))
        .at(format!("{BACKCHANNEL_PATH}/:provider"), post(backchannel))
        .at(SIGNOUT_PATH, post(signout))
        .at(ME_PATH, get(me))
}

/// The methods the sign-in pages answer, for the `Allow` of a 405.
pub fn methods_of(path: &str) -> Option<&'static str> {
    if path == SIGNOUT_PATH || path.starts_with(&format!("{BACKCHANNEL_PATH}/")) {
        Some("POST")
    } else if path == SIGNIN_PATH || path == ME_PATH || path.starts_with("/signin/") {
        Some("GET, HEAD")
    } else {
        None
    }
}

fn state_of(request: &Request) -> Option<&ApiState> {
    request.data::<ApiState>()
}

fn cookie(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(name: &str, value: &str, max_age: Option<i64>) -> String {
    let age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    format!("{name}={value}; HttpOnly; Secure; SameSite=Lax; Path=/{age}")
}

fn redirect(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::REFERRER_POLICY, "no-referrer")
        .finish()
}

#[handler]
async fn choose(request: &Request) -> Response {
    let Some(state) = state_of(request) else {
        return pages::missing_state();
    };
    pages::choose(state, pages::language_of(request))
}

#[handler]
async fn start(request: &Request, Path(name): Path<String>) -> Response {
    let Some(state) = state_of(request) else {
        return pages::missing_state();
    };
    let language = pages::language_of(request);
    let Some(provider) = state.signin.relying_party.provider(&name) else {
        return pages::refusal(state, language, Refusal::UnknownProvider);
    };
    let authorization = match state.signin.relying_party.authorize(provider).await {
        Ok(authorization) => authorization,
        Err(refusal) => return refused(state, language, Some(&name), refusal).await,
    };
    let pending = PendingSignin {
        provider: name,
        nonce: authorization.nonce,
        pkce_verifier: authorization.pkce_verifier,
    };
    let now = state.clock.now();
    if let Err(error) = state
        .store
        .start_signin(&authorization.state, &pending, now)
        .await
    {
        tracing::warn!(%error, "a sign-in could not be kept");
        return pages::refusal(state, language, Refusal::Unavailable);
    }
    let mut response = redirect(&authorization.url);
    if let Ok(value) = set_cookie(SIGNIN_COOKIE, &authorization.state, Some(600)).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The provider's answer: `code` and `state`, or `error`.
#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

#[handler]
async fn callback(request: &Request) -> Response {
    let Some(state) = state_of(request) else {
        return pages::missing_state();
    };
    let language = pages::language_of(request);
    let query = Query::<CallbackQuery>::from_request_without_body(request)
        .await
        .map(|q| q.0)
        .unwrap_or(CallbackQuery {
            code: None,
            state: None,
            error: None,
        });
    let now = state.clock.now();
    let Some(state_param) = query.state.filter(|s| !s.is_empty() && s.len() <= 255) else {
        return bad_signin(state, language, None, "state-missing").await;
    };
    // The sign-in under way is taken (once) whatever follows: a state never serves twice.
    let pending = match state.store.take_signin(&state_param, now).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return bad_signin(state, language, None, "state-unknown").await,
        Err(error) => {
            tracing::warn!(%error, "a sign-in could not be read back");
            return pages::refusal(state, language, Refusal::Unavailable);
        }
    };
    let provider_name = pending.provider.clone();
    if cookie(request, SIGNIN_COOKIE).as_deref() != Some(state_param.as_str()) {
        return bad_signin(
            state,
            language,
            Some(&provider_name),
            "state-cookie-mismatch",
        )
        .await;
    }
    if query.error.is_some() {
        let _ = state
            .store
            .record_refused_signin(Some(&provider_name), "provider-error", None, now)
            .await;
        return pages::refusal(state, language, Refusal::Cancelled);
    }
    let Some(code) = query.code.filter(|c| !c.is_empty() && c.len() <= 2048) else {
        return bad_signin(state, language, Some(&provider_name), "code-missing").await;
    };
    let Some(provider) = state.signin.relying_party.provider(&provider_name) else {
        return pages::refusal(state, language, Refusal::UnknownProvider);
    };
    let identity = match state
        .signin
        .relying_party
        .finish(provider, &code, &pending.pkce_verifier, &pending.nonce)
        .await
    {
        Ok(identity) => identity,
        Err(refusal) => return refused(state, language, Some(&provider_name), refusal).await,
    };
    // Stored as given (and bound): longer values than the columns hold are not a subject.
    if identity.subject.len() > 255 || identity.sid.as_ref().is_some_and(|sid| sid.len() > 255) {
        return refused(
            state,
            language,
            Some(&provider_name),
            OidcRefusal::InvalidToken,
        )
        .await;
    }
    let member = match state
        .store
        .signin_member(
            &provider_name,
            &identity.subject,
            identity.verified_email.as_deref(),
            now,
        )
        .await
    {
        Ok(Some(member)) => member,
        Ok(None) => {
            let _ = state
                .store
                .record_refused_signin(Some(&provider_name), "not-in-directory", None, now)
                .await;
            return pages::refusal(state, language, Refusal::NotInDirectory);
        }
        Err(error) => {
            tracing::warn!(%error, "the staff directory could not be read");
            return pages::refusal(state, language, Refusal::Unavailable);
        }
    };
    let mapped = mapped_role(&provider.config, &identity.groups);
    let role = match mapped {
        Some(role) => Some(role),
        None => match state.store.directory_role(&member, now).await {
            Ok(role) => role,
            Err(error) => {
                tracing::warn!(%error, "the staff directory could not be read");
                return pages::refusal(state, language, Refusal::Unavailable);
            }
        },
    };
    let Some(role) = role else {
        let _ = state
            .store
            .record_refused_signin(Some(&provider_name), "no-role", Some(&member), now)
            .await;
        return pages::refusal(state, language, Refusal::NoRole);
    };
    let opened = match state
        .store
        .open_session(
            NewSession {
                handle: member,
                role,
                provider: provider_name,
                subject: identity.subject,
                sid: identity.sid,
                id_token: Some(identity.id_token),
                display_name: identity.name,
            },
            now,
        )
        .await
    {
        Ok(opened) => opened,
        Err(error) => {
            tracing::warn!(%error, "a session could not be opened");
            return pages::refusal(state, language, Refusal::Unavailable);
        }
    };
    tracing::info!(session = %opened.session.id, "staff signed in");
    let mut response = redirect(ME_PATH);
    let headers = response.headers_mut();
    // A new session id at each sign-in: any cookie the browser held before is replaced.
    for value in [
        set_cookie(SESSION_COOKIE, &opened.token, None),
        set_cookie(SIGNIN_COOKIE, "", Some(0)),
    ] {
        if let Ok(value) = value.parse() {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The role the person's groups map to at this provider: the first role, in the order of the
/// roles (agent, engineer, security, supervisor, admin, dpo), that one of their groups maps to.
pub fn mapped_role(provider: &ProviderConfig, groups: &[String]) -> Option<Role> {
    let roles: Vec<Role> = groups
        .iter()
        .filter_map(|group| provider.group_roles.get(group))
        .filter_map(|role| Role::parse(role))
        .collect();
    Role::ALL.into_iter().find(|role| roles.contains(role))
}

async fn bad_signin(
    state: &ApiState,
    language: ticket_domain::Language,
    provider: Option<&str>,
    reason: &str,
) -> Response {
    let _ = state
        .store
        .record_refused_signin(provider, reason, None, state.clock.now())
        .await;
    pages::refusal(state, language, Refusal::StaleRequest)
}

async fn refused(
    state: &ApiState,
    language: ticket_domain::Language,
    provider: Option<&str>,
    refusal: OidcRefusal,
) -> Response {
    let _ = state
        .store
        .record_refused_signin(provider, refusal.reason(), None, state.clock.now())
        .await;
    tracing::info!(reason = refusal.reason(), "a sign-in was refused");
    match refusal {
        OidcRefusal::ProviderUnavailable => pages::refusal(state, language, Refusal::Unavailable),
        _ => pages::refusal(state, language, Refusal::Token),
    }
}

#[handler]
async fn me(request: &Request) -> Response {
    let Some(state) = state_of(request) else {
        return pages::missing_state();
    };
    let language = pages::language_of(request);
    match session::of_request(request, state).await {
        Ok(Some(session)) => pages::me(state, language, &session),
        Ok(None) => redirect(SIGNIN_PATH),
        Err(_) => pages::refusal(state, language, Refusal::Unavailable),
    }
}

/// The log-out form: the session's CSRF token.
#[derive(Debug, Deserialize)]
struct SignoutForm {
    csrf_token: String,
}

#[handler]
async fn signout(request: &Request, form: Option<Form<SignoutForm>>) -> Response {
    let Some(state) = state_of(request) else {
        return pages::missing_state();
    };
    let language = pages::language_of(request);
    let session = match session::of_request(request, state).await {
        Ok(Some(session)) => session,
        Ok(None) => return redirect(SIGNIN_PATH),
        Err(_) => return pages::refusal(state, language, Refusal::Unavailable),
    };
    let token = form.map(|f| f.0.csrf_token);
    if !session::csrf_matches(&session, token.as_deref()) {
        return pages::refusal(state, language, Refusal::Csrf);
    }
    if let Err(error) = state
        .store
        .end_session(session.id, AuthEventKind::SignOut, state.clock.now())
        .await
    {
        tracing::warn!(%error, "a session could not be ended");
        return pages::refusal(state, language, Refusal::Unavailable);
    }
    let at_provider = match state.signin.relying_party.provider(&session.provider) {
        Some(provider) => {
            state
                .signin
                .relying_party
                .end_session_url(provider, session.id_token.as_deref())
                .await
        }
        None => None,
    };
    let mut response = match at_provider {
        Some(url) => redirect(&url),
        None => pages::signed_out(state, language),
    };
    if let Ok(value) = set_cookie(SESSION_COOKIE, "", Some(0)).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The back-channel log-out request: `logout_token`.
#[derive(Debug, Deserialize)]
struct BackchannelForm {
    logout_token: String,
}

/// OpenID Connect Back-Channel Logout 1.0: 200 when the token is good (the sessions it names
/// ended, or none left), 400 otherwise.
#[handler]
async fn backchannel(
    request: &Request,
    Path(name): Path<String>,
    form: Option<Form<BackchannelForm>>,
) -> Response {
    let plain = |status: StatusCode| {
        Response::builder()
            .status(status)
            .header(header::CACHE_CONTROL, "no-store")
            .finish()
    };
    let Some(state) = state_of(request) else {
        return pages::missing_state();
    };
    let Some(provider) = state.signin.relying_party.provider(&name) else {
        return plain(StatusCode::NOT_FOUND);
    };
    let Some(Form(form)) = form else {
        return plain(StatusCode::BAD_REQUEST);
    };
    let (subject, sid) = match state
        .signin
        .relying_party
        .logout_token(provider, &form.logout_token)
        .await
    {
        Ok(named) => named,
        Err(refusal) => {
            tracing::info!(
                reason = refusal.reason(),
                "a back-channel log-out token was refused"
            );
            return plain(StatusCode::BAD_REQUEST);
        }
    };
    match state
        .store
        .end_provider_sessions(&name, Some(&subject), sid.as_deref(), state.clock.now())
        .await
    {
        Ok(ended) => {
            tracing::info!(ended, "back-channel log-out");
            plain(StatusCode::OK)
        }
        Err(error) => {
            tracing::warn!(%error, "sessions could not be ended");
            plain(StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

use poem::FromRequest as _;
