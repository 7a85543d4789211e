//! Wire types of the API: snake_case JSON, enums as lowercase strings, instants in RFC 3339 UTC.
//! They mirror the domain's types, which know nothing of HTTP.

mod details;
mod ticket;
mod victim;

pub use details::{
    CancellationView, ClosureView, ConcernedView, ConfirmationView, CredentialsView, IncidentView,
    LinkView, PartnerUsurpationView, ReporterTypeDto, ReporterView, ResolutionView,
    SupportRequestView, UserUsurpationView,
};
pub use ticket::{ActionDto, DeadlineView, DeadlinesView, TicketPage, TicketView};
pub use victim::VictimView;

use chrono::{DateTime, Utc};
use poem_openapi::Enum;

/// An instant as the API writes it: RFC 3339 in UTC with `Z` (`2026-11-23T09:30:00Z`), never an
/// offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(pub DateTime<Utc>);

impl From<DateTime<Utc>> for Instant {
    fn from(value: DateTime<Utc>) -> Self {
        Instant(value)
    }
}

impl poem_openapi::types::Type for Instant {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> std::borrow::Cow<'static, str> {
        "string_date-time".into()
    }

    fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
        <DateTime<Utc> as poem_openapi::types::Type>::schema_ref()
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl poem_openapi::types::ToJSON for Instant {
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(serde_json::Value::String(
            self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        ))
    }
}

impl poem_openapi::types::ParseFromJSON for Instant {
    fn parse_from_json(value: Option<serde_json::Value>) -> poem_openapi::types::ParseResult<Self> {
        <DateTime<Utc> as poem_openapi::types::ParseFromJSON>::parse_from_json(value)
            .map(Instant)
            .map_err(poem_openapi::types::ParseError::propagate)
    }
}

/// Declares a wire enum that mirrors a domain enum variant for variant, with conversions both ways.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident <=> $domain:path { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
        #[oai(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                use $domain as D;
                match value {
                    $(D::$variant => $name::$variant),+
                }
            }
        }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                use $domain as D;
                match value {
                    $($name::$variant => D::$variant),+
                }
            }
        }
    };
}
pub(crate) use mirror_enum;

mirror_enum!(
    /// Lifecycle state: `new` → `acknowledged` → `in_progress` ⇄ `waiting_reporter` → `resolved` → `closed`; or `cancelled`.
    StateDto <=> ticket_domain::State { New, Acknowledged, InProgress, WaitingReporter, Resolved, Closed, Cancelled }
);
mirror_enum!(
    /// Kind of ticket.
    KindDto <=> ticket_domain::TicketKind { Incident, PartnerUsurpation, UserUsurpation, SupportRequest }
);
mirror_enum!(
    /// Priority: `critique` (1), `majeure` (2), `normale` (3), `mineure` (4), `info` (5).
    PriorityDto <=> ticket_domain::Priority { Critique, Majeure, Normale, Mineure, Info }
);
mirror_enum!(
    /// Escalation tier handling the ticket.
    TierDto <=> ticket_domain::Tier { Agent, Engineer, Security, Supervisor }
);
mirror_enum!(
    /// Language of mails and pages; `fr` by default.
    LanguageDto <=> ticket_domain::Language { Fr, En }
);
mirror_enum!(
    /// One of the four closure conditions.
    ClosureReasonDto <=> ticket_domain::ClosureReason { ResolvedConfirmed, MutualAgreement, ReporterUnresponsive, ResolvedByOperator }
);
mirror_enum!(
    /// Who detected a partner usurpation.
    DetectorDto <=> ticket_domain::kind::Detector { Partner, Operator }
);
mirror_enum!(
    /// Who reported a user usurpation.
    UsurpationReporterDto <=> ticket_domain::kind::UsurpationReporter { User, Partner, Operator }
);
mirror_enum!(
    /// What was compromised or imitated in a partner usurpation.
    VectorDto <=> ticket_domain::kind::UsurpationVector { PhishingSite, LeakedClientSecret, LeakedAuthorizationCodes, ForgedTokens, Other }
);
/// Role of an API key that is not a partner's: a staff role, or `mail_gateway` (a receiving
/// MTA's key: it delivers raw mails to `POST /api/v1/inbound-mails` and can do nothing else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum RoleDto {
    Agent,
    Engineer,
    Security,
    Supervisor,
    Admin,
    Dpo,
    MailGateway,
}

impl From<ticket_domain::Role> for RoleDto {
    fn from(role: ticket_domain::Role) -> Self {
        use ticket_domain::Role;
        match role {
            Role::Agent => RoleDto::Agent,
            Role::Engineer => RoleDto::Engineer,
            Role::Security => RoleDto::Security,
            Role::Supervisor => RoleDto::Supervisor,
            Role::Admin => RoleDto::Admin,
            Role::Dpo => RoleDto::Dpo,
        }
    }
}

impl RoleDto {
    /// The scope of a key with this role.
    pub fn scope(self) -> ticket_store::keys::KeyScope {
        use ticket_domain::Role;
        use ticket_store::keys::KeyScope;
        let role = match self {
            RoleDto::Agent => Role::Agent,
            RoleDto::Engineer => Role::Engineer,
            RoleDto::Security => Role::Security,
            RoleDto::Supervisor => Role::Supervisor,
            RoleDto::Admin => Role::Admin,
            RoleDto::Dpo => Role::Dpo,
            RoleDto::MailGateway => return KeyScope::MailGateway,
        };
        KeyScope::Staff { role }
    }
}
mirror_enum!(
    /// What an organisation is in the trust sphere: `identity_provider` (identification and/or
    /// authentication operator), `service_provider` (service operator), `user_organisation`.
    OrganisationRoleDto <=> ticket_store::registry::OrganisationRole { IdentityProvider, ServiceProvider, UserOrganisation }
);
mirror_enum!(
    /// Minimum identification/authentication level a service requires: `none`, `eidas_low`,
    /// `substantial`, `high`.
    AssuranceLevelDto <=> ticket_store::registry::AssuranceLevel { None, EidasLow, Substantial, High }
);
mirror_enum!(
    /// How two tickets are related.
    LinkKindDto <=> ticket_domain::ticket::LinkKind { SameSession, FollowUpOf, FollowedUpBy, DuplicateOf }
);
mirror_enum!(
    /// Why an organisation is concerned by a usurpation case.
    ConcernedRoleDto <=> ticket_domain::ticket::ConcernedRole { IdentityProvider, ServiceProvider, ImpersonatedPartner }
);
mirror_enum!(
    /// A ticket clock.
    ClockKindDto <=> ticket_domain::ClockKind { Acknowledgement, Handling }
);
mirror_enum!(
    /// Whether a clock runs, is paused (waiting for the reporter) or is done.
    PhaseDto <=> ticket_domain::clock::Phase { Running, Paused, Stopped }
);

/// `"3"`: the strong ETag of a ticket at version 3.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}
