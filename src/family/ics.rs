//! A calendar file (RFC 5545) for one appointment, so a relative can add it to their phone's
//! calendar. Times are written in UTC, which every calendar converts to local time.

use chrono::{Duration, NaiveDateTime};

use crate::family::portal::Appointment;

/// Escapes text for an iCalendar value.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets, as the format requires.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The calendar file; `summary` is the title in the relative's language.
pub fn calendar(
    appointment: &Appointment,
    summary: &str,
    host: &str,
    now: NaiveDateTime,
) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Liaison//Family portal//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}@{}", appointment.id, escape(host)),
        format!("DTSTAMP:{}", stamp(now)),
        format!("DTSTART:{}", stamp(appointment.at)),
        format!("DTEND:{}", stamp(appointment.at + Duration::hours(1))),
        format!("SUMMARY:{}", escape(summary)),
        format!(
            "DESCRIPTION:{}",
            escape(appointment.note.as_deref().unwrap_or(&appointment.title))
        ),
    ];
    if let Some(place) = &appointment.place {
        lines.push(format!("LOCATION:{}", escape(place)));
    }
    lines.extend(["END:VEVENT".to_owned(), "END:VCALENDAR".to_owned()]);
    lines.iter().map(|l| fold(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FollowUpId;

    #[test]
    fn a_calendar_file_escapes_and_folds() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(10, 30, 0)
            .unwrap();
        let a = Appointment {
            id: FollowUpId::new(),
            title: "Meet at the station".into(),
            note: Some("Meet at the station; bring the letter, please\nThanks".repeat(3)),
            at,
            place: Some("Riverside Police Station, Room 2".into()),
            answer: None,
        };
        let ics = calendar(&a, "Appointment", "liaison.example", at);
        assert!(ics.contains("DTSTART:20261201T103000Z\r\n"));
        assert!(ics.contains("LOCATION:Riverside Police Station\\, Room 2\r\n"));
        assert!(ics.contains("\\; bring the letter\\, please\\nThanks"));
        assert!(ics.lines().all(|l| l.trim_end_matches('\r').len() <= 75));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }
}
