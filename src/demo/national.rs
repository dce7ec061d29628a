//! The national demo data set (`liaison demo --size medium|large`): many teams of the same
//! shape, each with a manager, ten officers and a hundred cases opened over two years, with
//! their relatives, FLO assignments (some handed over), contact plans, contacts, follow-ups,
//! family messages and answers, case types with milestones reached and shared updates. Every name is invented; the
//! one password is a demo value.
//!
//! A team is written in one transaction with everything that belongs to it, so an
//! interrupted run leaves whole teams only, and running again adds the teams that are
//! missing. Each team is generated from its own number alone (a fixed pseudo-random
//! sequence), so team 1 is the same in the medium and the large set: the dashboard benchmark
//! compares the same request at both sizes.
//!
//! Rows are inserted many to a statement; a large set (20,000 cases, 1,000,000 contacts,
//! 200,000 follow-ups, 100,000 messages) takes about a minute on either engine.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::auth::password;
use crate::casework::cases::reserve_references;
use crate::casework::follow_ups::{ESCALATION_DELAY_HOURS, REMINDER_WINDOW_HOURS};
use crate::casework::time::london_date;
use crate::casework::types::{CaseType, Milestone, MilestoneState};
use crate::db::schema::{
    assignments, case_milestones, case_status_changes, case_updates, cases, contact_plans,
    contacts, family_groups, follow_up_events, follow_ups, messages, relatives, team_members,
    teams, users,
};
use crate::db::{self, DbConn};
use crate::demo::DEMO_DOMAIN;
use crate::domain::new_row_id;

/// The demo password of every national demo account; never a real credential.
pub const PASSWORD: &str = "demo-national-password";

pub const CASES_PER_TEAM: usize = 100;
pub const OFFICERS_PER_TEAM: usize = 10;
pub const CONTACTS_PER_TEAM: usize = 5_000;
pub const FOLLOW_UPS_PER_TEAM: usize = 1_000;
pub const MESSAGES_PER_TEAM: usize = 500;

/// How big a national set to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// 2 teams: 200 cases, 10,000 contacts, 2,000 follow-ups, 1,000 messages.
    Medium,
    /// 200 teams: 20,000 cases, 1,000,000 contacts, 200,000 follow-ups, 100,000 messages.
    Large,
}

impl Size {
    pub fn teams(self) -> usize {
        match self {
            Size::Medium => 2,
            Size::Large => 200,
        }
    }

    /// Rows counted by the progress report: cases, contacts, follow-ups and messages.
    pub fn rows(self) -> u64 {
        (self.teams() * Self::rows_per_team()) as u64
    }

    fn rows_per_team() -> usize {
        CASES_PER_TEAM + CONTACTS_PER_TEAM + FOLLOW_UPS_PER_TEAM + MESSAGES_PER_TEAM
    }
}

/// What a run wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Teams written now.
    pub teams: usize,
    /// Teams already there from an earlier run, left as they were.
    pub teams_present: usize,
    pub users: usize,
    pub cases: usize,
    pub contacts: usize,
    pub follow_ups: usize,
    pub messages: usize,
}

pub fn team_name(team: usize) -> String {
    format!("National demo unit {:03}", team + 1)
}

pub fn manager_email(team: usize) -> String {
    format!("manager.n{:03}@{DEMO_DOMAIN}", team + 1)
}

pub fn officer_email(team: usize, officer: usize) -> String {
    format!("officer.n{:03}.{:02}@{DEMO_DOMAIN}", team + 1, officer + 1)
}

/// Text for the console: the national sign-ins.
pub fn describe(teams: usize) -> String {
    format!(
        "National demo sign-ins ({teams} teams; demo password only, never use it for real):\n  \
         manager  {} ... {}\n  officer  {} ... {}\n  password {PASSWORD}\n\n",
        manager_email(0),
        manager_email(teams.saturating_sub(1)),
        officer_email(0, 0),
        officer_email(teams.saturating_sub(1), OFFICERS_PER_TEAM - 1),
    )
}

