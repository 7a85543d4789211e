//! One template per [`Template`] of the domain, in French and English: a subject that carries the
//! ticket's reference, and a [`Body`] rendered as plain text and HTML.
//!
//! Templates read the ticket and the event the mail announces; what needs the store (the tracking
//! link, the question still waiting, the reference of a duplicated ticket) comes in the context.

use crate::body::Body;
use crate::words::{self, tr};
use ticket_domain::Actor;
use ticket_domain::event::{EscalationCause, Event, EventData, Visibility};
use ticket_domain::kind::{KindData, Qualification};
use ticket_domain::notify::{Language, Recipient, Template};
use ticket_domain::ticket::{Cancellation, ConcernedRole, Reference, ReporterOrigin, Ticket};
use ticket_domain::values::Text;

/// Everything a template may print.
#[derive(Debug, Clone, Copy)]
pub struct MailContext<'a> {
    pub ticket: &'a Ticket,
    /// The event the mail announces.
    pub event: &'a Event,
    pub recipient: Recipient,
    /// The reporter's private tracking link (acknowledgement to a public reporter only).
    pub tracking_link: Option<&'a str>,
    /// The question the reporter has not answered yet (reminders).
    pub pending_question: Option<&'a Text>,
    /// The ticket this one duplicates (duplicate notice).
    pub duplicate_of: Option<Reference>,
    /// The security mailbox, which partners write to.
    pub security_address: &'a str,
}

/// A mail ready to be put in an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The reporter's private tracking page: `{public_url}/suivi/{secret}` or
/// `{public_url}/en/tracking/{secret}`.
pub fn tracking_link(public_url: &str, language: Language, secret: &str) -> String {
    let base = public_url.trim_end_matches('/');
    match language {
        Language::Fr => format!("{base}/suivi/{secret}"),
        Language::En => format!("{base}/en/tracking/{secret}"),
    }
}

/// Renders `template` in `language`.
pub fn render(template: Template, language: Language, context: &MailContext<'_>) -> RenderedMail {
    let mail = Mail {
        c: context,
        l: language,
        reference: context.ticket.reference.to_string(),
        title: context.ticket.title.as_str(),
    };
    let (subject, body) = match template {
        Template::AcknowledgementOfReceipt => mail.acknowledgement(),
        Template::NewTicketCopy => mail.new_ticket_copy(),
        Template::SecurityAlert => mail.security_alert(),
        Template::TicketUpdate => mail.ticket_update(),
        Template::Escalation => mail.escalation(),
        Template::SlaWarning | Template::SlaBreach => mail.deadline_alarm(),
        Template::QuestionToReporter => mail.question(),
        Template::ReplyToReporter => mail.reply(),
        Template::ResolutionConfirmationRequest => mail.resolution(),
        Template::ClosureNotice => mail.closure(),
        Template::DuplicateNotice => mail.duplicate(),
        Template::ReporterReminder => mail.reminder(),
        Template::VictimAdvice => mail.victim_advice(),
        Template::UsurpationConfirmed => mail.usurpation_confirmed(),
        Template::UnfoundedExplanation => mail.unfounded(),
        Template::PartnerImpersonationDetected => mail.partner_impersonation(),
        Template::ReporterReplied => mail.reporter_replied(),
        Template::ReplyArrived => mail.reply_arrived(),
    };
    let subject = one_line(&format!("[{}] {subject}", mail.reference));
    RenderedMail {
        text: body.to_text(),
        html: body.to_html(&subject),
        subject,
    }
}

/// A subject is one line: line breaks in a title must not become header lines.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

struct Mail<'a> {
    c: &'a MailContext<'a>,
    l: Language,
    reference: String,
    title: &'a str,
}

