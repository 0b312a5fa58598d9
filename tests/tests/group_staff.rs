//! Staff tools in a client's group, end to end (issue 15): linking an
//! engineer's Telegram account with a one-time code from the workstation,
//! `/bind` by a supervisor, `/m` posting a macro in the organisation's
//! language, a staff reaction and `/ticket` turning conversations into
//! tickets (the command messages removed), and Telegram's group facts told
//! to the staff chat: privacy mode, the bot's standing, a key contact
//! leaving.

use std::time::{Duration, Instant};

use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::*;
use shared::*;

const WAIT: Duration = Duration::from_secs(30);
const GROUP: i64 = -1_001_000_000_801;
const TITLE: &str = "Globex ops";
const STAFF_CHAT: i64 = -1_001_000_000_877;
const OLGA: i64 = 7901;
const PETR: i64 = 7902;
const CHEN: i64 = 7903;
const IRA: i64 = 7991;
const LEAD: i64 = 7992;

/// Waits until the staff chat has a post containing `needle`.
async fn staff_told(sim: &Simulator, needle: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(t) = sim
            .sent(STAFF_CHAT)
            .into_iter()
            .filter_map(|s| s.text)
            .find(|t| t.contains(needle))
        {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "the staff chat was not told {needle:?}: {:?}",
            sim.sent(STAFF_CHAT)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the bot posted in the group, but its pinned list of official
/// accounts (docs/groups.md, "Safety").
fn posts(sim: &Simulator) -> Vec<bot_api_sim::Sent> {
    sim.sent(GROUP)
        .into_iter()
        .filter(|s| !s.text.as_deref().is_some_and(|t| t.starts_with("🛡")))
        .collect()
}

/// Waits until the bot posted `n` messages in the group (its list of
/// official accounts aside).
async fn wait_posts(sim: &Simulator, n: usize) -> Vec<bot_api_sim::Sent> {
    let deadline = Instant::now() + WAIT;
    loop {
        let p = posts(sim);
        if p.len() >= n {
            return p;
        }
        assert!(Instant::now() < deadline, "{} posts: {p:?}", p.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the bot deleted message `id` of the group.
async fn removed(sim: &Simulator, id: i64) {
    let deadline = Instant::now() + WAIT;
    while !sim.deleted(GROUP).contains(&id) {
        assert!(Instant::now() < deadline, "message {id} not removed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_work_a_group_by_commands_reactions_and_a_linked_account() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    for (id, name) in [
        (OLGA, "Olga"),
        (PETR, "Petr"),
        (CHEN, "Chen"),
        (IRA, "Ira"),
        (LEAD, "Lena"),
    ] {
        sim.add_user(SimUser::new(id, name, "en"));
    }
    sim.set_privacy_mode(true);
    sim.group_join(STAFF_CHAT, "Support staff", IRA);
    let (_dir, db) = fresh_db(0);
    let ira = add_agent(&db, "ira", "agent", "L1");
    add_agent(&db, "lead", "supervisor", "L1");
    cli_ok(&db, &["agent", "link", "lead", &LEAD.to_string()]);
    cli_ok(
        &db,
        &["org", "add", "Globex", "--queue", "L1", "--language", "uk"],
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
        ],
    );
    let mut ws = Client::connect(&server.ws_url(), &ira, None).await;

    // The bot is added as a plain member with privacy mode on: staff are
    // told it cannot see the group's messages, and what to do.
    sim.group_bot_status(GROUP, TITLE, LEAD, "member");
    let told = staff_told(&sim, "as a plain member").await;
    assert!(
        told.contains("make it an administrator") && told.contains("/setprivacy"),
        "{told}"
    );
    sim.group_bot_status(GROUP, TITLE, LEAD, "administrator");

    // Ira links her Telegram account with a one-time code.
    let code = match ws.cmd(Command::LinkTelegram).await {
        ServerMessage::Ok {
            result: CommandResult::LinkCode { code, .. },
            seq: None,
            ..
        } => code,
        other => panic!("no code: {other:?}"),
    };
    assert_eq!(code.len(), 8);
    sim.send_text(IRA, "/link WRONGCODE");
    let wrong = sim.wait_sent(IRA, 1, WAIT).await.expect("an answer");
    assert!(
        wrong[0]
            .text
            .as_deref()
            .unwrap()
            .starts_with("That code is wrong"),
        "{wrong:?}"
    );
    sim.send_text(IRA, &format!("/link {}", code.to_lowercase()));
    let linked = sim.wait_sent(IRA, 2, WAIT).await.expect("linked");
    assert_eq!(
        linked[1].text.as_deref(),
        Some("Linked: what you write in client groups now counts as ira's answers.")
    );
    sim.send_text(IRA, &format!("/link {code}"));
    let again = sim.wait_sent(IRA, 3, WAIT).await.expect("answered");
    assert!(
        again[2]
            .text
            .as_deref()
            .unwrap()
            .starts_with("That code is wrong"),
        "a code works once"
    );
    assert!(
        ws.mirror.customers.is_empty(),
        "linking made no customer of the engineer"
    );

    // The supervisor binds the group from inside it.
    let bind = sim.group_text(GROUP, TITLE, LEAD, "/bind Globex", None);
    staff_told(&sim, "bound to Globex by lead").await;
    removed(&sim, bind).await;
    ws.until("the bound group", WAIT, |m| {
        m.groups
            .get(&GROUP)
            .is_some_and(|g| g.queue == Some(QueueId::new("L1")))
    })
    .await;

    // Binding from the workstation is a supervisor's.
    let refused = ws
        .cmd(Command::GroupBind {
            chat_id: GROUP,
            organisation_id: None,
        })
        .await;
    expect_error(&refused, ErrorCode::Forbidden);

    // Olga asks; Ira answers with a macro by a command: in Ukrainian (the
    // organisation's language), her name filled in, as a reply to Olga.
    let olga_q = sim.group_text(
        GROUP,
        TITLE,
        OLGA,
        "The dashboard is empty since noon",
        None,
    );
    let cmd = sim.group_reply(GROUP, TITLE, IRA, "/m onit", olga_q);
    removed(&sim, cmd).await;
    let posted = wait_posts(&sim, 1).await.remove(0);
    assert_eq!(
        posted.text.as_deref(),
        Some("Дякуємо, Olga! Ми вже розбираємося й відповімо тут.")
    );
    assert_eq!(posted.reply_to, Some(olga_q));
    let olga_conv = |m: &relay_client::Mirror| {
        m.group_messages.iter().find_map(|(c, ms)| {
            ms.values()
                .any(|g| g.telegram_message_id == Some(olga_q))
                .then_some(*c)
        })
    };
    ws.until("the macro answers Olga", WAIT, |m| {
        olga_conv(m).is_some_and(|c| m.conversations[&c].owed_since.is_none())
    })
    .await;
    // A macro that needs what a group has not is refused, to staff only.
    let bad = sim.group_reply(GROUP, TITLE, IRA, "/m hi", olga_q);
    let why = staff_told(&sim, "/m hi needs {id}").await;
    assert!(why.contains("not posted"), "{why}");
    removed(&sim, bad).await;
    assert_eq!(posts(&sim).len(), 1, "nothing more in the group");

    // Petr asks; Ira reacts ✍ to it: a ticket, and the group is told.
    let petr_q = sim.group_text(GROUP, TITLE, PETR, "We need an invoice for March", None);
    ws.until("Petr's question", WAIT, |m| {
        m.group_messages
            .values()
            .any(|ms| ms.values().any(|g| g.telegram_message_id == Some(petr_q)))
    })
    .await;
    sim.group_react(GROUP, IRA, petr_q, "✍");
    let told = wait_posts(&sim, 2).await;
    let notice = told[1].text.clone().unwrap();
    assert!(
        notice.starts_with("Ми відкрили тікет #") && told[1].reply_to == Some(petr_q),
        "{notice}"
    );
    ws.until("Petr's ticket", WAIT, |m| {
        m.tickets.values().any(|t| {
            m.customers
                .get(&t.customer_id)
                .is_some_and(|c| c.telegram_user_id == PETR)
        })
    })
    .await;
    // Anyone else's reaction, or another emoji, does nothing.
    sim.group_react(GROUP, OLGA, olga_q, "✍");
    sim.group_react(GROUP, IRA, olga_q, "👍");

    // Chen asks; Ira answers "/ticket" to it.
    let chen_q = sim.group_text(GROUP, TITLE, CHEN, "Can we get SSO?", None);
    let cmd = sim.group_reply(GROUP, TITLE, IRA, "/ticket", chen_q);
    removed(&sim, cmd).await;
    let told = wait_posts(&sim, 3).await;
    assert_eq!(told[2].reply_to, Some(chen_q));
    ws.until("Chen's ticket", WAIT, |m| {
        m.tickets.values().any(|t| {
            m.customers
                .get(&t.customer_id)
                .is_some_and(|c| c.telegram_user_id == CHEN)
        })
    })
    .await;
    assert_eq!(
        ws.mirror.tickets.len(),
        2,
        "the reactions of others made none"
    );

    // Olga, who wrote today, leaves: staff are told. The bot is removed:
    // staff are told that too.
    sim.group_leave(GROUP, TITLE, OLGA);
    let left = staff_told(&sim, "Olga, a client contact, left").await;
    assert!(
        left.contains("Globex ops (Globex)") && left.ends_with("today."),
        "{left}"
    );
    sim.group_bot_status(GROUP, TITLE, LEAD, "kicked");
    staff_told(&sim, "The bot was removed from Globex ops").await;
    ws.until("the group shows the bot gone", WAIT, |m| {
        m.groups
            .get(&GROUP)
            .is_some_and(|g| g.bot_status == "kicked")
    })
    .await;
    // Nothing can be posted there any more.
    let c = olga_conv(&ws.mirror).unwrap();
    let refused = ws
        .cmd(Command::GroupReply {
            conversation_id: c,
            text: "still there?".into(),
        })
        .await;
    expect_error(&refused, ErrorCode::Conflict);
}
