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

/// Everything a request handler may need, shared by all workers.
pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub keys: TokenKeys,
    pub templates: Handlebars<'static>,
    pub emails: Arc<EmailTemplates>,
    pub metrics: Metrics,
    /// Signed-in relatives and their home page, kept between requests.
    pub family_cache: Arc<FamilyCache>,
}
