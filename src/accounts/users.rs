//! Staff accounts. Deactivating, changing a role or resetting a password ends the account's
//! sessions at once; the last active administrator cannot be removed.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session;
use crate::db::schema::{team_members, users};
use crate::db::{self, DbConn};
use crate::domain::{
    EmailAddress, NewPassword, PersonName, Picked, Role, TeamId, UserId, Validator,
};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    #[serde(skip)]
    pub password_hash: String,
    pub phone: Option<String>,
    pub active: bool,
    pub password_change_required: bool,
    #[serde(skip)]
    pub auth_version: i64,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub updated_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub deactivated_at: Option<NaiveDateTime>,
}

/// A new account as an administrator's form or body gives it.
pub struct UserFields<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Picked<Role>,
    pub phone: Option<&'a str>,
    pub password: &'a str,
    pub teams: Vec<Picked<TeamId>>,
}

/// A new account's details, checked; `hashed` makes it a `NewUser`.
pub struct CheckedUser {
    email: EmailAddress,
    display_name: PersonName,
    role: Role,
    phone: Option<String>,
    password: NewPassword,
    teams: Vec<TeamId>,
}

pub fn check_new(f: UserFields<'_>, v: &mut Validator) -> Option<CheckedUser> {
    let email = v.check(EmailAddress::parse("email", f.email));
    let display_name = v.check(PersonName::parse("display_name", f.display_name));
    let role = v.check(f.role.required("role", "Choose a role."));
    let phone = v.check(parse_phone("phone", f.phone));
    let teams: Vec<_> = f
        .teams
        .into_iter()
        .map(|t| v.check(t.optional("team", "Choose a team from the list.")))
        .collect();
    let password = v.check(NewPassword::parse("password", f.password));
    Some(CheckedUser {
        email: email?,
        display_name: display_name?,
        role: role?,
        phone: phone?,
        password: password?,
        teams: teams
            .into_iter()
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect(),
    })
}

impl CheckedUser {
    /// The account to create; someone other than the user chose its password.
    pub async fn hashed(self) -> Result<NewUser, AppError> {
        Ok(NewUser {
            email: self.email,
            display_name: self.display_name,
            role: self.role,
            phone: self.phone,
            password_hash: crate::auth::password::hash_new(self.password).await?,
            password_change_required: true,
            teams: self.teams,
        })
    }
}

/// A parsed request to create an account. The password is already hashed.
pub struct NewUser {
    pub email: EmailAddress,
    pub display_name: PersonName,
    pub role: Role,
    pub phone: Option<String>,
    pub password_hash: String,
    /// True when someone other than the user chose the password.
    pub password_change_required: bool,
    pub teams: Vec<TeamId>,
}

pub const PHONE_MAX_LEN: usize = 40;

/// Checks a phone number loosely: digits, spaces and `+()-`, at most 40 characters.
pub fn parse_phone(field: &str, raw: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let ok_chars = s.chars().all(|c| c.is_ascii_digit() || " +()-".contains(c));
    if !ok_chars || s.chars().filter(char::is_ascii_digit).count() < 5 {
        return Err(AppError::invalid(
            field,
            "Enter a phone number using digits, spaces and + ( ) - only.",
        ));
    }
    if s.len() > PHONE_MAX_LEN {
        return Err(AppError::invalid(
            field,
            format!("A phone number can be at most {PHONE_MAX_LEN} characters."),
        ));
    }
    Ok(Some(s.to_owned()))
}

pub fn find(conn: &mut DbConn, id: &UserId) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Every account, active first, then by name.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<User>> {
    users::table
        .select(User::as_select())
        .order((users::active.desc(), users::display_name.asc()))
        .load(conn)
}

fn active_admins(conn: &mut DbConn) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(Role::Admin))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)
}

