//! A cookie-keeping HTTP client that reads CSRF tokens out of pages and posts forms, as a
//! browser without JavaScript would. A form's token is bound to the session of its part of the
//! site (staff or family), so, like a person who always posts from a page they were shown,
//! the client posts with a token from a page of the same part, seen since it last signed in
//! or out.

use reqwest::Response;

pub struct Browser {
    pub client: reqwest::Client,
    base: String,
    /// The last token seen, with the part of the site whose page carried it.
    csrf: std::sync::Mutex<Option<(Part, String)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Staff,
    Family,
}

fn part_of(path: &str) -> Part {
    if path.starts_with("/family") {
        Part::Family
    } else {
        Part::Staff
    }
}

/// Pages with a form, signed in or out, for each part of the site.
fn pages_of(part: Part) -> &'static [&'static str] {
    match part {
        Part::Staff => &["/staff/login", "/staff/account/password"],
        Part::Family => &["/family/sign-in", "/family/preferences"],
    }
}

/// Whether a response signs the browser in or out (sets or clears a session cookie).
fn changes_session(res: &Response) -> bool {
    res.headers().get_all("set-cookie").iter().any(|v| {
        let v = v.to_str().unwrap_or_default();
        let v = v.strip_prefix("__Host-").unwrap_or(v);
        v.starts_with("liaison_session=") || v.starts_with("liaison_family=")
    })
}

/// The value of the first `csrf_token` hidden field in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\" value=\"")?;
    let rest = &html[at + "name=\"csrf_token\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: base.to_owned(),
            csrf: std::sync::Mutex::new(None),
        }
    }

    /// A browser whose requests reach the portal through a reverse proxy that says they came
    /// from `client` (believed only when the portal trusts the proxy's address).
    pub fn behind_proxy(base: &str, client: &str) -> Browser {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", client.parse().unwrap());
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .expect("client"),
            base: base.to_owned(),
            csrf: std::sync::Mutex::new(None),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GETs a page, remembering its CSRF token.
    pub async fn get(&self, path: &str) -> (reqwest::StatusCode, String) {
        let res = self.client.get(self.url(path)).send().await.unwrap();
        let status = res.status();
        let body = res.text().await.unwrap();
        if let Some(token) = csrf_in(&body) {
            *self.csrf.lock().unwrap() = Some((part_of(path), token));
        }
        (status, body)
    }

    pub fn csrf(&self) -> String {
        self.csrf
            .lock()
            .unwrap()
            .clone()
            .map(|(_, t)| t)
            .unwrap_or_default()
    }

    fn token_for(&self, part: Part) -> Option<String> {
        self.csrf
            .lock()
            .unwrap()
            .clone()
            .filter(|(p, _)| *p == part)
            .map(|(_, t)| t)
    }

    /// Posts a form with the CSRF token of the last page seen of the same part of the site
    /// (fetching one of its pages first if none has been seen since signing in or out).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let part = part_of(path);
        for page in pages_of(part) {
            if self.token_for(part).is_some() {
                break;
            }
            self.get(page).await;
        }
        let mut form: Vec<(String, String)> = vec![(
            "csrf_token".into(),
            self.token_for(part).unwrap_or_default(),
        )];
        form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let res = self
            .client
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .unwrap();
        if changes_session(&res) {
            *self.csrf.lock().unwrap() = None;
        }
        res
    }

    /// Posts a form without any CSRF token.
    pub async fn post_without_csrf(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.get("/staff/login").await;
        self.post("/staff/login", &[("email", email), ("password", password)])
            .await
    }
}

pub fn location(res: &Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The value a response sets for cookie `name`.
pub fn cookie_value(res: &Response, name: &str) -> Option<String> {
    res.headers().get_all("set-cookie").iter().find_map(|v| {
        let v = v.to_str().ok()?;
        let (pair, _) = v.split_once(';').unwrap_or((v, ""));
        let (n, value) = pair.split_once('=')?;
        (n == name).then(|| value.to_owned())
    })
}
