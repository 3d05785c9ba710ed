//! `suyuan admin`: everything the operator does at set-up, without the web,
//! so a deployment can be scripted end to end. Each command acts as an
//! operator user (`--as`, default `admin`) and goes through the same store
//! rules as the API. `--json` prints machine-readable output.
//!
//! `admin user` commands may act as any organisation's admin (`--as`), since
//! the operator administers only its own organisation's users (and creates
//! the first admin of an organisation that has none).

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use suyuan_core::model::{OrgKind, OrgStatus, ProducerForm, Role};
use suyuan_store::orgs::{NewOrganisation, OrgFilter, StatusChange};
use suyuan_store::users::{check_password_rule, hash_password, NewUser};
use suyuan_store::{Caller, PageRequest, Store, StoreError};
use uuid::Uuid;

use crate::config::{DbArgs, ServeArgs, Settings};
use crate::serve::{bootstrap, open_existing_store, open_store, random_password};

#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// The operator user to act as.
    #[arg(long = "as", default_value = "admin", global = true)]
    acting_as: String,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create the database schema and the operator (idempotent).
    Init,
    /// Organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// GS1 Company Prefix claims: the operator's review of registration certificates.
    #[command(subcommand)]
    Prefix(PrefixCommand),
    /// The platform's client CA for mutual TLS.
    #[command(subcommand)]
    Ca(crate::tls_admin::CaCommand),
    /// Client certificates of machine clients (mutual TLS).
    #[command(subcommand, name = "client-cert")]
    ClientCert(crate::tls_admin::ClientCertCommand),
}

#[derive(Debug, Subcommand)]
enum PrefixCommand {
    /// Claims, by default those awaiting a decision.
    List {
        /// `claimed`, `verified` or `rejected` [default: claimed]
        #[arg(long, default_value = "claimed")]
        status: String,
    },
    /// Verify a claim (the certificate was checked).
    Verify { id: Uuid },
    /// Reject a claim, with the reason.
    Reject {
        id: Uuid,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Register an organisation (pending until verified).
    Create {
        #[arg(long, value_parser = parse_vocab::<OrgKind>)]
        kind: OrgKind,
        #[arg(long, value_parser = parse_vocab::<ProducerForm>)]
        producer_form: Option<ProducerForm>,
        #[arg(long)]
        name: String,
        /// Unified social credit code.
        #[arg(long)]
        uscc: String,
        /// 6-digit administrative division code.
        #[arg(long)]
        region: String,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        legal_rep_name: String,
        /// The legal representative's ID number (prefer the environment
        /// variable, to keep it out of shell history).
        #[arg(long, env = "SUYUAN_LEGAL_REP_ID", hide_env_values = true)]
        legal_rep_id: String,
        #[arg(long)]
        contact_name: String,
        #[arg(long)]
        contact_phone: String,
        #[arg(long)]
        contact_email: Option<String>,
    },
    /// List organisations.
    List {
        #[arg(long, value_parser = parse_vocab::<OrgStatus>)]
        status: Option<OrgStatus>,
        /// Only those whose credit code failed its checksum.
        #[arg(long)]
        needs_review: bool,
    },
    /// Verify a pending organisation.
    Verify { id: Uuid },
    /// Suspend an organisation.
    Suspend {
        id: Uuid,
        #[arg(long)]
        reason: String,
    },
    /// Restore a suspended organisation.
    Restore { id: Uuid },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user. The password comes from SUYUAN_NEW_USER_PASSWORD, or a
    /// random one is printed once.
    Create {
        #[arg(long)]
        org: Uuid,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        #[arg(long, value_parser = parse_vocab::<Role>)]
        role: Role,
        #[arg(long)]
        jurisdiction: Option<String>,
    },
    /// List the users of an organisation.
    List {
        #[arg(long)]
        org: Uuid,
    },
    /// Disable a user: it cannot sign in, its API keys are revoked and its
    /// sessions end.
    Disable {
        /// Username or user id.
        user: String,
    },
    /// Enable a disabled user again.
    Enable {
        /// Username or user id.
        user: String,
    },
    /// Lift a user's sign-in locks, from every client.
    Unlock {
        /// Username or user id.
        user: String,
    },
    /// Issue a one-time password-reset token (printed once, valid 24 hours;
    /// used at POST /api/v1/auth/password-reset).
    Reset {
        /// Username or user id.
        user: String,
    },
}

#[derive(Debug, Subcommand)]
enum ApiKeyCommand {
    /// Create an API key acting as a user; the secret is printed once.
    Create {
        /// The user the key acts as.
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
    },
}

fn parse_vocab<T>(s: &str) -> Result<T, String>
where
    T: VocabParse,
{
    T::parse_vocab(s)
}

trait VocabParse: Sized {
    fn parse_vocab(s: &str) -> Result<Self, String>;
}

macro_rules! vocab_parse {
    ($($t:ty),*) => {$(
        impl VocabParse for $t {
            fn parse_vocab(s: &str) -> Result<Self, String> {
                <$t>::parse(s).map_err(|e| e.en)
            }
        }
    )*};
}
vocab_parse!(OrgKind, OrgStatus, ProducerForm, Role);

/// Prints a value as JSON or through `text`.
pub(crate) fn emit<T: Serialize>(json: bool, value: &T, text: impl FnOnce(&T) -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", text(value));
    }
    Ok(())
}

