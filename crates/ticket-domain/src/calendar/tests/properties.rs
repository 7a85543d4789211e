//! Property tests: random instants in 2020–2035, amounts up to ~30 working days.

use super::*;
use proptest::prelude::*;

const RANGE_START: i64 = 1_577_836_800; // 2020-01-01T00:00:00Z
const RANGE_END: i64 = 2_082_758_400; // 2036-01-01T00:00:00Z

fn instant(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

/// Moves `at` onto its local day's opening or closing time half of the
/// time, since boundaries are where off-by-one mistakes live.
fn maybe_on_boundary(calendar: &Calendar, at: DateTime<Utc>, choice: u8) -> DateTime<Utc> {
    let Calendar::Hours(hours) = calendar else {
        return at;
    };
    let day = at.with_timezone(&hours.time_zone).date_naive();
    let time = match choice {
        0 => hours.opens,
        1 => hours.closes,
        _ => return at,
    };
    resolve_local(hours.time_zone, day.and_time(time)).unwrap()
}

/// An amount in whole seconds: either whole working days or up to 30 of
/// them with an arbitrary remainder.
fn amount(calendar: &Calendar, whole_days: Option<u32>, fraction: u32) -> TimeDelta {
    match whole_days {
        Some(days) => calendar.working_days(days),
        None => {
            let max = calendar.working_days(30).num_seconds();
            TimeDelta::seconds(max * i64::from(fraction) / 1_000_000)
        }
    }
}

fn whole_days() -> impl Strategy<Value = Option<u32>> {
    prop_oneof![1 => (0..=30_u32).prop_map(Some), 3 => Just(None)]
}

/// 256 cases unless `PROPTEST_CASES` says otherwise (proptest's default reads it).
fn config() -> ProptestConfig {
    let base = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_some() {
        base
    } else {
        ProptestConfig { cases: 256, ..base }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn adding_then_measuring_working_time_round_trips(
        from in RANGE_START..RANGE_END,
        boundary in 0..4_u8,
        days in whole_days(),
        fraction in 0..=1_000_000_u32,
    ) {
        for calendar in all_calendars() {
            let from = maybe_on_boundary(&calendar, instant(from), boundary);
            let d = amount(&calendar, days, fraction);
            let due = calendar.add_working_time(from, d);
            prop_assert_eq!(calendar.working_time_between(from, due), d, "{}", calendar.describe());
        }
    }

    #[test]
    fn added_instant_never_falls_outside_hours_or_on_a_holiday(
        from in RANGE_START..RANGE_END,
        boundary in 0..4_u8,
        days in whole_days(),
        fraction in 0..=1_000_000_u32,
    ) {
        // The night shift is left out: its closing time falls in the spring
        // gap, where the window legitimately ends at 03:00.
        for calendar in [Calendar::french_support_hours(), new_york_hours()] {
            let hours = hours_of(&calendar);
            let from = maybe_on_boundary(&calendar, instant(from), boundary);
            let d = amount(&calendar, days, fraction);
            prop_assume!(d > TimeDelta::zero());
            let due = calendar.add_working_time(from, d).with_timezone(&hours.time_zone);
            let day = due.date_naive();
            prop_assert!(hours.days.contains(&day.weekday()), "{due}");
            prop_assert!(!calendar.is_holiday(day), "{due}");
            prop_assert!(due.time() > hours.opens && due.time() <= hours.closes, "{due}");
        }
    }

    #[test]
    fn working_time_is_additive(
        a in RANGE_START..RANGE_END,
        boundary in 0..4_u8,
        ab in 0..60 * 86_400_i64,
        bc in 0..60 * 86_400_i64,
    ) {
        for calendar in all_calendars() {
            let a = maybe_on_boundary(&calendar, instant(a), boundary);
            let b = a + TimeDelta::seconds(ab);
            let c = b + TimeDelta::seconds(bc);
            prop_assert_eq!(
                calendar.working_time_between(a, b) + calendar.working_time_between(b, c),
                calendar.working_time_between(a, c),
                "{}", calendar.describe()
            );
        }
    }

    #[test]
    fn working_time_never_exceeds_real_time_and_grows_with_to(
        a in RANGE_START..RANGE_END,
        ab in 0..60 * 86_400_i64,
        bc in 0..60 * 86_400_i64,
    ) {
        for calendar in all_calendars() {
            let a = instant(a);
            let b = a + TimeDelta::seconds(ab);
            let c = b + TimeDelta::seconds(bc);
            let to_b = calendar.working_time_between(a, b);
            let to_c = calendar.working_time_between(a, c);
            prop_assert!(to_b >= TimeDelta::zero());
            prop_assert!(to_b <= b - a);
            prop_assert!(to_c <= c - a);
            prop_assert!(to_b <= to_c);
        }
    }

    #[test]
    fn add_working_time_is_minimal(
        from in RANGE_START..RANGE_END,
        boundary in 0..4_u8,
        days in whole_days(),
        fraction in 0..=1_000_000_u32,
    ) {
        for calendar in all_calendars() {
            let from = maybe_on_boundary(&calendar, instant(from), boundary);
            let d = amount(&calendar, days, fraction);
            prop_assume!(d > TimeDelta::zero());
            let due = calendar.add_working_time(from, d);
            prop_assert!(due > from);
            let just_before = due - TimeDelta::seconds(1);
            prop_assert!(calendar.working_time_between(from, just_before) < d);
        }
    }

    #[test]
    fn working_instants_are_exactly_those_counted_as_working_time(
        at in RANGE_START..RANGE_END,
        boundary in 0..4_u8,
    ) {
        for calendar in all_calendars() {
            let at = maybe_on_boundary(&calendar, instant(at), boundary);
            let one = TimeDelta::seconds(1);
            let counted = calendar.working_time_between(at, at + one) == one;
            prop_assert_eq!(calendar.is_working_instant(at), counted);
        }
    }
}
