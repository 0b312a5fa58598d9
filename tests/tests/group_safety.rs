//! Group safety end to end (issue 16): newcomers' limits, a look-alike of
//! an engineer, spam caught by the classifier, the quarantine worked from
//! the workstation (approve: posted back and filed in the conversation;
//! ban: across the organisation's groups), and a SIGKILL during a spam
//! wave losing no held message.

use std::time::{Duration, Instant};

use bot_api_sim::{GroupPost, SimConfig, SimUser, Simulator};
use e2e::*;
use shared::*;

const WAIT: Duration = Duration::from_secs(30);
const GROUP: i64 = -1_001_000_000_901;
const TITLE: &str = "Acme ⇄ Support";
const OTHER: i64 = -1_001_000_000_902;
const OTHER_TITLE: &str = "Acme finance";
const STAFF_CHAT: i64 = -1_001_000_000_977;
const OLGA: i64 = 8901;
const NINA: i64 = 8902;
const SPAMMER: i64 = 8903;
const CLONE: i64 = 8904;
const IRA: i64 = 8991;
const LEAD: i64 = 8992;

async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn texts(sim: &Simulator, chat: i64) -> Vec<String> {
    sim.sent(chat).into_iter().filter_map(|s| s.text).collect()
}

fn post(text: &str) -> GroupPost {
    GroupPost {
        text: text.into(),
        ..GroupPost::default()
    }
}

fn user(id: i64, first: &str, last: Option<&str>, username: Option<&str>, lang: &str) -> SimUser {
    let mut u = SimUser::new(id, first, lang);
    u.last_name = last.map(str::to_owned);
    u.username = username.map(str::to_owned);
    u
}

/// A desk with Acme's two groups (the bot an administrator in both), Ira
/// linked, and a supervisor's and Ira's workstations.
async fn desk(
    sim: &Simulator,
    env: &[(&str, &str)],
) -> (tempfile::TempDir, std::path::PathBuf, Server, String) {
    let (dir, db) = fresh_db(0);
    let ira = add_agent(&db, "ira", "agent", "L1");
    cli_ok(&db, &["agent", "link", "ira", &IRA.to_string()]);
    add_agent(&db, "lead", "supervisor", "L1");
    cli_ok(&db, &["agent", "link", "lead", &LEAD.to_string()]);
    cli_ok(&db, &["org", "add", "Acme", "--queue", "L1"]);
    let (token, url) = (sim.token(), sim.api_url());
    let staff = STAFF_CHAT.to_string();
    let mut vars: Vec<(&str, &str)> = vec![
        ("TELEGRAM_BOT_TOKEN", token.as_str()),
        ("TELEGRAM_API_URL", url.as_str()),
        ("RELAY_TELEGRAM__POLL_TIMEOUT_SECS", "1"),
        ("RELAY_BOT__MODE", "direct"),
        ("RELAY_BOT__CONSENT", "false"),
        ("RELAY_STAFF__CHAT_ID", staff.as_str()),
    ];
    vars.extend_from_slice(env);
    let server = Server::start(&db, &vars);
    sim.group_join(STAFF_CHAT, "Support staff", IRA);
    for (chat, title) in [(GROUP, TITLE), (OTHER, OTHER_TITLE)] {
        sim.group_bot_status(chat, title, LEAD, "administrator");
    }
    until("the bot knows both groups", || {
        texts(sim, STAFF_CHAT)
            .iter()
            .filter(|t| t.contains("as an administrator"))
            .count()
            == 2
    })
    .await;
    for chat in [GROUP, OTHER] {
        cli_ok(&db, &["group", "bind", &chat.to_string(), "Acme"]);
    }
    (dir, db, server, ira)
}

