//! Every template in both languages, rendered from fixed tickets and events and compared with the
//! committed snapshots (`tests/snapshots/`). Review a change with `cargo insta review`, or
//! `INSTA_UPDATE=always cargo test -p ticket-mail --test templates` and read the diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ticket_domain::actor::Actor;
use ticket_domain::event::{EscalationCause, Event, EventData, Visibility};
use ticket_domain::kind::{Detector, Qualification, UsurpationReporter};
use ticket_domain::notify::{Language, Mailbox, Recipient, Template};
use ticket_domain::priority::{Owner, Priority};
use ticket_domain::testkit::*;
use ticket_domain::ticket::{Cancellation, Reference, State};
use ticket_domain::values::{StaffHandle, TicketId};
use ticket_domain::{ClosureReason, Role, Ticket, Tier};
use ticket_mail::templates::{MailContext, render, tracking_link};
use ticket_wording::Wording;
use uuid::Uuid;

/// The shipped words, read once.
fn words() -> &'static Wording {
    static WORDS: std::sync::OnceLock<Wording> = std::sync::OnceLock::new();
    WORDS.get_or_init(Wording::shipped)
}

const NOW: &str = "2026-11-23T09:00:00Z";
const LATER: &str = "2026-11-24T14:30:00Z";
const SECURITY: &str = "support.securite@ticketd.localhost";

fn fixed(mut new: ticket_domain::NewTicket) -> ticket_domain::NewTicket {
    new.id = TicketId(Uuid::from_u128(0x0193_5a2b_0000_7000_8000_0000_0000_0042));
    new
}

fn partner_incident() -> Ticket {
    let mut new = fixed(incident(false, "2026-11-23T08:15:00Z"));
    new.proposed_priority = Some(Priority::Majeure);
    open_as(&partner(PARTNER), new, NOW).ticket
}

fn public_usurpation() -> Ticket {
    let mut new = fixed(user_usurpation(
        UsurpationReporter::User,
        "2026-11-20T22:10:00Z",
    ));
    new.title = text("Quelqu'un s'est connecté avec mon identité");
    open_as(&Actor::PublicReporter, new, NOW).ticket
}

fn operator_impersonation() -> Ticket {
    open_as(
        &staff(Role::Security),
        fixed(partner_usurpation(Detector::Operator)),
        NOW,
    )
    .ticket
}

fn event(actor: Actor, visibility: Visibility, data: EventData) -> Event {
    Event {
        at: at(LATER),
        actor,
        visibility,
        transition: None,
        data,
        facts: None,
    }
}

fn public_staff_event(data: EventData) -> Event {
    event(staff(Role::Agent), Visibility::Public, data)
}

