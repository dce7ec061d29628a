//! Operations: cases that may be connected (the same suspect, place or circumstances), linked
//! under one name so that no death is treated in isolation. A manager makes an operation with
//! a first case of their team, adds their team's cases to any operation (an operation may
//! span teams), removes them with a reason, and merges one operation into another with a
//! reason. A case is in at most one operation at a time, and every case of it is linked to
//! every other: an update posted to the operation reaches every family of every case
//! (`updates::post_to_operation`). Every addition and removal is kept in `operation_cases`.
//! A manager reading an operation sees every case of it they may see, and only the reference
//! and team of the rest.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::record::Case;
use crate::casework::types::CaseStatus;
use crate::db::schema::{case_links, cases, operation_cases, operations, teams};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, LimitedText, OperationId, Role, UserId, new_row_id};
use crate::error::AppError;

/// A case of an operation as the reader may see it: the whole summary of a case they may
/// see, the reference and team of one they may not.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Member {
    pub reference: String,
    pub team_name: String,
    /// Whether the reader may open the case; the fields below are given only then.
    pub visible: bool,
    pub case_id: Option<CaseId>,
    pub deceased_name: Option<String>,
    pub status: Option<CaseStatus>,
    /// Why the case was added.
    pub reason: Option<String>,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub added_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Operation {
    pub id: OperationId,
    pub name: String,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub created_at: NaiveDateTime,
    /// The operation this one was merged into; it has no cases since.
    pub merged_into: Option<OperationId>,
    pub cases: Vec<Member>,
}

/// One line of the list of operations.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OperationLine {
    pub id: OperationId,
    pub name: String,
    pub cases: i64,
    /// Of them, the cases the reader may see.
    pub visible_cases: i64,
}

/// An operation's name: one line, not empty.
pub fn parse_name(raw: &str) -> Result<LimitedText, AppError> {
    LimitedText::line(
        "name",
        raw,
        crate::casework::limits::OPERATION_NAME,
        "Name the operation.",
    )
}

