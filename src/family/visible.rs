//! Every table and column a relative can see, and which family view a change to it touches.
//! The `view_changes` triggers (both engines' migrations) must fire for exactly these, so
//! that the family's pages kept in memory (`family::cache`) are forgotten when they change;
//! `tests/it/family_visible.rs` checks the triggers of the running database against this list,
//! and checks that `family::portal` and `family::messages` read no column that is not on it.
//! A new column a family can see goes here, in a trigger on each engine, and in the page.

/// Whose view a change touches: the case's (`c:<case id>`), one relative's (`r:<relative id>`),
/// or every family's (`*`, a staff member's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Case,
    Relative,
    All,
}

impl Scope {
    /// The word the triggers' names use (`relatives_view_case_update`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Case => "case",
            Scope::Relative => "relative",
            Scope::All => "all",
        }
    }
}

/// One watched table for one scope.
#[derive(Debug, Clone, Copy)]
pub struct Watched {
    pub table: &'static str,
    pub scope: Scope,
    /// A new row or a removed one changes the view (false where rows are never added or
    /// removed in a way a family sees, such as a case's own row).
    pub inserts_and_deletes: bool,
    /// The columns whose change matters; `None`: any column.
    pub update_of: Option<&'static [&'static str]>,
}

const RELATIVE_COLUMNS: &[&str] = &[
    "case_id",
    "full_name",
    "relationship",
    "email",
    "phone",
    "address",
    "preferred_channel",
    "language",
    "point_of_contact",
    "access_state",
    "suspended_reason",
    "suspended_at",
    "suspended_by",
    "notify_by_email",
    "quiet_hours_start",
    "quiet_hours_end",
    "auth_version",
    "version",
    "family_group_id",
    "restricted_at",
];

/// A table where every new row, removed row and change matters.
const fn all(table: &'static str, scope: Scope) -> Watched {
    Watched {
        table,
        scope,
        inserts_and_deletes: true,
        update_of: None,
    }
}

/// A table where every new and removed row matters, but a change only to one of `columns`.
const fn rows_and(table: &'static str, scope: Scope, columns: &'static [&'static str]) -> Watched {
    Watched {
        table,
        scope,
        inserts_and_deletes: true,
        update_of: Some(columns),
    }
}

pub const WATCHED: &[Watched] = &[
    Watched {
        table: "cases",
        scope: Scope::Case,
        inserts_and_deletes: false,
        update_of: Some(&[
            "reference",
            "deceased_name",
            "status",
            "case_type",
            "milestone",
        ]),
    },
    all("case_milestones", Scope::Case),
    all("agency_contacts", Scope::Case),
    all("referrals", Scope::Relative),
    all("case_updates", Scope::Case),
    all("update_groups", Scope::Case),
    all("exit_plans", Scope::Case),
    all("assignments", Scope::Case),
    rows_and("relatives", Scope::Relative, RELATIVE_COLUMNS),
    rows_and("relatives", Scope::Case, RELATIVE_COLUMNS),
    all("contacts", Scope::Case),
    all("contact_amendments", Scope::Case),
    all("follow_ups", Scope::Case),
    all("update_reads", Scope::Relative),
    all("messages", Scope::Case),
    all("message_reads", Scope::Relative),
    all("property_items", Scope::Case),
    rows_and(
        "notifications",
        Scope::Relative,
        &[
            "recipient_relative_id",
            "channel",
            "status",
            "payload",
            "read_at",
        ],
    ),
    rows_and(
        "sessions",
        Scope::Relative,
        &[
            "relative_id",
            "client",
            "persistent",
            "last_seen_at",
            "expires_at",
            "revoked_at",
            "revoked_reason",
        ],
    ),
    Watched {
        table: "users",
        scope: Scope::All,
        inserts_and_deletes: false,
        update_of: Some(&["display_name"]),
    },
];

/// Whether a change to `table.column` is watched for some family view. A row's `id` never
/// changes (a different id is another row), so reading it needs only the table watched.
pub fn watches(table: &str, column: &str) -> bool {
    WATCHED.iter().any(|w| {
        w.table == table
            && (column == "id" || w.update_of.is_none_or(|columns| columns.contains(&column)))
    })
}
