//! Message catalogues for everything a family reads (pages and e-mails), in English and
//! Welsh, chosen per relative. Adding a language is a catalogue directory under `locales/`.
//! The `t` template helper fails the render on a missing key instead of showing a key.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone, Timelike};
use chrono_tz::Europe::London;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader, static_loader};
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason,
};
use unic_langid::LanguageIdentifier;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

crate::text_enum!(
    /// A language a family can read Liaison in.
    Lang {
        En => "en" / "English",
        Cy => "cy" / "Cymraeg",
    }
);

impl Lang {
    fn id(self) -> LanguageIdentifier {
        self.as_str().parse().unwrap_or_default()
    }
}

/// The text for `key` in `lang`, or `None` when the catalogue lacks it.
pub fn text(lang: Lang, key: &str, args: &[(&str, String)]) -> Option<String> {
    let args: HashMap<std::borrow::Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(k, v)| {
            (
                std::borrow::Cow::Owned((*k).to_owned()),
                FluentValue::from(v.clone()),
            )
        })
        .collect();
    LOCALES.try_lookup_with_args(&lang.id(), key, &args)
}

/// `{{t "key" name=value}}`: the text for the language in the root context's `lang`.
pub struct TranslateHelper;

impl HelperDef for TranslateHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        registry: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let key = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("t", 0))?;
        let lang = ctx
            .data()
            .get("lang")
            .and_then(|l| l.as_str())
            .and_then(Lang::parse)
            .unwrap_or(Lang::En);
        let args: Vec<(&str, String)> = h
            .hash()
            .iter()
            .map(|(k, v)| {
                let value = match v.value() {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (*k, value)
            })
            .collect();
        let text = text(lang, key, &args).ok_or_else(|| {
            RenderErrorReason::Other(format!("no text for {key:?} in {}", lang.as_str()))
        })?;
        // Arguments (a name, say) are people's input: escape as the registry does.
        out.write(&(registry.get_escape_fn())(&text))?;
        Ok(())
    }
}

// ---- dates and times as a family reads them ------------------------------------------------

const WELSH_MONTHS: [&str; 12] = [
    "Ionawr",
    "Chwefror",
    "Mawrth",
    "Ebrill",
    "Mai",
    "Mehefin",
    "Gorffennaf",
    "Awst",
    "Medi",
    "Hydref",
    "Tachwedd",
    "Rhagfyr",
];

/// A date as a family reads it, in their language: "24 November 2026".
pub fn family_date(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::En => d.format("%-d %B %Y").to_string(),
        Lang::Cy => format!(
            "{} {} {}",
            d.day(),
            WELSH_MONTHS[d.month0() as usize],
            d.year()
        ),
    }
}

const WELSH_DAYS: [&str; 7] = [
    "Dydd Llun",
    "Dydd Mawrth",
    "Dydd Mercher",
    "Dydd Iau",
    "Dydd Gwener",
    "Dydd Sadwrn",
    "Dydd Sul",
];

/// A stored UTC time as a family reads it, with the day of the week: London time,
/// "Tuesday 24 November 2026, 10:00".
pub fn family_time(lang: Lang, utc: NaiveDateTime) -> String {
    let local = London.from_utc_datetime(&utc).naive_local();
    let day = match lang {
        Lang::En => local.format("%A").to_string(),
        Lang::Cy => WELSH_DAYS[local.weekday().num_days_from_monday() as usize].to_owned(),
    };
    format!(
        "{day} {}, {:02}:{:02}",
        family_date(lang, local.date()),
        local.hour(),
        local.minute()
    )
}

fn lang_from_ctx(ctx: &handlebars::Context) -> Lang {
    ctx.data()
        .get("lang")
        .and_then(|l| l.as_str())
        .and_then(Lang::parse)
        .unwrap_or(Lang::En)
}

/// `{{when t}}`: a UTC timestamp in the page's language and London time.
pub struct WhenHelper;

impl handlebars::HelperDef for WhenHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &handlebars::Helper<'rc>,
        _: &'reg handlebars::Handlebars<'reg>,
        ctx: &'rc handlebars::Context,
        _: &mut handlebars::RenderContext<'reg, 'rc>,
        out: &mut dyn handlebars::Output,
    ) -> handlebars::HelperResult {
        let raw = h.param(0).and_then(|p| p.value().as_str()).unwrap_or("");
        let lang = lang_from_ctx(ctx);
        let text = if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
            family_time(lang, t.naive_utc())
        } else if let Ok(d) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            family_date(lang, d)
        } else {
            raw.to_owned()
        };
        out.write(&handlebars::html_escape(&text))?;
        Ok(())
    }
}
