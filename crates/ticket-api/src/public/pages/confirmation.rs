//! After a report: the reference, the private tracking link, when to expect an answer and what to
//! do now (with the online pre-complaint and THESEE services).

use super::Frame;
use askama::Template;
use ticket_wording::Words;

#[derive(Debug, Template)]
#[template(path = "public/confirmation.html")]
pub struct Confirmation<'a> {
    pub w: Words<'a>,
    pub frame: Frame,
    pub title: String,
    pub reference: String,
    pub tracking_path: String,
    pub tracking_url: String,
    pub answer_expected: String,
}
