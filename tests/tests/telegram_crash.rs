//! SIGKILL of the relay server at random moments while 200 customers send
//! 5,000 messages and an engineer replies. Afterwards every customer message
//! is in exactly one ticket exactly once, and every accepted reply reached
//! Telegram exactly once, or is flagged as the documented ambiguity.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bot_api_sim::{Fault, SimConfig, SimUser, Simulator};
use e2e::*;
use relay_client::{Connection, Incoming};
use shared::*;

const CUSTOMERS: i64 = 200;
const PER_CUSTOMER: i64 = 25;

fn server(db: &Path, sim: &Simulator) -> Server {
    let (token, url) = (sim.token(), sim.api_url());
    Server::start(
        db,
        &[
            ("TELEGRAM_BOT_TOKEN", token.as_str()),
            ("TELEGRAM_API_URL", url.as_str()),
            ("RELAY_TELEGRAM__POLL_TIMEOUT_SECS", "1"),
            ("RELAY_DURABILITY", "full"),
            ("RELAY_BOT__MODE", "direct"),
            ("RELAY_BOT__CONSENT", "false"),
        ],
    )
}

/// Replies to open tickets until the connection dies; returns (sent, acknowledged)
/// as (text, chat) pairs.
async fn replier(
    url: String,
    token: String,
    round: u32,
    acks: Arc<AtomicUsize>,
) -> (Vec<(String, i64)>, Vec<String>) {
    let (mut sent, mut acked) = (Vec::new(), Vec::new());
    let Ok((mut conn, _)) = Connection::connect(&url, &token, None).await else {
        return (sent, acked);
    };
    let mut mirror = relay_client::Mirror::default();
    let mut n = 0;
    loop {
        // Take in what the server streams until a ticket is available.
        let msg = match tokio::time::timeout(Duration::from_millis(50), conn.recv()).await {
            Ok(Ok(Incoming::Message(m))) => Some(m),
            Ok(_) => break,
            Err(_) => None,
        };
        if let Some(m) = &msg {
            let _ = mirror.apply(m);
            if let ServerMessage::Ok { id, .. } = m {
                acked.push(id.0.clone());
                acks.fetch_add(1, Ordering::Relaxed);
            }
            continue;
        }
        let Some(t) = mirror.tickets.values().nth(n % mirror.tickets.len().max(1)) else {
            continue;
        };
        // A ticket whose customer has not arrived yet: skip it this time.
        let Some(chat) = mirror
            .customers
            .get(&t.customer_id)
            .map(|c| c.telegram_user_id)
        else {
            continue;
        };
        let text = format!("reply-{round}-{n}");
        n += 1;
        if conn
            .command(
                &text,
                Command::Reply {
                    ticket_id: t.id,
                    text: text.clone(),
                },
            )
            .await
            .is_err()
        {
            break;
        }
        sent.push((text, chat));
    }
    (sent, acked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_load_loses_and_duplicates_nothing() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    for id in 1..=CUSTOMERS {
        sim.add_user(SimUser::new(
            id,
            &format!("Customer {id}"),
            ["en", "uk", "ru", "zh"][id as usize % 4],
        ));
    }
    let (_dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1");

    // The load: 5,000 messages at about 1,000/s, from a task of its own.
    let load = {
        let sim_msgs = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::new()));
        let out = sim_msgs.clone();
        let sim = std::sync::Arc::new(sim);
        let s = sim.clone();
        let task = tokio::spawn(async move {
            for k in 0..PER_CUSTOMER {
                for id in 1..=CUSTOMERS {
                    let mid = s.send_text(id, &format!("m-{id}-{k}"));
                    out.lock().await.push((id, mid));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        (sim, sim_msgs, task)
    };
    let (sim, sim_msgs, task) = load;

    let mut sent_replies = Vec::new();
    let mut acked_replies = BTreeSet::new();
    // Kill at different moments of the load, four times.
    for (round, after_ms) in [700u64, 900, 1100, 1300].into_iter().enumerate() {
        let mut s = server(&db, &sim);
        let acks = Arc::new(AtomicUsize::new(0));
        let replies = tokio::spawn(replier(
            s.ws_url(),
            token.clone(),
            round as u32,
            acks.clone(),
        ));
        // Mid-load: once this round's first replies are acknowledged (a
        // loaded machine starts slower than a fixed time allows), then a
        // little later each round.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while acks.load(Ordering::Relaxed) < 3 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(after_ms - 600)).await;
        s.kill();
        let (sent, acked) = replies.await.unwrap();
        sent_replies.extend(sent);
        acked_replies.extend(acked);
    }
    task.await.unwrap();

    // The last run drains everything.
    let s = server(&db, &sim);
    let mut watcher = Client::connect(&s.ws_url(), &token, None).await;
    let expected = (CUSTOMERS * PER_CUSTOMER) as usize;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let count = |db: &Path, sql: &str| -> i64 {
        let c = rusqlite::Connection::open(db).unwrap();
        c.query_row(sql, [], |r| r.get(0)).unwrap()
    };
    loop {
        let filed = count(&db, "SELECT count(*) FROM messages WHERE kind = 'inbound'");
        let queued = count(&db, "SELECT count(*) FROM outbox");
        if filed as usize >= expected && queued == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not drained: {filed} filed, {queued} queued"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Every customer message is in exactly one ticket, exactly once.
    let c = rusqlite::Connection::open(&db).unwrap();
    let mut stored: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let mut stmt = c
        .prepare("SELECT t.chat_id, m.telegram_message_id, count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.kind = 'inbound' GROUP BY 1, 2")
        .unwrap();
    for row in stmt
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
        .unwrap()
    {
        let (k, n) = row.unwrap();
        stored.insert(k, n);
    }
    let sent_msgs = sim_msgs.lock().await.clone();
    assert_eq!(sent_msgs.len(), expected);
    for (chat, mid) in &sent_msgs {
        assert_eq!(
            stored.get(&(*chat, *mid)),
            Some(&1),
            "message {mid} of chat {chat}"
        );
    }
    assert_eq!(stored.len(), expected, "nothing extra was filed");
    let tickets_per_customer = count(
        &db,
        "SELECT max(n) FROM (SELECT count(*) AS n FROM tickets GROUP BY customer_id)",
    );
    assert_eq!(
        tickets_per_customer, 1,
        "each customer's messages joined one ticket"
    );

    // Every accepted reply reached Telegram exactly once, or is flagged.
    assert!(
        acked_replies.len() > 10,
        "too few replies to prove anything: {}",
        acked_replies.len()
    );
    let mut flagged = 0;
    for (text, chat) in &sent_replies {
        let n = sim
            .sent(*chat)
            .iter()
            .filter(|s| s.text.as_deref() == Some(text))
            .count();
        let (state, reason): (Option<String>, Option<String>) = c
            .query_row(
                "SELECT delivery_state, delivery_reason FROM messages WHERE text = ?1 AND kind = 'outbound'",
                [text],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap_or((None, None));
        let maybe_twice = reason
            .as_deref()
            .is_some_and(|r| r.contains("may have received it twice"));
        flagged += usize::from(maybe_twice);
        let uncertain = state.as_deref() == Some("uncertain");
        if acked_replies.contains(text) {
            match state.as_deref() {
                Some("sent") if maybe_twice => {
                    assert!((1..=2).contains(&n), "{text} arrived {n} times")
                }
                Some("sent") => assert_eq!(n, 1, "{text} arrived {n} times without a flag"),
                // Two tries' answers lost: zero to two copies, said so.
                Some("uncertain") => assert!(n <= 2, "{text} arrived {n} times"),
                other => panic!("{text}: {other:?} {reason:?}"),
            }
        } else {
            // Not acknowledged: it may or may not have been accepted; never twice unflagged.
            assert!(
                n <= 1 || ((maybe_twice || uncertain) && n <= 2),
                "{text} arrived {n} times"
            );
        }
    }
    eprintln!(
        "{} replies sent, {} acknowledged, {flagged} flagged as possibly twice",
        sent_replies.len(),
        acked_replies.len()
    );
    assert_eq!(
        sim.stats().rate_limited,
        0,
        "the outbox never broke Telegram's limits"
    );
    let (s_digest, m_digest) = watcher.settle().await;
    assert_eq!(s_digest, m_digest);
}

/// The outbox state and tries of the one reply with this text (`None`
/// once gone).
fn outbox_state(db: &Path, text: &str) -> Option<(String, u32)> {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(
        "SELECT o.state, o.attempts FROM outbox o JOIN messages m ON m.id = o.message_id
         WHERE m.text = ?1",
        [text],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .ok()
}

/// Waits until the reply is being sent for the `try_no`-th time.
async fn until_sending(db: &Path, text: &str, try_no: u32) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let sending = Some(("sending".to_owned(), try_no));
    while outbox_state(db, text) != sending {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{text} never went out a {try_no}. time: {:?}",
            outbox_state(db, text)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An independent crash-loop test got one reply to a customer 7 times,
/// flagged "may have received it twice": after each restart the oldest
/// maybe-sent message was resent, and each kill during the resend added a
/// copy. Now a message is resent once; killed during that resend too, it
/// is `uncertain` and never sent again, however many restarts follow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_cut_short_by_repeated_crashes_is_sent_at_most_twice_and_said_uncertain() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(7, "Iryna", "uk"));
    let (_dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1");
    let mut s = server(&db, &sim);
    let mut agent = Client::connect(&s.ws_url(), &token, None).await;
    sim.send_text(7, "Не приходить код");
    agent
        .until("the ticket", Duration::from_secs(30), |m| {
            ticket_of(m, 7).is_some()
        })
        .await;
    let t = ticket_of(&agent.mirror, 7).unwrap();
    // Telegram stops answering: every send hangs until the server dies.
    sim.inject(Fault::Latency { millis: 60_000 });
    let text = "Надіслали новий код";
    let mid = agent.reply(t, text).await;
    drop(agent);
    for try_no in 1..=2 {
        until_sending(&db, text, try_no).await;
        s.kill();
        s = server(&db, &sim);
    }
    sim.clear_faults();
    let mut agent = Client::connect(&s.ws_url(), &token, None).await;
    agent
        .until_delivery(t, mid, DeliveryState::Uncertain, Duration::from_secs(30))
        .await;
    assert_eq!(outbox_state(&db, text), None, "nothing left to send");
    // More restarts send nothing more.
    for _ in 0..3 {
        s.kill();
        s = server(&db, &sim);
        let mut agent = Client::connect(&s.ws_url(), &token, None).await;
        agent.settle().await;
        let d = agent.mirror.messages[&t][&mid].delivery.clone().unwrap();
        assert_eq!(d.state, DeliveryState::Uncertain, "{d:?}");
        assert!(d.reason.unwrap().contains("not sent a third time"));
    }
    let copies = sim
        .sent(7)
        .iter()
        .filter(|m| m.text.as_deref() == Some(text))
        .count();
    assert!(copies <= 2, "{copies} copies");
}

/// A restart used to hold every send for a group's spacing (~3.2 s): under
/// restarts a second apart nothing went out for 20 s. Now only a chat sent
/// to just before waits for its spacing, and Telegram's limits still hold:
/// a reply sent right before a kill and one right after the restart, to
/// the same customer, get no 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_each_chats_spacing_from_the_last_process() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(8, "Olek", "en"));
    sim.add_user(SimUser::new(9, "Mia", "en"));
    let (_dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1");
    let mut s = server(&db, &sim);
    let mut agent = Client::connect(&s.ws_url(), &token, None).await;
    sim.send_text(8, "hello");
    sim.send_text(9, "hi");
    agent
        .until("two tickets", Duration::from_secs(30), |m| {
            ticket_of(m, 8).is_some() && ticket_of(m, 9).is_some()
        })
        .await;
    let (t8, t9) = (
        ticket_of(&agent.mirror, 8).unwrap(),
        ticket_of(&agent.mirror, 9).unwrap(),
    );
    for round in 0..3 {
        let before = agent.reply(t8, &format!("before {round}")).await;
        // The answer is on disk once the agent sees it; then kill at once.
        agent
            .until_delivery(t8, before, DeliveryState::Sent, Duration::from_secs(30))
            .await;
        s.kill();
        s = server(&db, &sim);
        agent = Client::connect(&s.ws_url(), &token, None).await;
        agent.reply(t8, &format!("after {round}")).await;
        agent.reply(t9, &format!("other {round}")).await;
        sim.wait_sent(8, 2 * round + 2, Duration::from_secs(30))
            .await
            .expect("sent after the restart");
        sim.wait_sent(9, round + 1, Duration::from_secs(30))
            .await
            .expect("the other chat");
    }
    assert_eq!(
        sim.stats().rate_limited,
        0,
        "no limit broken across restarts"
    );
}
