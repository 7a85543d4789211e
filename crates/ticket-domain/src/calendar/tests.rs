//! The calendars' unit tests; the property tests are in `tests/properties.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use chrono_tz::{America::New_York, Europe::Paris, Pacific::Apia};

mod properties;

pub(super) const WEEKDAYS: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];
const EVERY_DAY: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

pub(super) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub(super) fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn local(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("unambiguous local time")
        .with_timezone(&Utc)
}

fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    local(Paris, y, mo, d, h, mi, 0)
}

pub(super) fn hours(
    time_zone: Tz,
    days: &[Weekday],
    opens: NaiveTime,
    closes: NaiveTime,
    holidays: HolidayRules,
) -> Calendar {
    Calendar::Hours(WorkingHours {
        time_zone,
        days: days.to_vec(),
        opens,
        closes,
        holidays,
    })
}

/// A desk in another zone, so that DST changes fall on other dates.
fn new_york_hours() -> Calendar {
    hours(
        New_York,
        &WEEKDAYS,
        hm(9, 0),
        hm(17, 0),
        HolidayRules {
            extra_dates: vec![date(2026, 7, 3), date(2030, 11, 28)],
            ..HolidayRules::default()
        },
    )
}

/// Open every night across the 02:00–03:00 hour that Paris skips in spring
/// and repeats in autumn.
fn paris_night_shift() -> Calendar {
    hours(
        Paris,
        &EVERY_DAY,
        NaiveTime::from_hms_opt(1, 30, 0).unwrap(),
        NaiveTime::from_hms_opt(2, 45, 0).unwrap(),
        HolidayRules {
            french_public_holidays: true,
            alsace_moselle: true,
            extra_dates: Vec::new(),
        },
    )
}

fn all_calendars() -> Vec<Calendar> {
    vec![
        Calendar::french_support_hours(),
        Calendar::always_open(),
        new_york_hours(),
        paris_night_shift(),
    ]
}

fn hours_of(calendar: &Calendar) -> &WorkingHours {
    match calendar {
        Calendar::Hours(hours) => hours,
        Calendar::AlwaysOpen => panic!("not an hours calendar"),
    }
}

#[test]
fn support_hours_exclude_weekends_and_holidays() {
    let calendar = Calendar::french_support_hours();
    // Tuesday 2026-05-26, an ordinary working day.
    assert!(!calendar.is_working_instant(local(Paris, 2026, 5, 26, 9, 29, 59)));
    assert!(calendar.is_working_instant(paris(2026, 5, 26, 9, 30)));
    assert!(calendar.is_working_instant(paris(2026, 5, 26, 12, 0)));
    assert!(calendar.is_working_instant(local(Paris, 2026, 5, 26, 17, 59, 59)));
    assert!(!calendar.is_working_instant(paris(2026, 5, 26, 18, 0)));
    // Saturday and Sunday.
    assert!(!calendar.is_working_instant(paris(2026, 5, 23, 12, 0)));
    assert!(!calendar.is_working_instant(paris(2026, 5, 24, 12, 0)));
    assert!(!calendar.is_holiday(date(2026, 5, 23)));
    // Whit Monday, 14 July (a Tuesday in 2026), Christmas (a Friday).
    assert!(calendar.is_holiday(date(2026, 5, 25)));
    assert!(!calendar.is_working_instant(paris(2026, 5, 25, 12, 0)));
    assert!(!calendar.is_working_instant(paris(2026, 7, 14, 12, 0)));
    assert!(!calendar.is_working_instant(paris(2026, 12, 25, 12, 0)));
    // A whole week with Whit Monday has four working days.
    assert_eq!(
        calendar.working_time_between(paris(2026, 5, 25, 0, 0), paris(2026, 6, 1, 0, 0)),
        calendar.working_days(4)
    );
}

#[test]
fn extra_closure_dates_are_excluded() {
    let calendar = hours(
        Paris,
        &WEEKDAYS,
        hm(9, 30),
        hm(18, 0),
        HolidayRules {
            extra_dates: vec![date(2026, 12, 24)],
            ..HolidayRules::default()
        },
    );
    assert!(calendar.is_holiday(date(2026, 12, 24)));
    assert!(!calendar.is_holiday(date(2026, 12, 25)));
    assert!(!calendar.is_working_instant(paris(2026, 12, 24, 12, 0)));
    assert!(calendar.is_working_instant(paris(2026, 12, 25, 12, 0)));
}

