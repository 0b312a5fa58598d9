//! Telegram benchmark: the Bot API simulator and the relay server in this
//! process on loopback, a real WebSocket client, a temporary SQLite file.
//!
//!   cargo bench -p relay-server --bench telegram [-- --durability normal]
//!
//! 1. Throughput: a backlog of 40,000 customer messages from 8,000
//!    customers waiting at the simulator when the server starts, through
//!    getUpdates, intake and the store to a WebSocket client.
//! 2. Latency at 1,000 messages/s for 10 s: simulator enqueue to WebSocket
//!    receipt, p50 / p99 / max.
//! 3. The outbox with 5,000 chats queued and the pace set to 30/s: the rate
//!    Telegram sees, the busiest second, and 429s (must be 0).
//! 4. CPU (`-- cpu`): the real `relay-server` binary in its own process
//!    (durability full, the default long poll), its CPU time read from
//!    /proc: idle for 120 s, a burst of 5,000 messages, and steady traffic
//!    at 200 messages/s for 15 s; CPU-seconds per 1,000 messages filed.
//!    /proc counts in clock ticks (10 ms), so a 120 s idle reads to 0.01 %.
//!
//! `BENCH_GATHER_MS=N` runs the server with `telegram.gather_ms = N`;
//! `BENCH_IDLE_SECS=N` changes the idle window.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bot_api_sim::{SimConfig, SimUser, Simulator};
use relay_client::Connection;
use relay_server::domain::DomainError;
use relay_server::domain::agents::token_hash;
use relay_server::domain::commands;
use relay_server::settings::Settings;
use relay_server::store::{Durability, Store};
use serde::Deserialize;
use shared::*;
use tokio_util::sync::CancellationToken;

#[derive(Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<Env>,
}

#[derive(Deserialize)]
struct Env {
    event: Ev,
}

#[derive(Deserialize)]
struct Ev {
    kind: String,
    #[serde(default)]
    message: Option<Msg>,
    #[serde(default)]
    ticket: Option<Tk>,
}

#[derive(Deserialize)]
struct Msg {
    text: String,
    kind: String,
}

#[derive(Deserialize)]
struct Tk {
    id: i64,
}

struct Desk {
    sim: Arc<Simulator>,
    store: Store,
    url: String,
    token: String,
    desk: Arc<relay_server::domain::desk::Desk>,
    shutdown: CancellationToken,
    /// Keeps the temporary database alive.
    _running: common::Running,
}

