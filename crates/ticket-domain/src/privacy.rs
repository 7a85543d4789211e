//! Need-to-know (rule "Personal data" of the domain document): which reader sees which personal
//! data of a victim, in full, masked, or not at all.
//!
//! - `security` and `supervisor` handle the cases: they see everything, in full.
//! - Other staff (`agent`, `engineer`, `admin`, `dpo`) see that the data exists, masked: enough to
//!   triage ("a victim with an address at example.fr, born in 1980"), never enough to identify.
//! - The identity provider holding the victim's account, once `security` confirmed the report,
//!   sees what it needs to find the account: the birth identity (names, first names, birth date,
//!   birth place — the identity its users are matched on) and the contact email (the account's
//!   login at most providers). Never the phone, the victim's own words or their attachments.
//! - Every other partner sees none of it (service providers act on the session id and the date,
//!   which are not personal data of the victim on their own).
//! - The reporter, on their private tracking page, sees the conversation (their own messages
//!   among them) and the files shared with them, never their identity or contact.
//! - Lists never carry full personal data, whoever reads them: a reader who needs it opens the
//!   ticket, and that read is journalled.

use crate::actor::{Actor, Role};
use crate::kind::{KindData, Qualification};
use crate::ticket::Ticket;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A piece of a victim's personal data.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PersonalField {
    BirthNames,
    FirstNames,
    BirthDate,
    BirthPlace,
    Email,
    Phone,
    /// What the victim wrote: their description, and their own messages in the history.
    OwnWords,
    /// Files the victim sent.
    Attachments,
}

impl PersonalField {
    pub const ALL: [PersonalField; 8] = [
        PersonalField::BirthNames,
        PersonalField::FirstNames,
        PersonalField::BirthDate,
        PersonalField::BirthPlace,
        PersonalField::Email,
        PersonalField::Phone,
        PersonalField::OwnWords,
        PersonalField::Attachments,
    ];

    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn parse(name: &str) -> Option<Self> {
        name.parse().ok()
    }

    /// What the identity provider concerned needs to find the account.
    fn finds_the_account(self) -> bool {
        matches!(
            self,
            PersonalField::BirthNames
                | PersonalField::FirstNames
                | PersonalField::BirthDate
                | PersonalField::BirthPlace
                | PersonalField::Email
        )
    }
}

impl fmt::Display for PersonalField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How much of a field a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disclosure {
    Hidden,
    Masked,
    Full,
}

/// Why the data is read: a list is capped at [`Disclosure::Masked`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// One ticket opened (ticket read, command answer, evidence export, attachment download).
    Read,
    /// A list of tickets.
    List,
}

/// Rule "need-to-know": how much of `field` of `ticket`'s victim `reader` sees.
pub fn disclosure(
    reader: &Actor,
    ticket: &Ticket,
    field: PersonalField,
    purpose: Purpose,
) -> Disclosure {
    let rule = match reader {
        Actor::Staff { role, .. } => match role {
            Role::Security | Role::Supervisor => Disclosure::Full,
            Role::Agent | Role::Engineer | Role::Admin | Role::Dpo => Disclosure::Masked,
        },
        Actor::Partner { organisation, .. } => {
            if ticket.identity_provider_concerned(*organisation) && field.finds_the_account() {
                Disclosure::Full
            } else {
                Disclosure::Hidden
            }
        }
        // The tracking page shows the reporter their own case: the conversation (their own
        // messages among them) and the files shared with them (the case's public files), never
        // their identity or contact back (they know them; the link may be forwarded).
        Actor::PublicReporter => match field {
            PersonalField::OwnWords | PersonalField::Attachments => Disclosure::Full,
            _ => Disclosure::Hidden,
        },
        // Mail rendering and the anonymiser work on the whole ticket.
        Actor::System => Disclosure::Full,
    };
    match purpose {
        Purpose::Read => rule,
        Purpose::List => rule.min(Disclosure::Masked),
    }
}