/// One realistic ticket, event and recipient per template. The `match` is exhaustive, so a new
/// template of the domain does not compile until it has a scenario (and snapshots).
fn scenario(template: Template) -> (Ticket, Event, Recipient) {
    match template {
        Template::AcknowledgementOfReceipt => {
            let ticket = public_usurpation();
            let created = event(
                Actor::PublicReporter,
                Visibility::Public,
                EventData::Created {
                    kind: ticket.kind(),
                    title: ticket.title.clone(),
                    priority: ticket.priority,
                    proposed_priority: None,
                    tier: ticket.tier,
                },
            );
            (ticket, created, Recipient::Reporter)
        }
        Template::NewTicketCopy => {
            let ticket = partner_incident();
            let created = event(
                partner(PARTNER),
                Visibility::Public,
                EventData::Created {
                    kind: ticket.kind(),
                    title: ticket.title.clone(),
                    priority: ticket.priority,
                    proposed_priority: ticket.proposed_priority,
                    tier: ticket.tier,
                },
            );
            (ticket, created, Recipient::Mailbox(Mailbox::PartnerSupport))
        }
        Template::SecurityAlert => {
            let ticket = public_usurpation();
            let note = event(
                staff(Role::Security),
                Visibility::Internal,
                EventData::Commented {
                    body: text("Connexion depuis une adresse IP étrangère.\nCompte à surveiller."),
                },
            );
            (ticket, note, Recipient::Mailbox(Mailbox::Security))
        }
        Template::TicketUpdate => {
            let mut ticket = partner_incident();
            ticket.state = State::InProgress;
            let changed = public_staff_event(EventData::PriorityChanged {
                from: Priority::Majeure,
                to: Priority::Critique,
                reason: text("Tous les usagers sont touchés"),
            });
            ticket.priority = Priority::Critique;
            (
                ticket,
                changed,
                Recipient::OrganisationContacts(org(PARTNER)),
            )
        }
        Template::SlaWarning => {
            let ticket = partner_incident();
            let warned = event(
                Actor::System,
                Visibility::Internal,
                EventData::SlaWarning {
                    clock: ticket_domain::ClockKind::Acknowledgement,
                    deadline: at("2026-11-25T09:00:00Z"),
                },
            );
            (ticket, warned, Recipient::TierTeam(Tier::Agent))
        }
        Template::SlaBreach => {
            let mut ticket = partner_incident();
            ticket.tier = Tier::Supervisor;
            let breached = event(
                Actor::System,
                Visibility::Internal,
                EventData::SlaBreached {
                    clock: ticket_domain::ClockKind::Handling,
                    deadline: at("2026-11-25T09:00:00Z"),
                    explanation: "The handling target of 2d was reached.".into(),
                },
            );
            (ticket, breached, Recipient::Owner(Owner::ProductLead))
        }
        Template::Escalation => {
            let mut ticket = partner_incident();
            ticket.tier = Tier::Engineer;
            let escalated = event(
                staff(Role::Agent),
                Visibility::Internal,
                EventData::Escalated {
                    from: Tier::Agent,
                    to: Tier::Engineer,
                    cause: EscalationCause::Manual {
                        reason: text("Un correctif du fournisseur est nécessaire"),
                    },
                },
            );
            (ticket, escalated, Recipient::Owner(Owner::ProductLead))
        }
        Template::QuestionToReporter => {
            let mut ticket = partner_incident();
            ticket.state = State::WaitingReporter;
            let asked = public_staff_event(EventData::WaitingForReporter {
                question: text("Quel navigateur vos usagers utilisent-ils ?"),
            });
            (ticket, asked, Recipient::Reporter)
        }
        Template::ReporterReplied => {
            let mut ticket = partner_incident();
            ticket.state = State::InProgress;
            ticket.assignee = Some(StaffHandle::parse("assignee", "alice").unwrap());
            let answer = event(
                partner(PARTNER),
                Visibility::Public,
                EventData::Commented {
                    body: text("Le problème persiste depuis ce matin."),
                },
            );
            (ticket, answer, Recipient::Assignee)
        }
        Template::ReplyToReporter => {
            let mut ticket = public_usurpation();
            ticket.state = State::InProgress;
            let reply = public_staff_event(EventData::Commented {
                body: text("Nous avons bloqué la session en cause."),
            });
            (ticket, reply, Recipient::Reporter)
        }
        Template::ResolutionConfirmationRequest => {
            let mut ticket = partner_incident();
            ticket.state = State::Resolved;
            let resolved = public_staff_event(EventData::Resolved {
                summary: text("Le certificat expiré a été remplacé."),
            });
            (ticket, resolved, Recipient::Reporter)
        }
        Template::ClosureNotice => {
            let mut ticket = partner_incident();
            ticket.state = State::Closed;
            let closed = public_staff_event(EventData::Closed {
                reason: ClosureReason::MutualAgreement,
                note: Some(text(
                    "Contournement accepté en attendant la nouvelle version.",
                )),
            });
            (ticket, closed, Recipient::Reporter)
        }
        Template::DuplicateNotice => {
            let mut ticket = partner_incident();
            ticket.state = State::Cancelled;
            let cancelled = public_staff_event(EventData::Cancelled {
                cancellation: Cancellation::Duplicate {
                    of: TicketId(Uuid::from_u128(7)),
                },
                note: None,
            });
            (ticket, cancelled, Recipient::Reporter)
        }
        Template::ReporterReminder => {
            let mut ticket = public_usurpation();
            ticket.state = State::WaitingReporter;
            let reminded = event(
                Actor::System,
                Visibility::Public,
                EventData::ReminderSent { number: 1 },
            );
            (ticket, reminded, Recipient::Reporter)
        }
        Template::VictimAdvice => {
            let mut ticket = public_usurpation();
            ticket.state = State::InProgress;
            let confirmed = event(
                staff(Role::Security),
                Visibility::Public,
                EventData::Qualified {
                    qualification: Qualification::Confirmed,
                },
            );
            (ticket, confirmed, Recipient::Victim)
        }
        Template::UsurpationConfirmed => {
            let mut ticket = public_usurpation();
            ticket.state = State::InProgress;
            let confirmed = event(
                staff(Role::Security),
                Visibility::Public,
                EventData::Qualified {
                    qualification: Qualification::Confirmed,
                },
            );
            (ticket, confirmed, Recipient::OrganisationContacts(org(IDP)))
        }
        Template::UnfoundedExplanation => {
            let mut ticket = public_usurpation();
            ticket.state = State::Resolved;
            let unfounded = event(
                staff(Role::Security),
                Visibility::Public,
                EventData::Qualified {
                    qualification: Qualification::Unfounded {
                        explanation: text(
                            "La connexion signalée a été faite depuis votre appareil habituel.",
                        ),
                    },
                },
            );
            (ticket, unfounded, Recipient::Reporter)
        }
        Template::PartnerImpersonationDetected => {
            let ticket = operator_impersonation();
            let created = event(
                staff(Role::Security),
                Visibility::Public,
                EventData::Created {
                    kind: ticket.kind(),
                    title: ticket.title.clone(),
                    priority: ticket.priority,
                    proposed_priority: None,
                    tier: ticket.tier,
                },
            );
            (
                ticket,
                created,
                Recipient::OrganisationContacts(org(PARTNER)),
            )
        }
        Template::ReplyArrived => {
            let ticket = partner_incident();
            let received = event(
                partner(PARTNER),
                Visibility::Internal,
                EventData::MailReceived {
                    receipt: ticket_domain::event::MailReceipt {
                        mail: Uuid::from_u128(7),
                        sha256: "ab".repeat(32),
                        opened: false,
                    },
                },
            );
            (ticket, received, Recipient::TierTeam(Tier::Agent))
        }
        Template::ReminderUndeliverable => {
            let ticket = partner_incident();
            let failed = event(
                Actor::System,
                Visibility::Internal,
                EventData::ReminderUndeliverable {
                    failed_at: at(LATER),
                },
            );
            (ticket, failed, Recipient::TierTeam(Tier::Agent))
        }
    }
}

