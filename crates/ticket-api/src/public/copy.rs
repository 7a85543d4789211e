//! The words of the public pages, in French (default) and English.

use ticket_domain::Language;

/// Every sentence of the public pages in one language.
#[derive(Debug)]
pub struct Copy {
    pub lang: &'static str,
    pub site: &'static str,
    pub skip: &'static str,
    pub other_language: &'static str,
    pub other_language_href: &'static str,
    pub other_language_code: &'static str,
    pub form_path: &'static str,
    pub tracking_path: &'static str,
    pub form_title: &'static str,
    pub form_intro: &'static str,
    pub required_note: &'static str,
    pub required: &'static str,
    pub optional: &'static str,
    pub error_summary_one: &'static str,
    pub error_summary_many: &'static str,
    pub error_prefix: &'static str,
    pub connection_legend: &'static str,
    pub session_label: &'static str,
    pub session_hint: &'static str,
    pub connection_label: &'static str,
    pub connection_hint: &'static str,
    pub idp_label: &'static str,
    pub idp_unknown: &'static str,
    pub sp_legend: &'static str,
    pub sp_hint: &'static str,
    pub identity_legend: &'static str,
    pub identity_hint: &'static str,
    pub birth_names_label: &'static str,
    pub first_names_label: &'static str,
    pub birth_date_label: &'static str,
    pub date_hint: &'static str,
    pub birth_place_label: &'static str,
    pub birth_place_hint: &'static str,
    pub contact_legend: &'static str,
    pub email_label: &'static str,
    pub email_hint: &'static str,
    pub phone_label: &'static str,
    pub description_label: &'static str,
    pub description_hint: &'static str,
    pub consent_label: &'static str,
    pub honeypot_label: &'static str,
    pub submit: &'static str,
    pub confirmation_title: &'static str,
    pub reference_label: &'static str,
    pub keep_link: &'static str,
    pub mail_sent: &'static str,
    pub next_steps_title: &'static str,
    pub advice_passwords_title: &'static str,
    pub advice_passwords: &'static str,
    pub advice_account_title: &'static str,
    pub advice_account: &'static str,
    pub advice_complaint_title: &'static str,
    pub advice_complaint: &'static str,
    pub advice_court: &'static str,
    pub follow_link: &'static str,
    pub tracking_title: &'static str,
    pub state_label: &'static str,
    pub history_title: &'static str,
    pub add_info_title: &'static str,
    pub add_info_label: &'static str,
    pub add_info_hint: &'static str,
    pub add_info_submit: &'static str,
    pub resolution_title: &'static str,
    pub confirm_submit: &'static str,
    pub reject_label: &'static str,
    pub reject_submit: &'static str,
    pub notice_added: &'static str,
    pub notice_confirmed: &'static str,
    pub notice_rejected: &'static str,
    pub notice_conflict: &'static str,
    pub you: &'static str,
    pub team: &'static str,
    pub not_found_title: &'static str,
    pub not_found: &'static str,
    pub refused_title: &'static str,
    pub refused: &'static str,
    pub expired: &'static str,
    pub too_many_title: &'static str,
    pub too_many: &'static str,
    pub too_large_title: &'static str,
    pub too_large: &'static str,
    pub unavailable_title: &'static str,
    pub unavailable: &'static str,
    pub back_to_form: &'static str,
}

