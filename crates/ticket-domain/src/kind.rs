//! Ticket kinds and the data each carries (rule "Ticket kinds" of the domain document).

use crate::personal::Personal;
use crate::values::{EmailAddress, OrganisationId, PhoneNumber, ServiceId, Text};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// The four kinds of ticket.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TicketKind {
    /// A malfunction or security problem on a service.
    Incident,
    /// Someone impersonates a partner (phishing site, leaked secret, forged tokens).
    PartnerUsurpation,
    /// A user's identity was used by someone else.
    UserUsurpation,
    /// A non-technical question.
    SupportRequest,
}

impl TicketKind {
    pub const ALL: [TicketKind; 4] = [
        TicketKind::Incident,
        TicketKind::PartnerUsurpation,
        TicketKind::UserUsurpation,
        TicketKind::SupportRequest,
    ];

    /// Prefix of the human reference: distinct per kind so a reference says what it is.
    pub fn reference_prefix(self) -> &'static str {
        match self {
            TicketKind::Incident => "INC",
            TicketKind::PartnerUsurpation => "USP",
            TicketKind::UserUsurpation => "USU",
            TicketKind::SupportRequest => "DEM",
        }
    }

    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn parse(name: &str) -> Option<Self> {
        name.parse().ok()
    }
}

impl fmt::Display for TicketKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A service of the registry as it was when the ticket was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSnapshot {
    pub id: ServiceId,
    pub organisation: OrganisationId,
    pub name: String,
    /// Maximum unavailability declared for the service, in seconds, when known: a duration on the
    /// service's own availability window.
    pub max_unavailability_seconds: Option<i64>,
    /// The service's availability window as the registry states it ("24/7", "office hours", …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<String>,
}

impl ServiceSnapshot {
    /// Whether the service is meant to be available around the clock ("24/7", "24h/24", …), so
    /// that its maximum unavailability is counted in elapsed time.
    pub fn is_around_the_clock(&self) -> bool {
        self.availability.as_deref().is_some_and(|text| {
            let compact: String = text
                .to_lowercase()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            ["24/7", "24x7", "24h/24", "24h24", "7j/7", "7/7"]
                .iter()
                .any(|mark| compact.contains(mark))
        })
    }
}

/// Kind 1: an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentData {
    pub service: Option<ServiceSnapshot>,
    pub started_at: DateTime<Utc>,
    pub impact: Text,
    /// A security incident: priority 1, handled by `security`.
    pub security: bool,
}

/// Who detected a partner usurpation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detector {
    Partner,
    Operator,
}

/// What was compromised or imitated in a partner usurpation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsurpationVector {
    PhishingSite,
    LeakedClientSecret,
    LeakedAuthorizationCodes,
    ForgedTokens,
    Other,
}

/// Kind 2: someone impersonates a partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerUsurpationData {
    pub detected_by: Detector,
    /// The impersonated partner.
    pub partner: OrganisationId,
    pub vectors: Vec<UsurpationVector>,
    pub description: Text,
}

/// Who reported a user usurpation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsurpationReporter {
    /// The victim, through the public form.
    User,
    /// An identity or service provider that saw suspicious activity.
    Partner,
    /// The operator, from flow analysis.
    Operator,
}

/// The victim's birth identity. Every part is personal data.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BirthIdentity {
    pub birth_names: Option<Personal<String>>,
    pub first_names: Option<Personal<String>>,
    pub birth_date: Option<Personal<NaiveDate>>,
    pub birth_place: Option<Personal<String>>,
}

/// How to reach the victim.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Contact {
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
}

/// The outcome of `security`'s qualification of a user usurpation report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Qualification {
    /// The organisations concerned are notified and the victim gets the advice.
    Confirmed,
    /// Resolved with an explanation the reporter receives.
    Unfounded { explanation: Text },
}

/// Kind 3: a user's identity was used by someone else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUsurpationData {
    pub reported_by: UsurpationReporter,
    /// Authentication session id or event id from the alert mail; two reports with the same id are linked.
    pub session_id: Option<Uuid>,
    /// When the suspicious connection happened: no more than 6 months ago (older traces are gone).
    pub suspicious_connection_at: Option<DateTime<Utc>>,
    /// The day of the suspicious connection (Paris), when only the day is known (the public
    /// form): a day stays a day, never turned into an invented instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspicious_connection_date: Option<chrono::NaiveDate>,
    /// The identity provider holding the account.
    pub identity_provider: Option<OrganisationId>,
    /// The service providers accessed.
    pub service_providers: Vec<OrganisationId>,
    pub victim: BirthIdentity,
    pub contact: Contact,
    pub description: Option<Personal<String>>,
    /// The victim agreed to the processing of their report.
    pub consent: bool,
    pub qualification: Option<Qualification>,
}

/// Kind 4: a non-technical question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportRequestData {
    pub question: Text,
}

/// A ticket's kind with its specific data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KindData {
    Incident(IncidentData),
    PartnerUsurpation(PartnerUsurpationData),
    UserUsurpation(UserUsurpationData),
    SupportRequest(SupportRequestData),
}

impl KindData {
    pub fn kind(&self) -> TicketKind {
        match self {
            KindData::Incident(_) => TicketKind::Incident,
            KindData::PartnerUsurpation(_) => TicketKind::PartnerUsurpation,
            KindData::UserUsurpation(_) => TicketKind::UserUsurpation,
            KindData::SupportRequest(_) => TicketKind::SupportRequest,
        }
    }

    /// Security incidents and both usurpation kinds: priority 1, handled by `security`, copied to the
    /// security mailbox at every event.
    pub fn is_security_case(&self) -> bool {
        match self {
            KindData::Incident(incident) => incident.security,
            KindData::PartnerUsurpation(_) | KindData::UserUsurpation(_) => true,
            KindData::SupportRequest(_) => false,
        }
    }

    pub fn is_usurpation(&self) -> bool {
        matches!(
            self,
            KindData::PartnerUsurpation(_) | KindData::UserUsurpation(_)
        )
    }

    /// Whether the case concerns a member of the public (copies go to the user support mailbox).
    pub fn concerns_a_user(&self) -> bool {
        matches!(self, KindData::UserUsurpation(_))
    }

    pub fn user_usurpation(&self) -> Option<&UserUsurpationData> {
        match self {
            KindData::UserUsurpation(data) => Some(data),
            _ => None,
        }
    }
}
