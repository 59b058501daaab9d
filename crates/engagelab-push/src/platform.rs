//! The device platforms an alias lookup can be narrowed to.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A device platform, as EngageLab names it in the `platform` query of
/// `GET /v4/aliases/{alias}` ([`Client::get_alias`](crate::Client::get_alias)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    /// `android`.
    Android,
    /// `ios`.
    Ios,
    /// `hmos` (HarmonyOS), the third platform of EngageLab's push API.
    Hmos,
}

impl Platform {
    /// Every platform, in the order of their names here.
    pub const ALL: [Platform; 3] = [Platform::Android, Platform::Ios, Platform::Hmos];

    /// EngageLab's name: `android`, `ios` or `hmos`.
    pub fn name(self) -> &'static str {
        match self {
            Platform::Android => "android",
            Platform::Ios => "ios",
            Platform::Hmos => "hmos",
        }
    }

    /// The value of the `platform` query for these platforms: their names
    /// joined by commas, each once, in the order first given; `None` for no
    /// platform (the lookup covers every platform).
    pub(crate) fn query(platforms: &[Platform]) -> Option<String> {
        let mut names: Vec<&str> = Vec::with_capacity(platforms.len());
        for p in platforms {
            if !names.contains(&p.name()) {
                names.push(p.name());
            }
        }
        (!names.is_empty()).then(|| names.join(","))
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Platform {
    type Err = Error;

    /// Parses EngageLab's name exactly: `android`, `ios` or `hmos`.
    fn from_str(s: &str) -> Result<Platform, Error> {
        Platform::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let shown: String = s.chars().take(32).collect();
                Error::invalid_argument(format!(
                    "platform {shown:?} is not one of android, ios, hmos"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_exactly() {
        for p in Platform::ALL {
            assert_eq!(p.name().parse::<Platform>().unwrap(), p);
        }
        for bad in ["Android", "IOS", "", " ios", "windows"] {
            let e = bad.parse::<Platform>().unwrap_err();
            assert!(
                e.message().contains("android, ios, hmos"),
                "{}",
                e.message()
            );
        }
    }

    #[test]
    fn the_query_names_each_platform_once_in_order() {
        use Platform::*;
        assert_eq!(Platform::query(&[]), None);
        assert_eq!(
            Platform::query(&[Ios, Android, Ios]).as_deref(),
            Some("ios,android")
        );
        assert_eq!(Platform::query(&[Hmos]).as_deref(), Some("hmos"));
    }
}