#[test]
fn friday_17h_plus_one_working_day_before_bank_holiday_monday_lands_tuesday() {
    let calendar = Calendar::french_support_hours();
    let friday = paris(2026, 5, 22, 17, 0);
    let due = calendar.add_working_time(friday, calendar.working_days(1));
    // 1h on Friday, nothing on the weekend nor on Whit Monday, the
    // remaining 7h30 from Tuesday 09:30.
    assert_eq!(due, paris(2026, 5, 26, 17, 0));
    assert_eq!(
        calendar.working_time_between(friday, due),
        TimeDelta::minutes(8 * 60 + 30)
    );
}

#[test]
fn added_time_ending_at_closing_time_stops_there() {
    let calendar = Calendar::french_support_hours();
    let opening = paris(2026, 5, 26, 9, 30);
    assert_eq!(
        calendar.add_working_time(opening, calendar.working_days(1)),
        paris(2026, 5, 26, 18, 0)
    );
    assert_eq!(
        calendar.add_working_time(opening, calendar.working_days(2)),
        paris(2026, 5, 27, 18, 0)
    );
}

#[test]
fn adding_from_outside_hours_starts_at_next_opening() {
    let calendar = Calendar::french_support_hours();
    let saturday = paris(2026, 5, 23, 11, 0);
    assert_eq!(
        calendar.add_working_time(saturday, TimeDelta::seconds(1)),
        local(Paris, 2026, 5, 26, 9, 30, 1)
    );
    let tuesday_night = paris(2026, 5, 26, 22, 0);
    assert_eq!(
        calendar.add_working_time(tuesday_night, TimeDelta::hours(1)),
        paris(2026, 5, 27, 10, 30)
    );
}

#[test]
fn working_time_across_spring_dst_change() {
    // Paris moves from UTC+1 to UTC+2 on Sunday 2026-03-29.
    let support = Calendar::french_support_hours();
    for day in [27, 30, 31] {
        assert_eq!(
            support.working_time_between(paris(2026, 3, day, 0, 0), paris(2026, 3, day, 23, 0)),
            TimeDelta::minutes(8 * 60 + 30),
            "2026-03-{day}"
        );
    }
    let friday = paris(2026, 3, 27, 17, 0);
    let due = support.add_working_time(friday, support.working_days(1));
    assert_eq!(due, paris(2026, 3, 30, 17, 0));
    assert_eq!(due - friday, TimeDelta::hours(3 * 24 - 1));

    let always = Calendar::always_open();
    assert_eq!(
        always.working_time_between(paris(2026, 3, 29, 0, 0), paris(2026, 3, 30, 0, 0)),
        TimeDelta::hours(23)
    );
    assert_eq!(
        always.add_working_time(paris(2026, 3, 29, 0, 0), always.working_days(1)),
        paris(2026, 3, 30, 1, 0)
    );
}

#[test]
fn working_time_across_autumn_dst_change() {
    // Paris moves from UTC+2 back to UTC+1 on Sunday 2026-10-25.
    let support = Calendar::french_support_hours();
    for day in [23, 26, 27] {
        assert_eq!(
            support.working_time_between(paris(2026, 10, day, 0, 0), paris(2026, 10, day, 23, 0)),
            TimeDelta::minutes(8 * 60 + 30),
            "2026-10-{day}"
        );
    }
    let friday = paris(2026, 10, 23, 17, 0);
    let due = support.add_working_time(friday, support.working_days(1));
    assert_eq!(due, paris(2026, 10, 26, 17, 0));
    assert_eq!(due - friday, TimeDelta::hours(3 * 24 + 1));

    let always = Calendar::always_open();
    assert_eq!(
        always.working_time_between(paris(2026, 10, 25, 0, 0), paris(2026, 10, 26, 0, 0)),
        TimeDelta::hours(25)
    );
}

#[test]
fn new_york_calendar_follows_american_dst_dates() {
    // New York springs forward on 2026-03-08, three weeks before Paris.
    let calendar = new_york_hours();
    let friday = local(New_York, 2026, 3, 6, 16, 0, 0);
    let due = calendar.add_working_time(friday, calendar.working_days(1));
    assert_eq!(due, local(New_York, 2026, 3, 9, 16, 0, 0));
    assert_eq!(due - friday, TimeDelta::hours(3 * 24 - 1));
    // The extra closure date on Friday 2026-07-03.
    assert!(!calendar.is_working_instant(local(New_York, 2026, 7, 3, 12, 0, 0)));
    assert!(!calendar.is_holiday(date(2026, 7, 14)));
}

