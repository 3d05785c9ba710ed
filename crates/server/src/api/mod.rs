//! The JSON API under `/api/v1`. One file per area; each handler carries its
//! OpenAPI description, so the published document cannot drift from the code.

pub mod archives;
pub mod archives_audits;
pub mod audit;
pub mod auth;
pub mod backups;
pub mod calendar;
pub mod certificates;
pub mod complaints;
pub mod devices;
pub mod dossier;
pub mod labels;
pub mod orgs;
pub mod prefixes;
pub mod product_certs;
pub mod recalls;
pub mod records;
pub mod signin;
pub mod test_reports;
pub mod trace;
pub mod users;
pub mod webhooks;

use suyuan_store::users::{hash_password_bounded, Priority};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(orgs::register))
        .routes(routes!(orgs::create_organisation, orgs::list_organisations))
        .routes(routes!(orgs::get_organisation))
        .routes(routes!(orgs::verify))
        .routes(routes!(orgs::suspend))
        .routes(routes!(orgs::restore))
        .routes(routes!(orgs::list_duties))
        .routes(routes!(orgs::set_duty))
        .routes(routes!(prefixes::claim, prefixes::list))
        .routes(routes!(prefixes::verify))
        .routes(routes!(prefixes::reject))
        .routes(routes!(users::create_user, users::list_users))
        .routes(routes!(users::get_user, users::change_user))
        .routes(routes!(users::disable_user))
        .routes(routes!(users::enable_user))
        .routes(routes!(users::unlock_user))
        .routes(routes!(users::list_sessions))
        .routes(routes!(users::end_sessions))
        .routes(routes!(users::issue_password_reset))
        .routes(routes!(users::reset_password))
        .routes(routes!(users::change_password))
        .routes(routes!(users::create_api_key, users::list_api_keys))
        .routes(routes!(users::revoke_api_key))
        .routes(routes!(records::create_place, records::list_places))
        .routes(routes!(records::get_place, records::edit_place))
        .routes(routes!(records::place_history))
        .routes(routes!(records::deactivate_place))
        .routes(routes!(records::activate_place))
        .routes(routes!(records::create_product, records::list_products))
        .routes(routes!(records::get_product, records::edit_product))
        .routes(routes!(records::product_history))
        .routes(routes!(records::deactivate_product))
        .routes(routes!(records::activate_product))
        .routes(routes!(product_certs::list, product_certs::add))
        .routes(routes!(product_certs::withdraw))
        .routes(routes!(records::create_supplier, records::list_suppliers))
        .routes(routes!(records::get_supplier, records::edit_supplier))
        .routes(routes!(records::supplier_history))
        .routes(routes!(records::deactivate_supplier))
        .routes(routes!(records::activate_supplier))
        .routes(routes!(records::create_input, records::list_inputs))
        .routes(routes!(records::get_input, records::edit_input))
        .routes(routes!(records::input_history))
        .routes(routes!(records::deactivate_input))
        .routes(routes!(records::activate_input))
        .routes(routes!(records::create_purchase, records::list_purchases))
        .routes(routes!(records::get_purchase))
        .routes(routes!(trace::create_lot, trace::list_lots))
        .routes(routes!(trace::issue_items))
        .routes(routes!(trace::get_unit))
        .routes(routes!(trace::parse))
        .routes(routes!(trace::trace_back))
        .routes(routes!(trace::trace_forward))
        .routes(routes!(trace::export))
        .routes(routes!(labels::labels))
        .routes(routes!(certificates::issue, certificates::list))
        .routes(routes!(certificates::get))
        .routes(routes!(certificates::void))
        .routes(routes!(certificates::pdf))
        .routes(routes!(certificates::receive))
        .routes(routes!(test_reports::get))
        .routes(routes!(test_reports::pdf))
        .routes(routes!(recalls::start, recalls::list))
        .routes(routes!(recalls::get))
        .routes(routes!(recalls::act))
        .routes(routes!(recalls::export))
        .routes(routes!(recalls::report))
        .routes(routes!(dossier::dossier))
        .routes(routes!(calendar::set_day, calendar::days))
        .routes(routes!(complaints::file_complaint, complaints::complaint_inbox))
        .routes(routes!(complaints::complaint_status))
        .routes(routes!(complaints::update_complaint))
        .routes(routes!(devices::create_device, devices::list_devices))
        .routes(routes!(devices::get_device))
        .routes(routes!(devices::move_device))
        .routes(routes!(devices::attach_device))
        .routes(routes!(devices::detach_device))
        .routes(routes!(devices::device_attachments))
        .routes(routes!(devices::disable_device))
        .routes(routes!(devices::enable_device))
        .routes(routes!(devices::post_readings, devices::list_readings))
        .routes(routes!(devices::list_alerts))
        .routes(routes!(
            webhooks::set_webhook,
            webhooks::get_webhook,
            webhooks::delete_webhook
        ))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::get_delivery))
        .routes(routes!(backups::list_backups))
        .routes(routes!(audit::list_audit))
        .routes(routes!(audit::list_blocks))
        .routes(routes!(audit::lift_block))
        .merge(archives::router())
}

/// Hashes a password within the process-wide bound on argon2 work (503
/// `busy` when no permit comes in time). `Priority::Suspect` for anonymous
/// requests (registrations), `Clean` for signed-in callers.
pub async fn hash_password_blocking(password: String, priority: Priority) -> Result<String, ApiError> {
    Ok(hash_password_bounded(password, priority).await?)
}
