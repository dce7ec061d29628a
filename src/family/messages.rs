//! Messages between a family and its case team, one thread per family group: a relative reads
//! their own group's thread and never another's, nor what a restricted relative wrote (staff
//! read every group's, each message marked with its group). A relative writes with
//! a category; a named officer acknowledges and answers, and both times are recorded and
//! shown to the family. A concern about the investigation also goes to the SIO, stays on the
//! managers' list until it is closed, and can only be closed with a recorded response.

use crate::casework::record::in_force;
use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::groups;
use crate::casework::notices::{News, notify_groups};
use crate::casework::types::AssignmentRole;
use crate::db::schema::{assignments, cases, message_reads, messages, relatives, users};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, FamilyGroupId, LimitedText, MessageId, RelativeId, UserId};
use crate::error::AppError;
use crate::family::FamilyUser;
use crate::i18n::Lang;
use crate::notify::Kind;
use crate::notify::outbox::{self, Notice, Recipient};

/// The longest message, in characters.
pub const BODY_MAX: usize = 5000;

crate::text_enum!(
    /// What a family message is about.
    Category {
        Question => "question" / "Question",
        InvestigationConcern => "investigation_concern" / "Concern about the investigation",
        PracticalMatter => "practical_matter" / "Practical matter",
        Other => "other" / "Other",
    }
);

/// One message as pages and the API show it. Every field is family-facing: messages are
/// written to or by the family.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub id: MessageId,
    /// The relative who wrote it, or `None` for the case team.
    pub from_relative: Option<String>,
    /// The officer who wrote it, or `None` for a relative.
    pub from_staff: Option<String>,
    pub category: Option<Category>,
    pub category_label: Option<String>,
    pub body: String,
    pub in_reply_to: Option<MessageId>,
    /// The family group whose thread it is in.
    pub family_group_id: Option<FamilyGroupId>,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub sent_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub acknowledged_at: Option<NaiveDateTime>,
    pub acknowledged_by: Option<String>,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub answered_at: Option<NaiveDateTime>,
    pub answered_by: Option<String>,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub closed_at: Option<NaiveDateTime>,
    pub closed_by: Option<String>,
    pub closing_response: Option<String>,
    pub is_concern: bool,
    /// A family message nobody has answered yet.
    pub waiting: bool,
    /// For relatives: a message from the team they have not opened yet.
    pub new: bool,
}

/// A family message with the team's replies to it (or a message the team started).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ThreadItem {
    pub message: MessageView,
    pub replies: Vec<MessageView>,
}

/// A family message waiting for the case team, for the staff inbox.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Waiting {
    pub message_id: MessageId,
    pub case_id: CaseId,
    pub case_reference: String,
    pub from_relative: String,
    pub category: Category,
    pub category_label: &'static str,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub sent_at: NaiveDateTime,
    /// Minutes since it was sent.
    pub waiting_minutes: i64,
    pub waiting_for: String,
    pub acknowledged: bool,
    pub answered: bool,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = messages)]
struct Row {
    id: MessageId,
    #[allow(dead_code)]
    case_id: CaseId,
    from_relative_id: Option<RelativeId>,
    from_user_id: Option<UserId>,
    category: Option<String>,
    body: String,
    in_reply_to: Option<MessageId>,
    sent_at: NaiveDateTime,
    acknowledged_at: Option<NaiveDateTime>,
    acknowledged_by: Option<UserId>,
    answered_at: Option<NaiveDateTime>,
    answered_by: Option<UserId>,
    closed_at: Option<NaiveDateTime>,
    closed_by: Option<UserId>,
    closing_response: Option<String>,
    family_group_id: Option<FamilyGroupId>,
}

fn category_label(category: Category, lang: Option<Lang>) -> String {
    match lang {
        Some(lang) => crate::family::portal::tr(lang, &format!("category-{}", category.as_str())),
        None => category.label().to_owned(),
    }
}

