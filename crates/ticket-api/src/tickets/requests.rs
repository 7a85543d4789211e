//! The bodies of the declarations (incident, usurpation, support request) and the collection of
//! their field errors.

use crate::dto::{DetectorDto, LanguageDto, PriorityDto, UsurpationReporterDto, VectorDto};
use crate::error::ApiError;
use crate::problem::FieldError;
use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{Object, Union};
use ticket_domain::values::{EmailAddress, PhoneNumber, Text};
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

pub(crate) fn field(field: &str, rule: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        rule: rule.to_owned(),
        message: message.into(),
    }
}

/// Collects the field errors of a request, so one answer names every invalid field.
#[derive(Default)]
pub(crate) struct Checks(Vec<FieldError>);

impl Checks {
    pub(crate) fn text(&mut self, name: &str, value: &str, max: usize) -> Option<Text> {
        self.take(Text::parse(name, value, max))
    }

    pub(crate) fn optional_text(
        &mut self,
        name: &str,
        value: Option<&String>,
        max: usize,
    ) -> Option<Text> {
        value.and_then(|v| self.text(name, v, max))
    }

    pub(crate) fn email(&mut self, name: &str, value: Option<&String>) -> Option<EmailAddress> {
        value.and_then(|v| self.take(EmailAddress::parse(name, v)))
    }

    pub(crate) fn phone(&mut self, name: &str, value: Option<&String>) -> Option<PhoneNumber> {
        value.and_then(|v| self.take(PhoneNumber::parse(name, v)))
    }

    pub(crate) fn take<T>(
        &mut self,
        result: std::result::Result<T, ticket_domain::values::FieldError>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error.into());
                None
            }
        }
    }

    pub(crate) fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub(crate) fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.0))
        }
    }
}

/// Declaring an incident.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct IncidentRequest {
    /// Short title.
    pub title: String,
    /// The partner the incident affects. A partner key may omit it (its own organisation); staff
    /// give it, or a `service_id`.
    pub organisation_id: Option<Uuid>,
    /// The impacted service, from the registry.
    pub service_id: Option<Uuid>,
    /// When the incident started (not in the future).
    pub started_at: DateTime<Utc>,
    /// What is impacted.
    pub impact: String,
    /// A security problem: priority 1, handled by `security`.
    #[oai(default)]
    pub security: bool,
    /// The priority the reporter proposes; staff set the effective one.
    pub proposed_priority: Option<PriorityDto>,
    /// Where to write to the reporter; for a partner without one, its designated contacts.
    pub reporter_email: Option<String>,
    /// Language of the reporter's mails; `fr` by default.
    pub language: Option<LanguageDto>,
    /// The closed ticket this one follows up (id or reference): it must be closed and past its
    /// reopen window (before that, reopen it). Both tickets are then linked, each way.
    pub follow_up_of: Option<String>,
}

/// Reporting that someone impersonates a partner.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PartnerUsurpationRequest {
    /// Short title.
    pub title: String,
    /// The impersonated partner; a partner key may omit it (its own organisation).
    pub partner_id: Option<Uuid>,
    /// `partner` (a partner's own report) or `operator`.
    pub detected_by: DetectorDto,
    /// What was compromised or imitated.
    #[oai(default)]
    pub vectors: Vec<VectorDto>,
    /// What happened.
    pub description: String,
    /// Where to write to the reporter.
    pub reporter_email: Option<String>,
    /// Language of the reporter's mails; `fr` by default.
    pub language: Option<LanguageDto>,
    /// The closed ticket this one follows up (id or reference): it must be closed and past its
    /// reopen window (before that, reopen it). Both tickets are then linked, each way.
    pub follow_up_of: Option<String>,
}

/// The victim's identity and contact, as far as known.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct VictimInput {
    /// Birth names (noms de naissance).
    pub birth_names: Option<String>,
    /// First names.
    pub first_names: Option<String>,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Birth place (town, and country if not France).
    pub birth_place: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
}

/// Reporting that a user's identity was used by someone else.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserUsurpationRequest {
    /// Short title; "Usurpation d'identité" by default.
    pub title: Option<String>,
    /// `partner` for a partner key, `operator` or `user` (on the victim's behalf) for staff.
    pub reported_by: UsurpationReporterDto,
    /// Authentication session id or event id (UUID) from the alert mail; reports with the same id
    /// are linked.
    pub session_id: Option<Uuid>,
    /// When the suspicious connection happened: within the last 6 months.
    pub suspicious_connection_at: Option<DateTime<Utc>>,
    /// The identity provider holding the account (an organisation of the registry).
    pub identity_provider_id: Option<Uuid>,
    /// The service providers accessed (organisations of the registry).
    #[oai(default)]
    pub service_provider_ids: Vec<Uuid>,
    /// The victim's identity and contact.
    pub victim: Option<VictimInput>,
    /// What happened.
    pub description: Option<String>,
    /// The victim agreed to the processing of the report.
    #[oai(default)]
    pub consent: bool,
    /// Where to write to the reporter.
    pub reporter_email: Option<String>,
    /// Language of the reporter's mails; `fr` by default.
    pub language: Option<LanguageDto>,
    /// The closed ticket this one follows up (id or reference): it must be closed and past its
    /// reopen window (before that, reopen it). Both tickets are then linked, each way.
    pub follow_up_of: Option<String>,
}

/// A usurpation report: `kind` says which.
#[derive(Debug, Clone, Union)]
#[oai(discriminator_name = "kind")]
pub enum UsurpationRequest {
    /// Someone impersonates a partner.
    #[oai(mapping = "partner_usurpation")]
    PartnerUsurpation(PartnerUsurpationRequest),
    /// A user's identity was used by someone else.
    #[oai(mapping = "user_usurpation")]
    UserUsurpation(UserUsurpationRequest),
}

/// Asking a non-technical question.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SupportRequestRequest {
    /// Short title.
    pub title: String,
    /// The question.
    pub question: String,
    /// The organisation asking; a partner key may omit it.
    pub organisation_id: Option<Uuid>,
    /// Where to write to the reporter.
    pub reporter_email: Option<String>,
    /// Language of the reporter's mails; `fr` by default.
    pub language: Option<LanguageDto>,
}
