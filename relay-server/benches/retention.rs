//! Retention soak: the database stays bounded under endless traffic.
//!
//!   cargo bench -p relay-server --bench retention [-- --messages N] [--days D]
//!
//! A desk on a temporary SQLite file and a clock that moves one simulated
//! day at a time: each day, new customers (their Telegram ids never
//! repeat) open tickets with two messages of ~200 bytes, yesterday's
//! tickets are closed, and retention runs as the server runs it
//! (`relay_server::prune_all`, batches of 500). Retention is the shipped
//! default scaled down 10x in time so the run reaches the steady state
//! well within it: texts emptied 18 days after closing, tickets and
//! customers deleted after 73, the event log kept 3 days, command answers
//! and notices 1 day. Reported every 10% of the run: the database and WAL
//! sizes, and the rows of the big tables. The figure that matters: the
//! largest size after the steady state begins is no larger than the size
//! when it began (freed pages are reused).
//!
//! Default: 1,000,000 messages over 200 days (2,500 a day).

mod util;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use relay_server::domain::desk::Desk;
use relay_server::domain::intake::{self, Inbound, Sender};
use relay_server::domain::{DomainError, ticket};
use relay_server::files::FileStore;
use relay_server::settings::Settings;
use relay_server::store::{self, Durability, ManualClock, Store, StoreOptions, rows};
use shared::*;
use util::arg;

const DAY: Duration = Duration::from_secs(86_400);
const START: i64 = 1_767_258_000_000; // 2026-01-01T09:00:00Z

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn mib(b: u64) -> String {
    format!("{:.1}", b as f64 / (1024.0 * 1024.0))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let messages = arg("--messages", 1_000_000u64);
    let days = arg("--days", 200u64).max(1);
    let per_day = messages.div_ceil(days);
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("desk.db");
    let clock = ManualClock::new(Timestamp(START));
    let mut opts = StoreOptions::new(db.clone());
    opts.durability = Durability::Normal;
    opts.clock = clock.clone();
    let store = Store::open(opts)?;
    let mut s = Settings::defaults();
    s.retention.anonymize_closed_after = "18d".into();
    s.retention.delete_closed_after = "73d".into();
    s.retention.events = "3d".into();
    s.retention.telegram_updates = "1d".into();
    s.retention.applied_commands = "1d".into();
    s.retention.notices = "1d".into();
    s.retention.self_service = "36d".into();
    s.retention.stale_dialogue = "3d".into();
    s.retention.audit_log = "73d".into();
    let desk = Arc::new(Desk::from_settings(&s).map_err(|e| e.to_string())?);
    let files = FileStore::open(&dir.path().join("files"), 1 << 30)?;
    println!(
        "retention soak: {messages} messages over {days} simulated days ({per_day} a day), database in {}",
        db.display()
    );
    println!(
        "{:>5} {:>10} {:>9} {:>8} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "day", "messages", "db MiB", "wal MiB", "tickets", "msgs", "events", "customers", "secs"
    );
    let started = Instant::now();
    let mut sent = 0u64;
    let mut next_user = 1_000_000i64;
    let mut open: Vec<TicketId> = Vec::new();
    let mut steady_from: Option<(u64, u64)> = None;
    let mut largest_after = 0u64;
    let text = "My payment from yesterday still shows as pending and the order page says it will be cancelled in 24 hours. Can you check what is wrong? Order 84-1193, card ending 4242.";
    for day in 1..=days {
        // Yesterday's tickets are resolved and closed.
        let closing = std::mem::take(&mut open);
        for chunk in closing.chunks(200) {
            let (d, ids) = (desk.clone(), chunk.to_vec());
            store
                .write(move |ctx| {
                    for id in ids {
                        if let Some(mut t) = rows::load_ticket(ctx, id)? {
                            ticket::close(ctx, &d.queues, &mut t)?;
                        }
                    }
                    Ok::<_, DomainError>(())
                })
                .await?;
        }
        // Today's customers, two messages each.
        let mut filed = 0;
        while filed < per_day && sent < messages {
            let batch = 100.min(per_day - filed).min(messages - sent);
            let (d, first) = (desk.clone(), next_user);
            let opened = store
                .write(move |ctx| {
                    let mut opened = Vec::new();
                    for k in 0..batch {
                        let user = first + (k / 2) as i64;
                        let sender = Sender {
                            telegram_user_id: user,
                            first_name: format!("Customer{user}"),
                            last_name: None,
                            username: Some(format!("user{user}")),
                            language: Some("en".into()),
                        };
                        let f = intake::customer_message(ctx, &d, &Inbound::plain(sender, text))?;
                        if k % 2 == 0 {
                            opened.push(f.ticket);
                        }
                    }
                    Ok::<_, DomainError>(opened)
                })
                .await?;
            open.extend(opened);
            next_user += batch.div_ceil(2) as i64;
            filed += batch;
            sent += batch;
        }
        clock.advance_ms(duration_ms(DAY));
        relay_server::prune_all(&store, &desk, &files).await?;
        let (db_bytes, wal_bytes) = (size(&db), size(&dir.path().join("desk.db-wal")));
        // Steady state: past the longest retention (73 days) plus a week.
        if day == 80 {
            steady_from = Some((day, db_bytes));
        }
        if steady_from.is_some() {
            largest_after = largest_after.max(db_bytes);
        }
        if day % (days / 10).max(1) == 0 || day == days || day == 80 {
            let counts: std::collections::HashMap<&str, u64> = store
                .readers()
                .read(store::retention::row_counts)
                .await?
                .into_iter()
                .collect();
            println!(
                "{:>5} {:>10} {:>9} {:>8} {:>9} {:>9} {:>9} {:>9} {:>8.0}",
                day,
                sent,
                mib(db_bytes),
                mib(wal_bytes),
                counts["tickets"],
                counts["messages"],
                counts["events"],
                counts["customers"],
                started.elapsed().as_secs_f64()
            );
        }
        if sent >= messages {
            break;
        }
    }
    if let Some((day, at)) = steady_from {
        println!(
            "steady state from day {day}: {} MiB then, at most {} MiB after ({} messages filed in all)",
            mib(at),
            mib(largest_after),
            sent
        );
    }
    store.close().await;
    Ok(())
}
