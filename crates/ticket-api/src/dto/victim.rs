//! The victim of a user usurpation, as far as the reader needs to know.

use chrono::NaiveDate;
use poem_openapi::Object;
use ticket_domain::Ticket;
use ticket_domain::actor::Actor;
use ticket_domain::privacy::{
    Disclosure, PersonalField, Purpose, disclosure, mask_email, mask_phone, mask_text, mask_word,
};

/// The victim of a user usurpation, as far as the reader needs to know (rule "need-to-know"):
/// `security` and `supervisor` read it in full; other staff masked (`D•••••`, `j•••@example.fr`,
/// the birth year only); the identity provider holding the account, once the report is confirmed,
/// the birth identity and email in full; other partners nothing. Lists are masked for everyone.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct VictimView {
    /// Birth names (noms de naissance).
    pub birth_names: Option<String>,
    /// First names.
    pub first_names: Option<String>,
    /// Birth date (in full only).
    pub birth_date: Option<NaiveDate>,
    /// Birth year, when the birth date is masked.
    pub birth_year: Option<i32>,
    /// Birth place.
    pub birth_place: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
    /// The victim's account of what happened.
    pub description: Option<String>,
    /// The fields shown masked, e.g. `birth_names`, `email`; empty when everything shown is in
    /// full.
    pub masked_fields: Vec<String>,
}

impl VictimView {
    /// What `reader` may see of the victim of `ticket`; `None` when nothing.
    pub(super) fn of(ticket: &Ticket, reader: &Actor, purpose: Purpose) -> Option<Self> {
        use chrono::Datelike as _;
        let data = ticket.data.user_usurpation()?;
        let see = |field| disclosure(reader, ticket, field, purpose);
        let mut masked_fields = Vec::new();
        let mut shown = false;
        let mut pick = |field: PersonalField, value: Option<String>, mask: fn(&str) -> String| {
            let value = value?;
            match see(field) {
                Disclosure::Full => {
                    shown = true;
                    Some(value)
                }
                Disclosure::Masked => {
                    shown = true;
                    masked_fields.push(field.name().to_owned());
                    Some(mask(&value))
                }
                Disclosure::Hidden => None,
            }
        };
        let victim = &data.victim;
        let birth_names = pick(
            PersonalField::BirthNames,
            victim.birth_names.as_ref().map(|v| v.expose().clone()),
            mask_word,
        );
        let first_names = pick(
            PersonalField::FirstNames,
            victim.first_names.as_ref().map(|v| v.expose().clone()),
            mask_word,
        );
        let birth_place = pick(
            PersonalField::BirthPlace,
            victim.birth_place.as_ref().map(|v| v.expose().clone()),
            mask_word,
        );
        let email = pick(
            PersonalField::Email,
            data.contact.email.as_ref().map(|e| e.expose().to_owned()),
            mask_email,
        );
        let phone = pick(
            PersonalField::Phone,
            data.contact.phone.as_ref().map(|p| p.expose().to_owned()),
            mask_phone,
        );
        let description = pick(
            PersonalField::OwnWords,
            data.description.as_ref().map(|v| v.expose().clone()),
            mask_text,
        );
        let birth = victim.birth_date.as_ref().map(|d| *d.expose());
        let (birth_date, birth_year) = match (birth, see(PersonalField::BirthDate)) {
            (Some(date), Disclosure::Full) => {
                shown = true;
                (Some(date), None)
            }
            (Some(date), Disclosure::Masked) => {
                shown = true;
                masked_fields.push(PersonalField::BirthDate.name().to_owned());
                (None, Some(date.year()))
            }
            _ => (None, None),
        };
        shown.then_some(VictimView {
            birth_names,
            first_names,
            birth_date,
            birth_year,
            birth_place,
            email,
            phone,
            description,
            masked_fields,
        })
    }
}
