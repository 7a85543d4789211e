//! The one use case of a member of the public's identity-theft report, whether it comes from the
//! web form or from `POST /api/v1/public/identity-theft-reports`: the domain's rules of a public
//! report ([`PublicReport::validate`]), the limit per email address, the ticket opened with its
//! tracking secret, the form's files attached, and the mail dispatcher woken once it is committed.

use super::submission::{files_error, public_limits};
use crate::ApiState;
use crate::problem::FieldError;
use chrono::{DateTime, Utc};
use ticket_domain::Actor;
use ticket_domain::public_report::PublicReport;
use ticket_domain::values::OrganisationId;
use ticket_store::StoreError;
use ticket_store::attachments::{Upload, check_uploads};
use ticket_store::tickets::{Created, IdempotencyRequest, TicketKey};

/// A report as its caller read it.
#[derive(Debug)]
pub(crate) struct Submission {
    pub report: PublicReport,
    /// The errors the caller found reading its input (a form's text that is not a date or an id).
    pub input_errors: Vec<FieldError>,
    /// Files sent with the report (the web form's), attached once it is registered.
    pub files: Vec<Upload>,
    pub idempotency: Option<IdempotencyRequest>,
}

/// Why a report was not registered.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The input's errors (its own, then the files'), and the report's rules' (empty when they
    /// held), each in the order they were found.
    Invalid {
        input: Vec<FieldError>,
        rules: Vec<FieldError>,
    },
    /// Too many reports for this email address: retry in that many seconds.
    TooMany(u64),
    /// The store refused or failed.
    Store(StoreError),
}

impl From<StoreError> for Refused {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// Registers `submission` at `now`: the ticket, its tracking secret (in the answer, shown once) and
/// its files; the mail dispatcher is woken for the acknowledgement.
pub(crate) async fn report_identity_theft(
    state: &ApiState,
    submission: Submission,
    now: DateTime<Utc>,
) -> Result<Created, Refused> {
    let Submission {
        report,
        mut input_errors,
        files,
        idempotency,
    } = submission;
    if let Err(refusal) = check_uploads(&files, &public_limits(state))
        && !files.is_empty()
    {
        input_errors.push(files_error(&refusal));
    }
    let known: Vec<OrganisationId> = state
        .store
        .list_organisations()
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let new = match report.validate(now, &state.policy, &known) {
        Ok(new) if input_errors.is_empty() => new,
        result => {
            return Err(Refused::Invalid {
                input: input_errors,
                rules: result
                    .err()
                    .unwrap_or_default()
                    .into_iter()
                    .map(Into::into)
                    .collect(),
            });
        }
    };
    state
        .public
        .per_email
        .check(&report.email.trim().to_lowercase(), now)
        .await
        .map_err(Refused::TooMany)?;
    let created = state
        .store
        .create_ticket(
            new,
            &Actor::PublicReporter,
            now,
            &state.policy,
            idempotency,
            true,
        )
        .await?;
    attach(state, &created, files, now).await;
    state.mail_queued.notify_one();
    Ok(created)
}

/// Attaches the files of a registered report. They were checked before: only the storage or the
/// database can fail here, and the report stands without its files (the reporter can add them from
/// the tracking page).
async fn attach(state: &ApiState, created: &Created, files: Vec<Upload>, now: DateTime<Utc>) {
    if files.is_empty() {
        return;
    }
    if let Err(error) = state
        .store
        .attach_files(
            &state.attachments,
            TicketKey::Id(created.ticket.ticket.id),
            None,
            files,
            false,
            &Actor::PublicReporter,
            now,
            &state.policy,
        )
        .await
    {
        tracing::warn!(%error, "the files of a public report could not be attached");
    }
}
