//! Input as a JSON client sends it, before the rules of what it means are applied: text, whole
//! numbers, and query filters that may be sent empty. Each text type reads a plain string and
//! gives the API document the schema that states the rules its parser enforces (`clean_text`,
//! `PersonName`, `EmailAddress`, phone numbers, quiet hours), so that a client can check its
//! input before sending it. The one thing checked here is the length as sent, which is what
//! the schema's `maxLength` counts (a parser counts what is left once white space is trimmed).
//! The parsers stay the one place every other rule is applied; the tests below hold each
//! pattern to its parser.
//!
//! The patterns are ECMA-262 regular expressions of the portable kind (classes, groups,
//! repetition; no look-around), anchored, and unambiguous enough to match in linear time.

use std::borrow::Cow;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::schema::{AllOfBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{ObjectBuilder, RefOr};

use crate::accounts::users::PHONE_MAX_LEN;
use crate::domain::EmailAddress;

/// What `str::trim` removes at either end: the Unicode `White_Space` characters.
const SPACE: &[(char, char)] = &[
    ('\t', '\r'),
    (' ', ' '),
    ('\u{85}', '\u{85}'),
    ('\u{a0}', '\u{a0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200a}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202f}', '\u{202f}'),
    ('\u{205f}', '\u{205f}'),
    ('\u{3000}', '\u{3000}'),
];

/// The control characters `clean_text` refuses inside text: all but tab, line feed and
/// carriage return.
const CONTROL: &[(char, char)] = &[
    ('\0', '\u{8}'),
    ('\u{b}', '\u{c}'),
    ('\u{e}', '\u{1f}'),
    ('\u{7f}', '\u{9f}'),
];

/// Line feed and carriage return: what a name may not hold.
const LINE_BREAK: &[(char, char)] = &[('\n', '\n'), ('\r', '\r')];

/// The body of a character class holding `sets`, every character written `\uXXXX` (all of
/// them are in the Basic Multilingual Plane).
fn class(sets: &[&[(char, char)]]) -> String {
    let mut body = String::new();
    for &(low, high) in sets.iter().flat_map(|set| set.iter()) {
        body.push_str(&format!("\\u{:04x}", u32::from(low)));
        if high != low {
            body.push_str(&format!("-\\u{:04x}", u32::from(high)));
        }
    }
    body
}

/// `core` with the white space a parser trims allowed around it.
fn trimmed(core: &str) -> String {
    let space = class(&[SPACE]);
    format!("^[{space}]*{core}[{space}]*$")
}

/// Free text as `clean_text` reads it: once trimmed, it starts and ends with a visible
/// character and holds no refused control character (and, on one line, no line break).
/// `blank` allows it to be empty once trimmed.
fn text_pattern(blank: bool, one_line: bool) -> String {
    let visible = format!("[^{}]", class(&[SPACE, CONTROL]));
    let inner = if one_line {
        format!("[^{}]", class(&[CONTROL, LINE_BREAK]))
    } else {
        format!("[^{}]", class(&[CONTROL]))
    };
    let core = format!("{visible}(?:{inner}*{visible})?");
    trimmed(&if blank { format!("(?:{core})?") } else { core })
}

/// An address `EmailAddress::parse` takes: dotted words before the `@`, a domain name of
/// labels of up to 63 letters, digits and hyphens, and a top-level domain of letters.
const EMAIL: &str = r"[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}";

/// The part of an address before the `@`, as far as its length: `EmailAddress::parse` takes
/// at most 64 characters there.
const EMAIL_LOCAL: &str = r"[A-Za-z0-9_%+.\-]{1,64}";

/// A phone number `parse_phone` takes: digits, spaces and `+()-`, at least five digits.
const PHONE: &str = r"(?:[ +()\-]*[0-9]){5}[0-9 +()\-]*";

/// A time of day on the 24-hour clock, `HH:MM`.
const CLOCK_TIME: &str = "(?:[01][0-9]|2[0-3]):[0-5][0-9]";

/// A string schema: what it is for, its pattern and the most characters it may have.
fn string_schema(description: String, pattern: String, max_length: Option<usize>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .max_length(max_length)
        .into()
}

/// Refuses a string longer than `limit` characters as sent.
fn within<E: serde::de::Error>(s: String, limit: Option<usize>) -> Result<String, E> {
    let len = s.chars().count();
    match limit {
        Some(max) if len > max => Err(E::custom(format!(
            "This can be at most {max} characters; it has {len}."
        ))),
        _ => Ok(s),
    }
}

/// A string field: reads (at most `LIMIT` characters) and writes as a plain string, derefs to
/// `str`.
macro_rules! raw_string {
    ($(#[$meta:meta])* $name:ident $(<const $max:ident: usize>)?, limit = $limit:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
        #[serde(transparent)]
        pub struct $name$(<const $max: usize>)?(String);

        impl$(<const $max: usize>)? $name$(<$max>)? {
            /// The most characters it may have as sent.
            pub const LIMIT: Option<usize> = $limit;
        }

        impl<'de $(, const $max: usize)?> Deserialize<'de> for $name$(<$max>)? {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                within(String::deserialize(d)?, Self::LIMIT).map(Self)
            }
        }

        impl$(<const $max: usize>)? Deref for $name$(<$max>)? {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl$(<const $max: usize>)? From<String> for $name$(<$max>)? {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl$(<const $max: usize>)? From<$name$(<$max>)?> for String {
            fn from(s: $name$(<$max>)?) -> String {
                s.0
            }
        }
    };
}

raw_string!(
    /// Free text that may be left empty (or null, where the field allows it): notes, needs,
    /// summaries. At most `MAX` characters; no control characters but tab and line breaks.
    Text<const MAX: usize>,
    limit = Some(MAX)
);

raw_string!(
    /// Free text that must say something: a reason, a discussion, a message. At most `MAX`
    /// characters; no control characters but tab and line breaks.
    RequiredText<const MAX: usize>,
    limit = Some(MAX)
);

raw_string!(
    /// A name on one line that must say something. At most `MAX` characters; no control
    /// characters but tab.
    OneLine<const MAX: usize>,
    limit = Some(MAX)
);

raw_string!(
    /// An e-mail address that must be given.
    Email,
    limit = Some(EmailAddress::MAX_LEN)
);

raw_string!(
    /// An e-mail address, or empty (or null) for none.
    OptionalEmail,
    limit = Some(EmailAddress::MAX_LEN)
);

raw_string!(
    /// A phone number, or empty (or null) for none.
    Phone,
    limit = Some(PHONE_MAX_LEN)
);

raw_string!(
    /// A time of day, `HH:MM` on the 24-hour clock, or empty (or null) for none.
    ClockTime,
    limit = None
);

impl<const MAX: usize> utoipa::PartialSchema for Text<MAX> {
    fn schema() -> RefOr<Schema> {
        string_schema(
            format!(
                "Text of at most {MAX} characters; empty means none. White space at either end \
                 is dropped; no control characters but tab and line breaks."
            ),
            text_pattern(true, false),
            Self::LIMIT,
        )
    }
}

impl<const MAX: usize> utoipa::ToSchema for Text<MAX> {
    fn name() -> Cow<'static, str> {
        format!("Text{MAX}").into()
    }
}

impl<const MAX: usize> utoipa::PartialSchema for RequiredText<MAX> {
    fn schema() -> RefOr<Schema> {
        string_schema(
            format!(
                "Text of at most {MAX} characters that is not blank. White space at either end \
                 is dropped; no control characters but tab and line breaks."
            ),
            text_pattern(false, false),
            Self::LIMIT,
        )
    }
}

impl<const MAX: usize> utoipa::ToSchema for RequiredText<MAX> {
    fn name() -> Cow<'static, str> {
        format!("RequiredText{MAX}").into()
    }
}

impl<const MAX: usize> utoipa::PartialSchema for OneLine<MAX> {
    fn schema() -> RefOr<Schema> {
        string_schema(
            format!(
                "A name of at most {MAX} characters on one line, not blank. White space at either \
                 end is dropped; no control characters but tab."
            ),
            text_pattern(false, true),
            Self::LIMIT,
        )
    }
}

impl<const MAX: usize> utoipa::ToSchema for OneLine<MAX> {
    fn name() -> Cow<'static, str> {
        format!("OneLine{MAX}").into()
    }
}

