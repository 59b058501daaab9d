//! Name resolution inside the call's deadline and cancel token, without a
//! thread per call.
//!
//! ureq resolves the host before every request, pooled connection or not
//! (and a CONNECT proxy's host before connecting to it). A client talks to
//! one host, so this resolver answers IP literals directly and remembers a
//! name's addresses for a short while. A miss runs `getaddrinfo` on a helper
//! thread, as curl's threaded resolver does, and the call waits for it only
//! until its deadline passes or it is cancelled: a resolver that never
//! answers cannot hold a call past its deadline, nor Ctrl-C.
//!
//! Helper threads are bounded: a name has at most one lookup in flight per
//! client, shared by every call waiting for it (a call that gave up leaves it
//! running for the next one, which finds its answer cached), and a process
//! runs at most [`MAX_HELPERS`] of them. A forked child never waits on a
//! parent's lookup: its helper thread does not exist in the child.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Instant;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use crate::call;
use crate::cancel::CANCEL_CHECK_INTERVAL;
use crate::tcp;

use crate::settings::ADDRESS_TTL;

/// Names remembered at most; a client uses one or two (the API and a proxy).
const MAX_NAMES: usize = 8;

/// Addresses kept per name (what ureq holds).
const MAX_ADDRS: usize = 16;

/// Lookups running at once in a process, at most (each on its own thread).
pub(crate) const MAX_HELPERS: u32 = 32;

/// A resolver that answers IP literals itself, caches names for
/// [`ADDRESS_TTL`], and waits for a lookup no longer than the call may.
#[derive(Debug, Default)]
pub(crate) struct CachingResolver {
    inner: DefaultResolver,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    cache: HashMap<String, (Instant, ResolvedSocketAddrs)>,
    /// Lookups in flight, by `host:port`.
    pending: HashMap<String, Arc<Lookup>>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a finished lookup found: its addresses, or why there are none.
type Found = Result<ResolvedSocketAddrs, String>;

/// One `getaddrinfo` on a helper thread, and the calls waiting for it.
#[derive(Debug)]
struct Lookup {
    /// The process whose helper thread runs it.
    pid: u32,
    found: Mutex<Option<Found>>,
    done: Condvar,
}

impl Lookup {
    fn finish(&self, found: Found) {
        *self.found.lock().unwrap_or_else(|e| e.into_inner()) = Some(found);
        self.done.notify_all();
    }
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return self.inner.resolve(uri, config, timeout);
        };
        let Some(key) = DefaultResolver::host_and_port(scheme, authority) else {
            return self.inner.resolve(uri, config, timeout);
        };
        let Some(port) = authority
            .port_u16()
            .or_else(|| default_port(scheme.as_str()))
        else {
            return self.inner.resolve(uri, config, timeout);
        };
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            let mut addrs = self.inner.empty();
            addrs.push(SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        let lookup = {
            let mut state = self.shared.state();
            if let Some((at, addrs)) = state.cache.get(&key)
                && at.elapsed() < ADDRESS_TTL
            {
                return wanted(self, config, addrs);
            }
            let pid = call::pid();
            match state.pending.get(&key) {
                Some(lookup) if lookup.pid == pid => lookup.clone(),
                _ => {
                    if !helpers::take(pid) {
                        return Err(ureq::Error::Io(std::io::Error::other(
                            "too many host name lookups are already waiting for the resolver",
                        )));
                    }
                    let lookup = Arc::new(Lookup {
                        pid,
                        found: Mutex::new(None),
                        done: Condvar::new(),
                    });
                    state.pending.insert(key.clone(), lookup.clone());
                    drop(state);
                    self.spawn(key, lookup.clone(), pid);
                    lookup
                }
            }
        };
        match wait_for(&lookup, tcp::until(timeout))? {
            Ok(addrs) => wanted(self, config, &addrs),
            Err(_) => Err(ureq::Error::HostNotFound),
        }
    }
}

impl CachingResolver {
    /// Runs `lookup` of `key` (`host:port`) on a helper thread, which caches
    /// what it finds and ends the lookup.
    fn spawn(&self, key: String, lookup: Arc<Lookup>, pid: u32) {
        let shared = Arc::downgrade(&self.shared);
        let job = {
            let (key, lookup) = (key.clone(), lookup.clone());
            move || {
                let found = look_up(&key);
                publish(&shared, &key, &lookup, found);
                helpers::give_back(pid);
            }
        };
        if let Err(e) = std::thread::Builder::new()
            .name("engagelab-dns".into())
            .spawn(job)
        {
            helpers::give_back(pid);
            let found = Err(format!("no thread to resolve the host name: {e}"));
            publish(&Arc::downgrade(&self.shared), &key, &lookup, found);
        }
    }
}

