//! Working-time calendars for SLA clocks.
//!
//! Domain rule: "Support hours: Monday to Friday, 09:30 to 18:00, Europe/Paris,
//! French public holidays excluded." Priority-1 tickets run on a 24/7 calendar
//! instead. Targets are expressed in working days, one working day being the
//! calendar's daily opening length (8h30 for support hours, 24h for 24/7).
//!
//! French public holidays are 1 January, Easter Monday, 1 May, 8 May, Ascension
//! Thursday, Whit Monday, 14 July, 15 August, 1 November, 11 November and
//! 25 December; Alsace-Moselle adds Good Friday and 26 December (optional,
//! off by default).
//!
//! # Precision
//!
//! Instants and amounts are used exactly as given, to the nanosecond: nothing is
//! rounded, so `working_time_between(from, add_working_time(from, d)) == d` holds
//! for sub-second inputs too.
//!
//! # Time zones
//!
//! Opening and closing times are local wall-clock times. Where one of them does
//! not exist on a given day (DST gap) it maps to the first instant after the
//! gap; where it exists twice (DST overlap) it maps to the earlier instant. So a
//! 09:30–18:00 window is always 8h30 long in Europe/Paris, while a 24/7 calendar
//! day around a DST change lasts 23h or 25h of real time.
//!
//! # Configuration format
//!
//! ```json
//! {
//!   "kind": "hours",
//!   "time_zone": "Europe/Paris",
//!   "days": ["Mon", "Tue", "Wed", "Thu", "Fri"],
//!   "opens": "09:30:00",
//!   "closes": "18:00:00",
//!   "holidays": {
//!     "french_public_holidays": true,
//!     "alsace_moselle": false,
//!     "extra_dates": ["2026-12-24"]
//!   }
//! }
//! ```
//!
//! or `{"kind": "always_open"}`. Days are chrono's weekday names: serialised
//! as `"Mon"`…`"Sun"`, read case-insensitively in short or long form (`"mon"`,
//! `"Monday"`). Times are read as `"09:30"` or `"09:30:00"`. `holidays` and each
//! of its fields may be omitted (all off, no extra dates). Unknown fields are
//! rejected, so that a misspelt holiday switch cannot silently open the desk on
//! a bank holiday. Call [`Calendar::validate`] after deserialising.

use chrono::{
    DateTime, Datelike, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A working-time calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Calendar {
    /// 24/7: every instant is working time.
    AlwaysOpen,
    /// Opening hours on given weekdays in a time zone, holidays excluded.
    Hours(WorkingHours),
}

/// Opening hours on given weekdays in a time zone, holidays excluded.
///
/// `closes` must be after `opens` on the same local day; a desk open around the
/// clock is [`Calendar::AlwaysOpen`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// Serialised as the IANA name, e.g. `"Europe/Paris"`.
    #[serde(with = "tz_name")]
    pub time_zone: Tz,
    /// Serialised as `"Mon"`, `"Tue"`…; read case-insensitively, short or long.
    pub days: Vec<Weekday>,
    /// Local opening time, `"09:30"` or `"09:30:00"`.
    pub opens: NaiveTime,
    /// Local closing time (exclusive), must be after `opens`.
    pub closes: NaiveTime,
    /// Closed dates on top of the weekly pattern; none when omitted.
    #[serde(default)]
    pub holidays: HolidayRules,
}

/// Which dates are closed even though they fall on a working weekday.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HolidayRules {
    /// The eleven national French public holidays.
    pub french_public_holidays: bool,
    /// Adds Good Friday and 26 December. The Alsace-Moselle list is the national
    /// one plus those two days, so this implies `french_public_holidays`.
    pub alsace_moselle: bool,
    /// Extra closed dates (e.g. a company closure day).
    pub extra_dates: Vec<NaiveDate>,
}

/// Why a (deserialised) calendar cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    /// `closes` is before or equal to `opens`.
    #[error("closing time must be after opening time")]
    ClosesBeforeOpens,
    /// `days` is empty: the SLA clock would never run.
    #[error("a working-hours calendar needs at least one working day")]
    NoWorkingDays,
}

