//! A page that only says something: not found, refused, too many, too large, unavailable.

use super::Frame;
use askama::Template;
use ticket_wording::Words;

#[derive(Debug, Template)]
#[template(path = "public/message.html")]
pub struct MessagePage<'a> {
    pub w: Words<'a>,
    pub frame: Frame,
    pub title: String,
    pub text: String,
    /// Offer the way back to the form.
    pub back: bool,
}
