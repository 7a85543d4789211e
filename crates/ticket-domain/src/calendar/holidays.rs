//! French public holidays, and Easter, which places four of them.

use chrono::{Datelike, NaiveDate, TimeDelta};

/// Easter Sunday of a Gregorian year.
///
/// Years outside chrono's date range give `NaiveDate::MIN` / `NaiveDate::MAX`.
pub fn easter_sunday(year: i32) -> NaiveDate {
    easter_sunday_checked(year).unwrap_or(if year < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

/// The anonymous Gregorian computus (Meeus/Jones/Butcher). Euclidean division
/// keeps it defined for proleptic negative years.
fn easter_sunday_checked(year: i32) -> Option<NaiveDate> {
    let y = i64::from(year);
    // Position in the 19-year Metonic cycle of the moon.
    let golden = y.rem_euclid(19);
    let century = y.div_euclid(100);
    let year_of_century = y.rem_euclid(100);
    // Gregorian leap-year and lunar (Metonic drift) corrections per century.
    let skipped_leap_days = century.div_euclid(4);
    let century_leap = century.rem_euclid(4);
    let lunar_drift = (century - (century + 8).div_euclid(25) + 1).div_euclid(3);
    // Days from 21 March to the paschal full moon.
    let full_moon = (19 * golden + century - skipped_leap_days - lunar_drift + 15).rem_euclid(30);
    // Days from the full moon to the following Sunday.
    let to_sunday = (32 + 2 * century_leap + 2 * year_of_century.div_euclid(4)
        - full_moon
        - year_of_century.rem_euclid(4))
    .rem_euclid(7);
    // Rare correction for full moons late in the cycle.
    let correction = (golden + 11 * full_moon + 22 * to_sunday).div_euclid(451);
    let days_after_march_start = full_moon + to_sunday - 7 * correction + 114;
    let month = u32::try_from(days_after_march_start.div_euclid(31)).ok()?;
    let day = u32::try_from(days_after_march_start.rem_euclid(31) + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// (month, day, name, Alsace-Moselle only)
const FIXED_HOLIDAYS: [(u32, u32, &str, bool); 9] = [
    (1, 1, "Jour de l'an", false),
    (5, 1, "Fête du Travail", false),
    (5, 8, "Victoire 1945", false),
    (7, 14, "Fête nationale", false),
    (8, 15, "Assomption", false),
    (11, 1, "Toussaint", false),
    (11, 11, "Armistice 1918", false),
    (12, 25, "Noël", false),
    (12, 26, "Saint-Étienne", true),
];

/// (days after Easter Sunday, name, Alsace-Moselle only)
const EASTER_HOLIDAYS: [(i64, &str, bool); 4] = [
    (-2, "Vendredi saint", true),
    (1, "Lundi de Pâques", false),
    (39, "Ascension", false),
    (50, "Lundi de Pentecôte", false),
];

/// French public holidays of a year with their French names, in date order.
///
/// Empty for years outside chrono's date range.
pub fn french_public_holidays(year: i32, alsace_moselle: bool) -> Vec<(NaiveDate, &'static str)> {
    let Some(easter) = easter_sunday_checked(year) else {
        return Vec::new();
    };
    let fixed = FIXED_HOLIDAYS
        .iter()
        .filter(|&&(_, _, _, local)| alsace_moselle || !local)
        .filter_map(|&(month, day, name, _)| {
            NaiveDate::from_ymd_opt(year, month, day).map(|date| (date, name))
        });
    let movable = EASTER_HOLIDAYS
        .iter()
        .filter(|&&(_, _, local)| alsace_moselle || !local)
        .filter_map(|&(offset, name, _)| {
            easter
                .checked_add_signed(TimeDelta::days(offset))
                .map(|date| (date, name))
        });
    let mut holidays: Vec<_> = fixed.chain(movable).collect();
    // Stable, so that Ascension and 1 or 8 May, which can coincide, keep a
    // deterministic order.
    holidays.sort_by_key(|&(date, _)| date);
    holidays
}

pub(super) fn french_holiday_name(date: NaiveDate, alsace_moselle: bool) -> Option<&'static str> {
    let fixed = FIXED_HOLIDAYS
        .iter()
        .find(|&&(month, day, _, local)| {
            (alsace_moselle || !local) && date.month() == month && date.day() == day
        })
        .map(|&(_, _, name, _)| name);
    fixed.or_else(|| {
        let after_easter = (date - easter_sunday_checked(date.year())?).num_days();
        EASTER_HOLIDAYS
            .iter()
            .find(|&&(offset, _, local)| (alsace_moselle || !local) && offset == after_easter)
            .map(|&(_, name, _)| name)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::{easter_sunday, french_public_holidays};
    use crate::calendar::tests::{WEEKDAYS, date, hm, hours};
    use crate::calendar::{Calendar, HolidayRules};
    use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
    use chrono_tz::Europe::Paris;

    #[test]
    fn easter_dates_match_known_years() {
        for (year, expected) in [
            (2000, date(2000, 4, 23)),
            (2024, date(2024, 3, 31)),
            (2025, date(2025, 4, 20)),
            (2026, date(2026, 4, 5)),
            (2027, date(2027, 3, 28)),
            (2038, date(2038, 4, 25)),
            (1818, date(1818, 3, 22)),
            (2285, date(2285, 3, 22)),
            (1943, date(1943, 4, 25)),
            (1954, date(1954, 4, 18)),
            (1981, date(1981, 4, 19)),
        ] {
            assert_eq!(easter_sunday(year), expected, "Easter {year}");
        }
    }

    #[test]
    fn easter_is_a_sunday_between_22_march_and_25_april() {
        for year in 1583..=4099 {
            let easter = easter_sunday(year);
            assert_eq!(easter.weekday(), Weekday::Sun, "{year}");
            assert!(
                easter >= date(year, 3, 22) && easter <= date(year, 4, 25),
                "{year}: {easter}"
            );
        }
    }

    #[test]
    fn easter_outside_chrono_range_does_not_panic() {
        assert_eq!(easter_sunday(i32::MAX), NaiveDate::MAX);
        assert_eq!(easter_sunday(i32::MIN), NaiveDate::MIN);
        assert!(french_public_holidays(i32::MAX, true).is_empty());
    }

    #[test]
    fn french_holidays_2026_are_the_eleven_legal_days() {
        assert_eq!(
            french_public_holidays(2026, false),
            vec![
                (date(2026, 1, 1), "Jour de l'an"),
                (date(2026, 4, 6), "Lundi de Pâques"),
                (date(2026, 5, 1), "Fête du Travail"),
                (date(2026, 5, 8), "Victoire 1945"),
                (date(2026, 5, 14), "Ascension"),
                (date(2026, 5, 25), "Lundi de Pentecôte"),
                (date(2026, 7, 14), "Fête nationale"),
                (date(2026, 8, 15), "Assomption"),
                (date(2026, 11, 1), "Toussaint"),
                (date(2026, 11, 11), "Armistice 1918"),
                (date(2026, 12, 25), "Noël"),
            ]
        );
    }

    #[test]
    fn alsace_moselle_adds_good_friday_and_26_december_only_when_enabled() {
        let alsace = french_public_holidays(2026, true);
        assert_eq!(alsace.len(), 13);
        assert!(alsace.contains(&(date(2026, 4, 3), "Vendredi saint")));
        assert!(alsace.contains(&(date(2026, 12, 26), "Saint-Étienne")));
        assert!(alsace.windows(2).all(|pair| pair[0].0 <= pair[1].0));

        assert!(!HolidayRules::default().alsace_moselle);
        let national = Calendar::french_support_hours();
        assert!(!national.is_holiday(date(2026, 4, 3)));
        assert!(!national.is_holiday(date(2026, 12, 26)));
        let alsace_desk = hours(
            Paris,
            &WEEKDAYS,
            hm(9, 30),
            hm(18, 0),
            HolidayRules {
                french_public_holidays: true,
                alsace_moselle: true,
                extra_dates: Vec::new(),
            },
        );
        assert!(alsace_desk.is_holiday(date(2026, 4, 3)));
        assert!(alsace_desk.is_holiday(date(2026, 12, 26)));
        assert!(alsace_desk.is_holiday(date(2026, 12, 25)));
    }

    #[test]
    fn ascension_and_whit_monday_follow_easter() {
        for year in 1990..=2100 {
            let easter = easter_sunday(year);
            let list = french_public_holidays(year, false);
            let find = |name: &str| {
                list.iter()
                    .find(|(_, n)| *n == name)
                    .map(|(d, _)| *d)
                    .unwrap()
            };
            assert_eq!(find("Lundi de Pâques"), easter + TimeDelta::days(1));
            assert_eq!(find("Ascension"), easter + TimeDelta::days(39));
            assert_eq!(find("Ascension").weekday(), Weekday::Thu);
            assert_eq!(find("Lundi de Pentecôte"), easter + TimeDelta::days(50));
            assert_eq!(find("Lundi de Pentecôte").weekday(), Weekday::Mon);
            assert_eq!(list.len(), 11);
        }
    }

    #[test]
    fn holiday_list_and_is_holiday_agree() {
        let calendar = Calendar::french_support_hours();
        for year in [2024, 2026, 2030, 2035] {
            let listed = french_public_holidays(year, false);
            let mut day = date(year, 1, 1);
            while day.year() == year {
                let expected = listed.iter().any(|(d, _)| *d == day);
                assert_eq!(calendar.is_holiday(day), expected, "{day}");
                day = day.succ_opt().unwrap();
            }
        }
    }
}
