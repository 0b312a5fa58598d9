//! SLA and assignment benchmark, on a temporary SQLite file:
//!
//!   cargo bench -p relay-server --bench sla [-- --durability normal]
//!
//! 1. Recompute: 100,000 open tickets on a business-hours calendar (each
//!    with running next-reply and resolution clocks); the calendar
//!    changes (new opening hours and a holiday) and every deadline is
//!    recomputed, stored and streamed (`sla::recompute_all`: slices of
//!    2,000, a reader planning the next while the writer applies one).
//!    Also the arithmetic alone (the new due time of each running clock),
//!    and a start with the config unchanged (`recompute_if_changed`).
//! 2. Decision: with 10,000 open tickets and 1,000 online agents, one
//!    routing and assignment decision for a new ticket (the rules, the
//!    candidates under capacity, the customer's previous engineer, the
//!    queue's mode): 1,000 decisions, median / p99 / max.

// Only the --durability flag is used here; the server start is the others'.
#[allow(dead_code)]
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use relay_server::domain::desk::Desk;
use relay_server::domain::routing::{Facts, Source};
use relay_server::domain::{DomainError, assign, sla};
use relay_server::settings::{HoursSettings, Settings};
use relay_server::store::{self, Store, StoreOptions, rows};
use shared::*;

/// `-- --tickets N` (default 100,000).
fn tickets() -> i64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--tickets")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}
const DECISION_TICKETS: i64 = 10_000;
const AGENTS: i64 = 1_000;
const NOW: i64 = 1_795_255_200_000; // 2026-11-23T07:20:00Z, a Monday

fn settings(open: &[&str], holidays: &[&str]) -> Settings {
    let mut s = Settings::defaults();
    s.calendars = BTreeMap::from([(
        "office".to_owned(),
        HoursSettings {
            time_zone: "Europe/Kyiv".into(),
            open: open.iter().map(|s| s.to_string()).collect(),
            holidays: holidays.iter().map(|s| s.to_string()).collect(),
        },
    )]);
    for q in &mut s.queues {
        q.calendar = "office".into();
    }
    s
}

fn pct(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p) as usize];
    (at(0.5), at(0.99), *v.last().unwrap())
}

/// Customers, and open tickets spread over the queues (waiting on a next
/// reply), inserted in bulk.
async fn fill(db: &Path, tickets: i64) {
    seed(
        db,
        &format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {tickets})
                 INSERT INTO customers (telegram_user_id, first_name, language, created_at)
                 SELECT 100000 + i, 'C' || i, 'en', {NOW} FROM n;
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {tickets})
                 INSERT INTO tickets (number, customer_id, chat_id, status, queue, priority, created_at,
                                      updated_at, first_reply_at, waiting_since, status_since, last_reply_at)
                 SELECT 10000 + i, i, 100000 + i, 'open',
                        CASE i % 4 WHEN 0 THEN 'L1' WHEN 1 THEN 'L2' WHEN 2 THEN 'VIP' ELSE 'SECURITY' END,
                        'normal', {NOW} - (i % 600) * 60000, {NOW}, {NOW} - (i % 300) * 60000,
                        {NOW} - (i % 120) * 60000, {NOW}, {NOW} - (i % 300) * 60000
                 FROM n;"
        ),
    );
}

/// Bulk rows straight into the database file (the bench's own connection:
/// the server has no bulk path, and needs none).
fn seed(db: &Path, sql: &str) {
    let c = rusqlite::Connection::open(db).expect("open for seeding");
    c.busy_timeout(Duration::from_secs(30)).expect("timeout");
    c.execute_batch(sql).expect("seed");
}

