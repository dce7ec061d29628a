//! Extractors that authenticate the caller. A handler that takes `StaffUser` needs any
//! signed-in staff member; `CaseworkUser`, `ManagerUser` and `AdminUser` add the role-level
//! check from `policy`. Browser scopes read the session cookie; the API scope reads a bearer
//! token; neither accepts the other's credential.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::audit::{self, Actor, Outcome};
use crate::auth::cookies;
use crate::auth::policy::{self, Capability};
use crate::auth::session::{self, SessionRejection, StaffUser};
use crate::auth::tokens::{Audience, Claims, TokenError};
use crate::config::ProxyHeader;
use crate::error::AppError;
use crate::state::AuthContext;

/// Where a scope takes credentials from. Set with `.app_data(AuthSource::Bearer)` on the API
/// scope; pages default to the cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthSource {
    Cookie,
    Bearer,
}

/// Set on the request when the response should carry a fresh session cookie.
#[derive(Clone)]
pub struct RenewedStaffToken(pub String);

/// The session this request was authenticated with: its forms are bound to it (see `csrf`).
/// Set by the staff and family extractors when a session cookie was accepted.
#[derive(Debug, Clone)]
pub struct BoundSession(pub String);

/// Set on the request when the session cookie it carried is no good and should be cleared.
#[derive(Clone, Copy)]
pub struct ClearSessionCookie;

/// Paths a signed-in member whose password must change may still reach.
const PASSWORD_CHANGE_PATHS: &[&str] = &["/staff/account/password", "/staff/logout"];

/// The address a request came from: the connection's, unless that is a trusted proxy
/// (`trusted_proxies`), in which case the nearest address its forwarding headers name that
/// is not itself a trusted proxy. Headers from anyone else are ignored, for anyone can write
/// them.
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    let peer = req.peer_addr()?.ip().to_canonical();
    let Some(state) = req.app_data::<web::Data<AuthContext>>() else {
        return Some(peer.to_string());
    };
    Some(forwarded_for(req, peer, &state.trusted_proxies, state.proxy_header).to_string())
}

fn forwarded_for(
    req: &HttpRequest,
    peer: std::net::IpAddr,
    trusted: &[ipnet::IpNet],
    header: ProxyHeader,
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    // Each proxy appends the address it was reached from: read from the nearest hop back,
    // in the one header the proxies write (a client may send either, with anything in it).
    let values = req
        .headers()
        .get_all(match header {
            ProxyHeader::XForwardedFor => "x-forwarded-for",
            ProxyHeader::Forwarded => "forwarded",
        })
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    let hops: Vec<String> = match header {
        ProxyHeader::XForwardedFor => values.map(|hop| hop.trim().to_owned()).collect(),
        ProxyHeader::Forwarded => values
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (key, value) = pair.trim().split_once('=')?;
                    key.eq_ignore_ascii_case("for")
                        .then(|| value.trim().trim_matches('"').to_owned())
                })
            })
            .collect(),
    };
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            // An obfuscated or garbled hop: the last proxy that we trust is all we know.
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_hop(hop: &str) -> Option<std::net::IpAddr> {
    if let Ok(ip) = hop.parse::<std::net::IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(addr) = hop.parse::<std::net::SocketAddr>() {
        return Some(addr.ip().to_canonical());
    }
    let ip: std::net::IpAddr = hop.strip_prefix('[')?.split(']').next()?.parse().ok()?;
    Some(ip.to_canonical())
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

pub(crate) async fn audit_rejection(
    state: &AuthContext,
    req: &HttpRequest,
    action: &'static str,
    detail: String,
) {
    let ip = client_ip(req);
    let path = req.path().to_owned();
    let result = state
        .db
        .run(move |conn| {
            audit::event(&Actor::Anonymous, action)
                .outcome(Outcome::Denied)
                .ip(ip.as_deref())
                .detail(format!("{detail}; {path}"))
                .write(conn)?;
            Ok(())
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record a rejected credential");
    }
}

pub(crate) fn state_of(req: &HttpRequest) -> Result<web::Data<AuthContext>, AppError> {
    req.app_data::<web::Data<AuthContext>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("app state missing")))
}

/// The first half of authentication, without the database: the credential is there and its
/// token is good (an attempt with a bad one is audited).
async fn verify_credential(req: &HttpRequest) -> Result<(Claims, AuthSource), AppError> {
    let state = state_of(req)?;
    let source = req
        .app_data::<AuthSource>()
        .copied()
        .unwrap_or(AuthSource::Cookie);
    let (token, audience) = match source {
        AuthSource::Cookie => (
            cookies::STAFF_SESSION.read(req, state.cookie_secure),
            Audience::StaffWeb,
        ),
        AuthSource::Bearer => (bearer_token(req), Audience::Api),
    };
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(AppError::Unauthenticated);
    };
    match state.keys.verify(&token, audience) {
        Ok(claims) => Ok((claims, source)),
        Err(e) => {
            if source == AuthSource::Cookie {
                req.extensions_mut().insert(ClearSessionCookie);
            }
            // An expired token is the ordinary end of a session; anything else is an attempt.
            if !matches!(e, TokenError::Expired) {
                audit_rejection(&state, req, "auth.token_rejected", e.to_string()).await;
            }
            Err(AppError::Unauthenticated)
        }
    }
}