pub const FR: Copy = Copy {
    lang: "fr",
    site: "Signalement d'usurpation d'identité",
    skip: "Aller au contenu",
    other_language: "English",
    other_language_href: "/en/report",
    other_language_code: "en",
    form_path: "/signalement",
    tracking_path: "/suivi",
    form_title: "Signaler une usurpation d'identité",
    form_intro: "Vous avez reçu une alerte de connexion que vous ne reconnaissez pas, ou quelqu'un a utilisé votre identité pour accéder à un service ? Décrivez-nous ce qui s'est passé : l'équipe sécurité examinera votre signalement et vous tiendra informé.",
    required_note: "Les champs marqués « obligatoire » doivent être remplis.",
    required: "obligatoire",
    optional: "facultatif",
    error_summary_one: "Le formulaire contient 1 erreur",
    error_summary_many: "Le formulaire contient {n} erreurs",
    error_prefix: "Erreur :",
    connection_legend: "La connexion suspecte",
    session_label: "Identifiant de session ou d'événement",
    session_hint: "Il figure dans l'e-mail d'alerte, sous la forme 0191e2a4-5b6c-7d8e-9f00-112233445566.",
    connection_label: "Date de la connexion suspecte",
    connection_hint: "Au plus tard il y a 6 mois : au-delà, les traces de connexion n'existent plus. Format : 2026-11-20.",
    idp_label: "Compte d'identité utilisé",
    idp_unknown: "Je ne sais pas",
    sp_legend: "Services auxquels on a accédé en votre nom",
    sp_hint: "Cochez ceux que vous connaissez.",
    identity_legend: "Votre identité de naissance",
    identity_hint: "Telle qu'elle figure sur votre acte de naissance : elle permet de retrouver les connexions faites en votre nom.",
    birth_names_label: "Nom(s) de naissance",
    first_names_label: "Prénom(s)",
    birth_date_label: "Date de naissance",
    date_hint: "Format : 1980-04-12.",
    birth_place_label: "Lieu de naissance",
    birth_place_hint: "Commune, et pays si vous êtes né à l'étranger.",
    contact_legend: "Pour vous répondre",
    email_label: "Adresse e-mail",
    email_hint: "Nous y envoyons la référence de votre dossier et un lien privé de suivi.",
    phone_label: "Téléphone",
    description_label: "Ce qui s'est passé",
    description_hint: "Ce que vous avez constaté, quand, et ce que vous avez déjà fait.",
    consent_label: "J'accepte que les informations de ce formulaire soient utilisées pour instruire mon signalement et transmises aux organismes concernés.",
    honeypot_label: "Ne remplissez pas ce champ",
    submit: "Envoyer le signalement",
    confirmation_title: "Votre signalement est enregistré",
    reference_label: "Référence de votre dossier",
    keep_link: "Conservez ce lien privé : il permet de suivre votre dossier, de compléter votre signalement et de confirmer sa résolution. Ne le partagez pas.",
    mail_sent: "Un e-mail de confirmation avec ces informations vous a été envoyé.",
    next_steps_title: "Que faire maintenant ?",
    advice_passwords_title: "Changez vos mots de passe",
    advice_passwords: "Commencez par votre messagerie, puis le compte de votre fournisseur d'identité, puis les services qui utilisent le même mot de passe. Choisissez des mots de passe longs et différents pour chaque compte.",
    advice_account_title: "Sécurisez votre compte d'identité",
    advice_account: "Vérifiez l'activité récente de votre compte, activez la double authentification si elle est proposée, et contactez votre fournisseur d'identité si vous ne pouvez plus vous connecter.",
    advice_complaint_title: "Portez plainte",
    advice_complaint: "Vous pouvez faire une pré-plainte en ligne, signaler une escroquerie sur internet par la plateforme THESEE, ou porter plainte au commissariat ou à la gendarmerie. Gardez la référence de ce dossier : elle vous sera utile.",
    advice_court: "La juridiction compétente est le tribunal judiciaire du lieu de votre domicile.",
    follow_link: "Suivre mon dossier",
    tracking_title: "Suivi de votre signalement",
    state_label: "Où en est votre dossier",
    history_title: "Historique",
    add_info_title: "Compléter votre signalement",
    add_info_label: "Votre message",
    add_info_hint: "Toute information utile : nouvelle alerte, démarches faites, réponse à notre question.",
    add_info_submit: "Envoyer",
    resolution_title: "Votre dossier est-il résolu ?",
    confirm_submit: "Oui, c'est résolu",
    reject_label: "Sinon, dites-nous ce qui ne va pas",
    reject_submit: "Non, ce n'est pas résolu",
    notice_added: "Votre message a été ajouté à votre dossier.",
    notice_confirmed: "Merci : vous avez confirmé la résolution.",
    notice_rejected: "Votre dossier a été rouvert : l'équipe reprend son instruction.",
    notice_conflict: "Votre dossier a changé entre-temps : vérifiez son état ci-dessous, puis recommencez si besoin.",
    you: "Vous",
    team: "L'équipe",
    not_found_title: "Dossier introuvable",
    not_found: "Ce lien de suivi n'existe pas ou n'est plus valable. Vérifiez qu'il est complet, tel qu'il figure dans l'e-mail reçu.",
    refused_title: "Envoi refusé",
    refused: "Votre envoi n'a pas pu être accepté. Revenez au formulaire, puis envoyez-le à nouveau.",
    expired: "Le formulaire a expiré. Vos informations sont conservées ci-dessous : envoyez-le à nouveau.",
    too_many_title: "Trop d'envois",
    too_many: "Trop de signalements ont été envoyés depuis cette connexion ou pour cette adresse e-mail. Réessayez dans {minutes} minute(s). Si c'est urgent, contactez le support.",
    too_large_title: "Envoi trop volumineux",
    too_large: "Le texte envoyé est trop long. Raccourcissez la description puis réessayez.",
    unavailable_title: "Service momentanément indisponible",
    unavailable: "Votre signalement n'a pas pu être enregistré. Réessayez dans quelques minutes : rien n'a été perdu de ce qui est enregistré.",
    back_to_form: "Revenir au formulaire",
};

