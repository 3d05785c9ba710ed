//! The platform operator's console: the registration review queue with why
//! each entry is there (the credit code's checksum, the category, the ID
//! number's checks: `review_reason`), verify, suspend and restore with a
//! reason (each logged as the organisation's `org_record` by the store);
//! an organisation's users, of any organisation, with unlock and a one-time
//! password-reset token (the user sets the new password; the operator never
//! sees it; each logged as the user's state and listed for the
//! organisation's admin); and the platform's
//! health: database, schema version, the last integrity check, witnesses,
//! the last backups and their restore drills.
//! Everyone but the operator is refused (403) before anything is read.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use suyuan_core::model::OrgStatus;
use suyuan_store::orgs::{OrgFilter, Organisation, StatusChange};
use suyuan_store::PageRequest;
use uuid::Uuid;

use super::layout::{csrf_field, esc, page, table};
use super::{error_page, store_error, Console, PageResult, Posted, T};
use crate::error::ApiError;
use crate::AppState;

fn only_operator(c: &Console) -> Result<(), axum::response::Response> {
    c.caller.require_operator().map_err(|e| store_error(c.lang, e))
}

fn time(t: &chrono::DateTime<chrono::Utc>) -> String {
    super::layout::local_time(t, "+08:00")
}

/// Why a registration is in the queue, in words.
fn why(c: &Console, o: &Organisation) -> String {
    let mut parts = Vec::new();
    if !o.uscc_checksum_ok {
        parts.push(
            c.lang
                .pick("统一社会信用代码校验位不符", "credit code fails its checksum")
                .to_owned(),
        );
    }
    if let Some(r) = &o.review_reason {
        parts.push(r.clone());
    }
    if parts.is_empty() {
        parts.push(
            c.lang
                .pick("新注册，待核验", "new registration, to be verified")
                .to_owned(),
        );
    }
    esc(&parts.join("; "))
}

fn org_row(c: &Console, o: &Organisation) -> Vec<String> {
    vec![
        format!("<a href=\"/console/operator/orgs/{}\">{}</a>", o.id, esc(&o.name)),
        format!(
            "{}{}",
            esc(c.lang.pick(o.kind.zh(), o.kind.en())),
            o.producer_form
                .map(|f| format!(" · {}", esc(c.lang.pick(f.zh(), f.en()))))
                .unwrap_or_default()
        ),
        format!("<code>{}</code>", esc(o.uscc.as_deref().unwrap_or("—"))),
        esc(&o.region),
        why(c, o),
        esc(&time(&o.created_at)),
    ]
}

/// The review queue: pending registrations, then suspended organisations.
pub(crate) async fn queue(State(state): State<AppState>, c: Console) -> PageResult {
    only_operator(&c)?;
    let head = [
        c.t(T::Organisation),
        c.t(T::Kind),
        c.lang.pick("信用代码", "Credit code"),
        c.t(T::Region),
        c.t(T::Reason),
        c.t(T::Filed),
    ];
    let mut b = format!(
        "<h1>{}</h1><nav class=\"sub\"><a href=\"/console/operator/health\">{}</a></nav>",
        c.t(T::ReviewQueue),
        c.t(T::Health)
    );
    for (status, title) in [
        (OrgStatus::Pending, T::PendingOrgs),
        (OrgStatus::Suspended, T::SuspendedOrgs),
    ] {
        let filter = OrgFilter {
            status: Some(status),
            kind: None,
            needs_review: None,
        };
        let orgs = state
            .store
            .list_organisations(&c.caller, &filter, PageRequest::first(PageRequest::MAX_LIMIT))
            .await
            .map_err(|e| store_error(c.lang, e))?;
        let rows: Vec<Vec<String>> = orgs.items.iter().map(|o| org_row(&c, o)).collect();
        let _ = write!(
            b,
            "<div class=\"card\" id=\"{}\"><h2>{}</h2>",
            status.as_str(),
            c.t(title)
        );
        if rows.is_empty() {
            let _ = write!(b, "<p>{}</p>", c.t(T::NoneYet));
        } else {
            b.push_str(&table(&head, &rows));
        }
        b.push_str("</div>");
    }
    Ok(Html(page(&c, c.t(T::ReviewQueue), &b)).into_response())
}

/// The decisions open for an organisation in `status`.
fn decisions(status: OrgStatus) -> &'static [(&'static str, T)] {
    match status {
        OrgStatus::Pending => &[("verify", T::VerifyOrg), ("suspend", T::SuspendOrg)],
        OrgStatus::Verified => &[("suspend", T::SuspendOrg)],
        OrgStatus::Suspended => &[("restore", T::RestoreOrg)],
    }
}

