//! Time for timestamps and the replay window (RFC 3830 §4.2.8, §5.4).

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
const NTP_UNIX_OFFSET_SECS: u64 = 2_208_988_800;

/// A source of the current time as a 64-bit NTP timestamp (32.32 fixed point, UTC).
///
/// Sessions take the clock through their config so tests can fix the time.
pub trait Clock: Send + Sync {
    /// The current NTP-UTC timestamp.
    fn now_ntp(&self) -> u64;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ntp(&self) -> u64 {
        let since_unix = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        // NTP seconds wrap every 2^32 s (era 1 starts in 2036, §4.2.8); the wrap is intended.
        let seconds = (since_unix.as_secs() + NTP_UNIX_OFFSET_SECS) as u32;
        let fraction = (u64::from(since_unix.subsec_nanos()) << 32) / 1_000_000_000;
        (u64::from(seconds) << 32) | fraction
    }
}

/// Unix time in whole seconds for a 64-bit NTP timestamp, for the years 1970 to 2106: NTP
/// seconds below the Unix epoch's are read as NTP era 1 (from 2036, §4.2.8).
pub fn unix_seconds(ntp: u64) -> i64 {
    let seconds = ntp >> 32;
    let era = if seconds < NTP_UNIX_OFFSET_SECS { 1u64 << 32 } else { 0 };
    (seconds + era) as i64 - NTP_UNIX_OFFSET_SECS as i64
}

/// A UTC calendar time in whole seconds, shown as `YYYY-MM-DD hh:mm:ss UTC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtcTime {
    /// The year (proleptic Gregorian).
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
    /// Seconds since midnight.
    pub second_of_day: u32,
}

/// The UTC calendar time of a 64-bit NTP timestamp, read as [`unix_seconds`] does (leap seconds
/// are not counted, as in NTP and Unix time).
pub fn utc_time(ntp: u64) -> UtcTime {
    let unix = unix_seconds(ntp);
    // Howard Hinnant's civil-from-days, for days since 1970-01-01.
    let z = unix.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    UtcTime { year, month, day, second_of_day: unix.rem_euclid(86_400) as u32 }
}

impl std::fmt::Display for UtcTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (hour, minute, second) = (self.second_of_day / 3600, self.second_of_day / 60 % 60, self.second_of_day % 60);
        write!(f, "{:04}-{:02}-{:02} {hour:02}:{minute:02}:{second:02} UTC", self.year, self.month, self.day)
    }
}

/// `a - b` for 64-bit NTP timestamps, in units of 2^-32 s, correct across the NTP era wrap as
/// long as the true distance is under 68 years (§4.2.8: implementations must handle the overflow).
pub fn ntp_diff(a: u64, b: u64) -> i64 {
    a.wrapping_sub(b) as i64
}

/// `seconds` in NTP units (2^-32 s).
pub fn ntp_from_seconds(seconds: u32) -> i64 {
    i64::from(seconds) << 32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_after_2020_in_ntp_time() {
        // 2020-01-01 is NTP second 3_786_825_600.
        assert!(SystemClock.now_ntp() >> 32 > 3_786_825_600);
    }

    #[test]
    fn unix_time_covers_both_ntp_eras() {
        assert_eq!(unix_seconds(NTP_UNIX_OFFSET_SECS << 32), 0);
        assert_eq!(unix_seconds(3_976_214_400 << 32), 1_767_225_600); // 2026-01-01
        assert_eq!(unix_seconds(5 << 32), (1i64 << 32) + 5 - NTP_UNIX_OFFSET_SECS as i64);
        // 2036 + 5 s
    }

    #[test]
    fn calendar_times_match_known_days() {
        let at = |unix: u64| utc_time((unix + NTP_UNIX_OFFSET_SECS) << 32);
        assert_eq!(at(0).to_string(), "1970-01-01 00:00:00 UTC");
        assert_eq!(at(15_006 * 86_400).to_string(), "2011-02-01 00:00:00 UTC");
        assert_eq!(at(15_006 * 86_400 - 1).to_string(), "2011-01-31 23:59:59 UTC");
        assert_eq!(at(11_016 * 86_400 + 3_723).to_string(), "2000-02-29 01:02:03 UTC"); // a leap day
        assert_eq!(at(1_767_225_600).to_string(), "2026-01-01 00:00:00 UTC");
        // Era 1: NTP second 5 is 2036-02-07 06:28:21.
        assert_eq!(utc_time(5 << 32).to_string(), "2036-02-07 06:28:21 UTC");
    }

    #[test]
    fn difference_survives_the_era_wrap() {
        let before_wrap = u64::MAX - ntp_from_seconds(4) as u64;
        let after_wrap = ntp_from_seconds(6) as u64;
        assert_eq!(ntp_diff(after_wrap, before_wrap), ntp_from_seconds(10) + 1);
        assert_eq!(ntp_diff(before_wrap, after_wrap), -ntp_from_seconds(10) - 1);
        assert_eq!(ntp_diff(100 << 32, 40 << 32), ntp_from_seconds(60));
    }
}
