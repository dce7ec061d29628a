//! Turning a notification into an e-mail: subject, plain text and HTML in one multipart
//! message. Staff e-mails come from `templates/email/<kind>/`; every family e-mail comes from
//! `templates/email/family/` with its words from the family's language catalogue (`Letter`),
//! and never carries case detail: it says who has shared how many new things, names the
//! force unless the relative asked for discreet messages, and links to the portal.

use handlebars::Handlebars;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use rust_embed::RustEmbed;
use serde::Serialize;
use serde_json::{Value, json};

use crate::casework::types::AssignmentRole;
use crate::domain::NotificationId;
use crate::i18n::{self, Lang, TranslateHelper};
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

/// Who a family message is from, in the words the relative reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// One person acted, whom the relative's family group knows as a named contact: named
    /// with that role.
    Person { name: String, role: AssignmentRole },
    /// Several people, or nobody in particular.
    Team,
}

/// Everything a family e-mail says, before it is put into words.
pub struct Letter<'a> {
    /// The kind of the notice that carries the message (the first of a burst).
    pub kind: Kind,
    pub lang: Lang,
    pub name: &'a str,
    /// Where the button goes (the portal, or a sign-in link).
    pub link: &'a str,
    /// The portal's address, stated in every message so the relative can come back.
    pub portal: &'a str,
    /// The force's name; `None` for discreet messages.
    pub force: Option<&'a str>,
    pub sender: Sender,
    /// How many new things the message is about (a burst joined into one).
    pub count: usize,
    /// The minutes or hours a link works, for sign-in links and invitations.
    pub payload: &'a Value,
}

fn say(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    i18n::text(lang, key, args).unwrap_or_else(|| key.to_owned())
}

/// The one-line summary of a family notice, in the portal inbox and as a single e-mail's
/// subject: never any case detail.
pub fn family_summary(kind: Kind, lang: Lang) -> String {
    say(
        lang,
        &format!("email-family-{}-subject", kind_key(kind)),
        &[],
    )
}

fn kind_key(kind: Kind) -> String {
    kind.as_str()
        .trim_start_matches("family_")
        .replace('_', "-")
}

impl Letter<'_> {
    /// Who it is from, in words: never a name in a discreet message.
    fn sender_words(&self) -> String {
        match (&self.sender, self.force) {
            (Sender::Person { name, role }, Some(_)) => say(
                self.lang,
                &format!("email-from-{}", role.as_str()),
                &[("name", name.clone())],
            ),
            _ => say(self.lang, "email-from-team", &[]),
        }
    }

    /// The template context: the subject and the paragraphs, already in the relative's words.
    pub fn context(&self) -> Value {
        let lang = self.lang;
        let count = self.count.max(1).to_string();
        let is_link = crate::family::links::Purpose::of_kind(self.kind).is_some();
        let summary = family_summary(self.kind, lang);
        let subject = match (self.force, self.count > 1 && !is_link) {
            (Some(force), false) => say(
                lang,
                "email-subject",
                &[("force", force.to_owned()), ("summary", summary)],
            ),
            (Some(force), true) => say(
                lang,
                "email-subject-several",
                &[("force", force.to_owned()), ("count", count.clone())],
            ),
            (None, false) if is_link => summary,
            (None, false) => say(lang, "email-subject-discreet", &[]),
            (None, true) => say(
                lang,
                "email-subject-several-discreet",
                &[("count", count.clone())],
            ),
        };
        let what = if is_link {
            let minutes = self
                .payload
                .get("minutes")
                .and_then(Value::as_i64)
                .unwrap_or(15);
            let hours = self
                .payload
                .get("hours")
                .and_then(Value::as_i64)
                .unwrap_or(72);
            say(
                lang,
                &format!("email-family-{}-body", kind_key(self.kind)),
                &[
                    ("minutes", minutes.to_string()),
                    ("hours", hours.to_string()),
                    ("from", self.sender_words()),
                ],
            )
        } else {
            let key = match (self.force.is_some(), self.count > 1) {
                (true, true) => "email-several-by".to_owned(),
                (true, false) => format!("email-{}-by", kind_key(self.kind)),
                (false, true) => "email-discreet-several".to_owned(),
                (false, false) => "email-discreet-one".to_owned(),
            };
            say(
                lang,
                &key,
                &[("from", self.sender_words()), ("count", count)],
            )
        };
        let button = if is_link {
            say(lang, "email-use-link", &[])
        } else {
            say(lang, "email-open-portal", &[])
        };
        let mut paragraphs = vec![
            say(lang, "email-greeting", &[("name", self.name.to_owned())]),
            what,
            format!("{button}: {}", self.link),
            say(
                lang,
                "email-portal-address",
                &[("portal", self.portal.to_owned())],
            ),
        ];
        match self.force {
            Some(force) => {
                paragraphs.push(say(lang, "email-signature", &[("force", force.to_owned())]));
                paragraphs.push(say(lang, "email-footer", &[]));
            }
            None => paragraphs.push(say(lang, "email-footer-discreet", &[])),
        }
        json!({ "lang": lang.as_str(), "subject": subject, "paragraphs": paragraphs })
    }
}

