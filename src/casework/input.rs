//! Parsing casework input from the JSON API and from page forms into the use cases' types.
//! Both adapters call these, so a rule (a length limit, a date check) lives in one place.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::casework::agencies::NewAgencyContact;
use crate::casework::assignments::NewAssignment;
use crate::casework::cases::{ExitPlan, Needs, NewCase, PlanInput};
use crate::casework::contacts::{NewAmendment, NewContact};
use crate::casework::entitlements::{NewEntitlement, NewReferral};
use crate::casework::follow_ups::NewFollowUp;
use crate::casework::groups::Joining;
use crate::casework::limits;
use crate::casework::milestones::Reached;
use crate::casework::property::NewItem;
use crate::casework::relatives::RelativeInput;
use crate::casework::time::{london_date, parse_date, parse_local, parse_rfc3339};
use crate::casework::types::{
    AgencyRole, AssignmentRole, CaseType, ContactChannel, Direction, Entitlement, Milestone,
    ReferralOutcome,
};
use crate::casework::updates::NewUpdate;
pub use crate::domain::Picked;
use crate::domain::{
    EmailAddress, FamilyGroupId, LimitedText, PersonName, RelativeId, TeamId, UserId, Validator,
    clean_text,
};
use crate::error::AppError;
use crate::i18n::Lang;

