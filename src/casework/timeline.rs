//! The case timeline for staff: contacts, corrections, updates, follow-up events, property
//! events, milestones, type and status changes, merged in time order (newest first) and filterable by
//! kind.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::casework::milestones;
use crate::casework::types::{CaseStatus, FollowUpStatus, MilestoneState, PropertyStatus, Stage};
use crate::casework::{contacts, updates};
use crate::db::DbConn;
use crate::db::schema::{
    case_status_changes, follow_up_events, follow_ups, property_events, property_items, relatives,
    update_reads, users,
};
use crate::domain::{CaseId, UserId};

crate::text_enum!(
    EntryKind {
        Contact => "contact" / "Contacts",
        Correction => "correction" / "Corrections",
        Update => "update" / "Updates",
        FollowUp => "follow_up" / "Follow-ups",
        Property => "property" / "Property",
        Milestone => "milestone" / "Milestones and type",
        Status => "status" / "Opening and closing",
    }
);

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entry {
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub at: NaiveDateTime,
    pub kind: EntryKind,
    pub kind_label: &'static str,
    pub title: String,
    pub detail: String,
    pub shared_with_family: bool,
    pub record_id: String,
    pub by: String,
    /// For a shared update: each relative who has read it, with when they first did.
    pub read_by: Vec<String>,
    /// For a shared update: the family groups it went to, by name; empty for every group.
    pub groups: Vec<String>,
}

fn name(conn: &mut DbConn, id: &UserId) -> QueryResult<String> {
    users::table
        .find(id)
        .select(users::display_name)
        .first(conn)
}

