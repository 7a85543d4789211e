# The words of ticketd in English: public pages and mails.
# An operator replaces a message by defining it again, under the same id, in the file named by
# wording.en in the configuration.

## The domain's words, once for pages and mails.
## Selectors carry the enum's name as the API writes it.

state = { $state ->
    [new] Received
    [acknowledged] Taken in hand
    [in_progress] In progress
    [waiting_reporter] Waiting for the reporter's answer
    [resolved] Resolution proposed
    [closed] Closed
   *[cancelled] Cancelled
}
# What the state means to the person who reported (tracking page).
state-explained = { $state ->
    [new] Your report was received. The security team will examine it.
    [acknowledged] The security team has taken your report in hand.
    [in_progress] The security team is examining your report.
    [waiting_reporter] We need information from you: answer below.
    [resolved] We believe your report has been dealt with. Tell us whether it is.
    [closed] Your case is closed.
   *[cancelled] This case was cancelled.
}
closure-reason = { $reason ->
    [resolved_confirmed] the problem is solved and the reporter confirmed the resolution
    [mutual_agreement] the ticket is closed by mutual agreement, without a resolution
    [reporter_unresponsive] we received no answer to our question despite our reminder
   *[resolved_by_operator] our teams solved the problem and the reporter was notified of the resolution
}
closure-reason-line = Reason: { closure-reason }.
kind = { $kind ->
    [incident] incident
    [partner_usurpation] impersonation of a partner
    [user_usurpation] identity theft of a user
   *[support_request] support request
}
priority = { $level } – { $priority ->
    [critique] critical
    [majeure] major
    [normale] normal
    [mineure] minor
   *[info] information
}
tier = { $tier ->
    [agent] support (level 2)
    [engineer] engineering (level 3)
    [security] security team
   *[supervisor] supervisor
}
owner = { $owner ->
    [production_lead] production lead
    [product_lead] product lead
    [partner_relations_lead] partner-relations lead
   *[supervisor] supervisor
}
clock = { $clock ->
    [acknowledgement] acknowledgement
   *[handling] handling
}
vector = { $vector ->
    [phishing_site] phishing site imitating the service
    [leaked_client_secret] leaked client secret
    [leaked_authorization_codes] leaked authorisation codes
    [forged_tokens] forged tokens
   *[other] other means
}
concerned-role = { $role ->
    [identity_provider] identity provider holding the user's account
    [service_provider] service provider the impostor accessed
   *[impersonated_partner] impersonated partner
}
link = { $link ->
    [same_session] same authentication session
    [follow_up_of] follow-up of a closed ticket
    [followed_up_by] followed up by a new ticket
   *[duplicate_of] duplicate
}
actor-partner = partner (key "{ $key }")
actor-reporter = the reporter
actor-system = the service (automatic)
yes = yes
no = no
instant = { $day } at { $time } (Paris time)
# Who answers (foot of pages and mails).
operator-signature = The { $operator } support team

## Public pages

