//! Relatives' answers to appointments, as staff and families read them: the latest answer
//! about each appointment's current time (an answer about an earlier time no longer counts).
//! Answering is the family's use case (`family::appointments::answer`).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConn;
use crate::db::schema::{appointment_answers, follow_ups, relatives};
use crate::domain::{FollowUpId, RelativeId};
use crate::i18n::Lang;

crate::text_enum!(
    /// What a relative said about an appointment.
    AnswerKind {
        Suits => "suits" / "This suits us",
        Change => "change" / "Please change it",
    }
);

impl AnswerKind {
    /// The words a relative reads for their answer.
    fn family_words(self, lang: Lang) -> String {
        let key = format!("appointments-answer-{}", self.as_str());
        crate::i18n::text(lang, &key, &[]).unwrap_or(key)
    }
}

/// The latest answer about an appointment's current time.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnswerView {
    pub answer: AnswerKind,
    /// In the reader's words ("This suits me" for a relative; the label for staff).
    pub answer_label: String,
    pub note: Option<String>,
    /// The relative who answered.
    pub relative_id: RelativeId,
    pub relative_name: String,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub answered_at: NaiveDateTime,
}

/// The latest answer to each of these appointments about the time it is now at; `lang` is
/// the reader's (`None`: staff).
pub fn latest(
    conn: &mut DbConn,
    ids: &[FollowUpId],
    lang: Option<Lang>,
) -> QueryResult<HashMap<FollowUpId, AnswerView>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    type Row = (
        FollowUpId,
        AnswerKind,
        Option<String>,
        RelativeId,
        String,
        NaiveDateTime,
    );
    let rows: Vec<Row> = appointment_answers::table
        .inner_join(follow_ups::table.on(follow_ups::id.eq(appointment_answers::follow_up_id)))
        .inner_join(relatives::table.on(relatives::id.eq(appointment_answers::relative_id)))
        .filter(appointment_answers::follow_up_id.eq_any(ids))
        .filter(appointment_answers::due_at.eq(follow_ups::due_at))
        .select((
            appointment_answers::follow_up_id,
            appointment_answers::answer,
            appointment_answers::note,
            appointment_answers::relative_id,
            relatives::full_name,
            appointment_answers::answered_at,
        ))
        .order((
            appointment_answers::answered_at.asc(),
            appointment_answers::id.asc(),
        ))
        .load(conn)?;
    // Later answers replace earlier ones.
    Ok(rows
        .into_iter()
        .map(
            |(id, answer, note, relative_id, relative_name, answered_at)| {
                let answer_label = match lang {
                    Some(lang) => answer.family_words(lang),
                    None => answer.label().to_owned(),
                };
                let view = AnswerView {
                    answer,
                    answer_label,
                    note,
                    relative_id,
                    relative_name,
                    answered_at,
                };
                (id, view)
            },
        )
        .collect())
}
