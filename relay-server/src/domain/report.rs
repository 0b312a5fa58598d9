//! The desk's figures for leads (docs/metrics.md): first and next
//! response, resolution, first-contact resolution, reopens, repeats,
//! self-service, CSAT, SLA attainment, volume and reasons, in calendar and
//! business time, for the desk and per queue, agent, topic, organisation
//! or language. Computed from what the store reads (`store::report`),
//! exactly, every time: no counter kept along the way.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use jiff::tz::TimeZone;
use serde::Serialize;
use shared::Timestamp;

use super::DomainError;
use super::desk::Desk;
use super::experiments::Kind;
use super::hours::{self, Calendar, OpenSpans};
use super::significance::{self, Verdict};
use crate::store::report::{Facts, StatusChange, TicketFacts, Who};
use crate::store::{Db, safety};

/// A quarter of an hour.
const QUARTER_MS: i64 = 15 * 60_000;

/// A repeat contact is a ticket within this long of the customer's
/// previous one on the same topic.
pub const REPEAT_WITHIN: Duration = Duration::from_secs(7 * 86_400);

/// How a report splits its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    Queue,
    Agent,
    Topic,
    Organisation,
    Language,
    /// Each experiment's variants (docs/experiments.md).
    Variant,
}

impl By {
    pub const ALL: [By; 6] = [
        By::Queue,
        By::Agent,
        By::Topic,
        By::Organisation,
        By::Language,
        By::Variant,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            By::Queue => "queue",
            By::Agent => "agent",
            By::Topic => "topic",
            By::Organisation => "organisation",
            By::Language => "language",
            By::Variant => "variant",
        }
    }

    pub fn parse(s: &str) -> Option<By> {
        By::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

/// What a report covers.
#[derive(Debug, Clone)]
pub struct Period {
    pub from: Timestamp,
    pub to: Timestamp,
    pub zone: TimeZone,
    pub by: Option<By>,
    /// Quiet time after a resolution or a knowledge-base answer that makes
    /// it first-contact resolution or self-service.
    pub window: Duration,
    /// Outcomes whose window has not passed by now are pending.
    pub now: Timestamp,
}

/// Nearest-rank statistics of durations (milliseconds).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub count: u64,
    pub p50_ms: Option<i64>,
    pub p90_ms: Option<i64>,
    pub mean_ms: Option<i64>,
}

impl Stats {
    pub fn of(mut v: Vec<i64>) -> Stats {
        if v.is_empty() {
            return Stats::default();
        }
        v.sort_unstable();
        let n = v.len();
        let rank = |p: usize| v[(p * n).div_ceil(100).max(1) - 1];
        Stats {
            count: n as u64,
            p50_ms: Some(rank(50)),
            p90_ms: Some(rank(90)),
            mean_ms: Some((v.iter().map(|x| i128::from(*x)).sum::<i128>() / n as i128) as i64),
        }
    }
}

/// A duration in calendar time and in business time on the queue's
/// calendar.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Durations {
    pub calendar: Stats,
    pub business: Stats,
}

/// `count` of `of`, with those not yet decidable apart.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rate {
    pub count: u64,
    pub of: u64,
    pub pending: u64,
    /// `count / of`; `None` when `of` is 0.
    pub rate: Option<f64>,
}

impl Rate {
    fn new(count: u64, of: u64, pending: u64) -> Rate {
        Rate {
            count,
            of,
            pending,
            rate: (of > 0).then(|| count as f64 / of as f64),
        }
    }
}

/// Customer satisfaction.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Csat {
    pub rated: u64,
    pub asked: u64,
    pub response_rate: Option<f64>,
    pub mean: Option<f64>,
    /// How many 1s, 2s, ... 5s.
    pub distribution: [u64; 5],
}

/// Net Promoter Score: the 0-10 question of the follow-up (`bot.nps`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Nps {
    pub asked: u64,
    pub answered: u64,
    /// 9-10, 7-8, 0-6.
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// Percent promoters minus percent detractors, -100 to 100.
    pub score: Option<f64>,
}

/// One SLA target's promises.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Sla {
    pub target: String,
    pub met: u64,
    pub breached: u64,
    pub pending: u64,
    pub attainment: Option<f64>,
}

/// The figures of a set of tickets.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub tickets: u64,
    pub first_response: Durations,
    /// Tickets whose customer has had no human reply.
    pub unanswered: u64,
    pub next_response: Durations,
    pub resolution: Durations,
    /// Tickets not resolved.
    pub unresolved: u64,
    pub first_contact_resolution: Rate,
    pub reopened: Rate,
    pub repeat_contacts: Rate,
    pub csat: Csat,
    pub nps: Nps,
    pub sla: Vec<Sla>,
}

/// The knowledge base's part (the desk as a whole).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SelfService {
    pub answers: u64,
    pub self_solved: u64,
    pub contacts: u64,
    pub pending: u64,
    pub rate: Option<f64>,
    /// Answers followed by a ticket within the window.
    pub transferred: Rate,
}

/// Tickets by time and by reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Volume {
    /// Tickets per local date.
    pub by_day: BTreeMap<String, u64>,
    /// Tickets per day of the week (Monday first) and hour.
    pub by_hour_of_week: [[u64; 24]; 7],
    pub by_queue: BTreeMap<String, u64>,
    /// Topics, most frequent first (`-`: none).
    pub topics: Vec<(String, u64)>,
    /// Tags, most frequent first.
    pub tags: Vec<(String, u64)>,
}

/// A group's share of spam in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupLine {
    pub group: String,
    /// What the client's side wrote (held ones included).
    pub messages: u64,
    /// Held and not approved by staff.
    pub spam: u64,
    pub spam_share: Option<f64>,
    /// Unanswered-chat alerts of conversations opened in the period.
    pub alerts: u64,
}

