//! What a relative reads about their case: only what staff shared with the family. Every
//! function here selects family-facing columns by name, so a staff-only field (the
//! circumstances, what was discussed, staff notes, reasons for amendments or cancellations)
//! cannot reach a family page, API answer or e-mail by accident.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor, Outcome};
use crate::casework::cases;
use crate::casework::contacts;
use crate::casework::types::{
    AgencyRole, AssignmentRole, CaseStatus, CaseType, FollowUpStatus, Milestone, MilestoneState,
    PropertyStatus, ReferralOutcome,
};
use crate::db::schema::{
    agency_contacts, assignments, case_milestones, case_updates, cases as cases_t, follow_ups,
    property_items, referrals as referrals_t, relatives, update_groups, update_reads, users,
};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, FamilyGroupId, FollowUpId, RelativeId, UpdateId};
use crate::error::AppError;
use crate::family::FamilyUser;
use crate::i18n::{self, Lang};
use crate::notify::inbox::{self, InboxItem, Recipient};
use crate::notify::render::EmailTemplates;

/// A milestone of the case's progress, as the stepper shows it: the case type's milestones,
/// without those staff marked not needed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MilestoneStep {
    pub milestone: Milestone,
    pub label: String,
    /// The day it was reached; none while it is still to come.
    pub reached_on: Option<NaiveDate>,
    /// The furthest milestone reached.
    pub current: bool,
    pub done: bool,
}

/// One item of the family's timeline: a shared update or the shared summary of a contact.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineItem {
    /// `update` or `contact`.
    pub kind: &'static str,
    pub id: String,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub at: NaiveDateTime,
    pub title: String,
    pub body: String,
    /// Not yet read by this relative.
    pub new: bool,
}

