//! EngageLab's data centers. Data is isolated per data center: a device exists
//! only in the one its app lives in.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// One of EngageLab's data centers, each with its own base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Region {
    /// Singapore, `https://pushapi-sgp.engagelab.com` (the default, as in every
    /// official SDK).
    #[default]
    Singapore,
    /// Virginia, USA, `https://pushapi-usva.engagelab.com`.
    Virginia,
    /// Frankfurt, `https://pushapi-defra.engagelab.com`.
    Frankfurt,
    /// Hong Kong, `https://pushapi-hk.engagelab.com`.
    HongKong,
    /// Japan, `https://pushapi-jpn.engagelab.com`.
    Japan,
    /// Brazil, `https://pushapi-bra.engagelab.com`.
    Brazil,
}

impl Region {
    /// Every region, Singapore first.
    pub const ALL: [Region; 6] = [
        Region::Singapore,
        Region::Virginia,
        Region::Frankfurt,
        Region::HongKong,
        Region::Japan,
        Region::Brazil,
    ];

    /// The short name used in configuration: `sgp`, `usva`, `defra`, `hk`, `jpn`, `bra`.
    pub fn name(self) -> &'static str {
        match self {
            Region::Singapore => "sgp",
            Region::Virginia => "usva",
            Region::Frankfurt => "defra",
            Region::HongKong => "hk",
            Region::Japan => "jpn",
            Region::Brazil => "bra",
        }
    }

    /// The data center's base URL, without a trailing slash.
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Singapore => "https://pushapi-sgp.engagelab.com",
            Region::Virginia => "https://pushapi-usva.engagelab.com",
            Region::Frankfurt => "https://pushapi-defra.engagelab.com",
            Region::HongKong => "https://pushapi-hk.engagelab.com",
            Region::Japan => "https://pushapi-jpn.engagelab.com",
            Region::Brazil => "https://pushapi-bra.engagelab.com",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Region {
    type Err = Error;

    /// Parses a short name (`sgp usva defra hk jpn bra`), ignoring ASCII case.
    fn from_str(s: &str) -> Result<Region, Error> {
        Region::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let shown: String = s.chars().take(32).collect();
                Error::invalid_argument(format!(
                    "region {shown:?} is not one of sgp, usva, defra, hk, jpn, bra"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in Region::ALL {
            assert_eq!(r.name().parse::<Region>().unwrap(), r);
            assert_eq!(r.name().to_uppercase().parse::<Region>().unwrap(), r);
            assert!(r.base_url().starts_with("https://pushapi-"));
        }
        assert_eq!(Region::default(), Region::Singapore);
    }

    #[test]
    fn unknown_name_is_named_in_the_error() {
        let e = "mars".parse::<Region>().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        assert!(e.message().contains("\"mars\""), "{}", e.message());
    }
}