impl Mail<'_> {
    fn body(&self) -> Body {
        let mut body = Body::new(self.l);
        body.paragraph(tr!(self.l, "Bonjour,", "Hello,"));
        body
    }

    /// Closing of the mails to reporters, victims and partners.
    fn sign_off(&self, body: &mut Body) {
        body.paragraph(tr!(
            self.l,
            "L'équipe support de la fédération d'identité",
            "The identity federation support team"
        ));
        let reference = &self.reference;
        body.footer(tr!(
            self.l,
            "Ce message est envoyé automatiquement : merci de ne pas y répondre. Rappelez la référence {reference} dans tout échange avec nous.",
            "This message is sent automatically: please do not reply to it. Quote the reference {reference} whenever you contact us.",
        ));
    }

    /// Closing of the mails to the operator's mailboxes and owners.
    fn staff_footer(&self, body: &mut Body) {
        body.footer(tr!(
            self.l,
            "Message automatique de ticketd : les réponses à ce message ne sont pas lues ; le dossier se traite dans ticketd.",
            "Automatic message from ticketd: replies to it are not read; the ticket is handled in ticketd.",
        ));
    }

    /// Where the reporter acts: the tracking page (public) or the partner API.
    fn where_to_act(&self) -> String {
        let reference = &self.reference;
        match self.c.ticket.reporter.origin {
            ReporterOrigin::Public => tr!(
                self.l,
                "depuis votre page de suivi privée (son lien figure dans l'accusé de réception de votre signalement)",
                "on your private tracking page (its link is in the acknowledgement of your report)",
            ),
            _ => tr!(
                self.l,
                "par l'API partenaires, sur le dossier {reference}",
                "through the partner API, on ticket {reference}",
            ),
        }
    }

    fn summary_facts(&self) -> Vec<(String, String)> {
        let t = self.c.ticket;
        let l = self.l;
        vec![
            (tr!(l, "Référence", "Reference"), self.reference.clone()),
            (tr!(l, "Objet", "Subject"), self.title.to_owned()),
            (tr!(l, "Type", "Kind"), words::kind(t.kind(), l).to_owned()),
            (
                tr!(l, "Priorité", "Priority"),
                words::priority(t.priority, l),
            ),
            (tr!(l, "État", "State"), words::state(t.state, l).to_owned()),
        ]
    }

    // ---- To the reporter ----

    fn acknowledgement(&self) -> (String, Body) {
        let (l, title, reference) = (self.l, self.title, &self.reference);
        let t = self.c.ticket;
        let mut body = self.body();
        body.paragraph(tr!(
            l,
            "Nous avons bien reçu votre signalement. Il est enregistré sous la référence {reference} : rappelez-la dans tout échange avec nous.",
            "We have received your report. It is registered under the reference {reference}: please quote it whenever you contact us.",
        ));
        body.facts(vec![
            (tr!(l, "Référence", "Reference"), reference.clone()),
            (tr!(l, "Objet", "Subject"), title.to_owned()),
            (tr!(l, "Type", "Kind"), words::kind(t.kind(), l).to_owned()),
            (
                tr!(l, "Reçu le", "Received on"),
                words::instant(t.created_at, l),
            ),
        ]);
        if t.is_security_case() {
            body.paragraph(tr!(
                l,
                "L'équipe sécurité de la fédération va l'analyser en priorité. Nous vous tiendrons informé par courriel de chaque étape.",
                "The federation's security team will analyse it as a priority. We will keep you informed by email of every step.",
            ));
        } else {
            body.paragraph(tr!(
                l,
                "Notre équipe va l'examiner et vous tiendra informé par courriel de chaque étape.",
                "Our team will look into it and keep you informed by email of every step.",
            ));
        }
        match (self.c.tracking_link, &t.reporter.origin) {
            (Some(link), _) => {
                body.link(
                    tr!(
                        l,
                        "Suivez votre signalement et répondez à nos questions sur votre page de suivi privée :",
                        "Follow your report and answer our questions on your private tracking page:",
                    ),
                    link,
                );
                body.paragraph(tr!(
                    l,
                    "Ce lien est personnel : ne le transmettez à personne. Il ne vous sera pas renvoyé, conservez ce message.",
                    "This link is personal: do not share it. It will not be sent again, so keep this message.",
                ));
            }
            (None, ReporterOrigin::Partner { .. }) => {
                body.paragraph(tr!(
                    l,
                    "Vous pouvez suivre ce dossier et y répondre par l'API partenaires.",
                    "You can follow this ticket and answer on it through the partner API.",
                ));
            }
            (None, _) => {}
        }
        self.sign_off(&mut body);
        (
            tr!(
                l,
                "Accusé de réception : {title}",
                "Acknowledgement of receipt: {title}"
            ),
            body,
        )
    }

    fn question(&self) -> (String, Body) {
        let (l, title, reference) = (self.l, self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(tr!(
            l,
            "Pour avancer sur votre signalement {reference}, nous avons besoin d'une précision de votre part :",
            "To move forward with your report {reference}, we need some information from you:",
        ));
        if let EventData::WaitingForReporter { question } = &self.c.event.data {
            body.quote(question.as_str());
        }
        let place = self.where_to_act();
        body.paragraph(tr!(
            l,
            "Répondez-nous {place}. Le traitement du dossier est suspendu jusqu'à votre réponse.",
            "Please answer {place}. Work on the ticket is paused until you answer.",
        ));
        self.sign_off(&mut body);
        (
            tr!(
                l,
                "Une question sur votre signalement : {title}",
                "A question about your report: {title}"
            ),
            body,
        )
    }

    fn reply(&self) -> (String, Body) {
        let (l, title, reference) = (self.l, self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(tr!(
            l,
            "Notre équipe a répondu sur votre signalement {reference} :",
            "Our team has answered on your report {reference}:",
        ));
        if let EventData::Commented { body: comment } = &self.c.event.data {
            body.quote(comment.as_str());
        }
        let place = self.where_to_act();
        body.paragraph(tr!(
            l,
            "Vous pouvez nous répondre {place}.",
            "You can answer {place}.",
        ));
        self.sign_off(&mut body);
        (
            tr!(
                l,
                "Réponse à votre signalement : {title}",
                "Reply to your report: {title}"
            ),
            body,
        )
    }

    /// To the assignee: the reporter wrote on their ticket. The reporter's words stay in ticketd
    /// (they may hold a victim's personal data, shown there by role).
    fn reporter_replied(&self) -> (String, Body) {
        let (l, title, reference) = (self.l, self.title, &self.reference);
        let mut body = self.body();
        let what = match &self.c.event.data {
            EventData::ResolutionRejected { .. } => tr!(
                l,
                "Le demandeur indique que la résolution du dossier {reference}, qui vous est attribué, ne règle pas le problème.",
                "The reporter says the resolution of ticket {reference}, assigned to you, does not fix the problem.",
            ),
            _ => tr!(
                l,
                "Le demandeur a répondu sur le dossier {reference}, qui vous est attribué.",
                "The reporter has answered on ticket {reference}, assigned to you.",
            ),
        };
        body.paragraph(what);
        body.facts(self.summary_facts());
        body.paragraph(tr!(
            l,
            "Sa réponse se lit dans ticketd.",
            "Their answer can be read in ticketd.",
        ));
        self.staff_footer(&mut body);
        (
            tr!(
                l,
                "Réponse du demandeur : {title}",
                "The reporter answered: {title}"
            ),
            body,
        )
    }

    fn resolution(&self) -> (String, Body) {
        let (l, title, reference) = (self.l, self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(tr!(
            l,
            "Nous considérons votre signalement {reference} comme résolu :",
            "We consider your report {reference} resolved:",
        ));
        if let EventData::Resolved { summary } = &self.c.event.data {
            body.quote(summary.as_str());
        }
        let place = self.where_to_act();
        body.paragraph(tr!(
            l,
            "Merci de nous confirmer que le problème est bien résolu, ou de nous indiquer qu'il persiste, {place}.",
            "Please confirm that the problem is solved, or tell us that it persists, {place}.",
        ));
        body.paragraph(tr!(
            l,
            "Votre confirmation nous permet de clore le dossier ; s'il persiste, nous reprenons son traitement.",
            "Your confirmation lets us close the ticket; if the problem persists, we resume work on it.",
        ));
        self.sign_off(&mut body);
        (
            tr!(
                l,
                "Résolu, merci de confirmer : {title}",
                "Resolved, please confirm: {title}"
            ),
            body,
        )
    }

    fn closure(&self) -> (String, Body) {
        let (l, title, reference) = (self.l, self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(tr!(
            l,
            "Votre signalement {reference} est clos.",
            "Your report {reference} is closed.",
        ));
        if let EventData::Closed { reason, note } = &self.c.event.data {
            let reason = words::closure_reason(*reason, l);
            body.paragraph(tr!(l, "Motif : {reason}.", "Reason: {reason}."));
            if let Some(note) = note {
                body.paragraph(tr!(l, "Précision :", "Details:"));
                body.quote(note.as_str());
            }
        }
        let place = self.where_to_act();
        body.paragraph(tr!(
            l,
            "Si le problème réapparaît peu après, vous pouvez demander la réouverture du dossier {place} ; passé ce délai, faites un nouveau signalement en rappelant la référence {reference}.",
            "If the problem comes back shortly, you can ask for the ticket to be reopened {place}; after that, make a new report quoting the reference {reference}.",
        ));
        self.sign_off(&mut body);
        (
            tr!(l, "Signalement clos : {title}", "Report closed: {title}"),
            body,
        )
    }

    fn duplicate(&self) -> (String, Body) {
        let (l, title, reference) = (self.l, self.title, &self.reference);
        let mut body = self.body();
        let other = self
            .c
            .duplicate_of
            .map(|r| r.to_string())
            .unwrap_or_else(|| tr!(l, "un autre dossier", "another ticket"));
        body.paragraph(tr!(
            l,
            "Votre signalement {reference} porte sur le même sujet qu'un dossier déjà ouvert : {other}. Il a été clos comme doublon ; le suivi se poursuit dans le dossier {other}.",
            "Your report {reference} is about the same matter as a ticket already open: {other}. It was closed as a duplicate; the matter is followed in ticket {other}.",
        ));
        if let EventData::Cancelled {
            note: Some(note), ..
        } = &self.c.event.data
        {
            body.quote(note.as_str());
        }
        self.sign_off(&mut body);
        (
            tr!(
                l,
                "Doublon de {other} : {title}",
                "Duplicate of {other}: {title}"
            ),
            body,
        )
    }

    fn reminder(&self) -> (String, Body) {
        let (l, title, reference) = (self.l, self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(tr!(
            l,
            "Nous attendons toujours votre réponse à notre question sur le signalement {reference} :",
            "We are still waiting for your answer to our question about report {reference}:",
        ));
        if let Some(question) = self.c.pending_question {
            body.quote(question.as_str());
        }
        let place = self.where_to_act();
        body.paragraph(tr!(
            l,
            "Répondez-nous {place}. Sans réponse de votre part, le dossier pourra être clos.",
            "Please answer {place}. Without an answer from you, the ticket may be closed.",
        ));
        if let EventData::ReminderSent { number } = self.c.event.data {
            body.facts(vec![(tr!(l, "Relance", "Reminder"), format!("{number}"))]);
        }
        self.sign_off(&mut body);
        (
            tr!(
                l,
                "Relance, votre réponse est attendue : {title}",
                "Reminder, your answer is awaited: {title}"
            ),
            body,
        )
    }

    fn unfounded(&self) -> (String, Body) {
        let (l, reference) = (self.l, &self.reference);
        let mut body = self.body();
        body.paragraph(tr!(
            l,
            "L'équipe sécurité de la fédération a analysé votre signalement {reference}. Elle n'a pas retenu d'usurpation d'identité, pour la raison suivante :",
            "The federation's security team has analysed your report {reference}. It found no identity theft, for the following reason:",
        ));
        if let EventData::Qualified {
            qualification: Qualification::Unfounded { explanation },
        } = &self.c.event.data
        {
            body.quote(explanation.as_str());
        }
        let place = self.where_to_act();
        body.paragraph(tr!(
            l,
            "Si vous n'êtes pas d'accord ou si vous avez de nouveaux éléments, dites-le-nous {place} : le dossier sera réexaminé.",
            "If you disagree or have new information, tell us {place}: the ticket will be looked at again.",
        ));
        self.sign_off(&mut body);
        (
            tr!(
                l,
                "Résultat de l'analyse de votre signalement",
                "Outcome of the analysis of your report"
            ),
            body,
        )
    }

    // ---- To the victim of a confirmed user usurpation ----

    fn victim_advice(&self) -> (String, Body) {
        let (l, reference) = (self.l, &self.reference);
        let mut body = self.body();
        body.paragraph(tr!(
            l,
            "L'équipe sécurité de la fédération d'identité a confirmé que votre identité a été utilisée par un tiers pour se connecter à des services en ligne (dossier {reference}). Le fournisseur d'identité qui détient votre compte et les services concernés ont été prévenus.",
            "The identity federation's security team has confirmed that your identity was used by someone else to sign in to online services (ticket {reference}). The identity provider holding your account and the services concerned have been told.",
        ));
        let mut facts = vec![(tr!(l, "Référence", "Reference"), reference.clone())];
        if let Some(when) = self
            .c
            .ticket
            .data
            .user_usurpation()
            .and_then(connection_words(l))
        {
            facts.push((tr!(l, "Connexion suspecte", "Suspicious sign-in"), when));
        }
        body.facts(facts);
        body.paragraph(tr!(
            l,
            "Voici ce que nous vous conseillons de faire dès maintenant.",
            "Here is what we advise you to do now.",
        ));

        body.heading(tr!(
            l,
            "1. Changez vos mots de passe",
            "1. Change your passwords"
        ));
        body.list(vec![
            tr!(
                l,
                "Commencez par celui de votre messagerie électronique : c'est par elle que l'on peut réinitialiser tous vos autres comptes.",
                "Start with your email account: it is how all your other accounts can be reset.",
            ),
            tr!(
                l,
                "Changez ensuite celui du compte de votre fournisseur d'identité, le compte que vous utilisez pour vous connecter aux services en ligne.",
                "Then change the password of your identity provider's account, the one you use to sign in to online services.",
            ),
            tr!(
                l,
                "Changez enfin celui de tout autre compte où vous utilisiez le même mot de passe. Choisissez pour chaque compte un mot de passe long et différent ; un gestionnaire de mots de passe aide à les retenir.",
                "Finally change it on any other account where you used the same password. Choose a long, different password for each account; a password manager helps remember them.",
            ),
        ]);

        body.heading(tr!(
            l,
            "2. Sécurisez votre compte d'identité",
            "2. Secure your identity account"
        ));
        body.list(vec![
            tr!(
                l,
                "Consultez l'activité récente de votre compte (historique des connexions, démarches effectuées) et notez tout ce que vous ne reconnaissez pas.",
                "Check your account's recent activity (sign-in history, procedures carried out) and note anything you do not recognise.",
            ),
            tr!(
                l,
                "Activez la validation en deux étapes (code reçu par SMS, application ou clé de sécurité) partout où elle est proposée, en commençant par votre messagerie et votre fournisseur d'identité.",
                "Turn on 2-step verification (code by text message, app or security key) wherever it is offered, starting with your email and your identity provider.",
            ),
            tr!(
                l,
                "Vérifiez que votre adresse électronique, votre numéro de téléphone et votre adresse postale n'ont pas été modifiés.",
                "Check that your email address, phone number and postal address have not been changed.",
            ),
            tr!(
                l,
                "Contactez l'assistance de votre fournisseur d'identité pour lui signaler l'usurpation et faire sécuriser votre compte.",
                "Contact your identity provider's support to report the theft and have your account secured.",
            ),
            tr!(
                l,
                "Si des données bancaires ont pu être utilisées, prévenez sans attendre votre banque.",
                "If bank details may have been used, tell your bank straight away.",
            ),
        ]);

        body.heading(tr!(l, "3. Portez plainte", "3. File a complaint"));
        body.paragraph(tr!(
            l,
            "L'usurpation d'identité est un délit (article 226-4-1 du code pénal). Vous pouvez porter plainte :",
            "Identity theft is an offence under French law (article 226-4-1 of the code pénal). You can file a complaint:",
        ));
        body.list(vec![
            tr!(
                l,
                "en ligne : la pré-plainte en ligne (www.pre-plainte-en-ligne.gouv.fr) vous permet de déclarer les faits, puis de signer votre plainte lors d'un rendez-vous ; si l'usurpation a servi à une escroquerie sur internet (achat, paiement, virement), le service de plainte en ligne THESEE, accessible depuis www.service-public.fr, permet de porter plainte entièrement en ligne ;",
                "online: the online pre-complaint service (pré-plainte en ligne, www.pre-plainte-en-ligne.gouv.fr) lets you declare the facts and then sign your complaint at an appointment; if the theft was used for an online fraud (purchase, payment, transfer), the THESEE online complaint service, reached from www.service-public.fr, lets you file the complaint entirely online;",
            ),
            tr!(
                l,
                "dans n'importe quel commissariat de police ou brigade de gendarmerie, qui est tenu d'enregistrer votre plainte ;",
                "at any police station (commissariat) or gendarmerie, which must register your complaint;",
            ),
            tr!(
                l,
                "par courrier adressé au procureur de la République du tribunal judiciaire compétent : en règle générale, celui dont dépend la commune où vous habitez, où vous avez subi l'infraction. L'annuaire des juridictions (www.justice.fr) indique le tribunal judiciaire dont dépend votre commune.",
                "by letter to the public prosecutor (procureur de la République) of the competent court, the tribunal judiciaire: as a general rule, the one for the town where you live, where you suffered the offence. The court directory (www.justice.fr) gives the tribunal judiciaire for your town.",
            ),
        ]);
        body.paragraph(tr!(
            l,
            "Pour votre plainte, rassemblez les preuves : la référence {reference} de ce dossier, la date de la connexion suspecte, les courriels ou SMS d'alerte reçus, des captures d'écran des démarches que vous ne reconnaissez pas.",
            "For your complaint, gather the evidence: the reference {reference} of this ticket, the date of the suspicious sign-in, the alert emails or text messages you received, screenshots of the procedures you do not recognise.",
        ));
        body.paragraph(tr!(
            l,
            "Vous trouverez aussi conseils et assistance sur www.cybermalveillance.gouv.fr.",
            "You will also find advice and help on www.cybermalveillance.gouv.fr.",
        ));
        self.sign_off(&mut body);
        (
            tr!(
                l,
                "Usurpation de votre identité : que faire maintenant",
                "Theft of your identity: what to do now"
            ),
            body,
        )
    }

    // ---- To partners ----

    fn ticket_update(&self) -> (String, Body) {
        let (l, title, reference) = (self.l, self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(tr!(
            l,
            "Le dossier {reference}, qui concerne votre organisation, a évolué :",
            "Ticket {reference}, which concerns your organisation, has changed:",
        ));
        let label = self.describe_event(&mut body);
        body.facts(self.summary_facts());
        body.paragraph(tr!(
            l,
            "Vous recevez ce message parce que ce dossier de priorité 1 ou 2 concerne votre organisation. Vous pouvez le suivre par l'API partenaires.",
            "You receive this message because this priority 1 or 2 ticket concerns your organisation. You can follow it through the partner API.",
        ));
        self.sign_off(&mut body);
        (
            tr!(
                l,
                "Mise à jour, {label} : {title}",
                "Update, {label}: {title}"
            ),
            body,
        )
    }

    fn usurpation_confirmed(&self) -> (String, Body) {
        let (l, reference) = (self.l, &self.reference);
        let security = self.c.security_address;
        let t = self.c.ticket;
        let role = match self.c.recipient {
            Recipient::OrganisationContacts(organisation) => t
                .concerned
                .iter()
                .find(|c| c.organisation == organisation)
                .map(|c| c.role),
            _ => None,
        };
        let mut body = self.body();
        body.paragraph(tr!(
            l,
            "L'équipe sécurité de la fédération d'identité a confirmé l'usurpation de l'identité d'un usager (dossier {reference}).",
            "The identity federation's security team has confirmed the theft of a user's identity (ticket {reference}).",
        ));
        let mut facts = vec![(tr!(l, "Référence", "Reference"), reference.clone())];
        if let Some(role) = role {
            facts.push((
                tr!(l, "Votre organisation", "Your organisation"),
                words::concerned_role(role, l).to_owned(),
            ));
        }
        if let Some(data) = t.data.user_usurpation() {
            if let Some(when) = connection_words(l)(data) {
                facts.push((tr!(l, "Connexion suspecte", "Suspicious sign-in"), when));
            }
            if let Some(session) = data.session_id {
                facts.push((
                    tr!(
                        l,
                        "Identifiant de session ou d'événement",
                        "Session or event identifier"
                    ),
                    session.to_string(),
                ));
            }
        }
        body.facts(facts);
        body.paragraph(tr!(l, "Nous vous demandons :", "We ask you to:"));
        let mut actions = Vec::new();
        if role != Some(ConcernedRole::ServiceProvider) {
            actions.push(tr!(
                l,
                "de vérifier l'activité du compte concerné et de le sécuriser (réinitialisation des moyens d'authentification, fermeture des sessions ouvertes) ;",
                "check the activity of the account concerned and secure it (reset its authentication means, end its open sessions);",
            ));
        }
        if role != Some(ConcernedRole::IdentityProvider) {
            actions.push(tr!(
                l,
                "de vérifier les démarches effectuées lors de cette session et, le cas échéant, de les annuler ou de les bloquer ;",
                "check what was done during this session and, where needed, cancel or block it;",
            ));
        }
        actions.push(tr!(
            l,
            "d'écrire à l'équipe sécurité ({security}) en rappelant la référence {reference} pour tout élément complémentaire ou pour nous dire ce que vous avez constaté.",
            "write to the security team ({security}) quoting the reference {reference} for any further information, or to tell us what you found.",
        ));
        body.list(actions);
        self.sign_off(&mut body);
        (
            tr!(
                l,
                "Usurpation d'identité confirmée, action requise",
                "Confirmed identity theft, action required"
            ),
            body,
        )
    }

    fn partner_impersonation(&self) -> (String, Body) {
        let (l, reference) = (self.l, &self.reference);
        let security = self.c.security_address;
        let mut body = self.body();
        body.paragraph(tr!(
            l,
            "Les équipes de la fédération d'identité ont détecté une usurpation de votre organisation (dossier {reference}) :",
            "The identity federation's teams have detected an impersonation of your organisation (ticket {reference}):",
        ));
        if let KindData::PartnerUsurpation(data) = &self.c.ticket.data {
            let vectors: Vec<&str> = data.vectors.iter().map(|v| words::vector(*v, l)).collect();
            body.facts(vec![
                (tr!(l, "Référence", "Reference"), reference.clone()),
                (
                    tr!(l, "Moyens constatés", "Means observed"),
                    vectors.join(", "),
                ),
            ]);
            body.quote(data.description.as_str());
        }
        body.paragraph(tr!(l, "Nous vous demandons :", "We ask you to:"));
        body.list(vec![
            tr!(
                l,
                "de révoquer et remplacer sans attendre les identifiants qui ont pu être compromis (secret client, clés, codes) ;",
                "revoke and replace straight away any credentials that may be compromised (client secret, keys, codes);",
            ),
            tr!(
                l,
                "de prévenir vos usagers si un site frauduleux imite votre service ;",
                "warn your users if a fraudulent site imitates your service;",
            ),
            tr!(
                l,
                "d'écrire à l'équipe sécurité ({security}) en rappelant la référence {reference} pour nous dire ce que vous avez fait ou constaté.",
                "write to the security team ({security}) quoting the reference {reference} to tell us what you did or found.",
            ),
        ]);
        self.sign_off(&mut body);
        (
            tr!(
                l,
                "Usurpation de votre organisation détectée, action requise",
                "Impersonation of your organisation detected, action required"
            ),
            body,
        )
    }

    // ---- To the operator's mailboxes and owners ----

    fn new_ticket_copy(&self) -> (String, Body) {
        let (l, title) = (self.l, self.title);
        let t = self.c.ticket;
        let mut body = self.body();
        body.paragraph(tr!(
            l,
            "Un nouveau signalement a été enregistré :",
            "A new report has been registered:",
        ));
        let mut facts = self.summary_facts();
        facts.push((
            tr!(l, "Niveau de traitement", "Handled by"),
            words::tier(t.tier, l).to_owned(),
        ));
        facts.push((tr!(l, "Déclarant", "Reporter"), self.reporter_origin()));
        facts.push((
            tr!(l, "Reçu le", "Received on"),
            words::instant(t.created_at, l),
        ));
        let mut details = None;
        match &t.data {
            KindData::Incident(incident) => {
                if let Some(service) = &incident.service {
                    facts.push((tr!(l, "Service", "Service"), service.name.clone()));
                }
                facts.push((
                    tr!(l, "Début", "Started"),
                    words::instant(incident.started_at, l),
                ));
                facts.push((
                    tr!(l, "Incident de sécurité", "Security incident"),
                    words::yes_no(incident.security, l).to_owned(),
                ));
                details = Some(incident.impact.as_str());
            }
            KindData::PartnerUsurpation(data) => {
                let vectors: Vec<&str> =
                    data.vectors.iter().map(|v| words::vector(*v, l)).collect();
                facts.push((
                    tr!(l, "Moyens constatés", "Means observed"),
                    vectors.join(", "),
                ));
                details = Some(data.description.as_str());
            }
            KindData::UserUsurpation(data) => {
                if let Some(when) = connection_words(l)(data) {
                    facts.push((tr!(l, "Connexion suspecte", "Suspicious sign-in"), when));
                }
            }
            KindData::SupportRequest(data) => details = Some(data.question.as_str()),
        }
        if let Some(proposed) = t.proposed_priority {
            facts.push((
                tr!(l, "Priorité proposée", "Proposed priority"),
                words::priority(proposed, l),
            ));
        }
        body.facts(facts);
        if let Some(details) = details {
            body.quote(details);
        }
        self.staff_footer(&mut body);
        let kind = words::kind(t.kind(), l);
        let level = t.priority.level();
        (
            tr!(
                l,
                "Nouveau signalement ({kind}, priorité {level}) : {title}",
                "New report ({kind}, priority {level}): {title}"
            ),
            body,
        )
    }

    fn security_alert(&self) -> (String, Body) {
        let (l, title, reference) = (self.l, self.title, &self.reference);
        let mut body = self.body();
        body.paragraph(tr!(
            l,
            "Événement sur le dossier de sécurité {reference} :",
            "Event on security ticket {reference}:",
        ));
        let label = self.describe_event(&mut body);
        let mut facts = self.summary_facts();
        facts.push((
            tr!(l, "Niveau de traitement", "Handled by"),
            words::tier(self.c.ticket.tier, l).to_owned(),
        ));
        facts.push((tr!(l, "Auteur", "By"), words::actor(&self.c.event.actor, l)));
        facts.push((tr!(l, "Le", "On"), words::instant(self.c.event.at, l)));
        body.facts(facts);
        self.staff_footer(&mut body);
        (
            tr!(
                l,
                "Sécurité, {label} : {title}",
                "Security, {label}: {title}"
            ),
            body,
        )
    }

    /// A 75 % warning (to the assignee or the tier's team) or a breach (to the priority's owners).
    /// To whoever handles the ticket: an answer arrived by e-mail (read in ticketd; the mail does
    /// not repeat it, so a victim's words stay where access is controlled and journaled).
    fn reply_arrived(&self) -> (String, Body) {
        let (l, title, reference) = (self.l, self.title, &self.reference);
        let mut body = self.body();
        let who = match &self.c.event.actor {
            Actor::Partner { .. } => tr!(l, "le partenaire", "the partner"),
            Actor::PublicReporter => tr!(l, "le déclarant", "the reporter"),
            Actor::Staff { handle, .. } => handle.to_string(),
            Actor::System => tr!(l, "le service", "the service"),
        };
        body.paragraph(tr!(
            l,
            "Une réponse est arrivée par courriel sur le dossier {reference} ({who}). Elle figure dans son historique.",
            "A reply arrived by e-mail on ticket {reference} ({who}). It is in the ticket's history.",
        ));
        body.facts(self.summary_facts());
        self.staff_footer(&mut body);
        (
            tr!(
                l,
                "Une réponse est arrivée : {title}",
                "A reply arrived: {title}"
            ),
            body,
        )
    }

    fn deadline_alarm(&self) -> (String, Body) {
        let (l, title) = (self.l, self.title);
        let t = self.c.ticket;
        let mut body = self.body();
        let label = self.describe_event(&mut body);
        let mut facts = self.summary_facts();
        facts.push((
            tr!(l, "Niveau de traitement", "Handled by"),
            words::tier(t.tier, l).to_owned(),
        ));
        body.facts(facts);
        if let Recipient::Owner(owner) = self.c.recipient {
            let owner = words::owner(owner, l);
            let priority = words::priority(t.priority, l);
            body.paragraph(tr!(
                l,
                "Vous recevez ce message en tant que {owner}, responsable désigné pour la priorité {priority}.",
                "You receive this message as {owner}, the designated owner for priority {priority}.",
            ));
        }
        self.staff_footer(&mut body);
        let level = t.priority.level();
        (
            tr!(
                l,
                "Priorité {level}, {label} : {title}",
                "Priority {level}, {label}: {title}"
            ),
            body,
        )
    }

    fn escalation(&self) -> (String, Body) {
        let (l, title, reference) = (self.l, self.title, &self.reference);
        let t = self.c.ticket;
        let mut body = self.body();
        let (from, to, cause) = match &self.c.event.data {
            EventData::Escalated { from, to, cause } => (*from, *to, Some(cause)),
            _ => (t.tier, t.tier, None),
        };
        let to_words = words::tier(to, l);
        body.paragraph(tr!(
            l,
            "Le dossier {reference} a été escaladé vers : {to_words}.",
            "Ticket {reference} has been escalated to: {to_words}.",
        ));
        let mut facts = self.summary_facts();
        facts.push((
            tr!(l, "Escalade", "Escalation"),
            format!("{} → {}", words::tier(from, l), to_words),
        ));
        match cause {
            Some(EscalationCause::Breach { clock }) => {
                let clock = words::clock(*clock, l);
                facts.push((
                    tr!(l, "Cause", "Cause"),
                    tr!(l, "délai de {clock} dépassé", "{clock} deadline missed"),
                ));
            }
            Some(EscalationCause::Manual { reason }) => {
                facts.push((
                    tr!(l, "Cause", "Cause"),
                    tr!(l, "escalade demandée par l'équipe", "escalated by staff"),
                ));
                body.facts(facts);
                facts = Vec::new();
                body.quote(reason.as_str());
            }
            None => {}
        }
        body.facts(facts);
        if let Recipient::Owner(owner) = self.c.recipient {
            let owner = words::owner(owner, l);
            let priority = words::priority(t.priority, l);
            body.paragraph(tr!(
                l,
                "Vous recevez ce message en tant que {owner}, responsable désigné pour la priorité {priority} ou pour les escalades.",
                "You receive this message as {owner}, the designated owner for priority {priority} or for escalations.",
            ));
        }
        self.staff_footer(&mut body);
        let level = t.priority.level();
        (
            tr!(
                l,
                "Escalade (priorité {level}) vers {to_words} : {title}",
                "Escalated (priority {level}) to {to_words}: {title}"
            ),
            body,
        )
    }

    fn reporter_origin(&self) -> String {
        let l = self.l;
        match &self.c.ticket.reporter.origin {
            ReporterOrigin::Partner { .. } => tr!(l, "un partenaire", "a partner"),
            ReporterOrigin::Public => {
                tr!(l, "un usager (formulaire public)", "a user (public form)")
            }
            ReporterOrigin::Staff { handle } => {
                tr!(l, "l'équipe ({handle})", "staff ({handle})")
            }
        }
    }

    /// Writes what the event did into `body`; returns a short label for the subject.
    fn describe_event(&self, body: &mut Body) -> String {
        let l = self.l;
        let event = self.c.event;
        let internal = event.visibility == Visibility::Internal;
        match &event.data {
            EventData::Created { .. } => {
                body.paragraph(tr!(l, "Nouveau signalement.", "New report."));
                tr!(l, "nouveau signalement", "new report")
            }
            EventData::Acknowledged { note } => {
                body.paragraph(tr!(
                    l,
                    "Le signalement a été pris en compte.",
                    "The report was acknowledged."
                ));
                if let Some(note) = note {
                    body.quote(note.as_str());
                }
                tr!(l, "pris en compte", "acknowledged")
            }
            EventData::Assigned { assignee } => {
                body.paragraph(tr!(
                    l,
                    "Dossier attribué à {assignee}.",
                    "Assigned to {assignee}."
                ));
                tr!(l, "attribution", "assigned")
            }
            EventData::PriorityChanged { from, to, reason } => {
                let (from, to) = (words::priority(*from, l), words::priority(*to, l));
                body.paragraph(tr!(
                    l,
                    "Priorité modifiée : {from} → {to}.",
                    "Priority changed: {from} → {to}."
                ));
                body.quote(reason.as_str());
                tr!(l, "priorité modifiée", "priority changed")
            }
            EventData::Commented { body: comment } => {
                if internal {
                    body.paragraph(tr!(l, "Note interne :", "Internal note:"));
                } else {
                    body.paragraph(tr!(l, "Nouveau commentaire :", "New comment:"));
                }
                body.quote(comment.as_str());
                tr!(l, "commentaire", "comment")
            }
            EventData::Escalated { from, to, cause } => {
                let (from, to) = (words::tier(*from, l), words::tier(*to, l));
                body.paragraph(tr!(
                    l,
                    "Escalade : {from} → {to}.",
                    "Escalated: {from} → {to}."
                ));
                match cause {
                    EscalationCause::Manual { reason } => {
                        body.quote(reason.as_str());
                    }
                    EscalationCause::Breach { clock } => {
                        let clock = words::clock(*clock, l);
                        body.paragraph(tr!(
                            l,
                            "Cause : délai de {clock} dépassé.",
                            "Cause: {clock} deadline missed."
                        ));
                    }
                }
                tr!(l, "escalade", "escalation")
            }
            EventData::WaitingForReporter { question } => {
                body.paragraph(tr!(
                    l,
                    "Question posée au déclarant :",
                    "Question asked to the reporter:"
                ));
                body.quote(question.as_str());
                tr!(l, "question au déclarant", "question to the reporter")
            }
            EventData::ReporterAnswered { body: answer } => {
                body.paragraph(tr!(l, "Le déclarant a répondu :", "The reporter answered:"));
                body.quote(answer.as_str());
                tr!(l, "réponse du déclarant", "reporter's answer")
            }
            EventData::Resolved { summary } => {
                body.paragraph(tr!(l, "Le dossier est résolu :", "The ticket is resolved:"));
                body.quote(summary.as_str());
                tr!(l, "résolu", "resolved")
            }
            EventData::ResolutionConfirmed => {
                body.paragraph(tr!(
                    l,
                    "Le déclarant a confirmé la résolution.",
                    "The reporter confirmed the resolution."
                ));
                tr!(l, "résolution confirmée", "resolution confirmed")
            }
            EventData::ResolutionRejected { reason } => {
                body.paragraph(tr!(
                    l,
                    "Le déclarant indique que le problème persiste :",
                    "The reporter says the problem persists:"
                ));
                body.quote(reason.as_str());
                tr!(l, "résolution contestée", "resolution rejected")
            }
            EventData::Qualified { qualification } => match qualification {
                Qualification::Confirmed => {
                    body.paragraph(tr!(
                        l,
                        "L'usurpation est confirmée : les organisations concernées sont prévenues et la victime reçoit nos conseils.",
                        "The theft is confirmed: the organisations concerned are told and the victim gets our advice.",
                    ));
                    tr!(l, "usurpation confirmée", "theft confirmed")
                }
                Qualification::Unfounded { explanation } => {
                    body.paragraph(tr!(
                        l,
                        "Le signalement est jugé infondé :",
                        "The report is found unfounded:"
                    ));
                    body.quote(explanation.as_str());
                    tr!(l, "signalement infondé", "report unfounded")
                }
            },
            EventData::OrganisationNotified { role, .. } => {
                let role = words::concerned_role(*role, l);
                body.paragraph(tr!(
                    l,
                    "Organisation concernée notifiée ({role}).",
                    "Organisation concerned notified ({role})."
                ));
                tr!(l, "organisation notifiée", "organisation notified")
            }
            EventData::OrganisationConcerned { role, .. } => {
                let role = words::concerned_role(*role, l);
                body.paragraph(tr!(
                    l,
                    "Une organisation trouvée pendant l'enquête est concernée ({role}).",
                    "An organisation found during the investigation is concerned ({role})."
                ));
                tr!(l, "organisation concernée", "organisation concerned")
            }
            EventData::MailDelivered { .. } => {
                body.paragraph(tr!(
                    l,
                    "Un message a été accepté par le serveur de messagerie.",
                    "A message was accepted by the mail server."
                ));
                tr!(l, "message remis", "message delivered")
            }
            EventData::CredentialsRevoked { note } => {
                body.paragraph(tr!(
                    l,
                    "Les identifiants compromis sont révoqués :",
                    "The compromised credentials are revoked:"
                ));
                body.quote(note.as_str());
                tr!(l, "identifiants révoqués", "credentials revoked")
            }
            EventData::RevocationWaived { note } => {
                body.paragraph(tr!(
                    l,
                    "L'équipe sécurité renonce par écrit à la révocation des identifiants :",
                    "The security team waived the revocation of the credentials in writing:",
                ));
                body.quote(note.as_str());
                tr!(l, "révocation levée", "revocation waived")
            }
            EventData::Closed { reason, note } => {
                let reason = words::closure_reason(*reason, l);
                body.paragraph(tr!(
                    l,
                    "Dossier clos : {reason}.",
                    "Ticket closed: {reason}."
                ));
                if let Some(note) = note {
                    body.quote(note.as_str());
                }
                tr!(l, "clos", "closed")
            }
            EventData::Reopened { reason } => {
                body.paragraph(tr!(l, "Dossier rouvert :", "Ticket reopened:"));
                body.quote(reason.as_str());
                tr!(l, "rouvert", "reopened")
            }
            EventData::Cancelled { cancellation, note } => {
                match cancellation {
                    Cancellation::Spam => {
                        body.paragraph(tr!(
                            l,
                            "Dossier annulé (indésirable).",
                            "Ticket cancelled (spam)."
                        ));
                    }
                    Cancellation::Duplicate { .. } => {
                        body.paragraph(tr!(
                            l,
                            "Dossier annulé : doublon d'un autre dossier.",
                            "Ticket cancelled: duplicate of another ticket."
                        ));
                    }
                }
                if let Some(note) = note {
                    body.quote(note.as_str());
                }
                tr!(l, "annulé", "cancelled")
            }
            EventData::Linked { link, .. } => {
                let link = words::link(*link, l);
                body.paragraph(tr!(
                    l,
                    "Lié à un autre dossier ({link}).",
                    "Linked to another ticket ({link})."
                ));
                tr!(l, "dossier lié", "linked")
            }
            EventData::SlaWarning { clock, deadline } => {
                let (clock, deadline) = (words::clock(*clock, l), words::instant(*deadline, l));
                body.paragraph(tr!(
                    l,
                    "Le délai de {clock} approche de son échéance : {deadline}.",
                    "The {clock} deadline is near: {deadline}.",
                ));
                tr!(l, "échéance proche", "deadline near")
            }
            EventData::SlaBreached {
                clock, deadline, ..
            } => {
                let (clock, deadline) = (words::clock(*clock, l), words::instant(*deadline, l));
                body.paragraph(tr!(
                    l,
                    "Le délai de {clock} est dépassé (échéance : {deadline}).",
                    "The {clock} deadline was missed (it was {deadline}).",
                ));
                tr!(l, "délai dépassé", "deadline missed")
            }
            EventData::ReminderSent { number } => {
                body.paragraph(tr!(
                    l,
                    "Relance n° {number} envoyée au déclarant.",
                    "Reminder {number} sent to the reporter."
                ));
                tr!(l, "relance", "reminder")
            }
            // File names are the sender's words: the mail says how many, not which.
            EventData::FilesAttached { files } => {
                let count = files.len();
                body.paragraph(tr!(
                    l,
                    "Fichier(s) joint(s) au dossier : {count}.",
                    "File(s) attached to the ticket: {count}."
                ));
                tr!(l, "pièce jointe", "attachment")
            }
            EventData::MailReceived { .. } => {
                body.paragraph(tr!(
                    l,
                    "Un courriel est arrivé sur le dossier.",
                    "A mail arrived on the ticket."
                ));
                tr!(l, "courriel reçu", "mail received")
            }
        }
    }
}

/// When the suspicious connection happened, in words: the instant, or the day when only the day
/// is known (never an invented time).
fn connection_words(
    l: Language,
) -> impl Fn(&ticket_domain::kind::UserUsurpationData) -> Option<String> {
    move |data| match (
        data.suspicious_connection_at,
        data.suspicious_connection_date,
    ) {
        (Some(at), _) => Some(words::instant(at, l)),
        (None, Some(day)) => Some(words::day(day, l)),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_stay_on_one_line() {
        assert_eq!(
            one_line("[INC] a\r\nBcc: x@y.fr\tz"),
            "[INC] a Bcc: x@y.fr z"
        );
    }

    #[test]
    fn tracking_links_follow_the_language() {
        assert_eq!(
            tracking_link("https://signalement.example.fr/", Language::Fr, "abc"),
            "https://signalement.example.fr/suivi/abc"
        );
        assert_eq!(
            tracking_link("https://signalement.example.fr", Language::En, "abc"),
            "https://signalement.example.fr/en/tracking/abc"
        );
    }
}
