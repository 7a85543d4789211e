//! The OpenID Connect relying party: discovery and keys (fetched, cached, fetched again when a
//! token names a key this service has not seen: keys rotate without a restart), the authorization
//! request (code flow with PKCE, `state`, `nonce`), the code exchange and the ID token's checks
//! (signature, issuer, audience, expiry, nonce: all by the `openidconnect` crate), RP-initiated
//! log-out, and the back-channel log-out token's checks.

use super::ProviderConfig;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IdToken, IdTokenClaims, IssuerUrl, JsonWebTokenType, LogoutRequest, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout,
    RedirectUrl, Scope, SignatureVerificationError, TokenResponse as _,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ticket_store::clock::Clock;
use tokio::sync::RwLock;

/// How long a provider's discovery document and keys are used before they are fetched again.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

/// A token naming an unknown key fetches the keys again, at most this often (a stream of forged
/// key ids does not turn into a stream of requests to the provider).
const REFETCH_INTERVAL: Duration = Duration::from_secs(10);

/// The event a back-channel log-out token must carry.
const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Claims beyond the standard ones: the groups claim, `sid`, `events`, whatever the provider
/// names them.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

type StaffIdToken = IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// Why a sign-in or a log-out token was refused: a short rule name, fit for the audit list
/// (never a token, a secret or personal data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OidcRefusal {
    /// The provider could not be reached or answered something unusable.
    ProviderUnavailable,
    /// The code exchange failed (a code used twice, a wrong PKCE verifier, a wrong secret).
    CodeExchange,
    NoIdToken,
    Expired,
    Signature,
    Audience,
    Issuer,
    Nonce,
    /// Anything else wrong with the token's claims.
    InvalidToken,
}

impl OidcRefusal {
    pub fn reason(self) -> &'static str {
        match self {
            Self::ProviderUnavailable => "provider-unavailable",
            Self::CodeExchange => "code-exchange-failed",
            Self::NoIdToken => "no-id-token",
            Self::Expired => "id-token-expired",
            Self::Signature => "id-token-signature",
            Self::Audience => "id-token-audience",
            Self::Issuer => "id-token-issuer",
            Self::Nonce => "id-token-nonce",
            Self::InvalidToken => "id-token-invalid",
        }
    }
}

fn refusal_of(error: &ClaimsVerificationError) -> OidcRefusal {
    match error {
        ClaimsVerificationError::Expired(_) => OidcRefusal::Expired,
        ClaimsVerificationError::SignatureVerification(_) => OidcRefusal::Signature,
        ClaimsVerificationError::InvalidAudience(_) => OidcRefusal::Audience,
        ClaimsVerificationError::InvalidIssuer(_) => OidcRefusal::Issuer,
        ClaimsVerificationError::InvalidNonce(_) => OidcRefusal::Nonce,
        _ => OidcRefusal::InvalidToken,
    }
}

/// Who the provider says signed in.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    /// The email, only when the provider says it is verified (or the provider is trusted to send
    /// verified addresses only).
    pub verified_email: Option<String>,
    pub name: Option<String>,
    pub groups: Vec<String>,
    pub sid: Option<String>,
    /// The ID token itself, kept for the provider's log-out (`id_token_hint`).
    pub id_token: String,
}

/// What an authorization request leaves to remember.
#[derive(Debug)]
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

type Metadata = ProviderMetadataWithLogout;

#[derive(Debug)]
struct Discovered {
    metadata: Metadata,
    fetched: Instant,
    /// Fetched because a token named an unknown key.
    forced: bool,
}

/// One configured provider and what was discovered of it.
#[derive(Debug)]
pub struct Provider {
    pub config: ProviderConfig,
    discovered: RwLock<Option<Discovered>>,
}

/// The relying party: the providers, the HTTP client that reaches them, the redirect address.
#[derive(Debug)]
pub struct RelyingParty {
    providers: Vec<Provider>,
    http: openidconnect::reqwest::Client,
    redirect_uri: String,
    post_logout_uri: String,
    clock: Arc<dyn Clock>,
}

