# Les mots de ticketd en français : pages publiques et courriels.
# Un opérateur remplace un message en le redéfinissant, sous le même identifiant, dans le fichier
# nommé par wording.fr dans la configuration.

## Les mots du domaine, une seule fois pour les pages et les courriels.
## Les sélecteurs portent le nom de l'énumération tel qu'il circule dans l'API.

state = { $state ->
    [new] Reçu
    [acknowledged] Pris en charge
    [in_progress] En cours de traitement
    [waiting_reporter] En attente d'une réponse du déclarant
    [resolved] Résolution proposée
    [closed] Clos
   *[cancelled] Annulé
}
# Ce que l'état veut dire pour la personne qui a fait le signalement (page de suivi).
state-explained = { $state ->
    [new] Votre signalement a été reçu. L'équipe sécurité va l'examiner.
    [acknowledged] L'équipe sécurité a pris en charge votre signalement.
    [in_progress] L'équipe sécurité instruit votre signalement.
    [waiting_reporter] Nous avons besoin d'informations de votre part : répondez ci-dessous.
    [resolved] Nous pensons avoir traité votre signalement. Dites-nous si c'est bien le cas.
    [closed] Votre dossier est clos.
   *[cancelled] Ce dossier a été annulé.
}
closure-reason = { $reason ->
    [resolved_confirmed] le problème est résolu et la résolution a été confirmée par le déclarant
    [mutual_agreement] le dossier est clos d'un commun accord, sans résolution
    [reporter_unresponsive] nous n'avons pas reçu de réponse à notre question malgré notre relance
   *[resolved_by_operator] le problème a été résolu par nos équipes et la résolution a été notifiée au déclarant
}
closure-reason-line = Motif : { closure-reason }.
kind = { $kind ->
    [incident] incident
    [partner_usurpation] usurpation d'un partenaire
    [user_usurpation] usurpation d'identité d'un usager
   *[support_request] demande d'assistance
}
priority = { $level } – { $priority ->
    [critique] critique
    [majeure] majeure
    [normale] normale
    [mineure] mineure
   *[info] information
}
tier = { $tier ->
    [agent] support (niveau 2)
    [engineer] ingénierie (niveau 3)
    [security] équipe sécurité
   *[supervisor] supervision
}
owner = { $owner ->
    [production_lead] responsable de la production
    [product_lead] responsable du produit
    [partner_relations_lead] responsable des relations partenaires
   *[supervisor] superviseur
}
clock = { $clock ->
    [acknowledgement] prise en compte
   *[handling] traitement
}
vector = { $vector ->
    [phishing_site] site d'hameçonnage imitant le service
    [leaked_client_secret] secret client divulgué
    [leaked_authorization_codes] codes d'autorisation divulgués
    [forged_tokens] jetons falsifiés
   *[other] autre moyen
}
concerned-role = { $role ->
    [identity_provider] fournisseur d'identité détenant le compte de l'usager
    [service_provider] fournisseur de service auquel l'usurpateur a accédé
   *[impersonated_partner] partenaire usurpé
}
link = { $link ->
    [same_session] même session d'authentification
    [follow_up_of] suite d'un dossier clos
    [followed_up_by] suivi par un nouveau dossier
   *[duplicate_of] doublon
}
actor-partner = partenaire (clé « { $key } »)
actor-reporter = le déclarant
actor-system = le service (automatique)
yes = oui
no = non
instant = { $day } à { $time } (heure de Paris)
# Le service qui répond (pied des pages et des courriels).
operator-signature = L'équipe support de { $operator }

## Pages publiques

