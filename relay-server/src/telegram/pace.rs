//! Pacing of sends under Telegram's limits: strictly spaced slots overall,
//! per chat and per group, so no window ever holds more than allowed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

pub struct Pacer {
    global: Duration,
    per_chat: Duration,
    per_group: Duration,
    next_global: Option<Instant>,
    next_chat: HashMap<i64, Instant>,
}

impl Pacer {
    /// `global_per_sec` sends per second overall; one per `per_chat` in a
    /// chat; `group_per_min` per minute in a group (negative chat ids).
    pub fn new(global_per_sec: u32, per_chat: Duration, group_per_min: u32) -> Self {
        Pacer {
            // Rounded up: 30 slots of a truncated 1/30 s would fit 31 sends in a second.
            global: Duration::from_nanos(
                1_000_000_000u64.div_ceil(u64::from(global_per_sec.max(1))),
            ),
            per_chat,
            per_group: Duration::from_nanos(
                60_000_000_000u64.div_ceil(u64::from(group_per_min.max(1))),
            ),
            next_global: None,
            next_chat: HashMap::new(),
        }
    }

    /// Takes a slot for `chat` now, or says when to ask again.
    pub fn admit(&mut self, chat: i64, now: Instant) -> Result<(), Instant> {
        let chat_ready = self.next_chat.get(&chat).copied();
        let wait = [self.next_global, chat_ready]
            .into_iter()
            .flatten()
            .filter(|t| *t > now)
            .max();
        if let Some(t) = wait {
            return Err(t);
        }
        self.next_global = Some(now + self.global);
        let spacing = if chat < 0 {
            self.per_group.max(self.per_chat)
        } else {
            self.per_chat
        };
        self.next_chat.insert(chat, now + spacing);
        if self.next_chat.len() > 100_000 {
            self.next_chat.retain(|_, t| *t > now);
        }
        Ok(())
    }

    /// Telegram said wait: nothing more to this chat before `until`.
    pub fn hold_chat(&mut self, chat: i64, until: Instant) {
        let t = self.next_chat.entry(chat).or_insert(until);
        *t = (*t).max(until);
    }

    /// The longest spacing the pacer keeps (a group's). A process that
    /// starts after another stopped waits this long before its first send,
    /// since it can't know what the other sent just before.
    pub fn longest_spacing(&self) -> Duration {
        self.per_group.max(self.per_chat).max(self.global)
    }

    /// Nothing more to anyone before `until` (a storm).
    pub fn hold_all(&mut self, until: Instant) {
        self.next_global = Some(self.next_global.map_or(until, |t| t.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_spaced_globally_and_per_chat() {
        let mut p = Pacer::new(30, Duration::from_millis(1050), 19);
        let t = Instant::now();
        assert!(p.admit(1, t).is_ok());
        let next = p.admit(2, t).unwrap_err();
        assert_eq!(next - t, Duration::from_nanos(33_333_334));
        assert!(p.admit(2, next).is_ok());
        let again = p.admit(1, next + Duration::from_millis(40)).unwrap_err();
        assert_eq!(again - t, Duration::from_millis(1050));
    }

    #[test]
    fn never_more_than_the_limit_in_any_second() {
        let mut p = Pacer::new(30, Duration::from_millis(1050), 19);
        let start = Instant::now();
        let mut sent = Vec::new();
        let mut now = start;
        let mut chat = 0;
        while now < start + Duration::from_secs(5) {
            chat += 1;
            match p.admit(chat, now) {
                Ok(()) => sent.push(now),
                Err(t) => now = t,
            }
        }
        for (i, t) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .take_while(|u| **u < *t + Duration::from_secs(1))
                .count();
            assert!(in_window <= 30, "{in_window} sends within a second");
        }
        assert!(
            sent.len() >= 149,
            "pacing is not needlessly slow: {}",
            sent.len()
        );
    }

    #[test]
    fn groups_get_a_slot_every_few_seconds() {
        let mut p = Pacer::new(30, Duration::from_millis(1050), 20);
        let t = Instant::now();
        let g = -1_000_000_000_001;
        assert!(p.admit(g, t).is_ok());
        assert_eq!(
            p.admit(g, t + Duration::from_secs(1)).unwrap_err() - t,
            Duration::from_secs(3)
        );
    }

    #[test]
    fn holds_are_respected() {
        let mut p = Pacer::new(30, Duration::from_millis(1050), 20);
        let t = Instant::now();
        p.hold_chat(5, t + Duration::from_secs(7));
        assert_eq!(p.admit(5, t).unwrap_err() - t, Duration::from_secs(7));
        p.hold_all(t + Duration::from_secs(9));
        assert_eq!(p.admit(6, t).unwrap_err() - t, Duration::from_secs(9));
    }
}
