//! The manager's forms: contact plan, closing with the exit plan, reopening; and where the
//! case stands in an operation (managed on the operation's pages).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use serde::{Deserialize, Serialize};

use crate::auth::ManagerOnCase;
use crate::auth::ManagerUser;
use crate::auth::csrf::CsrfForm;
use crate::auth::session::StaffUser;
use crate::casework::cases;
use crate::casework::input::{self, Picked, PlanFields};
use crate::casework::types::ContactChannel;
use crate::casework::{access, limits};
use crate::db::DbConn;
use crate::domain::{CaseId, FormErrors, Validator};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::Incoming;
use crate::web::pages::see_other;

use super::{Asked, Choice, Page, case_url, channel_choices, form_errors};

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct ManageForm {
    interval_hours: String,
    preferred_channel: String,
    preferred_hours: String,
    reason: String,
    how_liaison_ends: String,
    contact_afterwards: String,
    how_to_reactivate: String,
}

#[derive(Serialize)]
struct ManagePage<'a> {
    form: &'a ManageForm,
    errors: FormErrors,
    channels: Vec<Choice>,
    /// The operation the case is in: its id and name.
    operation: Option<(crate::domain::OperationId, String)>,
    open: bool,
}

async fn manage_page(
    on: Asked<'_>,
    status: StatusCode,
    form: &ManageForm,
    errors: FormErrors,
) -> Page {
    let (case, header) = on.load("manage").await?;
    let operation = on
        .read(|conn, id| Ok(crate::casework::operations::named_of_case(conn, id)?))
        .await?;
    let body = ManagePage {
        form,
        errors,
        channels: channel_choices(&form.preferred_channel),
        operation,
        open: case.status == crate::casework::types::CaseStatus::Open,
    };
    on.page(
        status,
        "pages/staff/case_manage",
        "Manage the case",
        header,
        body,
    )
}

pub async fn manage((req, state): Incoming, user: ManagerUser, path: web::Path<CaseId>) -> Page {
    let id = path.into_inner();
    let (me, cid) = (user.0.clone(), id.clone());
    let plan = state
        .db
        .run(move |conn| {
            let case = access::require_visible(conn, &me, &cid)?;
            access::require_manager(conn, &me, &case)?;
            Ok(cases::plans(conn, &cid)?.into_iter().next())
        })
        .await?;
    let form = ManageForm {
        interval_hours: plan
            .as_ref()
            .map(|p| p.interval_hours.to_string())
            .unwrap_or_else(|| "48".into()),
        preferred_channel: plan
            .as_ref()
            .map(|p| p.preferred_channel.as_str().to_owned())
            .unwrap_or_else(|| "phone".into()),
        preferred_hours: plan.map(|p| p.preferred_hours).unwrap_or_default(),
        ..ManageForm::default()
    };
    manage_page(
        Asked::new(&req, &state, &user, &id),
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

/// What every action of the manage page is given: the request, a manager of the case and the
/// submitted form.
pub type ManageAction = (
    HttpRequest,
    web::Data<AppState>,
    ManagerOnCase,
    web::Path<CaseId>,
    CsrfForm<ManageForm>,
);

/// Runs a manager action from the manage page; a broken rule shows the page again.
async fn manage_action<F>(
    (req, state, user, path, form): ManageAction,
    field: &'static str,
    saved: &str,
    action: F,
) -> Page
where
    F: FnOnce(&mut DbConn, &StaffUser, &CaseId, &ManageForm) -> Result<(), AppError>
        + Send
        + 'static,
{
    let (form, id) = (form.into_inner()?, path.into_inner());
    let (me, cid) = (user.0.clone(), id.clone());
    let form_copy = form.clone();
    match state
        .db
        .run(move |conn| action(conn, &me, &cid, &form_copy))
        .await
    {
        Ok(()) => Ok(see_other(&format!("{}?saved={saved}", case_url(&id)))),
        Err(e) => {
            let errors = form_errors(e, field)?;
            manage_page(
                Asked::new(&req, &state, &user, &id),
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                errors,
            )
            .await
        }
    }
}

pub async fn set_plan(asked: ManageAction) -> Page {
    manage_action(asked, "interval_hours", "plan", |conn, me, id, f| {
        let mut v = Validator::default();
        let plan = input::plan(
            PlanFields {
                interval_hours: Picked::text(&f.interval_hours, |h| h.parse().ok()),
                channel: Picked::text(&f.preferred_channel, ContactChannel::parse),
                preferred_hours: &f.preferred_hours,
                agreed_on: None,
            },
            &mut v,
        );
        let reason = v.check(input::required("reason", &f.reason, limits::REASON));
        let (plan, reason) = v.finish_api_with((|| Some((plan?, reason?)))())?;
        cases::set_plan(conn, me, id, &plan, &reason)
    })
    .await
}

pub async fn close(asked: ManageAction) -> Page {
    manage_action(asked, "how_liaison_ends", "closed", |conn, me, id, f| {
        let plan = input::exit_plan(
            &f.how_liaison_ends,
            &f.contact_afterwards,
            &f.how_to_reactivate,
        )?;
        cases::close(conn, me, id, &plan).map(|_| ())
    })
    .await
}

pub async fn reopen(asked: ManageAction) -> Page {
    manage_action(asked, "reason", "reopened", |conn, me, id, f| {
        let reason = input::required("reason", &f.reason, limits::REASON)?;
        cases::reopen(conn, me, id, &reason).map(|_| ())
    })
    .await
}