page-site = Signalement d'usurpation d'identité
page-skip = Aller au contenu
page-other-language = English
page-form-title = Signaler une usurpation d'identité
page-form-intro = Vous avez reçu une alerte de connexion que vous ne reconnaissez pas, ou quelqu'un a utilisé votre identité pour accéder à un service ? Décrivez-nous ce qui s'est passé : l'équipe sécurité examinera votre signalement et vous tiendra informé.
page-required-note = Les champs marqués « obligatoire » doivent être remplis.
page-required = obligatoire
page-optional = facultatif
page-error-summary = { $count ->
    [one] Le formulaire contient 1 erreur
   *[other] Le formulaire contient { $count } erreurs
}
page-error-prefix = Erreur :
page-connection-legend = La connexion suspecte
page-session-label = Identifiant de session ou d'événement
page-session-hint = Il figure dans l'e-mail d'alerte, sous la forme 0191e2a4-5b6c-7d8e-9f00-112233445566.
page-connection-label = Date de la connexion suspecte
page-connection-hint = Au plus tard il y a { $months } mois : au-delà, les traces de connexion n'existent plus. Format : 2026-11-20.
page-idp-label = Compte d'identité utilisé
page-idp-unknown = Je ne sais pas
page-sp-legend = Services auxquels on a accédé en votre nom
page-sp-hint = Cochez ceux que vous connaissez.
page-identity-legend = Votre identité de naissance
page-identity-hint = Telle qu'elle figure sur votre acte de naissance : elle permet de retrouver les connexions faites en votre nom.
page-birth-names-label = Nom(s) de naissance
page-first-names-label = Prénom(s)
page-birth-date-label = Date de naissance
page-date-hint = Format : 1980-04-12.
page-birth-place-label = Lieu de naissance
page-birth-place-hint = Commune, et pays si vous êtes né à l'étranger.
page-contact-legend = Pour vous répondre
page-email-label = Adresse e-mail
page-email-hint = Nous y envoyons la référence de votre dossier et un lien privé de suivi.
page-phone-label = Téléphone
page-description-label = Ce qui s'est passé
page-description-hint = Ce que vous avez constaté, quand, et ce que vous avez déjà fait.
page-consent-label = J'accepte que les informations de ce formulaire soient utilisées pour instruire mon signalement et transmises aux organismes concernés.
page-honeypot-label = Ne remplissez pas ce champ
page-submit = Envoyer le signalement
page-confirmation-title = Votre signalement est enregistré
page-reference-label = Référence de votre dossier
page-keep-link = Conservez ce lien privé : il permet de suivre votre dossier, de compléter votre signalement et de confirmer sa résolution. Ne le partagez pas.
page-mail-sent = Un e-mail de confirmation avec ces informations vous a été envoyé.
page-next-steps-title = Que faire maintenant ?
page-advice-passwords-title = Changez vos mots de passe
page-advice-passwords = Commencez par votre messagerie, puis le compte de votre fournisseur d'identité, puis les services qui utilisent le même mot de passe. Choisissez des mots de passe longs et différents pour chaque compte.
page-advice-account-title = Sécurisez votre compte d'identité
page-advice-account = Vérifiez l'activité récente de votre compte, activez la double authentification si elle est proposée, et contactez votre fournisseur d'identité si vous ne pouvez plus vous connecter.
page-advice-complaint-title = Portez plainte
page-advice-complaint = Vous pouvez faire une pré-plainte en ligne, signaler une escroquerie sur internet par la plateforme THESEE, ou porter plainte au commissariat ou à la gendarmerie. Gardez la référence de ce dossier : elle vous sera utile.
page-advice-court = La juridiction compétente est le tribunal judiciaire du lieu de votre domicile.
page-follow-link = Suivre mon dossier
page-tracking-title = Suivi de votre signalement
page-state-label = Où en est votre dossier
page-history-title = Historique
page-add-info-title = Compléter votre signalement
page-add-info-label = Votre message
page-add-info-hint = Toute information utile : nouvelle alerte, démarches faites, réponse à notre question.
page-add-info-submit = Envoyer
page-resolution-title = Votre dossier est-il résolu ?
page-confirm-submit = Oui, c'est résolu
page-reject-label = Sinon, dites-nous ce qui ne va pas
page-reject-submit = Non, ce n'est pas résolu
page-notice-added = Votre message a été ajouté à votre dossier.
page-notice-confirmed = Merci : vous avez confirmé la résolution.
page-notice-rejected = Votre dossier a été rouvert : l'équipe reprend son instruction.
page-notice-conflict = Votre dossier a changé entre-temps : vérifiez son état ci-dessous, puis recommencez si besoin.
page-you = Vous
page-team = L'équipe
page-not-found-title = Dossier introuvable
page-not-found = Ce lien de suivi n'existe pas ou n'est plus valable. Vérifiez qu'il est complet, tel qu'il figure dans l'e-mail reçu.
page-refused-title = Envoi refusé
page-refused = Votre envoi n'a pas pu être accepté. Revenez au formulaire, puis envoyez-le à nouveau.
page-expired = Le formulaire a expiré. Vos informations sont conservées ci-dessous : envoyez-le à nouveau.
page-too-many-title = Trop d'envois
page-too-many = Trop de signalements ont été envoyés depuis cette connexion ou pour cette adresse e-mail. Réessayez dans { $minutes ->
        [one] 1 minute
       *[other] { $minutes } minutes
    }. Si c'est urgent, contactez le support.