pub const EN: Copy = Copy {
    lang: "en",
    site: "Identity theft reporting",
    skip: "Skip to content",
    other_language: "Français",
    other_language_href: "/signalement",
    other_language_code: "fr",
    form_path: "/en/report",
    tracking_path: "/en/tracking",
    form_title: "Report identity theft",
    form_intro: "Did you get a sign-in alert you don't recognise, or did someone use your identity to access a service? Tell us what happened: the security team will examine your report and keep you informed.",
    required_note: "Fields marked “required” must be filled in.",
    required: "required",
    optional: "optional",
    error_summary_one: "There is 1 problem with the form",
    error_summary_many: "There are {n} problems with the form",
    error_prefix: "Error:",
    connection_legend: "The suspicious sign-in",
    session_label: "Session or event identifier",
    session_hint: "It is in the alert email, in the form 0191e2a4-5b6c-7d8e-9f00-112233445566.",
    connection_label: "Date of the suspicious sign-in",
    connection_hint: "No more than 6 months ago: older sign-in traces no longer exist. Format: 2026-11-20.",
    idp_label: "Identity account used",
    idp_unknown: "I don't know",
    sp_legend: "Services accessed in your name",
    sp_hint: "Tick the ones you know.",
    identity_legend: "Your birth identity",
    identity_hint: "As on your birth certificate: it lets us find the sign-ins made in your name.",
    birth_names_label: "Birth name(s)",
    first_names_label: "First name(s)",
    birth_date_label: "Date of birth",
    date_hint: "Format: 1980-04-12.",
    birth_place_label: "Place of birth",
    birth_place_hint: "Town, and country if you were born abroad.",
    contact_legend: "How to reach you",
    email_label: "Email address",
    email_hint: "We send your case reference and a private tracking link there.",
    phone_label: "Phone",
    description_label: "What happened",
    description_hint: "What you noticed, when, and what you have already done.",
    consent_label: "I agree that the information in this form is used to examine my report and passed to the organisations concerned.",
    honeypot_label: "Do not fill in this field",
    submit: "Send the report",
    confirmation_title: "Your report is registered",
    reference_label: "Your case reference",
    keep_link: "Keep this private link: it lets you follow your case, add information and confirm its resolution. Do not share it.",
    mail_sent: "A confirmation email with this information was sent to you.",
    next_steps_title: "What to do now",
    advice_passwords_title: "Change your passwords",
    advice_passwords: "Start with your email account, then your identity provider's account, then the services that use the same password. Choose long passwords, a different one for each account.",
    advice_account_title: "Secure your identity account",
    advice_account: "Check your account's recent activity, turn on two-step verification if it is offered, and contact your identity provider if you can no longer sign in.",
    advice_complaint_title: "File a complaint",
    advice_complaint: "You can file an online pre-complaint (pré-plainte en ligne), report an online scam on the THESEE platform, or file a complaint at a police or gendarmerie station. Keep this case reference: it will help.",
    advice_court: "The competent court is the tribunal judiciaire of the place where you live.",
    follow_link: "Follow my case",
    tracking_title: "Tracking your report",
    state_label: "Where your case stands",
    history_title: "History",
    add_info_title: "Add to your report",
    add_info_label: "Your message",
    add_info_hint: "Anything useful: a new alert, steps you took, an answer to our question.",
    add_info_submit: "Send",
    resolution_title: "Is your case resolved?",
    confirm_submit: "Yes, it is resolved",
    reject_label: "If not, tell us what is wrong",
    reject_submit: "No, it is not resolved",
    notice_added: "Your message was added to your case.",
    notice_confirmed: "Thank you: you confirmed the resolution.",
    notice_rejected: "Your case was reopened: the team is working on it again.",
    notice_conflict: "Your case changed in the meantime: check where it stands below, then try again if needed.",
    you: "You",
    team: "The team",
    not_found_title: "Case not found",
    not_found: "This tracking link does not exist or is no longer valid. Check that it is complete, as in the email you received.",
    refused_title: "Submission refused",
    refused: "Your submission could not be accepted. Go back to the form, then send it again.",
    expired: "The form expired. Your information is kept below: send it again.",
    too_many_title: "Too many submissions",
    too_many: "Too many reports were sent from this connection or for this email address. Try again in {minutes} minute(s). If it is urgent, contact support.",
    too_large_title: "Submission too large",
    too_large: "The text sent is too long. Shorten the description and try again.",
    unavailable_title: "Service temporarily unavailable",
    unavailable: "Your report could not be registered. Try again in a few minutes.",
    back_to_form: "Back to the form",
};

