//! The leads' dashboard, kept live: `desk_figures` gives today's and this
//! week's figures as of one seq, and every event after it is added here
//! (a ticket created, a first reply, a breach, a rating). What is true
//! right now (who waits, who is online) is read from the mirror when
//! drawn. Same definitions as `relay-server report` (docs/metrics.md).

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::tz::TimeZone;
use shared::*;

/// Events kept while the figures are on their way, at most.
pub const MAX_BUFFERED: usize = 20_000;

/// First responses in calendar milliseconds, sorted, for nearest-rank
/// percentiles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Samples(Vec<i64>);

impl Samples {
    pub fn add(&mut self, ms: i64) {
        let at = self.0.partition_point(|x| *x <= ms);
        self.0.insert(at, ms);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The nearest-rank percentile `p` (as the report computes it).
    pub fn percentile(&self, p: usize) -> Option<i64> {
        let n = self.0.len();
        (n > 0).then(|| self.0[(p * n).div_ceil(100).max(1) - 1])
    }

    /// How many are at most `ms`.
    pub fn within(&self, ms: i64) -> usize {
        self.0.partition_point(|x| *x <= ms)
    }
}

/// The live figures.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Every event up to this seq is counted.
    pub seq: Seq,
    pub zone: TimeZone,
    pub zone_name: String,
    pub day_start: Timestamp,
    pub week_start: Timestamp,
    pub heat_from: Timestamp,
    pub today_by_hour: [u32; 24],
    /// Today's tickets counted in `today_by_hour`.
    pub created_today: HashSet<TicketId>,
    pub by_hour_of_week: [[u32; 24]; 7],
    /// Today's first responses, per queue.
    pub first: BTreeMap<QueueId, Samples>,
    /// All of today's first responses.
    pub first_all: Samples,
    /// Today's tickets still owed their first reply, since when.
    pub awaiting: HashMap<TicketId, Timestamp>,
    pub breaches_today: u32,
    /// This week's ratings by ticket.
    pub ratings: HashMap<TicketId, u8>,
}

impl Dashboard {
    /// The figures as the server sent them.
    pub fn new(f: DeskFigures) -> Dashboard {
        let zone = TimeZone::get(&f.zone).unwrap_or(TimeZone::UTC);
        let mut d = Dashboard {
            seq: f.as_of,
            zone,
            zone_name: f.zone,
            day_start: f.day_start,
            week_start: f.week_start,
            heat_from: f.heat_from,
            today_by_hour: f.today_by_hour,
            created_today: f.created_today.into_iter().collect(),
            by_hour_of_week: f.by_hour_of_week,
            first: BTreeMap::new(),
            first_all: Samples::default(),
            awaiting: f
                .awaiting_first
                .into_iter()
                .map(|a| (a.ticket_id, a.since))
                .collect(),
            breaches_today: f.breaches_today,
            ratings: f
                .ratings_week
                .into_iter()
                .map(|r| (r.ticket_id, r.stars))
                .collect(),
        };
        for r in f.first_responses {
            d.first_response(r.queue, r.ms);
        }
        d
    }

    fn first_response(&mut self, queue: QueueId, ms: i64) {
        self.first.entry(queue).or_default().add(ms);
        self.first_all.add(ms);
    }

    /// Local midnight ending today: the figures are stale from then.
    pub fn day_end(&self) -> Timestamp {
        let next = jiff::Timestamp::from_millisecond(self.day_start.0)
            .ok()
            .map(|t| t.to_zoned(self.zone.clone()))
            .and_then(|z| z.tomorrow().ok())
            .and_then(|z| z.start_of_day().ok());
        next.map_or(Timestamp(self.day_start.0 + 86_400_000), |z| {
            Timestamp(z.timestamp().as_millisecond())
        })
    }

