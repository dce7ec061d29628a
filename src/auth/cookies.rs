//! Every cookie the portal sets, named in one place. Over https each name carries the
//! `__Host-` prefix, so a browser accepts the cookie only from this host, only over https and
//! only for the whole site: a neighbouring subdomain or someone on the network cannot plant
//! one (a planted CSRF cookie is also refused by the binding in `csrf`).

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration};

/// A cookie's name on plain http (the loopback demo) and over https.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieName {
    plain: &'static str,
    host: &'static str,
}

macro_rules! cookie_name {
    ($(#[$meta:meta])* $const:ident = $name:literal) => {
        $(#[$meta])*
        pub const $const: CookieName = CookieName {
            plain: $name,
            host: concat!("__Host-", $name),
        };
    };
}

cookie_name!(
    /// A staff member's signed session token.
    STAFF_SESSION = "liaison_session"
);
cookie_name!(
    /// A relative's signed session token.
    FAMILY_SESSION = "liaison_family"
);
cookie_name!(
    /// The random half of the CSRF token (see `csrf`).
    CSRF = "liaison_csrf"
);
cookie_name!(
    /// The language chosen before signing in.
    LANG = "liaison_lang"
);
cookie_name!(
    /// "This is a shared or public device", said on the family sign-in page and remembered
    /// only until the link is used or the browser closes.
    SHARED_DEVICE = "liaison_shared"
);
cookie_name!(
    /// The accounts that have signed in on this browser before (see `device`).
    DEVICE = "liaison_device"
);

impl CookieName {
    pub fn on(self, secure: bool) -> &'static str {
        if secure { self.host } else { self.plain }
    }

    /// The cookie's value in the request, if it carries one.
    pub fn read(self, req: &HttpRequest, secure: bool) -> Option<String> {
        req.cookie(self.on(secure)).map(|c| c.value().to_owned())
    }

    /// The cookie, HttpOnly, for the whole site; `Secure` exactly when served over https.
    /// A session cookie (gone when the browser closes) unless `max_age` is given.
    pub fn build(
        self,
        value: String,
        secure: bool,
        same_site: SameSite,
        max_age: Option<Duration>,
    ) -> Cookie<'static> {
        let mut cookie = Cookie::build(self.on(secure), value)
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(same_site)
            .finish();
        if let Some(age) = max_age {
            cookie.set_max_age(age);
        }
        cookie
    }

    /// A cookie that tells the browser to forget this one.
    pub fn removal(self, secure: bool) -> Cookie<'static> {
        let mut cookie = self.build(String::new(), secure, SameSite::Strict, None);
        cookie.make_removal();
        cookie
    }
}
