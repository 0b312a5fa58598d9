//! The customer's path through the guided bot, end to end: the simulator
//! plays Telegram and the customer, the real relay-server binary runs the
//! bot, an engineer works over WebSocket. Every text the customer sees is
//! checked against the translation file of their language.

use std::time::Duration;

use bot_api_sim::Sent;
use e2e::*;
use relay_server::domain::i18n::{self, Lang};
use shared::*;

const WAIT: Duration = Duration::from_secs(30);

fn t(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    i18n::text(lang, key, args)
}

fn data(s: &Sent) -> Vec<String> {
    s.buttons().into_iter().map(|(_, d)| d).collect()
}

/// The customer's newest ticket, once it has `messages` messages mirrored.
fn ticket_with(m: &relay_client::Mirror, user: i64, messages: usize) -> Option<Ticket> {
    let c = m
        .customers
        .values()
        .find(|c| c.telegram_user_id == user)?
        .id;
    m.tickets
        .values()
        .rfind(|t| t.customer_id == c)
        .filter(|t| m.messages.get(&t.id).is_some_and(|ms| ms.len() >= messages))
        .cloned()
}

/// Whether the customer's newest ticket has the bot's intake note yet
/// (it may come in a later frame than the ticket).
fn noted(m: &relay_client::Mirror, user: i64) -> bool {
    ticket_with(m, user, 1).is_some_and(|t| {
        m.messages[&t.id]
            .values()
            .any(|x| x.kind == MessageKind::Note)
    })
}

/// The text of a template up to where `{eta}` goes.
fn up_to_eta(lang: Lang, key: &str, number: u64, topic: &str) -> String {
    let full = t(
        lang,
        key,
        &[
            ("number", &number.to_string()),
            ("topic", topic),
            ("eta", "\u{1}"),
        ],
    );
    full.split('\u{1}').next().unwrap().to_owned()
}

