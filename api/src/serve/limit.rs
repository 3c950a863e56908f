//! Failed sign-ins are counted per account and per client address over a sliding window; past the limit a
//! sign-in is refused (429, with how long to wait) before the password is even checked, so guessing a password
//! — one account from many addresses, or many accounts from one — costs hours, not seconds. A success clears the
//! account's count. Only failures count: a shop's staff signing in all day from one address are never held up.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures an account may have in the window.
const PER_ACCOUNT: usize = 5;
/// Failures a client address may have in the window (a shop's staff share one address).
const PER_ADDRESS: usize = 20;
/// The window.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys kept before expired ones are swept out, so a flood of made-up usernames cannot grow memory for ever.
const SWEEP_AT: usize = 10_000;

/// The failures of each key (`account:…`, `address:…`) within the window.
#[derive(Debug, Default)]
pub(crate) struct SignIns {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl SignIns {
    /// `Ok` if both the account and the address are under their limits; else how long until one of them is.
    pub(crate) fn check(&self, account: &str, address: &str) -> Result<(), Duration> {
        self.check_at(account, address, Instant::now())
    }

    fn check_at(&self, account: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let Ok(map) = self.failures.lock() else { return Ok(()) };
        let wait = |key: String, limit: usize| -> Option<Duration> {
            let times = map.get(&key)?;
            let recent: Vec<&Instant> = times.iter().filter(|t| now.duration_since(**t) < WINDOW).collect();
            // the wait ends when enough of the recent failures have left the window
            (recent.len() >= limit).then(|| WINDOW - now.duration_since(*recent[recent.len() - limit]))
        };
        let waits = [wait(format!("account:{account}"), PER_ACCOUNT), wait(format!("address:{address}"), PER_ADDRESS)];
        match waits.into_iter().flatten().max() {
            Some(w) => Err(w),
            None => Ok(()),
        }
    }

    /// Counts a failure against both.
    pub(crate) fn failed(&self, account: &str, address: &str) {
        self.failed_at(account, address, Instant::now());
    }

    fn failed_at(&self, account: &str, address: &str, now: Instant) {
        let Ok(mut map) = self.failures.lock() else { return };
        if map.len() >= SWEEP_AT {
            map.retain(|_, times| {
                times.retain(|t| now.duration_since(*t) < WINDOW);
                !times.is_empty()
            });
        }
        for key in [format!("account:{account}"), format!("address:{address}")] {
            let times = map.entry(key).or_default();
            times.retain(|t| now.duration_since(*t) < WINDOW);
            times.push(now);
        }
    }

    /// Clears an account's failures after it signed in.
    pub(crate) fn succeeded(&self, account: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&format!("account:{account}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_failure_of_an_account_waits_until_the_first_leaves_the_window() {
        let s = SignIns::default();
        let t0 = Instant::now();
        for i in 0..5 {
            assert_eq!(s.check_at("1/maya", "10.0.0.1", t0 + Duration::from_secs(i)), Ok(()));
            s.failed_at("1/maya", "10.0.0.1", t0 + Duration::from_secs(i));
        }
        // five failures at 0..4 s: at 10 s the wait is until the first is 15 minutes old
        assert_eq!(
            s.check_at("1/maya", "10.0.0.2", t0 + Duration::from_secs(10)),
            Err(WINDOW - Duration::from_secs(10))
        );
        // another account from the same address is not held up
        assert_eq!(s.check_at("1/leo", "10.0.0.1", t0 + Duration::from_secs(10)), Ok(()));
        // once the first failure has left the window, one more try is allowed
        assert_eq!(s.check_at("1/maya", "10.0.0.1", t0 + WINDOW + Duration::from_millis(1)), Ok(()));
        // a success clears the account
        s.succeeded("1/maya");
        assert_eq!(s.check_at("1/maya", "10.0.0.1", t0 + Duration::from_secs(11)), Ok(()));
    }

    #[test]
    fn one_address_guessing_many_accounts_is_held_up_at_twenty() {
        let s = SignIns::default();
        let t0 = Instant::now();
        for i in 0..20 {
            s.failed_at(&format!("1/user{i}"), "10.9.9.9", t0);
        }
        assert_eq!(
            s.check_at("1/someone", "10.9.9.9", t0 + Duration::from_secs(60)),
            Err(WINDOW - Duration::from_secs(60))
        );
        assert_eq!(s.check_at("1/someone", "10.9.9.8", t0 + Duration::from_secs(60)), Ok(()));
    }
}
