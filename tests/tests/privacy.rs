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
        .until("the reply sent", WAIT, |m| {
            m.messages[&t][&mid]
                .delivery
                .as_ref()
                .is_some_and(|d| d.state == DeliveryState::Sent)
        })
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
