//! The OpenAPI document as clients meet it: poem-openapi's document, refined so that it states
//! the rules the server applies and takes a shape generators accept.
//!
//! - A `$ref` with a description is written `{$ref, description}`, not the `allOf` wrapper
//!   poem-openapi produces (openapi-python-client drops every model reached through it).
//! - Request text fields carry the length and pattern of the domain value they are parsed into
//!   ([`FIELD_RULES`], with the domain's own constants), request objects refuse unknown fields.
//! - `If-Match` is required where a missing one answers 428; `Idempotency-Key` has its alphabet.
//! - Days are `format: date`.

use serde_json::{Map, Value, json};
use ticket_domain::TicketKind;
use ticket_domain::values::{LONG_TEXT, SHORT_TEXT};
use ticket_store::attachments::AttachmentLimits;
use ticket_store::keys::MAX_KEY_NAME;

/// Control characters `Text` refuses (all of Unicode's `Cc` but tab, line feed and carriage return).
const CONTROL: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F";

/// The rule a request field is parsed with.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// `Text::parse`: not blank once trimmed, at most this many characters, no control character.
    Text(usize),
    /// `EmailAddress::parse`.
    Email,
    /// `PhoneNumber::parse`.
    Phone,
    /// `StaffHandle::parse`.
    Handle,
    /// A ticket id (UUID) or reference (`INC-2026-000042`).
    TicketKey,
}

use Rule::{Email, Handle, Phone, Text, TicketKey};

/// Every request text field and the rule its handler parses it with.
pub const FIELD_RULES: &[(&str, &str, Rule)] = &[
    ("IncidentRequest", "title", Text(SHORT_TEXT)),
    ("IncidentRequest", "impact", Text(LONG_TEXT)),
    ("IncidentRequest", "reporter_email", Email),
    ("IncidentRequest", "follow_up_of", TicketKey),
    ("PartnerUsurpationRequest", "title", Text(SHORT_TEXT)),
    ("PartnerUsurpationRequest", "description", Text(LONG_TEXT)),
    ("PartnerUsurpationRequest", "reporter_email", Email),
    ("PartnerUsurpationRequest", "follow_up_of", TicketKey),
    ("UserUsurpationRequest", "title", Text(SHORT_TEXT)),
    ("UserUsurpationRequest", "description", Text(LONG_TEXT)),
    ("UserUsurpationRequest", "reporter_email", Email),
    ("UserUsurpationRequest", "follow_up_of", TicketKey),
    ("VictimInput", "birth_names", Text(SHORT_TEXT)),
    ("VictimInput", "first_names", Text(SHORT_TEXT)),
    ("VictimInput", "birth_place", Text(SHORT_TEXT)),
    ("VictimInput", "email", Email),
    ("VictimInput", "phone", Phone),
    ("SupportRequestRequest", "title", Text(SHORT_TEXT)),
    ("SupportRequestRequest", "question", Text(LONG_TEXT)),
    ("SupportRequestRequest", "reporter_email", Email),
    ("NoteBody", "note", Text(LONG_TEXT)),
    ("AssignBody", "assignee", Handle),
    ("PriorityBody", "reason", Text(LONG_TEXT)),
    ("CommentBody", "body", Text(LONG_TEXT)),
    ("ReasonBody", "reason", Text(LONG_TEXT)),
    ("QuestionBody", "question", Text(LONG_TEXT)),
    ("ResolveBody", "summary", Text(LONG_TEXT)),
    ("QualifyBody", "explanation", Text(LONG_TEXT)),
    ("RequiredNoteBody", "note", Text(LONG_TEXT)),
    ("CloseBody", "note", Text(LONG_TEXT)),
    ("CancelBody", "duplicate_of", TicketKey),
    ("CancelBody", "note", Text(LONG_TEXT)),
    ("PublicReportRequest", "birth_names", Text(SHORT_TEXT)),
    ("PublicReportRequest", "first_names", Text(SHORT_TEXT)),
    ("PublicReportRequest", "birth_place", Text(SHORT_TEXT)),
    ("PublicReportRequest", "email", Email),
    ("PublicReportRequest", "phone", Phone),
    ("PublicReportRequest", "description", Text(LONG_TEXT)),
    ("NewOrganisationBody", "name", Text(SHORT_TEXT)),
    ("OrganisationChanges", "name", Text(SHORT_TEXT)),
    ("NewServiceBody", "name", Text(SHORT_TEXT)),
    ("NewServiceBody", "availability", Text(SHORT_TEXT)),
    ("NewContactBody", "name", Text(SHORT_TEXT)),
    ("NewContactBody", "function", Text(SHORT_TEXT)),
    ("NewContactBody", "email", Email),
    ("NewContactBody", "phone", Phone),
    // A staff key's name is a handle; a partner key's any text: the spec states the stricter.
    ("NewApiKeyBody", "name", Handle),
    ("NewApiKeyBody", "staff_member", Handle),
    ("NewStaffMemberBody", "handle", Handle),
    ("NewStaffMemberBody", "email", Email),
    ("StaffMemberChangeBody", "email", Email),
    ("SubjectRequest", "email", Email),
    ("LegalHoldRequest", "reason", Text(SHORT_TEXT)),
];

