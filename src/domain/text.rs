//! Free text typed by people: names, team names, passwords and bounded notes. Each type
//! trims, refuses control characters and enforces a documented length limit.

use crate::error::AppError;

/// Trims surrounding white space, normalises line endings and refuses control characters
/// other than newline and tab.
pub fn clean_text(field: &str, raw: &str) -> Result<String, AppError> {
    let s = raw.replace("\r\n", "\n").replace('\r', "\n");
    let s = s.trim();
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(AppError::invalid(
            field,
            "This text contains characters that cannot be stored.",
        ));
    }
    Ok(s.to_owned())
}

fn bounded(field: &str, raw: &str, max: usize, empty_message: &str) -> Result<String, AppError> {
    let s = clean_text(field, raw)?;
    if s.is_empty() {
        return Err(AppError::invalid(field, empty_message));
    }
    let len = s.chars().count();
    if len > max {
        return Err(AppError::invalid(
            field,
            format!("This can be at most {max} characters; it has {len}."),
        ));
    }
    Ok(s)
}

/// A person's name as they wish it written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_LEN: usize = 200;

    pub fn parse(field: &str, raw: &str) -> Result<PersonName, AppError> {
        let s = bounded(field, raw, Self::MAX_LEN, "Enter a name.")?;
        if s.contains('\n') {
            return Err(AppError::invalid(field, "A name must fit on one line."));
        }
        Ok(PersonName(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A team's name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct TeamName(String);

impl TeamName {
    pub const MAX_LEN: usize = 120;

    pub fn parse(field: &str, raw: &str) -> Result<TeamName, AppError> {
        let s = bounded(field, raw, Self::MAX_LEN, "Enter a team name.")?;
        if s.contains('\n') {
            return Err(AppError::invalid(
                field,
                "A team name must fit on one line.",
            ));
        }
        Ok(TeamName(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Required free text with a length limit (notes, reasons, descriptions).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct LimitedText(String);

impl LimitedText {
    pub fn parse(field: &str, raw: &str, max: usize) -> Result<LimitedText, AppError> {
        bounded(field, raw, max, "This cannot be empty.").map(LimitedText)
    }

    pub fn optional(
        field: &str,
        raw: Option<&str>,
        max: usize,
    ) -> Result<Option<LimitedText>, AppError> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => Self::parse(field, s, max).map(Some),
        }
    }

    /// A name on one line (a group's, an operation's): `missing` says what to write when it
    /// is empty.
    pub fn line(
        field: &str,
        raw: &str,
        max: usize,
        missing: &str,
    ) -> Result<LimitedText, AppError> {
        if clean_text(field, raw)?.is_empty() {
            return Err(AppError::invalid(field, missing));
        }
        let line = Self::parse(field, raw, max)?;
        if line.as_str().contains(['\n', '\r']) {
            return Err(AppError::invalid(field, "Write it on one line."));
        }
        Ok(line)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A new password: long rather than complicated, as the NCSC advises.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_LEN: usize = 12;
    pub const MAX_LEN: usize = 256;

    pub fn parse(field: &str, raw: &str) -> Result<NewPassword, AppError> {
        let len = raw.chars().count();
        if len < Self::MIN_LEN {
            return Err(AppError::invalid(
                field,
                format!(
                    "A password must be at least {} characters. Three random words work well.",
                    Self::MIN_LEN
                ),
            ));
        }
        if len > Self::MAX_LEN {
            return Err(AppError::invalid(
                field,
                format!("A password can be at most {} characters.", Self::MAX_LEN),
            ));
        }
        Ok(NewPassword(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            PersonName::parse("name", "  Ada Price ").unwrap().as_str(),
            "Ada Price"
        );
        assert!(PersonName::parse("name", "   ").is_err());
        assert!(PersonName::parse("name", &"x".repeat(201)).is_err());
        assert!(PersonName::parse("name", "two\nlines").is_err());
        assert!(PersonName::parse("name", "bell\u{7}").is_err());
    }

    #[test]
    fn passwords_need_length_not_tricks() {
        assert!(NewPassword::parse("password", "short").is_err());
        assert!(NewPassword::parse("password", "correct horse battery").is_ok());
        assert_eq!(
            format!(
                "{:?}",
                NewPassword::parse("p", "correct horse battery").unwrap()
            ),
            "NewPassword(<redacted>)"
        );
    }
}
