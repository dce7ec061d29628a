//! The timeliness dashboard page (`/staff/dashboard`) and its CSV downloads: the figures of
//! `timeliness::dashboard` as tables, with a chart of each measure by week that reads
//! without JavaScript and has the same numbers in a table beside it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::accounts::teams;
use crate::auth::CaseworkUser;
use crate::domain::Role;
use crate::error::AppError;
use crate::state::AppState;
use crate::timeliness::chart::{self, Point};
use crate::timeliness::dashboard::{self, Dashboard, Table, TimelinessSummary};
use crate::web::api::dashboard::TimelinessQuery;
use crate::web::pages::Incoming;
use crate::web::pages::render;

/// Which table the CSV download is of (the period is a `TimelinessQuery`, as in the API).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TableQuery {
    table: Option<String>,
}

/// The six measures, in the order the page shows them: key, heading, and (met, judged).
fn measures(s: &TimelinessSummary) -> [(&'static str, &'static str, u32, u32); 6] {
    let t = |x: &crate::timeliness::measures::Tally| (x.met, x.met + x.breached);
    let f = &s.follow_ups;
    [
        (
            "first_contact",
            "First contact",
            t(&s.first_contact).0,
            t(&s.first_contact).1,
        ),
        (
            "contact_plan",
            "Contact plan kept",
            t(&s.contact_plan).0,
            t(&s.contact_plan).1,
        ),
        ("follow_ups", "Follow-ups on time", f.on_time, f.judged()),
        (
            "messages_acknowledged",
            "Family messages acknowledged in time",
            t(&s.messages_acknowledged).0,
            t(&s.messages_acknowledged).1,
        ),
        (
            "messages_answered",
            "Family messages answered in time",
            t(&s.messages_answered).0,
            t(&s.messages_answered).1,
        ),
        (
            "updates_after_events",
            "Family told after a key event in time",
            t(&s.updates_after_events).0,
            t(&s.updates_after_events).1,
        ),
    ]
}

fn percent(met: u32, judged: u32) -> Option<f64> {
    (judged > 0).then(|| f64::from(met) * 100.0 / f64::from(judged))
}

fn cell(met: u32, judged: u32) -> String {
    match percent(met, judged) {
        Some(p) => format!("{met} of {judged} ({p:.0}%)"),
        None => "none judged".into(),
    }
}

#[derive(Serialize)]
struct MeasureRow {
    name: &'static str,
    target: String,
    met: u32,
    judged: u32,
    result: String,
    pending: u32,
}

#[derive(Serialize)]
struct Chart {
    heading: &'static str,
    svg: String,
}

#[derive(Serialize)]
struct Row {
    name: String,
    link: Option<String>,
    cells: Vec<String>,
    extra: Vec<String>,
}

#[derive(Serialize)]
struct BreachRow {
    case_id: String,
    reference: String,
    officer: String,
    breaches: String,
}

#[derive(Serialize)]
struct ConcernRow {
    case_id: String,
    reference: String,
    received: String,
    status: String,
    excerpt: String,
}

#[derive(Serialize, Default)]
struct Page {
    from: String,
    to: String,
    team_options: Vec<serde_json::Value>,
    is_manager: bool,
    error: Option<String>,
    error_field: Option<String>,
    shown: bool,
    note: Option<String>,
    period: String,
    measures: Vec<MeasureRow>,
    measure_names: Vec<&'static str>,
    charts: Vec<Chart>,
    weeks: Vec<Row>,
    officers: Vec<Row>,
    teams: Vec<Row>,
    breaches: Vec<BreachRow>,
    concerns: Vec<ConcernRow>,
    /// Open cases with Victims' Code entitlements outstanding past the target.
    entitlements_due: Vec<serde_json::Value>,
    entitlements_days: i64,
    cases_shown: usize,
    csv_query: String,
    target_changes: Vec<String>,
}