/// An organisation: its facts, the decisions open, its users.
pub(crate) async fn organisation(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<Uuid>,
) -> PageResult {
    only_operator(&c)?;
    let err = |e| store_error(c.lang, e);
    let o = state.store.get_organisation(&c.caller, id).await.map_err(err)?;
    let mut b = format!(
        "<h1>{}</h1><div class=\"card\"><dl class=\"cols\">\
         <dt>{}</dt><dd id=\"org-status\">{}</dd><dt>{}</dt><dd><code>{}</code> {}</dd><dt>{}</dt><dd>{}</dd>\
         <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl></div>",
        esc(&o.name),
        c.t(T::Status),
        esc(c.lang.pick(o.status.zh(), o.status.en())),
        c.lang.pick("信用代码", "Credit code"),
        esc(o.uscc.as_deref().unwrap_or("—")),
        if o.uscc_checksum_ok { "✓" } else { "✗" },
        c.t(T::Reason),
        why(&c, &o),
        c.t(T::Region),
        esc(&o.region),
        c.lang.pick("法定代表人", "Legal representative"),
        esc(&format!(
            "{} {}",
            o.legal_rep_name.as_deref().unwrap_or(""),
            o.legal_rep_id_masked.as_deref().unwrap_or("")
        )),
        c.t(T::Contact),
        esc(&format!(
            "{} {}",
            o.contact_name.as_deref().unwrap_or(""),
            o.contact_phone.as_deref().unwrap_or("")
        )),
    );
    for (action, label) in decisions(o.status) {
        let _ = write!(
            b,
            "<form class=\"card\" method=\"post\" action=\"/console/operator/orgs/{id}/{action}\">{csrf}\
             <label for=\"reason-{action}\">{reason} <small>({req})</small></label>\
             <textarea id=\"reason-{action}\" name=\"reason\" maxlength=\"500\" required></textarea>\
             <button id=\"{action}-org\">{label}</button></form>",
            csrf = csrf_field(&c),
            reason = c.t(T::Reason),
            req = c.t(T::Required),
            label = c.t(*label),
        );
    }
    let users = state
        .store
        .list_users(&c.caller, id, PageRequest::first(PageRequest::MAX_LIMIT))
        .await
        .map_err(err)?;
    // The operator may rescue any organisation's accounts (unlock, reset):
    // each is logged and shown to the organisation's admin.
    let rows: Vec<Vec<String>> = users
        .items
        .iter()
        .map(|u| {
            let locked = u
                .locked_until
                .filter(|t| *t > chrono::Utc::now())
                .map(|t| format!("{} {}", c.t(T::LockedUntil), time(&t)))
                .unwrap_or_default();
            vec![
                esc(&u.username),
                esc(&u.display_name),
                esc(c.lang.pick(u.role.zh(), u.role.en())),
                esc(&locked),
                account_forms(&c, u),
            ]
        })
        .collect();
    let _ = write!(
        b,
        "<div class=\"card\"><h2>{}</h2><p><small>{}</small></p>{}</div>",
        c.t(T::Users),
        c.t(T::RescueNote),
        table(
            &[
                c.t(T::Username),
                c.t(T::DisplayName),
                c.t(T::Role),
                c.t(T::Status),
                ""
            ],
            &rows
        )
    );
    let rescues = state.store.account_rescues(&c.caller, id).await.map_err(err)?;
    b.push_str(&super::org::rescues_card(&c, &rescues));
    Ok(Html(page(&c, &o.name, &b)).into_response())
}

/// Unlock and reset forms for a user of any organisation.
fn account_forms(c: &Console, u: &suyuan_store::users::User) -> String {
    format!(
        "<form method=\"post\" action=\"/console/operator/users/{uid}/unlock\">{csrf}<button class=\"alt\">{unlock}</button></form>\
         <form method=\"post\" action=\"/console/operator/users/{uid}/reset\">{csrf}<button class=\"alt\">{reset}</button></form>",
        uid = u.id,
        csrf = csrf_field(c),
        unlock = c.t(T::Unlock),
        reset = c.t(T::ResetPassword),
    )
}

/// Verify, suspend or restore, with the reason the operator gives.
pub(crate) async fn decide(
    State(state): State<AppState>,
    Path((id, action)): Path<(Uuid, String)>,
    Posted(c, f): Posted,
) -> PageResult {
    only_operator(&c)?;
    let change = match action.as_str() {
        "verify" => StatusChange::Verify,
        "suspend" => StatusChange::Suspend,
        "restore" => StatusChange::Restore,
        _ => return Err(error_page(c.lang, ApiError::not_found("decision"))),
    };
    let Some(reason) = f.get("reason") else {
        return Err(error_page(
            c.lang,
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "reason_required",
                "every decision on an organisation states its reason",
                "对机构的每项决定都须注明原因",
            )
            .with_field("reason"),
        ));
    };
    state
        .store
        .change_organisation_status(&c.caller, id, change, Some(reason))
        .await
        .map_err(|e| store_error(c.lang, e))?;
    Ok(Redirect::to(&format!("/console/operator/orgs/{id}")).into_response())
}

