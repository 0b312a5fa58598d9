//! Customer groups under load: the unanswered-chat alert on time.
//!
//!   cargo bench -p relay-server --bench groups [-- --groups 1000 --minutes 4 --durability normal]
//!
//! An in-process relay server (its real scheduler) on a temporary SQLite
//! file, with 1,000 bound client groups (a 1-minute reply SLA, warned 20 s
//! ahead) and traffic of 10 messages a minute in each: 10,000 a minute,
//! written in batches every 100 ms as the Telegram processor files them.
//! Four in five are a client's question (a new or waiting conversation),
//! one in five a staff answer in the group. Measured:
//!
//! - alert latency: from a conversation's due time to the commit of its
//!   `group_alert` (the event the workstations get; the staff chat's post
//!   is queued in the same transaction), for breaches and for warnings;
//! - intake: how long a batch of group messages takes to file.

// The server start only; the URL and token are the sync bench's.
#[allow(dead_code)]
mod common;
mod util;

use std::time::{Duration, Instant};

use relay_server::domain::groups::intake::{self, GroupMessage};
use relay_server::settings::Settings;
use relay_server::store::groups::{self as rows, Organisation};
use shared::*;
use util::{Rng, arg};

const PER_MINUTE: u64 = 10;
const CLIENTS_PER_GROUP: i64 = 5;
const TICK: Duration = Duration::from_millis(100);

fn chat(g: u64) -> i64 {
    -1_002_000_000_000 - g as i64
}

fn staff(g: u64) -> i64 {
    9_000_000 + g as i64
}

fn pct(mut v: Vec<i64>) -> String {
    if v.is_empty() {
        return "none".into();
    }
    v.sort_unstable();
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p) as usize];
    format!(
        "p50 {} ms, p99 {} ms, max {} ms (n = {})",
        at(0.5),
        at(0.99),
        v.last().unwrap(),
        v.len()
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let groups = arg("--groups", 1000u64);
    let minutes = arg("--minutes", 4u64);
    let mut settings = Settings::defaults();
    settings.durability = common::durability_arg();
    settings.staff.chat_id = -1_000_000_000_777;
    settings.groups.warn_before = "20s".into();
    let run = common::start(settings).await;
    let store = run.store.clone();

    // 1,000 groups of one organisation, each with its staff member.
    store
        .write(move |ctx| {
            let org = rows::add_organisation(
                ctx,
                &Organisation {
                    id: 0,
                    name: "Bench".into(),
                    vip: false,
                    queue: "L1".into(),
                    calendar: String::new(),
                    reply_sla_ms: 60_000,
                    language: "en".into(),
                    app_shared: false,
                },
            )?;
            for g in 0..groups {
                rows::seen_group(ctx, chat(g), &format!("Client {g}"), false, None)?;
                rows::bind(ctx, chat(g), Some(org))?;
                rows::set_person(ctx, chat(g), staff(g), true)?;
            }
            Ok::<_, relay_server::store::StoreError>(())
        })
        .await
        .expect("groups");

    // What the workstations would be sent: alerts, with their commit time.
    let mut events = store.subscribe();
    let collector = tokio::spawn(async move {
        let (mut breach, mut warning) = (Vec::new(), Vec::new());
        loop {
            match events.recv().await {
                Ok(e) => {
                    if let Some(Event::GroupAlert { alert }) = &e.event {
                        match alert.level {
                            SlaLevel::Breach if alert.repeat == 0 => {
                                breach.push(e.at.ms_since(alert.due))
                            }
                            SlaLevel::Warning => {
                                warning.push(e.at.ms_since(Timestamp(alert.due.0 - 20_000)))
                            }
                            _ => {}
                        }
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    eprintln!("collector lagged by {n} events");
                }
                Err(_) => return (breach, warning),
            }
        }
    });

    let per_tick = groups * PER_MINUTE * TICK.as_millis() as u64 / 60_000;
    println!(
        "{groups} groups, {PER_MINUTE} messages a minute each: {per_tick} messages every {TICK:?}, for {minutes} min"
    );
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut next_id = vec![1i64; groups as usize];
    let mut writes = Vec::new();
    let mut filed = 0u64;
    let started = Instant::now();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while started.elapsed() < Duration::from_secs(minutes * 60) {
        tick.tick().await;
        let now = store.now();
        let batch: Vec<GroupMessage> = (0..per_tick)
            .map(|_| {
                let g = rng.next() % groups;
                let id = next_id[g as usize];
                next_id[g as usize] += 1;
                let staff_answers = rng.next() % 5 == 0;
                let author = if staff_answers {
                    staff(g)
                } else {
                    1_000_000 + g as i64 * 10 + (rng.next() % CLIENTS_PER_GROUP as u64) as i64
                };
                GroupMessage {
                    chat_id: chat(g),
                    title: format!("Client {g}"),
                    forum: false,
                    message_id: id,
                    topic: None,
                    reply_to: None,
                    author_id: author,
                    author_name: format!("Person {author}"),
                    author_is_bot: false,
                    text: if staff_answers {
                        format!("We are on it ({id})")
                    } else {
                        // Each group's own words: the same text in three
                        // groups within 10 minutes is a spam campaign
                        // (docs/groups.md, "Safety").
                        format!("Question {id} of client {g}: the export fails with error 502")
                    },
                    sent_at: now,
                    ..GroupMessage::default()
                }
            })
            .collect();
        let desk = run.desk.clone();
        let n = batch.len() as u64;
        let t = Instant::now();
        store
            .write(move |ctx| {
                for m in &batch {
                    intake::message(ctx, &desk, m)?;
                }
                Ok::<_, relay_server::domain::DomainError>(())
            })
            .await
            .expect("filed");
        writes.push(t.elapsed().as_micros() as i64 / 1000);
        filed += n;
    }
    // Let the last due alerts fire, then stop.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let owed = store
        .readers()
        .read(rows::owed_count)
        .await
        .unwrap_or_default();
    run.shutdown.cancel();
    let _ = run.server.await;
    drop(store);
    drop(run.store);
    let (breach, warning) = collector.await.expect("collector");
    println!(
        "filed {filed} group messages in {:.0} s ({:.0}/s); {owed} conversations owed at the end",
        started.elapsed().as_secs_f64(),
        filed as f64 / started.elapsed().as_secs_f64()
    );
    println!("filing a batch of {per_tick}: {}", pct(writes));
    println!("breach alert after its due time: {}", pct(breach));
    println!("warning after its time: {}", pct(warning));
}