/// The second half, once the token's session has been looked up: a rejection is audited;
/// a browser session's cookie is renewed past half its life, and one whose password must
/// change reaches only the password page.
async fn finish(
    req: &HttpRequest,
    claims: &Claims,
    source: AuthSource,
    resolved: Result<StaffUser, SessionRejection>,
) -> Result<StaffUser, AppError> {
    let state = state_of(req)?;
    let user = match resolved {
        Ok(user) => user,
        Err(rejection) => {
            if source == AuthSource::Cookie {
                req.extensions_mut().insert(ClearSessionCookie);
            }
            audit_rejection(&state, req, "auth.session_rejected", rejection.describe()).await;
            return Err(AppError::Unauthenticated);
        }
    };
    if source == AuthSource::Cookie {
        // Sliding renewal: once half the token's life has passed, issue a fresh one.
        let lifetime = state.token_lifetime;
        let half_life = lifetime.num_seconds() / 2;
        if chrono::Utc::now().timestamp() - claims.iat >= half_life {
            let (fresh, _) = state.keys.renew(Audience::StaffWeb, claims, lifetime)?;
            req.extensions_mut().insert(RenewedStaffToken(fresh));
        }
        req.extensions_mut()
            .insert(BoundSession(user.session_id.as_str().to_owned()));
        if user.password_change_required && !PASSWORD_CHANGE_PATHS.contains(&req.path()) {
            return Err(AppError::Forbidden {
                code: "password_change_required",
                message: "Choose a new password before you continue.",
            });
        }
    }
    req.extensions_mut().insert(user.clone());
    Ok(user)
}

async fn authenticate(req: HttpRequest) -> Result<StaffUser, AppError> {
    let (claims, source) = verify_credential(&req).await?;
    let state = state_of(&req)?;
    let idle = state.session_idle;
    let resolved = state
        .db
        .run({
            let claims = claims.clone();
            move |conn| session::resolve_staff(conn, &claims, idle)
        })
        .await?;
    finish(&req, &claims, source, resolved).await
}

/// A caller with a good token whose session has not been looked up yet: the handler looks it
/// up in the same database task as its own work (`CaseworkCaller::session`), one trip to a
/// database thread instead of two, and then calls `check` with the result. For the busiest
/// routes only; everything else takes `StaffUser` or a role extractor.
pub struct CaseworkCaller {
    req: HttpRequest,
    claims: Claims,
    source: AuthSource,
}

impl FromRequest for CaseworkCaller {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<CaseworkCaller, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (claims, source) = verify_credential(&req).await?;
            Ok(CaseworkCaller {
                req,
                claims,
                source,
            })
        })
    }
}

/// What `CaseworkCaller::session` found: a caller who may do casework, or something for
/// `check` to turn into the same answer `CaseworkUser` would have given.
pub type Resolved = Result<StaffUser, Result<StaffUser, SessionRejection>>;

impl CaseworkCaller {
    /// Looks the session up on `conn` (inside the handler's database task).
    pub fn session(
        claims: &Claims,
        idle: chrono::Duration,
        conn: &mut crate::db::DbConn,
    ) -> Result<Resolved, AppError> {
        Ok(match session::resolve_staff(conn, claims, idle)? {
            Ok(user) if policy::allows(user.role, Capability::Casework) => Ok(user),
            other => Err(other),
        })
    }

    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// After `session` turned the caller away: the answer (and audit event) `CaseworkUser`
    /// would have given.
    pub async fn refuse(self, found: Result<StaffUser, SessionRejection>) -> AppError {
        match finish(&self.req, &self.claims, self.source, found).await {
            Ok(user) => match require(&self.req, &user, Capability::Casework).await {
                Ok(()) => AppError::forbidden(),
                Err(e) => e,
            },
            Err(e) => e,
        }
    }
}

impl FromRequest for StaffUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<StaffUser, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(user) = req.extensions().get::<StaffUser>() {
            let user = user.clone();
            return Box::pin(async move { Ok(user) });
        }
        Box::pin(authenticate(req.clone()))
    }
}