/// The operation a case is in now, if any.
pub fn of_case(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Option<OperationId>> {
    operation_cases::table
        .filter(operation_cases::case_id.eq(case_id))
        .filter(operation_cases::removed_at.is_null())
        .select(operation_cases::operation_id)
        .first(conn)
        .optional()
}

/// The operation a case is in now, with its name.
pub fn named_of_case(
    conn: &mut DbConn,
    case_id: &CaseId,
) -> QueryResult<Option<(OperationId, String)>> {
    operation_cases::table
        .inner_join(operations::table.on(operations::id.eq(operation_cases::operation_id)))
        .filter(operation_cases::case_id.eq(case_id))
        .filter(operation_cases::removed_at.is_null())
        .select((operations::id, operations::name))
        .first(conn)
        .optional()
}

/// One time the case was added to an operation and, if it was, taken out.
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct Membership {
    pub operation_id: OperationId,
    pub operation_name: String,
    pub reason: String,
    pub added_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub added_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub removed_at: Option<NaiveDateTime>,
    pub removed_by: Option<UserId>,
    pub removal_reason: Option<String>,
}

/// Every operation the case was ever in, oldest first, for the disclosure record.
pub fn history_of_case(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<Membership>> {
    operation_cases::table
        .inner_join(operations::table.on(operations::id.eq(operation_cases::operation_id)))
        .filter(operation_cases::case_id.eq(case_id))
        .select((
            operation_cases::operation_id,
            operations::name,
            operation_cases::reason,
            operation_cases::added_by,
            operation_cases::added_at,
            operation_cases::removed_at,
            operation_cases::removed_by,
            operation_cases::removal_reason,
        ))
        .order((operation_cases::added_at.asc(), operation_cases::id.asc()))
        .load(conn)
}

/// A link between two cases made before operations (kept as it was, no longer written).
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct LinkBefore {
    pub case_id_a: CaseId,
    pub case_id_b: CaseId,
    pub reason: String,
    pub created_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub removed_at: Option<NaiveDateTime>,
    pub removal_reason: Option<String>,
}

/// Every link of the case made before operations, removed ones included.
pub fn links_before(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<LinkBefore>> {
    case_links::table
        .filter(
            case_links::case_id_a
                .eq(case_id)
                .or(case_links::case_id_b.eq(case_id)),
        )
        .select((
            case_links::case_id_a,
            case_links::case_id_b,
            case_links::reason,
            case_links::created_by,
            case_links::created_at,
            case_links::removed_at,
            case_links::removal_reason,
        ))
        .order((case_links::created_at.asc(), case_links::id.asc()))
        .load(conn)
}

/// The cases of an operation now.
pub fn case_ids(conn: &mut DbConn, operation: &OperationId) -> QueryResult<Vec<CaseId>> {
    operation_cases::table
        .filter(operation_cases::operation_id.eq(operation))
        .filter(operation_cases::removed_at.is_null())
        .select(operation_cases::case_id)
        .order(operation_cases::added_at.asc())
        .load(conn)
}

/// The operation, read by `user`: every case they may see in full, the others by reference
/// and team. 404 when there is no such operation.
pub fn read(conn: &mut DbConn, user: &StaffUser, id: &OperationId) -> Result<Operation, AppError> {
    let (name, created_at, merged_into): (String, NaiveDateTime, Option<OperationId>) =
        operations::table
            .find(id)
            .select((
                operations::name,
                operations::created_at,
                operations::merged_into,
            ))
            .first(conn)
            .optional()?
            .ok_or(AppError::NotFound)?;
    type Row = (
        CaseId,
        String,
        NaiveDateTime,
        String,
        String,
        String,
        CaseStatus,
    );
    // One query: what a member shows is read with it, and kept only for cases the caller sees.
    let rows: Vec<Row> = operation_cases::table
        .inner_join(cases::table.on(cases::id.eq(operation_cases::case_id)))
        .inner_join(teams::table.on(teams::id.eq(cases::team_id)))
        .filter(operation_cases::operation_id.eq(id))
        .filter(operation_cases::removed_at.is_null())
        .select((
            operation_cases::case_id,
            operation_cases::reason,
            operation_cases::added_at,
            cases::reference,
            teams::name,
            cases::deceased_name,
            cases::status,
        ))
        .order(cases::reference.asc())
        .load(conn)?;
    let visible = access::visible_case_ids(conn, user)?;
    let mut members = Vec::with_capacity(rows.len());
    for (case_id, reason, added_at, reference, team_name, deceased_name, status) in rows {
        let member = if visible.contains(&case_id) {
            Member {
                reference,
                team_name,
                visible: true,
                case_id: Some(case_id),
                deceased_name: Some(deceased_name),
                status: Some(status),
                reason: Some(reason),
                added_at: Some(added_at),
            }
        } else {
            Member {
                reference,
                team_name,
                visible: false,
                case_id: None,
                deceased_name: None,
                status: None,
                reason: None,
                added_at: None,
            }
        };
        members.push(member);
    }
    audit::event(&Actor::Staff(user.id.clone()), "operation.view")
        .record("operation", id)
        .write(conn)?;
    Ok(Operation {
        id: id.clone(),
        name,
        created_at,
        merged_into,
        cases: members,
    })
}

/// Every operation not merged into another, by name, with how many of its cases the reader
/// may see: managers find here the operation to add their team's case to.
pub fn list(conn: &mut DbConn, user: &StaffUser) -> QueryResult<Vec<OperationLine>> {
    let rows: Vec<(OperationId, String)> = operations::table
        .filter(operations::merged_into.is_null())
        .select((operations::id, operations::name))
        .order((operations::name.asc(), operations::id.asc()))
        .load(conn)?;
    let members: Vec<(OperationId, CaseId)> = operation_cases::table
        .filter(operation_cases::removed_at.is_null())
        .select((operation_cases::operation_id, operation_cases::case_id))
        .load(conn)?;
    let visible = access::visible_case_ids(conn, user)?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| {
            let of_this = members.iter().filter(|(o, _)| *o == id);
            OperationLine {
                cases: of_this.clone().count() as i64,
                visible_cases: of_this.filter(|(_, c)| visible.contains(c)).count() as i64,
                id,
                name,
            }
        })
        .collect())
}

/// A case the manager may put in an operation, or take out: one of their teams' open cases.
#[derive(Debug, Clone, Serialize)]
pub struct Choosable {
    pub id: CaseId,
    pub reference: String,
    pub deceased_name: String,
    /// The operation it is in now.
    pub operation: Option<OperationId>,
}

/// The open cases of the manager's teams, by reference, with the operation each is in.
pub fn managed_cases(conn: &mut DbConn, user: &StaffUser) -> QueryResult<Vec<Choosable>> {
    if user.role != Role::Manager {
        return Ok(Vec::new());
    }
    let rows: Vec<(CaseId, String, String)> = cases::table
        .filter(cases::team_id.eq_any(access::teams_of(conn, &user.id)?))
        .filter(cases::status.eq(CaseStatus::Open))
        .select((cases::id, cases::reference, cases::deceased_name))
        .order(cases::reference.asc())
        .load(conn)?;
    let ids: Vec<&CaseId> = rows.iter().map(|(id, _, _)| id).collect();
    let memberships: Vec<(CaseId, OperationId)> = operation_cases::table
        .filter(operation_cases::case_id.eq_any(ids))
        .filter(operation_cases::removed_at.is_null())
        .select((operation_cases::case_id, operation_cases::operation_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, reference, deceased_name)| Choosable {
            operation: memberships
                .iter()
                .find(|(c, _)| *c == id)
                .map(|(_, o)| o.clone()),
            id,
            reference,
            deceased_name,
        })
        .collect())
}

