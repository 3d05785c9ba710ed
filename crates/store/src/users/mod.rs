//! People and access: users, passwords, sessions, API keys, sign-in
//! throttling, account administration, and the first start's bootstrap.
//!
//! Passwords are hashed with argon2id within a process-wide bound
//! ([`password`]). Session tokens, API keys and password-reset tokens are
//! random, shown once, and stored only as SHA-256 hashes: a copy of the
//! database opens no accounts.
//!
//! Administration of a user (disable, enable, unlock, role, password reset,
//! sessions, keys) belongs to the admin of the user's own organisation. The
//! platform operator administers organisations but never acts inside another
//! one: it may only create the first `org_admin` of an organisation that has
//! no user yet (onboarding), and unlock an account or issue a one-time
//! password reset (never seeing the password; each logged, and shown to the
//! organisation's admin); anything else there is refused
//! (`operator_not_member`).

mod keys;
mod manage;
pub mod password;
mod sessions;
pub mod throttle;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use suyuan_core::fields::text;
use suyuan_core::model::{OrgKind, OrgStatus, Role};
use suyuan_core::Invalid;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{Row, Tx};
use crate::orgs::ts;
use crate::{field, new_id, now_ms, params, Caller, Page, PageRequest, Result, Store, StoreError};

pub use keys::{ApiKey, NewApiKeySecret};
pub use manage::{
    require_not_key, AccountRescue, PasswordChange, PasswordReset, PasswordResetToken, UserChange,
};
pub use password::{
    check_password_rule, check_password_rule_for, hash_password, hash_password_bounded, verify_password,
    verify_password_bounded, Priority,
};
pub(crate) use sessions::decode_caller;
pub use sessions::{LoginRecord, SessionInfo, SessionToken};

/// How long a session lasts.
pub const SESSION_MS: i64 = 12 * 60 * 60 * 1000;

const SESSION_PREFIX: &str = "sys_";
const API_KEY_PREFIX: &str = "syk_";
const RESET_PREFIX: &str = "syr_";

/// A random secret with a readable prefix, and the hash that is stored.
pub(crate) fn new_secret(prefix: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = format!("{prefix}{}", B64URL.encode(bytes));
    let hash = hash_secret(&secret);
    (secret, hash)
}

pub(crate) fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A request to create a user.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 3 to 32 characters: lower-case letters, digits, `.`, `_`, `-`.
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    /// Officers only: the region-code prefix they oversee (2, 4 or 6 digits).
    pub jurisdiction: Option<String>,
}

/// A user as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub org_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub jurisdiction: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

const USER_COLUMNS: &str =
    "t.id, t.org_id, t.username, t.display_name, t.role, t.jurisdiction, t.locked_until, t.disabled, t.created_at";

fn decode_user(r: &Row) -> Result<User> {
    Ok(User {
        id: r.uuid("id")?,
        org_id: r.uuid("org_id")?,
        username: r.text("username")?,
        display_name: r.text("display_name")?,
        role: Role::parse(&r.text("role")?).map_err(|e| StoreError::Corrupt(e.en))?,
        jurisdiction: r.opt_text("jurisdiction")?,
        // A lock that has run out is no lock.
        locked_until: r.opt_int("locked_until")?.filter(|t| *t > now_ms()).map(ts),
        disabled: r.bool("disabled")?,
        created_at: ts(r.int("created_at")?),
    })
}

fn username_rule(s: &str) -> Result<String> {
    let ok = (3..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(StoreError::invalid(
            "username",
            Invalid::new(
                "username_format",
                "a username has 3 to 32 characters: lower-case letters, digits, '.', '_' or '-'",
                "用户名为 3 至 32 个字符，仅含小写字母、数字、“.”、“_”或“-”",
            ),
        ))
    }
}