#[test]
fn opening_time_in_dst_gap_starts_at_end_of_gap() {
    // 02:30 does not exist in Paris on 2026-03-29: the window starts at
    // 03:00 CEST (01:00 UTC) and lasts 2h instead of 2h30.
    let calendar = hours(
        Paris,
        &EVERY_DAY,
        hm(2, 30),
        hm(5, 0),
        HolidayRules::default(),
    );
    let gap_end = DateTime::from_timestamp(
        NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(1, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp(),
        0,
    )
    .unwrap();
    assert!(calendar.is_working_instant(gap_end));
    assert!(!calendar.is_working_instant(gap_end - TimeDelta::seconds(1)));
    assert_eq!(
        calendar.working_time_between(paris(2026, 3, 29, 0, 0), paris(2026, 3, 29, 12, 0)),
        TimeDelta::hours(2)
    );
    assert_eq!(
        calendar.working_time_between(paris(2026, 3, 30, 0, 0), paris(2026, 3, 30, 12, 0)),
        TimeDelta::minutes(150)
    );
    assert_eq!(
        calendar.add_working_time(paris(2026, 3, 29, 0, 0), TimeDelta::minutes(1)),
        gap_end + TimeDelta::minutes(1)
    );
}

#[test]
fn opening_time_in_dst_overlap_uses_earliest_instant() {
    // 02:30 happens twice in Paris on 2026-10-25; the window opens at the
    // first one (00:30 UTC) and closes at 05:00 CET (04:00 UTC).
    let calendar = hours(
        Paris,
        &EVERY_DAY,
        hm(2, 30),
        hm(5, 0),
        HolidayRules::default(),
    );
    let first_0230 = DateTime::from_timestamp(
        NaiveDate::from_ymd_opt(2026, 10, 25)
            .unwrap()
            .and_hms_opt(0, 30, 0)
            .unwrap()
            .and_utc()
            .timestamp(),
        0,
    )
    .unwrap();
    assert!(calendar.is_working_instant(first_0230));
    assert!(!calendar.is_working_instant(first_0230 - TimeDelta::seconds(1)));
    assert_eq!(
        calendar.working_time_between(paris(2026, 10, 25, 0, 0), paris(2026, 10, 25, 12, 0)),
        TimeDelta::minutes(210)
    );
}

#[test]
fn skipped_calendar_day_has_no_working_time() {
    // Samoa skipped Friday 2011-12-30 entirely when it crossed the date line.
    let calendar = hours(
        Apia,
        &EVERY_DAY,
        hm(9, 0),
        hm(17, 0),
        HolidayRules::default(),
    );
    let thursday = local(Apia, 2011, 12, 29, 0, 0, 0);
    let saturday_night = local(Apia, 2011, 12, 31, 23, 0, 0);
    assert_eq!(
        calendar.working_time_between(thursday, saturday_night),
        TimeDelta::hours(16)
    );
    assert_eq!(
        calendar.add_working_time(local(Apia, 2011, 12, 29, 16, 0, 0), TimeDelta::hours(2)),
        local(Apia, 2011, 12, 31, 10, 0, 0)
    );
}

#[test]
fn always_open_counts_every_second() {
    let calendar = Calendar::always_open();
    let start = paris(2026, 12, 25, 3, 0);
    for seconds in [1, 59, 3_600, 86_400, 40 * 86_400 + 7] {
        let delta = TimeDelta::seconds(seconds);
        assert_eq!(calendar.working_time_between(start, start + delta), delta);
        assert_eq!(calendar.add_working_time(start, delta), start + delta);
    }
    assert!(calendar.is_working_instant(start));
    assert!(!calendar.is_holiday(date(2026, 12, 25)));
    assert_eq!(calendar.working_day(), TimeDelta::hours(24));
}

#[test]
fn working_time_is_zero_when_to_not_after_from() {
    for calendar in all_calendars() {
        let at = paris(2026, 5, 26, 12, 0);
        assert_eq!(calendar.working_time_between(at, at), TimeDelta::zero());
        assert_eq!(
            calendar.working_time_between(at, at - TimeDelta::hours(30)),
            TimeDelta::zero()
        );
    }
}

#[test]
fn add_zero_returns_start() {
    for calendar in all_calendars() {
        // A Saturday night: outside hours, yet adding nothing does not move.
        let at = local(Paris, 2026, 5, 23, 23, 17, 42);
        assert_eq!(calendar.add_working_time(at, TimeDelta::zero()), at);
        assert_eq!(calendar.add_working_time(at, TimeDelta::seconds(-5)), at);
    }
}

#[test]
fn sub_second_amounts_are_exact() {
    let calendar = Calendar::french_support_hours();
    let opening = paris(2026, 5, 26, 9, 30);
    let amount = TimeDelta::milliseconds(1_500);
    let due = calendar.add_working_time(opening, amount);
    assert_eq!(due, opening + amount);
    let from = opening - TimeDelta::nanoseconds(1);
    assert_eq!(calendar.working_time_between(from, due), amount);
}

#[test]
fn working_day_is_the_daily_opening_length() {
    let support = Calendar::french_support_hours();
    assert_eq!(support.working_day(), TimeDelta::minutes(8 * 60 + 30));
    assert_eq!(
        support.working_days(3),
        TimeDelta::minutes(3 * (8 * 60 + 30))
    );
    assert_eq!(support.working_days(0), TimeDelta::zero());
    assert_eq!(
        Calendar::always_open().working_days(2),
        TimeDelta::hours(48)
    );
    // Large counts neither panic nor wrap.
    assert!(Calendar::always_open().working_days(u32::MAX) > TimeDelta::zero());
}

#[test]
fn a_year_of_support_hours_is_252_working_days_in_2026() {
    // 261 weekdays in 2026, 9 of them public holidays (15 August and
    // 1 November fall on a weekend).
    let calendar = Calendar::french_support_hours();
    assert_eq!(
        calendar.working_time_between(paris(2026, 1, 1, 0, 0), paris(2027, 1, 1, 0, 0)),
        calendar.working_days(252)
    );
}

#[test]
fn describe_explains_the_calendar() {
    assert_eq!(
        Calendar::french_support_hours().describe(),
        "Mon–Fri 09:30–18:00 Europe/Paris, French public holidays excluded"
    );
    assert_eq!(Calendar::always_open().describe(), "24/7");
    assert_eq!(
        new_york_hours().describe(),
        "Mon–Fri 09:00–17:00 America/New_York, 2 extra closure dates excluded"
    );
    let odd = hours(
        Paris,
        &[Weekday::Fri, Weekday::Mon, Weekday::Wed],
        hm(8, 0),
        NaiveTime::from_hms_opt(12, 15, 30).unwrap(),
        HolidayRules {
            french_public_holidays: true,
            alsace_moselle: true,
            extra_dates: vec![date(2026, 12, 24)],
        },
    );
    assert_eq!(
        odd.describe(),
        "Mon, Wed, Fri 08:00–12:15:30 Europe/Paris, French and Alsace-Moselle public \
         holidays and 1 extra closure date excluded"
    );
}

#[test]
fn support_calendar_deserialises_from_json_config() {
    let json = r#"{
        "kind": "hours",
        "time_zone": "Europe/Paris",
        "days": ["Mon", "Tue", "Wed", "Thu", "Fri"],
        "opens": "09:30:00",
        "closes": "18:00:00",
        "holidays": {
            "french_public_holidays": true,
            "alsace_moselle": false,
            "extra_dates": []
        }
    }"#;
    let calendar: Calendar = serde_json::from_str(json).unwrap();
    assert_eq!(calendar, Calendar::french_support_hours());
    assert_eq!(calendar.validate(), Ok(()));

    let written = serde_json::to_value(&calendar).unwrap();
    assert_eq!(written["kind"], "hours");
    assert_eq!(written["time_zone"], "Europe/Paris");
    assert_eq!(written["days"][0], "Mon");
    assert_eq!(written["opens"], "09:30:00");
    let reread: Calendar = serde_json::from_value(written).unwrap();
    assert_eq!(reread, calendar);
}

