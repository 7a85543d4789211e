//! The reporter's private page: the state in plain words, the public history, adding information
//! or files, confirming or rejecting a resolution.

use super::{Frame, SummaryLine};
use askama::Template;
use ticket_wording::Words;

/// One line of the reporter's history.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    pub at: String,
    pub who: String,
    pub text: String,
}

/// A public file of the ticket, as its tracking page lists it.
#[derive(Debug, Clone)]
pub struct TrackedFile {
    pub name: String,
    /// The size in words (`12 Ko`).
    pub size: String,
    pub href: String,
}

#[derive(Debug, Template)]
#[template(path = "public/tracking.html")]
pub struct TrackingPage<'a> {
    pub w: Words<'a>,
    pub frame: Frame,
    pub title: String,
    pub reference: String,
    pub notice: String,
    pub error_title: String,
    pub errors: Vec<SummaryLine>,
    pub state: String,
    pub state_explained: String,
    /// Why the case was closed, when it is.
    pub closure: String,
    /// A resolution waits for the reporter's answer.
    pub resolved: bool,
    /// The reporter may still add information and files.
    pub open: bool,
    pub csrf: String,
    pub version: i64,
    pub action_base: String,
    pub files: Vec<TrackedFile>,
    pub files_action: String,
    pub files_hint: String,
    pub files_error: String,
    pub history: Vec<HistoryLine>,
}
