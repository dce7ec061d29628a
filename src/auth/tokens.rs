//! Signed session tokens: HS256 only, with `iss`, `aud`, `sub`, `iat` and `exp` required and
//! checked. A token only names a server-side session (`sid`) and the account's auth version
//! (`ver`); the session record decides whether it still counts, so sign-out, deactivation
//! and role changes take effect on the next request.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::config::Secret;
use crate::domain::SessionId;

pub const ISSUER: &str = "liaison";
/// Clock skew tolerated between app instances.
const LEEWAY_SECONDS: u64 = 5;

/// Each token has exactly one purpose; a token for one audience opens nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    StaffWeb,
    Api,
    FamilyWeb,
    FamilyApi,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::StaffWeb => "liaison:staff-web",
            Audience::Api => "liaison:api",
            Audience::FamilyWeb => "liaison:family-web",
            Audience::FamilyApi => "liaison:family-api",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub sid: String,
    pub ver: i64,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token rejected: {0}")]
    Invalid(String),
    #[error("token expired")]
    Expired,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    mac: Hmac<Sha256>,
}

impl TokenKeys {
    pub fn new(secret: &Secret) -> TokenKeys {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret.expose()),
            decoding: DecodingKey::from_secret(secret.expose()),
            mac: Hmac::new_from_slice(secret.expose()).expect("HMAC takes a key of any length"),
        }
    }

    /// A keyed digest (HMAC-SHA256, base64url) of `parts` for one `purpose`: values only this
    /// deployment can make, such as CSRF tokens and the accounts a browser has signed in to.
    /// Each part is length-prefixed, so no two lists of parts give the same input.
    pub fn mac(&self, purpose: &str, parts: &[&str]) -> String {
        let mut mac = self.mac.clone();
        for part in std::iter::once(&purpose).chain(parts) {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Issues a token for a session; returns it with its expiry.
    pub fn issue(
        &self,
        audience: Audience,
        subject: &str,
        session: &SessionId,
        auth_version: i64,
        lifetime: Duration,
    ) -> anyhow::Result<(String, DateTime<Utc>)> {
        let now = Utc::now();
        let expires = now + lifetime;
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: audience.as_str().to_owned(),
            sub: subject.to_owned(),
            sid: session.as_str().to_owned(),
            ver: auth_version,
            iat: now.timestamp(),
            exp: expires.timestamp(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| anyhow::anyhow!("signing a token: {e}"))?;
        Ok((token, expires))
    }

    /// A fresh token for the session that an earlier token's `claims` name (the same subject,
    /// session and auth version), living `lifetime` from now: the sliding renewal of a browser
    /// session. Returns it with its expiry.
    pub fn renew(
        &self,
        audience: Audience,
        claims: &Claims,
        lifetime: Duration,
    ) -> anyhow::Result<(String, DateTime<Utc>)> {
        let session = SessionId::parse(&claims.sid)
            .ok_or_else(|| anyhow::anyhow!("renewing a token that names no session"))?;
        self.issue(audience, &claims.sub, &session, claims.ver, lifetime)
    }

    /// Verifies signature, algorithm, issuer, audience and times.
    pub fn verify(&self, token: &str, audience: Audience) -> Result<Claims, TokenError> {
        self.verify_with(token, audience, true)
    }

    /// As `verify`, but a token past its expiry still verifies. Only for the family's browser
    /// sessions, where the server-side session (idle limit, lifetime, revocation) decides, so
    /// that a relative who takes twenty minutes over a message is not signed out mid-sentence.
    pub fn verify_ignoring_expiry(
        &self,
        token: &str,
        audience: Audience,
    ) -> Result<Claims, TokenError> {
        self.verify_with(token, audience, false)
    }

    fn verify_with(
        &self,
        token: &str,
        audience: Audience,
        check_expiry: bool,
    ) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = check_expiry;
        let data =
            decode::<Claims>(token, &self.decoding, &validation).map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                other => TokenError::Invalid(format!("{other:?}")),
            })?;
        let claims = data.claims;
        if claims.iat > Utc::now().timestamp() + LEEWAY_SECONDS as i64 {
            return Err(TokenError::Invalid("issued in the future".into()));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&Secret::generate())
    }

    #[test]
    fn a_token_round_trips_for_its_own_audience_only() {
        // Also proves a crypto backend is compiled in: without one, jsonwebtoken panics here.
        let keys = keys();
        let sid = SessionId::new();
        let (token, _) = keys
            .issue(Audience::Api, "user-1", &sid, 3, Duration::minutes(5))
            .unwrap();
        let claims = keys.verify(&token, Audience::Api).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.sid.as_str(), claims.ver),
            ("user-1", sid.as_str(), 3)
        );
        assert!(matches!(
            keys.verify(&token, Audience::StaffWeb),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn expired_and_foreign_tokens_are_refused() {
        let keys = keys();
        let sid = SessionId::new();
        let (expired, _) = keys
            .issue(Audience::Api, "u", &sid, 1, Duration::minutes(-10))
            .unwrap();
        assert!(matches!(
            keys.verify(&expired, Audience::Api),
            Err(TokenError::Expired)
        ));
        let (other, _) = self::keys()
            .issue(Audience::Api, "u", &sid, 1, Duration::minutes(5))
            .unwrap();
        assert!(matches!(
            keys.verify(&other, Audience::Api),
            Err(TokenError::Invalid(_))
        ));
    }
}