fn jurisdiction_rule(role: Role, j: Option<&str>) -> Result<Option<String>> {
    match (role, j) {
        (Role::Officer, Some(j)) => {
            let ok = matches!(j.len(), 2 | 4 | 6) && j.bytes().all(|b| b.is_ascii_digit());
            if ok {
                Ok(Some(j.to_owned()))
            } else {
                Err(StoreError::invalid(
                    "jurisdiction",
                    Invalid::new(
                        "jurisdiction_format",
                        "a jurisdiction is a region-code prefix of 2, 4 or 6 digits (province, city, county)",
                        "管辖范围为 2、4 或 6 位行政区划代码前缀（省、市、县）",
                    ),
                ))
            }
        }
        (Role::Officer, None) => Err(StoreError::invalid(
            "jurisdiction",
            Invalid::new(
                "jurisdiction_required",
                "an officer needs a jurisdiction",
                "监管人员须设定管辖范围",
            ),
        )),
        (_, Some(_)) => Err(StoreError::invalid(
            "jurisdiction",
            Invalid::new(
                "jurisdiction_not_officer",
                "only an officer has a jurisdiction",
                "只有监管人员设定管辖范围",
            ),
        )),
        (_, None) => Ok(None),
    }
}

/// The role must be one the organisation's kind allows.
fn role_rule(kind: OrgKind, role: Role) -> Result<()> {
    if kind.allowed_roles().contains(&role) {
        return Ok(());
    }
    let allowed: Vec<&str> = kind.allowed_roles().iter().map(|r| r.as_str()).collect();
    Err(StoreError::invalid(
        "role",
        Invalid::new(
            "role_not_for_kind",
            format!(
                "a {kind} cannot have the role {role}; allowed: {}",
                allowed.join(", ")
            ),
            format!("“{}”不能设“{}”角色", kind.zh(), role.zh()),
        ),
    ))
}

/// An officer oversees part of its own regulator's region, never more.
fn jurisdiction_within(org_region: &str, j: &str) -> Result<()> {
    let own = suyuan_core::codes::RegionCode::parse(org_region)
        .map(|r| r.jurisdiction_prefix().to_owned())
        .unwrap_or_default();
    if own.is_empty() || !j.starts_with(&own) {
        return Err(StoreError::invalid(
            "jurisdiction",
            Invalid::new(
                "jurisdiction_outside_region",
                format!("the jurisdiction must lie within the regulator's own region ({own})"),
                format!("管辖范围必须在本监管部门的行政区域（{own}）之内"),
            ),
        ));
    }
    Ok(())
}

/// The refusal of the operator acting inside another organisation.
pub(crate) fn operator_not_member() -> StoreError {
    StoreError::forbidden(
        "operator_not_member",
        "the platform operator administers organisations but does not act inside them: only their own admin may do this",
        "平台运营方只管理机构，不代替机构操作：此操作只能由该机构自己的管理员执行",
    )
}

impl NewUser {
    /// Checks every field except the password hash, for an organisation of
    /// `kind`.
    pub fn validate(&self, kind: OrgKind) -> Result<()> {
        username_rule(&self.username)?;
        field("display_name", text(&self.display_name, 50))?;
        check_password_rule(&self.password)?;
        role_rule(kind, self.role)?;
        jurisdiction_rule(self.role, self.jurisdiction.as_deref())?;
        Ok(())
    }
}

const COUNT_USERS: &str = "SELECT COUNT(*) AS n FROM users WHERE org_id = $1";

async fn count_users(tx: &mut Tx, org_id: Uuid) -> Result<i64> {
    tx.fetch_optional(COUNT_USERS, &params![org_id])
        .await?
        .map(|r| r.int("n"))
        .transpose()
        .map(|n| n.unwrap_or(0))
}

/// Takes the organisation's row lock for the rest of the transaction (on
/// PostgreSQL; SQLite has one writer anyway), so that checks on its users
/// (its first admin, its last admin) and the change they guard are one step.
pub(crate) async fn lock_org_row(tx: &mut Tx, org_id: Uuid) -> Result<()> {
    tx.execute(
        "UPDATE organisations SET updated_at = updated_at WHERE id = $1",
        &params![org_id],
    )
    .await?;
    Ok(())
}

