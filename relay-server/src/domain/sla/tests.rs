//! SLA clocks over a simulated week: three calendars in three time zones
//! (Kyiv with a lunch break, New York with Thanksgiving off, Tokyo open on
//! Saturdays), a clock the test drives minute by minute, and every
//! deadline, warning and breach checked against values worked out by hand
//! (the arithmetic is in the comments).

use std::collections::BTreeMap;
use std::sync::Arc;

use shared::*;

use super::*;
use crate::domain::desk::Desk;
use crate::domain::intake::{self, Inbound, Sender};
use crate::domain::testkit::Desk0;
use crate::domain::{commands, timers};
use crate::settings::{HoursSettings, QueueSettings, Settings};
use crate::store::{Clock as _, ManualClock, Store};

fn at(s: &str) -> Timestamp {
    Timestamp(s.parse::<jiff::Timestamp>().unwrap().as_millisecond())
}

fn cal(tz: &str, open: &[&str], holidays: &[&str]) -> HoursSettings {
    HoursSettings {
        time_zone: tz.into(),
        open: open.iter().map(|s| s.to_string()).collect(),
        holidays: holidays.iter().map(|s| s.to_string()).collect(),
    }
}

const STAFF: i64 = -1_000_000_000_042;

fn settings() -> Settings {
    let mut s = Settings::defaults();
    s.calendars = BTreeMap::from([
        (
            "kyiv".to_owned(),
            cal(
                "Europe/Kyiv",
                &["mon-fri 09:00-13:00", "mon-fri 14:00-18:00"],
                &[],
            ),
        ),
        (
            "new_york".to_owned(),
            cal(
                "America/New_York",
                &["mon-fri 09:00-17:00"],
                &["2026-11-26"],
            ),
        ),
        (
            "tokyo".to_owned(),
            cal("Asia/Tokyo", &["mon-sat 10:00-19:00"], &[]),
        ),
    ]);
    let q = |id: &str, cal: &str, first: &str, next: &str, update: &str, res: &str| QueueSettings {
        id: id.into(),
        name: id.into(),
        first_reply: first.into(),
        next_reply: next.into(),
        update_every: update.into(),
        resolution: res.into(),
        calendar: cal.into(),
        ..Default::default()
    };
    let mut vip = q("VIP", "tokyo", "5m", "15m", "", "4h");
    vip.on_breach = vec!["staff_chat".into(), "raise_priority".into()];
    vip.announce = true;
    s.queues = vec![
        q("L1", "kyiv", "15m", "30m", "", "4h"),
        q("L2", "new_york", "30m", "1h", "2h", "24h"),
        vip,
    ];
    s.sla.warn_before = vec!["5m".into(), "1m".into()];
    s.staff.chat_id = STAFF;
    s.automations.clear();
    s.bot.stop_words.clear();
    s
}

/// A desk on a store whose clock the test moves.
struct Sim {
    /// The desk the simulation runs on (it keeps the database alive).
    _desk: Desk0,
    store: Store,
    desk: Arc<Desk>,
    clock: Arc<ManualClock>,
    token_hash: String,
    n: u32,
}

impl Sim {
    async fn new(start: Timestamp) -> Sim {
        let d = Desk0::new(settings(), start).await;
        Sim {
            store: d.store.clone(),
            desk: d.desk.clone(),
            clock: d.clock.clone(),
            token_hash: d.lead.clone(),
            _desk: d,
            n: 0,
        }
    }

    async fn customer_writes(&self, chat: i64, queue: &str, text: &str) -> TicketId {
        let sender = Sender {
            telegram_user_id: chat,
            first_name: format!("C{chat}"),
            last_name: None,
            username: None,
            language: Some("en".into()),
        };
        let msg = Inbound {
            queue: Some(QueueId::new(queue)),
            ..Inbound::plain(sender, text)
        };
        let d = self.desk.clone();
        self.store
            .write(move |ctx| intake::customer_message(ctx, &d, &msg))
            .await
            .unwrap()
            .ticket
    }

