//! Customer groups on the workstation, end to end (issue 15): a client's
//! forum through the simulator, the real relay-server, two engineers (one
//! answering in Telegram, one from the workstation over the protocol).
//! Every conversation and every alert of a scripted transcript equals what
//! this test states by hand; the alert reaches the workstation and the
//! staff chat; a staff reply in Telegram clears it; the conversation
//! becomes a ticket whose reply lands in the right topic as a reply.

use std::time::Duration;

use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::*;
use shared::*;

const WAIT: Duration = Duration::from_secs(30);
const FORUM: i64 = -1_001_000_000_701;
const TITLE: &str = "Acme ⇄ Support";
const STAFF_CHAT: i64 = -1_001_000_000_777;
const TOPIC: i64 = 7;
const OLGA: i64 = 7801;
const PETR: i64 = 7802;
const CHEN: i64 = 7803;
const IRA: i64 = 7891;
const MAX: i64 = 7892;

/// The conversation holding Telegram message `id` of the forum.
fn conversation_of(m: &relay_client::Mirror, id: i64) -> Option<ConversationId> {
    m.group_messages.iter().find_map(|(c, msgs)| {
        msgs.values()
            .any(|g| g.chat_id == FORUM && g.telegram_message_id == Some(id))
            .then_some(*c)
    })
}

