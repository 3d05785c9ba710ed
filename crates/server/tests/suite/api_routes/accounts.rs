//! Signing in and out, users and their administration, passwords, API keys.

use super::{nobodys, Calls, Op};
use crate::common::*;
use serde_json::{json, Value};

const LOGIN: Op = ("POST", "/api/v1/auth/login");
const LOGOUT: Op = ("POST", "/api/v1/auth/logout");
const ME: Op = ("GET", "/api/v1/auth/me");
const OWN_PASSWORD: Op = ("POST", "/api/v1/auth/password");
const RESET_PASSWORD: Op = ("POST", "/api/v1/auth/password-reset");
const CREATE_USER: Op = ("POST", "/api/v1/organisations/{id}/users");
const LIST_USERS: Op = ("GET", "/api/v1/organisations/{id}/users");
const GET_USER: Op = ("GET", "/api/v1/users/{id}");
const CHANGE_USER: Op = ("PATCH", "/api/v1/users/{id}");
const DISABLE: Op = ("POST", "/api/v1/users/{id}/disable");
const ENABLE: Op = ("POST", "/api/v1/users/{id}/enable");
const UNLOCK: Op = ("POST", "/api/v1/users/{id}/unlock");
const ISSUE_RESET: Op = ("POST", "/api/v1/users/{id}/password-reset");
const SESSIONS: Op = ("GET", "/api/v1/users/{id}/sessions");
const END_SESSIONS: Op = ("POST", "/api/v1/users/{id}/sign-out");
const CREATE_KEY: Op = ("POST", "/api/v1/api-keys");
const LIST_KEYS: Op = ("GET", "/api/v1/api-keys");
const REVOKE_KEY: Op = ("DELETE", "/api/v1/api-keys/{id}");

pub(super) const OPS: &[Op] = &[
    LOGIN,
    LOGOUT,
    ME,
    OWN_PASSWORD,
    RESET_PASSWORD,
    CREATE_USER,
    LIST_USERS,
    GET_USER,
    CHANGE_USER,
    DISABLE,
    ENABLE,
    UNLOCK,
    ISSUE_RESET,
    SESSIONS,
    END_SESSIONS,
    CREATE_KEY,
    LIST_KEYS,
    REVOKE_KEY,
];

const RESET_TO: &str = "Reset-Pass-2026";
const CHANGED_TO: &str = "Changed-Pass-2027";

/// The usernames of a list of users.
fn usernames(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect()
}

