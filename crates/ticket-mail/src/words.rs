//! The domain's names in words, in French and English: what mails print instead of wire names.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;
use ticket_domain::actor::Actor;
use ticket_domain::clock::ClockKind;
use ticket_domain::closure::ClosureReason;
use ticket_domain::escalation::Tier;
use ticket_domain::kind::{TicketKind, UsurpationVector};
use ticket_domain::notify::Language;
use ticket_domain::priority::{Owner, Priority};
use ticket_domain::ticket::{ConcernedRole, LinkKind, State};

/// `fr` or `en` text, chosen by language; both arguments are `format!` strings.
macro_rules! tr {
    ($language:expr, $fr:literal, $en:literal $(,)?) => {
        match $language {
            ::ticket_domain::notify::Language::Fr => format!($fr),
            ::ticket_domain::notify::Language::En => format!($en),
        }
    };
}
pub(crate) use tr;

pub fn kind(kind: TicketKind, l: Language) -> &'static str {
    match (kind, l) {
        (TicketKind::Incident, Language::Fr) => "incident",
        (TicketKind::Incident, Language::En) => "incident",
        (TicketKind::PartnerUsurpation, Language::Fr) => "usurpation d'un partenaire",
        (TicketKind::PartnerUsurpation, Language::En) => "impersonation of a partner",
        (TicketKind::UserUsurpation, Language::Fr) => "usurpation d'identité d'un usager",
        (TicketKind::UserUsurpation, Language::En) => "identity theft of a user",
        (TicketKind::SupportRequest, Language::Fr) => "demande d'assistance",
        (TicketKind::SupportRequest, Language::En) => "support request",
    }
}

pub fn priority(priority: Priority, l: Language) -> String {
    let name = match (priority, l) {
        (Priority::Critique, Language::Fr) => "critique",
        (Priority::Critique, Language::En) => "critical",
        (Priority::Majeure, Language::Fr) => "majeure",
        (Priority::Majeure, Language::En) => "major",
        (Priority::Normale, Language::Fr) => "normale",
        (Priority::Normale, Language::En) => "normal",
        (Priority::Mineure, Language::Fr) => "mineure",
        (Priority::Mineure, Language::En) => "minor",
        (Priority::Info, Language::Fr) => "information",
        (Priority::Info, Language::En) => "information",
    };
    format!("{} – {name}", priority.level())
}

pub fn state(state: State, l: Language) -> &'static str {
    match (state, l) {
        (State::New, Language::Fr) => "nouveau",
        (State::New, Language::En) => "new",
        (State::Acknowledged, Language::Fr) => "pris en compte",
        (State::Acknowledged, Language::En) => "acknowledged",
        (State::InProgress, Language::Fr) => "en cours de traitement",
        (State::InProgress, Language::En) => "in progress",
        (State::WaitingReporter, Language::Fr) => "en attente d'une réponse du déclarant",
        (State::WaitingReporter, Language::En) => "waiting for the reporter's answer",
        (State::Resolved, Language::Fr) => "résolu",
        (State::Resolved, Language::En) => "resolved",
        (State::Closed, Language::Fr) => "clos",
        (State::Closed, Language::En) => "closed",
        (State::Cancelled, Language::Fr) => "annulé",
        (State::Cancelled, Language::En) => "cancelled",
    }
}

pub fn tier(tier: Tier, l: Language) -> &'static str {
    match (tier, l) {
        (Tier::Agent, Language::Fr) => "support (niveau 2)",
        (Tier::Agent, Language::En) => "support (level 2)",
        (Tier::Engineer, Language::Fr) => "ingénierie (niveau 3)",
        (Tier::Engineer, Language::En) => "engineering (level 3)",
        (Tier::Security, Language::Fr) => "équipe sécurité",
        (Tier::Security, Language::En) => "security team",
        (Tier::Supervisor, Language::Fr) => "supervision",
        (Tier::Supervisor, Language::En) => "supervisor",
    }
}

pub fn owner(owner: Owner, l: Language) -> &'static str {
    match (owner, l) {
        (Owner::ProductionLead, Language::Fr) => "responsable de la production",
        (Owner::ProductionLead, Language::En) => "production lead",
        (Owner::ProductLead, Language::Fr) => "responsable du produit",
        (Owner::ProductLead, Language::En) => "product lead",
        (Owner::PartnerRelationsLead, Language::Fr) => "responsable des relations partenaires",
        (Owner::PartnerRelationsLead, Language::En) => "partner-relations lead",
        (Owner::Supervisor, Language::Fr) => "superviseur",
        (Owner::Supervisor, Language::En) => "supervisor",
    }
}

pub fn clock(clock: ClockKind, l: Language) -> &'static str {
    match (clock, l) {
        (ClockKind::Acknowledgement, Language::Fr) => "prise en compte",
        (ClockKind::Acknowledgement, Language::En) => "acknowledgement",
        (ClockKind::Handling, Language::Fr) => "traitement",
        (ClockKind::Handling, Language::En) => "handling",
    }
}

