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
//! Only completed failures count towards a limit. An attempt whose password
//! is being checked is *in flight* (a row of `sign_in_attempts` per bucket):
//! an attempt is admitted only while a bucket's failures plus its attempts in
//! flight stay under the limit, so a burst of concurrent guesses cannot slip
//! past a limit while their hashes are computed. An attempt that would reach
//! the limit waits (up to [`WAIT_MS`]) for those in flight to settle, so
//! concurrent sign-ins with the right password are delayed, never locked.
//! A settled attempt removes its rows; one whose handler was cancelled
//! removes them when it is dropped, and a row older than [`STALE_MS`] (the
//! process died) no longer counts.

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
/// An attempt in flight for longer than this no longer counts.
pub const STALE_MS: i64 = 60 * 1000;
/// The longest an attempt waits for attempts in flight to settle.
pub const WAIT_MS: u64 = 5_000;

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

/// An admitted attempt whose password is about to be checked. Settle it
/// with [`Store::sign_in_succeeded`], [`Store::sign_in_failed`] or
/// [`Store::sign_in_abandoned`]; dropped unsettled (its handler was
/// cancelled), it is abandoned in the background.
pub struct Attempt {
    id: String,
    username: String,
    /// (bucket, kind, completed failures before this attempt).
    buckets: [(String, Kind, i64); 3],
    store: Option<Box<Store>>,
}

impl std::fmt::Debug for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt")
            .field("id", &self.id)
            .field("buckets", &self.buckets)
            .field("settled", &self.store.is_none())
            .finish()
    }
}

impl Attempt {
    /// Clean when neither this client nor this pair failed recently.
    pub fn priority(&self) -> Priority {
        let clean = self
            .buckets
            .iter()
            .filter(|b| b.1 != Kind::Account)
            .all(|b| b.2 == 0);
        if clean {
            Priority::Clean
        } else {
            Priority::Suspect
        }
    }

    /// Marks the attempt settled: dropping it no longer abandons it.
    fn settle(&mut self) {
        self.store = None;
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        let Some(store) = self.store.take() else {
            return;
        };
        let id = self.id.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = store.forget_attempt(&id).await {
                    tracing::warn!(error = %e, "a cancelled sign-in could not give back its place");
                }
            });
        }
    }
}

/// Whether an attempt may check its password.
#[derive(Debug)]
pub enum Admission {
    Admitted(Attempt),
    Locked(Lock),
    /// Too many attempts were in flight for too long: try again shortly.
    Busy,
}

enum Try {
    Admitted([(String, Kind, i64); 3]),
    Locked(Lock),
    Full,
}

// Starts a bucket's count again when its window has passed (and it holds no
// lock) or its lock has run out; otherwise leaves it as it is (and locks the
// row until the transaction ends, which serialises the admissions of one
// bucket).
const TOUCH: &str = "INSERT INTO login_throttle (bucket, account_key, failures, window_start, locked_until) \
     VALUES ($1, $2, 0, $3, NULL) \
     ON CONFLICT (bucket) DO UPDATE SET \
     failures = CASE WHEN (login_throttle.locked_until IS NULL AND login_throttle.window_start <= $4) \
         OR login_throttle.locked_until <= $3 THEN 0 ELSE login_throttle.failures END, \
     window_start = CASE WHEN (login_throttle.locked_until IS NULL AND login_throttle.window_start <= $4) \
         OR login_throttle.locked_until <= $3 THEN $3 ELSE login_throttle.window_start END, \
     locked_until = CASE WHEN (login_throttle.locked_until IS NULL AND login_throttle.window_start <= $4) \
         OR login_throttle.locked_until <= $3 THEN NULL ELSE login_throttle.locked_until END";

// Counts one completed failure (a new window when the old one has passed),
// locking the bucket when the count reaches the limit.
const FAIL: &str = "INSERT INTO login_throttle (bucket, account_key, failures, window_start, locked_until) \
     VALUES ($1, $2, 1, $3, CASE WHEN 1 >= $5 THEN $6 ELSE NULL END) \
     ON CONFLICT (bucket) DO UPDATE SET \
     failures = CASE WHEN (login_throttle.locked_until IS NULL AND login_throttle.window_start <= $4) \
         OR login_throttle.locked_until <= $3 THEN 1 ELSE login_throttle.failures + 1 END, \
     window_start = CASE WHEN (login_throttle.locked_until IS NULL AND login_throttle.window_start <= $4) \
         OR login_throttle.locked_until <= $3 THEN $3 ELSE login_throttle.window_start END, \
     locked_until = CASE WHEN (login_throttle.locked_until IS NULL AND login_throttle.window_start <= $4) \
         OR login_throttle.locked_until <= $3 THEN NULL \
       WHEN login_throttle.locked_until IS NULL AND login_throttle.failures + 1 >= $5 THEN $6 \
       ELSE login_throttle.locked_until END";