    async fn command(&mut self, cmd: Command) {
        self.n += 1;
        let (d, h, id) = (
            self.desk.clone(),
            self.token_hash.clone(),
            CommandId::new(format!("c{}", self.n)),
        );
        self.store
            .write(move |ctx| commands::apply(ctx, &d, &h, &id, &cmd))
            .await
            .unwrap();
    }

    async fn ticket(&self, id: TicketId) -> Ticket {
        self.store
            .readers()
            .read(move |c| Ok(crate::store::rows::load_ticket(c, id)?.unwrap()))
            .await
            .unwrap()
    }

    async fn tick(&self) {
        let d = self.desk.clone();
        self.store
            .write(move |ctx| timers::tick(ctx, &d))
            .await
            .unwrap();
    }

    /// Every SLA alert raised: (when, ticket number, target, level, lead).
    async fn alerts(&self) -> Vec<(Timestamp, u64, SlaTarget, SlaLevel, Option<i64>, Timestamp)> {
        self.store
            .readers()
            .read(|c| {
                let bodies = crate::store::events::all(c)?;
                Ok(bodies
                    .iter()
                    .filter_map(|b| {
                        let e: EventEnvelope = serde_json::from_str(b).ok()?;
                        match e.event {
                            Event::SlaAlert { alert: a } => {
                                Some((e.at, a.number, a.target, a.level, a.lead_ms, a.due))
                            }
                            _ => None,
                        }
                    })
                    .collect())
            })
            .await
            .unwrap()
    }

    /// When the timer looks at a ticket next, as stored.
    async fn alert_at(&self, id: TicketId) -> Option<Timestamp> {
        self.store
            .readers()
            .read(move |c| crate::store::sla::alert_at(c, id))
            .await
            .unwrap()
    }

    async fn last_event(&self) -> Event {
        self.store
            .readers()
            .read(|c| {
                let body = crate::store::events::last(c)?.expect("an event");
                Ok(serde_json::from_str::<EventEnvelope>(&body)?.event)
            })
            .await
            .unwrap()
    }

    /// A start with `desk`'s config.
    async fn restart_with(&self, desk: &Arc<Desk>) -> Option<usize> {
        recompute_if_changed(&self.store, desk.clone())
            .await
            .unwrap()
    }

    async fn staff_posts(&self) -> Vec<String> {
        self.store
            .readers()
            .read(|c| crate::store::outbox::texts_for(c, STAFF))
            .await
            .unwrap()
    }
}

const MIN: i64 = 60_000;

/// A ticket's streamed state of one clock.
fn target(t: &Ticket, target: SlaTarget) -> &SlaTargetState {
    t.sla.targets.iter().find(|s| s.target == target).unwrap()
}

/// The config with the Kyiv office opening at 10:00 instead of 09:00.
fn kyiv_opens_later() -> Arc<Desk> {
    let mut s = settings();
    s.calendars.insert(
        "kyiv".into(),
        cal(
            "Europe/Kyiv",
            &["mon-fri 10:00-13:00", "mon-fri 14:00-18:00"],
            &[],
        ),
    );
    Arc::new(Desk::from_settings(&s).unwrap())
}

