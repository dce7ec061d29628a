//! Staff sign-in: throttled per account and per address, constant in its answer whether the
//! account exists or not, and audited either way.

use chrono::Duration;
use diesel::prelude::*;

use crate::audit::{self, Actor, Outcome};
use crate::auth::password;
use crate::auth::session::{self, Client, Origin, Principal};
use crate::auth::throttle;
use crate::auth::tokens::Audience;
use crate::db::schema::users;
use crate::db::{self};
use crate::domain::{SessionId, UserId};
use crate::error::AppError;
use crate::state::AuthContext;

/// Failed attempts allowed per account, and per client address, in one window.
pub const MAX_FAILURES_PER_ACCOUNT: i32 = 10;
pub const MAX_FAILURES_PER_ADDRESS: i32 = 50;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;

pub struct Attempt {
    pub email: String,
    pub password: String,
    pub client: Client,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// This account has signed in on this browser before (`device`): the per-address limit
    /// does not apply to it.
    pub known_device: bool,
}

#[derive(Debug)]
pub struct SignedIn {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub password_change_required: bool,
}

struct Account {
    id: UserId,
    password_hash: String,
    active: bool,
    auth_version: i64,
    password_change_required: bool,
}

/// The counter of an account's failed password checks, keyed by its address.
fn account_bucket(email: &str) -> String {
    format!("staff-sign-in:account:{}", email.trim().to_lowercase())
}

/// Records an attempt refused for too many failures, and gives the answer for it.
async fn refuse_as_limited(
    state: &AuthContext,
    actor: Actor,
    action: &'static str,
    ip: Option<String>,
) -> AppError {
    let logged = state
        .db
        .run(move |conn| {
            audit::event(&actor, action)
                .outcome(Outcome::Denied)
                .ip(ip.as_deref())
                .detail("too many failed attempts")
                .write(conn)?;
            Ok(())
        })
        .await;
    match logged {
        Ok(()) => AppError::RateLimited(FAILURE_WINDOW_MINUTES),
        Err(e) => e,
    }
}

