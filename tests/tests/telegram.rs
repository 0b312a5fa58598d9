//! The bot end to end: the simulator plays Telegram and the customers, the
//! real relay-server binary runs the bot, an agent works over WebSocket.

use std::time::Duration;

use bot_api_sim::{Fault, SimConfig, SimUser, Simulator};
use e2e::*;
use shared::*;

const WAIT: Duration = Duration::from_secs(30);

async fn desk(customers: &[(i64, &str, &str)]) -> (Simulator, tempfile::TempDir, Server, Client) {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    for (id, name, lang) in customers {
        sim.add_user(SimUser::new(*id, name, lang));
    }
    let (dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1");
    // The transport on its own: the bot sends only the replies.
    let server = Server::start_direct_bot(&db, "127.0.0.1:0", &sim);
    let agent = Client::connect(&server.ws_url(), &token, None).await;
    (sim, dir, server, agent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_writes_and_the_engineers_reply_arrives_exactly_once() {
    let (sim, _dir, _server, mut agent) = desk(&[(4242, "Олена", "uk")]).await;
    let sent_id = sim.send_text(4242, "Оплата не пройшла, гроші списали 😟");
    agent
        .until("the ticket", WAIT, |m| ticket_of(m, 4242).is_some())
        .await;
    let t = ticket_of(&agent.mirror, 4242).unwrap();
    let first = agent.mirror.messages[&t].values().next().unwrap().clone();
    assert_eq!(first.text, "Оплата не пройшла, гроші списали 😟");
    assert_eq!(first.telegram_message_id, Some(sent_id));
    let customer = agent
        .mirror
        .customers
        .values()
        .find(|c| c.telegram_user_id == 4242)
        .unwrap();
    assert_eq!(customer.language.as_deref(), Some("uk"));

    let reply = "Перевіряю платіж, хвилинку 🙏";
    let mid = agent.reply(t, reply).await;
    let got = sim.wait_sent(4242, 1, WAIT).await.expect("delivered");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].text.as_deref(), Some(reply));
    agent
        .until_delivery(t, mid, DeliveryState::Sent, WAIT)
        .await;
    assert_eq!(
        agent.mirror.messages[&t][&mid].telegram_message_id,
        Some(got[0].message_id)
    );
    // Exactly once: nothing more arrives.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sim.sent(4242).len(), 1);
    assert_eq!(sim.stats().rate_limited, 0);

    // The customer edits their message: the thread shows it edited.
    sim.edit(4242, sent_id, "Оплата не пройшла (картка Visa)")
        .unwrap();
    agent
        .until("the edit", WAIT, |m| {
            m.messages[&t][&first.id].edited_at.is_some()
        })
        .await;
    assert_eq!(
        agent.mirror.messages[&t][&first.id].text,
        "Оплата не пройшла (картка Visa)"
    );

    // A screenshot joins the same ticket, with its caption.
    sim.send_photo(4242, Some("ось скріншот"));
    agent
        .until("the photo", WAIT, |m| {
            m.messages[&t].values().any(|x| !x.attachments.is_empty())
        })
        .await;
    let photo = agent.mirror.messages[&t]
        .values()
        .find(|x| !x.attachments.is_empty())
        .unwrap();
    assert_eq!(photo.attachments[0].kind, AttachmentKind::Photo);
    assert_eq!(photo.text, "ось скріншот");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_blocks_the_bot_gets_nothing_more_and_the_ticket_says_so() {
    let (sim, _dir, _server, mut agent) = desk(&[(77, "Ivan", "ru")]).await;
    sim.send_text(77, "Не могу войти");
    agent
        .until("the ticket", WAIT, |m| ticket_of(m, 77).is_some())
        .await;
    let t = ticket_of(&agent.mirror, 77).unwrap();
    sim.set_blocked(77, true);
    agent
        .until("blocked", WAIT, |m| {
            m.customers
                .values()
                .any(|c| c.telegram_user_id == 77 && c.blocked)
        })
        .await;
    let e = agent
        .cmd(Command::Reply {
            ticket_id: t,
            text: "Hello?".into(),
        })
        .await;
    assert!(expect_error(&e, ErrorCode::Conflict).contains("blocked"));
    assert!(sim.sent(77).is_empty());
}

/// Replies "reply N" for each N in `numbers` to every ticket, pipelined
/// as fast as the agent can send them.
async fn reply_to_all(
    agent: &mut Client,
    tickets: &[(i64, TicketId)],
    numbers: std::ops::RangeInclusive<u32>,
) {
    let commands = tickets
        .iter()
        .flat_map(|(_, t)| {
            numbers.clone().map(move |n| Command::Reply {
                ticket_id: *t,
                text: format!("reply {n}"),
            })
        })
        .collect();
    for a in agent.pipeline(commands).await {
        expect_ok(&a);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_to_many_chats_never_break_the_limits_and_survive_storms_in_order() {
    let users: Vec<(i64, String)> = (0..40).map(|i| (9000 + i, format!("C{i}"))).collect();
    let list: Vec<(i64, &str, &str)> = users
        .iter()
        .map(|(id, n)| (*id, n.as_str(), "en"))
        .collect();
    let (sim, _dir, _server, mut agent) = desk(&list).await;
    for (id, _) in &users {
        sim.send_text(*id, "help");
    }
    agent
        .until("40 tickets", WAIT, |m| m.tickets.len() == 40)
        .await;
    let tickets: Vec<(i64, TicketId)> = users
        .iter()
        .map(|(id, _)| (*id, ticket_of(&agent.mirror, *id).unwrap()))
        .collect();
    // Two replies per chat, sent as fast as the agent can.
    reply_to_all(&mut agent, &tickets, 1..=2).await;
    for (id, _) in &tickets {
        let got = sim.wait_sent(*id, 2, WAIT).await.expect("both replies");
        assert_eq!(
            got.iter()
                .map(|s| s.text.clone().unwrap())
                .collect::<Vec<_>>(),
            ["reply 1", "reply 2"]
        );
    }
    assert_eq!(
        sim.stats().rate_limited,
        0,
        "the outbox never broke a limit"
    );

    // A 429 storm and dropped connections: every reply still arrives, in order.
    sim.inject(Fault::Storm {
        seconds: 2,
        retry_after: 2,
    });
    sim.inject(Fault::DropBefore { count: 3 });
    reply_to_all(&mut agent, &tickets, 3..=4).await;
    for (id, _) in &tickets {
        let got = sim
            .wait_sent(*id, 4, Duration::from_secs(60))
            .await
            .expect("all replies");
        let texts: Vec<String> = got.iter().map(|s| s.text.clone().unwrap()).collect();
        assert_eq!(
            texts,
            ["reply 1", "reply 2", "reply 3", "reply 4"],
            "chat {id}"
        );
    }
    assert!(sim.stats().storm_429 > 0, "the storm happened");
    assert_eq!(sim.stats().rate_limited, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_customer_is_slowed_politely_and_loses_nothing() {
    let (sim, _dir, _server, mut agent) = desk(&[(31, "Олена", "uk"), (32, "Tom", "en")]).await;
    for i in 0..15 {
        sim.send_text(31, &format!("!!! {i}"));
    }
    for i in 0..3 {
        sim.send_text(32, &format!("calm {i}"));
    }
    agent
        .until("every message filed", WAIT, |m| {
            let count = |user| {
                ticket_of(m, user).map_or(0, |t| {
                    m.messages[&t]
                        .values()
                        .filter(|x| x.kind == MessageKind::Inbound)
                        .count()
                })
            };
            count(31) == 15 && count(32) == 3
        })
        .await;
    // One notice, in Ukrainian, in the thread and in the chat; none for the calm customer.
    sim.wait_sent(31, 1, WAIT).await.expect("a notice");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = sim
        .sent(31)
        .into_iter()
        .map(|s| s.text.unwrap_or_default())
        .collect::<Vec<_>>();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains("людина"), "{}", got[0]);
    let t = ticket_of(&agent.mirror, 31).unwrap();
    let bot: Vec<&Message> = agent.mirror.messages[&t]
        .values()
        .filter(|m| m.author == Author::Bot)
        .collect();
    assert_eq!(bot.len(), 1);
    assert!(
        agent.mirror.tickets[&t].waiting_since.is_some(),
        "a bot notice is not a reply"
    );
    assert!(sim.sent(32).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_during_sending_fails_that_reply_and_an_unblock_lets_new_ones_through() {
    let (sim, _dir, _server, mut agent) = desk(&[(55, "Sophie", "en")]).await;
    sim.send_text(55, "Charged twice");
    agent
        .until("the ticket", WAIT, |m| ticket_of(m, 55).is_some())
        .await;
    let t = ticket_of(&agent.mirror, 55).unwrap();
    // Blocked in Telegram before the bot hears of it: the reply meets a 403,
    // or is refused at once if the bot has already heard.
    sim.set_blocked(55, true);
    let first = agent
        .cmd(Command::Reply {
            ticket_id: t,
            text: "Looking into it".into(),
        })
        .await;
    if let ServerMessage::Ok {
        result: CommandResult::Applied {
            message_id: Some(mid),
        },
        ..
    } = first
    {
        agent
            .until_delivery(t, mid, DeliveryState::Failed, WAIT)
            .await;
        let reason = agent.mirror.messages[&t][&mid]
            .delivery
            .clone()
            .unwrap()
            .reason
            .unwrap();
        assert!(reason.contains("blocked"), "{reason}");
    } else {
        assert!(expect_error(&first, ErrorCode::Conflict).contains("blocked"));
    }
    agent
        .until("blocked", WAIT, |m| {
            m.customers
                .values()
                .any(|c| c.telegram_user_id == 55 && c.blocked)
        })
        .await;
    assert!(sim.sent(55).is_empty());
    // Unblocked, the customer writes again: a new reply goes through.
    sim.set_blocked(55, false);
    sim.send_text(55, "Hello again");
    agent
        .until("unblocked", WAIT, |m| {
            m.customers
                .values()
                .any(|c| c.telegram_user_id == 55 && !c.blocked)
        })
        .await;
    let t2 = ticket_of(&agent.mirror, 55).unwrap();
    expect_ok(
        &agent
            .cmd(Command::Reply {
                ticket_id: t2,
                text: "Welcome back".into(),
            })
            .await,
    );
    let got = sim
        .wait_sent(55, 1, WAIT)
        .await
        .expect("delivered after unblock");
    assert_eq!(got[0].text.as_deref(), Some("Welcome back"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_resent_and_flagged_as_possibly_twice() {
    let (sim, _dir, _server, mut agent) = desk(&[(66, "Maria", "en")]).await;
    sim.send_text(66, "Export to PDF?");
    agent
        .until("the ticket", WAIT, |m| ticket_of(m, 66).is_some())
        .await;
    let t = ticket_of(&agent.mirror, 66).unwrap();
    // Telegram takes the message, then the connection drops before the answer.
    sim.inject(Fault::DropAfter { count: 1 });
    let mid = agent.reply(t, "Settings → Export").await;
    agent
        .until_delivery(t, mid, DeliveryState::Sent, WAIT)
        .await;
    let delivery = agent.mirror.messages[&t][&mid].delivery.clone().unwrap();
    assert!(
        delivery
            .reason
            .unwrap_or_default()
            .contains("may have received it twice")
    );
    let copies = sim
        .sent(66)
        .iter()
        .filter(|s| s.text.as_deref() == Some("Settings → Export"))
        .count();
    assert_eq!(
        copies, 2,
        "the documented ambiguity: delivered, answer lost, sent again"
    );
}

/// Both the send and its one resend reach Telegram and both answers are
/// lost: two copies, and the message says it may not have arrived: no
/// third copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_lost_answers_stop_at_two_copies_and_say_uncertain() {
    let (sim, _dir, _server, mut agent) = desk(&[(67, "Wei", "zh")]).await;
    sim.send_text(67, "发票在哪里？");
    agent
        .until("the ticket", WAIT, |m| ticket_of(m, 67).is_some())
        .await;
    let t = ticket_of(&agent.mirror, 67).unwrap();
    sim.inject(Fault::DropAfter { count: 2 });
    let mid = agent.reply(t, "在“账户 → 发票”里").await;
    agent
        .until_delivery(t, mid, DeliveryState::Uncertain, WAIT)
        .await;
    let reason = agent.mirror.messages[&t][&mid]
        .delivery
        .clone()
        .unwrap()
        .reason
        .unwrap();
    assert!(reason.contains("not sent a third time"), "{reason}");
    // A later reply to the same chat goes out (the chat is not stuck), and
    // by then a third copy would have gone first: per-chat order.
    let later = agent.reply(t, "还有问题吗？").await;
    agent
        .until_delivery(t, later, DeliveryState::Sent, WAIT)
        .await;
    let copies = sim
        .sent(67)
        .iter()
        .filter(|s| s.text.as_deref() == Some("在“账户 → 发票”里"))
        .count();
    assert_eq!(copies, 2, "both tries reached Telegram; no third");
}
