//! Staff sign-in through OpenID Connect (issue 30), over HTTP against an OpenID provider this test
//! serves itself on 127.0.0.1: its discovery document, its keys (JWKS) and its token endpoint are
//! real HTTP endpoints, its ID tokens really signed (RS256, with the `openidconnect` crate) — good
//! ones, and forged ones (expired, tampered, for another audience, with a key the provider does
//! not publish). ticketd checks them with its own code, unchanged: nothing is mocked in it.

use crate::helpers::*;
use chrono::{DateTime, TimeDelta, Utc};
use openidconnect::core::{
    CoreGenderClaim, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{
    AdditionalClaims, Audience, EndUserEmail, EndUserName, IdToken, IdTokenClaims, IssuerUrl,
    JsonWebKeyId, Nonce, PrivateSigningKey as _, StandardClaims, SubjectIdentifier,
};
use poem::web::Json;
use poem::{EndpointExt as _, Route, get, handler, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use ticket_store::clock::Clock as _;
use ticket_store::testkit::Backend;

const KEY1: &str = include_str!("oidc/key1.pem");
const KEY2: &str = include_str!("oidc/key2.pem");
const CLIENT_ID: &str = "ticketd-test";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Extra {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    events: Option<Value>,
}

impl AdditionalClaims for Extra {}

type TestIdToken =
    IdToken<Extra, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

#[derive(Debug, Default)]
struct ProviderState {
    /// The keys the provider publishes.
    published: Vec<String>,
    /// What the token endpoint answers next.
    next_id_token: Option<String>,
    /// The last token request's form.
    last_token_request: Option<String>,
}

/// The test's OpenID provider.
struct Provider {
    issuer: String,
    state: Arc<Mutex<ProviderState>>,
}

fn key(pem: &str, kid: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.to_owned()))).unwrap()
}

