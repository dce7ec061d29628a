//! Relatives of a case: listing, adding, reading one and changing their details (versioned).

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use crate::casework::groups::Joining;
use crate::casework::input::{self, Picked, RelativeFields};
use crate::casework::limits;
use crate::casework::relatives::{self, Edited, RelativeInput};
use crate::casework::types::ContactChannel;
use crate::domain::raw::{self, ClockTime, OneLine, OptionalEmail, Phone, RequiredText, Text};
use crate::domain::{CaseId, FamilyGroupId, PersonName, RelativeId, Validator};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::web::api::ApiJson;
use crate::web::api::{OnCase, Reading};

use super::{Answer, created, on_case};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelativeBody {
    full_name: OneLine<{ PersonName::MAX_LEN }>,
    relationship: RequiredText<{ limits::RELATIONSHIP }>,
    email: Option<OptionalEmail>,
    phone: Option<Phone>,
    address: Option<Text<{ limits::ADDRESS }>>,
    preferred_channel: ContactChannel,
    #[serde(default = "default_lang")]
    language: Lang,
    #[serde(default)]
    point_of_contact: bool,
    #[serde(default = "yes")]
    notify_by_email: bool,
    /// No e-mails between start and end: both or neither, and not the same time.
    quiet_hours_start: Option<ClockTime>,
    quiet_hours_end: Option<ClockTime>,
    /// The version the change was made from: required to change a relative, not read when
    /// adding one.
    #[serde(default, deserialize_with = "raw::optional_whole")]
    version: Option<i64>,
    /// When adding: the family group they join. Leave out (with `new_family_group`) when the
    /// case has one group or none. A relative changes group by being moved, not edited.
    #[serde(default)]
    family_group_id: Option<FamilyGroupId>,
    /// When adding: the name of a new family group they are the first member and point of
    /// contact of, instead of `family_group_id`.
    #[serde(default)]
    new_family_group: Option<OneLine<{ limits::GROUP_NAME }>>,
}

/// The schema of the body that changes a relative: a `RelativeBody` that names the version
/// the change was made from.
pub struct RelativeChange;

impl utoipa::PartialSchema for RelativeChange {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AllOfBuilder, KnownFormat, ObjectBuilder, Ref, Type};
        AllOfBuilder::new()
            .item(Ref::from_schema_name(
                <RelativeBody as utoipa::ToSchema>::name(),
            ))
            .item(ObjectBuilder::new().required("version").property(
                "version",
                ObjectBuilder::new().schema_type(Type::Integer).format(Some(
                    utoipa::openapi::SchemaFormat::KnownFormat(KnownFormat::Int64),
                )),
            ))
            .into()
    }
}

impl utoipa::ToSchema for RelativeChange {}

fn default_lang() -> Lang {
    Lang::En
}

fn yes() -> bool {
    true
}

impl RelativeBody {
    /// The relative and the group they join, for adding them.
    fn parse_new(&self) -> Result<(RelativeInput, Joining), AppError> {
        let mut v = Validator::default();
        let input = self.fields(&mut v);
        let joining = input::joining(
            self.family_group_id.clone().into(),
            self.new_family_group.as_deref(),
            &mut v,
        );
        v.finish_api_with((|| Some((input?, joining?)))())
    }

    /// The relative's details, for changing them.
    fn parse(&self) -> Result<RelativeInput, AppError> {
        if self.family_group_id.is_some() || self.new_family_group.is_some() {
            return Err(AppError::invalid(
                "family_group_id",
                "A relative changes group by being moved (POST .../relatives/{relative_id}/move), not by an edit.",
            ));
        }
        let mut v = Validator::default();
        let input = self.fields(&mut v);
        v.finish_api_with(input)
    }

    fn fields(&self, v: &mut Validator) -> Option<RelativeInput> {
        input::relative(
            RelativeFields {
                full_name: &self.full_name,
                relationship: &self.relationship,
                email: self.email.as_deref(),
                phone: self.phone.as_deref(),
                address: self.address.as_deref(),
                preferred_channel: Picked::Given(self.preferred_channel),
                language: Picked::Given(self.language),
                point_of_contact: self.point_of_contact,
                notify_by_email: self.notify_by_email,
                quiet_hours_start: self.quiet_hours_start.as_deref(),
                quiet_hours_end: self.quiet_hours_end.as_deref(),
            },
            v,
        )
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/relatives",
    tag = "relatives",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "Relatives", body = [relatives::Relative]),
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn relatives_list((state, user, path): Reading<CaseId>) -> Answer {
    let id = path.into_inner();
    on_case(&state, user, id, "relatives", |conn, case| {
        Ok(relatives::list(conn, &case.id)?)
    })
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/relatives",
    tag = "relatives",
    params(("id" = CaseId, Path)),
    request_body = RelativeBody,
    responses(
        (status = 201, description = "Added", body = relatives::Relative),
        crate::web::api::errors::Conflicts,
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn relative_add(
    (state, user, path, body): OnCase<CaseId, ApiJson<RelativeBody>>,
) -> Answer {
    let (input, joining) = body.into_inner()?.parse_new()?;
    let (user, id) = (user.0, path.into_inner());
    let relative = state
        .db
        .run(move |conn| relatives::add(conn, &user, &id, &input, &joining))
        .await?;
    Ok(created(
        format!(
            "/api/v1/cases/{}/relatives/{}",
            relative.case_id, relative.id
        ),
        &relative,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/relatives/{relative_id}",
    tag = "relatives",
    params(("id" = CaseId, Path), ("relative_id" = RelativeId, Path)),
    responses(
        (status = 200, description = "The relative", body = relatives::Relative),
        crate::web::api::errors::CaseErrors,
    ),
)]
pub async fn relative_get((state, user, path): Reading<(CaseId, RelativeId)>) -> Answer {
    let (user, (id, relative)) = (user.0, path.into_inner());
    let found = state
        .db
        .run(move |conn| {
            crate::casework::read(conn, &user, &id, "relative")?;
            relatives::find(conn, &id, &relative)?.ok_or(AppError::NotFound)
        })
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StaleEdit {
    error: &'static str,
    message: &'static str,
    current: relatives::Relative,
}

#[utoipa::path(
    put,
    path = "/api/v1/cases/{id}/relatives/{relative_id}",
    tag = "relatives",
    params(("id" = CaseId, Path), ("relative_id" = RelativeId, Path)),
    request_body = RelativeChange,
    responses(
        (status = 200, description = "Saved", body = relatives::Relative),
        (status = 409, description = "Someone saved a change first; theirs is in `current`", body = StaleEdit),
        crate::web::api::errors::CaseErrors,
        crate::web::api::errors::BodyErrors,
    ),
)]
pub async fn relative_edit(
    (state, user, path, body): OnCase<(CaseId, RelativeId), ApiJson<RelativeBody>>,
) -> Answer {
    let body = body.into_inner()?;
    let version = body.version.ok_or_else(|| {
        AppError::invalid(
            "version",
            "Send the version you are changing (from the record you read).",
        )
    })?;
    let input = body.parse()?;
    let (user, (id, relative)) = (user.0, path.into_inner());
    match state
        .db
        .run(move |conn| relatives::edit(conn, &user, &id, &relative, version, &input))
        .await?
    {
        Edited::Saved(r) => Ok(HttpResponse::Ok().json(r)),
        Edited::Stale(current) => Ok(HttpResponse::Conflict().json(StaleEdit {
            error: "stale_edit",
            message: "Someone changed this record since you read it. Their version is in `current`; apply your change to it and send it again.",
            current,
        })),
    }
}
