//! `spawn_app()`: a ticketd on a free port of 127.0.0.1 and a client that speaks to it.

use ticketd::config::{Config, DatabaseUrl};
use ticketd::http::{OPENAPI_PATH, PROBLEM_JSON, Problem};
use ticketd::{Application, config::LogFormat};

/// A running ticketd, its scratch directory, and an HTTP client.
///
/// The server task and the directory go away with the test.
#[derive(Debug)]
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    _data_dir: tempfile::TempDir,
}

/// Starts ticketd on 127.0.0.1:0 with its own SQLite file in a fresh temporary directory.
pub async fn spawn_app() -> TestApp {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let database_url = format!(
        "sqlite://{}?mode=rwc",
        data_dir.path().join("ticketd.db").display()
    );
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("socket address"),
        database_url: DatabaseUrl::parse(database_url).expect("database URL"),
        log_format: LogFormat::Text,
        ..Config::default()
    };
    let app = Application::build(config).await.expect("ticketd builds");
    let port = app.port();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client"),
        _data_dir: data_dir,
    }
}

impl TestApp {
    /// `GET` any path of the app.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_healthz(&self) -> reqwest::Response {
        self.get("/healthz").await
    }

    pub async fn get_openapi(&self) -> reqwest::Response {
        self.get(OPENAPI_PATH).await
    }
}

/// Asserts the response is a problem+json document with `status`, and returns it.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> Problem {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, PROBLEM_JSON);
    let problem: Problem = response.json().await.expect("a problem document");
    assert_eq!(problem.status, status);
    problem
}
