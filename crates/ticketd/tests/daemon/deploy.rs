//! The files of `deploy/`: every YAML document parses, every `TICKETD_*` variable they set is
//! accepted by `ticketd check-config` with the files' values, and images and ports agree between
//! the container recipe, the compose file and the Kubernetes manifests. (The image itself is not
//! built here.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize as _;
use serde_yaml::Value;

pub(super) fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

pub(super) fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(yaml_files(&path));
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Every document of a (multi-document) YAML file, aliases resolved.
pub(super) fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|document| {
            Value::deserialize(document)
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
        })
        .filter(|value| !value.is_null())
        .collect()
}

pub(super) fn compose() -> Value {
    documents(&deploy_dir().join("compose.yaml")).remove(0)
}

pub(super) fn kubernetes() -> Vec<Value> {
    yaml_files(&deploy_dir().join("kubernetes"))
        .iter()
        .filter(|p| !p.ends_with("kustomization.yaml"))
        .flat_map(|p| documents(p))
        .collect()
}

fn kustomization() -> Value {
    documents(&deploy_dir().join("kubernetes/base/kustomization.yaml")).remove(0)
}

pub(super) fn of_kind<'a>(documents: &'a [Value], kind: &str) -> Vec<&'a Value> {
    documents.iter().filter(|d| d["kind"] == kind).collect()
}

pub(super) fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// `${NAME:-default}` → `default` (compose interpolation, with the file's defaults).
pub(super) fn interpolate(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        let inner = &rest[start + 2..end];
        let (_, default) = inner
            .split_once(":-")
            .unwrap_or_else(|| panic!("`${{{inner}}}` has no default"));
        out.push_str(default);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `ENV` instructions of the Containerfile.
pub(super) fn containerfile_env() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(deploy_dir().join("Containerfile")).unwrap();
    let joined = text.replace("\\\n", " ");
    let mut env = BTreeMap::new();
    for line in joined.lines() {
        if let Some(rest) = line.trim().strip_prefix("ENV ") {
            for pair in rest.split_whitespace() {
                let (name, value) = pair.split_once('=').unwrap();
                env.insert(name.to_owned(), value.trim_matches('"').to_owned());
            }
        }
    }
    env
}

fn containerfile_exposed() -> Vec<u16> {
    let text = std::fs::read_to_string(deploy_dir().join("Containerfile")).unwrap();
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("EXPOSE "))
        .flat_map(|ports| ports.split_whitespace().map(|p| p.parse().unwrap()))
        .collect()
}

/// Runs `ticketd check-config` with exactly `env` as its `TICKETD_*` variables.
pub(super) fn check_config(origin: &str, env: &BTreeMap<String, String>) -> String {
    assert!(!env.is_empty(), "{origin}: no TICKETD_ variable");
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_ticketd"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TICKETD_") {
            command.env_remove(name);
        }
    }
    command
        .arg("check-config")
        .envs(env)
        .current_dir(dir.path());
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{origin}: check-config refused {env:?}:\n{stderr}"
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The value a Secret reference stands for, in the shape the real Secret has.
fn secret_placeholder(name: &str, key: &str) -> String {
    match (name, key) {
        // CloudNativePG's `<cluster>-app` Secret: `uri` is a postgresql:// URL.
        ("ticketd-db-app", "uri") => "postgresql://app:secret@ticketd-db-rw:5432/app".to_owned(),
        ("ticketd-smtp", "password") => "a-password".to_owned(),
        ("ticketd-attachments-s3", "endpoint") => "https://s3.fr-par.scw.cloud".to_owned(),
        ("ticketd-attachments-s3", "bucket") => "ticketd-attachments".to_owned(),
        ("ticketd-attachments-s3", "ACCESS_KEY_ID") => "SCWXXXXXXXXXXXXXXXXX".to_owned(),
        ("ticketd-attachments-s3", "SECRET_ACCESS_KEY") => "a-secret-key".to_owned(),
        other => panic!("no placeholder for the Secret reference {other:?}: add one"),
    }
}

/// The `TICKETD_*` variables a pod template gets: its ConfigMaps, then its own `env`.
fn pod_env(template: &Value, config_maps: &[&Value]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for container in template["spec"]["containers"].as_sequence().unwrap() {
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
            let name = text(&variable["name"]);
            let value = match variable.get("value") {
                Some(value) => text(value),
                None => {
                    let secret = &variable["valueFrom"]["secretKeyRef"];
                    secret_placeholder(&text(&secret["name"]), &text(&secret["key"]))
                }
            };
            env.insert(name, value);
        }
    }
    env.retain(|name, _| name.starts_with("TICKETD_"));
    env
}