const SUPPORT_OPENS: NaiveTime = match NaiveTime::from_hms_opt(9, 30, 0) {
    Some(time) => time,
    None => NaiveTime::MIN,
};
const SUPPORT_CLOSES: NaiveTime = match NaiveTime::from_hms_opt(18, 0, 0) {
    Some(time) => time,
    None => NaiveTime::MIN,
};
const ONE_DAY: TimeDelta = TimeDelta::seconds(86_400);
const NANOS_PER_SECOND: i128 = 1_000_000_000;

impl Calendar {
    /// The 24/7 calendar of priority-1 tickets.
    pub fn always_open() -> Self {
        Calendar::AlwaysOpen
    }

    /// Mon–Fri 09:30–18:00 Europe/Paris, French public holidays excluded.
    pub fn french_support_hours() -> Self {
        Calendar::Hours(WorkingHours {
            time_zone: chrono_tz::Europe::Paris,
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            opens: SUPPORT_OPENS,
            closes: SUPPORT_CLOSES,
            holidays: HolidayRules {
                french_public_holidays: true,
                alsace_moselle: false,
                extra_dates: Vec::new(),
            },
        })
    }

    /// Checks a deserialised calendar (closes after opens, at least one day).
    ///
    /// An invalid calendar never panics: it simply has no working time, so
    /// [`Calendar::add_working_time`] answers "never" (`DateTime::<Utc>::MAX_UTC`).
    pub fn validate(&self) -> Result<(), CalendarError> {
        match self {
            Calendar::AlwaysOpen => Ok(()),
            Calendar::Hours(hours) => {
                if hours.closes <= hours.opens {
                    Err(CalendarError::ClosesBeforeOpens)
                } else if hours.days.is_empty() {
                    Err(CalendarError::NoWorkingDays)
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Length of one working day: 24h for AlwaysOpen, closes - opens otherwise.
    ///
    /// This is the nominal length used to convert SLA targets; the real window
    /// can be shorter on a day whose opening time falls in a DST gap.
    pub fn working_day(&self) -> TimeDelta {
        match self {
            Calendar::AlwaysOpen => ONE_DAY,
            Calendar::Hours(hours) => (hours.closes - hours.opens).max(TimeDelta::zero()),
        }
    }

    /// `days` working days as working time (days * working_day()).
    ///
    /// Saturates at `TimeDelta::MAX` (unreachable with realistic inputs).
    pub fn working_days(&self, days: u32) -> TimeDelta {
        let day = self.working_day();
        let day_nanos =
            i128::from(day.num_seconds()) * NANOS_PER_SECOND + i128::from(day.subsec_nanos());
        let total = day_nanos * i128::from(days);
        let secs = i64::try_from(total.div_euclid(NANOS_PER_SECOND)).ok();
        let nanos = u32::try_from(total.rem_euclid(NANOS_PER_SECOND)).ok();
        secs.zip(nanos)
            .and_then(|(secs, nanos)| TimeDelta::new(secs, nanos))
            .unwrap_or(TimeDelta::MAX)
    }

    /// Whether `date` (a local date in the calendar's zone) is a holiday;
    /// always false for AlwaysOpen.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        match self {
            Calendar::AlwaysOpen => false,
            Calendar::Hours(hours) => hours.holidays.is_closed(date),
        }
    }

    /// Whether `at` lies inside [opens, closes) of a working, non-holiday day.
    pub fn is_working_instant(&self, at: DateTime<Utc>) -> bool {
        match self {
            Calendar::AlwaysOpen => true,
            Calendar::Hours(hours) => hours
                .intervals_from(at)
                .next()
                .is_some_and(|(start, _)| start == at),
        }
    }

    /// Working time in [from, to); zero when to <= from.
    pub fn working_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> TimeDelta {
        if to <= from {
            return TimeDelta::zero();
        }
        match self {
            Calendar::AlwaysOpen => to - from,
            Calendar::Hours(hours) => {
                let mut total = TimeDelta::zero();
                for (start, end) in hours.intervals_from(from) {
                    if start >= to {
                        break;
                    }
                    total = total
                        .checked_add(&(end.min(to) - start))
                        .unwrap_or(TimeDelta::MAX);
                }
                total
            }
        }
    }

    /// The earliest instant t >= from with working_time_between(from, t) == amount.
    /// amount <= 0 returns from.
    ///
    /// When the amount ends exactly at a closing time, that closing time is the
    /// answer (not the next opening). If no such instant exists (invalid
    /// calendar, or beyond chrono's range) the answer is
    /// `DateTime::<Utc>::MAX_UTC`, meaning "never".
    pub fn add_working_time(&self, from: DateTime<Utc>, amount: TimeDelta) -> DateTime<Utc> {
        if amount <= TimeDelta::zero() {
            return from;
        }
        match self {
            Calendar::AlwaysOpen => from
                .checked_add_signed(amount)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            Calendar::Hours(hours) => {
                let mut remaining = amount;
                for (start, end) in hours.intervals_from(from) {
                    let available = end - start;
                    if remaining <= available {
                        return start
                            .checked_add_signed(remaining)
                            .unwrap_or(DateTime::<Utc>::MAX_UTC);
                    }
                    remaining -= available;
                }
                DateTime::<Utc>::MAX_UTC
            }
        }
    }

    /// Human explanation like "Mon–Fri 09:30–18:00 Europe/Paris, French public
    /// holidays excluded" or "24/7".
    pub fn describe(&self) -> String {
        match self {
            Calendar::AlwaysOpen => "24/7".to_owned(),
            Calendar::Hours(hours) => hours.describe(),
        }
    }
}

impl WorkingHours {
    /// Working intervals ending after `from`, in order, clipped to start at or
    /// after `from`, disjoint and non-empty.
    fn intervals_from(&self, from: DateTime<Utc>) -> WorkingIntervals<'_> {
        let usable = self.closes > self.opens && !self.days.is_empty();
        let local_date =
            local_naive(self.time_zone, from).map_or(from.date_naive(), |local| local.date());
        // A closing time inside a DST gap that spans midnight resolves to an
        // instant on the next local date, so the previous day's window can
        // still reach past `from`.
        let first_date = local_date.pred_opt().unwrap_or(local_date);
        // Bounds the search for the next open day so that a calendar whose
        // every day is closed ends instead of looping. A working weekday recurs
        // every 7 days and each year closes at most a dozen or so of them, plus
        // one per extra date.
        let extra = u32::try_from(self.holidays.extra_dates.len()).unwrap_or(u32::MAX);
        WorkingIntervals {
            hours: self,
            next_date: usable.then_some(first_date),
            floor: from,
            patience: extra.saturating_add(60).saturating_mul(7),
        }
    }

    /// The UTC interval of the opening window on a local date, if the date is
    /// a working day. May be empty when the whole window falls in a DST gap.
    fn window_on(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.days.contains(&date.weekday()) || self.holidays.is_closed(date) {
            return None;
        }
        let start = resolve_local(self.time_zone, date.and_time(self.opens))?;
        let end = resolve_local(self.time_zone, date.and_time(self.closes))?;
        Some((start, end))
    }

    fn describe(&self) -> String {
        let mut days: Vec<Weekday> = self.days.clone();
        days.sort_by_key(Weekday::num_days_from_monday);
        days.dedup();
        let contiguous = days.windows(2).all(|pair| pair[0].succ() == pair[1]);
        let day_text = match (days.first(), days.last()) {
            (None, _) | (_, None) => "no days".to_owned(),
            (Some(first), Some(last)) if contiguous && days.len() > 2 => {
                format!("{first}–{last}")
            }
            _ => days
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        };
        let mut text = format!(
            "{day_text} {}–{} {}",
            format_time(self.opens),
            format_time(self.closes),
            self.time_zone.name()
        );
        let mut excluded = Vec::new();
        if self.holidays.alsace_moselle {
            excluded.push("French and Alsace-Moselle public holidays".to_owned());
        } else if self.holidays.french_public_holidays {
            excluded.push("French public holidays".to_owned());
        }
        match self.holidays.extra_dates.len() {
            0 => {}
            1 => excluded.push("1 extra closure date".to_owned()),
            n => excluded.push(format!("{n} extra closure dates")),
        }
        if !excluded.is_empty() {
            text.push_str(", ");
            text.push_str(&excluded.join(" and "));
            text.push_str(" excluded");
        }
        text
    }
}

fn format_time(time: NaiveTime) -> String {
    if time.second() == 0 && time.nanosecond() == 0 {
        time.format("%H:%M").to_string()
    } else {
        time.format("%H:%M:%S").to_string()
    }
}

impl HolidayRules {
    fn is_closed(&self, date: NaiveDate) -> bool {
        let national = self.french_public_holidays || self.alsace_moselle;
        (national && french_holiday_name(date, self.alsace_moselle).is_some())
            || self.extra_dates.contains(&date)
    }
}

/// Walks a calendar's opening windows day by day, so that spans of a year cost
/// a few hundred steps rather than one per second.
#[derive(Debug)]
struct WorkingIntervals<'a> {
    hours: &'a WorkingHours,
    next_date: Option<NaiveDate>,
    /// Nothing before this instant is yielded: the requested start, then the
    /// end of the previous window, which keeps windows disjoint even if a zone's
    /// rules made two of them overlap.
    floor: DateTime<Utc>,
    patience: u32,
}