/// The timeline of a case, newest first, limited to `kinds` (all when empty).
pub fn build(conn: &mut DbConn, case_id: &CaseId, kinds: &[EntryKind]) -> QueryResult<Vec<Entry>> {
    let wanted = |k: EntryKind| kinds.is_empty() || kinds.contains(&k);
    let mut out = Vec::new();
    let mut push = |at,
                    kind: EntryKind,
                    title: String,
                    detail: String,
                    shared,
                    record_id: String,
                    by: String| {
        out.push(Entry {
            at,
            kind,
            kind_label: kind.label(),
            title,
            detail,
            shared_with_family: shared,
            record_id,
            by,
            read_by: Vec::new(),
            groups: Vec::new(),
        })
    };
    let mut sent_to: std::collections::HashMap<String, Vec<crate::domain::FamilyGroupId>> =
        std::collections::HashMap::new();
    if wanted(EntryKind::Contact) || wanted(EntryKind::Correction) {
        for c in contacts::list(conn, case_id)? {
            if wanted(EntryKind::Contact) {
                let amended = if c.amendments.is_empty() {
                    ""
                } else {
                    " (corrected)"
                };
                push(
                    c.current.occurred_at,
                    EntryKind::Contact,
                    format!(
                        "{}: {}{amended}",
                        c.current.channel.label(),
                        c.current.direction.label()
                    ),
                    c.current.discussion.clone(),
                    c.current.family_summary.is_some(),
                    c.original.id.to_string(),
                    c.officer_name.clone(),
                );
            }
            if wanted(EntryKind::Correction) {
                for a in &c.amendments {
                    let by = name(conn, &a.recorded_by)?;
                    push(
                        a.recorded_at,
                        EntryKind::Correction,
                        "Correction to a contact record".into(),
                        a.reason.clone(),
                        false,
                        c.original.id.to_string(),
                        by,
                    );
                }
            }
        }
    }
    if wanted(EntryKind::Update) {
        for u in updates::list(conn, case_id)? {
            sent_to.insert(u.record.id.to_string(), u.family_group_ids);
            let u = u.record;
            let by = name(conn, &u.posted_by)?;
            push(
                u.posted_at,
                EntryKind::Update,
                u.title,
                u.body,
                u.shared_with_family,
                u.id.to_string(),
                by,
            );
        }
    }
    if wanted(EntryKind::FollowUp) {
        type EventRow = (
            String,
            String,
            String,
            NaiveDateTime,
            UserId,
            String,
            bool,
            FollowUpStatus,
        );
        let rows: Vec<EventRow> = follow_up_events::table
            .inner_join(follow_ups::table.on(follow_ups::id.eq(follow_up_events::follow_up_id)))
            .filter(follow_up_events::case_id.eq(case_id))
            .select((
                follow_up_events::follow_up_id,
                follow_up_events::event,
                follow_up_events::detail,
                follow_up_events::occurred_at,
                follow_up_events::actor_id,
                follow_ups::purpose,
                follow_ups::is_appointment,
                follow_ups::status,
            ))
            .load(conn)?;
        for (id, what, detail, at, actor, purpose, appointment, _) in rows {
            let by = name(conn, &actor)?;
            let noun = if appointment {
                "Appointment"
            } else {
                "Follow-up"
            };
            push(
                at,
                EntryKind::FollowUp,
                format!("{noun} {what}: {purpose}"),
                detail,
                appointment,
                id,
                by,
            );
        }
    }
    if wanted(EntryKind::Property) {
        let rows: Vec<(
            String,
            PropertyStatus,
            chrono::NaiveDate,
            NaiveDateTime,
            UserId,
            String,
        )> = property_events::table
            .inner_join(property_items::table.on(property_items::id.eq(property_events::item_id)))
            .filter(property_events::case_id.eq(case_id))
            .select((
                property_events::item_id,
                property_events::status,
                property_events::occurred_on,
                property_events::recorded_at,
                property_events::recorded_by,
                property_items::description,
            ))
            .load(conn)?;
        for (id, status, on, at, actor, description) in rows {
            let by = name(conn, &actor)?;
            push(
                at,
                EntryKind::Property,
                format!("{description}: {}", status.label().to_lowercase()),
                format!("On {}", on.format("%-d %B %Y")),
                true,
                id,
                by,
            );
        }
    }
    if wanted(EntryKind::Milestone) {
        for r in milestones::history(conn, case_id)? {
            let by = name(conn, &r.recorded_by)?;
            let title = match r.state {
                MilestoneState::Reached => format!("Milestone reached: {}", r.milestone.label()),
                MilestoneState::NotNeeded => {
                    format!("Milestone not needed: {}", r.milestone.label())
                }
                MilestoneState::Needed => {
                    format!("Milestone needed after all: {}", r.milestone.label())
                }
            };
            let mut detail = match (r.reached_on, &r.reason) {
                (Some(on), _) => format!("On {}", on.format("%-d %B %Y")),
                (None, Some(reason)) => reason.clone(),
                (None, None) => String::new(),
            };
            if let Some(stage) = r.mapped_from.as_deref().and_then(Stage::parse) {
                detail.push_str(&format!(" (recorded as the stage “{}”)", stage.label()));
            }
            // The family's stepper shows every milestone record's effect.
            push(
                r.recorded_at,
                EntryKind::Milestone,
                title,
                detail,
                true,
                r.id,
                by,
            );
        }
        for c in milestones::type_changes(conn, case_id)? {
            let by = name(conn, &c.changed_by)?;
            push(
                c.changed_at,
                EntryKind::Milestone,
                format!(
                    "Case type changed: {} (was {})",
                    c.case_type.label(),
                    c.previous_type.label()
                ),
                c.reason,
                true,
                c.id,
                by,
            );
        }
    }
    if wanted(EntryKind::Status) {
        let rows: Vec<(String, CaseStatus, String, NaiveDateTime, UserId)> =
            case_status_changes::table
                .filter(case_status_changes::case_id.eq(case_id))
                .select((
                    case_status_changes::id,
                    case_status_changes::status,
                    case_status_changes::reason,
                    case_status_changes::changed_at,
                    case_status_changes::changed_by,
                ))
                .load(conn)?;
        for (id, status, reason, at, actor) in rows {
            let by = name(conn, &actor)?;
            let title = match status {
                CaseStatus::Open => "Case opened",
                CaseStatus::Closed => "Case closed",
            };
            push(at, EntryKind::Status, title.into(), reason, false, id, by);
        }
    }
    let group_names: std::collections::HashMap<_, _> =
        crate::casework::groups::list(conn, case_id)?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect();
    for entry in out
        .iter_mut()
        .filter(|e| e.kind == EntryKind::Update && e.shared_with_family)
    {
        entry.groups = sent_to
            .get(&entry.record_id)
            .into_iter()
            .flatten()
            .filter_map(|g| group_names.get(g).cloned())
            .collect();
        let reads: Vec<(String, NaiveDateTime)> = update_reads::table
            .inner_join(relatives::table.on(relatives::id.eq(update_reads::relative_id)))
            .filter(update_reads::update_id.eq(&entry.record_id))
            .select((relatives::full_name, update_reads::first_read_at))
            .order(update_reads::first_read_at.asc())
            .load(conn)?;
        entry.read_by = reads
            .into_iter()
            .map(|(name, at)| format!("{name}, {}", crate::casework::time::london_display(at)))
            .collect();
    }
    out.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.record_id.cmp(&a.record_id)));
    Ok(out)
}