/// One row of a split report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub key: String,
    pub figures: Figures,
}

/// Everything `relay-server report` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub from: Timestamp,
    pub to: Timestamp,
    pub zone: String,
    pub window_ms: i64,
    pub by: Option<By>,
    pub desk: Figures,
    pub rows: Vec<Row>,
    pub self_service: SelfService,
    pub volume: Volume,
    pub groups: Vec<GroupLine>,
    /// With `--by variant`: each experiment's variants compared.
    pub experiments: Vec<Comparison>,
}

/// Reads and computes the report of `period`.
pub fn report(db: &impl Db, desk: &Desk, period: &Period) -> Result<Report, DomainError> {
    if period.to <= period.from {
        return Err(DomainError::invalid(
            "the period is empty: --to must be after --from",
        ));
    }
    let facts = crate::store::report::facts(
        db,
        period.from,
        period.to,
        period.from - REPEAT_WITHIN,
        period.to + period.window,
    )?;
    let counts = safety::counts_between(db, period.from, period.to)?;
    let mut groups: Vec<GroupLine> = counts
        .into_iter()
        .map(|c| {
            let spam = c.held.saturating_sub(c.approved);
            let messages = (c.filed + c.held).saturating_sub(c.approved);
            GroupLine {
                group: c.title,
                messages,
                spam,
                spam_share: (messages > 0).then(|| spam as f64 / messages as f64),
                alerts: 0,
            }
        })
        .collect();
    for (title, alerts) in &facts.group_alerts {
        match groups.iter_mut().find(|g| &g.group == title) {
            Some(g) => g.alerts = *alerts,
            None => groups.push(GroupLine {
                group: title.clone(),
                alerts: *alerts,
                ..GroupLine::default()
            }),
        }
    }
    Ok(compute(desk, period, &facts, groups))
}

/// When a ticket's first response was owed from (the customer's first
/// message) and when it came (the first engineer's public reply after
/// it); `None` while nobody has answered.
pub fn first_response(t: &TicketFacts) -> Option<(Timestamp, Timestamp)> {
    let mut owed = None;
    for said in &t.thread {
        match said.who {
            Who::Customer => {
                owed.get_or_insert(said.at);
            }
            Who::Agent(_) => {
                if let Some(since) = owed {
                    return Some((since, said.at));
                }
            }
        }
    }
    None
}

/// What one ticket contributes.
struct Seen {
    /// (calendar, business, replier) of the first response.
    first: Option<(i64, i64, i64)>,
    next: Vec<(i64, i64, i64)>,
    resolution: Option<(i64, i64)>,
    /// `Some(true)`: first-contact resolution; `None`: not resolved, or
    /// its window still runs.
    fcr: Option<bool>,
    fcr_pending: bool,
    resolved: bool,
    reopened: bool,
    repeat: bool,
}

/// The open spans of each queue's calendar over the report's stretch
/// (queues that are gone count as open around the clock).
struct Calendars<'a> {
    queues: HashMap<&'a str, OpenSpans<'a>>,
    always: OpenSpans<'a>,
}

impl<'a> Calendars<'a> {
    fn new(desk: &'a Desk, always: &'a Calendar, from: Timestamp, to: Timestamp) -> Self {
        Calendars {
            queues: desk
                .queues
                .configs()
                .iter()
                .map(|q| (q.wire.id.as_str(), OpenSpans::new(&q.calendar, from, to)))
                .collect(),
            always: OpenSpans::new(always, from, to),
        }
    }

