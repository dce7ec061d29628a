//! The audit log, filtered by who, what, record and time.

use crate::audit::{self, AuditQuery};
use crate::auth::AuditReader;
use crate::error::AppError;
use crate::web::pages::Incoming;
use crate::web::pages::{self};
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<String>,
    pub case_id: Option<String>,
    pub outcome: Option<String>,
    pub before: Option<String>,
    pub limit: Option<i64>,
}

impl AuditFilter {
    pub fn to_query(&self) -> AuditQuery {
        let nonempty = |s: &Option<String>| {
            s.as_ref()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        AuditQuery {
            action: nonempty(&self.action),
            actor_id: nonempty(&self.actor_id),
            case_id: nonempty(&self.case_id),
            outcome: nonempty(&self.outcome),
            before: nonempty(&self.before),
            limit: self.limit.unwrap_or(100),
        }
    }
}

#[derive(Serialize)]
struct AuditPage<'a> {
    events: Vec<audit::AuditEvent>,
    filter: &'a AuditFilter,
    older: Option<String>,
}

pub async fn audit_log(
    (req, state): Incoming,
    reader: AuditReader,
    filter: web::Query<AuditFilter>,
) -> Result<HttpResponse, AppError> {
    let query = filter.to_query();
    let limit = query.limit.clamp(1, 500);
    let events = state
        .db
        .run(move |conn| Ok(audit::list(conn, &query)?))
        .await?;
    let older = (events.len() as i64 == limit)
        .then(|| events.last().map(|e| e.id.clone()))
        .flatten();
    Ok(pages::ok(
        &req,
        "pages/admin/audit",
        "Audit log",
        &reader,
        AuditPage {
            events,
            filter: &filter,
            older,
        },
    ))
}
