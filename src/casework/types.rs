//! The closed vocabularies of casework, each stored as a text code.

crate::text_enum!(
    CaseStatus {
        Open => "open" / "Open",
        Closed => "closed" / "Closed",
    }
);

crate::text_enum!(
    /// The six stages every case walked before case types and milestones. Kept only in the
    /// stage history, under the names it was recorded with.
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
    /// The kind of death and investigation, which decides a case's milestones.
    CaseType {
        Homicide => "homicide" / "Homicide",
        RoadDeath => "road_death" / "Road death",
        UnexplainedDeath => "unexplained_death" / "Unexplained death",
        Other => "other" / "Other",
    }
);

crate::text_enum!(
    /// A point in a case's progress. Which milestones a case has, and in what order, is its
    /// type's (`CaseType::milestones`).
    Milestone {
        FamilyLiaisonDeployed => "family_liaison_deployed" / "Family liaison deployed",
        PostMortem => "post_mortem" / "Post-mortem examination",
        SecondPostMortem => "second_post_mortem" / "Second post-mortem",
        ReleaseOfBody => "release_of_body" / "Release of the body",
        Investigation => "investigation" / "Investigation",
        Charge => "charge" / "Charge",
        FirstHearing => "first_hearing" / "First hearing",
        Trial => "trial" / "Trial",
        Verdict => "verdict" / "Verdict",
        Sentence => "sentence" / "Sentence",
        InquestOpened => "inquest_opened" / "Inquest opened",
        InquestResumed => "inquest_resumed" / "Inquest resumed",
        PreInquestReview => "pre_inquest_review" / "Pre-inquest review",
        Inquest => "inquest" / "Inquest",
        Concluded => "concluded" / "Concluded",
    }
);

crate::text_enum!(
    /// What a milestone record says: reached (with its date), not needed for this case, or
    /// needed after all (each with a reason).
    MilestoneState {
        Reached => "reached" / "Reached",
        NotNeeded => "not_needed" / "Not needed",
        Needed => "needed" / "Needed after all",
    }
);

impl CaseType {
    /// The type's milestones, in order.
    pub fn milestones(self) -> &'static [Milestone] {
        use Milestone::*;
        match self {
            CaseType::Homicide => &[
                FamilyLiaisonDeployed,
                PostMortem,
                SecondPostMortem,
                ReleaseOfBody,
                Investigation,
                Charge,
                FirstHearing,
                Trial,
                Verdict,
                Sentence,
                InquestOpened,
                InquestResumed,
                Concluded,
            ],
            CaseType::RoadDeath => &[
                FamilyLiaisonDeployed,
                PostMortem,
                ReleaseOfBody,
                Investigation,
                Charge,
                FirstHearing,
                Trial,
                Verdict,
                Sentence,
                InquestOpened,
                Inquest,
                Concluded,
            ],
            CaseType::UnexplainedDeath => &[
                FamilyLiaisonDeployed,
                PostMortem,
                ReleaseOfBody,
                Investigation,
                InquestOpened,
                PreInquestReview,
                Inquest,
                Concluded,
            ],
            CaseType::Other => &[
                FamilyLiaisonDeployed,
                PostMortem,
                ReleaseOfBody,
                Investigation,
                Charge,
                Trial,
                Verdict,
                InquestOpened,
                Inquest,
                Concluded,
            ],
        }
    }

    /// Whether `milestone` is one of this type's.
    pub fn has(self, milestone: Milestone) -> bool {
        self.milestones().contains(&milestone)
    }
}

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

crate::text_enum!(
    /// What a named contact outside the force does for the family.
    AgencyRole {
        CoronersOfficer => "coroners_officer" / "Coroner's officer",
        CpsWitnessCare => "cps_witness_care" / "Crown Prosecution Service witness care",
        HomicideSupport => "homicide_support" / "Homicide support caseworker",
        Interpreter => "interpreter" / "Interpreter",
        OtherForceFlo => "other_force_flo" / "Family liaison officer of another force",
        Other => "other" / "Other",
    }
);

crate::text_enum!(
    /// What a relative said to a referral to a support service.
    ReferralOutcome {
        Accepted => "accepted" / "Accepted",
        Declined => "declined" / "Declined",
    }
);

crate::text_enum!(
    /// A Victims' Code entitlement met for a relative.
    Entitlement {
        VpsOffered => "vps_offered" / "Victim Personal Statement explained and offered",
        VpsMade => "vps_made" / "Victim Personal Statement made",
        VpsDeclined => "vps_declined" / "Victim Personal Statement declined",
        ReviewRightExplained => "review_right_explained" / "Right to review explained",
        ComplaintRouteGiven => "complaint_route_given" / "Complaint route given",
    }
);
