//! The checks of an upload: its size and count, its type detected from its content against the
//! allow-list and the name it announces, its name sanitised.

use super::{AttachmentLimits, AttachmentRefusal, Upload};
use bytes::Bytes;
use std::collections::HashSet;

/// Media types accepted, with their usual extensions: images, PDF, text, mail, office documents.
const ALLOWED: &[(&str, &[&str])] = &[
    ("image/png", &["png"]),
    ("image/jpeg", &["jpg", "jpeg", "jfif"]),
    ("image/gif", &["gif"]),
    ("image/webp", &["webp"]),
    ("image/bmp", &["bmp"]),
    ("image/tiff", &["tif", "tiff"]),
    ("application/pdf", &["pdf"]),
    ("text/plain", &["txt", "log", "csv", "json", "md", "text"]),
    ("message/rfc822", &["eml", "txt"]),
    ("application/rtf", &["rtf"]),
    ("application/msword", &["doc"]),
    ("application/vnd.ms-excel", &["xls"]),
    ("application/vnd.ms-powerpoint", &["ppt"]),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &["docx"],
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &["xlsx"],
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        &["pptx"],
    ),
    ("application/vnd.oasis.opendocument.text", &["odt"]),
    ("application/vnd.oasis.opendocument.spreadsheet", &["ods"]),
    ("application/vnd.oasis.opendocument.presentation", &["odp"]),
];

/// Extensions that announce a type: a file named so must have that type's content.
fn announced_types(extension: &str) -> Option<Vec<&'static str>> {
    let types: Vec<&'static str> = ALLOWED
        .iter()
        .filter(|(_, extensions)| extensions.contains(&extension))
        .map(|(media_type, _)| *media_type)
        .collect();
    // Well-known dangerous extensions announce a type that is never accepted.
    let dangerous = [
        "exe", "dll", "com", "bat", "cmd", "msi", "scr", "js", "vbs", "ps1", "sh", "jar", "html",
        "htm", "svg", "xhtml", "apk", "elf", "bin",
    ];
    if dangerous.contains(&extension) {
        return Some(Vec::new());
    }
    (!types.is_empty()).then_some(types)
}

pub(super) fn extension_of(media_type: &str) -> &'static str {
    ALLOWED
        .iter()
        .find(|(t, _)| *t == media_type)
        .and_then(|(_, e)| e.first().copied())
        .unwrap_or("bin")
}

/// The media type of `bytes`, detected from the content: magic numbers first (`infer`), then
/// text (UTF-8 without control characters), a mail when the text starts with mail headers.
/// `Err` says what the content is when it is not accepted.
pub fn detect_media_type(bytes: &[u8]) -> Result<&'static str, String> {
    if let Some(kind) = infer::get(bytes) {
        let mime = kind.mime_type();
        return ALLOWED
            .iter()
            .find(|(t, _)| *t == mime)
            .map(|(t, _)| *t)
            .ok_or_else(|| format!("its content is {mime}, which is not accepted"));
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err("its content is neither a known document type nor text".to_owned());
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
    {
        return Err("its content is binary data of an unknown type".to_owned());
    }
    if looks_like_mail(text) {
        Ok("message/rfc822")
    } else {
        Ok("text/plain")
    }
}

/// A header block (`Name: value` lines, folded lines allowed) with a `From:` and a `Date:` or
/// `Subject:`, ended by an empty line.
fn looks_like_mail(text: &str) -> bool {
    let mut names = HashSet::new();
    for line in text.lines() {
        if line.is_empty() {
            return names.contains("from") && (names.contains("date") || names.contains("subject"));
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return false;
        }
        names.insert(name.to_ascii_lowercase());
    }
    false
}

/// A file name safe to store, show and offer for download: its last path component, letters,
/// digits and `.-_ ()` kept, anything else replaced by `_`, no leading dot, at most 120 characters
/// (the extension kept). An empty result becomes `file.EXT` after the detected type.
pub fn sanitise_name(raw: &str, media_type: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut name: String = last
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    name = name
        .trim()
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_owned();
    if name.chars().count() > 120 {
        let (stem, extension) = match name.rsplit_once('.') {
            Some((stem, ext)) if ext.chars().count() <= 10 => (stem.to_owned(), format!(".{ext}")),
            _ => (name.clone(), String::new()),
        };
        let keep = 120 - extension.chars().count();
        name = stem.chars().take(keep).collect::<String>() + &extension;
    }
    if name.is_empty() || !name.chars().any(char::is_alphanumeric) {
        name = format!("file.{}", extension_of(media_type));
    }
    name
}

