//! The organisation: its profile and verification status, its duties, its
//! users (create, change role, disable) and its API keys (create, revoke).
//! Each action calls the store exactly as the API's handler does (a new
//! user's password is checked and hashed the same way), so the same caller
//! may do the same things: an organisation admin administers its own
//! organisation, anyone else is refused with the API's error. The admin
//! also sees every unlock and password reset issued for its users, the
//! platform operator's included.

use std::fmt::Write as _;

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect};
use suyuan_core::model::{OrgStatus, Role};
use suyuan_store::users::{NewUser, Priority, UserChange};

use super::layout::{csrf_field, esc, local_time, page, select, table};
use super::recordform::PICK;
use super::{error_page, store_error, Console, PageResult, Posted, T};
use crate::api::hash_password_blocking;
use crate::error::ApiError;
use crate::extract::Id;
use crate::AppState;

fn roles(c: &Console) -> Vec<(String, String)> {
    c.caller
        .org_kind
        .allowed_roles()
        .iter()
        .map(|r| (r.as_str().to_owned(), c.lang.pick(r.zh(), r.en()).to_owned()))
        .collect()
}

/// The organisation's page; `new_key` is the secret of a key just created,
/// shown this once.
async fn org_page(state: &AppState, c: &Console, new_key: Option<&str>) -> PageResult {
    let err = |e| store_error(c.lang, e);
    let s = &state.store;
    let org = s
        .get_organisation(&c.caller, c.caller.org_id)
        .await
        .map_err(err)?;
    let duties = s.list_duties(&c.caller, c.caller.org_id).await.map_err(err)?;
    let lang = c.lang;
    let mut b = format!(
        "<h1>{}</h1><div class=\"card\"><dl class=\"cols\">",
        esc(&org.name)
    );
    let status = match org.status {
        OrgStatus::Verified => format!(
            "<span class=\"ok\" id=\"org-status\">{}</span>",
            esc(lang.pick(org.status.zh(), org.status.en()))
        ),
        other => format!(
            "<span class=\"bad\" id=\"org-status\">{}</span>",
            esc(lang.pick(other.zh(), other.en()))
        ),
    };
    let _ = write!(b, "<dt>{}</dt><dd>{status}</dd>", c.t(T::Status));
    for (label, value) in [
        (
            c.t(T::Kind),
            Some(lang.pick(org.kind.zh(), org.kind.en()).to_owned()),
        ),
        (
            c.t(T::Reason),
            org.status_reason.clone().or(org.review_reason.clone()),
        ),
        ("USCC", org.uscc.clone()),
        (c.t(T::Region), Some(org.region.clone())),
        (c.t(T::Address), org.address.clone()),
        (c.t(T::Contact), org.contact_name.clone()),
    ] {
        if let Some(v) = value {
            let _ = write!(b, "<dt>{}</dt><dd>{}</dd>", esc(label), esc(&v));
        }
    }
    b.push_str("</dl></div>");
    let _ = write!(b, "<div class=\"card\"><h2>{}</h2>", c.t(T::Duties));
    let rows: Vec<Vec<String>> = duties
        .iter()
        .map(|d| {
            vec![
                esc(lang.pick(d.duty.zh(), d.duty.en())),
                esc(&d.person_name),
                esc(d.phone.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    if rows.is_empty() {
        let _ = write!(b, "<p>{}</p>", c.t(T::NoneYet));
    } else {
        b.push_str(&table(&[c.t(T::Duties), c.t(T::Person), c.t(T::Phone)], &rows));
    }
    b.push_str("</div>");
    b.push_str(&users_card(state, c).await?);
    if c.caller.role == Role::OrgAdmin {
        let rescues = s.account_rescues(&c.caller, c.caller.org_id).await.map_err(err)?;
        b.push_str(&rescues_card(c, &rescues));
    }
    b.push_str(&keys_card(state, c, new_key).await?);
    Ok(Html(page(c, &org.name, &b)).into_response())
}

/// The unlocks and password resets issued for the organisation's users,
/// with who issued them (the platform operator's, too), for its admin.
pub(crate) fn rescues_card(c: &Console, rescues: &[suyuan_store::users::AccountRescue]) -> String {
    let rows: Vec<Vec<String>> = rescues
        .iter()
        .map(|r| {
            let action = match r.action.as_str() {
                "unlocked" => c.lang.pick("解除锁定", "unlocked"),
                _ => c.lang.pick("签发密码重置", "password reset issued"),
            };
            vec![
                esc(&local_time(&r.at, "+08:00")),
                esc(&r.username),
                esc(action),
                esc(&format!(
                    "{} · {}",
                    r.by_org.as_deref().unwrap_or_default(),
                    r.by_user.as_deref().unwrap_or_default()
                )),
            ]
        })
        .collect();
    let body = if rows.is_empty() {
        format!("<p>{}</p>", c.t(T::NoneYet))
    } else {
        table(
            &[
                c.t(T::Time),
                c.t(T::Username),
                c.lang.pick("操作", "Action"),
                c.lang.pick("操作人", "By"),
            ],
            &rows,
        )
    };
    format!(
        "<div class=\"card\" id=\"account-rescues\"><h2>{}</h2>{body}</div>",
        c.lang
            .pick("账户解锁与密码重置记录", "Unlocks and password resets")
    )
}

async fn users_card(state: &AppState, c: &Console) -> Result<String, axum::response::Response> {
    let users = state
        .store
        .list_users(&c.caller, c.caller.org_id, PICK)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let roles = roles(c);
    let mut b = format!("<div class=\"card\"><h2>{}</h2>", c.t(T::Users));
    let rows: Vec<Vec<String>> = users
        .items
        .iter()
        .map(|u| {
            let state = if u.disabled { c.t(T::Disabled) } else { "" };
            let role_form = format!(
                "<form method=\"post\" action=\"/console/org/users/{}/role\">{}{}<button class=\"alt\">{}</button></form>",
                u.id,
                csrf_field(c),
                select(c, "role", &roles, u.role.as_str()),
                c.t(T::ChangeRole)
            );
            let disable = if u.disabled || u.id == c.caller.user_id {
                String::new()
            } else {
                format!(
                    "<form method=\"post\" action=\"/console/org/users/{}/disable\">{}<button class=\"alt\">{}</button></form>",
                    u.id,
                    csrf_field(c),
                    c.t(T::Disable)
                )
            };
            vec![esc(&u.username), esc(&u.display_name), role_form, format!("{}{disable}", esc(state))]
        })
        .collect();
    b.push_str(&table(
        &[
            c.t(T::Username),
            c.t(T::DisplayName),
            c.t(T::Role),
            c.t(T::Status),
        ],
        &rows,
    ));
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/console/org/users\">{csrf}<h2>{h}</h2>\
         <label for=\"new-username\">{u}</label><input id=\"new-username\" name=\"username\" autocomplete=\"off\">\
         <label for=\"display_name\">{d}</label><input id=\"display_name\" name=\"display_name\">\
         <label for=\"new-password\">{p}</label><input id=\"new-password\" name=\"password\" type=\"password\" autocomplete=\"new-password\">\
         <label for=\"role\">{r}</label>{roles}<button>{go}</button></form></div>",
        csrf = csrf_field(c),
        h = c.t(T::NewUser),
        u = c.t(T::Username),
        d = c.t(T::DisplayName),
        p = c.t(T::Password),
        r = c.t(T::Role),
        roles = select(c, "role", &roles, "recorder"),
        go = c.t(T::Create),
    );
    Ok(b)
}

async fn keys_card(
    state: &AppState,
    c: &Console,
    new_key: Option<&str>,
) -> Result<String, axum::response::Response> {
    let keys = state
        .store
        .list_api_keys(&c.caller, PICK)
        .await
        .map_err(|e| store_error(c.lang, e))?;
    let mut b = format!("<div class=\"card\"><h2>{}</h2>", c.t(T::ApiKeys));
    if let Some(secret) = new_key {
        let _ = write!(
            b,
            "<p class=\"ok\">{}<br><code id=\"new-key\">{}</code></p>",
            c.t(T::KeyOnce),
            esc(secret)
        );
    }
    let rows: Vec<Vec<String>> = keys
        .items
        .iter()
        .map(|k| {
            let action = match k.revoked_at {
                Some(t) => format!("{} {}", c.t(T::Revoked), esc(&local_time(&t, "+08:00"))),
                None => format!(
                    "<form method=\"post\" action=\"/console/org/keys/{}/revoke\">{}<button class=\"alt\">{}</button></form>",
                    k.id,
                    csrf_field(c),
                    c.t(T::Revoke)
                ),
            };
            vec![esc(&k.name), format!("<code>{}…</code>", esc(&k.prefix)), esc(&local_time(&k.created_at, "+08:00")), action]
        })
        .collect();
    if !rows.is_empty() {
        b.push_str(&table(&[c.t(T::Name), c.t(T::Prefix), c.t(T::Time), ""], &rows));
    }
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/console/org/keys\">{}<label for=\"key-name\">{}</label>\
         <input id=\"key-name\" name=\"name\"><button>{}</button></form></div>",
        csrf_field(c),
        c.t(T::Name),
        c.t(T::Create)
    );
    Ok(b)
}

pub(crate) async fn show(State(state): State<AppState>, c: Console) -> PageResult {
    org_page(&state, &c, None).await
}

fn role_of(c: &Console, raw: &str) -> Result<Role, axum::response::Response> {
    Role::parse(raw).map_err(|e| {
        error_page(
            c.lang,
            ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, e.code, e.en, e.zh)
                .with_field("role"),
        )
    })
}

/// Creates a user, checked and hashed as the API does.
pub(crate) async fn create_user(State(state): State<AppState>, Posted(c, f): Posted) -> PageResult {
    let new = NewUser {
        username: f.text("username"),
        display_name: f.text("display_name"),
        password: f
            .0
            .iter()
            .find(|(k, _)| k == "password")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
        role: role_of(&c, f.get("role").unwrap_or(""))?,
        jurisdiction: None,
    };
    let err = |e| store_error(c.lang, e);
    state
        .store
        .check_new_user(&c.caller, c.caller.org_id, &new)
        .await
        .map_err(err)?;
    let hash = hash_password_blocking(new.password.clone(), Priority::Clean)
        .await
        .map_err(|e| error_page(c.lang, e))?;
    state
        .store
        .create_user(&c.caller, c.caller.org_id, &new, &hash)
        .await
        .map_err(err)?;
    Ok(Redirect::to("/console/org").into_response())
}

pub(crate) async fn change_role(
    State(state): State<AppState>,
    Id(id): Id,
    Posted(c, f): Posted,
) -> PageResult {
    let change = UserChange {
        role: Some(role_of(&c, f.get("role").unwrap_or(""))?),
        display_name: None,
        jurisdiction: None,
    };
    back(&c, state.store.change_user(&c.caller, id, &change).await)
}

pub(crate) async fn disable_user(
    State(state): State<AppState>,
    Id(id): Id,
    Posted(c, _): Posted,
) -> PageResult {
    back(&c, state.store.disable_user(&c.caller, id).await)
}

/// Creates an API key acting as the signed-in user; its secret is shown once.
pub(crate) async fn create_key(State(state): State<AppState>, Posted(c, f): Posted) -> PageResult {
    let key = state
        .store
        .create_api_key(&c.caller, &f.text("name"))
        .await
        .map_err(|e| store_error(c.lang, e))?;
    org_page(&state, &c, Some(&key.secret)).await
}

pub(crate) async fn revoke_key(
    State(state): State<AppState>,
    Id(id): Id,
    Posted(c, _): Posted,
) -> PageResult {
    back(&c, state.store.revoke_api_key(&c.caller, id).await)
}

/// Back to the organisation's page once the store has done it.
fn back<T>(c: &Console, done: Result<T, suyuan_store::StoreError>) -> PageResult {
    done.map_err(|e| store_error(c.lang, e))?;
    Ok(Redirect::to("/console/org").into_response())
}