/// Rule "need-to-know" for files: on a user's case every file may show the victim (a scan of their
/// papers named after them, a screenshot of their account), whoever attached it, so its name and
/// its bytes are the victim's [`PersonalField::Attachments`]; a file of another ticket is no
/// victim's data. Masked: the name is masked and the bytes are not served. (Which files a partner
/// or the reporter may see at all — public, not internal — is checked on top.)
pub fn files_disclosure(reader: &Actor, ticket: &Ticket, purpose: Purpose) -> Disclosure {
    if ticket.data.concerns_a_user() {
        disclosure(reader, ticket, PersonalField::Attachments, purpose)
    } else {
        Disclosure::Full
    }
}

/// Rule "need-to-know" for a victim's mail (one of a user usurpation, or received through the
/// security mailbox): its sender, subject, files and raw bytes are the victim's contact and own
/// words, shown in full to `security` and `supervisor` (never in a list), masked to other staff,
/// hidden from everyone else.
pub fn victims_mail_disclosure(reader: &Actor, purpose: Purpose) -> Disclosure {
    let rule = match reader.role() {
        Some(Role::Security | Role::Supervisor) => Disclosure::Full,
        Some(_) => Disclosure::Masked,
        None => Disclosure::Hidden,
    };
    match purpose {
        Purpose::Read => rule,
        Purpose::List => rule.min(Disclosure::Masked),
    }
}

/// What is known of an inbound mail's origin, for the need-to-know rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MailOrigin {
    /// It came through the security mailbox, where identity thefts are reported.
    pub security_mailbox: bool,
    /// The kind of the ticket it landed on, opened, was attached to or seemed to answer.
    pub ticket: Option<crate::kind::TicketKind>,
    /// Its sender is the contact of a victim of a user usurpation (not anonymised yet).
    pub sender_is_a_victim: bool,
}

/// Rule "need-to-know" for mail: a mail is a victim's — and [`victims_mail_disclosure`] applies to
/// it — when it came through the security mailbox, belongs to a user usurpation, or was written by
/// a victim, whether or not it threads to any ticket (a victim writing again about their case is
/// still the victim).
pub fn is_victims_mail(origin: &MailOrigin) -> bool {
    origin.security_mailbox
        || origin.ticket == Some(crate::kind::TicketKind::UserUsurpation)
        || origin.sender_is_a_victim
}

/// Rule "A person's requests": the roles that answer a person's access (export) and erasure
/// requests, reading everything held about them.
pub const SUBJECT_REQUEST_ROLES: [Role; 2] = [Role::Admin, Role::Dpo];

/// What an evidence export of `ticket` (the JSON file or the archive) gives `reader`: the sealed
/// texts when they see the victim's words in full, the files' bytes when they see the files in full.
/// "An evidence export is only given to those who may read everything in it; others get the
/// version their role may see."
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvidenceShare {
    pub sealed_texts: bool,
    pub files: bool,
}

impl EvidenceShare {
    pub fn for_reader(reader: &Actor, ticket: &Ticket) -> Self {
        Self {
            sealed_texts: disclosure(reader, ticket, PersonalField::OwnWords, Purpose::Read)
                == Disclosure::Full,
            files: files_disclosure(reader, ticket, Purpose::Read) == Disclosure::Full,
        }
    }

    /// Everything: what the verifier of a complete file expects.
    pub const WHOLE: EvidenceShare = EvidenceShare {
        sealed_texts: true,
        files: true,
    };
}

/// The personal fields an export gave in full, for the access journal: the victim's words when
/// sealed texts were included, their files when a file of a user's case was.
pub fn exported_in_full(ticket: &Ticket, sealed_texts: usize, files: usize) -> Vec<PersonalField> {
    let mut fields = Vec::new();
    if sealed_texts > 0 {
        fields.push(PersonalField::OwnWords);
    }
    if files > 0 && ticket.data.concerns_a_user() {
        fields.push(PersonalField::Attachments);
    }
    fields
}

/// The fields of `ticket` that hold a value and that `reader` sees in full: what a read must
/// record in the access journal (nothing, for a ticket without a victim).
pub fn disclosed_in_full(reader: &Actor, ticket: &Ticket, purpose: Purpose) -> Vec<PersonalField> {
    held_fields(ticket)
        .into_iter()
        .filter(|f| disclosure(reader, ticket, *f, purpose) == Disclosure::Full)
        .collect()
}

