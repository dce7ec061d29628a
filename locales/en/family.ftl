# Everything a family reads. Plain, kind words; never case detail in an e-mail.

email-greeting = Dear { $name },
email-signature = From the family liaison team
email-footer = This message was sent by Liaison, the family liaison portal. Please do not reply to this email: sign in to the portal to send a message to your family liaison team.
email-open-portal = Open the portal

email-family-news-subject = There is news about your case
email-family-news-body = Your family liaison team has shared something new with you. You can read it when you are ready by signing in to the portal.

email-family-appointment-subject = An appointment has been arranged or changed
email-family-appointment-body = An appointment has been arranged or changed. Sign in to the portal to see the details, add it to your calendar, or tell us if the time does not suit you.

email-family-contact-changed-subject = Your named contact has changed
email-family-contact-changed-body = There has been a change to the people you can contact about your case. Sign in to the portal to see who to call and when.

email-family-sign-in-link-subject = Your sign-in link for the family liaison portal
email-family-sign-in-link-body = Use the link below to sign in. It works once and for { $minutes } minutes. If you did not ask for it, you can ignore this email.

email-family-invitation-subject = You have been invited to the family liaison portal
email-family-invitation-body = Your family liaison officer has invited you to a private portal where you can see how things are progressing, who to contact, and send questions. The link below works once and for { $hours } hours.