#[test]
fn always_open_deserialises_from_its_kind_alone() {
    let calendar: Calendar = serde_json::from_str(r#"{"kind":"always_open"}"#).unwrap();
    assert_eq!(calendar, Calendar::always_open());
    assert_eq!(
        serde_json::to_string(&calendar).unwrap(),
        r#"{"kind":"always_open"}"#
    );
}

#[test]
fn config_accepts_short_times_lowercase_days_and_omitted_holidays() {
    let json = r#"{"kind":"hours","time_zone":"America/New_York",
        "days":["mon","Tuesday"],"opens":"09:30","closes":"18:00"}"#;
    let calendar: Calendar = serde_json::from_str(json).unwrap();
    let hours = hours_of(&calendar);
    assert_eq!(hours.time_zone, New_York);
    assert_eq!(hours.days, vec![Weekday::Mon, Weekday::Tue]);
    assert_eq!(hours.opens, hm(9, 30));
    assert_eq!(hours.holidays, HolidayRules::default());

    let partial = r#"{"kind":"hours","time_zone":"Europe/Paris","days":["Mon"],
        "opens":"09:30","closes":"18:00","holidays":{"extra_dates":["2026-12-24"]}}"#;
    let calendar: Calendar = serde_json::from_str(partial).unwrap();
    assert!(!hours_of(&calendar).holidays.french_public_holidays);
    assert!(calendar.is_holiday(date(2026, 12, 24)));
}

