//! Business hours: when an account's people work, so waits can be told the truth out of hours.
//!
//! Pure after construction: [`Hours::new`] looks the zone up in the time zone database once;
//! every question after that is arithmetic on the given [`Timestamp`]. Each business day's span
//! is turned into two instants by jiff, so daylight saving is jiff's job: a local time that
//! does not exist (spring forward) moves forward, one that happens twice (fall back) is the
//! earlier — jiff's "compatible" rule, the same one RFC 5545 calendars use.

use super::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

/// When an account's people work: some days of the week, one span per day, in one time zone.
#[derive(Debug, Clone)]
pub struct Hours {
    zone: TimeZone,
    /// Monday first, as ISO 8601 numbers the days.
    days: [bool; 7],
    open: Time,
    close: Time,
    /// The zone's canonical IANA name, for [`Hours::describe`].
    zone_name: String,
}

/// Why a set of hours was refused; [`HoursError::key`] names the setting at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    #[error("unknown time zone '{0}': use an IANA name like Europe/London or UTC")]
    UnknownZone(String),
    #[error("'{text}' is not a 24-hour time like 09:00 or 17:30")]
    BadTime { key: &'static str, text: String },
    #[error("close {close} must be after open {open} (a span cannot run past midnight)")]
    CloseNotAfterOpen { open: String, close: String },
    #[error("'{0}' is not a day like mon or a range like mon-fri")]
    UnknownDay(String),
    #[error("name at least one day, like [\"mon-fri\"]")]
    NoDays,
}

impl HoursError {
    /// The setting the error is about: `zone`, `days`, `open` or `close`.
    pub fn key(&self) -> &'static str {
        match self {
            HoursError::UnknownZone(_) => "zone",
            HoursError::BadTime { key, .. } => key,
            HoursError::CloseNotAfterOpen { .. } => "close",
            HoursError::UnknownDay(_) | HoursError::NoDays => "days",
        }
    }
}

const DAY_NAMES: [(&str, &str); 7] = [
    ("mon", "monday"),
    ("tue", "tuesday"),
    ("wed", "wednesday"),
    ("thu", "thursday"),
    ("fri", "friday"),
    ("sat", "saturday"),
    ("sun", "sunday"),
];

