//! Pacing of sends under Telegram's limits. Overall: at most N sends in any
//! second (a sliding window over the last N send times, with a small
//! margin), never closer than 90% of the average spacing, so a late send is
//! made up for without bursts. Per chat and per group: a minimum spacing.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Kept on top of a second, so network jitter can't put N+1 sends in
/// Telegram's one-second window.
const MARGIN: Duration = Duration::from_millis(5);

pub struct Pacer {
    per_second: usize,
    min_spacing: Duration,
    per_chat: Duration,
    per_group: Duration,
    recent: VecDeque<Instant>,
    hold_until: Option<Instant>,
    next_chat: HashMap<i64, Instant>,
}

impl Pacer {
    /// `global_per_sec` sends per second overall; one per `per_chat` in a
    /// chat; `group_per_min` per minute in a group (negative chat ids).
    pub fn new(global_per_sec: u32, per_chat: Duration, group_per_min: u32) -> Self {
        let n = global_per_sec.max(1);
        Pacer {
            per_second: n as usize,
            // 90% of the average spacing: enough to make up for late sends,
            // close enough to it that sends stay evenly spread.
            min_spacing: Duration::from_secs(1) * 9 / (10 * n),
            per_chat,
            per_group: Duration::from_nanos(
                60_000_000_000u64.div_ceil(u64::from(group_per_min.max(1))),
            ),
            recent: VecDeque::new(),
            hold_until: None,
            next_chat: HashMap::new(),
        }
    }

    /// When the next send to anyone may go, if not now.
    pub fn global_wait(&self, now: Instant) -> Option<Instant> {
        let window = (self.recent.len() >= self.per_second).then(|| {
            self.recent[self.recent.len() - self.per_second] + Duration::from_secs(1) + MARGIN
        });
        let spacing = self.recent.back().map(|t| *t + self.min_spacing);
        [window, spacing, self.hold_until]
            .into_iter()
            .flatten()
            .filter(|t| *t > now)
            .max()
    }

    /// When the next send to `chat` may go, if not now.
    pub fn chat_wait(&self, chat: i64, now: Instant) -> Option<Instant> {
        self.next_chat.get(&chat).copied().filter(|t| *t > now)
    }

    /// Takes a slot for `chat` now, or says when to ask again.
    pub fn admit(&mut self, chat: i64, now: Instant) -> Result<(), Instant> {
        if let Some(t) = [self.global_wait(now), self.chat_wait(chat, now)]
            .into_iter()
            .flatten()
            .max()
        {
            return Err(t);
        }
        self.recent.push_back(now);
        while self.recent.len() > self.per_second {
            self.recent.pop_front();
        }
        self.next_chat.insert(chat, now + self.spacing(chat));
        if self.next_chat.len() > 100_000 {
            self.next_chat.retain(|_, t| *t > now);
        }
        Ok(())
    }

    /// The spacing between two sends to `chat`: a group's (negative ids)
    /// or a private chat's.
    fn spacing(&self, chat: i64) -> Duration {
        if chat < 0 {
            self.per_group.max(self.per_chat)
        } else {
            self.per_chat
        }
    }

    /// Picks up where a stopped process left off: `recent` are its sends
    /// (chat, when), oldest first; `interrupted` the chats it may have sent
    /// to just before it stopped, at an unknown moment. Only those chats
    /// wait, each for its own kind's spacing; the overall window counts
    /// the recent sends. Everyone else may be sent to at once.
    pub fn resume(&mut self, recent: &[(i64, Instant)], interrupted: &[i64], now: Instant) {
        for &(chat, at) in recent {
            self.hold_chat(chat, at + self.spacing(chat));
            self.recent.push_back(at);
        }
        for &chat in interrupted {
            self.hold_chat(chat, now + self.spacing(chat));
            self.recent.push_back(now);
        }
        self.recent.make_contiguous().sort();
        while self.recent.len() > self.per_second {
            self.recent.pop_front();
        }
    }

    /// The spacing of a private chat, or Telegram's one-second overall
    /// window if longer: what a starting process waits before its first
    /// send, since the last moments of the one before are not all on
    /// record (a send answered but not yet committed).
    pub fn private_spacing(&self) -> Duration {
        self.per_chat.max(Duration::from_secs(1) + MARGIN)
    }

    /// The longest spacing the pacer keeps (a group's): how far back a
    /// starting process looks for the sends of the one before.
    pub fn longest_spacing(&self) -> Duration {
        self.per_group
            .max(self.per_chat)
            .max(Duration::from_secs(1) + MARGIN)
    }