/// Optional free text: empty means absent; otherwise bounded.
pub fn optional(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<LimitedText>, AppError> {
    LimitedText::optional(field, raw, max)
}

/// Required free text, bounded.
pub fn required(field: &str, raw: &str, max: usize) -> Result<LimitedText, AppError> {
    if clean_text(field, raw)?.is_empty() {
        return Err(AppError::invalid(field, "This cannot be empty."));
    }
    LimitedText::parse(field, raw, max)
}

/// How liaison ends, written by a manager before a case closes: all three parts are needed,
/// each bounded.
pub fn exit_plan(
    how_liaison_ends: &str,
    contact_afterwards: &str,
    how_to_reactivate: &str,
) -> Result<ExitPlan, AppError> {
    let mut v = Validator::default();
    let mut part = |field, raw| v.check(required(field, raw, limits::EXIT_PLAN_PART));
    let ends = part("how_liaison_ends", how_liaison_ends);
    let afterwards = part("contact_afterwards", contact_afterwards);
    let reactivate = part("how_to_reactivate", how_to_reactivate);
    v.finish_api_with((|| {
        Some(ExitPlan {
            how_liaison_ends: ends?,
            contact_afterwards: afterwards?,
            how_to_reactivate: reactivate?,
        })
    })())
}

/// An optional text field that may be set to empty on purpose (to remove it), bounded.
pub fn clearable(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, AppError> {
    match raw {
        None => Ok(None),
        Some(s) => {
            let s = clean_text(field, s)?;
            if s.chars().count() > max {
                return Err(AppError::invalid(
                    field,
                    format!("This can be at most {max} characters."),
                ));
            }
            Ok(Some(s))
        }
    }
}

/// What the family needs from the police to take part (for a case, or changed later).
pub struct NeedsFields<'a> {
    pub language: Option<&'a str>,
    pub interpreter: bool,
    pub accessibility: Option<&'a str>,
    pub faith_culture: Option<&'a str>,
    pub other: Option<&'a str>,
}

pub fn needs(f: NeedsFields<'_>) -> Result<Needs, AppError> {
    Ok(Needs {
        language: optional("needs_language", f.language, limits::NEED)?,
        interpreter: f.interpreter,
        accessibility: optional("needs_accessibility", f.accessibility, limits::NEED)?,
        faith_culture: optional("needs_faith_culture", f.faith_culture, limits::NEED)?,
        other: optional("needs_other", f.other, limits::NEED)?,
    })
}

fn plan_of(
    interval_hours: i64,
    channel: ContactChannel,
    preferred_hours: &str,
    agreed_on: NaiveDate,
) -> Result<PlanInput, AppError> {
    if !(1..=i64::from(limits::MAX_PLAN_INTERVAL_HOURS)).contains(&interval_hours) {
        return Err(AppError::invalid(
            "interval_hours",
            format!(
                "The interval between contacts must be between 1 and {} hours.",
                limits::MAX_PLAN_INTERVAL_HOURS
            ),
        ));
    }
    let preferred_hours = clean_text("preferred_hours", preferred_hours)?;
    if preferred_hours.chars().count() > limits::PREFERRED_HOURS {
        return Err(AppError::invalid(
            "preferred_hours",
            format!(
                "This can be at most {} characters.",
                limits::PREFERRED_HOURS
            ),
        ));
    }
    Ok(PlanInput {
        interval_hours: interval_hours as i32,
        preferred_channel: channel,
        preferred_hours,
        agreed_on,
    })
}

pub fn date_of_death(raw: &str) -> Result<NaiveDate, AppError> {
    let date = crate::casework::time::parse_date("date_of_death", raw)?;
    if date > crate::casework::time::london_date(crate::db::now()) {
        return Err(AppError::invalid(
            "date_of_death",
            "The date of death cannot be in the future.",
        ));
    }
    if date < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(date) {
        return Err(AppError::invalid(
            "date_of_death",
            "Check the year of the date of death.",
        ));
    }
    Ok(date)
}

pub fn duration(raw: Option<i64>) -> Result<Option<i32>, AppError> {
    match raw {
        None => Ok(None),
        Some(m) if (0..=i64::from(limits::MAX_DURATION_MINUTES)).contains(&m) => Ok(Some(m as i32)),
        Some(_) => Err(AppError::invalid(
            "duration_minutes",
            format!(
                "Enter a duration between 0 and {} minutes.",
                limits::MAX_DURATION_MINUTES
            ),
        )),
    }
}

/// Reads "HH:MM" quiet hours; both or neither.
pub fn quiet_hours(
    start: Option<&str>,
    end: Option<&str>,
) -> Result<Option<(NaiveTime, NaiveTime)>, AppError> {
    let start = start.map(str::trim).filter(|s| !s.is_empty());
    let end = end.map(str::trim).filter(|s| !s.is_empty());
    match (start, end) {
        (None, None) => Ok(None),
        (Some(s), Some(e)) => {
            let s = crate::notify::quiet::parse_time("quiet_hours_start", s)?;
            let e = crate::notify::quiet::parse_time("quiet_hours_end", e)?;
            if s == e {
                return Err(AppError::invalid(
                    "quiet_hours_end",
                    "Quiet hours must end at a different time from when they start.",
                ));
            }
            Ok(Some((s, e)))
        }
        (Some(_), None) => Err(AppError::invalid(
            "quiet_hours_end",
            "Enter when quiet hours end, or clear both.",
        )),
        (None, Some(_)) => Err(AppError::invalid(
            "quiet_hours_start",
            "Enter when quiet hours start, or clear both.",
        )),
    }
}

/// A due time must not be long past (a follow-up is for the future, give or take a day of
/// recording something already arranged).
pub fn due_at(field: &str, t: NaiveDateTime) -> Result<NaiveDateTime, AppError> {
    if t < crate::db::now() - chrono::Duration::days(1) {
        return Err(AppError::invalid(
            field,
            "This is more than a day in the past. Check the date.",
        ));
    }
    Ok(t)
}

// ---- one parser per input, for the page and the API alike ----------------------------------
//
// A transport reads only its own formats into the `...Fields` below: a JSON body gives typed
// values (or leaves them out), a form gives text. Every rule, and every message a person reads
// about it, is in the functions that turn the fields into the use case's `New...` input. They
// record each error in the `Validator`; a page shows all of them, the API the first.

/// Why a relative's portal access is suspended: kept on the record, staff only.
pub fn suspension_reason(raw: &str) -> Result<LimitedText, AppError> {
    reason(
        raw,
        "Give the reason for suspending access; it is kept on the record.",
        limits::SUSPENSION_REASON,
    )
}

/// Why a relative is restricted, or the restriction lifted: required, kept for the SIO and
/// managers.
pub fn restriction_reason(raw: &str) -> Result<LimitedText, AppError> {
    reason(
        raw,
        "Give the reason; only the case's SIO and managers can read it.",
        limits::RESTRICTION_REASON,
    )
}

/// Why a milestone is not needed for a case, or needed after all.
pub fn milestone_reason(raw: &str) -> Result<LimitedText, AppError> {
    reason(
        raw,
        "Give the reason; it is kept on the case's record.",
        limits::REASON,
    )
}

/// Why a case's type changes.
pub fn type_change_reason(raw: &str) -> Result<LimitedText, AppError> {
    reason(
        raw,
        "Give the reason for changing the type; it is kept on the case's record.",
        limits::REASON,
    )
}

/// A required `reason`, bounded; `missing` says what to write when there is none.
fn reason(raw: &str, missing: &str, max: usize) -> Result<LimitedText, AppError> {
    if raw.trim().is_empty() {
        return Err(AppError::invalid("reason", missing));
    }
    LimitedText::parse("reason", raw, max)
}

/// A contact plan agreed with the family.
pub struct PlanFields<'a> {
    pub interval_hours: Picked<i64>,
    pub channel: Picked<ContactChannel>,
    pub preferred_hours: &'a str,
    /// Absent is today.
    pub agreed_on: Option<&'a str>,
}

