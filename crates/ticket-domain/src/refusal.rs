//! Typed refusals: every "no" of the domain names the rule that said it.

use crate::values::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a refusal should be understood by a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    /// The actor may not do this (403, or 404 when the ticket is not visible to them).
    Forbidden,
    /// The input breaks a rule of the domain (422).
    Invalid,
    /// The ticket's state does not allow it now (409).
    Conflict,
}

/// The rules that can refuse a command. Their names are stable: the API uses them in problem types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The actor's role does not allow this command.
    RoleNotAllowed,
    /// Security incidents and usurpations are handled by `security` (or a supervisor).
    SecurityRoleRequired,
    /// A partner acts only for its own organisation and on its own tickets.
    PartnerScope,
    /// Only the reporter of a ticket may do this.
    ReporterOnly,
    /// The input is invalid (see the field errors).
    InvalidInput,
    /// The suspicious connection is older than the traces kept (6 months) or in the future.
    ConnectionDateOutOfRange,
    /// The command does not apply to the ticket's current state.
    InvalidTransition,
    /// The command does not apply to this kind of ticket.
    WrongTicketKind,
    /// Security cases cannot be lowered below priority 2 without the `security` role.
    PriorityFloor,
    /// The ticket is already at the highest escalation tier.
    TopTierReached,
    /// A closure reason whose proof is missing.
    ClosureConditionUnmet,
    /// Usurpation closure: every organisation concerned must have been notified.
    OrganisationsNotNotified,
    /// Partner usurpation closure: credentials revoked or a written waiver from `security`.
    CredentialsNotRevoked,
    /// A closed ticket may be reopened only within the reopen window; after it, open a linked ticket.
    ReopenWindowElapsed,
    /// The usurpation report was already qualified.
    AlreadyQualified,
    /// The organisation is not among those concerned by the ticket.
    OrganisationNotConcerned,
    /// A ticket cannot be linked to or marked a duplicate of itself.
    SelfReference,
    /// `follow_up_of` names a ticket that is not closed, or still within its reopen window.
    FollowUpNotAllowed,
    /// Nothing is due on the ticket's clocks.
    NothingDue,
}

impl Rule {
    /// The stable, kebab-case name of the rule.
    pub fn name(self) -> &'static str {
        match self {
            Rule::RoleNotAllowed => "role-not-allowed",
            Rule::SecurityRoleRequired => "security-role-required",
            Rule::PartnerScope => "partner-scope",
            Rule::ReporterOnly => "reporter-only",
            Rule::InvalidInput => "invalid-input",
            Rule::ConnectionDateOutOfRange => "connection-date-out-of-range",
            Rule::InvalidTransition => "invalid-transition",
            Rule::WrongTicketKind => "wrong-ticket-kind",
            Rule::PriorityFloor => "priority-floor",
            Rule::TopTierReached => "top-tier-reached",
            Rule::ClosureConditionUnmet => "closure-condition-unmet",
            Rule::OrganisationsNotNotified => "organisations-not-notified",
            Rule::CredentialsNotRevoked => "credentials-not-revoked",
            Rule::ReopenWindowElapsed => "reopen-window-elapsed",
            Rule::AlreadyQualified => "already-qualified",
            Rule::OrganisationNotConcerned => "organisation-not-concerned",
            Rule::SelfReference => "self-reference",
            Rule::FollowUpNotAllowed => "follow-up-not-allowed",
            Rule::NothingDue => "nothing-due",
        }
    }

    pub fn kind(self) -> RefusalKind {
        match self {
            Rule::RoleNotAllowed
            | Rule::SecurityRoleRequired
            | Rule::PartnerScope
            | Rule::ReporterOnly => RefusalKind::Forbidden,
            Rule::InvalidInput
            | Rule::ConnectionDateOutOfRange
            | Rule::WrongTicketKind
            | Rule::PriorityFloor
            | Rule::OrganisationNotConcerned
            | Rule::SelfReference
            | Rule::FollowUpNotAllowed => RefusalKind::Invalid,
            Rule::InvalidTransition
            | Rule::TopTierReached
            | Rule::ClosureConditionUnmet
            | Rule::OrganisationsNotNotified
            | Rule::CredentialsNotRevoked
            | Rule::ReopenWindowElapsed
            | Rule::AlreadyQualified
            | Rule::NothingDue => RefusalKind::Conflict,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A command the domain refused, with the rule, a sentence for humans and, for invalid input, the
/// fields at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {detail}")]
pub struct Refusal {
    pub rule: Rule,
    pub detail: String,
    pub errors: Vec<FieldError>,
}

impl Refusal {
    pub fn new(rule: Rule, detail: impl Into<String>) -> Self {
        Self {
            rule,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => one.to_string(),
            many => format!("{} fields are invalid", many.len()),
        };
        Self {
            rule: Rule::InvalidInput,
            detail,
            errors,
        }
    }

    pub fn kind(&self) -> RefusalKind {
        self.rule.kind()
    }
}

impl From<FieldError> for Refusal {
    fn from(error: FieldError) -> Self {
        Refusal::invalid(vec![error])
    }
}