/// The page a staff notice is about: the path its payload names, or else its case's page;
/// `None` when it names neither.
pub fn staff_path(payload: &Value, case: Option<&crate::domain::CaseId>) -> Option<String> {
    match (payload.get("path").and_then(Value::as_str), case) {
        (Some(path), _) if path.starts_with("/staff/") => Some(path.to_owned()),
        (_, Some(case)) => Some(format!("/staff/cases/{case}")),
        _ => None,
    }
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

    fn letter<'a>(
        kind: Kind,
        lang: Lang,
        name: &'a str,
        force: Option<&'a str>,
        sender: Sender,
        count: usize,
    ) -> Letter<'a> {
        static NO_PAYLOAD: Value = Value::Null;
        Letter {
            kind,
            lang,
            name,
            link: "https://liaison.example/family",
            portal: "https://liaison.example/family",
            force,
            sender,
            count,
            payload: &NO_PAYLOAD,
        }
    }

    #[test]
    fn family_emails_exist_in_english_and_welsh_and_escape_html() {
        let t = EmailTemplates::load().unwrap();
        let priya = Sender::Person {
            name: "Priya Marsh".into(),
            role: AssignmentRole::Flo,
        };
        for lang in [Lang::En, Lang::Cy] {
            let ctx = letter(
                Kind::FamilyNews,
                lang,
                "<b>Ann</b>",
                Some("Northshire Police"),
                priya.clone(),
                1,
            )
            .context();
            let r = t.render(Kind::FamilyNews, &ctx).unwrap();
            assert!(r.text.contains("<b>Ann</b>"), "plain text is not escaped");
            assert!(
                r.html.contains("&lt;b&gt;Ann&lt;/b&gt;"),
                "HTML is escaped: {}",
                r.html
            );
            assert!(r.html.contains("href=\"https://liaison.example/family\""));
            assert!(r.subject.contains("Northshire Police"), "{}", r.subject);
            assert!(r.text.contains("Priya Marsh"), "{}", r.text);
            assert!(
                r.text.contains("https://liaison.example/family."),
                "the address: {}",
                r.text
            );
        }
        let en = letter(
            Kind::FamilyNews,
            Lang::En,
            "A",
            Some("Northshire Police"),
            priya.clone(),
            1,
        )
        .context();
        let cy = letter(
            Kind::FamilyNews,
            Lang::Cy,
            "A",
            Some("Northshire Police"),
            priya.clone(),
            1,
        )
        .context();
        assert_ne!(en["subject"], cy["subject"]);
        let en = t.render(Kind::FamilyNews, &en).unwrap();
        assert!(
            en.text.contains(
                "Your family liaison officer, Priya Marsh, has shared something new with you."
            ),
            "{}",
            en.text
        );
    }

    #[test]
    fn a_burst_says_how_many_and_a_discreet_message_names_nobody() {
        let t = EmailTemplates::load().unwrap();
        let several = letter(
            Kind::FamilyAppointment,
            Lang::En,
            "Ann",
            Some("Northshire Police"),
            Sender::Team,
            3,
        );
        let r = t.render(several.kind, &several.context()).unwrap();
        assert_eq!(
            r.subject,
            "Northshire Police family liaison: 3 new things for you"
        );
        assert!(
            r.text
                .contains("Your family liaison team has shared 3 new things with you."),
            "{}",
            r.text
        );
        let person = Sender::Person {
            name: "Priya Marsh".into(),
            role: AssignmentRole::Flo,
        };
        for count in [1, 4] {
            let discreet = letter(
                Kind::FamilyNews,
                Lang::En,
                "Ann",
                None,
                person.clone(),
                count,
            );
            let r = t.render(discreet.kind, &discreet.context()).unwrap();
            for said in [&r.subject, &r.text, &r.html] {
                assert!(!said.contains("Priya"), "{said}");
                assert!(!said.contains("Northshire"), "{said}");
                assert!(!said.contains("liaison officer"), "{said}");
            }
        }
    }

    #[test]
    fn every_staff_kind_renders_with_its_payload_and_fails_without_it() {
        let t = EmailTemplates::load().unwrap();
        let payload = json!({
            "reference": "FL-2026-00007", "role_label": "FLO", "due": "24 Nov 2026, 10:00",
            "category_label": "Question", "officer": "Sam", "received": "x", "since": "y",
            "interval": "2 days", "opened": "z", "relative": "Ivy", "answer_label": "Please change it"
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