/// Query parameters and the rule their handler parses them with: `(path, name, rule)`.
pub const PARAMETER_RULES: &[(&str, &str, Rule)] = &[
    ("/api/v1/access-journal", "ticket", TicketKey),
    ("/api/v1/inbound-mails", "ticket", TicketKey),
    // A member's handle, `me` or `none` (both handles in shape).
    ("/api/v1/tickets", "assignee", Handle),
];

/// `q` holds at least one word to search for: a letter or a digit (`\w` but `_`).
pub const SEARCH_PATTERN: &str = "^[^\\u0000-\\u001F\\u007F]*[^\\W_][^\\u0000-\\u001F\\u007F]*$";

/// The alphabet of `Idempotency-Key`: 1 to 200 visible ASCII characters.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,200}$";

/// A strong ETag of a ticket version, as `If-Match` takes it.
pub const IF_MATCH_PATTERN: &str = "^\"[0-9]{1,18}\"$";

fn constraints(rule: Rule) -> Value {
    match rule {
        Text(max) => json!({
            "minLength": 1,
            "maxLength": max,
            "pattern": format!("^[^{CONTROL}]*[^\\s{CONTROL}][^{CONTROL}]*$"),
        }),
        Email => json!({
            "minLength": 3,
            "maxLength": 254,
            "pattern": format!(
                "^[^\\s@{CONTROL}]{{1,64}}@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$"
            ),
        }),
        Phone => json!({
            "pattern": "^\\+?[ .()-]*([0-9][ .()-]*){6,20}$",
        }),
        Handle => json!({
            "minLength": 1,
            "maxLength": 100.min(MAX_KEY_NAME),
            "pattern": "^[A-Za-z0-9._@+-][A-Za-z0-9._@+ -]*$",
        }),
        TicketKey => {
            let prefixes: Vec<&str> = TicketKind::ALL
                .into_iter()
                .map(TicketKind::reference_prefix)
                .collect();
            json!({
                "pattern": format!(
                    "^([0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}|({})-[0-9]{{4}}-[0-9]{{1,9}})$",
                    prefixes.join("|")
                ),
            })
        }
    }
}

