//! Operations for managers: the list with a form to start one from a case of their team, and
//! each operation's page (every case of it they may see, the reference and team of the rest)
//! with forms to add a case, take one out and merge another operation into it. The three
//! forms of an operation's page name their fields `add_...`, `remove_...` and `merge_...`, so
//! that each field has an id of its own.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use serde::{Deserialize, Serialize};

use crate::auth::ManagerUser;
use crate::auth::csrf::CsrfForm;
use crate::auth::session::StaffUser;
use crate::casework::input;
use crate::casework::limits;
use crate::casework::operations::{self, Choosable, Operation, OperationLine};
use crate::db::DbConn;
use crate::domain::{CaseId, FormErrors, OperationId, Picked, Validator};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::{Incoming, render};
use crate::web::staff::cases::{Choice, Page, save};

fn case_choices(
    cases: &[Choosable],
    keep: impl Fn(&Choosable) -> bool,
    selected: &str,
) -> Vec<Choice> {
    cases
        .iter()
        .filter(|c| keep(c))
        .map(|c| Choice {
            value: c.id.to_string(),
            text: format!("{}, {}", c.reference, c.deceased_name),
            selected: c.id.as_str() == selected,
        })
        .collect()
}

fn operation_url(id: &OperationId) -> String {
    format!("/staff/operations/{id}")
}

// ---- the list -------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct StartForm {
    name: String,
    case_id: String,
    reason: String,
}

#[derive(Serialize)]
struct ListPage<'a> {
    operations: Vec<OperationLine>,
    free: Vec<Choice>,
    form: &'a StartForm,
    errors: FormErrors,
}

async fn list_page(
    (req, state): (&HttpRequest, &AppState),
    user: &StaffUser,
    status: StatusCode,
    form: &StartForm,
    errors: FormErrors,
) -> Page {
    let me = user.clone();
    let (list, cases) = state
        .db
        .run(move |conn| {
            Ok((
                operations::list(conn, &me)?,
                operations::managed_cases(conn, &me)?,
            ))
        })
        .await?;
    let body = ListPage {
        operations: list,
        free: case_choices(&cases, |c| c.operation.is_none(), &form.case_id),
        form,
        errors,
    };
    Ok(render(
        req,
        status,
        "pages/staff/operations",
        "Operations",
        Some(user),
        body,
    ))
}

pub async fn operations_list((req, state): Incoming, user: ManagerUser) -> Page {
    let form = StartForm::default();
    list_page(
        (&req, &state),
        &user,
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

pub async fn operation_create(
    (req, state): Incoming,
    user: ManagerUser,
    form: CsrfForm<StartForm>,
) -> Page {
    let form = form.into_inner()?;
    let mut v = Validator::default();
    let name = v.check(operations::parse_name(&form.name));
    let case = v.check(
        Picked::text(&form.case_id, CaseId::parse)
            .required("case_id", "Choose a case of your team."),
    );
    let reason = v.check(input::required("reason", &form.reason, limits::REASON));
    let checked = v.finish_with(name.zip(case).zip(reason));
    let me = user.0.clone();
    save(
        &state,
        checked,
        move |conn, ((name, case), reason)| operations::create(conn, &me, &name, &case, &reason),
        "case_id",
        |made| operation_url(&made.id),
        async |errors| {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            list_page((&req, &state), &user, status, &form, errors).await
        },
    )
    .await
}

// ---- one operation ---------------------------------------------------------------------

/// Any of the operation page's three forms, by its prefixed field names.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OperationForm {
    add_case_id: String,
    add_reason: String,
    remove_case_id: String,
    remove_reason: String,
    merge_operation_id: String,
    merge_reason: String,
}

#[derive(Serialize)]
struct OperationPage<'a> {
    operation: Operation,
    /// The manager's cases in no operation.
    to_add: Vec<Choice>,
    /// The manager's cases of this operation.
    to_remove: Vec<Choice>,
    /// Every other operation, to merge into this one.
    others: Vec<Choice>,
    form: &'a OperationForm,
    errors: FormErrors,
}

