//! Sign-in throttling, per client and per account, that does not tell which
//! accounts exist.
//!
//! Failures are counted in an operational table (`login_throttle`, one row a
//! bucket) under three keys: the (account, client) pair, the account across
//! all clients, and the client across all accounts. The account is a hash of
//! the username as typed, known or not, so an unknown username is counted,
//! locked and answered exactly like a known one. A client is its IPv4
//! address, or the /64 network of its IPv6 address.
//!
//! - [`PAIR_LIMIT`] failures of one pair within [`WINDOW_MS`] lock that pair
//!   for [`LOCK_MS`]: an attacker locks itself out, not the account's owner
//!   on another address;
//! - [`ACCOUNT_LIMIT`] failures of one account from any clients lock the
//!   account for everyone (a distributed guess), until it runs out or the
//!   organisation's admin unlocks it;
//! - [`CLIENT_LIMIT`] failures of one client across accounts lock the client
//!   (password spraying).
//!
//! An attempt is counted *before* its password is checked (a reservation),
//! so that a burst of concurrent attempts cannot all slip past a limit while
//! their hashes are computed; a success, or an attempt that was never
//! checked (the server was busy), gives its reservation back.

use std::net::IpAddr;

use rand::Rng;
use sha2::{Digest, Sha256};

use super::password::Priority;
use crate::db::Tx;
use crate::{now_ms, params, Result, Store};

/// Failures of one (account, client) pair that lock the pair.
pub const PAIR_LIMIT: i64 = 5;
/// Failures of one account from all clients that lock the account.
pub const ACCOUNT_LIMIT: i64 = 50;
/// Failures of one client across all accounts that lock the client.
pub const CLIENT_LIMIT: i64 = 30;
/// The window failures are counted in.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// How long a lock lasts.
pub const LOCK_MS: i64 = 15 * 60 * 1000;

/// The key of an account in the throttle: a hash of the username as typed.
pub fn account_key(username: &str) -> String {
    let digest = Sha256::digest(format!("suyuan-sign-in/v1\n{username}").as_bytes());
    hex::encode(&digest[..16])
}

/// The key of a client: its IPv4 address, or its IPv6 /64 network.
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = a.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// What a lock covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockScope {
    /// The account, from this client or from all.
    Account,
    /// This client, for all accounts.
    Client,
}

/// A lock in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lock {
    /// When it ends (ms since the epoch).
    pub until_ms: i64,
    pub scope: LockScope,
}

impl Lock {
    /// Whole seconds until it ends (at least 1), for `Retry-After`.
    pub fn retry_after_secs(&self) -> u64 {
        let ms = u64::try_from(self.until_ms - now_ms()).unwrap_or(0).max(1000);
        ms.div_ceil(1000)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pair,
    Account,
    Client,
}

impl Kind {
    fn limit(self) -> i64 {
        match self {
            Kind::Pair => PAIR_LIMIT,
            Kind::Account => ACCOUNT_LIMIT,
            Kind::Client => CLIENT_LIMIT,
        }
    }

