//! Turning a notification into an e-mail: subject, plain text and HTML in one multipart
//! message. Staff e-mails come from `templates/email/<kind>/`; every family e-mail comes from
//! `templates/email/family/` with its words from the family's language catalogue, and never
//! carries case detail: it says there is news and links to the portal.

use handlebars::Handlebars;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use rust_embed::RustEmbed;
use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::NotificationId;
use crate::i18n::{Lang, TranslateHelper};
use crate::notify::Kind;

#[derive(RustEmbed)]
#[folder = "templates/email/"]
#[prefix = "email/"]
struct EmailFiles;

/// The e-mail template registries: plain text (no escaping) and HTML (escaping).
pub struct EmailTemplates {
    text: Handlebars<'static>,
    html: Handlebars<'static>,
}

impl EmailTemplates {
    pub fn load() -> anyhow::Result<EmailTemplates> {
        let mut text = Handlebars::new();
        text.set_strict_mode(true);
        text.register_escape_fn(handlebars::no_escape);
        text.register_embed_templates_with_extension::<EmailFiles>(".hbs")
            .map_err(|e| anyhow::anyhow!("loading e-mail templates: {e}"))?;
        text.register_helper("t", Box::new(TranslateHelper));
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        html.register_embed_templates_with_extension::<EmailFiles>(".hbs")
            .map_err(|e| anyhow::anyhow!("loading e-mail templates: {e}"))?;
        Ok(EmailTemplates { text, html })
    }

    /// The subject line alone (also the one-line summary in the portal inbox).
    pub fn subject(&self, kind: Kind, ctx: &Value) -> anyhow::Result<String> {
        let name = if kind.is_for_family() {
            "email/family/subject".to_owned()
        } else {
            format!("email/{}/subject", kind.as_str())
        };
        Ok(one_line(&self.text.render(&name, ctx)?))
    }

    pub fn render(&self, kind: Kind, ctx: &Value) -> anyhow::Result<Rendered> {
        let folder = if kind.is_for_family() {
            "family"
        } else {
            kind.as_str()
        };
        let subject = self.subject(kind, ctx)?;
        let text = self.text.render(&format!("email/{folder}/body.txt"), ctx)?;
        let text = text.trim().to_owned() + "\n";
        #[derive(Serialize)]
        struct Paragraph<'a> {
            text: &'a str,
            link: Option<&'a str>,
        }
        let paragraphs: Vec<Paragraph> = text
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.rsplit_once(": ") {
                Some((label, url))
                    if url.starts_with("http") && !url.contains(char::is_whitespace) =>
                {
                    Paragraph {
                        text: label,
                        link: Some(url),
                    }
                }
                _ => Paragraph {
                    text: p,
                    link: None,
                },
            })
            .collect();
        let lang = ctx.get("lang").and_then(Value::as_str).unwrap_or("en");
        let html = self.html.render(
            "email/layout.html",
            &json!({ "lang": lang, "subject": subject, "paragraphs": paragraphs }),
        )?;
        Ok(Rendered {
            subject,
            text,
            html,
        })
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The template context for a family notice: only a name, the language and a link. The
/// payload is deliberately not passed through.
pub fn family_context(kind: Kind, lang: Lang, name: &str, link: &str, payload: &Value) -> Value {
    let key = kind
        .as_str()
        .trim_start_matches("family_")
        .replace('_', "-");
    json!({
        "lang": lang.as_str(),
        "name": name,
        "link": link,
        "subject_key": format!("email-family-{key}-subject"),
        "body_key": format!("email-family-{key}-body"),
        "minutes": payload.get("minutes").cloned().unwrap_or(json!(15)),
        "hours": payload.get("hours").cloned().unwrap_or(json!(72)),
    })
}

/// The template context for a staff notice: the payload's fields, the name and the link.
pub fn staff_context(name: &str, link: &str, payload: &Value) -> Value {
    let mut ctx = match payload {
        Value::Object(map) => Value::Object(map.clone()),
        _ => json!({}),
    };
    ctx["lang"] = json!("en");
    ctx["name"] = json!(name);
    ctx["link"] = json!(link);
    ctx
}

/// The Message-ID of a notification's e-mail: the same on every attempt, so a duplicate
/// delivery is recognisable as one.
pub fn message_id(id: &NotificationId, domain: &str) -> String {
    format!("<{}@{}>", id.as_str().to_ascii_lowercase(), domain)
}

pub fn build_message(
    from: &Mailbox,
    to: Mailbox,
    id: &NotificationId,
    domain: &str,
    rendered: &Rendered,
) -> Result<Message, lettre::error::Error> {
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(rendered.subject.clone())
        .message_id(Some(message_id(id, domain)))
        .multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            rendered.html.clone(),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_emails_exist_in_english_and_welsh_and_escape_html() {
        let t = EmailTemplates::load().unwrap();
        for lang in [Lang::En, Lang::Cy] {
            let ctx = family_context(
                Kind::FamilyNews,
                lang,
                "<b>Ann</b>",
                "https://liaison.example/family",
                &json!({}),
            );
            let r = t.render(Kind::FamilyNews, &ctx).unwrap();
            assert!(r.text.contains("<b>Ann</b>"), "plain text is not escaped");
            assert!(
                r.html.contains("&lt;b&gt;Ann&lt;/b&gt;"),
                "HTML is escaped: {}",
                r.html
            );
            assert!(r.html.contains("href=\"https://liaison.example/family\""));
        }
        let en = t
            .subject(
                Kind::FamilyNews,
                &family_context(Kind::FamilyNews, Lang::En, "A", "x", &json!({})),
            )
            .unwrap();
        let cy = t
            .subject(
                Kind::FamilyNews,
                &family_context(Kind::FamilyNews, Lang::Cy, "A", "x", &json!({})),
            )
            .unwrap();
        assert_ne!(en, cy);
    }

    #[test]
    fn every_staff_kind_renders_with_its_payload_and_fails_without_it() {
        let t = EmailTemplates::load().unwrap();
        let payload = json!({
            "reference": "FL-2026-00007", "role_label": "FLO", "due": "24 Nov 2026, 10:00",
            "category_label": "Question", "officer": "Sam", "received": "x", "since": "y",
            "interval": "2 days", "opened": "z"
        });
        for kind in Kind::ALL.iter().filter(|k| !k.is_for_family()) {
            let r = t
                .render(
                    *kind,
                    &staff_context("Priya", "https://l.example/staff", &payload),
                )
                .unwrap();
            assert!(r.subject.contains("FL-2026-00007"), "{kind}: {}", r.subject);
            assert!(r.text.starts_with("Dear Priya,"));
            assert!(
                t.render(*kind, &staff_context("Priya", "x", &json!({})))
                    .is_err(),
                "{kind} needs its payload"
            );
        }
    }
}