/// Generates the teams of `size` that are not there yet, as of `now`. `progress` is told of
/// the rows written (cases, contacts, follow-ups, messages) after each team, including teams
/// found already there.
pub fn generate(
    conn: &mut DbConn,
    size: Size,
    now: NaiveDateTime,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<Totals> {
    let hash = password::hash(PASSWORD)?;
    let mut totals = Totals::default();
    for team in 0..size.teams() {
        let present: i64 = teams::table
            .filter(teams::name.eq(team_name(team)))
            .count()
            .get_result(conn)?;
        if present > 0 {
            totals.teams_present += 1;
        } else {
            let mut data = TeamData::generate(team, now, &hash);
            db::write(conn, |conn| data.insert(conn))?;
            totals.teams += 1;
            totals.users += data.users.len();
            totals.cases += data.cases.len();
            totals.contacts += data.contacts.len();
            totals.follow_ups += data.follow_ups.len();
            totals.messages += data.messages.len();
        }
        progress(Size::rows_per_team() as u64);
    }
    if totals.teams > 0
        && let DbConn::Pg(pg) = conn
    {
        // Fresh statistics for the planner after a bulk load, as autovacuum would gather
        // a little later.
        diesel::connection::SimpleConnection::batch_execute(pg, "ANALYZE")?;
    }
    Ok(totals)
}

/// SplitMix64: a small, fixed pseudo-random sequence, the same on every machine and version.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A whole number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        lo + (self.next() % ((hi - lo) as u64 + 1)) as i64
    }

    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }

    /// One of `items`, each drawn with its weight (out of the weights' sum).
    fn weighted<T: Copy>(&mut self, items: &[(T, u64)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut at = self.next() % total.max(1);
        for (item, weight) in items {
            if at < *weight {
                return *item;
            }
            at -= weight;
        }
        items[items.len() - 1].0
    }

    fn word(&mut self, items: &[&'static str]) -> &'static str {
        items[(self.next() % items.len() as u64) as usize]
    }

    /// A moment in `[from, to]`, to the second.
    /// A moment in `[from, to]`, to the second; `to` itself if the span is empty.
    fn between(&mut self, from: NaiveDateTime, to: NaiveDateTime) -> NaiveDateTime {
        if to <= from {
            return to;
        }
        from + Duration::seconds(self.range(0, (to - from).num_seconds()))
    }

    /// A moment in `[from, to]` during the working day (08:00 to 19:59), where there is one.
    fn daytime_between(&mut self, from: NaiveDateTime, to: NaiveDateTime) -> NaiveDateTime {
        let t = self.between(from, to);
        let hour = self.range(8, 19) as u32;
        let minute = self.range(0, 59) as u32;
        let moved = t
            .date()
            .and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default());
        if moved >= from && moved <= to {
            moved
        } else {
            t
        }
    }
}

const FIRST_NAMES: &[&str] = &[
    "Alys", "Bram", "Cerys", "Dorian", "Elin", "Fenn", "Gethin", "Hollis", "Idris", "Juno", "Kit",
    "Lowri", "Marlow", "Nell", "Osian", "Perrin", "Quill", "Rhian", "Sefton", "Tamsin", "Ulla",
    "Vaughan", "Wren", "Yestin", "Zadie", "Ansel", "Briony", "Caspian", "Delyth", "Emrys",
];

const SURNAMES: &[&str] = &[
    "Ashcombe",
    "Brackley",
    "Carrow",
    "Dunmere",
    "Elsworth",
    "Fallowfield",
    "Garside",
    "Hebden",
    "Ilford-Vane",
    "Jessop",
    "Kestell",
    "Lanyon",
    "Marchbank",
    "Norwood",
    "Orrell",
    "Penhallow",
    "Quarrie",
    "Rosewarne",
    "Stannard",
    "Tregarthen",
    "Upcott",
    "Varley",
    "Wetherby",
    "Yelland",
];

const RELATIONSHIPS: &[&str] = &[
    "mother", "father", "sister", "brother", "partner", "daughter", "son",
];

const CIRCUMSTANCES: &[&str] = &[
    "Demo data. Found at home after a welfare check; death treated as unexplained.",
    "Demo data. Collision on a main road; the driver did not stop.",
    "Demo data. Assault outside licensed premises; suspects arrested.",
    "Demo data. Fall from height at a building site; circumstances under investigation.",
    "Demo data. Found in a river after being reported missing.",
    "Demo data. Stabbing in a park; investigation ongoing.",
];

const DISCUSSIONS: &[&str] = &[
    "Demo data. Explained the post-mortem process and when the family can expect results.",
    "Demo data. Went through the investigation's progress in general terms and answered questions.",
    "Demo data. Talked through the family's worries about press interest and agreed a statement.",
    "Demo data. Returned personal items and went through the property list together.",
    "Demo data. Explained the coroner's role and the opening of the inquest.",
    "Demo data. Checked on the family's welfare and passed on support service details.",
    "Demo data. Answered the family's questions about the charging decision process.",
    "Demo data. Agreed the arrangements for viewing and for the funeral date.",
    "Demo data. Talked through the court timetable and what the family can attend.",
    "Demo data. Brief call to say there was no news this week, as agreed.",
];

const AGREED: &[&str] = &[
    "Call again on Friday.",
    "Send the support leaflet by email.",
    "Ask the coroner's officer about the release date.",
    "Arrange a visit with the senior investigating officer.",
];

const PURPOSES: &[&str] = &[
    "Demo data. Update the family on the post-mortem results.",
    "Demo data. Return the remaining personal property.",
    "Demo data. Call to check on the family's welfare.",
    "Demo data. Go through the inquest arrangements.",
    "Demo data. Pass on the answer from the investigation team.",
];

const QUESTIONS: &[&str] = &[
    "Demo data. Is there any news about when we can see him?",
    "Demo data. Who should we speak to about the funeral arrangements?",
    "Demo data. We heard something on the local news. Is it about our case?",
    "Demo data. Can we have the phone back yet?",
    "Demo data. We are worried nobody has looked at the doorbell camera footage.",
];

const ANSWERS: &[&str] = &[
    "Demo data. Thank you for asking. I will call you this afternoon to explain.",
    "Demo data. I have passed this to the investigation team and will come back to you by Friday.",
    "Demo data. The item can be collected next week; I will bring it to you if you prefer.",
];

/// The case types and how often each is drawn, in percent.
const CASE_TYPES: &[(CaseType, u64)] = &[
    (CaseType::Homicide, 20),
    (CaseType::RoadDeath, 25),
    (CaseType::UnexplainedDeath, 35),
    (CaseType::Other, 20),
];

const CHANNELS: &[(&str, u64)] = &[
    ("visit", 35),
    ("phone", 45),
    ("video", 5),
    ("email", 10),
    ("letter", 5),
];

fn channel(rng: &mut Rng) -> &'static str {
    let mut roll = rng.next() % 100;
    for (name, share) in CHANNELS {
        if roll < *share {
            return name;
        }
        roll -= share;
    }
    "phone"
}

