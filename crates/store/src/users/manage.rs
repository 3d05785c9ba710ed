//! An organisation admin's work on its users: disable and enable, unlock,
//! change role or name, and one-time password resets; and a user's change
//! of its own password.
//!
//! Every call is scoped by [`Store::administered_user`]: another
//! organisation's user is not found (the operator, who sees it, is refused),
//! except the account rescues, unlock and password reset, which the
//! platform operator may also do for any organisation's user (an
//! organisation whose only admin is locked out has nobody else to ask):
//! each is logged as a user state (`unlocked`, `password_reset_issued`,
//! with the acting user), and the organisation's admin sees them
//! ([`Store::account_rescues`]).
//! An organisation always keeps at least one enabled `org_admin`; the check
//! and the change run under the organisation's row lock.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use suyuan_core::fields::text;
use suyuan_core::model::Role;
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    hash_secret, jurisdiction_rule, jurisdiction_within, lock_org_row, new_secret, role_rule, User,
    RESET_PREFIX,
};
use crate::access::Credential;
use crate::db::Tx;
use crate::orgs::ts;
use crate::row_states::Tracked;
use crate::{field, now_ms, params, Caller, Result, Store, StoreError};

/// How long a password-reset token is valid.
pub const RESET_MS: i64 = 24 * 60 * 60 * 1000;

/// The logged user-state actions of an account rescue.
const UNLOCKED: &str = "unlocked";
const RESET_ISSUED: &str = "password_reset_issued";

/// An unlock or a password reset issued for a user, and who did it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountRescue {
    /// `unlocked` or `password_reset_issued`.
    pub action: String,
    pub username: String,
    /// The acting user and its organisation (the platform operator's, when
    /// it was the operator).
    pub by_user: Option<String>,
    pub by_org: Option<String>,
    pub at: DateTime<Utc>,
}

/// A change to a user: any of its role, display name and jurisdiction.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// One of the roles the organisation's kind allows.
    pub role: Option<Role>,
    pub display_name: Option<String>,
    /// Officers only: the region-code prefix they oversee (required when
    /// the role becomes `officer`, unless the user already has one).
    pub jurisdiction: Option<String>,
}

/// A one-time password-reset token, shown once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PasswordResetToken {
    pub user_id: Uuid,
    /// Give it to the user; it sets a new password once, within 24 hours.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Setting a new password with a reset token.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    pub token: String,
    pub new_password: String,
}

/// A user's change of its own password.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub old_password: String,
    pub new_password: String,
}

fn last_admin() -> StoreError {
    StoreError::conflict(
        "last_admin",
        None,
        "an organisation keeps at least one enabled org_admin",
        "机构须至少保留一名启用状态的机构管理员",
    )
}

fn reset_token_invalid() -> StoreError {
    StoreError::invalid(
        "token",
        Invalid::new(
            "reset_token_invalid",
            "this password-reset token is unknown, used or expired; ask your organisation's admin for a new one",
            "该密码重置令牌无效、已使用或已过期，请向本机构管理员重新申请",
        ),
    )
}

/// Refuses callers that came with an API key: credentials are managed by
/// signed-in people.
pub fn require_not_key(caller: &Caller) -> Result<()> {
    if let Credential::ApiKey(_) = caller.credential {
        return Err(StoreError::forbidden(
            "key_cannot_manage_credentials",
            "an API key cannot manage passwords; sign in as a user to do this",
            "API 密钥不能管理密码，请以用户身份登录后操作",
        ));
    }
    Ok(())
}

/// Refuses a change that would leave the organisation without an enabled
/// admin: `user_id` stops being one. Call under the organisation's row lock.
async fn keep_an_admin(tx: &mut Tx, org_id: Uuid, user_id: Uuid) -> Result<()> {
    let row = tx
        .fetch_optional(
            "SELECT COUNT(*) AS n FROM users WHERE org_id = $1 AND role = $2 AND disabled = FALSE AND id <> $3",
            &params![org_id, Role::OrgAdmin.as_str(), user_id],
        )
        .await?;
    let others = row.map(|r| r.int("n")).transpose()?.unwrap_or(0);
    let target = tx
        .fetch_optional(
            "SELECT role, disabled FROM users WHERE id = $1",
            &params![user_id],
        )
        .await?;
    let is_enabled_admin = match target {
        Some(r) => r.text("role")? == Role::OrgAdmin.as_str() && !r.bool("disabled")?,
        None => false,
    };
    if is_enabled_admin && others == 0 {
        return Err(last_admin());
    }
    Ok(())
}