/// `getaddrinfo` for `host:port`, at most 16 addresses.
fn look_up(key: &str) -> Found {
    let mut addrs = ResolvedSocketAddrs::from_fn(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    for addr in key.to_socket_addrs().map_err(|e| e.to_string())? {
        if addrs.len() == MAX_ADDRS {
            break;
        }
        addrs.push(addr);
    }
    if addrs.is_empty() {
        return Err("no address".into());
    }
    Ok(addrs)
}

/// Caches what `lookup` found (if anything), takes it off the pending list
/// and wakes its waiters.
fn publish(shared: &Weak<Shared>, key: &str, lookup: &Arc<Lookup>, found: Found) {
    if let Some(shared) = shared.upgrade() {
        let mut state = shared.state();
        if state
            .pending
            .get(key)
            .is_some_and(|p| Arc::ptr_eq(p, lookup))
        {
            state.pending.remove(key);
        }
        if let Ok(addrs) = &found {
            let now = Instant::now();
            if state.cache.len() >= MAX_NAMES {
                state
                    .cache
                    .retain(|_, (at, _)| now.duration_since(*at) < ADDRESS_TTL);
                if state.cache.len() >= MAX_NAMES {
                    state.cache.clear();
                }
            }
            state.cache.insert(key.to_owned(), (now, addrs.clone()));
        }
    }
    lookup.finish(found);
}

/// Waits until `lookup` finishes, `until` passes or the call is cancelled.
fn wait_for(lookup: &Lookup, until: Option<Instant>) -> Result<Found, ureq::Error> {
    let mut found = lookup.found.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(found) = found.as_ref() {
            return Ok(found.clone());
        }
        if call::cancelled(false) {
            return Err(tcp::cancelled());
        }
        let slice = match until {
            Some(until) => {
                let now = Instant::now();
                if now >= until {
                    return Err(ureq::Error::Timeout(ureq::Timeout::Resolve));
                }
                (until - now).min(CANCEL_CHECK_INTERVAL)
            }
            None => CANCEL_CHECK_INTERVAL,
        };
        let (guard, waited) = lookup
            .done
            .wait_timeout(found, slice)
            .unwrap_or_else(|e| e.into_inner());
        found = guard;
        if waited.timed_out() && found.is_none() {
            // The thorough check may run Python's signal handlers: never
            // with the lookup's lock held.
            drop(found);
            if call::cancelled(true) {
                return Err(tcp::cancelled());
            }
            found = lookup.found.lock().unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The addresses of the IP family the agent wants, or `HostNotFound`.
fn wanted(
    resolver: &CachingResolver,
    config: &Config,
    addrs: &ResolvedSocketAddrs,
) -> Result<ResolvedSocketAddrs, ureq::Error> {
    let mut out = resolver.empty();
    for addr in config.ip_family().keep_wanted(addrs.iter().copied()) {
        out.push(addr);
    }
    if out.is_empty() {
        return Err(ureq::Error::HostNotFound);
    }
    Ok(out)
}

/// The process-wide count of helper threads, kept with the id of the process
/// it counts: a forked child starts from zero (its parent's helpers do not
/// run in it), and no lock is involved, so a fork cannot catch one.
mod helpers {
    use super::*;

    static HELPERS: AtomicU64 = AtomicU64::new(0);

    fn pack(pid: u32, count: u32) -> u64 {
        (u64::from(pid) << 32) | u64::from(count)
    }

    fn count_in(word: u64, pid: u32) -> u32 {
        if (word >> 32) as u32 == pid {
            word as u32
        } else {
            0
        }
    }

    /// Takes a helper slot for process `pid`; false when all are taken.
    pub(super) fn take(pid: u32) -> bool {
        take_in(&HELPERS, pid)
    }

    /// Gives back a slot taken by [`take`] in process `pid`.
    pub(super) fn give_back(pid: u32) {
        give_back_in(&HELPERS, pid)
    }

    pub(super) fn take_in(counter: &AtomicU64, pid: u32) -> bool {
        counter
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                let count = count_in(word, pid);
                (count < MAX_HELPERS).then(|| pack(pid, count + 1))
            })
            .is_ok()
    }

    pub(super) fn give_back_in(counter: &AtomicU64, pid: u32) {
        let _ = counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
            let count = count_in(word, pid);
            (count > 0).then(|| pack(pid, count - 1))
        });
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "socks4" | "socks4a" | "socks5" => Some(1080),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(r: &CachingResolver, uri: &str) -> Result<Vec<SocketAddr>, ureq::Error> {
        let uri: Uri = uri.parse().unwrap();
        let timeout = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::from_secs(5),
            reason: ureq::Timeout::Resolve,
            ..NextTimeout::default()
        };
        r.resolve(&uri, &Config::default(), timeout)
            .map(|a| a.iter().copied().collect())
    }

    #[test]
    fn ip_literals_are_answered_without_a_lookup() {
        let r = CachingResolver::default();
        assert_eq!(
            resolve(&r, "http://127.0.0.1:8080/x").unwrap(),
            vec!["127.0.0.1:8080".parse().unwrap()]
        );
        assert_eq!(
            resolve(&r, "https://[::1]/x").unwrap(),
            vec!["[::1]:443".parse().unwrap()]
        );
        assert!(r.shared.state().cache.is_empty());
    }

    #[test]
    fn names_are_cached() {
        let r = CachingResolver::default();
        let first = resolve(&r, "http://localhost:9/").unwrap();
        assert!(!first.is_empty());
        assert_eq!(r.shared.state().cache.len(), 1);
        assert_eq!(resolve(&r, "http://localhost:9/other").unwrap(), first);
    }

    #[test]
    fn helper_threads_are_bounded_per_process_and_a_forked_child_starts_from_zero() {
        let counter = AtomicU64::new(0);
        let (parent, child) = (1000, 1001);
        for _ in 0..MAX_HELPERS {
            assert!(helpers::take_in(&counter, parent));
        }
        assert!(!helpers::take_in(&counter, parent), "the bound holds");
        helpers::give_back_in(&counter, parent);
        assert!(
            helpers::take_in(&counter, parent),
            "a slot given back is reusable"
        );
        // After a fork the parent's helpers do not run in the child.
        assert!(helpers::take_in(&counter, child));
        // A give-back tagged with another process is ignored.
        helpers::give_back_in(&counter, parent);
        for _ in 1..MAX_HELPERS {
            assert!(helpers::take_in(&counter, child));
        }
        assert!(!helpers::take_in(&counter, child));
    }

    #[test]
    fn unknown_names_are_not_cached() {
        let r = CachingResolver::default();
        assert!(resolve(&r, "http://no-such-host.invalid/").is_err());
        assert!(r.shared.state().cache.is_empty());
    }
}