/// The case, which `user` must manage (be a manager of its team): 404 when they cannot see
/// it, 403 when they see it but do not manage it.
fn managed_case(conn: &mut DbConn, user: &StaffUser, case_id: &CaseId) -> Result<Case, AppError> {
    let case = access::require_visible(conn, user, case_id)?;
    if !access::manages(conn, user, &case)? {
        return Err(AppError::Forbidden {
            code: "not_your_team",
            message: "Only a manager of the case's team can add or remove it.",
        });
    }
    Ok(case)
}

/// An operation that takes cases: it exists and was not merged into another.
fn open_operation(conn: &mut DbConn, id: &OperationId) -> Result<String, AppError> {
    let (name, merged): (String, Option<OperationId>) = operations::table
        .find(id)
        .select((operations::name, operations::merged_into))
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    if merged.is_some() {
        return Err(AppError::conflict(
            "operation_merged",
            format!("“{name}” was merged into another operation; add cases to that one."),
        ));
    }
    Ok(name)
}

fn insert_member(
    conn: &mut DbConn,
    operation: &OperationId,
    case_id: &CaseId,
    reason: &str,
    by: &UserId,
) -> QueryResult<()> {
    diesel::insert_into(operation_cases::table)
        .values((
            operation_cases::id.eq(new_row_id()),
            operation_cases::operation_id.eq(operation),
            operation_cases::case_id.eq(case_id),
            operation_cases::reason.eq(reason),
            operation_cases::added_by.eq(by),
            operation_cases::added_at.eq(db::now()),
        ))
        .execute(conn)
        .map(drop)
}

/// Adds a case to an operation: the caller manages the case, which is in no operation yet.
fn add_case(
    conn: &mut DbConn,
    user: &StaffUser,
    operation: &OperationId,
    case_id: &CaseId,
    reason: &LimitedText,
) -> Result<(), AppError> {
    let case = managed_case(conn, user, case_id)?;
    match of_case(conn, case_id)? {
        Some(current) if current == *operation => {
            return Err(AppError::conflict(
                "already_in_operation",
                format!("{} is already in this operation.", case.reference),
            ));
        }
        Some(_) => {
            return Err(AppError::conflict(
                "in_another_operation",
                format!(
                    "{} is in another operation. Merge the two operations instead, or remove it from the other first.",
                    case.reference
                ),
            ));
        }
        None => {}
    }
    insert_member(conn, operation, case_id, reason.as_str(), &user.id)?;
    audit::event(&Actor::Staff(user.id.clone()), "operation.add_case")
        .record("operation", operation)
        .case(case_id)
        .write(conn)?;
    Ok(())
}

/// Makes an operation named `name` with its first case, which the manager manages.
pub fn create(
    conn: &mut DbConn,
    user: &StaffUser,
    name: &LimitedText,
    case_id: &CaseId,
    reason: &LimitedText,
) -> Result<Operation, AppError> {
    db::write(conn, |conn| {
        if user.role != Role::Manager {
            return Err(AppError::forbidden());
        }
        let id = OperationId::new();
        diesel::insert_into(operations::table)
            .values((
                operations::id.eq(&id),
                operations::name.eq(name.as_str()),
                operations::created_by.eq(&user.id),
                operations::created_at.eq(db::now()),
            ))
            .execute(conn)?;
        add_case(conn, user, &id, case_id, reason)?;
        read(conn, user, &id)
    })
}