impl Iterator for WorkingIntervals<'_> {
    type Item = (DateTime<Utc>, DateTime<Utc>);

    fn next(&mut self) -> Option<Self::Item> {
        let mut closed_days = 0_u32;
        while let Some(date) = self.next_date {
            if closed_days > self.patience {
                self.next_date = None;
                return None;
            }
            self.next_date = date.succ_opt();
            if let Some((start, end)) = self.hours.window_on(date) {
                let start = start.max(self.floor);
                if end > start {
                    self.floor = end;
                    return Some((start, end));
                }
            }
            closed_days += 1;
        }
        None
    }
}

/// Maps a local wall-clock time to an instant: the earlier one when it occurs
/// twice, the first instant after the gap when it does not occur at all.
fn resolve_local(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        MappedLocalTime::Single(at) => Some(at.with_timezone(&Utc)),
        MappedLocalTime::Ambiguous(first, second) => Some(first.min(second).with_timezone(&Utc)),
        MappedLocalTime::None => end_of_gap(tz, local),
    }
}

/// The wall-clock time at `at`; None only at the very ends of chrono's range,
/// where chrono's own `naive_local` would panic.
fn local_naive(tz: Tz, at: DateTime<Utc>) -> Option<NaiveDateTime> {
    let utc = at.naive_utc();
    utc.checked_add_offset(tz.offset_from_utc_datetime(&utc).fix())
}