page-too-large-title = Envoi trop volumineux
page-too-large = Le texte envoyé est trop long. Raccourcissez la description puis réessayez.
page-unavailable-title = Service momentanément indisponible
page-unavailable = Votre signalement n'a pas pu être enregistré. Réessayez dans quelques minutes : rien n'a été perdu de ce qui est enregistré.
page-back-to-form = Revenir au formulaire
page-files-label = Pièces jointes
page-files-hint = Par exemple le message d'alerte reçu ou une capture d'écran : jusqu'à { $max } fichiers (images, PDF, texte, message .eml, documents bureautiques).
page-files-add = Ajouter des fichiers
page-files-submit = Envoyer les fichiers
page-size-kb = { $size } Ko
page-notice-files = Vos fichiers ont été joints au dossier.
# Le message d'erreur d'un champ : { $field } est le nom du champ, { $rule } la règle enfreinte.
page-field-error = { $field ->
    [files] { $rule ->
        [too_large] Un fichier est trop volumineux : réduisez-le ou envoyez-en un autre
        [too_many] Envoyez au plus { $max } fichiers à la fois
        [type] Un fichier n'est pas d'un type accepté : images, PDF, texte, message .eml ou document bureautique
       *[other] Choisissez au moins un fichier non vide
    }
    [consent] Donnez votre accord pour que votre signalement puisse être traité
    [email] { $rule ->
        [email] Saisissez une adresse e-mail valide, par exemple nom@exemple.fr
       *[other] { page-rule-error }
    }
    [phone] Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78
    [session_id] L'identifiant doit avoir la forme 0191e2a4-5b6c-7d8e-9f00-112233445566
    [connection_date] { $rule ->
        [within_trace_retention] La date doit être dans les { $months } derniers mois : au-delà, les traces de connexion n'existent plus
       *[other] { page-rule-error }
    }
   *[other] { page-rule-error }
}
page-rule-error = { $rule ->
    [not_in_future] La date ne peut pas être dans le futur
    [format] Saisissez une date valide, par exemple 1980-04-12
    [plausible] Saisissez une date valide, par exemple 1980-04-12
    [registered_organisation] Choisissez dans la liste proposée
    [max_length] Ce texte est trop long
   *[other] Ce champ est obligatoire
}
# Une ligne du résumé des erreurs : le nom du champ, puis ce qui ne va pas.
page-error-summary-item = { $label } : { $message }
page-tracking-files-label = Fichiers joints
page-reason-label = Motif du refus
page-history-created = Signalement reçu.
page-history-acknowledged = Signalement pris en charge par l'équipe sécurité.
page-history-question = Question : { $text }
page-history-resolved = Résolution proposée : { $text }
page-history-confirmed = Usurpation confirmée : les organismes concernés ont été prévenus.
page-history-unfounded = Signalement non fondé : { $text }
page-history-resolution-confirmed = Résolution confirmée.
page-history-resolution-rejected = Non résolu : { $text }
page-history-closed = Dossier clos.
page-history-reopened = Dossier rouvert.
page-history-reminder = Rappel envoyé : nous attendons votre réponse.
page-history-cancelled = Dossier annulé.
page-history-files = { $count ->
    [one] 1 fichier joint.
   *[other] { $count } fichiers joints.
}
# Quand attendre une réponse : les délais viennent de la politique de l'opérateur.
page-answer-expected = L'équipe sécurité prend en charge chaque signalement sous { $hours ->
    [one] 1 heure
   *[other] { $hours } heures
  }, y compris la nuit et le week-end, et vise à l'avoir traité sous { $days ->
    [one] 1 jour ouvré
   *[other] { $days } jours ouvrés
  }. Elle vous écrit à chaque étape.