/// The personal fields of `ticket`'s victim that hold a value.
pub fn held_fields(ticket: &Ticket) -> Vec<PersonalField> {
    let Some(data) = ticket.data.user_usurpation() else {
        return Vec::new();
    };
    let mut fields = Vec::new();
    let mut hold = |present: bool, field| {
        if present {
            fields.push(field);
        }
    };
    hold(data.victim.birth_names.is_some(), PersonalField::BirthNames);
    hold(data.victim.first_names.is_some(), PersonalField::FirstNames);
    hold(data.victim.birth_date.is_some(), PersonalField::BirthDate);
    hold(data.victim.birth_place.is_some(), PersonalField::BirthPlace);
    hold(data.contact.email.is_some(), PersonalField::Email);
    hold(data.contact.phone.is_some(), PersonalField::Phone);
    hold(data.description.is_some(), PersonalField::OwnWords);
    fields
}

/// A name or place, masked: its first letter, then one dot per further letter ("D•••••").
pub fn mask_word(text: &str) -> String {
    let mut chars = text.trim().chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().min(12);
            format!("{first}{}", "•".repeat(rest))
        }
        None => String::new(),
    }
}

/// An email address, masked: its first character and its domain ("j•••@example.fr"), which says
/// which provider holds the mailbox without saying whose it is.
pub fn mask_email(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().map(String::from).unwrap_or_default();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_owned(),
    }
}

/// A phone number, masked: its last two digits ("•• •• •• •• 78").
pub fn mask_phone(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let last: String = digits[digits.len().saturating_sub(2)..].iter().collect();
    format!("•• •• •• •• {last}")
}

/// Free text, masked: only its length.
pub fn mask_text(text: &str) -> String {
    format!("[{} characters, masked]", text.chars().count())
}

/// Rule "Retention": removes a person's data from the ticket itself — the victim's birth identity,
/// contact and own words, a public reporter's address, and on a user's case every free text staff
/// wrote into it (a resolution summary or a note may quote the victim). What stays is what the
/// evidence and the statistics need: kind, dates, states, organisations, session id, priorities.
/// Idempotent.
pub fn anonymise(ticket: &mut Ticket) {
    use crate::ticket::{Confirmation, CredentialsOutcome, ReporterOrigin};
    use crate::values::Text;
    if matches!(ticket.reporter.origin, ReporterOrigin::Public) {
        ticket.reporter.email = None;
    }
    let KindData::UserUsurpation(data) = &mut ticket.data else {
        return;
    };
    data.victim = Default::default();
    data.contact = Default::default();
    data.description = None;
    if let Some(Qualification::Unfounded { explanation }) = &mut data.qualification {
        *explanation = Text::anonymised();
    }
    if let Some(resolution) = &mut ticket.resolution {
        resolution.summary = Text::anonymised();
    }
    if let Some(Confirmation::Verbal { note, .. }) = &mut ticket.confirmation {
        *note = Text::anonymised();
    }
    if let Some(closure) = &mut ticket.closure
        && closure.note.is_some()
    {
        closure.note = Some(Text::anonymised());
    }
    if let Some(
        CredentialsOutcome::Revoked { note, .. } | CredentialsOutcome::Waived { note, .. },
    ) = &mut ticket.credentials
    {
        *note = Text::anonymised();
    }
}

/// Whether free texts of `ticket`'s history are personal data to be sealed (see the store's
/// evidence chain): on a user's case, every one; elsewhere, only what a member of the public wrote.
pub fn seals_every_text(ticket: &Ticket) -> bool {
    ticket.data.concerns_a_user()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_no_more_than_a_hint() {
        assert_eq!(mask_word("Dupont"), "D•••••");
        assert_eq!(mask_email("jeanne.dupont@example.fr"), "j•••@example.fr");
        assert_eq!(mask_phone("+33 6 12 34 56 78"), "•• •• •• •• 78");
        assert_eq!(mask_text("né à Lyon"), "[9 characters, masked]");
    }

    #[test]
    fn field_names_round_trip() {
        for field in PersonalField::ALL {
            assert_eq!(PersonalField::parse(field.name()), Some(field));
        }
    }
}