#[handler]
fn discovery(poem::web::Data(issuer): poem::web::Data<&Arc<String>>) -> Json<Value> {
    Json(json!({
        "issuer": issuer.as_str(),
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

#[handler]
fn jwks(poem::web::Data(state): poem::web::Data<&Arc<Mutex<ProviderState>>>) -> Json<Value> {
    let published = state.lock().unwrap().published.clone();
    let keys: Vec<_> = published
        .iter()
        .map(|kid| {
            let pem = if kid == "k1" { KEY1 } else { KEY2 };
            key(pem, kid).as_verification_key()
        })
        .collect();
    Json(serde_json::to_value(CoreJsonWebKeySet::new(keys)).unwrap())
}

#[handler]
fn token_endpoint(
    poem::web::Data(state): poem::web::Data<&Arc<Mutex<ProviderState>>>,
    body: String,
) -> poem::Response {
    let mut state = state.lock().unwrap();
    state.last_token_request = Some(body);
    match state.next_id_token.take() {
        Some(id_token) => poem::Response::builder()
            .content_type("application/json")
            .body(
                json!({"access_token": "at", "token_type": "Bearer", "expires_in": 60,
                       "id_token": id_token})
                .to_string(),
            ),
        None => poem::Response::builder()
            .status(poem::http::StatusCode::BAD_REQUEST)
            .content_type("application/json")
            .body(json!({"error": "invalid_grant"}).to_string()),
    }
}

impl Provider {
    async fn start() -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let issuer = format!("http://127.0.0.1:{port}");
        let state = Arc::new(Mutex::new(ProviderState {
            published: vec!["k1".to_owned()],
            ..ProviderState::default()
        }));
        let app = Route::new()
            .at("/.well-known/openid-configuration", get(discovery))
            .at("/jwks", get(jwks))
            .at("/token", post(token_endpoint))
            .data(Arc::new(issuer.clone()))
            .data(Arc::clone(&state));
        let acceptor = poem::listener::TcpListener::bind(format!("127.0.0.1:{port}"));
        tokio::spawn(poem::Server::new(acceptor).run(app));
        // The server is up when its discovery answers.
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client
                .get(format!("{issuer}/.well-known/openid-configuration"))
                .send()
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Provider { issuer, state }
    }

    fn answer_with(&self, id_token: String) {
        self.state.lock().unwrap().next_id_token = Some(id_token);
    }

    fn publish(&self, kids: &[&str]) {
        self.state.lock().unwrap().published = kids.iter().map(|k| (*k).to_owned()).collect();
    }
}

/// What an ID token says; [`Claims::sign`] makes it.
#[derive(Debug, Clone)]
struct Claims {
    issuer: String,
    audience: String,
    subject: String,
    email: Option<String>,
    email_verified: bool,
    name: String,
    groups: Vec<String>,
    nonce: Option<String>,
    issued: DateTime<Utc>,
    expires: DateTime<Utc>,
    sid: Option<String>,
    events: Option<Value>,
    kid: &'static str,
}

impl Claims {
    fn sign(&self) -> String {
        let standard = StandardClaims::new(SubjectIdentifier::new(self.subject.clone()))
            .set_email(self.email.clone().map(EndUserEmail::new))
            .set_email_verified(Some(self.email_verified))
            .set_name(Some(EndUserName::new(self.name.clone()).into()));
        let claims = IdTokenClaims::new(
            IssuerUrl::new(self.issuer.clone()).unwrap(),
            vec![Audience::new(self.audience.clone())],
            self.expires,
            self.issued,
            standard,
            Extra {
                groups: self.groups.clone(),
                sid: self.sid.clone(),
                events: self.events.clone(),
            },
        )
        .set_nonce(self.nonce.clone().map(Nonce::new));
        let pem = if self.kid == "k1" { KEY1 } else { KEY2 };
        TestIdToken::new(
            claims,
            &key(pem, self.kid),
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            None,
            None,
        )
        .unwrap()
        .to_string()
    }
}

struct Signin {
    app: TestApp,
    provider: Provider,
}

/// ticketd with the test provider configured as `test`: group `ticketd-agents` → agent.
async fn start(backend: Backend) -> Option<Signin> {
    let provider = Provider::start().await;
    let issuer = provider.issuer.clone();
    let app = spawn_app_with(backend, move |config| {
        config.signin.providers = vec![ticket_api::signin::ProviderConfig {
            name: "test".to_owned(),
            label: "Test IdP".to_owned(),
            issuer,
            client_id: CLIENT_ID.to_owned(),
            client_secret: Some("client-secret".to_owned()),
            scopes: vec!["openid".to_owned(), "email".to_owned()],
            name_claim: "name".to_owned(),
            groups_claim: Some("groups".to_owned()),
            group_roles: [("ticketd-agents".to_owned(), "agent".to_owned())].into(),
            trust_email: false,
        }];
    })
    .await?;
    Some(Signin { app, provider })
}

/// A sign-in started in a "browser": the provider's address and what it carries.
struct Started {
    state: String,
    nonce: String,
    code_challenge: String,
    location: String,
}

impl Signin {
    /// Good claims for `alice` (known to the directory by her email), for the nonce of `started`.
    fn alice(&self, started: &Started) -> Claims {
        let now = self.app.clock.now();
        Claims {
            issuer: self.provider.issuer.clone(),
            audience: CLIENT_ID.to_owned(),
            subject: "sub-alice".to_owned(),
            email: Some("Alice@staff.example.fr".to_owned()),
            email_verified: true,
            name: "Alice Martin".to_owned(),
            groups: vec!["ticketd-agents".to_owned()],
            nonce: Some(started.nonce.clone()),
            issued: now,
            expires: now + TimeDelta::minutes(5),
            sid: Some("sid-1".to_owned()),
            events: None,
            kid: "k1",
        }
    }

    async fn start(&self) -> Started {
        let response = self.app.get("/signin/test").await;
        assert_eq!(response.status(), 303);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(&format!("{}/authorize?", self.provider.issuer)));
        let url = reqwest::Url::parse(&location).unwrap();
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        assert_eq!(param("response_type"), "code");
        assert_eq!(param("client_id"), CLIENT_ID);
        assert_eq!(param("code_challenge_method"), "S256");
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("Secure"),
            "{cookie}"
        );
        assert_eq!(
            cookie.split(';').next().unwrap(),
            format!("__Host-ticketd-signin={}", param("state"))
        );
        Started {
            state: param("state"),
            nonce: param("nonce"),
            code_challenge: param("code_challenge"),
            location,
        }
    }

    /// The provider sends the browser back with a code; the token endpoint answers `id_token`.
    async fn callback(&self, started: &Started, id_token: String) -> reqwest::Response {
        self.provider.answer_with(id_token);
        self.app
            .client
            .get(self.app.url(&format!(
                "/signin/callback?code=the-code&state={}",
                started.state
            )))
            .header("Cookie", format!("__Host-ticketd-signin={}", started.state))
            .send()
            .await
            .unwrap()
    }

    /// A whole sign-in with `claims` made for it; the session cookie on success.
    async fn sign_in(&self, claims: impl FnOnce(&Started) -> Claims) -> Option<String> {
        let started = self.start().await;
        let response = self.callback(&started, claims(&started).sign()).await;
        if response.status() != 303 {
            return None;
        }
        assert_eq!(response.headers()["location"], "/console/me");
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("__Host-ticketd-session="))
            .unwrap();
        for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        Some(cookie.split(';').next().unwrap().to_owned())
    }

    async fn get_with(&self, cookie: &str, path: &str) -> reqwest::Response {
        self.app
            .client
            .get(self.app.url(path))
            .header("Cookie", cookie)
            .send()
            .await
            .unwrap()
    }

    async fn events(&self) -> Vec<Value> {
        let response = self
            .app
            .get_as(&self.app.keys.admin, "/api/v1/auth-events?limit=200")
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["items"].as_array().unwrap().clone()
    }

    async fn refusal_reasons(&self) -> Vec<String> {
        self.events()
            .await
            .iter()
            .filter(|e| e["kind"] == "sign_in_refused")
            .map(|e| e["reason"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// The CSRF token of the session's page.
async fn csrf_of(page: &str) -> String {
    let marker = "name=\"csrf-token\" content=\"";
    let start = page.find(marker).unwrap() + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// Defines a sign-in test that runs on SQLite and on PostgreSQL.
macro_rules! signin_test {
    ($name:ident, |$s:ident| $body:expr) => {
        mod $name {
            use super::*;

            async fn run(backend: Backend) {
                let Some($s) = start(backend).await else {
                    return;
                };
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(Backend::Postgres).await;
            }
        }
    };
}

signin_test!(
    a_member_signs_in_and_the_session_works_for_the_api,
    |s| async move {
        let started = s.start().await;
        let response = s.callback(&started, s.alice(&started).sign()).await;
        assert_eq!(response.status(), 303);
        // PKCE: the token request carried the verifier of the challenge sent to the provider.
        let form = s
            .provider
            .state
            .lock()
            .unwrap()
            .last_token_request
            .clone()
            .unwrap();
        let verifier = form::url_decoded(&form, "code_verifier");
        use base64::Engine as _;
        use sha2::Digest as _;
        assert_eq!(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(&verifier)),
            started.code_challenge
        );
        assert!(!started.location.is_empty());
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("__Host-ticketd-session="))
            .unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();

        // The page names the person and their role.
        let page = s.get_with(&cookie, "/console/me").await;
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("Alice Martin"), "{page}");
        assert!(page.contains("alice"), "{page}");
        assert!(page.contains("data-role=\"agent\""), "{page}");

        // The session works for the API, as an agent.
        assert_eq!(s.get_with(&cookie, "/api/v1/tickets").await.status(), 200);
        assert_eq!(s.get_with(&cookie, "/api/v1/api-keys").await.status(), 403);
        // A write needs the session's CSRF token.
        let id = crate::attachments::incident(&s.app).await;
        let (_, etag) = s.app.ticket(&s.app.keys.agent, &id).await;
        let take = |csrf: Option<String>| {
            let mut request = s
                .app
                .client
                .post(s.app.url(&format!("/api/v1/tickets/{id}/assign")))
                .header("Cookie", &cookie)
                .header("If-Match", &etag)
                .json(&json!({"assignee": "alice"}));
            if let Some(csrf) = csrf {
                request = request.header("X-CSRF-Token", csrf);
            }
            request.send()
        };
        let refused = take(None).await.unwrap();
        let problem = assert_problem(refused, 403).await;
        assert_eq!(problem.problem_type, "/problems/csrf-token-required");
        let refused = take(Some("not-the-token".to_owned())).await.unwrap();
        assert_eq!(refused.status(), 403);
        let taken = take(Some(csrf_of(&page).await)).await.unwrap();
        let status = taken.status();
        let body: Value = taken.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["assignee"], "alice");

        // The sign-in is in the audit list, with no email in it.
        let events = s.events().await;
        let signed_in: Vec<_> = events.iter().filter(|e| e["kind"] == "sign_in").collect();
        assert_eq!(signed_in.len(), 1);
        assert_eq!(signed_in[0]["handle"], "alice");
        assert_eq!(signed_in[0]["provider"], "test");
        assert!(!serde_json::to_string(&events).unwrap().contains("@"));

        // The subject is bound: next time, the email no longer matters.
        let again = s
            .sign_in(|started| Claims {
                email: None,
                ..s.alice(started)
            })
            .await;
        assert!(again.is_some());
        assert_ne!(again.unwrap(), cookie, "a sign-in opens a new session");
    }
);

signin_test!(
    a_person_the_directory_does_not_know_gets_a_clear_refusal_page,
    |s| async move {
        let started = s.start().await;
        let stranger = Claims {
            subject: "sub-stranger".to_owned(),
            email: Some("stranger@example.org".to_owned()),
            name: "Someone Else".to_owned(),
            ..s.alice(&started)
        };
        let response = s.callback(&started, stranger.sign()).await;
        assert_eq!(response.status(), 403);
        assert!(response.headers().get("set-cookie").is_none());
        let page = response.text().await.unwrap();
        assert!(page.contains("signin-refused-not-in-directory"), "{page}");
        assert!(
            page.contains("n'est pas dans l'annuaire du personnel"),
            "{page}"
        );

        // In English for a browser that prefers it; an unverified email does not match either.
        let started = s.start().await;
        let unverified = Claims {
            subject: "sub-other".to_owned(),
            email_verified: false,
            ..s.alice(&started)
        };
        s.provider.answer_with(unverified.sign());
        let response = s
            .app
            .client
            .get(
                s.app
                    .url(&format!("/signin/callback?code=c&state={}", started.state)),
            )
            .header("Cookie", format!("__Host-ticketd-signin={}", started.state))
            .header("Accept-Language", "en-GB,en;q=0.9,fr;q=0.5")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        let page = response.text().await.unwrap();
        assert!(
            page.contains("is not in this service's staff directory"),
            "{page}"
        );

        // A member without a mapped group nor an active key has no role: refused, saying so.
        let started = s.start().await;
        let no_role = Claims {
            groups: vec!["somewhere-else".to_owned()],
            ..s.alice(&started)
        };
        let response = s.callback(&started, no_role.sign()).await;
        assert_eq!(response.status(), 403);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("signin-refused-no-role")
        );
        // Without a group, the directory's role: the role of the member's active keys.
        let security = s
            .sign_in(|started| Claims {
                subject: "sub-security".to_owned(),
                email: Some("security@staff.example.fr".to_owned()),
                groups: Vec::new(),
                ..s.alice(started)
            })
            .await
            .unwrap();
        let page = s
            .get_with(&security, "/console/me")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("data-role=\"security\""), "{page}");

        assert_eq!(
            s.refusal_reasons().await,
            ["not-in-directory", "not-in-directory", "no-role"]
        );
    }
);