/// Signing in, the caller's identity, signing out.
async fn sign_in_and_out(calls: &Calls<'_>, app: &TestApp, org_id: uuid::Uuid) {
    let (status, login) = calls
        .call(
            LOGIN,
            LOGIN.1,
            None,
            Some(json!({"username": "routes.acc", "password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{login}");
    let session = login["token"].as_str().unwrap().to_owned();
    assert!(session.starts_with("sys_"), "{login}");
    assert_eq!(login["me"]["username"], "routes.acc");
    assert_eq!(login["me"]["org_id"], org_id.to_string());

    let me = calls.expect(ME, ME.1, &session, None, 200).await;
    assert_eq!(me["username"], "routes.acc");
    assert_eq!(me["org_id"], org_id.to_string());
    assert_eq!(me["role"], "org_admin");
    assert_eq!(me["org_status"], "verified");

    calls.expect(LOGOUT, LOGOUT.1, &session, None, 204).await;
    assert_eq!(app.get(ME.1, &session).await.0.as_u16(), 401, "signed out");
}

/// The admin manages a recorder; another organisation's admin reaches none
/// of it.
async fn users(calls: &Calls<'_>, app: &TestApp, org_id: uuid::Uuid, admin: &str, other: &str) -> String {
    let users = format!("/api/v1/organisations/{org_id}/users");
    let nobodys_users = format!("/api/v1/organisations/{}/users", nobodys());
    let new_user = json!({"username": "routes.acc.rec", "display_name": "记录员", "password": USER_PASSWORD, "role": "recorder"});
    calls
        .foreign(CREATE_USER, &users, &nobodys_users, other, Some(new_user.clone()))
        .await;
    let rec = calls
        .expect(CREATE_USER, &users, admin, Some(new_user), 201)
        .await;
    assert_eq!(rec["username"], "routes.acc.rec");
    assert_eq!(rec["role"], "recorder");
    assert_eq!(rec["org_id"], org_id.to_string());
    assert_eq!(rec["disabled"], false);
    let rec_id = rec["id"].as_str().unwrap().to_owned();

    let list = calls.expect(LIST_USERS, &users, admin, None, 200).await;
    let mut names = usernames(&list);
    names.sort_unstable();
    assert_eq!(names, ["routes.acc", "routes.acc.rec"]);
    calls
        .foreign(LIST_USERS, &users, &nobodys_users, other, None)
        .await;

    let user = format!("/api/v1/users/{rec_id}");
    let unknown = format!("/api/v1/users/{}", nobodys());
    let got = calls.expect(GET_USER, &user, admin, None, 200).await;
    assert_eq!(got["username"], "routes.acc.rec");
    assert_eq!(got["display_name"], "记录员");
    calls.foreign(GET_USER, &user, &unknown, other, None).await;

    let change = json!({"display_name": "田间记录员"});
    calls
        .foreign(CHANGE_USER, &user, &unknown, other, Some(change.clone()))
        .await;
    let changed = calls.expect(CHANGE_USER, &user, admin, Some(change), 200).await;
    assert_eq!(changed["display_name"], "田间记录员");
    assert_eq!(changed["role"], "recorder", "only what was given changes");

    // Its sessions, its locks, disabling and enabling it.
    let rec_token = app.login("routes.acc.rec", USER_PASSWORD).await;
    let sessions = format!("{user}/sessions");
    let listed = calls.expect(SESSIONS, &sessions, admin, None, 200).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert!(listed[0]["expires_at"].as_str() > listed[0]["created_at"].as_str());
    calls
        .foreign(SESSIONS, &sessions, &format!("{unknown}/sessions"), other, None)
        .await;
    for (op, action) in [(UNLOCK, "unlock"), (DISABLE, "disable"), (ENABLE, "enable")] {
        calls
            .foreign(
                op,
                &format!("{user}/{action}"),
                &format!("{unknown}/{action}"),
                other,
                None,
            )
            .await;
    }
    let unlocked = calls
        .expect(UNLOCK, &format!("{user}/unlock"), admin, None, 200)
        .await;
    assert_eq!(unlocked["locked_until"], Value::Null);
    let disabled = calls
        .expect(DISABLE, &format!("{user}/disable"), admin, None, 200)
        .await;
    assert_eq!(disabled["disabled"], true);
    assert_eq!(
        app.get(ME.1, &rec_token).await.0.as_u16(),
        401,
        "its session ended"
    );
    let enabled = calls
        .expect(ENABLE, &format!("{user}/enable"), admin, None, 200)
        .await;
    assert_eq!(enabled["disabled"], false);
    rec_id
}

/// A reset issued by the admin, used by the user; the user's own change;
/// its sessions ended by the admin.
async fn passwords(calls: &Calls<'_>, app: &TestApp, rec_id: &str, admin: &str, other: &str) {
    let user = format!("/api/v1/users/{rec_id}");
    let unknown = format!("/api/v1/users/{}", nobodys());
    calls
        .foreign(
            ISSUE_RESET,
            &format!("{user}/password-reset"),
            &format!("{unknown}/password-reset"),
            other,
            None,
        )
        .await;
    let reset = calls
        .expect(ISSUE_RESET, &format!("{user}/password-reset"), admin, None, 201)
        .await;
    assert_eq!(reset["user_id"], rec_id);
    let body = json!({"token": reset["token"], "new_password": RESET_TO});
    let (status, answer) = calls
        .call(RESET_PASSWORD, RESET_PASSWORD.1, None, Some(body))
        .await;
    assert_eq!(status.as_u16(), 204, "{answer}");
    assert_eq!(
        app.try_login("routes.acc.rec", USER_PASSWORD).await.0.as_u16(),
        401
    );
    let rec_token = app.login("routes.acc.rec", RESET_TO).await;

    let body = json!({"old_password": RESET_TO, "new_password": CHANGED_TO});
    calls
        .expect(OWN_PASSWORD, OWN_PASSWORD.1, &rec_token, Some(body), 204)
        .await;
    let rec_token = app.login("routes.acc.rec", CHANGED_TO).await;
    assert_eq!(app.try_login("routes.acc.rec", RESET_TO).await.0.as_u16(), 401);

    let sessions = format!("{user}/sessions");
    let sign_out = format!("{user}/sign-out");
    calls
        .foreign(
            END_SESSIONS,
            &sign_out,
            &format!("{unknown}/sign-out"),
            other,
            None,
        )
        .await;
    assert_eq!(
        app.get(ME.1, &rec_token).await.0.as_u16(),
        200,
        "another tenant ended nothing"
    );
    calls.expect(END_SESSIONS, &sign_out, admin, None, 204).await;
    assert_eq!(app.get(ME.1, &rec_token).await.0.as_u16(), 401);
    let listed = calls.expect(SESSIONS, &sessions, admin, None, 200).await;
    assert_eq!(listed, json!([]));
}

/// A key made, listed, used, and revoked; another tenant neither sees nor
/// revokes it.
async fn api_keys(calls: &Calls<'_>, app: &TestApp, admin: &str, other: &str) {
    let key = calls
        .expect(
            CREATE_KEY,
            CREATE_KEY.1,
            admin,
            Some(json!({"name": "ERP 同步"})),
            201,
        )
        .await;
    assert_eq!(key["name"], "ERP 同步");
    let secret = key["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("syk_") && secret.starts_with(key["prefix"].as_str().unwrap()));
    assert_eq!(app.get(ME.1, &secret).await.1["username"], "routes.acc");
    let listed = calls.expect(LIST_KEYS, LIST_KEYS.1, admin, None, 200).await;
    let ids: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["id"])
        .collect();
    assert_eq!(ids, [&key["id"]]);
    assert_eq!(listed["items"][0]["revoked_at"], Value::Null);
    assert!(app.list(LIST_KEYS.1, other).await.is_empty());

    let path = format!("/api/v1/api-keys/{}", key["id"].as_str().unwrap());
    let unknown = format!("/api/v1/api-keys/{}", nobodys());
    calls.foreign(REVOKE_KEY, &path, &unknown, other, None).await;
    assert_eq!(app.get(ME.1, &secret).await.0.as_u16(), 200, "still works");
    calls.expect(REVOKE_KEY, &path, admin, None, 204).await;
    assert_eq!(app.get(ME.1, &secret).await.0.as_u16(), 401);
    let listed = app.list(LIST_KEYS.1, admin).await;
    assert!(listed[0]["revoked_at"].is_string(), "{listed:?}");
}

both_backends!(accounts_users_passwords_and_keys, |app| async move {
    let calls = Calls::new(app, OPS);
    let (org_id, admin) = app.producer("routes.acc", "510115").await;
    let (_, other) = app.producer("routes.acc.other", "110105").await;
    sign_in_and_out(&calls, app, org_id).await;
    let rec_id = users(&calls, app, org_id, &admin, &other).await;
    passwords(&calls, app, &rec_id, &admin, &other).await;
    api_keys(&calls, app, &admin, &other).await;
    calls.finish();
});