page-site = Identity theft reporting
page-skip = Skip to content
page-other-language = Français
page-form-title = Report identity theft
page-form-intro = Did you get a sign-in alert you don't recognise, or did someone use your identity to access a service? Tell us what happened: the security team will examine your report and keep you informed.
page-required-note = Fields marked “required” must be filled in.
page-required = required
page-optional = optional
page-error-summary = { $count ->
    [one] There is 1 problem with the form
   *[other] There are { $count } problems with the form
}
page-error-prefix = Error:
page-connection-legend = The suspicious sign-in
page-session-label = Session or event identifier
page-session-hint = It is in the alert email, in the form 0191e2a4-5b6c-7d8e-9f00-112233445566.
page-connection-label = Date of the suspicious sign-in
page-connection-hint = No more than { $months } months ago: older sign-in traces no longer exist. Format: 2026-11-20.
page-idp-label = Identity account used
page-idp-unknown = I don't know
page-sp-legend = Services accessed in your name
page-sp-hint = Tick the ones you know.
page-identity-legend = Your birth identity
page-identity-hint = As on your birth certificate: it lets us find the sign-ins made in your name.
page-birth-names-label = Birth name(s)
page-first-names-label = First name(s)
page-birth-date-label = Date of birth
page-date-hint = Format: 1980-04-12.
page-birth-place-label = Place of birth
page-birth-place-hint = Town, and country if you were born abroad.
page-contact-legend = How to reach you
page-email-label = Email address
page-email-hint = We send your case reference and a private tracking link there.
page-phone-label = Phone
page-description-label = What happened
page-description-hint = What you noticed, when, and what you have already done.
page-consent-label = I agree that the information in this form is used to examine my report and passed to the organisations concerned.
page-honeypot-label = Do not fill in this field
page-submit = Send the report
page-confirmation-title = Your report is registered
page-reference-label = Your case reference
page-keep-link = Keep this private link: it lets you follow your case, add information and confirm its resolution. Do not share it.
page-mail-sent = A confirmation email with this information was sent to you.
page-next-steps-title = What to do now
page-advice-passwords-title = Change your passwords
page-advice-passwords = Start with your email account, then your identity provider's account, then the services that use the same password. Choose long passwords, a different one for each account.
page-advice-account-title = Secure your identity account
page-advice-account = Check your account's recent activity, turn on two-step verification if it is offered, and contact your identity provider if you can no longer sign in.
page-advice-complaint-title = File a complaint
page-advice-complaint = You can file an online pre-complaint (pré-plainte en ligne), report an online scam on the THESEE platform, or file a complaint at a police or gendarmerie station. Keep this case reference: it will help.
page-advice-court = The competent court is the tribunal judiciaire of the place where you live.
page-follow-link = Follow my case
page-tracking-title = Tracking your report
page-state-label = Where your case stands
page-history-title = History
page-add-info-title = Add to your report
page-add-info-label = Your message
page-add-info-hint = Anything useful: a new alert, steps you took, an answer to our question.
page-add-info-submit = Send
page-resolution-title = Is your case resolved?
page-confirm-submit = Yes, it is resolved
page-reject-label = If not, tell us what is wrong
page-reject-submit = No, it is not resolved
page-notice-added = Your message was added to your case.
page-notice-confirmed = Thank you: you confirmed the resolution.
page-notice-rejected = Your case was reopened: the team is working on it again.
page-notice-conflict = Your case changed in the meantime: check where it stands below, then try again if needed.
page-you = You
page-team = The team
page-not-found-title = Case not found
page-not-found = This tracking link does not exist or is no longer valid. Check that it is complete, as in the email you received.
page-refused-title = Submission refused
page-refused = Your submission could not be accepted. Go back to the form, then send it again.
page-expired = The form expired. Your information is kept below: send it again.
page-too-many-title = Too many submissions
page-too-many = Too many reports were sent from this connection or for this email address. Try again in { $minutes ->
        [one] 1 minute
       *[other] { $minutes } minutes
    }. If it is urgent, contact support.