fn held_by(m: &relay_client::Mirror, author: i64) -> Vec<HeldMessage> {
    m.quarantine
        .values()
        .filter(|h| h.author_id == author)
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newcomers_spam_and_lookalikes_are_held_and_staff_decide() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(user(OLGA, "Olga", Some("Marsh"), None, "en"));
    sim.add_user(user(NINA, "Nina", None, Some("nina_k"), "uk"));
    sim.add_user(user(
        SPAMMER,
        "Anna",
        Some("Rich"),
        Some("rich_anna_pro"),
        "en",
    ));
    sim.add_user(user(IRA, "Ira", Some("Kovalenko"), Some("ira_k"), "en"));
    sim.add_user(user(
        CLONE,
        "Ira",
        Some("Kovalenkо"),
        Some("ira_k_support"),
        "en",
    ));
    // The content rules (the door's captcha is the next test's).
    let (_dir, _db, server, ira) = desk(
        &sim,
        &[
            ("RELAY_SAFETY__NOTICE_LIFETIME", "2s"),
            ("RELAY_SAFETY__CAPTCHA", "off"),
        ],
    )
    .await;
    let mut ws = Client::connect(&server.ws_url(), &ira, None).await;

    // Olga was in the group before the bot: no newcomer limits; her link
    // is filed as usual. Ira writes as staff (the desk learns her name).
    let olga = sim.group_text(
        GROUP,
        TITLE,
        OLGA,
        "Hello! Our export fails, log at https://files.acme-corp.com/export.log",
        None,
    );
    sim.group_text(GROUP, TITLE, IRA, "Morning, looking at it now", None);
    ws.until("Olga's message filed", WAIT, |m| {
        m.group_messages
            .values()
            .flat_map(|c| c.values())
            .any(|g| g.telegram_message_id == Some(olga))
    })
    .await;

    // Nina joins and posts a link at once: held, deleted from the group,
    // told in the group (she never wrote to the bot) in Ukrainian; the
    // notice removes itself.
    sim.group_join(GROUP, TITLE, NINA);
    let link = sim.group_text(
        GROUP,
        TITLE,
        NINA,
        "Ось скрін помилки: https://files.acme-corp.com/err.png",
        None,
    );
    ws.until("Nina's link held", WAIT, |m| !held_by(m, NINA).is_empty())
        .await;
    let held = held_by(&ws.mirror, NINA).remove(0);
    assert_eq!(held.reasons, [HoldReason::NewcomerLink]);
    assert_eq!(held.state, HeldState::Held);
    assert_eq!(held.telegram_message_id, link);
    until("the link deleted from the group", || {
        sim.deleted(GROUP).contains(&link)
    })
    .await;
    until("Nina told why", || {
        texts(&sim, GROUP)
            .iter()
            .any(|t| t.starts_with("Nina, ваше повідомлення затримано для перевірки: нові учасники поки не можуть надсилати посилання."))
    })
    .await;
    let notice = sim
        .sent(GROUP)
        .into_iter()
        .find(|s| s.text.as_deref().is_some_and(|t| t.starts_with("Nina,")))
        .unwrap()
        .message_id;
    until("the notice removed after its lifetime", || {
        sim.deleted(GROUP).contains(&notice)
    })
    .await;
    assert!(
        !ws.mirror
            .group_messages
            .values()
            .flat_map(|c| c.values())
            .any(|g| g.author_id == NINA),
        "a held message is not filed"
    );

    // Ira approves it: posted back quoted, filed as Nina's in a
    // conversation that now owes her an answer; her limits are lifted.
    let ok = ws
        .cmd(Command::QuarantineApprove { held_id: held.id })
        .await;
    expect_ok(&ok);
    until("the message posted back", || {
        texts(&sim, GROUP).iter().any(|t| {
            t == "↩️ Nina wrote (held for review, approved by a moderator):\nОсь скрін помилки: https://files.acme-corp.com/err.png"
        })
    })
    .await;
    ws.until("Nina's message in a conversation, owed", WAIT, |m| {
        m.group_messages.iter().any(|(c, msgs)| {
            msgs.values().any(|g| {
                g.author_id == NINA
                    && g.side == GroupSide::Customer
                    && g.delivery.as_ref().map(|d| d.state) == Some(DeliveryState::Sent)
            }) && m.conversations[c].owed_since.is_some()
        })
    })
    .await;
    assert_eq!(
        ws.mirror.quarantine[&held.id].state,
        HeldState::Approved,
        "decided"
    );
    let again = ws
        .cmd(Command::QuarantineApprove { held_id: held.id })
        .await;
    assert!(matches!(
        again,
        ServerMessage::Ok {
            result: CommandResult::Unchanged,
            ..
        }
    ));
    let second = sim.group_text(
        GROUP,
        TITLE,
        NINA,
        "і ще лог: https://files.acme-corp.com/2.log",
        None,
    );
    ws.until("Nina's second link filed", WAIT, |m| {
        m.group_messages
            .values()
            .flat_map(|c| c.values())
            .any(|g| g.telegram_message_id == Some(second))
    })
    .await;

    // A spammer joins both groups and posts: the classifier catches it.
    // Banned from the workstation: out of every group of Acme.
    sim.group_join(GROUP, TITLE, SPAMMER);
    let spam = sim.group_text(
        GROUP,
        TITLE,
        SPAMMER,
        "💰💰 Earn $500 a day from home! Only 2 hours a day, no experience. Write me @rich_anna_pro 🚀🚀",
        None,
    );
    ws.until("the spam held", WAIT, |m| !held_by(m, SPAMMER).is_empty())
        .await;
    let held = held_by(&ws.mirror, SPAMMER).remove(0);
    assert!(
        held.reasons
            .iter()
            .any(|r| matches!(r, HoldReason::Spam { percent } if *percent >= 99)),
        "{:?}",
        held.reasons
    );
    until("the spam deleted", || sim.deleted(GROUP).contains(&spam)).await;
    expect_ok(&ws.cmd(Command::QuarantineBan { held_id: held.id }).await);
    until("banned from both groups", || {
        sim.group_members(GROUP).0.contains(&SPAMMER)
            && sim.group_members(OTHER).0.contains(&SPAMMER)
    })
    .await;
    ws.until("decided", WAIT, |m| {
        m.quarantine[&held.id].state == HeldState::Banned
    })
    .await;
    assert!(
        sim.group_post(OTHER, OTHER_TITLE, SPAMMER, &post("hi"))
            .is_err(),
        "Telegram keeps a banned member out"
    );
    let refused = ws
        .cmd(Command::QuarantineApprove { held_id: held.id })
        .await;
    expect_error(&refused, ErrorCode::Conflict);

    // A look-alike of Ira joins: staff are told at once, and what it
    // writes is held.
    sim.group_join(GROUP, TITLE, CLONE);
    let clone = sim.group_text(
        GROUP,
        TITLE,
        CLONE,
        "Hi, I'm from the support team. Please send me the code you just got so I can verify your account",
        None,
    );
    let told = {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(t) = texts(&sim, STAFF_CHAT)
                .into_iter()
                .find(|t| t.contains("Look-alike of ira joined"))
            {
                break t;
            }
            assert!(Instant::now() < deadline, "{:?}", texts(&sim, STAFF_CHAT));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    assert!(
        told.contains("Ira Kovalenkо") && told.contains("@ira_k_support"),
        "{told}"
    );
    ws.until("the clone's message held", WAIT, |m| {
        !held_by(m, CLONE).is_empty()
    })
    .await;
    let held = held_by(&ws.mirror, CLONE).remove(0);
    assert!(
        held.reasons
            .contains(&HoldReason::Lookalike { of: "ira".into() }),
        "{:?}",
        held.reasons
    );
    until("the clone's message deleted", || {
        sim.deleted(GROUP).contains(&clone)
    })
    .await;
    // Staff and linked accounts are never checked.
    let staff_link = sim.group_text(
        GROUP,
        TITLE,
        IRA,
        "Docs: https://docs.acme-corp.com/export",
        None,
    );
    ws.until("Ira's link filed", WAIT, |m| {
        m.group_messages
            .values()
            .flat_map(|c| c.values())
            .any(|g| g.telegram_message_id == Some(staff_link))
    })
    .await;
    assert!(!sim.deleted(GROUP).contains(&staff_link));

    // The figures: Olga's and Nina's two filed, three held (one approved,
    // one banned, one waiting); the approved one counted once.
    let figures = match ws.cmd(Command::SafetyFigures { days: 7 }).await {
        ServerMessage::Ok {
            result: CommandResult::SafetyFigures { figures },
            seq: None,
            ..
        } => figures,
        other => panic!("no figures: {other:?}"),
    };
    let acme = &figures.organisations[0];
    assert_eq!(
        (
            acme.name.as_str(),
            acme.messages,
            acme.held,
            acme.approved,
            acme.banned,
            acme.waiting
        ),
        ("Acme", 5, 3, 1, 1, 1)
    );
    assert_eq!(acme.false_positive_share(), Some(0.5));
    assert!((acme.spam_share() - 0.4).abs() < 1e-9);
    assert_eq!(figures.groups.len(), 1, "the quiet group is left out");
    let refused = ws.cmd(Command::SafetyFigures { days: 0 }).await;
    expect_error(&refused, ErrorCode::Invalid);
}

/// SIGKILL during a spam wave: every message Telegram handed over is
/// either filed (the clients') or held (the spammers'), exactly once; and
/// every held one is deleted from the group once the server is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_a_spam_wave_loses_no_held_message() {
    const WAVE: i64 = -1_001_000_000_951;
    const WAVE_TITLE: &str = "Wave test";
    let sim = std::sync::Arc::new(Simulator::start(SimConfig::default()).await.unwrap());
    let clients: Vec<i64> = (9101..=9103).collect();
    let spammers: Vec<i64> = (9201..=9210).collect();
    for id in clients.iter().chain(&spammers) {
        sim.add_user(SimUser::new(*id, &format!("Person {id}"), "en"));
    }
    let (_dir, db) = fresh_db(0);
    cli_ok(&db, &["org", "add", "Acme", "--queue", "L1"]);
    // The spammers got past the door (a captcha is the next test's).
    let start = |db: &std::path::Path| {
        Server::start_durable_direct_bot_with(db, &sim, &[("RELAY_SAFETY__CAPTCHA", "off")])
    };
    let count = |sql: &str| -> i64 {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.query_row(sql, [WAVE], |r| r.get(0)).unwrap()
    };
    {
        let _first = start(&db);
        sim.group_bot_status(WAVE, WAVE_TITLE, clients[0], "administrator");
        until("the group known", || {
            count("SELECT count(*) FROM groups WHERE chat_id = ?1") == 1
        })
        .await;
        cli_ok(&db, &["group", "bind", &WAVE.to_string(), "Acme"]);
        for s in &spammers {
            sim.group_join(WAVE, WAVE_TITLE, *s);
        }
        until("the spammers joined", || {
            count("SELECT count(*) FROM group_members WHERE chat_id = ?1 AND joined_at IS NOT NULL")
                == spammers.len() as i64
        })
        .await;
    }
    // The wave: 300 spam posts with links from newcomers among 90 client
    // questions.
    let load = {
        let (s, clients, spammers) = (sim.clone(), clients.clone(), spammers.clone());
        tokio::spawn(async move {
            let (mut ham, mut spam) = (Vec::new(), Vec::new());
            for k in 0..30 {
                for (n, who) in spammers.iter().enumerate() {
                    spam.push(s.group_text(
                        WAVE,
                        WAVE_TITLE,
                        *who,
                        &format!(
                            "🔥 Free signals {k}-{n}: x10 in a week! Join https://t.me/pump_{n}_{k}"
                        ),
                        None,
                    ));
                }
                for (n, who) in clients.iter().enumerate() {
                    ham.push(s.group_text(
                        WAVE,
                        WAVE_TITLE,
                        *who,
                        &format!("Question {k}-{n}: the export to S3 still fails with error 502"),
                        None,
                    ));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (ham, spam)
        })
    };
    for after_ms in [500u64, 800, 1100] {
        let mut s = start(&db);
        tokio::time::sleep(Duration::from_millis(after_ms)).await;
        s.kill();
    }
    let (ham, spam) = load.await.unwrap();
    let _last = start(&db);
    let ids = |sql: &str| -> Vec<i64> {
        let c = rusqlite::Connection::open(&db).unwrap();
        let mut st = c.prepare(sql).unwrap();
        st.query_map([WAVE], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let (mut want_ham, mut want_spam) = (ham.clone(), spam.clone());
    want_ham.sort_unstable();
    want_spam.sort_unstable();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let filed =
            ids("SELECT message_id FROM group_messages WHERE chat_id = ?1 ORDER BY message_id");
        let held = ids("SELECT message_id FROM quarantine WHERE chat_id = ?1 ORDER BY message_id");
        if filed.len() + held.len() >= ham.len() + spam.len() {
            assert_eq!(filed, want_ham, "every client's message filed once");
            assert_eq!(held, want_spam, "every spam post held once");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} filed and {} held of {}",
            filed.len(),
            held.len(),
            ham.len() + spam.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    until("every held post deleted from the group", || {
        let deleted = sim.deleted(WAVE);
        spam.iter().all(|id| deleted.contains(id))
    })
    .await;
    assert!(
        ham.iter().all(|id| !sim.deleted(WAVE).contains(id)),
        "no client's message deleted"
    );
    assert_eq!(
        count("SELECT count(*) FROM moderation WHERE chat_id = ?1 AND state = 'failed'"),
        0
    );
}

/// Waits until the bot sent `chat` a message containing `needle`; returns it.
async fn sent_with(sim: &Simulator, chat: i64, needle: &str) -> bot_api_sim::Sent {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(s) = sim
            .sent(chat)
            .into_iter()
            .find(|s| s.text.as_deref().is_some_and(|t| t.contains(needle)))
        {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "chat {chat} never got {needle:?}: {:?}",
            texts(sim, chat)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The callback data of the button labelled `label`.
fn button(s: &bot_api_sim::Sent, label: &str) -> String {
    s.buttons()
        .into_iter()
        .find(|(l, _)| l == label)
        .map(|(_, d)| d)
        .unwrap_or_else(|| panic!("no button {label:?}: {:?}", s.buttons()))
}

/// The captcha at the door: join requests answered in private (right,
/// wrong, no answer), a newcomer restricted until they press the button in
/// the group (pressed, and not), a raid, and the pinned list of official
/// accounts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_door_lets_people_in_and_keeps_bots_out() {
    const APPLY: i64 = -1_001_000_000_911;
    const APPLY_TITLE: &str = "Acme customers";
    const OPEN: i64 = -1_001_000_000_912;
    const OPEN_TITLE: &str = "Globex ⇄ Support";
    const RIGHT: i64 = 8801;
    const WRONG: i64 = 8802;
    const SILENT: i64 = 8803;
    const NEWBIE: i64 = 8804;
    const SLOW: i64 = 8805;
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    for (id, name, lang) in [
        (RIGHT, "Roman", "uk"),
        (WRONG, "Wanda", "en"),
        (SILENT, "Sid", "ru"),
        (NEWBIE, "Nadia", "en"),
        (SLOW, "Stan", "zh"),
        (OLGA, "Olga", "en"),
    ] {
        sim.add_user(SimUser::new(id, name, lang));
    }
    sim.add_user(user(IRA, "Ira", Some("Kovalenko"), Some("ira_k"), "en"));
    let (_dir, db, _server, _ira) = desk(
        &sim,
        &[
            ("RELAY_SAFETY__CAPTCHA_TIMEOUT", "10s"),
            ("RELAY_SAFETY__RAID_JOINS_PER_MINUTE", "4"),
        ],
    )
    .await;
    cli_ok(&db, &["org", "add", "Globex", "--queue", "L1"]);
    cli_ok(&db, &["org", "safety", "Acme", "--captcha", "questions"]);
    cli_ok(
        &db,
        &[
            "org",
            "question",
            "add",
            "Acme",
            "Which product do you use with us?",
            "--right",
            "Ledger Pro",
            "--wrong",
            "Casino Royale",
            "--wrong",
            "Free Crypto",
        ],
    );
    for (chat, title, org) in [(APPLY, APPLY_TITLE, "Acme"), (OPEN, OPEN_TITLE, "Globex")] {
        sim.group_bot_status(chat, title, LEAD, "administrator");
        until("the bot knows the group", || {
            texts(&sim, STAFF_CHAT).iter().any(|t| t.contains(title))
        })
        .await;
        cli_ok(&db, &["group", "bind", &chat.to_string(), org]);
    }

    // The right answer: approved, told in their language, let in without
    // a second captcha.
    sim.join_request(APPLY, APPLY_TITLE, RIGHT);
    let q = sent_with(&sim, RIGHT, "Which product do you use with us?").await;
    assert!(
        q.text
            .as_deref()
            .unwrap()
            .starts_with("Ви попросили приєднатися до «Acme customers»"),
        "{q:?}"
    );
    sim.press(RIGHT, q.message_id, &button(&q, "Ledger Pro"))
        .unwrap();
    sent_with(
        &sim,
        RIGHT,
        "Дякуємо! Ваш запит на вступ до «Acme customers» схвалено.",
    )
    .await;
    until("approved", || sim.join_requests(APPLY).1 == [RIGHT]).await;
    until("the question removed", || {
        sim.deleted(RIGHT).contains(&q.message_id)
    })
    .await;
    // A wrong answer: declined, and told.
    sim.join_request(APPLY, APPLY_TITLE, WRONG);
    let q = sent_with(&sim, WRONG, "Which product").await;
    sim.press(WRONG, q.message_id, &button(&q, "Free Crypto"))
        .unwrap();
    sent_with(&sim, WRONG, "That is not the right answer").await;
    until("declined", || sim.join_requests(APPLY).2 == [WRONG]).await;
    // No answer: declined when the time is up.
    sim.join_request(APPLY, APPLY_TITLE, SILENT);
    let q = sent_with(&sim, SILENT, "Which product").await;
    sent_with(&sim, SILENT, "Время вышло").await;
    until("declined", || sim.join_requests(APPLY).2 == [WRONG, SILENT]).await;
    until("the unanswered question removed", || {
        sim.deleted(SILENT).contains(&q.message_id)
    })
    .await;
    assert!(
        sim.group_members(APPLY).1.is_empty(),
        "nobody let in through a request is restricted again"
    );

    // A group without join requests: the newcomer is restricted until
    // they press the button; someone else's press does nothing.
    let joined = sim.group_join(OPEN, OPEN_TITLE, NEWBIE);
    let welcome = sent_with(&sim, OPEN, "Welcome, Nadia!").await;
    until("Nadia restricted", || {
        sim.group_members(OPEN)
            .1
            .iter()
            // Telegram leaves out the rights not given.
            .any(|(u, p)| *u == NEWBIE && p["can_send_messages"].as_bool() != Some(true))
    })
    .await;
    until("the join message removed", || {
        sim.deleted(OPEN).contains(&joined)
    })
    .await;
    let data = button(&welcome, "I'm a person");
    sim.group_press(OPEN, OLGA, welcome.message_id, &data)
        .unwrap();
    sim.group_press(OPEN, NEWBIE, welcome.message_id, &data)
        .unwrap();
    until("Nadia may write", || {
        sim.group_members(OPEN)
            .1
            .iter()
            .any(|(u, p)| *u == NEWBIE && p["can_send_messages"] == true)
    })
    .await;
    until("the welcome removed", || {
        sim.deleted(OPEN).contains(&welcome.message_id)
    })
    .await;
    // No press: removed when the time is up (free to come back).
    sim.group_join(OPEN, OPEN_TITLE, SLOW);
    let welcome = sent_with(&sim, OPEN, "欢迎，Stan！").await;
    until("Stan removed", || sim.group_bans(OPEN).contains(&SLOW)).await;
    // A kick, not a ban: the ban is lifted by the next call (waited for,
    // not assumed done when the ban is seen).
    until("Stan free to come back (a kick, not a ban)", || {
        !sim.group_members(OPEN).0.contains(&SLOW)
    })
    .await;
    until("the welcome removed", || {
        sim.deleted(OPEN).contains(&welcome.message_id)
    })
    .await;

    // A raid: more than four joins in a minute. Staff are told; newcomers
    // from then on are restricted until it ends.
    let raiders: Vec<i64> = (8811..=8816).collect();
    for r in &raiders {
        sim.add_user(SimUser::new(*r, &format!("Raider {r}"), "en"));
        sim.group_join(OPEN, OPEN_TITLE, *r);
    }
    let told = sent_with(&sim, STAFF_CHAT, "Raid in Globex ⇄ Support").await;
    assert!(told.text.unwrap().contains("joins in a minute"));
    let last = *raiders.last().unwrap();
    until("the last raider restricted until the raid ends", || {
        sim.group_members(OPEN)
            .1
            .iter()
            .any(|(u, p)| *u == last && p["until_date"].as_i64().unwrap_or(0) > 0)
    })
    .await;
    let calm = cli_ok(&db, &["group", "calm", &OPEN.to_string()]);
    assert!(calm.contains("ended"), "{calm}");

    // The official accounts: Ira (linked) writes; the list with her
    // username is posted and pinned in every bound group the bot runs.
    sim.group_text(OPEN, OPEN_TITLE, IRA, "Hello, I'm on duty today", None);
    let list = sent_with(&sim, OPEN, "official support accounts").await;
    assert!(
        list.text
            .as_deref()
            .unwrap()
            .contains("Ira Kovalenko — @ira_k"),
        "{list:?}"
    );
    until("pinned", || {
        sim.join_requests(OPEN).3.contains(&list.message_id)
    })
    .await;
    let there = sent_with(&sim, APPLY, "official support accounts").await;
    until("pinned in the other group too", || {
        sim.join_requests(APPLY).3.contains(&there.message_id)
    })
    .await;
}