/// A store error as a CLI message naming the field and the rule.
pub(crate) fn explain(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid { field, invalid } => {
            anyhow::anyhow!("{field}: {} [{}] / {}", invalid.en, invalid.code, invalid.zh)
        }
        StoreError::Conflict { code, field, en, zh } => {
            anyhow::anyhow!(
                "{}{en} [{code}] / {zh}",
                field.map(|f| format!("{f}: ")).unwrap_or_default()
            )
        }
        StoreError::Forbidden { code, en, zh } => anyhow::anyhow!("{en} [{code}] / {zh}"),
        other => anyhow::anyhow!(other),
    }
}

async fn operator(store: &Store, username: &str) -> Result<Caller> {
    let caller = store
        .caller_for_username(username)
        .await?
        .with_context(|| format!("--as: no user named {username}"))?;
    if !caller.is_operator() {
        bail!("--as: {username} is not a platform operator");
    }
    Ok(caller)
}

/// The user `admin user` commands act as: an operator or an organisation's
/// admin.
async fn org_admin(store: &Store, username: &str) -> Result<Caller> {
    let caller = store
        .caller_for_username(username)
        .await?
        .with_context(|| format!("--as: no user named {username}"))?;
    if !(caller.is_operator() || caller.role == Role::OrgAdmin) {
        bail!("--as: {username} is neither a platform operator nor an organisation's admin");
    }
    Ok(caller)
}

/// A user named by id or username.
async fn user_id(store: &Store, user: &str) -> Result<Uuid> {
    if let Ok(id) = Uuid::parse_str(user) {
        return Ok(id);
    }
    Ok(store
        .caller_for_username(user)
        .await?
        .with_context(|| format!("no user named {user}"))?
        .user_id)
}

pub async fn run(db: &DbArgs, args: AdminArgs) -> Result<()> {
    let settings = Settings::resolve(db, &ServeArgs::default())?;
    // Only `init` creates a database; every other command finds one.
    let store = if matches!(args.command, AdminCommand::Init) {
        open_store(&settings).await?
    } else {
        open_existing_store(&settings).await?
    };
    let result = dispatch(&store, &settings, args).await;
    store.close().await;
    result
}

async fn dispatch(store: &Store, settings: &Settings, args: AdminArgs) -> Result<()> {
    let json = args.json;
    if let AdminCommand::Init = args.command {
        bootstrap(store, settings).await?;
        return emit(json, &serde_json::json!({"status": "ready"}), |_| {
            "数据库已就绪 / database ready".into()
        });
    }
    if let AdminCommand::User(cmd) = args.command {
        let admin = org_admin(store, &args.acting_as).await?;
        return user(store, &admin, json, cmd).await;
    }
    let op = operator(store, &args.acting_as).await?;
    match args.command {
        AdminCommand::Init | AdminCommand::User(_) => Ok(()),
        AdminCommand::Org(cmd) => org(store, &op, json, cmd).await,
        AdminCommand::Prefix(cmd) => prefix(store, &op, json, cmd).await,
        AdminCommand::Ca(cmd) => crate::tls_admin::ca(store, &op, json, cmd).await,
        AdminCommand::ClientCert(cmd) => crate::tls_admin::client_cert(store, &op, json, cmd).await,
        AdminCommand::ApiKey(ApiKeyCommand::Create { user, name }) => {
            let caller = store
                .caller_for_username(&user)
                .await?
                .with_context(|| format!("--user: no user named {user}"))?;
            let key = store.create_api_key(&caller, &name).await.map_err(explain)?;
            emit(json, &key, |k| {
                format!(
                    "API key {} ({}) — secret, shown once:\n{}",
                    k.key.id, k.key.name, k.secret
                )
            })
        }
    }
}

async fn prefix(store: &Store, op: &Caller, json: bool, cmd: PrefixCommand) -> Result<()> {
    let line = |c: &suyuan_store::prefixes::PrefixClaim| {
        format!(
            "{}  {:<8} {:<10} {}  {}",
            c.id, c.status, c.prefix, c.org_id, c.certificate_number
        )
    };
    match cmd {
        PrefixCommand::List { status } => {
            let mut all = Vec::new();
            let mut page = suyuan_store::PageRequest::first(suyuan_store::PageRequest::MAX_LIMIT);
            loop {
                let p = store
                    .list_company_prefixes(op, Some(&status), page)
                    .await
                    .map_err(explain)?;
                all.extend(p.items);
                match p.next_cursor {
                    Some(c) => page.after = Some(c),
                    None => break,
                }
            }
            emit(json, &all, |all| {
                all.iter().map(line).collect::<Vec<_>>().join("\n")
            })
        }
        PrefixCommand::Verify { id } => {
            let c = store
                .decide_company_prefix(op, id, true, None)
                .await
                .map_err(explain)?;
            emit(json, &c, line)
        }
        PrefixCommand::Reject { id, reason } => {
            let c = store
                .decide_company_prefix(op, id, false, Some(&reason))
                .await
                .map_err(explain)?;
            emit(json, &c, line)
        }
    }
}

