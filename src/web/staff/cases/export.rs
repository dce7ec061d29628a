//! The disclosure export: the whole case log as a page, CSV and JSON.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::auth::CaseworkUser;
use crate::auth::session::StaffUser;
use crate::domain::CaseId;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::render;

use super::{CaseGet, Page};

async fn disclosure(
    state: &AppState,
    user: &StaffUser,
    id: CaseId,
) -> Result<crate::casework::export::Disclosure, AppError> {
    let me = user.clone();
    state
        .db
        .run(move |conn| crate::casework::export::build(conn, &me, &id))
        .await
}

pub async fn export_page((req, state, user, path): CaseGet) -> Page {
    let d = disclosure(&state, &user, path.into_inner()).await?;
    let title = format!("Disclosure record – {}", d.case.reference);
    Ok(render(
        &req,
        StatusCode::OK,
        "pages/staff/export",
        &title,
        Some(&user),
        d,
    ))
}

fn download(content_type: &str, filename: String, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Content-Type", content_type.to_owned()))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body)
}

pub async fn export_csv(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Page {
    let d = disclosure(&state, &user, path.into_inner()).await?;
    Ok(download(
        "text/csv; charset=utf-8",
        format!("{}-disclosure.csv", d.case.reference),
        crate::casework::export::to_csv(&d),
    ))
}

pub async fn export_json(
    state: web::Data<AppState>,
    user: CaseworkUser,
    path: web::Path<CaseId>,
) -> Page {
    let d = disclosure(&state, &user, path.into_inner()).await?;
    let body = serde_json::to_string_pretty(&d).map_err(|e| AppError::Internal(e.into()))?;
    Ok(download(
        "application/json",
        format!("{}-disclosure.json", d.case.reference),
        body,
    ))
}
