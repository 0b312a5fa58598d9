//! The README's first command: `relay-server demo` serves sample tickets,
//! prints a working token, keeps customers writing in, and cleans up.

use std::io::{BufRead, BufReader};
use std::process::{Command as Proc, Stdio};

use e2e::*;
use shared::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_serves_sample_tickets_and_live_customers() {
    let mut child = Proc::new(relay_server_bin())
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--customers",
            "8",
            "--every",
            "1",
        ])
        .env("RELAY_LOG", "warn")
        .env_remove("RELAY_CONFIG")
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
    assert_eq!(c.mirror.tickets.len(), 8);
    let languages: std::collections::BTreeSet<_> = c
        .mirror
        .customers
        .values()
        .filter_map(|c| c.language.clone())
        .collect();
    assert!(languages.len() >= 4, "{languages:?}");
    // Scripted customers keep writing: new messages arrive live.
    let start = c.mirror.seq;
    while c.mirror.seq.0 < start.0 + 4 {
        assert!(c.pump().await);
    }
    let _ = Proc::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
    let dir = std::path::Path::new(&db).parent().unwrap().to_path_buf();
    assert!(!dir.exists(), "{} left behind", dir.display());
}
