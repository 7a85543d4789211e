//! A member of the public's identity-theft report (rule "Ticket kinds", user usurpation reported
//! by the user): what the reporter gives, checked field by field before a ticket is opened, whether
//! it comes from the web form or from the public JSON endpoint.
//!
//! Field names are the public endpoint's (`connection_date`, `email`, …), not the ticket's, so the
//! reporter reads every error at the input it concerns; [`crate::open`] checks the opened ticket
//! again with its own rules.

use crate::kind::{BirthIdentity, Contact, KindData, UserUsurpationData, UsurpationReporter};
use crate::lifecycle::NewTicket;
use crate::notify::Language;
use crate::personal::Personal;
use crate::policy::Policy;
use crate::values::{
    EmailAddress, FieldError, LONG_TEXT, OrganisationId, PhoneNumber, SHORT_TEXT, Text, TicketId,
};
use chrono::{DateTime, Datelike as _, Months, NaiveDate, Utc};
use uuid::Uuid;

/// Staff read titles in lists; the victim's name stays out of it.
const TITLE: &str = "Usurpation d'identité signalée par un usager";

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

/// The reporter's words once each passed its rule.
struct Checked {
    connection_date: Option<NaiveDate>,
    birth_names: Text,
    first_names: Text,
    birth_place: Text,
    description: Text,
    email: EmailAddress,
    phone: Option<PhoneNumber>,
}

/// The day in Paris at `now`.
fn paris_day(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&chrono_tz::Europe::Paris).date_naive()
}

/// The one rule of a birth date, wherever one is given (the public form and API, staff and
/// partner reports): not in the future (in Paris), not before 1900.
pub fn birth_date_error(field: &str, date: NaiveDate, now: DateTime<Utc>) -> Option<FieldError> {
    if date > paris_day(now) {
        Some(FieldError::new(
            field,
            "not_in_future",
            "must not be in the future",
        ))
    } else if date.year_ce().1 < 1900 || !date.year_ce().0 {
        Some(FieldError::new(field, "plausible", "must be after 1900"))
    } else {
        None
    }
}

impl PublicReport {
    /// The ticket to open, or every field error at once (in the order of the rules).
    /// `known`: the organisations of the federation.
    pub fn validate(
        &self,
        now: DateTime<Utc>,
        policy: &Policy,
        known: &[OrganisationId],
    ) -> Result<NewTicket, Vec<FieldError>> {
        let mut errors = Vec::new();
        let checked = self.check(now, policy, known, &mut errors);
        match checked {
            Some(checked) if errors.is_empty() => self.ticket(checked).map_err(|e| vec![e]),
            _ => Err(errors),
        }
    }

    /// Every field's rule; `None` when one of them is broken (its error is in `errors`).
    fn check(
        &self,
        now: DateTime<Utc>,
        policy: &Policy,
        known: &[OrganisationId],
        errors: &mut Vec<FieldError>,
    ) -> Option<Checked> {
        let connection_date = self.check_connection_date(now, policy, errors);
        self.check_organisations(known, errors);
        let mut text = |field: &str, value: &str, max: usize| {
            Text::parse(field, value, max)
                .map_err(|e| errors.push(e))
                .ok()
        };
        let birth_names = text("birth_names", &self.birth_names, SHORT_TEXT);
        let first_names = text("first_names", &self.first_names, SHORT_TEXT);
        let birth_place = text("birth_place", &self.birth_place, SHORT_TEXT);
        let description = text("description", &self.description, LONG_TEXT);
        match self.birth_date {
            None => errors.push(FieldError::new(
                "birth_date",
                "required",
                "must not be empty",
            )),
            Some(date) => errors.extend(birth_date_error("birth_date", date, now)),
        }
        let email = self.check_email(errors);
        let phone = self.check_phone(errors);
        if !self.consent {
            errors.push(FieldError::new(
                "consent",
                "required",
                "must be given for the report to be processed",
            ));
        }
        Some(Checked {
            connection_date,
            birth_names: birth_names?,
            first_names: first_names?,
            birth_place: birth_place?,
            description: description?,
            email: email?,
            phone,
        })
    }

    /// The day of the suspicious connection, when given: not in the future, and recent enough for
    /// its traces to still exist.
    fn check_connection_date(
        &self,
        now: DateTime<Utc>,
        policy: &Policy,
        errors: &mut Vec<FieldError>,
    ) -> Option<NaiveDate> {
        let date = self.connection_date?;
        let today = paris_day(now);
        let oldest = today
            .checked_sub_months(Months::new(policy.connection_trace_months))
            .unwrap_or(today);
        if date > today {
            errors.push(FieldError::new(
                "connection_date",
                "not_in_future",
                "must not be in the future",
            ));
            None
        } else if date < oldest {
            errors.push(FieldError::new(
                "connection_date",
                "within_trace_retention",
                "must be within the last 6 months: older connection traces no longer exist",
            ));
            None
        } else {
            Some(date)
        }
    }

    /// The identity provider and the services named are organisations of the federation.
    fn check_organisations(&self, known: &[OrganisationId], errors: &mut Vec<FieldError>) {
        let named = std::iter::once(("identity_provider", self.identity_provider.as_ref())).chain(
            self.service_providers
                .iter()
                .map(|o| ("service_providers", Some(o))),
        );
        for (field, organisation) in named {
            if let Some(organisation) = organisation
                && !known.contains(organisation)
            {
                errors.push(FieldError::new(
                    field,
                    "registered_organisation",
                    "is not an organisation of the federation",
                ));
            }
        }
    }

    /// The address the reference and the tracking link are sent to: required.
    fn check_email(&self, errors: &mut Vec<FieldError>) -> Option<EmailAddress> {
        match EmailAddress::parse("email", &self.email) {
            Ok(email) => Some(email),
            Err(_) if self.email.trim().is_empty() => {
                errors.push(FieldError::new(
                    "email",
                    "required",
                    "must not be empty: the reference and the tracking link are sent there",
                ));
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        }
    }

    /// A phone number, optional.
    fn check_phone(&self, errors: &mut Vec<FieldError>) -> Option<PhoneNumber> {
        if self.phone.trim().is_empty() {
            return None;
        }
        PhoneNumber::parse("phone", &self.phone)
            .map_err(|e| errors.push(e))
            .ok()
    }

    /// The ticket a checked report opens.
    fn ticket(&self, checked: Checked) -> Result<NewTicket, FieldError> {
        let data = KindData::UserUsurpation(UserUsurpationData {
            reported_by: UsurpationReporter::User,
            session_id: self.session_id,
            suspicious_connection_at: None,
            suspicious_connection_date: checked.connection_date,
            identity_provider: self.identity_provider,
            service_providers: self.service_providers.clone(),
            victim: BirthIdentity {
                birth_names: Some(Personal::new(checked.birth_names.as_str().to_owned())),
                first_names: Some(Personal::new(checked.first_names.as_str().to_owned())),
                birth_date: self.birth_date.map(Personal::new),
                birth_place: Some(Personal::new(checked.birth_place.as_str().to_owned())),
            },
            contact: Contact {
                email: Some(checked.email.clone()),
                phone: checked.phone,
            },
            description: Some(Personal::new(checked.description.as_str().to_owned())),
            consent: true,
            qualification: None,
        });
        Ok(NewTicket {
            id: TicketId::new_v7(),
            reference_number: 0,
            title: Text::parse("title", TITLE, SHORT_TEXT)?,
            data,
            organisation: None,
            reporter_email: Some(checked.email),
            language: self.language,
            proposed_priority: None,
            follow_up_of: None,
            same_session_as: Vec::new(),
        })
    }
}