fn port_of(listen: &str) -> u16 {
    listen.rsplit_once(':').unwrap().1.parse().unwrap()
}

#[test]
fn every_yaml_file_parses_and_every_manifest_is_in_the_kustomization() {
    let files = yaml_files(&deploy_dir());
    assert!(files.len() >= 8, "{files:?}");
    for file in &files {
        assert!(!documents(file).is_empty(), "{} is empty", file.display());
    }
    let base = deploy_dir().join("kubernetes/base");
    let listed: Vec<String> = kustomization()["resources"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    for file in yaml_files(&base) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name != "kustomization.yaml" {
            assert!(listed.contains(&name), "{name} is not a kustomize resource");
        }
    }
    for name in &listed {
        assert!(base.join(name).is_file(), "{name} is listed but missing");
    }
    for document in kubernetes() {
        for key in ["apiVersion", "kind"] {
            assert!(document[key].is_string(), "{key} missing: {document:?}");
        }
        assert!(document["metadata"]["name"].is_string(), "{document:?}");
    }
    let kinds: Vec<String> = kubernetes().iter().map(|d| text(&d["kind"])).collect();
    for kind in [
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "Job",
        "ConfigMap",
        "Cluster",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} in {kinds:?}");
    }
}

#[test]
fn every_ticketd_variable_they_set_is_accepted_by_check_config() {
    // The Containerfile's defaults alone.
    let image = containerfile_env();
    check_config("Containerfile", &image);

    // Each ticketd service of the compose file, over the image's defaults.
    let compose = compose();
    for (name, service) in compose["services"].as_mapping().unwrap() {
        if !text(&service["image"]).contains("ticketd") {
            continue;
        }
        let mut env = image.clone();
        for (key, value) in service["environment"].as_mapping().unwrap() {
            env.insert(text(key), interpolate(&text(value)));
        }
        let printed = check_config(&format!("compose service {name:?}"), &env);
        assert!(printed.contains("transport = \"smtp\""), "{printed}");
    }

    // The Deployment and the Job, with their ConfigMap and Secret references.
    let manifests = kubernetes();
    let config_maps = of_kind(&manifests, "ConfigMap");
    for kind in ["Deployment", "Job"] {
        for workload in of_kind(&manifests, kind) {
            let mut env = image.clone();
            env.extend(pod_env(&workload["spec"]["template"], &config_maps));
            check_config(&format!("Kubernetes {kind}"), &env);
        }
    }
}

