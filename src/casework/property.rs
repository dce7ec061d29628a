//! The property register: belongings of the deceased held by police, each moving forward
//! from held as evidence, to released, to returned to the family, with dates and who
//! received it. Visible to the family; every move is an event on the record.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::notices::{News, notify_family};
use crate::casework::record::require_open;
use crate::casework::types::PropertyStatus;
use crate::db::schema::{property_events, property_items};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, LimitedText, PropertyItemId, UserId, new_row_id};
use crate::error::AppError;
use crate::notify::Kind;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = property_items)]
pub struct PropertyItem {
    pub id: PropertyItemId,
    pub case_id: CaseId,
    pub description: String,
    pub status: PropertyStatus,
    pub held_since: Option<NaiveDate>,
    pub released_on: Option<NaiveDate>,
    pub returned_on: Option<NaiveDate>,
    pub received_by: Option<String>,
    /// Staff only.
    pub staff_notes: Option<String>,
    pub created_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub created_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct PropertyEvent {
    pub item_id: PropertyItemId,
    pub status: PropertyStatus,
    pub occurred_on: NaiveDate,
    pub received_by: Option<String>,
    pub note: Option<String>,
    pub recorded_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    #[serde(flatten)]
    pub item: PropertyItem,
    pub status_label: &'static str,
    pub events: Vec<PropertyEvent>,
}

#[derive(Debug, Clone)]
pub struct NewItem {
    pub description: LimitedText,
    pub held_since: NaiveDate,
    pub staff_notes: Option<LimitedText>,
}

/// A move to a later status.
#[derive(Debug, Clone)]
pub struct Move {
    pub status: PropertyStatus,
    pub on: NaiveDate,
    pub received_by: Option<LimitedText>,
    pub note: Option<LimitedText>,
    /// The version the caller saw; a stale move is refused.
    pub expected_version: i64,
}

/// What a change to an item leaves behind besides the row itself: the event on its record
/// (the status reached, on which day, who received it, a note), the cause the family is told
/// of (`property:<item id>:<cause>`), and the audit action with its detail.
struct Trail<'a> {
    status: PropertyStatus,
    on: NaiveDate,
    received_by: Option<&'a str>,
    note: Option<&'a str>,
    cause: &'a str,
    action: &'static str,
    detail: &'a str,
}

/// Ends every change to an item in the same order: the event on its record, the notice to the
/// family, the audit event; answers the item as it now stands.
fn finish_change(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &PropertyItemId,
    trail: Trail<'_>,
) -> Result<ItemView, AppError> {
    diesel::insert_into(property_events::table)
        .values((
            property_events::id.eq(new_row_id()),
            property_events::item_id.eq(id),
            property_events::case_id.eq(case_id),
            property_events::status.eq(trail.status),
            property_events::occurred_on.eq(trail.on),
            property_events::received_by.eq(trail.received_by),
            property_events::note.eq(trail.note),
            property_events::recorded_by.eq(&user.id),
            property_events::recorded_at.eq(db::now()),
        ))
        .execute(conn)?;
    let cause = format!("property:{id}:{}", trail.cause);
    let news = News {
        kind: Kind::FamilyNews,
        cause: &cause,
        by: &user.id,
        path: "/family/property".into(),
    };
    notify_family(conn, case_id, &news)?;
    audit::event(&Actor::Staff(user.id.clone()), trail.action)
        .record("property_item", id)
        .case(case_id)
        .detail(trail.detail)
        .write(conn)?;
    find(conn, case_id, id)?.ok_or(AppError::NotFound)
}

fn stale() -> AppError {
    AppError::conflict(
        "stale_edit",
        "Someone changed this item since you opened it. Look at it again and repeat your change if it is still needed.",
    )
}

pub fn add(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    new: &NewItem,
) -> Result<ItemView, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        let id = PropertyItemId::new();
        let now = db::now();
        diesel::insert_into(property_items::table)
            .values((
                property_items::id.eq(&id),
                property_items::case_id.eq(case_id),
                property_items::description.eq(new.description.as_str()),
                property_items::status.eq(PropertyStatus::HeldAsEvidence),
                property_items::held_since.eq(Some(new.held_since)),
                property_items::staff_notes.eq(new.staff_notes.as_ref().map(LimitedText::as_str)),
                property_items::created_by.eq(&user.id),
                property_items::created_at.eq(now),
                property_items::updated_at.eq(now),
                property_items::version.eq(1_i64),
            ))
            .execute(conn)?;
        let trail = Trail {
            status: PropertyStatus::HeldAsEvidence,
            on: new.held_since,
            received_by: None,
            note: None,
            cause: "held",
            action: "property.add",
            detail: "",
        };
        finish_change(conn, user, case_id, &id, trail)
    })
}

