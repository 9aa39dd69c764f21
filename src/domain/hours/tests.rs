//! Business hours, table-driven: the instants in each case are written in UTC, worked out by
//! hand from the zone's offset, so jiff is checked rather than trusted.

use super::*;
use std::fmt::Debug;

/// Runs `f` on every input and reports every mismatch at once.
fn check<I: Debug, W: Debug, O: Debug + PartialEq<W>>(cases: &[(I, W)], f: impl Fn(&I) -> O) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(input, want)| {
            let got = f(input);
            (got != *want).then(|| format!("{input:?}\n  want {want:?}\n   got {got:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn hours(zone: &str, days: &[&str], open: &str, close: &str) -> Hours {
    let days: Vec<String> = days.iter().map(|d| d.to_string()).collect();
    Hours::new(zone, &days, open, close).unwrap_or_else(|e| panic!("{e}"))
}

fn ts(rfc3339: &str) -> Timestamp {
    rfc3339.parse().unwrap_or_else(|e| panic!("{e}"))
}

/// Zone, days, open and close: the arguments of [`Hours::new`].
type Args = (
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
);

/// Acme's hours; in winter London is on UTC, in summer one hour ahead.
fn london() -> Hours {
    hours("Europe/London", &["mon-fri"], "09:00", "17:30")
}

#[test]
fn open_from_the_open_up_to_but_not_including_the_close() {
    let h = london();
    // 2026-01-05 is a Monday.
    let cases = [
        ("2026-01-05T00:00:00Z", false),
        ("2026-01-05T08:59:59.999Z", false),
        ("2026-01-05T09:00:00Z", true),
        ("2026-01-05T17:29:59.999Z", true),
        ("2026-01-05T17:30:00Z", false),
        ("2026-01-07T12:00:00Z", true),
        ("2026-01-09T17:00:00Z", true),
        ("2026-01-10T12:00:00Z", false),
        ("2026-01-11T12:00:00Z", false),
        // Summer: 09:00 BST is 08:00 UTC.
        ("2026-07-06T07:59:59.999Z", false),
        ("2026-07-06T08:00:00Z", true),
        ("2026-07-06T16:29:59.999Z", true),
        ("2026-07-06T16:30:00Z", false),
    ];
    check(&cases, |at| h.is_open(ts(at)));
}

#[test]
fn the_zone_decides_the_hour_and_the_weekday() {
    let new_york = hours("America/New_York", &["mon-fri"], "09:00", "17:00");
    let auckland = hours("Pacific/Auckland", &["mon-fri"], "09:00", "17:00");
    let cases = [
        // Winter, EST (UTC-5): 09:00 is 14:00 UTC.
        ((&new_york, "2026-01-05T13:59:59.999Z"), false),
        ((&new_york, "2026-01-05T14:00:00Z"), true),
        ((&new_york, "2026-01-05T21:59:59.999Z"), true),
        ((&new_york, "2026-01-05T22:00:00Z"), false),
        // Summer, EDT (UTC-4): 09:00 is 13:00 UTC.
        ((&new_york, "2026-07-06T12:59:59.999Z"), false),
        ((&new_york, "2026-07-06T13:00:00Z"), true),
        ((&new_york, "2026-07-06T20:59:59.999Z"), true),
        ((&new_york, "2026-07-06T21:00:00Z"), false),
        // NZDT (UTC+13): Monday 09:00 is Sunday 20:00 UTC, Saturday 09:00 is Friday 20:00 UTC.
        ((&auckland, "2026-01-04T19:59:59.999Z"), false),
        ((&auckland, "2026-01-04T20:00:00Z"), true),
        ((&auckland, "2026-01-09T03:59:59.999Z"), true),
        ((&auckland, "2026-01-09T04:00:00Z"), false),
        ((&auckland, "2026-01-09T20:00:00Z"), false),
    ];
    check(&cases, |(h, at)| h.is_open(ts(at)));
}

#[test]
fn daylight_saving_days_in_london() {
    let every_day = hours("Europe/London", &["mon-sun"], "09:00", "17:30");
    // 01:30 does not exist on 29 March (01:00 GMT jumps to 02:00 BST) and happens twice on
    // 25 October (02:00 BST falls back to 01:00 GMT).
    let small_hours = hours("Europe/London", &["mon-sun"], "01:30", "03:00");
    let cases = [
        // Saturday before spring forward: GMT.
        ((&every_day, "2026-03-28T08:59:59.999Z"), false),
        ((&every_day, "2026-03-28T09:00:00Z"), true),
        // The Sunday it springs forward: BST from 01:00 UTC.
        ((&every_day, "2026-03-29T07:59:59.999Z"), false),
        ((&every_day, "2026-03-29T08:00:00Z"), true),
        ((&every_day, "2026-03-29T16:29:59.999Z"), true),
        ((&every_day, "2026-03-29T16:30:00Z"), false),
        // The Sunday it falls back: GMT from 01:00 UTC.
        ((&every_day, "2026-10-25T08:59:59.999Z"), false),
        ((&every_day, "2026-10-25T09:00:00Z"), true),
        ((&every_day, "2026-10-25T17:30:00Z"), false),
        // The gap: 01:30 moves forward to 01:30 UTC (02:30 BST); 03:00 BST is 02:00 UTC.
        ((&small_hours, "2026-03-29T00:45:00Z"), false),
        ((&small_hours, "2026-03-29T01:29:59.999Z"), false),
        ((&small_hours, "2026-03-29T01:30:00Z"), true),
        ((&small_hours, "2026-03-29T01:59:59.999Z"), true),
        ((&small_hours, "2026-03-29T02:00:00Z"), false),
        // The fold: the first 01:30 (BST, 00:30 UTC) opens; 03:00 GMT closes.
        ((&small_hours, "2026-10-25T00:29:59.999Z"), false),
        ((&small_hours, "2026-10-25T00:30:00Z"), true),
        ((&small_hours, "2026-10-25T02:59:59.999Z"), true),
        ((&small_hours, "2026-10-25T03:00:00Z"), false),
    ];
    check(&cases, |(h, at)| h.is_open(ts(at)));
}

#[test]
fn closes_at_ends_the_current_span() {
    let h = london();
    let cases = [
        ("2026-01-09T12:00:00Z", Some(ts("2026-01-09T17:30:00Z"))),
        ("2026-01-09T09:00:00Z", Some(ts("2026-01-09T17:30:00Z"))),
        ("2026-01-09T17:30:00Z", None),
        ("2026-01-09T08:59:59.999Z", None),
        ("2026-01-10T12:00:00Z", None),
        ("2026-07-06T12:00:00Z", Some(ts("2026-07-06T16:30:00Z"))),
    ];
    check(&cases, |at| h.closes_at(ts(at)));
}

#[test]
fn opens_at_is_now_when_open_else_the_next_span() {
    let h = london();
    let wednesdays = hours("UTC", &["wed"], "09:00", "17:00");
    let gap = hours("Europe/London", &["sun"], "01:30", "03:00");
    // On 29 March 01:30 moves forward past 02:15 (01:15 UTC): that Sunday has no span.
    let swallowed = hours("Europe/London", &["sun"], "01:30", "02:15");
    let cases = [
        // Friday's close to Monday's open, across the weekend.
        ((&h, "2026-01-09T17:30:00Z"), ts("2026-01-12T09:00:00.000Z")),
        ((&h, "2026-01-10T12:00:00Z"), ts("2026-01-12T09:00:00.000Z")),
        (
            (&h, "2026-01-11T23:59:59.999Z"),
            ts("2026-01-12T09:00:00.000Z"),
        ),
        ((&h, "2026-01-12T08:00:00Z"), ts("2026-01-12T09:00:00.000Z")),
        (
            (&h, "2026-01-12T10:00:00.123Z"),
            ts("2026-01-12T10:00:00.123Z"),
        ),
        // The weekend the clocks change: closed at 17:30 GMT, open at 09:00 BST.
        ((&h, "2026-03-27T17:30:00Z"), ts("2026-03-30T08:00:00.000Z")),
        // A single business day a week: after it closes, the same day next week.
        (
            (&wednesdays, "2026-01-07T17:00:00Z"),
            ts("2026-01-14T09:00:00.000Z"),
        ),
        (
            (&wednesdays, "2026-01-07T08:00:00Z"),
            ts("2026-01-07T09:00:00.000Z"),
        ),
        (
            (&gap, "2026-03-29T00:00:00Z"),
            ts("2026-03-29T01:30:00.000Z"),
        ),
        (
            (&gap, "2026-10-25T00:00:00Z"),
            ts("2026-10-25T00:30:00.000Z"),
        ),
        (
            (&swallowed, "2026-03-29T00:00:00Z"),
            ts("2026-04-05T00:30:00.000Z"),
        ),
    ];
    check(&cases, |(h, at)| h.opens_at(ts(at)));
}

#[test]
fn describe_collapses_consecutive_days() {
    let cases: [(Args, &str); 7] = [
        (
            ("Europe/London", &["mon-fri"], "09:00", "17:30"),
            "Mon–Fri 09:00–17:30 (Europe/London)",
        ),
        (
            ("UTC", &["mon", "wed", "fri"], "09:00", "17:00"),
            "Mon, Wed, Fri 09:00–17:00 (UTC)",
        ),
        (
            ("UTC", &["Monday", "TUE", "thu-Friday"], "08:00", "12:00"),
            "Mon–Tue, Thu–Fri 08:00–12:00 (UTC)",
        ),
        (
            ("UTC", &["sat-mon"], "10:00", "14:00"),
            "Mon, Sat–Sun 10:00–14:00 (UTC)",
        ),
        (
            ("UTC", &["sun", "mon-sat"], "00:00", "23:59"),
            "Mon–Sun 00:00–23:59 (UTC)",
        ),
        (
            ("UTC", &["fri", "fri"], "09:00", "17:00"),
            "Fri 09:00–17:00 (UTC)",
        ),
        (
            ("america/new_york", &["mon"], "9:00", "17:00"),
            "Mon 09:00–17:00 (America/New_York)",
        ),
    ];
    check(&cases, |(zone, days, open, close)| {
        hours(zone, days, open, close).describe()
    });
}

fn zone(text: &str) -> HoursError {
    HoursError::UnknownZone(text.into())
}

fn time(key: &'static str, text: &str) -> HoursError {
    let text = text.into();
    HoursError::BadTime { key, text }
}

fn order(open: &str, close: &str) -> HoursError {
    let (open, close) = (open.into(), close.into());
    HoursError::CloseNotAfterOpen { open, close }
}

fn day(text: &str) -> HoursError {
    HoursError::UnknownDay(text.into())
}

#[test]
fn every_error_is_caught() {
    let cases: Vec<(Args, HoursError)> = vec![
        (
            ("Europe/Londn", &["mon"], "09:00", "17:00"),
            zone("Europe/Londn"),
        ),
        (
            ("Etc/Unknown", &["mon"], "09:00", "17:00"),
            zone("Etc/Unknown"),
        ),
        (("", &["mon"], "09:00", "17:00"), zone("")),
        (("UTC", &["mon"], "25:00", "26:00"), time("open", "25:00")),
        (("UTC", &["mon"], "09:60", "17:00"), time("open", "09:60")),
        (("UTC", &["mon"], "9", "17:00"), time("open", "9")),
        (("UTC", &["mon"], "9.00", "17:00"), time("open", "9.00")),
        (("UTC", &["mon"], "+9:00", "17:00"), time("open", "+9:00")),
        (("UTC", &["mon"], "09:00", "24:00"), time("close", "24:00")),
        (
            ("UTC", &["mon"], "09:00", "17:00:00"),
            time("close", "17:00:00"),
        ),
        (("UTC", &["mon"], "09:00", "5pm"), time("close", "5pm")),
        (("UTC", &["mon"], "09:00", ""), time("close", "")),
        (("UTC", &["mon"], "17:30", "17:30"), order("17:30", "17:30")),
        (("UTC", &["mon"], "22:00", "6:00"), order("22:00", "06:00")),
        (("UTC", &["mon-fry"], "09:00", "17:00"), day("mon-fry")),
        (("UTC", &["mon", "funday"], "09:00", "17:00"), day("funday")),
        (("UTC", &["mo"], "09:00", "17:00"), day("mo")),
        (("UTC", &["mon-"], "09:00", "17:00"), day("mon-")),
        (("UTC", &[""], "09:00", "17:00"), day("")),
        (("UTC", &[], "09:00", "17:00"), HoursError::NoDays),
    ];
    check(&cases, |(zone, days, open, close)| {
        let days: Vec<String> = days.iter().map(|d| d.to_string()).collect();
        match Hours::new(zone, &days, open, close) {
            Ok(h) => panic!("accepted: {}", h.describe()),
            Err(e) => e,
        }
    });
}

#[test]
fn every_error_names_its_setting() {
    let cases = [
        (zone("X"), "zone"),
        (time("open", "X"), "open"),
        (time("close", "X"), "close"),
        (order("X", "Y"), "close"),
        (day("X"), "days"),
        (HoursError::NoDays, "days"),
    ];
    check(&cases, |e| e.key());
}
