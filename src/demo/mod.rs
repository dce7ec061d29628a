//! Fictional demo data: two teams, two officers, a manager, an administrator, and three cases
//! with relatives. Every name is invented; the passwords are demo values, printed at start and
//! never to be used anywhere real. Loading is idempotent.
//!
//! `national` adds a large generated data set for trying the portal, and the dashboard in
//! particular, at the scale of a national service.

pub mod national;

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;

use crate::accounts::{teams, users};
use crate::audit::Actor;
use crate::auth::password;
use crate::casework::record::record_stage;
use crate::casework::types::Stage;
use crate::db::schema::{
    assignments, cases, contact_plans, messages, reference_counters, relatives,
};
use crate::db::{self, DbConn};
use crate::domain::{
    CaseId, EmailAddress, PersonName, RelativeId, Role, TeamId, TeamName, UserId, new_row_id,
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

struct DemoUser {
    role: Role,
    name: &'static str,
    local: &'static str,
    password: &'static str,
    team: Option<usize>,
}

const TEAMS: &[&str] = &[
    "Riverside Family Liaison Unit",
    "Hillcrest Family Liaison Unit",
];

const USERS: &[DemoUser] = &[
    DemoUser {
        role: Role::Admin,
        name: "Morgan Ellery",
        local: "admin",
        password: "demo-admin-password",
        team: None,
    },
    DemoUser {
        role: Role::Manager,
        name: "Ruth Calloway",
        local: "manager",
        password: "demo-manager-password",
        team: Some(0),
    },
    DemoUser {
        role: Role::Officer,
        name: "Priya Marsh",
        local: "officer",
        password: "demo-officer-password",
        team: Some(0),
    },
    DemoUser {
        role: Role::Officer,
        name: "Tom Aldine",
        local: "officer2",
        password: "demo-officer2-password",
        team: Some(0),
    },
];

struct DemoCase {
    reference: &'static str,
    deceased: &'static str,
    died: (i32, u32, u32),
    circumstances: &'static str,
    stage: Stage,
    /// (officer index in USERS, role)
    officers: &'static [(usize, &'static str)],
    relatives: &'static [(&'static str, &'static str, &'static str, &'static str, bool)],
}

const CASES: &[DemoCase] = &[
    DemoCase {
        reference: "FL-2026-00001",
        deceased: "Daniel Fenwick",
        died: (2026, 10, 30),
        circumstances: "Demo data. Found at home after a neighbour raised concern; death treated as unexplained.",
        stage: Stage::Investigation,
        officers: &[(2, "flo"), (3, "deputy_flo")],
        relatives: &[
            ("Helen Fenwick", "mother", "helen.fenwick", "en", true),
            ("Joe Fenwick", "brother", "joe.fenwick", "en", false),
        ],
    },
    DemoCase {
        reference: "FL-2026-00002",
        deceased: "Aled Pryce",
        died: (2026, 11, 8),
        circumstances: "Demo data. Collision on a rural road; the driver did not stop.",
        stage: Stage::PostMortem,
        officers: &[(3, "flo")],
        relatives: &[("Carys Pryce", "wife", "carys.pryce", "cy", true)],
    },
    DemoCase {
        reference: "FL-2026-00003",
        deceased: "Grace Oyelaran",
        died: (2026, 11, 17),
        circumstances: "Demo data. Fell from a balcony; circumstances under investigation.",
        stage: Stage::FamilyLiaisonDeployed,
        officers: &[(2, "flo")],
        relatives: &[
            ("Samuel Oyelaran", "father", "samuel.oyelaran", "en", true),
            ("Ruth Oyelaran", "mother", "ruth.oyelaran", "en", false),
        ],
    },
];

fn email(local: &str) -> String {
    format!("{local}@{DEMO_DOMAIN}")
}