async fn operation_page(
    (req, state): (&HttpRequest, &AppState),
    user: &StaffUser,
    id: &OperationId,
    status: StatusCode,
    form: &OperationForm,
    errors: FormErrors,
) -> Page {
    let (me, oid) = (user.clone(), id.clone());
    let (operation, cases, list) = state
        .db
        .run(move |conn| {
            Ok((
                operations::read(conn, &me, &oid)?,
                operations::managed_cases(conn, &me)?,
                operations::list(conn, &me)?,
            ))
        })
        .await?;
    let title = operation.name.clone();
    let body = OperationPage {
        to_add: case_choices(&cases, |c| c.operation.is_none(), &form.add_case_id),
        to_remove: case_choices(
            &cases,
            |c| c.operation.as_ref() == Some(id),
            &form.remove_case_id,
        ),
        others: list
            .into_iter()
            .filter(|o| o.id != *id)
            .map(|o| Choice {
                selected: o.id.as_str() == form.merge_operation_id,
                value: o.id.to_string(),
                text: format!("{} ({} cases)", o.name, o.cases),
            })
            .collect(),
        operation,
        form,
        errors,
    };
    Ok(render(
        req,
        status,
        "pages/staff/operation",
        &title,
        Some(user),
        body,
    ))
}

pub async fn operation(
    (req, state): Incoming,
    user: ManagerUser,
    path: web::Path<OperationId>,
) -> Page {
    let form = OperationForm::default();
    let ok = StatusCode::OK;
    operation_page(
        (&req, &state),
        &user,
        &path,
        ok,
        &form,
        FormErrors::default(),
    )
    .await
}

/// What an operation's form is given when it is sent.
type OperationPost = (
    HttpRequest,
    web::Data<AppState>,
    ManagerUser,
    web::Path<OperationId>,
    CsrfForm<OperationForm>,
);

/// An operation's form once read: the request, the manager, the operation and the form.
type Sent = (
    HttpRequest,
    web::Data<AppState>,
    ManagerUser,
    OperationId,
    OperationForm,
);

/// A checked form's values, or the errors to show.
type Checked<T> = Result<T, Result<FormErrors, AppError>>;

/// The end of each of the operation page's forms: `write` with what was checked, back to the
/// page; or the page again (422) with the errors under `prefix`'s fields.
async fn finish<T: Send + 'static>(
    (req, state, user, path, form): Sent,
    checked: Checked<T>,
    prefix: &'static str,
    write: impl FnOnce(&mut DbConn, &StaffUser, &OperationId, T) -> Result<Operation, AppError>
    + Send
    + 'static,
) -> Page {
    let (me, id) = (user.0.clone(), path.clone());
    let default_field = format!("{prefix}case_id");
    save(
        &state,
        checked,
        move |conn, value| write(conn, &me, &id, value),
        &default_field,
        |done| format!("{}?saved=1", operation_url(&done.id)),
        async |errors| {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            operation_page((&req, &state), &user, &path, status, &form, errors).await
        },
    )
    .await
}

pub async fn case_add((req, state, user, path, form): OperationPost) -> Page {
    let form = form.into_inner()?;
    let mut v = Validator::default();
    let case = v.check(
        Picked::text(&form.add_case_id, CaseId::parse)
            .required("add_case_id", "Choose a case of your team."),
    );
    let reason = v.check(input::required(
        "add_reason",
        &form.add_reason,
        limits::REASON,
    ));
    let checked = v.finish_with(case.zip(reason));
    let asked = (req, state, user, path.into_inner(), form);
    finish(asked, checked, "add_", |conn, me, id, (case, reason)| {
        operations::add(conn, me, id, &case, &reason)
    })
    .await
}

pub async fn case_remove((req, state, user, path, form): OperationPost) -> Page {
    let form = form.into_inner()?;
    let mut v = Validator::default();
    let case = v.check(
        Picked::text(&form.remove_case_id, CaseId::parse)
            .required("remove_case_id", "Choose a case of your team."),
    );
    let reason = v.check(input::required(
        "remove_reason",
        &form.remove_reason,
        limits::REASON,
    ));
    let checked = v.finish_with(case.zip(reason));
    let asked = (req, state, user, path.into_inner(), form);
    finish(asked, checked, "remove_", |conn, me, id, (case, reason)| {
        operations::remove(conn, me, id, &case, &reason)
    })
    .await
}

pub async fn merge((req, state, user, path, form): OperationPost) -> Page {
    let form = form.into_inner()?;
    let mut v = Validator::default();
    let other = v.check(
        Picked::text(&form.merge_operation_id, OperationId::parse).required(
            "merge_operation_id",
            "Choose the operation to merge into this one.",
        ),
    );
    let reason = v.check(input::required(
        "merge_reason",
        &form.merge_reason,
        limits::REASON,
    ));
    let checked = v.finish_with(other.zip(reason));
    let asked = (req, state, user, path.into_inner(), form);
    finish(asked, checked, "merge_", |conn, me, id, (other, reason)| {
        operations::merge(conn, me, id, &other, &reason)
    })
    .await
}
