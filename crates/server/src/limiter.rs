//! A small in-memory rate limiter per client address, for public forms
//! that store something without a sign-in (complaints). Each server counts
//! on its own: behind several servers a client gets at most that many
//! times the limit, which still stops a flood. A refused request is not
//! counted, and nothing else is kept about the client.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Clients remembered before the expired ones are swept out.
const SWEEP_AT: usize = 10_000;

/// At most `max` requests per `window` from one address.
#[derive(Debug)]
pub struct Limiter {
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Limiter {
    pub fn new(max: usize, window: Duration) -> Self {
        Limiter {
            max,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request from `addr` when it is within the limit; otherwise
    /// answers the seconds until one is allowed again (for `Retry-After`).
    pub fn hit(&self, addr: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if hits.len() >= SWEEP_AT {
            let window = self.window;
            hits.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let q = hits.entry(addr).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            q.pop_front();
        }
        if q.len() >= self.max {
            let oldest = q.front().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        q.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_per_address() {
        let l = Limiter::new(2, Duration::from_secs(60));
        let (a, b) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        assert!(l.hit(a).is_ok());
        assert!(l.hit(a).is_ok());
        let wait = l.hit(a).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(l.hit(b).is_ok());
    }
}
