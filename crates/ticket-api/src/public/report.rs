//! A member of the public's identity-theft report, validated with the same rules whether it comes
//! from the web form or from `POST /api/v1/public/identity-theft-reports`.

use crate::problem::FieldError;
use chrono::{DateTime, Datelike as _, Months, NaiveDate, Utc};
use ticket_domain::kind::{
    BirthIdentity, Contact, KindData, UserUsurpationData, UsurpationReporter,
};
use ticket_domain::personal::Personal;
use ticket_domain::values::{
    EmailAddress, LONG_TEXT, OrganisationId, PhoneNumber, SHORT_TEXT, Text, TicketId,
};
use ticket_domain::{Language, NewTicket, Policy};
use uuid::Uuid;

/// What the reporter gave, already typed.
#[derive(Debug, Clone, Default)]
pub struct PublicReport {
    pub session_id: Option<Uuid>,
    /// Day of the suspicious connection, in Paris.
    pub connection_date: Option<NaiveDate>,
    pub identity_provider: Option<OrganisationId>,
    pub service_providers: Vec<OrganisationId>,
    pub birth_names: String,
    pub first_names: String,
    pub birth_date: Option<NaiveDate>,
    pub birth_place: String,
    pub email: String,
    pub phone: String,
    pub description: String,
    pub consent: bool,
    pub language: Language,
}

fn error(field: &str, rule: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        rule: rule.to_owned(),
        message: message.to_owned(),
    }
}

/// The one rule of a birth date, wherever one is given (the public form and API, staff and
/// partner reports): not in the future (in Paris), not before 1900.
pub fn birth_date_error(field: &str, date: NaiveDate, now: DateTime<Utc>) -> Option<FieldError> {
    let today = now.with_timezone(&chrono_tz::Europe::Paris).date_naive();
    if date > today {
        Some(error(field, "not_in_future", "must not be in the future"))
    } else if date.year_ce().1 < 1900 || !date.year_ce().0 {
        Some(error(field, "plausible", "must be after 1900"))
    } else {
        None
    }
}

/// Field names are the API's; the form maps them to its own inputs.
impl PublicReport {
    /// The ticket to open, or every field error at once (in the order of the form).
    pub fn validate(
        &self,
        now: DateTime<Utc>,
        policy: &Policy,
        known: &[OrganisationId],
    ) -> Result<NewTicket, Vec<FieldError>> {
        let mut errors = Vec::new();
        let paris = chrono_tz::Europe::Paris;
        let today = now.with_timezone(&paris).date_naive();
        let connection = match self.connection_date {
            Some(date) => {
                let oldest = today
                    .checked_sub_months(Months::new(policy.connection_trace_months))
                    .unwrap_or(today);
                if date > today {
                    errors.push(error(
                        "connection_date",
                        "not_in_future",
                        "must not be in the future",
                    ));
                    None
                } else if date < oldest {
                    errors.push(error(
                        "connection_date",
                        "within_trace_retention",
                        "must be within the last 6 months: older connection traces no longer exist",
                    ));
                    None
                } else {
                    Some(date)
                }
            }
            None => None,
        };
        for (field, organisation) in
            std::iter::once(("identity_provider", self.identity_provider.as_ref())).chain(
                self.service_providers
                    .iter()
                    .map(|o| ("service_providers", Some(o))),
            )
        {
            if let Some(organisation) = organisation
                && !known.contains(organisation)
            {
                errors.push(error(
                    field,
                    "registered_organisation",
                    "is not an organisation of the federation",
                ));
            }
        }
        let mut text = |field: &str, value: &str, max: usize| match Text::parse(field, value, max) {
            Ok(text) => Some(text),
            Err(e) => {
                errors.push(e.into());
                None
            }
        };
        let birth_names = text("birth_names", &self.birth_names, SHORT_TEXT);
        let first_names = text("first_names", &self.first_names, SHORT_TEXT);
        let birth_place = text("birth_place", &self.birth_place, SHORT_TEXT);
        let description = text("description", &self.description, LONG_TEXT);
        match self.birth_date {
            None => errors.push(error("birth_date", "required", "must not be empty")),
            Some(date) => errors.extend(birth_date_error("birth_date", date, now)),
        }
        let email = match EmailAddress::parse("email", &self.email) {
            Ok(email) => Some(email),
            Err(_) if self.email.trim().is_empty() => {
                errors.push(error(
                    "email",
                    "required",
                    "must not be empty: the reference and the tracking link are sent there",
                ));
                None
            }
            Err(e) => {
                errors.push(e.into());
                None
            }
        };
        let phone = if self.phone.trim().is_empty() {
            None
        } else {
            match PhoneNumber::parse("phone", &self.phone) {
                Ok(phone) => Some(phone),
                Err(e) => {
                    errors.push(e.into());
                    None
                }
            }
        };
        if !self.consent {
            errors.push(error(
                "consent",
                "required",
                "must be given for the report to be processed",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let (
            Some(birth_names),
            Some(first_names),
            Some(birth_place),
            Some(description),
            Some(email),
        ) = (birth_names, first_names, birth_place, description, email)
        else {
            return Err(errors);
        };
        // Staff read titles in lists; the victim's name stays out of it.
        let title = "Usurpation d'identité signalée par un usager";
        let data = KindData::UserUsurpation(UserUsurpationData {
            reported_by: UsurpationReporter::User,
            session_id: self.session_id,
            suspicious_connection_at: None,
            suspicious_connection_date: connection,
            identity_provider: self.identity_provider,
            service_providers: self.service_providers.clone(),
            victim: BirthIdentity {
                birth_names: Some(Personal::new(birth_names.as_str().to_owned())),
                first_names: Some(Personal::new(first_names.as_str().to_owned())),
                birth_date: self.birth_date.map(Personal::new),
                birth_place: Some(Personal::new(birth_place.as_str().to_owned())),
            },
            contact: Contact {
                email: Some(email.clone()),
                phone,
            },
            description: Some(Personal::new(description.as_str().to_owned())),
            consent: true,
            qualification: None,
        });
        Ok(NewTicket {
            id: TicketId::new_v7(),
            reference_number: 0,
            title: Text::parse("title", title, SHORT_TEXT).map_err(|e| vec![e.into()])?,
            data,
            organisation: None,
            reporter_email: Some(email),
            language: self.language,
            proposed_priority: None,
            follow_up_of: None,
            same_session_as: Vec::new(),
        })
    }
}
