//! The files of `deploy/` as an operator meets them on first contact: the Kubernetes Deployment run
//! the way it describes itself (its ConfigMap and Secret references, a read-only root filesystem
//! with only the volumes it declares, its probes) until it serves an upload; the compose replicas
//! sharing one bucket; the build context; and the RUNBOOK's numbers against the code's.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use serde_yaml::Value;
use ticket_store::testkit::{Backend, TestDatabase};

use super::deploy::{compose, deploy_dir, interpolate, kubernetes, of_kind, text};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn repository() -> std::path::PathBuf {
    deploy_dir().join("..")
}

/// The S3-compatible test server (moto), or `None` when it is not running (then the test is
/// skipped, unless scripts/test asked for every server).
fn s3_endpoint() -> Option<String> {
    match std::env::var("TEST_S3_ENDPOINT") {
        Ok(endpoint) => Some(endpoint.trim_end_matches('/').to_owned()),
        Err(_) => {
            assert!(
                std::env::var("TICKETD_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "TEST_S3_ENDPOINT is not set and TICKETD_REQUIRE_POSTGRES=1"
            );
            eprintln!("skipped: TEST_S3_ENDPOINT is not set (scripts/test sets it)");
            None
        }
    }
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// What the Deployment's Secret references stand for on this machine.
struct Secrets {
    database_url: String,
    s3_endpoint: String,
    bucket: String,
}

impl Secrets {
    fn value(&self, name: &str, key: &str) -> String {
        match (name, key) {
            ("ticketd-db-app", "uri") => self.database_url.clone(),
            ("ticketd-smtp", "password") => "a-password".to_owned(),
            ("ticketd-attachments-s3", "endpoint") => self.s3_endpoint.clone(),
            ("ticketd-attachments-s3", "bucket") => self.bucket.clone(),
            // moto takes any credentials.
            ("ticketd-attachments-s3", "ACCESS_KEY_ID" | "SECRET_ACCESS_KEY") => {
                "testing".to_owned()
            }
            other => {
                panic!("the Deployment refers to a Secret this test cannot stand for: {other:?}")
            }
        }
    }
}

/// The container's whole environment: its ConfigMaps, then its own `env` (Secrets resolved).
fn container_env(
    container: &Value,
    manifests: &[Value],
    secrets: &Secrets,
) -> BTreeMap<String, String> {
    let config_maps = of_kind(manifests, "ConfigMap");
    let mut env = BTreeMap::new();
    for source in container["envFrom"].as_sequence().into_iter().flatten() {
        let name = &source["configMapRef"]["name"];
        let map = config_maps
            .iter()
            .find(|m| m["metadata"]["name"] == *name)
            .unwrap_or_else(|| panic!("ConfigMap {name:?} is not in the base"));
        for (key, value) in map["data"].as_mapping().unwrap() {
            env.insert(text(key), text(value));
        }
    }
    for variable in container["env"].as_sequence().into_iter().flatten() {
        let value = match variable.get("value") {
            Some(value) => text(value),
            None => {
                let secret = &variable["valueFrom"]["secretKeyRef"];
                secrets.value(&text(&secret["name"]), &text(&secret["key"]))
            }
        };
        env.insert(text(&variable["name"]), value);
    }
    env
}

/// The bubblewrap sandbox of the pod: the machine's root read-only, an empty writable folder for
/// each `emptyDir` the container mounts (nothing else is writable), the pod's user.
fn sandbox(template: &Value, container: &Value) -> Command {
    let mut command = Command::new("bwrap");
    command.args(["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]);
    let volumes = template["spec"]["volumes"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    for mount in container["volumeMounts"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        let volume = volumes
            .iter()
            .find(|v| v["name"] == mount["name"])
            .unwrap_or_else(|| panic!("volumeMount {mount:?} names no volume"));
        assert!(
            volume["emptyDir"].is_mapping(),
            "only emptyDir volumes can be stood for here: {volume:?}"
        );
        command.args(["--tmpfs", &text(&mount["mountPath"])]);
    }
    // The image's binary, bound at its own path after the volumes: a build in a folder that a
    // volume covers (a clone under /tmp, under the /tmp emptyDir) would otherwise be hidden.
    let binary = env!("CARGO_BIN_EXE_ticketd");
    command.args(["--ro-bind", binary, binary]);
    let security = &template["spec"]["securityContext"];
    command.args([
        "--unshare-user",
        "--uid",
        &text(&security["runAsUser"]),
        "--gid",
        &text(&security["runAsGroup"]),
        "--die-with-parent",
        "--chdir",
        "/",
        "--",
        env!("CARGO_BIN_EXE_ticketd"),
    ]);
    command.env_clear().stdin(Stdio::null());
    command
}

/// The ticketd process below the sandbox process `pid`.
fn sandboxed_ticketd(pid: u32) -> u32 {
    let mut queue = vec![pid];
    while let Some(pid) = queue.pop() {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "ticketd" {
            return pid;
        }
        let children =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        queue.extend(
            children
                .split_whitespace()
                .map(|c| c.parse::<u32>().unwrap()),
        );
    }
    panic!("no ticketd process in the sandbox")
}

/// A `multipart/form-data` body with one file.
fn one_file(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "deploy-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployment_serves_an_upload_with_a_read_only_root_and_the_volumes_it_declares() {
    let Some(s3_endpoint) = s3_endpoint() else {
        return;
    };
    let Some(database) = TestDatabase::create_empty(Backend::Postgres).await.unwrap() else {
        return;
    };
    let bucket = format!("deploy-{}", uuid::Uuid::new_v4().simple());
    let client = reqwest::Client::new();
    let created = client
        .put(format!("{s3_endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success());
    let secrets = Secrets {
        database_url: database.url.clone(),
        s3_endpoint: s3_endpoint.clone(),
        bucket: bucket.clone(),
    };

    let manifests = kubernetes();
    let deployment = of_kind(&manifests, "Deployment")[0];
    let template = &deployment["spec"]["template"];
    let container = &template["spec"]["containers"][0];
    assert_eq!(
        container["securityContext"]["readOnlyRootFilesystem"], true,
        "the point of this test"
    );
    let mut env = container_env(container, &manifests, &secrets);
    // What an overlay for this machine changes: addresses on the loopback interface (free
    // ports), the mail relay on it too (nothing listens there: mails wait, as in an outage).
    let http_port = container["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "http")
        .map(|p| text(&p["containerPort"]))
        .unwrap();
    assert!(env["TICKETD_LISTEN"].ends_with(&format!(":{http_port}")));
    let port = free_port();
    env.insert("TICKETD_LISTEN".into(), format!("127.0.0.1:{port}"));
    env.insert(
        "TICKETD_METRICS__LISTEN".into(),
        format!("127.0.0.1:{}", free_port()),
    );
    env.insert("TICKETD_MAIL__SMTP__HOST".into(), "127.0.0.1".into());
    env.insert("TICKETD_MAIL__SMTP__PORT".into(), free_port().to_string());
    env.insert(
        "TICKETD_PUBLIC__BASE_URL".into(),
        format!("http://127.0.0.1:{port}"),
    );

    // The migration Job first, as `kubectl apply` runs it: its own environment and volumes, the
    // same read-only root.
    let job = &of_kind(&manifests, "Job")[0]["spec"]["template"];
    let job_container = &job["spec"]["containers"][0];
    let job_env = container_env(job_container, &manifests, &secrets);
    let job_args: Vec<String> = job_container["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    let migrated = sandbox(job, job_container)
        .args(&job_args)
        .envs(&job_env)
        .output()
        .unwrap();
    assert!(
        migrated.status.success(),
        "the migration Job failed: {}",
        String::from_utf8_lossy(&migrated.stderr)
    );

    let args: Vec<String> = container["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut running = Running(
        sandbox(template, container)
            .args(&args)
            .envs(&env)
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    // The probes the Deployment names, each until it answers 200.
    for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
        let path = text(&container[probe]["httpGet"]["path"]);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = running.0.try_wait().unwrap() {
                panic!(
                    "ticketd exited ({status}) before its {probe} passed:\n{}",
                    std::fs::read_to_string(log.path()).unwrap()
                );
            }
            if let Ok(response) = client.get(format!("{base}{path}")).send().await
                && response.status() == 200
            {
                break;
            }
            assert!(Instant::now() < deadline, "{probe} {path} not 200 in time");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // The first admin key, as the RUNBOOK says (`kubectl exec … ticketd keys create`): the same
    // container, read-only too.
    let created = sandbox(template, container)
        .args(["keys", "create", "--role", "admin", "--name", "admin"])
        .envs(&env)
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let admin = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let post = |path: &str, key: &str, body: Json| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let organisation: Json = post(
        "/api/v1/organisations",
        &admin,
        json!({"name": "Caisse de test", "roles": ["service_provider"]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let partner: Json = post(
        "/api/v1/api-keys",
        &admin,
        json!({"name": "partner", "organisation_id": organisation["id"]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let partner = partner["secret"].as_str().unwrap().to_owned();
    let incident = post(
        "/api/v1/incidents",
        &partner,
        json!({
            "title": "Connexion impossible",
            "started_at": "2026-11-23T08:30:00Z",
            "impact": "Les usagers ne peuvent plus se connecter",
        }),
    )
    .await
    .unwrap();
    assert_eq!(incident.status(), 201);
    let incident: Json = incident.json().await.unwrap();
    let id = incident["id"].as_str().unwrap();

    let bytes = b"2026-11-23T08:30:02Z token error\n";
    let (content_type, body) = one_file("connexions.log", bytes);
    let uploaded = client
        .post(format!("{base}/api/v1/tickets/{id}/attachments"))
        .bearer_auth(&partner)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201, "{}", uploaded.text().await.unwrap());
    let uploaded: Json = uploaded.json().await.unwrap();
    let attachment = uploaded["items"][0]["id"].as_str().unwrap();
    let download = client
        .get(format!(
            "{base}/api/v1/tickets/{id}/attachments/{attachment}"
        ))
        .bearer_auth(&partner)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.unwrap().as_ref(), bytes);
    // The bytes are in the bucket the Secret names, under their hash (read with the test's own
    // S3 client).
    let bucket_store = ticket_store::blobs::BlobStore::open(
        &ticket_store::blobs::BlobLocation::S3(ticket_store::blobs::S3Location {
            bucket: bucket.clone(),
            region: "us-east-1".into(),
            endpoint: Some(s3_endpoint.clone()),
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            virtual_hosted_style: false,
        }),
    )
    .unwrap();
    let sha256 = ticket_store::blobs::sha256_hex(bytes);
    let object = bucket_store.get(&sha256).await.unwrap();
    assert_eq!(object.as_deref(), Some(&bytes[..]));

    // SIGTERM to ticketd itself, as the kubelet sends it (bwrap would not pass it on).
    let term = Command::new("kill")
        .args(["-TERM", &sandboxed_ticketd(running.0.id()).to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = running.0.wait().unwrap();
    let log = std::fs::read_to_string(log.path()).unwrap();
    assert!(status.success(), "{status}\n{log}");
    assert!(!log.contains("Read-only file system"), "{log}");
}

/// Compose: every ticketd replica keeps attachments in the one bucket of the compose file's own
/// S3-compatible server, created before they start, with the server's credentials.
#[test]
fn compose_replicas_share_the_bucket_of_the_object_store_it_runs() {
    let compose = compose();
    let services = compose["services"].as_mapping().unwrap();
    let mut replicas = 0;
    for (name, service) in services {
        if !text(&service["image"]).contains("ticketd") {
            continue;
        }
        let env = service["environment"].as_mapping().unwrap();
        let get = |key: &str| {
            interpolate(&text(
                env.get(Value::from(key))
                    .unwrap_or_else(|| panic!("{name:?} does not set {key}")),
            ))
        };
        assert_eq!(get("TICKETD_ATTACHMENTS__STORAGE"), "s3", "{name:?}");
        let endpoint = get("TICKETD_ATTACHMENTS__S3__ENDPOINT");
        let host = endpoint
            .split_once("://")
            .unwrap()
            .1
            .split([':', '/'])
            .next()
            .unwrap()
            .to_owned();
        let server = &compose["services"][host.as_str()];
        assert!(
            server.is_mapping(),
            "the S3 endpoint {endpoint} is no service"
        );
        let server_env = server["environment"].as_mapping().unwrap();
        assert_eq!(
            get("TICKETD_ATTACHMENTS__S3__ACCESS_KEY_ID"),
            interpolate(&text(&server_env[&Value::from("MINIO_ROOT_USER")]))
        );
        assert_eq!(
            get("TICKETD_ATTACHMENTS__S3__SECRET_ACCESS_KEY"),
            interpolate(&text(&server_env[&Value::from("MINIO_ROOT_PASSWORD")]))
        );
        let bucket = get("TICKETD_ATTACHMENTS__S3__BUCKET");
        if text(&service["command"][0]) == "serve" {
            replicas += 1;
            // Started once the bucket exists, by the one-shot service that makes it.
            let makers: Vec<String> = service["depends_on"]
                .as_mapping()
                .unwrap()
                .iter()
                .filter(|(_, c)| c["condition"] == "service_completed_successfully")
                .map(|(n, _)| text(n))
                .filter(|n| {
                    let command =
                        serde_yaml::to_string(&compose["services"][n.as_str()]["command"]).unwrap();
                    command.contains(&format!("mb --ignore-existing store/{bucket}"))
                })
                .collect();
            assert_eq!(makers.len(), 1, "{name:?}: no service creates {bucket}");
            assert_eq!(
                text(&service["healthcheck"]["test"][4]),
                "/readyz",
                "{name:?}: the orchestrator's own probe"
            );
        }
    }
    assert_eq!(replicas, 2);
}

/// Repository paths the deploy files name (`crates/…`, `deploy/…`, `scripts/…`, `tests/…`); a
/// kubectl resource (`kubectl exec deploy/ticketd`) is not a path.
fn named_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for line in text.lines() {
        for word in line.split(|c: char| c.is_whitespace() || "`'\"(),;:[]".contains(c)) {
            let word = word.trim_end_matches(['.', ',']);
            let kubectl_resource = line.contains("kubectl")
                && word.starts_with("deploy/")
                && word.matches('/').count() == 1
                && !word.contains('.');
            if ["crates/", "deploy/", "scripts/", "tests/"]
                .iter()
                .any(|prefix| word.starts_with(prefix))
                && !word.contains('$')
                && !word.contains('*')
                && !kubectl_resource
            {
                paths.push(word.to_owned());
            }
        }
    }
    paths
}

#[test]
fn the_build_context_leaves_out_target_and_every_file_the_deploy_files_name_exists() {
    let root = repository();
    let podman = std::fs::read_to_string(root.join(".containerignore")).unwrap();
    let docker = std::fs::read_to_string(root.join(".dockerignore")).unwrap();
    assert_eq!(podman, docker, ".containerignore and .dockerignore differ");
    for excluded in ["target/", ".git/", "**/node_modules/", "data/"] {
        assert!(
            podman.lines().any(|line| line.trim() == excluded),
            "{excluded} is sent as build context"
        );
    }
    let recipe = std::fs::read_to_string(deploy_dir().join("Containerfile")).unwrap();
    assert!(recipe.contains("HEALTHCHECK"));
    for file in [
        deploy_dir().join("Containerfile"),
        deploy_dir().join("compose.yaml"),
        deploy_dir().join("README.md"),
    ] {
        let text = std::fs::read_to_string(&file).unwrap();
        // The image keeps its HEALTHCHECK only in the docker format.
        for line in text.lines().filter(|l| l.contains("podman build")) {
            assert!(
                line.contains("--format docker"),
                "{}: {line}",
                file.display()
            );
        }
    }
    let mut files = vec![
        deploy_dir().join("Containerfile"),
        deploy_dir().join("README.md"),
        deploy_dir().join("RUNBOOK.md"),
    ];
    files.extend(super::deploy::yaml_files(&deploy_dir()));
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for path in named_paths(&text) {
            assert!(
                root.join(&path).exists(),
                "{} names {path}, which is not in the repository",
                file.display()
            );
        }
    }
}

/// The number after `prefix` in `text` (`"Each replica opens up to "` → 32).
fn number_after(text: &str, prefix: &str) -> u64 {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("the RUNBOOK no longer says {prefix:?}"))
        + prefix.len();
    text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[test]
fn the_runbook_says_what_the_code_does() {
    let runbook = std::fs::read_to_string(deploy_dir().join("RUNBOOK.md")).unwrap();
    let flat = runbook.split_whitespace().collect::<Vec<_>>().join(" ");
    // Connections: the configured default, and the sum the RUNBOOK asks to keep in check.
    let default = ticketd::Config::default().database_max_connections;
    assert_eq!(
        number_after(&flat, "Each replica opens up to "),
        u64::from(default)
    );
    assert_eq!(number_after(&flat, "keep `"), u64::from(default));
    // Revocation: at once on the replica that revoked, within the key cache's lifetime elsewhere.
    assert!(!flat.contains("immediate on every replica"), "{flat}");
    let seconds = ticket_store::keys::KEY_CACHE_TTL.as_secs();
    let words = ["zero", "one", "two", "three", "four", "five"];
    let within = format!(
        "within {} seconds on the other replicas",
        words.get(seconds as usize).copied().unwrap_or("many")
    );
    assert!(flat.contains(&within), "the RUNBOOK should say {within:?}");
    // Backups: the database alone does not hold the files.
    assert!(!flat.contains("back it up, nothing else"));
    assert!(flat.contains("deploy/backup") && flat.contains("deploy/restore"));
}
