//! Routing, assignment and SLA escalation end to end: the real relay-server
//! binary runs the bot against the Telegram simulator, a VIP customer
//! writes, and the warning and the breach reach the engineer's workstation
//! (agent-tui's app, headless) and the staff chat, and the escalation
//! moves the ticket to L2, where the lead gets it.

use std::time::Duration;

use agent_tui::config::FileConfig;
use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::*;
use shared::*;

const WAIT: Duration = Duration::from_secs(30);
const STAFF: i64 = -1_001_000_000_077;

/// The default queues, with a VIP first reply short enough to watch: 8 s,
/// warned 5 s before.
const CONFIG: &str = r#"
[[queues]]
id = "L1"
name = "L1 general"
first_reply = "15m"
next_reply = "30m"
resolution = "4h"

[[queues]]
id = "L2"
name = "L2 experts"
first_reply = "30m"
next_reply = "1h"
resolution = "24h"

[[queues]]
id = "VIP"
name = "VIP concierge"
first_reply = "8s"
next_reply = "15m"
resolution = "4h"
announce = true
warn_before = ["5s"]
on_warning = ["staff_chat"]
on_breach = ["staff_chat", "alert_lead", "move:L2"]

[[queues]]
id = "SECURITY"
name = "Security and payments"
first_reply = "1m"
next_reply = "10m"
resolution = "4h"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vip_ticket_is_assigned_warned_breached_and_escalated() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(5150, "Victoria", "en"));
    sim.group_join(STAFF, "Support staff", 9000);
    let (dir, db) = fresh_db(0);
    let config = dir.path().join("relay.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let vera = add_agent(&db, "vera", "agent", "VIP");
    let lead = add_agent(&db, "lead", "supervisor", "L2");
    // Marked VIP before they ever write.
    assert!(cli_ok(&db, &["customer", "vip", "5150"]).contains("is VIP"));
    let (tg_token, tg_url) = (sim.token(), sim.api_url());
    let server = Server::start(
        &db,
        &[
            ("RELAY_CONFIG", config.to_str().unwrap()),
            ("TELEGRAM_BOT_TOKEN", tg_token.as_str()),
            ("TELEGRAM_API_URL", tg_url.as_str()),
            ("RELAY_TELEGRAM__POLL_TIMEOUT_SECS", "1"),
            ("RELAY_BOT__MODE", "direct"),
            ("RELAY_BOT__CONSENT", "false"),
            ("RELAY_STAFF__CHAT_ID", &STAFF.to_string()),
            ("RELAY_ASSIGNMENT__AUTO", "true"),
        ],
    );
    // Vera's workstation: online, she takes VIP chats.
    let mut ws = workstation(
        &server.ws_url(),
        &vera,
        FileConfig::default(),
        Some(dir.path()),
    );
    assert!(
        ws.pump_until(WAIT, |a| a.me.as_ref().is_some_and(|m| a
            .mirror
            .agents
            .get(&m.id)
            .is_some_and(|m| m.presence == Presence::Online)))
            .await,
        "vera shows online"
    );
    let mut boss = Client::connect(&server.ws_url(), &lead, None).await;
    let vera_id = ws.app.me.as_ref().unwrap().id;

    sim.send_text(5150, "My payout is stuck and I fly in an hour");
    // Filed, then assigned (the customer hears "created" before "taken").
    assert!(
        ws.pump_until(WAIT, |a| ticket_of(&a.mirror, 5150).is_some_and(|t| a
            .mirror
            .tickets[&t]
            .assignee
            .is_some()))
            .await,
        "the ticket reaches the workstation, assigned"
    );
    let t = ticket_of(&ws.app.mirror, 5150).unwrap();
    let ticket = ws.app.mirror.tickets[&t].clone();
    assert_eq!(ticket.queue, QueueId::new("VIP"), "routed by the VIP rule");
    assert_eq!(
        ticket.assignee,
        Some(vera_id),
        "assigned to the online VIP agent"
    );
    let due = ticket.sla.first_reply_due.expect("a first-reply deadline");
    assert_eq!(due.0 - ticket.created_at.0, 8_000);

    // The warning, 5 s before, on the workstation and in the staff chat.
    let n = ticket.number;
    assert!(
        ws.pump_until(WAIT, |a| a.flash.as_ref().is_some_and(|f| f
            .text
            .starts_with(&format!("SLA warning: #{n} first reply due in"))))
            .await,
        "the warning reaches the workstation: {:?}",
        ws.app.flash
    );
    // Then the breach.
    assert!(
        ws.pump_until(WAIT, |a| a.flash.as_ref().is_some_and(|f| f
            .text
            .starts_with(&format!("SLA breach: #{n} first reply missed"))))
            .await,
        "the breach reaches the workstation: {:?}",
        ws.app.flash
    );
    let staff = sim
        .wait_sent(STAFF, 3, WAIT)
        .await
        .expect("three staff chat posts");
    let texts: Vec<&str> = staff.iter().filter_map(|m| m.text.as_deref()).collect();
    assert!(
        texts[0].starts_with(&format!("🆕 New VIP concierge ticket #{n} from Victoria")),
        "{texts:?}"
    );
    assert!(texts[0].ends_with("· vera"), "{texts:?}");
    assert!(
        texts[1].starts_with(&format!("⚠️ SLA warning: #{n} (VIP) first reply due in")),
        "{texts:?}"
    );
    assert!(
        texts[2].starts_with(&format!("🔴 SLA breach: #{n} (VIP) first reply was due")),
        "{texts:?}"
    );

    // The escalation moved it to L2: vera does not work L2, so the online
    // lead got it, with notes saying why.
    boss.until("the ticket is in L2 with the lead", WAIT, |m| {
        m.tickets
            .get(&t)
            .is_some_and(|t| t.queue == QueueId::new("L2") && t.assignee == Some(boss_id(m)))
    })
    .await;
    let notes: Vec<&str> = boss.mirror.messages[&t]
        .values()
        .filter(|m| m.kind == MessageKind::Note)
        .map(|m| m.text.as_str())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("Lead alerted: @lead")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.starts_with("Escalated to L2")),
        "{notes:?}"
    );
    let after = &boss.mirror.tickets[&t];
    let first = after
        .sla
        .targets
        .iter()
        .find(|s| s.target == SlaTarget::FirstReply)
        .unwrap();
    assert_eq!(first.status, SlaStatus::Missed);
    assert_eq!(first.at, Some(due));
}

fn boss_id(m: &relay_client::Mirror) -> AgentId {
    m.agents
        .values()
        .find(|a| a.name == "lead")
        .map(|a| a.id)
        .expect("the lead")
}
