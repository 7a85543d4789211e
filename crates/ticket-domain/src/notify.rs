//! Notification routing (rule "Notifications (email)"): for each event, who gets which message in
//! which language. Rendering and delivery belong to the mail crate; this decides only *who* and *what*.

use crate::actor::Actor;
use crate::escalation::Tier;
use crate::event::{EscalationCause, Event, EventData, Visibility};
use crate::kind::{Detector, KindData, Qualification, UsurpationReporter};
use crate::policy::Policy;
use crate::priority::{Owner, Priority};
use crate::ticket::{Cancellation, ConcernedRole, ReporterOrigin, Ticket};
use crate::values::OrganisationId;
use serde::{Deserialize, Serialize};

/// Languages of mails and pages; French is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    Fr,
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "fr" => Some(Language::Fr),
            "en" => Some(Language::En),
            _ => None,
        }
    }

    /// Where the public report form is, in this language.
    pub fn form_path(self) -> &'static str {
        match self {
            Language::Fr => "/signalement",
            Language::En => "/en/report",
        }
    }

    /// The reporter's private tracking page, in this language: `/suivi/{secret}` or
    /// `/en/tracking/{secret}`. The one place this path is written.
    pub fn tracking_path(self, secret: &str) -> String {
        match self {
            Language::Fr => format!("/suivi/{secret}"),
            Language::En => format!("/en/tracking/{secret}"),
        }
    }

    /// The tracking page's absolute address under `base_url` (the public address of the service).
    pub fn tracking_url(self, base_url: &str, secret: &str) -> String {
        format!(
            "{}{}",
            base_url.trim_end_matches('/'),
            self.tracking_path(secret)
        )
    }
}

/// The operator's shared mailboxes (addresses are configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mailbox {
    /// `support.partenaires@…`
    PartnerSupport,
    /// `support.usagers@…`
    UserSupport,
    /// `support.securite@…`
    Security,
}

/// Who receives a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Recipient {
    Mailbox(Mailbox),
    /// The reporter's address, or for a partner without one its designated contacts.
    Reporter,
    /// The victim of a user usurpation, at the contact they gave.
    Victim,
    /// The designated contacts of an organisation of the trust sphere.
    OrganisationContacts(OrganisationId),
    /// An owner of the priority table (production lead, product lead, …).
    Owner(Owner),
    /// The staff member the ticket is assigned to.
    Assignee,
    /// The team mailbox of a tier (agents, engineers, security, supervisor).
    TierTeam(Tier),
}

/// Which message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// To the reporter at creation, with the reference.
    AcknowledgementOfReceipt,
    /// Copy of a new ticket to the partner or user support mailbox.
    NewTicketCopy,
    /// To the security mailbox: creation and every event of a security case.
    SecurityAlert,
    /// To the partner: an event on a priority 1 or 2 ticket that affects it.
    TicketUpdate,
    /// To the priority's owners (and the supervisor) when a ticket escalates.
    Escalation,
    /// To the assignee, or the tier's team mailbox: 75 % of a target is used.
    SlaWarning,
    /// To the priority's owners: a target was missed, whatever the tier.
    SlaBreach,
    /// Staff asked the reporter a question; the clock is paused.
    QuestionToReporter,
    /// Staff answered the reporter publicly.
    ReplyToReporter,
    /// Resolution: the reporter is asked to confirm.
    ResolutionConfirmationRequest,
    /// Closure: the reporter is told why.
    ClosureNotice,
    /// Cancelled as a duplicate: the reporter is told which ticket follows their case.
    DuplicateNotice,
    /// A silent reporter is reminded.
    ReporterReminder,
    /// Confirmed user usurpation: advice to the victim.
    VictimAdvice,
    /// Confirmed user usurpation: the identity provider and service providers concerned.
    UsurpationConfirmed,
    /// Unfounded user usurpation: the explanation to the reporter.
    UnfoundedExplanation,
    /// Partner usurpation detected by the operator: the partner's designated contacts.
    PartnerImpersonationDetected,
    /// To the assignee: the reporter answered on their ticket (a comment, an answer to a
    /// question, a resolution they say does not fix it).
    ReporterReplied,
    /// To the assignee, or the tier's team mailbox: an answer arrived by e-mail on the ticket.
    ReplyArrived,
    /// To the assignee, or the tier's team mailbox: a reminder could not reach the silent
    /// reporter, so the automatic closure waits.
    ReminderUndeliverable,
}

impl Template {
    /// Whether the delivery of this mail can prove a closure condition: the reporter told of the
    /// resolution (condition 4), an organisation concerned by a usurpation notified.
    pub fn proves_notification(self) -> bool {
        matches!(
            self,
            Template::ResolutionConfirmationRequest
                | Template::UnfoundedExplanation
                | Template::ReporterReminder
                | Template::UsurpationConfirmed
                | Template::PartnerImpersonationDetected
        )
    }
}