impl RelyingParty {
    /// `base_url` is this service's address as browsers reach it: the provider sends people back
    /// to `{base_url}/signin/callback`.
    pub fn new(
        providers: Vec<ProviderConfig>,
        base_url: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, String> {
        let http = openidconnect::reqwest::Client::builder()
            // The provider's answers are followed by no redirect (no request forged elsewhere).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        let base = base_url.trim_end_matches('/');
        Ok(Self {
            providers: providers
                .into_iter()
                .map(|config| Provider {
                    config,
                    discovered: RwLock::new(None),
                })
                .collect(),
            http,
            redirect_uri: format!("{base}{}", super::CALLBACK_PATH),
            post_logout_uri: format!("{base}{}", super::SIGNIN_PATH),
            clock,
        })
    }

    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    pub fn provider(&self, name: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.config.name == name)
    }

    /// The provider's metadata, from the cache unless older than [`DISCOVERY_TTL`] or `refresh`
    /// asks for new keys (not more often than [`REFETCH_INTERVAL`]).
    async fn metadata(&self, provider: &Provider, refresh: bool) -> Result<Metadata, OidcRefusal> {
        {
            let cached = provider.discovered.read().await;
            if let Some(found) = cached.as_ref() {
                let age = found.fetched.elapsed();
                let fresh = if refresh {
                    found.forced && age < REFETCH_INTERVAL
                } else {
                    age < DISCOVERY_TTL
                };
                if fresh {
                    return Ok(found.metadata.clone());
                }
            }
        }
        let issuer = IssuerUrl::new(provider.config.issuer.clone()).map_err(|_| {
            tracing::warn!(provider = %provider.config.name, "the provider's issuer is not a URL");
            OidcRefusal::ProviderUnavailable
        })?;
        let metadata = Metadata::discover_async(issuer, &self.http)
            .await
            .map_err(|error| {
                tracing::warn!(provider = %provider.config.name, %error,
                    "the provider's discovery document or keys could not be fetched");
                OidcRefusal::ProviderUnavailable
            })?;
        *provider.discovered.write().await = Some(Discovered {
            metadata: metadata.clone(),
            fetched: Instant::now(),
            forced: refresh,
        });
        Ok(metadata)
    }

    fn client(
        &self,
        provider: &Provider,
        metadata: Metadata,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OidcRefusal,
    > {
        let redirect =
            RedirectUrl::new(self.redirect_uri.clone()).map_err(|_| OidcRefusal::InvalidToken)?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.config.client_id.clone()),
            provider.config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// The address to send the browser to, and the state, nonce and PKCE verifier to keep.
    pub async fn authorize(&self, provider: &Provider) -> Result<Authorization, OidcRefusal> {
        let metadata = self.metadata(provider, false).await?;
        let client = self.client(provider, metadata)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in provider.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code (with the PKCE verifier) and checks the ID token: signature with the
    /// provider's keys (fetched again once if the token names an unknown key), issuer, audience,
    /// expiry against this service's clock, nonce.
    pub async fn finish(
        &self,
        provider: &Provider,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<Identity, OidcRefusal> {
        let metadata = self.metadata(provider, false).await?;
        let client = self.client(provider, metadata)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|_| OidcRefusal::ProviderUnavailable)?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|error| {
                tracing::info!(provider = %provider.config.name, error = %error_kind(&error),
                    "the provider refused the code exchange");
                OidcRefusal::CodeExchange
            })?;
        let raw = response
            .id_token()
            .ok_or(OidcRefusal::NoIdToken)?
            .to_string();
        let nonce = Nonce::new(nonce.to_owned());
        let claims = self
            .verified(provider, &raw, |claims_nonce: Option<&Nonce>| {
                (&nonce).verify_nonce(claims_nonce)
            })
            .await?;
        Ok(self.identity(provider, claims, raw))
    }

    /// A token's verified claims; on an unknown key, the keys are fetched again and the token
    /// checked once more.
    async fn verified<N>(
        &self,
        provider: &Provider,
        raw: &str,
        nonce: N,
    ) -> Result<IdTokenClaims<OtherClaims, CoreGenderClaim>, OidcRefusal>
    where
        N: Fn(Option<&Nonce>) -> Result<(), String>,
    {
        let token: StaffIdToken = raw.parse().map_err(|_| OidcRefusal::InvalidToken)?;
        let mut refreshed = false;
        loop {
            let metadata = self.metadata(provider, refreshed).await?;
            let client = self.client(provider, metadata)?;
            let clock = Arc::clone(&self.clock);
            let verifier = client
                .id_token_verifier()
                .set_time_fn(move || clock.now())
                .set_allowed_jose_types(
                    ["JWT", "application/jwt", "logout+jwt"]
                        .into_iter()
                        .filter_map(|t| JsonWebTokenType::new(t.to_owned()).normalize().ok()),
                );
            match token.claims(&verifier, &nonce) {
                Ok(claims) => return Ok(claims.clone()),
                Err(ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                )) if !refreshed => refreshed = true,
                Err(error) => return Err(refusal_of(&error)),
            }
        }
    }