/// Splits `total` over `weights` in proportion (largest remainders), each getting at least
/// `floor` where the total allows.
fn apportion(total: usize, weights: &[i64], floor: usize) -> Vec<usize> {
    let n = weights.len();
    let floor = floor.min(total / n.max(1));
    let rest = total - floor * n;
    let sum: i64 = weights.iter().map(|w| (*w).max(1)).sum();
    let mut out: Vec<usize> = Vec::with_capacity(n);
    let mut remainders: Vec<(i64, usize)> = Vec::with_capacity(n);
    for (i, w) in weights.iter().enumerate() {
        let share = rest as i128 * i128::from((*w).max(1));
        out.push(floor + (share / i128::from(sum)) as usize);
        remainders.push(((share % i128::from(sum)) as i64, i));
    }
    let given: usize = out.iter().sum();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders.into_iter().take(total - given) {
        out[i] += 1;
    }
    out
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUser {
    id: String,
    email: String,
    display_name: String,
    role: &'static str,
    password_hash: String,
    phone: Option<String>,
    active: bool,
    password_change_required: bool,
    auth_version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = team_members)]
struct NewMember {
    team_id: String,
    user_id: String,
    added_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = cases)]
struct NewCase {
    id: String,
    reference: String,
    team_id: String,
    deceased_name: String,
    date_of_death: NaiveDate,
    circumstances: &'static str,
    status: &'static str,
    case_type: CaseType,
    milestone: Milestone,
    needs_interpreter: bool,
    opened_at: NaiveDateTime,
    closed_at: Option<NaiveDateTime>,
    first_contact_at: Option<NaiveDateTime>,
    last_contact_at: Option<NaiveDateTime>,
    created_by: String,
    updated_at: NaiveDateTime,
    version: i64,
}

#[derive(Insertable)]
#[diesel(table_name = case_status_changes)]
struct NewStatusChange {
    id: String,
    case_id: String,
    status: &'static str,
    reason: &'static str,
    changed_by: String,
    changed_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = assignments)]
struct NewAssignment {
    id: String,
    case_id: String,
    user_id: String,
    role: &'static str,
    starts_at: NaiveDateTime,
    ends_at: Option<NaiveDateTime>,
    visible_to_family: bool,
    contact_phone: Option<&'static str>,
    contact_email: Option<String>,
    working_hours: &'static str,
    created_by: String,
    created_at: NaiveDateTime,
    ended_by: Option<String>,
    end_reason: Option<&'static str>,
}

#[derive(Insertable)]
#[diesel(table_name = contact_plans)]
struct NewPlan {
    id: String,
    case_id: String,
    interval_hours: i32,
    preferred_channel: &'static str,
    preferred_hours: &'static str,
    agreed_on: NaiveDate,
    reason: &'static str,
    recorded_by: String,
    recorded_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = relatives)]
struct NewRelative {
    id: String,
    case_id: String,
    full_name: String,
    relationship: &'static str,
    email: Option<String>,
    preferred_channel: &'static str,
    language: &'static str,
    point_of_contact: bool,
    access_state: &'static str,
    notify_by_email: bool,
    auth_version: i64,
    version: i64,
    created_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    /// Every generated case has one family group, whose id is the case's (as the migration
    /// that brought groups in made them).
    family_group_id: String,
}

#[derive(Insertable)]
#[diesel(table_name = family_groups)]
struct NewGroup {
    id: String,
    case_id: String,
    name: &'static str,
    created_by: String,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = contacts)]
struct NewContact {
    id: String,
    case_id: String,
    occurred_at: NaiveDateTime,
    officer_id: String,
    channel: &'static str,
    direction: &'static str,
    duration_minutes: Option<i32>,
    discussion: &'static str,
    family_summary: Option<&'static str>,
    agreed_actions: Option<&'static str>,
    recorded_by: String,
    recorded_at: NaiveDateTime,
}

/// A follow-up: more columns than one insert tuple holds, so in two parts.
#[derive(Insertable)]
#[diesel(table_name = follow_ups)]
struct NewFollowUp {
    #[diesel(embed)]
    what: FollowUpWhat,
    #[diesel(embed)]
    outcome: FollowUpOutcome,
}

#[derive(Insertable)]
#[diesel(table_name = follow_ups)]
struct FollowUpWhat {
    id: String,
    case_id: String,
    purpose: &'static str,
    assignee_id: String,
    due_at: NaiveDateTime,
    relative_id: Option<String>,
    is_appointment: bool,
    place: Option<&'static str>,
    reminder_at: Option<NaiveDateTime>,
    escalation_at: Option<NaiveDateTime>,
    created_by: String,
    created_at: NaiveDateTime,
    family_group_id: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = follow_ups)]
struct FollowUpOutcome {
    status: &'static str,
    completed_at: Option<NaiveDateTime>,
    completed_by: Option<String>,
    cancelled_at: Option<NaiveDateTime>,
    cancelled_by: Option<String>,
    cancel_reason: Option<&'static str>,
    updated_at: NaiveDateTime,
    version: i64,
}

#[derive(Insertable)]
#[diesel(table_name = follow_up_events)]
struct NewFollowUpEvent {
    id: String,
    follow_up_id: String,
    case_id: String,
    event: &'static str,
    detail: &'static str,
    actor_id: String,
    occurred_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = messages)]
struct NewMessage {
    #[diesel(embed)]
    what: MessageWhat,
    #[diesel(embed)]
    handling: MessageHandling,
}

#[derive(Insertable)]
#[diesel(table_name = messages)]
struct MessageWhat {
    id: String,
    case_id: String,
    from_relative_id: Option<String>,
    from_user_id: Option<String>,
    category: Option<&'static str>,
    body: &'static str,
    in_reply_to: Option<String>,
    sent_at: NaiveDateTime,
    family_group_id: String,
}