/// The schema of an address (or, if `blank`, of an address or nothing): `EMAIL`, and a second
/// pattern for the part before the `@`, which may have at most 64 characters (a pattern
/// without look-ahead cannot count that part and check the rest at once).
fn email_schema(description: &str, blank: bool, limit: Option<usize>) -> RefOr<Schema> {
    let space = class(&[SPACE]);
    let (core, local) = if blank {
        (
            format!("(?:{EMAIL})?"),
            format!("^[{space}]*(?:$|{EMAIL_LOCAL}@)"),
        )
    } else {
        (EMAIL.to_owned(), format!("^[{space}]*{EMAIL_LOCAL}@"))
    };
    AllOfBuilder::new()
        .item(string_schema(description.into(), trimmed(&core), limit))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(local)),
        )
        .into()
}

impl utoipa::PartialSchema for Email {
    fn schema() -> RefOr<Schema> {
        email_schema(
            "An e-mail address, like name@example.org.",
            false,
            Self::LIMIT,
        )
    }
}

impl utoipa::ToSchema for Email {}

impl utoipa::PartialSchema for OptionalEmail {
    fn schema() -> RefOr<Schema> {
        email_schema(
            "An e-mail address, like name@example.org; empty means none.",
            true,
            Self::LIMIT,
        )
    }
}