signin_test!(forged_id_tokens_are_refused, |s| async move {
    // Expired (by the service's clock).
    let expired = s
        .sign_in(|started| Claims {
            issued: s.app.clock.now() - TimeDelta::hours(2),
            expires: s.app.clock.now() - TimeDelta::hours(1),
            ..s.alice(started)
        })
        .await;
    assert!(expired.is_none());
    // Tampered: the claims changed after signing (another subject).
    let started = s.start().await;
    let good = s.alice(&started).sign();
    let other = Claims {
        subject: "sub-security".to_owned(),
        ..s.alice(&started)
    }
    .sign();
    let mut parts: Vec<&str> = good.split('.').collect();
    parts[1] = other.split('.').nth(1).unwrap();
    let response = s.callback(&started, parts.join(".")).await;
    assert_eq!(response.status(), 403);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("signin-refused-token")
    );
    // For another client.
    let wrong_audience = s
        .sign_in(|started| Claims {
            audience: "another-client".to_owned(),
            ..s.alice(started)
        })
        .await;
    assert!(wrong_audience.is_none());
    // From another issuer.
    let wrong_issuer = s
        .sign_in(|started| Claims {
            issuer: "http://127.0.0.1:9/".to_owned(),
            ..s.alice(started)
        })
        .await;
    assert!(wrong_issuer.is_none());
    // Replayed for another sign-in (its nonce).
    let wrong_nonce = s
        .sign_in(|started| Claims {
            nonce: Some("an-old-nonce".to_owned()),
            ..s.alice(started)
        })
        .await;
    assert!(wrong_nonce.is_none());
    // Signed with a key the provider does not publish.
    let unknown_key = s
        .sign_in(|started| Claims {
            kid: "k2",
            ..s.alice(started)
        })
        .await;
    assert!(unknown_key.is_none());
    // A state used twice, or never sent, is refused before any token is looked at.
    let started = s.start().await;
    assert!(
        s.callback(&started, s.alice(&started).sign())
            .await
            .status()
            == 303
    );
    assert_eq!(
        s.callback(&started, s.alice(&started).sign())
            .await
            .status(),
        400
    );

    assert_eq!(
        s.refusal_reasons().await,
        [
            "id-token-expired",
            "id-token-signature",
            "id-token-audience",
            "id-token-issuer",
            "id-token-nonce",
            "id-token-signature",
            "state-unknown",
        ]
    );
    assert_eq!(
        s.events()
            .await
            .iter()
            .filter(|e| e["kind"] == "sign_in")
            .count(),
        1
    );
});

