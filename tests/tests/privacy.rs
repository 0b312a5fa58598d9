//! Customers' personal data and the logs (issue 14): card numbers, e-mail
//! addresses and phone numbers sent through the whole path (Telegram, the
//! relay server, an engineer's reply, the workstation) at trace level
//! leave no raw trace in any log.

use std::time::Duration;

use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::*;
use shared::*;

const WAIT: Duration = Duration::from_secs(30);

/// What customers paste, as they paste it.
const CORPUS: &[&str] = &[
    "4111 1111 1111 1111",
    "5500-0000-0000-0004",
    "378282246310005",
    "6011000990139424",
    "olena.k+billing@mail.example.com",
    "ivan_99@gmail.com",
    "+380 50 123 45 67",
    "+1 (555) 123-4567",
    "+447946095812",
    "050 123 45 67",
];

/// The forms a logger may write an item in: as typed, and its digits
/// alone (a JSON body, a debug print), for numbers.
fn raw_forms(item: &str) -> Vec<String> {
    let mut forms = vec![item.to_owned()];
    if !item.contains('@') {
        let digits: String = item.chars().filter(char::is_ascii_digit).collect();
        forms.push(digits);
    }
    forms
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_numbers_emails_and_phones_never_reach_the_logs() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(31, "Olena", "uk"));
    let (dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1");
    let (tg_token, tg_url) = (sim.token(), sim.api_url());
    let server = Server::start(
        &db,
        &[
            ("TELEGRAM_BOT_TOKEN", tg_token.as_str()),
            ("TELEGRAM_API_URL", tg_url.as_str()),
            ("RELAY_TELEGRAM__POLL_TIMEOUT_SECS", "1"),
            ("RELAY_BOT__MODE", "direct"),
            ("RELAY_BOT__CONSENT", "false"),
            ("RUST_LOG", "trace"),
        ],
    );
    // The workstation too (in this process), logging at trace to a file
    // through the writer agent-tui's own log uses.
    let tui_log = dir.path().join("agent-tui.log");
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_writer(pii::MaskedFile::new(
            std::fs::File::create(&tui_log).unwrap(),
        ))
        .with_ansi(false)
        .init();
    let mut ws = workstation(
        &server.ws_url(),
        &token,
        agent_tui::config::FileConfig::default(),
        Some(dir.path()),
    );
    let mut agent = Client::connect(&server.ws_url(), &token, None).await;
    for item in CORPUS {
        sim.send_text(31, &format!("мої дані: {item}"));
    }
    agent
        .until("every message filed", WAIT, |m| {
            ticket_of(m, 31).is_some_and(|t| m.messages[&t].len() >= CORPUS.len())
        })
        .await;
    let t = ticket_of(&agent.mirror, 31).unwrap();
    // Stored as written (masking what is stored is off by default).
    let stored: Vec<&str> = agent.mirror.messages[&t]
        .values()
        .map(|m| m.text.as_str())
        .collect();
    for item in CORPUS {
        assert!(stored.iter().any(|s| s.contains(item)), "{item} filed");
    }
    // The engineer's reply repeats them; it reaches Telegram.
    let reply = format!("Отримали: {}", CORPUS.join("; "));
    let mid = agent.reply(t, &reply).await;
    agent
        .until_delivery(t, mid, DeliveryState::Sent, WAIT)
        .await;
    assert!(
        ws.pump_until(WAIT, |a| a
            .mirror
            .messages
            .get(&t)
            .is_some_and(|ms| ms.contains_key(&mid)))
            .await
    );
    drop(ws);
    drop(server);

    let server_log = std::fs::read_to_string(db.with_extension("log")).unwrap();
    assert!(server_log.contains("TRACE"), "the server logged at trace");
    let tui = std::fs::read_to_string(&tui_log).unwrap();
    // It logs little (its libraries log through `log`, not `tracing`),
    // but what it logs goes through the same masking.
    assert!(tui.contains("connected agent=alice"), "{tui}");
    let logs = [("relay-server", server_log), ("agent-tui", tui)];
    let mut hits = Vec::new();
    for (who, log) in &logs {
        for item in CORPUS {
            for form in raw_forms(item) {
                if log.contains(&form) {
                    hits.push(format!("{who}: {form}"));
                }
            }
        }
    }
    assert!(hits.is_empty(), "raw personal data in the logs: {hits:?}");
    // What is logged is masked, not dropped: the card keeps its ends.
    let masked = ["[email]", "[phone]", "4111 11** **** 1111"];
    let seen: Vec<_> = masked.iter().filter(|m| logs[0].1.contains(*m)).collect();
    assert_eq!(
        seen.len(),
        masked.len(),
        "what the trace log carries, masked: {seen:?}"
    );
}

