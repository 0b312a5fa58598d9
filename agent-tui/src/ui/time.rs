//! Times as the engineer and the customer read them.

use jiff::Timestamp as JTs;
use jiff::tz::TimeZone;
use shared::Timestamp;

fn zoned(ts: Timestamp, tz: &TimeZone) -> Option<jiff::Zoned> {
    JTs::from_millisecond(ts.0)
        .ok()
        .map(|t| t.to_zoned(tz.clone()))
}

/// `14:05` today, `Nov 20 14:05` on another day.
pub fn short(ts: Timestamp, now: Timestamp, tz: &TimeZone) -> String {
    let (Some(t), Some(n)) = (zoned(ts, tz), zoned(now, tz)) else {
        return "?".into();
    };
    if t.date() == n.date() {
        t.strftime("%H:%M").to_string()
    } else {
        t.strftime("%b %-d %H:%M").to_string()
    }
}

/// A customer's local clock: `12:00 Sat`.
pub fn local_clock(now: Timestamp, tz: &TimeZone) -> String {
    zoned(now, tz).map_or_else(|| "?".into(), |t| t.strftime("%H:%M %a").to_string())
}

/// A deadline told to the customer: in their zone, `14:30 EET`, or in
/// the desk's, named, `14:30 (Europe/Kyiv)` when theirs is unknown
/// (`named`); the date first when it is not today there. Digits only, so
/// it reads the same in every language (the server words its own times
/// the same way).
pub fn eta(due: Timestamp, now: Timestamp, tz: &TimeZone, named: Option<&str>) -> String {
    let (Some(t), Some(n)) = (zoned(due, tz), zoned(now, tz)) else {
        return "?".into();
    };
    let clock = if t.date() == n.date() {
        t.strftime("%H:%M").to_string()
    } else {
        t.strftime("%Y-%m-%d %H:%M").to_string()
    };
    match named {
        Some(name) => format!("{clock} ({name})"),
        None => format!("{clock} {}", t.strftime("%Z")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{NOW, TsExt};

    #[test]
    fn formats_in_the_given_zone() {
        let kyiv = TimeZone::get("Europe/Kyiv").unwrap();
        assert_eq!(short(NOW, NOW, &TimeZone::UTC), "10:00");
        assert_eq!(
            short(NOW.minus(86_400), NOW, &TimeZone::UTC),
            "Nov 20 10:00"
        );
        assert_eq!(local_clock(NOW, &kyiv), "12:00 Sat");
        assert_eq!(eta(NOW.plus(1800), NOW, &kyiv, None), "12:30 EET");
        assert_eq!(
            eta(NOW.plus(86_400), NOW, &TimeZone::UTC, None),
            "2026-11-22 10:00 UTC"
        );
        assert_eq!(
            eta(NOW.plus(1800), NOW, &kyiv, Some("Europe/Kyiv")),
            "12:30 (Europe/Kyiv)"
        );
    }
}