/// One mail to send because of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Notification {
    pub template: Template,
    pub recipient: Recipient,
    pub language: Language,
}

/// Everyone to tell about `event`, which has just been applied to `ticket`.
pub fn route(ticket: &Ticket, event: &Event, policy: &Policy) -> Vec<Notification> {
    match &event.data {
        // Bookkeeping of a mail already sent: nobody is told that a mail arrived.
        EventData::MailDelivered { .. } => Vec::new(),
        EventData::MailReceived { receipt } => reply_arrived(ticket, event, receipt.opened),
        // Whoever handles the ticket must reach the reporter another way (DOMAIN.md, closure 3).
        EventData::ReminderUndeliverable { .. } => vec![Notification {
            template: Template::ReminderUndeliverable,
            recipient: handler_or_team(ticket),
            language: Language::Fr,
        }],
        _ => {
            let mut router = Router {
                ticket,
                event,
                policy,
                out: Routing::default(),
            };
            router.by_event();
            router.security_mailbox();
            router.affected_partner();
            router.out.0
        }
    }
}

/// A mail that answered on the ticket: whoever handles it is told, unless they wrote it (or the
/// mail opened the ticket).
fn reply_arrived(ticket: &Ticket, event: &Event, opened: bool) -> Vec<Notification> {
    let handler_wrote = matches!(
        (&event.actor, &ticket.assignee),
        (Actor::Staff { handle, .. }, Some(assignee)) if handle == assignee
    );
    if opened || handler_wrote {
        return Vec::new();
    }
    vec![Notification {
        template: Template::ReplyArrived,
        recipient: handler_or_team(ticket),
        language: Language::Fr,
    }]
}

/// The assignee when the ticket has one, else the team mailbox of its tier.
fn handler_or_team(ticket: &Ticket) -> Recipient {
    if ticket.assignee.is_some() {
        Recipient::Assignee
    } else {
        Recipient::TierTeam(ticket.tier)
    }
}

/// The routing of one event (other than a mail received or delivered) on one ticket.
struct Router<'a> {
    ticket: &'a Ticket,
    event: &'a Event,
    policy: &'a Policy,
    out: Routing,
}