/// Checks a role-level capability, auditing a refusal.
pub async fn require(
    req: &HttpRequest,
    user: &StaffUser,
    capability: Capability,
) -> Result<(), AppError> {
    if policy::allows(user.role, capability) {
        return Ok(());
    }
    if let Some(state) = req.app_data::<web::Data<AuthContext>>() {
        let (actor, ip, path) = (
            Actor::Staff(user.id.clone()),
            client_ip(req),
            req.path().to_owned(),
        );
        let logged = state
            .db
            .run(move |conn| {
                audit::event(&actor, "access.denied")
                    .outcome(Outcome::Denied)
                    .ip(ip.as_deref())
                    .detail(format!("needs {}; {path}", capability.name()))
                    .write(conn)?;
                Ok(())
            })
            .await;
        if let Err(e) = logged {
            tracing::warn!(error = %e, "could not record a denied access");
        }
    }
    Err(AppError::forbidden())
}

macro_rules! role_extractor {
    ($(#[$meta:meta])* $name:ident => $capability:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name(pub StaffUser);

        impl FromRequest for $name {
            type Error = AppError;
            type Future = LocalBoxFuture<'static, Result<$name, AppError>>;

            fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
                let req = req.clone();
                let user = StaffUser::from_request(&req, payload);
                Box::pin(async move {
                    let user = user.await?;
                    require(&req, &user, $capability).await?;
                    Ok($name(user))
                })
            }
        }

        impl std::ops::Deref for $name {
            type Target = StaffUser;
            fn deref(&self) -> &StaffUser {
                &self.0
            }
        }
    };
}

role_extractor!(
    /// An officer or manager: may work on cases they can see.
    CaseworkUser => Capability::Casework
);
role_extractor!(
    /// A manager.
    ManagerUser => Capability::ManageCases
);
role_extractor!(
    /// A system administrator: accounts, teams, settings and the audit log; no case content.
    AdminUser => Capability::Administer
);
role_extractor!(
    /// Someone who may read the audit log.
    AuditReader => Capability::ReadAuditLog
);

/// Looks the caller's session up, checks their role and that they may see the case named by
/// the route's `{id}`, all in one database task and before anything they sent is looked at: a
/// case they may not see answers 404 (audited), exactly as a missing one.
async fn on_case(
    req: HttpRequest,
    capability: Capability,
) -> Result<(StaffUser, crate::casework::record::Case), AppError> {
    let (claims, source) = verify_credential(&req).await?;
    let state = state_of(&req)?;
    let case_id = req
        .match_info()
        .get("id")
        .and_then(crate::domain::CaseId::parse)
        .ok_or(AppError::NotFound)?;
    let idle = state.session_idle;
    let found = state
        .db
        .run({
            let claims = claims.clone();
            move |conn| {
                let user = match session::resolve_staff(conn, &claims, idle)? {
                    // One who must choose a password first is told so, whatever the case.
                    Ok(user)
                        if policy::allows(user.role, capability)
                            && !user.password_change_required =>
                    {
                        user
                    }
                    other => return Ok(Err(other)),
                };
                let case = crate::casework::access::require_visible(conn, &user, &case_id)?;
                Ok(Ok((user, case)))
            }
        })
        .await?;
    match found {
        Ok((user, case)) => Ok((finish(&req, &claims, source, Ok(user)).await?, case)),
        // Not signed in, or without the role: the answer the role's extractor gives.
        Err(found) => {
            let user = finish(&req, &claims, source, found).await?;
            require(&req, &user, capability).await?;
            Err(AppError::forbidden())
        }
    }
}

macro_rules! case_extractor {
    ($(#[$meta:meta])* $name:ident => $capability:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name(pub StaffUser, pub crate::casework::record::Case);

        impl FromRequest for $name {
            type Error = AppError;
            type Future = LocalBoxFuture<'static, Result<$name, AppError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    let (user, case) = on_case(req, $capability).await?;
                    Ok($name(user, case))
                })
            }
        }

        impl std::ops::Deref for $name {
            type Target = StaffUser;
            fn deref(&self) -> &StaffUser {
                &self.0
            }
        }
    };
}

case_extractor!(
    /// An officer or manager who may see the case of the route's `{id}`.
    CaseworkOnCase => Capability::Casework
);
case_extractor!(
    /// A manager who may see the case of the route's `{id}` (whether they manage its team is
    /// the use case's rule).
    ManagerOnCase => Capability::ManageCases
);

/// The SIO of the case of the route's `{id}`, or a manager of its team: who may restrict a
/// relative of it and read why. Checked, and a refusal audited (403), before anything they
/// sent is read.
#[derive(Debug, Clone)]
pub struct SioOrManagerOnCase(pub StaffUser, pub crate::casework::record::Case);

impl FromRequest for SioOrManagerOnCase {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<SioOrManagerOnCase, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (user, case) = on_case(req.clone(), Capability::Casework).await?;
            let (who, on) = (user.clone(), case.clone());
            state_of(&req)?
                .db
                .run(move |conn| crate::casework::access::require_sio_or_manager(conn, &who, &on))
                .await?;
            Ok(SioOrManagerOnCase(user, case))
        })
    }
}
