//! The disclosure export: everything recorded on a case (contacts with their corrections,
//! updates, follow-ups and their events, property, named contacts, relatives, plans, stages and milestones,
//! opening and closing) and who read or changed it, for a print-friendly page, CSV and JSON.
//! Producing an export is itself an audit event.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor, AuditEvent, AuditQuery};
use crate::auth::session::StaffUser;
use crate::casework::cases::{self, Case};
use crate::casework::{
    assignments, contacts, follow_ups, operations, property, relatives, timeline, updates,
};
use crate::db::schema::users;
use crate::db::{self, DbConn};
use crate::domain::CaseId;
use crate::error::AppError;

/// One entry of who read or changed the record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccessEntry {
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub at: NaiveDateTime,
    pub who: String,
    pub action: String,
    pub outcome: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Disclosure {
    pub case: Case,
    pub team_name: String,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub generated_at: NaiveDateTime,
    pub generated_by: String,
    /// The stage history kept from before milestones, under its original names.
    pub stages: Vec<cases::StageReached>,
    pub milestones: crate::casework::milestones::Progress,
    pub contact_plans: Vec<cases::ContactPlan>,
    pub exit_plans: Vec<cases::ExitPlanRecord>,
    pub named_contacts: Vec<assignments::Assignment>,
    pub relatives: Vec<relatives::Relative>,
    pub contacts: Vec<contacts::ContactView>,
    pub follow_ups: Vec<follow_ups::FollowUpView>,
    pub updates: Vec<updates::Update>,
    pub property: Vec<property::ItemView>,
    /// Every operation the case was in, with the reasons it was added and taken out.
    pub operations: Vec<operations::Membership>,
    /// Links between cases made before operations, removed ones included.
    pub links_before_operations: Vec<operations::LinkBefore>,
    /// Everything, in time order (oldest first), as it reads on the timeline.
    pub timeline: Vec<timeline::Entry>,
    /// Who read or changed the record, oldest first.
    pub access: Vec<AccessEntry>,
}

fn who(conn: &mut DbConn, e: &AuditEvent) -> QueryResult<String> {
    match (e.actor_kind.as_str(), &e.actor_id) {
        ("staff", Some(id)) => Ok(users::table
            .filter(users::id.eq(id))
            .select(users::display_name)
            .first::<String>(conn)
            .optional()?
            .map(|n| format!("{n} (staff)"))
            .unwrap_or_else(|| format!("staff {id}"))),
        ("relative", Some(id)) => Ok(format!("relative {id}")),
        (kind, _) => Ok(kind.to_owned()),
    }
}

/// Builds the export for a case the caller can see, and records that it was made.
pub fn build(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
) -> Result<Disclosure, AppError> {
    let case = crate::casework::access::require_visible(conn, user, case_id)?;
    audit::event(&Actor::Staff(user.id.clone()), "case.export")
        .record("case", case_id)
        .case(case_id)
        .write(conn)?;
    let mut events = Vec::new();
    let mut before = None;
    // The access log in pages of 500, newest first, then turned round.
    loop {
        let page = audit::list(
            conn,
            &AuditQuery {
                case_id: Some(case_id.to_string()),
                before: before.clone(),
                limit: 500,
                ..AuditQuery::default()
            },
        )?;
        let done = page.len() < 500;
        before = page.last().map(|e| e.id.clone());
        events.extend(page);
        if done {
            break;
        }
    }
    events.reverse();
    let mut access = Vec::with_capacity(events.len());
    for e in &events {
        access.push(AccessEntry {
            at: e.occurred_at,
            who: who(conn, e)?,
            action: e.action.clone(),
            outcome: e.outcome.clone(),
            detail: e.detail.clone(),
        });
    }
    let mut entries = timeline::build(conn, case_id, &[])?;
    entries.reverse();
    Ok(Disclosure {
        team_name: crate::accounts::teams::find(conn, &case.team_id)?
            .map(|t| t.name)
            .unwrap_or_default(),
        generated_at: db::now(),
        generated_by: user.display_name.clone(),
        stages: cases::stage_history(conn, case_id)?,
        milestones: crate::casework::milestones::progress(conn, &case)?,
        contact_plans: cases::plans(conn, case_id)?,
        exit_plans: cases::exit_plans(conn, case_id)?,
        named_contacts: assignments::list(conn, case_id)?,
        relatives: relatives::list(conn, case_id)?,
        contacts: contacts::list(conn, case_id)?,
        follow_ups: follow_ups::list(conn, case_id)?,
        updates: updates::list(conn, case_id)?,
        property: property::list(conn, case_id)?,
        operations: operations::history_of_case(conn, case_id)?,
        links_before_operations: operations::links_before(conn, case_id)?,
        timeline: entries,
        access,
        case,
    })
}

/// A CSV cell: quoted, with quotes doubled, and a leading formula character neutralised so
/// that a spreadsheet never runs what a person typed.
pub(crate) fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn time(t: &NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The export as CSV: one row per recorded item, oldest first, then the access log.
pub fn to_csv(d: &Disclosure) -> String {
    let mut out = String::new();
    let mut row = |cols: [&str; 6]| {
        out.push_str(&cols.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    };
    row(["section", "record_id", "at_utc", "by", "title", "detail"]);
    row([
        "case",
        d.case.id.as_str(),
        &time(&d.case.opened_at),
        "",
        &format!("{}: {}", d.case.reference, d.case.deceased_name),
        &d.case.circumstances,
    ]);
    for e in &d.timeline {
        let detail = match e.kind {
            timeline::EntryKind::Contact => d
                .contacts
                .iter()
                .find(|c| c.original.id.as_str() == e.record_id)
                .map(|c| {
                    let mut text = format!("Original: {}", c.original.details.discussion);
                    for a in &c.amendments {
                        text.push_str(&format!(
                            "\nCorrection {} by {} ({}): {}",
                            time(&a.recorded_at),
                            a.recorded_by,
                            a.reason,
                            a.discussion.as_deref().unwrap_or("(discussion unchanged)")
                        ));
                    }
                    if let Some(s) = &c.current.family_summary {
                        text.push_str(&format!("\nShared with the family: {s}"));
                    }
                    text
                })
                .unwrap_or_else(|| e.detail.clone()),
            _ => e.detail.clone(),
        };
        row([
            e.kind.as_str(),
            &e.record_id,
            &time(&e.at),
            &e.by,
            &e.title,
            &detail,
        ]);
    }
    for a in &d.access {
        row([
            "access",
            "",
            &time(&a.at),
            &a.who,
            &format!("{} ({})", a.action, a.outcome),
            &a.detail,
        ]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(cell("plain"), "\"plain\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-1+2"), "\"'-1+2\"");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
    }
}
