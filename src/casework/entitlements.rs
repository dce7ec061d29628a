//! Referrals to support services and Victims' Code entitlements, per relative, on the record.
//! A referral is offered on a day and accepted (only with the relative's consent to pass on
//! their details) or declined. Each entitlement met is recorded with its day: the Victim
//! Personal Statement explained and offered, then made or declined; the right to review
//! explained; the complaint route given. What is still outstanding for each relative (not
//! restricted) shows on the case, and the manager's dashboard lists cases with entitlements
//! outstanding beyond a number of working days after the case opened. Both records are
//! append-only in the database.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::auth::session::StaffUser;
use crate::casework::access;
use crate::casework::record::require_open;
use crate::casework::relatives;
use crate::casework::types::{Entitlement, ReferralOutcome};
use crate::db::schema::{entitlements, referrals, relatives as relatives_t};
use crate::db::{self, DbConn};
use crate::domain::{CaseId, LimitedText, RelativeId, UserId, new_row_id};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = referrals)]
pub struct Referral {
    pub id: String,
    pub relative_id: RelativeId,
    pub organisation: String,
    pub offered_on: NaiveDate,
    pub outcome: ReferralOutcome,
    /// The relative agreed to their details being passed on.
    pub consent: bool,
    /// Staff only.
    pub note: Option<String>,
    pub recorded_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = entitlements)]
pub struct EntitlementRecord {
    pub id: String,
    pub relative_id: RelativeId,
    pub entitlement: Entitlement,
    pub met_on: NaiveDate,
    /// Staff only.
    pub note: Option<String>,
    pub recorded_by: UserId,
    #[serde(serialize_with = "crate::domain::utc::utc")]
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct NewReferral {
    pub relative_id: RelativeId,
    pub organisation: LimitedText,
    pub offered_on: NaiveDate,
    pub outcome: ReferralOutcome,
    pub consent: bool,
    pub note: Option<LimitedText>,
}

#[derive(Debug, Clone)]
pub struct NewEntitlement {
    pub relative_id: RelativeId,
    pub entitlement: Entitlement,
    pub met_on: NaiveDate,
    pub note: Option<LimitedText>,
}

crate::text_enum!(
    /// Something a relative is entitled to that is not yet recorded as done.
    Outstanding {
        SupportReferral => "support_referral" / "A referral to support services not yet offered",
        VpsOffer => "vps_offer" / "The Victim Personal Statement not yet explained and offered",
        VpsDecision => "vps_decision" / "Whether the Victim Personal Statement was made or declined not yet recorded",
        ReviewRight => "review_right" / "The right to review not yet explained",
        ComplaintRoute => "complaint_route" / "The complaint route not yet given",
    }
);

/// One relative's referrals, entitlements met and what is outstanding.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RelativeStanding {
    pub relative_id: RelativeId,
    pub full_name: String,
    /// A restricted relative's entitlements are not counted as outstanding.
    pub restricted: bool,
    pub referrals: Vec<Referral>,
    pub entitlements: Vec<EntitlementRecord>,
    pub outstanding: Vec<Outstanding>,
}

/// What is outstanding for a relative with these records.
fn outstanding_of(referred: bool, met: &[Entitlement]) -> Vec<Outstanding> {
    let has = |e: Entitlement| met.contains(&e);
    let decided = has(Entitlement::VpsMade) || has(Entitlement::VpsDeclined);
    let mut out = Vec::new();
    if !referred {
        out.push(Outstanding::SupportReferral);
    }
    if !has(Entitlement::VpsOffered) && !decided {
        out.push(Outstanding::VpsOffer);
    } else if !decided {
        out.push(Outstanding::VpsDecision);
    }
    if !has(Entitlement::ReviewRightExplained) {
        out.push(Outstanding::ReviewRight);
    }
    if !has(Entitlement::ComplaintRouteGiven) {
        out.push(Outstanding::ComplaintRoute);
    }
    out
}

/// Each relative of the case with their referrals, entitlements and what is outstanding.
pub fn standing(conn: &mut DbConn, case_id: &CaseId) -> QueryResult<Vec<RelativeStanding>> {
    let people: Vec<(RelativeId, String, Option<NaiveDateTime>)> = relatives_t::table
        .filter(relatives_t::case_id.eq(case_id))
        .select((
            relatives_t::id,
            relatives_t::full_name,
            relatives_t::restricted_at,
        ))
        .order((relatives_t::created_at.asc(), relatives_t::id.asc()))
        .load(conn)?;
    let all_referrals: Vec<Referral> = referrals::table
        .filter(referrals::case_id.eq(case_id))
        .select(Referral::as_select())
        .order((referrals::offered_on.asc(), referrals::recorded_at.asc()))
        .load(conn)?;
    let all_met: Vec<EntitlementRecord> = entitlements::table
        .filter(entitlements::case_id.eq(case_id))
        .select(EntitlementRecord::as_select())
        .order((entitlements::met_on.asc(), entitlements::recorded_at.asc()))
        .load(conn)?;
    Ok(people
        .into_iter()
        .map(|(relative_id, full_name, restricted_at)| {
            let referrals: Vec<Referral> = all_referrals
                .iter()
                .filter(|r| r.relative_id == relative_id)
                .cloned()
                .collect();
            let entitlements: Vec<EntitlementRecord> = all_met
                .iter()
                .filter(|e| e.relative_id == relative_id)
                .cloned()
                .collect();
            let met: Vec<Entitlement> = entitlements.iter().map(|e| e.entitlement).collect();
            let restricted = restricted_at.is_some();
            RelativeStanding {
                outstanding: if restricted {
                    Vec::new()
                } else {
                    outstanding_of(!referrals.is_empty(), &met)
                },
                relative_id,
                full_name,
                restricted,
                referrals,
                entitlements,
            }
        })
        .collect())
}