page-complaint-links-title = Pour porter plainte en ligne
page-link-pre-complaint = Pré-plainte en ligne (site officiel du ministère de l'Intérieur)
page-link-thesee = THESEE : plainte en ligne pour une escroquerie sur internet
page-operator-title = Qui traite votre signalement
page-operator = Ce service est opéré par { $operator }.
page-operator-address = Adresse postale : { $address }
page-privacy-link = Protection de vos données personnelles
page-retention = Les données personnelles d'un dossier clos sont anonymisées { $months } mois après sa clôture.
page-external-link = (site externe)

## Courriels

mail-hello = Bonjour,
mail-the-identity-federation-support-team = L'équipe support de la fédération d'identité
mail-this-message-is-sent-automatically = Ce message est envoyé automatiquement : merci de ne pas y répondre. Rappelez la référence { $reference } dans tout échange avec nous.
mail-automatic-message-from-ticketd-replies = Message automatique de ticketd : les réponses à ce message ne sont pas lues ; le dossier se traite dans ticketd.
mail-on-your-private-tracking-page = depuis votre page de suivi privée (son lien figure dans l'accusé de réception de votre signalement)
mail-through-the-partner-api-on = par l'API partenaires, sur le dossier { $reference }
mail-reference = Référence
mail-subject = Objet
mail-kind = Type
mail-priority = Priorité
mail-state = État
mail-we-have-received-your-report = Nous avons bien reçu votre signalement. Il est enregistré sous la référence { $reference } : rappelez-la dans tout échange avec nous.
mail-received-on = Reçu le
mail-the-federation-s-security-team = L'équipe sécurité de la fédération va l'analyser en priorité. Nous vous tiendrons informé par courriel de chaque étape.
mail-our-team-will-look-into = Notre équipe va l'examiner et vous tiendra informé par courriel de chaque étape.
mail-follow-your-report-and-answer = Suivez votre signalement et répondez à nos questions sur votre page de suivi privée :
mail-this-link-is-personal-do = Ce lien est personnel : ne le transmettez à personne. Il ne vous sera pas renvoyé, conservez ce message.
mail-you-can-follow-this-ticket = Vous pouvez suivre ce dossier et y répondre par l'API partenaires.
mail-acknowledgement-of-receipt = Accusé de réception : { $title }
mail-to-move-forward-with-your = Pour avancer sur votre signalement { $reference }, nous avons besoin d'une précision de votre part :
mail-please-answer-work-on-the = Répondez-nous { $place }. Le traitement du dossier est suspendu jusqu'à votre réponse.
mail-a-question-about-your-report = Une question sur votre signalement : { $title }
mail-our-team-has-answered-on = Notre équipe a répondu sur votre signalement { $reference } :
mail-you-can-answer = Vous pouvez nous répondre { $place }.
mail-reply-to-your-report = Réponse à votre signalement : { $title }
mail-the-reporter-says-the-resolution = Le demandeur indique que la résolution du dossier { $reference }, qui vous est attribué, ne règle pas le problème.
mail-the-reporter-has-answered-on = Le demandeur a répondu sur le dossier { $reference }, qui vous est attribué.
mail-their-answer-can-be-read = Sa réponse se lit dans ticketd.
mail-the-reporter-answered = Réponse du demandeur : { $title }
mail-we-consider-your-report-resolved = Nous considérons votre signalement { $reference } comme résolu :
mail-please-confirm-that-the-problem = Merci de nous confirmer que le problème est bien résolu, ou de nous indiquer qu'il persiste, { $place }.
mail-your-confirmation-lets-us-close = Votre confirmation nous permet de clore le dossier ; s'il persiste, nous reprenons son traitement.
mail-resolved-please-confirm = Résolu, merci de confirmer : { $title }
mail-your-report-is-closed = Votre signalement { $reference } est clos.
mail-reason = Motif : { $reason }.
mail-details = Précision :
mail-if-the-problem-comes-back = Si le problème réapparaît peu après, vous pouvez demander la réouverture du dossier { $place } ; passé ce délai, faites un nouveau signalement en rappelant la référence { $reference }.
mail-report-closed = Signalement clos : { $title }
mail-another-ticket = un autre dossier
mail-your-report-is-about-the = Votre signalement { $reference } porte sur le même sujet qu'un dossier déjà ouvert : { $other }. Il a été clos comme doublon ; le suivi se poursuit dans le dossier { $other }.
mail-duplicate-of = Doublon de { $other } : { $title }
mail-we-are-still-waiting-for = Nous attendons toujours votre réponse à notre question sur le signalement { $reference } :
mail-please-answer-without-an-answer = Répondez-nous { $place }. Sans réponse de votre part, le dossier pourra être clos.
mail-reminder = Relance
mail-reminder-your-answer-is-awaited = Relance, votre réponse est attendue : { $title }
mail-the-federation-s-security-team-2 = L'équipe sécurité de la fédération a analysé votre signalement { $reference }. Elle n'a pas retenu d'usurpation d'identité, pour la raison suivante :
mail-if-you-disagree-or-have = Si vous n'êtes pas d'accord ou si vous avez de nouveaux éléments, dites-le-nous { $place } : le dossier sera réexaminé.
mail-outcome-of-the-analysis-of = Résultat de l'analyse de votre signalement
mail-the-identity-federation-s-security = L'équipe sécurité de la fédération d'identité a confirmé que votre identité a été utilisée par un tiers pour se connecter à des services en ligne (dossier { $reference }). Le fournisseur d'identité qui détient votre compte et les services concernés ont été prévenus.
mail-suspicious-sign-in = Connexion suspecte
mail-here-is-what-we-advise = Voici ce que nous vous conseillons de faire dès maintenant.
mail-1-change-your-passwords = 1. Changez vos mots de passe
mail-start-with-your-email-account = Commencez par celui de votre messagerie électronique : c'est par elle que l'on peut réinitialiser tous vos autres comptes.
mail-then-change-the-password-of = Changez ensuite celui du compte de votre fournisseur d'identité, le compte que vous utilisez pour vous connecter aux services en ligne.
mail-finally-change-it-on-any = Changez enfin celui de tout autre compte où vous utilisiez le même mot de passe. Choisissez pour chaque compte un mot de passe long et différent ; un gestionnaire de mots de passe aide à les retenir.
mail-2-secure-your-identity-account = 2. Sécurisez votre compte d'identité
mail-check-your-account-s-recent = Consultez l'activité récente de votre compte (historique des connexions, démarches effectuées) et notez tout ce que vous ne reconnaissez pas.
mail-turn-on-2-step-verification = Activez la validation en deux étapes (code reçu par SMS, application ou clé de sécurité) partout où elle est proposée, en commençant par votre messagerie et votre fournisseur d'identité.
mail-check-that-your-email-address = Vérifiez que votre adresse électronique, votre numéro de téléphone et votre adresse postale n'ont pas été modifiés.
mail-contact-your-identity-provider-s = Contactez l'assistance de votre fournisseur d'identité pour lui signaler l'usurpation et faire sécuriser votre compte.
mail-if-bank-details-may-have = Si des données bancaires ont pu être utilisées, prévenez sans attendre votre banque.
mail-3-file-a-complaint = 3. Portez plainte
mail-identity-theft-is-an-offence = L'usurpation d'identité est un délit (article 226-4-1 du code pénal). Vous pouvez porter plainte :
mail-online-the-online-pre-complaint = en ligne : la pré-plainte en ligne (www.pre-plainte-en-ligne.gouv.fr) vous permet de déclarer les faits, puis de signer votre plainte lors d'un rendez-vous ; si l'usurpation a servi à une escroquerie sur internet (achat, paiement, virement), le service de plainte en ligne THESEE, accessible depuis www.service-public.fr, permet de porter plainte entièrement en ligne ;
mail-at-any-police-station-commissariat = dans n'importe quel commissariat de police ou brigade de gendarmerie, qui est tenu d'enregistrer votre plainte ;
mail-by-letter-to-the-public = par courrier adressé au procureur de la République du tribunal judiciaire compétent : en règle générale, celui dont dépend la commune où vous habitez, où vous avez subi l'infraction. L'annuaire des juridictions (www.justice.fr) indique le tribunal judiciaire dont dépend votre commune.
mail-for-your-complaint-gather-the = Pour votre plainte, rassemblez les preuves : la référence { $reference } de ce dossier, la date de la connexion suspecte, les courriels ou SMS d'alerte reçus, des captures d'écran des démarches que vous ne reconnaissez pas.
mail-you-will-also-find-advice = Vous trouverez aussi conseils et assistance sur www.cybermalveillance.gouv.fr.
mail-theft-of-your-identity-what = Usurpation de votre identité : que faire maintenant
mail-ticket-which-concerns-your-organisation = Le dossier { $reference }, qui concerne votre organisation, a évolué :
mail-you-receive-this-message-because = Vous recevez ce message parce que ce dossier de priorité 1 ou 2 concerne votre organisation. Vous pouvez le suivre par l'API partenaires.
mail-update = Mise à jour, { $label } : { $title }
mail-the-identity-federation-s-security-2 = L'équipe sécurité de la fédération d'identité a confirmé l'usurpation de l'identité d'un usager (dossier { $reference }).
mail-your-organisation = Votre organisation
mail-session-or-event-identifier = Identifiant de session ou d'événement
mail-we-ask-you-to = Nous vous demandons :
mail-check-the-activity-of-the = de vérifier l'activité du compte concerné et de le sécuriser (réinitialisation des moyens d'authentification, fermeture des sessions ouvertes) ;
mail-check-what-was-done-during = de vérifier les démarches effectuées lors de cette session et, le cas échéant, de les annuler ou de les bloquer ;
mail-write-to-the-security-team = d'écrire à l'équipe sécurité ({ $security }) en rappelant la référence { $reference } pour tout élément complémentaire ou pour nous dire ce que vous avez constaté.
mail-confirmed-identity-theft-action-required = Usurpation d'identité confirmée, action requise
mail-the-identity-federation-s-teams = Les équipes de la fédération d'identité ont détecté une usurpation de votre organisation (dossier { $reference }) :
mail-means-observed = Moyens constatés
mail-revoke-and-replace-straight-away = de révoquer et remplacer sans attendre les identifiants qui ont pu être compromis (secret client, clés, codes) ;
mail-warn-your-users-if-a = de prévenir vos usagers si un site frauduleux imite votre service ;
mail-write-to-the-security-team-2 = d'écrire à l'équipe sécurité ({ $security }) en rappelant la référence { $reference } pour nous dire ce que vous avez fait ou constaté.
mail-impersonation-of-your-organisation-detected = Usurpation de votre organisation détectée, action requise
mail-a-new-report-has-been = Un nouveau signalement a été enregistré :
mail-handled-by = Niveau de traitement
mail-reporter = Déclarant
mail-service = Service
mail-started = Début
mail-security-incident = Incident de sécurité
mail-proposed-priority = Priorité proposée
mail-new-report-priority = Nouveau signalement ({ $kind }, priorité { $level }) : { $title }
mail-event-on-security-ticket = Événement sur le dossier de sécurité { $reference } :
mail-by = Auteur
mail-on = Le
mail-security = Sécurité, { $label } : { $title }
mail-the-partner = le partenaire
mail-the-reporter = le déclarant
mail-the-service = le service
mail-a-reply-arrived-by-e = Une réponse est arrivée par courriel sur le dossier { $reference } ({ $who }). Elle figure dans son historique.
mail-a-reply-arrived = Une réponse est arrivée : { $title }
mail-reminder-undeliverable-body = La relance adressée au déclarant du dossier { $reference } n'a pas pu lui être remise. Le dossier ne sera pas clos automatiquement tant qu'une relance ne lui est pas parvenue : joignez-le par un autre moyen.
mail-reminder-undeliverable = Relance non remise : { $title }
mail-you-receive-this-message-as = Vous recevez ce message en tant que { $owner }, responsable désigné pour la priorité { $priority }.
mail-priority-2 = Priorité { $level }, { $label } : { $title }
mail-ticket-has-been-escalated-to = Le dossier { $reference } a été escaladé vers : { $to_words }.
mail-escalation = Escalade
mail-cause = Cause
mail-deadline-missed = délai de { $clock } dépassé
mail-escalated-by-staff = escalade demandée par l'équipe
mail-you-receive-this-message-as-2 = Vous recevez ce message en tant que { $owner }, responsable désigné pour la priorité { $priority } ou pour les escalades.
mail-escalated-priority-to = Escalade (priorité { $level }) vers { $to_words } : { $title }
mail-a-partner = un partenaire
mail-a-user-public-form = un usager (formulaire public)
mail-staff = l'équipe ({ $handle })
mail-new-report = Nouveau signalement.
mail-new-report-2 = nouveau signalement
mail-the-report-was-acknowledged = Le signalement a été pris en compte.
mail-acknowledged = pris en compte
mail-assigned-to = Dossier attribué à { $assignee }.
mail-assigned = attribution
mail-priority-changed = Priorité modifiée : { $from } → { $to }.
mail-priority-changed-2 = priorité modifiée
mail-internal-note = Note interne :
mail-new-comment = Nouveau commentaire :
mail-comment = commentaire
mail-escalated = Escalade : { $from } → { $to }.
mail-cause-deadline-missed = Cause : délai de { $clock } dépassé.
mail-escalation-2 = escalade
mail-question-asked-to-the-reporter = Question posée au déclarant :
mail-question-to-the-reporter = question au déclarant
mail-the-reporter-answered-2 = Le déclarant a répondu :
mail-reporter-s-answer = réponse du déclarant
mail-the-ticket-is-resolved = Le dossier est résolu :
mail-resolved = résolu
mail-the-reporter-confirmed-the-resolution = Le déclarant a confirmé la résolution.
mail-resolution-confirmed = résolution confirmée
mail-the-reporter-says-the-problem = Le déclarant indique que le problème persiste :
mail-resolution-rejected = résolution contestée
mail-the-theft-is-confirmed-the = L'usurpation est confirmée : les organisations concernées sont prévenues et la victime reçoit nos conseils.
mail-theft-confirmed = usurpation confirmée
mail-the-report-is-found-unfounded = Le signalement est jugé infondé :
mail-report-unfounded = signalement infondé
mail-organisation-concerned-notified = Organisation concernée notifiée ({ $role }).
mail-organisation-notified = organisation notifiée
mail-an-organisation-found-during-the = Une organisation trouvée pendant l'enquête est concernée ({ $role }).
mail-organisation-concerned = organisation concernée
mail-a-message-was-accepted-by = Un message a été accepté par le serveur de messagerie.
mail-message-delivered = message remis
mail-the-compromised-credentials-are-revoked = Les identifiants compromis sont révoqués :
mail-credentials-revoked = identifiants révoqués
mail-the-security-team-waived-the = L'équipe sécurité renonce par écrit à la révocation des identifiants :
mail-revocation-waived = révocation levée
mail-ticket-closed = Dossier clos : { $reason }.
mail-closed = clos
mail-ticket-reopened = Dossier rouvert :
mail-reopened = rouvert
mail-ticket-cancelled-spam = Dossier annulé (indésirable).
mail-ticket-cancelled-duplicate-of-another = Dossier annulé : doublon d'un autre dossier.
mail-cancelled = annulé
mail-linked-to-another-ticket = Lié à un autre dossier ({ $link }).
mail-linked = dossier lié
mail-the-deadline-is-near = Le délai de { $clock } approche de son échéance : { $deadline }.
mail-deadline-near = échéance proche
mail-the-deadline-was-missed-it = Le délai de { $clock } est dépassé (échéance : { $deadline }).
mail-deadline-missed-2 = délai dépassé
mail-reminder-sent-to-the-reporter = Relance n° { $number } envoyée au déclarant.
mail-reminder-2 = relance
mail-file-s-attached-to-the = Fichier(s) joint(s) au dossier : { $count }.
mail-attachment = pièce jointe
mail-a-mail-arrived-on-the = Un courriel est arrivé sur le dossier.
mail-mail-received = courriel reçu
mail-this-message-is-sent-automatically-replies-read = Ce message est envoyé automatiquement. Vous pouvez y répondre : votre réponse sera ajoutée au dossier { $reference }. Gardez la référence dans l'objet.
page-consent-short = Accord
page-field-unnamed = Champ

## Staff sign-in (issue 30)
signin-title = Connexion du personnel
signin-with = Se connecter avec { $provider }
signin-none = Aucun fournisseur d'identité n'est configuré : la connexion se fait par clé d'API.
signin-refused-title = Connexion refusée
signin-refused-not-in-directory = Votre compte n'est pas dans l'annuaire du personnel de ce service. Demandez à un administrateur de vous y ajouter, avec l'adresse électronique que connaît votre fournisseur d'identité.
signin-refused-no-role = Vous êtes dans l'annuaire du personnel, mais aucun rôle ne vous est attribué (ni par vos groupes chez le fournisseur d'identité, ni par l'annuaire). Demandez à un administrateur de vous en donner un.
signin-refused-token = Le fournisseur d'identité n'a pas pu confirmer votre identité. Recommencez la connexion.
signin-refused-stale = Cette demande de connexion a expiré, a déjà servi ou a été commencée dans un autre navigateur. Recommencez la connexion.
signin-refused-cancelled = La connexion a été annulée ou refusée chez le fournisseur d'identité.
signin-refused-unknown-provider = Ce fournisseur d'identité n'est pas configuré.
signin-refused-unavailable = Le service de connexion est momentanément indisponible. Réessayez dans quelques minutes.
signin-refused-csrf = Ce formulaire a expiré. Rechargez la page et recommencez.
signin-again = Se connecter
me-title = Votre session
me-signed-in = Connecté(e) : { $name }
me-handle = Identifiant dans l'annuaire : { $handle }
me-role = Rôle : { $role }
me-signout = Se déconnecter
signout-title = Déconnexion
signout-done = Votre session est terminée.
