//! Wire types of the API: snake_case JSON, enums as lowercase strings, instants in RFC 3339 UTC.
//! They mirror the domain's types, which know nothing of HTTP.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{Enum, Object};
use ticket_domain::Ticket;
use ticket_domain::actor::Actor;
use ticket_domain::kind::{KindData, Qualification};
use ticket_domain::privacy::{
    Disclosure, PersonalField, Purpose, disclosure, mask_email, mask_phone, mask_text, mask_word,
};
use ticket_domain::ticket::{Cancellation, Confirmation, CredentialsOutcome, ReporterOrigin};
use uuid::Uuid;

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
    ($(#[$meta:meta])* $name:ident <=> $domain:path { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
        #[oai(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
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

/// Where the report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ReporterTypeDto {
    Partner,
    Public,
    Staff,
}

/// The reporter, as far as the API shows it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReporterView {
    /// `partner`, `public` (the web form) or `staff`.
    #[oai(rename = "type")]
    pub reporter_type: ReporterTypeDto,
    /// The reporting partner's organisation.
    pub organisation_id: Option<Uuid>,
    /// The staff member who reported it.
    pub staff: Option<String>,
    /// Language of the mails the reporter receives.
    pub language: LanguageDto,
}

/// Incident details.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct IncidentView {
    /// The impacted service, when given.
    pub service_id: Option<Uuid>,
    /// Name of the impacted service when the ticket was opened.
    pub service_name: Option<String>,
    /// When the incident started.
    pub started_at: Instant,
    /// What is impacted, in the reporter's words.
    pub impact: String,
    /// A security incident: priority 1, handled by `security`.
    pub security: bool,
}

/// Partner usurpation details.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PartnerUsurpationView {
    /// `partner` or `operator`.
    pub detected_by: DetectorDto,
    /// The impersonated partner.
    pub partner_id: Uuid,
    /// What was compromised or imitated.
    pub vectors: Vec<VectorDto>,
    /// Description of the usurpation.
    pub description: String,
}

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
    fn of(ticket: &Ticket, reader: &Actor, purpose: Purpose) -> Option<Self> {
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

/// User usurpation details.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserUsurpationView {
    /// `user` (web form), `partner` or `operator`.
    pub reported_by: UsurpationReporterDto,
    /// Authentication session id or event id from the alert mail.
    pub session_id: Option<Uuid>,
    /// When the suspicious connection happened.
    pub suspicious_connection_at: Option<Instant>,
    /// The day of the suspicious connection (Paris), when only the day was given (the public form).
    pub suspicious_connection_date: Option<NaiveDate>,
    /// The identity provider holding the account.
    pub identity_provider_id: Option<Uuid>,
    /// The service providers accessed.
    pub service_provider_ids: Vec<Uuid>,
    /// The victim agreed to the processing of the report.
    pub consent: bool,
    /// `confirmed` or `unfounded`, once `security` qualified the report.
    pub qualification: Option<String>,
    /// Why the report was found unfounded.
    pub qualification_explanation: Option<String>,
    /// The victim's identity and contact, as far as the reader needs to know; absent when nothing.
    pub victim: Option<VictimView>,
}

/// Support request details.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SupportRequestView {
    /// The question asked.
    pub question: String,
}

/// The staff's resolution.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ResolutionView {
    /// When it was resolved.
    pub at: Instant,
    /// What was done.
    pub summary: String,
    /// Whether the reporter was told of the resolution (closure condition 4).
    pub reporter_notified: bool,
}

/// The reporter's confirmation of the resolution (closure condition 1).
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ConfirmationView {
    /// `written` (API or tracking page) or `verbal` (recorded by staff).
    pub channel: String,
    /// When it was confirmed.
    pub at: Instant,
}

/// How the ticket was closed.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClosureView {
    /// When it was closed.
    pub at: Instant,
    /// The closure condition met.
    pub reason: ClosureReasonDto,
    /// The note given as proof, if any.
    pub note: Option<String>,
}

/// Why the ticket was cancelled.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CancellationView {
    /// `spam` or `duplicate`.
    pub reason: String,
    /// The ticket this one duplicates.
    pub duplicate_of: Option<Uuid>,
}

/// An organisation that must be notified before a usurpation case closes.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ConcernedView {
    /// The organisation.
    pub organisation_id: Uuid,
    /// Why it is concerned.
    pub role: ConcernedRoleDto,
    /// When it was notified: when the mail server accepted the mail to it (or security recorded
    /// another channel); absent while it is not, including while its mail is queued, failed or
    /// uncertain.
    pub notified_at: Option<Instant>,
}

/// Partner usurpation: what was done about the compromised credentials.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CredentialsView {
    /// `revoked`, or `waived` in writing by `security`.
    pub outcome: String,
    /// When it was recorded.
    pub at: Instant,
    /// The note recorded with it.
    pub note: String,
}