impl Store {
    /// Inserts a user whose password is already hashed. `new` must have been
    /// validated for the organisation's kind.
    pub(crate) async fn insert_user(
        &self,
        tx: &mut Tx,
        org_id: Uuid,
        new: &NewUser,
        password_hash: &str,
    ) -> Result<User> {
        let id = new_id();
        let now = now_ms();
        tx.execute(
            "INSERT INTO users (id, org_id, username, display_name, password_hash, role, jurisdiction, \
             failed_logins, locked_until, disabled, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,0,NULL,$8,$9)",
            &params![
                id,
                org_id,
                new.username.clone(),
                new.display_name.trim(),
                password_hash,
                new.role.as_str(),
                new.jurisdiction.clone(),
                false,
                now
            ],
        )
        .await
        .map_err(|e| e.on_duplicate("username", "this username is taken", "该用户名已被使用"))?;
        self.log_row_state(
            tx,
            crate::row_states::Tracked::Users,
            &id.to_string(),
            "created",
            None,
        )
        .await?;
        Ok(User {
            id,
            org_id,
            username: new.username.clone(),
            display_name: new.display_name.trim().to_owned(),
            role: new.role,
            jurisdiction: new.jurisdiction.clone(),
            locked_until: None,
            disabled: false,
            created_at: ts(now),
        })
    }

    /// Creates a user. An organisation admin creates users in its own
    /// organisation; the operator creates the first `org_admin` of an
    /// organisation that has no user yet, and nothing else outside its own.
    pub async fn create_user(
        &self,
        caller: &Caller,
        org_id: Uuid,
        new: &NewUser,
        password_hash: &str,
    ) -> Result<User> {
        self.check_new_user(caller, org_id, new).await?;
        let mut tx = self.db.begin().await?;
        if caller.org_id != org_id {
            // Onboarding only: checked again under the organisation's row
            // lock, so two first admins cannot both be created.
            lock_org_row(&mut tx, org_id).await?;
            if count_users(&mut tx, org_id).await? > 0 {
                return Err(operator_not_member());
            }
        }
        let user = self.insert_user(&mut tx, org_id, new, password_hash).await?;
        tx.commit().await?;
        tracing::info!(user_id = %user.id, org_id = %org_id, role = %user.role, by = %caller.user_id, "user created");
        Ok(user)
    }

    /// Everything about a new user that can be checked before its password
    /// is hashed: the caller's right to add users to `org_id`, and every
    /// field. Call it first, so a refused request costs no slow hash.
    pub async fn check_new_user(&self, caller: &Caller, org_id: Uuid, new: &NewUser) -> Result<()> {
        if caller.org_id == org_id {
            if !caller.is_operator() {
                caller.require_org_admin()?;
            }
        } else if caller.is_operator() {
            // Seen by the operator (404 otherwise, below).
            self.get_organisation(caller, org_id).await?;
            let users = self
                .db
                .conn()
                .fetch_optional(COUNT_USERS, &params![org_id])
                .await?
                .map(|r| r.int("n"))
                .transpose()?
                .unwrap_or(0);
            if users > 0 || new.role != Role::OrgAdmin {
                return Err(operator_not_member());
            }
        } else {
            caller.require_org_admin()?;
            return Err(StoreError::NotFound { what: "organisation" });
        }
        let org = self.get_organisation(caller, org_id).await?;
        new.validate(org.kind)?;
        if let Some(j) = &new.jurisdiction {
            jurisdiction_within(&org.region, j)?;
        }
        Ok(())
    }

    /// Self-registration: a new organisation (pending) and its first admin,
    /// all or nothing.
    pub async fn register(
        &self,
        org: &crate::orgs::NewOrganisation,
        admin: &NewUser,
        password_hash: &str,
    ) -> Result<(crate::orgs::Organisation, User)> {
        if admin.role != Role::OrgAdmin {
            return Err(StoreError::invalid(
                "admin.role",
                Invalid::new(
                    "role_must_be_admin",
                    "the first user of an organisation is its org_admin",
                    "机构的首个用户必须是机构管理员",
                ),
            ));
        }
        admin.validate(org.kind).map_err(|e| e.prefixed("admin"))?;
        let mut tx = self.db.begin().await?;
        let o = self
            .insert_organisation(&mut tx, org, None)
            .await
            .map_err(|e| e.prefixed("organisation"))?;
        let u = self
            .insert_user(&mut tx, o.id, admin, password_hash)
            .await
            .map_err(|e| e.prefixed("admin"))?;
        tx.commit().await?;
        tracing::info!(org_id = %o.id, "organisation self-registered");
        Ok((o, u))
    }