    fn identity(
        &self,
        provider: &Provider,
        claims: IdTokenClaims<OtherClaims, CoreGenderClaim>,
        id_token: String,
    ) -> Identity {
        let rest = &claims.additional_claims().rest;
        let verified = claims.email_verified().unwrap_or(false) || provider.config.trust_email;
        let verified_email = claims
            .email()
            .filter(|_| verified)
            .map(|email| email.as_str().to_owned());
        let name = match provider.config.name_claim.as_str() {
            "name" => claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
            "given_name" => claims
                .given_name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
            "family_name" => claims
                .family_name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
            "preferred_username" => claims.preferred_username().map(|u| u.as_str().to_owned()),
            "email" => claims.email().map(|e| e.as_str().to_owned()),
            other => rest.get(other).and_then(|v| v.as_str()).map(str::to_owned),
        };
        let groups = provider
            .config
            .groups_claim
            .as_deref()
            .and_then(|claim| rest.get(claim))
            .map(|value| match value {
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect(),
                serde_json::Value::String(one) => vec![one.clone()],
                _ => Vec::new(),
            })
            .unwrap_or_default();
        Identity {
            subject: claims.subject().as_str().to_owned(),
            verified_email,
            name,
            groups,
            sid: rest.get("sid").and_then(|v| v.as_str()).map(str::to_owned),
            id_token,
        }
    }

    /// The provider's end-session address for a session signed in with `id_token`
    /// (RP-initiated log-out), when the provider has one.
    pub async fn end_session_url(
        &self,
        provider: &Provider,
        id_token: Option<&str>,
    ) -> Option<String> {
        let metadata = self.metadata(provider, false).await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut request = LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(provider.config.client_id.clone()));
        if let Ok(redirect) = PostLogoutRedirectUrl::new(self.post_logout_uri.clone()) {
            request = request.set_post_logout_redirect_uri(redirect);
        }
        if let Some(hint) = id_token.and_then(|raw| raw.parse::<StaffIdToken>().ok()) {
            request = request.set_id_token_hint(&hint);
        }
        Some(request.http_get_url().to_string())
    }

    /// Checks a back-channel log-out token (a JWT signed like the ID tokens: same keys, issuer,
    /// audience, expiry checks; no nonce; the back-channel event) and returns the `sub` and `sid`
    /// it names.
    pub async fn logout_token(
        &self,
        provider: &Provider,
        raw: &str,
    ) -> Result<(String, Option<String>), OidcRefusal> {
        let claims = self
            .verified(provider, raw, |nonce: Option<&Nonce>| match nonce {
                None => Ok(()),
                Some(_) => Err("a log-out token carries no nonce".to_owned()),
            })
            .await?;
        let rest = &claims.additional_claims().rest;
        let event = rest
            .get("events")
            .and_then(|e| e.as_object())
            .is_some_and(|events| events.contains_key(BACKCHANNEL_EVENT));
        if !event {
            return Err(OidcRefusal::InvalidToken);
        }
        Ok((
            claims.subject().as_str().to_owned(),
            rest.get("sid").and_then(|v| v.as_str()).map(str::to_owned),
        ))
    }
}

/// The nonce check of a sign-in, written as the crate's own `&Nonce` check.
trait VerifyNonce {
    fn verify_nonce(self, claims_nonce: Option<&Nonce>) -> Result<(), String>;
}

impl VerifyNonce for &Nonce {
    fn verify_nonce(self, claims_nonce: Option<&Nonce>) -> Result<(), String> {
        openidconnect::NonceVerifier::verify(self, claims_nonce)
    }
}

/// What kind of failure a code exchange met, without the provider's text (it may echo input).
fn error_kind<E: std::error::Error>(error: &E) -> &'static str {
    let text = error.to_string();
    if text.contains("Server returned error response") {
        "error-response"
    } else if text.contains("Request failed") {
        "request-failed"
    } else {
        "parse-failed"
    }
}
