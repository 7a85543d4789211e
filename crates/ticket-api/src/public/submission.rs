//! What the public sends: form bodies (URL-encoded, or multipart with files), the files' limits,
//! cookies, and the client's address for the per-address limit.

use super::PublicState;
use crate::ApiState;
use poem::http::header;
use poem::{Body, Request};
use ticket_store::attachments::{AttachmentLimits, AttachmentRefusal, Upload};

/// The largest form body accepted.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// The client's address, for the per-IP limit.
pub(super) fn client_ip(request: &Request, public: &PublicState) -> String {
    if public.config.trust_forwarded_for
        && let Some(client) = forwarded_client(
            request
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok()),
            public.config.trusted_proxy_hops,
        )
    {
        return client;
    }
    request
        .remote_addr()
        .as_socket_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The client address in `X-Forwarded-For` behind `hops` trusted proxies: each proxy appends the
/// address it received the request from, so the entry `hops` places from the right is what the
/// outermost trusted proxy saw. With fewer entries than hops, the left-most one.
pub fn forwarded_client<'a>(headers: impl Iterator<Item = &'a str>, hops: usize) -> Option<String> {
    let entries: Vec<&str> = headers
        .flat_map(|h| h.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let index = entries.len().saturating_sub(hops.max(1));
    entries.get(index).map(|e| (*e).to_owned())
}

pub(super) fn cookie_value(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A form body: every field, repeated ones kept in order.
pub(super) struct FormBody(Vec<(String, String)>);

impl FormBody {
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// The most files the public form and the tracking page take at once ("a few").
pub const PUBLIC_MAX_FILES: u32 = 3;

/// The public pages' file limits: the service's, with at most [`PUBLIC_MAX_FILES`] at once.
pub(super) fn public_limits(state: &ApiState) -> AttachmentLimits {
    let limits = state.attachments.limits;
    AttachmentLimits {
        max_files_per_upload: limits.max_files_per_upload.min(PUBLIC_MAX_FILES),
        ..limits
    }
}

/// Reads a form: URL-encoded (up to [`MAX_FORM_BYTES`]), or `multipart/form-data` with files (up
/// to the files' limits). File inputs left empty are dropped. `None` when too large or unreadable.
pub(super) async fn read_submission(
    request: &Request,
    body: Body,
    limits: &AttachmentLimits,
) -> Option<(FormBody, Vec<Upload>)> {
    let content_type = request.content_type().unwrap_or_default().to_owned();
    if !content_type.starts_with("multipart/form-data") {
        return read_form(body).await.map(|form| (form, Vec::new()));
    }
    let limit = usize::try_from(limits.max_file_bytes)
        .unwrap_or(usize::MAX)
        .saturating_mul(limits.max_files_per_upload as usize)
        .saturating_add(MAX_FORM_BYTES + 16 * 1024);
    let bytes = body.into_bytes_limit(limit).await.ok()?;
    let boundary = multer::parse_boundary(&content_type).ok()?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut fields = Vec::new();
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await.ok()? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let data = field.bytes().await.ok()?;
        match file_name {
            Some(file_name) if file_name.is_empty() && data.is_empty() => {}
            Some(file_name) => files.push(Upload {
                name: file_name,
                bytes: data,
            }),
            None => fields.push((name, String::from_utf8(data.to_vec()).ok()?)),
        }
    }
    Some((FormBody(fields), files))
}

/// The form error of refused files (`files` field, the refusal's kind as rule).
pub(super) fn files_error(refusal: &AttachmentRefusal) -> crate::problem::FieldError {
    let rule = match refusal {
        AttachmentRefusal::TooLarge { .. } => "too_large",
        AttachmentRefusal::TooMany { .. } => "too_many",
        AttachmentRefusal::Unsupported { .. } => "type",
        AttachmentRefusal::Empty { .. } | AttachmentRefusal::NoFile => "required",
    };
    crate::problem::FieldError {
        field: "files".to_owned(),
        rule: rule.to_owned(),
        message: refusal.to_string(),
    }
}

/// Reads a form body up to [`MAX_FORM_BYTES`]; `None` when larger.
async fn read_form(body: Body) -> Option<FormBody> {
    let bytes = body.into_bytes_limit(MAX_FORM_BYTES).await.ok()?;
    Some(FormBody(
        form_urlencoded::parse(&bytes).into_owned().collect(),
    ))
}