/// /start with a link, consent, topic, two questions, a screenshot, the
/// receipt, status, an engineer taking and answering, the resolution, a
/// rating, the follow-up, and a reopen: in `lang`.
async fn whole_path(lang: Lang, name: &str, answers: [&str; 2]) {
    let user = 7001;
    let (sim, _dir, _server, mut agent) = guided_desk(
        &[("RELAY_BOT__FOLLOWUP_AFTER", "4s")],
        &[(user, name, lang)],
    )
    .await;
    let mut chat = Chat::new(&sim, user);

    sim.send_text(user, "/start promo_nov");
    let consent = chat
        .expect(&t(lang, "consent.ask", &[("name", name)]))
        .await;
    assert_eq!(data(&consent), ["consent:yes", "consent:no"]);
    chat.press(&consent, "consent:yes");
    chat.expect(&t(lang, "consent.thanks", &[])).await;
    let topics = chat.expect(&t(lang, "topic.ask", &[])).await;
    let payment = t(lang, "topic.payment", &[]);
    assert!(
        topics
            .buttons()
            .contains(&(payment.clone(), "topic:payment".into()))
    );
    assert_eq!(data(&topics).len(), 5);
    chat.press(&topics, "topic:payment");
    chat.expect(&t(lang, "question.payment_method", &[])).await;
    sim.send_text(user, answers[0]);
    chat.expect(&t(lang, "question.payment_when", &[])).await;
    sim.send_text(user, answers[1]);
    let shot = chat.expect(&t(lang, "screenshot.ask", &[])).await;
    assert_eq!(data(&shot), ["shot:skip"]);
    sim.send_photo(user, Some("📎"));

    let receipt = chat.next().await;
    agent
        .until("the ticket", WAIT, |m| ticket_with(m, user, 4).is_some())
        .await;
    let ticket = ticket_with(&agent.mirror, user, 4).unwrap();
    assert_eq!(ticket.queue.as_str(), "L1");
    assert_eq!(ticket.topic.as_deref(), Some("payment"));
    let thread: Vec<Message> = agent.mirror.messages[&ticket.id]
        .values()
        .cloned()
        .collect();
    let inbound: Vec<&str> = thread
        .iter()
        .filter(|m| m.kind == MessageKind::Inbound)
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(
        inbound,
        [answers[0], answers[1], "📎"],
        "the customer's words, in order"
    );
    assert_eq!(thread[2].attachments.len(), 1, "the screenshot");
    let note = thread
        .iter()
        .find(|m| m.kind == MessageKind::Note)
        .expect("intake note");
    assert!(
        note.text.contains("topic payment") && note.text.contains("/start promo_nov"),
        "{}",
        note.text
    );
    let text = receipt.text.clone().unwrap();
    assert!(
        text.starts_with(&up_to_eta(lang, "receipt.created", ticket.number, &payment)),
        "{text}"
    );
    assert!(
        text.ends_with(&t(lang, "eta.minutes", &[("n", "15")])),
        "{text}"
    );
    assert_eq!(
        data(&receipt),
        [
            format!("status:{}", ticket.id),
            format!("details:{}", ticket.id)
        ]
    );

    chat.press(&receipt, &format!("status:{}", ticket.id));
    let status = chat.next().await.text.unwrap();
    let state = t(lang, "state.new", &[]);
    let line = t(
        lang,
        "status.line",
        &[
            ("number", &ticket.number.to_string()),
            ("topic", &payment),
            ("status", &state),
        ],
    );
    assert!(status.starts_with(&line), "{status}");
    chat.press(&receipt, &format!("details:{}", ticket.id));
    chat.expect(&t(
        lang,
        "details.ask",
        &[("number", &ticket.number.to_string())],
    ))
    .await;

    let n = ticket.number.to_string();
    let resolved = take_answer_resolve(&mut agent, &mut chat, lang, &ticket).await;
    let summary = resolved.text.clone().unwrap();
    assert!(
        summary.contains(&n) && summary.contains("Alice"),
        "{summary}"
    );
    let mut expected: Vec<String> = (1..=5).map(|s| format!("csat:{}:{s}", ticket.id)).collect();
    expected.push(format!("reopen:{}", ticket.id));
    assert_eq!(data(&resolved), expected);
    chat.press(&resolved, &format!("csat:{}:5", ticket.id));
    chat.expect(&t(lang, "csat.thanks", &[])).await;
    agent
        .until("the rating", WAIT, |m| {
            m.tickets[&ticket.id].csat == Some(5)
        })
        .await;

    let followup = chat
        .expect(&t(
            lang,
            "followup.ask",
            &[("number", &n), ("topic", &payment)],
        ))
        .await;
    chat.press(&followup, &format!("followup:{}:no", ticket.id));
    chat.expect(&t(lang, "reopen.done", &[("number", &n)]))
        .await;
    agent
        .until("reopened", WAIT, |m| {
            m.tickets[&ticket.id].status == TicketStatus::Open
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_path_in_english() {
    whole_path(Lang::En, "Maria", ["Card", "Yesterday, 20 EUR"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_path_in_ukrainian() {
    whole_path(Lang::Uk, "Олена", ["Картка", "Учора, 500 грн"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_path_in_russian() {
    whole_path(Lang::Ru, "Иван", ["Картой", "Вчера, 1000 ₽"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_path_in_chinese() {
    whole_path(Lang::Zh, "李华", ["银行卡", "昨天，100 元"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_words_go_straight_to_a_person_in_the_right_queue() {
    let (sim, _dir, _server, mut agent) =
        guided_desk(&[], &[(7101, "Андрій", Lang::Uk), (7102, "Tom", Lang::En)]).await;
    // Consent first, with the words held until it is given.
    let mut uk = Chat::new(&sim, 7101);
    let said = "Мій акаунт зламали, бачу чужі входи!";
    sim.send_text(7101, said);
    let consent = uk
        .expect(&t(Lang::Uk, "consent.ask", &[("name", "Андрій")]))
        .await;
    uk.press(&consent, "consent:yes");
    uk.expect(&t(Lang::Uk, "consent.thanks", &[])).await;
    let receipt = uk.next().await.text.unwrap();
    assert!(
        receipt.starts_with(&t(Lang::Uk, "receipt.handoff", &[])),
        "{receipt}"
    );
    agent
        .until("the ticket", WAIT, |m| ticket_with(m, 7101, 1).is_some())
        .await;
    let ticket = ticket_with(&agent.mirror, 7101, 1).unwrap();
    assert_eq!(ticket.queue.as_str(), "SECURITY");
    assert_eq!(ticket.priority, Priority::Critical);
    let first = agent.mirror.messages[&ticket.id].values().next().unwrap();
    assert_eq!(first.text, said);

    // Mid-dialogue too: an answer that asks for a human ends the questions.
    let mut en = Chat::new(&sim, 7102);
    sim.send_text(7102, "/start");
    let consent = en
        .expect(&t(Lang::En, "consent.ask", &[("name", "Tom")]))
        .await;
    en.press(&consent, "consent:yes");
    en.expect(&t(Lang::En, "consent.thanks", &[])).await;
    let topics = en.expect(&t(Lang::En, "topic.ask", &[])).await;
    en.press(&topics, "topic:feature");
    en.expect(&t(Lang::En, "question.feature_which", &[])).await;
    sim.send_text(7102, "Just let me talk to a human please");
    let receipt = en.next().await.text.unwrap();
    assert!(
        receipt.starts_with(&t(Lang::En, "receipt.handoff", &[])),
        "{receipt}"
    );
    agent
        .until("the ticket", WAIT, |m| ticket_with(m, 7102, 1).is_some())
        .await;
    let ticket = ticket_with(&agent.mirror, 7102, 1).unwrap();
    assert_eq!(ticket.queue.as_str(), "L2", "the topic's queue");
    assert_eq!(ticket.topic.as_deref(), Some("feature"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_knowledge_base_answers_first_and_a_person_is_one_tap_away() {
    let (sim, _dir, _server, mut agent) =
        guided_desk(&[], &[(7201, "Maria", Lang::En), (7202, "Иван", Lang::Ru)]).await;
    for (user, name, lang, question) in [
        (
            7201,
            "Maria",
            Lang::En,
            "How do I export my invoices as PDF?",
        ),
        (
            7202,
            "Иван",
            Lang::Ru,
            "Не могу войти в аккаунт, код не приходит.",
        ),
    ] {
        let mut chat = Chat::new(&sim, user);
        sim.send_text(user, question);
        chat.consent(lang, name).await;
        let answer = chat.next().await;
        let text = answer.text.clone().unwrap();
        let intro = t(lang, "kb.answer", &[("title", "\u{1}")]);
        assert!(
            text.starts_with(intro.split('\u{1}').next().unwrap()),
            "{text}"
        );
        assert_eq!(data(&answer), ["kb:yes", "kb:no"]);
        if lang == Lang::En {
            // Self-service: it helped, no ticket.
            chat.press(&answer, "kb:yes");
            chat.expect(&t(lang, "kb.glad", &[])).await;
        } else {
            chat.press(&answer, "kb:no");
            let receipt = chat.next().await.text.unwrap();
            assert!(
                receipt.contains(&t(lang, "topic.account", &[])),
                "{receipt}"
            );
        }
    }
    agent
        .until("the ticket and its note", WAIT, |m| noted(m, 7202))
        .await;
    let t2 = ticket_with(&agent.mirror, 7202, 1).unwrap();
    assert_eq!(t2.topic.as_deref(), Some("account"));
    let note = agent.mirror.messages[&t2.id]
        .values()
        .find(|m| m.kind == MessageKind::Note)
        .unwrap();
    assert!(note.text.contains("login-code-ru"), "{}", note.text);
    assert!(
        ticket_with(&agent.mirror, 7201, 0).is_none(),
        "self-service opened no ticket"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_language_time_zone_and_declined_consent() {
    let (sim, _dir, _server, mut agent) = guided_desk(&[], &[(7301, "Wang", Lang::En)]).await;
    let mut chat = Chat::new(&sim, 7301);
    // Declined: nothing kept, asked again next time.
    sim.send_text(7301, "hello?");
    let consent = chat
        .expect(&t(Lang::En, "consent.ask", &[("name", "Wang")]))
        .await;
    chat.press(&consent, "consent:no");
    chat.expect(&t(Lang::En, "consent.declined", &[])).await;

    sim.send_text(7301, "/language");
    let choose = chat.expect(&t(Lang::En, "language.ask", &[])).await;
    assert_eq!(data(&choose), ["lang:en", "lang:uk", "lang:ru", "lang:zh"]);
    chat.press(&choose, "lang:zh");
    chat.expect(&t(Lang::Zh, "language.set", &[])).await;
    sim.send_text(7301, "/help");
    chat.expect(&t(Lang::Zh, "help.text", &[])).await;
    sim.send_text(7301, "/timezone Mars/Olympus");
    chat.expect(&t(Lang::Zh, "timezone.bad", &[("zone", "Mars/Olympus")]))
        .await;
    sim.send_text(7301, "/timezone Asia/Shanghai");
    let set = chat.next().await.text.unwrap();
    assert!(
        set.starts_with(
            &t(
                Lang::Zh,
                "timezone.set",
                &[("zone", "Asia/Shanghai"), ("time", "\u{1}")]
            )
            .split('\u{1}')
            .next()
            .unwrap()
            .to_owned()
        ),
        "{set}"
    );
    sim.send_text(7301, "/frobnicate");
    chat.expect(&t(
        Lang::Zh,
        "command.unknown",
        &[("command", "/frobnicate")],
    ))
    .await;
    sim.send_text(7301, "/status");
    chat.expect(&t(Lang::Zh, "status.none", &[])).await;

    // The chosen language sticks although Telegram still says "en".
    let said = "我的账户被锁定了，请帮忙";
    sim.send_text(7301, said);
    chat.consent(Lang::Zh, "Wang").await;
    // The words from before the refusal are gone; these are kept.
    let kb = chat.next().await;
    chat.press(&kb, "kb:no");
    chat.next().await; // the receipt
    agent
        .until("the ticket", WAIT, |m| ticket_with(m, 7301, 1).is_some())
        .await;
    let ticket = ticket_with(&agent.mirror, 7301, 1).unwrap();
    let inbound: Vec<String> = agent.mirror.messages[&ticket.id]
        .values()
        .filter(|m| m.kind == MessageKind::Inbound)
        .map(|m| m.text.clone())
        .collect();
    assert_eq!(inbound, [said]);
    let c = agent
        .mirror
        .customers
        .values()
        .find(|c| c.telegram_user_id == 7301)
        .unwrap();
    assert_eq!(c.language.as_deref(), Some("zh"));
    assert_eq!(c.time_zone.as_deref(), Some("Asia/Shanghai"));
    assert!(c.consent_at.is_some());

    sim.send_text(7301, "/tickets");
    let list = chat.next().await.text.unwrap();
    assert!(
        list.starts_with(&t(Lang::Zh, "tickets.header", &[]))
            && list.contains(&ticket.number.to_string()),
        "{list}"
    );
    sim.send_text(7301, "/end");
    let end = chat
        .expect(&t(
            Lang::Zh,
            "end.done",
            &[("number", &ticket.number.to_string())],
        ))
        .await;
    assert_eq!(data(&end).len(), 5, "stars");
    agent
        .until("closed", WAIT, |m| !m.tickets.contains_key(&ticket.id))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_hours_quiet_hours_and_a_walked_away_customer() {
    // Closed now (open a few hours from now, UTC), quiet now, give up after 2 s.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let hhmm = |secs: u64| format!("{:02}:{:02}", secs / 3600 % 24, secs / 60 % 60);
    let open = format!(
        "[\"daily {}-{}\"]",
        hhmm(now + 3 * 3600),
        hhmm(now + 4 * 3600)
    );
    let open = if (now + 3 * 3600) % 86400 > (now + 4 * 3600) % 86400 {
        "[\"daily 02:00-03:00\"]".to_owned() // the window would wrap midnight
    } else {
        open
    };
    let quiet = format!("{}-{}", hhmm(now - 3600), hhmm(now + 3600));
    let (sim, _dir, _server, mut agent) = guided_desk(
        &[
            ("RELAY_BOT__HOURS__OPEN", open.as_str()),
            ("RELAY_BOT__QUIET_HOURS", quiet.as_str()),
            ("RELAY_BOT__ABANDON_AFTER", "2s"),
            ("RELAY_BOT__CONSENT", "false"),
        ],
        &[(7401, "Sophie", Lang::En)],
    )
    .await;
    let mut chat = Chat::new(&sim, 7401);
    sim.send_text(7401, "The app crashes when I open settings");
    chat.expect(&t(Lang::En, "topic.ask", &[])).await;
    // Walks away: after 2 s the words become a ticket anyway.
    let receipt = chat.next().await.text.unwrap();
    assert!(
        receipt.contains(&t(Lang::En, "topic.none", &[])),
        "{receipt}"
    );
    let offline = chat.next().await.text.unwrap();
    let prefix = t(Lang::En, "offhours.notice", &[("time", "\u{1}")]);
    assert!(
        offline.starts_with(prefix.split('\u{1}').next().unwrap()),
        "{offline}"
    );
    agent
        .until("the ticket and its note", WAIT, |m| noted(m, 7401))
        .await;
    let ticket = ticket_with(&agent.mirror, 7401, 1).unwrap();
    let note = agent.mirror.messages[&ticket.id]
        .values()
        .find(|m| m.kind == MessageKind::Note)
        .unwrap();
    assert!(note.text.contains("stopped answering"), "{}", note.text);

    // Quiet hours: "accepted" is held; a person's reply is not.
    expect_ok(
        &agent
            .cmd(Command::Take {
                ticket_id: ticket.id,
            })
            .await,
    );
    chat.silent_for(Duration::from_secs(3)).await;
    agent.reply(ticket.id, "Looking at it now").await;
    chat.expect("Looking at it now").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn still_not_fixed_within_the_window_reopens_and_edits_before_the_ticket_are_kept() {
    let (sim, _dir, _server, mut agent) = guided_desk(
        &[("RELAY_BOT__CONSENT", "false")],
        &[(7501, "Dmitry", Lang::Ru)],
    )
    .await;
    let mut chat = Chat::new(&sim, 7501);
    let first = sim.send_text(7501, "Хочу пожаловаться на качество поддержки");
    let topics = chat.expect(&t(Lang::Ru, "topic.ask", &[])).await;
    sim.edit(7501, first, "Хочу пожаловаться на скорость поддержки")
        .unwrap();
    chat.press(&topics, "topic:complaint");
    chat.expect(&t(Lang::Ru, "question.complaint_what", &[]))
        .await;
    sim.send_text(7501, "Жду ответа третий день");
    chat.expect(&t(Lang::Ru, "question.complaint_outcome", &[]))
        .await;
    sim.send_text(7501, "Ответьте быстрее");
    chat.next().await; // the receipt (no screenshot for complaints)
    agent
        .until("the ticket", WAIT, |m| ticket_with(m, 7501, 3).is_some())
        .await;
    let ticket = ticket_with(&agent.mirror, 7501, 3).unwrap();
    let first_msg = agent.mirror.messages[&ticket.id].values().next().unwrap();
    assert_eq!(first_msg.text, "Хочу пожаловаться на скорость поддержки");
    assert!(first_msg.edited_at.is_some(), "shown as edited");
    assert_eq!(ticket.queue.as_str(), "L2");

    expect_ok(
        &agent
            .cmd(Command::SetStatus {
                ticket_id: ticket.id,
                status: TicketStatus::Resolved,
            })
            .await,
    );
    chat.next().await; // the summary
    sim.send_text(7501, "Всё ещё не работает");
    chat.expect(&t(
        Lang::Ru,
        "reopen.done",
        &[("number", &ticket.number.to_string())],
    ))
    .await;
    agent
        .until("reopened with the message", WAIT, |m| {
            m.tickets[&ticket.id].status == TicketStatus::Open
                && m.messages[&ticket.id]
                    .values()
                    .any(|x| x.text == "Всё ещё не работает")
        })
        .await;
}
