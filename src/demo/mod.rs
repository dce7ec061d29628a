//! Fictional demo data: two teams, each with a manager, three officers, an administrator, and
//! six cases with relatives: an unexplained death, a road death, separated parents, and three
//! homicides of two teams linked in one operation, with agency contacts, referrals made and
//! declined and entitlements met. Every name is invented; the passwords are demo values, printed at start and
//! never to be used anywhere real. Loading is idempotent.
//!
//! `national` adds a large generated data set for trying the portal, and the dashboard in
//! particular, at the scale of a national service.

pub mod national;

use std::sync::LazyLock;

use anyhow::Context;
use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use serde::Deserialize;

use crate::accounts::{teams, users};
use crate::audit::Actor;
use crate::auth::password;
use crate::casework::milestones;
use crate::casework::time::london_date;
use crate::casework::types::{
    AgencyRole, AssignmentRole, CaseType, Entitlement, Milestone, ReferralOutcome,
};
use crate::db::schema::{
    agency_contacts, assignments, cases, contact_plans, entitlements, family_groups, messages,
    operation_cases, operations, reference_counters, referrals, relatives,
};
use crate::db::{self, DbConn};
use crate::domain::{
    CaseId, EmailAddress, FamilyGroupId, OperationId, PersonName, RelativeId, Role, TeamId,
    TeamName, UserId, new_row_id,
};
use crate::error::AppError;
use crate::notify::Kind;
use crate::notify::outbox::{self, Notice, Recipient};

pub const DEMO_DOMAIN: &str = "demo.liaison.test";

#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: Role,
    pub name: &'static str,
    pub email: String,
    /// A demo value, printed so the demo can be tried; never a real credential.
    pub password: &'static str,
}

/// The demo data, as `data.toml` states it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoData {
    teams: Vec<String>,
    users: Vec<DemoUser>,
    cases: Vec<DemoCase>,
    #[serde(default)]
    operations: Vec<DemoOperation>,
}

/// Cases linked under one name; each added by a manager of its team.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoOperation {
    name: String,
    cases: Vec<DemoMember>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoMember {
    reference: String,
    reason: String,
}

/// A contact outside the force.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoAgency {
    name: String,
    organisation: String,
    role: AgencyRole,
    phone: Option<String>,
    hours: Option<String>,
    shared_with_family: bool,
}