#[tokio::test]
async fn a_calendar_change_at_restart_moves_deadlines_by_hand_and_streams_them_once() {
    let mut sim = Sim::new(at("2026-11-23T07:00:00Z")).await; // Monday, 09:00 in Kyiv
    let desk = sim.desk.clone();
    // The first start records the config; the next with it skips.
    assert_eq!(sim.restart_with(&desk).await, Some(0));
    assert_eq!(sim.restart_with(&desk).await, None);
    // L1 (Kyiv, UTC+2) at 09:00 local: first reply 15 min -> 09:15 local;
    // resolution 4 h -> 13:00 local. Warned 5 min before the first.
    let a = sim.customer_writes(100, "L1", "Refund please").await;
    let t = sim.ticket(a).await;
    assert_eq!(t.sla.first_reply_due, Some(at("2026-11-23T07:15:00Z")));
    assert_eq!(t.sla.resolution_due, Some(at("2026-11-23T11:00:00Z")));
    assert_eq!(sim.alert_at(a).await, Some(at("2026-11-23T07:10:00Z")));
    // VIP runs on the Tokyo calendar: the change leaves it alone.
    let v = sim.customer_writes(200, "VIP", "Hello").await;
    let vip = sim.ticket(v).await;

    // 07:05Z: a restart where Kyiv opens at 10:00. The clocks have run
    // since 09:00 local but no business time has passed: first reply
    // 10:15 local = 08:15Z; resolution 3 h to the 13:00 lunch and 1 h
    // after: 15:00 local = 13:00Z; the warning at 08:10Z.
    sim.clock.advance_ms(5 * MIN);
    let later = kyiv_opens_later();
    assert_eq!(sim.restart_with(&later).await, Some(1));
    let t = sim.ticket(a).await;
    assert_eq!(t.sla.first_reply_due, Some(at("2026-11-23T08:15:00Z")));
    assert_eq!(t.sla.resolution_due, Some(at("2026-11-23T13:00:00Z")));
    assert_eq!(sim.alert_at(a).await, Some(at("2026-11-23T08:10:00Z")));
    assert_eq!(sim.ticket(v).await, vip);
    match sim.last_event().await {
        Event::SlaRecomputed { tickets } => assert_eq!(
            tickets,
            vec![TicketSla {
                ticket_id: a,
                sla: t.sla.clone()
            }]
        ),
        e => panic!("expected sla_recomputed, got {e:?}"),
    }
    assert_eq!(sim.restart_with(&later).await, None);

    // The timer follows: nothing for A at the old 07:10Z, the warning at
    // the new 08:10Z.
    sim.desk = later;
    let mine = |alerts: Vec<(Timestamp, u64, SlaTarget, SlaLevel, Option<i64>, Timestamp)>| {
        alerts
            .into_iter()
            .filter(|a| a.1 == t.number)
            .collect::<Vec<_>>()
    };
    sim.clock.set(at("2026-11-23T07:11:00Z"));
    sim.tick().await;
    assert_eq!(mine(sim.alerts().await), vec![]);
    sim.clock.set(at("2026-11-23T08:10:00Z"));
    sim.tick().await;
    assert_eq!(
        mine(sim.alerts().await),
        vec![(
            at("2026-11-23T08:10:00Z"),
            t.number,
            SlaTarget::FirstReply,
            SlaLevel::Warning,
            Some(5 * MIN),
            at("2026-11-23T08:15:00Z")
        )]
    );
}

#[tokio::test]
async fn a_ticket_changed_after_its_slice_was_planned_is_recomputed_by_the_writer() {
    let mut sim = Sim::new(at("2026-11-23T07:00:00Z")).await;
    let a = sim.customer_writes(100, "L1", "Refund please").await;
    let later = kyiv_opens_later();
    let (d, now) = (later.clone(), sim.clock.now());
    let plan = sim
        .store
        .readers()
        .read(move |c| recompute::plan(c, &d.queues, 0, now))
        .await
        .unwrap();
    // Before the plan is applied, the first reply goes out.
    sim.clock.advance_ms(2 * MIN);
    sim.command(Command::Reply {
        ticket_id: a,
        text: "On it".into(),
    })
    .await;
    let d = later.clone();
    let moved = sim
        .store
        .write(move |ctx| recompute::apply(ctx, &d.queues, plan))
        .await
        .unwrap();
    assert_eq!(moved, 1);
    // The plan's first-reply due (08:15Z) is not written back over the
    // reply; the resolution follows the new calendar (13:00Z).
    let t = sim.ticket(a).await;
    assert_eq!(t.sla.first_reply_due, None);
    assert_eq!(t.sla.resolution_due, Some(at("2026-11-23T13:00:00Z")));
    let first = target(&t, SlaTarget::FirstReply);
    assert_eq!(
        (first.status, first.at),
        (SlaStatus::Met, Some(at("2026-11-23T07:02:00Z")))
    );
    assert_eq!(sim.alert_at(a).await, Some(at("2026-11-23T12:55:00Z")));
}

