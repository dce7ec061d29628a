//! Notifications: the outbox, the worker that delivers it, e-mail rendering and the portal
//! inbox. A notification is written in the same transaction as the event that causes it
//! (`outbox::enqueue`), never sent from a handler. Delivery is at least once: a mail outage
//! delays mail and never loses it; a duplicate is possible only when an attempt's outcome
//! was unknown (the worker died mid-send), and carries the same Message-ID.

pub mod inbox;
pub mod mail;
pub mod outbox;
pub mod quiet;
pub mod render;
pub mod scheduler;
pub mod worker;

crate::text_enum!(
    /// What a notification is about. Each kind has its e-mail templates under
    /// `templates/email/<kind>/`.
    Kind {
        CaseAssigned => "case_assigned" / "You were assigned to a case",
        FollowUpDueSoon => "follow_up_due_soon" / "A follow-up is due soon",
        FollowUpOverdue => "follow_up_overdue" / "A follow-up is overdue",
        FamilyMessage => "family_message" / "A family sent a message",
        EscalationFollowUpOverdue => "escalation_follow_up_overdue" / "Escalation: follow-up overdue",
        EscalationMessageUnacknowledged => "escalation_message_unacknowledged" / "Escalation: family message not acknowledged",
        EscalationContactPlanGap => "escalation_contact_plan_gap" / "Escalation: contact plan missed",
        EscalationFirstContactLate => "escalation_first_contact_late" / "Escalation: first contact late",
        FamilyNews => "family_news" / "News shared with the family",
        FamilyAppointment => "family_appointment" / "An appointment for the family",
        FamilyContactChanged => "family_contact_changed" / "The family's named contact changed",
        FamilySignInLink => "family_sign_in_link" / "A sign-in link for a relative",
        FamilyInvitation => "family_invitation" / "An invitation to the family portal",
        AppointmentAnswered => "appointment_answered" / "A family answered about an appointment",
    }
);

crate::text_enum!(
    Channel {
        Email => "email" / "Email",
        Portal => "portal" / "Portal inbox",
    }
);

crate::text_enum!(
    Status {
        Pending => "pending" / "Waiting to be sent",
        Sent => "sent" / "Sent",
        Failed => "failed" / "Failed",
        Cancelled => "cancelled" / "Not sent",
    }
);

impl Kind {
    /// News for a family: waits out the notice window and is joined with the other news
    /// waiting for the same relative into one message.
    pub const NEWS: [Kind; 3] = [
        Kind::FamilyNews,
        Kind::FamilyAppointment,
        Kind::FamilyContactChanged,
    ];

    /// Notices to relatives never carry case detail and respect quiet hours.
    pub fn is_for_family(self) -> bool {
        self.as_str().starts_with("family_") && self != Kind::FamilyMessage
    }
}