pub fn plan(f: PlanFields<'_>, v: &mut Validator) -> Option<PlanInput> {
    let hours = v.check(f.interval_hours.required(
        "interval_hours",
        "Enter the number of hours between contacts, like 48.",
    ));
    let channel = v.check(f.channel.required(
        "preferred_channel",
        "Choose how the family prefers to be contacted.",
    ));
    let agreed_on = v.check(match f.agreed_on {
        Some(raw) => parse_date("agreed_on", raw),
        None => Ok(london_date(crate::db::now())),
    });
    v.check(plan_of(hours?, channel?, f.preferred_hours, agreed_on?))
}

/// A new case, with the family's needs and (if agreed already) the contact plan.
pub struct CaseFields<'a> {
    pub team: Picked<TeamId>,
    pub deceased_name: &'a str,
    pub date_of_death: &'a str,
    pub circumstances: Option<&'a str>,
    pub needs: NeedsFields<'a>,
    pub plan: Option<PlanFields<'a>>,
    /// Absent: other.
    pub case_type: Picked<CaseType>,
}

pub fn case(f: CaseFields<'_>, v: &mut Validator) -> Option<NewCase> {
    let team_id = v.check(f.team.required("team_id", "Choose a team."));
    let deceased_name = v.check(PersonName::parse("deceased_name", f.deceased_name));
    let date_of_death = v.check(date_of_death(f.date_of_death));
    let circumstances = v.check(optional(
        "circumstances",
        f.circumstances,
        limits::CIRCUMSTANCES,
    ));
    let needs = v.check(needs(f.needs));
    let case_type = v.check(
        f.case_type
            .optional("case_type", "Choose the type of case from the list."),
    );
    let plan = match f.plan {
        Some(p) => plan(p, v).map(Some),
        None => Some(None),
    };
    Some(NewCase {
        team_id: team_id?,
        deceased_name: deceased_name?,
        date_of_death: date_of_death?,
        circumstances: circumstances?,
        needs: needs?,
        plan: plan?,
        case_type: case_type?.unwrap_or(CaseType::Other),
    })
}