async fn recompute(store: &Store, db: &Path) {
    let tickets = tickets();
    println!("== recompute every deadline after a calendar change, {tickets} open tickets");
    let before = Arc::new(Desk::from_settings(&settings(&["mon-fri 09:00-18:00"], &[])).unwrap());
    let t0 = Instant::now();
    fill(db, tickets).await;
    let n = sla::recompute_all(store, before.clone()).await.unwrap();
    println!("setup: {n} tickets' clocks started in {:.1?}", t0.elapsed());

    // The arithmetic alone: each running clock's new due time.
    let after = Arc::new(
        Desk::from_settings(&settings(
            &[
                "mon-fri 08:00-12:30",
                "mon-fri 13:30-20:00",
                "sat 10:00-14:00",
            ],
            &["2026-11-24"],
        ))
        .unwrap(),
    );
    let d = after.clone();
    let (n, took) = store
        .readers()
        .read(move |c| {
            let clocks: Vec<(i64, i64, Timestamp, QueueId)> =
                store::sla::open_slice(c, 0, usize::MAX)?
                    .into_iter()
                    .flat_map(|t| {
                        let queue = t.queue.clone();
                        t.clocks.into_iter().filter_map(move |k| {
                            Some((k.budget_ms, k.used_ms, k.running_since?, queue.clone()))
                        })
                    })
                    .collect();
            let t = Instant::now();
            let mut sum = 0i64;
            for (budget, used, since, queue) in &clocks {
                let q = d.queues.config(queue).unwrap();
                sum = sum.wrapping_add(q.calendar.add_business(*since, left(*budget, *used)).0);
            }
            std::hint::black_box(sum);
            Ok((clocks.len(), t.elapsed()))
        })
        .await
        .unwrap();
    println!(
        "arithmetic: {n} running clocks' due times in {took:.1?} ({:.2} µs each)",
        took.as_secs_f64() * 1e6 / n as f64
    );

    // The whole of it: load, recompute, store, stream, commit, in slices.
    let t = Instant::now();
    let moved = sla::recompute_all(store, after.clone()).await.unwrap();
    println!(
        "recompute_all: {moved} tickets' deadlines moved, stored and streamed in {:.2?} (target ≤ 1 s)",
        t.elapsed()
    );

    // A start with the config the deadlines were computed with: the first
    // records it (a full recompute that moves nothing), the next skips.
    let t = Instant::now();
    let first = sla::recompute_if_changed(store, after.clone())
        .await
        .unwrap();
    let took_first = t.elapsed();
    let t = Instant::now();
    let again = sla::recompute_if_changed(store, after.clone())
        .await
        .unwrap();
    println!(
        "unchanged config: recompute that moves nothing {took_first:.1?} ({first:?} moved); \
         a start after it skips in {:.1?} ({again:?})",
        t.elapsed()
    );
}

async fn decision(store: &Store, db: &Path) {
    println!(
        "== one routing and assignment decision, {DECISION_TICKETS} open tickets, {AGENTS} online agents"
    );
    let desk = Arc::new(Desk::from_settings(&Settings::defaults()).unwrap());
    fill(db, DECISION_TICKETS).await;
    seed(
        db,
        &format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {AGENTS})
                 INSERT INTO agents (name, display_name, role, queues, capacity, created_at, presence)
                 SELECT 'a' || i, 'A' || i, 'agent',
                        CASE i % 3 WHEN 0 THEN '[\"L1\"]' WHEN 1 THEN '[\"L1\",\"L2\"]' ELSE '[\"L2\",\"VIP\",\"SECURITY\"]' END,
                        20, {NOW}, 'online' FROM n;
                 UPDATE tickets SET assignee = 1 + (id % {AGENTS}) WHERE id % 2 = 0;"
        ),
    );
    let d = desk.clone();
    let times = store
        .write(move |ctx| {
            let mut times = Vec::with_capacity(1000);
            for i in 0..1000i64 {
                let t = Instant::now();
                let customer = rows::load_customer(ctx, CustomerId(1 + i * 7))?.unwrap();
                let mut ticket = rows::load_ticket(ctx, TicketId(1 + i * 7))?.unwrap();
                let (queue, priority) = d.route(&Facts {
                    customer: &customer,
                    topic: Some(["payment", "account", "feature", "idea"][i as usize % 4]),
                    source: Source::Private,
                    explicit: None,
                    priority: Priority::Normal,
                });
                ticket.queue = queue;
                ticket.priority = priority;
                let (chosen, _) = assign::decide(ctx, &d, &ticket, None)?;
                std::hint::black_box(chosen);
                times.push(t.elapsed());
            }
            Ok::<_, DomainError>(times)
        })
        .await
        .unwrap();
    let (p50, p99, max) = pct(times);
    println!("decision: median {p50:.1?}, p99 {p99:.1?}, max {max:.1?} (target ≤ 1 ms)");
}

#[tokio::main]
async fn main() {
    let durability = common::durability_arg();
    for bench in ["recompute", "decision"] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sla.db");
        let mut opts = StoreOptions::new(&db);
        opts.durability = durability;
        let store = Store::open(opts).unwrap();
        match bench {
            "recompute" => recompute(&store, &db).await,
            _ => decision(&store, &db).await,
        }
        store.close().await;
    }
}

/// Business time a stored clock has left, from its stored milliseconds.
fn left(budget_ms: i64, used_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(budget_ms - used_ms).unwrap_or(0))
}
