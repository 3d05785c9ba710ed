//! Passwords: the rule, and argon2id hashing with bounded work.
//!
//! Hashing is slow and memory-hungry on purpose (argon2id, 19 MiB, two
//! passes), so it is bounded process-wide: every hash and every verification
//! holds one of a fixed number of permits (the number of cores), waiting at
//! most [`HASH_WAIT`] for one; past that the caller is answered
//! [`StoreError::Busy`] instead of queuing without end. Memory then stays at
//! about `permits × 19 MiB` however many sign-ins arrive at once.
//!
//! Work of two priorities shares the permits: [`Priority::Clean`] (a sign-in
//! from a client and for an account with no recent failure, an authenticated
//! caller's password change) and [`Priority::Suspect`] (sign-ins after
//! failures, anonymous registrations). Suspect work must also hold a permit of
//! a smaller gate (one fewer than the cores), so that a flood of wrong
//! passwords never takes every core from a real sign-in.
//!
//! Hashes keep their parameters in their text (PHC format), so hashes made
//! with earlier parameters still verify; a stored hash asking for more memory
//! or passes than [`MAX_VERIFY_M_KIB`] / [`MAX_VERIFY_T`] is refused rather
//! than computed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use suyuan_core::Invalid;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::{Result, StoreError};

/// argon2id memory cost in KiB (19 MiB).
pub const ARGON2_M_KIB: u32 = 19 * 1024;
/// argon2id passes.
pub const ARGON2_T: u32 = 2;
/// argon2id lanes.
pub const ARGON2_P: u32 = 1;
/// The most memory a stored hash may ask for when verified (64 MiB).
pub const MAX_VERIFY_M_KIB: u32 = 64 * 1024;
/// The most passes a stored hash may ask for when verified.
pub const MAX_VERIFY_T: u32 = 8;
/// How long a request waits for a hashing permit before it is answered busy.
pub const HASH_WAIT: Duration = Duration::from_secs(5);
/// How long blocking callers (the command line, start-up) wait.
const BLOCKING_WAIT: Duration = Duration::from_secs(60);

/// How urgent a piece of hashing work is (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Clean,
    Suspect,
}

/// A hash of a password nobody knows, made with the current parameters:
/// what a sign-in for an unknown username verifies against, so that it takes
/// as long as one for a known username. (A test checks that its parameters
/// are the current ones.)
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$0CHGnVA7K9LiwP5pioM0xg$dNk2FRg+ddjGjJhV65F0eiszqnLUm0Q/e7kbGpnNKV0";

struct Limiter {
    /// One permit per computation running.
    all: Semaphore,
    /// Suspect work holds one of these as well.
    suspect: Semaphore,
    permits: usize,
    running: AtomicUsize,
    high_water: AtomicUsize,
}

fn limiter() -> &'static Limiter {
    static LIMITER: OnceLock<Limiter> = OnceLock::new();
    LIMITER.get_or_init(|| {
        let permits = std::thread::available_parallelism().map_or(1, |n| n.get());
        Limiter {
            all: Semaphore::new(permits),
            suspect: Semaphore::new(permits.saturating_sub(1).max(1)),
            permits,
            running: AtomicUsize::new(0),
            high_water: AtomicUsize::new(0),
        }
    })
}

/// How many argon2 computations may run at once in this process.
pub fn hash_permits() -> usize {
    limiter().permits
}

/// The most argon2 computations that have run at the same moment in this
/// process so far (never above [`hash_permits`]).
pub fn hashing_high_water_mark() -> usize {
    limiter().high_water.load(Ordering::SeqCst)
}

fn busy() -> StoreError {
    StoreError::Busy {
        retry_after_secs: HASH_WAIT.as_secs().max(1),
    }
}

/// Runs one argon2 computation, counted (the caller holds a permit).
fn counted<T>(f: impl FnOnce() -> T) -> T {
    let l = limiter();
    let now = l.running.fetch_add(1, Ordering::SeqCst) + 1;
    l.high_water.fetch_max(now, Ordering::SeqCst);
    let out = f();
    l.running.fetch_sub(1, Ordering::SeqCst);
    out
}