#[derive(Insertable)]
#[diesel(table_name = messages)]
struct MessageHandling {
    acknowledged_at: Option<NaiveDateTime>,
    acknowledged_by: Option<String>,
    answered_at: Option<NaiveDateTime>,
    answered_by: Option<String>,
    answer_message_id: Option<String>,
    closed_at: Option<NaiveDateTime>,
    closed_by: Option<String>,
    closing_response: Option<&'static str>,
}

#[derive(Insertable)]
#[diesel(table_name = case_updates)]
struct NewUpdate {
    id: String,
    case_id: String,
    title: String,
    body: &'static str,
    shared_with_family: bool,
    milestone: Option<Milestone>,
    key_event: bool,
    posted_by: String,
    posted_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = case_milestones)]
struct NewMilestone {
    id: String,
    case_id: String,
    milestone: Milestone,
    state: MilestoneState,
    reached_on: Option<NaiveDate>,
    update_id: Option<String>,
    recorded_by: String,
    recorded_at: NaiveDateTime,
}

/// Inserts `rows` many to a statement, under each engine's limit on bound values.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let rows = &$rows;
        // 1,500 rows of at most 20 columns: under SQLite's 32,766 bound values.
        let per = 1_500;
        for chunk in rows.chunks(per) {
            match &mut *$conn {
                DbConn::Sqlite(c) => diesel::insert_into($table).values(chunk).execute(c)?,
                DbConn::Pg(c) => diesel::insert_into($table).values(chunk).execute(c)?,
            };
        }
    }};
}

/// One team's rows, generated before the transaction that writes them.
struct TeamData {
    team_id: String,
    team: usize,
    created_at: NaiveDateTime,
    users: Vec<NewUser>,
    members: Vec<NewMember>,
    /// The London year each case opened in, in case order; references are numbered when
    /// the team is written.
    years: Vec<i32>,
    cases: Vec<NewCase>,
    status_changes: Vec<NewStatusChange>,
    assignments: Vec<NewAssignment>,
    plans: Vec<NewPlan>,
    relatives: Vec<NewRelative>,
    contacts: Vec<NewContact>,
    follow_ups: Vec<NewFollowUp>,
    follow_up_events: Vec<NewFollowUpEvent>,
    messages: Vec<NewMessage>,
    updates: Vec<NewUpdate>,
    milestones: Vec<NewMilestone>,
}

fn person(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(SURNAMES))
}

/// One case while it is being made up.
struct Plan {
    id: String,
    opened: NaiveDateTime,
    /// When it closed, or now.
    end: NaiveDateTime,
    closed: Option<NaiveDateTime>,
    flo: usize,
    /// When and to whom the FLO handed over, if they did.
    handover: Option<(NaiveDateTime, usize)>,
    interval: i64,
    relatives: Vec<String>,
}

impl Plan {
    /// The officer who held the case at `t`.
    fn officer_at(&self, t: NaiveDateTime) -> usize {
        match self.handover {
            Some((at, next)) if t >= at => next,
            _ => self.flo,
        }
    }
}

/// A case being made up, with what each generator of its rows reads besides: the team's
/// officers (id and e-mail address) and the time the data is made for.
#[derive(Clone, Copy)]
struct CaseContext<'a> {
    plan: &'a Plan,
    officers: &'a [(String, String)],
    now: NaiveDateTime,
}

fn london_year(t: NaiveDateTime) -> i32 {
    use chrono::{Datelike, TimeZone};
    chrono_tz::Europe::London.from_utc_datetime(&t).year()
}