/// A time as a transport gives it: a form's London wall-clock time, an API's RFC 3339
/// instant, or nothing.
pub enum Moment<'a> {
    Absent,
    Local(&'a str),
    Exact(&'a str),
}

impl<'a> Moment<'a> {
    /// An API's optional time.
    pub fn exact(raw: Option<&'a str>) -> Moment<'a> {
        raw.map_or(Moment::Absent, Moment::Exact)
    }

    fn read(&self, field: &str) -> Result<Option<NaiveDateTime>, AppError> {
        match self {
            Moment::Absent => Ok(None),
            Moment::Local(raw) => parse_local(field, raw).map(Some),
            Moment::Exact(raw) => parse_rfc3339(field, raw).map(Some),
        }
    }

    fn required(&self, field: &str) -> Result<NaiveDateTime, AppError> {
        self.read(field)?
            .ok_or_else(|| AppError::invalid(field, "Enter a date and time."))
    }

    fn or_now(&self, field: &str) -> Result<NaiveDateTime, AppError> {
        Ok(self.read(field)?.unwrap_or_else(crate::db::now))
    }
}

const CHANNEL: &str = "Choose how the contact happened.";
const DIRECTION: &str = "Choose who made contact.";
const DURATION: &str = "Enter the duration as a number of minutes, like 30.";
const PERSON: &str = "Choose a person.";

fn duration_of(picked: Picked<i64>) -> Result<Option<i32>, AppError> {
    duration(picked.optional("duration_minutes", DURATION)?)
}

/// A follow-up, on its own or agreed in a contact.
pub struct FollowUpFields<'a> {
    pub purpose: &'a str,
    pub assignee: Picked<UserId>,
    pub due_at: Moment<'a>,
    pub relative: Picked<RelativeId>,
    pub is_appointment: bool,
    pub place: Option<&'a str>,
    /// For an appointment: the family group it is with (the relative's, when one is named;
    /// the case's only group when it has one).
    pub group: Picked<FamilyGroupId>,
    /// For an appointment: what the family reads (the purpose is the officer's own wording).
    pub family_title: Option<&'a str>,
    pub family_note: Option<&'a str>,
}

/// `name` gives each field's name as the transport reports it (inside a contact, the
/// follow-up's place in the list is part of it).
pub fn follow_up(
    f: FollowUpFields<'_>,
    name: impl Fn(&str) -> String,
    v: &mut Validator,
) -> Option<NewFollowUp> {
    let purpose = v.check(required(&name("purpose"), f.purpose, limits::PURPOSE));
    let assignee = v.check(
        f.assignee
            .required(&name("assignee_id"), "Choose who will do it."),
    );
    let due = name("due_at");
    let due_at = v.check(f.due_at.required(&due).and_then(|t| due_at(&due, t)));
    let relative_id = v.check(
        f.relative
            .optional(&name("relative_id"), "Choose a relative from the list."),
    );
    let place = v.check(optional(&name("place"), f.place, limits::PLACE));
    let group = v.check(f.group.optional(
        &name("family_group_id"),
        "Choose one of this case's family groups.",
    ));
    let family_title = v.check(optional(
        &name("family_title"),
        f.family_title,
        limits::FAMILY_TITLE,
    ));
    let family_note = v.check(optional(
        &name("family_note"),
        f.family_note,
        limits::FAMILY_NOTE,
    ));
    Some(NewFollowUp {
        family_title: family_title?,
        family_note: family_note?,
        purpose: purpose?,
        assignee: assignee?,
        due_at: due_at?,
        relative_id: relative_id?,
        is_appointment: f.is_appointment,
        place: place?,
        family_group_id: group?,
    })
}

/// Checks the part of a contact the family may read, its summary and the actions agreed, in
/// that order, with `check`: `optional` for a new contact, `clearable` for a correction (where
/// empty removes them).
fn summary_and_actions<T>(
    v: &mut Validator,
    check: fn(&str, Option<&str>, usize) -> Result<T, AppError>,
    summary: Option<&str>,
    actions: Option<&str>,
) -> (Option<T>, Option<T>) {
    (
        v.check(check("family_summary", summary, limits::FAMILY_SUMMARY)),
        v.check(check("agreed_actions", actions, limits::AGREED_ACTIONS)),
    )
}

/// A contact with the family, with the follow-ups agreed in it.
pub struct ContactFields<'a> {
    /// Absent is now.
    pub occurred_at: Moment<'a>,
    pub channel: Picked<ContactChannel>,
    pub direction: Picked<Direction>,
    pub duration_minutes: Picked<i64>,
    pub relatives: Vec<Picked<RelativeId>>,
    pub discussion: &'a str,
    pub family_summary: Option<&'a str>,
    pub agreed_actions: Option<&'a str>,
    pub follow_ups: Vec<FollowUpFields<'a>>,
    /// The name of field `f` of the `i`th follow-up (from 0), as the transport reports it.
    pub follow_up_field: fn(usize, &str) -> String,
}