const TEMPLATES: [Template; 20] = [
    Template::AcknowledgementOfReceipt,
    Template::NewTicketCopy,
    Template::SecurityAlert,
    Template::TicketUpdate,
    Template::Escalation,
    Template::SlaWarning,
    Template::SlaBreach,
    Template::QuestionToReporter,
    Template::ReplyToReporter,
    Template::ResolutionConfirmationRequest,
    Template::ClosureNotice,
    Template::DuplicateNotice,
    Template::ReporterReminder,
    Template::VictimAdvice,
    Template::UsurpationConfirmed,
    Template::UnfoundedExplanation,
    Template::PartnerImpersonationDetected,
    Template::ReporterReplied,
    Template::ReplyArrived,
    Template::ReminderUndeliverable,
];

fn snapshot_name(template: Template, language: Language) -> String {
    let name = serde_json::to_value(template).unwrap();
    format!("{}_{}", name.as_str().unwrap(), language.code())
}

fn rendered(template: Template, language: Language) -> ticket_mail::RenderedMail {
    let (ticket, event, recipient) = scenario(template);
    let question = text("Quel navigateur utilisez-vous ?");
    let link = tracking_link(
        "http://127.0.0.1:8080",
        language,
        "Jz9k3vQm1XcW7pL0aR5tYb2nE8uHs4dF6gKjVwC_0-A",
    );
    let context = MailContext {
        ticket: &ticket,
        event: &event,
        recipient,
        tracking_link: (template == Template::AcknowledgementOfReceipt).then_some(link.as_str()),
        pending_question: (template == Template::ReporterReminder).then_some(&question),
        duplicate_of: Reference::parse("INC-2026-000007"),
        security_address: SECURITY,
        words: words(),
        replies_read: false,
    };
    render(template, language, &context)
}