#[test]
fn images_ports_and_names_agree_between_the_files() {
    let version = env!("CARGO_PKG_VERSION");
    let kustomization = kustomization();
    let image_entry = &kustomization["images"][0];
    let image = format!(
        "{}:{}",
        text(&image_entry["name"]),
        text(&image_entry["newTag"])
    );
    assert!(
        image.ends_with(&format!(":{version}")),
        "{image} is not {version}"
    );
    let recipe = std::fs::read_to_string(deploy_dir().join("Containerfile")).unwrap();
    assert!(
        recipe.contains(&format!("-t {image} ")),
        "Containerfile builds another tag"
    );

    let image_env = containerfile_env();
    let http = port_of(&image_env["TICKETD_LISTEN"]);
    let metrics = port_of(&image_env["TICKETD_METRICS__LISTEN"]);
    assert_eq!(containerfile_exposed(), vec![http, metrics]);

    // Compose: the image, the ports, the order of start, the database and mail hosts.
    let compose = compose();
    let services = compose["services"].as_mapping().unwrap();
    let ticketd: Vec<(&Value, &Value)> = services
        .iter()
        .filter(|(_, s)| text(&s["image"]).contains("ticketd"))
        .collect();
    assert_eq!(ticketd.len(), 3, "migrate and two replicas");
    let mut replicas = 0;
    for (name, service) in &ticketd {
        assert_eq!(text(&service["image"]), image, "{name:?}");
        let env = service["environment"].as_mapping().unwrap();
        let listen = port_of(&text(&env[&Value::from("TICKETD_LISTEN")]));
        assert_eq!(listen, http, "{name:?}");
        assert_eq!(
            port_of(&text(&env[&Value::from("TICKETD_METRICS__LISTEN")])),
            metrics
        );
        let command: Vec<String> = service["command"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(text)
            .collect();
        if command == ["migrate"] {
            continue;
        }
        assert_eq!(command, ["serve"], "{name:?}");
        replicas += 1;
        assert_eq!(
            service["depends_on"]["migrate"]["condition"],
            "service_completed_successfully"
        );
        for published in service["ports"].as_sequence().unwrap() {
            let published = text(published);
            let inside: u16 = published.rsplit_once(':').unwrap().1.parse().unwrap();
            assert_eq!(inside, http, "{name:?} publishes {published}");
        }
        let database = interpolate(&text(&env[&Value::from("TICKETD_DATABASE_URL")]));
        let host = database
            .split_once('@')
            .unwrap()
            .1
            .split([':', '/'])
            .next()
            .unwrap();
        assert!(
            services.contains_key(host),
            "database host {host} is no service"
        );
        let password = database
            .split_once("://")
            .unwrap()
            .1
            .split_once('@')
            .unwrap()
            .0
            .split_once(':')
            .unwrap()
            .1;
        assert_eq!(
            interpolate(&text(
                &compose["services"][host]["environment"]["POSTGRES_PASSWORD"]
            )),
            password
        );
        let mail_host = text(&env[&Value::from("TICKETD_MAIL__SMTP__HOST")]);
        assert!(
            services.contains_key(mail_host.as_str()),
            "no {mail_host} service"
        );
    }
    assert_eq!(replicas, 2);

    // Kubernetes: the image, the container ports and what refers to them.
    let manifests = kubernetes();
    let config_maps = of_kind(&manifests, "ConfigMap");
    let deployment = of_kind(&manifests, "Deployment")[0];
    assert_eq!(deployment["spec"]["replicas"], 2);
    let template = &deployment["spec"]["template"];
    let labels = &template["metadata"]["labels"];
    let env = pod_env(template, &config_maps);
    assert_eq!(port_of(&env["TICKETD_LISTEN"]), http);
    assert_eq!(port_of(&env["TICKETD_METRICS__LISTEN"]), metrics);
    let container = &template["spec"]["containers"][0];
    assert_eq!(text(&container["image"]), image);
    let ports: BTreeMap<String, u16> = container["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| (text(&p["name"]), text(&p["containerPort"]).parse().unwrap()))
        .collect();
    assert_eq!(ports["http"], http);
    assert_eq!(ports["metrics"], metrics);
    assert_eq!(
        text(&template["metadata"]["annotations"]["prometheus.io/port"]),
        metrics.to_string()
    );
    for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
        let port = text(&container[probe]["httpGet"]["port"]);
        assert!(ports.contains_key(&port), "{probe} port {port}");
    }
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert!(container["resources"]["requests"].is_mapping());
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert_eq!(template["spec"]["securityContext"]["runAsNonRoot"], true);
    let selector = &deployment["spec"]["selector"]["matchLabels"];
    for (key, value) in selector.as_mapping().unwrap() {
        assert_eq!(&labels[key], value, "the selector must match the pods");
    }
    for service in of_kind(&manifests, "Service") {
        assert_eq!(&service["spec"]["selector"], selector);
        for port in service["spec"]["ports"].as_sequence().unwrap() {
            let target = text(&port["targetPort"]);
            assert!(ports.contains_key(&target), "Service targets {target}");
        }
    }
    for budget in of_kind(&manifests, "PodDisruptionBudget") {
        assert_eq!(&budget["spec"]["selector"]["matchLabels"], selector);
    }
    let job = of_kind(&manifests, "Job")[0];
    let job_container = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(text(&job_container["image"]), image);
    assert_eq!(job_container["args"][0], "migrate");

    // The database Secret the workloads read is the one CloudNativePG writes for the Cluster.
    let cluster = of_kind(&manifests, "Cluster")[0];
    let app_secret = format!("{}-app", text(&cluster["metadata"]["name"]));
    for workload in [deployment, job] {
        let refs: Vec<String> = workload["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter(|v| v["name"] == "TICKETD_DATABASE_URL")
            .map(|v| text(&v["valueFrom"]["secretKeyRef"]["name"]))
            .collect();
        assert_eq!(refs, std::slice::from_ref(&app_secret));
    }
    assert!(cluster["spec"]["instances"].as_u64().unwrap() >= 2);
}
