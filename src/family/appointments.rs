//! A relative's answer to an appointment: "this suits me" or "please change it", with a note.
//! Each answer is kept (the database refuses to change one) with the time it answered about,
//! so a moved appointment asks again; the officer the appointment is with is told, and the
//! case page shows the answer.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Actor};
pub use crate::casework::answers::{AnswerKind, AnswerView};
use crate::casework::types::FollowUpStatus;
use crate::db::schema::{appointment_answers, cases, follow_ups};
use crate::db::{self, DbConn};
use crate::domain::{FollowUpId, LimitedText, new_row_id};
use crate::error::AppError;
use crate::family::portal::{not_shared, shared_appointments};
use crate::family::session::FamilyUser;
use crate::notify::Kind;
use crate::notify::outbox::{self, Notice, Recipient};

type Found = (FollowUpStatus, NaiveDateTime, crate::domain::UserId);

/// One of the relative's appointments, as it stands.
fn shared(conn: &mut DbConn, user: &FamilyUser, id: &FollowUpId) -> QueryResult<Option<Found>> {
    shared_appointments(user)
        .filter(follow_ups::id.eq(id))
        .select((
            follow_ups::status,
            follow_ups::due_at,
            follow_ups::assignee_id,
        ))
        .first(conn)
        .optional()
}

/// Records a relative's answer to one of their group's upcoming appointments and tells the
/// officer it is with (once for each answer a relative gives about a time, however often
/// they send it). Another group's or case's appointment is not found (and the attempt
/// audited); a cancelled, done or past one is a conflict; nothing is written in either case.
pub fn answer(
    conn: &mut DbConn,
    user: &FamilyUser,
    id: &FollowUpId,
    answer: AnswerKind,
    note: Option<&LimitedText>,
) -> Result<(), AppError> {
    // Refused outside the write, so that the audit of the refusal is kept.
    if shared(conn, user, id)?.is_none() {
        return Err(not_shared(conn, user, id)?);
    }
    db::write(conn, |conn| {
        let (status, due_at, assignee) = shared(conn, user, id)?.ok_or(AppError::NotFound)?;
        match status {
            FollowUpStatus::Open => {}
            FollowUpStatus::Done | FollowUpStatus::Cancelled => {
                return Err(AppError::conflict(
                    "appointment_closed",
                    "This appointment has been cancelled or has already taken place, so it cannot be answered. Send a message if you want to talk about it.",
                ));
            }
        }
        let now = db::now();
        if due_at <= now {
            return Err(AppError::conflict(
                "appointment_past",
                "This appointment's time has passed, so it cannot be answered. Send a message if you want to talk about it.",
            ));
        }
        let reference: String = cases::table
            .find(&user.case_id)
            .select(cases::reference)
            .first(conn)?;
        let answer_id = new_row_id();
        diesel::insert_into(appointment_answers::table)
            .values((
                appointment_answers::id.eq(&answer_id),
                appointment_answers::follow_up_id.eq(id),
                appointment_answers::case_id.eq(&user.case_id),
                appointment_answers::relative_id.eq(&user.relative_id),
                appointment_answers::answer.eq(answer),
                appointment_answers::note.eq(note.map(LimitedText::as_str)),
                appointment_answers::due_at.eq(due_at),
                appointment_answers::answered_at.eq(now),
            ))
            .execute(conn)?;
        outbox::enqueue(
            conn,
            &Notice {
                kind: Kind::AppointmentAnswered,
                recipient: Recipient::Staff(assignee),
                case_id: Some(user.case_id.clone()),
                cause: format!(
                    "appointment-answer:{id}:{due_at}:{}:{}",
                    user.relative_id,
                    answer.as_str()
                ),
                payload: serde_json::json!({
                    "reference": reference,
                    "relative": user.full_name,
                    "answer_label": answer.label(),
                    "due": crate::casework::time::london_display(due_at),
                    "path": format!("/staff/cases/{}#follow-up-{id}", user.case_id),
                }),
            },
        )?;
        audit::event(
            &Actor::Relative(user.relative_id.clone()),
            "appointment.answer",
        )
        .record("follow_up", id)
        .case(&user.case_id)
        .detail(answer.as_str())
        .write(conn)?;
        Ok(())
    })
}