impl Store {
    /// Disables a user: it can no longer sign in, its API keys are revoked
    /// and its sessions and pending password resets end. Not oneself, not
    /// the last enabled admin.
    pub async fn disable_user(&self, caller: &Caller, id: Uuid) -> Result<User> {
        let user = self.administered_user(caller, id, false).await?;
        if user.id == caller.user_id {
            return Err(StoreError::forbidden(
                "cannot_disable_self",
                "an admin cannot disable itself",
                "管理员不能停用自己",
            ));
        }
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        lock_org_row(&mut tx, user.org_id).await?;
        keep_an_admin(&mut tx, user.org_id, user.id).await?;
        tx.execute(
            "UPDATE users SET disabled = TRUE WHERE id = $1",
            &params![user.id],
        )
        .await?;
        let keys = tx
            .execute(
                "UPDATE api_keys SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                &params![now, user.id],
            )
            .await?;
        let sessions = tx
            .execute("DELETE FROM sessions WHERE user_id = $1", &params![user.id])
            .await?;
        tx.execute(
            "DELETE FROM password_resets WHERE user_id = $1",
            &params![user.id],
        )
        .await?;
        self.log_user_state(&mut tx, user.id, "disabled", caller).await?;
        tx.commit().await?;
        tracing::info!(user_id = %user.id, by = %caller.user_id, keys, sessions, "user disabled");
        Ok(User {
            disabled: true,
            ..user
        })
    }

    /// Enables a disabled user again (its revoked keys and ended sessions
    /// stay so).
    pub async fn enable_user(&self, caller: &Caller, id: Uuid) -> Result<User> {
        let user = self.administered_user(caller, id, false).await?;
        let mut tx = self.db.begin().await?;
        tx.execute(
            "UPDATE users SET disabled = FALSE WHERE id = $1",
            &params![user.id],
        )
        .await?;
        self.log_user_state(&mut tx, user.id, "enabled", caller).await?;
        tx.commit().await?;
        tracing::info!(user_id = %user.id, by = %caller.user_id, "user enabled");
        Ok(User {
            disabled: false,
            ..user
        })
    }

    /// Lifts the sign-in locks of a user's account, from every client.
    pub async fn unlock_user(&self, caller: &Caller, id: Uuid) -> Result<User> {
        let user = self.rescued_user(caller, id).await?;
        let mut tx = self.db.begin().await?;
        self.clear_sign_in_locks(&mut tx, &user.username).await?;
        self.log_user_state(&mut tx, user.id, UNLOCKED, caller).await?;
        tx.commit().await?;
        tracing::info!(user_id = %user.id, by = %caller.user_id, "user unlocked");
        Ok(User {
            locked_until: None,
            ..user
        })
    }

    /// Changes a user's role, display name or jurisdiction. The role must
    /// suit the organisation's kind; the last enabled admin keeps its role.
    pub async fn change_user(&self, caller: &Caller, id: Uuid, change: &UserChange) -> Result<User> {
        let user = self.administered_user(caller, id, false).await?;
        let org = self.get_organisation(caller, user.org_id).await?;
        let role = change.role.unwrap_or(user.role);
        role_rule(org.kind, role)?;
        let jurisdiction = match (role, &change.jurisdiction) {
            (Role::Officer, None) => user.jurisdiction.clone(),
            (_, j) => j.clone(),
        };
        jurisdiction_rule(role, jurisdiction.as_deref())?;
        if let (Role::Officer, Some(j)) = (role, &jurisdiction) {
            jurisdiction_within(&org.region, j)?;
        }
        let display_name = match &change.display_name {
            Some(d) => field("display_name", text(d, 50))?,
            None => user.display_name.clone(),
        };
        let mut tx = self.db.begin().await?;
        lock_org_row(&mut tx, user.org_id).await?;
        if role != Role::OrgAdmin {
            keep_an_admin(&mut tx, user.org_id, user.id).await?;
        }
        tx.execute(
            "UPDATE users SET role = $1, jurisdiction = $2, display_name = $3 WHERE id = $4",
            &params![role.as_str(), jurisdiction.clone(), display_name.clone(), user.id],
        )
        .await?;
        self.log_user_state(&mut tx, user.id, "changed", caller).await?;
        tx.commit().await?;
        tracing::info!(user_id = %user.id, by = %caller.user_id, role = %role, "user changed");
        Ok(User {
            role,
            jurisdiction,
            display_name,
            ..user
        })
    }

