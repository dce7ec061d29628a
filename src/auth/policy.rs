//! The authorization policy: one table of what each role may do. Anything not listed is
//! denied. Case-level rules (which cases a caller may see) live with the case queries, which
//! are always scoped by the caller; this module answers the role-level question.

use crate::domain::Role;

/// A role-level capability a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Sign in to the staff side and see one's own home and account.
    StaffPortal,
    /// Work on cases one may see: contacts, follow-ups, updates, messages, relatives, property.
    Casework,
    /// Manager-only casework: assign officers, close cases, set contact plans, link cases,
    /// see timeliness dashboards.
    ManageCases,
    /// Accounts, teams and settings. Never case content.
    Administer,
    /// Read the audit log.
    ReadAuditLog,
}

impl Capability {
    pub fn name(self) -> &'static str {
        match self {
            Capability::StaffPortal => "staff_portal",
            Capability::Casework => "casework",
            Capability::ManageCases => "manage_cases",
            Capability::Administer => "administer",
            Capability::ReadAuditLog => "read_audit_log",
        }
    }
}

/// Whether `role` holds `capability`. Deny by default: every grant is listed here.
pub fn allows(role: Role, capability: Capability) -> bool {
    use Capability::*;
    use Role::*;
    matches!(
        (role, capability),
        (Officer | Manager | Admin, StaffPortal)
            | (Officer | Manager, Casework)
            | (Manager, ManageCases)
            | (Admin, Administer)
            | (Admin, ReadAuditLog)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_never_get_case_content_and_officers_never_administer() {
        assert!(!allows(Role::Admin, Capability::Casework));
        assert!(!allows(Role::Admin, Capability::ManageCases));
        assert!(!allows(Role::Officer, Capability::Administer));
        assert!(!allows(Role::Officer, Capability::ManageCases));
        assert!(!allows(Role::Manager, Capability::Administer));
        assert!(!allows(Role::Manager, Capability::ReadAuditLog));
        assert!(allows(Role::Manager, Capability::Casework));
        assert!(allows(Role::Officer, Capability::Casework));
        assert!(allows(Role::Admin, Capability::Administer));
    }
}
