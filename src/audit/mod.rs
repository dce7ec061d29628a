//! The audit log: who did what to which record, and when, including every sign-in, every
//! denied access and staff reads of a family's record. Append-only (the database refuses
//! UPDATE and DELETE). Details never carry case content, only ids and short reasons, so that
//! the administrator who reads the log learns nothing of the family.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::audit_events;
use crate::db::{self, DbConn};
use crate::domain::{CaseId, RelativeId, UserId, new_row_id};

/// Who acted.
#[derive(Debug, Clone)]
pub enum Actor {
    Staff(UserId),
    Relative(RelativeId),
    System,
    Anonymous,
}

impl Actor {
    fn kind(&self) -> &'static str {
        match self {
            Actor::Staff(_) => "staff",
            Actor::Relative(_) => "relative",
            Actor::System => "system",
            Actor::Anonymous => "anonymous",
        }
    }

    fn id(&self) -> Option<&str> {
        match self {
            Actor::Staff(id) => Some(id.as_str()),
            Actor::Relative(id) => Some(id.as_str()),
            Actor::System | Actor::Anonymous => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// One event being built; `write` stores it.
#[must_use = "an audit event does nothing until written"]
pub struct Event {
    actor: Actor,
    action: &'static str,
    outcome: Outcome,
    record_kind: Option<&'static str>,
    record_id: Option<String>,
    case_id: Option<CaseId>,
    ip: Option<String>,
    detail: String,
}

/// Starts an event: `audit::event(&actor, "user.create").record("user", &id).write(conn)?`.
pub fn event(actor: &Actor, action: &'static str) -> Event {
    Event {
        actor: actor.clone(),
        action,
        outcome: Outcome::Ok,
        record_kind: None,
        record_id: None,
        case_id: None,
        ip: None,
        detail: String::new(),
    }
}

impl Event {
    pub fn outcome(mut self, outcome: Outcome) -> Event {
        self.outcome = outcome;
        self
    }

    pub fn record(mut self, kind: &'static str, id: impl std::fmt::Display) -> Event {
        self.record_kind = Some(kind);
        self.record_id = Some(id.to_string());
        self
    }

    pub fn case(mut self, case_id: &CaseId) -> Event {
        self.case_id = Some(case_id.clone());
        self
    }

    pub fn ip(mut self, ip: Option<&str>) -> Event {
        self.ip = ip.map(str::to_owned);
        self
    }

    /// A short, content-free note: a reason code, a changed field's name, a path.
    pub fn detail(mut self, detail: impl Into<String>) -> Event {
        let mut d: String = detail.into();
        if d.len() > 500 {
            let mut cut = 500;
            while !d.is_char_boundary(cut) {
                cut -= 1;
            }
            d.truncate(cut);
        }
        self.detail = d;
        self
    }

    pub fn write(self, conn: &mut DbConn) -> QueryResult<()> {
        diesel::insert_into(audit_events::table)
            .values((
                audit_events::id.eq(new_row_id()),
                audit_events::occurred_at.eq(db::now()),
                audit_events::actor_kind.eq(self.actor.kind()),
                audit_events::actor_id.eq(self.actor.id()),
                audit_events::action.eq(self.action),
                audit_events::outcome.eq(self.outcome.as_str()),
                audit_events::record_kind.eq(self.record_kind),
                audit_events::record_id.eq(self.record_id.as_deref()),
                audit_events::case_id.eq(self.case_id.as_ref()),
                audit_events::ip.eq(self.ip.as_deref()),
                audit_events::detail.eq(&self.detail),
            ))
            .execute(conn)
            .map(|_| ())
    }
}

/// An audit event as the administrator reads it.
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    pub id: String,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub occurred_at: NaiveDateTime,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub outcome: String,
    pub record_kind: Option<String>,
    pub record_id: Option<String>,
    pub case_id: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
}

/// Filters for reading the log; all optional.
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub case_id: Option<String>,
    pub outcome: Option<String>,
    /// Only events strictly older than this id (for paging backwards).
    pub before: Option<String>,
    pub limit: i64,
}

/// Newest first.
pub fn list(conn: &mut DbConn, q: &AuditQuery) -> QueryResult<Vec<AuditEvent>> {
    let mut query = audit_events::table
        .select((
            audit_events::id,
            audit_events::occurred_at,
            audit_events::actor_kind,
            audit_events::actor_id,
            audit_events::action,
            audit_events::outcome,
            audit_events::record_kind,
            audit_events::record_id,
            audit_events::case_id,
            audit_events::ip,
            audit_events::detail,
        ))
        .into_boxed();
    if let Some(a) = &q.actor_id {
        query = query.filter(audit_events::actor_id.eq(a.clone()));
    }
    if let Some(a) = &q.action {
        query = query.filter(audit_events::action.eq(a.clone()));
    }
    if let Some(c) = &q.case_id {
        query = query.filter(audit_events::case_id.eq(c.clone()));
    }
    if let Some(o) = &q.outcome {
        query = query.filter(audit_events::outcome.eq(o.clone()));
    }
    if let Some(b) = &q.before {
        query = query.filter(audit_events::id.lt(b.clone()));
    }
    query
        .order(audit_events::id.desc())
        .limit(q.limit.clamp(1, 500))
        .load(conn)
}