const COUNTERS: &str =
    "SELECT bucket, failures, window_start, locked_until FROM login_throttle WHERE bucket IN ($1, $2, $3)";

const IN_FLIGHT: &str = "SELECT bucket, COUNT(*) AS n FROM sign_in_attempts \
     WHERE bucket IN ($1, $2, $3) AND started_at > $4 GROUP BY bucket";

fn bucket_params(keys: &[(String, Kind); 3]) -> [crate::db::Val; 3] {
    params![keys[0].0.clone(), keys[1].0.clone(), keys[2].0.clone()]
}

fn in_flight_params(keys: &[(String, Kind); 3], now: i64) -> [crate::db::Val; 4] {
    params![
        keys[0].0.clone(),
        keys[1].0.clone(),
        keys[2].0.clone(),
        now - STALE_MS
    ]
}

/// Whether an attempt fits, from the buckets' counters and their attempts in
/// flight: a lock in force refuses; a bucket whose failures and attempts in
/// flight reach its limit has no room yet. A counter whose window has passed
/// (without a lock), or whose lock has run out, counts nothing.
fn assess(
    keys: &[(String, Kind); 3],
    rows: &[crate::db::Row],
    in_flight: &[crate::db::Row],
    now: i64,
) -> Result<Try> {
    let mut counted = Vec::with_capacity(3);
    let mut lock: Option<Lock> = None;
    let mut full = false;
    for (bucket, kind) in keys {
        let row = rows.iter().find(|r| r.text("bucket").is_ok_and(|b| b == *bucket));
        let (mut failures, mut window, mut until) = (0, now, None);
        if let Some(r) = row {
            failures = r.int("failures")?;
            window = r.int("window_start")?;
            until = r.opt_int("locked_until")?;
        }
        let expired = match until {
            Some(u) => u <= now,
            None => window <= now - WINDOW_MS,
        };
        if expired {
            failures = 0;
        } else if let Some(until) = until {
            if lock.is_none_or(|l| until > l.until_ms) {
                lock = Some(Lock {
                    until_ms: until,
                    scope: kind.scope(),
                });
            }
        }
        let pending = in_flight
            .iter()
            .find(|r| r.text("bucket").is_ok_and(|b| b == *bucket))
            .map(|r| r.int("n"))
            .transpose()?
            .unwrap_or(0);
        full |= failures + pending >= kind.limit();
        counted.push((bucket.clone(), *kind, failures));
    }
    if let Some(lock) = lock {
        return Ok(Try::Locked(lock));
    }
    if full {
        return Ok(Try::Full);
    }
    let buckets: [(String, Kind, i64); 3] = counted
        .try_into()
        .map_err(|_| crate::StoreError::Corrupt("sign-in buckets".into()))?;
    Ok(Try::Admitted(buckets))
}