/// A conversation's messages as (author, text), in order.
fn said(m: &relay_client::Mirror, c: ConversationId) -> Vec<(String, String)> {
    m.group_messages
        .get(&c)
        .map(|msgs| {
            msgs.values()
                .map(|g| (g.author_name.clone(), g.text.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn owed(m: &relay_client::Mirror, c: ConversationId) -> bool {
    m.conversations
        .get(&c)
        .is_some_and(|c| c.owed_since.is_some())
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forum_transcript_its_conversations_alerts_and_a_ticket_in_the_topic() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    for (id, name) in [
        (OLGA, "Olga"),
        (PETR, "Petr"),
        (CHEN, "Chen"),
        (IRA, "Ira"),
        (MAX, "Max"),
    ] {
        sim.add_user(SimUser::new(id, name, "en"));
    }
    sim.group_join(STAFF_CHAT, "Support staff", IRA);
    let (_dir, db) = fresh_db(0);
    let ira = add_agent(&db, "ira", "agent", "L1");
    add_agent(&db, "max", "agent", "L1");
    cli_ok(&db, &["agent", "link", "ira", &IRA.to_string()]);
    cli_ok(&db, &["agent", "link", "max", &MAX.to_string()]);
    // A one-minute reply SLA, warned 45 s ahead (15 s after the question).
    cli_ok(
        &db,
        &["org", "add", "Acme", "--queue", "L1", "--reply-sla", "1m"],
    );
    let (token, url) = (sim.token(), sim.api_url());
    let server = Server::start(
        &db,
        &[
            ("TELEGRAM_BOT_TOKEN", token.as_str()),
            ("TELEGRAM_API_URL", url.as_str()),
            ("RELAY_TELEGRAM__POLL_TIMEOUT_SECS", "1"),
            ("RELAY_BOT__MODE", "direct"),
            ("RELAY_BOT__CONSENT", "false"),
            ("RELAY_STAFF__CHAT_ID", &STAFF_CHAT.to_string()),
            ("RELAY_GROUPS__WARN_BEFORE", "45s"),
        ],
    );
    let mut ws = Client::connect(&server.ws_url(), &ira, None).await;

    // 1. Olga asks in topic 7 (the bot first sees the forum here).
    let olga_q = sim.group_text(
        FORUM,
        TITLE,
        OLGA,
        "Hello! Our export fails with error 502",
        Some(TOPIC),
    );
    // Unbound, the workstation of an agent sees nothing of it.
    let deadline = std::time::Instant::now() + WAIT;
    while !cli_ok(&db, &["group", "list"]).contains("UNBOUND") {
        assert!(std::time::Instant::now() < deadline, "the forum is listed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ws.settle().await;
    assert!(
        ws.mirror.groups.is_empty(),
        "an unbound group is a supervisor's"
    );
    cli_ok(&db, &["group", "bind", &FORUM.to_string(), "Acme"]);
    // Binding changes what Ira reads: her workstation is brought up to
    // date, with the conversation, already owed.
    ws.until("the bound group and Olga's topic", WAIT, |m| {
        conversation_of(m, olga_q).is_some_and(|c| owed(m, c))
    })
    .await;
    let topic = conversation_of(&ws.mirror, olga_q).unwrap();
    assert_eq!(ws.mirror.conversations[&topic].thread_id, Some(TOPIC));
    assert_eq!(ws.mirror.conversations[&topic].opened_by, "Olga");

    // 2. Petr adds to the topic: the same conversation, still owed from Olga.
    let petr_topic = sim.group_text(FORUM, TITLE, PETR, "Same for us since 9:00", Some(TOPIC));
    // 3. Chen asks in General; 4. Olga's "ok" in General opens nothing.
    let chen_q = sim.group_text(FORUM, TITLE, CHEN, "How do I add a user?", None);
    sim.group_text(FORUM, TITLE, OLGA, "ok", None);
    ws.until("Chen's question", WAIT, |m| {
        conversation_of(m, chen_q).is_some() && conversation_of(m, petr_topic) == Some(topic)
    })
    .await;
    let general = conversation_of(&ws.mirror, chen_q).unwrap();
    assert_ne!(general, topic);
    // 5. Max answers Chen in Telegram, as a reply: answered.
    let max_a = sim.group_reply(FORUM, TITLE, MAX, "Settings > Users > Invite", chen_q);
    ws.until("Max's answer clears Chen's question", WAIT, |m| {
        conversation_of(m, max_a) == Some(general) && !owed(m, general)
    })
    .await;
    // 6. Petr follows up on Max's answer (the reply chain): owed again.
    let petr_q = sim.group_reply(
        FORUM,
        TITLE,
        PETR,
        "Where is Settings? I only see Profile",
        max_a,
    );
    ws.until("Petr's follow-up joins the chain", WAIT, |m| {
        conversation_of(m, petr_q) == Some(general) && owed(m, general)
    })
    .await;
    // 7. Ira answers from the workstation: a reply to Petr in the group.
    let answer = "Petr, Settings is under your avatar, top right";
    expect_ok(
        &ws.cmd(Command::GroupReply {
            conversation_id: general,
            text: answer.into(),
        })
        .await,
    );
    assert!(!owed(&ws.mirror, general), "answered at once");
    let sent = sim
        .wait_sent(FORUM, 1, WAIT)
        .await
        .expect("the answer reaches the group");
    assert_eq!(sent[0].text.as_deref(), Some(answer));
    assert_eq!(sent[0].reply_to, Some(petr_q), "as a reply to Petr");
    assert_eq!(sent[0].thread_id, None, "in General");
    let ira_msg = sent[0].message_id;
    ws.until("the answer delivered", WAIT, |m| {
        m.group_messages[&general].values().any(|g| {
            g.telegram_message_id == Some(ira_msg)
                && g.delivery.as_ref().map(|d| d.state) == Some(DeliveryState::Sent)
        })
    })
    .await;
    assert_eq!(
        said(&ws.mirror, general),
        pairs(&[
            ("Chen", "How do I add a user?"),
            ("Max", "Settings > Users > Invite"),
            ("Petr", "Where is Settings? I only see Profile"),
            ("ira", answer),
        ])
    );

    // Olga's topic waits: warned 15 s after her question, alerted at the
    // minute, on the workstation and in the staff chat.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while !ws
        .received
        .group_alerts
        .iter()
        .any(|a| a.level == SlaLevel::Breach)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no breach alert: {:?}",
            ws.received.group_alerts
        );
        let _ = tokio::time::timeout(Duration::from_secs(1), ws.pump()).await;
    }
    let alerts: Vec<(ConversationId, SlaLevel, String, String)> = ws
        .received
        .group_alerts
        .iter()
        .map(|a| {
            (
                a.conversation_id,
                a.level,
                a.who.clone(),
                a.organisation.clone(),
            )
        })
        .collect();
    assert_eq!(
        alerts,
        [
            (topic, SlaLevel::Warning, "Olga".into(), "Acme".into()),
            (topic, SlaLevel::Breach, "Olga".into(), "Acme".into()),
        ],
        "one warning and one breach, for Olga's topic only"
    );
    let staff = sim
        .wait_sent(STAFF_CHAT, 1, WAIT)
        .await
        .expect("staff chat");
    assert_eq!(staff.len(), 1);
    let post = staff[0].text.clone().unwrap();
    assert!(
        post.starts_with("🔴 Unanswered in Acme · Acme ⇄ Support: Olga waiting 1m")
            && post.ends_with("«Hello! Our export fails with error 502»"),
        "{post}"
    );

    // 8. Max answers in the topic in Telegram: the clock stops.
    let max_t = sim.group_text(
        FORUM,
        TITLE,
        MAX,
        "We see it too, a fix is rolling out",
        Some(TOPIC),
    );
    ws.until("the topic answered", WAIT, |m| {
        conversation_of(m, max_t) == Some(topic) && !owed(m, topic)
    })
    .await;

    // 9. Ira makes the topic a ticket; the group is told its number in
    // the topic; her reply to the ticket lands in the topic, as a reply.
    let made = ws
        .cmd(Command::GroupTicket {
            conversation_id: topic,
        })
        .await;
    let (ticket, number) = match made {
        ServerMessage::Ok {
            result: CommandResult::Ticket { ticket_id, number },
            ..
        } => (ticket_id, number),
        other => panic!("no ticket: {other:?}"),
    };
    ws.until("the ticket", WAIT, |m| m.tickets.contains_key(&ticket))
        .await;
    assert_eq!(ws.mirror.conversations[&topic].ticket_id, Some(ticket));
    let customer = ws.mirror.tickets[&ticket].customer_id;
    assert_eq!(ws.mirror.customers[&customer].telegram_user_id, OLGA);
    let told = sim
        .wait_sent(FORUM, 2, WAIT)
        .await
        .expect("told the number");
    assert_eq!(
        told[1].text.as_deref(),
        Some(
            format!(
                "We have opened ticket #{number} for this question. We will answer here, in this thread."
            )
            .as_str()
        )
    );
    assert_eq!(told[1].thread_id, Some(TOPIC), "in the topic");
    let reply = ws
        .reply(ticket, "Olga, the fix is live: try the export again")
        .await;
    let sent = sim
        .wait_sent(FORUM, 3, WAIT)
        .await
        .expect("the ticket reply");
    assert_eq!(
        sent[2].text.as_deref(),
        Some("Olga, the fix is live: try the export again")
    );
    assert_eq!(sent[2].thread_id, Some(TOPIC), "in the topic");
    assert_eq!(
        sent[2].reply_to,
        Some(petr_topic),
        "as a reply to the client's last message there"
    );
    ws.until_delivery(ticket, reply, DeliveryState::Sent, WAIT)
        .await;
    // 10. Olga writes again in the topic: it joins the ticket.
    sim.group_text(FORUM, TITLE, OLGA, "Works now, thank you!", Some(TOPIC));
    ws.until("Olga's words in the ticket", WAIT, |m| {
        m.messages
            .get(&ticket)
            .is_some_and(|ms| ms.values().any(|x| x.text == "Works now, thank you!"))
    })
    .await;
    assert_eq!(
        said(&ws.mirror, topic),
        pairs(&[
            ("Olga", "Hello! Our export fails with error 502"),
            ("Petr", "Same for us since 9:00"),
            ("Max", "We see it too, a fix is rolling out"),
            (
                "Support desk",
                &format!(
                    "We have opened ticket #{number} for this question. We will answer here, in this thread."
                )
            ),
            ("ira", "Olga, the fix is live: try the export again"),
            ("Olga", "Works now, thank you!"),
        ])
    );
    // Nothing more was alerted, and no conversation is left waiting.
    assert_eq!(ws.received.group_alerts.len(), 2);
    assert!(!owed(&ws.mirror, topic) && !owed(&ws.mirror, general));
    assert_eq!(ws.mirror.conversations.len(), 2, "two conversations");
}
