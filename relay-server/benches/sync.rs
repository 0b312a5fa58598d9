//! Sync benchmark: the relay server in this process on loopback, real
//! WebSocket clients, a temporary SQLite database.
//!
//!   cargo bench -p relay-server --bench sync [-- --durability normal|full]
//!
//! Measures: events appended and delivered to 10 clients per second; a
//! snapshot of 10,000 open tickets; a resume over 10,000 missed events;
//! peak RSS of the process (server and the 10 clients together).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use relay_client::Connection;
use relay_server::domain::intake::{self, Inbound, Sender};
use relay_server::domain::{DomainError, desk::Desk};
use relay_server::settings::Settings;
use relay_server::store::Store;
use serde::Deserialize;
use shared::*;

const CLIENTS: usize = 10;
const FANOUT_EVENTS: u64 = 200_000;
const SNAPSHOT_TICKETS: u32 = 10_000;
const RESUME_EVENTS: u64 = 10_000;
const RUNS: usize = 5;

#[derive(Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<SeqOnly>,
    #[serde(default)]
    last: bool,
}

#[derive(Deserialize)]
struct SeqOnly {
    seq: u64,
}

fn inbound(user: i64, text: String) -> Inbound {
    Inbound::plain(
        Sender {
            telegram_user_id: user,
            first_name: format!("Customer {user}"),
            last_name: None,
            username: None,
            language: Some("en".into()),
        },
        text,
    )
}

/// Files one message for each of `users` customers, in jobs of 500.
async fn file_batch(store: &Store, queues: &Arc<Desk>, users: std::ops::Range<i64>) {
    let mut start = users.start;
    while start < users.end {
        let end = (start + 500).min(users.end);
        let q = queues.clone();
        store
            .write(move |ctx| {
                for u in start..end {
                    intake::customer_message(ctx, &q, &inbound(u, format!("hello from {u}")))?;
                }
                Ok::<_, DomainError>(())
            })
            .await
            .expect("file");
        start = end;
    }
}

/// Reads frames until events up to `target` arrived; returns when.
async fn follow(mut c: Connection, target: u64) -> (Connection, Instant) {
    loop {
        let text = c.recv_text().await.expect("recv").expect("open");
        let f: Frame = serde_json::from_str(&text).expect("frame");
        if f.kind == "events" && f.events.last().is_some_and(|e| e.seq >= target) {
            return (c, Instant::now());
        }
    }
}

/// Connects and reads the initial sync; returns the time it took.
async fn timed_connect(url: &str, token: &str, resume: Option<Seq>, head: u64) -> Duration {
    let start = Instant::now();
    let (mut c, w) = Connection::connect(url, token, resume)
        .await
        .expect("connect");
    loop {
        let text = c.recv_text().await.expect("recv").expect("open");
        let f: Frame = serde_json::from_str(&text).expect("frame");
        let done = match w.sync {
            SyncMode::Snapshot => f.kind == "snapshot" && f.last,
            SyncMode::Events => f.events.last().is_some_and(|e| e.seq >= head),
        };
        if done {
            break;
        }
    }
    let took = start.elapsed();
    c.close().await;
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let durability = common::durability_arg();
    let mut settings = Settings::defaults();
    settings.durability = durability;
    let running = common::start(settings).await;
    let (store, queues, url, token) = (
        running.store.clone(),
        running.desk.clone(),
        running.url.clone(),
        running.token.clone(),
    );
    println!("durability: {durability:?}");

    // Snapshot of 10,000 open tickets.
    file_batch(&store, &queues, 1..i64::from(SNAPSHOT_TICKETS) + 1).await;
    let head = store.head().0;
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        runs.push(timed_connect(&url, &token, None, head).await);
    }
    let snapshot = median(runs);
    println!(
        "snapshot of {SNAPSHOT_TICKETS} open tickets (welcome to last part), median of {RUNS}: {snapshot:.1?}"
    );

    // Fanout: events appended through intake, delivered to 10 clients.
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (mut c, _) = Connection::connect(&url, &token, None)
            .await
            .expect("connect");
        loop {
            let f: Frame = serde_json::from_str(&c.recv_text().await.unwrap().unwrap()).unwrap();
            if f.kind == "snapshot" && f.last {
                break;
            }
        }
        clients.push(c);
    }
    let start_seq = store.head().0;
    // Each follow-up message is 2 events (message_added, ticket_updated).
    let messages = FANOUT_EVENTS / 2;
    let target = start_seq + FANOUT_EVENTS;
    let followers: Vec<_> = clients
        .into_iter()
        .map(|c| tokio::spawn(follow(c, target)))
        .collect();
    let started = Instant::now();
    // Results are awaited as they come, so the harness holds little memory.
    let mut pending = std::collections::VecDeque::new();
    for i in 0..messages {
        if pending.len() >= 8192 {
            let p: tokio::sync::oneshot::Receiver<Result<_, DomainError>> =
                pending.pop_front().unwrap();
            p.await.expect("job").expect("filed");
        }
        let user = 1 + (i as i64 % i64::from(SNAPSHOT_TICKETS));
        // Each customer's messages were written 2 s apart: a backlog, not a
        // flood (flood control would add its notices to the events).
        let mut msg = inbound(user, format!("follow-up {i}"));
        let round = i as i64 / i64::from(SNAPSHOT_TICKETS) + 1;
        msg.sent_at = Some(Timestamp(store.now().0 + round * 2_000));
        let q = queues.clone();
        pending.push_back(
            store
                .enqueue(move |ctx| intake::customer_message(ctx, &q, &msg))
                .await
                .expect("enqueue"),
        );
    }
    for p in pending {
        p.await.expect("job").expect("filed");
    }
    let appended = started.elapsed();
    let mut last = started;
    let mut clients = Vec::new();
    for f in followers {
        let (c, at) = f.await.expect("follower");
        last = last.max(at);
        clients.push(c);
    }
    assert_eq!(
        store.head().0,
        target,
        "every message wrote exactly two events"
    );
    let delivered = last.duration_since(started);
    println!(
        "fanout: {FANOUT_EVENTS} events appended in {appended:.2?}, delivered to all {CLIENTS} clients in {delivered:.2?}: {:.0} events/s",
        FANOUT_EVENTS as f64 / delivered.as_secs_f64()
    );

    // Resume over 10,000 missed events.
    let head = store.head().0;
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        runs.push(timed_connect(&url, &token, Some(Seq(head - RESUME_EVENTS)), head).await);
    }
    println!(
        "resume over {RESUME_EVENTS} missed events, median of {RUNS}: {:.1?}",
        median(runs)
    );
    println!(
        "peak RSS of the process (server + {CLIENTS} clients): {:.1} MB",
        peak_rss_mb()
    );

    for c in clients {
        c.close().await;
    }
    running.shutdown.cancel();
    let _ = running.server.await;
}
