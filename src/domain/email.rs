//! E-mail addresses, checked when they are entered so that a bad address is refused at the
//! form (422), never discovered at send time.

use std::str::FromStr;

use crate::error::AppError;

/// A syntactically valid e-mail address, lower-cased for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_LEN: usize = 254;

    pub fn parse(field: &str, raw: &str) -> Result<EmailAddress, AppError> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err(AppError::invalid(field, "Enter an email address."));
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(AppError::invalid(
                field,
                format!(
                    "An email address can be at most {} characters.",
                    Self::MAX_LEN
                ),
            ));
        }
        let plausible = s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
        if !plausible || lettre::Address::from_str(&s).is_err() {
            return Err(AppError::invalid(
                field,
                "Enter an email address in the correct format, like name@example.org.",
            ));
        }
        Ok(EmailAddress(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with most of the local part hidden, for logs.
    pub fn masked(&self) -> String {
        mask_email(&self.0)
    }
}

/// Hides all but the first character of the local part: `s***@example.org`.
pub fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Addresses that are not addresses: every parser and schema of an e-mail refuses them.
#[cfg(test)]
pub(crate) const MALFORMED: [&str; 7] = [
    "",
    "plainaddress",
    "@example.org",
    "a@b",
    "a@.org",
    "a b@example.org",
    "a@example.org.",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_normalises_case() {
        let e = EmailAddress::parse("email", "  Sam.Officer@Example.ORG ").unwrap();
        assert_eq!(e.as_str(), "sam.officer@example.org");
        assert_eq!(e.masked(), "s***@example.org");
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in MALFORMED {
            assert!(
                EmailAddress::parse("email", bad).is_err(),
                "{bad:?} should be refused"
            );
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(EmailAddress::parse("email", &long).is_err());
    }
}