impl TeamData {
    fn generate(team: usize, now: NaiveDateTime, hash: &str) -> TeamData {
        let mut rng = Rng::new(team as u64 + 1);
        let created_at = now - Duration::days(800);
        let team_id = new_row_id();
        let mut data = TeamData {
            team_id: team_id.clone(),
            team,
            created_at,
            users: Vec::new(),
            members: Vec::new(),
            years: Vec::new(),
            cases: Vec::new(),
            status_changes: Vec::new(),
            assignments: Vec::new(),
            plans: Vec::new(),
            relatives: Vec::new(),
            contacts: Vec::new(),
            follow_ups: Vec::new(),
            follow_up_events: Vec::new(),
            messages: Vec::new(),
            updates: Vec::new(),
            milestones: Vec::new(),
        };
        let manager = new_row_id();
        let mut staff = vec![(manager.clone(), manager_email(team), "manager")];
        let officers: Vec<(String, String)> = (0..OFFICERS_PER_TEAM)
            .map(|i| (new_row_id(), officer_email(team, i)))
            .collect();
        for (id, email) in &officers {
            staff.push((id.clone(), email.clone(), "officer"));
        }
        for (id, email, role) in staff {
            data.users.push(NewUser {
                id: id.clone(),
                email,
                display_name: person(&mut rng),
                role,
                password_hash: hash.to_owned(),
                phone: Some(format!("01632 960 {:03}", rng.range(0, 999))),
                active: true,
                password_change_required: false,
                auth_version: 1,
                created_at,
                updated_at: created_at,
            });
            data.members.push(NewMember {
                team_id: team_id.clone(),
                user_id: id,
                added_at: created_at,
            });
        }

        // Cases: opened over the last two years, each running 45 to 540 days; those whose
        // time has not run out are still open.
        let mut plans = Vec::with_capacity(CASES_PER_TEAM);
        for c in 0..CASES_PER_TEAM {
            let opened =
                now - Duration::days(rng.range(1, 730)) - Duration::minutes(rng.range(0, 1439));
            let length = Duration::days(rng.range(45, 540));
            let closed = (opened + length < now).then_some(opened + length);
            let end = closed.unwrap_or(now);
            let flo = c % OFFICERS_PER_TEAM;
            let handover = ((end - opened).num_days() > 90 && rng.percent(15)).then(|| {
                let at = rng.between(opened + Duration::days(30), end - Duration::days(30));
                // Anyone but the FLO and their deputy (flo - 1).
                let next = (flo + 1 + rng.range(0, OFFICERS_PER_TEAM as i64 - 3) as usize)
                    % OFFICERS_PER_TEAM;
                (at, next)
            });
            plans.push(Plan {
                id: new_row_id(),
                opened,
                end,
                closed,
                flo,
                handover,
                interval: *rng.pick(&[48, 72, 96, 168]),
                relatives: Vec::new(),
            });
        }
        let weights: Vec<i64> = plans
            .iter()
            .map(|p| (p.end - p.opened).num_days())
            .collect();
        let contact_counts = apportion(CONTACTS_PER_TEAM, &weights, 1);
        let follow_up_counts = apportion(FOLLOW_UPS_PER_TEAM, &weights, 0);
        let message_counts = apportion(MESSAGES_PER_TEAM, &weights, 0);
        let manager = data.users[0].id.clone();
        for (i, p) in plans.iter_mut().enumerate() {
            let surname = rng.word(SURNAMES);
            for r in 0..2 {
                let id = new_row_id();
                data.relatives.push(NewRelative {
                    id: id.clone(),
                    case_id: p.id.clone(),
                    full_name: format!("{} {surname}", rng.pick(FIRST_NAMES)),
                    relationship: rng.word(RELATIONSHIPS),
                    email: Some(format!(
                        "family.n{:03}.c{:03}.{}@{DEMO_DOMAIN}",
                        team + 1,
                        i + 1,
                        r + 1
                    )),
                    preferred_channel: "phone",
                    language: if rng.percent(5) { "cy" } else { "en" },
                    point_of_contact: r == 0,
                    // The point of contact uses the portal (and writes the family's
                    // messages); the other relative has not been invited.
                    access_state: if r == 0 { "active" } else { "not_invited" },
                    notify_by_email: true,
                    auth_version: 1,
                    version: 1,
                    created_by: officers[p.flo].0.clone(),
                    created_at: p.opened,
                    updated_at: p.opened,
                    family_group_id: p.id.clone(),
                });
                p.relatives.push(id);
            }
            let p: &Plan = p;
            let case = CaseContext {
                plan: p,
                officers: &officers,
                now,
            };
            let times = data.contacts_of(&mut rng, case, contact_counts[i]);
            let (case_type, milestone) = data.milestones_of(&mut rng, case);
            data.years.push(london_year(p.opened));
            data.cases.push(NewCase {
                id: p.id.clone(),
                reference: String::new(),
                team_id: team_id.clone(),
                deceased_name: format!("{} {surname}", rng.pick(FIRST_NAMES)),
                date_of_death: (p.opened - Duration::days(rng.range(0, 2))).date(),
                circumstances: rng.word(CIRCUMSTANCES),
                status: if p.closed.is_some() { "closed" } else { "open" },
                case_type,
                milestone,
                needs_interpreter: false,
                opened_at: p.opened,
                closed_at: p.closed,
                first_contact_at: times.first().copied(),
                last_contact_at: times.last().copied(),
                created_by: manager.clone(),
                updated_at: now,
                version: 1,
            });
            if let Some(closed) = p.closed {
                data.status_changes.push(NewStatusChange {
                    id: new_row_id(),
                    case_id: p.id.clone(),
                    status: "closed",
                    reason: "Demo data. Liaison ended with the family's agreement.",
                    changed_by: manager.clone(),
                    changed_at: closed,
                });
            }
            data.assignments_of(&mut rng, case, &manager);
            if let Some(first) = times.first() {
                data.plans.push(NewPlan {
                    id: new_row_id(),
                    case_id: p.id.clone(),
                    interval_hours: p.interval as i32,
                    preferred_channel: "phone",
                    preferred_hours: "Weekdays 10:00 to 16:00",
                    agreed_on: first.date(),
                    reason: "Demo data. Agreed with the family at the first visit.",
                    recorded_by: officers[p.flo].0.clone(),
                    recorded_at: *first,
                });
            }
            data.follow_ups_of(&mut rng, case, follow_up_counts[i]);
            data.messages_of(&mut rng, case, message_counts[i]);
        }
        data
    }

    /// `n` contacts: the first within a day mostly, the last recent for most open cases, the
    /// rest spread over the case's life. Their times, in order.
    fn contacts_of(
        &mut self,
        rng: &mut Rng,
        case: CaseContext<'_>,
        n: usize,
    ) -> Vec<NaiveDateTime> {
        let (p, officers, now) = (case.plan, case.officers, case.now);
        if n == 0 {
            return Vec::new();
        }
        let first_after = if rng.percent(85) {
            Duration::minutes(rng.range(60, 20 * 60))
        } else {
            Duration::minutes(rng.range(25 * 60, 60 * 60))
        };
        let first = (p.opened + first_after).min(p.end);
        let mut times = vec![first];
        let last = (p.closed.is_none() && n > 1 && rng.percent(90)).then(|| {
            let back = Duration::hours(rng.range(1, p.interval * 8 / 10));
            (p.end - back).max(first)
        });
        let middle = n - 1 - usize::from(last.is_some());
        for _ in 0..middle {
            times.push(rng.daytime_between(first, p.end));
        }
        times.extend(last);
        times.sort_unstable();
        for t in times.iter().copied() {
            let officer = officers[p.officer_at(t)].0.clone();
            let ch = channel(rng);
            let duration_minutes = match ch {
                "visit" => Some(rng.range(30, 120) as i32),
                "phone" | "video" => Some(rng.range(5, 40) as i32),
                _ => None,
            };
            self.contacts.push(NewContact {
                id: new_row_id(),
                case_id: p.id.clone(),
                occurred_at: t,
                officer_id: officer.clone(),
                channel: ch,
                direction: if rng.percent(80) {
                    "outbound"
                } else {
                    "inbound"
                },
                duration_minutes,
                discussion: rng.word(DISCUSSIONS),
                family_summary: rng.percent(30).then_some(
                    "Demo data. We talked about what happens next and when I will call.",
                ),
                agreed_actions: rng.percent(40).then(|| rng.word(AGREED)),
                recorded_by: officer,
                recorded_at: (t + Duration::minutes(rng.range(10, 240))).min(now).max(t),
            });
        }
        times
    }

