//! `GET /api/v1/dashboard/timeliness`: the timeliness figures of DESIGN §3 for a period,
//! per team, officer, week and case. Managers see their own teams; officers their own cases
//! as FLO; administrators and relatives nothing.

use actix_web::{HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;

use crate::auth::{CaseworkUser, StaffUser};
use crate::casework::time::{london_date, parse_date};
use crate::db;
use crate::domain::{Role, TeamId};
use crate::error::AppError;
use crate::state::AppState;
use crate::timeliness::TargetHistory;
use crate::timeliness::dashboard::{self, Dashboard, DashboardDates, MAX_DAYS, Scope};
use crate::web::api::errors::{ApiError, QueryUnreadable, SignInNeeded};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelinessQuery {
    /// First day, `YYYY-MM-DD` (London), from 2000 on. Default: 27 days before `to`.
    #[param(inline, value_type = Option<DayFilter>)]
    pub from: Option<String>,
    /// Last day, included, `YYYY-MM-DD` (London). Default: today; a later day is cut to today.
    #[param(inline, value_type = Option<DayFilter>)]
    pub to: Option<String>,
    /// One of the manager's teams; default all of them.
    #[param(inline, value_type = Option<TeamFilter>)]
    pub team_id: Option<String>,
}

impl TimelinessQuery {
    /// The dashboard asked for, as `user` may see it (pages, CSV and API alike).
    pub async fn board(&self, state: &AppState, user: &StaffUser) -> Result<Dashboard, AppError> {
        let (from, to) = (self.from.as_deref(), self.to.as_deref());
        board_for(state, user, from, to, self.team_id.as_deref()).await
    }
}

crate::or_empty!(
    /// A day of the period, or nothing.
    DayFilter(Day)
);
crate::or_empty!(
    /// A team id, or nothing.
    TeamFilter(TeamId)
);

/// The schema of a day of the dashboard's period: a date in the years `dates_of` takes.
pub struct Day;

impl utoipa::PartialSchema for Day {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Date,
            )))
            .pattern(Some(
                "^(?:20[0-9]{2}|2100)-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$",
            ))
            .into()
    }
}

/// Works out the period asked for: defaults, checks, and any shortening (said in `note`).
pub fn dates_of(
    from: Option<&str>,
    to: Option<&str>,
    today: chrono::NaiveDate,
) -> Result<(DashboardDates, Vec<String>), AppError> {
    use chrono::Datelike;
    let parse = |field: &str, raw: Option<&str>| -> Result<Option<chrono::NaiveDate>, AppError> {
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let d = parse_date(field, raw)?;
        if !(2000..=2100).contains(&d.year()) {
            return Err(AppError::invalid(
                field,
                "Enter a date between the years 2000 and 2100, like 2026-11-01.",
            ));
        }
        Ok(Some(d))
    };
    let (asked_from, asked_to) = (parse("from", from)?, parse("to", to)?);
    if let (Some(f), Some(t)) = (asked_from, asked_to)
        && f > t
    {
        return Err(AppError::invalid(
            "from",
            format!(
                "The period starts ({f}) after it ends ({t}). Choose a start on or before the end."
            ),
        ));
    }
    let mut notes = Vec::new();
    let mut to = asked_to.unwrap_or(today);
    if to > today {
        notes.push(format!(
            "The period was cut to end today ({today}), not {to}."
        ));
        to = today;
    }
    let from = asked_from.unwrap_or(to - Duration::days(27));
    if from > to {
        return Err(AppError::invalid(
            "from",
            format!(
                "The period starts in the future ({from}). Choose a start on or before today ({today})."
            ),
        ));
    }
    if (to - from).num_days() + 1 > MAX_DAYS {
        return Err(AppError::invalid(
            "from",
            format!(
                "The period is {} days long; choose at most {MAX_DAYS} days.",
                (to - from).num_days() + 1
            ),
        ));
    }
    Ok((DashboardDates { from, to }, notes))
}

#[utoipa::path(
    get, path = "/api/v1/dashboard/timeliness", tag = "dashboard",
    params(TimelinessQuery),
    responses(
        QueryUnreadable,
        (status = 200, description = "The figures; `note` says if the period was shortened", body = Dashboard),
        SignInNeeded,
        (status = 403, description = "Not allowed for this role, or team figures asked for by an officer", body = ApiError),
        (status = 404, description = "No such team, or not one of yours", body = ApiError),
        (status = 422, description = "A date that is not a date, or a period inverted or longer than 366 days", body = ApiError),
    ),
)]
pub async fn timeliness(
    state: web::Data<AppState>,
    user: CaseworkUser,
    query: web::Query<TimelinessQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(query.board(&state, &user).await?))
}

/// The dashboard a staff member may see for the period and team asked for.
async fn board_for(
    state: &AppState,
    user: &StaffUser,
    from: Option<&str>,
    to: Option<&str>,
    team_id: Option<&str>,
) -> Result<Dashboard, AppError> {
    let now = db::now();
    let (dates, notes) = dates_of(from, to, london_date(now))?;
    let me = user.clone();
    let team = match team_id.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(TeamId::parse(raw).ok_or(AppError::NotFound)?),
    };
    let calendar = state.config.notify.rules.calendar.clone();
    state
        .db
        .run(move |conn| {
            let scope = match me.role {
                Role::Manager => {
                    let mine = dashboard::teams_of_manager(conn, &me.id)?;
                    match team {
                        Some(t) if mine.contains(&t) => Scope::Teams(vec![t]),
                        Some(_) => return Err(AppError::NotFound),
                        None => Scope::Teams(mine),
                    }
                }
                _ => {
                    if team.is_some() {
                        return Err(AppError::Forbidden {
                            code: "forbidden",
                            message: "Team figures are for managers; officers see their own.",
                        });
                    }
                    Scope::Officer(me.id.clone())
                }
            };
            let mut dates = dates;
            let mut notes = notes;
            if let Some(first) = dashboard::earliest_opening(conn, &scope)? {
                let first = london_date(first);
                if dates.from < first && first <= dates.to {
                    notes.push(format!(
                        "The period was shortened to start on {first}, when the first of these cases opened."
                    ));
                    dates.from = first;
                }
            }
            let targets = TargetHistory::load(conn)?;
            let note = (!notes.is_empty()).then(|| notes.join(" "));
            Ok(dashboard::build(
                conn, &scope, dates, note, now, &targets, &calendar,
            )?)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> chrono::NaiveDate {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_default_check_and_clamp() {
        let today = d("2026-11-26");
        let (dates, notes) = dates_of(None, None, today).unwrap();
        assert_eq!((dates.from, dates.to), (d("2026-10-30"), today));
        assert!(notes.is_empty());
        assert!(dates_of(Some("2026-11-10"), Some("2026-11-01"), today).is_err());
        assert!(dates_of(Some("2025-01-01"), Some("2026-11-01"), today).is_err());
        assert!(dates_of(Some("yesterday"), None, today).is_err());
        assert!(dates_of(Some("2026-12-01"), Some("2026-12-10"), today).is_err());
        assert!(
            dates_of(None, Some("-262144-01-01"), today).is_err(),
            "no overflow"
        );
        assert!(dates_of(Some("1066-10-14"), None, today).is_err());
        let (dates, _) = dates_of(None, Some("2027-03-01"), today).unwrap();
        assert_eq!(
            (dates.from, dates.to),
            (d("2026-10-30"), today),
            "cut, then defaulted"
        );
        let (dates, notes) = dates_of(Some("2026-11-01"), Some("2026-12-31"), today).unwrap();
        assert_eq!(dates.to, today);
        assert_eq!(notes.len(), 1);
    }
}