/// The refined document.
pub fn refine(mut spec: Value) -> Value {
    unwrap_described_refs(&mut spec);
    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (schema, field, rule) in FIELD_RULES {
            if let Some(Value::Object(property)) = schemas
                .get_mut(*schema)
                .and_then(|s| s.pointer_mut(&format!("/properties/{field}")))
                && let Value::Object(extra) = constraints(*rule)
            {
                property.extend(extra);
            }
        }
        // An organisation has at least one role, each once (the registry's rule).
        for schema in ["NewOrganisationBody", "OrganisationChanges"] {
            if let Some(Value::Object(roles)) = schemas
                .get_mut(schema)
                .and_then(|s| s.pointer_mut("/properties/roles"))
            {
                roles.insert("minItems".into(), json!(1));
                roles.insert("uniqueItems".into(), json!(true));
            }
        }
        // A change names something to change.
        for schema in ["OrganisationChanges", "WebhookChanges"] {
            if let Some(Value::Object(changes)) = schemas.get_mut(schema) {
                changes.insert("minProperties".into(), json!(1));
            }
        }
        // A maximum unavailability, when declared, is more than 0 seconds.
        if let Some(Value::Object(seconds)) = schemas
            .get_mut("NewServiceBody")
            .and_then(|s| s.pointer_mut("/properties/max_unavailability_seconds"))
        {
            seconds.insert("minimum".into(), json!(1));
        }
        for name in request_schemas(schemas) {
            if let Some(Value::Object(schema)) = schemas.get_mut(&name) {
                schema.insert("additionalProperties".into(), Value::Bool(false));
            }
        }
        // The public report is registered only with the reporter's consent.
        if let Some(Value::Object(consent)) = schemas
            .get_mut("PublicReportRequest")
            .and_then(|s| s.pointer_mut("/properties/consent"))
        {
            consent.insert("enum".into(), json!([true]));
        }
        close_usurpation_variants(schemas);
    }
    if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for operation in item.values_mut() {
                // Multipart forms refuse unknown parts, like JSON bodies refuse unknown fields.
                if let Some(Value::Object(form)) =
                    operation.pointer_mut("/requestBody/content/multipart~1form-data/schema")
                {
                    form.insert("additionalProperties".into(), Value::Bool(false));
                    // An upload holds 1 to `attachments.max_files_per_upload` files (5 by default).
                    if let Some(Value::Object(files)) =
                        form.get_mut("properties").and_then(|p| p.get_mut("file"))
                    {
                        files.insert("minItems".into(), json!(1));
                        files.insert(
                            "maxItems".into(),
                            json!(AttachmentLimits::default().max_files_per_upload),
                        );
                    }
                }
                binary_alternative(operation);
                let Some(parameters) = operation
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                else {
                    continue;
                };
                for parameter in parameters.iter_mut().filter_map(Value::as_object_mut) {
                    let name = parameter
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned();
                    let in_query = parameter.get("in").and_then(Value::as_str) == Some("query");
                    if let Some((_, _, rule)) = PARAMETER_RULES
                        .iter()
                        .find(|(p, n, _)| in_query && p == path && *n == name)
                        && let (Some(Value::Object(schema)), Value::Object(extra)) =
                            (parameter.get_mut("schema"), constraints(*rule))
                    {
                        schema.extend(extra);
                        continue;
                    }
                    if in_query && path == "/api/v1/tickets" && name == "q" {
                        if let Some(Value::Object(schema)) = parameter.get_mut("schema") {
                            schema.insert("pattern".into(), json!(SEARCH_PATTERN));
                        }
                        continue;
                    }
                    let pattern = match parameter.get("name").and_then(Value::as_str) {
                        Some("If-Match") => {
                            parameter.insert("required".into(), Value::Bool(true));
                            IF_MATCH_PATTERN
                        }
                        Some("Idempotency-Key") => IDEMPOTENCY_KEY_PATTERN,
                        _ => continue,
                    };
                    if let Some(Value::Object(schema)) = parameter.get_mut("schema") {
                        schema.insert("pattern".into(), Value::String(pattern.into()));
                    }
                }
            }
        }
    }
    naive_dates(&mut spec);
    spec
}