    fn of(&self, queue: &str) -> &OpenSpans<'a> {
        self.queues.get(queue).unwrap_or(&self.always)
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn seen(
    period: &Period,
    t: &TicketFacts,
    others: &HashMap<i64, Vec<&crate::store::report::Contact>>,
    calendars: &Calendars<'_>,
) -> Seen {
    let cal = calendars.of(&t.queue);
    let span = |a: Timestamp, b: Timestamp| (b.0 - a.0, ms(cal.between(a, b)));
    let mut first = None;
    let mut next = Vec::new();
    let mut owed: Option<Timestamp> = None;
    let mut replies = 0;
    // The customer saying "not fixed" (a reopen not by an engineer) owes a
    // reply as a message does.
    let mut reopens = t
        .log
        .iter()
        .filter(|c| c.reopens() && c.agent.is_none())
        .map(|c| c.at)
        .peekable();
    for said in &t.thread {
        while let Some(at) = reopens.next_if(|at| *at <= said.at) {
            owed.get_or_insert(at);
        }
        match said.who {
            Who::Customer => {
                owed.get_or_insert(said.at);
            }
            Who::Agent(agent) => {
                replies += 1;
                if let Some(since) = owed.take() {
                    let (c, b) = span(since, said.at);
                    if first.is_none() && next.is_empty() {
                        first = Some((c, b, agent));
                    } else {
                        next.push((c, b, agent));
                    }
                }
            }
        }
    }
    // A ticket the engineer spoke in before the customer: the first reply
    // owed is still the first response.
    let start = t
        .thread
        .iter()
        .find(|s| s.who == Who::Customer)
        .map_or(t.created_at, |s| s.at);
    let resolved_at = t.resolved_at;
    let resolution = resolved_at.map(|r| span(start, r.max(start)));
    let reopened = t.log.iter().any(StatusChange::reopens);
    let theirs = others.get(&t.customer_id);
    let (fcr, fcr_pending) = match resolved_at {
        None => (None, false),
        Some(r) if r + period.window > period.now => (None, true),
        Some(r) => {
            let until = r + period.window;
            let wrote_again = t
                .thread
                .iter()
                .any(|s| s.who == Who::Customer && s.at > r && s.at <= until)
                || theirs.is_some_and(|l| {
                    l.iter()
                        .any(|c| c.id != t.id && c.created_at > r && c.created_at <= until)
                });
            (Some(replies <= 1 && !reopened && !wrote_again), false)
        }
    };
    let repeat = theirs.is_some_and(|l| {
        l.iter().any(|c| {
            c.topic == t.topic
                && (c.created_at < t.created_at || (c.created_at == t.created_at && c.id < t.id))
                && c.created_at >= t.created_at - REPEAT_WITHIN
        })
    });
    Seen {
        first,
        next,
        resolution,
        fcr,
        fcr_pending,
        resolved: resolved_at.is_some(),
        reopened,
        repeat,
    }
}

/// Samples gathered for one row.
#[derive(Default)]
struct Tally {
    tickets: u64,
    first: (Vec<i64>, Vec<i64>),
    unanswered: u64,
    next: (Vec<i64>, Vec<i64>),
    resolution: (Vec<i64>, Vec<i64>),
    unresolved: u64,
    fcr: (u64, u64, u64),
    reopened: (u64, u64),
    repeat: u64,
    csat: Vec<u8>,
    asked: u64,
    nps: Vec<u8>,
    nps_asked: u64,
    sla: BTreeMap<String, (u64, u64, u64)>,
    /// Knowledge-base answers (by variant): self-solved, decided.
    kb: (u64, u64),
}

impl Tally {
    /// The ticket's own figures (not its replies').
    fn ticket(&mut self, t: &TicketFacts, s: &Seen) {
        self.tickets += 1;
        if s.first.is_none() {
            self.unanswered += 1;
        }
        match s.resolution {
            Some((c, b)) => {
                self.resolution.0.push(c);
                self.resolution.1.push(b);
            }
            None => self.unresolved += 1,
        }
        match s.fcr {
            Some(yes) => {
                self.fcr.0 += u64::from(yes);
                self.fcr.1 += 1;
            }
            None if s.fcr_pending => self.fcr.2 += 1,
            None => {}
        }
        if s.resolved {
            self.reopened.1 += 1;
            self.reopened.0 += u64::from(s.reopened);
        }
        self.repeat += u64::from(s.repeat);
        if t.csat_asked || t.csat.is_some() {
            self.asked += 1;
            if let Some(r) = t.csat.filter(|r| (1..=5).contains(r)) {
                self.csat.push(r);
            }
        }
        if t.nps_asked {
            self.nps_asked += 1;
            if let Some(s) = t.nps.filter(|s| *s <= 10) {
                self.nps.push(s);
            }
        }
        for (target, met) in &t.clocks {
            if !self.sla.contains_key(target) {
                self.sla.insert(target.clone(), (0, 0, 0));
            }
            let e = self.sla.get_mut(target).expect("just inserted");
            match met {
                Some(true) => e.0 += 1,
                Some(false) => e.1 += 1,
                None => e.2 += 1,
            }
        }
    }

    /// Adds a later pass's samples after this one's.
    fn join(&mut self, later: Tally) {
        fn both(a: &mut (Vec<i64>, Vec<i64>), b: (Vec<i64>, Vec<i64>)) {
            a.0.extend(b.0);
            a.1.extend(b.1);
        }
        self.tickets += later.tickets;
        both(&mut self.first, later.first);
        self.unanswered += later.unanswered;
        both(&mut self.next, later.next);
        both(&mut self.resolution, later.resolution);
        self.unresolved += later.unresolved;
        self.fcr.0 += later.fcr.0;
        self.fcr.1 += later.fcr.1;
        self.fcr.2 += later.fcr.2;
        self.reopened.0 += later.reopened.0;
        self.reopened.1 += later.reopened.1;
        self.repeat += later.repeat;
        self.csat.extend(later.csat);
        self.asked += later.asked;
        self.nps.extend(later.nps);
        self.nps_asked += later.nps_asked;
        for (target, (met, breached, pending)) in later.sla {
            let e = self.sla.entry(target).or_default();
            e.0 += met;
            e.1 += breached;
            e.2 += pending;
        }
        self.kb.0 += later.kb.0;
        self.kb.1 += later.kb.1;
    }

    fn first(&mut self, (c, b, _): (i64, i64, i64)) {
        self.first.0.push(c);
        self.first.1.push(b);
    }

    fn next(&mut self, (c, b, _): (i64, i64, i64)) {
        self.next.0.push(c);
        self.next.1.push(b);
    }