fn breach_label(key: &str) -> &'static str {
    match key {
        "first_contact" => "first contact late",
        "contact_plan" => "gap in contact",
        "follow_ups_overdue" => "follow-up overdue",
        "follow_ups_late" => "follow-up done late",
        "messages_acknowledged" => "message not acknowledged in time",
        "messages_answered" => "message not answered in time",
        "updates_after_events" => "family not told in time",
        _ => "breach",
    }
}

fn fill(page: &mut Page, board: &Dashboard) {
    page.shown = true;
    page.note = board.note.clone();
    page.from = board.dates.from.to_string();
    page.to = board.dates.to.to_string();
    page.period = format!(
        "{} to {}",
        board.dates.from.format("%-d %B %Y"),
        board.dates.to.format("%-d %B %Y")
    );
    let targets = [
        format!(
            "within {} hours of opening",
            board.targets.first_contact_hours
        ),
        "no gap longer than the case's agreed interval".to_owned(),
        "completed by the due time".to_owned(),
        format!(
            "within {} working day(s)",
            board.targets.message_ack_working_days
        ),
        format!(
            "within {} working day(s)",
            board.targets.message_answer_working_days
        ),
        format!(
            "within {} working day(s)",
            board.targets.update_after_event_working_days
        ),
    ];
    let pending = [
        board.summary.first_contact.pending,
        0,
        board.summary.follow_ups.not_yet_due,
        board.summary.messages_acknowledged.pending,
        board.summary.messages_answered.pending,
        board.summary.updates_after_events.pending,
    ];
    for (i, (_, name, met, judged)) in measures(&board.summary).into_iter().enumerate() {
        page.measure_names.push(name);
        page.measures.push(MeasureRow {
            name,
            target: targets[i].clone(),
            met,
            judged,
            result: cell(met, judged),
            pending: pending[i],
        });
    }
    for (i, (key, name, _, _)) in measures(&board.summary).into_iter().enumerate() {
        let points: Vec<Point> = board
            .weeks
            .iter()
            .map(|w| {
                let (_, _, met, judged) = measures(&w.summary)[i];
                Point {
                    label: w.week_start.format("%-d %b").to_string(),
                    percent: percent(met, judged),
                }
            })
            .collect();
        page.charts.push(Chart {
            heading: name,
            svg: chart::percent_line(
                &format!("chart-{key}"),
                &format!("{name}, % met by week starting"),
                &points,
            ),
        });
    }
    let cells = |s: &TimelinessSummary| -> Vec<String> {
        measures(s)
            .iter()
            .map(|(_, _, met, judged)| cell(*met, *judged))
            .collect()
    };
    page.weeks = board
        .weeks
        .iter()
        .map(|w| Row {
            name: format!("Week of {}", w.week_start.format("%-d %B %Y")),
            link: None,
            cells: cells(&w.summary),
            extra: vec![w.summary.cases.to_string()],
        })
        .collect();
    page.officers = board
        .officers
        .iter()
        .map(|o| Row {
            name: o.name.clone(),
            link: None,
            cells: cells(&o.summary),
            extra: vec![
                o.workload.active_cases.to_string(),
                o.workload.open_follow_ups.to_string(),
                o.workload.waiting_messages.to_string(),
            ],
        })
        .collect();
    page.teams = board
        .teams
        .iter()
        .map(|t| Row {
            name: t.name.clone(),
            link: None,
            cells: cells(&t.summary),
            extra: vec![
                t.summary.cases.to_string(),
                t.summary.cases_in_breach.to_string(),
            ],
        })
        .collect();
    page.breaches = board
        .cases
        .iter()
        .filter(|c| c.in_breach)
        .map(|c| BreachRow {
            case_id: c.case_id.to_string(),
            reference: c.reference.clone(),
            officer: c.officer.clone().unwrap_or_else(|| "No FLO".into()),
            breaches: c
                .breaches
                .iter()
                .map(|b| breach_label(b))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let when = |t| crate::i18n::family_time(crate::i18n::Lang::En, t);
    page.concerns = board
        .open_concerns
        .iter()
        .map(|c| ConcernRow {
            case_id: c.case_id.to_string(),
            reference: c.reference.clone(),
            received: when(c.received_at),
            status: match (c.answered_at, c.acknowledged_at) {
                (Some(t), _) => format!("Answered {}, not closed", when(t)),
                (None, Some(t)) => format!("Acknowledged {}, not answered", when(t)),
                (None, None) => "Not acknowledged".to_owned(),
            },
            excerpt: c.excerpt.clone(),
        })
        .collect();
    page.entitlements_days = board.targets.entitlements_working_days;
    page.entitlements_due = board
        .entitlements_due
        .iter()
        .map(|e| {
            serde_json::json!({
                "case_id": e.case_id,
                "reference": e.reference,
                "opened": when(e.opened_at),
                "due": when(e.due_at),
                "outstanding": e.outstanding,
            })
        })
        .collect();
    page.cases_shown = board.cases.len();
    page.target_changes = board
        .target_changes
        .iter()
        .map(|c| {
            let (name, unit) = match c.key.as_str() {
                "first_contact_hours" => ("first contact", "hours"),
                "message_ack_working_days" => ("message acknowledged", "working days"),
                "message_answer_working_days" => ("message answered", "working days"),
                _ => ("family told after a key event", "working days"),
            };
            format!(
                "The {name} target became {} {unit} on {}; what began before then is judged by the earlier target.",
                c.value,
                crate::i18n::family_time(crate::i18n::Lang::En, c.effective_from)
            )
        })
        .collect();
}

/// `GET /staff/dashboard`: figures for a period (four weeks to today by default).
pub async fn page(
    (req, state): Incoming,
    user: CaseworkUser,
    query: web::Query<TimelinessQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let is_manager = user.0.role == Role::Manager;
    let mut page = Page {
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        is_manager,
        ..Page::default()
    };
    if is_manager {
        let me = user.0.id.clone();
        let mine = state
            .db
            .run(move |conn| Ok(teams::of_user(conn, &me)?))
            .await?;
        let chosen = q.team_id.clone().unwrap_or_default();
        page.team_options = mine
            .iter()
            .map(|t| {
                serde_json::json!({"value": t.id, "text": t.name, "selected": t.id.as_str() == chosen})
            })
            .collect();
    }
    let mut csv = Vec::new();
    for (k, v) in [("from", &q.from), ("to", &q.to), ("team_id", &q.team_id)] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            csv.push(format!("{k}={}", urlencoding(v)));
        }
    }
    page.csv_query = csv.join("&");
    let status = match q.board(&state, &user).await {
        Ok(board) => {
            fill(&mut page, &board);
            StatusCode::OK
        }
        Err(AppError::Invalid { field, message }) => {
            page.error = Some(message);
            page.error_field = field;
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => return Err(e),
    };
    Ok(render(
        &req,
        status,
        "pages/staff/dashboard",
        "Timeliness",
        Some(&user.0),
        page,
    ))
}

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `GET /staff/dashboard.csv?table=cases|officers|teams|weeks|concerns`: one table as CSV.
pub async fn csv(
    state: web::Data<AppState>,
    user: CaseworkUser,
    query: web::Query<TimelinessQuery>,
    which: web::Query<TableQuery>,
) -> Result<HttpResponse, AppError> {
    let table = Table::parse(which.table.as_deref().unwrap_or("cases")).ok_or_else(|| {
        AppError::invalid(
            "table",
            "Choose the table to download: cases, officers, teams, weeks or concerns.",
        )
    })?;
    let board = query.board(&state, &user).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Type", "text/csv; charset=utf-8"))
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"timeliness-{}-{}-to-{}.csv\"",
                table.name(),
                board.dates.from,
                board.dates.to
            ),
        ))
        .body(dashboard::to_csv(&board, table)))
}