pub fn contact(f: ContactFields<'_>, v: &mut Validator) -> Option<NewContact> {
    let occurred_at = v.check(f.occurred_at.or_now("occurred_at"));
    let channel = v.check(f.channel.required("channel", CHANNEL));
    let direction = v.check(f.direction.required("direction", DIRECTION));
    let duration_minutes = v.check(duration_of(f.duration_minutes));
    let relatives: Vec<_> = f
        .relatives
        .into_iter()
        .map(|r| v.check(r.required("relatives", "Choose relatives from the list.")))
        .collect();
    let discussion = v.check(required("discussion", f.discussion, limits::DISCUSSION));
    let (family_summary, agreed_actions) =
        summary_and_actions(v, optional, f.family_summary, f.agreed_actions);
    let name = f.follow_up_field;
    let follow_ups: Vec<_> = f
        .follow_ups
        .into_iter()
        .enumerate()
        .map(|(i, fu)| follow_up(fu, |field| name(i, field), v))
        .collect();
    Some(NewContact {
        occurred_at: occurred_at?,
        channel: channel?,
        direction: direction?,
        duration_minutes: duration_minutes?,
        relatives: relatives.into_iter().collect::<Option<_>>()?,
        discussion: discussion?,
        family_summary: family_summary?,
        agreed_actions: agreed_actions?,
        follow_ups: follow_ups.into_iter().collect::<Option<_>>()?,
    })
}

/// A correction to a contact: what is absent stays as it was.
pub struct AmendmentFields<'a> {
    pub reason: &'a str,
    pub occurred_at: Moment<'a>,
    pub channel: Picked<ContactChannel>,
    pub direction: Picked<Direction>,
    pub duration_minutes: Picked<i64>,
    pub discussion: Option<&'a str>,
    /// Empty removes it.
    pub family_summary: Option<&'a str>,
    /// Empty removes it.
    pub agreed_actions: Option<&'a str>,
}

pub fn amendment(f: AmendmentFields<'_>, v: &mut Validator) -> Option<NewAmendment> {
    let reason = v.check(required("reason", f.reason, limits::REASON));
    let occurred_at = v.check(f.occurred_at.read("occurred_at"));
    let channel = v.check(f.channel.optional("channel", CHANNEL));
    let direction = v.check(f.direction.optional("direction", DIRECTION));
    let duration_minutes = v.check(duration_of(f.duration_minutes));
    let discussion = v.check(
        f.discussion
            .map(|d| required("discussion", d, limits::DISCUSSION))
            .transpose(),
    );
    let (family_summary, agreed_actions) =
        summary_and_actions(v, clearable, f.family_summary, f.agreed_actions);
    Some(NewAmendment {
        reason: Some(reason?),
        occurred_at: occurred_at?,
        channel: channel?,
        direction: direction?,
        duration_minutes: duration_minutes?,
        discussion: discussion?,
        family_summary: family_summary?,
        agreed_actions: agreed_actions?,
    })
}

/// An update on the case timeline.
pub struct UpdateFields<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub shared_with_family: bool,
    /// A milestone the update records as reached.
    pub milestone: Picked<Milestone>,
    /// The day it was reached (`YYYY-MM-DD`); absent or empty: today. Read only with a
    /// milestone.
    pub reached_on: Option<&'a str>,
    pub key_event: bool,
    /// The groups a shared update goes to (none: every group).
    pub groups: Vec<Picked<FamilyGroupId>>,
}