pub fn copy(language: Language) -> &'static Copy {
    match language {
        Language::Fr => &FR,
        Language::En => &EN,
    }
}

/// The error message shown for a field error, in the page's language.
pub fn field_message(language: Language, field: &str, rule: &str) -> &'static str {
    let fr = language == Language::Fr;
    match (field, rule) {
        ("files", "too_large") => {
            if fr {
                "Un fichier est trop volumineux : réduisez-le ou envoyez-en un autre"
            } else {
                "A file is too large: make it smaller or send another one"
            }
        }
        ("files", "too_many") => {
            if fr {
                "Envoyez au plus 3 fichiers à la fois"
            } else {
                "Send at most 3 files at once"
            }
        }
        ("files", "type") => {
            if fr {
                "Un fichier n'est pas d'un type accepté : images, PDF, texte, message .eml ou document bureautique"
            } else {
                "A file is not of an accepted type: images, PDF, text, .eml message or office document"
            }
        }
        ("files", _) => {
            if fr {
                "Choisissez au moins un fichier non vide"
            } else {
                "Choose at least one file that is not empty"
            }
        }
        ("consent", _) => {
            if fr {
                "Donnez votre accord pour que votre signalement puisse être traité"
            } else {
                "Give your agreement so that your report can be processed"
            }
        }
        ("email", "email") => {
            if fr {
                "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr"
            } else {
                "Enter a valid email address, like name@example.com"
            }
        }
        ("phone", _) => {
            if fr {
                "Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78"
            } else {
                "Enter a valid phone number, like +33 6 12 34 56 78"
            }
        }
        ("session_id", _) => {
            if fr {
                "L'identifiant doit avoir la forme 0191e2a4-5b6c-7d8e-9f00-112233445566"
            } else {
                "The identifier must look like 0191e2a4-5b6c-7d8e-9f00-112233445566"
            }
        }
        ("connection_date", "within_trace_retention") => {
            if fr {
                "La date doit être dans les 6 derniers mois : au-delà, les traces de connexion n'existent plus"
            } else {
                "The date must be within the last 6 months: older sign-in traces no longer exist"
            }
        }
        (_, "not_in_future") => {
            if fr {
                "La date ne peut pas être dans le futur"
            } else {
                "The date cannot be in the future"
            }
        }
        (_, "format") | (_, "plausible") => {
            if fr {
                "Saisissez une date valide, par exemple 1980-04-12"
            } else {
                "Enter a real date, like 1980-04-12"
            }
        }
        (_, "registered_organisation") => {
            if fr {
                "Choisissez dans la liste proposée"
            } else {
                "Choose from the list"
            }
        }
        (_, "max_length") => {
            if fr {
                "Ce texte est trop long"
            } else {
                "This text is too long"
            }
        }
        _ => {
            if fr {
                "Ce champ est obligatoire"
            } else {
                "This field is required"
            }
        }
    }
}

/// A state in plain words for the reporter.
pub fn state_words(
    language: Language,
    state: ticket_domain::State,
) -> (&'static str, &'static str) {
    use ticket_domain::State::*;
    let fr = language == Language::Fr;
    match (state, fr) {
        (New, true) => (
            "Reçu",
            "Votre signalement a été reçu. L'équipe sécurité va l'examiner.",
        ),
        (New, false) => (
            "Received",
            "Your report was received. The security team will examine it.",
        ),
        (Acknowledged, true) => (
            "Pris en charge",
            "L'équipe sécurité a pris en charge votre signalement.",
        ),
        (Acknowledged, false) => (
            "Taken in hand",
            "The security team has taken your report in hand.",
        ),
        (InProgress, true) => (
            "En cours d'instruction",
            "L'équipe sécurité instruit votre signalement.",
        ),
        (InProgress, false) => (
            "Being examined",
            "The security team is examining your report.",
        ),
        (WaitingReporter, true) => (
            "En attente de votre réponse",
            "Nous avons besoin d'informations de votre part : répondez ci-dessous.",
        ),
        (WaitingReporter, false) => (
            "Waiting for your answer",
            "We need information from you: answer below.",
        ),
        (Resolved, true) => (
            "Résolution proposée",
            "Nous pensons avoir traité votre signalement. Dites-nous si c'est bien le cas.",
        ),
        (Resolved, false) => (
            "Resolution proposed",
            "We believe your report has been dealt with. Tell us whether it is.",
        ),
        (Closed, true) => ("Clos", "Votre dossier est clos."),
        (Closed, false) => ("Closed", "Your case is closed."),
        (Cancelled, true) => ("Annulé", "Ce dossier a été annulé."),
        (Cancelled, false) => ("Cancelled", "This case was cancelled."),
    }
}
