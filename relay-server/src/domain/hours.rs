//! Time of day in a place: business hours (open blocks per weekday,
//! holidays, a time zone) and customers' quiet hours.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use std::time::Duration;

use shared::Timestamp;

/// A time zone by IANA name ("Europe/Kyiv", "UTC").
pub fn zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name)
        .map_err(|_| format!("unknown time zone {name:?} (use an IANA name such as Europe/Kyiv)"))
}

fn zoned(at: Timestamp, tz: &TimeZone) -> jiff::Zoned {
    jiff::Timestamp::from_millisecond(at.0)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone())
}

/// Minutes since local midnight.
fn minute_of_day(z: &jiff::Zoned) -> u16 {
    z.hour() as u16 * 60 + z.minute() as u16
}

/// The instant of `minute` (0..=1440) on `date` in `tz` (a time skipped
/// by a clock change resolves to the later instant).
fn instant(date: Date, minute: u16, tz: &TimeZone) -> Timestamp {
    let base = date.at(0, 0, 0, 0);
    let dt = base
        .checked_add(jiff::SignedDuration::from_mins(i64::from(minute)))
        .unwrap_or(base);
    let ms = dt
        .to_zoned(tz.clone())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0);
    Timestamp(ms)
}

/// "HH:MM" (00:00-24:00) into minutes.
fn parse_clock(s: &str) -> Result<u16, String> {
    let bad = || format!("{s:?} is not a time of day (HH:MM)");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn parse_day(s: &str) -> Result<usize, String> {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    DAYS.iter()
        .position(|d| d.eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| format!("{s:?} is not a day (mon, tue, ... sun)"))
}

fn day_index(w: Weekday) -> usize {
    w.to_monday_zero_offset() as usize
}

#[derive(Debug, Clone)]
struct Block {
    days: [bool; 7],
    from: u16,
    to: u16,
}

/// Parses "mon-fri 09:00-18:00", "sat,sun 10:00-14:00", "daily 08:00-20:00".
fn parse_block(s: &str) -> Result<Block, String> {
    let (days, span) = s.trim().split_once(' ').ok_or_else(|| {
        format!("{s:?}: expected \"<days> HH:MM-HH:MM\", e.g. \"mon-fri 09:00-18:00\"")
    })?;
    let mut set = [false; 7];
    if days.eq_ignore_ascii_case("daily") {
        set = [true; 7];
    } else {
        for part in days.split(',') {
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (parse_day(a)?, parse_day(b)?);
                    let mut d = a;
                    loop {
                        set[d] = true;
                        if d == b {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
                None => set[parse_day(part)?] = true,
            }
        }
    }
    let (from, to) = span
        .trim()
        .split_once('-')
        .ok_or_else(|| format!("{s:?}: expected a span HH:MM-HH:MM"))?;
    let (from, to) = (parse_clock(from)?, parse_clock(to)?);
    if from >= to {
        return Err(format!("{s:?}: a block must end after it starts"));
    }
    Ok(Block {
        days: set,
        from,
        to,
    })
}

/// When people are at work.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: TimeZone,
    zone_name: String,
    blocks: Vec<Block>,
    holidays: Vec<Date>,
    /// Open spans of each weekday (Monday first), in minutes, sorted and merged.
    week: [Vec<(u16, u16)>; 7],
}

/// Days a business-time walk looks ahead before giving up (ten years).
const WALK_DAYS: usize = 3660;

impl Calendar {
    /// Everything business time depends on, as text (equal text, equal
    /// arithmetic).
    pub fn fingerprint(&self) -> String {
        format!("{} {:?} {:?}", self.zone_name, self.week, self.holidays)
    }

    /// No blocks: always open.
    pub fn parse(time_zone: &str, open: &[String], holidays: &[String]) -> Result<Self, String> {
        let tz = zone(time_zone)?;
        let blocks = open
            .iter()
            .map(|b| parse_block(b))
            .collect::<Result<Vec<_>, _>>()?;
        let holidays = holidays
            .iter()
            .map(|d| {
                d.trim()
                    .parse::<Date>()
                    .map_err(|_| format!("holiday {d:?} is not a date (YYYY-MM-DD)"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        for (d, spans) in week.iter_mut().enumerate() {
            let mut all: Vec<(u16, u16)> = blocks
                .iter()
                .filter(|b| b.days[d])
                .map(|b| (b.from, b.to))
                .collect();
            all.sort_unstable();
            for (from, to) in all {
                match spans.last_mut() {
                    Some(last) if from <= last.1 => last.1 = last.1.max(to),
                    _ => spans.push((from, to)),
                }
            }
        }
        Ok(Calendar {
            tz,
            zone_name: time_zone.to_owned(),
            blocks,
            holidays,
            week,
        })
    }

    /// Open all the time, in UTC.
    pub fn always() -> Calendar {
        Calendar::parse("UTC", &[], &[]).expect("UTC is a known zone")
    }

    /// The open spans of `date` as instants (ms), in order.
    fn spans(&self, date: Date) -> impl Iterator<Item = (i64, i64)> + '_ {
        let open = if self.holidays.contains(&date) {
            &[][..]
        } else {
            &self.week[day_index(date.weekday())][..]
        };
        open.iter()
            .map(move |&(a, b)| (instant(date, a, &self.tz).0, instant(date, b, &self.tz).0))
    }

    /// Business time between `from` and `to` (zero when `to` is not
    /// after `from`).
    pub fn business_time(&self, from: Timestamp, to: Timestamp) -> Duration {
        Duration::from_millis(self.business_ms(from, to).unsigned_abs())
    }

    /// `business_time` in the milliseconds timestamps count in.
    fn business_ms(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to.0 <= from.0 {
            return 0;
        }
        if self.always_open() {
            return to.0 - from.0;
        }
        let mut total = 0;
        self.each_open(from, to, |a, b| total += b - a);
        total
    }

    /// Calls `f` with each open span (ms) between `from` and `to`, clipped
    /// to them, in order (walking at most `WALK_DAYS` days).
    fn each_open(&self, from: Timestamp, to: Timestamp, mut f: impl FnMut(i64, i64)) {
        let mut date = zoned(from, &self.tz).date();
        for _ in 0..WALK_DAYS {
            for (a, b) in self.spans(date) {
                let (a, b) = (a.max(from.0), b.min(to.0));
                if b > a {
                    f(a, b);
                }
            }
            if instant(date, 1440, &self.tz).0 >= to.0 {
                break;
            }
            let Ok(next) = date.tomorrow() else { break };
            date = next;
        }
    }

    /// The instant at which `business` time has passed since `from`.
    /// With zero that is `from` itself, open or not. A calendar that does
    /// not open within ten years counts wall time instead.
    pub fn add_business(&self, from: Timestamp, business: Duration) -> Timestamp {
        let ms = shared::duration_ms(business);
        if ms == 0 {
            return from;
        }
        if self.always_open() {
            return Timestamp(from.0.saturating_add(ms));
        }
        let mut date = zoned(from, &self.tz).date();
        let mut left = ms;
        for _ in 0..WALK_DAYS {
            for (a, b) in self.spans(date) {
                let a = a.max(from.0);
                if b <= a {
                    continue;
                }
                if left <= b - a {
                    return Timestamp(a + left);
                }
                left -= b - a;
            }
            let Ok(next) = date.tomorrow() else { break };
            date = next;
        }
        Timestamp(from.0.saturating_add(ms))
    }

    pub fn always_open(&self) -> bool {
        self.blocks.is_empty()
    }

    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    pub fn is_open(&self, at: Timestamp) -> bool {
        self.next_open(at) == Some(at)
    }

    /// `at` when open then, else the start of the next open block; `None`
    /// when nothing opens within a year.
    pub fn next_open(&self, at: Timestamp) -> Option<Timestamp> {
        if self.always_open() {
            return Some(at);
        }
        let now = zoned(at, &self.tz);
        let mut date = now.date();
        for day in 0..400 {
            if !self.holidays.contains(&date) {
                let earliest = if day == 0 { minute_of_day(&now) } else { 0 };
                let wd = day_index(date.weekday());
                let start = self
                    .blocks
                    .iter()
                    .filter(|b| b.days[wd] && b.to > earliest)
                    .map(|b| b.from.max(earliest))
                    .min();
                if let Some(m) = start {
                    return Some(if day == 0 && m == earliest {
                        at
                    } else {
                        instant(date, m, &self.tz)
                    });
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }
}

/// The customer's night: no non-critical notification then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quiet {
    from: u16,
    to: u16,
}

/// "22:00-08:00", as `Quiet::parse` reads it.
impl std::fmt::Display for Quiet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (a, b) = (self.from, self.to);
        write!(f, "{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60)
    }
}

impl Quiet {
    /// "22:00-08:00"; "" is `None` (no quiet hours).
    pub fn parse(s: &str) -> Result<Option<Quiet>, String> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| format!("quiet hours {s:?}: expected HH:MM-HH:MM"))?;
        let q = Quiet {
            from: parse_clock(a)?,
            to: parse_clock(b)?,
        };
        if q.from == q.to {
            return Err(format!("quiet hours {s:?} start and end at the same time"));
        }
        Ok(Some(q))
    }

    /// When the quiet period around `at` ends, or `None` when `at` is not
    /// in one.
    pub fn ends(&self, at: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let z = zoned(at, tz);
        let m = minute_of_day(&z);
        let inside = if self.from < self.to {
            (self.from..self.to).contains(&m)
        } else {
            m >= self.from || m < self.to
        };
        if !inside {
            return None;
        }
        let date = if m >= self.to {
            z.date().tomorrow().ok()?
        } else {
            z.date()
        };
        Some(instant(date, self.to, tz))
    }
}

/// "90s", "15m", "72h", "2d" (or "0"), up to ten years.
pub fn duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let bad = || format!("{s:?} is not a duration (a number and s, m, h or d: \"15m\")");
    let unit = s.chars().last().ok_or_else(bad)?;
    let n: i64 = s[..s.len() - unit.len_utf8()]
        .trim()
        .parse()
        .map_err(|_| bad())?;
    let secs: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    let n = u64::try_from(n).map_err(|_| bad())?;
    if n > 3650 * 86_400 / secs {
        return Err(bad());
    }
    Ok(Duration::from_secs(n * secs))
}

/// A duration as people write it: "45s", "20m", "1h 30m", "2d 4h".
pub fn short(d: Duration) -> String {
    let s = d.as_secs();
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// A time told to a customer: "14:30 EET" in their own zone, or
/// "14:30 (Europe/Kyiv)" in the desk's, named, when theirs is unknown
/// (`desk_zone_name`); the date goes first ("2026-11-27 09:00 EET") when
/// it is not today in that zone. Digits only: it reads the same in every
/// language.
pub fn for_customer(
    at: Timestamp,
    now: Timestamp,
    tz: &TimeZone,
    desk_zone_name: Option<&str>,
) -> String {
    let t = zoned(at, tz);
    let clock = if t.date() == zoned(now, tz).date() {
        t.strftime("%H:%M").to_string()
    } else {
        t.strftime("%Y-%m-%d %H:%M").to_string()
    };
    match desk_zone_name {
        Some(name) => format!("{clock} ({name})"),
        None => format!("{clock} {}", t.strftime("%Z")),
    }
}

/// `at` as local "YYYY-MM-DD HH:MM" in `tz`.
pub fn local(at: Timestamp, tz: &TimeZone) -> String {
    zoned(at, tz).strftime("%Y-%m-%d %H:%M").to_string()
}

/// A calendar's open spans over a stretch of time, laid out once, so
/// business time between two moments inside it is two binary searches (a
/// report asks hundreds of thousands of times; `Calendar::business_time`
/// walks the days each time). Outside the stretch it asks the calendar.
pub struct OpenSpans<'a> {
    calendar: &'a Calendar,
    from: i64,
    to: i64,
    /// Open spans (ms), in order, clipped to `[from, to]`.
    spans: Vec<(i64, i64)>,
    /// Open time before each span.
    before: Vec<i64>,
}

impl<'a> OpenSpans<'a> {
    pub fn new(calendar: &'a Calendar, from: Timestamp, to: Timestamp) -> OpenSpans<'a> {
        let mut spans = Vec::new();
        if !calendar.always_open() && to.0 > from.0 {
            calendar.each_open(from, to, |a, b| spans.push((a, b)));
        }
        let mut before = Vec::with_capacity(spans.len());
        let mut sum = 0;
        for (a, b) in &spans {
            before.push(sum);
            sum += b - a;
        }
        OpenSpans {
            calendar,
            from: from.0,
            to: to.0,
            spans,
            before,
        }
    }

    /// Open time from the stretch's start until `t` (inside it).
    fn open_until(&self, t: i64) -> i64 {
        // The first span starting after t; the one before may contain it.
        let i = self.spans.partition_point(|(a, _)| *a <= t);
        if i == 0 {
            return 0;
        }
        let (a, b) = self.spans[i - 1];
        self.before[i - 1] + (t.min(b) - a)
    }

    /// Business time between `from` and `to`, as `Calendar::business_time`.
    pub fn between(&self, from: Timestamp, to: Timestamp) -> Duration {
        if to.0 <= from.0 {
            return Duration::ZERO;
        }
        if self.calendar.always_open() {
            return Duration::from_millis((to.0 - from.0).unsigned_abs());
        }
        if from.0 < self.from || to.0 > self.to {
            return self.calendar.business_time(from, to);
        }
        Duration::from_millis((self.open_until(to.0) - self.open_until(from.0)).unsigned_abs())
    }
}

/// Where `at` falls in `tz`: its date ("YYYY-MM-DD"), day of the week
/// (Monday 0 ... Sunday 6) and hour.
pub fn day_and_hour(at: Timestamp, tz: &TimeZone) -> (String, usize, usize) {
    let z = zoned(at, tz);
    (
        z.strftime("%Y-%m-%d").to_string(),
        z.weekday().to_monday_zero_offset() as usize,
        z.hour() as usize,
    )
}

/// Local midnight of the day `days` days before the one `at` falls on in
/// `tz` (0: that day). A day that starts inside a gap (a clock change at
/// midnight) starts when the clock resumes.
pub fn day_start(at: Timestamp, days: i64, tz: &TimeZone) -> Timestamp {
    let date = zoned(at, tz).date();
    let day = date
        .checked_sub(jiff::Span::new().days(days))
        .unwrap_or(date);
    midnight(day, tz)
}

/// Local midnight of the Monday of the week `at` falls in, in `tz`.
pub fn week_start(at: Timestamp, tz: &TimeZone) -> Timestamp {
    let z = zoned(at, tz);
    day_start(at, i64::from(z.weekday().to_monday_zero_offset()), tz)
}

fn midnight(day: Date, tz: &TimeZone) -> Timestamp {
    day.to_zoned(tz.clone())
        .and_then(|z| z.start_of_day())
        .map_or(Timestamp(0), |z| Timestamp(z.timestamp().as_millisecond()))
}

/// A local date ("2026-11-01") or date and time ("2026-11-01T09:00",
/// "2026-11-01 09:00:30") in `tz`, as an instant.
pub fn parse_local(s: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    let s = s.trim();
    let civil = s
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| s.parse::<Date>().map(|d| d.at(0, 0, 0, 0)))
        .map_err(|_| {
            format!("{s:?} is not a date (2026-11-01) or a date and time (2026-11-01T09:00)")
        })?;
    let z = civil
        .to_zoned(tz.clone())
        .map_err(|e| format!("{s:?} in {}: {e}", tz.iana_name().unwrap_or("the zone")))?;
    Ok(Timestamp(z.timestamp().as_millisecond()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp(s.parse::<jiff::Timestamp>().unwrap().as_millisecond())
    }

    /// Laid out once, business time is what the calendar says, inside the
    /// stretch and outside it, across weekends, lunch, a holiday and a
    /// clock change.
    #[test]
    fn open_spans_agree_with_the_calendar() {
        let cal = Calendar::parse(
            "Europe/Kyiv",
            &["mon-fri 09:00-13:00".into(), "mon-fri 14:00-18:00".into()],
            &["2026-10-28".into()],
        )
        .unwrap();
        let (from, to) = (at("2026-10-20T00:00:00Z"), at("2026-11-10T00:00:00Z"));
        let spans = OpenSpans::new(&cal, from, to);
        let mut x: u64 = 0x1234_5678;
        for _ in 0..2_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let a = from.0 - 86_400_000 + (x % (23 * 86_400_000)) as i64;
            let b = a + ((x >> 20) % (6 * 86_400_000)) as i64;
            let (a, b) = (Timestamp(a), Timestamp(b));
            assert_eq!(spans.between(a, b), cal.business_time(a, b), "{a:?} {b:?}");
        }
        let always = Calendar::always();
        let all = OpenSpans::new(&always, from, to);
        assert_eq!(
            all.between(from, to),
            Duration::from_millis((to.0 - from.0) as u64)
        );
    }

    #[test]
    fn customer_times_are_local_and_named() {
        let kyiv = zone("Europe/Kyiv").unwrap();
        let now = at("2026-11-26T10:00:00Z");
        assert_eq!(
            for_customer(at("2026-11-26T10:32:00Z"), now, &kyiv, None),
            "12:32 EET"
        );
        assert_eq!(
            for_customer(at("2026-11-27T07:00:00Z"), now, &kyiv, None),
            "2026-11-27 09:00 EET"
        );
        assert_eq!(
            for_customer(at("2026-11-26T10:32:00Z"), now, &kyiv, Some("Europe/Kyiv")),
            "12:32 (Europe/Kyiv)"
        );
    }

    #[test]
    fn business_hours_open_close_and_skip_holidays() {
        let c = Calendar::parse(
            "Europe/Kyiv",
            &["mon-fri 09:00-13:00".into(), "mon-fri 14:00-18:00".into()],
            &["2026-12-25".into()],
        )
        .unwrap();
        // Mon 2026-11-23 10:00 Kyiv = 08:00 UTC.
        assert!(c.is_open(at("2026-11-23T08:00:00Z")));
        // Lunch: opens again at 14:00 local = 12:00 UTC.
        assert_eq!(
            c.next_open(at("2026-11-23T11:30:00Z")),
            Some(at("2026-11-23T12:00:00Z"))
        );
        // Friday evening: Monday 09:00 local.
        assert_eq!(
            c.next_open(at("2026-11-27T17:00:00Z")),
            Some(at("2026-11-30T07:00:00Z"))
        );
        // Christmas Friday is a holiday: Monday the 28th.
        assert_eq!(
            c.next_open(at("2026-12-24T20:00:00Z")),
            Some(at("2026-12-28T07:00:00Z"))
        );
        assert!(
            Calendar::parse("UTC", &[], &[])
                .unwrap()
                .is_open(at("2026-11-22T03:00:00Z"))
        );
    }

    #[test]
    fn bad_hours_are_refused_with_the_reason() {
        for (tz, open, why) in [
            ("Mars/Base", "mon 09:00-10:00", "time zone"),
            ("UTC", "mon 10:00-09:00", "end after"),
            ("UTC", "funday 09:00-10:00", "not a day"),
            ("UTC", "mon 9-10", "time of day"),
        ] {
            let e = Calendar::parse(tz, &[open.into()], &[]).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(duration("90s"), Ok(Duration::from_millis(90_000)));
        assert_eq!(duration("72h"), Ok(Duration::from_millis(72 * 3_600_000)));
        assert_eq!(duration("0"), Ok(Duration::ZERO));
        for bad in ["", "h", "15", "15x", "-3m", "1.5h"] {
            assert!(duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quiet_hours_read_back_as_written() {
        let q = Quiet::parse(" 22:00-8:30").unwrap().unwrap();
        assert_eq!(q.to_string(), "22:00-08:30");
        assert_eq!(Quiet::parse(&q.to_string()).unwrap(), Some(q));
    }

    #[test]
    fn quiet_hours_wrap_midnight_in_the_customers_zone() {
        let q = Quiet::parse("22:00-08:00").unwrap().unwrap();
        let kyiv = zone("Europe/Kyiv").unwrap();
        // 21:30 UTC = 23:30 Kyiv: quiet until 08:00 Kyiv = 06:00 UTC.
        assert_eq!(
            q.ends(at("2026-11-23T21:30:00Z"), &kyiv),
            Some(at("2026-11-24T06:00:00Z"))
        );
        // 03:00 UTC = 05:00 Kyiv: same night.
        assert_eq!(
            q.ends(at("2026-11-24T03:00:00Z"), &kyiv),
            Some(at("2026-11-24T06:00:00Z"))
        );
        assert_eq!(q.ends(at("2026-11-24T10:00:00Z"), &kyiv), None);
        assert_eq!(Quiet::parse("").unwrap(), None);
        assert!(Quiet::parse("22:00-22:00").is_err());
    }
}