/// The demo sign-ins, whether or not they were created just now.
pub fn logins() -> Vec<DemoLogin> {
    USERS
        .iter()
        .map(|u| DemoLogin {
            role: u.role,
            name: u.name,
            email: email(u.local),
            password: u.password,
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
    for name in TEAMS {
        let name = TeamName::parse("team", name).map_err(failed)?;
        team_ids.push(teams::create(conn, &actor, &name).map_err(failed)?.id);
    }
    let mut user_ids: Vec<UserId> = Vec::new();
    for u in USERS {
        let hash = password::hash(u.password)?;
        let user = users::create(
            conn,
            &actor,
            users::NewUser {
                email: EmailAddress::parse("email", &email(u.local)).map_err(failed)?,
                display_name: PersonName::parse("name", u.name).map_err(failed)?,
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
    let manager = user_ids[1].clone();
    db::write(conn, |conn| -> anyhow::Result<()> {
        let now = db::now();
        for (i, c) in CASES.iter().enumerate() {
            let id = CaseId::new();
            let died = NaiveDate::from_ymd_opt(c.died.0, c.died.1, c.died.2).context_date()?;
            let opened = died.and_hms_opt(9, 30, 0).context_date()? + Duration::hours(6);
            diesel::insert_into(cases::table)
                .values((
                    cases::id.eq(&id),
                    cases::reference.eq(c.reference),
                    cases::team_id.eq(&team_ids[0]),
                    cases::deceased_name.eq(c.deceased),
                    cases::date_of_death.eq(died),
                    cases::circumstances.eq(c.circumstances),
                    cases::status.eq("open"),
                    cases::stage.eq(c.stage),
                    cases::needs_language.eq(if i == 1 { Some("Welsh") } else { None }),
                    cases::needs_interpreter.eq(false),
                    cases::opened_at.eq(opened),
                    cases::created_by.eq(&manager),
                    cases::updated_at.eq(now),
                    cases::version.eq(1_i64),
                ))
                .execute(conn)?;
            record_stage(conn, &id, c.stage, opened, None, &manager, now)?;
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
            for (officer, role) in c.officers {
                let role_label = match *role {
                    "flo" => "family liaison officer",
                    "deputy_flo" => "deputy family liaison officer",
                    "sio" => "senior investigating officer",
                    _ => "coordinator",
                };
                outbox::enqueue(
                    conn,
                    &Notice {
                        kind: Kind::CaseAssigned,
                        recipient: Recipient::Staff(user_ids[*officer].clone()),
                        case_id: Some(id.clone()),
                        cause: format!("demo-assignment:{}", c.reference),
                        payload: serde_json::json!({ "reference": c.reference, "role_label": role_label }),
                    },
                )?;
                diesel::insert_into(assignments::table)
                    .values((
                        assignments::id.eq(new_row_id()),
                        assignments::case_id.eq(&id),
                        assignments::user_id.eq(&user_ids[*officer]),
                        assignments::role.eq(*role),
                        assignments::starts_at.eq(opened),
                        assignments::visible_to_family.eq(true),
                        assignments::contact_phone.eq("01632 960 123"),
                        assignments::contact_email.eq(email(USERS[*officer].local)),
                        assignments::working_hours.eq("Monday to Friday, 8:00 to 18:00"),
                        assignments::created_by.eq(&manager),
                        assignments::created_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            for (r, (name, relationship, local, language, point)) in c.relatives.iter().enumerate()
            {
                let relative_id = RelativeId::new();
                diesel::insert_into(relatives::table)
                    .values((
                        relatives::id.eq(&relative_id),
                        relatives::case_id.eq(&id),
                        relatives::full_name.eq(*name),
                        relatives::relationship.eq(*relationship),
                        relatives::email.eq(email(local)),
                        relatives::phone.eq("07700 900 000"),
                        relatives::preferred_channel.eq("phone"),
                        relatives::language.eq(*language),
                        relatives::point_of_contact.eq(*point),
                        // The nominated point of contact has been invited, so the family
                        // portal can be tried at once (sign-in links land in the mail folder).
                        relatives::access_state.eq(if *point { "invited" } else { "not_invited" }),
                        relatives::notify_by_email.eq(true),
                        relatives::auth_version.eq(1_i64),
                        relatives::version.eq(1_i64),
                        relatives::created_by.eq(&manager),
                        relatives::created_at.eq(now),
                        relatives::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                if i == 0 && r == 0 {
                    // An open concern about the investigation, acknowledged but not yet
                    // answered, so the portal and the dashboard show one.
                    let sent = now - Duration::hours(26);
                    diesel::insert_into(messages::table)
                        .values((
                            messages::id.eq(new_row_id()),
                            messages::case_id.eq(&id),
                            messages::from_relative_id.eq(Some(&relative_id)),
                            messages::category.eq(Some("investigation_concern")),
                            messages::body.eq("Demo data. Has anyone spoken to the neighbour who called the police that night? She says nobody has."),
                            messages::sent_at.eq(sent),
                            messages::acknowledged_at.eq(Some(sent + Duration::hours(1))),
                            messages::acknowledged_by.eq(Some(&user_ids[2])),
                        ))
                        .execute(conn)?;
                }
            }
        }
        diesel::insert_into(reference_counters::table)
            .values((
                reference_counters::scope.eq("FL-2026"),
                reference_counters::last_value.eq(CASES.len() as i64),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(logins())
}

trait ContextDate<T> {
    fn context_date(self) -> anyhow::Result<T>;
}

impl<T> ContextDate<T> for Option<T> {
    fn context_date(self) -> anyhow::Result<T> {
        self.ok_or_else(|| anyhow::anyhow!("invalid demo date"))
    }
}
