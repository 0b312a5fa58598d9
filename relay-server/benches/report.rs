//! `relay-server report` over a large desk (docs/benchmarks.md, "Figures").
//!
//!   cargo bench -p relay-server --bench report [-- --tickets N] [--messages M] [--keep FILE]
//!
//! Builds a database the size the issue asks for (default 100,000 tickets
//! and 1,000,000 messages over 90 days, 5,000 customers, 10 agents, three
//! queues, one on business hours; status changes, SLA clocks, ratings and
//! knowledge-base answers as a desk leaves them), written straight into the
//! tables for speed, then times the report (the store's reads and the
//! figures, as the command runs them) five times each over: the whole 90
//! days, the whole 90 days split by agent, and the last 14 days. Prints
//! the median and the slowest run. `--keep FILE` copies the database
//! there afterwards (to look at its query plans with sqlite3).

mod util;

use std::time::{Duration, Instant};

use relay_server::domain::desk::Desk;
use relay_server::domain::report::{self, By, Period};
use relay_server::settings::{HoursSettings, Settings};
use relay_server::store::{Durability, Store, StoreOptions};
use rusqlite::params;
use shared::Timestamp;
use util::{Rng, arg};

const START: i64 = 1_767_258_000_000; // 2026-01-01T09:00:00Z
const DAYS: i64 = 90;
const MIN: i64 = 60_000;

fn build(path: &std::path::Path, tickets: u64, messages: u64) -> rusqlite::Result<()> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")?;
    let tx = conn.transaction()?;
    for a in 1..=10 {
        tx.execute(
            "INSERT INTO agents (id, name, display_name, role, queues, capacity, created_at)
             VALUES (?1, ?2, ?2, 'agent', '[\"L1\",\"L2\",\"VIP\"]', 8, ?3)",
            params![a, format!("agent{a}"), START],
        )?;
    }
    let langs = ["en", "uk", "ru", "zh"];
    for c in 1..=5_000 {
        tx.execute(
            "INSERT INTO customers (id, telegram_user_id, first_name, language, created_at)
             VALUES (?1, ?2, 'C', ?3, ?4)",
            params![c, 1_000_000 + c, langs[c as usize % 4], START],
        )?;
    }
    let topics = ["billing", "delivery", "account", "bug", "refund", "other"];
    let queues = ["L1", "L2", "VIP"];
    let per_ticket = (messages / tickets.max(1)).max(2);
    let mut rng = Rng(0x5EED_CAFE);
    let span = DAYS * 86_400_000;
    let mut ticket_st = tx.prepare(
        "INSERT INTO tickets (id, number, customer_id, chat_id, status, queue, priority, tags,
             assignee, topic, created_at, updated_at, resolved_at, closed_at, csat, csat_asked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'normal', ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?13, ?14)",
    )?;
    let mut message_st = tx.prepare(
        "INSERT INTO messages (ticket_id, kind, author_kind, author_id, text, created_at)
         VALUES (?1, ?2, ?3, ?4, 'x', ?5)",
    )?;
    let mut log_st = tx.prepare(
        "INSERT INTO ticket_log (ticket_id, at, status_from, status_to, agent_id)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut clock_st = tx.prepare(
        "INSERT INTO sla_clocks (ticket_id, target, budget_ms, used_ms, started_at, stopped_at, breached_at)
         VALUES (?1, ?2, 900000, 0, ?3, ?4, ?5)",
    )?;
    for id in 1..=tickets as i64 {
        let created = START + span * (id - 1) / tickets as i64 + rng.below(60_000) as i64;
        let customer = 1 + rng.below(5_000) as i64;
        let agent = 1 + rng.below(10) as i64;
        let resolved = rng.below(10) < 8;
        let mut at = created;
        let mut thread = Vec::with_capacity(per_ticket as usize);
        for m in 0..per_ticket {
            at += (1 + rng.below(90)) as i64 * MIN;
            let (kind, author, who) = match m % 2 {
                0 => ("inbound", "customer", None),
                _ if rng.below(10) == 0 => ("outbound", "bot", None),
                _ => ("outbound", "agent", Some(agent)),
            };
            thread.push((kind, author, who, at));
        }
        let resolved_at = resolved.then_some(at + 10 * MIN);
        let reopened = rng.below(20) == 0;
        let asked = resolved && rng.below(10) < 7;
        let csat = (asked && rng.below(10) < 6).then(|| 1 + rng.below(5) as i64);
        ticket_st.execute(params![
            id,
            10_000 + id,
            customer,
            1_000_000 + customer,
            if resolved { "resolved" } else { "open" },
            queues[rng.below(3) as usize],
            if rng.below(4) == 0 {
                "[\"urgent\"]"
            } else {
                "[]"
            },
            agent,
            topics[rng.below(6) as usize],
            created,
            resolved_at,
            None::<i64>,
            csat,
            asked.then_some(at),
        ])?;
        if let Some(r) = resolved_at {
            log_st.execute(params![id, created + MIN, "new", "open", agent])?;
            log_st.execute(params![id, r, "open", "resolved", agent])?;
            if reopened {
                log_st.execute(params![id, r + 60 * MIN, "resolved", "open", None::<i64>])?;
                log_st.execute(params![id, r + 120 * MIN, "open", "resolved", agent])?;
            }
        }
        for (kind, author, who, at) in thread {
            message_st.execute(params![id, kind, author, who, at])?;
        }
        let breached = rng.below(10) == 0;
        clock_st.execute(params![
            id,
            "first_reply",
            created,
            (!breached).then_some(created + 10 * MIN),
            breached.then_some(created + 15 * MIN),
        ])?;
        clock_st.execute(params![id, "resolution", created, resolved_at, None::<i64>])?;
    }
    drop((ticket_st, message_st, log_st, clock_st));
    let mut kb_st = tx.prepare(
        "INSERT INTO self_service (customer_id, article, question, helped, created_at)
         VALUES (?1, 'a', 'q', ?2, ?3)",
    )?;
    for i in 0..tickets as i64 / 5 {
        let helped = [None, Some(true), Some(false)][rng.below(3) as usize];
        kb_st.execute(params![
            1 + rng.below(5_000) as i64,
            helped,
            START + span * i / (tickets as i64 / 5)
        ])?;
    }
    drop(kb_st);
    tx.commit()?;
    conn.execute_batch("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(())
}