/// A checked file, ready to store.
#[derive(Debug, Clone)]
pub(super) struct Checked {
    pub(super) name: String,
    pub(super) media_type: &'static str,
    pub(super) bytes: Bytes,
}

/// Checks files as [`Store::attach_files`] will, without storing anything: for a form that must
/// refuse its files before it creates the ticket they go with.
pub fn check_uploads(
    uploads: &[Upload],
    limits: &AttachmentLimits,
) -> Result<(), AttachmentRefusal> {
    check(uploads.to_vec(), limits).map(|_| ())
}

/// Checks every file before anything is stored.
pub(super) fn check(
    uploads: Vec<Upload>,
    limits: &AttachmentLimits,
) -> Result<Vec<Checked>, AttachmentRefusal> {
    if uploads.is_empty() {
        return Err(AttachmentRefusal::NoFile);
    }
    if uploads.len() > limits.max_files_per_upload as usize {
        return Err(AttachmentRefusal::TooMany {
            limit: limits.max_files_per_upload,
        });
    }
    let mut checked = Vec::with_capacity(uploads.len());
    for (i, upload) in uploads.into_iter().enumerate() {
        let index = i + 1;
        if upload.bytes.len() as u64 > limits.max_file_bytes {
            return Err(AttachmentRefusal::TooLarge {
                index,
                limit: limits.max_file_bytes,
            });
        }
        if upload.bytes.is_empty() {
            return Err(AttachmentRefusal::Empty { index });
        }
        let media_type = detect_media_type(&upload.bytes)
            .map_err(|reason| AttachmentRefusal::Unsupported { index, reason })?;
        let name = sanitise_name(&upload.name, media_type);
        if let Some((_, extension)) = name.rsplit_once('.') {
            let extension = extension.to_ascii_lowercase();
            if let Some(types) = announced_types(&extension)
                && !types.contains(&media_type)
            {
                return Err(AttachmentRefusal::Unsupported {
                    index,
                    reason: format!(
                        "it is named .{extension} but its content is {media_type}: the name disguises its type"
                    ),
                });
            }
        }
        checked.push(Checked {
            name,
            media_type,
            bytes: upload.bytes,
        });
    }
    Ok(checked)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_type() {
        let png = [
            0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d,
        ];
        assert_eq!(detect_media_type(&png), Ok("image/png"));
        assert_eq!(
            detect_media_type(b"2026-12-01 login ok\n"),
            Ok("text/plain")
        );
        assert_eq!(
            detect_media_type(b"From: a@b.fr\r\nSubject: alerte\r\n\r\nbody"),
            Ok("message/rfc822")
        );
        assert!(detect_media_type(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0").is_err());
        assert!(detect_media_type(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0").is_err());
        assert!(detect_media_type(b"\0\x01\x02binary").is_err());
    }

    #[test]
    fn an_executable_named_png_is_refused() {
        let elf = Bytes::from_static(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0>\0");
        let refused = check(
            vec![Upload {
                name: "photo.png".into(),
                bytes: elf,
            }],
            &AttachmentLimits::default(),
        )
        .unwrap_err();
        assert!(matches!(
            refused,
            AttachmentRefusal::Unsupported { index: 1, .. }
        ));
        let text = Bytes::from_static(b"just text");
        let refused = check(
            vec![Upload {
                name: "photo.png".into(),
                bytes: text,
            }],
            &AttachmentLimits::default(),
        )
        .unwrap_err();
        assert!(matches!(refused, AttachmentRefusal::Unsupported { .. }));
    }

    #[test]
    fn names_are_sanitised() {
        assert_eq!(sanitise_name("../../etc/passwd", "text/plain"), "passwd");
        assert_eq!(
            sanitise_name("C:\\Users\\a\\capture écran.png", "image/png"),
            "capture écran.png"
        );
        assert_eq!(sanitise_name("a\"b;c\r\n.txt", "text/plain"), "a_b_c__.txt");
        assert_eq!(sanitise_name(".htaccess", "text/plain"), "htaccess");
        assert_eq!(sanitise_name("", "application/pdf"), "file.pdf");
        let long = format!("{}.pdf", "x".repeat(300));
        let name = sanitise_name(&long, "application/pdf");
        assert_eq!(name.chars().count(), 120);
        assert!(name.ends_with(".pdf"));
    }
}