#[test]
fn config_rejects_unknown_zone_and_misspelt_fields() {
    let unknown_zone = r#"{"kind":"hours","time_zone":"Europe/Atlantis",
        "days":["Mon"],"opens":"09:30","closes":"18:00"}"#;
    let error = serde_json::from_str::<Calendar>(unknown_zone).unwrap_err();
    assert!(error.to_string().contains("Europe/Atlantis"), "{error}");

    let misspelt = r#"{"kind":"hours","time_zone":"Europe/Paris","days":["Mon"],
        "opens":"09:30","closes":"18:00","holidays":{"french_public_holiday":true}}"#;
    assert!(serde_json::from_str::<Calendar>(misspelt).is_err());

    let unknown_kind = r#"{"kind":"office_hours"}"#;
    assert!(serde_json::from_str::<Calendar>(unknown_kind).is_err());
}

#[test]
fn validation_rejects_closing_not_after_opening() {
    for closes in [hm(9, 30), hm(8, 0)] {
        let calendar = hours(Paris, &WEEKDAYS, hm(9, 30), closes, HolidayRules::default());
        assert_eq!(calendar.validate(), Err(CalendarError::ClosesBeforeOpens));
    }
    assert_eq!(Calendar::always_open().validate(), Ok(()));
}

#[test]
fn validation_rejects_calendar_without_working_days() {
    let calendar = hours(Paris, &[], hm(9, 30), hm(18, 0), HolidayRules::default());
    assert_eq!(calendar.validate(), Err(CalendarError::NoWorkingDays));
}

#[test]
fn invalid_calendars_have_no_working_time_and_never_hang() {
    let from = paris(2026, 5, 26, 12, 0);
    let no_days = hours(Paris, &[], hm(9, 30), hm(18, 0), HolidayRules::default());
    let backwards = hours(
        Paris,
        &WEEKDAYS,
        hm(18, 0),
        hm(9, 30),
        HolidayRules::default(),
    );
    assert_eq!(backwards.working_day(), TimeDelta::zero());
    for calendar in [no_days, backwards] {
        assert!(!calendar.is_working_instant(from));
        assert_eq!(
            calendar.working_time_between(from, from + TimeDelta::days(30)),
            TimeDelta::zero()
        );
        assert_eq!(
            calendar.add_working_time(from, TimeDelta::hours(1)),
            DateTime::<Utc>::MAX_UTC
        );
    }
    // Every Monday closed for years by extra dates: the search gives up.
    let mondays: Vec<NaiveDate> = (0..200)
        .map(|week| date(2026, 5, 25) + TimeDelta::weeks(week))
        .collect();
    let all_closed = hours(
        Paris,
        &[Weekday::Mon],
        hm(9, 30),
        hm(18, 0),
        HolidayRules {
            extra_dates: mondays,
            ..HolidayRules::default()
        },
    );
    let due = all_closed.add_working_time(from, TimeDelta::hours(1));
    assert_eq!(due, paris(2030, 3, 25, 10, 30));
}

#[test]
fn extremes_of_the_time_range_do_not_panic() {
    let near_end = DateTime::<Utc>::MAX_UTC - TimeDelta::days(3);
    for calendar in all_calendars() {
        let due = calendar.add_working_time(near_end, TimeDelta::days(10));
        assert_eq!(due, DateTime::<Utc>::MAX_UTC);
        let _ = calendar.working_time_between(near_end, DateTime::<Utc>::MAX_UTC);
        let _ = calendar.is_working_instant(DateTime::<Utc>::MAX_UTC);
        let start = DateTime::<Utc>::MIN_UTC;
        let _ = calendar.working_time_between(start, start + TimeDelta::days(3));
        let _ = calendar.is_working_instant(start);
    }
}