pub fn update(f: UpdateFields<'_>, v: &mut Validator) -> Option<NewUpdate> {
    let title = v.check(required("title", f.title, limits::UPDATE_TITLE));
    let body = v.check(required("body", f.body, limits::UPDATE_BODY));
    let milestone = v.check(
        f.milestone
            .optional("milestone", "Choose a milestone from the list, or none."),
    );
    let reached_on = match (&milestone, f.reached_on.map(str::trim)) {
        (Some(Some(_)), Some(raw)) if !raw.is_empty() => {
            v.check(parse_date("reached_on", raw).map(Some))
        }
        _ => Some(None),
    };
    let mut groups = Vec::new();
    for group in f.groups {
        let message = "Choose family groups of this case.";
        groups.extend(v.check(group.required("family_group_ids", message)));
    }
    groups.sort();
    groups.dedup();
    let (milestone, on) = (milestone?, reached_on?);
    let milestone = milestone.map(|milestone| Reached { milestone, on });
    Some(NewUpdate {
        title: title?,
        body: body?,
        shared_with_family: f.shared_with_family,
        // A milestone reached is always a key event.
        key_event: f.key_event || milestone.is_some(),
        milestone,
        groups,
    })
}

/// A relative of the person who died, as the case team records them.
pub struct RelativeFields<'a> {
    pub full_name: &'a str,
    pub relationship: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub address: Option<&'a str>,
    pub preferred_channel: Picked<ContactChannel>,
    pub language: Picked<Lang>,
    pub point_of_contact: bool,
    pub notify_by_email: bool,
    pub quiet_hours_start: Option<&'a str>,
    pub quiet_hours_end: Option<&'a str>,
}

pub fn relative(f: RelativeFields<'_>, v: &mut Validator) -> Option<RelativeInput> {
    let full_name = v.check(PersonName::parse("full_name", f.full_name));
    let relationship = v.check(required(
        "relationship",
        f.relationship,
        limits::RELATIONSHIP,
    ));
    let email = v.check(
        f.email
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| EmailAddress::parse("email", e))
            .transpose(),
    );
    let phone = v.check(crate::accounts::users::parse_phone("phone", f.phone));
    let address = v.check(optional("address", f.address, limits::ADDRESS));
    let preferred_channel = v.check(f.preferred_channel.required(
        "preferred_channel",
        "Choose how they prefer to be contacted.",
    ));
    let language = v.check(f.language.required("language", "Choose a language."));
    let quiet_hours = v.check(quiet_hours(f.quiet_hours_start, f.quiet_hours_end));
    Some(RelativeInput {
        full_name: full_name?,
        relationship: relationship?,
        email: email?,
        phone: phone?,
        address: address?,
        preferred_channel: preferred_channel?,
        language: language?,
        point_of_contact: f.point_of_contact,
        notify_by_email: f.notify_by_email,
        quiet_hours: quiet_hours?,
    })
}

/// The family group a new relative joins: an existing group of the case (`family_group_id`),
/// or a new one named `new_family_group`, not both; neither is the case's only group.
pub fn joining(
    group: Picked<FamilyGroupId>,
    new_name: Option<&str>,
    v: &mut Validator,
) -> Option<Joining> {
    let new_name = new_name.map(str::trim).filter(|n| !n.is_empty());
    let group = v.check(group.optional(
        "family_group_id",
        "Choose one of this case's family groups.",
    ))?;
    match (group, new_name) {
        (Some(_), Some(_)) => {
            v.check::<()>(Err(AppError::invalid(
                "new_family_group",
                "Choose an existing group or name a new one, not both.",
            )));
            None
        }
        (Some(id), None) => Some(Joining::Group(id)),
        (None, Some(name)) => v
            .check(crate::casework::groups::parse_name(
                "new_family_group",
                name,
            ))
            .map(Joining::New),
        (None, None) => Some(Joining::Only),
    }
}