signin_test!(
    keys_the_provider_rotates_are_fetched_without_a_restart,
    |s| async move {
        assert!(s.sign_in(|started| s.alice(started)).await.is_some());
        // The provider rotates to a new key: ticketd has the old set cached, meets an unknown key id,
        // fetches the set again.
        s.provider.publish(&["k2"]);
        let rotated = s
            .sign_in(|started| Claims {
                kid: "k2",
                ..s.alice(started)
            })
            .await;
        assert!(rotated.is_some());
        // The old key is gone from the set.
        let old = s.sign_in(|started| s.alice(started)).await;
        assert!(old.is_none());
    }
);

signin_test!(
    idle_and_absolute_timeouts_end_a_session_by_the_service_clock,
    |s| async move {
        let cookie = s.sign_in(|started| s.alice(started)).await.unwrap();
        // 29 minutes without a request: still open; 30 more: ended.
        s.app.clock.advance(TimeDelta::minutes(29));
        assert_eq!(s.get_with(&cookie, "/api/v1/tickets").await.status(), 200);
        s.app.clock.advance(TimeDelta::minutes(30));
        let ended = s.get_with(&cookie, "/api/v1/tickets").await;
        let problem = assert_problem(ended, 401).await;
        assert_eq!(problem.problem_type, "/problems/session-ended");
        // What needs no key ignores an ended session's cookie.
        assert_eq!(s.get_with(&cookie, "/healthz").await.status(), 200);
        assert_eq!(
            s.get_with(&cookie, "/console/me").await.headers()["location"],
            "/signin"
        );

        // Used every 20 minutes, a session still ends 10 hours after its sign-in.
        let cookie = s.sign_in(|started| s.alice(started)).await.unwrap();
        for _ in 0..29 {
            s.app.clock.advance(TimeDelta::minutes(20));
            assert_eq!(s.get_with(&cookie, "/api/v1/tickets").await.status(), 200);
        }
        s.app.clock.advance(TimeDelta::minutes(20));
        assert_eq!(s.get_with(&cookie, "/api/v1/tickets").await.status(), 401);

        let kinds: Vec<String> = s
            .events()
            .await
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            kinds,
            [
                "sign_in",
                "session_idle_timeout",
                "sign_in",
                "session_absolute_timeout"
            ]
        );
    }
);

