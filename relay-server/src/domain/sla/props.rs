//! Properties of the clock arithmetic over random calendars (three time
//! zones with clock changes, several blocks a day, holidays).

use std::time::Duration;

use proptest::prelude::*;
use shared::{SlaTarget, Timestamp};

use super::{Clock, Want};
use crate::domain::hours::Calendar;

const ZONES: [&str; 4] = ["Europe/Kyiv", "America/New_York", "Asia/Tokyo", "UTC"];
const BLOCKS: [&str; 6] = [
    "mon-fri 09:00-13:00",
    "mon-fri 14:00-18:00",
    "sat 10:00-14:00",
    "daily 01:30-03:30",
    "tue,thu 20:00-24:00",
    "sun-mon 00:00-06:00",
];
/// 2026-01-01T00:00Z; a year of starts covers both clock changes.
const YEAR_START: i64 = 1_767_225_600_000;
const YEAR_MS: i64 = 365 * 86_400_000;
const MIN: i64 = 60_000;

fn ms(n: i64) -> Duration {
    Duration::from_millis(n.unsigned_abs())
}

fn calendar() -> impl Strategy<Value = Calendar> {
    (
        0..ZONES.len(),
        proptest::sample::subsequence(BLOCKS.to_vec(), 1..=3),
        proptest::collection::vec(0..365u32, 0..6),
    )
        .prop_map(|(z, blocks, days)| {
            let holidays: Vec<String> = days
                .iter()
                .map(|d| {
                    let date = jiff::civil::date(2026, 1, 1)
                        .checked_add(jiff::Span::new().days(i64::from(*d)))
                        .unwrap();
                    date.to_string()
                })
                .collect();
            let blocks: Vec<String> = blocks.iter().map(|b| b.to_string()).collect();
            Calendar::parse(ZONES[z], &blocks, &holidays).unwrap()
        })
}

fn run(
    c: Option<Clock>,
    start: Timestamp,
    budget: Duration,
    cal: &Calendar,
    now: Timestamp,
) -> Clock {
    Clock::step(
        c,
        SlaTarget::Resolution,
        Want::Run(start),
        Some(budget),
        cal,
        now,
    )
    .unwrap()
}

fn pause(c: Clock, start: Timestamp, budget: Duration, cal: &Calendar, now: Timestamp) -> Clock {
    Clock::step(
        Some(c),
        SlaTarget::Resolution,
        Want::Pause(start),
        Some(budget),
        cal,
        now,
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Adding business time and measuring it back agree to the millisecond.
    #[test]
    fn business_time_round_trips(cal in calendar(), start in 0..YEAR_MS, minutes in 1..(20 * 24 * 60i64)) {
        let from = Timestamp(YEAR_START + start);
        let due = cal.add_business(from, ms(minutes * MIN));
        prop_assert!(due > from);
        prop_assert_eq!(cal.business_time(from, due), ms(minutes * MIN));
    }

    /// A pause never moves a deadline earlier, and however often a clock
    /// pauses and resumes, the business time it runs adds up to its budget.
    #[test]
    fn pausing_never_moves_a_deadline_earlier_nor_loses_or_gains_time(
        cal in calendar(),
        start in 0..YEAR_MS,
        budget_min in 1..(3 * 24 * 60i64),
        // (runs for, then paused for), in wall minutes.
        steps in proptest::collection::vec((0..(2 * 24 * 60i64), 0..(4 * 24 * 60i64)), 1..6),
    ) {
        let s = Timestamp(YEAR_START + start);
        let budget = ms(budget_min * MIN);
        let mut clock = run(None, s, budget, &cal, s);
        let mut now = s;
        let mut ran = Duration::ZERO;
        let mut due = clock.due.unwrap();
        for (run_for, paused_for) in steps {
            let p = Timestamp(now.0 + run_for * MIN);
            if p >= due {
                break; // it breached before the pause: nothing to keep
            }
            ran += cal.business_time(now, p);
            clock = pause(clock, s, budget, &cal, p);
            prop_assert_eq!(clock.state().remaining_ms, Some((budget - ran).as_millis() as i64));
            let r = Timestamp(p.0 + paused_for * MIN);
            clock = run(Some(clock), s, budget, &cal, r);
            let new_due = clock.due.unwrap();
            prop_assert!(new_due >= due, "moved earlier: {:?} -> {:?}", due, new_due);
            prop_assert_eq!(ran + cal.business_time(r, new_due), budget);
            due = new_due;
            now = r;
        }
    }
}