pub fn create(conn: &mut DbConn, actor: &Actor, new: NewUser) -> Result<User, AppError> {
    db::write(conn, |conn| {
        if find_by_email(conn, new.email.as_str())?.is_some() {
            return Err(AppError::conflict(
                "email_taken",
                "There is already an account with this email address.",
            ));
        }
        if new.role == Role::Admin && !new.teams.is_empty() {
            return Err(AppError::invalid(
                "teams",
                "Administrators do not join teams: they see no case content.",
            ));
        }
        let id = UserId::new();
        let now = db::now();
        diesel::insert_into(users::table)
            .values((
                users::id.eq(&id),
                users::email.eq(new.email.as_str()),
                users::display_name.eq(new.display_name.as_str()),
                users::role.eq(new.role),
                users::password_hash.eq(&new.password_hash),
                users::phone.eq(new.phone.as_deref()),
                users::active.eq(true),
                users::password_change_required.eq(new.password_change_required),
                users::auth_version.eq(1_i64),
                users::created_at.eq(now),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        for team in &new.teams {
            // Read here rather than through `teams`, which builds on this module.
            let exists: bool = diesel::select(diesel::dsl::exists(
                crate::db::schema::teams::table.find(team),
            ))
            .get_result(conn)?;
            if !exists {
                return Err(AppError::invalid("teams", "That team does not exist."));
            }
            diesel::insert_into(team_members::table)
                .values((
                    team_members::team_id.eq(team),
                    team_members::user_id.eq(&id),
                    team_members::added_at.eq(now),
                ))
                .execute(conn)?;
        }
        audit::event(actor, "user.create")
            .record("user", &id)
            .detail(format!("role {}", new.role))
            .write(conn)?;
        find(conn, &id)?.ok_or(AppError::NotFound)
    })
}

fn bump_and_end_sessions(conn: &mut DbConn, id: &UserId, reason: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::auth_version.eq(users::auth_version + 1),
            users::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    session::revoke_all_for_user(conn, id, reason)?;
    Ok(())
}

pub fn deactivate(conn: &mut DbConn, actor: &Actor, id: &UserId) -> Result<User, AppError> {
    db::write(conn, |conn| {
        let user = find(conn, id)?.ok_or(AppError::NotFound)?;
        if !user.active {
            return Ok(user);
        }
        if user.role == Role::Admin && active_admins(conn)? <= 1 {
            return Err(AppError::conflict(
                "last_admin",
                "This is the only active administrator. Create or reactivate another administrator first.",
            ));
        }
        diesel::update(users::table.find(id))
            .set((
                users::active.eq(false),
                users::deactivated_at.eq(Some(db::now())),
            ))
            .execute(conn)?;
        bump_and_end_sessions(conn, id, "account deactivated")?;
        audit::event(actor, "user.deactivate")
            .record("user", id)
            .write(conn)?;
        find(conn, id)?.ok_or(AppError::NotFound)
    })
}

pub fn reactivate(conn: &mut DbConn, actor: &Actor, id: &UserId) -> Result<User, AppError> {
    db::write(conn, |conn| {
        let user = find(conn, id)?.ok_or(AppError::NotFound)?;
        if user.active {
            return Ok(user);
        }
        diesel::update(users::table.find(id))
            .set((
                users::active.eq(true),
                users::deactivated_at.eq(None::<NaiveDateTime>),
                users::updated_at.eq(db::now()),
            ))
            .execute(conn)?;
        audit::event(actor, "user.reactivate")
            .record("user", id)
            .write(conn)?;
        find(conn, id)?.ok_or(AppError::NotFound)
    })
}

pub fn change_role(
    conn: &mut DbConn,
    actor: &Actor,
    id: &UserId,
    role: Role,
) -> Result<User, AppError> {
    db::write(conn, |conn| {
        let user = find(conn, id)?.ok_or(AppError::NotFound)?;
        if user.role == role {
            return Ok(user);
        }
        if user.role == Role::Admin && user.active && active_admins(conn)? <= 1 {
            return Err(AppError::conflict(
                "last_admin",
                "This is the only active administrator. Create or reactivate another administrator first.",
            ));
        }
        if role == Role::Admin {
            let memberships: i64 = team_members::table
                .filter(team_members::user_id.eq(id))
                .count()
                .get_result(conn)?;
            if memberships > 0 {
                return Err(AppError::conflict(
                    "admin_in_team",
                    "Remove this person from their teams first: administrators see no case content.",
                ));
            }
        }
        diesel::update(users::table.find(id))
            .set(users::role.eq(role))
            .execute(conn)?;
        bump_and_end_sessions(conn, id, "role changed")?;
        audit::event(actor, "user.role_change")
            .record("user", id)
            .detail(format!("{} -> {}", user.role, role))
            .write(conn)?;
        find(conn, id)?.ok_or(AppError::NotFound)
    })
}

/// Sets a password chosen by an administrator: the user must choose their own at next
/// sign-in, and every session of theirs ends now.
pub fn reset_password(
    conn: &mut DbConn,
    actor: &Actor,
    id: &UserId,
    password_hash: &str,
) -> Result<(), AppError> {
    db::write(conn, |conn| {
        find(conn, id)?.ok_or(AppError::NotFound)?;
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(password_hash),
                users::password_change_required.eq(true),
            ))
            .execute(conn)?;
        bump_and_end_sessions(conn, id, "password reset")?;
        audit::event(actor, "user.password_reset")
            .record("user", id)
            .write(conn)?;
        Ok(())
    })
}

/// A user chooses their own password. Other sessions end; the auth version moves on, so the
/// caller must issue a fresh token for the session that stays.
pub fn change_own_password(
    conn: &mut DbConn,
    id: &UserId,
    keep_session: &crate::domain::SessionId,
    password_hash: &str,
) -> Result<i64, AppError> {
    db::write(conn, |conn| {
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(password_hash),
                users::password_change_required.eq(false),
                users::auth_version.eq(users::auth_version + 1),
                users::updated_at.eq(db::now()),
            ))
            .execute(conn)?;
        use crate::db::schema::sessions;
        diesel::update(
            sessions::table
                .filter(sessions::user_id.eq(id))
                .filter(sessions::id.ne(keep_session))
                .filter(sessions::revoked_at.is_null()),
        )
        .set((
            sessions::revoked_at.eq(db::now()),
            sessions::revoked_reason.eq("password changed"),
        ))
        .execute(conn)?;
        audit::event(&Actor::Staff(id.clone()), "user.password_change")
            .record("user", id)
            .write(conn)?;
        Ok(users::table
            .find(id)
            .select(users::auth_version)
            .first(conn)?)
    })
}