/// A referral to a support service, a few days after the death.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoReferral {
    organisation: String,
    outcome: ReferralOutcome,
    #[serde(default)]
    consent: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoUser {
    role: Role,
    name: String,
    local: String,
    password: String,
    /// Index into `teams`.
    team: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoCase {
    reference: String,
    deceased: String,
    died: NaiveDate,
    circumstances: String,
    /// Index into `teams`; the first when not given.
    #[serde(default)]
    team: usize,
    case_type: CaseType,
    /// The milestones of its type reached so far, in order, each a few days after the last.
    milestones: Vec<Milestone>,
    needs_language: Option<String>,
    officers: Vec<DemoOfficer>,
    relatives: Vec<DemoRelative>,
    #[serde(default)]
    agencies: Vec<DemoAgency>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoOfficer {
    /// The officer's `local` in `users`.
    local: String,
    role: AssignmentRole,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoRelative {
    name: String,
    relationship: String,
    local: String,
    language: String,
    #[serde(default)]
    point_of_contact: bool,
    /// The family group they belong to, by name; every case's first group is "Family"
    /// unless named.
    #[serde(default = "family")]
    group: String,
    /// A concern about the investigation this relative sent a day ago, acknowledged by the
    /// case's first officer and not yet answered.
    concern: Option<String>,
    referral: Option<DemoReferral>,
    /// Victims' Code entitlements met, a few days after the death.
    #[serde(default)]
    entitlements: Vec<Entitlement>,
}

fn family() -> String {
    crate::casework::groups::DEFAULT_NAME.to_owned()
}

/// The demo data, read once; `data.toml` is part of the binary, and a test reads it.
fn data() -> &'static DemoData {
    static DATA: LazyLock<DemoData> = LazyLock::new(|| {
        toml::from_str(include_str!("data.toml")).expect("src/demo/data.toml is well formed")
    });
    &DATA
}

fn email(local: &str) -> String {
    format!("{local}@{DEMO_DOMAIN}")
}

/// The demo sign-ins, whether or not they were created just now.
pub fn logins() -> Vec<DemoLogin> {
    data()
        .users
        .iter()
        .map(|u| DemoLogin {
            role: u.role,
            name: &u.name,
            email: email(&u.local),
            password: &u.password,
        })
        .collect()
}

/// Text for the console.
pub fn describe(logins: &[DemoLogin]) -> String {
    let mut out = String::from(
        "\nDemo sign-ins (fictional people; demo passwords only, never use them for real):\n",
    );
    for l in logins {
        out.push_str(&format!(
            "  {:<8} {:<32} {}\n",
            l.role.as_str(),
            l.email,
            l.password
        ));
    }
    out.push_str("Staff sign in at /staff/login.\n");
    out.push_str(&format!(
        "Relatives sign in at /family/sign-in, for example as {} or, in Welsh, {};\n\
         without an SMTP server the sign-in e-mail is written to the data directory's mail\n\
         folder, and the administrator sees it at /admin/mail.\n\n",
        email("helen.fenwick"),
        email("carys.pryce")
    ));
    out
}

fn failed(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// Loads the demo data unless it is already there.
pub fn load(conn: &mut DbConn) -> anyhow::Result<Vec<DemoLogin>> {
    if users::find_by_email(conn, &email("admin"))?.is_some() {
        return Ok(logins());
    }
    let actor = Actor::System;
    let mut team_ids: Vec<TeamId> = Vec::new();
    let data = data();
    for name in &data.teams {
        let name = TeamName::parse("team", name).map_err(failed)?;
        team_ids.push(teams::create(conn, &actor, &name).map_err(failed)?.id);
    }
    let mut user_ids: Vec<UserId> = Vec::new();
    for u in &data.users {
        let hash = password::hash(&u.password)?;
        let user = users::create(
            conn,
            &actor,
            users::NewUser {
                email: EmailAddress::parse("email", &email(&u.local)).map_err(failed)?,
                display_name: PersonName::parse("name", &u.name).map_err(failed)?,
                role: u.role,
                phone: Some("01632 960 000".to_owned()),
                password_hash: hash,
                password_change_required: false,
                teams: u.team.map(|i| team_ids[i].clone()).into_iter().collect(),
            },
        )
        .map_err(failed)?;
        user_ids.push(user.id);
    }
    let user = |local: &str| -> anyhow::Result<&UserId> {
        let i = data.users.iter().position(|u| u.local == local);
        i.map(|i| &user_ids[i])
            .ok_or_else(|| anyhow::anyhow!("demo data names no user {local}"))
    };
    // Each team's first manager opens its cases and agrees their plans.
    let manager_of = |team: usize| -> anyhow::Result<UserId> {
        let first = data
            .users
            .iter()
            .find(|u| u.role == Role::Manager && u.team == Some(team))
            .with_context(|| format!("demo team {team} has no manager"))?;
        Ok(user(&first.local)?.clone())
    };
    db::write(conn, |conn| -> anyhow::Result<()> {
        let now = db::now();
        let mut case_ids: Vec<(&str, CaseId, usize)> = Vec::new();
        for c in &data.cases {
            let id = CaseId::new();
            let manager = manager_of(c.team)?;
            case_ids.push((&c.reference, id.clone(), c.team));
            let died = c.died;
            let opened = died.and_hms_opt(9, 30, 0).context("demo time")? + Duration::hours(6);
            diesel::insert_into(cases::table)
                .values((
                    cases::id.eq(&id),
                    cases::reference.eq(&c.reference),
                    cases::team_id.eq(&team_ids[c.team]),
                    cases::deceased_name.eq(&c.deceased),
                    cases::date_of_death.eq(died),
                    cases::circumstances.eq(&c.circumstances),
                    cases::status.eq("open"),
                    cases::case_type.eq(c.case_type),
                    cases::milestone.eq(c
                        .milestones
                        .last()
                        .copied()
                        .unwrap_or(Milestone::FamilyLiaisonDeployed)),
                    cases::needs_language.eq(&c.needs_language),
                    cases::needs_interpreter.eq(false),
                    cases::opened_at.eq(opened),
                    cases::created_by.eq(&manager),
                    cases::updated_at.eq(now),
                    cases::version.eq(1_i64),
                ))
                .execute(conn)?;
            for (n, m) in c.milestones.iter().enumerate() {
                let on = (died + Duration::days(3 * n as i64)).min(london_date(now));
                milestones::insert_reached(conn, &id, *m, on, None, &manager)?;
            }
            diesel::insert_into(contact_plans::table)
                .values((
                    contact_plans::id.eq(new_row_id()),
                    contact_plans::case_id.eq(&id),
                    contact_plans::interval_hours.eq(48),
                    contact_plans::preferred_channel.eq("phone"),
                    contact_plans::preferred_hours.eq("Weekdays 10:00 to 16:00"),
                    contact_plans::agreed_on.eq(opened.date()),
                    contact_plans::reason.eq("Agreed with the family at the first visit."),
                    contact_plans::recorded_by.eq(&manager),
                    contact_plans::recorded_at.eq(now),
                ))
                .execute(conn)?;
            for o in &c.officers {
                let officer = user(&o.local)?;
                outbox::enqueue(
                    conn,
                    &Notice {
                        kind: Kind::CaseAssigned,
                        recipient: Recipient::Staff(officer.clone()),
                        case_id: Some(id.clone()),
                        cause: format!("demo-assignment:{}", c.reference),
                        payload: serde_json::json!({ "reference": c.reference, "role_label": o.role.label().to_lowercase() }),
                    },
                )?;
                diesel::insert_into(assignments::table)
                    .values((
                        assignments::id.eq(new_row_id()),
                        assignments::case_id.eq(&id),
                        assignments::user_id.eq(officer),
                        assignments::role.eq(o.role),
                        assignments::starts_at.eq(opened),
                        assignments::visible_to_family.eq(true),
                        assignments::contact_phone.eq("01632 960 123"),
                        assignments::contact_email.eq(email(&o.local)),
                        assignments::working_hours.eq("Monday to Friday, 8:00 to 18:00"),
                        assignments::created_by.eq(&manager),
                        assignments::created_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            let mut groups: Vec<(&str, FamilyGroupId)> = Vec::new();
            for r in &c.relatives {
                if groups.iter().any(|(name, _)| *name == r.group) {
                    continue;
                }
                let group = FamilyGroupId::new();
                diesel::insert_into(family_groups::table)
                    .values((
                        family_groups::id.eq(&group),
                        family_groups::case_id.eq(&id),
                        family_groups::name.eq(&r.group),
                        family_groups::created_by.eq(&manager),
                        family_groups::created_at.eq(opened),
                    ))
                    .execute(conn)?;
                groups.push((&r.group, group));
            }
            for r in &c.relatives {
                let group = groups
                    .iter()
                    .find(|(name, _)| *name == r.group)
                    .map(|g| &g.1);
                let relative_id = RelativeId::new();
                diesel::insert_into(relatives::table)
                    .values((
                        relatives::id.eq(&relative_id),
                        relatives::case_id.eq(&id),
                        relatives::family_group_id.eq(group),
                        relatives::full_name.eq(&r.name),
                        relatives::relationship.eq(&r.relationship),
                        relatives::email.eq(email(&r.local)),
                        relatives::phone.eq("07700 900 000"),
                        relatives::preferred_channel.eq("phone"),
                        relatives::language.eq(&r.language),
                        relatives::point_of_contact.eq(r.point_of_contact),
                        // The nominated point of contact has been invited, so the family
                        // portal can be tried at once (sign-in links land in the mail folder).
                        relatives::access_state.eq(if r.point_of_contact {
                            "invited"
                        } else {
                            "not_invited"
                        }),
                        relatives::notify_by_email.eq(true),
                        relatives::auth_version.eq(1_i64),
                        relatives::version.eq(1_i64),
                        relatives::created_by.eq(&manager),
                        relatives::created_at.eq(now),
                        relatives::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                if let Some(referral) = &r.referral {
                    diesel::insert_into(referrals::table)
                        .values((
                            referrals::id.eq(new_row_id()),
                            referrals::case_id.eq(&id),
                            referrals::relative_id.eq(&relative_id),
                            referrals::organisation.eq(&referral.organisation),
                            referrals::offered_on.eq(died + Duration::days(3)),
                            referrals::outcome.eq(referral.outcome),
                            referrals::consent.eq(referral.consent),
                            referrals::recorded_by.eq(&manager),
                            referrals::recorded_at.eq(now),
                        ))
                        .execute(conn)?;
                }
                for e in &r.entitlements {
                    diesel::insert_into(entitlements::table)
                        .values((
                            entitlements::id.eq(new_row_id()),
                            entitlements::case_id.eq(&id),
                            entitlements::relative_id.eq(&relative_id),
                            entitlements::entitlement.eq(*e),
                            entitlements::met_on.eq(died + Duration::days(4)),
                            entitlements::recorded_by.eq(&manager),
                            entitlements::recorded_at.eq(now),
                        ))
                        .execute(conn)?;
                }
                if let Some(concern) = &r.concern {
                    let sent = now - Duration::hours(26);
                    let flo = user(
                        &c.officers
                            .first()
                            .context("a case with a concern has an officer")?
                            .local,
                    )?;
                    diesel::insert_into(messages::table)
                        .values((
                            messages::id.eq(new_row_id()),
                            messages::case_id.eq(&id),
                            messages::from_relative_id.eq(Some(&relative_id)),
                            messages::family_group_id.eq(group),
                            messages::category.eq(Some("investigation_concern")),
                            messages::body.eq(concern),
                            messages::sent_at.eq(sent),
                            messages::acknowledged_at.eq(Some(sent + Duration::hours(1))),
                            messages::acknowledged_by.eq(Some(flo)),
                        ))
                        .execute(conn)?;
                }
            }
            for a in &c.agencies {
                diesel::insert_into(agency_contacts::table)
                    .values((
                        agency_contacts::id.eq(new_row_id()),
                        agency_contacts::case_id.eq(&id),
                        agency_contacts::name.eq(&a.name),
                        agency_contacts::organisation.eq(&a.organisation),
                        agency_contacts::role.eq(a.role),
                        agency_contacts::phone.eq(&a.phone),
                        agency_contacts::hours.eq(&a.hours),
                        agency_contacts::shared_with_family.eq(a.shared_with_family),
                        agency_contacts::added_by.eq(&manager),
                        agency_contacts::added_at.eq(now),
                    ))
                    .execute(conn)?;
            }
        }
        for o in &data.operations {
            let operation = OperationId::new();
            let first = o.cases.first().context("a demo operation has a case")?;
            let team_of = |reference: &str| -> anyhow::Result<(CaseId, usize)> {
                case_ids
                    .iter()
                    .find(|(r, _, _)| *r == reference)
                    .map(|(_, id, team)| (id.clone(), *team))
                    .with_context(|| format!("demo data has no case {reference}"))
            };
            diesel::insert_into(operations::table)
                .values((
                    operations::id.eq(&operation),
                    operations::name.eq(&o.name),
                    operations::created_by.eq(manager_of(team_of(&first.reference)?.1)?),
                    operations::created_at.eq(now),
                ))
                .execute(conn)?;
            for m in &o.cases {
                let (case, team) = team_of(&m.reference)?;
                diesel::insert_into(operation_cases::table)
                    .values((
                        operation_cases::id.eq(new_row_id()),
                        operation_cases::operation_id.eq(&operation),
                        operation_cases::case_id.eq(&case),
                        operation_cases::reason.eq(&m.reason),
                        operation_cases::added_by.eq(manager_of(team)?),
                        operation_cases::added_at.eq(now),
                    ))
                    .execute(conn)?;
            }
        }
        diesel::insert_into(reference_counters::table)
            .values((
                reference_counters::scope.eq("FL-2026"),
                reference_counters::last_value.eq(data.cases.len() as i64),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(logins())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_data_reads_and_names_only_its_own_people() {
        let d = data();
        let known = |local: &str| d.users.iter().any(|u| u.local == local);
        for c in &d.cases {
            assert!(!c.officers.is_empty(), "{} has no officer", c.reference);
            assert!(
                c.officers.iter().all(|o| known(&o.local)),
                "{}",
                c.reference
            );
            assert!(
                c.relatives.iter().any(|r| r.point_of_contact),
                "{}",
                c.reference
            );
        }
        assert!(d.users.iter().any(|u| u.role == Role::Manager));
        assert!(
            d.users
                .iter()
                .all(|u| u.team.is_none_or(|t| t < d.teams.len()))
        );
    }
}
