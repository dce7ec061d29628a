//! The state every request handler shares. It lives below `web/`, `auth/` and `ops`, which
//! read it, and is assembled by `startup` (which nothing else imports).

use std::sync::Arc;

use handlebars::Handlebars;

use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::db::Db;
use crate::family::cache::FamilyCache;
use crate::metrics::Metrics;
use crate::notify::render::EmailTemplates;

/// What authentication needs, and nothing more: the database (sessions, and the audit of
/// what it refuses), the keys that sign tokens and CSRF tokens, and the session rules.
/// `auth/` reads only this; it is registered beside `AppState`, which holds the same one.
pub struct AuthContext {
    pub db: Db,
    pub keys: TokenKeys,
    /// Cookies are marked `Secure` (off only for plain-HTTP development).
    pub cookie_secure: bool,
    pub session_idle: chrono::Duration,
    pub session_max: chrono::Duration,
    pub token_lifetime: chrono::Duration,
    pub api_token_lifetime: chrono::Duration,
    /// Proxies whose forwarding headers name the client (see `auth::extract::client_ip`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub proxy_header: crate::config::ProxyHeader,
}

impl AuthContext {
    pub fn new(config: &Config, db: Db) -> AuthContext {
        AuthContext {
            db,
            keys: TokenKeys::new(&config.secret),
            cookie_secure: config.cookie_secure,
            session_idle: config.session_idle,
            session_max: config.session_max,
            token_lifetime: config.token_lifetime,
            api_token_lifetime: config.api_token_lifetime,
            trusted_proxies: config.trusted_proxies.clone(),
            proxy_header: config.proxy_header,
        }
    }
}

/// Everything a request handler may need, shared by all workers.
pub struct AppState {
    pub config: Config,
    pub db: Db,
    /// Authentication's part, also registered on its own for `auth/`.
    pub auth: Arc<AuthContext>,
    pub templates: Handlebars<'static>,
    pub emails: Arc<EmailTemplates>,
    /// Also registered on its own, for the request counter (`ops::track`).
    pub metrics: Arc<Metrics>,
    /// Signed-in relatives and their home page, kept between requests.
    pub family_cache: Arc<FamilyCache>,
}
