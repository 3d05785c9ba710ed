//! People and access: users, passwords, sessions, API keys, lockout, and the
//! first start's bootstrap.
//!
//! Passwords are hashed with argon2id; hashing is slow on purpose, so callers
//! on an async runtime run [`hash_password`] and [`verify_password`] on a
//! blocking thread. Session tokens and API keys are random, shown once, and
//! stored only as SHA-256 hashes: a copy of the database opens no accounts.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
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

use crate::access::Credential;
use crate::db::Row;
use crate::orgs::ts;
use crate::{field, new_id, now_ms, params, Caller, Page, PageRequest, Result, Store, StoreError};

/// Failed logins in a row before an account is locked.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a lock lasts.
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;
/// How long a session lasts.
pub const SESSION_MS: i64 = 12 * 60 * 60 * 1000;

const SESSION_PREFIX: &str = "sys_";
const API_KEY_PREFIX: &str = "syk_";

/// Hashes a password with argon2id and a random salt. Slow: call it off the
/// async threads.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Corrupt(format!("password hashing failed: {e}")))
}

/// Checks a password against a stored argon2 hash. Slow: call it off the
/// async threads.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// The password rule: 10 to 128 characters, not all of one kind.
pub fn check_password_rule(password: &str) -> Result<()> {
    let n = password.chars().count();
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if !(10..=128).contains(&n) || kinds < 2 {
        return Err(StoreError::invalid(
            "password",
            Invalid::new(
                "password_rule",
                "a password has 10 to 128 characters and mixes at least two of: lower case, upper case, digits, symbols",
                "密码须为 10 至 128 个字符，且至少包含小写字母、大写字母、数字、符号中的两类",
            ),
        ));
    }
    Ok(())
}

/// A random secret with a readable prefix, and the hash that is stored.
fn new_secret(prefix: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = format!("{prefix}{}", B64URL.encode(bytes));
    let hash = hash_secret(&secret);
    (secret, hash)
}

fn hash_secret(secret: &str) -> String {
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

/// An API key as listed (the secret is never shown again).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A newly created API key, with its secret, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewApiKeySecret {
    #[serde(flatten)]
    pub key: ApiKey,
    pub secret: String,
}

/// What a login attempt needs from the store.
pub struct LoginRecord {
    pub user_id: Uuid,
    pub password_hash: String,
    pub locked_until: Option<i64>,
    pub disabled: bool,
}

/// A new session's token, shown once.
pub struct SessionToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
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
        locked_until: r.opt_int("locked_until")?.map(ts),
        disabled: r.bool("disabled")?,
        created_at: ts(r.int("created_at")?),
    })
}

