//! EngageLab's data centers, parsed and shown by their short names. Data is
//! isolated per data center: a device exists only in the one its app lives in.
//! The regions themselves are the settings table's (`settings::Region`).

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::settings::REGION_NAMES;
pub use crate::settings::Region;

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Region {
    type Err = Error;

    /// Parses a short name ([`Region::name`]), ignoring ASCII case.
    fn from_str(s: &str) -> Result<Region, Error> {
        Region::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let shown: String = s.chars().take(32).collect();
                Error::invalid_argument(format!("region {shown:?} is not one of {REGION_NAMES}"))
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
