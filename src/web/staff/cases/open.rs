//! Opening a case: the form and the use case behind it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use serde::{Deserialize, Serialize};

use crate::auth::ManagerUser;
use crate::auth::csrf::CsrfForm;
use crate::auth::session::StaffUser;
use crate::casework::cases::{self, NewCase};
use crate::casework::time::london_date;
use crate::casework::types::ContactChannel;
use crate::casework::{input, limits};
use crate::db::{self};
use crate::domain::{FormErrors, PersonName, TeamId, Validator};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::{render, see_other};

use super::{Choice, Page, case_url, channel_choices, form_errors};

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct CaseForm {
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    deceased_name: String,
    #[serde(default)]
    date_of_death: String,
    #[serde(default)]
    circumstances: String,
    #[serde(default)]
    needs_language: String,
    #[serde(default)]
    needs_interpreter: Option<String>,
    #[serde(default)]
    needs_accessibility: String,
    #[serde(default)]
    needs_faith_culture: String,
    #[serde(default)]
    needs_other: String,
    #[serde(default)]
    interval_hours: String,
    #[serde(default)]
    preferred_channel: String,
    #[serde(default)]
    preferred_hours: String,
}

#[derive(Serialize)]
struct NewCasePage<'a> {
    form: &'a CaseForm,
    errors: FormErrors,
    teams: Vec<Choice>,
    channels: Vec<Choice>,
}

async fn new_case_page(
    req: &HttpRequest,
    state: &AppState,
    user: &StaffUser,
    status: StatusCode,
    form: &CaseForm,
    errors: FormErrors,
) -> Page {
    let uid = user.id.clone();
    let teams = state
        .db
        .run(move |conn| Ok(crate::accounts::teams::of_user(conn, &uid)?))
        .await?;
    let teams = teams
        .into_iter()
        .map(|t| Choice {
            selected: t.id.as_str() == form.team_id,
            value: t.id.to_string(),
            text: t.name,
        })
        .collect();
    Ok(render(
        req,
        status,
        "pages/staff/case_new",
        "Open a case",
        Some(user),
        NewCasePage {
            form,
            errors,
            teams,
            channels: channel_choices(&form.preferred_channel),
        },
    ))
}

pub async fn new_case_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ManagerUser,
) -> Page {
    let form = CaseForm {
        interval_hours: "48".into(),
        preferred_channel: "phone".into(),
        ..CaseForm::default()
    };
    new_case_page(
        &req,
        &state,
        &user,
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

pub async fn create_case(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: ManagerUser,
    form: CsrfForm<CaseForm>,
) -> Page {
    let form = form.into_inner()?;
    let mut v = Validator::default();
    let team = v.check(
        TeamId::parse(form.team_id.trim())
            .ok_or_else(|| AppError::invalid("team_id", "Choose a team.")),
    );
    let name = v.check(PersonName::parse("deceased_name", &form.deceased_name));
    let died = v.check(input::date_of_death(&form.date_of_death));
    let circumstances = v.check(input::optional(
        "circumstances",
        Some(&form.circumstances),
        limits::CIRCUMSTANCES,
    ));
    let needs = v.check(input::needs(
        Some(&form.needs_language),
        form.needs_interpreter.is_some(),
        Some(&form.needs_accessibility),
        Some(&form.needs_faith_culture),
        Some(&form.needs_other),
    ));
    let plan = match form.interval_hours.trim() {
        "" => Some(None),
        hours => {
            let interval = v.check(hours.parse::<i64>().map_err(|_| {
                AppError::invalid(
                    "interval_hours",
                    "Enter the number of hours between contacts, like 48.",
                )
            }));
            let channel = v.check(ContactChannel::parse(&form.preferred_channel).ok_or_else(
                || {
                    AppError::invalid(
                        "preferred_channel",
                        "Choose how the family prefers to be contacted.",
                    )
                },
            ));
            match (interval, channel) {
                (Some(i), Some(c)) => v
                    .check(input::plan(
                        i,
                        c,
                        &form.preferred_hours,
                        london_date(db::now()),
                    ))
                    .map(Some),
                _ => None,
            }
        }
    };
    let checked = (|| Some((team?, name?, died?, circumstances?, needs?, plan?)))();
    let (team_id, deceased_name, date_of_death, circumstances, needs, plan) =
        match v.finish_with(checked) {
            Ok(values) => values,
            Err(errors) => {
                return new_case_page(
                    &req,
                    &state,
                    &user,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &form,
                    errors?,
                )
                .await;
            }
        };
    let new = NewCase {
        team_id,
        deceased_name,
        date_of_death,
        circumstances,
        needs,
        plan,
    };
    let me = user.0.clone();
    match state.db.run(move |conn| cases::open(conn, &me, new)).await {
        Ok(case) => Ok(see_other(&case_url(&case.id))),
        Err(e) => {
            let errors = form_errors(e, "team_id")?;
            new_case_page(
                &req,
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await
        }
    }
}