fn desk() -> Desk {
    let mut s = Settings::defaults();
    s.calendars.insert(
        "office".into(),
        HoursSettings {
            time_zone: "Europe/Kyiv".into(),
            open: vec!["mon-fri 09:00-13:00".into(), "mon-fri 14:00-18:00".into()],
            holidays: vec!["2026-01-07".into()],
        },
    );
    s.queues[0].calendar = "office".into();
    Desk::from_settings(&s).expect("the bench's desk")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tickets = arg("--tickets", 100_000u64);
    let messages = arg("--messages", 1_000_000u64);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("desk.db");
    // The schema, by the store itself.
    let mut opts = StoreOptions::new(path.clone());
    opts.durability = Durability::Normal;
    Store::open(opts)?.close().await;
    let t = Instant::now();
    build(&path, tickets, messages)?;
    let size = std::fs::metadata(&path)?.len();
    println!(
        "built {tickets} tickets, {messages} messages in {:.1} s ({:.0} MiB)",
        t.elapsed().as_secs_f64(),
        size as f64 / 1_048_576.0
    );
    let mut opts = StoreOptions::new(path.clone());
    opts.durability = Durability::Normal;
    let store = Store::open(opts)?;
    let desk = std::sync::Arc::new(desk());
    let end = Timestamp(START + DAYS * 86_400_000 + 86_400_000);
    let cases = [
        ("90 days", Timestamp(START), None),
        ("90 days, by agent", Timestamp(START), Some(By::Agent)),
        ("last 14 days", end - Duration::from_secs(14 * 86_400), None),
    ];
    println!(
        "{:<20} {:>9} {:>10} {:>10}",
        "report", "tickets", "median", "slowest"
    );
    for (name, from, by) in cases {
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..5 {
            let (d, period) = (
                desk.clone(),
                Period {
                    from,
                    to: end,
                    zone: jiff::tz::TimeZone::UTC,
                    by,
                    window: Duration::from_secs(7 * 86_400),
                    now: end + Duration::from_secs(30 * 86_400),
                },
            );
            let t = Instant::now();
            let r = store
                .readers()
                .read(move |c| Ok(report::report(c, &d, &period)))
                .await??;
            times.push(t.elapsed());
            n = r.desk.tickets;
            assert!(r.desk.first_response.calendar.count > 0);
        }
        times.sort();
        println!(
            "{name:<20} {n:>9} {:>8.0}ms {:>8.0}ms",
            times[2].as_secs_f64() * 1000.0,
            times[4].as_secs_f64() * 1000.0
        );
    }
    // Where the time goes, for the whole 90 days: reading, then computing.
    let period = Period {
        from: Timestamp(START),
        to: end,
        zone: jiff::tz::TimeZone::UTC,
        by: None,
        window: Duration::from_secs(7 * 86_400),
        now: end + Duration::from_secs(30 * 86_400),
    };
    let (p, t) = (period.clone(), Instant::now());
    let facts = store
        .readers()
        .read(move |c| {
            relay_server::store::report::facts(
                c,
                p.from,
                p.to,
                p.from - report::REPEAT_WITHIN,
                p.to + p.window,
            )
        })
        .await?;
    let read = t.elapsed();
    let t = Instant::now();
    let r = report::compute(&desk, &period, &facts, Vec::new());
    println!(
        "90 days: reading {:.0}ms, computing {:.0}ms ({} tickets)",
        read.as_secs_f64() * 1000.0,
        t.elapsed().as_secs_f64() * 1000.0,
        r.desk.tickets
    );
    store.close().await;
    let keep = arg("--keep", String::new());
    if !keep.is_empty() {
        std::fs::copy(&path, &keep)?;
        println!("kept the database as {keep}");
    }
    Ok(())
}