fn decode_api_key(r: &Row) -> Result<ApiKey> {
    Ok(ApiKey {
        id: r.uuid("id")?,
        user_id: r.uuid("user_id")?,
        name: r.text("name")?,
        prefix: r.text("prefix")?,
        created_at: ts(r.int("created_at")?),
        revoked_at: r.opt_int("revoked_at")?.map(ts),
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

impl NewUser {
    /// Checks every field except the password hash, for an organisation of
    /// `kind`.
    pub fn validate(&self, kind: OrgKind) -> Result<()> {
        username_rule(&self.username)?;
        field("display_name", text(&self.display_name, 50))?;
        check_password_rule(&self.password)?;
        if !kind.allowed_roles().contains(&self.role) {
            let allowed: Vec<&str> = kind.allowed_roles().iter().map(|r| r.as_str()).collect();
            return Err(StoreError::invalid(
                "role",
                Invalid::new(
                    "role_not_for_kind",
                    format!(
                        "a {kind} cannot have the role {}; allowed: {}",
                        self.role,
                        allowed.join(", ")
                    ),
                    format!("“{}”不能设“{}”角色", kind.zh(), self.role.zh()),
                ),
            ));
        }
        jurisdiction_rule(self.role, self.jurisdiction.as_deref())?;
        Ok(())
    }
}

impl Store {
    /// Inserts a user whose password is already hashed. `new` must have been
    /// validated for the organisation's kind.
    pub(crate) async fn insert_user(
        &self,
        tx: &mut crate::db::Tx,
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
    /// organisation; the operator may create one in any organisation (the
    /// first admin of a registered organisation).
    pub async fn create_user(
        &self,
        caller: &Caller,
        org_id: Uuid,
        new: &NewUser,
        password_hash: &str,
    ) -> Result<User> {
        self.check_new_user(caller, org_id, new).await?;
        let mut tx = self.db.begin().await?;
        let user = self.insert_user(&mut tx, org_id, new, password_hash).await?;
        tx.commit().await?;
        tracing::info!(user_id = %user.id, org_id = %org_id, role = %user.role, "user created");
        Ok(user)
    }

    /// Everything about a new user that can be checked before its password
    /// is hashed: the caller's right to add users to `org_id`, and every
    /// field. Call it first, so a refused request costs no slow hash.
    pub async fn check_new_user(&self, caller: &Caller, org_id: Uuid, new: &NewUser) -> Result<()> {
        if !caller.is_operator() {
            caller.require_org_admin()?;
            if caller.org_id != org_id {
                return Err(StoreError::NotFound { what: "organisation" });
            }
        }
        let org = self.get_organisation(caller, org_id).await?;
        new.validate(org.kind)?;
        if let Some(j) = &new.jurisdiction {
            // An officer oversees part of its own regulator's region, never more.
            let own = suyuan_core::codes::RegionCode::parse(&org.region)
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
            .insert_organisation(&mut tx, org)
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

    /// What a login attempt needs: the hash, the lock, whether disabled.
    pub async fn login_record(&self, username: &str) -> Result<Option<LoginRecord>> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT id, password_hash, locked_until, disabled FROM users WHERE username = $1",
                &params![username],
            )
            .await?;
        row.map(|r| {
            Ok(LoginRecord {
                user_id: r.uuid("id")?,
                password_hash: r.text("password_hash")?,
                locked_until: r.opt_int("locked_until")?,
                disabled: r.bool("disabled")?,
            })
        })
        .transpose()
    }

    /// Counts a failed login; locks the account after too many in a row.
    /// Returns the time the lock ends, if it is now locked.
    pub async fn record_login_failure(&self, user_id: Uuid) -> Result<Option<i64>> {
        let now = now_ms();
        let lock_until = now + LOCKOUT_MS;
        self.db
            .conn()
            .execute(
                // A lock that has run out starts the count again.
                "UPDATE users SET \
                 failed_logins = CASE WHEN locked_until IS NOT NULL AND locked_until <= $4 THEN 1 \
                   ELSE failed_logins + 1 END, \
                 locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= $4 THEN NULL \
                   WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END \
                 WHERE id = $3",
                &params![MAX_FAILED_LOGINS, lock_until, user_id, now],
            )
            .await?;
        let row = self
            .db
            .conn()
            .fetch_optional("SELECT locked_until FROM users WHERE id = $1", &params![user_id])
            .await?;
        Ok(row
            .map(|r| r.opt_int("locked_until"))
            .transpose()?
            .flatten()
            .filter(|t| *t > now))
    }

    /// A successful login: clears the failure count and opens a session.
    pub async fn open_session(&self, user_id: Uuid) -> Result<SessionToken> {
        let now = now_ms();
        let (token, hash) = new_secret(SESSION_PREFIX);
        let mut tx = self.db.begin().await?;
        tx.execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
            &params![user_id],
        )
        .await?;
        tx.execute(
            "DELETE FROM sessions WHERE user_id = $1 AND expires_at < $2",
            &params![user_id, now],
        )
        .await?;
        tx.execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1,$2,$3,$4)",
            &params![hash, user_id, now, now + SESSION_MS],
        )
        .await?;
        tx.commit().await?;
        Ok(SessionToken {
            token,
            expires_at: ts(now + SESSION_MS),
        })
    }

    pub async fn close_session(&self, token: &str) -> Result<()> {
        self.db
            .conn()
            .execute(
                "DELETE FROM sessions WHERE token_hash = $1",
                &params![hash_secret(token)],
            )
            .await?;
        Ok(())
    }

    /// Resolves a session token or an API key to the caller it stands for.
    /// Unknown, expired, revoked, disabled: `None`.
    pub async fn caller_for_secret(&self, secret: &str) -> Result<Option<Caller>> {
        let hash = hash_secret(secret);
        let now = now_ms();
        let sql = if secret.starts_with(API_KEY_PREFIX) {
            "SELECT u.id AS user_id, u.username, u.role, u.jurisdiction, o.id AS org_id, o.kind, o.status, \
             k.id AS key_id FROM api_keys k JOIN users u ON u.id = k.user_id JOIN organisations o ON o.id = u.org_id \
             WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.disabled = FALSE AND $2 = $2"
        } else if secret.starts_with(SESSION_PREFIX) {
            "SELECT u.id AS user_id, u.username, u.role, u.jurisdiction, o.id AS org_id, o.kind, o.status \
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = u.org_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = FALSE"
        } else {
            return Ok(None);
        };
        let is_key = secret.starts_with(API_KEY_PREFIX);
        let row = self.db.conn().fetch_optional(sql, &params![hash, now]).await?;
        row.map(|r| {
            let corrupt = |e: Invalid| StoreError::Corrupt(e.en);
            let credential = if is_key {
                Credential::ApiKey(r.uuid("key_id")?)
            } else {
                Credential::Session
            };
            Ok(Caller {
                user_id: r.uuid("user_id")?,
                username: r.text("username")?,
                org_id: r.uuid("org_id")?,
                org_kind: OrgKind::parse(&r.text("kind")?).map_err(corrupt)?,
                org_status: OrgStatus::parse(&r.text("status")?).map_err(corrupt)?,
                role: Role::parse(&r.text("role")?).map_err(corrupt)?,
                jurisdiction: r.opt_text("jurisdiction")?,
                credential,
            })
        })
        .transpose()
    }

    /// The caller for a username (the CLI acts as a named operator user).
    pub async fn caller_for_username(&self, username: &str) -> Result<Option<Caller>> {
        let row = self
            .db
            .conn()
            .fetch_optional(
                "SELECT u.id AS user_id, u.username, u.role, u.jurisdiction, o.id AS org_id, o.kind, o.status \
                 FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.username = $1",
                &params![username],
            )
            .await?;
        row.map(|r| {
            let corrupt = |e: Invalid| StoreError::Corrupt(e.en);
            Ok(Caller {
                user_id: r.uuid("user_id")?,
                username: r.text("username")?,
                org_id: r.uuid("org_id")?,
                org_kind: OrgKind::parse(&r.text("kind")?).map_err(corrupt)?,
                org_status: OrgStatus::parse(&r.text("status")?).map_err(corrupt)?,
                role: Role::parse(&r.text("role")?).map_err(corrupt)?,
                jurisdiction: r.opt_text("jurisdiction")?,
                credential: Credential::Cli,
            })
        })
        .transpose()
    }

    /// Creates an API key acting as the caller. The secret is returned once.
    pub async fn create_api_key(&self, caller: &Caller, name: &str) -> Result<NewApiKeySecret> {
        if caller.org_status == OrgStatus::Suspended {
            caller.require_recorder()?;
        }
        let name = field("name", text(name, 100))?;
        let (secret, hash) = new_secret(API_KEY_PREFIX);
        let id = new_id();
        let now = now_ms();
        let prefix: String = secret.chars().take(12).collect();
        self.db
            .conn()
            .execute(
                "INSERT INTO api_keys (id, user_id, org_id, name, prefix, key_hash, created_at, revoked_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,NULL)",
                &params![
                    id,
                    caller.user_id,
                    caller.org_id,
                    name.clone(),
                    prefix.clone(),
                    hash,
                    now
                ],
            )
            .await?;
        tracing::info!(key_id = %id, user_id = %caller.user_id, "API key created");
        Ok(NewApiKeySecret {
            key: ApiKey {
                id,
                user_id: caller.user_id,
                name,
                prefix,
                created_at: ts(now),
                revoked_at: None,
            },
            secret,
        })
    }

    /// API keys of the caller's organisation (an admin sees all of them,
    /// others their own).
    pub async fn list_api_keys(&self, caller: &Caller, page: PageRequest) -> Result<Page<ApiKey>> {
        let cols = "t.id, t.user_id, t.name, t.prefix, t.created_at, t.revoked_at";
        if caller.role == suyuan_core::model::Role::OrgAdmin {
            self.page(
                &format!("SELECT {cols} FROM api_keys t WHERE t.org_id = $1"),
                params![caller.org_id].to_vec(),
                page,
                decode_api_key,
            )
            .await
        } else {
            self.page(
                &format!("SELECT {cols} FROM api_keys t WHERE t.user_id = $1"),
                params![caller.user_id].to_vec(),
                page,
                decode_api_key,
            )
            .await
        }
    }

    /// Revokes a key of the caller's (or, for an admin, of its organisation).
    pub async fn revoke_api_key(&self, caller: &Caller, id: Uuid) -> Result<()> {
        let is_admin = caller.role == suyuan_core::model::Role::OrgAdmin;
        let changed = self
            .db
            .conn()
            .execute(
                "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
                 AND org_id = $3 AND (user_id = $4 OR $5)",
                &params![now_ms(), id, caller.org_id, caller.user_id, is_admin],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound { what: "API key" });
        }
        tracing::info!(key_id = %id, by = %caller.user_id, "API key revoked");
        Ok(())
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