    /// Counts one event of the stream (those up to `seq` are counted
    /// already). Cheap: a few map operations and one binary search.
    pub fn apply(&mut self, e: &EventEnvelope) {
        if e.seq <= self.seq {
            return;
        }
        self.seq = e.seq;
        match &e.event {
            // A new ticket reaches an agent who does not read every
            // queue as `ticket_shown`; so does one moved into their view.
            Event::TicketCreated { ticket } => self.created(ticket),
            Event::TicketShown {
                ticket, messages, ..
            } => {
                self.created(ticket);
                if let Some(since) = self.awaiting.get_mut(&ticket.id)
                    && let Some(first) = messages
                        .iter()
                        .filter(|m| matches!(m.author, Author::Customer { .. }))
                        .map(|m| m.created_at)
                        .min()
                {
                    *since = (*since).min(first);
                }
            }
            Event::MessageAdded { message } => {
                if let (Author::Customer { .. }, Some(since)) =
                    (message.author, self.awaiting.get_mut(&message.ticket_id))
                {
                    *since = (*since).min(message.created_at);
                }
            }
            Event::TicketUpdated { ticket, change, .. } => {
                if let Some(at) = ticket.first_reply_at
                    && let Some(since) = self.awaiting.remove(&ticket.id)
                {
                    self.first_response(ticket.queue.clone(), at.0 - since.0);
                } else if matches!(ticket.status, TicketStatus::Resolved | TicketStatus::Closed) {
                    self.awaiting.remove(&ticket.id);
                }
                if let TicketChange::Csat { rating } = change
                    && ticket.resolved_at.is_some_and(|r| r >= self.week_start)
                    && (1..=5).contains(rating)
                {
                    self.ratings.insert(ticket.id, *rating);
                }
            }
            Event::SlaAlert { alert }
                if alert.level == SlaLevel::Breach && e.at >= self.day_start =>
            {
                self.breaches_today += 1;
            }
            _ => {}
        }
    }

    /// A ticket of today's, counted once (one created before today is
    /// in the figures already, or belongs to a day they do not show).
    fn created(&mut self, t: &Ticket) {
        if t.created_at < self.day_start || !self.created_today.insert(t.id) {
            return;
        }
        let Ok(z) = jiff::Timestamp::from_millisecond(t.created_at.0)
            .map(|ts| ts.to_zoned(self.zone.clone()))
        else {
            return;
        };
        let hour = usize::from(z.hour() as u8);
        let weekday = z.weekday().to_monday_zero_offset() as usize;
        self.by_hour_of_week[weekday][hour] += 1;
        self.today_by_hour[hour] += 1;
        if t.first_reply_at.is_none()
            && !matches!(t.status, TicketStatus::Resolved | TicketStatus::Closed)
        {
            self.awaiting.insert(t.id, t.created_at);
        }
    }

    /// Tickets created today.
    pub fn today(&self) -> u32 {
        self.today_by_hour.iter().sum()
    }

    /// Ratings this week: how many of each star (1 first), and the mean.
    pub fn csat(&self) -> ([u32; 5], Option<f64>) {
        let mut by = [0u32; 5];
        for r in self.ratings.values() {
            by[usize::from(*r - 1)] += 1;
        }
        let n: u32 = by.iter().sum();
        let sum: u32 = by.iter().enumerate().map(|(i, c)| (i as u32 + 1) * c).sum();
        (by, (n > 0).then(|| f64::from(sum) / f64::from(n)))
    }
}

/// The dashboard as the workstation holds it.
#[derive(Debug, Clone)]
pub enum Live {
    /// Asked; events that arrive meanwhile wait here.
    Loading {
        buffered: Vec<EventEnvelope>,
    },
    Ready(Box<Dashboard>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp(s.parse::<jiff::Timestamp>().unwrap().as_millisecond())
    }

    fn figures() -> DeskFigures {
        DeskFigures {
            as_of: Seq(10),
            at: ts("2026-11-27T10:00:00Z"),
            zone: "Europe/Kyiv".into(),
            day_start: ts("2026-11-26T22:00:00Z"),
            week_start: ts("2026-11-22T22:00:00Z"),
            heat_from: ts("2026-10-30T22:00:00Z"),
            today_by_hour: [0; 24],
            created_today: vec![],
            by_hour_of_week: [[0; 24]; 7],
            first_responses: vec![
                FirstResponse {
                    queue: QueueId("L1".into()),
                    ms: 60_000,
                },
                FirstResponse {
                    queue: QueueId("L1".into()),
                    ms: 600_000,
                },
            ],
            awaiting_first: vec![AwaitingFirst {
                ticket_id: TicketId(7),
                since: ts("2026-11-27T09:00:00Z"),
            }],
            breaches_today: 1,
            ratings_week: vec![Rating {
                ticket_id: TicketId(3),
                stars: 4,
            }],
        }
    }

