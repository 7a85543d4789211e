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

mod holidays;

use holidays::french_holiday_name;
pub use holidays::{easter_sunday, french_public_holidays};

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
mod tests;