/// `telegram.gather_ms` for the server: `BENCH_GATHER_MS` (default: the
/// shipped default).
fn gather_ms() -> u64 {
    std::env::var("BENCH_GATHER_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(Settings::defaults().telegram.gather_ms)
}

/// A simulator with `customers` registered.
async fn simulator(customers: i64) -> Arc<Simulator> {
    let sim = Arc::new(Simulator::start(SimConfig::default()).await.expect("sim"));
    for id in 1..=customers {
        sim.add_user(SimUser::new(id, &format!("C{id}"), "en"));
    }
    sim
}

async fn desk(durability: Durability, global_per_sec: u32, customers: i64) -> Desk {
    desk_on(simulator(customers).await, durability, global_per_sec).await
}

/// The relay server (bot included) on a fresh database, against `sim`.
async fn desk_on(sim: Arc<Simulator>, durability: Durability, global_per_sec: u32) -> Desk {
    let mut settings = Settings::defaults();
    settings.durability = durability;
    settings.telegram.token = sim.token();
    settings.telegram.api_url = sim.api_url();
    settings.telegram.poll_timeout_secs = 1;
    settings.telegram.global_per_sec = global_per_sec;
    settings.telegram.max_in_flight = 32;
    settings.telegram.gather_ms = gather_ms();
    // Intake and the outbox measured on their own: customers' messages go
    // straight into tickets, the bot says nothing but the replies.
    settings.bot.mode = relay_server::settings::BotMode::Direct;
    settings.bot.consent = Some(false);
    let r = common::start(settings).await;
    Desk {
        sim,
        store: r.store.clone(),
        url: r.url.clone(),
        token: r.token.clone(),
        desk: r.desk.clone(),
        shutdown: r.shutdown.clone(),
        _running: r,
    }
}

/// Connects and reads the snapshot; returns the customer messages it
/// already holds (filed before the client connected).
async fn client(d: &Desk) -> (Connection, usize) {
    #[derive(Deserialize)]
    struct Part {
        #[serde(default)]
        messages: Vec<Msg>,
        #[serde(default)]
        last: bool,
    }
    let (mut c, _) = Connection::connect(&d.url, &d.token, None)
        .await
        .expect("connect");
    let mut inbound = 0;
    loop {
        let t = c.recv_text().await.expect("recv").expect("open");
        let part: Part = serde_json::from_str(&t).expect("snapshot part");
        inbound += part.messages.iter().filter(|m| m.kind == "inbound").count();
        if part.last {
            return (c, inbound);
        }
    }
}

/// Reads frames, calling `f` with each inbound message's text and the time.
async fn each_inbound(c: &mut Connection, mut f: impl FnMut(&str, Instant) -> bool) {
    loop {
        let t = c.recv_text().await.expect("recv").expect("open");
        let now = Instant::now();
        let frame: Frame = serde_json::from_str(&t).expect("frame");
        if frame.kind != "events" {
            continue;
        }
        for e in frame.events {
            if let (Some(m), "message_added") = (&e.event.message, e.event.kind.as_str())
                && m.kind == "inbound"
                && !f(&m.text, now)
            {
                return;
            }
        }
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// One throughput run: the backlog waits at "Telegram" (as after downtime)
/// before the server starts; timed from start to the last message reaching
/// the WebSocket client. Returns messages per second.
async fn throughput_once(durability: Durability) -> f64 {
    // 5 messages each: a backlog, not a flood (flood control would answer).
    const N: usize = 40_000;
    const USERS: i64 = 8_000;
    let sim = simulator(USERS).await;
    for i in 0..N {
        sim.send_text(1 + (i as i64 % USERS), &format!("t-{i}"));
    }
    let start = Instant::now();
    let d = desk_on(sim, durability, 29).await;
    // Filing starts at once: what is in by the time the client has its
    // snapshot arrives there, the rest as events.
    let (mut c, mut got) = client(&d).await;
    each_inbound(&mut c, |_, _| {
        got += 1;
        got < N
    })
    .await;
    let took = start.elapsed();
    let rate = N as f64 / took.as_secs_f64();
    println!(
        "throughput run: a backlog of {N} messages from {USERS} customers reached the WebSocket client in {took:.2?}: {rate:.0} messages/s"
    );
    d.shutdown.cancel();
    rate
}

async fn throughput(durability: Durability) {
    let mut runs = Vec::new();
    for _ in 0..3 {
        runs.push(throughput_once(durability).await);
    }
    runs.sort_by(f64::total_cmp);
    println!(
        "throughput: median of 3 runs {:.0} messages/s (min {:.0}, max {:.0})",
        runs[1], runs[0], runs[2]
    );
}

async fn latency(durability: Durability) {
    const RATE: u64 = 1_000;
    const SECS: u64 = 10;
    // Half a message per second each: busy, not flooding.
    const USERS: i64 = 2_000;
    let d = desk(durability, 29, USERS).await;
    let (mut c, _) = client(&d).await;
    // Warm up: every customer has a ticket, so the run measures follow-ups.
    for id in 1..=USERS {
        d.sim.send_text(id, "warm-up");
    }
    let mut warm = 0;
    each_inbound(&mut c, |_, _| {
        warm += 1;
        warm < USERS
    })
    .await;
    let n = (RATE * SECS) as usize;
    let sent: Arc<std::sync::Mutex<Vec<Option<Instant>>>> =
        Arc::new(std::sync::Mutex::new(vec![None; n]));
    let producer = {
        let (sim, sent) = (d.sim.clone(), sent.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / RATE));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            for i in 0..n {
                tick.tick().await;
                sent.lock().expect("lock")[i] = Some(Instant::now());
                sim.send_text(1 + (i as i64 % USERS), &format!("l-{i}"));
            }
        })
    };
    let mut seen: HashMap<usize, Instant> = HashMap::with_capacity(n);
    each_inbound(&mut c, |text, at| {
        if let Some(i) = text
            .strip_prefix("l-")
            .and_then(|s| s.parse::<usize>().ok())
        {
            seen.insert(i, at);
        }
        seen.len() < n
    })
    .await;
    producer.await.expect("producer");
    let sent = sent.lock().expect("lock");
    let mut lat: Vec<Duration> = seen
        .iter()
        .map(|(i, at)| at.duration_since(sent[*i].expect("sent")))
        .collect();
    lat.sort();
    println!(
        "latency at {RATE} messages/s for {SECS} s ({} messages): p50 {:.1?}, p99 {:.1?}, max {:.1?}",
        lat.len(),
        pct(&lat, 0.50),
        pct(&lat, 0.99),
        lat[lat.len() - 1]
    );
    d.shutdown.cancel();
}