    fn figures(self) -> Figures {
        let durations = |(c, b): (Vec<i64>, Vec<i64>)| Durations {
            calendar: Stats::of(c),
            business: Stats::of(b),
        };
        let mut distribution = [0; 5];
        for r in &self.csat {
            distribution[usize::from(*r) - 1] += 1;
        }
        let rated = self.csat.len() as u64;
        let answered = self.nps.len() as u64;
        let promoters = self.nps.iter().filter(|s| **s >= 9).count() as u64;
        let detractors = self.nps.iter().filter(|s| **s <= 6).count() as u64;
        let nps = Nps {
            asked: self.nps_asked,
            answered,
            promoters,
            passives: answered - promoters - detractors,
            detractors,
            score: (answered > 0)
                .then(|| (promoters as f64 - detractors as f64) * 100.0 / answered as f64),
        };
        Figures {
            tickets: self.tickets,
            first_response: durations(self.first),
            unanswered: self.unanswered,
            next_response: durations(self.next),
            resolution: durations(self.resolution),
            unresolved: self.unresolved,
            first_contact_resolution: Rate::new(self.fcr.0, self.fcr.1, self.fcr.2),
            reopened: Rate::new(self.reopened.0, self.reopened.1, 0),
            repeat_contacts: Rate::new(self.repeat, self.tickets, 0),
            csat: Csat {
                rated,
                asked: self.asked,
                response_rate: (self.asked > 0).then(|| rated as f64 / self.asked as f64),
                mean: (rated > 0)
                    .then(|| self.csat.iter().map(|r| f64::from(*r)).sum::<f64>() / rated as f64),
                distribution,
            },
            nps,
            sla: self
                .sla
                .into_iter()
                .map(|(target, (met, breached, pending))| Sla {
                    target,
                    met,
                    breached,
                    pending,
                    attainment: (met + breached > 0).then(|| met as f64 / (met + breached) as f64),
                })
                .collect(),
        }
    }
}

/// What one pass over some of the period's tickets gathers.
#[derive(Default)]
struct Pass {
    all: Tally,
    rows: BTreeMap<String, Tally>,
    /// Tickets per quarter hour of creation (placed in days and hours
    /// once, at the end).
    quarters: HashMap<i64, u64>,
    by_queue: HashMap<String, u64>,
    topics: HashMap<String, u64>,
    tags: HashMap<String, u64>,
}

/// One more `n` of `key`, the name allocated only the first time it is
/// met.
fn bump(map: &mut HashMap<String, u64>, key: &str, n: u64) {
    match map.get_mut(key) {
        Some(v) => *v += n,
        None => {
            map.insert(key.to_owned(), n);
        }
    }
}

impl Pass {
    fn add(&mut self, period: &Period, facts: &Facts, t: &TicketFacts, s: &Seen) {
        self.all.ticket(t, s);
        if let Some(f) = s.first {
            self.all.first(f);
        }
        for n in &s.next {
            self.all.next(*n);
        }
        if let Some(by) = period.by {
            let keys = keys_of(by, t, facts);
            for key in &keys {
                self.row(key).ticket(t, s);
            }
            // Responses belong to whoever wrote them.
            let rows_of = |agent: i64| match by {
                By::Agent => vec![
                    facts
                        .agents
                        .get(&agent)
                        .cloned()
                        .unwrap_or_else(|| format!("agent {agent}")),
                ],
                _ => keys.clone(),
            };
            if let Some(f) = s.first {
                for key in rows_of(f.2) {
                    self.row(&key).first(f);
                }
            }
            for n in &s.next {
                for key in rows_of(n.2) {
                    self.row(&key).next(*n);
                }
            }
        }
        *self
            .quarters
            .entry(t.created_at.0.div_euclid(QUARTER_MS))
            .or_default() += 1;
        bump(&mut self.by_queue, &t.queue, 1);
        bump(&mut self.topics, t.topic.as_deref().unwrap_or("-"), 1);
        for tag in &t.tags {
            bump(&mut self.tags, tag, 1);
        }
    }

    fn row(&mut self, key: &str) -> &mut Tally {
        if !self.rows.contains_key(key) {
            self.rows.insert(key.to_owned(), Tally::default());
        }
        self.rows.get_mut(key).expect("just inserted")
    }