/// Request body schemas whose fields the shape check closes (unknown fields refused): the objects
/// named in [`FIELD_RULES`] and every object schema a request body reaches, but not the union
/// variants, whose discriminator is declared beside them.
fn request_schemas(schemas: &Map<String, Value>) -> Vec<String> {
    let mut names: Vec<String> = schemas
        .keys()
        .filter(|name| {
            ["Request", "Body", "Input", "Changes"]
                .iter()
                .any(|suffix| name.ends_with(suffix))
                && !name.contains('_')
                && schemas[*name].get("properties").is_some()
        })
        .cloned()
        .collect();
    // The usurpation variants are combined with `kind` through `allOf`: closing them would refuse
    // the discriminator.
    names.retain(|n| n != "PartnerUsurpationRequest" && n != "UserUsurpationRequest");
    names
}

/// The usurpation report's variants as closed objects: `kind` and the variant's own fields, no
/// other (the server refuses unknown fields; an `allOf` of the discriminator and the variant could
/// not say so, as each part would refuse the other's fields).
fn close_usurpation_variants(schemas: &mut Map<String, Value>) {
    for variant in ["PartnerUsurpationRequest", "UserUsurpationRequest"] {
        let wrapper = format!("UsurpationRequest_{variant}");
        let Some(Value::Object(own)) = schemas.get(variant).cloned() else {
            continue;
        };
        let Some(Value::Object(kind)) = schemas
            .get(&wrapper)
            .and_then(|w| w.pointer("/allOf/0/properties/kind"))
            .cloned()
        else {
            continue;
        };
        let mut kind = kind;
        kind.insert(
            "description".into(),
            json!("Which report this is (the discriminator)."),
        );
        let mut properties = Map::new();
        properties.insert("kind".into(), Value::Object(kind));
        if let Some(Value::Object(fields)) = own.get("properties") {
            properties.extend(fields.clone());
        }
        let mut required = vec![json!("kind")];
        if let Some(Value::Array(names)) = own.get("required") {
            required.extend(names.iter().cloned());
        }
        let description = schemas
            .get(&wrapper)
            .and_then(|w| w.get("description"))
            .cloned()
            .unwrap_or_else(|| json!(""));
        schemas.insert(
            wrapper,
            json!({
                "type": "object",
                "description": description,
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            }),
        );
    }
}

/// A binary response of a media type generators may not know (`application/zip`) is also offered
/// as `application/octet-stream`, which every generator reads as bytes (openapi-python-client
/// would otherwise drop the response).
fn binary_alternative(operation: &mut Value) {
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for response in responses.values_mut() {
        let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
            continue;
        };
        let binary = content
            .iter()
            .find(|(media, m)| {
                media.as_str() != "application/octet-stream"
                    && m.pointer("/schema/format") == Some(&json!("binary"))
            })
            .map(|(_, m)| m.clone());
        if let Some(media) = binary {
            content.entry("application/octet-stream").or_insert(media);
        }
    }
}

/// `allOf: [{$ref}, {description, …}]` → `{$ref, description, …}` (OpenAPI 3.1 allows `$ref`
/// siblings; generators read them).
fn unwrap_described_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(parts)) = map.get("allOf")
                && parts.len() == 2
                && parts[0].get("$ref").is_some()
                && parts[0].as_object().is_some_and(|p| p.len() == 1)
                && parts[1].get("$ref").is_none()
                && parts[1].get("properties").is_none()
            {
                let mut merged = Map::new();
                if let (Some(reference), Some(extra)) =
                    (parts[0].get("$ref").cloned(), parts[1].as_object().cloned())
                {
                    merged.insert("$ref".into(), reference);
                    merged.extend(extra);
                }
                map.remove("allOf");
                map.remove("type");
                merged.extend(std::mem::take(map));
                *map = merged;
            }
            for child in map.values_mut() {
                unwrap_described_refs(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(unwrap_described_refs),
        _ => {}
    }
}

