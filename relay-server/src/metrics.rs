//! What the server counts for Prometheus (docs/operations.md, "Metrics"):
//! counters, gauges and histograms kept in atomics by the parts that see
//! them happen, and their text exposition (format 0.0.4) for `/metrics`.
//! A leaf: it imports nothing of the crate, so any part may count.
//!
//! These are for operators watching the process (rates, latencies,
//! backlogs). The figures leads read (`relay-server report`) are computed
//! from the database, never from these counters, which start at zero with
//! every process.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// A count that only goes up (from zero at start).
#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub const fn new() -> Self {
        Counter(AtomicU64::new(0))
    }

    pub fn inc(&self) {
        self.add(1);
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    pub const fn new() -> Self {
        Gauge(AtomicI64::new(0))
    }

    pub fn set(&self, v: i64) {
        self.0.store(v, Ordering::Relaxed);
    }

    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn dec(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Counts one (a connection) while it lives.
pub struct Held(&'static Gauge);

impl Held {
    pub fn new(g: &'static Gauge) -> Self {
        g.inc();
        Held(g)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Upper bounds (seconds) of the latency histograms' buckets: half a
/// millisecond (a commit on a fast disk) to 30 s (Telegram at its slowest).
pub const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];

/// Durations, in seconds, by bucket.
pub struct Histogram {
    /// Observations at most `BUCKETS[i]` (not cumulative; summed when
    /// written out).
    counts: [AtomicU64; BUCKETS.len()],
    /// Observations above the last bucket.
    over: AtomicU64,
    sum_ns: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    pub const fn new() -> Self {
        Histogram {
            counts: [const { AtomicU64::new(0) }; BUCKETS.len()],
            over: AtomicU64::new(0),
            sum_ns: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        match BUCKETS.iter().position(|b| s <= *b) {
            Some(i) => self.counts[i].fetch_add(1, Ordering::Relaxed),
            None => self.over.fetch_add(1, Ordering::Relaxed),
        };
        self.sum_ns.fetch_add(
            u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// How many were observed.
    pub fn count(&self) -> u64 {
        self.counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum::<u64>()
            + self.over.load(Ordering::Relaxed)
    }
}

/// Everything the process counts.
pub struct Metrics {
    pub updates_received: Counter,
    pub messages_filed_private: Counter,
    pub messages_filed_group: Counter,
    pub sends_delivered: Counter,
    pub sends_failed: Counter,
    pub send_seconds: Histogram,
    pub telegram_429: Counter,
    pub writer_queue: Gauge,
    pub writer_commit_seconds: Histogram,
    pub writer_jobs: Counter,
    pub ws_clients: Gauge,
    pub ws_lag_seconds: Histogram,
    pub ws_lagged: Counter,
    pub sla_warnings: Counter,
    pub sla_breaches: Counter,
}

impl Metrics {
    pub const fn new() -> Self {
        Metrics {
            updates_received: Counter::new(),
            messages_filed_private: Counter::new(),
            messages_filed_group: Counter::new(),
            sends_delivered: Counter::new(),
            sends_failed: Counter::new(),
            send_seconds: Histogram::new(),
            telegram_429: Counter::new(),
            writer_queue: Gauge::new(),
            writer_commit_seconds: Histogram::new(),
            writer_jobs: Counter::new(),
            ws_clients: Gauge::new(),
            ws_lag_seconds: Histogram::new(),
            ws_lagged: Counter::new(),
            sla_warnings: Counter::new(),
            sla_breaches: Counter::new(),
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The process's metrics.
pub static METRICS: Metrics = Metrics::new();

impl Metrics {
    /// Counts what a committed event says happened: a customer's message
    /// filed, an SLA warning or breach.
    pub fn observe(&self, event: &shared::Event) {
        use shared::{Author, Event, GroupSide, SlaLevel};
        match event {
            Event::MessageAdded { message }
                if matches!(message.author, Author::Customer { .. }) =>
            {
                self.messages_filed_private.inc()
            }
            Event::GroupMessageAdded { message } if message.side == GroupSide::Customer => {
                self.messages_filed_group.inc()
            }
            Event::SlaAlert { alert } => match alert.level {
                SlaLevel::Warning => self.sla_warnings.inc(),
                SlaLevel::Breach => self.sla_breaches.inc(),
            },
            _ => {}
        }
    }
}

/// Values read when scraped (from the database and the process), not
/// counted as they happen.
#[derive(Debug, Default, Clone)]
pub struct Scraped {
    /// Outbox rows waiting to be sent, and being sent.
    pub outbox_pending: u64,
    pub outbox_sending: u64,
    /// Age of the oldest row waiting to be sent.
    pub outbox_oldest: Duration,
    /// Group moderation calls waiting.
    pub moderation_pending: u64,
    /// The event log's newest sequence number.
    pub head_seq: u64,
    /// Unix seconds the process started.
    pub started_at: f64,
}

/// A metric family's header.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn counter(out: &mut String, name: &str, help: &str, samples: &[(&str, u64)]) {
    family(out, name, "counter", help);
    for (labels, v) in samples {
        let _ = writeln!(out, "{name}{labels} {v}");
    }
}

fn gauge(out: &mut String, name: &str, help: &str, v: impl std::fmt::Display) {
    family(out, name, "gauge", help);
    let _ = writeln!(out, "{name} {v}");
}

fn histogram(out: &mut String, name: &str, help: &str, h: &Histogram) {
    family(out, name, "histogram", help);
    let mut total = 0;
    for (b, c) in BUCKETS.iter().zip(&h.counts) {
        total += c.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {total}");
    }
    total += h.over.load(Ordering::Relaxed);
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {total}");
    let sum = h.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
    let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {total}");
}

/// This process's resident memory and open descriptors (Linux; `None`
/// elsewhere).
fn process() -> (Option<u64>, Option<u64>) {
    let page = 4096;
    let rss = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|pages| pages * page);
    let fds = std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|d| d.count() as u64);
    (rss, fds)
}

/// The exposition of `m` and `s`, as `/metrics` serves it.
pub fn render(m: &Metrics, s: &Scraped, version: &str) -> String {
    let mut out = String::with_capacity(8 * 1024);
    family(
        &mut out,
        "relay_build_info",
        "gauge",
        "The running build (always 1).",
    );
    let _ = writeln!(out, "relay_build_info{{version=\"{version}\"}} 1");
    counter(
        &mut out,
        "relay_telegram_updates_received_total",
        "Updates received from Telegram and stored.",
        &[("", m.updates_received.get())],
    );
    counter(
        &mut out,
        "relay_messages_filed_total",
        "Customers' messages filed, by where they were written.",
        &[
            ("{source=\"private\"}", m.messages_filed_private.get()),
            ("{source=\"group\"}", m.messages_filed_group.get()),
        ],
    );
    counter(
        &mut out,
        "relay_telegram_sends_total",
        "Outbox messages Telegram accepted, or that failed for good.",
        &[
            ("{outcome=\"delivered\"}", m.sends_delivered.get()),
            ("{outcome=\"failed\"}", m.sends_failed.get()),
        ],
    );
    histogram(
        &mut out,
        "relay_telegram_send_duration_seconds",
        "Time of one Telegram send request, answer included.",
        &m.send_seconds,
    );
    counter(
        &mut out,
        "relay_telegram_rate_limited_total",
        "Telegram's 429 (Too Many Requests) answers.",
        &[("", m.telegram_429.get())],
    );
    family(
        &mut out,
        "relay_outbox_messages",
        "gauge",
        "Outbox rows, by state.",
    );
    let _ = writeln!(
        out,
        "relay_outbox_messages{{state=\"pending\"}} {}\nrelay_outbox_messages{{state=\"sending\"}} {}",
        s.outbox_pending, s.outbox_sending
    );
    gauge(
        &mut out,
        "relay_outbox_oldest_pending_seconds",
        "Age of the oldest outbox row waiting to be sent (0 when none).",
        s.outbox_oldest.as_secs_f64(),
    );
    gauge(
        &mut out,
        "relay_moderation_calls_pending",
        "Group moderation calls waiting to be made.",
        s.moderation_pending,
    );
    gauge(
        &mut out,
        "relay_writer_queue_jobs",
        "Write jobs waiting for the store's writer.",
        m.writer_queue.get(),
    );
    histogram(
        &mut out,
        "relay_writer_commit_duration_seconds",
        "Time of one write transaction (a batch of jobs), commit included.",
        &m.writer_commit_seconds,
    );
    counter(
        &mut out,
        "relay_writer_jobs_total",
        "Write jobs run by the store's writer.",
        &[("", m.writer_jobs.get())],
    );
    gauge(
        &mut out,
        "relay_event_log_head",
        "Sequence number of the newest event in the log.",
        s.head_seq,
    );
    gauge(
        &mut out,
        "relay_ws_clients",
        "Workstations connected over WebSocket.",
        m.ws_clients.get(),
    );
    histogram(
        &mut out,
        "relay_ws_event_lag_seconds",
        "Time from an event's commit to its frame being written to a client.",
        &m.ws_lag_seconds,
    );
    counter(
        &mut out,
        "relay_ws_lagged_total",
        "Times a client fell behind the live stream and caught up from the log.",
        &[("", m.ws_lagged.get())],
    );
    counter(
        &mut out,
        "relay_sla_alerts_total",
        "SLA warnings (before a deadline) and breaches.",
        &[
            ("{level=\"warning\"}", m.sla_warnings.get()),
            ("{level=\"breach\"}", m.sla_breaches.get()),
        ],
    );
    gauge(
        &mut out,
        "process_start_time_seconds",
        "Start time of the process since the Unix epoch in seconds.",
        s.started_at,
    );
    let (rss, fds) = process();
    if let Some(rss) = rss {
        gauge(
            &mut out,
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            rss,
        );
    }
    if let Some(fds) = fds {
        gauge(
            &mut out,
            "process_open_fds",
            "Number of open file descriptors.",
            fds,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_is_cumulative_with_its_sum_and_count() {
        let h = Histogram::new();
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_millis(20));
        h.observe(Duration::from_secs(60));
        let mut out = String::new();
        histogram(&mut out, "x_seconds", "X.", &h);
        assert!(out.contains("x_seconds_bucket{le=\"0.0005\"} 1\n"), "{out}");
        assert!(out.contains("x_seconds_bucket{le=\"0.01\"} 1\n"), "{out}");
        assert!(out.contains("x_seconds_bucket{le=\"0.025\"} 2\n"), "{out}");
        assert!(out.contains("x_seconds_bucket{le=\"30\"} 2\n"), "{out}");
        assert!(out.contains("x_seconds_bucket{le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("x_seconds_sum 60.0203\n"), "{out}");
        assert!(out.contains("x_seconds_count 3\n"), "{out}");
        assert_eq!(h.count(), 3);
    }

    #[test]
    fn every_family_has_help_and_type_once() {
        let m = Metrics::new();
        m.messages_filed_private.add(3);
        m.ws_clients.inc();
        let out = render(&m, &Scraped::default(), "1.2.3");
        assert!(out.contains("relay_build_info{version=\"1.2.3\"} 1\n"));
        assert!(out.contains("relay_messages_filed_total{source=\"private\"} 3\n"));
        assert!(out.contains("relay_ws_clients 1\n"));
        let mut seen = std::collections::BTreeSet::new();
        for line in out.lines().filter(|l| l.starts_with("# TYPE ")) {
            let name = line.split_whitespace().nth(2).unwrap();
            assert!(seen.insert(name.to_owned()), "{name} twice");
            assert!(
                out.contains(&format!("# HELP {name} ")),
                "{name} has no HELP"
            );
        }
        assert!(seen.len() >= 18, "{seen:?}");
    }
}