/// A related ticket.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LinkView {
    /// The other ticket.
    pub ticket_id: Uuid,
    /// How it is related.
    pub kind: LinkKindDto,
}

/// A ticket.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TicketView {
    /// Stable id (UUID v7).
    pub id: Uuid,
    /// Human reference, e.g. `INC-2026-000042`; accepted wherever an id is.
    pub reference: String,
    /// Kind of ticket.
    pub kind: KindDto,
    /// Lifecycle state.
    pub state: StateDto,
    /// Short title.
    pub title: String,
    /// Effective priority.
    pub priority: PriorityDto,
    /// Priority proposed by the reporter.
    pub proposed_priority: Option<PriorityDto>,
    /// Escalation tier handling it.
    pub tier: TierDto,
    /// Staff member assigned.
    pub assignee: Option<String>,
    /// The partner organisation the ticket affects.
    pub organisation_id: Option<Uuid>,
    /// Who reported it.
    pub reporter: ReporterView,
    /// When it was opened.
    pub created_at: Instant,
    /// When it last changed.
    pub updated_at: Instant,
    /// When it was acknowledged.
    pub acknowledged_at: Option<Instant>,
    /// Since when it waits for the reporter.
    pub waiting_since: Option<Instant>,
    /// Reminders sent to the reporter during the current wait.
    pub reminders_sent: u32,
    /// Version for optimistic concurrency; the `ETag` is this number in quotes.
    pub version: i64,
    /// Incident details (kind `incident`).
    pub incident: Option<IncidentView>,
    /// Partner usurpation details (kind `partner_usurpation`).
    pub partner_usurpation: Option<PartnerUsurpationView>,
    /// User usurpation details (kind `user_usurpation`).
    pub user_usurpation: Option<UserUsurpationView>,
    /// Support request details (kind `support_request`).
    pub support_request: Option<SupportRequestView>,
    /// The resolution, once resolved.
    pub resolution: Option<ResolutionView>,
    /// The reporter's confirmation of the resolution.
    pub confirmation: Option<ConfirmationView>,
    /// How it was closed.
    pub closure: Option<ClosureView>,
    /// Why it was cancelled.
    pub cancellation: Option<CancellationView>,
    /// Organisations concerned by a usurpation case and when each was notified.
    pub concerned_organisations: Vec<ConcernedView>,
    /// Partner usurpation: revocation of the compromised credentials, or its waiver.
    pub credentials: Option<CredentialsView>,
    /// Related tickets.
    pub links: Vec<LinkView>,
    /// The commands the caller may run on the ticket now, as the rules decide (each the
    /// `operation_id` of a command; `internal_note` is `comment` with `internal: true`).
    pub allowed_actions: Vec<ActionDto>,
    /// The ticket's deadlines at the instant it was read.
    pub deadlines: Option<DeadlinesView>,
}

/// A command a caller may run on a ticket: the `operation_id` of its operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, strum::EnumString)]
#[oai(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ActionDto {
    /// `POST /api/v1/tickets/{id}/acknowledge`
    Acknowledge,
    /// `POST /api/v1/tickets/{id}/assign`
    Assign,
    /// `POST /api/v1/tickets/{id}/priority`
    SetPriority,
    /// `POST /api/v1/tickets/{id}/comments`, public
    Comment,
    /// `POST /api/v1/tickets/{id}/comments` with `internal: true`
    InternalNote,
    /// `POST /api/v1/tickets/{id}/escalate`
    Escalate,
    /// `POST /api/v1/tickets/{id}/wait-for-reporter`
    WaitForReporter,
    /// `POST /api/v1/tickets/{id}/resolve`
    Resolve,
    /// `POST /api/v1/tickets/{id}/confirm-resolution`
    ConfirmResolution,
    /// `POST /api/v1/tickets/{id}/reject-resolution`
    RejectResolution,
    /// `POST /api/v1/tickets/{id}/qualify`
    Qualify,
    /// `POST /api/v1/tickets/{id}/organisations-notified`
    RecordOrganisationNotified,
    /// `POST /api/v1/tickets/{id}/concerned-organisations`
    AddConcernedOrganisation,
    /// `POST /api/v1/tickets/{id}/record-reporter-answered`
    RecordReporterAnswered,
    /// `POST /api/v1/tickets/{id}/record-not-fixed`
    RecordNotFixed,
    /// `POST /api/v1/tickets/{id}/credentials-revoked`
    RecordCredentialsRevoked,
    /// `POST /api/v1/tickets/{id}/revocation-waiver`
    WaiveRevocation,
    /// `POST /api/v1/tickets/{id}/close`
    Close,
    /// `POST /api/v1/tickets/{id}/reopen`
    Reopen,
    /// `POST /api/v1/tickets/{id}/cancel`
    Cancel,
}