/// Moves an item forward. Going back, or standing still, is refused (409), as is a move made
/// from a stale copy.
pub fn move_item(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &PropertyItemId,
    m: &Move,
) -> Result<ItemView, AppError> {
    db::write(conn, |conn| {
        access::require_visible(conn, user, case_id)?;
        let item = find(conn, case_id, id)?.ok_or(AppError::NotFound)?.item;
        if item.version != m.expected_version {
            return Err(stale());
        }
        let rank = |s: PropertyStatus| {
            PropertyStatus::ALL
                .iter()
                .position(|x| *x == s)
                .unwrap_or(0)
        };
        if rank(m.status) <= rank(item.status) {
            return Err(AppError::conflict(
                "property_status_backwards",
                format!(
                    "This item is already {}; it can only move forward.",
                    item.status.label().to_lowercase()
                ),
            ));
        }
        if m.status == PropertyStatus::ReturnedToFamily && m.received_by.is_none() {
            return Err(AppError::invalid(
                "received_by",
                "Say who received the item.",
            ));
        }
        if item.held_since.is_some_and(|h| m.on < h) {
            return Err(AppError::invalid(
                "on",
                "This date is before the item was held.",
            ));
        }
        let received = m.received_by.as_ref().map(LimitedText::as_str);
        let (released_on, returned_on) = match m.status {
            PropertyStatus::Released => (Some(m.on), item.returned_on),
            PropertyStatus::ReturnedToFamily => (item.released_on.or(Some(m.on)), Some(m.on)),
            PropertyStatus::HeldAsEvidence => (item.released_on, item.returned_on),
        };
        let changed = diesel::update(
            property_items::table
                .filter(property_items::id.eq(id))
                .filter(property_items::version.eq(m.expected_version)),
        )
        .set((
            property_items::status.eq(m.status),
            property_items::released_on.eq(released_on),
            property_items::returned_on.eq(returned_on),
            property_items::received_by.eq(received.or(item.received_by.as_deref())),
            property_items::updated_at.eq(db::now()),
            property_items::version.eq(property_items::version + 1),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(stale());
        }
        let trail = Trail {
            status: m.status,
            on: m.on,
            received_by: received,
            note: m.note.as_ref().map(LimitedText::as_str),
            cause: m.status.as_str(),
            action: "property.move",
            detail: m.status.as_str(),
        };
        finish_change(conn, user, case_id, id, trail)
    })
}

fn events(conn: &mut DbConn, id: &PropertyItemId) -> QueryResult<Vec<PropertyEvent>> {
    property_events::table
        .filter(property_events::item_id.eq(id))
        .select((
            property_events::item_id,
            property_events::status,
            property_events::occurred_on,
            property_events::received_by,
            property_events::note,
            property_events::recorded_by,
            property_events::recorded_at,
        ))
        .order(property_events::recorded_at.asc())
        .load(conn)
}

pub fn find(
    conn: &mut DbConn,
    case_id: &CaseId,
    id: &PropertyItemId,
) -> QueryResult<Option<ItemView>> {
    let Some(item) = property_items::table
        .filter(property_items::id.eq(id))
        .filter(property_items::case_id.eq(case_id))
        .select(PropertyItem::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    Ok(Some(ItemView {
        status_label: item.status.label(),
        events: events(conn, id)?,
        item,
    }))
}

pub fn list(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<ItemView>> {
    let items: Vec<PropertyItem> = property_items::table
        .filter(property_items::case_id.eq(case_id))
        .select(PropertyItem::as_select())
        .order(property_items::created_at.asc())
        .load(conn)?;
    items
        .into_iter()
        .map(|item| {
            Ok(ItemView {
                status_label: item.status.label(),
                events: events(conn, &item.id)?,
                item,
            })
        })
        .collect()
}