async fn outbox(durability: Durability) {
    const CHATS: i64 = 5_000;
    const MEASURE: Duration = Duration::from_secs(30);
    let d = desk(durability, 30, CHATS).await;
    let (mut c, _) = client(&d).await;
    // One ticket per chat, then one reply to each: 5,000 chats queued at once.
    for id in 1..=CHATS {
        d.sim.send_text(id, "hello");
    }
    let mut tickets = Vec::new();
    loop {
        let t = c.recv_text().await.expect("recv").expect("open");
        let frame: Frame = serde_json::from_str(&t).expect("frame");
        for e in frame.events {
            if e.event.kind == "ticket_created" {
                tickets.push(e.event.ticket.expect("ticket").id);
            }
        }
        if tickets.len() as i64 == CHATS {
            break;
        }
    }
    let (q, hash) = (d.desk.clone(), token_hash(&d.token));
    d.store
        .write(move |ctx| {
            for (i, t) in tickets.iter().enumerate() {
                let cmd = Command::Reply {
                    ticket_id: TicketId(*t),
                    text: format!("reply {i}"),
                };
                commands::apply(ctx, &q, &hash, &CommandId::new(format!("r{i}")), &cmd)?;
            }
            Ok::<_, DomainError>(())
        })
        .await
        .expect("replies");
    let start = Instant::now();
    tokio::time::sleep(MEASURE).await;
    let mut times: Vec<u64> = (1..=CHATS)
        .flat_map(|id| d.sim.sent(id))
        .map(|s| s.at_ms)
        .collect();
    times.sort();
    let first = times.first().copied().unwrap_or(0);
    let in_window: Vec<u64> = times
        .iter()
        .copied()
        .filter(|t| *t - first >= 2_000 && *t - first < 2_000 + 25_000)
        .collect();
    let busiest = times
        .iter()
        .enumerate()
        .map(|(i, t)| times[i..].iter().take_while(|u| **u < t + 1000).count())
        .max()
        .unwrap_or(0);
    let mut gaps: Vec<u64> = in_window.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort();
    let gap = |p: f64| {
        gaps.get(((gaps.len().max(1) - 1) as f64 * p) as usize)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "outbox gaps between sends (ms): p50 {} p90 {} p99 {} max {}",
        gap(0.5),
        gap(0.9),
        gap(0.99),
        gap(1.0)
    );
    let stats = d.sim.stats();
    println!(
        "outbox: {CHATS} chats queued, pace 30/s: {} sent in {:.0?}; steady rate {:.2}/s (25 s window); busiest second {busiest}; 429s from limits {}",
        times.len(),
        start.elapsed(),
        in_window.len() as f64 / 25.0,
        stats.rate_limited
    );
    d.shutdown.cancel();
}

/// The relay-server binary serving a fresh database against `sim`.
struct Process {
    child: std::process::Child,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Process {
    fn start(sim: &Simulator) -> Process {
        use std::io::BufRead;
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("desk.db");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_relay-server"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("XDG_CONFIG_HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path())
            .env("RELAY_DB", &db)
            .env("RELAY_BOT__MODE", "direct")
            .env("RELAY_BOT__CONSENT", "false")
            .env("TELEGRAM_BOT_TOKEN", sim.token())
            .env("TELEGRAM_API_URL", sim.api_url())
            .env("RUST_LOG", "warn")
            .env("RELAY_TELEGRAM__GATHER_MS", gather_ms().to_string())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("relay-server");
        let out = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .expect("ready line");
        assert!(line.contains("listening"), "{line}");
        Process {
            child,
            db,
            _dir: dir,
        }
    }