/// An item of property held for the family.
pub struct ItemFields<'a> {
    pub description: &'a str,
    /// Absent is today.
    pub held_since: Option<&'a str>,
    pub staff_notes: Option<&'a str>,
}

pub fn item(f: ItemFields<'_>, v: &mut Validator) -> Option<NewItem> {
    let description = v.check(required(
        "description",
        f.description,
        limits::PROPERTY_DESCRIPTION,
    ));
    let held_since = v.check(match f.held_since {
        Some(raw) => parse_date("held_since", raw),
        None => Ok(london_date(crate::db::now())),
    });
    let staff_notes = v.check(optional("staff_notes", f.staff_notes, limits::NOTE));
    Some(NewItem {
        description: description?,
        held_since: held_since?,
        staff_notes: staff_notes?,
    })
}

/// An officer named to the family in a role.
pub struct AssignmentFields<'a> {
    pub user: Picked<UserId>,
    pub role: Picked<AssignmentRole>,
    /// Absent is now.
    pub starts_at: Moment<'a>,
    /// Absent is open-ended.
    pub ends_at: Moment<'a>,
    pub visible_to_family: bool,
    pub contact_phone: Option<&'a str>,
    pub contact_email: Option<&'a str>,
    pub working_hours: Option<&'a str>,
    pub cover: Picked<UserId>,
    pub cover_note: Option<&'a str>,
    /// Named to one family group only; absent: every group.
    pub group: Picked<FamilyGroupId>,
}

pub fn assignment(f: AssignmentFields<'_>, v: &mut Validator) -> Option<NewAssignment> {
    let user_id = v.check(f.user.required("user_id", PERSON));
    let role = v.check(f.role.required("role", "Choose a role."));
    let starts_at = v.check(f.starts_at.or_now("starts_at"));
    let ends_at = v.check(f.ends_at.read("ends_at"));
    let contact_phone = v.check(crate::accounts::users::parse_phone(
        "contact_phone",
        f.contact_phone,
    ));
    let contact_email = v.check(
        f.contact_email
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| EmailAddress::parse("contact_email", e))
            .transpose(),
    );
    let working_hours = v.check(optional(
        "working_hours",
        f.working_hours,
        limits::WORKING_HOURS,
    ));
    let cover_user_id = v.check(f.cover.optional("cover_user_id", PERSON));
    let cover_note = v.check(optional("cover_note", f.cover_note, limits::NOTE));
    let group = v.check(f.group.optional(
        "family_group_id",
        "Choose one of this case's family groups.",
    ));
    Some(NewAssignment {
        user_id: user_id?,
        role: role?,
        starts_at: starts_at?,
        ends_at: ends_at?,
        visible_to_family: f.visible_to_family,
        contact_phone: contact_phone?,
        contact_email: contact_email?,
        working_hours: working_hours?,
        cover_user_id: cover_user_id?,
        cover_note: cover_note?,
        family_group_id: group?,
    })
}

/// A named contact outside the force.
pub struct AgencyFields<'a> {
    pub name: &'a str,
    pub organisation: &'a str,
    pub role: Picked<AgencyRole>,
    pub role_detail: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub hours: Option<&'a str>,
    pub shared_with_family: bool,
    /// Shown to one family group only; absent: every group.
    pub group: Picked<FamilyGroupId>,
}

pub fn agency(f: AgencyFields<'_>, v: &mut Validator) -> Option<NewAgencyContact> {
    let name = v.check(LimitedText::line(
        "name",
        f.name,
        PersonName::MAX_LEN,
        "Give the person's name.",
    ));
    let organisation = v.check(LimitedText::line(
        "organisation",
        f.organisation,
        limits::ORGANISATION,
        "Name the organisation.",
    ));
    let role = v.check(
        f.role
            .required("role", "Choose what they do from the list."),
    );
    let role_detail = v.check(optional("role_detail", f.role_detail, limits::NOTE));
    let phone = v.check(crate::accounts::users::parse_phone("phone", f.phone));
    let email = v.check(
        f.email
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| EmailAddress::parse("email", e))
            .transpose(),
    );
    let hours = v.check(optional("hours", f.hours, limits::WORKING_HOURS));
    let group = v.check(f.group.optional(
        "family_group_id",
        "Choose one of this case's family groups.",
    ));
    Some(NewAgencyContact {
        name: name?,
        organisation: organisation?,
        role: role?,
        role_detail: role_detail?,
        phone: phone?,
        email: email?,
        hours: hours?,
        shared_with_family: f.shared_with_family,
        family_group_id: group?,
    })
}

