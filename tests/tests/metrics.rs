//! Prometheus `/metrics` on its own listener (docs/operations.md,
//! "Metrics"): what the server counted while a customer wrote and an
//! engineer answered, in an exposition `promtool check metrics` accepts.

use std::io::Write;
use std::process::{Command as Proc, Stdio};
use std::time::{Duration, Instant};

use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::*;
use shared::*;

const WAIT: Duration = Duration::from_secs(30);

/// The value of one sample (`name` with its labels, as written).
fn sample(body: &str, name: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

fn scrape(addr: &str) -> String {
    let got = http_get(addr, "/metrics", None);
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!(
        got.contains("content-type: text/plain; version=0.0.4"),
        "{got}"
    );
    got.split_once("\r\n\r\n").unwrap().1.to_owned()
}

/// promtool's verdict on an exposition: its complaints, if any.
fn promtool(body: &str) -> (bool, String) {
    let mut child = Proc::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package; .ci/run installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_happened_and_promtool_accepts_them() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(61, "Iryna", "uk"));
    let (_dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1");
    let metrics = free_address();
    let server =
        Server::start_durable_direct_bot_with(&db, &sim, &[("RELAY_METRICS__LISTEN", &metrics)]);
    // Nothing happened yet: every family is there, at zero.
    let before = scrape(&metrics);
    let (ok, said) = promtool(&before);
    assert!(ok, "promtool refused:\n{said}\n{before}");
    assert_eq!(
        sample(&before, "relay_messages_filed_total{source=\"private\"}"),
        Some(0.0)
    );
    assert_eq!(
        sample(&before, "relay_build_info{version=\"0.1.0\"}"),
        Some(1.0)
    );

    let mut agent = Client::connect(&server.ws_url(), &token, None).await;
    for text in ["Привіт", "Замовлення не прийшло", "Номер 4471"] {
        sim.send_text(61, text);
    }
    agent
        .until("three messages filed", WAIT, |m| {
            ticket_of(m, 61).is_some_and(|t| {
                m.messages[&t]
                    .values()
                    .filter(|x| matches!(x.author, Author::Customer { .. }))
                    .count()
                    == 3
            })
        })
        .await;
    let t = ticket_of(&agent.mirror, 61).unwrap();
    let mid = agent.reply(t, "Перевіряю").await;
    agent
        .until_delivery(t, mid, DeliveryState::Sent, WAIT)
        .await;

    // The delivery is recorded just after Telegram's answer: wait for it.
    let deadline = Instant::now() + WAIT;
    let after = loop {
        let body = scrape(&metrics);
        if sample(&body, "relay_telegram_sends_total{outcome=\"delivered\"}")
            .is_some_and(|n| n >= 1.0)
        {
            break body;
        }
        assert!(Instant::now() < deadline, "no delivery counted:\n{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (ok, said) = promtool(&after);
    assert!(ok, "promtool refused:\n{said}\n{after}");
    assert_eq!(
        sample(&after, "relay_messages_filed_total{source=\"private\"}"),
        Some(3.0)
    );
    assert!(sample(&after, "relay_telegram_updates_received_total").unwrap() >= 3.0);
    assert_eq!(sample(&after, "relay_ws_clients"), Some(1.0));
    assert!(sample(&after, "relay_telegram_send_duration_seconds_count").unwrap() >= 1.0);
    assert!(sample(&after, "relay_writer_commit_duration_seconds_count").unwrap() >= 1.0);
    assert!(sample(&after, "relay_ws_event_lag_seconds_count").unwrap() >= 1.0);
    assert_eq!(
        sample(&after, "relay_outbox_messages{state=\"pending\"}"),
        Some(0.0)
    );
    assert!(sample(&after, "relay_event_log_head").unwrap() > 0.0);
    assert!(sample(&after, "process_open_fds").unwrap() > 0.0);

    // The workstation goes: the gauge follows.
    drop(agent);
    let deadline = Instant::now() + WAIT;
    while sample(&scrape(&metrics), "relay_ws_clients") != Some(0.0) {
        assert!(Instant::now() < deadline, "the client is still counted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Only /metrics is served there.
    assert!(http_get(&metrics, "/v1/ws", None).starts_with("HTTP/1.1 404"));
}

#[test]
fn a_metrics_address_that_is_not_one_is_refused_at_start() {
    let (_dir, db) = fresh_db(0);
    let out = Proc::new(relay_server_bin())
        .arg("--db")
        .arg(&db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RELAY_METRICS__LISTEN", "localhost")
        .env_remove("RELAY_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("metrics.listen") && err.contains("127.0.0.1:9464"),
        "{err}"
    );
}
