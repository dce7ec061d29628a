//! Teams: units of officers under one or more managers. A manager sees every case of the
//! teams they belong to.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::users::{self, User};
use crate::audit::{self, Actor};
use crate::db::schema::{team_members, teams};
use crate::db::{self, DbConn};
use crate::domain::{Role, TeamId, TeamName, UserId};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = teams)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub archived_at: Option<NaiveDateTime>,
}

pub fn find(conn: &mut DbConn, id: &TeamId) -> QueryResult<Option<Team>> {
    teams::table
        .find(id)
        .select(Team::as_select())
        .first(conn)
        .optional()
}

/// Every team, by name.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Team>> {
    by_name(conn, None)
}

/// The teams a user belongs to.
pub fn of_user(conn: &mut DbConn, user_id: &UserId) -> QueryResult<Vec<Team>> {
    by_name(conn, Some(user_id))
}

/// Teams in name order: every one, or only those `member` belongs to.
fn by_name(conn: &mut DbConn, member: Option<&UserId>) -> QueryResult<Vec<Team>> {
    let mut query = teams::table
        .select(Team::as_select())
        .order(teams::name.asc())
        .into_boxed::<crate::db::MultiBackend>();
    if let Some(user_id) = member {
        query = query.filter(
            teams::id.eq_any(
                team_members::table
                    .filter(team_members::user_id.eq(user_id))
                    .select(team_members::team_id),
            ),
        );
    }
    query.load(conn)
}

pub fn members(conn: &mut DbConn, team_id: &TeamId) -> QueryResult<Vec<User>> {
    use crate::db::schema::users as u;
    let theirs = team_members::table
        .filter(team_members::team_id.eq(team_id))
        .select(team_members::user_id);
    u::table
        .filter(u::id.eq_any(theirs))
        .select(User::as_select())
        .order(u::display_name.asc())
        .load(conn)
}

pub fn create(conn: &mut DbConn, actor: &Actor, name: &TeamName) -> Result<Team, AppError> {
    db::write(conn, |conn| {
        let taken: i64 = teams::table
            .filter(teams::name.eq(name.as_str()))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(AppError::conflict(
                "team_name_taken",
                "There is already a team with this name.",
            ));
        }
        let id = TeamId::new();
        diesel::insert_into(teams::table)
            .values((
                teams::id.eq(&id),
                teams::name.eq(name.as_str()),
                teams::created_at.eq(db::now()),
            ))
            .execute(conn)?;
        audit::event(actor, "team.create")
            .record("team", &id)
            .write(conn)?;
        find(conn, &id)?.ok_or(AppError::NotFound)
    })
}

pub fn add_member(
    conn: &mut DbConn,
    actor: &Actor,
    team_id: &TeamId,
    user_id: &UserId,
) -> Result<(), AppError> {
    let add = |conn: &mut DbConn| -> Result<(), AppError> {
        find(conn, team_id)?.ok_or(AppError::NotFound)?;
        let user = users::find(conn, user_id)?
            .ok_or_else(|| AppError::invalid("user_id", "That account does not exist."))?;
        if user.role == Role::Admin {
            return Err(AppError::invalid(
                "user_id",
                "Administrators do not join teams: they see no case content.",
            ));
        }
        let existing: i64 = team_members::table
            .filter(team_members::team_id.eq(team_id))
            .filter(team_members::user_id.eq(user_id))
            .count()
            .get_result(conn)?;
        if existing > 0 {
            return Err(AppError::conflict(
                "already_member",
                "This person is already in the team.",
            ));
        }
        diesel::insert_into(team_members::table)
            .values((
                team_members::team_id.eq(team_id),
                team_members::user_id.eq(user_id),
                team_members::added_at.eq(db::now()),
            ))
            .execute(conn)?;
        Ok(())
    };
    change_membership(conn, actor, team_id, user_id, "team.member_add", add)
}

pub fn remove_member(
    conn: &mut DbConn,
    actor: &Actor,
    team_id: &TeamId,
    user_id: &UserId,
) -> Result<(), AppError> {
    let remove = |conn: &mut DbConn| -> Result<(), AppError> {
        let removed = diesel::delete(
            team_members::table
                .filter(team_members::team_id.eq(team_id))
                .filter(team_members::user_id.eq(user_id)),
        )
        .execute(conn)?;
        if removed == 0 {
            return Err(AppError::NotFound);
        }
        Ok(())
    };
    change_membership(conn, actor, team_id, user_id, "team.member_remove", remove)
}

/// Changes whether `user_id` is in the team, in one transaction: `change` checks and writes
/// it, then the audit event `action` records it.
fn change_membership(
    conn: &mut DbConn,
    actor: &Actor,
    team_id: &TeamId,
    user_id: &UserId,
    action: &'static str,
    change: impl FnOnce(&mut DbConn) -> Result<(), AppError> + Send,
) -> Result<(), AppError> {
    db::write(conn, |conn| {
        change(conn)?;
        audit::event(actor, action)
            .record("team", team_id)
            .detail(format!("user {user_id}"))
            .write(conn)?;
        Ok(())
    })
}
