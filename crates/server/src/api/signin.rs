//! Checking a password at sign-in (and when a user changes its own):
//! throttled per client and per account (`suyuan_store::users::throttle`),
//! with argon2 work bounded process-wide, and answered the same for an
//! unknown username as for a known one: the same status, code and message,
//! a hash verified either way (against a dummy hash of the same cost), and
//! the same counting and locking.

use axum::http::StatusCode;
use suyuan_store::users::password::DUMMY_HASH;
use suyuan_store::users::throttle::{Admission, Lock, LockScope};
use suyuan_store::users::verify_password_bounded;
use uuid::Uuid;

use crate::client::ClientAddr;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// The outcome of a password check that was allowed to run.
pub(crate) enum Checked {
    /// The password is right and the user enabled.
    Right(Uuid),
    /// Wrong password, unknown username or disabled user: not told apart.
    Wrong,
}

/// The answer to a wrong username or password.
pub fn bad_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "wrong username or password",
        "用户名或密码错误",
    )
}

/// The answer while a lock is in force: 429 with `Retry-After`. The same for
/// every username, known or not.
pub fn locked(lock: Lock) -> ApiError {
    let e = match lock.scope {
        LockScope::Account => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "account_locked",
            "too many failed sign-ins: this account is locked for a while; try again later (see Retry-After)",
            "登录失败次数过多，该账户已暂时锁定，请稍后再试",
        ),
        LockScope::Client => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "client_locked",
            "too many failed sign-ins from your address: sign-ins from it are paused; try again later (see Retry-After)",
            "来自您所在地址的登录失败次数过多，已暂停该地址登录，请稍后再试",
        ),
    };
    e.with_retry_after(lock.retry_after_secs())
}

/// Checks `password` for `username` signing in from `client`: refused with
/// 429 while locked, 503 when the server is too busy to check it; otherwise
/// counted, checked and settled.
pub(crate) async fn check_password(
    state: &AppState,
    client: ClientAddr,
    username: &str,
    password: String,
) -> ApiResult<Checked> {
    crate::audit::note_account(username);
    let attempt = match state.store.begin_sign_in(username, client.0).await? {
        Admission::Locked(lock) => return Err(locked(lock)),
        Admission::Busy => return Err(ApiError::busy(1)),
        Admission::Admitted(attempt) => attempt,
    };
    let record = match state.store.login_record(username).await {
        Ok(r) => r,
        Err(e) => {
            state.store.sign_in_abandoned(attempt).await?;
            return Err(e.into());
        }
    };
    if let Some(r) = &record {
        crate::audit::note_user(r.user_id, r.org_id);
    }
    let hash = record
        .as_ref()
        .map_or_else(|| DUMMY_HASH.to_owned(), |r| r.password_hash.clone());
    let right = match verify_password_bounded(password, hash, attempt.priority()).await {
        Ok(right) => right,
        Err(e) => {
            // Never checked: not counted.
            state.store.sign_in_abandoned(attempt).await?;
            return Err(e.into());
        }
    };
    match record {
        Some(r) if right && !r.disabled => {
            state.store.sign_in_succeeded(attempt).await?;
            Ok(Checked::Right(r.user_id))
        }
        _ => {
            if let Some(r) = &record {
                tracing::info!(user_id = %r.user_id, "failed sign-in");
            }
            match state.store.sign_in_failed(attempt).await? {
                Some(lock) => Err(locked(lock)),
                None => Ok(Checked::Wrong),
            }
        }
    }
}
