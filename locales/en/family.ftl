# Everything a family reads. Plain, kind words; never case detail in an e-mail.

email-greeting = Dear { $name },
email-signature = From the { $force } family liaison team
email-footer = This message was sent by Liaison, the family liaison portal. Please do not reply to this email: sign in to the portal to send a message to your family liaison team.
email-footer-discreet = Please do not reply to this email.
email-open-portal = Sign in to read it when you are ready
email-use-link = Sign in
email-portal-address = The portal's address is { $portal }. You can always sign in there with your email address.

email-subject = { $force } family liaison: { $summary }
email-subject-several = { $force } family liaison: { $count } new things for you
email-subject-discreet = Something new for you to read
email-subject-several-discreet = { $count } new things for you to read

email-from-flo = Your family liaison officer, { $name },
email-from-deputy_flo = Your deputy family liaison officer, { $name },
email-from-sio = The senior investigating officer, { $name },
email-from-coordinator = The family liaison coordinator, { $name },
email-from-team = Your family liaison team

email-news-by = { $from } has shared something new with you.
email-appointment-by = { $from } has arranged or changed an appointment with you. You can say whether it suits you.
email-contact-changed-by = { $from } has made a change to who you can contact about your case.
email-several-by = { $from } has shared { $count } new things with you.
email-discreet-one = There is something new for you to read.
email-discreet-several = There are { $count } new things for you to read.

email-family-news-subject = There is news about your case
email-family-appointment-subject = An appointment has been arranged or changed
email-family-contact-changed-subject = Your named contact has changed

email-family-sign-in-link-subject = Your sign-in link for the family liaison portal
email-family-sign-in-link-body = Use the link below to sign in. It works once and for { $minutes } minutes. If you did not ask for it, you can ignore this email.

email-family-invitation-subject = You have been invited to the family liaison portal
email-family-invitation-body = { $from } has invited you to a private portal where you can see how things are progressing, who to contact, and send questions. The link below works once and for { $hours } hours.