/// A customer asks for their data: `customer export` writes their profile,
/// every ticket (closed ones too) with its messages, and the files this
/// server keeps; engineers' notes only when asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_data_export_holds_their_tickets_and_messages() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(41, "Mariia", "uk"));
    sim.add_user(SimUser::new(42, "Someone Else", "en"));
    let (dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1");
    let server = Server::start_direct_bot(&db, "127.0.0.1:0", &sim);
    let mut agent = Client::connect(&server.ws_url(), &token, None).await;
    sim.send_text(41, "Замовлення 1 не прийшло");
    sim.send_text(42, "not hers");
    agent
        .until("two tickets", WAIT, |m| {
            ticket_of(m, 41).is_some() && ticket_of(m, 42).is_some()
        })
        .await;
    let first = ticket_of(&agent.mirror, 41).unwrap();
    agent.reply(first, "Перевіряю").await;
    expect_ok(
        &agent
            .cmd(Command::Note {
                ticket_id: first,
                text: "internal: courier lost it".into(),
            })
            .await,
    );
    expect_ok(
        &agent
            .cmd(Command::SetStatus {
                ticket_id: first,
                status: TicketStatus::Closed,
            })
            .await,
    );
    sim.send_text(41, "І ще питання");
    agent
        .until("a second ticket", WAIT, |m| {
            ticket_of(m, 41).is_some_and(|t| t != first)
        })
        .await;
    drop(server);

    let out = dir.path().join("export-41");
    let said = cli_ok(
        &db,
        &["customer", "export", "41", "--to", out.to_str().unwrap()],
    );
    assert!(
        said.contains("2 tickets") && said.contains("1 internal notes left out"),
        "{said}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("export.json")).unwrap()).unwrap();
    assert_eq!(json["format"], "relay-server customer export 1");
    assert_eq!(json["customer"]["telegram_user_id"], 41);
    let texts: Vec<&str> = json["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["messages"].as_array().unwrap())
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    for t in ["Замовлення 1 не прийшло", "Перевіряю", "І ще питання"]
    {
        assert!(texts.contains(&t), "{t} in {texts:?}");
    }
    assert!(
        !texts
            .iter()
            .any(|t| t.contains("not hers") || t.contains("courier"))
    );
    assert_eq!(json["tickets"][0]["ticket"]["status"], "closed");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&out), 0o700);
        assert_eq!(mode(&out.join("export.json")), 0o600);
    }
    // With --notes, the engineers' notes too; never over an existing export.
    let with_notes = dir.path().join("export-41-notes");
    cli_ok(
        &db,
        &[
            "customer",
            "export",
            "41",
            "--notes",
            "--to",
            with_notes.to_str().unwrap(),
        ],
    );
    let body = std::fs::read_to_string(with_notes.join("export.json")).unwrap();
    assert!(body.contains("internal: courier lost it"));
    let again = cli(
        &db,
        &["customer", "export", "41", "--to", out.to_str().unwrap()],
    );
    assert!(!again.status.success());
    let unknown = cli(
        &db,
        &[
            "customer",
            "export",
            "999",
            "--to",
            dir.path().join("x").to_str().unwrap(),
        ],
    );
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no customer with Telegram user id 999")
    );
}
