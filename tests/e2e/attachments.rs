//! Files on tickets: upload, list and download over HTTP; who sees which; what is refused; the
//! evidence archive and its verification; the S3 path against a real S3-compatible server.

use crate::e2e_test;
use crate::helpers::*;
use serde_json::{Value, json};
use ticket_store::blobs::sha256_hex;
use ticket_store::testkit::Backend;

/// A small valid PNG (1×1, transparent).
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// The start of an ELF executable.
pub const ELF: &[u8] =
    b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00\x01\x00\x00\x00";

const BOUNDARY: &str = "ticketd-test-boundary-7MA4YWxkTrZu0gW";

/// A `multipart/form-data` body: each `(name, bytes)` as a `file` part, then `visibility`.
pub fn multipart(files: &[(&str, &[u8])], visibility: Option<&str>) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    if let Some(visibility) = visibility {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"visibility\"\r\n\r\n{visibility}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

impl TestApp {
    /// `POST /api/v1/tickets/{id}/attachments` as `key`.
    pub async fn upload(
        &self,
        key: &str,
        id: &str,
        files: &[(&str, &[u8])],
        visibility: Option<&str>,
    ) -> reqwest::Response {
        let (content_type, body) = multipart(files, visibility);
        self.client
            .post(self.url(&format!("/api/v1/tickets/{id}/attachments")))
            .bearer_auth(key)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }

    /// The attachments `key` sees on a ticket.
    pub async fn attachment_list(&self, key: &str, id: &str) -> Vec<Value> {
        let response = self
            .get_as(key, &format!("/api/v1/tickets/{id}/attachments"))
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["items"].as_array().unwrap().clone()
    }

    /// Every file in the attachments' folder.
    pub fn stored_blobs(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.attachments_dir, &mut out);
        out
    }
}

