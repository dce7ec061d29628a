//! The families' support list: the organisations and numbers on every family's help page.

use crate::auth::AdminUser;
use crate::auth::csrf::CsrfForm;
use crate::domain::{SupportOrganisationId, Validator};
use crate::error::AppError;
use crate::family::support::{self, SupportFields, SupportOrganisation};
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::pages::Incoming;
use crate::web::pages::{SavedQuery, see_other};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::form_page;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct SupportForm {
    name: String,
    name_cy: String,
    description: String,
    description_cy: String,
    phone: String,
    website: String,
    hours: String,
    position: String,
}

impl SupportForm {
    fn fields(&self) -> SupportFields<'_> {
        SupportFields {
            name: &self.name,
            name_cy: Some(&self.name_cy),
            description: &self.description,
            description_cy: Some(&self.description_cy),
            phone: Some(&self.phone),
            website: Some(&self.website),
            hours: Some(&self.hours),
            position: Some(&self.position),
        }
    }

    fn of(o: &SupportOrganisation) -> SupportForm {
        SupportForm {
            name: o.name.clone(),
            name_cy: o.name_cy.clone().unwrap_or_default(),
            description: o.description.clone(),
            description_cy: o.description_cy.clone().unwrap_or_default(),
            phone: o.phone.clone().unwrap_or_default(),
            website: o.website.clone().unwrap_or_default(),
            hours: o.hours.clone().unwrap_or_default(),
            position: o.position.to_string(),
        }
    }
}

#[derive(Serialize)]
struct SupportPage<'a> {
    entries: Vec<SupportOrganisation>,
    form: &'a SupportForm,
    /// The entry being changed, on its own page.
    editing: Option<SupportOrganisationId>,
    errors: FormErrors,
    saved: bool,
}

async fn support_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    editing: Option<&SupportOrganisationId>,
    sent: Option<(&SupportForm, FormErrors)>,
    saved: bool,
) -> Result<HttpResponse, AppError> {
    let entries = state.db.run(|conn| Ok(support::list(conn)?)).await?;
    let shown = match editing {
        Some(id) => SupportForm::of(
            entries
                .iter()
                .find(|e| &e.id == id)
                .ok_or(AppError::NotFound)?,
        ),
        None => SupportForm::default(),
    };
    let (form, errors) = sent.unzip();
    let (template, title) = match editing {
        Some(_) => ("pages/admin/support_entry", "Change a support organisation"),
        None => ("pages/admin/support", "Support for families"),
    };
    Ok(form_page(req, admin, template, title, errors, |errors| {
        SupportPage {
            entries,
            form: form.unwrap_or(&shown),
            editing: editing.cloned(),
            errors,
            saved,
        }
    }))
}

pub async fn support_list(
    (req, state): Incoming,
    admin: AdminUser,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    support_page(&req, &state, &admin, None, None, query.saved.is_some()).await
}

pub async fn support_entry(
    (req, state): Incoming,
    admin: AdminUser,
    path: web::Path<SupportOrganisationId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    support_page(&req, &state, &admin, Some(&id), None, false).await
}

/// Adds an entry (`editing` none) or changes one, from the form.
async fn save(
    (req, state): Incoming,
    admin: AdminUser,
    editing: Option<SupportOrganisationId>,
    form: CsrfForm<SupportForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner()?;
    let mut v = Validator::default();
    let input = form.fields().parse(&mut v);
    let input = match v.finish_with(input) {
        Ok(input) => input,
        Err(Ok(errors)) => {
            let sent = Some((&form, errors));
            return support_page(&req, &state, &admin, editing.as_ref(), sent, false).await;
        }
        Err(Err(e)) => return Err(e),
    };
    let by = admin.id.clone();
    state
        .db
        .run(move |conn| match &editing {
            Some(id) => support::edit(conn, &by, id, &input),
            None => support::add(conn, &by, &input),
        })
        .await?;
    Ok(see_other("/admin/support?saved=1"))
}

pub async fn support_add(
    incoming: Incoming,
    admin: AdminUser,
    form: CsrfForm<SupportForm>,
) -> Result<HttpResponse, AppError> {
    save(incoming, admin, None, form).await
}

pub async fn support_edit(
    incoming: Incoming,
    admin: AdminUser,
    path: web::Path<SupportOrganisationId>,
    form: CsrfForm<SupportForm>,
) -> Result<HttpResponse, AppError> {
    save(incoming, admin, Some(path.into_inner()), form).await
}

pub async fn support_remove(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<SupportOrganisationId>,
    form: CsrfForm<crate::web::staff::account::EmptyForm>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    let (by, id) = (admin.id.clone(), path.into_inner());
    state
        .db
        .run(move |conn| support::remove(conn, &by, &id))
        .await?;
    Ok(see_other("/admin/support?saved=1"))
}
