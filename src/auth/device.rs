//! Browsers that have signed in before. A successful sign-in in a browser leaves a cookie
//! holding, for each account that signed in on it (at most five), a keyed digest of the
//! account's address: nothing readable, nothing anyone else can forge. Such a browser is
//! spared the per-address limit for those accounts, though never the per-account one, so
//! that others failing from the same address (a police station, a family's shared
//! connection, one proxy) cannot lock a real person out.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration};

use crate::auth::cookies;
use crate::auth::extract::state_of;
use crate::state::AuthContext;

/// How long a browser is remembered after its last sign-in.
pub const REMEMBER_DAYS: i64 = 180;
const MAX_ACCOUNTS: usize = 5;
/// 132 bits of the digest: enough that no one guesses one.
const TAG_LEN: usize = 22;

/// Whose sign-in a browser remembers.
#[derive(Debug, Clone, Copy)]
pub enum Account {
    Staff,
    Relative,
}

fn tag(state: &AuthContext, account: Account, address: &str) -> String {
    let kind = match account {
        Account::Staff => "staff",
        Account::Relative => "relative",
    };
    let mut digest = state
        .keys
        .mac("device", &[kind, &address.trim().to_lowercase()]);
    digest.truncate(TAG_LEN);
    digest
}

fn tags_in(req: &HttpRequest, secure: bool) -> Vec<String> {
    cookies::DEVICE
        .read(req, secure)
        .map(|v| {
            v.split('.')
                .filter(|t| t.len() == TAG_LEN)
                .take(MAX_ACCOUNTS)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the account at `address` has signed in on this browser before.
pub fn knows(req: &HttpRequest, account: Account, address: &str) -> bool {
    let Ok(state) = state_of(req) else {
        return false;
    };
    let wanted = tag(&state, account, address);
    tags_in(req, state.cookie_secure)
        .iter()
        .any(|t| subtle::ConstantTimeEq::ct_eq(t.as_bytes(), wanted.as_bytes()).into())
}

/// The cookie to set after a successful sign-in: this account first, then the others this
/// browser already knew.
pub fn remember(req: &HttpRequest, account: Account, address: &str) -> Option<Cookie<'static>> {
    let state = state_of(req).ok()?;
    let secure = state.cookie_secure;
    let first = tag(&state, account, address);
    let mut tags = vec![first.clone()];
    tags.extend(
        tags_in(req, secure)
            .into_iter()
            .filter(|t| *t != first)
            .take(MAX_ACCOUNTS - 1),
    );
    Some(cookies::DEVICE.build(
        tags.join("."),
        secure,
        SameSite::Strict,
        Some(Duration::days(REMEMBER_DAYS)),
    ))
}
