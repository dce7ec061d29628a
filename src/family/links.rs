//! Sign-in links for relatives. A link carries 256 random bits; only their SHA-256 is
//! stored. An invitation link lasts 72 hours and a requested sign-in link 15 minutes. A link
//! works once, and using any link retires every other outstanding link of that relative.
//! The raw token exists only in the e-mail: the notification worker mints it when it sends,
//! so it never rests in the database.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::casework::types::AccessState;
use crate::db::schema::{relatives, sign_in_tokens};
use crate::db::{self, DbConn};
use crate::domain::{RelativeId, UserId, new_row_id};
use crate::notify::Kind;

pub const INVITATION_HOURS: i64 = 72;
pub const SIGN_IN_MINUTES: i64 = 15;
/// Sign-in link requests allowed per e-mail address, and per client address, each hour.
pub const MAX_REQUESTS_PER_ADDRESS: i32 = 5;
pub const MAX_REQUESTS_PER_IP: i32 = 30;

crate::text_enum!(
    /// What a link was sent for.
    Purpose {
        Invitation => "invitation" / "Invitation",
        SignIn => "sign_in" / "Sign-in link",
    }
);

impl Purpose {
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::Invitation => Duration::hours(INVITATION_HOURS),
            Purpose::SignIn => Duration::minutes(SIGN_IN_MINUTES),
        }
    }

    /// The link purpose an e-mail of this kind carries, if any.
    pub fn of_kind(kind: Kind) -> Option<Purpose> {
        match kind {
            Kind::FamilyInvitation => Some(Purpose::Invitation),
            Kind::FamilySignInLink => Some(Purpose::SignIn),
            _ => None,
        }
    }
}

pub fn hash_of(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A token is 43 characters of URL-safe base64; anything else was never issued.
pub fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Creates a link for `relative` and returns the raw token (store it nowhere).
pub fn mint(
    conn: &mut DbConn,
    relative: &RelativeId,
    purpose: Purpose,
    created_by: Option<&UserId>,
) -> QueryResult<String> {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let now = db::now();
    diesel::insert_into(sign_in_tokens::table)
        .values((
            sign_in_tokens::id.eq(new_row_id()),
            sign_in_tokens::token_hash.eq(hash_of(&token)),
            sign_in_tokens::purpose.eq(purpose.as_str()),
            sign_in_tokens::relative_id.eq(relative),
            sign_in_tokens::created_at.eq(now),
            sign_in_tokens::expires_at.eq(now + purpose.lifetime()),
            sign_in_tokens::created_by.eq(created_by),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Why a link does not sign anyone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// Not a link we issued (mistyped, cut short or tampered with).
    Unknown,
    Expired,
    Used,
    /// The relative's access is suspended.
    Suspended,
}

/// Uses a link: on success the relative's access becomes active and every other outstanding
/// link of theirs is retired. Call inside a write transaction.
pub fn redeem(conn: &mut DbConn, token: &str) -> QueryResult<Result<RelativeId, LinkProblem>> {
    if !well_formed(token) {
        return Ok(Err(LinkProblem::Unknown));
    }
    let found: Option<(
        String,
        RelativeId,
        chrono::NaiveDateTime,
        Option<chrono::NaiveDateTime>,
    )> = sign_in_tokens::table
        .filter(sign_in_tokens::token_hash.eq(hash_of(token)))
        .select((
            sign_in_tokens::id,
            sign_in_tokens::relative_id,
            sign_in_tokens::expires_at,
            sign_in_tokens::used_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, relative, expires_at, used_at)) = found else {
        return Ok(Err(LinkProblem::Unknown));
    };
    let now = db::now();
    if used_at.is_some() {
        return Ok(Err(LinkProblem::Used));
    }
    if expires_at <= now {
        return Ok(Err(LinkProblem::Expired));
    }
    let (state, restricted): (AccessState, Option<chrono::NaiveDateTime>) = relatives::table
        .find(&relative)
        .select((relatives::access_state, relatives::restricted_at))
        .first(conn)?;
    if state == AccessState::Suspended || restricted.is_some() {
        return Ok(Err(LinkProblem::Suspended));
    }
    // Conditional, so that two clicks racing each other cannot both sign in.
    let taken = diesel::update(
        sign_in_tokens::table
            .find(&id)
            .filter(sign_in_tokens::used_at.is_null()),
    )
    .set(sign_in_tokens::used_at.eq(now))
    .execute(conn)?;
    if taken == 0 {
        return Ok(Err(LinkProblem::Used));
    }
    retire_all(conn, &relative)?;
    diesel::update(relatives::table.find(&relative))
        .set((
            relatives::access_state.eq(AccessState::Active),
            relatives::last_seen_at.eq(now),
        ))
        .execute(conn)?;
    Ok(Ok(relative))
}

/// Retires every unused link of a relative (sign-in, suspension).
pub fn retire_all(conn: &mut DbConn, relative: &RelativeId) -> QueryResult<usize> {
    diesel::update(
        sign_in_tokens::table
            .filter(sign_in_tokens::relative_id.eq(relative))
            .filter(sign_in_tokens::used_at.is_null()),
    )
    .set(sign_in_tokens::used_at.eq(db::now()))
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_for_shape_and_hashed() {
        assert!(well_formed(&"a".repeat(43)));
        assert!(!well_formed(&"a".repeat(42)));
        assert!(!well_formed(&format!("{}=", "a".repeat(42))));
        assert_eq!(hash_of("x").len(), 64);
        assert_ne!(hash_of("x"), hash_of("y"));
    }
}