signin_test!(
    log_out_ends_the_session_here_and_at_the_provider,
    |s| async move {
        let cookie = s.sign_in(|started| s.alice(started)).await.unwrap();
        let page = s
            .get_with(&cookie, "/console/me")
            .await
            .text()
            .await
            .unwrap();
        let sign_out = |csrf: &str| {
            s.app
                .client
                .post(s.app.url("/signout"))
                .header("Cookie", &cookie)
                .form(&[("csrf_token", csrf)])
                .send()
        };
        // Without the session's CSRF token, nothing happens.
        assert_eq!(sign_out("forged").await.unwrap().status(), 403);
        assert_eq!(s.get_with(&cookie, "/api/v1/tickets").await.status(), 200);

        let response = sign_out(&csrf_of(&page).await).await.unwrap();
        assert_eq!(response.status(), 303);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.starts_with(&format!("{}/logout?", s.provider.issuer)),
            "{location}"
        );
        assert!(location.contains("id_token_hint="), "{location}");
        assert!(location.contains("post_logout_redirect_uri="), "{location}");
        assert!(
            response.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        assert_eq!(s.get_with(&cookie, "/api/v1/tickets").await.status(), 401);
        assert!(s.events().await.iter().any(|e| e["kind"] == "sign_out"));
    }
);