impl ActionDto {
    /// The API's name of a domain action (the same name); `None` for what only the service does
    /// (recording a delivered mail, linking tickets).
    pub fn of(action: ticket_domain::Action) -> Option<Self> {
        action.name().parse().ok()
    }
}

/// One clock's deadline, as the ticket's list and page show it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DeadlineView {
    /// When the target is (or was) reached; absent while the clock is paused before reaching it,
    /// or stopped.
    pub deadline: Option<Instant>,
    /// When 75 % of the target is (or was) used: the warning.
    pub warning_at: Option<Instant>,
    /// The target was missed.
    pub breached: bool,
    /// The clock waits for the reporter.
    pub paused: bool,
    /// The clock's goal was met (acknowledged, resolved): it no longer runs.
    pub stopped: bool,
    /// Working time left before the target, in seconds (negative once breached).
    pub remaining_seconds: i64,
}

/// A ticket's deadlines, computed by the rules at the instant the ticket is read.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DeadlinesView {
    /// Acknowledgement deadline.
    pub acknowledgement: DeadlineView,
    /// Handling deadline.
    pub handling: DeadlineView,
    /// The earliest deadline of a clock not stopped: what `sort=deadline` and `due_before`
    /// use; absent when none runs.
    pub next: Option<Instant>,
}

impl DeadlinesView {
    pub fn new(ticket: &Ticket, policy: &ticket_domain::Policy, now: DateTime<Utc>) -> Self {
        use ticket_domain::clock::Phase;
        let clock = |kind| {
            let status = ticket_domain::clock_status(ticket, kind, policy, now);
            DeadlineView {
                deadline: status.deadline.map(Into::into),
                warning_at: status.warning_at.map(Into::into),
                breached: status.breached,
                paused: status.phase == Phase::Paused,
                stopped: status.phase == Phase::Stopped,
                remaining_seconds: status.remaining.num_seconds(),
            }
        };
        DeadlinesView {
            acknowledgement: clock(ticket_domain::ClockKind::Acknowledgement),
            handling: clock(ticket_domain::ClockKind::Handling),
            next: ticket_domain::next_deadline(ticket, policy).map(Into::into),
        }
    }
}

impl TicketView {
    /// The ticket as `viewer` may see it when opening it (need-to-know: see [`VictimView`]).
    pub fn new(ticket: &Ticket, version: i64, viewer: &Actor) -> Self {
        Self::with_purpose(ticket, version, viewer, Purpose::Read)
    }

    /// The ticket as `viewer` sees it in a list: personal data masked at best.
    pub fn listed(ticket: &Ticket, version: i64, viewer: &Actor) -> Self {
        Self::with_purpose(ticket, version, viewer, Purpose::List)
    }