/// Adds a case of the manager's team to an operation.
pub fn add(
    conn: &mut DbConn,
    user: &StaffUser,
    operation: &OperationId,
    case_id: &CaseId,
    reason: &LimitedText,
) -> Result<Operation, AppError> {
    db::write(conn, |conn| {
        open_operation(conn, operation)?;
        add_case(conn, user, operation, case_id, reason)?;
        read(conn, user, operation)
    })
}

fn remove_member(
    conn: &mut DbConn,
    operation: &OperationId,
    case_id: &CaseId,
    reason: &str,
    by: &UserId,
) -> QueryResult<usize> {
    diesel::update(
        operation_cases::table
            .filter(operation_cases::operation_id.eq(operation))
            .filter(operation_cases::case_id.eq(case_id))
            .filter(operation_cases::removed_at.is_null()),
    )
    .set((
        operation_cases::removed_at.eq(Some(db::now())),
        operation_cases::removed_by.eq(Some(by)),
        operation_cases::removal_reason.eq(Some(reason)),
    ))
    .execute(conn)
}

/// Takes a case of the manager's team out of an operation, with the reason (kept).
pub fn remove(
    conn: &mut DbConn,
    user: &StaffUser,
    operation: &OperationId,
    case_id: &CaseId,
    reason: &LimitedText,
) -> Result<Operation, AppError> {
    db::write(conn, |conn| {
        managed_case(conn, user, case_id)?;
        if remove_member(conn, operation, case_id, reason.as_str(), &user.id)? == 0 {
            return Err(AppError::NotFound);
        }
        audit::event(&Actor::Staff(user.id.clone()), "operation.remove_case")
            .record("operation", operation)
            .case(case_id)
            .write(conn)?;
        read(conn, user, operation)
    })
}

/// Merges `from` into `into`: every case of `from` moves to `into` (each move kept), and
/// `from` records where it went. The manager must manage a case of each.
pub fn merge(
    conn: &mut DbConn,
    user: &StaffUser,
    into: &OperationId,
    from: &OperationId,
    reason: &LimitedText,
) -> Result<Operation, AppError> {
    db::write(conn, |conn| {
        let into_name = open_operation(conn, into)?;
        let from_name = open_operation(conn, from)?;
        if into == from {
            return Err(AppError::invalid(
                "operation_id",
                "Choose another operation to merge into this one.",
            ));
        }
        // The caller's teams, read once; each operation needs a current case of one of them.
        let teams = match user.role {
            crate::domain::Role::Manager => access::teams_of(conn, &user.id)?,
            _ => Vec::new(),
        };
        let moving = case_ids(conn, from)?;
        for op in [into, from] {
            let managed: i64 = operation_cases::table
                .inner_join(cases::table.on(cases::id.eq(operation_cases::case_id)))
                .filter(operation_cases::operation_id.eq(op))
                .filter(operation_cases::removed_at.is_null())
                .filter(cases::team_id.eq_any(&teams))
                .count()
                .get_result(conn)?;
            if managed == 0 {
                return Err(AppError::Forbidden {
                    code: "not_your_operation",
                    message: "To merge two operations you must manage a case of each.",
                });
            }
        }
        let now = db::now();
        let out = format!("Merged into “{into_name}”: {}", reason.as_str());
        let inward = format!("From “{from_name}”, merged: {}", reason.as_str());
        for c in &moving {
            remove_member(conn, from, c, &out, &user.id)?;
            insert_member(conn, into, c, &inward, &user.id)?;
            audit::event(&Actor::Staff(user.id.clone()), "operation.merge")
                .record("operation", into)
                .case(c)
                .detail(from.as_str())
                .write(conn)?;
        }
        diesel::update(operations::table.find(from))
            .set((
                operations::merged_into.eq(Some(into)),
                operations::merged_by.eq(Some(&user.id)),
                operations::merged_at.eq(Some(now)),
                operations::merge_reason.eq(Some(reason.as_str())),
            ))
            .execute(conn)?;
        read(conn, user, into)
    })
}
