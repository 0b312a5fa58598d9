//! Telegram's flood limits, as sliding windows.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How many sends are allowed per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Per chat (private chats and groups alike).
    pub per_chat: (u32, Duration),
    /// Over all chats.
    pub global: (u32, Duration),
    /// Per group or supergroup, on top of `per_chat`.
    pub per_group: (u32, Duration),
    /// False: count, but never answer 429.
    pub enforce: bool,
}

impl Limits {
    /// Telegram's published limits: 1/s per chat, 30/s overall, 20/min per group.
    pub fn telegram() -> Self {
        Limits {
            per_chat: (1, Duration::from_secs(1)),
            global: (30, Duration::from_secs(1)),
            per_group: (20, Duration::from_secs(60)),
            enforce: true,
        }
    }
}

/// Recent sends, for checking the limits.
#[derive(Default)]
pub(crate) struct Windows {
    global: VecDeque<Instant>,
    chats: HashMap<i64, VecDeque<Instant>>,
    /// A minute of history per group (the per-chat window keeps a second).
    groups: HashMap<i64, VecDeque<Instant>>,
}

/// Seconds to wait before `window` has room again, if it is full.
fn full(times: &mut VecDeque<Instant>, (max, span): (u32, Duration), now: Instant) -> Option<u64> {
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= span)
    {
        times.pop_front();
    }
    if times.len() < max as usize {
        return None;
    }
    let oldest = times[times.len() - max as usize];
    let wait = span.saturating_sub(now.duration_since(oldest));
    Some(wait.as_millis().div_ceil(1000).max(1) as u64)
}

impl Windows {
    /// Records a send to `chat` now, or says how long to wait (seconds).
    pub fn admit(&mut self, limits: &Limits, chat: i64, now: Instant) -> Result<(), u64> {
        let is_group = chat < 0;
        let chat_times = self.chats.entry(chat).or_default();
        let group_times = self.groups.entry(chat).or_default();
        let waits = [
            full(&mut self.global, limits.global, now),
            full(chat_times, limits.per_chat, now),
            if is_group {
                full(group_times, limits.per_group, now)
            } else {
                None
            },
        ];
        if let Some(wait) = waits.into_iter().flatten().max()
            && limits.enforce
        {
            return Err(wait);
        }
        self.global.push_back(now);
        chat_times.push_back(now);
        if is_group {
            group_times.push_back(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_second_per_chat() {
        let l = Limits::telegram();
        let mut w = Windows::default();
        let t = Instant::now();
        assert!(w.admit(&l, 7, t).is_ok());
        assert_eq!(w.admit(&l, 7, t + Duration::from_millis(300)), Err(1));
        assert!(w.admit(&l, 8, t + Duration::from_millis(300)).is_ok());
        assert!(w.admit(&l, 7, t + Duration::from_millis(1000)).is_ok());
    }

    #[test]
    fn thirty_per_second_overall() {
        let l = Limits::telegram();
        let mut w = Windows::default();
        let t = Instant::now();
        for chat in 0..30 {
            assert!(w.admit(&l, chat + 1, t).is_ok());
        }
        assert_eq!(w.admit(&l, 99, t + Duration::from_millis(10)), Err(1));
        assert!(w.admit(&l, 99, t + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn twenty_per_minute_per_group() {
        let l = Limits::telegram();
        let mut w = Windows::default();
        let t = Instant::now();
        let g = -1_000_000_000_001;
        for i in 0..20 {
            assert!(
                w.admit(&l, g, t + Duration::from_secs(i * 2)).is_ok(),
                "{i}"
            );
        }
        let wait = w.admit(&l, g, t + Duration::from_secs(40)).unwrap_err();
        assert_eq!(wait, 20);
        assert!(w.admit(&l, g, t + Duration::from_secs(60)).is_ok());
    }
}
