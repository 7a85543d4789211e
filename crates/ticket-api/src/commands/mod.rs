//! `POST /api/v1/tickets/{id}/{command}`: every command of the lifecycle. Each needs `If-Match`
//! with the ticket's ETag and answers the updated ticket with its new ETag.

mod bodies;
mod handling;
mod resolution;
pub(crate) mod run;
mod usurpation;

pub(crate) use run::text_or_invalid;

/// Ticket commands, in three groups: handling, resolution, usurpation cases.
pub type CommandsApi = (
    handling::HandlingApi,
    resolution::ResolutionApi,
    usurpation::UsurpationApi,
);