    fn scope(self) -> LockScope {
        match self {
            Kind::Pair | Kind::Account => LockScope::Account,
            Kind::Client => LockScope::Client,
        }
    }
}

/// A counted attempt whose password is about to be checked. Settle it with
/// [`Store::sign_in_succeeded`], [`Store::sign_in_failed`] or
/// [`Store::sign_in_abandoned`].
#[derive(Debug)]
pub struct Attempt {
    username: String,
    /// (bucket, kind, failures counted including this attempt).
    buckets: [(String, Kind, i64); 3],
    locks_at_ms: i64,
}

impl Attempt {
    /// Clean when neither this client nor this pair failed recently.
    pub fn priority(&self) -> Priority {
        let clean = self
            .buckets
            .iter()
            .filter(|b| b.1 != Kind::Account)
            .all(|b| b.2 == 1);
        if clean {
            Priority::Clean
        } else {
            Priority::Suspect
        }
    }
}

/// Whether an attempt may check its password.
#[derive(Debug)]
pub enum Admission {
    Admitted(Attempt),
    Locked(Lock),
}

// `fresh`: the row's window has passed (and it holds no lock), or its lock
// has run out: the count starts again.
const UPSERT: &str =
    "INSERT INTO login_throttle (bucket, account_key, failures, window_start, locked_until) \
     VALUES ($1, $2, 1, $3, NULL) \
     ON CONFLICT (bucket) DO UPDATE SET \
     failures = CASE WHEN (login_throttle.locked_until IS NULL AND login_throttle.window_start <= $4) \
         OR login_throttle.locked_until <= $3 THEN 1 ELSE login_throttle.failures + 1 END, \
     window_start = CASE WHEN (login_throttle.locked_until IS NULL AND login_throttle.window_start <= $4) \
         OR login_throttle.locked_until <= $3 THEN $3 ELSE login_throttle.window_start END, \
     locked_until = CASE WHEN (login_throttle.locked_until IS NULL AND login_throttle.window_start <= $4) \
         OR login_throttle.locked_until <= $3 THEN NULL \
       WHEN login_throttle.locked_until IS NULL AND login_throttle.failures + 1 >= $5 THEN $6 \
       ELSE login_throttle.locked_until END";

// Gives one counted attempt back; a lock whose count falls below the limit
// goes with it.
const RELEASE: &str = "UPDATE login_throttle SET failures = failures - 1, \
     locked_until = CASE WHEN failures - 1 < $2 THEN NULL ELSE locked_until END \
     WHERE bucket = $1 AND failures > 0";

impl Store {
    /// Counts a sign-in attempt for `username` from `client` before its
    /// password is checked; refuses it when a lock is in force.
    pub async fn begin_sign_in(&self, username: &str, client: IpAddr) -> Result<Admission> {
        let now = now_ms();
        if rand::thread_rng().gen_ratio(1, 64) {
            self.prune_sign_in_counters(now).await?;
        }
        let account = account_key(username);
        let client = client_key(client);
        let keys = [
            (format!("p:{account}:{client}"), Kind::Pair),
            (format!("a:{account}"), Kind::Account),
            (format!("c:{client}"), Kind::Client),
        ];
        // A lock in force refuses at once, with a read: a flood against a
        // lock costs no write.
        if let Some(lock) = self.lock_in_force(&keys, now).await? {
            return Ok(Admission::Locked(lock));
        }
        let mut tx = self.db.begin().await?;
        for (bucket, kind) in &keys {
            let acct = (*kind != Kind::Client).then(|| account.clone());
            tx.execute(
                UPSERT,
                &params![
                    bucket.clone(),
                    acct,
                    now,
                    now - WINDOW_MS,
                    kind.limit(),
                    now + LOCK_MS
                ],
            )
            .await?;
        }
        let rows = tx
            .fetch_all(
                "SELECT bucket, failures, locked_until FROM login_throttle WHERE bucket IN ($1, $2, $3)",
                &params![keys[0].0.clone(), keys[1].0.clone(), keys[2].0.clone()],
            )
            .await?;
        let mut counted = Vec::with_capacity(3);
        let mut lock: Option<Lock> = None;
        for (bucket, kind) in keys {
            let row = rows.iter().find(|r| r.text("bucket").is_ok_and(|b| b == bucket));
            let failures = row.map(|r| r.int("failures")).transpose()?.unwrap_or(1);
            if failures > kind.limit() {
                // Already locked before this attempt.
                let until = row.map(|r| r.opt_int("locked_until")).transpose()?.flatten();
                let until = until.unwrap_or(now + LOCK_MS);
                if lock.is_none_or(|l| until > l.until_ms) {
                    lock = Some(Lock {
                        until_ms: until,
                        scope: kind.scope(),
                    });
                }
            }
            counted.push((bucket, kind, failures));
        }
        if let Some(lock) = lock {
            // A refused attempt is not counted.
            for (bucket, kind, _) in &counted {
                tx.execute(RELEASE, &params![bucket.clone(), kind.limit()])
                    .await?;
            }
            tx.commit().await?;
            return Ok(Admission::Locked(lock));
        }
        tx.commit().await?;
        let buckets: [(String, Kind, i64); 3] = counted
            .try_into()
            .map_err(|_| crate::StoreError::Corrupt("sign-in buckets".into()))?;
        Ok(Admission::Admitted(Attempt {
            username: username.to_owned(),
            buckets,
            locks_at_ms: now + LOCK_MS,
        }))
    }