/// The transition instant ending the DST gap that contains `local`.
///
/// chrono-tz does not expose transitions, so this bisects on whole seconds
/// (transitions fall on whole seconds) between the instants `local` would be
/// under the offsets in force a day before and a day after. Gaps of a whole day
/// (Samoa, 30 December 2011) are covered by that bracket.
fn end_of_gap(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let offset_at = |naive: NaiveDateTime| {
        i64::from(tz.offset_from_utc_datetime(&naive).fix().local_minus_utc())
    };
    let before = offset_at(local.checked_sub_signed(ONE_DAY)?);
    let after = offset_at(local.checked_add_signed(ONE_DAY)?);
    let local_secs = local.and_utc().timestamp();
    // `lo` is an instant still before the gap, `hi` one already after it.
    let mut lo = local_secs - before.max(after) - 1;
    let mut hi = local_secs - before.min(after) + 1;
    let reached = |secs: i64| {
        DateTime::from_timestamp(secs, 0)
            .and_then(|at| local_naive(tz, at))
            .is_some_and(|reached| reached >= local)
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reached(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0)
}

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

fn french_holiday_name(date: NaiveDate, alsace_moselle: bool) -> Option<&'static str> {
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

/// Serialises a time zone as its IANA name without needing chrono-tz's `serde`
/// feature.
mod tz_name {
    use chrono_tz::Tz;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub(super) fn serialize<S: Serializer>(tz: &Tz, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(tz.name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Tz, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse::<Tz>()
            .map_err(|_| D::Error::custom(format!("unknown IANA time zone {name:?}")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use chrono_tz::{America::New_York, Europe::Paris, Pacific::Apia};
    use proptest::prelude::*;

    const WEEKDAYS: [Weekday; 5] = [
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

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
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

    fn hours(
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
                support
                    .working_time_between(paris(2026, 10, day, 0, 0), paris(2026, 10, day, 23, 0)),
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

    // Property tests: random instants in 2020–2035, amounts up to ~30 working days.

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
}
