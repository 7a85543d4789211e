//! What a ticket holds beyond its header, as the API shows it: the reporter, each kind's details,
//! and what its lifecycle recorded (resolution, confirmation, closure, cancellation, concerned
//! organisations, credentials, links).

use super::{
    ClosureReasonDto, ConcernedRoleDto, DetectorDto, Instant, LanguageDto, LinkKindDto,
    UsurpationReporterDto, VectorDto, VictimView,
};
use chrono::NaiveDate;
use poem_openapi::{Enum, Object};
use ticket_domain::kind::{IncidentData, PartnerUsurpationData, Qualification, UserUsurpationData};
use ticket_domain::ticket::{
    Cancellation, ClosureRecord, ConcernedOrganisation, Confirmation, CredentialsOutcome, Link,
    Reporter, ReporterOrigin, Resolution,
};
use uuid::Uuid;

/// Where the report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ReporterTypeDto {
    Partner,
    Public,
    Staff,
}

/// The reporter, as far as the API shows it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReporterView {
    /// `partner`, `public` (the web form) or `staff`.
    #[oai(rename = "type")]
    pub reporter_type: ReporterTypeDto,
    /// The reporting partner's organisation.
    pub organisation_id: Option<Uuid>,
    /// The staff member who reported it.
    pub staff: Option<String>,
    /// Language of the mails the reporter receives.
    pub language: LanguageDto,
}

/// Incident details.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct IncidentView {
    /// The impacted service, when given.
    pub service_id: Option<Uuid>,
    /// Name of the impacted service when the ticket was opened.
    pub service_name: Option<String>,
    /// When the incident started.
    pub started_at: Instant,
    /// What is impacted, in the reporter's words.
    pub impact: String,
    /// A security incident: priority 1, handled by `security`.
    pub security: bool,
}

/// Partner usurpation details.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PartnerUsurpationView {
    /// `partner` or `operator`.
    pub detected_by: DetectorDto,
    /// The impersonated partner.
    pub partner_id: Uuid,
    /// What was compromised or imitated.
    pub vectors: Vec<VectorDto>,
    /// Description of the usurpation.
    pub description: String,
}

/// User usurpation details.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserUsurpationView {
    /// `user` (web form), `partner` or `operator`.
    pub reported_by: UsurpationReporterDto,
    /// Authentication session id or event id from the alert mail.
    pub session_id: Option<Uuid>,
    /// When the suspicious connection happened.
    pub suspicious_connection_at: Option<Instant>,
    /// The day of the suspicious connection (Paris), when only the day was given (the public form).
    pub suspicious_connection_date: Option<NaiveDate>,
    /// The identity provider holding the account.
    pub identity_provider_id: Option<Uuid>,
    /// The service providers accessed.
    pub service_provider_ids: Vec<Uuid>,
    /// The victim agreed to the processing of the report.
    pub consent: bool,
    /// `confirmed` or `unfounded`, once `security` qualified the report.
    pub qualification: Option<String>,
    /// Why the report was found unfounded.
    pub qualification_explanation: Option<String>,
    /// The victim's identity and contact, as far as the reader needs to know; absent when nothing.
    pub victim: Option<VictimView>,
}

/// Support request details.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SupportRequestView {
    /// The question asked.
    pub question: String,
}

/// The staff's resolution.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ResolutionView {
    /// When it was resolved.
    pub at: Instant,
    /// What was done.
    pub summary: String,
    /// Whether the reporter was told of the resolution (closure condition 4).
    pub reporter_notified: bool,
}

/// The reporter's confirmation of the resolution (closure condition 1).
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ConfirmationView {
    /// `written` (API or tracking page) or `verbal` (recorded by staff).
    pub channel: String,
    /// When it was confirmed.
    pub at: Instant,
}

/// How the ticket was closed.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClosureView {
    /// When it was closed.
    pub at: Instant,
    /// The closure condition met.
    pub reason: ClosureReasonDto,
    /// The note given as proof, if any.
    pub note: Option<String>,
}

/// Why the ticket was cancelled.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CancellationView {
    /// `spam` or `duplicate`.
    pub reason: String,
    /// The ticket this one duplicates.
    pub duplicate_of: Option<Uuid>,
}

/// An organisation that must be notified before a usurpation case closes.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ConcernedView {
    /// The organisation.
    pub organisation_id: Uuid,
    /// Why it is concerned.
    pub role: ConcernedRoleDto,
    /// When it was notified: when the mail server accepted the mail to it (or security recorded
    /// another channel); absent while it is not, including while its mail is queued, failed or
    /// uncertain.
    pub notified_at: Option<Instant>,
}

/// Partner usurpation: what was done about the compromised credentials.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CredentialsView {
    /// `revoked`, or `waived` in writing by `security`.
    pub outcome: String,
    /// When it was recorded.
    pub at: Instant,
    /// The note recorded with it.
    pub note: String,
}