impl utoipa::ToSchema for OptionalEmail {}

impl utoipa::PartialSchema for Phone {
    fn schema() -> RefOr<Schema> {
        string_schema(
            "A phone number: digits, spaces and + ( ) -, at least five digits; empty means none."
                .into(),
            trimmed(&format!("(?:{PHONE})?")),
            Self::LIMIT,
        )
    }
}

impl utoipa::ToSchema for Phone {}

impl utoipa::PartialSchema for ClockTime {
    fn schema() -> RefOr<Schema> {
        string_schema(
            "A time of day, `HH:MM` on the 24-hour clock (London time); empty means none.".into(),
            trimmed(&format!("(?:{CLOCK_TIME})?")),
            Self::LIMIT,
        )
    }
}

impl utoipa::ToSchema for ClockTime {}

/// Reads a whole number as JSON Schema counts one: `5`, or `5.0` as some encoders write every
/// number. For `#[serde(deserialize_with = "raw::whole")]` on an `i64` field.
pub fn whole<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Whole::deserialize(d).map(|w| w.0)
}

/// `whole` for an `Option<i64>` field (with `#[serde(default)]`, so that absent is `None`).
pub fn optional_whole<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<Whole>::deserialize(d).map(|w| w.map(|w| w.0))
}

struct Whole(i64);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Whole, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = Whole;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a whole number")
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Whole, E> {
                Ok(Whole(v))
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Whole, E> {
                i64::try_from(v).map(Whole).map_err(|_| {
                    E::invalid_value(serde::de::Unexpected::Unsigned(v), &"a smaller number")
                })
            }

            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Whole, E> {
                // 2^63 (exactly `-(i64::MIN as f64)`) is the first value past i64::MAX; every
                // whole f64 below it fits.
                let past = -(i64::MIN as f64);
                if v.fract() == 0.0 && (-past..past).contains(&v) {
                    Ok(Whole(v as i64))
                } else {
                    Err(E::invalid_type(serde::de::Unexpected::Float(v), &self))
                }
            }
        }

        d.deserialize_any(Visitor)
    }
}

/// The schema of a query parameter that takes a value of `T`, or nothing: empty (or only
/// white space) is as if it were left out, as a form's "any" choice sends it. The handler
/// reads the parameter as text. See `or_empty!`.
pub fn or_empty<T: utoipa::PartialSchema>() -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(T::schema())
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("Empty: as if left out."))
                .pattern(Some(format!("^[{}]*$", class(&[SPACE])))),
        )
        .into()
}

