//! Property held by police: recording an item and moving it on (held, released, returned).

use actix_web::http::StatusCode;
use actix_web::web;
use serde::{Deserialize, Serialize};

use crate::auth::CaseworkOnCase;
use crate::auth::csrf::CsrfForm;
use crate::casework::input::{self, ItemFields};
use crate::casework::limits;
use crate::casework::property::{self, Move};
use crate::casework::time::{london_date, parse_date};
use crate::casework::types::PropertyStatus;
use crate::db::{self};
use crate::domain::{CaseId, FormErrors, PropertyItemId, Validator};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::see_other;

use super::{Asked, CaseGet, CasePost, Choice, Page, case_url, choices, save};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PropertyForm {
    description: String,
    held_since: String,
    staff_notes: String,
}

#[derive(Serialize)]
struct PropertyPage<'a> {
    form: &'a PropertyForm,
    errors: FormErrors,
    items: Vec<property::ItemView>,
    statuses: Vec<Choice>,
    today: String,
}

async fn property_page(
    on: Asked<'_>,
    status: StatusCode,
    form: &PropertyForm,
    errors: FormErrors,
) -> Page {
    let (_, header) = on.load("property").await?;
    let items = on.read(|conn, id| Ok(property::list(conn, id)?)).await?;
    let body = PropertyPage {
        form,
        errors,
        items,
        statuses: choices(
            &PropertyStatus::ALL[1..],
            PropertyStatus::as_str,
            PropertyStatus::label,
            "",
        ),
        today: london_date(db::now()).to_string(),
    };
    on.page(status, "pages/staff/property", "Property", header, body)
}

pub async fn property_list((req, state, user, path): CaseGet) -> Page {
    let form = PropertyForm {
        held_since: london_date(db::now()).to_string(),
        ..PropertyForm::default()
    };
    property_page(
        Asked::new(&req, &state, &user, &path),
        StatusCode::OK,
        &form,
        FormErrors::default(),
    )
    .await
}

pub async fn property_add((req, state, user, path, form): CasePost<PropertyForm>) -> Page {
    let form = form.into_inner()?;
    let id = path.into_inner();
    let mut v = Validator::default();
    let new = input::item(
        ItemFields {
            description: &form.description,
            held_since: Some(&form.held_since),
            staff_notes: Some(&form.staff_notes),
        },
        &mut v,
    );
    let (me, cid) = (user.0.clone(), id.clone());
    save(
        &state,
        v.finish_with(new),
        move |conn, new| property::add(conn, &me, &cid, &new),
        "description",
        |_| format!("{}/property?saved=1", case_url(&id)),
        async |errors| {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            property_page(Asked::new(&req, &state, &user, &id), status, &form, errors).await
        },
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    status: String,
    on: String,
    received_by: String,
    version: String,
}

pub async fn property_move(
    state: web::Data<AppState>,
    user: CaseworkOnCase,
    path: web::Path<(CaseId, PropertyItemId)>,
    form: CsrfForm<MoveForm>,
) -> Page {
    let form = form.into_inner()?;
    let m = Move {
        status: PropertyStatus::parse(&form.status)
            .ok_or_else(|| AppError::invalid("status", "Choose what happened to the item."))?,
        on: parse_date("on", &form.on)?,
        received_by: input::optional("received_by", Some(&form.received_by), limits::RECEIVED_BY)?,
        note: None,
        expected_version: form.version.trim().parse().map_err(|_| {
            AppError::BadRequest("The form is missing its version; reload the page.".into())
        })?,
    };
    let (me, (id, item)) = (user.0, path.into_inner());
    let back = case_url(&id);
    state
        .db
        .run(move |conn| property::move_item(conn, &me, &id, &item, &m))
        .await?;
    Ok(see_other(&format!("{back}/property?saved=1")))
}
