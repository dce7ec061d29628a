//! Messages to the case team, with the thread and its acknowledgements and answers.

use crate::auth::csrf::CsrfForm;
use crate::db;
use crate::domain::LimitedText;
use crate::family::messages::{self, BODY_MAX, Category};
use crate::family::portal::tr;
use crate::family::session::FamilyUser;
use crate::state::AppState;
use crate::web::pages::see_other;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use serde::{Deserialize, Serialize};

use super::{Page, no_problems, problems, render};

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct FamilyMessageForm {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub body: String,
}

#[derive(Deserialize)]
pub struct SentQuery {
    sent: Option<String>,
}

async fn messages_page(
    req: &HttpRequest,
    state: &AppState,
    user: &FamilyUser,
    status: StatusCode,
    form: &FamilyMessageForm,
    errors: serde_json::Value,
    sent: bool,
) -> Page {
    let u = user.clone();
    let thread = state
        .db
        .run(move |conn| {
            let thread = messages::thread(conn, &u.case_id, Some((&u.relative_id, u.lang)))?;
            let shown = thread.clone();
            let rid = u.relative_id.clone();
            db::write(conn, move |conn| messages::mark_read(conn, &rid, &shown))?;
            Ok(thread)
        })
        .await?;
    let categories: Vec<serde_json::Value> = Category::ALL
        .iter()
        .map(|c| {
            serde_json::json!({
                "value": c.as_str(),
                "text": tr(user.lang, &format!("category-{}", c.as_str())),
                "selected": form.category == c.as_str(),
            })
        })
        .collect();
    Ok(render(
        req,
        status,
        "pages/family/messages",
        "messages-title",
        Some(user),
        serde_json::json!({
            "thread": thread,
            "form": form,
            "errors": errors,
            "categories": categories,
            "sent": sent,
            "limit": BODY_MAX,
        }),
    ))
}

pub async fn messages_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: FamilyUser,
    query: web::Query<SentQuery>,
) -> Page {
    messages_page(
        &req,
        &state,
        &user,
        StatusCode::OK,
        &FamilyMessageForm::default(),
        no_problems(),
        query.sent.is_some(),
    )
    .await
}

pub async fn message_send(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: FamilyUser,
    form: CsrfForm<FamilyMessageForm>,
) -> Page {
    let form = form.into_inner()?;
    let category = Category::parse(form.category.trim());
    let mut errs: Vec<(&str, &str)> = Vec::new();
    if category.is_none() {
        errs.push(("category", "messages-error-category"));
    }
    let body = if form.body.trim().is_empty() {
        errs.push(("body", "messages-error-empty"));
        None
    } else {
        match LimitedText::parse("body", &form.body, BODY_MAX) {
            Ok(b) => Some(b),
            Err(_) => {
                errs.push(("body", "messages-error-long"));
                None
            }
        }
    };
    let (Some(category), Some(body)) = (category, body) else {
        let errors = problems(user.lang, &errs);
        return messages_page(
            &req,
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            errors,
            false,
        )
        .await;
    };
    let u = user.clone();
    state
        .db
        .run(move |conn| messages::send_from_family(conn, &u, category, &body))
        .await?;
    Ok(see_other("/family/messages?sent=1"))
}