#[tokio::test]
async fn a_week_across_lunch_breaks_a_holiday_a_weekend_and_three_zones() {
    let start = at("2026-11-23T00:00:00Z"); // Monday
    let mut sim = Sim::new(start).await;
    let mut tickets: Vec<TicketId> = Vec::new();
    let end = at("2026-12-03T00:00:00Z");
    while sim.clock.now() < end {
        let now = sim.clock.now();
        // The week's traffic, at whole minutes.
        if now == at("2026-11-23T10:50:00Z") {
            // A: L1 (Kyiv, UTC+2): 12:50 local. First reply 15 min of
            // business time: 10 min to the 13:00 lunch, 5 after 14:00:
            // 14:05 local = 12:05Z. Resolution 4 h: 10 min before lunch,
            // 3 h 50 after: 17:50 local = 15:50Z.
            let a = sim
                .customer_writes(100, "L1", "My card was charged twice")
                .await;
            let t = sim.ticket(a).await;
            assert_eq!(t.sla.first_reply_due, Some(at("2026-11-23T12:05:00Z")));
            assert_eq!(t.sla.resolution_due, Some(at("2026-11-23T15:50:00Z")));
            tickets.push(a);
        }
        if now == at("2026-11-23T12:10:00Z") {
            // The first reply comes 5 min late: missed at 12:05Z.
            sim.command(Command::Reply {
                ticket_id: tickets[0],
                text: "Looking into it".into(),
            })
            .await;
            let t = sim.ticket(tickets[0]).await;
            let first = target(&t, SlaTarget::FirstReply);
            assert_eq!(
                (first.status, first.at),
                (SlaStatus::Missed, Some(at("2026-11-23T12:05:00Z")))
            );
            assert_eq!(t.sla.first_reply_due, None);
        }
        if now == at("2026-11-23T15:40:00Z") {
            // 17:40 Kyiv: next reply 30 min: 20 min today, 10 tomorrow
            // from 09:00: Tue 09:10 local = 07:10Z.
            sim.customer_writes(100, "L1", "Any news?").await;
            let t = sim.ticket(tickets[0]).await;
            assert_eq!(t.sla.next_reply_due, Some(at("2026-11-24T07:10:00Z")));
        }
        if now == at("2026-11-24T07:00:00Z") {
            sim.command(Command::Reply {
                ticket_id: tickets[0],
                text: "Refunded".into(),
            })
            .await;
            sim.command(Command::SetStatus {
                ticket_id: tickets[0],
                status: TicketStatus::Resolved,
            })
            .await;
            let t = sim.ticket(tickets[0]).await;
            let states: Vec<(SlaTarget, SlaStatus)> =
                t.sla.targets.iter().map(|s| (s.target, s.status)).collect();
            assert_eq!(
                states,
                [
                    (SlaTarget::FirstReply, SlaStatus::Missed),
                    (SlaTarget::NextReply, SlaStatus::Met),
                    (SlaTarget::Resolution, SlaStatus::Missed),
                ]
            );
        }
        if now == at("2026-11-25T21:50:00Z") {
            // B: L2 (New York, UTC-5): Wed 16:50 local. First reply 30
            // min: 10 today, Thursday is Thanksgiving, 20 on Friday:
            // Fri 09:20 local = 14:20Z. Resolution 24 h of 8 h days: 10
            // min Wed, 8 h Fri, 8 h Mon, 7 h 50 Tue: Tue 16:50 = 21:50Z.
            let b = sim
                .customer_writes(200, "L2", "Export fails with error 500")
                .await;
            let t = sim.ticket(b).await;
            assert_eq!(t.sla.first_reply_due, Some(at("2026-11-27T14:20:00Z")));
            assert_eq!(t.sla.resolution_due, Some(at("2026-12-01T21:50:00Z")));
            tickets.push(b);
        }
        if now == at("2026-11-27T14:10:00Z") {
            // Fri 09:10 NY: met. The update clock (2 h) starts: 11:10
            // local = 16:10Z.
            sim.command(Command::Reply {
                ticket_id: tickets[1],
                text: "Reproduced, fixing".into(),
            })
            .await;
            let t = sim.ticket(tickets[1]).await;
            assert_eq!(t.sla.update_due, Some(at("2026-11-27T16:10:00Z")));
            let first = target(&t, SlaTarget::FirstReply);
            assert_eq!((first.status, first.at), (SlaStatus::Met, Some(now)));
        }
        if now == at("2026-11-27T15:10:00Z") {
            // Fri 10:10 NY: waiting on the customer. Resolution used 10
            // min Wed + 70 min Fri = 1 h 20; 22 h 40 left, paused.
            sim.command(Command::SetStatus {
                ticket_id: tickets[1],
                status: TicketStatus::PendingOnCustomer,
            })
            .await;
            let t = sim.ticket(tickets[1]).await;
            assert_eq!(t.sla.resolution_due, None);
            assert_eq!(t.sla.update_due, None);
            let res = target(&t, SlaTarget::Resolution);
            assert_eq!(
                (res.status, res.remaining_ms),
                (SlaStatus::Paused, Some((22 * 60 + 40) * MIN))
            );
        }
        if now == at("2026-11-28T09:58:00Z") {
            // C: VIP (Tokyo, UTC+9): Sat 18:58 local. First reply 5 min:
            // 2 today, Sunday closed, 3 on Monday from 10:00: Mon 10:03
            // local = 01:03Z. The 5-min warning is not shorter than the
            // budget, so only the 1-min one is set (01:02Z).
            let c = sim
                .customer_writes(300, "VIP", "Cannot log in before my flight")
                .await;
            let t = sim.ticket(c).await;
            assert_eq!(t.sla.first_reply_due, Some(at("2026-11-30T01:03:00Z")));
            tickets.push(c);
        }
        if now == at("2026-11-30T15:00:00Z") {
            // Mon 10:00 NY: the customer answers; resolution resumes with
            // 22 h 40: 7 h Mon, 8 h Tue, 7 h 40 Wed: Wed 16:40 = 21:40Z,
            // exactly the old due (Tue 21:50Z) plus the 7 h 50 of business
            // time it was paused (Fri 10:10-17:00, Mon 09:00-10:00).
            // Next reply 1 h: 11:00 NY = 16:00Z.
            sim.customer_writes(200, "L2", "Here is the log").await;
            let t = sim.ticket(tickets[1]).await;
            assert_eq!(t.sla.resolution_due, Some(at("2026-12-02T21:40:00Z")));
            assert_eq!(t.sla.next_reply_due, Some(at("2026-11-30T16:00:00Z")));
            assert_eq!(t.status, TicketStatus::Open);
        }
        if now == at("2026-11-30T15:30:00Z") {
            sim.command(Command::Reply {
                ticket_id: tickets[1],
                text: "Fixed in 2.4.1".into(),
            })
            .await;
            sim.command(Command::SetStatus {
                ticket_id: tickets[1],
                status: TicketStatus::Resolved,
            })
            .await;
        }
        sim.tick().await;
        sim.clock.advance_ms(MIN);
    }
    let (a, b, c) = (
        sim.ticket(tickets[0]).await,
        sim.ticket(tickets[1]).await,
        sim.ticket(tickets[2]).await,
    );
    let m = |s: &str| at(s);
    use SlaLevel::*;
    use SlaTarget::*;
    assert_eq!(
        sim.alerts().await,
        vec![
            // A's first reply: warnings 5 and 1 min before, then the breach.
            (
                m("2026-11-23T12:00:00Z"),
                a.number,
                FirstReply,
                Warning,
                Some(5 * MIN),
                m("2026-11-23T12:05:00Z")
            ),
            (
                m("2026-11-23T12:04:00Z"),
                a.number,
                FirstReply,
                Warning,
                Some(MIN),
                m("2026-11-23T12:05:00Z")
            ),
            (
                m("2026-11-23T12:05:00Z"),
                a.number,
                FirstReply,
                Breach,
                None,
                m("2026-11-23T12:05:00Z")
            ),
            // A's resolution (15:50Z); its next reply was met in time.
            (
                m("2026-11-23T15:45:00Z"),
                a.number,
                Resolution,
                Warning,
                Some(5 * MIN),
                m("2026-11-23T15:50:00Z")
            ),
            (
                m("2026-11-23T15:49:00Z"),
                a.number,
                Resolution,
                Warning,
                Some(MIN),
                m("2026-11-23T15:50:00Z")
            ),
            (
                m("2026-11-23T15:50:00Z"),
                a.number,
                Resolution,
                Breach,
                None,
                m("2026-11-23T15:50:00Z")
            ),
            // B's first reply came at 14:10Z, before the 14:15Z warning.
            // C's first reply: one warning (1 min), then the breach.
            (
                m("2026-11-30T01:02:00Z"),
                c.number,
                FirstReply,
                Warning,
                Some(MIN),
                m("2026-11-30T01:03:00Z")
            ),
            (
                m("2026-11-30T01:03:00Z"),
                c.number,
                FirstReply,
                Breach,
                None,
                m("2026-11-30T01:03:00Z")
            ),
            // C's resolution, 4 h: 2 min on Saturday, Mon 10:00 + 3 h 58
            // = 13:58 Tokyo = 04:58Z.
            (
                m("2026-11-30T04:53:00Z"),
                c.number,
                Resolution,
                Warning,
                Some(5 * MIN),
                m("2026-11-30T04:58:00Z")
            ),
            (
                m("2026-11-30T04:57:00Z"),
                c.number,
                Resolution,
                Warning,
                Some(MIN),
                m("2026-11-30T04:58:00Z")
            ),
            (
                m("2026-11-30T04:58:00Z"),
                c.number,
                Resolution,
                Breach,
                None,
                m("2026-11-30T04:58:00Z")
            ),
        ]
    );
    assert_eq!(b.status, TicketStatus::Resolved);
    // Each VIP breach raised the priority a step and went to the staff
    // chat, after the announcement of the new VIP ticket.
    assert_eq!(c.priority, Priority::Critical);
    let posts = sim.staff_posts().await;
    assert_eq!(posts.len(), 3, "{posts:?}");
    assert!(
        posts[0].starts_with(&format!(
            "🆕 New VIP ticket #{} from C300, normal, first reply due in 1d 15h",
            c.number
        )),
        "{posts:?}"
    );
    assert!(
        posts[1].starts_with(&format!(
            "🔴 SLA breach: #{} (VIP) first reply was due 2026-11-30 01:03 UTC",
            c.number
        )),
        "{posts:?}"
    );
    assert!(
        posts[2].starts_with(&format!(
            "🔴 SLA breach: #{} (VIP) resolution was due 2026-11-30 04:58 UTC",
            c.number
        )),
        "{posts:?}"
    );
}