/// An incident declared by the partner; its id.
pub async fn incident(app: &TestApp) -> String {
    let body = json!({
        "title": "Connexion impossible",
        "started_at": "2026-11-23T08:30:00Z",
        "impact": "Les usagers ne peuvent plus se connecter",
    });
    let response = app
        .post_as(&app.keys.partner, "/api/v1/incidents", &body)
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

const LOG: &[u8] =
    b"2026-11-23T08:29:59Z login sub=4f1 idp=impots result=ok\n2026-11-23T08:30:02Z token error\n";

async fn upload_list_and_download(app: &TestApp) {
    let id = incident(app).await;
    let (_, etag_before) = app.ticket(&app.keys.agent, &id).await;
    let response = app
        .upload(
            &app.keys.partner,
            &id,
            &[("capture écran.png", PNG), ("connexions.log", LOG)],
            None,
        )
        .await;
    assert_eq!(response.status(), 201);
    let etag_after = etag_of(&response);
    assert_ne!(
        etag_after, etag_before,
        "attaching is an event: a new version"
    );
    let body: Value = response.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["name"], "capture écran.png");
    assert_eq!(items[0]["media_type"], "image/png");
    assert_eq!(items[0]["size"], PNG.len());
    assert_eq!(items[0]["sha256"], sha256_hex(PNG));
    assert_eq!(items[0]["visibility"], "public");
    assert_eq!(items[1]["media_type"], "text/plain");
    assert_eq!(items[1]["sha256"], sha256_hex(LOG));

    // Staff and the partner list them; the bytes come back equal, as a download.
    for key in [&app.keys.agent, &app.keys.partner] {
        let listed = app.attachment_list(key, &id).await;
        assert_eq!(listed.len(), 2);
        for (item, bytes) in listed.iter().zip([PNG, LOG]) {
            let path = format!(
                "/api/v1/tickets/{id}/attachments/{}",
                item["id"].as_str().unwrap()
            );
            let response = app.get_as(key, &path).await;
            assert_eq!(response.status(), 200);
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            assert_eq!(header("content-type"), "application/octet-stream");
            assert!(header("content-disposition").starts_with("attachment; filename="));
            assert_eq!(header("x-content-type-options"), "nosniff");
            assert!(header("content-security-policy").contains("sandbox"));
            assert_eq!(header("cache-control"), "no-store");
            assert_eq!(response.bytes().await.unwrap().as_ref(), bytes);
        }
    }
    let disposition = app
        .get_as(
            &app.keys.agent,
            &format!(
                "/api/v1/tickets/{id}/attachments/{}",
                items[0]["id"].as_str().unwrap()
            ),
        )
        .await
        .headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        disposition,
        "attachment; filename=\"capture _cran.png\"; filename*=UTF-8''capture%20%C3%A9cran.png"
    );

    // The event carries the hashes, and the chain still verifies.
    assert!(
        app.event_types(&id)
            .await
            .contains(&"files_attached".to_owned())
    );
    let evidence: Value = app
        .get_as(&app.keys.agent, &format!("/api/v1/tickets/{id}/evidence"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(evidence["verification"]["valid"], true);
    let canonical = evidence["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["canonical"].as_str().unwrap().to_owned())
        .find(|c| c.contains("files_attached"))
        .unwrap();
    assert!(canonical.contains(&sha256_hex(PNG)));
    assert!(canonical.contains(&sha256_hex(LOG)));
    assert!(
        !canonical.contains("capture"),
        "the name (personal data) stays out of the chain"
    );
}

e2e_test!(files_are_uploaded_listed_and_downloaded, |app| {
    upload_list_and_download(&app)
});

e2e_test!(
    internal_files_and_other_partners_see_nothing,
    |app| async move {
        let id = incident(&app).await;
        let response = app
            .upload(
                &app.keys.agent,
                &id,
                &[("notes.txt", LOG)],
                Some("internal"),
            )
            .await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        let internal = body["items"][0]["id"].as_str().unwrap().to_owned();
        let response = app
            .upload(&app.keys.agent, &id, &[("public.png", PNG)], None)
            .await;
        assert_eq!(response.status(), 201);

        assert_eq!(app.attachment_list(&app.keys.engineer, &id).await.len(), 2);
        let partner_sees = app.attachment_list(&app.keys.partner, &id).await;
        assert_eq!(partner_sees.len(), 1);
        assert_eq!(partner_sees[0]["name"], "public.png");
        let download = format!("/api/v1/tickets/{id}/attachments/{internal}");
        assert_problem(app.get_as(&app.keys.partner, &download).await, 404).await;
        assert_eq!(app.get_as(&app.keys.agent, &download).await.status(), 200);
        // The partner's events do not show the internal event either.
        let events: Value = app
            .get_as(&app.keys.partner, &format!("/api/v1/tickets/{id}/events"))
            .await
            .json()
            .await
            .unwrap();
        let attached = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "files_attached")
            .count();
        assert_eq!(attached, 1);

        // Another partner: the ticket does not exist for it.
        let list = format!("/api/v1/tickets/{id}/attachments");
        assert_problem(app.get_as(&app.keys.other_partner, &list).await, 404).await;
        assert_problem(app.get_as(&app.keys.other_partner, &download).await, 404).await;
        let response = app
            .upload(&app.keys.other_partner, &id, &[("x.png", PNG)], None)
            .await;
        assert_problem(response, 404).await;
        // A partner cannot attach an internal file.
        let response = app
            .upload(&app.keys.partner, &id, &[("x.png", PNG)], Some("internal"))
            .await;
        assert_problem(response, 403).await;
        assert_eq!(app.attachment_list(&app.keys.agent, &id).await.len(), 2);
    }
);

async fn refusals(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |config| {
        config.attachments.max_file_bytes = 1000;
        config.attachments.max_files_per_upload = 2;
    })
    .await
    else {
        return;
    };
    let id = incident(&app).await;
    let big = vec![b'a'; 1001];
    let problem = assert_problem(
        app.upload(&app.keys.partner, &id, &[("big.txt", &big)], None)
            .await,
        413,
    )
    .await;
    assert!(
        problem.problem_type.ends_with("/file-too-large"),
        "{problem:?}"
    );
    let problem = assert_problem(
        app.upload(
            &app.keys.partner,
            &id,
            &[("a.png", PNG), ("b.txt", LOG), ("c.txt", b"c")],
            None,
        )
        .await,
        422,
    )
    .await;
    assert!(
        problem.problem_type.ends_with("/too-many-files"),
        "{problem:?}"
    );
    // An executable named .png; an executable with a neutral name; text disguised as an image.
    for (name, bytes) in [("photo.png", ELF), ("programme", ELF), ("photo.png", LOG)] {
        let problem = assert_problem(
            app.upload(&app.keys.partner, &id, &[(name, bytes)], None)
                .await,
            415,
        )
        .await;
        assert!(
            problem.problem_type.ends_with("/file-type-not-accepted"),
            "{problem:?}"
        );
    }
    // A request body over the whole upload's limit: 413 before it is read.
    let huge = vec![b'a'; 2 * 1000 + 70 * 1024];
    assert_problem(
        app.upload(&app.keys.partner, &id, &[("huge.txt", &huge)], None)
            .await,
        413,
    )
    .await;
    // Not multipart at all: 415.
    let response = app
        .post_as(
            &app.keys.partner,
            &format!("/api/v1/tickets/{id}/attachments"),
            &json!({"file": "x"}),
        )
        .await;
    assert_problem(response, 415).await;
    // Nothing was recorded, nothing stored.
    assert!(app.attachment_list(&app.keys.agent, &id).await.is_empty());
    assert!(app.stored_blobs().is_empty(), "{:?}", app.stored_blobs());
    assert!(
        !app.event_types(&id)
            .await
            .contains(&"files_attached".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_too_many_and_disguised_files_are_refused_sqlite() {
    refusals(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_too_many_and_disguised_files_are_refused_postgres() {
    refusals(Backend::Postgres).await;
}

async fn archive(app: &TestApp, id: &str) -> Vec<u8> {
    let response = app
        .get_as(
            &app.keys.security,
            &format!("/api/v1/tickets/{id}/evidence/archive"),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    response.bytes().await.unwrap().to_vec()
}

e2e_test!(
    a_file_altered_on_disk_is_named_by_the_verifier,
    |app| async move {
        let id = incident(&app).await;
        let response = app
            .upload(
                &app.keys.partner,
                &id,
                &[("capture.png", PNG), ("log.txt", LOG)],
                None,
            )
            .await;
        assert_eq!(response.status(), 201);

        let intact = archive(&app, &id).await;
        let verified = ticket_store::archive::verify_archive(&intact).unwrap();
        assert!(verified.is_valid(), "{verified:?}");
        assert_eq!(verified.files, 2);
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &intact).unwrap();
        ticketd::attachments::verify_archive_file(file.path()).unwrap();

        // Someone edits the stored log on disk.
        let sha = sha256_hex(LOG);
        let stored = app
            .stored_blobs()
            .into_iter()
            .find(|p| p.file_name().is_some_and(|n| n == sha.as_str()))
            .expect("the log's bytes are stored under their hash");
        std::fs::write(&stored, b"2026-11-23T08:29:59Z nothing happened\n").unwrap();

        let altered = archive(&app, &id).await;
        let verified = ticket_store::archive::verify_archive(&altered).unwrap();
        let broken = verified.broken.expect("the altered file is found");
        assert!(broken.contains(&format!("files/{sha}")), "{broken}");
        std::fs::write(file.path(), &altered).unwrap();
        let error = ticketd::attachments::verify_archive_file(file.path()).unwrap_err();
        assert!(error.to_string().contains(&sha), "{error}");
        // The service no longer serves the altered bytes as the evidence.
        let items = app.attachment_list(&app.keys.agent, &id).await;
        let log = items.iter().find(|i| i["sha256"] == sha.as_str()).unwrap();
        let path = format!(
            "/api/v1/tickets/{id}/attachments/{}",
            log["id"].as_str().unwrap()
        );
        assert_ne!(app.get_as(&app.keys.agent, &path).await.status(), 200);
    }
);

e2e_test!(
    erased_attachments_keep_the_chain_and_lose_name_and_bytes,
    |app| async move {
        let id = incident(&app).await;
        let response = app
            .upload(&app.keys.partner, &id, &[("capture.png", PNG)], None)
            .await;
        assert_eq!(response.status(), 201);
        assert_eq!(app.stored_blobs().len(), 1);
        let ticket_id: uuid::Uuid = id.parse().unwrap();
        let attachments = ticketd::attachments::AttachmentsConfig {
            dir: app.attachments_dir.clone(),
            ..Default::default()
        }
        .open()
        .unwrap();
        let erased = app
            .store
            .erase_attachments(&attachments.blobs, ticket_id, start_instant())
            .await
            .unwrap();
        assert_eq!(erased, 1);
        assert!(app.stored_blobs().is_empty());
        let items = app.attachment_list(&app.keys.agent, &id).await;
        assert!(items[0].get("name").is_none());
        assert!(items[0].get("erased_at").is_some());
        let path = format!(
            "/api/v1/tickets/{id}/attachments/{}",
            items[0]["id"].as_str().unwrap()
        );
        assert_problem(app.get_as(&app.keys.agent, &path).await, 404).await;
        let verified = ticket_store::archive::verify_archive(&archive(&app, &id).await).unwrap();
        assert!(verified.is_valid(), "{verified:?}");
        assert_eq!(verified.absent_files, 1);
    }
);

/// The S3 path against the S3-compatible server `scripts/test` starts (moto), named by
/// `TEST_S3_ENDPOINT`. Without it the test is skipped, unless `TICKETD_REQUIRE_POSTGRES=1` (the
/// test command's marker), where its absence is a failure.
async fn s3(backend: Backend) {
    let Ok(endpoint) = std::env::var("TEST_S3_ENDPOINT") else {
        assert!(
            std::env::var("TICKETD_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "TEST_S3_ENDPOINT is not set and TICKETD_REQUIRE_POSTGRES=1: the S3 server was not started"
        );
        eprintln!("skipped: TEST_S3_ENDPOINT is not set (scripts/test sets it)");
        return;
    };
    let bucket = format!("ticketd-{}", uuid::Uuid::new_v4().simple());
    // Creating a bucket: moto accepts an unsigned path-style PUT.
    let created = reqwest::Client::new()
        .put(format!("{}/{bucket}", endpoint.trim_end_matches('/')))
        .send()
        .await
        .expect("the S3 server answers");
    assert!(created.status().is_success(), "{}", created.status());
    let Some(app) = spawn_app_with(backend, |config| {
        config.attachments.storage = ticketd::attachments::Storage::S3;
        config.attachments.s3.bucket = bucket.clone();
        config.attachments.s3.endpoint = Some(endpoint.clone());
        config.attachments.s3.access_key_id = "testing".into();
        config.attachments.s3.secret_access_key = "testing".into();
    })
    .await
    else {
        return;
    };
    let id = incident(&app).await;
    let response = app
        .upload(&app.keys.partner, &id, &[("capture.png", PNG)], None)
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let attachment = body["items"][0]["id"].as_str().unwrap();
    let download = app
        .get_as(
            &app.keys.partner,
            &format!("/api/v1/tickets/{id}/attachments/{attachment}"),
        )
        .await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.unwrap().as_ref(), PNG);
    assert!(app.stored_blobs().is_empty(), "nothing went to the folder");
    // The object is in the bucket under its hash, read back with the test's own S3 client.
    let bucket_store = ticket_store::blobs::BlobStore::open(
        &ticket_store::blobs::BlobLocation::S3(ticket_store::blobs::S3Location {
            bucket: bucket.clone(),
            region: "us-east-1".into(),
            endpoint: Some(endpoint.clone()),
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            virtual_hosted_style: false,
        }),
    )
    .unwrap();
    let object = bucket_store.get(&sha256_hex(PNG)).await.unwrap();
    assert_eq!(object.as_deref(), Some(PNG));
    let verified = ticket_store::archive::verify_archive(&archive(&app, &id).await).unwrap();
    assert!(verified.is_valid(), "{verified:?}");
    assert_eq!(verified.files, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_go_to_s3_compatible_storage_sqlite() {
    s3(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_go_to_s3_compatible_storage_postgres() {
    s3(Backend::Postgres).await;
}

/// A `multipart/form-data` body of text fields and files (`(field, file name, bytes)`).
fn form_data(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (field, name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

e2e_test!(
    the_reporter_sees_public_files_only_and_adds_files_from_the_tracking_page,
    |app| async move {
        let body = json!({
            "birth_names": "Martin", "first_names": "Claire", "birth_date": "1980-04-12",
            "birth_place": "Lyon", "email": "claire@example.fr", "description": "Connexion suspecte",
            "consent": true, "connection_date": "2026-11-20",
            "identity_provider_id": app.identity_provider.to_string(),
        });
        let response = app
            .client
            .post(app.url("/api/v1/public/identity-theft-reports"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.unwrap();
        let id = created["reference"].as_str().unwrap().to_owned();
        let tracking_url = created["tracking_url"].as_str().unwrap();
        let tracking = &tracking_url[tracking_url.find("/suivi/").unwrap()..];

        let internal = app
            .upload(
                &app.keys.security,
                &id,
                &[("analyse.txt", LOG)],
                Some("internal"),
            )
            .await;
        assert_eq!(internal.status(), 201);
        let internal: Value = internal.json().await.unwrap();
        let internal_id = internal["items"][0]["id"].as_str().unwrap().to_owned();
        let public = app
            .upload(&app.keys.security, &id, &[("conseils.png", PNG)], None)
            .await;
        assert_eq!(public.status(), 201);
        let public: Value = public.json().await.unwrap();
        let public_id = public["items"][0]["id"].as_str().unwrap().to_owned();

        let response = app.get(tracking).await;
        assert_eq!(response.status(), 200);
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap()
            .to_owned();
        let page = response.text().await.unwrap();
        assert!(page.contains("conseils.png"));
        assert!(
            !page.contains("analyse.txt"),
            "an internal file never reaches the reporter"
        );
        assert!(!page.contains(&internal_id));
        let download = app.get(&format!("{tracking}/fichiers/{public_id}")).await;
        assert_eq!(download.status(), 200);
        assert_eq!(download.headers()["x-content-type-options"], "nosniff");
        assert!(
            download.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("sandbox")
        );
        assert_eq!(download.bytes().await.unwrap().as_ref(), PNG);
        let hidden = app.get(&format!("{tracking}/fichiers/{internal_id}")).await;
        assert_eq!(hidden.status(), 404);

        // The reporter adds a file from the tracking page; a disguised one is refused.
        let token = page
            .split(r#"name="csrf_token" value=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let send = |files: Vec<(&'static str, &'static str, &'static [u8])>| {
            let (content_type, body) = form_data(&[("csrf_token", &token)], &files);
            app.client
                .post(app.url(&format!("{tracking}/fichiers")))
                .header("Cookie", &cookie)
                .header("Content-Type", content_type)
                .body(body)
                .send()
        };
        let refused = send(vec![("files", "photo.png", ELF)]).await.unwrap();
        assert_eq!(refused.status(), 422);
        let added = send(vec![("files", "sms.txt", LOG)]).await.unwrap();
        assert_eq!(added.status(), 303);
        let items = app.attachment_list(&app.keys.security, &id).await;
        assert_eq!(items.len(), 3);
        assert_eq!(items[2]["name"], "sms.txt");
        assert_eq!(items[2]["attached_by"], "the reporter");
        assert_eq!(items[2]["visibility"], "public");
        assert!(
            app.get(tracking)
                .await
                .text()
                .await
                .unwrap()
                .contains("sms.txt")
        );
    }
);