impl Router<'_> {
    /// The reporter, in their language, unless they cannot be written to or caused the event.
    fn tell_reporter(&mut self, template: Template) {
        let reporter = &self.ticket.reporter;
        if reporter.can_be_notified() && !reporter.is(&self.event.actor) {
            self.out
                .push(template, Recipient::Reporter, reporter.language);
        }
    }

    /// Who the event itself concerns.
    fn by_event(&mut self) {
        let (ticket, event) = (self.ticket, self.event);
        match &event.data {
            EventData::Created { .. } => self.created(),
            EventData::SlaWarning { .. } => {
                self.out
                    .push(Template::SlaWarning, handler_or_team(ticket), Language::Fr);
            }
            // At 100 % the owners are told in every case, escalation or not (top tier).
            EventData::SlaBreached { .. } => self.owners(Template::SlaBreach),
            EventData::Escalated { to, cause, .. } => self.escalated(*to, cause),
            EventData::WaitingForReporter { .. } => {
                self.tell_reporter(Template::QuestionToReporter)
            }
            // "A reporter answered your ticket": the assignee is told when the reporter themselves
            // writes (not when staff record an answer given by phone).
            EventData::Commented { .. }
            | EventData::ReporterAnswered { .. }
            | EventData::ResolutionRejected { .. }
                if event.visibility == Visibility::Public
                    && ticket.assignee.is_some()
                    && ticket.reporter.is(&event.actor) =>
            {
                self.out
                    .push(Template::ReporterReplied, Recipient::Assignee, Language::Fr);
            }
            EventData::Commented { .. } if event.visibility == Visibility::Public => {
                if matches!(event.actor, Actor::Staff { .. }) {
                    self.tell_reporter(Template::ReplyToReporter);
                }
            }
            EventData::Resolved { .. } => {
                self.tell_reporter(Template::ResolutionConfirmationRequest);
            }
            // Even when the reporter's own confirmation closed it: the notice says it is over,
            // and why.
            EventData::Closed { .. } if ticket.reporter.can_be_notified() => {
                self.out.push(
                    Template::ClosureNotice,
                    Recipient::Reporter,
                    ticket.reporter.language,
                );
            }
            EventData::Cancelled {
                cancellation: Cancellation::Duplicate { .. },
                ..
            } => self.tell_reporter(Template::DuplicateNotice),
            EventData::ReminderSent { .. } => self.tell_reporter(Template::ReporterReminder),
            EventData::Qualified { qualification } => self.qualified(qualification),
            // Found during the investigation of a confirmed user usurpation: told like the others.
            EventData::OrganisationConcerned { organisation, .. } => {
                if let Some(data) = ticket.data.user_usurpation()
                    && data.qualification == Some(Qualification::Confirmed)
                {
                    self.out.push(
                        Template::UsurpationConfirmed,
                        Recipient::OrganisationContacts(*organisation),
                        Language::Fr,
                    );
                }
            }
            _ => {}
        }
    }

    fn created(&mut self) {
        let ticket = self.ticket;
        // The one mail a reporter gets about their own action: the reference of their report.
        if ticket.reporter.can_be_notified() {
            self.out.push(
                Template::AcknowledgementOfReceipt,
                Recipient::Reporter,
                ticket.reporter.language,
            );
        }
        let mailbox = if ticket.data.concerns_a_user() {
            Mailbox::UserSupport
        } else {
            Mailbox::PartnerSupport
        };
        self.out.push(
            Template::NewTicketCopy,
            Recipient::Mailbox(mailbox),
            Language::Fr,
        );
        if let KindData::PartnerUsurpation(data) = &ticket.data
            && data.detected_by == Detector::Operator
        {
            self.out.push(
                Template::PartnerImpersonationDetected,
                Recipient::OrganisationContacts(data.partner),
                Language::Fr,
            );
        }
    }

    /// The owners of the ticket's priority.
    fn owners(&mut self, template: Template) {
        for owner in self.policy.priorities.owners(self.ticket.priority) {
            self.out
                .push(template, Recipient::Owner(*owner), Language::Fr);
        }
    }

    fn escalated(&mut self, to: Tier, cause: &EscalationCause) {
        // The member the ticket is assigned to hears that their ticket moved up.
        if self.ticket.assignee.is_some() {
            self.out
                .push(Template::Escalation, Recipient::Assignee, Language::Fr);
        }
        // A breach already told the owners; a manual escalation tells them here.
        if matches!(cause, EscalationCause::Manual { .. }) {
            self.owners(Template::Escalation);
        }
        if to == Tier::Supervisor {
            self.out.push(
                Template::Escalation,
                Recipient::Owner(Owner::Supervisor),
                Language::Fr,
            );
        }
    }

    fn qualified(&mut self, qualification: &Qualification) {
        let ticket = self.ticket;
        match qualification {
            Qualification::Confirmed => {
                if let Some(data) = ticket.data.user_usurpation()
                    && data.contact.email.is_some()
                {
                    let language = if data.reported_by == UsurpationReporter::User {
                        ticket.reporter.language
                    } else {
                        Language::Fr
                    };
                    self.out
                        .push(Template::VictimAdvice, Recipient::Victim, language);
                }
                for concerned in &ticket.concerned {
                    if matches!(
                        concerned.role,
                        ConcernedRole::IdentityProvider | ConcernedRole::ServiceProvider
                    ) {
                        self.out.push(
                            Template::UsurpationConfirmed,
                            Recipient::OrganisationContacts(concerned.organisation),
                            Language::Fr,
                        );
                    }
                }
            }
            Qualification::Unfounded { .. } => self.tell_reporter(Template::UnfoundedExplanation),
        }
    }

    /// The security mailbox hears of every event of a security case.
    fn security_mailbox(&mut self) {
        if self.ticket.is_security_case() {
            self.out.push(
                Template::SecurityAlert,
                Recipient::Mailbox(Mailbox::Security),
                Language::Fr,
            );
        }
    }

    /// Priority 1 and 2: the partner affected hears of every event it may see, unless it caused
    /// the event or already gets a mail about it as the reporter.
    fn affected_partner(&mut self) {
        let (ticket, event) = (self.ticket, self.event);
        if matches!(ticket.priority, Priority::Critique | Priority::Majeure)
            && event.visibility == Visibility::Public
            && let Some(organisation) = ticket.organisation
        {
            let partner_is_actor = event.actor.organisation() == Some(organisation);
            let partner_is_reporter =
                ticket.reporter.origin == ReporterOrigin::Partner { organisation };
            let mailed = &self.out.0;
            let reporter_mailed = mailed.iter().any(|n| n.recipient == Recipient::Reporter);
            let contacts_mailed = mailed
                .iter()
                .any(|n| n.recipient == Recipient::OrganisationContacts(organisation));
            let already_told =
                partner_is_actor || contacts_mailed || (partner_is_reporter && reporter_mailed);
            if !already_told {
                self.out.push(
                    Template::TicketUpdate,
                    Recipient::OrganisationContacts(organisation),
                    Language::Fr,
                );
            }
        }
    }
}

/// Notifications without duplicates: one recipient gets one mail per event.
#[derive(Default)]
struct Routing(Vec<Notification>);

impl Routing {
    fn push(&mut self, template: Template, recipient: Recipient, language: Language) {
        if !self.0.iter().any(|n| n.recipient == recipient) {
            self.0.push(Notification {
                template,
                recipient,
                language,
            });
        }
    }
}
