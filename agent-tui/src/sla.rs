//! SLA countdowns. The server owns the deadlines as absolute times; the
//! workstation only subtracts now.

use shared::{SlaDeadlines, Ticket, Timestamp};

/// How close a deadline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Ok,
    /// Within the warning lead time of the deadline.
    Warning,
    /// Past the deadline.
    Breached,
}

/// Which promise a deadline belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    FirstReply,
    NextReply,
    Update,
    Resolution,
}

impl Target {
    pub fn label(self) -> &'static str {
        match self {
            Target::FirstReply => "first reply",
            Target::NextReply => "next reply",
            Target::Update => "update",
            Target::Resolution => "resolution",
        }
    }
}

/// The deadline that comes first, with its target.
pub fn nearest(sla: &SlaDeadlines) -> Option<(Target, Timestamp)> {
    [
        (Target::FirstReply, sla.first_reply_due),
        (Target::NextReply, sla.next_reply_due),
        (Target::Update, sla.update_due),
        (Target::Resolution, sla.resolution_due),
    ]
    .into_iter()
    .filter_map(|(t, d)| d.map(|d| (t, d)))
    .min_by_key(|(_, d)| *d)
}

/// A ticket's nearest deadline as a countdown, if it has one.
pub fn countdown(ticket: &Ticket, now: Timestamp, warn_ms: i64) -> Option<Countdown> {
    nearest(&ticket.sla).map(|(target, due)| Countdown::new(target, due, now, warn_ms))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Countdown {
    pub target: Target,
    pub due: Timestamp,
    /// Milliseconds left; negative once breached.
    pub left_ms: i64,
    pub level: Level,
}

impl Countdown {
    pub fn new(target: Target, due: Timestamp, now: Timestamp, warn_ms: i64) -> Countdown {
        let left_ms = due.0 - now.0;
        let level = if left_ms < 0 {
            Level::Breached
        } else if left_ms <= warn_ms {
            Level::Warning
        } else {
            Level::Ok
        };
        Countdown {
            target,
            due,
            left_ms,
            level,
        }
    }

    /// A duration, never a clock time: `14m56s`, `3h05m`, `2d04h`;
    /// `5s over`, `1h02m over` once breached.
    pub fn text(&self) -> String {
        let d = span(self.left_ms.unsigned_abs() / 1000);
        if self.left_ms < 0 {
            format!("{d} over")
        } else {
            d
        }
    }
}

/// Seconds as a duration: `45s`, `14m56s` under an hour, `3h05m` under a
/// day, `2d04h` beyond. Always with units, so it never reads as a time of
/// day.
pub fn span(secs: u64) -> String {
    if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else if secs < 86_400 {
        format!("{}h{:02}m", secs / 3600, secs % 3600 / 60)
    } else {
        format!("{}d{:02}h", secs / 86_400, secs % 86_400 / 3600)
    }
}

/// A short age: `45s`, `12m`, `3h`, `2d`.
pub fn age(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86_400 {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_nearest_deadline_and_grades_it() {
        let sla = SlaDeadlines {
            first_reply_due: Some(Timestamp(10_000_000)),
            next_reply_due: None,
            resolution_due: Some(Timestamp(5_000_000)),
            ..Default::default()
        };
        assert_eq!(
            nearest(&sla),
            Some((Target::Resolution, Timestamp(5_000_000)))
        );
        let warn = 300_000;
        let c = Countdown::new(Target::FirstReply, Timestamp(1_000_000), Timestamp(0), warn);
        assert_eq!((c.level, c.text()), (Level::Ok, "16m40s".to_owned()));
        let c = Countdown::new(Target::FirstReply, Timestamp(300_000), Timestamp(0), warn);
        assert_eq!((c.level, c.text()), (Level::Warning, "5m00s".to_owned()));
        let c = Countdown::new(Target::FirstReply, Timestamp(0), Timestamp(1), warn);
        assert_eq!(c.level, Level::Breached);
        let c = Countdown::new(Target::FirstReply, Timestamp(0), Timestamp(5_000), warn);
        assert_eq!(c.text(), "5s over");
        let c = Countdown::new(Target::FirstReply, Timestamp(0), Timestamp(3_723_000), warn);
        assert_eq!(c.text(), "1h02m over");
        assert_eq!(span(59), "59s");
        assert_eq!(span(2 * 86_400 + 4 * 3600 + 59), "2d04h");
        assert_eq!(nearest(&SlaDeadlines::default()), None);
        assert_eq!(age(59_999), "59s");
        assert_eq!(age(3_600_000), "1h");
    }
}