    /// User + system CPU time of the whole process so far, in seconds.
    fn cpu(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).expect("/proc stat");
        // Fields after the command name: state is the 3rd field, utime the 14th.
        let rest = &stat[stat.rfind(')').expect("stat") + 2..];
        let f: Vec<&str> = rest.split(' ').collect();
        let ticks: f64 =
            f[11].parse::<f64>().expect("utime") + f[12].parse::<f64>().expect("stime");
        ticks / clock_ticks()
    }

    /// Customer messages filed so far.
    fn filed(&self) -> i64 {
        let c = rusqlite::Connection::open_with_flags(
            &self.db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open db");
        c.busy_timeout(Duration::from_secs(5)).expect("timeout");
        c.query_row(
            "SELECT count(*) FROM messages WHERE kind = 'inbound'",
            [],
            |r| r.get(0),
        )
        .expect("count")
    }

    async fn wait_filed(&self, n: i64) {
        while self.filed() < n {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// What the relay's own process spends: idle, per message in a burst, per
/// message at a steady rate.
async fn cpu() {
    const USERS: i64 = 1_000;
    const BURST: i64 = 5_000;
    const RATE: u64 = 200;
    const STEADY_SECS: u64 = 15;
    let idle_window = Duration::from_secs(
        std::env::var("BENCH_IDLE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(120),
    );
    let sim = simulator(USERS).await;
    let p = Process::start(&sim);
    // Every customer has a ticket: what follows measures their follow-ups.
    for id in 1..=USERS {
        sim.send_text(id, "warm-up");
    }
    p.wait_filed(USERS).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let c0 = p.cpu();
    tokio::time::sleep(idle_window).await;
    let idle = (p.cpu() - c0) / idle_window.as_secs_f64();
    let c0 = p.cpu();
    let s0 = sim.stats();
    let start = Instant::now();
    for i in 0..BURST {
        sim.send_text(1 + i % USERS, &format!("b-{i}"));
    }
    p.wait_filed(USERS + BURST).await;
    let burst = (p.cpu() - c0, start.elapsed());
    let s1 = sim.stats();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let n = (RATE * STEADY_SECS) as i64;
    let c0 = p.cpu();
    let s2 = sim.stats();
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / RATE));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for i in 0..n {
        tick.tick().await;
        sim.send_text(1 + i % USERS, &format!("s-{i}"));
    }
    p.wait_filed(USERS + BURST + n).await;
    let steady = (p.cpu() - c0, start.elapsed());
    let s3 = sim.stats();
    let per_k = |cpu: f64, n: i64| cpu / n as f64 * 1000.0;
    println!("cpu: idle {:.3}% of a core ({idle_window:?})", idle * 100.0);
    println!(
        "cpu: burst of {BURST}: {:.2} CPU-s in {:.1?}, {:.3} CPU-s per 1,000 messages",
        burst.0,
        burst.1,
        per_k(burst.0, BURST)
    );
    println!(
        "cpu: steady {RATE}/s for {STEADY_SECS} s ({n} messages): {:.2} CPU-s in {:.1?}, {:.3} CPU-s per 1,000 messages ({:.1}x the burst)",
        steady.0,
        steady.1,
        per_k(steady.0, n),
        per_k(steady.0, n) / per_k(burst.0, BURST)
    );
    // How many answers the messages came in, and what the bot sent back.
    println!(
        "cpu: getUpdates answered: {} in the burst, {} in the steady part; messages sent: {} and {}",
        s1.get_updates - s0.get_updates,
        s3.get_updates - s2.get_updates,
        s1.sent - s0.sent,
        s3.sent - s2.sent,
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let durability = common::durability_arg();
    println!("durability: {durability:?}");
    // `-- outbox` (or throughput, latency) runs one part only.
    let only = |part: &str| {
        !args
            .iter()
            .any(|a| ["throughput", "latency", "outbox", "cpu"].contains(&a.as_str()))
            || args.iter().any(|a| a == part)
    };
    if only("throughput") {
        throughput(durability).await;
    }
    if only("latency") {
        latency(durability).await;
    }
    if only("outbox") {
        outbox(durability).await;
    }
    if only("cpu") {
        cpu().await;
    }
}