/// A referral to a support service, offered to a relative.
pub struct ReferralFields<'a> {
    pub relative: Picked<RelativeId>,
    pub organisation: &'a str,
    pub offered_on: &'a str,
    pub outcome: Picked<ReferralOutcome>,
    pub consent: bool,
    pub note: Option<&'a str>,
}

pub fn referral(f: ReferralFields<'_>, v: &mut Validator) -> Option<NewReferral> {
    let relative = v.check(
        f.relative
            .required("relative_id", "Choose a relative of this case."),
    );
    let organisation = v.check(LimitedText::line(
        "organisation",
        f.organisation,
        limits::ORGANISATION,
        "Name the support service.",
    ));
    let offered_on = v.check(past_date("offered_on", f.offered_on));
    let outcome = v.check(f.outcome.required(
        "outcome",
        "Say whether the relative accepted or declined the referral.",
    ));
    let note = v.check(optional("note", f.note, limits::NOTE));
    if outcome == Some(ReferralOutcome::Accepted) && !f.consent {
        v.add(
            "consent",
            "A referral is made only with the relative's consent to pass on their details: record their consent, or record that they declined.",
        );
    }
    Some(NewReferral {
        relative_id: relative?,
        organisation: organisation?,
        offered_on: offered_on?,
        outcome: outcome?,
        consent: f.consent,
        note: note?,
    })
}

/// A Victims' Code entitlement met for a relative.
pub struct EntitlementFields<'a> {
    pub relative: Picked<RelativeId>,
    pub entitlement: Picked<Entitlement>,
    pub met_on: &'a str,
    pub note: Option<&'a str>,
}

pub fn entitlement(f: EntitlementFields<'_>, v: &mut Validator) -> Option<NewEntitlement> {
    let relative = v.check(
        f.relative
            .required("relative_id", "Choose a relative of this case."),
    );
    let entitlement = v.check(
        f.entitlement
            .required("entitlement", "Choose the entitlement from the list."),
    );
    let met_on = v.check(past_date("met_on", f.met_on));
    let note = v.check(optional("note", f.note, limits::NOTE));
    Some(NewEntitlement {
        relative_id: relative?,
        entitlement: entitlement?,
        met_on: met_on?,
        note: note?,
    })
}

/// A day that has come (London), like the day something was offered.
fn past_date(field: &str, raw: &str) -> Result<NaiveDate, AppError> {
    let date = parse_date(field, raw)?;
    if date > london_date(crate::db::now()) {
        return Err(AppError::invalid(field, "The day cannot be in the future."));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_empties() {
        assert!(required("discussion", "   ", 10).is_err());
        assert!(required("discussion", &"x".repeat(11), 10).is_err());
        assert_eq!(optional("x", Some("  "), 10).unwrap(), None);
        assert_eq!(clearable("x", Some(""), 10).unwrap(), Some(String::new()));
        assert!(duration(Some(-1)).is_err());
        assert!(duration(Some(1441)).is_err());
        assert_eq!(duration(Some(45)).unwrap(), Some(45));
        assert!(quiet_hours(Some("22:00"), None).is_err());
        assert!(quiet_hours(Some("22:00"), Some("22:00")).is_err());
        assert!(quiet_hours(Some("22:00"), Some("07:00")).unwrap().is_some());
        assert!(date_of_death("2999-01-01").is_err());
    }
}
