//! The committed OpenAPI document is the one the code generates, and it describes everything.
//!
//! `UPDATE_OPENAPI=1 cargo test -p ticket-api --test spec` rewrites `openapi/openapi.{yaml,json}`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::path::PathBuf;

fn openapi_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi")
}

fn generated() -> (String, String) {
    (ticket_api::spec_yaml(), ticket_api::spec_json())
}

#[test]
fn the_committed_spec_is_the_generated_one() {
    let (yaml, json) = generated();
    let dir = openapi_dir();
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("openapi.yaml"), &yaml).unwrap();
        std::fs::write(dir.join("openapi.json"), format!("{json}\n")).unwrap();
        return;
    }
    let committed_yaml = std::fs::read_to_string(dir.join("openapi.yaml")).unwrap_or_default();
    let committed_json = std::fs::read_to_string(dir.join("openapi.json")).unwrap_or_default();
    assert!(
        committed_yaml == yaml && committed_json.trim_end() == json.trim_end(),
        "openapi/ is stale: run `UPDATE_OPENAPI=1 cargo test -p ticket-api --test spec` and commit the result"
    );
}

#[test]
fn every_operation_has_a_summary_and_an_id_and_documents_its_errors() {
    let (_, json) = generated();
    let spec: Value = serde_json::from_str(&json).unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            assert!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: no summary"
            );
            assert!(
                operation["operationId"].as_str().is_some(),
                "{name}: no operationId"
            );
            let responses = operation["responses"].as_object().unwrap();
            if path.starts_with("/api/") {
                for status in ["400", "404", "422"] {
                    let content = &responses
                        .get(status)
                        .unwrap_or_else(|| panic!("{name}: no {status}"))["content"];
                    assert!(
                        content.get("application/problem+json").is_some(),
                        "{name}: {status} is not problem+json"
                    );
                }
            }
        }
    }
}

#[test]
fn every_field_of_every_schema_has_a_description() {
    let (_, json) = generated();
    let spec: Value = serde_json::from_str(&json).unwrap();
    let mut missing = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        let Some(properties) = schema["properties"].as_object() else {
            continue;
        };
        for (field, property) in properties {
            let described = property
                .get("description")
                .and_then(Value::as_str)
                .is_some_and(|d| !d.is_empty());
            if !described {
                missing.push(format!("{name}.{field}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fields without a description: {missing:?}"
    );
}