#[test]
fn every_template_renders_in_french_and_english_as_committed() {
    for template in TEMPLATES {
        for language in [Language::Fr, Language::En] {
            let mail = rendered(template, language);
            let (ticket, ..) = scenario(template);
            let prefix = format!("[{}] ", ticket.reference);
            assert!(mail.subject.starts_with(&prefix), "{}", mail.subject);
            assert!(
                mail.html
                    .contains(&format!("<html lang=\"{}\">", language.code()))
            );
            let snapshot = format!(
                "Subject: {}\n\n----- text/plain -----\n{}\n----- text/html -----\n{}",
                mail.subject, mail.text, mail.html
            );
            insta::assert_snapshot!(snapshot_name(template, language), snapshot);
        }
    }
}

#[test]
fn html_escapes_a_script_in_a_title_and_in_user_text() {
    let (mut ticket, _, _) = scenario(Template::ReplyToReporter);
    ticket.title = text("<script>alert('titre')</script> & co");
    let reply = public_staff_event(EventData::Commented {
        body: text("<img src=x onerror=alert(1)>"),
    });
    let context = MailContext {
        ticket: &ticket,
        event: &reply,
        recipient: Recipient::Reporter,
        tracking_link: None,
        pending_question: None,
        duplicate_of: None,
        security_address: SECURITY,
        words: words(),
        replies_read: false,
    };
    for language in [Language::Fr, Language::En] {
        let mail = render(Template::ReplyToReporter, language, &context);
        assert!(!mail.html.contains("<script>"), "{}", mail.html);
        assert!(!mail.html.contains("<img"), "{}", mail.html);
        assert!(
            mail.html
                .contains("&lt;script&gt;alert(&#x27;titre&#x27;)&lt;/script&gt; &amp; co")
        );
        assert!(mail.html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        // The plain-text part and the subject are not HTML: they keep the text as typed.
        assert!(
            mail.subject
                .contains("<script>alert('titre')</script> & co")
        );
        assert!(mail.text.contains("> <img src=x onerror=alert(1)>"));
    }
}

#[test]
fn the_acknowledgement_carries_the_tracking_link_only_when_there_is_one() {
    let fr = rendered(Template::AcknowledgementOfReceipt, Language::Fr);
    assert!(
        fr.text
            .contains("http://127.0.0.1:8080/suivi/Jz9k3vQm1XcW7pL0aR5tYb2nE8uHs4dF6gKjVwC_0-A")
    );
    let en = rendered(Template::AcknowledgementOfReceipt, Language::En);
    assert!(
        en.text.contains(
            "http://127.0.0.1:8080/en/tracking/Jz9k3vQm1XcW7pL0aR5tYb2nE8uHs4dF6gKjVwC_0-A"
        )
    );
    let (ticket, event, recipient) = scenario(Template::AcknowledgementOfReceipt);
    let without = render(
        Template::AcknowledgementOfReceipt,
        Language::Fr,
        &MailContext {
            ticket: &ticket,
            event: &event,
            recipient,
            tracking_link: None,
            pending_question: None,
            duplicate_of: None,
            security_address: SECURITY,
            words: words(),
            replies_read: false,
        },
    );
    assert!(!without.text.contains("/suivi/"));
    assert!(without.text.contains(&ticket.reference.to_string()));
}

#[test]
fn the_victim_advice_covers_passwords_account_and_complaint() {
    for language in [Language::Fr, Language::En] {
        let advice = rendered(Template::VictimAdvice, language)
            .text
            .to_lowercase();
        for needle in [
            "mots de passe|passwords",
            "messagerie|email account",
            "deux étapes|2-step verification",
            "activité récente|recent activity",
            "fournisseur d'identité|identity provider",
            "pré-plainte en ligne|pré-plainte en ligne",
            "thesee|thesee",
            "gendarmerie|gendarmerie",
            "tribunal judiciaire|tribunal judiciaire",
        ] {
            let (fr, en) = needle.split_once('|').unwrap();
            let wanted = if language == Language::Fr { fr } else { en };
            assert!(advice.contains(wanted), "{language:?}: {wanted}");
        }
    }
}

#[test]
fn a_connection_day_given_without_a_time_stays_a_day() {
    let (mut ticket, event, recipient) = scenario(Template::VictimAdvice);
    let ticket_domain::KindData::UserUsurpation(data) = &mut ticket.data else {
        panic!("the victim advice is about a user usurpation");
    };
    data.suspicious_connection_at = None;
    data.suspicious_connection_date = chrono::NaiveDate::from_ymd_opt(2026, 11, 20);
    for (language, line) in [
        (Language::Fr, "Connexion suspecte : 20/11/2026\n"),
        (Language::En, "Suspicious sign-in: 20 November 2026\n"),
    ] {
        let context = MailContext {
            ticket: &ticket,
            event: &event,
            recipient,
            tracking_link: None,
            pending_question: None,
            duplicate_of: None,
            security_address: SECURITY,
            words: words(),
            replies_read: false,
        };
        let mail = render(Template::VictimAdvice, language, &context);
        assert!(mail.text.contains(line), "{}", mail.text);
        assert!(!mail.text.contains("12:00"), "{}", mail.text);
    }
}

#[test]
fn the_footer_says_replies_land_on_the_ticket_only_when_they_are_read() {
    let (ticket, event, recipient) = scenario(Template::ReplyToReporter);
    for (language, unread, read) in [
        (
            Language::Fr,
            "merci de ne pas y répondre",
            "votre réponse sera ajoutée au dossier",
        ),
        (
            Language::En,
            "please do not reply",
            "your answer will be added to ticket",
        ),
    ] {
        for replies_read in [false, true] {
            let context = MailContext {
                ticket: &ticket,
                event: &event,
                recipient,
                tracking_link: None,
                pending_question: None,
                duplicate_of: None,
                security_address: SECURITY,
                words: words(),
                replies_read,
            };
            let mail = render(Template::ReplyToReporter, language, &context);
            assert_eq!(mail.text.contains(read), replies_read, "{}", mail.text);
            assert_eq!(mail.text.contains(unread), !replies_read, "{}", mail.text);
        }
    }
}

/// An operator's wording file replaces words in every mail, in both languages, and the HTML
/// part still escapes what users typed.
#[test]
fn every_mail_renders_from_an_operator_overridden_wording_file() {
    let mut wording = Wording::shipped();
    wording
        .replace(
            Language::Fr,
            "mail-hello = Bonjour <b>madame, monsieur</b>,\nmail-reference = Numéro de dossier\n",
            "test fr",
        )
        .unwrap();
    wording
        .replace(
            Language::En,
            "mail-hello = Dear <b>user</b>,\nmail-reference = Case number\n",
            "test en",
        )
        .unwrap();
    for template in TEMPLATES {
        let (mut ticket, event, recipient) = scenario(template);
        ticket.title =
            ticket_domain::values::Text::parse("title", "<script>alert(1)</script>", 200).unwrap();
        let context = MailContext {
            ticket: &ticket,
            event: &event,
            recipient,
            tracking_link: None,
            pending_question: None,
            duplicate_of: None,
            security_address: SECURITY,
            words: &wording,
            replies_read: false,
        };
        for (language, hello) in [(Language::Fr, "madame, monsieur"), (Language::En, "Dear")] {
            let mail = render(template, language, &context);
            assert!(
                mail.text.contains(hello),
                "{template:?} {language:?}: {}",
                mail.text
            );
            assert!(
                !mail.html.contains("<script>"),
                "{template:?}: {}",
                mail.html
            );
            assert!(
                !mail.html.contains("<b>"),
                "operator words are text, not HTML"
            );
        }
    }
}