    /// The case's type, its first milestone, each milestone reached since with the shared
    /// update that told the family, and for some cases a key event the family heard of later.
    /// The type and the furthest milestone reached.
    fn milestones_of(&mut self, rng: &mut Rng, case: CaseContext<'_>) -> (CaseType, Milestone) {
        let (p, officers, now) = (case.plan, case.officers, case.now);
        let case_type = rng.weighted(CASE_TYPES);
        let steps = case_type.milestones();
        let reached = match p.closed {
            Some(_) => steps.len() - 1,
            None => {
                let age = (now - p.opened).num_days() as f64;
                ((age / 60.0) as usize).min(steps.len() - 2)
            }
        };
        self.milestones.push(NewMilestone {
            id: new_row_id(),
            case_id: p.id.clone(),
            milestone: steps[0],
            state: MilestoneState::Reached,
            reached_on: Some(london_date(p.opened)),
            update_id: None,
            recorded_by: officers[p.flo].0.clone(),
            recorded_at: p.opened,
        });
        let span = (p.end - p.opened).num_seconds().max(1);
        for (s, &milestone) in steps.iter().enumerate().take(reached + 1).skip(1) {
            let at = if p.closed.is_some() && s == steps.len() - 1 {
                p.end - Duration::hours(2)
            } else {
                p.opened + Duration::seconds(span * s as i64 / (reached as i64 + 1))
            };
            let officer = officers[p.officer_at(at)].0.clone();
            let update = new_row_id();
            self.updates.push(NewUpdate {
                id: update.clone(),
                case_id: p.id.clone(),
                title: milestone.label().to_owned(),
                body: "Demo data. The case has reached this milestone; I will explain what it means when we next speak.",
                shared_with_family: true,
                milestone: Some(milestone),
                key_event: true,
                posted_by: officer.clone(),
                posted_at: at,
            });
            self.milestones.push(NewMilestone {
                id: new_row_id(),
                case_id: p.id.clone(),
                milestone,
                state: MilestoneState::Reached,
                reached_on: Some(london_date(at)),
                update_id: Some(update),
                recorded_by: officer,
                recorded_at: at,
            });
        }
        if (p.end - p.opened).num_days() > 10 && rng.percent(20) {
            let at = rng.daytime_between(p.opened + Duration::days(2), p.end - Duration::days(5));
            let officer = officers[p.officer_at(at)].0.clone();
            self.updates.push(NewUpdate {
                id: new_row_id(),
                case_id: p.id.clone(),
                title: "Key event: arrest made".to_owned(),
                body: "Demo data. A suspect has been arrested; the family is to be told in person.",
                shared_with_family: false,
                milestone: None,
                key_event: true,
                posted_by: officer.clone(),
                posted_at: at,
            });
            let told = at + Duration::hours(rng.range(2, 7 * 24));
            if told < p.end {
                self.updates.push(NewUpdate {
                    id: new_row_id(),
                    case_id: p.id.clone(),
                    title: "An arrest has been made".to_owned(),
                    body: "Demo data. As we discussed, a person has been arrested. I will keep you informed.",
                    shared_with_family: true,
                    milestone: None,
                    key_event: false,
                    posted_by: officer,
                    posted_at: told,
                });
            }
        }
        (case_type, steps[reached])
    }