    /// Adds a later pass's figures after this one's.
    fn join(&mut self, later: Pass) {
        self.all.join(later.all);
        for (key, tally) in later.rows {
            self.row(&key).join(tally);
        }
        for (q, n) in later.quarters {
            *self.quarters.entry(q).or_default() += n;
        }
        for (k, n) in later.by_queue {
            bump(&mut self.by_queue, &k, n);
        }
        for (k, n) in later.topics {
            bump(&mut self.topics, &k, n);
        }
        for (k, n) in later.tags {
            bump(&mut self.tags, &k, n);
        }
    }
}

/// The rows a ticket goes to: one, or with `By::Variant` one per
/// experiment its customer met while it was open ("-" for none).
fn keys_of(by: By, t: &TicketFacts, facts: &Facts) -> Vec<String> {
    if by != By::Variant {
        return vec![key_of(by, t, facts)];
    }
    let end = t.resolved_at.or(t.closed_at);
    let keys: Vec<String> = facts
        .assignments
        .get(&t.customer_id)
        .into_iter()
        .flatten()
        .filter(|(_, _, at)| end.is_none_or(|e| *at <= e))
        .map(|(e, v, _)| variant_key(e, v))
        .collect();
    if keys.is_empty() {
        vec!["-".into()]
    } else {
        keys
    }
}

/// The row of one variant of an experiment.
pub fn variant_key(experiment: &str, variant: &str) -> String {
    format!("{experiment}: {variant}")
}

/// The row a ticket's own figures go to.
fn key_of(by: By, t: &TicketFacts, facts: &Facts) -> String {
    let or_dash = |s: Option<&str>| s.filter(|s| !s.is_empty()).unwrap_or("-").to_owned();
    match by {
        By::Queue => t.queue.clone(),
        By::Agent => or_dash(
            t.assignee
                .and_then(|a| facts.agents.get(&a))
                .map(|s| s.as_str()),
        ),
        By::Topic => or_dash(t.topic.as_deref()),
        By::Organisation => or_dash(t.organisation.as_deref()),
        By::Language => or_dash(t.language.as_deref()),
        By::Variant => keys_of(by, t, facts).swap_remove(0),
    }
}

fn most_first(counts: HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// The report of `facts` (pure: what the tests check by hand).
pub fn compute(desk: &Desk, period: &Period, facts: &Facts, groups: Vec<GroupLine>) -> Report {
    let mut others: HashMap<i64, Vec<&crate::store::report::Contact>> = HashMap::new();
    for c in &facts.around {
        others.entry(c.customer_id).or_default().push(c);
    }
    let always = Calendar::always();
    // Every moment a ticket of the period can mention: from its creation
    // (a day's margin for zones) until now.
    let calendars = Calendars::new(
        desk,
        &always,
        period.from - Duration::from_secs(86_400),
        period.now.max(period.to) + Duration::from_secs(86_400),
    );
    // The tickets in two halves, one per core; the halves are joined in
    // order, so every list of samples is as one pass would make it.
    let half = facts.tickets.len().div_ceil(2).max(1);
    let passes: Vec<Pass> = std::thread::scope(|scope| {
        let running: Vec<_> = facts
            .tickets
            .chunks(half)
            .map(|chunk| {
                let (others, calendars) = (&others, &calendars);
                scope.spawn(move || {
                    let mut pass = Pass::default();
                    for t in chunk {
                        pass.add(period, facts, t, &seen(period, t, others, calendars));
                    }
                    pass
                })
            })
            .collect();
        running
            .into_iter()
            .map(|r| r.join().expect("a report pass panicked"))
            .collect()
    });
    let mut pass = Pass::default();
    for p in passes {
        pass.join(p);
    }
    let Pass {
        all,
        mut rows,
        quarters,
        by_queue,
        topics,
        tags,
    } = pass;
    let mut volume = Volume {
        by_queue: by_queue.into_iter().collect(),
        ..Volume::default()
    };
    // Every zone's offset is a whole number of quarter hours: a quarter
    // hour of UTC falls in one local hour, so each is placed once.
    for (quarter, n) in quarters {
        let (day, weekday, hour) =
            hours::day_and_hour(Timestamp(quarter * QUARTER_MS), &period.zone);
        *volume.by_day.entry(day).or_default() += n;
        volume.by_hour_of_week[weekday][hour] += n;
    }
    volume.topics = most_first(topics);
    volume.tags = most_first(tags);
    // The knowledge base: did a ticket follow each answer within the window?
    let mut kb = SelfService::default();
    let (mut decided, mut followed) = (0, 0);
    for a in &facts.kb {
        kb.answers += 1;
        let until = a.at + period.window;
        if until > period.now {
            kb.pending += 1;
            continue;
        }
        decided += 1;
        let ticket_after = others.get(&a.customer_id).is_some_and(|l| {
            l.iter()
                .any(|c| c.created_at >= a.at && c.created_at <= until)
        });
        let solved = !ticket_after && a.helped != Some(false);
        if ticket_after {
            followed += 1;
        } else {
            kb.contacts += 1;
        }
        kb.self_solved += u64::from(solved);
        // Each side of an experiment the customer had met by then.
        if period.by == Some(By::Variant) {
            for (e, v, at) in facts.assignments.get(&a.customer_id).into_iter().flatten() {
                if *at <= a.at {
                    let row = rows.entry(variant_key(e, v)).or_default();
                    row.kb.0 += u64::from(solved);
                    row.kb.1 += 1;
                }
            }
        }
    }
    kb.contacts += all.tickets;
    kb.rate = (kb.contacts > 0).then(|| kb.self_solved as f64 / kb.contacts as f64);
    kb.transferred = Rate::new(followed, decided, kb.pending);
    let experiments = match period.by {
        Some(By::Variant) => compare(desk, &rows),
        _ => Vec::new(),
    };
    Report {
        from: period.from,
        to: period.to,
        zone: period.zone.iana_name().unwrap_or("UTC").to_owned(),
        window_ms: ms(period.window),
        by: period.by,
        desk: all.figures(),
        rows: rows
            .into_iter()
            .map(|(key, t)| Row {
                key,
                figures: t.figures(),
            })
            .collect(),
        self_service: kb,
        volume,
        groups,
        experiments,
    }
}

/// One outcome of an experiment, variant A against B.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub what: &'static str,
    pub a: Option<f64>,
    pub a_n: u64,
    pub b: Option<f64>,
    pub b_n: u64,
    pub verdict: Verdict,
}

/// An experiment's variants compared on the outcomes the bot's wording
/// and timing can move.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub experiment: String,
    pub kind: &'static str,
    pub a: &'static str,
    pub b: &'static str,
    pub outcomes: Vec<Outcome>,
}