/// Checks a signed-in member's current password (before they choose a new one). Each check
/// counts against the account's sign-in limit, so a session left open cannot be used to
/// guess the password at leisure, and each is audited. `Ok(false)`: not their password.
pub async fn check_current_password(
    state: &AuthContext,
    user: &UserId,
    email: &str,
    password: String,
    ip: Option<String>,
) -> Result<bool, AppError> {
    let window = Duration::minutes(FAILURE_WINDOW_MINUTES);
    let bucket = account_bucket(email);
    let actor = Actor::Staff(user.clone());
    let (limited, hash) = state
        .db
        .run({
            let (bucket, user) = (bucket.clone(), user.clone());
            move |conn| {
                let limited =
                    throttle::is_limited(conn, &bucket, window, MAX_FAILURES_PER_ACCOUNT)?;
                let hash: String = users::table
                    .find(&user)
                    .select(users::password_hash)
                    .first(conn)?;
                Ok((limited, hash))
            }
        })
        .await?;
    if limited {
        return Err(
            refuse_as_limited(state, actor.clone(), "auth.password_check", ip.clone()).await,
        );
    }
    let right = tokio::task::spawn_blocking(move || password::verify(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("password check failed: {e}")))?;
    state
        .db
        .run(move |conn| {
            db::write(conn, |conn| {
                let mut event = audit::event(&actor, "auth.password_check").ip(ip.as_deref());
                if !right {
                    throttle::hit(conn, &bucket, window)?;
                    event = event.outcome(Outcome::Failed).detail("wrong password");
                }
                event.write(conn)?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
    Ok(right)
}

pub async fn sign_in_staff(state: &AuthContext, attempt: Attempt) -> Result<SignedIn, AppError> {
    let email = attempt.email.trim().to_lowercase();
    let window = Duration::minutes(FAILURE_WINDOW_MINUTES);
    let account_bucket = account_bucket(&email);
    let address_bucket = format!(
        "staff-sign-in:address:{}",
        attempt.ip.as_deref().unwrap_or("unknown")
    );

    let (limited, account) = state
        .db
        .run({
            let (email, account_bucket, address_bucket) = (
                email.clone(),
                account_bucket.clone(),
                address_bucket.clone(),
            );
            move |conn| {
                let limited =
                    throttle::is_limited(conn, &account_bucket, window, MAX_FAILURES_PER_ACCOUNT)?
                        || (!attempt.known_device
                            && throttle::is_limited(
                                conn,
                                &address_bucket,
                                window,
                                MAX_FAILURES_PER_ADDRESS,
                            )?);
                let account = users::table
                    .filter(users::email.eq(&email))
                    .select((
                        users::id,
                        users::password_hash,
                        users::active,
                        users::auth_version,
                        users::password_change_required,
                    ))
                    .first::<(UserId, String, bool, i64, bool)>(conn)
                    .optional()?
                    .map(
                        |(id, password_hash, active, auth_version, password_change_required)| {
                            Account {
                                id,
                                password_hash,
                                active,
                                auth_version,
                                password_change_required,
                            }
                        },
                    );
                Ok((limited, account))
            }
        })
        .await?;

    if limited {
        let actor = account
            .as_ref()
            .map(|a| Actor::Staff(a.id.clone()))
            .unwrap_or(Actor::Anonymous);
        return Err(refuse_as_limited(state, actor, "auth.sign_in", attempt.ip.clone()).await);
    }

    // The slow part runs without holding a database connection.
    let password = attempt.password;
    let (account, verdict) = tokio::task::spawn_blocking(move || {
        let verdict = match &account {
            Some(a) if password::verify(&password, &a.password_hash) => {
                if a.active {
                    Ok(())
                } else {
                    Err("account deactivated")
                }
            }
            Some(_) => Err("wrong password"),
            None => {
                password::verify_against_dummy(&password);
                Err("unknown account")
            }
        };
        (account, verdict)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("password check failed: {e}")))?;

    let (ip, user_agent, client, known_device) = (
        attempt.ip,
        attempt.user_agent,
        attempt.client,
        attempt.known_device,
    );
    match (account, verdict) {
        (Some(account), Ok(())) => {
            let lifetime = match client {
                Client::Browser => state.session_max,
                Client::Api => state.api_token_lifetime,
            };
            let user_id = account.id.clone();
            let session_id = state
                .db
                .run(move |conn| {
                    db::write(conn, |conn| {
                        let origin = Origin {
                            client,
                            ip: ip.as_deref(),
                            user_agent: user_agent.as_deref(),
                        };
                        let staff = Principal::Staff(&user_id);
                        let expires_at = db::now() + lifetime;
                        let sid = session::insert(conn, staff, origin, false, expires_at)?;
                        audit::event(&Actor::Staff(user_id.clone()), "auth.sign_in")
                            .record("session", &sid)
                            .ip(ip.as_deref())
                            .detail(client.as_str())
                            .write(conn)?;
                        Ok::<_, AppError>(sid)
                    })
                })
                .await?;
            let (audience, token_lifetime) = match client {
                Client::Browser => (Audience::StaffWeb, state.token_lifetime),
                Client::Api => (Audience::Api, state.api_token_lifetime),
            };
            let (token, expires_at) = state.keys.issue(
                audience,
                account.id.as_str(),
                &session_id,
                account.auth_version,
                token_lifetime,
            )?;
            Ok(SignedIn {
                user_id: account.id,
                session_id,
                token,
                expires_at,
                password_change_required: account.password_change_required,
            })
        }
        (account, verdict) => {
            let reason = verdict.err().unwrap_or("unknown account");
            let actor = account
                .map(|a| Actor::Staff(a.id))
                .unwrap_or(Actor::Anonymous);
            state
                .db
                .run(move |conn| {
                    db::write(conn, |conn| {
                        throttle::hit(conn, &account_bucket, window)?;
                        if !known_device {
                            throttle::hit(conn, &address_bucket, window)?;
                        }
                        audit::event(&actor, "auth.sign_in")
                            .outcome(Outcome::Failed)
                            .ip(ip.as_deref())
                            .detail(reason)
                            .write(conn)?;
                        Ok::<_, AppError>(())
                    })
                })
                .await?;
            Err(AppError::InvalidCredentials)
        }
    }
}
