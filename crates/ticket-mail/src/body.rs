//! A mail body as a list of blocks, written once and rendered twice: plain text and HTML.
//!
//! Templates never write HTML themselves: every string of a block is escaped when rendered to HTML,
//! so no title, comment, name or address typed by anyone can inject markup.

use std::fmt::Write as _;
use ticket_domain::notify::Language;

/// One block of a mail body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph(String),
    Heading(String),
    /// Label / value pairs (reference, priority, ...).
    Facts(Vec<(String, String)>),
    /// Text someone wrote (a question, a comment, a summary): kept line by line, set apart.
    Quote(String),
    /// An unordered list.
    List(Vec<String>),
    /// A link, written out in full in both parts so it survives copy and paste.
    Link {
        label: String,
        url: String,
    },
    /// Small print at the end: why the mail was sent, do not reply.
    Footer(String),
}

/// A mail body in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub language: Language,
    pub blocks: Vec<Block>,
}

impl Body {
    pub fn new(language: Language) -> Self {
        Self {
            language,
            blocks: Vec::new(),
        }
    }

    pub fn paragraph(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Paragraph(text.into()));
        self
    }

    pub fn heading(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Heading(text.into()));
        self
    }

    pub fn facts(&mut self, facts: Vec<(String, String)>) -> &mut Self {
        if !facts.is_empty() {
            self.blocks.push(Block::Facts(facts));
        }
        self
    }

    pub fn quote(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Quote(text.into()));
        self
    }

    pub fn list(&mut self, items: Vec<String>) -> &mut Self {
        if !items.is_empty() {
            self.blocks.push(Block::List(items));
        }
        self
    }

    pub fn link(&mut self, label: impl Into<String>, url: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Link {
            label: label.into(),
            url: url.into(),
        });
        self
    }

    pub fn footer(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Footer(text.into()));
        self
    }

    /// The plain-text part.
    pub fn to_text(&self) -> String {
        let colon = match self.language {
            Language::Fr => " : ",
            Language::En => ": ",
        };
        let mut out = String::new();
        for block in &self.blocks {
            match block {
                Block::Paragraph(text) => out.push_str(text),
                Block::Heading(text) => {
                    out.push_str(text);
                    out.push('\n');
                    out.push_str(&"=".repeat(text.chars().count()));
                }
                Block::Facts(facts) => {
                    let lines: Vec<String> = facts
                        .iter()
                        .map(|(label, value)| {
                            format!("{label}{colon}{}", indent_continuation(value, "  "))
                        })
                        .collect();
                    out.push_str(&lines.join("\n"));
                }
                Block::Quote(text) => {
                    let lines: Vec<String> = text
                        .lines()
                        .map(|line| {
                            if line.is_empty() {
                                ">".to_owned()
                            } else {
                                format!("> {line}")
                            }
                        })
                        .collect();
                    out.push_str(&lines.join("\n"));
                }
                Block::List(items) => {
                    let lines: Vec<String> = items
                        .iter()
                        .map(|item| format!("- {}", indent_continuation(item, "  ")))
                        .collect();
                    out.push_str(&lines.join("\n"));
                }
                Block::Link { label, url } => {
                    out.push_str(label);
                    out.push('\n');
                    out.push_str(url);
                }
                Block::Footer(text) => {
                    out.push_str("-- \n");
                    out.push_str(text);
                }
            }
            out.push_str("\n\n");
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('\n');
        out
    }

    /// The HTML part: a plain, inline-styled document (mail clients ignore style sheets).
    pub fn to_html(&self, title: &str) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width\">\n<title>{}</title>\n</head>\n\
             <body style=\"font-family: Arial, Helvetica, sans-serif; font-size: 15px; \
             line-height: 1.5; color: #161616; max-width: 640px;\">\n",
            self.language.code(),
            escape_html(title)
        );
        for block in &self.blocks {
            match block {
                Block::Paragraph(text) => {
                    let _ = writeln!(out, "<p>{}</p>", escape_lines(text));
                }
                Block::Heading(text) => {
                    let _ = writeln!(
                        out,
                        "<h2 style=\"font-size: 17px; margin: 24px 0 8px;\">{}</h2>",
                        escape_html(text)
                    );
                }
                Block::Facts(facts) => {
                    out.push_str(
                        "<table role=\"presentation\" style=\"border-collapse: collapse;\">\n",
                    );
                    for (label, value) in facts {
                        let _ = writeln!(
                            out,
                            "<tr><th style=\"text-align: left; vertical-align: top; \
                             padding: 2px 16px 2px 0; font-weight: bold;\">{}</th>\
                             <td style=\"padding: 2px 0;\">{}</td></tr>",
                            escape_html(label),
                            escape_lines(value)
                        );
                    }
                    out.push_str("</table>\n");
                }
                Block::Quote(text) => {
                    let _ = writeln!(
                        out,
                        "<blockquote style=\"margin: 8px 0; padding: 4px 12px; \
                         border-left: 3px solid #929292; color: #3a3a3a;\">{}</blockquote>",
                        escape_lines(text)
                    );
                }
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for item in items {
                        let _ = writeln!(out, "<li>{}</li>", escape_lines(item));
                    }
                    out.push_str("</ul>\n");
                }
                Block::Link { label, url } => {
                    let url = escape_html(url);
                    let _ = writeln!(
                        out,
                        "<p>{}<br><a href=\"{url}\">{url}</a></p>",
                        escape_html(label)
                    );
                }
                Block::Footer(text) => {
                    let _ = writeln!(
                        out,
                        "<p style=\"margin-top: 32px; color: #666666; font-size: 13px;\">{}</p>",
                        escape_lines(text)
                    );
                }
            }
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

fn indent_continuation(text: &str, indent: &str) -> String {
    text.lines()
        .collect::<Vec<_>>()
        .join(&format!("\n{indent}"))
}

/// Escapes text for HTML element content and attribute values (`&`, `<`, `>`, `"`, `'`).
pub fn escape_html(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}

/// Escapes text and keeps its line breaks.
fn escape_lines(text: &str) -> String {
    text.lines()
        .map(escape_html)
        .collect::<Vec<_>>()
        .join("<br>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_every_special_character() {
        assert_eq!(
            escape_html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;y&#x27;"
        );
    }

    #[test]
    fn both_parts_carry_every_block() {
        let mut body = Body::new(Language::Fr);
        body.paragraph("Bonjour <b>,")
            .facts(vec![("Référence".into(), "INC-2026-000001".into())])
            .quote("ligne 1\nligne 2")
            .list(vec!["un".into(), "deux".into()])
            .link("Suivi", "https://example.fr/suivi/a\"b");
        let text = body.to_text();
        assert!(text.contains("Bonjour <b>,"));
        assert!(text.contains("Référence : INC-2026-000001"));
        assert!(text.contains("> ligne 1\n> ligne 2"));
        assert!(text.contains("- un\n- deux"));
        let html = body.to_html("Sujet <i>");
        assert!(html.contains("<title>Sujet &lt;i&gt;</title>"));
        assert!(html.contains("Bonjour &lt;b&gt;,"));
        assert!(html.contains("ligne 1<br>\nligne 2"));
        assert!(html.contains("href=\"https://example.fr/suivi/a&quot;b\""));
        assert!(!html.contains("<b>"));
    }
}