signin_test!(
    the_providers_back_channel_log_out_ends_the_session,
    |s| async move {
        let cookie = s.sign_in(|started| s.alice(started)).await.unwrap();
        let other = s
            .sign_in(|started| Claims {
                sid: Some("sid-2".to_owned()),
                ..s.alice(started)
            })
            .await
            .unwrap();
        let logout_token = |sid: &str, audience: &str| {
            let now = s.app.clock.now();
            Claims {
                issuer: s.provider.issuer.clone(),
                audience: audience.to_owned(),
                subject: "sub-alice".to_owned(),
                email: None,
                email_verified: false,
                name: String::new(),
                groups: Vec::new(),
                nonce: None,
                issued: now,
                expires: now + TimeDelta::minutes(2),
                sid: Some(sid.to_owned()),
                events: Some(json!({"http://schemas.openid.net/event/backchannel-logout": {}})),
                kid: "k1",
            }
            .sign()
        };
        let post = |token: String| {
            s.app
                .client
                .post(s.app.url("/signin/backchannel-logout/test"))
                .form(&[("logout_token", token)])
                .send()
        };
        // A token for another client is refused, and ends nothing.
        assert_eq!(
            post(logout_token("sid-1", "another-client"))
                .await
                .unwrap()
                .status(),
            400
        );
        assert_eq!(s.get_with(&cookie, "/api/v1/tickets").await.status(), 200);
        assert_eq!(
            post(logout_token("sid-1", CLIENT_ID))
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(s.get_with(&cookie, "/api/v1/tickets").await.status(), 401);
        // The provider's other session of the same person is another sid: still open.
        assert_eq!(s.get_with(&other, "/api/v1/tickets").await.status(), 200);
        assert!(
            s.events()
                .await
                .iter()
                .any(|e| e["kind"] == "session_backchannel_logout")
        );
    }
);

signin_test!(
    removing_the_member_ends_their_sessions_at_once,
    |s| async move {
        let cookie = s.sign_in(|started| s.alice(started)).await.unwrap();
        assert_eq!(s.get_with(&cookie, "/api/v1/tickets").await.status(), 200);
        let removed = s
            .app
            .client
            .delete(s.app.url("/api/v1/staff/alice"))
            .bearer_auth(&s.app.keys.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(removed.status(), 204);
        assert_eq!(s.get_with(&cookie, "/api/v1/tickets").await.status(), 401);
        assert!(
            s.events()
                .await
                .iter()
                .any(|e| e["kind"] == "session_member_removed" && e["handle"] == "alice")
        );
        // Signing in again finds no member (the binding went with them).
        assert!(s.sign_in(|started| s.alice(started)).await.is_none());
    }
);

mod form {
    /// The value of `name` in an `application/x-www-form-urlencoded` body.
    pub fn url_decoded(body: &str, name: &str) -> String {
        reqwest::Url::parse(&format!("http://x/?{body}"))
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    }
}
