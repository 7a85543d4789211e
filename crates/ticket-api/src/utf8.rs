//! Invalid UTF-8 in a request's path or query (once percent-decoded) is a 400 problem+json naming
//! the part (API convention), answered before any router sees the request: poem's router drops a
//! path segment it cannot decode and answers a bare `text/plain` 400, and its query parser
//! replaces undecodable bytes with U+FFFD (so `q=%FF%FE` would search for nothing in particular).
//! Invalid UTF-8 in a JSON body is the body check's business ([`crate::shape`]).

use crate::error::ApiError;
use crate::problem::FieldError;
use poem::http::{HeaderValue, header};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};

/// `endpoint`, behind the check.
pub fn well_formed<E: Endpoint + 'static>(endpoint: E) -> impl Endpoint<Output = Response> {
    endpoint.around(|endpoint, request: Request| async move {
        let errors = errors_of(request.uri().path(), request.uri().query().unwrap_or(""));
        if errors.is_empty() {
            return endpoint
                .call(request)
                .await
                .map(IntoResponse::into_response);
        }
        let mut response = ApiError::malformed(errors).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok(response)
    })
}

/// One error for the path, one per query parameter, that does not decode to UTF-8.
pub fn errors_of(path: &str, query: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if std::str::from_utf8(&decode(path, false)).is_err() {
        errors.push(FieldError {
            field: "path".to_owned(),
            rule: "utf8".to_owned(),
            message: "the path must be UTF-8 once percent-decoded".to_owned(),
        });
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name_bytes = decode(name, true);
        let value_ok = std::str::from_utf8(&decode(value, true)).is_ok();
        let field = match std::str::from_utf8(&name_bytes) {
            Ok(_) if value_ok => continue,
            Ok(name) => name.to_owned(),
            Err(_) => "query".to_owned(),
        };
        if !errors.iter().any(|e: &FieldError| e.field == field) {
            errors.push(FieldError {
                field,
                rule: "utf8".to_owned(),
                message: "must be UTF-8 once percent-decoded".to_owned(),
            });
        }
    }
    errors
}

/// Percent-decodes `text` (and `+` as a space in a query); a `%` not followed by two hex digits
/// stays as it is.
fn decode(text: &str, query: bool) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| Some((hex(*bytes.get(i + 1)?)?, hex(*bytes.get(i + 2)?)?)))
            .flatten();
        match (escaped, bytes[i]) {
            (Some((high, low)), _) => {
                out.push(high * 16 + low);
                i += 3;
                continue;
            }
            (None, b'+') if query => out.push(b' '),
            (None, other) => out.push(other),
        }
        i += 1;
    }
    out
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(path: &str, query: &str) -> Vec<String> {
        errors_of(path, query)
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn undecodable_paths_and_parameters_are_named() {
        assert_eq!(fields("/api/v1/tickets/%FF", ""), ["path"]);
        assert_eq!(fields("/suivi/%FF", ""), ["path"]);
        assert_eq!(fields("/api/v1/tickets", "q=%FF%FE&limit=2"), ["q"]);
        assert_eq!(fields("/api/v1/tickets", "%FF=1"), ["query"]);
    }

    #[test]
    fn utf8_and_stray_percents_pass() {
        assert!(
            fields(
                "/api/v1/tickets/caf%C3%A9",
                "q=%C3%A9t%C3%A9+panne&x=%&y=%4"
            )
            .is_empty()
        );
        assert!(fields("/a%2", "q=100%").is_empty());
    }
}