const DAY_LABELS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl Hours {
    /// `zone`: an IANA name ("Europe/London"); `days`: e.g. ["mon","tue"] or ranges ["mon-fri"]
    /// (case-insensitive, 3-letter names; also accept full names); `open`/`close`: "HH:MM" 24h,
    /// close after open (no overnight spans).
    pub fn new(zone: &str, days: &[String], open: &str, close: &str) -> Result<Hours, HoursError> {
        let unknown_zone = || HoursError::UnknownZone(zone.to_owned());
        let tz = TimeZone::get(zone.trim()).map_err(|_| unknown_zone())?;
        // jiff answers "Etc/Unknown" with a zone that behaves as UTC; nobody means that.
        if tz.is_unknown() {
            return Err(unknown_zone());
        }
        let days = parse_days(days)?;
        let (open, close) = (parse_time("open", open)?, parse_time("close", close)?);
        if close <= open {
            return Err(HoursError::CloseNotAfterOpen {
                open: hh_mm(open),
                close: hh_mm(close),
            });
        }
        let zone_name = tz.iana_name().unwrap_or(zone).to_owned();
        Ok(Hours {
            zone: tz,
            days,
            open,
            close,
            zone_name,
        })
    }

    pub fn is_open(&self, at: Timestamp) -> bool {
        self.closes_at(at).is_some()
    }

    /// When the span `at` falls in closes (None if closed at `at`).
    pub fn closes_at(&self, at: Timestamp) -> Option<Timestamp> {
        let t = instant(at);
        let today = self.zone.to_datetime(t).date();
        // Yesterday too: a close pushed past midnight by a gap would still be yesterday's span.
        [today.yesterday().ok(), Some(today)]
            .into_iter()
            .flatten()
            .filter_map(|day| self.span(day))
            .find(|(open, close)| *open <= t && t < *close)
            .map(|(_, close)| millis(close))
    }

    /// When the next span opens, at or after `at` (at itself if open). Always Some unless no
    /// days (which `new` rejects); past the end of jiff's calendar (year 9999) it is `at`.
    pub fn opens_at(&self, at: Timestamp) -> Timestamp {
        if self.is_open(at) {
            return at;
        }
        let t = instant(at);
        let today = self.zone.to_datetime(t).date();
        // Two weeks: every week has a business day, and a DST gap can empty at most one span.
        std::iter::successors(Some(today), |day| day.tomorrow().ok())
            .take(15)
            .filter_map(|day| self.span(day))
            .map(|(open, _)| open)
            .find(|open| *open > t)
            .map_or(at, millis)
    }

    /// For customers: "Mon–Fri 09:00–17:30 (Europe/London)"; consecutive days collapse to a
    /// range, others list with ", " e.g. "Mon, Wed, Fri 09:00–17:00 (UTC)".
    pub fn describe(&self) -> String {
        let mut runs = Vec::new();
        let mut day = 0;
        while day < 7 {
            if self.days[day] {
                let first = day;
                while day + 1 < 7 && self.days[day + 1] {
                    day += 1;
                }
                runs.push(if first == day {
                    DAY_LABELS[day].to_owned()
                } else {
                    format!("{}–{}", DAY_LABELS[first], DAY_LABELS[day])
                });
            }
            day += 1;
        }
        format!(
            "{} {}–{} ({})",
            runs.join(", "),
            hh_mm(self.open),
            hh_mm(self.close),
            self.zone_name
        )
    }

    /// The instants `day`'s span opens and closes, if `day` is a business day.
    fn span(&self, day: Date) -> Option<(jiff::Timestamp, jiff::Timestamp)> {
        let weekday = usize::try_from(day.weekday().to_monday_zero_offset()).ok()?;
        if !self.days.get(weekday).copied().unwrap_or(false) {
            return None;
        }
        let resolve = |time: Time| {
            let local = day.to_datetime(time);
            self.zone.to_ambiguous_timestamp(local).compatible().ok()
        };
        let (open, close) = (resolve(self.open)?, resolve(self.close)?);
        // An open moved forward by a gap can land after the close: that day has no span.
        (open < close).then_some((open, close))
    }
}

fn parse_days(entries: &[String]) -> Result<[bool; 7], HoursError> {
    if entries.is_empty() {
        return Err(HoursError::NoDays);
    }
    let mut days = [false; 7];
    for entry in entries {
        let unknown = || HoursError::UnknownDay(entry.clone());
        let (first, last) = match entry.split_once('-') {
            Some((a, b)) => (
                day_index(a).ok_or_else(unknown)?,
                day_index(b).ok_or_else(unknown)?,
            ),
            None => {
                let day = day_index(entry).ok_or_else(unknown)?;
                (day, day)
            }
        };
        // A range may wrap past Sunday: "fri-mon" is Friday to Monday.
        let mut day = first;
        days[day] = true;
        while day != last {
            day = (day + 1) % 7;
            days[day] = true;
        }
    }
    Ok(days)
}

fn day_index(name: &str) -> Option<usize> {
    let name = name.trim().to_ascii_lowercase();
    DAY_NAMES
        .iter()
        .position(|(short, long)| name == *short || name == *long)
}

/// "9:00" or "09:00", 00:00 to 23:59.
fn parse_time(key: &'static str, text: &str) -> Result<Time, HoursError> {
    let bad = || HoursError::BadTime {
        key,
        text: text.to_owned(),
    };
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, widths: std::ops::RangeInclusive<usize>| {
        widths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, 1..=2) || !digits(m, 2..=2) {
        return Err(bad());
    }
    let (h, m) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

fn hh_mm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Clamped into jiff's range (years -9999 to 9999), which no real clock leaves.
fn instant(at: Timestamp) -> jiff::Timestamp {
    i64::try_from(at.0)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .unwrap_or(jiff::Timestamp::MAX)
}

fn millis(t: jiff::Timestamp) -> Timestamp {
    Timestamp(u64::try_from(t.as_millisecond()).unwrap_or(0))
}

#[cfg(test)]
mod tests;
