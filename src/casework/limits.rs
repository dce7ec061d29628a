//! The length limit of every free-text field a person fills in on a case. Beyond a limit the
//! input is refused with 422 and a message naming the limit; README.md lists them.

pub const DECEASED_NAME: usize = 200;
pub const CIRCUMSTANCES: usize = 20_000;
pub const NEED: usize = 500;
pub const DISCUSSION: usize = 20_000;
pub const FAMILY_SUMMARY: usize = 5_000;
pub const AGREED_ACTIONS: usize = 5_000;
pub const UPDATE_TITLE: usize = 200;
pub const UPDATE_BODY: usize = 10_000;
pub const PURPOSE: usize = 500;
pub const PLACE: usize = 300;
/// What the family reads of an appointment: its title and a note.
pub const FAMILY_TITLE: usize = 200;
pub const FAMILY_NOTE: usize = 1_000;
pub const REASON: usize = 1_000;
/// Why a relative's portal access is suspended.
pub const SUSPENSION_REASON: usize = 500;
pub const EXIT_PLAN_PART: usize = 2_000;
pub const PROPERTY_DESCRIPTION: usize = 500;
pub const RECEIVED_BY: usize = 200;
pub const NOTE: usize = 2_000;
pub const RELATIONSHIP: usize = 100;
/// A family group's name ("the mother and stepfather").
pub const GROUP_NAME: usize = 100;
/// An organisation's name (a support service, an agency).
pub const ORGANISATION: usize = 200;
/// An operation's name ("Operation Birch").
pub const OPERATION_NAME: usize = 200;
/// Why a relative is restricted, or why the restriction is lifted.
pub const RESTRICTION_REASON: usize = 1_000;
pub const ADDRESS: usize = 500;
pub const WORKING_HOURS: usize = 200;
pub const PREFERRED_HOURS: usize = 200;
/// Follow-ups created from one contact record.
pub const ACTIONS_PER_CONTACT: usize = 10;
/// Contact durations, in minutes.
pub const MAX_DURATION_MINUTES: i32 = 1_440;
/// Contact plan interval, in hours (90 days).
pub const MAX_PLAN_INTERVAL_HOURS: i32 = 2_160;