    fn ticket(id: i64, created: &str) -> Ticket {
        let mut t = shared::fixtures::ticket(id);
        t.created_at = ts(created);
        t.first_reply_at = None;
        t.resolved_at = None;
        t.queue = QueueId("L1".into());
        t
    }

    fn at(seq: u64, when: &str, event: Event) -> EventEnvelope {
        EventEnvelope {
            seq: Seq(seq),
            at: ts(when),
            event,
        }
    }

    #[test]
    fn samples_give_the_reports_nearest_rank_percentiles() {
        let mut s = Samples::default();
        for ms in [50, 10, 40, 20, 30] {
            s.add(ms);
        }
        assert_eq!(s.percentile(50), Some(30));
        assert_eq!(s.percentile(90), Some(50));
        assert_eq!(s.within(25), 2);
        assert_eq!(Samples::default().percentile(50), None);
    }

    #[test]
    fn events_after_the_figures_count_once_in_the_desks_zone() {
        let mut d = Dashboard::new(figures());
        assert_eq!(d.first_all.len(), 2);
        // 23:30 UTC is 01:30 in Kyiv, on Friday.
        let created = at(
            11,
            "2026-11-27T08:00:00Z",
            Event::TicketCreated {
                ticket: ticket(8, "2026-11-26T23:30:00Z"),
            },
        );
        d.apply(&created);
        d.apply(&created);
        assert_eq!(d.today_by_hour[1], 1, "counted once, at 01:00 local");
        assert_eq!(d.by_hour_of_week[4][1], 1, "Friday 01:00");
        assert_eq!(
            d.awaiting.get(&TicketId(8)),
            Some(&ts("2026-11-26T23:30:00Z"))
        );
        // The first reply 5 minutes later is a sample of its queue.
        let mut replied = ticket(8, "2026-11-26T23:30:00Z");
        replied.first_reply_at = Some(ts("2026-11-26T23:35:00Z"));
        let thread = |seq| {
            at(
                seq,
                "2026-11-26T23:35:00Z",
                Event::TicketUpdated {
                    ticket: replied.clone(),
                    by: None,
                    change: TicketChange::Thread {
                        message_id: MessageId(1),
                    },
                },
            )
        };
        d.apply(&thread(12));
        d.apply(&thread(13));
        assert_eq!(d.first_all.len(), 3, "a second reply is not a first one");
        assert_eq!(d.first[&QueueId("L1".into())].percentile(50), Some(300_000));
        // A breach today, and one before the figures (already counted).
        let breach = |seq| {
            at(
                seq,
                "2026-11-27T09:00:00Z",
                Event::SlaAlert {
                    alert: SlaAlert {
                        ticket_id: TicketId(7),
                        number: 7,
                        queue: QueueId("L1".into()),
                        target: SlaTarget::FirstReply,
                        level: SlaLevel::Breach,
                        due: ts("2026-11-27T09:00:00Z"),
                        lead_ms: None,
                        assignee: None,
                        actions: vec![],
                    },
                },
            )
        };
        d.apply(&breach(9));
        d.apply(&breach(14));
        assert_eq!(d.breaches_today, 2);
        // A rating this week; the same ticket rated again replaces it.
        let mut rated = ticket(3, "2026-11-25T10:00:00Z");
        rated.resolved_at = Some(ts("2026-11-25T12:00:00Z"));
        for (seq, rating) in [(15, 2), (16, 5)] {
            d.apply(&at(
                seq,
                "2026-11-27T09:30:00Z",
                Event::TicketUpdated {
                    ticket: rated.clone(),
                    by: None,
                    change: TicketChange::Csat { rating },
                },
            ));
        }
        let (by, mean) = d.csat();
        assert_eq!(by, [0, 0, 0, 0, 1]);
        assert_eq!(mean, Some(5.0));
    }

    #[test]
    fn the_day_ends_at_the_next_local_midnight() {
        let d = Dashboard::new(figures());
        assert_eq!(d.day_end(), ts("2026-11-27T22:00:00Z"));
    }
}