/// How many things are outstanding on each of these cases, for those with any: three
/// queries for every 500 cases.
pub fn outstanding_by_case(
    conn: &mut DbConn,
    case_ids: &[CaseId],
) -> QueryResult<HashMap<CaseId, usize>> {
    let mut out = HashMap::new();
    for chunk in case_ids.chunks(500) {
        let people: Vec<(RelativeId, CaseId)> = relatives_t::table
            .filter(relatives_t::case_id.eq_any(chunk))
            .filter(relatives_t::restricted_at.is_null())
            .select((relatives_t::id, relatives_t::case_id))
            .load(conn)?;
        let referred: Vec<RelativeId> = referrals::table
            .filter(referrals::case_id.eq_any(chunk))
            .select(referrals::relative_id)
            .load(conn)?;
        let met: Vec<(RelativeId, Entitlement)> = entitlements::table
            .filter(entitlements::case_id.eq_any(chunk))
            .select((entitlements::relative_id, entitlements::entitlement))
            .load(conn)?;
        for (relative, case) in people {
            let theirs: Vec<Entitlement> = met
                .iter()
                .filter(|(r, _)| *r == relative)
                .map(|(_, e)| *e)
                .collect();
            let n = outstanding_of(referred.contains(&relative), &theirs).len();
            if n > 0 {
                *out.entry(case).or_insert(0) += n;
            }
        }
    }
    Ok(out)
}

/// The relative, who must be of this case: 422 on `relative_id` otherwise.
fn relative_of_case(
    conn: &mut DbConn,
    case_id: &CaseId,
    relative: &RelativeId,
) -> Result<(), AppError> {
    relatives::find(conn, case_id, relative)?
        .map(drop)
        .ok_or_else(|| AppError::invalid("relative_id", "Choose a relative of this case."))
}

fn text(t: &Option<LimitedText>) -> Option<&str> {
    t.as_ref().map(LimitedText::as_str)
}

/// Records a referral offered to a relative.
pub fn refer(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    new: &NewReferral,
) -> Result<Referral, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        relative_of_case(conn, case_id, &new.relative_id)?;
        let id = new_row_id();
        diesel::insert_into(referrals::table)
            .values((
                referrals::id.eq(&id),
                referrals::case_id.eq(case_id),
                referrals::relative_id.eq(&new.relative_id),
                referrals::organisation.eq(new.organisation.as_str()),
                referrals::offered_on.eq(new.offered_on),
                referrals::outcome.eq(new.outcome),
                referrals::consent.eq(new.consent),
                referrals::note.eq(text(&new.note)),
                referrals::recorded_by.eq(&user.id),
                referrals::recorded_at.eq(db::now()),
            ))
            .execute(conn)?;
        audit::event(&Actor::Staff(user.id.clone()), "referral.record")
            .record("referral", &id)
            .case(case_id)
            .detail(new.outcome.as_str())
            .write(conn)?;
        Ok(referrals::table
            .find(&id)
            .select(Referral::as_select())
            .first(conn)?)
    })
}

/// Records an entitlement met for a relative.
pub fn meet(
    conn: &mut DbConn,
    user: &StaffUser,
    case_id: &CaseId,
    new: &NewEntitlement,
) -> Result<EntitlementRecord, AppError> {
    db::write(conn, |conn| {
        let case = access::require_visible(conn, user, case_id)?;
        require_open(&case)?;
        relative_of_case(conn, case_id, &new.relative_id)?;
        let id = new_row_id();
        diesel::insert_into(entitlements::table)
            .values((
                entitlements::id.eq(&id),
                entitlements::case_id.eq(case_id),
                entitlements::relative_id.eq(&new.relative_id),
                entitlements::entitlement.eq(new.entitlement),
                entitlements::met_on.eq(new.met_on),
                entitlements::note.eq(text(&new.note)),
                entitlements::recorded_by.eq(&user.id),
                entitlements::recorded_at.eq(db::now()),
            ))
            .execute(conn)?;
        audit::event(&Actor::Staff(user.id.clone()), "entitlement.record")
            .record("entitlement", &id)
            .case(case_id)
            .detail(new.entitlement.as_str())
            .write(conn)?;
        Ok(entitlements::table
            .find(&id)
            .select(EntitlementRecord::as_select())
            .first(conn)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_made_needs_no_offer_recorded_and_an_offer_waits_for_the_decision() {
        use Entitlement::*;
        let all = [
            Outstanding::SupportReferral,
            Outstanding::VpsOffer,
            Outstanding::ReviewRight,
            Outstanding::ComplaintRoute,
        ];
        assert_eq!(outstanding_of(false, &[]), all);
        assert_eq!(
            outstanding_of(true, &[VpsOffered, ReviewRightExplained]),
            [Outstanding::VpsDecision, Outstanding::ComplaintRoute]
        );
        assert!(
            outstanding_of(
                true,
                &[VpsDeclined, ReviewRightExplained, ComplaintRouteGiven]
            )
            .is_empty()
        );
    }
}