/// Declares a type that stands, in a query's `#[param(inline, value_type = ...)]`, for a value
/// of another type or nothing (see `or_empty`).
#[macro_export]
macro_rules! or_empty {
    ($(#[$meta:meta])* $name:ident($of:ty)) => {
        $(#[$meta])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::domain::raw::or_empty::<$of>()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use utoipa::PartialSchema;

    use super::*;
    use crate::domain::{PersonName, clean_text};

    fn in_sets(c: char, sets: &[(char, char)]) -> bool {
        sets.iter().any(|&(low, high)| (low..=high).contains(&c))
    }

    #[test]
    fn the_classes_are_the_ones_the_parsers_use() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            assert_eq!(in_sets(c, SPACE), c.is_whitespace(), "{c:?}");
            assert_eq!(
                in_sets(c, CONTROL),
                c.is_control() && !matches!(c, '\t' | '\n' | '\r'),
                "{c:?}"
            );
        }
    }

    /// Whether `s` meets the schema as a JSON Schema validator reads it.
    fn valid(schema: RefOr<Schema>) -> impl Fn(&str) -> bool {
        let schema: Value = serde_json::to_value(schema).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        move |s| validator.is_valid(&json!(s))
    }

    /// Every string of up to `len` characters drawn from `alphabet`.
    fn strings(alphabet: &[char], len: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..len {
            last = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    const AWKWARD: &[char] = &[
        'a', 'é', '😀', ' ', '\t', '\n', '\r', '\u{0}', '\u{7}', '\u{b}', '\u{c}', '\u{1c}',
        '\u{7f}', '\u{85}', '\u{a0}', '\u{2028}', '\u{3000}',
    ];

    #[test]
    fn text_patterns_state_exactly_what_clean_text_takes() {
        let (text, required, one_line) = (
            valid(Text::<3>::schema()),
            valid(RequiredText::<3>::schema()),
            valid(OneLine::<3>::schema()),
        );
        for s in strings(AWKWARD, 3) {
            let cleaned = clean_text("f", &s);
            assert_eq!(text(&s), cleaned.is_ok(), "Text {s:?}");
            let said = cleaned.as_ref().is_ok_and(|t| !t.is_empty());
            assert_eq!(required(&s), said, "RequiredText {s:?}");
            assert_eq!(
                one_line(&s),
                PersonName::parse("f", &s).is_ok(),
                "OneLine {s:?}"
            );
        }
        // Longer than the limit is refused by the schema, as by the parsers.
        assert!(!required("abcd") && !text("abcd") && !one_line("abcd"));
    }

    #[test]
    fn what_the_email_pattern_allows_the_parser_takes() {
        let (email, optional) = (valid(Email::schema()), valid(OptionalEmail::schema()));
        for s in [
            "sam@example.org",
            "  Sam.Officer@Example.ORG ",
            "a_b%c+d-e@sub-domain.example.co",
            &format!("x@{}.org", "a".repeat(63)),
            &format!("{}@example.org", "a.b".repeat(21)),
        ] {
            assert!(email(s) && optional(s), "{s:?}");
            assert!(EmailAddress::parse("e", s).is_ok(), "{s:?}");
        }
        for s in crate::domain::email::MALFORMED {
            assert!(!email(s), "{s:?}");
        }
        for s in [
            "a..b@example.org",
            "a@-example.org",
            "a@example.o",
            &format!("{}@example.org", "a.b".repeat(22)),
        ] {
            assert!(!email(s), "{s:?}");
        }
        assert!(optional("") && optional("  ") && !optional("nope"));
    }

    #[test]
    fn phone_and_clock_patterns_state_what_their_parsers_take() {
        use crate::accounts::users::parse_phone;
        let phone = valid(Phone::schema());
        for s in strings(&['1', ' ', '+', '(', ')', '-', 'x', '\t'], 6) {
            assert_eq!(phone(&s), parse_phone("p", Some(&s)).is_ok(), "{s:?}");
        }
        assert!(!phone(&"1".repeat(PHONE_MAX_LEN + 1)));
        let clock = valid(ClockTime::schema());
        for s in ["", " ", "00:00", " 09:30 ", "23:59", "12:00"] {
            assert!(clock(s), "{s:?}");
            let time = crate::notify::quiet::parse_time("t", s);
            assert!(s.trim().is_empty() || time.is_ok(), "{s:?}");
        }
        for s in ["24:00", "12:60", "9:3x", "noon", "12:00:00"] {
            assert!(!clock(s), "{s:?}");
            assert!(crate::notify::quiet::parse_time("t", s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn whole_numbers_may_be_written_with_a_zero_fraction() {
        #[derive(Deserialize)]
        struct Body {
            #[serde(deserialize_with = "super::whole")]
            n: i64,
            #[serde(default, deserialize_with = "super::optional_whole")]
            m: Option<i64>,
        }
        let read = |v: Value| serde_json::from_value::<Body>(v).map(|b| (b.n, b.m));
        assert_eq!(read(json!({"n": 5})).unwrap(), (5, None));
        assert_eq!(
            read(json!({"n": -5.0, "m": 271.0})).unwrap(),
            (-5, Some(271))
        );
        assert_eq!(read(json!({"n": 1, "m": null})).unwrap(), (1, None));
        for bad in [
            json!(5.5),
            json!("5"),
            json!(1e19),
            json!(u64::MAX),
            json!(null),
        ] {
            assert!(read(json!({"n": bad})).is_err(), "{bad}");
        }
    }
}