/// Each configured experiment's comparison, from its two rows.
fn compare(desk: &Desk, rows: &BTreeMap<String, Tally>) -> Vec<Comparison> {
    let empty = Tally::default();
    desk.experiments
        .iter()
        .map(|e| {
            let [a_name, b_name] = e.kind.variants();
            let a = rows.get(&variant_key(&e.name, a_name)).unwrap_or(&empty);
            let b = rows.get(&variant_key(&e.name, b_name)).unwrap_or(&empty);
            let rate = |what, (ah, an): (u64, u64), (bh, bn): (u64, u64)| Outcome {
                what,
                a: (an > 0).then(|| ah as f64 / an as f64),
                a_n: an,
                b: (bn > 0).then(|| bh as f64 / bn as f64),
                b_n: bn,
                verdict: significance::proportions(ah, an, bh, bn),
            };
            let stars = |t: &Tally| t.csat.iter().map(|r| f64::from(*r)).collect::<Vec<_>>();
            let (sa, sb) = (stars(a), stars(b));
            let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
            let mut outcomes = vec![
                Outcome {
                    what: "csat_mean",
                    a: mean(&sa),
                    a_n: sa.len() as u64,
                    b: mean(&sb),
                    b_n: sb.len() as u64,
                    verdict: significance::means(&sa, &sb),
                },
                rate(
                    "csat_response_rate",
                    (a.csat.len() as u64, a.asked),
                    (b.csat.len() as u64, b.asked),
                ),
                rate(
                    "first_contact_resolution",
                    (a.fcr.0, a.fcr.1),
                    (b.fcr.0, b.fcr.1),
                ),
                rate("reopened", a.reopened, b.reopened),
                rate(
                    "repeat_contacts",
                    (a.repeat, a.tickets),
                    (b.repeat, b.tickets),
                ),
            ];
            // What a knowledge-base test is for: answers that solved it
            // (no ticket within the window, not "it did not help").
            if e.kind == Kind::KbAnswer {
                outcomes.push(rate("self_service", a.kb, b.kb));
            }
            Comparison {
                experiment: e.name.clone(),
                kind: e.kind.as_str(),
                a: a_name,
                b: b_name,
                outcomes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::{at, settings};
    use crate::settings::HoursSettings;
    use crate::store::report::{Contact, KbAnswer, Said};
    use shared::TicketStatus;

    const MIN: i64 = 60_000;
    const HOUR: i64 = 60 * MIN;

    /// L1 open Monday to Friday 09:00-18:00 UTC; L2 24/7.
    fn desk() -> Desk {
        let mut s = settings();
        s.calendars.insert(
            "office".into(),
            HoursSettings {
                time_zone: "UTC".into(),
                open: vec!["mon-fri 09:00-18:00".into()],
                holidays: vec![],
            },
        );
        s.queues[0].calendar = "office".into();
        Desk::from_settings(&s).unwrap()
    }

    fn ticket(id: i64, customer: i64, created: &str) -> TicketFacts {
        TicketFacts {
            id,
            customer_id: customer,
            queue: "L1".into(),
            topic: Some("billing".into()),
            tags: vec![],
            assignee: Some(1),
            language: Some("uk".into()),
            organisation: None,
            csat_asked: false,
            nps_asked: false,
            nps: None,
            status: TicketStatus::Open,
            created_at: at(created),
            resolved_at: None,
            closed_at: None,
            csat: None,
            thread: vec![],
            log: vec![],
            clocks: vec![],
        }
    }

    fn said(at_: &str, who: Who) -> Said {
        Said { at: at(at_), who }
    }

    /// A status change by the customer or the desk (no engineer).
    fn change(at_: &str, from: TicketStatus, to: TicketStatus) -> StatusChange {
        StatusChange {
            at: at(at_),
            from,
            to,
            agent: None,
        }
    }

    /// Resolved, reopened by the customer, resolved again.
    fn resolved_reopened_resolved(first: &str, reopened: &str, again: &str) -> Vec<StatusChange> {
        vec![
            change(first, TicketStatus::Open, TicketStatus::Resolved),
            change(reopened, TicketStatus::Resolved, TicketStatus::Open),
            change(again, TicketStatus::Open, TicketStatus::Resolved),
        ]
    }

    fn period(by: Option<By>) -> Period {
        Period {
            from: at("2026-11-02T00:00:00Z"),
            to: at("2026-11-09T00:00:00Z"),
            zone: TimeZone::UTC,
            by,
            window: Duration::from_secs(7 * 86_400),
            now: at("2026-11-20T00:00:00Z"),
        }
    }

    /// Three tickets whose every figure is worked out by hand below.
    fn facts() -> Facts {
        // Friday 17:00: first reply Monday 09:30 (64h30m calendar, 1h30m
        // business: 17:00-18:00 Friday and 09:00-09:30 Monday); the
        // customer writes twice more, one reply 20 minutes after the
        // first of them; resolved Monday 12:00, rated 5, never heard from
        // again: first-contact resolution? No: two replies.
        let mut a = ticket(1, 10, "2026-11-06T17:00:00Z");
        a.thread = vec![
            said("2026-11-06T17:00:00Z", Who::Customer),
            said("2026-11-09T09:30:00Z", Who::Agent(1)),
            said("2026-11-09T10:00:00Z", Who::Customer),
            said("2026-11-09T10:05:00Z", Who::Customer),
            said("2026-11-09T10:20:00Z", Who::Agent(2)),
        ];
        a.resolved_at = Some(at("2026-11-09T12:00:00Z"));
        a.status = TicketStatus::Resolved;
        a.csat = Some(5);
        a.csat_asked = true;
        a.log = vec![change(
            "2026-11-09T12:00:00Z",
            TicketStatus::Open,
            TicketStatus::Resolved,
        )];
        a.clocks = vec![
            ("first_reply".into(), Some(false)),
            ("resolution".into(), Some(true)),
        ];
        // Monday 10:00, one reply at 10:10, resolved at 11:00, reopened
        // and resolved again at 15:00; rated 3.
        let mut b = ticket(2, 20, "2026-11-02T10:00:00Z");
        b.thread = vec![
            said("2026-11-02T10:00:00Z", Who::Customer),
            said("2026-11-02T10:10:00Z", Who::Agent(1)),
        ];
        b.resolved_at = Some(at("2026-11-02T15:00:00Z"));
        b.csat = Some(3);
        b.csat_asked = true;
        b.log = resolved_reopened_resolved(
            "2026-11-02T11:00:00Z",
            "2026-11-02T12:00:00Z",
            "2026-11-02T15:00:00Z",
        );
        b.clocks = vec![("first_reply".into(), Some(true))];
        // Tuesday 10:00 in L2 (24/7), same customer and topic as a ticket
        // of 3 days before the period: a repeat. One reply 5 minutes
        // later, resolved at 10:30: first-contact resolution. Not rated.
        let mut c = ticket(3, 30, "2026-11-03T10:00:00Z");
        c.queue = "L2".into();
        c.assignee = Some(2);
        c.thread = vec![
            said("2026-11-03T10:00:00Z", Who::Customer),
            said("2026-11-03T10:05:00Z", Who::Agent(2)),
        ];
        c.resolved_at = Some(at("2026-11-03T10:30:00Z"));
        c.csat_asked = true;
        c.clocks = vec![("first_reply".into(), None)];
        // Saturday: never answered.
        let d = ticket(4, 40, "2026-11-07T12:00:00Z");
        let around = vec![
            Contact {
                id: 0,
                customer_id: 30,
                topic: Some("billing".into()),
                created_at: at("2026-10-31T10:00:00Z"),
            },
            Contact {
                id: 3,
                customer_id: 30,
                topic: Some("billing".into()),
                created_at: at("2026-11-03T10:00:00Z"),
            },
            // The knowledge base's customer 50 writes a ticket a day after.
            Contact {
                id: 9,
                customer_id: 50,
                topic: None,
                created_at: at("2026-11-05T10:00:00Z"),
            },
        ];
        let kb = vec![
            KbAnswer {
                customer_id: 50,
                at: at("2026-11-04T10:00:00Z"),
                helped: None,
            },
            KbAnswer {
                customer_id: 60,
                at: at("2026-11-04T11:00:00Z"),
                helped: Some(true),
            },
            KbAnswer {
                customer_id: 70,
                at: at("2026-11-04T12:00:00Z"),
                helped: Some(false),
            },
            // Its window runs until after `now`.
            KbAnswer {
                customer_id: 80,
                at: at("2026-11-15T12:00:00Z"),
                helped: Some(true),
            },
        ];
        Facts {
            tickets: vec![b, c, a, d],
            around,
            kb,
            group_alerts: vec![],
            agents: HashMap::from([(1, "alice".into()), (2, "bob".into())]),
            assignments: HashMap::new(),
        }
    }

    #[test]
    fn every_figure_is_what_the_definitions_say() {
        let r = compute(&desk(), &period(None), &facts(), vec![]);
        let f = &r.desk;
        assert_eq!(f.tickets, 4);
        assert_eq!(f.unanswered, 1);
        // First responses: 64h30m (1h30m business), 10m, 5m.
        assert_eq!(f.first_response.calendar.count, 3);
        assert_eq!(f.first_response.calendar.p50_ms, Some(10 * MIN));
        assert_eq!(f.first_response.calendar.p90_ms, Some(64 * HOUR + 30 * MIN));
        assert_eq!(
            f.first_response.calendar.mean_ms,
            Some((64 * HOUR + 30 * MIN + 15 * MIN) / 3)
        );
        assert_eq!(f.first_response.business.p90_ms, Some(90 * MIN));
        // One next response: owed from 10:00 (not 10:05) to 10:20.
        assert_eq!(f.next_response.calendar.count, 1);
        assert_eq!(f.next_response.calendar.p50_ms, Some(20 * MIN));
        // Resolutions: 67h (Fri 17:00 to Mon 12:00; business 1h + 3h),
        // 5h, 30m.
        assert_eq!(f.resolution.calendar.count, 3);
        assert_eq!(f.resolution.calendar.p50_ms, Some(5 * HOUR));
        assert_eq!(f.resolution.calendar.p90_ms, Some(67 * HOUR));
        assert_eq!(f.resolution.business.p90_ms, Some(5 * HOUR));
        assert_eq!(f.unresolved, 1);
        // FCR: only c (a has two replies, b was reopened).
        assert_eq!(
            (
                f.first_contact_resolution.count,
                f.first_contact_resolution.of
            ),
            (1, 3)
        );
        assert_eq!((f.reopened.count, f.reopened.of), (1, 3));
        assert_eq!((f.repeat_contacts.count, f.repeat_contacts.of), (1, 4));
        // CSAT: 5 and 3 of three asked (d is not resolved).
        assert_eq!(f.csat.rated, 2);
        assert_eq!(f.csat.asked, 3);
        assert_eq!(f.csat.mean, Some(4.0));
        assert_eq!(f.csat.distribution, [0, 0, 1, 0, 1]);
        let sla: Vec<(&str, u64, u64, u64)> = f
            .sla
            .iter()
            .map(|s| (s.target.as_str(), s.met, s.breached, s.pending))
            .collect();
        assert_eq!(sla, [("first_reply", 1, 1, 1), ("resolution", 1, 0, 0)]);
        // Knowledge base: 50 wrote a ticket (transferred), 60 solved, 70
        // said no (a contact, not solved), 80 pending.
        let kb = &r.self_service;
        assert_eq!((kb.answers, kb.self_solved, kb.pending), (4, 1, 1));
        assert_eq!(kb.contacts, 4 + 2);
        assert_eq!((kb.transferred.count, kb.transferred.of), (1, 3));
        // Volume.
        let days: Vec<(&str, u64)> = r
            .volume
            .by_day
            .iter()
            .map(|(d, n)| (d.as_str(), *n))
            .collect();
        assert_eq!(
            days,
            [
                ("2026-11-02", 1),
                ("2026-11-03", 1),
                ("2026-11-06", 1),
                ("2026-11-07", 1)
            ]
        );
        assert_eq!(r.volume.by_hour_of_week[4][17], 1, "Friday 17:00");
        assert_eq!(r.volume.by_hour_of_week[5][12], 1, "Saturday 12:00");
        assert_eq!(r.volume.topics, [("billing".to_owned(), 4)]);
    }

    #[test]
    fn by_agent_puts_replies_with_their_writer_and_tickets_with_their_assignee() {
        let r = compute(&desk(), &period(Some(By::Agent)), &facts(), vec![]);
        let row = |k: &str| &r.rows.iter().find(|x| x.key == k).unwrap().figures;
        // alice is assigned a, b and d; bob c.
        assert_eq!(row("alice").tickets, 3);
        assert_eq!(row("bob").tickets, 1);
        // alice wrote a's and b's first replies; bob c's and a's next one.
        assert_eq!(row("alice").first_response.calendar.count, 2);
        assert_eq!(row("bob").first_response.calendar.count, 1);
        assert_eq!(row("bob").next_response.calendar.count, 1);
        assert_eq!(row("alice").next_response.calendar.count, 0);
    }

    /// The customer's "not fixed" owes a reply as a message does (the SLA's
    /// next-reply clock starts there too); an engineer reopening does not.
    #[test]
    fn a_reopen_by_the_customer_owes_a_reply() {
        let mut t = ticket(1, 10, "2026-11-02T10:00:00Z");
        t.queue = "L2".into();
        t.thread = vec![
            said("2026-11-02T10:00:00Z", Who::Customer),
            said("2026-11-02T10:10:00Z", Who::Agent(1)),
            said("2026-11-02T12:45:00Z", Who::Agent(1)),
        ];
        t.resolved_at = Some(at("2026-11-02T13:00:00Z"));
        t.log = resolved_reopened_resolved(
            "2026-11-02T11:00:00Z",
            "2026-11-02T12:00:00Z",
            "2026-11-02T13:00:00Z",
        );
        let facts = |t: TicketFacts| Facts {
            tickets: vec![t],
            ..Facts::default()
        };
        let r = compute(&desk(), &period(None), &facts(t.clone()), vec![]);
        let next = &r.desk.next_response.calendar;
        assert_eq!((next.count, next.p50_ms), (1, Some(45 * MIN)));
        assert_eq!(r.desk.reopened.count, 1);
        // The engineer reopened it: nobody was owed anything.
        t.log[1].agent = Some(1);
        let r = compute(&desk(), &period(None), &facts(t), vec![]);
        assert_eq!(r.desk.next_response.calendar.count, 0);
        assert_eq!(r.desk.reopened.count, 1);
    }

    /// A `kb_answer` test is compared on what it is for: the answers that
    /// solved it, per side, counted from the customer's assignment on.
    #[test]
    fn a_kb_answer_test_compares_self_service_by_side() {
        let mut s = settings();
        s.experiments = vec![crate::settings::ExperimentSettings {
            name: "kb-list".into(),
            kind: "kb_answer".into(),
            share: 50,
            enabled: true,
        }];
        let desk = Desk::from_settings(&s).unwrap();
        let at_ = at("2026-11-03T10:00:00Z");
        let mut facts = Facts::default();
        // 35 customers on each side, one answer each: A solves 10 ("it
        // helped"), B 30; the rest said it did not help.
        for customer in 1..=70 {
            let (side, solved) = if customer <= 35 {
                ("card", customer <= 10)
            } else {
                ("list", customer <= 65)
            };
            facts
                .assignments
                .insert(customer, vec![("kb-list".into(), side.into(), at_)]);
            facts.kb.push(KbAnswer {
                customer_id: customer,
                at: at_,
                helped: Some(solved),
            });
        }
        // An answer before its customer met the test counts on no side;
        // one whose window still runs is not decided yet.
        facts.kb.push(KbAnswer {
            customer_id: 1,
            at: at("2026-11-02T10:00:00Z"),
            helped: Some(true),
        });
        facts.kb.push(KbAnswer {
            customer_id: 36,
            at: at("2026-11-19T10:00:00Z"),
            helped: Some(true),
        });
        let r = compute(&desk, &period(Some(By::Variant)), &facts, vec![]);
        let c = &r.experiments[0];
        let o = c
            .outcomes
            .iter()
            .find(|o| o.what == "self_service")
            .unwrap();
        assert_eq!((o.a_n, o.b_n), (35, 35));
        assert_eq!((o.a, o.b), (Some(10.0 / 35.0), Some(30.0 / 35.0)));
        assert_eq!(o.verdict.says, "B higher", "{o:?}");
        // The desk's own figure counts every decided answer.
        assert_eq!(
            (
                r.self_service.answers,
                r.self_service.self_solved,
                r.self_service.pending
            ),
            (72, 41, 1)
        );
        // Other kinds of test are not compared on it.
        let r = compute(
            &desk_with_receipt_test(),
            &period(Some(By::Variant)),
            &facts,
            vec![],
        );
        assert!(
            r.experiments[0]
                .outcomes
                .iter()
                .all(|o| o.what != "self_service")
        );
    }

    fn desk_with_receipt_test() -> Desk {
        let mut s = settings();
        s.experiments = vec![crate::settings::ExperimentSettings {
            name: "steps".into(),
            kind: "receipt".into(),
            share: 50,
            enabled: true,
        }];
        Desk::from_settings(&s).unwrap()
    }

    #[test]
    fn a_window_still_running_is_pending_not_guessed() {
        let mut p = period(None);
        p.now = at("2026-11-09T13:00:00Z");
        let r = compute(&desk(), &p, &facts(), vec![]);
        let fcr = &r.desk.first_contact_resolution;
        assert_eq!((fcr.count, fcr.of, fcr.pending), (0, 0, 3));
        assert_eq!(fcr.rate, None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let s = Stats::of((1..=10).collect());
        assert_eq!((s.p50_ms, s.p90_ms, s.mean_ms), (Some(5), Some(9), Some(5)));
        let s = Stats::of(vec![7]);
        assert_eq!((s.p50_ms, s.p90_ms), (Some(7), Some(7)));
        assert_eq!(Stats::of(vec![]), Stats::default());
    }
}