/// How liaison ends, shared with the family when the case closes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FamilyExitPlan {
    pub how_liaison_ends: String,
    pub contact_afterwards: String,
    pub how_to_reactivate: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub reference: String,
    pub deceased_name: String,
    pub closed: bool,
    pub milestones: Vec<MilestoneStep>,
    pub current_milestone_label: String,
    /// Shared since the relative's last visit, or not yet read.
    pub new_items: Vec<TimelineItem>,
    pub next_appointment: Option<Appointment>,
    pub exit_plan: Option<FamilyExitPlan>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NamedContact {
    pub name: String,
    pub role: AssignmentRole,
    pub role_label: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub working_hours: String,
    pub cover_name: Option<String>,
    pub cover_note: Option<String>,
    pub current: bool,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub from: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::utc_opt")]
    pub until: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Appointment {
    pub id: FollowUpId,
    /// What it is, in the words staff chose for the family (never the officer's own task
    /// wording), or plain words for an appointment with the family liaison team.
    pub title: String,
    /// What to expect, from staff, if they wrote it.
    pub note: Option<String>,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub at: NaiveDateTime,
    pub place: Option<String>,
    /// The latest answer from the relative's group about this time, if any.
    pub answer: Option<crate::casework::answers::AnswerView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PropertyView {
    pub description: String,
    pub status: PropertyStatus,
    pub status_label: String,
    pub held_since: Option<NaiveDate>,
    pub released_on: Option<NaiveDate>,
    pub returned_on: Option<NaiveDate>,
    pub received_by: Option<String>,
}

/// The catalogue text for `key`; the key itself if a catalogue lacks it (a test fails then).
pub fn tr(lang: Lang, key: &str) -> String {
    i18n::text(lang, key, &[]).unwrap_or_else(|| key.to_owned())
}

fn case_row(
    conn: &mut DbConn,
    id: &CaseId,
) -> Result<(String, String, CaseStatus, CaseType, Milestone), AppError> {
    cases_t::table
        .find(id)
        .select((
            cases_t::reference,
            cases_t::deceased_name,
            cases_t::status,
            cases_t::case_type,
            cases_t::milestone,
        ))
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// The stepper: each of the type's milestones where it stands now (its latest record), those
/// marked not needed left out.
pub fn milestones(
    conn: &mut DbConn,
    case_id: &CaseId,
    case_type: CaseType,
    current: Milestone,
    lang: Lang,
) -> QueryResult<Vec<MilestoneStep>> {
    let records: Vec<(Milestone, MilestoneState, Option<NaiveDate>)> = case_milestones::table
        .filter(case_milestones::case_id.eq(case_id))
        .select((
            case_milestones::milestone,
            case_milestones::state,
            case_milestones::reached_on,
        ))
        .order((
            case_milestones::recorded_at.asc(),
            case_milestones::id.asc(),
        ))
        .load(conn)?;
    let latest: std::collections::HashMap<Milestone, (MilestoneState, Option<NaiveDate>)> =
        records.into_iter().map(|(m, s, on)| (m, (s, on))).collect();
    Ok(case_type
        .milestones()
        .iter()
        .filter(|m| !matches!(latest.get(m), Some((MilestoneState::NotNeeded, _))))
        .map(|&milestone| {
            let reached_on = match latest.get(&milestone) {
                Some((MilestoneState::Reached, on)) => *on,
                _ => None,
            };
            MilestoneStep {
                milestone,
                label: tr(lang, &format!("milestone-{}", milestone.as_str())),
                reached_on,
                current: milestone == current,
                done: reached_on.is_some(),
            }
        })
        .collect())
}

pub fn overview(conn: &mut DbConn, user: &FamilyUser) -> Result<Overview, AppError> {
    let (reference, deceased_name, status, case_type, current) = case_row(conn, &user.case_id)?;
    let milestones = milestones(conn, &user.case_id, case_type, current, user.lang)?;
    let new_items = timeline(conn, user)?
        .into_iter()
        .filter(|i| i.new)
        .take(5)
        .collect();
    let next_appointment = appointments(conn, user)?.into_iter().next();
    let exit_plan = if status == CaseStatus::Closed {
        cases::exit_plans(conn, &user.case_id)?
            .into_iter()
            .next()
            .map(|p| FamilyExitPlan {
                how_liaison_ends: p.how_liaison_ends,
                contact_afterwards: p.contact_afterwards,
                how_to_reactivate: p.how_to_reactivate,
            })
    } else {
        None
    };
    Ok(Overview {
        reference,
        deceased_name,
        closed: status == CaseStatus::Closed,
        current_milestone_label: tr(user.lang, &format!("milestone-{}", current.as_str())),
        milestones,
        new_items,
        next_appointment,
        exit_plan,
    })
}

/// Shared updates and shared contact summaries, newest first, each marked new when this
/// relative has not read it (updates) or it came after their last visit (contacts). An update
/// staff shared with chosen groups reaches only those; a contact's summary reaches the groups
/// of the relatives it was with who are not restricted (every group when it names nobody).
pub fn timeline(conn: &mut DbConn, user: &FamilyUser) -> Result<Vec<TimelineItem>, AppError> {
    let for_some_groups = update_groups::table
        .filter(update_groups::update_id.eq(case_updates::id))
        .select(update_groups::update_id);
    let for_mine = for_some_groups.filter(update_groups::family_group_id.eq(&user.family_group_id));
    let updates: Vec<(UpdateId, NaiveDateTime, String, String)> = case_updates::table
        .filter(case_updates::case_id.eq(&user.case_id))
        .filter(case_updates::shared_with_family.eq(true))
        .filter(not(exists(for_some_groups)).or(exists(for_mine)))
        .select((
            case_updates::id,
            case_updates::posted_at,
            case_updates::title,
            case_updates::body,
        ))
        .load(conn)?;
    let read: Vec<UpdateId> = update_reads::table
        .filter(update_reads::relative_id.eq(&user.relative_id))
        .select(update_reads::update_id)
        .load(conn)?;
    let previous =
        crate::family::session::previous_visit(conn, &user.relative_id, &user.session_id)?;
    let mut items: Vec<TimelineItem> = updates
        .into_iter()
        .map(|(id, at, title, body)| TimelineItem {
            kind: "update",
            new: !read.contains(&id),
            id: id.to_string(),
            at,
            title,
            body,
        })
        .collect();
    let contact_title = tr(user.lang, "timeline-contact-title");
    let groups_of: std::collections::HashMap<RelativeId, (Option<FamilyGroupId>, bool)> =
        relatives::table
            .filter(relatives::case_id.eq(&user.case_id))
            .select((
                relatives::id,
                relatives::family_group_id,
                relatives::restricted_at.is_not_null(),
            ))
            .load::<(RelativeId, Option<FamilyGroupId>, bool)>(conn)?
            .into_iter()
            .map(|(id, group, restricted)| (id, (group, restricted)))
            .collect();
    let reaches_me = |with: &[RelativeId]| {
        with.is_empty()
            || with.iter().any(|r| {
                groups_of.get(r).is_some_and(|(group, restricted)| {
                    !restricted && group.as_ref() == Some(&user.family_group_id)
                })
            })
    };
    for c in contacts::shared_summaries(conn, &user.case_id)? {
        if !reaches_me(&c.relatives) {
            continue;
        }
        items.push(TimelineItem {
            kind: "contact",
            id: c.id.to_string(),
            at: c.occurred_at,
            title: contact_title.clone(),
            body: c.summary,
            new: previous.is_none_or(|p| c.shared_at > p),
        });
    }
    items.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
    Ok(items)
}

/// Records this relative's first reading of the shared updates they were shown.
pub fn mark_read(
    conn: &mut DbConn,
    relative: &RelativeId,
    items: &[TimelineItem],
) -> QueryResult<()> {
    let now = db::now();
    for item in items.iter().filter(|i| i.new && i.kind == "update") {
        let Some(id) = UpdateId::parse(&item.id) else {
            continue;
        };
        let exists: i64 = update_reads::table
            .filter(update_reads::update_id.eq(&id))
            .filter(update_reads::relative_id.eq(relative))
            .count()
            .get_result(conn)?;
        if exists == 0 {
            diesel::insert_into(update_reads::table)
                .values((
                    update_reads::update_id.eq(&id),
                    update_reads::relative_id.eq(relative),
                    update_reads::first_read_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The named contacts the relative may see (the whole family's, and their own group's):
/// current ones first, then past ones.
pub fn named_contacts(conn: &mut DbConn, user: &FamilyUser) -> QueryResult<Vec<NamedContact>> {
    let (case_id, lang) = (&user.case_id, user.lang);
    let cover_users = diesel::alias!(users as cover_users);
    type Row = (
        String,
        AssignmentRole,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        NaiveDateTime,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Row> = assignments::table
        .inner_join(users::table.on(users::id.eq(assignments::user_id)))
        .left_join(
            cover_users.on(cover_users
                .field(users::id)
                .nullable()
                .eq(assignments::cover_user_id)),
        )
        .filter(assignments::case_id.eq(case_id))
        .filter(assignments::visible_to_family.eq(true))
        .filter(
            assignments::family_group_id
                .is_null()
                .or(assignments::family_group_id.eq(&user.family_group_id)),
        )
        .select((
            users::display_name,
            assignments::role,
            assignments::contact_phone,
            assignments::contact_email,
            assignments::working_hours,
            cover_users.field(users::display_name).nullable(),
            assignments::cover_note,
            assignments::starts_at,
            assignments::ends_at,
        ))
        .order(assignments::starts_at.desc())
        .load(conn)?;
    let now = db::now();
    let mut out: Vec<NamedContact> = rows
        .into_iter()
        .map(
            |(name, role, phone, email, hours, cover_name, cover_note, from, until)| NamedContact {
                current: from <= now && until.is_none_or(|u| u > now),
                role_label: tr(lang, &format!("role-{}", role.as_str())),
                name,
                role,
                phone,
                email,
                working_hours: hours,
                cover_name,
                cover_note,
                from,
                until,
            },
        )
        .collect();
    // Current contacts first, the family liaison officer at the top, then the deputy, the
    // senior investigating officer and the coordinator; the newest first within a role.
    let rank = |role: AssignmentRole| AssignmentRole::ALL.iter().position(|r| *r == role);
    out.sort_by_key(|c| (!c.current, rank(c.role)));
    Ok(out)
}

/// A contact outside the force that staff shared with the family.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgencyView {
    pub name: String,
    pub organisation: String,
    pub role: AgencyRole,
    pub role_label: String,
    pub role_detail: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub hours: Option<String>,
}

/// The agency contacts shared with the relative's family group (or every group), not ended.
pub fn agencies(conn: &mut DbConn, user: &FamilyUser) -> QueryResult<Vec<AgencyView>> {
    type Row = (
        String,
        String,
        AgencyRole,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = agency_contacts::table
        .filter(agency_contacts::case_id.eq(&user.case_id))
        .filter(agency_contacts::shared_with_family.eq(true))
        .filter(agency_contacts::ended_at.is_null())
        .filter(
            agency_contacts::family_group_id
                .is_null()
                .or(agency_contacts::family_group_id.eq(&user.family_group_id)),
        )
        .select((
            agency_contacts::name,
            agency_contacts::organisation,
            agency_contacts::role,
            agency_contacts::role_detail,
            agency_contacts::phone,
            agency_contacts::email,
            agency_contacts::hours,
        ))
        .order((agency_contacts::added_at.asc(), agency_contacts::id.asc()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(name, organisation, role, role_detail, phone, email, hours)| AgencyView {
                role_label: tr(user.lang, &format!("agency-role-{}", role.as_str())),
                name,
                organisation,
                role,
                role_detail,
                phone,
                email,
                hours,
            },
        )
        .collect())
}

/// A referral to a support service offered to this relative.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralView {
    pub organisation: String,
    pub offered_on: NaiveDate,
    pub outcome: ReferralOutcome,
    pub outcome_label: String,
}

/// The relative's own referrals, oldest first; never another relative's.
pub fn referrals(conn: &mut DbConn, user: &FamilyUser) -> QueryResult<Vec<ReferralView>> {
    let rows: Vec<(String, NaiveDate, ReferralOutcome)> = referrals_t::table
        .filter(referrals_t::relative_id.eq(&user.relative_id))
        .select((
            referrals_t::organisation,
            referrals_t::offered_on,
            referrals_t::outcome,
        ))
        .order((
            referrals_t::offered_on.asc(),
            referrals_t::recorded_at.asc(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(organisation, offered_on, outcome)| ReferralView {
            outcome_label: tr(user.lang, &format!("referral-{}", outcome.as_str())),
            organisation,
            offered_on,
            outcome,
        })
        .collect())
}

/// Open appointments from now on, for the relative's group or for them, soonest first.
/// The follow-ups a relative may read as their appointments: their group's, with nobody in
/// particular or with them.
pub(crate) fn shared_appointments(
    user: &FamilyUser,
) -> follow_ups::BoxedQuery<'_, crate::db::MultiBackend> {
    follow_ups::table
        .filter(follow_ups::case_id.eq(&user.case_id))
        .filter(follow_ups::family_group_id.eq(&user.family_group_id))
        .filter(follow_ups::is_appointment.eq(true))
        .filter(
            follow_ups::relative_id
                .is_null()
                .or(follow_ups::relative_id.eq(&user.relative_id)),
        )
        .into_boxed()
}

/// Refuses an appointment that is not the relative's as not found, and audits the refusal
/// as a staff member's would be.
pub(crate) fn not_shared(
    conn: &mut DbConn,
    user: &FamilyUser,
    id: &FollowUpId,
) -> Result<AppError, AppError> {
    audit::event(&Actor::Relative(user.relative_id.clone()), "access.denied")
        .outcome(Outcome::Denied)
        .record("follow_up", id)
        .case(&user.case_id)
        .detail("not an appointment shared with this relative")
        .write(conn)?;
    Ok(AppError::NotFound)
}

pub fn appointments(conn: &mut DbConn, user: &FamilyUser) -> QueryResult<Vec<Appointment>> {
    type Row = (
        FollowUpId,
        Option<String>,
        Option<String>,
        NaiveDateTime,
        Option<String>,
    );
    let rows: Vec<Row> = shared_appointments(user)
        .filter(follow_ups::status.eq(FollowUpStatus::Open))
        .filter(follow_ups::due_at.ge(db::now() - chrono::Duration::hours(2)))
        .select((
            follow_ups::id,
            follow_ups::family_title,
            follow_ups::family_note,
            follow_ups::due_at,
            follow_ups::place,
        ))
        .order(follow_ups::due_at.asc())
        .load(conn)?;
    let ids: Vec<FollowUpId> = rows.iter().map(|r| r.0.clone()).collect();
    let mut answers = crate::casework::answers::latest(conn, &ids, Some(user.lang))?;
    Ok(rows
        .into_iter()
        .map(|(id, title, note, at, place)| Appointment {
            title: title.unwrap_or_else(|| tr(user.lang, "appointments-default-title")),
            note,
            answer: answers.remove(&id),
            id,
            at,
            place,
        })
        .collect())
}

/// One of the relative's appointments by id (for its calendar file). Any other id, another
/// case's or another relative's, is refused as not found and the refusal audited, as a staff
/// member's would be.
pub fn appointment(
    conn: &mut DbConn,
    user: &FamilyUser,
    id: &FollowUpId,
) -> Result<Appointment, AppError> {
    match appointments(conn, user)?.into_iter().find(|a| &a.id == id) {
        Some(a) => Ok(a),
        None => Err(not_shared(conn, user, id)?),
    }
}

pub fn property(conn: &mut DbConn, case_id: &CaseId, lang: Lang) -> QueryResult<Vec<PropertyView>> {
    type Row = (
        String,
        PropertyStatus,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<String>,
    );
    let rows: Vec<Row> = property_items::table
        .filter(property_items::case_id.eq(case_id))
        .select((
            property_items::description,
            property_items::status,
            property_items::held_since,
            property_items::released_on,
            property_items::returned_on,
            property_items::received_by,
        ))
        .order(property_items::created_at.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(description, status, held_since, released_on, returned_on, received_by)| {
                PropertyView {
                    status_label: tr(lang, &format!("property-{}", status.as_str())),
                    description,
                    status,
                    held_since,
                    released_on,
                    returned_on,
                    received_by,
                }
            },
        )
        .collect())
}

/// The relative's timeline, marked read for them as it is shown (page and API alike).
pub fn timeline_marked_read(
    conn: &mut DbConn,
    user: &FamilyUser,
) -> Result<Vec<TimelineItem>, AppError> {
    let items = timeline(conn, user)?;
    db::write(conn, |conn| mark_read(conn, &user.relative_id, &items))?;
    Ok(items)
}

/// The relative's portal notices, newest first, in their language (page and API alike).
pub fn notices_of(
    conn: &mut DbConn,
    user: &FamilyUser,
    emails: &EmailTemplates,
) -> QueryResult<Vec<InboxItem>> {
    let me = Recipient::Relative(&user.relative_id, user.lang);
    inbox::list(conn, me, emails, 100)
}

/// Marks every portal notice of the relative read (page and API alike).
pub fn mark_notices_read(conn: &mut DbConn, user: &FamilyUser) -> Result<(), AppError> {
    let me = Recipient::Relative(&user.relative_id, user.lang);
    db::write(conn, |conn| inbox::mark_read(conn, me, None))?;
    Ok(())
}

/// One explanation on the family's help page; `id` is its anchor (terms on other pages link
/// to `/family/help#<id>`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HelpTopic {
    pub id: String,
    pub title: String,
    pub body: String,
}

/// The family's help in plain words: what each milestone of their case's type means, the
/// people they will hear about, their rights under the Victims' Code and how to complain, and
/// where to find support.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Help {
    pub milestones: Vec<HelpTopic>,
    pub people: Vec<HelpTopic>,
    pub rights: Vec<HelpTopic>,
    pub support: Vec<crate::family::support::SupportEntry>,
}

pub fn help(conn: &mut DbConn, user: &FamilyUser) -> Result<Help, AppError> {
    let lang = user.lang;
    let (_, _, _, case_type, _) = case_row(conn, &user.case_id)?;
    let topic = |id: &str, key: &str| HelpTopic {
        id: id.to_owned(),
        title: tr(lang, &format!("help-{key}-title")),
        body: tr(lang, &format!("help-{key}-body")),
    };
    let milestones = case_type
        .milestones()
        .iter()
        .map(|m| HelpTopic {
            id: format!("milestone-{}", m.as_str()),
            title: tr(lang, &format!("milestone-{}", m.as_str())),
            body: tr(lang, &format!("help-milestone-{}-body", m.as_str())),
        })
        .collect();
    Ok(Help {
        milestones,
        people: vec![
            topic("flo", "flo"),
            topic("sio", "sio"),
            topic("coroner", "coroner"),
            topic("cps", "cps"),
        ],
        rights: vec![
            HelpTopic {
                id: "victims-code".into(),
                title: tr(lang, "help-rights-heading"),
                body: tr(lang, "help-rights-body"),
            },
            topic("vps", "vps"),
            topic("review", "review"),
            topic("complain", "complain"),
        ],
        support: crate::family::support::for_family(conn, lang)?,
    })
}