    fn with_purpose(ticket: &Ticket, version: i64, viewer: &Actor, purpose: Purpose) -> Self {
        let reporter = match &ticket.reporter.origin {
            ReporterOrigin::Partner { organisation } => {
                (ReporterTypeDto::Partner, Some(organisation.0), None)
            }
            ReporterOrigin::Public => (ReporterTypeDto::Public, None, None),
            ReporterOrigin::Staff { handle } => (
                ReporterTypeDto::Staff,
                None,
                Some(handle.as_str().to_owned()),
            ),
        };
        let mut view = TicketView {
            id: ticket.id.0,
            reference: ticket.reference.to_string(),
            kind: ticket.kind().into(),
            state: ticket.state.into(),
            title: ticket.title.as_str().to_owned(),
            priority: ticket.priority.into(),
            proposed_priority: ticket.proposed_priority.map(Into::into),
            tier: ticket.tier.into(),
            assignee: ticket.assignee.as_ref().map(|a| a.as_str().to_owned()),
            organisation_id: ticket.organisation.map(|o| o.0),
            reporter: ReporterView {
                reporter_type: reporter.0,
                organisation_id: reporter.1,
                staff: reporter.2,
                language: ticket.reporter.language.into(),
            },
            created_at: ticket.created_at.into(),
            updated_at: ticket.updated_at.into(),
            acknowledged_at: ticket.acknowledged_at.map(Into::into),
            waiting_since: ticket.waiting_since.map(Into::into),
            reminders_sent: ticket.reminders_sent,
            version,
            incident: None,
            partner_usurpation: None,
            user_usurpation: None,
            support_request: None,
            resolution: ticket.resolution.as_ref().map(|r| ResolutionView {
                at: r.at.into(),
                summary: r.summary.as_str().to_owned(),
                reporter_notified: r.reporter_notified,
            }),
            confirmation: ticket.confirmation.as_ref().map(|c| match c {
                Confirmation::Written { at } => ConfirmationView {
                    channel: "written".into(),
                    at: (*at).into(),
                },
                Confirmation::Verbal { at, .. } => ConfirmationView {
                    channel: "verbal".into(),
                    at: (*at).into(),
                },
            }),
            closure: ticket.closure.as_ref().map(|c| ClosureView {
                at: c.at.into(),
                reason: c.reason.into(),
                note: c.note.as_ref().map(|n| n.as_str().to_owned()),
            }),
            cancellation: ticket.cancellation.as_ref().map(|c| match c {
                Cancellation::Spam => CancellationView {
                    reason: "spam".into(),
                    duplicate_of: None,
                },
                Cancellation::Duplicate { of } => CancellationView {
                    reason: "duplicate".into(),
                    duplicate_of: Some(of.0),
                },
            }),
            concerned_organisations: ticket
                .concerned
                .iter()
                .map(|c| ConcernedView {
                    organisation_id: c.organisation.0,
                    role: c.role.into(),
                    notified_at: c.notified_at.map(Into::into),
                })
                .collect(),
            credentials: ticket.credentials.as_ref().map(|c| match c {
                CredentialsOutcome::Revoked { at, note } => CredentialsView {
                    outcome: "revoked".into(),
                    at: (*at).into(),
                    note: note.as_str().to_owned(),
                },
                CredentialsOutcome::Waived { at, note, .. } => CredentialsView {
                    outcome: "waived".into(),
                    at: (*at).into(),
                    note: note.as_str().to_owned(),
                },
            }),
            links: ticket
                .links
                .iter()
                .map(|l| LinkView {
                    ticket_id: l.ticket.0,
                    kind: l.kind.into(),
                })
                .collect(),
            allowed_actions: Vec::new(),
            deadlines: None,
        };
        match &ticket.data {
            KindData::Incident(d) => {
                view.incident = Some(IncidentView {
                    service_id: d.service.as_ref().map(|s| s.id.0),
                    service_name: d.service.as_ref().map(|s| s.name.clone()),
                    started_at: d.started_at.into(),
                    impact: d.impact.as_str().to_owned(),
                    security: d.security,
                });
            }
            KindData::PartnerUsurpation(d) => {
                view.partner_usurpation = Some(PartnerUsurpationView {
                    detected_by: d.detected_by.into(),
                    partner_id: d.partner.0,
                    vectors: d.vectors.iter().map(|v| (*v).into()).collect(),
                    description: d.description.as_str().to_owned(),
                });
            }
            KindData::UserUsurpation(d) => {
                let (qualification, explanation) = match &d.qualification {
                    Some(Qualification::Confirmed) => (Some("confirmed".to_owned()), None),
                    Some(Qualification::Unfounded { explanation }) => (
                        Some("unfounded".to_owned()),
                        Some(explanation.as_str().to_owned()),
                    ),
                    None => (None, None),
                };
                view.user_usurpation = Some(UserUsurpationView {
                    reported_by: d.reported_by.into(),
                    session_id: d.session_id,
                    suspicious_connection_at: d.suspicious_connection_at.map(Into::into),
                    suspicious_connection_date: d.suspicious_connection_date,
                    identity_provider_id: d.identity_provider.map(|o| o.0),
                    service_provider_ids: d.service_providers.iter().map(|o| o.0).collect(),
                    consent: d.consent,
                    qualification,
                    qualification_explanation: explanation,
                    victim: VictimView::of(ticket, viewer, purpose),
                });
            }
            KindData::SupportRequest(d) => {
                view.support_request = Some(SupportRequestView {
                    question: d.question.as_str().to_owned(),
                });
            }
        }
        view
    }
}

impl TicketView {
    /// The ticket as `viewer` reads it at `now`, with what they may do and its deadlines, both
    /// computed by the domain from the ticket alone (no query per ticket).
    pub fn read(
        ticket: &Ticket,
        version: i64,
        viewer: &Actor,
        policy: &ticket_domain::Policy,
        now: DateTime<Utc>,
    ) -> Self {
        Self::new(ticket, version, viewer).with_actions(ticket, viewer, policy, now)
    }

    /// This view with what `viewer` may do on `ticket` at `now` and the ticket's deadlines.
    pub fn with_actions(
        mut self,
        ticket: &Ticket,
        viewer: &Actor,
        policy: &ticket_domain::Policy,
        now: DateTime<Utc>,
    ) -> Self {
        self.allowed_actions = ticket_domain::allowed_actions(ticket, viewer, now, policy)
            .into_iter()
            .filter_map(ActionDto::of)
            .collect();
        self.deadlines = Some(DeadlinesView::new(ticket, policy, now));
        self
    }
}

/// `"3"`: the strong ETag of a ticket at version 3.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A page of tickets.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TicketPage {
    /// The tickets of this page, in the order asked (`sort`).
    pub items: Vec<TicketView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}