    /// The attempt's password was wrong (or the user unknown or disabled):
    /// its count stays. Returns the lock this failure completed, if any.
    pub async fn sign_in_failed(&self, attempt: Attempt) -> Result<Option<Lock>> {
        let completed = attempt
            .buckets
            .iter()
            .filter(|(_, kind, failures)| *failures == kind.limit())
            .map(|(_, kind, _)| kind.scope())
            .min_by_key(|s| match s {
                LockScope::Account => 0,
                LockScope::Client => 1,
            });
        let Some(scope) = completed else {
            return Ok(None);
        };
        if scope == LockScope::Account {
            // Shown on the user (matching no row when the username is unknown).
            self.db
                .conn()
                .execute(
                    "UPDATE users SET locked_until = $1 WHERE username = $2 \
                     AND (locked_until IS NULL OR locked_until < $1)",
                    &params![attempt.locks_at_ms, attempt.username.clone()],
                )
                .await?;
        }
        Ok(Some(Lock {
            until_ms: attempt.locks_at_ms,
            scope,
        }))
    }

    /// The attempt succeeded: the pair's count is cleared, and the attempt is
    /// no failure of the account or the client.
    pub async fn sign_in_succeeded(&self, attempt: Attempt) -> Result<()> {
        let mut tx = self.db.begin().await?;
        for (bucket, kind, _) in &attempt.buckets {
            if *kind == Kind::Pair {
                tx.execute(
                    "DELETE FROM login_throttle WHERE bucket = $1",
                    &params![bucket.clone()],
                )
                .await?;
            } else {
                tx.execute(RELEASE, &params![bucket.clone(), kind.limit()])
                    .await?;
            }
        }
        tx.commit().await
    }

    /// The attempt's password was never checked (the server was busy): it
    /// is not counted.
    pub async fn sign_in_abandoned(&self, attempt: Attempt) -> Result<()> {
        let mut tx = self.db.begin().await?;
        for (bucket, kind, _) in &attempt.buckets {
            tx.execute(RELEASE, &params![bucket.clone(), kind.limit()])
                .await?;
        }
        tx.commit().await
    }

    /// Lifts every lock of an account (all its pairs and the account itself).
    pub(crate) async fn clear_sign_in_locks(&self, tx: &mut Tx, username: &str) -> Result<()> {
        tx.execute(
            "DELETE FROM login_throttle WHERE account_key = $1",
            &params![account_key(username)],
        )
        .await?;
        tx.execute(
            "UPDATE users SET locked_until = NULL, failed_logins = 0 WHERE username = $1",
            &params![username],
        )
        .await?;
        Ok(())
    }

    /// The longest lock in force on any of the buckets, if any.
    async fn lock_in_force(&self, keys: &[(String, Kind); 3], now: i64) -> Result<Option<Lock>> {
        let rows = self
            .db
            .conn()
            .fetch_all(
                "SELECT bucket, locked_until FROM login_throttle \
                 WHERE bucket IN ($1, $2, $3) AND locked_until > $4",
                &params![keys[0].0.clone(), keys[1].0.clone(), keys[2].0.clone(), now],
            )
            .await?;
        let mut lock: Option<Lock> = None;
        for r in &rows {
            let bucket = r.text("bucket")?;
            let until = r.int("locked_until")?;
            let Some((_, kind)) = keys.iter().find(|(b, _)| *b == bucket) else {
                continue;
            };
            if lock.is_none_or(|l| until > l.until_ms) {
                lock = Some(Lock {
                    until_ms: until,
                    scope: kind.scope(),
                });
            }
        }
        Ok(lock)
    }

    /// Forgets counters whose window and lock have both passed.
    async fn prune_sign_in_counters(&self, now: i64) -> Result<()> {
        self.db
            .conn()
            .execute(
                "DELETE FROM login_throttle WHERE window_start <= $1 \
                 AND (locked_until IS NULL OR locked_until <= $2)",
                &params![now - WINDOW_MS, now],
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_addresses_or_ipv6_networks() {
        let v4: IpAddr = "203.0.113.7"
            .parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        assert_eq!(client_key(v4), "203.0.113.7");
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap_or(v4);
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap_or(v4);
        assert_eq!(client_key(a), "2001:db8:1:2::/64");
        assert_eq!(client_key(a), client_key(b));
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap_or(a);
        assert_eq!(client_key(mapped), "203.0.113.7");
        assert_ne!(account_key("admin"), account_key("admin2"));
        assert_eq!(account_key("admin").len(), 32);
    }
}