    /// Issues a one-time password-reset token for a user (its admin),
    /// valid for 24 hours; earlier unused tokens of the user stop working.
    /// Only the token's hash is stored.
    pub async fn issue_password_reset(&self, caller: &Caller, id: Uuid) -> Result<PasswordResetToken> {
        require_not_key(caller)?;
        let user = self.rescued_user(caller, id).await?;
        if user.disabled {
            return Err(StoreError::conflict(
                "user_disabled",
                None,
                "the user is disabled; enable it first",
                "该用户已停用，请先启用",
            ));
        }
        let (token, hash) = new_secret(RESET_PREFIX);
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL",
            &params![user.id],
        )
        .await?;
        tx.execute(
            "INSERT INTO password_resets (token_hash, user_id, created_by, created_at, expires_at, used_at) \
             VALUES ($1,$2,$3,$4,$5,NULL)",
            &params![hash, user.id, caller.user_id, now, now + RESET_MS],
        )
        .await?;
        self.log_user_state(&mut tx, user.id, RESET_ISSUED, caller)
            .await?;
        tx.commit().await?;
        tracing::info!(user_id = %user.id, by = %caller.user_id, "password reset issued");
        Ok(PasswordResetToken {
            user_id: user.id,
            token,
            expires_at: ts(now + RESET_MS),
        })
    }

    /// Checks a reset token before the new password is hashed: unknown,
    /// used and expired tokens are refused.
    pub async fn check_password_reset(&self, token: &str) -> Result<()> {
        let found = self
            .db
            .conn()
            .fetch_optional(
                "SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
                &params![hash_secret(token), now_ms()],
            )
            .await?;
        found.map(|_| ()).ok_or_else(reset_token_invalid)
    }

    /// Uses a reset token: sets the password (already hashed), spends the
    /// token, ends the user's sessions and lifts its sign-in locks.
    pub async fn complete_password_reset(&self, token: &str, password_hash: &str) -> Result<()> {
        let hash = hash_secret(token);
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let spent = tx
            .execute(
                "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
                &params![now, hash.clone()],
            )
            .await?;
        if spent == 0 {
            return Err(reset_token_invalid());
        }
        let row = tx
            .fetch_optional(
                "SELECT u.id, u.username FROM password_resets r JOIN users u ON u.id = r.user_id \
                 WHERE r.token_hash = $1 AND u.disabled = FALSE",
                &params![hash],
            )
            .await?
            .ok_or_else(reset_token_invalid)?;
        let user_id = row.uuid("id")?;
        tx.execute(
            "UPDATE users SET password_hash = $1 WHERE id = $2",
            &params![password_hash, user_id],
        )
        .await?;
        tx.execute("DELETE FROM sessions WHERE user_id = $1", &params![user_id])
            .await?;
        self.clear_sign_in_locks(&mut tx, &row.text("username")?).await?;
        tx.commit().await?;
        tracing::info!(user_id = %user_id, "password reset used");
        Ok(())
    }

    /// Sets the caller's own password (already hashed; the server checked
    /// the old one). Ends the caller's other sessions (all of them when
    /// `keep_session` is `None`) and its pending resets.
    pub async fn set_own_password(
        &self,
        caller: &Caller,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<()> {
        require_not_key(caller)?;
        let keep = keep_session.map(hash_secret).unwrap_or_default();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "UPDATE users SET password_hash = $1 WHERE id = $2",
            &params![password_hash, caller.user_id],
        )
        .await?;
        tx.execute(
            "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2",
            &params![caller.user_id, keep],
        )
        .await?;
        tx.execute(
            "DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL",
            &params![caller.user_id],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(user_id = %caller.user_id, "password changed");
        Ok(())
    }
}

impl Store {
    /// Logs a user's state after `action` by `caller` (a `row_state`).
    /// The user an account rescue (unlock, password reset) is for: its
    /// own organisation's admin's, as [`Store::administered_user`] says; and
    /// any organisation's for the platform operator, so that an
    /// organisation whose only admin is locked out or has forgotten the
    /// password is not shut out for good. The operator never sees or sets
    /// the password: the user sets it with the one-time token.
    async fn rescued_user(&self, caller: &Caller, id: Uuid) -> Result<User> {
        if caller.is_operator() {
            return self.get_user(caller, id).await;
        }
        self.administered_user(caller, id, false).await
    }

    /// The unlocks and password resets issued for the users of `org_id`,
    /// newest first, with who did them: for the organisation's admin (and
    /// the operator), so that an admin sees what the operator did.
    pub async fn account_rescues(&self, caller: &Caller, org_id: Uuid) -> Result<Vec<AccountRescue>> {
        if !(caller.is_operator() || caller.org_id == org_id) {
            return Err(StoreError::NotFound { what: "organisation" });
        }
        // A read: a suspended organisation's admin still sees what was done.
        if !caller.is_operator() && caller.role != suyuan_core::model::Role::OrgAdmin {
            caller.require_org_admin()?;
        }
        self.db
            .conn()
            .fetch_all(
                "SELECT s.action, s.created_at, u.username, a.username AS by_user, o.name AS by_org \
                 FROM row_states s JOIN users u ON u.id = s.row_key \
                 LEFT JOIN users a ON a.id = s.acting_user LEFT JOIN organisations o ON o.id = a.org_id \
                 WHERE s.table_name = 'users' AND s.action IN ($1, $2) AND u.org_id = $3 \
                 ORDER BY s.created_at DESC, s.id DESC LIMIT 100",
                &params![UNLOCKED, RESET_ISSUED, org_id],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(AccountRescue {
                    action: r.text("action")?,
                    username: r.text("username")?,
                    by_user: r.opt_text("by_user")?,
                    by_org: r.opt_text("by_org")?,
                    at: ts(r.int("created_at")?),
                })
            })
            .collect()
    }

    async fn log_user_state(&self, tx: &mut Tx, user: Uuid, action: &str, caller: &Caller) -> Result<()> {
        self.log_row_state(
            tx,
            Tracked::Users,
            &user.to_string(),
            action,
            Some(caller.user_id),
        )
        .await
    }
}