#[test]
fn a_clock_paused_and_resumed_keeps_its_budget() {
    let c = Calendar::parse("Europe/Kyiv", &["mon-fri 09:00-18:00".into()], &[]).unwrap();
    let start = at("2026-11-23T07:00:00Z"); // Mon 09:00 Kyiv
    let budget = std::time::Duration::from_secs(4 * 3600);
    let mut clock = Clock::step(
        None,
        SlaTarget::Resolution,
        Want::Run(start),
        Some(budget),
        &c,
        start,
    )
    .unwrap();
    assert_eq!(clock.due, Some(at("2026-11-23T11:00:00Z")));
    // Paused at 10:00 local for a night: resumes Tue 12:00 local with 3 h left.
    clock = Clock::step(
        Some(clock),
        SlaTarget::Resolution,
        Want::Pause(start),
        Some(budget),
        &c,
        at("2026-11-23T08:00:00Z"),
    )
    .unwrap();
    assert_eq!(clock.state().remaining_ms, Some(3 * 60 * MIN));
    clock = Clock::step(
        Some(clock),
        SlaTarget::Resolution,
        Want::Run(start),
        Some(budget),
        &c,
        at("2026-11-24T10:00:00Z"),
    )
    .unwrap();
    assert_eq!(clock.due, Some(at("2026-11-24T13:00:00Z")));
    assert_eq!(clock.status(), SlaStatus::Active);
}