/// Why a ticket was closed, told to the reporter (rule "Closure conditions").
pub fn closure_reason(reason: ClosureReason, l: Language) -> &'static str {
    match (reason, l) {
        (ClosureReason::ResolvedConfirmed, Language::Fr) => {
            "le problème est résolu et la résolution a été confirmée par le déclarant"
        }
        (ClosureReason::ResolvedConfirmed, Language::En) => {
            "the problem is solved and the reporter confirmed the resolution"
        }
        (ClosureReason::MutualAgreement, Language::Fr) => {
            "le dossier est clos d'un commun accord, sans résolution"
        }
        (ClosureReason::MutualAgreement, Language::En) => {
            "the ticket is closed by mutual agreement, without a resolution"
        }
        (ClosureReason::ReporterUnresponsive, Language::Fr) => {
            "nous n'avons pas reçu de réponse à notre question malgré notre relance"
        }
        (ClosureReason::ReporterUnresponsive, Language::En) => {
            "we received no answer to our question despite our reminder"
        }
        (ClosureReason::ResolvedByOperator, Language::Fr) => {
            "le problème a été résolu par nos équipes et la résolution a été notifiée au déclarant"
        }
        (ClosureReason::ResolvedByOperator, Language::En) => {
            "our teams solved the problem and the reporter was notified of the resolution"
        }
    }
}

pub fn vector(vector: UsurpationVector, l: Language) -> &'static str {
    match (vector, l) {
        (UsurpationVector::PhishingSite, Language::Fr) => "site d'hameçonnage imitant le service",
        (UsurpationVector::PhishingSite, Language::En) => "phishing site imitating the service",
        (UsurpationVector::LeakedClientSecret, Language::Fr) => "secret client divulgué",
        (UsurpationVector::LeakedClientSecret, Language::En) => "leaked client secret",
        (UsurpationVector::LeakedAuthorizationCodes, Language::Fr) => {
            "codes d'autorisation divulgués"
        }
        (UsurpationVector::LeakedAuthorizationCodes, Language::En) => "leaked authorisation codes",
        (UsurpationVector::ForgedTokens, Language::Fr) => "jetons falsifiés",
        (UsurpationVector::ForgedTokens, Language::En) => "forged tokens",
        (UsurpationVector::Other, Language::Fr) => "autre moyen",
        (UsurpationVector::Other, Language::En) => "other means",
    }
}

pub fn concerned_role(role: ConcernedRole, l: Language) -> &'static str {
    match (role, l) {
        (ConcernedRole::IdentityProvider, Language::Fr) => {
            "fournisseur d'identité détenant le compte de l'usager"
        }
        (ConcernedRole::IdentityProvider, Language::En) => {
            "identity provider holding the user's account"
        }
        (ConcernedRole::ServiceProvider, Language::Fr) => {
            "fournisseur de service auquel l'usurpateur a accédé"
        }
        (ConcernedRole::ServiceProvider, Language::En) => "service provider the impostor accessed",
        (ConcernedRole::ImpersonatedPartner, Language::Fr) => "partenaire usurpé",
        (ConcernedRole::ImpersonatedPartner, Language::En) => "impersonated partner",
    }
}

pub fn link(link: LinkKind, l: Language) -> &'static str {
    match (link, l) {
        (LinkKind::SameSession, Language::Fr) => "même session d'authentification",
        (LinkKind::SameSession, Language::En) => "same authentication session",
        (LinkKind::FollowUpOf, Language::Fr) => "suite d'un dossier clos",
        (LinkKind::FollowUpOf, Language::En) => "follow-up of a closed ticket",
        (LinkKind::FollowedUpBy, Language::Fr) => "suivi par un nouveau dossier",
        (LinkKind::FollowedUpBy, Language::En) => "followed up by a new ticket",
        (LinkKind::DuplicateOf, Language::Fr) => "doublon",
        (LinkKind::DuplicateOf, Language::En) => "duplicate",
    }
}

/// Who acted, without personal data of users (staff handles and partner key names are not).
pub fn actor(actor: &Actor, l: Language) -> String {
    match actor {
        Actor::Staff { handle, role } => format!("{} ({})", handle, role.name()),
        Actor::Partner { key_name, .. } => tr!(
            l,
            "partenaire (clé « {key_name} »)",
            "partner (key \"{key_name}\")"
        ),
        Actor::PublicReporter => tr!(l, "le déclarant", "the reporter"),
        Actor::System => tr!(l, "le service (automatique)", "the service (automatic)"),
    }
}

pub fn yes_no(value: bool, l: Language) -> &'static str {
    match (value, l) {
        (true, Language::Fr) => "oui",
        (false, Language::Fr) => "non",
        (true, Language::En) => "yes",
        (false, Language::En) => "no",
    }
}

/// An instant in Paris time, where the federation and its users are.
pub fn instant(at: DateTime<Utc>, l: Language) -> String {
    let local = at.with_timezone(&Paris);
    match l {
        Language::Fr => local
            .format("%d/%m/%Y à %H:%M (heure de Paris)")
            .to_string(),
        Language::En => local.format("%-d %B %Y at %H:%M (Paris time)").to_string(),
    }
}

/// A day without a time, as a day: `20/11/2026`, `20 November 2026`.
pub fn day(date: chrono::NaiveDate, l: Language) -> String {
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
        let at = DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .ok();
        let Some(at) = at else { return };
        assert_eq!(
            instant(at, Language::Fr),
            "23/11/2026 à 10:00 (heure de Paris)"
        );
        assert_eq!(
            instant(at, Language::En),
            "23 November 2026 at 10:00 (Paris time)"
        );
    }
}