/// The organisation of a user the operator acts on.
async fn user_org(state: &AppState, c: &Console, id: Uuid) -> Result<Uuid, axum::response::Response> {
    state
        .store
        .get_user(&c.caller, id)
        .await
        .map(|u| u.org_id)
        .map_err(|e| store_error(c.lang, e))
}

/// Lifts a user's sign-in lock.
pub(crate) async fn unlock(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted(c, _): Posted,
) -> PageResult {
    only_operator(&c)?;
    let org = user_org(&state, &c, id).await?;
    state
        .store
        .unlock_user(&c.caller, id)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    Ok(Redirect::to(&format!("/console/operator/orgs/{org}")).into_response())
}

/// Issues a one-time password-reset token, shown this once.
pub(crate) async fn reset(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted(c, _): Posted,
) -> PageResult {
    only_operator(&c)?;
    let org = user_org(&state, &c, id).await?;
    let t = state
        .store
        .issue_password_reset(&c.caller, id)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let link = super::reset::reset_link(&state.config.public_url, &t.token);
    let b = format!(
        "<h1>{}</h1><div class=\"card\"><p class=\"ok\">{}</p><p><code id=\"reset-link\">{}</code></p>\
         <p><small><code id=\"reset-token\">{}</code></small></p>\
         <p><small>{} {}</small></p><p><a href=\"/console/operator/orgs/{org}\">{}</a></p></div>",
        c.t(T::ResetPassword),
        c.t(T::ResetOnce),
        esc(&link),
        esc(&t.token),
        c.t(T::ValidUntil),
        esc(&time(&t.expires_at)),
        c.t(T::Organisation),
    );
    Ok(Html(page(&c, c.t(T::ResetPassword), &b)).into_response())
}

/// The platform's health.
pub(crate) async fn health(State(state): State<AppState>, c: Console) -> PageResult {
    only_operator(&c)?;
    let err = |e| store_error(c.lang, e);
    let (current, latest) = state.store.readiness().await.map_err(err)?;
    let check = state.store.latest_integrity_check().await.map_err(err)?;
    let witnesses = state.store.witness_states().await.map_err(err)?;
    let last_check = match &check {
        Some(k) => format!(
            "{} · {} · {} {} · {:.1} s{}",
            esc(&time(&k.started_at)),
            if k.ok {
                c.lang.pick("通过", "passed")
            } else {
                c.lang.pick("发现问题", "problems found")
            },
            k.leaves,
            c.lang.pick("条日志", "leaves"),
            k.seconds,
            k.first_problem
                .as_deref()
                .map(|p| format!("<br><span class=\"bad\">{}</span>", esc(p)))
                .unwrap_or_default()
        ),
        None => c.lang.pick("尚未运行", "never run").to_owned(),
    };
    let mut b = format!(
        "<h1>{}</h1><div class=\"card\"><dl class=\"cols\"><dt>{}</dt><dd id=\"backend\">{}</dd>\
         <dt>{}</dt><dd id=\"schema\">{current}{}</dd><dt>{}</dt><dd id=\"integrity\">{last_check}</dd></dl></div>",
        c.t(T::Health),
        c.lang.pick("数据库", "Database"),
        esc(state.store.backend_name()),
        c.lang.pick("数据库结构版本", "Schema version"),
        if current == latest {
            String::new()
        } else {
            format!(" <span class=\"bad\">(≠ {latest})</span>")
        },
        c.lang.pick("最近一次完整性检查", "Last integrity check"),
    );
    let rows: Vec<Vec<String>> = witnesses
        .iter()
        .map(|w| {
            vec![
                format!(
                    "<code>{}</code>",
                    esc(w.vkey.split('+').next().unwrap_or(&w.vkey))
                ),
                esc(&w.url),
                w.size.to_string(),
                esc(w.last_error.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    let _ = write!(
        b,
        "<div class=\"card\" id=\"witnesses\"><h2>{}</h2>{}</div>",
        c.lang.pick("见证方", "Witnesses"),
        if rows.is_empty() {
            c.t(T::NoneYet).to_owned()
        } else {
            table(
                &[
                    c.t(T::Name),
                    c.lang.pick("地址", "Address"),
                    c.lang.pick("已联署的日志长度", "Last cosigned size"),
                    c.lang.pick("最近错误", "Last error"),
                ],
                &rows,
            )
        }
    );
    b.push_str(&super::backups::section(&state, &c).await.map_err(err)?);
    Ok(Html(page(&c, c.t(T::Health), &b)).into_response())
}