    /// Telegram said wait: nothing more to this chat before `until`.
    pub fn hold_chat(&mut self, chat: i64, until: Instant) {
        let t = self.next_chat.entry(chat).or_insert(until);
        *t = (*t).max(until);
    }

    /// Nothing more to anyone before `until` (a storm, a restart, or the bot's token
    /// refused).
    pub fn hold_all(&mut self, until: Instant) {
        self.hold_until = Some(self.hold_until.map_or(until, |t| t.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends as fast as the pacer allows to distinct chats, from `start`,
    /// each admitted `late` after its slot opened.
    fn run(p: &mut Pacer, start: Instant, secs: u64, late: Duration) -> Vec<Instant> {
        let (mut sent, mut now, mut chat) = (Vec::new(), start, 0);
        while now < start + Duration::from_secs(secs) {
            chat += 1;
            match p.admit(chat, now) {
                Ok(()) => sent.push(now),
                Err(t) => now = t + late,
            }
        }
        sent
    }

    fn busiest_second(sent: &[Instant]) -> usize {
        (0..sent.len())
            .map(|i| {
                sent[i..]
                    .iter()
                    .take_while(|u| **u < sent[i] + Duration::from_secs(1))
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn never_more_than_the_limit_in_any_second() {
        for late in [
            Duration::ZERO,
            Duration::from_micros(700),
            Duration::from_millis(3),
        ] {
            let mut p = Pacer::new(30, Duration::from_millis(1050), 19);
            let sent = run(&mut p, Instant::now(), 10, late);
            assert!(
                busiest_second(&sent) <= 30,
                "late {late:?}: {}",
                busiest_second(&sent)
            );
            // And it holds the limit: late admissions are made up for.
            assert!(
                sent.len() >= 296,
                "late {late:?}: only {} in 10 s",
                sent.len()
            );
        }
    }

    #[test]
    fn sends_are_spaced_not_burst() {
        let mut p = Pacer::new(30, Duration::from_millis(1050), 19);
        let sent = run(&mut p, Instant::now(), 3, Duration::ZERO);
        assert!(
            sent.windows(2)
                .all(|w| w[1] - w[0] >= Duration::from_millis(30))
        );
    }

    #[test]
    fn one_chat_waits_its_spacing() {
        let mut p = Pacer::new(30, Duration::from_millis(1050), 19);
        let t = Instant::now();
        assert!(p.admit(1, t).is_ok());
        assert_eq!(
            p.admit(1, t + Duration::from_millis(40)).unwrap_err() - t,
            Duration::from_millis(1050)
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

    /// A restart used to hold every send for a group's spacing (about
    /// 3.2 s), group chats or not. Now only the chats sent to just before
    /// wait, each for its own kind's spacing.
    #[test]
    fn a_restart_holds_only_the_chats_sent_to_just_before() {
        let mut p = Pacer::new(30, Duration::from_secs(1), 19);
        let t = Instant::now();
        let recent = [
            (10, t - Duration::from_millis(800)),
            (-500, t - Duration::from_millis(2000)),
            (11, t - Duration::from_secs(5)),
        ];
        p.resume(&recent, &[12], t);
        // A chat nobody wrote to lately: at once (after the overall
        // spacing from the interrupted send, counted as now).
        let soon = t + Duration::from_millis(50);
        assert_eq!(p.admit(99, soon), Ok(()));
        // Sent 0.8 s ago: the rest of its second.
        assert_eq!(
            p.admit(10, soon).unwrap_err(),
            t + Duration::from_millis(200)
        );
        // Long enough ago: at once.
        assert_eq!(p.admit(11, soon + Duration::from_millis(50)), Ok(()));
        // A group sent to 2 s ago: the rest of 60/19 s.
        let group_at = p.admit(-500, soon).unwrap_err();
        assert_eq!(group_at, t - Duration::from_millis(2000) + p.per_group);
        // Interrupted mid-send: a full spacing from now.
        assert_eq!(p.admit(12, t).unwrap_err(), t + Duration::from_secs(1));
    }

    /// The overall window counts the last process's sends.
    #[test]
    fn a_restart_keeps_the_overall_window_of_the_last_seconds_sends() {
        let mut p = Pacer::new(3, Duration::from_secs(1), 20);
        let t = Instant::now();
        let recent: Vec<_> = (0..3)
            .map(|i| (100 + i, t - Duration::from_millis(300 - 100 * i as u64)))
            .collect();
        p.resume(&recent, &[], t);
        let at = p.admit(7, t).unwrap_err();
        assert_eq!(
            at,
            t - Duration::from_millis(300) + Duration::from_secs(1) + MARGIN
        );
    }
}