page-too-large-title = Submission too large
page-too-large = The text sent is too long. Shorten the description and try again.
page-unavailable-title = Service temporarily unavailable
page-unavailable = Your report could not be registered. Try again in a few minutes.
page-back-to-form = Back to the form
page-files-label = Files
page-files-hint = For example the alert message you received or a screenshot: up to { $max } files (images, PDF, text, .eml message, office documents).
page-files-add = Add files
page-files-submit = Send the files
page-size-kb = { $size } KB
page-notice-files = Your files were attached to the case.
# The message of a field's error: { $field } is the field's name, { $rule } the broken rule.
page-field-error = { $field ->
    [files] { $rule ->
        [too_large] A file is too large: make it smaller or send another one
        [too_many] Send at most { $max } files at once
        [type] A file is not of an accepted type: images, PDF, text, .eml message or office document
       *[other] Choose at least one file that is not empty
    }
    [consent] Give your agreement so that your report can be processed
    [email] { $rule ->
        [email] Enter a valid email address, like name@example.com
       *[other] { page-rule-error }
    }
    [phone] Enter a valid phone number, like +33 6 12 34 56 78
    [session_id] The identifier must look like 0191e2a4-5b6c-7d8e-9f00-112233445566
    [connection_date] { $rule ->
        [within_trace_retention] The date must be within the last { $months } months: older sign-in traces no longer exist
       *[other] { page-rule-error }
    }
   *[other] { page-rule-error }
}
page-rule-error = { $rule ->
    [not_in_future] The date cannot be in the future
    [format] Enter a real date, like 1980-04-12
    [plausible] Enter a real date, like 1980-04-12
    [registered_organisation] Choose from the list
    [max_length] This text is too long
   *[other] This field is required
}
# One line of the error summary: the field's name, then what is wrong.
page-error-summary-item = { $label }: { $message }
page-tracking-files-label = Files attached
page-reason-label = Why it is refused
page-history-created = Report received.
page-history-acknowledged = Report taken in hand by the security team.
page-history-question = Question: { $text }
page-history-resolved = Proposed resolution: { $text }
page-history-confirmed = Identity theft confirmed: the organisations concerned were told.
page-history-unfounded = Report found unfounded: { $text }
page-history-resolution-confirmed = Resolution confirmed.
page-history-resolution-rejected = Not resolved: { $text }
page-history-closed = Case closed.
page-history-reopened = Case reopened.
page-history-reminder = Reminder sent: we are waiting for your answer.
page-history-cancelled = Case cancelled.
page-history-files = { $count ->
    [one] 1 file attached.
   *[other] { $count } files attached.
}
# When to expect an answer: the targets come from the operator's policy.
page-answer-expected = The security team takes each report in hand within { $hours ->
    [one] 1 hour
   *[other] { $hours } hours
  }, nights and weekends included, and aims to have dealt with it within { $days ->
    [one] 1 working day
   *[other] { $days } working days
  }. It writes to you at each step.
page-complaint-links-title = To file a complaint online
page-link-pre-complaint = Online pre-complaint (pré-plainte en ligne, official site of the Ministry of the Interior)
page-link-thesee = THESEE: online complaint for an internet scam
page-operator-title = Who handles your report
page-operator = This service is run by { $operator }.
page-operator-address = Postal address: { $address }
page-privacy-link = How your personal data is protected
page-retention = The personal data of a closed case is anonymised { $months } months after it is closed.
page-external-link = (external site)

## Mails

