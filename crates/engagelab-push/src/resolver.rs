//! Name resolution that does not cost a thread per call.
//!
//! ureq resolves the host before every request, pooled connection or not, and
//! with a deadline set its default resolver runs each lookup on a new thread
//! so the lookup can time out. A client talks to one host, so this resolver
//! answers IP literals directly and remembers a name's addresses for a short
//! while; a miss goes to ureq's resolver, timeout and all.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a name's addresses are reused before they are looked up again.
pub(crate) const ADDRESS_TTL: Duration = Duration::from_secs(30);

/// Names remembered at most; a client uses one or two (the API and a proxy).
const MAX_NAMES: usize = 8;

/// A resolver that answers IP literals itself and caches names for [`ADDRESS_TTL`].
#[derive(Debug, Default)]
pub(crate) struct CachingResolver {
    inner: DefaultResolver,
    cache: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
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
        if let Some(port) = authority
            .port_u16()
            .or_else(|| default_port(scheme.as_str()))
        {
            let host = authority
                .host()
                .trim_start_matches('[')
                .trim_end_matches(']');
            if let Ok(ip) = host.parse::<IpAddr>() {
                let mut addrs = self.inner.empty();
                addrs.push(SocketAddr::new(ip, port));
                return Ok(addrs);
            }
        }
        let now = Instant::now();
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, addrs)) = cache.get(&key)
            && now.duration_since(*at) < ADDRESS_TTL
        {
            return Ok(addrs.clone());
        }
        drop(cache);
        let addrs = self.inner.resolve(uri, config, timeout)?;
        cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= MAX_NAMES {
            cache.retain(|_, (at, _)| now.duration_since(*at) < ADDRESS_TTL);
            if cache.len() >= MAX_NAMES {
                cache.clear();
            }
        }
        cache.insert(key, (now, addrs.clone()));
        Ok(addrs)
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
        assert!(r.cache.lock().unwrap().is_empty());
    }

    #[test]
    fn names_are_cached() {
        let r = CachingResolver::default();
        let first = resolve(&r, "http://localhost:9/").unwrap();
        assert!(!first.is_empty());
        assert_eq!(r.cache.lock().unwrap().len(), 1);
        assert_eq!(resolve(&r, "http://localhost:9/other").unwrap(), first);
    }

    #[test]
    fn unknown_names_are_not_cached() {
        let r = CachingResolver::default();
        assert!(resolve(&r, "http://no-such-host.invalid/").is_err());
        assert!(r.cache.lock().unwrap().is_empty());
    }
}
