//! The closed vocabularies of casework, each stored as a text code.

crate::text_enum!(
    CaseStatus {
        Open => "open" / "Open",
        Closed => "closed" / "Closed",
    }
);

crate::text_enum!(
    /// Case progress as the family sees it, in order.
    Stage {
        FamilyLiaisonDeployed => "family_liaison_deployed" / "Family liaison deployed",
        PostMortem => "post_mortem" / "Post-mortem examination",
        Investigation => "investigation" / "Investigation",
        ChargingDecision => "charging_decision" / "Charging decision",
        CourtOrInquest => "court_or_inquest" / "Court or inquest",
        Concluded => "concluded" / "Concluded",
    }
);

crate::text_enum!(
    ContactChannel {
        Visit => "visit" / "Visit",
        Phone => "phone" / "Phone call",
        Video => "video" / "Video call",
        Email => "email" / "Email",
        Letter => "letter" / "Letter",
        PortalMessage => "portal_message" / "Portal message",
        Other => "other" / "Other",
    }
);

crate::text_enum!(
    Direction {
        Outbound => "outbound" / "We contacted the family",
        Inbound => "inbound" / "The family contacted us",
    }
);

crate::text_enum!(
    /// A staff member's role on a case (a named contact).
    AssignmentRole {
        Flo => "flo" / "Family liaison officer",
        DeputyFlo => "deputy_flo" / "Deputy family liaison officer",
        Sio => "sio" / "Senior investigating officer",
        Coordinator => "coordinator" / "Family liaison coordinator",
    }
);

crate::text_enum!(
    FollowUpStatus {
        Open => "open" / "Open",
        Done => "done" / "Done",
        Cancelled => "cancelled" / "Cancelled",
    }
);

crate::text_enum!(
    PropertyStatus {
        HeldAsEvidence => "held_as_evidence" / "Held as evidence",
        Released => "released" / "Released",
        ReturnedToFamily => "returned_to_family" / "Returned to the family",
    }
);

crate::text_enum!(
    /// A relative's access to the family portal.
    AccessState {
        NotInvited => "not_invited" / "Not invited",
        Invited => "invited" / "Invited",
        Active => "active" / "Active",
        Suspended => "suspended" / "Suspended",
    }
);

impl Stage {
    /// Position in the order of stages, from 0.
    pub fn index(self) -> usize {
        Stage::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}
