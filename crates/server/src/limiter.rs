//! A small in-memory rate limiter per client address (or any key: an
//! account), for public forms that store something without a sign-in
//! (complaints) and for the rate limits and detectors of
//! [`crate::defence`]. Each server counts on its own: behind several
//! servers a client gets at most that many times the limit, which still
//! stops a flood. A refused request is not counted, and nothing else is
//! kept about the client.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Clients remembered before the expired ones are swept out.
const SWEEP_AT: usize = 10_000;

/// At most `max` requests per `window` from one address (or key).
#[derive(Debug)]
pub struct Limiter<K = IpAddr> {
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    pub fn new(max: usize, window: Duration) -> Self {
        Limiter {
            max,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request from `addr` when it is within the limit; otherwise
    /// answers the seconds until one is allowed again (for `Retry-After`).
    pub fn hit(&self, addr: K) -> Result<(), u64> {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let q = Self::queue(&mut hits, addr, now, self.window);
        if q.len() >= self.max {
            let oldest = q.front().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        q.push_back(now);
        Ok(())
    }

    /// Counts an occurrence from `key` (always) and answers how many fell
    /// within the window, this one included: for detectors, which act when
    /// the count reaches their threshold.
    pub fn count(&self, key: K) -> usize {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let q = Self::queue(&mut hits, key, now, self.window);
        q.push_back(now);
        if q.len() > self.max.max(1) * 2 {
            q.pop_front();
        }
        q.len()
    }

    /// Forgets `key` (a detector that acted starts again).
    pub fn forget(&self, key: &K) {
        self.hits.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }

    /// The key's queue with the expired entries dropped (and the whole map
    /// swept of expired keys when it grew large).
    fn queue(
        hits: &mut HashMap<K, VecDeque<Instant>>,
        key: K,
        now: Instant,
        window: Duration,
    ) -> &mut VecDeque<Instant> {
        if hits.len() >= SWEEP_AT {
            hits.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let q = hits.entry(key).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
        q
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_per_address() {
        let l: Limiter = Limiter::new(2, Duration::from_secs(60));
        let (a, b) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        assert!(l.hit(a).is_ok());
        assert!(l.hit(a).is_ok());
        let wait = l.hit(a).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(l.hit(b).is_ok());
    }

    #[test]
    fn counts_within_the_window_per_key() {
        let l: Limiter<u64> = Limiter::new(3, Duration::from_secs(60));
        assert_eq!(l.count(1), 1);
        assert_eq!(l.count(1), 2);
        assert_eq!(l.count(2), 1);
        assert_eq!(l.count(1), 3);
        l.forget(&1);
        assert_eq!(l.count(1), 1);
    }
}