/// poem-openapi writes `format: naive-date`; the standard name is `date`.
fn naive_dates(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("format").and_then(Value::as_str) == Some("naive-date") {
                map.insert("format".into(), Value::String("date".into()));
            }
            map.values_mut().for_each(naive_dates);
        }
        Value::Array(items) => items.iter_mut().for_each(naive_dates),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn spec() -> Value {
        serde_json::from_str(&crate::spec_json()).unwrap()
    }

    #[test]
    fn every_field_rule_names_a_string_property() {
        let spec = spec();
        for (schema, field, _) in FIELD_RULES {
            let property = spec
                .pointer(&format!("/components/schemas/{schema}/properties/{field}"))
                .unwrap_or_else(|| panic!("{schema}.{field} is not in the spec"));
            assert_eq!(property["type"], "string", "{schema}.{field}");
            assert!(property.get("pattern").is_some(), "{schema}.{field}");
        }
    }

    /// Issue 29, point 7: the rules the server enforces that the spec did not state.
    #[test]
    fn the_spec_states_every_rule_the_server_enforces() {
        let spec = spec();
        let schemas = &spec["components"]["schemas"];
        assert_eq!(
            schemas["PublicReportRequest"]["properties"]["consent"]["enum"],
            json!([true])
        );
        for variant in ["PartnerUsurpationRequest", "UserUsurpationRequest"] {
            let closed = &schemas[format!("UsurpationRequest_{variant}").as_str()];
            assert_eq!(closed["additionalProperties"], false, "{variant}");
            assert!(closed["properties"]["kind"]["enum"].is_array(), "{variant}");
        }
        let upload = &spec["paths"]["/api/v1/tickets/{id}/attachments"]["post"]["requestBody"]["content"]
            ["multipart/form-data"]["schema"]["properties"]["file"];
        assert_eq!(upload["minItems"], 1);
        assert_eq!(upload["maxItems"], 5);
        let parameter = |path: &str, name: &str| -> Value {
            spec["paths"][path]["get"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap()["schema"]
                .clone()
        };
        let ticket_key = constraints(TicketKey)["pattern"].clone();
        assert_eq!(
            parameter("/api/v1/access-journal", "ticket")["pattern"],
            ticket_key
        );
        assert_eq!(
            parameter("/api/v1/tickets", "assignee")["pattern"],
            constraints(Handle)["pattern"]
        );
        assert_eq!(parameter("/api/v1/tickets", "q")["pattern"], SEARCH_PATTERN);
        assert_eq!(
            schemas["SubjectRequest"]["properties"]["email"]["pattern"],
            constraints(Email)["pattern"]
        );
        assert!(schemas["LegalHoldRequest"]["properties"]["reason"]["pattern"].is_string());
    }

    /// Issue 29, point 8: the order of each sort key, in words.
    #[test]
    fn each_sort_key_says_its_order() {
        let spec = spec();
        let description = spec["components"]["schemas"]["TicketSort"]["description"]
            .as_str()
            .unwrap();
        for key in [
            "`created_at`",
            "`-created_at`",
            "`updated_at`",
            "`-updated_at`",
            "`priority`: priority 1 (`critique`) first",
            "`-priority`: `info` first",
            "`deadline`",
            "`-deadline`",
        ] {
            assert!(description.contains(key), "{key}: {description}");
        }
    }

    /// Issue 29, point 6: generators that know only `application/octet-stream` keep the archive.
    #[test]
    fn the_evidence_archive_is_also_offered_as_octet_stream() {
        let spec = spec();
        let content = &spec["paths"]["/api/v1/tickets/{id}/evidence/archive"]["get"]["responses"]["200"]
            ["content"];
        assert_eq!(content["application/zip"]["schema"]["format"], "binary");
        assert_eq!(
            content["application/octet-stream"]["schema"]["format"],
            "binary"
        );
    }

    #[test]
    fn no_all_of_wrapper_around_a_described_ref() {
        let text = crate::spec_json();
        let spec: Value = serde_json::from_str(&text).unwrap();
        let described = &spec["components"]["schemas"]["TicketView"]["properties"]["kind"];
        assert_eq!(described["$ref"], "#/components/schemas/KindDto");
        assert!(described["description"].is_string());
        assert!(!text.contains("naive-date"));
    }
}