    /// The FLO (and whoever took over), and a deputy for some cases.
    fn assignments_of(&mut self, rng: &mut Rng, case: CaseContext<'_>, manager: &str) {
        let (p, officers) = (case.plan, case.officers);
        let assignment =
            |officer: usize, role: &'static str, starts: NaiveDateTime| NewAssignment {
                id: new_row_id(),
                case_id: p.id.clone(),
                user_id: officers[officer].0.clone(),
                role,
                starts_at: starts,
                ends_at: None,
                visible_to_family: true,
                contact_phone: Some("01632 960 123"),
                contact_email: Some(officers[officer].1.clone()),
                working_hours: "Monday to Friday, 8:00 to 18:00",
                created_by: manager.to_owned(),
                created_at: starts,
                ended_by: None,
                end_reason: None,
            };
        let mut flo = assignment(p.flo, "flo", p.opened);
        if let Some((at, next)) = p.handover {
            flo.ends_at = Some(at);
            flo.ended_by = Some(manager.to_owned());
            flo.end_reason = Some("Demo data. Handed over to a colleague.");
            self.assignments.push(flo);
            self.assignments.push(assignment(next, "flo", at));
        } else {
            self.assignments.push(flo);
        }
        if rng.percent(30) {
            let deputy = (p.flo + OFFICERS_PER_TEAM - 1) % OFFICERS_PER_TEAM;
            self.assignments
                .push(assignment(deputy, "deputy_flo", p.opened));
        }
    }

    /// `n` follow-ups: most done on time, some late, a few cancelled or still open.
    fn follow_ups_of(&mut self, rng: &mut Rng, case: CaseContext<'_>, n: usize) {
        let (p, officers, now) = (case.plan, case.officers, case.now);
        let horizon = match p.closed {
            Some(c) => c,
            None => now + Duration::days(21),
        };
        for _ in 0..n {
            let due = rng.daytime_between(p.opened + Duration::days(1), horizon);
            let created = (due - Duration::days(rng.range(1, 10)))
                .max(p.opened)
                .min(now);
            let creator = officers[p.officer_at(created)].0.clone();
            let appointment = rng.percent(30);
            let id = new_row_id();
            let roll = rng.next() % 100;
            let (status, done, cancelled) = if due > now {
                ("open", None, None)
            } else if roll < 4 {
                let at = (due - Duration::hours(rng.range(2, 48))).max(created);
                ("cancelled", None, Some(at))
            } else if roll < 8 && p.closed.is_none() {
                ("open", None, None)
            } else if roll < 25 {
                let at = (due + Duration::minutes(rng.range(30, 72 * 60)))
                    .min(p.end)
                    .max(due);
                ("done", Some(at), None)
            } else {
                let at = (due - Duration::minutes(rng.range(0, 72 * 60))).max(created);
                ("done", Some(at), None)
            };
            // Open ones moved to whoever took the case over; the rest stay with whoever had
            // it then.
            let (assignee, handed_over) = match (status, p.handover) {
                ("open", Some((at, next))) if created < at => (officers[next].0.clone(), Some(at)),
                _ => (creator.clone(), None),
            };
            let event = |event: &'static str,
                         detail: &'static str,
                         by: &String,
                         at: NaiveDateTime| NewFollowUpEvent {
                id: new_row_id(),
                follow_up_id: id.clone(),
                case_id: p.id.clone(),
                event,
                detail,
                actor_id: by.clone(),
                occurred_at: at,
            };
            self.follow_up_events
                .push(event("created", "", &creator, created));
            if let Some(at) = handed_over {
                self.follow_up_events.push(event(
                    "reassigned",
                    "Demo data. Handed over with the case.",
                    &officers[p.flo].0,
                    at,
                ));
            }
            if let Some(at) = done {
                self.follow_up_events
                    .push(event("completed", "", &assignee, at));
            }
            let reason = "Demo data. The family asked to rearrange.";
            if let Some(at) = cancelled {
                self.follow_up_events
                    .push(event("cancelled", reason, &assignee, at));
            }
            self.follow_ups.push(NewFollowUp {
                what: FollowUpWhat {
                    id,
                    case_id: p.id.clone(),
                    purpose: rng.word(PURPOSES),
                    assignee_id: assignee.clone(),
                    due_at: due,
                    relative_id: appointment.then(|| p.relatives[0].clone()),
                    is_appointment: appointment,
                    place: appointment.then_some("Family home"),
                    reminder_at: Some(due - Duration::hours(REMINDER_WINDOW_HOURS)),
                    escalation_at: Some(due + Duration::hours(ESCALATION_DELAY_HOURS)),
                    created_by: creator.clone(),
                    created_at: created,
                    family_group_id: appointment.then(|| p.id.clone()),
                },
                outcome: FollowUpOutcome {
                    status,
                    completed_at: done,
                    completed_by: done.map(|_| assignee.clone()),
                    cancelled_at: cancelled,
                    cancelled_by: cancelled.map(|_| assignee.clone()),
                    cancel_reason: cancelled.map(|_| reason),
                    updated_at: done.or(cancelled).unwrap_or(created),
                    version: 1,
                },
            });
        }
    }

    /// `n` messages: family messages, most acknowledged and answered (an answer is a
    /// message too); on a closed case the rest were closed with it.
    fn messages_of(&mut self, rng: &mut Rng, case: CaseContext<'_>, n: usize) {
        let (p, officers, now) = (case.plan, case.officers, case.now);
        let mut left = n;
        while left > 0 {
            let sent = rng.daytime_between(p.opened + Duration::days(2), p.end);
            let officer = officers[p.officer_at(sent)].0.clone();
            // Nothing is done after the case closed (or after now).
            let acknowledged = (p.closed.is_some() || rng.percent(85))
                .then(|| sent + Duration::minutes(rng.range(30, 30 * 60)))
                .filter(|t| *t < p.end);
            let answered = (left >= 2 && (p.closed.is_some() || rng.percent(80)))
                .then(|| {
                    acknowledged.unwrap_or(sent) + Duration::minutes(rng.range(60, 5 * 24 * 60))
                })
                .filter(|t| *t < p.end);
            let category = rng.word(&[
                "question",
                "investigation_concern",
                "practical_matter",
                "other",
            ]);
            // On a closed case every family message was closed with it; on an open case most
            // answered concerns have been closed with the family's agreement.
            let (closed, closing_response) = match (p.closed, answered) {
                (Some(end), _) => (
                    Some(end),
                    "Demo data. Closed when liaison ended; talked through in person.",
                ),
                (None, Some(at)) if category == "investigation_concern" && rng.percent(70) => (
                    Some(at + Duration::hours(rng.range(1, 48))).filter(|t| *t < now),
                    "Demo data. The family said the answer settles it.",
                ),
                _ => (None, ""),
            };
            let id = new_row_id();
            let answer_id = answered.map(|_| new_row_id());
            self.messages.push(NewMessage {
                what: MessageWhat {
                    id: id.clone(),
                    case_id: p.id.clone(),
                    from_relative_id: Some(p.relatives[0].clone()),
                    from_user_id: None,
                    category: Some(category),
                    body: rng.word(QUESTIONS),
                    in_reply_to: None,
                    sent_at: sent,
                    family_group_id: p.id.clone(),
                },
                handling: MessageHandling {
                    acknowledged_at: acknowledged,
                    acknowledged_by: acknowledged.map(|_| officer.clone()),
                    answered_at: answered,
                    answered_by: answered.map(|_| officer.clone()),
                    answer_message_id: answer_id.clone(),
                    closed_at: closed,
                    closed_by: closed.map(|_| officer.clone()),
                    closing_response: closed.map(|_| closing_response),
                },
            });
            left -= 1;
            if let (Some(at), Some(answer)) = (answered, answer_id) {
                self.messages.push(NewMessage {
                    what: MessageWhat {
                        id: answer,
                        case_id: p.id.clone(),
                        from_relative_id: None,
                        from_user_id: Some(officer),
                        category: None,
                        body: rng.word(ANSWERS),
                        in_reply_to: Some(id),
                        sent_at: at,
                        family_group_id: p.id.clone(),
                    },
                    handling: MessageHandling {
                        acknowledged_at: None,
                        acknowledged_by: None,
                        answered_at: None,
                        answered_by: None,
                        answer_message_id: None,
                        closed_at: None,
                        closed_by: None,
                        closing_response: None,
                    },
                });
                left -= 1;
            }
        }
    }

    /// Writes the team and everything in it (inside the caller's transaction), with case
    /// references taken from the counters every instance shares, and one audit event.
    fn insert(&mut self, conn: &mut DbConn) -> anyhow::Result<()> {
        diesel::insert_into(teams::table)
            .values((
                teams::id.eq(&self.team_id),
                teams::name.eq(team_name(self.team)),
                teams::created_at.eq(self.created_at),
            ))
            .execute(conn)?;
        // References in order of opening within each year.
        let mut order: Vec<usize> = (0..self.cases.len()).collect();
        order.sort_by_key(|i| self.cases[*i].opened_at);
        let mut years: Vec<i32> = self.years.clone();
        years.sort_unstable();
        years.dedup();
        for year in years {
            let of_year: Vec<usize> = order
                .iter()
                .copied()
                .filter(|i| self.years[*i] == year)
                .collect();
            let first = reserve_references(conn, year, of_year.len() as i64)?;
            for (k, i) in of_year.into_iter().enumerate() {
                self.cases[i].reference = format!("FL-{year}-{:05}", first + k as i64);
            }
        }
        insert_rows!(conn, users::table, self.users);
        insert_rows!(conn, team_members::table, self.members);
        insert_rows!(conn, cases::table, self.cases);
        insert_rows!(conn, case_status_changes::table, self.status_changes);
        insert_rows!(conn, assignments::table, self.assignments);
        let groups: Vec<NewGroup> = self
            .cases
            .iter()
            .map(|c| NewGroup {
                id: c.id.clone(),
                case_id: c.id.clone(),
                name: crate::casework::groups::DEFAULT_NAME,
                created_by: c.created_by.clone(),
                created_at: c.opened_at,
            })
            .collect();
        insert_rows!(conn, family_groups::table, groups);
        insert_rows!(conn, relatives::table, self.relatives);
        insert_rows!(conn, contacts::table, self.contacts);
        insert_rows!(conn, contact_plans::table, self.plans);
        insert_rows!(conn, follow_ups::table, self.follow_ups);
        insert_rows!(conn, follow_up_events::table, self.follow_up_events);
        insert_rows!(conn, case_updates::table, self.updates);
        insert_rows!(conn, case_milestones::table, self.milestones);
        // As the portal does it: the answer (which refers to the family's message) first,
        // then the family's message is pointed at its answer.
        let answers: Vec<(String, String)> = self
            .messages
            .iter_mut()
            .filter_map(|m| {
                let answer = m.handling.answer_message_id.take()?;
                Some((m.what.id.clone(), answer))
            })
            .collect();
        insert_rows!(conn, messages::table, self.messages);
        for (message, answer) in answers {
            diesel::update(messages::table.find(message))
                .set(messages::answer_message_id.eq(answer))
                .execute(conn)?;
        }
        audit::event(&Actor::System, "demo.national_team")
            .record("team", &self.team_id)
            .detail(format!(
                "{} cases, {} contacts, {} follow-ups, {} messages",
                self.cases.len(),
                self.contacts.len(),
                self.follow_ups.len(),
                self.messages.len()
            ))
            .write(conn)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_gives_the_exact_total_in_proportion() {
        let parts = apportion(10, &[1, 1, 2], 0);
        assert_eq!(parts.iter().sum::<usize>(), 10);
        assert!(parts[2] >= parts[0] && parts[2] >= parts[1]);
        let floored = apportion(5_000, &[1, 1_000, 1_000], 1);
        assert_eq!(floored.iter().sum::<usize>(), 5_000);
        assert!(floored[0] >= 1);
    }

    #[test]
    fn a_team_is_the_same_whatever_else_is_generated() {
        let now = db::now();
        let a = TeamData::generate(0, now, "x");
        let b = TeamData::generate(0, now, "x");
        let times = |d: &TeamData| d.contacts.iter().map(|c| c.occurred_at).collect::<Vec<_>>();
        assert_eq!(times(&a), times(&b));
        assert_eq!(a.contacts.len(), CONTACTS_PER_TEAM);
        assert_eq!(a.follow_ups.len(), FOLLOW_UPS_PER_TEAM);
        assert_eq!(a.messages.len(), MESSAGES_PER_TEAM);
        assert_eq!(a.cases.len(), CASES_PER_TEAM);
        assert_ne!(times(&a), times(&TeamData::generate(1, now, "x")));
    }
}