/// Waits (at most [`HASH_WAIT`] in all) for the permits of `priority`.
async fn acquire(priority: Priority) -> Result<(SemaphorePermit<'static>, Option<SemaphorePermit<'static>>)> {
    let l = limiter();
    let deadline = tokio::time::Instant::now() + HASH_WAIT;
    let gate = match priority {
        Priority::Clean => None,
        Priority::Suspect => Some(
            tokio::time::timeout_at(deadline, l.suspect.acquire())
                .await
                .map_err(|_| busy())?
                .map_err(|_| busy())?,
        ),
    };
    let permit = tokio::time::timeout_at(deadline, l.all.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    Ok((permit, gate))
}

/// Takes a permit from a blocking thread (never an async worker).
fn acquire_blocking() -> Result<SemaphorePermit<'static>> {
    let deadline = Instant::now() + BLOCKING_WAIT;
    loop {
        if let Ok(p) = limiter().all.try_acquire() {
            return Ok(p);
        }
        if Instant::now() >= deadline {
            return Err(busy());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn argon2() -> Argon2<'static> {
    // The parameters are constants within argon2's limits.
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    counted(|| {
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .map_err(|e| StoreError::Corrupt(format!("password hashing failed: {e}")))
}

fn verify_now(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_VERIFY_M_KIB || params.t_cost() > MAX_VERIFY_T {
        tracing::warn!("a stored password hash asks for more work than allowed; refused");
        return false;
    }
    counted(|| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Hashes a password with argon2id and a random salt, on a blocking thread,
/// within the process-wide bound. [`StoreError::Busy`] when no permit came
/// in time.
pub async fn hash_password_bounded(password: String, priority: Priority) -> Result<String> {
    let permits = acquire(priority).await?;
    let out = tokio::task::spawn_blocking(move || {
        let _permits = permits;
        hash_now(&password)
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("password hashing task failed: {e}")))?;
    out
}

/// Checks a password against a stored argon2 hash, like
/// [`hash_password_bounded`].
pub async fn verify_password_bounded(password: String, hash: String, priority: Priority) -> Result<bool> {
    let permits = acquire(priority).await?;
    tokio::task::spawn_blocking(move || {
        let _permits = permits;
        verify_now(&password, &hash)
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("password check task failed: {e}")))
}

/// Hashes a password, blocking the thread (the command line, start-up; call
/// it off the async threads). Within the same process-wide bound.
pub fn hash_password(password: &str) -> Result<String> {
    let _permit = acquire_blocking()?;
    hash_now(password)
}

/// Checks a password, blocking the thread (see [`hash_password`]). A busy
/// process answers `false`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match acquire_blocking() {
        Ok(_permit) => verify_now(password, hash),
        Err(_) => false,
    }
}

/// The password rule: 10 to 128 characters, not all of one kind.
pub fn check_password_rule(password: &str) -> Result<()> {
    check_password_rule_for("password", password)
}

/// [`check_password_rule`] naming another field (`new_password`).
pub fn check_password_rule_for(field: &str, password: &str) -> Result<()> {
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
            field,
            Invalid::new(
                "password_rule",
                "a password has 10 to 128 characters and mixes at least two of: lower case, upper case, digits, symbols",
                "密码须为 10 至 128 个字符，且至少包含小写字母、大写字母、数字、符号中的两类",
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_dummy_hash_has_the_current_parameters() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (ARGON2_M_KIB, ARGON2_T, ARGON2_P)
        );
        let fresh = hash_password("Some-Pass-123").unwrap();
        assert!(fresh.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{fresh}");
        assert!(verify_password("Some-Pass-123", &fresh));
        assert!(!verify_password("Some-Pass-124", &fresh));
    }

    #[test]
    fn hashes_of_the_old_defaults_still_verify_and_greedy_ones_are_refused() {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let old = Argon2::default()
            .hash_password(b"Old-Pass-123", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("Old-Pass-123", &old));
        // A hash claiming 128 MiB is refused without being computed.
        let text = old.replacen("m=19456", &format!("m={}", MAX_VERIFY_M_KIB * 2), 1);
        assert!(!verify_password("Old-Pass-123", &text));
        assert!(!verify_password("Old-Pass-123", "not a hash"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_work_never_exceeds_the_permits() {
        let hash = hash_password("Bound-Pass-123").unwrap();
        let mut tasks = Vec::new();
        for i in 0..12 {
            let hash = hash.clone();
            let priority = if i % 2 == 0 {
                Priority::Clean
            } else {
                Priority::Suspect
            };
            tasks.push(tokio::spawn(async move {
                verify_password_bounded("Bound-Pass-123".into(), hash, priority).await
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap().unwrap());
        }
        let hwm = hashing_high_water_mark();
        assert!(hwm >= 1 && hwm <= hash_permits(), "{hwm} of {}", hash_permits());
    }
}
