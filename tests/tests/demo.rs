//! The README's first command: `desk-demo` runs the relay server and its bot
//! against a simulated Telegram with scripted customers, prints a working
//! token, and cleans up after itself.

use std::io::{BufRead, BufReader};
use std::process::{Command as Proc, Stdio};
use std::time::Duration;

use e2e::*;
use shared::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_the_bot_with_scripted_customers() {
    let mut child = Proc::new(desk_demo_bin())
        .args([
            "--listen",
            "127.0.0.1:0",
            "--customers",
            "8",
            "--pause-ms",
            "60",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut url, mut token, mut db) = (String::new(), String::new(), String::new());
    for line in lines.by_ref() {
        let line = line.unwrap();
        let line = line.trim();
        if let Some(v) = line.strip_prefix("websocket ") {
            url = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("token ") {
            token = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("database ") {
            db = v
                .trim()
                .trim_end_matches("(removed on exit)")
                .trim()
                .to_owned();
        } else if line.starts_with("Ctrl-C") {
            break;
        }
    }
    assert!(
        url.starts_with("ws://") && token.starts_with("rst_"),
        "{url} {token}"
    );
    let mut c = Client::connect(&url, &token, None).await;
    assert_eq!(c.welcome.agent.role, Role::Supervisor);
    // Customers arrive through the bot's dialogue (consent, topics,
    // questions; some are helped by the knowledge base and need no
    // ticket), in several languages.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let languages: std::collections::BTreeSet<_> = c
            .mirror
            .customers
            .values()
            .filter_map(|c| c.language.clone())
            .collect();
        if c.mirror.tickets.len() >= 4 && languages.len() >= 3 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} tickets, languages {languages:?}",
            c.mirror.tickets.len()
        );
        let _ = tokio::time::timeout(Duration::from_secs(5), c.pump()).await;
    }
    // A reply goes out through the simulated Telegram.
    let t = *c.mirror.tickets.keys().next().unwrap();
    let mid = c.reply(t, "Hello from the demo").await;
    c.until("the reply to be sent", Duration::from_secs(30), |m| {
        m.messages[&t][&mid]
            .delivery
            .as_ref()
            .is_some_and(|d| d.state != DeliveryState::Queued)
    })
    .await;
    let _ = Proc::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
    let dir = std::path::Path::new(&db).parent().unwrap().to_path_buf();
    assert!(!dir.exists(), "{} left behind", dir.display());
}
