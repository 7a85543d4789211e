//! The domain's names in words, from the wording catalogue (`ticket-wording`): what mails print
//! instead of wire names. The catalogue selects on the wire name, so each word exists once.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;
use ticket_domain::actor::Actor;
use ticket_domain::notify::Language;
use ticket_domain::priority::Priority;
use ticket_wording::{Arg, Words};

/// The word for `value` (an enum of the domain) in the catalogue's selector message `id`.
pub fn name(w: Words<'_>, id: &str, selector: &str, value: &impl serde::Serialize) -> String {
    w.with(id, &[(selector, Arg::name(value))])
}

pub fn priority(w: Words<'_>, priority: Priority) -> String {
    w.with(
        "priority",
        &[
            ("priority", Arg::name(&priority)),
            ("level", Arg::number(priority.level())),
        ],
    )
}

/// Who acted, without personal data of users (staff handles and partner key names are not).
pub fn actor(w: Words<'_>, actor: &Actor) -> String {
    match actor {
        Actor::Staff { handle, role } => format!("{} ({})", handle, role.name()),
        Actor::Partner { key_name, .. } => w.with1("actor-partner", "key", key_name),
        Actor::PublicReporter => w.t("actor-reporter"),
        Actor::System => w.t("actor-system"),
    }
}

pub fn yes_no(w: Words<'_>, value: bool) -> String {
    w.t(if value { "yes" } else { "no" })
}

/// An instant in Paris time, where the federation and its users are.
pub fn instant(w: Words<'_>, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Paris);
    w.with(
        "instant",
        &[
            ("day", Arg::text(day(w.language, local.date_naive()))),
            ("time", Arg::text(local.format("%H:%M"))),
        ],
    )
}

/// A day without a time, as a day: `20/11/2026`, `20 November 2026`.
pub fn day(l: Language, date: chrono::NaiveDate) -> String {
    match l {
        Language::Fr => date.format("%d/%m/%Y").to_string(),
        Language::En => date.format("%-d %B %Y").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_written_in_paris_time() {
        let wording = ticket_wording::Wording::shipped();
        let at = DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .ok();
        let Some(at) = at else { return };
        assert_eq!(
            instant(wording.language(Language::Fr), at),
            "23/11/2026 à 10:00 (heure de Paris)"
        );
        assert_eq!(
            instant(wording.language(Language::En), at),
            "23 November 2026 at 10:00 (Paris time)"
        );
    }
}
