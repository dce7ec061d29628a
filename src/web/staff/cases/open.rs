//! Opening a case: the form and the use case behind it.

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::auth::ManagerUser;
use crate::auth::csrf::CsrfForm;
use crate::auth::session::StaffUser;
use crate::casework::cases::{self};
use crate::casework::input::{self, CaseFields, NeedsFields, Picked, PlanFields};
use crate::casework::types::{CaseType, ContactChannel};
use crate::domain::{FormErrors, TeamId, Validator};
use crate::state::AppState;
use crate::web::pages::Incoming;
use crate::web::pages::render;

use super::{Choice, Page, case_url, channel_choices, save};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CaseForm {
    team_id: String,
    deceased_name: String,
    date_of_death: String,
    circumstances: String,
    needs_language: String,
    needs_interpreter: Option<String>,
    needs_accessibility: String,
    needs_faith_culture: String,
    needs_other: String,
    interval_hours: String,
    preferred_channel: String,
    preferred_hours: String,
    case_type: String,
}

#[derive(Serialize)]
struct NewCasePage<'a> {
    form: &'a CaseForm,
    errors: FormErrors,
    teams: Vec<Choice>,
    channels: Vec<Choice>,
    types: Vec<Choice>,
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
            types: super::choices(
                CaseType::ALL,
                CaseType::as_str,
                CaseType::label,
                &form.case_type,
            ),
        },
    ))
}

pub async fn new_case_form((req, state): Incoming, user: ManagerUser) -> Page {
    let form = CaseForm {
        interval_hours: "48".into(),
        preferred_channel: "phone".into(),
        case_type: CaseType::Other.as_str().into(),
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
    (req, state): Incoming,
    user: ManagerUser,
    form: CsrfForm<CaseForm>,
) -> Page {
    let form = form.into_inner()?;
    let plan = match form.interval_hours.trim() {
        "" => None,
        _ => Some(PlanFields {
            interval_hours: Picked::text(&form.interval_hours, |h| h.parse().ok()),
            channel: Picked::text(&form.preferred_channel, ContactChannel::parse),
            preferred_hours: &form.preferred_hours,
            agreed_on: None,
        }),
    };
    let mut v = Validator::default();
    let new = input::case(
        CaseFields {
            team: Picked::text(&form.team_id, TeamId::parse),
            deceased_name: &form.deceased_name,
            date_of_death: &form.date_of_death,
            circumstances: Some(&form.circumstances),
            needs: NeedsFields {
                language: Some(&form.needs_language),
                interpreter: form.needs_interpreter.is_some(),
                accessibility: Some(&form.needs_accessibility),
                faith_culture: Some(&form.needs_faith_culture),
                other: Some(&form.needs_other),
            },
            plan,
            case_type: Picked::text(&form.case_type, CaseType::parse),
        },
        &mut v,
    );
    let me = user.0.clone();
    save(
        &state,
        v.finish_with(new),
        move |conn, new| cases::open(conn, &me, new),
        "team_id",
        |case| case_url(&case.id),
        async |errors| {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            new_case_page(&req, &state, &user, status, &form, errors).await
        },
    )
    .await
}