    /// A user of the caller's organisation (any user, for the operator).
    pub async fn get_user(&self, caller: &Caller, id: Uuid) -> Result<User> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                &format!("SELECT {USER_COLUMNS} FROM users t WHERE t.id = $1"),
                &params![id],
            )
            .await?;
        match row.as_ref().map(decode_user).transpose()? {
            Some(user) if caller.is_operator() || user.org_id == caller.org_id => Ok(user),
            _ => Err(StoreError::NotFound { what: "user" }),
        }
    }

    /// Users of one organisation the caller may administer (its own, or any
    /// for the operator).
    pub async fn list_users(&self, caller: &Caller, org_id: Uuid, page: PageRequest) -> Result<Page<User>> {
        if !(caller.is_operator() || caller.org_id == org_id) {
            return Err(StoreError::NotFound { what: "organisation" });
        }
        self.page(
            &format!("SELECT {USER_COLUMNS} FROM users t WHERE t.org_id = $1"),
            params![org_id].to_vec(),
            page,
            decode_user,
        )
        .await
    }

    /// The user `id`, for the caller to administer: a user of the caller's
    /// own organisation, the caller being its admin (or, when `self_ok`, the
    /// user itself). Another organisation's user is not found; the operator,
    /// who does see it, is refused (`operator_not_member`).
    pub(crate) async fn administered_user(&self, caller: &Caller, id: Uuid, self_ok: bool) -> Result<User> {
        let user = self
            .db
            .conn()
            .fetch_optional(
                &format!("SELECT {USER_COLUMNS} FROM users t WHERE t.id = $1"),
                &params![id],
            )
            .await?
            .as_ref()
            .map(decode_user)
            .transpose()?
            .ok_or(StoreError::NotFound { what: "user" })?;
        if user.org_id != caller.org_id {
            return Err(if caller.is_operator() {
                operator_not_member()
            } else {
                StoreError::NotFound { what: "user" }
            });
        }
        let is_self = self_ok && user.id == caller.user_id;
        if !(is_self || caller.is_operator()) {
            caller.require_org_admin()?;
        }
        Ok(user)
    }

    /// On an empty database, creates the platform operator's organisation and
    /// its `admin` user. Returns `None` when the platform already has one.
    pub async fn bootstrap(
        &self,
        operator_name: &str,
        region: &str,
        admin_password_hash: &str,
    ) -> Result<Option<User>> {
        let existing = self
            .db
            .conn()
            .fetch_optional(
                "SELECT id FROM organisations WHERE kind = $1",
                &params![OrgKind::PlatformOperator.as_str()],
            )
            .await?;
        if existing.is_some() {
            return Ok(None);
        }
        let name = field("operator_name", text(operator_name, 100))?;
        let region = field("operator_region", suyuan_core::codes::RegionCode::parse(region))?;
        let org_id = new_id();
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "INSERT INTO organisations (id, kind, name, uscc_checksum_ok, region, status, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            &params![
                org_id,
                OrgKind::PlatformOperator.as_str(),
                name,
                true,
                region.as_str(),
                OrgStatus::Verified.as_str(),
                now,
                now
            ],
        )
        .await?;
        let admin = NewUser {
            username: "admin".into(),
            display_name: "平台管理员".into(),
            password: String::new(),
            role: Role::OrgAdmin,
            jurisdiction: None,
        };
        match self
            .insert_user(&mut tx, org_id, &admin, admin_password_hash)
            .await
        {
            Ok(user) => {
                self.log_org_state(&mut tx, org_id, "registered", None).await?;
                tx.commit().await?;
                tracing::info!(org_id = %org_id, "platform operator bootstrapped");
                Ok(Some(user))
            }
            // Another server bootstrapped at the same moment.
            Err(StoreError::Conflict { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
