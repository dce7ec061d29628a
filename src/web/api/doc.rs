//! The OpenAPI document of `/api/v1`, generated from the handlers' annotations, so that it
//! cannot drift from the code: a test checks that every API route is in it and that real
//! answers match their schemas.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::web::api::errors::ApiError;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Liaison API",
        description = "Family liaison records and communication. Sign in with POST /api/v1/auth/token and send the token as `Authorization: Bearer ...`. Times are UTC in RFC 3339; dates are YYYY-MM-DD.",
    ),
    paths(
        crate::web::api::auth::issue_token,
        crate::web::api::auth::revoke_token,
        crate::web::api::auth::me,
        crate::web::api::accounts::list_users,
        crate::web::api::accounts::create_user,
        crate::web::api::accounts::get_user,
        crate::web::api::accounts::update_user,
        crate::web::api::accounts::deactivate_user,
        crate::web::api::accounts::reactivate_user,
        crate::web::api::accounts::list_teams,
        crate::web::api::accounts::create_team,
        crate::web::api::accounts::get_team,
        crate::web::api::accounts::add_member,
        crate::web::api::accounts::remove_member,
        crate::web::api::accounts::audit_log,
        crate::web::inbox::api_list,
        crate::web::inbox::api_read,
        crate::web::inbox::api_read_all,
        crate::web::outbox::api_list,
        crate::web::outbox::api_retry,
        crate::web::api::cases::follow_ups::my_follow_ups,
        crate::web::api::cases::list,
        crate::web::api::cases::open,
        crate::web::api::cases::get,
        crate::web::api::cases::close,
        crate::web::api::cases::reopen,
        crate::web::api::cases::plans,
        crate::web::api::cases::set_plan,
        crate::web::api::cases::timeline,
        crate::web::api::cases::export,
        crate::web::api::operations::operations_list,
        crate::web::api::operations::operation_create,
        crate::web::api::operations::operation_get,
        crate::web::api::operations::case_add,
        crate::web::api::operations::case_remove,
        crate::web::api::operations::merge,
        crate::web::api::cases::assignments::assignments_list,
        crate::web::api::cases::assignments::assign,
        crate::web::api::cases::assignments::end_assignment,
        crate::web::api::cases::relatives::relatives_list,
        crate::web::api::cases::relatives::relative_add,
        crate::web::api::cases::relatives::relative_get,
        crate::web::api::cases::relatives::relative_edit,
        crate::web::api::cases::contacts::contacts_list,
        crate::web::api::cases::contacts::contact_log,
        crate::web::api::cases::contacts::contact_get,
        crate::web::api::cases::contacts::amendments_list,
        crate::web::api::cases::contacts::amend,
        crate::web::api::cases::follow_ups::follow_ups_list,
        crate::web::api::cases::follow_ups::follow_up_create,
        crate::web::api::cases::follow_ups::follow_up_complete,
        crate::web::api::cases::follow_ups::follow_up_cancel,
        crate::web::api::cases::follow_ups::follow_up_reassign,
        crate::web::api::cases::follow_ups::follow_up_reschedule,
        crate::web::api::cases::updates::updates_list,
        crate::web::api::cases::updates::update_post,
        crate::web::api::cases::updates::update_post_to_operation,
        crate::web::api::cases::property::property_list,
        crate::web::api::cases::property::property_add,
        crate::web::api::cases::property::property_move,
        crate::web::api::dashboard::timeliness,
        crate::web::api::settings::get_targets,
        crate::web::api::settings::put_targets,
        crate::web::api::support::support_list,
        crate::web::api::support::support_add,
        crate::web::api::support::support_edit,
        crate::web::api::support::support_remove,
        crate::web::api::messages::thread,
        crate::web::api::messages::send,
        crate::web::api::messages::acknowledge,
        crate::web::api::messages::close,
        crate::web::api::messages::waiting,
        crate::web::api::messages::invite,
        crate::web::api::messages::suspend,
        crate::web::api::cases::groups::groups_list,
        crate::web::api::cases::groups::group_create,
        crate::web::api::cases::groups::relative_move,
        crate::web::api::cases::groups::restrict,
        crate::web::api::cases::groups::lift,
        crate::web::api::cases::groups::restriction_history,
        crate::web::api::cases::milestones::milestones_get,
        crate::web::api::cases::support::agencies_list,
        crate::web::api::cases::support::agency_add,
        crate::web::api::cases::support::agency_end,
        crate::web::api::cases::support::entitlements_list,
        crate::web::api::cases::support::referral_record,
        crate::web::api::cases::support::entitlement_record,
        crate::web::api::cases::milestones::type_change,
        crate::web::api::cases::milestones::not_needed,
        crate::web::api::cases::milestones::needed,
        crate::web::api::messages::reinstate,
        crate::web::api::family::sign_in::request_link,
        crate::web::api::family::sign_in::issue_token,
        crate::web::api::family::sign_in::refresh_token,
        crate::web::api::family::sign_in::revoke_token,
        crate::web::api::family::sign_in::sign_out_everywhere,
        crate::web::api::family::reading::case,
        crate::web::api::family::reading::timeline,
        crate::web::api::family::reading::timeline_read,
        crate::web::api::family::reading::contacts,
        crate::web::api::family::reading::agencies,
        crate::web::api::family::reading::referrals,
        crate::web::api::family::reading::appointments,
        crate::web::api::family::reading::appointment_calendar,
        crate::web::api::family::reading::appointment_answer,
        crate::web::api::family::reading::help,
        crate::web::api::family::reading::property,
        crate::web::api::family::reading::notices,
        crate::web::api::family::reading::notices_read,
        crate::web::api::family::messages::messages_list,
        crate::web::api::family::messages::messages_read,
        crate::web::api::family::messages::message_send,
        crate::web::api::family::preferences::preferences,
        crate::web::api::family::preferences::preferences_save,
    ),
    components(schemas(ApiError)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`: the document, built once.
pub async fn openapi_json() -> HttpResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    let body = DOC.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_else(|_| "{}".into()));
    HttpResponse::Ok()
        .insert_header(("Content-Type", "application/json"))
        .insert_header(("Cache-Control", "no-cache"))
        .body(body.clone())
}