/// A related ticket.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LinkView {
    /// The other ticket.
    pub ticket_id: Uuid,
    /// How it is related.
    pub kind: LinkKindDto,
}

impl ReporterView {
    pub(super) fn of(reporter: &Reporter) -> Self {
        let (reporter_type, organisation_id, staff) = match &reporter.origin {
            ReporterOrigin::Partner { organisation } => {
                (ReporterTypeDto::Partner, Some(organisation.0), None)
            }
            ReporterOrigin::Public => (ReporterTypeDto::Public, None, None),
            ReporterOrigin::Staff { handle } => (
                ReporterTypeDto::Staff,
                None,
                Some(handle.as_str().to_owned()),
            ),
        };
        ReporterView {
            reporter_type,
            organisation_id,
            staff,
            language: reporter.language.into(),
        }
    }
}

impl IncidentView {
    pub(super) fn of(d: &IncidentData) -> Self {
        IncidentView {
            service_id: d.service.as_ref().map(|s| s.id.0),
            service_name: d.service.as_ref().map(|s| s.name.clone()),
            started_at: d.started_at.into(),
            impact: d.impact.as_str().to_owned(),
            security: d.security,
        }
    }
}

impl PartnerUsurpationView {
    pub(super) fn of(d: &PartnerUsurpationData) -> Self {
        PartnerUsurpationView {
            detected_by: d.detected_by.into(),
            partner_id: d.partner.0,
            vectors: d.vectors.iter().map(|v| (*v).into()).collect(),
            description: d.description.as_str().to_owned(),
        }
    }
}

impl UserUsurpationView {
    /// The details of `d`, with what the reader may see of the victim.
    pub(super) fn of(d: &UserUsurpationData, victim: Option<VictimView>) -> Self {
        let (qualification, explanation) = match &d.qualification {
            Some(Qualification::Confirmed) => (Some("confirmed".to_owned()), None),
            Some(Qualification::Unfounded { explanation }) => (
                Some("unfounded".to_owned()),
                Some(explanation.as_str().to_owned()),
            ),
            None => (None, None),
        };
        UserUsurpationView {
            reported_by: d.reported_by.into(),
            session_id: d.session_id,
            suspicious_connection_at: d.suspicious_connection_at.map(Into::into),
            suspicious_connection_date: d.suspicious_connection_date,
            identity_provider_id: d.identity_provider.map(|o| o.0),
            service_provider_ids: d.service_providers.iter().map(|o| o.0).collect(),
            consent: d.consent,
            qualification,
            qualification_explanation: explanation,
            victim,
        }
    }
}

impl ResolutionView {
    pub(super) fn of(r: &Resolution) -> Self {
        ResolutionView {
            at: r.at.into(),
            summary: r.summary.as_str().to_owned(),
            reporter_notified: r.reporter_notified,
        }
    }
}

impl ConfirmationView {
    pub(super) fn of(c: &Confirmation) -> Self {
        match c {
            Confirmation::Written { at } => ConfirmationView {
                channel: "written".into(),
                at: (*at).into(),
            },
            Confirmation::Verbal { at, .. } => ConfirmationView {
                channel: "verbal".into(),
                at: (*at).into(),
            },
        }
    }
}

impl ClosureView {
    pub(super) fn of(c: &ClosureRecord) -> Self {
        ClosureView {
            at: c.at.into(),
            reason: c.reason.into(),
            note: c.note.as_ref().map(|n| n.as_str().to_owned()),
        }
    }
}

impl CancellationView {
    pub(super) fn of(c: &Cancellation) -> Self {
        match c {
            Cancellation::Spam => CancellationView {
                reason: "spam".into(),
                duplicate_of: None,
            },
            Cancellation::Duplicate { of } => CancellationView {
                reason: "duplicate".into(),
                duplicate_of: Some(of.0),
            },
        }
    }
}

impl ConcernedView {
    pub(super) fn of(c: &ConcernedOrganisation) -> Self {
        ConcernedView {
            organisation_id: c.organisation.0,
            role: c.role.into(),
            notified_at: c.notified_at.map(Into::into),
        }
    }
}

impl CredentialsView {
    pub(super) fn of(c: &CredentialsOutcome) -> Self {
        let (outcome, at, note) = match c {
            CredentialsOutcome::Revoked { at, note } => ("revoked", at, note),
            CredentialsOutcome::Waived { at, note, .. } => ("waived", at, note),
        };
        CredentialsView {
            outcome: outcome.into(),
            at: (*at).into(),
            note: note.as_str().to_owned(),
        }
    }
}

impl LinkView {
    pub(super) fn of(l: &Link) -> Self {
        LinkView {
            ticket_id: l.ticket.0,
            kind: l.kind.into(),
        }
    }
}