impl Store {
    /// Admits a sign-in attempt for `username` from `client` before its
    /// password is checked; refuses it when a lock is in force, and answers
    /// busy when attempts in flight kept it waiting too long.
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
        let id = hex::encode(rand::thread_rng().gen::<[u8; 16]>());
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(WAIT_MS);
        let mut pause = std::time::Duration::from_millis(10);
        loop {
            match self.try_admit(&keys, &account, &id).await? {
                Try::Admitted(buckets) => {
                    return Ok(Admission::Admitted(Attempt {
                        id,
                        username: username.to_owned(),
                        buckets,
                        store: Some(Box::new(self.clone())),
                    }))
                }
                Try::Locked(lock) => return Ok(Admission::Locked(lock)),
                Try::Full if std::time::Instant::now() >= deadline => return Ok(Admission::Busy),
                Try::Full => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(std::time::Duration::from_millis(200));
                }
            }
        }
    }

    /// One admission try: the attempt is admitted when, in every bucket, the
    /// completed failures and the attempts in flight leave room for it. A
    /// read comes first, so that waiting (or refused) attempts cost no write.
    async fn try_admit(&self, keys: &[(String, Kind); 3], account: &str, id: &str) -> Result<Try> {
        let now = now_ms();
        let (rows, in_flight) = {
            let mut conn = self.db.conn();
            (
                conn.fetch_all(COUNTERS, &bucket_params(keys)).await?,
                conn.fetch_all(IN_FLIGHT, &in_flight_params(keys, now)).await?,
            )
        };
        match assess(keys, &rows, &in_flight, now)? {
            Try::Admitted(_) => {}
            other => return Ok(other),
        }
        let mut tx = self.db.begin().await?;
        for (bucket, kind) in keys {
            let acct = (*kind != Kind::Client).then(|| account.to_owned());
            tx.execute(TOUCH, &params![bucket.clone(), acct, now, now - WINDOW_MS])
                .await?;
        }
        let rows = tx.fetch_all(COUNTERS, &bucket_params(keys)).await?;
        let in_flight = tx.fetch_all(IN_FLIGHT, &in_flight_params(keys, now)).await?;
        let verdict = assess(keys, &rows, &in_flight, now)?;
        if let Try::Admitted(_) = verdict {
            for (bucket, _) in keys {
                tx.execute(
                    "INSERT INTO sign_in_attempts (id, bucket, started_at) VALUES ($1, $2, $3)",
                    &params![id.to_owned(), bucket.clone(), now],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(verdict)
    }

    /// The attempt's password was wrong (or the user unknown or disabled):
    /// it is counted as a failure. Returns the lock this failure completed,
    /// if any.
    pub async fn sign_in_failed(&self, mut attempt: Attempt) -> Result<Option<Lock>> {
        attempt.settle();
        let now = now_ms();
        let locks_at = now + LOCK_MS;
        let account = account_key(&attempt.username);
        let mut tx = self.db.begin().await?;
        tx.execute(
            "DELETE FROM sign_in_attempts WHERE id = $1",
            &params![attempt.id.clone()],
        )
        .await?;
        let mut completed: Option<LockScope> = None;
        for (bucket, kind, _) in &attempt.buckets {
            let acct = (*kind != Kind::Client).then(|| account.clone());
            tx.execute(
                FAIL,
                &params![bucket.clone(), acct, now, now - WINDOW_MS, kind.limit(), locks_at],
            )
            .await?;
            let row = tx
                .fetch_optional(
                    "SELECT failures FROM login_throttle WHERE bucket = $1",
                    &params![bucket.clone()],
                )
                .await?;
            let failures = row.map(|r| r.int("failures")).transpose()?.unwrap_or(0);
            if failures == kind.limit() && completed != Some(LockScope::Account) {
                completed = Some(kind.scope());
            }
        }
        if completed == Some(LockScope::Account) {
            // Shown on the user (matching no row when the username is unknown).
            tx.execute(
                "UPDATE users SET locked_until = $1 WHERE username = $2 \
                 AND (locked_until IS NULL OR locked_until < $1)",
                &params![locks_at, attempt.username.clone()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(completed.map(|scope| Lock {
            until_ms: locks_at,
            scope,
        }))
    }

    /// The attempt succeeded: the pair's count is cleared, and the attempt is
    /// no failure of the account or the client.
    pub async fn sign_in_succeeded(&self, mut attempt: Attempt) -> Result<()> {
        attempt.settle();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "DELETE FROM sign_in_attempts WHERE id = $1",
            &params![attempt.id.clone()],
        )
        .await?;
        tx.execute(
            "DELETE FROM login_throttle WHERE bucket = $1",
            &params![attempt.buckets[0].0.clone()],
        )
        .await?;
        tx.commit().await
    }

    /// The attempt's password was never checked (the server was busy): it
    /// is not counted.
    pub async fn sign_in_abandoned(&self, mut attempt: Attempt) -> Result<()> {
        attempt.settle();
        self.forget_attempt(&attempt.id).await
    }

    /// Removes an attempt's rows in flight.
    async fn forget_attempt(&self, id: &str) -> Result<()> {
        self.db
            .conn()
            .execute(
                "DELETE FROM sign_in_attempts WHERE id = $1",
                &params![id.to_owned()],
            )
            .await?;
        Ok(())
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

    /// Forgets counters whose window and lock have both passed, and
    /// attempts in flight that no longer count.
    async fn prune_sign_in_counters(&self, now: i64) -> Result<()> {
        self.db
            .conn()
            .execute(
                "DELETE FROM login_throttle WHERE window_start <= $1 \
                 AND (locked_until IS NULL OR locked_until <= $2)",
                &params![now - WINDOW_MS, now],
            )
            .await?;
        self.db
            .conn()
            .execute(
                "DELETE FROM sign_in_attempts WHERE started_at <= $1",
                &params![now - STALE_MS],
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
