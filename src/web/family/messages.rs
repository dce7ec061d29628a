//! Messages to the case team, with the thread and its acknowledgements and answers.

use crate::auth::csrf::CsrfForm;
use crate::domain::LimitedText;
use crate::family::messages::{self, BODY_MAX, Category};
use crate::family::portal::tr;
use crate::family::session::FamilyUser;
use crate::state::AppState;
use crate::web::pages::Incoming;
use crate::web::pages::see_other;
use actix_web::{HttpRequest, web};
use serde::{Deserialize, Serialize};

use super::{Page, form_problems, render};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct FamilyMessageForm {
    pub category: String,
    pub body: String,
}

#[derive(Deserialize)]
pub struct SentQuery {
    sent: Option<String>,
}

/// The thread with the form to write; `problems` with what was sent when it is shown again.
async fn messages_page(
    req: &HttpRequest,
    state: &AppState,
    user: &FamilyUser,
    form: &FamilyMessageForm,
    problems: &[(&str, &str)],
    sent: bool,
) -> Page {
    let u = user.clone();
    let thread = state
        .db
        .run(move |conn| messages::thread_marked_read(conn, &u))
        .await?;
    let (status, errors) = form_problems(user.lang, problems);
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
    (req, state): Incoming,
    user: FamilyUser,
    query: web::Query<SentQuery>,
) -> Page {
    let blank = FamilyMessageForm::default();
    messages_page(&req, &state, &user, &blank, &[], query.sent.is_some()).await
}

pub async fn message_send(
    (req, state): Incoming,
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
        return messages_page(&req, &state, &user, &form, &errs, false).await;
    };
    let u = user.clone();
    state
        .db
        .run(move |conn| messages::send_from_family(conn, &u, category, &body))
        .await?;
    Ok(see_other("/family/messages?sent=1"))
}