mail-hello = Hello,
mail-the-identity-federation-support-team = The identity federation support team
mail-this-message-is-sent-automatically = This message is sent automatically: please do not reply to it. Quote the reference { $reference } whenever you contact us.
mail-automatic-message-from-ticketd-replies = Automatic message from ticketd: replies to it are not read; the ticket is handled in ticketd.
mail-on-your-private-tracking-page = on your private tracking page (its link is in the acknowledgement of your report)
mail-through-the-partner-api-on = through the partner API, on ticket { $reference }
mail-reference = Reference
mail-subject = Subject
mail-kind = Kind
mail-priority = Priority
mail-state = State
mail-we-have-received-your-report = We have received your report. It is registered under the reference { $reference }: please quote it whenever you contact us.
mail-received-on = Received on
mail-the-federation-s-security-team = The federation's security team will analyse it as a priority. We will keep you informed by email of every step.
mail-our-team-will-look-into = Our team will look into it and keep you informed by email of every step.
mail-follow-your-report-and-answer = Follow your report and answer our questions on your private tracking page:
mail-this-link-is-personal-do = This link is personal: do not share it. It will not be sent again, so keep this message.
mail-you-can-follow-this-ticket = You can follow this ticket and answer on it through the partner API.
mail-acknowledgement-of-receipt = Acknowledgement of receipt: { $title }
mail-to-move-forward-with-your = To move forward with your report { $reference }, we need some information from you:
mail-please-answer-work-on-the = Please answer { $place }. Work on the ticket is paused until you answer.
mail-a-question-about-your-report = A question about your report: { $title }
mail-our-team-has-answered-on = Our team has answered on your report { $reference }:
mail-you-can-answer = You can answer { $place }.
mail-reply-to-your-report = Reply to your report: { $title }
mail-the-reporter-says-the-resolution = The reporter says the resolution of ticket { $reference }, assigned to you, does not fix the problem.
mail-the-reporter-has-answered-on = The reporter has answered on ticket { $reference }, assigned to you.
mail-their-answer-can-be-read = Their answer can be read in ticketd.
mail-the-reporter-answered = The reporter answered: { $title }
mail-we-consider-your-report-resolved = We consider your report { $reference } resolved:
mail-please-confirm-that-the-problem = Please confirm that the problem is solved, or tell us that it persists, { $place }.
mail-your-confirmation-lets-us-close = Your confirmation lets us close the ticket; if the problem persists, we resume work on it.
mail-resolved-please-confirm = Resolved, please confirm: { $title }
mail-your-report-is-closed = Your report { $reference } is closed.
mail-reason = Reason: { $reason }.
mail-details = Details:
mail-if-the-problem-comes-back = If the problem comes back shortly, you can ask for the ticket to be reopened { $place }; after that, make a new report quoting the reference { $reference }.
mail-report-closed = Report closed: { $title }
mail-another-ticket = another ticket
mail-your-report-is-about-the = Your report { $reference } is about the same matter as a ticket already open: { $other }. It was closed as a duplicate; the matter is followed in ticket { $other }.
mail-duplicate-of = Duplicate of { $other }: { $title }
mail-we-are-still-waiting-for = We are still waiting for your answer to our question about report { $reference }:
mail-please-answer-without-an-answer = Please answer { $place }. Without an answer from you, the ticket may be closed.
mail-reminder = Reminder
mail-reminder-your-answer-is-awaited = Reminder, your answer is awaited: { $title }
mail-the-federation-s-security-team-2 = The federation's security team has analysed your report { $reference }. It found no identity theft, for the following reason:
mail-if-you-disagree-or-have = If you disagree or have new information, tell us { $place }: the ticket will be looked at again.
mail-outcome-of-the-analysis-of = Outcome of the analysis of your report
mail-the-identity-federation-s-security = The identity federation's security team has confirmed that your identity was used by someone else to sign in to online services (ticket { $reference }). The identity provider holding your account and the services concerned have been told.
mail-suspicious-sign-in = Suspicious sign-in
mail-here-is-what-we-advise = Here is what we advise you to do now.
mail-1-change-your-passwords = 1. Change your passwords
mail-start-with-your-email-account = Start with your email account: it is how all your other accounts can be reset.
mail-then-change-the-password-of = Then change the password of your identity provider's account, the one you use to sign in to online services.
mail-finally-change-it-on-any = Finally change it on any other account where you used the same password. Choose a long, different password for each account; a password manager helps remember them.
mail-2-secure-your-identity-account = 2. Secure your identity account
mail-check-your-account-s-recent = Check your account's recent activity (sign-in history, procedures carried out) and note anything you do not recognise.
mail-turn-on-2-step-verification = Turn on 2-step verification (code by text message, app or security key) wherever it is offered, starting with your email and your identity provider.
mail-check-that-your-email-address = Check that your email address, phone number and postal address have not been changed.
mail-contact-your-identity-provider-s = Contact your identity provider's support to report the theft and have your account secured.
mail-if-bank-details-may-have = If bank details may have been used, tell your bank straight away.
mail-3-file-a-complaint = 3. File a complaint
mail-identity-theft-is-an-offence = Identity theft is an offence under French law (article 226-4-1 of the code pénal). You can file a complaint:
mail-online-the-online-pre-complaint = online: the online pre-complaint service (pré-plainte en ligne, www.pre-plainte-en-ligne.gouv.fr) lets you declare the facts and then sign your complaint at an appointment; if the theft was used for an online fraud (purchase, payment, transfer), the THESEE online complaint service, reached from www.service-public.fr, lets you file the complaint entirely online;
mail-at-any-police-station-commissariat = at any police station (commissariat) or gendarmerie, which must register your complaint;
mail-by-letter-to-the-public = by letter to the public prosecutor (procureur de la République) of the competent court, the tribunal judiciaire: as a general rule, the one for the town where you live, where you suffered the offence. The court directory (www.justice.fr) gives the tribunal judiciaire for your town.
mail-for-your-complaint-gather-the = For your complaint, gather the evidence: the reference { $reference } of this ticket, the date of the suspicious sign-in, the alert emails or text messages you received, screenshots of the procedures you do not recognise.
mail-you-will-also-find-advice = You will also find advice and help on www.cybermalveillance.gouv.fr.
mail-theft-of-your-identity-what = Theft of your identity: what to do now
mail-ticket-which-concerns-your-organisation = Ticket { $reference }, which concerns your organisation, has changed:
mail-you-receive-this-message-because = You receive this message because this priority 1 or 2 ticket concerns your organisation. You can follow it through the partner API.
mail-update = Update, { $label }: { $title }
mail-the-identity-federation-s-security-2 = The identity federation's security team has confirmed the theft of a user's identity (ticket { $reference }).
mail-your-organisation = Your organisation
mail-session-or-event-identifier = Session or event identifier
mail-we-ask-you-to = We ask you to:
mail-check-the-activity-of-the = check the activity of the account concerned and secure it (reset its authentication means, end its open sessions);
mail-check-what-was-done-during = check what was done during this session and, where needed, cancel or block it;
mail-write-to-the-security-team = write to the security team ({ $security }) quoting the reference { $reference } for any further information, or to tell us what you found.
mail-confirmed-identity-theft-action-required = Confirmed identity theft, action required
mail-the-identity-federation-s-teams = The identity federation's teams have detected an impersonation of your organisation (ticket { $reference }):
mail-means-observed = Means observed
mail-revoke-and-replace-straight-away = revoke and replace straight away any credentials that may be compromised (client secret, keys, codes);
mail-warn-your-users-if-a = warn your users if a fraudulent site imitates your service;
mail-write-to-the-security-team-2 = write to the security team ({ $security }) quoting the reference { $reference } to tell us what you did or found.
mail-impersonation-of-your-organisation-detected = Impersonation of your organisation detected, action required
mail-a-new-report-has-been = A new report has been registered:
mail-handled-by = Handled by
mail-reporter = Reporter
mail-service = Service
mail-started = Started
mail-security-incident = Security incident
mail-proposed-priority = Proposed priority
mail-new-report-priority = New report ({ $kind }, priority { $level }): { $title }
mail-event-on-security-ticket = Event on security ticket { $reference }:
mail-by = By
mail-on = On
mail-security = Security, { $label }: { $title }
mail-the-partner = the partner
mail-the-reporter = the reporter
mail-the-service = the service
mail-a-reply-arrived-by-e = A reply arrived by e-mail on ticket { $reference } ({ $who }). It is in the ticket's history.
mail-a-reply-arrived = A reply arrived: { $title }
mail-reminder-undeliverable-body = The reminder sent to the reporter of ticket { $reference } could not be delivered. The ticket will not be closed automatically until a reminder reaches them: contact them another way.
mail-reminder-undeliverable = Reminder not delivered: { $title }
mail-you-receive-this-message-as = You receive this message as { $owner }, the designated owner for priority { $priority }.
mail-priority-2 = Priority { $level }, { $label }: { $title }
mail-ticket-has-been-escalated-to = Ticket { $reference } has been escalated to: { $to_words }.
mail-escalation = Escalation
mail-cause = Cause
mail-deadline-missed = { $clock } deadline missed
mail-escalated-by-staff = escalated by staff
mail-you-receive-this-message-as-2 = You receive this message as { $owner }, the designated owner for priority { $priority } or for escalations.
mail-escalated-priority-to = Escalated (priority { $level }) to { $to_words }: { $title }
mail-a-partner = a partner
mail-a-user-public-form = a user (public form)
mail-staff = staff ({ $handle })
mail-new-report = New report.
mail-new-report-2 = new report
mail-the-report-was-acknowledged = The report was acknowledged.
mail-acknowledged = acknowledged
mail-assigned-to = Assigned to { $assignee }.
mail-assigned = assigned
mail-priority-changed = Priority changed: { $from } → { $to }.
mail-priority-changed-2 = priority changed
mail-internal-note = Internal note:
mail-new-comment = New comment:
mail-comment = comment
mail-escalated = Escalated: { $from } → { $to }.
mail-cause-deadline-missed = Cause: { $clock } deadline missed.
mail-escalation-2 = escalation
mail-question-asked-to-the-reporter = Question asked to the reporter:
mail-question-to-the-reporter = question to the reporter
mail-the-reporter-answered-2 = The reporter answered:
mail-reporter-s-answer = reporter's answer
mail-the-ticket-is-resolved = The ticket is resolved:
mail-resolved = resolved
mail-the-reporter-confirmed-the-resolution = The reporter confirmed the resolution.
mail-resolution-confirmed = resolution confirmed
mail-the-reporter-says-the-problem = The reporter says the problem persists:
mail-resolution-rejected = resolution rejected
mail-the-theft-is-confirmed-the = The theft is confirmed: the organisations concerned are told and the victim gets our advice.
mail-theft-confirmed = theft confirmed
mail-the-report-is-found-unfounded = The report is found unfounded:
mail-report-unfounded = report unfounded
mail-organisation-concerned-notified = Organisation concerned notified ({ $role }).
mail-organisation-notified = organisation notified
mail-an-organisation-found-during-the = An organisation found during the investigation is concerned ({ $role }).
mail-organisation-concerned = organisation concerned
mail-a-message-was-accepted-by = A message was accepted by the mail server.
mail-message-delivered = message delivered
mail-the-compromised-credentials-are-revoked = The compromised credentials are revoked:
mail-credentials-revoked = credentials revoked
mail-the-security-team-waived-the = The security team waived the revocation of the credentials in writing:
mail-revocation-waived = revocation waived
mail-ticket-closed = Ticket closed: { $reason }.
mail-closed = closed
mail-ticket-reopened = Ticket reopened:
mail-reopened = reopened
mail-ticket-cancelled-spam = Ticket cancelled (spam).
mail-ticket-cancelled-duplicate-of-another = Ticket cancelled: duplicate of another ticket.
mail-cancelled = cancelled
mail-linked-to-another-ticket = Linked to another ticket ({ $link }).
mail-linked = linked
mail-the-deadline-is-near = The { $clock } deadline is near: { $deadline }.
mail-deadline-near = deadline near
mail-the-deadline-was-missed-it = The { $clock } deadline was missed (it was { $deadline }).
mail-deadline-missed-2 = deadline missed
mail-reminder-sent-to-the-reporter = Reminder { $number } sent to the reporter.
mail-reminder-2 = reminder
mail-file-s-attached-to-the = File(s) attached to the ticket: { $count }.
mail-attachment = attachment
mail-a-mail-arrived-on-the = A mail arrived on the ticket.
mail-mail-received = mail received
mail-this-message-is-sent-automatically-replies-read = This message is sent automatically. You can reply to it: your answer will be added to ticket { $reference }. Keep the reference in the subject.
page-consent-short = Consent
page-field-unnamed = Field

## Staff sign-in (issue 30)
signin-title = Staff sign-in
signin-with = Sign in with { $provider }
signin-none = No identity provider is configured: staff use API keys.
signin-refused-title = Sign-in refused
signin-refused-not-in-directory = Your account is not in this service's staff directory. Ask an administrator to add you, with the email address your identity provider knows.
signin-refused-no-role = You are in the staff directory, but no role is given to you (neither by your groups at the identity provider nor by the directory). Ask an administrator to give you one.
signin-refused-token = The identity provider could not confirm who you are. Sign in again.
signin-refused-stale = This sign-in request expired, was already used, or was started in another browser. Sign in again.
signin-refused-cancelled = The sign-in was cancelled or refused at the identity provider.
signin-refused-unknown-provider = This identity provider is not configured.
signin-refused-unavailable = Sign-in is unavailable for a moment. Try again in a few minutes.
signin-refused-csrf = This form expired. Reload the page and try again.
signin-again = Sign in
me-title = Your session
me-signed-in = Signed in: { $name }
me-handle = Handle in the directory: { $handle }
me-role = Role: { $role }
me-signout = Sign out
signout-title = Signed out
signout-done = Your session has ended.