/// The relatives of a case who are restricted now: what they wrote is kept from the family.
fn restricted_of(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<RelativeId>> {
    relatives::table
        .filter(relatives::case_id.eq(case_id))
        .filter(relatives::restricted_at.is_not_null())
        .select(relatives::id)
        .load(conn)
}

/// The case's messages, newest thread first: every group's for staff (`reader` `None`); for a
/// relative, their group's, in their language, with the team's messages they have not opened
/// marked new, and nothing a restricted relative wrote.
pub fn thread(
    conn: &mut DbConn,
    case_id: &CaseId,
    reader: Option<&FamilyUser>,
) -> QueryResult<Vec<ThreadItem>> {
    let mut query = messages::table
        .filter(messages::case_id.eq(case_id))
        .select(Row::as_select())
        .order((messages::sent_at.asc(), messages::id.asc()))
        .into_boxed();
    if let Some(user) = reader {
        query = query.filter(messages::family_group_id.eq(&user.family_group_id));
    }
    let mut rows: Vec<Row> = query.load(conn)?;
    if reader.is_some() {
        // What a restricted relative wrote, and the team's answers to it, are kept from the
        // rest of the family.
        let restricted = restricted_of(conn, case_id)?;
        let hidden: Vec<MessageId> = rows
            .iter()
            .filter(|r| {
                r.from_relative_id
                    .as_ref()
                    .is_some_and(|f| restricted.contains(f))
            })
            .map(|r| r.id.clone())
            .collect();
        rows.retain(|r| {
            !hidden.contains(&r.id) && r.in_reply_to.as_ref().is_none_or(|p| !hidden.contains(p))
        });
    }
    let staff: HashMap<UserId, String> = users::table
        .select((users::id, users::display_name))
        .filter(
            users::id.eq_any(
                rows.iter()
                    .flat_map(|r| {
                        [
                            &r.from_user_id,
                            &r.acknowledged_by,
                            &r.answered_by,
                            &r.closed_by,
                        ]
                    })
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>(),
            ),
        )
        .load::<(UserId, String)>(conn)?
        .into_iter()
        .collect();
    let family: HashMap<RelativeId, String> = relatives::table
        .filter(relatives::case_id.eq(case_id))
        .select((relatives::id, relatives::full_name))
        .load::<(RelativeId, String)>(conn)?
        .into_iter()
        .collect();
    let read: Vec<MessageId> = match reader {
        Some(user) => message_reads::table
            .filter(message_reads::relative_id.eq(&user.relative_id))
            .select(message_reads::message_id)
            .load(conn)?,
        None => Vec::new(),
    };
    let lang = reader.map(|u| u.lang);
    let name = |id: &Option<UserId>| id.as_ref().and_then(|i| staff.get(i).cloned());
    let views: Vec<MessageView> = rows
        .iter()
        .map(|r| {
            let category = r.category.as_deref().and_then(Category::parse);
            MessageView {
                id: r.id.clone(),
                from_relative: r
                    .from_relative_id
                    .as_ref()
                    .and_then(|i| family.get(i).cloned()),
                from_staff: name(&r.from_user_id),
                category,
                category_label: category.map(|c| category_label(c, lang)),
                body: r.body.clone(),
                in_reply_to: r.in_reply_to.clone(),
                family_group_id: r.family_group_id.clone(),
                sent_at: r.sent_at,
                acknowledged_at: r.acknowledged_at,
                acknowledged_by: name(&r.acknowledged_by),
                answered_at: r.answered_at,
                answered_by: name(&r.answered_by),
                closed_at: r.closed_at,
                closed_by: name(&r.closed_by),
                closing_response: r.closing_response.clone(),
                is_concern: category == Some(Category::InvestigationConcern),
                waiting: r.from_relative_id.is_some()
                    && r.answered_at.is_none()
                    && r.closed_at.is_none(),
                new: reader.is_some() && r.from_user_id.is_some() && !read.contains(&r.id),
            }
        })
        .collect();
    let mut items: Vec<ThreadItem> = Vec::new();
    for view in views {
        let parent = view
            .in_reply_to
            .as_ref()
            .and_then(|p| items.iter_mut().find(|i| &i.message.id == p));
        match parent {
            Some(parent) => parent.replies.push(view),
            None => items.push(ThreadItem {
                message: view,
                replies: Vec::new(),
            }),
        }
    }
    items.reverse();
    Ok(items)
}

/// The team's messages in a relative's group thread that they have not opened yet.
pub fn unread_for(conn: &mut DbConn, user: &FamilyUser) -> QueryResult<i64> {
    let from_team: i64 = messages::table
        .filter(messages::case_id.eq(&user.case_id))
        .filter(messages::family_group_id.eq(&user.family_group_id))
        .filter(messages::from_user_id.is_not_null())
        .count()
        .get_result(conn)?;
    let read: i64 = message_reads::table
        .inner_join(messages::table.on(messages::id.eq(message_reads::message_id)))
        .filter(messages::case_id.eq(&user.case_id))
        .filter(messages::family_group_id.eq(&user.family_group_id))
        .filter(message_reads::relative_id.eq(&user.relative_id))
        .count()
        .get_result(conn)?;
    Ok((from_team - read).max(0))
}

/// Records that a relative has seen the team's messages shown to them.
pub fn mark_read(
    conn: &mut DbConn,
    relative: &RelativeId,
    items: &[ThreadItem],
) -> QueryResult<()> {
    let now = db::now();
    for view in items
        .iter()
        .flat_map(|i| std::iter::once(&i.message).chain(i.replies.iter()))
        .filter(|v| v.new)
    {
        diesel::insert_into(message_reads::table)
            .values((
                message_reads::message_id.eq(&view.id),
                message_reads::relative_id.eq(relative),
                message_reads::first_read_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Staff on the case who hear of a family message: its current FLOs, deputies and
/// coordinators, and for a concern about the investigation its SIO too.
fn team_to_tell(conn: &mut DbConn, case_id: &CaseId, concern: bool) -> QueryResult<Vec<UserId>> {
    let now = db::now();
    let mut roles = vec![
        AssignmentRole::Flo,
        AssignmentRole::DeputyFlo,
        AssignmentRole::Coordinator,
    ];
    if concern {
        roles.push(AssignmentRole::Sio);
    }
    let mut ids: Vec<UserId> = assignments::table
        .filter(assignments::case_id.eq(case_id))
        .filter(assignments::role.eq_any(roles))
        .filter(in_force(now))
        .select(assignments::user_id)
        .load(conn)?;
    ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    ids.dedup();
    Ok(ids)
}

/// A relative writes to their case team.
pub fn send_from_family(
    conn: &mut DbConn,
    user: &FamilyUser,
    category: Category,
    body: &LimitedText,
) -> Result<MessageId, AppError> {
    db::write(conn, |conn| {
        let id = MessageId::new();
        diesel::insert_into(messages::table)
            .values((
                messages::id.eq(&id),
                messages::case_id.eq(&user.case_id),
                messages::from_relative_id.eq(Some(&user.relative_id)),
                messages::family_group_id.eq(&user.family_group_id),
                messages::category.eq(Some(category.as_str())),
                messages::body.eq(body.as_str()),
                messages::sent_at.eq(db::now()),
            ))
            .execute(conn)?;
        let concern = category == Category::InvestigationConcern;
        let reference: String = cases::table
            .find(&user.case_id)
            .select(cases::reference)
            .first(conn)?;
        for staff in team_to_tell(conn, &user.case_id, concern)? {
            outbox::enqueue(
                conn,
                &Notice {
                    kind: Kind::FamilyMessage,
                    recipient: Recipient::Staff(staff),
                    case_id: Some(user.case_id.clone()),
                    cause: format!("message:{id}"),
                    payload: serde_json::json!({
                        "reference": reference,
                        "category_label": category.label(),
                        "path": format!("/staff/cases/{}/messages#message-{id}", user.case_id),
                    }),
                },
            )?;
        }
        audit::event(&Actor::Relative(user.relative_id.clone()), "message.send")
            .record("message", &id)
            .case(&user.case_id)
            .detail(category.as_str())
            .write(conn)?;
        Ok(id)
    })
}

fn find_family_message(
    conn: &mut DbConn,
    case_id: &CaseId,
    id: &MessageId,
) -> Result<Row, AppError> {
    let row: Option<Row> = messages::table
        .filter(messages::id.eq(id))
        .filter(messages::case_id.eq(case_id))
        .filter(messages::from_relative_id.is_not_null())
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    row.ok_or(AppError::NotFound)
}

/// A staff member writes to one family group: the group of the message it answers
/// (`in_reply_to`), else `group`, else the case's only group. The first answer to a family
/// message records who answered and when (and acknowledges it, if nobody had).
pub fn send_from_staff(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    body: &LimitedText,
    in_reply_to: Option<&MessageId>,
    group: Option<&FamilyGroupId>,
) -> Result<MessageId, AppError> {
    db::write(conn, |conn| {
        access::require_visible(conn, user, case_id)?;
        let parent = match in_reply_to {
            Some(p) => Some(find_family_message(conn, case_id, p)?),
            None => None,
        };
        let group = match &parent {
            Some(parent) => {
                // An answer goes to the group its writer is in now (they may have moved), and
                // never to a restricted relative's group on their behalf.
                let writer = parent.from_relative_id.as_ref().ok_or(AppError::NotFound)?;
                let (theirs, restricted): (Option<FamilyGroupId>, Option<NaiveDateTime>) =
                    relatives::table
                        .find(writer)
                        .select((relatives::family_group_id, relatives::restricted_at))
                        .first(conn)?;
                if restricted.is_some() {
                    return Err(AppError::conflict(
                        "relative_restricted",
                        "The relative who wrote this is restricted: an answer would reach the rest of their group, not them. Ask the case's SIO or a manager.",
                    ));
                }
                let theirs = theirs.ok_or(AppError::NotFound)?;
                if group.is_some_and(|g| g != &theirs) {
                    return Err(AppError::invalid(
                        "family_group_id",
                        "An answer goes to the family group of the relative who wrote the message.",
                    ));
                }
                theirs
            }
            None => groups::target(conn, case_id, group, "family_group_id")?,
        };
        let id = MessageId::new();
        let now = db::now();
        diesel::insert_into(messages::table)
            .values((
                messages::id.eq(&id),
                messages::case_id.eq(case_id),
                messages::from_user_id.eq(Some(&user.id)),
                messages::family_group_id.eq(&group),
                messages::body.eq(body.as_str()),
                messages::in_reply_to.eq(in_reply_to),
                messages::sent_at.eq(now),
            ))
            .execute(conn)?;
        if let Some(parent) = &parent {
            if parent.acknowledged_at.is_none() {
                diesel::update(messages::table.find(&parent.id))
                    .set((
                        messages::acknowledged_at.eq(now),
                        messages::acknowledged_by.eq(&user.id),
                    ))
                    .execute(conn)?;
            }
            if parent.answered_at.is_none() {
                diesel::update(messages::table.find(&parent.id))
                    .set((
                        messages::answered_at.eq(now),
                        messages::answered_by.eq(&user.id),
                        messages::answer_message_id.eq(&id),
                    ))
                    .execute(conn)?;
            }
        }
        let cause = format!("message:{id}");
        let news = News {
            kind: Kind::FamilyNews,
            cause: &cause,
            by: &user.id,
            path: format!("/family/messages#message-{id}"),
        };
        notify_groups(conn, case_id, &[group], &news)?;
        audit::event(&Actor::Staff(user.id.clone()), "message.send")
            .record("message", &id)
            .case(case_id)
            .detail(match &parent {
                Some(p) => format!("answers {}", p.id),
                None => "to the family".to_owned(),
            })
            .write(conn)?;
        Ok(id)
    })
}

/// A named officer acknowledges a family message. Acknowledging twice changes nothing.
pub fn acknowledge(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &MessageId,
) -> Result<(), AppError> {
    db::write(conn, |conn| {
        access::require_visible(conn, user, case_id)?;
        let message = find_family_message(conn, case_id, id)?;
        if message.acknowledged_at.is_some() {
            return Ok(());
        }
        diesel::update(
            messages::table
                .find(id)
                .filter(messages::acknowledged_at.is_null()),
        )
        .set((
            messages::acknowledged_at.eq(db::now()),
            messages::acknowledged_by.eq(&user.id),
        ))
        .execute(conn)?;
        audit::event(&Actor::Staff(user.id.clone()), "message.acknowledge")
            .record("message", id)
            .case(case_id)
            .write(conn)?;
        Ok(())
    })
}

/// Closes a concern about the investigation with the response recorded (and shown to the
/// family). Other messages are answered, not closed.
pub fn close_concern(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    id: &MessageId,
    response: &LimitedText,
) -> Result<(), AppError> {
    db::write(conn, |conn| {
        access::require_visible(conn, user, case_id)?;
        let message = find_family_message(conn, case_id, id)?;
        if message.category.as_deref() != Some(Category::InvestigationConcern.as_str()) {
            return Err(AppError::conflict(
                "not_a_concern",
                "Only a concern about the investigation is closed. Answer this message instead.",
            ));
        }
        if message.closed_at.is_some() {
            return Err(AppError::conflict(
                "already_closed",
                "This concern has already been closed; its response is on the record.",
            ));
        }
        let now = db::now();
        diesel::update(messages::table.find(id))
            .set((
                messages::closed_at.eq(now),
                messages::closed_by.eq(&user.id),
                messages::closing_response.eq(response.as_str()),
                messages::acknowledged_at.eq(message.acknowledged_at.unwrap_or(now)),
                messages::acknowledged_by.eq(message.acknowledged_by.as_ref().unwrap_or(&user.id)),
                messages::answered_at.eq(message.answered_at.unwrap_or(now)),
                messages::answered_by.eq(message.answered_by.as_ref().unwrap_or(&user.id)),
            ))
            .execute(conn)?;
        let cause = format!("message:{id}:closed");
        let group: Vec<FamilyGroupId> = message.family_group_id.clone().into_iter().collect();
        let news = News {
            kind: Kind::FamilyNews,
            cause: &cause,
            by: &user.id,
            path: format!("/family/messages#message-{id}"),
        };
        notify_groups(conn, case_id, &group, &news)?;
        audit::event(&Actor::Staff(user.id.clone()), "message.close_concern")
            .record("message", id)
            .case(case_id)
            .write(conn)?;
        Ok(())
    })
}

/// "2 days 3 hours", "45 minutes".
pub fn describe_wait(minutes: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let (days, hours, mins) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    match (days, hours) {
        (0, 0) => plural(mins, "minute"),
        (0, h) => format!("{} {}", plural(h, "hour"), plural(mins, "minute")),
        (d, h) => format!("{} {}", plural(d, "day"), plural(h, "hour")),
    }
}

/// What waits for an answer on the caller's cases, longest first: family messages, and open
/// concerns about the investigation.
pub fn waiting_and_concerns(
    conn: &mut DbConn,
    user: &StaffUser,
) -> QueryResult<(Vec<Waiting>, Vec<Waiting>)> {
    Ok((
        waiting_for(conn, user, false)?,
        waiting_for(conn, user, true)?,
    ))
}

/// Family messages on the cases `user` can see that are unanswered, or (`concerns_only`)
/// concerns about the investigation not yet closed; longest waiting first.
pub fn waiting_for(
    conn: &mut DbConn,
    user: &StaffUser,
    concerns_only: bool,
) -> QueryResult<Vec<Waiting>> {
    type Row = (
        MessageId,
        CaseId,
        String,
        String,
        Option<String>,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    // The caller's cases first, then their messages through the (case, time) index: never a
    // walk over every waiting message in the database, and nothing of a case they may not
    // see is read.
    let visible = access::visible_case_ids(conn, user)?;
    let mut rows: Vec<Row> = Vec::new();
    for chunk in visible.chunks(500) {
        let mut query = messages::table
            .inner_join(cases::table.on(cases::id.eq(messages::case_id)))
            .inner_join(
                relatives::table.on(relatives::id.nullable().eq(messages::from_relative_id)),
            )
            .filter(messages::case_id.eq_any(chunk))
            .select((
                messages::id,
                messages::case_id,
                cases::reference,
                relatives::full_name,
                messages::category,
                messages::sent_at,
                messages::acknowledged_at,
                messages::answered_at,
                messages::closed_at,
            ))
            .into_boxed();
        if concerns_only {
            query = query.filter(messages::category.eq(Category::InvestigationConcern.as_str()));
        }
        rows.extend(query.load::<Row>(conn)?.into_iter().filter(
            |(_, _, _, _, _, _, _, answered, closed)| {
                closed.is_none() && (concerns_only || answered.is_none())
            },
        ));
    }
    rows.sort_by(|a, b| a.5.cmp(&b.5).then(a.0.cmp(&b.0)));
    rows.truncate(500);
    let now = db::now();
    let mut out = Vec::new();
    for (id, case_id, reference, from, category, sent_at, acked, answered, _) in rows {
        let category = category
            .as_deref()
            .and_then(Category::parse)
            .unwrap_or(Category::Other);
        let minutes = (now - sent_at).num_minutes().max(0);
        out.push(Waiting {
            message_id: id,
            case_id,
            case_reference: reference,
            from_relative: from,
            category,
            category_label: category.label(),
            sent_at,
            waiting_minutes: minutes,
            waiting_for: describe_wait(minutes),
            acknowledged: acked.is_some(),
            answered: answered.is_some(),
        });
    }
    Ok(out)
}

/// The case's message thread as the relative reads it: in their language, with what they
/// have not read yet marked new.
pub fn thread_of(conn: &mut DbConn, user: &FamilyUser) -> QueryResult<Vec<ThreadItem>> {
    thread(conn, &user.case_id, Some(user))
}

/// The thread, marked read for the relative as it is shown (page and API alike).
pub fn thread_marked_read(
    conn: &mut DbConn,
    user: &FamilyUser,
) -> Result<Vec<ThreadItem>, AppError> {
    let thread = thread_of(conn, user)?;
    db::write(conn, |conn| mark_read(conn, &user.relative_id, &thread))?;
    Ok(thread)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(describe_wait(1), "1 minute");
        assert_eq!(describe_wait(61), "1 hour 1 minute");
        assert_eq!(describe_wait(60 * 24 * 2 + 180), "2 days 3 hours");
    }
}