async fn org(store: &Store, op: &Caller, json: bool, cmd: OrgCommand) -> Result<()> {
    let decided = |change, id, reason: Option<String>| async move {
        store
            .change_organisation_status(op, id, change, reason.as_deref())
            .await
            .map_err(explain)
    };
    let org = match cmd {
        OrgCommand::Create {
            kind,
            producer_form,
            name,
            uscc,
            region,
            address,
            legal_rep_name,
            legal_rep_id,
            contact_name,
            contact_phone,
            contact_email,
        } => {
            let new = NewOrganisation {
                kind,
                producer_form,
                name,
                uscc,
                region,
                address,
                legal_rep_name,
                legal_rep_id_number: legal_rep_id,
                contact_name,
                contact_phone,
                contact_email,
            };
            store.create_organisation(op, &new).await.map_err(explain)?
        }
        OrgCommand::List { status, needs_review } => {
            let filter = OrgFilter {
                status,
                kind: None,
                needs_review: needs_review.then_some(true),
            };
            let mut all = Vec::new();
            let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
            loop {
                let p = store
                    .list_organisations(op, &filter, page)
                    .await
                    .map_err(explain)?;
                all.extend(p.items);
                match p.next_cursor {
                    Some(c) => page.after = Some(c),
                    None => break,
                }
            }
            return emit(json, &all, |orgs| {
                orgs.iter()
                    .map(|o| {
                        format!(
                            "{}  {:<9} {:<17} {}  {}{}",
                            o.id,
                            o.status.as_str(),
                            o.kind.as_str(),
                            o.uscc.as_deref().unwrap_or("-"),
                            o.name,
                            o.review_reason
                                .as_ref()
                                .map(|r| format!("  [review: {r}]"))
                                .unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        OrgCommand::Verify { id } => decided(StatusChange::Verify, id, None).await?,
        OrgCommand::Suspend { id, reason } => decided(StatusChange::Suspend, id, Some(reason)).await?,
        OrgCommand::Restore { id } => decided(StatusChange::Restore, id, None).await?,
    };
    emit(json, &org, |o| {
        format!("{}  {}  {}  {}", o.id, o.status.as_str(), o.kind.as_str(), o.name)
    })
}

async fn user(store: &Store, op: &Caller, json: bool, cmd: UserCommand) -> Result<()> {
    match cmd {
        UserCommand::Create {
            org,
            username,
            display_name,
            role,
            jurisdiction,
        } => {
            let (password, generated) = match std::env::var("SUYUAN_NEW_USER_PASSWORD") {
                Ok(p) => (p, false),
                Err(_) => (random_password(), true),
            };
            check_password_rule(&password)
                .map_err(explain)
                .context("SUYUAN_NEW_USER_PASSWORD")?;
            let new = NewUser {
                username,
                display_name,
                password: password.clone(),
                role,
                jurisdiction,
            };
            let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
            let created = store.create_user(op, org, &new, &hash).await.map_err(explain)?;
            if json {
                let mut v = serde_json::to_value(&created)?;
                if generated {
                    v["password"] = serde_json::Value::String(new.password.clone());
                }
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("{}  {}  {}", created.id, created.username, created.role.as_str());
                if generated {
                    println!("password (shown once): {}", new.password);
                }
            }
            Ok(())
        }
        UserCommand::Disable { user } => {
            let id = user_id(store, &user).await?;
            let u = store.disable_user(op, id).await.map_err(explain)?;
            emit(json, &u, |u| {
                format!(
                    "{}  {}  disabled; API keys revoked, sessions ended",
                    u.id, u.username
                )
            })
        }
        UserCommand::Enable { user } => {
            let id = user_id(store, &user).await?;
            let u = store.enable_user(op, id).await.map_err(explain)?;
            emit(json, &u, |u| format!("{}  {}  enabled", u.id, u.username))
        }
        UserCommand::Unlock { user } => {
            let id = user_id(store, &user).await?;
            let u = store.unlock_user(op, id).await.map_err(explain)?;
            emit(json, &u, |u| format!("{}  {}  unlocked", u.id, u.username))
        }
        UserCommand::Reset { user } => {
            let id = user_id(store, &user).await?;
            let t = store.issue_password_reset(op, id).await.map_err(explain)?;
            emit(json, &t, |t| {
                format!(
                    "password-reset token for {} (shown once, valid until {}):\n{}",
                    t.user_id, t.expires_at, t.token
                )
            })
        }
        UserCommand::List { org } => {
            let page = store
                .list_users(op, org, PageRequest::first(PageRequest::MAX_LIMIT))
                .await
                .map_err(explain)?;
            emit(json, &page.items, |users| {
                users
                    .iter()
                    .map(|u| {
                        format!(
                            "{}  {:<20} {:<10} {}",
                            u.id,
                            u.username,
                            u.role.as_str(),
                            u.display_name
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}
