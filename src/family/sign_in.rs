//! Signing a relative in by link: asking for links (within limits, and the same answer
//! whether or not the address is known), checking a link without spending it, and spending
//! it for a session. The pages and the family API call these.

use diesel::prelude::*;

use crate::audit::{self, Actor, Outcome};
use crate::auth::session::Client;
use crate::auth::throttle;
use crate::db::schema::{relatives as r, sign_in_tokens as t};
use crate::db::{self, DbConn};
use crate::domain::{EmailAddress, RelativeId, SessionId, new_row_id};
use crate::error::AppError;
use crate::family::links::{self, LinkProblem};
use crate::family::session as family_session;
use crate::i18n::Lang;
use crate::notify::Kind;
use crate::notify::outbox::{self, Notice, Recipient};

/// Sends a sign-in link to every relative with portal access at `email`, within the
/// per-address and per-IP limits (a browser this relative signed in on before is spared the
/// per-IP one). `Ok(true)` when a limit stopped it; the caller answers the same whether or
/// not the address is known.
pub fn request_links(
    conn: &mut DbConn,
    email: &EmailAddress,
    ip: Option<&str>,
    known_device: bool,
) -> Result<bool, AppError> {
    let window = chrono::Duration::hours(1);
    let address_bucket = format!("family-link:address:{}", email.as_str());
    let ip_bucket = format!("family-link:ip:{}", ip.unwrap_or("unknown"));
    db::write(conn, |conn| {
        let limited = throttle::is_limited(
            conn,
            &address_bucket,
            window,
            links::MAX_REQUESTS_PER_ADDRESS,
        )? || (!known_device
            && throttle::is_limited(conn, &ip_bucket, window, links::MAX_REQUESTS_PER_IP)?);
        if limited {
            audit::event(&Actor::Anonymous, "family.sign_in_link_limited")
                .outcome(Outcome::Denied)
                .ip(ip)
                .write(conn)?;
            return Ok::<_, AppError>(true);
        }
        throttle::hit(conn, &address_bucket, window)?;
        if !known_device {
            throttle::hit(conn, &ip_bucket, window)?;
        }
        let found: Vec<crate::domain::RelativeId> = r::table
            .filter(r::email.eq(email.as_str()))
            .filter(r::access_state.eq_any([
                crate::casework::types::AccessState::Invited,
                crate::casework::types::AccessState::Active,
            ]))
            .filter(r::restricted_at.is_null())
            .select(r::id)
            .load(conn)?;
        for relative in &found {
            outbox::enqueue(
                conn,
                &Notice {
                    kind: Kind::FamilySignInLink,
                    recipient: Recipient::Relative(relative.clone()),
                    case_id: None,
                    cause: format!("sign-in:{}", new_row_id()),
                    payload: serde_json::json!({ "minutes": links::SIGN_IN_MINUTES }),
                },
            )?;
        }
        let mut event = audit::event(&Actor::Anonymous, "family.sign_in_link_requested").ip(ip);
        event = match found.first() {
            Some(r) => event.record("relative", r),
            None => event.detail("no relative with portal access has that address"),
        };
        event.write(conn)?;
        Ok(false)
    })
}

/// Checks a link without using it, so that a mail scanner opening it does not spend it. The
/// language is that of the relative the link was sent to, when it names one.
pub fn check(
    conn: &mut db::DbConn,
    token: &str,
) -> diesel::QueryResult<(Result<(), LinkProblem>, Option<Lang>)> {
    if !links::well_formed(token) {
        return Ok((Err(LinkProblem::Unknown), None));
    }
    let hash = links::hash_of(token);
    let found: Option<(
        chrono::NaiveDateTime,
        Option<chrono::NaiveDateTime>,
        crate::casework::types::AccessState,
        Lang,
    )> = t::table
        .inner_join(r::table.on(r::id.eq(t::relative_id)))
        .filter(t::token_hash.eq(hash))
        .select((t::expires_at, t::used_at, r::access_state, r::language))
        .first(conn)
        .optional()?;
    let lang = found.as_ref().map(|f| f.3);
    let verdict = match found {
        None => Err(LinkProblem::Unknown),
        Some((_, Some(_), _, _)) => Err(LinkProblem::Used),
        Some((exp, None, _, _)) if exp <= db::now() => Err(LinkProblem::Expired),
        Some((_, None, crate::casework::types::AccessState::Suspended, _)) => {
            Err(LinkProblem::Suspended)
        }
        Some(_) => Ok(()),
    };
    Ok((verdict, lang))
}

/// Who a sign-in link signed in: the relative, their new session, their auth version (for
/// the token) and their e-mail address (for the browser to remember, see `device`).
pub struct Redeemed {
    pub relative: RelativeId,
    pub session: SessionId,
    pub auth_version: i64,
    pub email: Option<String>,
}

/// Spends a sign-in link: retires it and starts a session of `client` kind, audited either way.
pub fn redeem(
    conn: &mut DbConn,
    token: &str,
    client: Client,
    persistent: bool,
    shared_device: bool,
    ip: Option<&str>,
    agent: Option<&str>,
) -> Result<Result<Redeemed, LinkProblem>, AppError> {
    // A shared or public device is never kept signed in.
    let persistent = persistent && !shared_device;
    db::write(conn, |conn| {
        let relative = match links::redeem(conn, token)? {
            Ok(r) => r,
            Err(problem) => {
                audit::event(&Actor::Anonymous, "family.sign_in")
                    .outcome(Outcome::Denied)
                    .ip(ip)
                    .detail(format!("{problem:?}"))
                    .write(conn)?;
                return Ok::<_, AppError>(Err(problem));
            }
        };
        let sid = family_session::create(
            conn,
            &relative,
            client,
            persistent,
            shared_device,
            ip,
            agent,
        )?;
        let (version, email): (i64, Option<String>) = r::table
            .find(&relative)
            .select((r::auth_version, r::email))
            .first(conn)?;
        audit::event(&Actor::Relative(relative.clone()), "family.sign_in")
            .record("session", &sid)
            .ip(ip)
            .detail(match (client, persistent) {
                (Client::Browser, _) if shared_device => "shared device",
                (Client::Browser, true) => "kept signed in",
                (Client::Browser, false) => "this visit",
                (Client::Api, true) => "api, kept signed in",
                (Client::Api, false) => "api",
            })
            .write(conn)?;
        Ok(Ok(Redeemed {
            relative,
            session: sid,
            auth_version: version,
            email,
        }))
    })
}
