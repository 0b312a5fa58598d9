//! The customer's mini app API end to end (docs/miniapp.md): the real
//! relay-server with the simulated Telegram; launch data signed with the
//! bot's token as Telegram would. A customer reads their tickets and a
//! thread without internal notes; forged, altered, stale, missing and
//! foreign launch data is 401; another customer's ticket is 404; a bad
//! path is 400; and none of it changes anything.

use std::time::Duration;

use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::*;
use relay_server::domain::i18n::{self, Lang};
use relay_server::http::init_data::sign;
use shared::*;

const WAIT: Duration = Duration::from_secs(30);

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Launch data for Telegram user `id`, signed with `token`, `age` old.
fn launch(id: i64, name: &str, lang: &str, token: &str, age: i64) -> String {
    let user = format!(
        r#"{{"id":{id},"first_name":"{name}","language_code":"{lang}","allows_write_to_pm":true}}"#
    );
    sign(
        &[
            ("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"),
            ("user", &user),
            ("auth_date", &(now_secs() - age).to_string()),
        ],
        token,
    )
}

fn get(addr: &str, path: &str, init_data: Option<&str>) -> (u16, String) {
    let headers: Vec<String> = init_data
        .map(|d| vec![format!("Authorization: tma {d}")])
        .unwrap_or_default();
    http_request(addr, "GET", path, &headers, b"")
}

/// Rows of the tables the app could touch, to show nothing changed.
fn counts(db: &std::path::Path) -> Vec<i64> {
    let c = rusqlite::Connection::open(db).unwrap();
    ["customers", "tickets", "messages", "events", "outbox"]
        .iter()
        .map(|t| {
            c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_reads_their_own_tickets_and_nothing_else() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(7001, "Оксана", "uk"));
    sim.add_user(SimUser::new(7002, "Mark", "en"));
    let (_dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1");
    let server = Server::start_durable_direct_bot(&db, &sim);
    let mut agent = Client::connect(&server.ws_url(), &token, None).await;
    sim.send_text(7001, "Не можу оплатити карткою");
    sim.send_text(7002, "Where is my parcel?");
    agent
        .until("two tickets", WAIT, |m| {
            ticket_of(m, 7001).is_some() && ticket_of(m, 7002).is_some()
        })
        .await;
    let (hers, his) = (
        ticket_of(&agent.mirror, 7001).unwrap(),
        ticket_of(&agent.mirror, 7002).unwrap(),
    );
    agent.reply(hers, "Перевіряю платіж").await;
    expect_ok(
        &agent
            .cmd(Command::Note {
                ticket_id: hers,
                text: "internal: card BIN flagged by the bank".into(),
            })
            .await,
    );
    let addr = server.addr.clone();
    let bot = sim.token();
    assert_eq!(sim.menu_button(None), None, "no public_url: no menu button");
    let oksana = launch(7001, "Оксана", "uk", &bot, 5);

    // Her list: her ticket alone, in her language, the reply the newest.
    let (status, body) = get(&addr, "/app/api/tickets", Some(&oksana));
    assert_eq!(status, 200, "{body}");
    let list: Vec<AppTicket> = serde_json::from_str(&body).unwrap();
    assert_eq!(list.len(), 1, "{body}");
    let t = &list[0];
    assert_eq!(t.id, hers);
    assert_eq!(t.number, agent.mirror.tickets[&hers].number);
    let status_now = agent.mirror.tickets[&hers].status;
    assert_eq!(t.status, status_now);
    assert_eq!(
        t.status_text,
        i18n::text(Lang::Uk, &format!("state.{}", status_now.as_str()), &[]),
        "in her language: {body}"
    );
    assert_eq!(t.team, "L1 general");
    assert!(t.can_write && !t.can_rate);
    assert_eq!(t.eta, None, "answered: no estimate");
    let last = t.last.as_ref().unwrap();
    assert_eq!(
        (last.from, last.text.as_str()),
        (AppFrom::Support, "Перевіряю платіж")
    );
    assert!(!body.contains("internal:"), "a note leaked: {body}");

    // Her thread: what she wrote and the reply; never the note.
    let (status, body) = get(&addr, &format!("/app/api/tickets/{hers}"), Some(&oksana));
    assert_eq!(status, 200, "{body}");
    let thread: AppThread = serde_json::from_str(&body).unwrap();
    let said: Vec<(AppFrom, &str)> = thread
        .messages
        .iter()
        .map(|m| (m.from, m.text.as_str()))
        .collect();
    assert_eq!(
        said,
        [
            (AppFrom::Me, "Не можу оплатити карткою"),
            (AppFrom::Support, "Перевіряю платіж")
        ]
    );
    for staff_only in ["internal:", "assignee", "priority", "\"tags\"", "sla"] {
        assert!(!body.contains(staff_only), "{staff_only} shown: {body}");
    }

    let before = counts(&db);
    // Another customer's ticket looks like none at all.
    let (status, _) = get(&addr, &format!("/app/api/tickets/{his}"), Some(&oksana));
    assert_eq!(status, 404);
    let (status, _) = get(&addr, "/app/api/tickets/999999", Some(&oksana));
    assert_eq!(status, 404);
    // A path that is not a ticket id.
    let (status, _) = get(&addr, "/app/api/tickets/abc", Some(&oksana));
    assert_eq!(status, 400);

    // Refused launch data: each is 401 with a reason.
    let other_bot = launch(7001, "Оксана", "uk", "999:ANOTHER-BOT", 5);
    let altered = oksana.replace("7001", "7002");
    let stale = launch(7001, "Оксана", "uk", &bot, 2 * 3600);
    let future = launch(7001, "Оксана", "uk", &bot, -3600);
    let doubled = format!("{oksana}&auth_date=1");
    for (what, data, says) in [
        (
            "forged (another bot's token)",
            Some(other_bot.as_str()),
            "hash",
        ),
        ("altered (the user id)", Some(altered.as_str()), "hash"),
        ("stale (two hours old)", Some(stale.as_str()), "older"),
        ("from the future", Some(future.as_str()), "future"),
        ("a field twice", Some(doubled.as_str()), "twice"),
        ("empty", Some(""), "launch data"),
        ("missing", None, "Authorization: tma"),
    ] {
        let (status, body) = get(&addr, "/app/api/tickets", data);
        assert_eq!(status, 401, "{what}: {body}");
        assert!(body.contains(says), "{what}: {body}");
    }
    let (status, _) = http_request(
        &addr,
        "GET",
        "/app/api/tickets",
        &[format!("Authorization: Bearer {token}")],
        b"",
    );
    assert_eq!(status, 401, "an agent's token is not launch data");

    // Someone the desk does not know: an empty list, and no record of them.
    let stranger = launch(7003, "Eve", "en", &bot, 5);
    let (status, body) = get(&addr, "/app/api/tickets", Some(&stranger));
    assert_eq!((status, body.as_str()), (200, "[]"));
    assert_eq!(counts(&db), before, "reading changed the database");
}

/// With `[miniapp] public_url`, the bot's menu button opens the app; an
/// address that is not https is refused with the key named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_menu_button_opens_the_app_at_its_https_address() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (dir, db) = fresh_db(0);
    let url = "https://desk.example.com/app/";
    let _server =
        Server::start_durable_direct_bot_with(&db, &sim, &[("RELAY_MINIAPP__PUBLIC_URL", url)]);
    let deadline = std::time::Instant::now() + WAIT;
    let button = loop {
        if let Some(b) = sim.menu_button(None) {
            break b;
        }
        assert!(std::time::Instant::now() < deadline, "no menu button set");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        button,
        serde_json::json!({
            "type": "web_app",
            "text": i18n::text(Lang::En, "app.menu", &[]),
            "web_app": {"url": url},
        })
    );
    // The ticket's buttons (the receipt's, /status's) open it in the app.
    sim.add_user(SimUser::new(7201, "Ivan", "ru"));
    let token = add_agent(&db, "alice", "supervisor", "L1");
    let mut agent = Client::connect(&_server.ws_url(), &token, None).await;
    sim.send_text(7201, "Не приходит код");
    agent
        .until("his ticket", WAIT, |m| ticket_of(m, 7201).is_some())
        .await;
    let id = ticket_of(&agent.mirror, 7201).unwrap();
    sim.send_text(7201, "/status");
    let deadline = std::time::Instant::now() + WAIT;
    let open = loop {
        let found = sim.sent(7201).iter().find_map(|s| {
            s.reply_markup.as_ref().and_then(|m| {
                m["inline_keyboard"]
                    .as_array()?
                    .iter()
                    .flat_map(|r| r.as_array().into_iter().flatten())
                    .find(|b| b.get("web_app").is_some())
                    .cloned()
            })
        });
        if let Some(b) = found {
            break b;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no Open button: {:?}",
            sim.sent(7201)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        open,
        serde_json::json!({
            "text": i18n::text(Lang::Ru, "app.open", &[]),
            "web_app": {"url": format!("{url}?ticket={id}")},
        })
    );
    // His own chat's menu button speaks his language; an English
    // speaker's keeps the default. Changing language changes it.
    let until_menu = |chat: i64, want: serde_json::Value| {
        let sim = &sim;
        async move {
            let deadline = std::time::Instant::now() + WAIT;
            while sim.menu_button(Some(chat)).as_ref() != Some(&want) {
                assert!(
                    std::time::Instant::now() < deadline,
                    "chat {chat}: {:?}, not {want}",
                    sim.menu_button(Some(chat))
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let button_at = |url: &str, lang: Lang| {
        serde_json::json!({
            "type": "web_app",
            "text": i18n::text(lang, "app.menu", &[]),
            "web_app": {"url": url},
        })
    };
    let app_button = |lang: Lang| button_at(url, lang);
    until_menu(7201, app_button(Lang::Ru)).await;
    sim.add_user(SimUser::new(7202, "Mary", "en"));
    sim.send_text(7202, "My code never arrives");
    agent
        .until("her ticket", WAIT, |m| ticket_of(m, 7202).is_some())
        .await;
    let ivan = launch(7201, "Ivan", "ru", &sim.token(), 5);
    let addr = _server.addr.clone();
    for (lang, button) in [
        ("uk", app_button(Lang::Uk)),
        // Back to English: the bot's default button.
        ("en", serde_json::json!({"type": "default"})),
    ] {
        let change = format!(r#"{{"language":"{lang}"}}"#);
        let (status, body) = send(&addr, "PUT", "/app/api/settings", &ivan, &change);
        assert_eq!(status, 200, "{body}");
        until_menu(7201, button).await;
    }
    // The worker looked at Mary's chat too (it records what it decided)
    // and set nothing: English keeps the default.
    let deadline = std::time::Instant::now() + WAIT;
    let decided = || {
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row(
                "SELECT menu_lang FROM customers WHERE telegram_user_id = 7202",
                [],
                |r| r.get::<_, Option<String>>(0),
            )
            .unwrap()
    };
    while decided().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "Mary's chat never looked at"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(decided().as_deref(), Some("en"));
    assert_eq!(
        sim.menu_button(Some(7202)),
        None,
        "English keeps the default"
    );

    // Russian again; then the app moves: after a restart every button
    // opens the new address. Switched off: Telegram's default everywhere.
    let (status, _) = send(
        &addr,
        "PUT",
        "/app/api/settings",
        &ivan,
        r#"{"language":"ru"}"#,
    );
    assert_eq!(status, 200);
    until_menu(7201, app_button(Lang::Ru)).await;
    drop(agent);
    drop(_server);
    let moved = "https://help.example.com/app/";
    let server =
        Server::start_durable_direct_bot_with(&db, &sim, &[("RELAY_MINIAPP__PUBLIC_URL", moved)]);
    let at_moved = |lang: Lang| button_at(moved, lang);
    until_menu(7201, at_moved(Lang::Ru)).await;
    assert_eq!(sim.menu_button(None), Some(at_moved(Lang::En)));
    drop(server);
    let _off = Server::start_durable_direct_bot_with(
        &db,
        &sim,
        &[
            ("RELAY_MINIAPP__PUBLIC_URL", moved),
            ("RELAY_MINIAPP__ENABLED", "false"),
        ],
    );
    until_menu(7201, serde_json::json!({"type": "default"})).await;
    let deadline = std::time::Instant::now() + WAIT;
    while sim.menu_button(None) != Some(serde_json::json!({"type": "default"})) {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            sim.menu_button(None)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let config = dir.path().join("plain.toml");
    std::fs::write(
        &config,
        "[miniapp]\npublic_url = \"http://desk.example.com/app/\"\n",
    )
    .unwrap();
    let out = cli(&db, &["--config", config.to_str().unwrap(), "report"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("miniapp.public_url") && err.contains("https://"),
        "{err}"
    );
}

fn send(addr: &str, method: &str, path: &str, init_data: &str, body: &str) -> (u16, String) {
    http_request(
        addr,
        method,
        path,
        &[
            format!("Authorization: tma {init_data}"),
            "Content-Type: application/json".into(),
        ],
        body.as_bytes(),
    )
}

/// The files the app kept in the uploads.
fn uploads(db: &std::path::Path) -> usize {
    std::fs::read_dir(db.parent().unwrap().join("files/uploads")).map_or(0, |d| d.count())
}

/// A 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0d, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Writing from the app, in guided mode with consent: the form in her
/// language; a request filed as the chat would (consent, topic, answers,
/// screenshot, receipt in the chat, the engineers' note), a second joins
/// it; a message, a rating once resolved; settings; and every bad body
/// refused with its status while nothing changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writing_from_the_app_files_as_the_chat_would_and_bad_bodies_change_nothing() {
    use base64::Engine;
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(7101, "Оксана", "uk"));
    sim.add_user(SimUser::new(7102, "Mark", "en"));
    let (_dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1,L2");
    let kb = concat!(env!("CARGO_MANIFEST_DIR"), "/../relay-server/kb");
    let server = Server::start_durable_direct_bot_with(
        &db,
        &sim,
        &[
            ("RELAY_BOT__MODE", "guided"),
            ("RELAY_BOT__CONSENT", "true"),
            ("RELAY_BOT__KB_DIR", kb),
        ],
    );
    let mut agent = Client::connect(&server.ws_url(), &token, None).await;
    let (addr, bot) = (server.addr.clone(), sim.token());
    let oksana = launch(7101, "Оксана", "uk", &bot, 5);
    let mark = launch(7102, "Mark", "en", &bot, 5);

    // The form, in her language, asks for consent first.
    let (status, body) = get(&addr, "/app/api/form", Some(&oksana));
    assert_eq!(status, 200, "{body}");
    let form: AppForm = serde_json::from_str(&body).unwrap();
    assert_eq!(
        form.consent.as_deref(),
        Some(i18n::text(Lang::Uk, "consent.ask", &[("name", "")]).as_str())
    );
    let payment = form.topics.iter().find(|t| t.key == "payment").unwrap();
    assert_eq!(
        payment.label,
        i18n::text(Lang::Uk, "topic.payment", &[]),
        "{body}"
    );
    assert_eq!(payment.questions.len(), 2);
    assert_eq!(
        payment.questions[0].text,
        i18n::text(Lang::Uk, "question.payment_method", &[])
    );
    assert_eq!(form.open_ticket, None);

    // Bad bodies: each refused with its status; nothing stored, no file kept.
    let before = counts(&db);
    let big = vec![b'a'; 8 << 20];
    let too_big_file = base64::engine::general_purpose::STANDARD.encode(vec![0u8; (5 << 20) + 3]);
    let good = |extra: &str| {
        format!(
            r#"{{"topic":"payment","answers":["Visa","сьогодні"],"text":"Не проходить оплата"{extra}}}"#
        )
    };
    for (what, path, body, status, says) in [
        ("no consent", "/app/api/tickets", good(""), 409, "consent"),
        (
            "not JSON",
            "/app/api/tickets",
            "{\"topic\":".into(),
            400,
            "not a request",
        ),
        (
            "an unknown field",
            "/app/api/tickets",
            good(r#","consent":true,"priority":"urgent""#),
            400,
            "unknown field",
        ),
        (
            "no such topic",
            "/app/api/tickets",
            r#"{"topic":"nope","answers":[],"text":"x","consent":true}"#.into(),
            400,
            "no topic",
        ),
        (
            "an unanswered question",
            "/app/api/tickets",
            r#"{"topic":"payment","answers":["Visa"," "],"text":"x","consent":true}"#.into(),
            400,
            "answer",
        ),
        (
            "no description",
            "/app/api/tickets",
            r#"{"topic":"idea","answers":["a"],"text":"  ","consent":true}"#.into(),
            400,
            "describe",
        ),
        (
            "a body over the cap",
            "/app/api/tickets",
            String::from_utf8(big.clone()).unwrap(),
            413,
            "",
        ),
        (
            "a file over 5 MB",
            "/app/api/tickets",
            good(&format!(
                r#","consent":true,"screenshot":{{"name":"shot.png","data":"{too_big_file}"}}"#
            )),
            413,
            "5 MB",
        ),
        (
            "a file that is not base64",
            "/app/api/tickets",
            good(r#","consent":true,"screenshot":{"name":"shot.png","data":"%%%"}"#),
            400,
            "base64",
        ),
        (
            "a file of a kind not taken",
            "/app/api/tickets",
            good(r#","consent":true,"screenshot":{"name":"run.exe","data":"AAAA"}"#),
            400,
            "image",
        ),
        (
            "a rating body over its cap",
            "/app/api/tickets/1/rating",
            format!(r#"{{"stars":5,"x":"{}"}}"#, "a".repeat(70_000)),
            413,
            "",
        ),
        (
            "a rating that is not a number",
            "/app/api/tickets/1/rating",
            r#"{"stars":"five"}"#.into(),
            400,
            "not a request",
        ),
    ] {
        let (got, answer) = send(&addr, "POST", path, &oksana, &body);
        assert_eq!(got, status, "{what}: {answer}");
        assert!(answer.contains(says), "{what}: {answer}");
    }
    assert_eq!(
        counts(&db),
        before,
        "a refused request changed the database"
    );
    assert_eq!(uploads(&db), 0, "a refused request left a file");

    // The request, with consent and a screenshot.
    let shot = base64::engine::general_purpose::STANDARD.encode(PNG);
    let (status, body) = send(
        &addr,
        "POST",
        "/app/api/tickets",
        &oksana,
        &good(&format!(
            r#","consent":true,"screenshot":{{"name":"екран.png","data":"{shot}"}}"#
        )),
    );
    assert_eq!(status, 201, "{body}");
    let filed: AppFiled = serde_json::from_str(&body).unwrap();
    assert!(!filed.joined);
    let id = filed.ticket;
    agent
        .until("the request in the stream", WAIT, |m| {
            m.tickets.get(&id).is_some_and(|t| t.queue.as_str() == "L1")
                && m.messages.get(&id).is_some_and(|ms| {
                    ms.values()
                        .any(|x| x.text.contains("Filed from the mini app."))
                        && ms.values().any(|x| {
                            x.attachments.iter().any(|a| {
                                a.file_name.as_deref() == Some("екран.png")
                                    && a.mime_type.as_deref() == Some("image/png")
                            })
                        })
                })
        })
        .await;
    let texts: Vec<String> = agent.mirror.messages[&id]
        .values()
        .filter(|m| matches!(m.author, Author::Customer { .. }))
        .map(|m| m.text.clone())
        .collect();
    assert_eq!(texts, ["Не проходить оплата", "Visa", "сьогодні", ""]);
    assert_eq!(uploads(&db), 1);
    // Her receipt in the chat, in Ukrainian, as after the bot's questions.
    let receipt_start = i18n::text(
        Lang::Uk,
        "receipt.created",
        &[("number", &filed.number.to_string())],
    );
    let head: String = receipt_start.chars().take(12).collect();
    let deadline = std::time::Instant::now() + WAIT;
    while !sim
        .sent(7101)
        .iter()
        .any(|s| s.text.as_deref().is_some_and(|t| t.starts_with(&head)))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no receipt: {:?}",
            sim.sent(7101)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A second request joins the open one, as a message in the chat would.
    let (status, body) = send(
        &addr,
        "POST",
        "/app/api/tickets",
        &oksana,
        r#"{"topic":"idea","answers":["темна тема"],"text":"І ще одне"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let again: AppFiled = serde_json::from_str(&body).unwrap();
    assert_eq!((again.ticket, again.joined), (id, true));

    // A message into it; someone else's ticket is 404 and changes nothing.
    let (status, body) = send(
        &addr,
        "POST",
        &format!("/app/api/tickets/{id}/messages"),
        &oksana,
        r#"{"text":"Ось номер картки: 4111 1111 1111 1111"}"#,
    );
    assert_eq!(status, 201, "{body}");
    agent
        .until("her message", WAIT, |m| {
            m.messages[&id]
                .values()
                .any(|x| x.text.starts_with("Ось номер картки"))
        })
        .await;
    let before = counts(&db);
    for (path, body) in [
        (
            format!("/app/api/tickets/{id}/messages"),
            r#"{"text":"hi"}"#,
        ),
        (format!("/app/api/tickets/{id}/rating"), r#"{"stars":1}"#),
        (
            "/app/api/tickets/999999/messages".into(),
            r#"{"text":"hi"}"#,
        ),
    ] {
        let (status, answer) = send(&addr, "POST", &path, &mark, body);
        assert_eq!(status, 404, "{path}: {answer}");
    }
    // A rating before it is resolved, and one out of range.
    let rate = format!("/app/api/tickets/{id}/rating");
    let (status, answer) = send(&addr, "POST", &rate, &oksana, r#"{"stars":5}"#);
    assert_eq!(status, 409, "{answer}");
    let (status, answer) = send(&addr, "POST", &rate, &oksana, r#"{"stars":9}"#);
    assert_eq!(status, 400, "{answer}");
    assert_eq!(counts(&db), before, "a refused write changed the database");

    // Resolved: she rates it.
    expect_ok(
        &agent
            .cmd(Command::SetStatus {
                ticket_id: id,
                status: TicketStatus::Resolved,
            })
            .await,
    );
    let (status, answer) = send(&addr, "POST", &rate, &oksana, r#"{"stars":5}"#);
    assert_eq!(status, 200, "{answer}");
    agent
        .until("her rating", WAIT, |m| m.tickets[&id].csat == Some(5))
        .await;
    let (_, body) = get(&addr, &format!("/app/api/tickets/{id}"), Some(&oksana));
    let thread: AppThread = serde_json::from_str(&body).unwrap();
    assert_eq!(thread.ticket.csat, Some(5));
    assert!(!thread.ticket.can_rate);

    // Settings: a language and a zone; a zone that is none is refused.
    let (status, body) = send(
        &addr,
        "PUT",
        "/app/api/settings",
        &oksana,
        r#"{"language":"zh","time_zone":"Asia/Shanghai"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let s: AppSettings = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (s.language.as_str(), s.time_zone.as_deref()),
        ("zh", Some("Asia/Shanghai"))
    );
    assert_eq!(
        (s.quiet_hours.as_str(), s.notifications.as_str()),
        ("22:00-08:00", "all"),
        "the desk's until she chooses"
    );
    let (status, body) = send(
        &addr,
        "PUT",
        "/app/api/settings",
        &oksana,
        r#"{"quiet_hours":"23:30-7:00","notifications":"essential"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let s: AppSettings = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (
            s.quiet_hours.as_str(),
            s.notifications.as_str(),
            s.language.as_str()
        ),
        ("23:30-07:00", "essential", "zh")
    );
    let before = counts(&db);
    for bad in [
        r#"{"time_zone":"Mars/Base"}"#,
        r#"{"language":"xx"}"#,
        r#"{"zone":"Europe/Kyiv"}"#,
        r#"{"quiet_hours":"25:00-07:00"}"#,
        r#"{"quiet_hours":"08:00-08:00"}"#,
        r#"{"notifications":"some"}"#,
    ] {
        let (status, body) = send(&addr, "PUT", "/app/api/settings", &oksana, bad);
        assert_eq!(status, 400, "{bad}: {body}");
    }
    assert_eq!(counts(&db), before);
    // The status of her ticket now reads in Chinese.
    let (_, body) = get(&addr, "/app/api/tickets", Some(&oksana));
    let list: Vec<AppTicket> = serde_json::from_str(&body).unwrap();
    assert_eq!(
        list[0].status_text,
        i18n::text(Lang::Zh, "state.resolved", &[])
    );

    // The knowledge base: popular articles, a search, "did this help?".
    let (status, body) = get(&addr, "/app/api/articles", Some(&mark));
    assert_eq!(status, 200, "{body}");
    let popular: Vec<AppArticle> = serde_json::from_str(&body).unwrap();
    assert!(!popular.is_empty(), "{body}");
    let (_, body) = get(&addr, "/app/api/articles?q=reset%20password", Some(&mark));
    let found: Vec<AppArticle> = serde_json::from_str(&body).unwrap();
    assert_eq!(
        found.first().map(|a| a.id.as_str()),
        Some("password-reset"),
        "{body}"
    );
    let (status, _) = send(
        &addr,
        "POST",
        "/app/api/articles/password-reset/helped",
        &mark,
        r#"{"helped":true,"search":"reset password"}"#,
    );
    assert_eq!(status, 200);
    let (status, _) = send(
        &addr,
        "POST",
        "/app/api/articles/nope/helped",
        &mark,
        r#"{"helped":true}"#,
    );
    assert_eq!(status, 404);

    // Erasing: only with the confirmation; then nothing of her is left.
    let (status, _) = send(
        &addr,
        "POST",
        "/app/api/erase",
        &oksana,
        r#"{"confirm":"yes"}"#,
    );
    assert_eq!(status, 400);
    let (status, body) = send(
        &addr,
        "POST",
        "/app/api/erase",
        &oksana,
        r#"{"confirm":"erase"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let (_, body) = get(&addr, "/app/api/tickets", Some(&oksana));
    assert_eq!(body, "[]");
    let c = rusqlite::Connection::open(&db).unwrap();
    let left: i64 = c
        .query_row(
            "SELECT count(*) FROM customers WHERE telegram_user_id = 7101",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
    let deadline = std::time::Instant::now() + WAIT;
    while uploads(&db) > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "her screenshot is still on disk"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An organisation's shared tickets (docs/miniapp.md, "Company"): a ticket
/// made from a conversation in a client's group is shown to the people of
/// that group once the organisation shares them, read only, the client's
/// words as a colleague's; never to a stranger or to staff; no longer to
/// someone who left the group.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_companys_group_tickets_are_shown_read_only_to_the_people_still_in_the_group() {
    const GROUP: i64 = -1_001_000_000_801;
    const TITLE: &str = "Acme ⇄ Support";
    const OLGA: i64 = 7801;
    const PETR: i64 = 7802;
    const EVE: i64 = 7803;
    const IRA: i64 = 7890;
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(OLGA, "Olga", "uk"));
    sim.add_user(SimUser::new(PETR, "Petr", "en"));
    sim.add_user(SimUser::new(EVE, "Eve", "en"));
    sim.add_user(SimUser::new(IRA, "Ira", "en"));
    let (_dir, db) = fresh_db(0);
    let token = add_agent(&db, "ira", "supervisor", "L1");
    cli_ok(&db, &["agent", "link", "ira", &IRA.to_string()]);
    let server = Server::start_durable_direct_bot(&db, &sim);
    let mut ws = Client::connect(&server.ws_url(), &token, None).await;

    // Olga asks in the client's group, Petr adds to it, Ira (staff) is
    // there too; the group is bound to Acme.
    let asked = sim.group_text(GROUP, TITLE, OLGA, "Експорт падає з помилкою 502", None);
    sim.group_text(GROUP, TITLE, PETR, "Same for me since nine", None);
    sim.group_text(GROUP, TITLE, IRA, "Ira here, looking", None);
    let conv = |m: &relay_client::Mirror| {
        m.group_messages.iter().find_map(|(c, ms)| {
            ms.values()
                .any(|g| g.telegram_message_id == Some(asked))
                .then_some(*c)
        })
    };
    ws.until("Olga's conversation", WAIT, |m| conv(m).is_some())
        .await;
    cli_ok(
        &db,
        &["org", "add", "Acme", "--queue", "L1", "--language", "uk"],
    );
    cli_ok(&db, &["group", "bind", &GROUP.to_string(), "Acme"]);
    let conversation_id = conv(&ws.mirror).unwrap();
    expect_ok(&ws.cmd(Command::GroupTicket { conversation_id }).await);
    ws.until("the ticket", WAIT, |m| ticket_of(m, OLGA).is_some())
        .await;
    let id = ticket_of(&ws.mirror, OLGA).unwrap();
    ws.reply(id, "We are fixing the export").await;
    expect_ok(
        &ws.cmd(Command::Note {
            ticket_id: id,
            text: "internal: the exporter's disk is full".into(),
        })
        .await,
    );
    ws.until("the reply in the ticket", WAIT, |m| {
        m.messages
            .get(&id)
            .is_some_and(|ms| ms.values().any(|x| x.text == "We are fixing the export"))
    })
    .await;

    let (addr, bot) = (server.addr.clone(), sim.token());
    let petr = launch(PETR, "Petr", "en", &bot, 5);
    let olga = launch(OLGA, "Olga", "uk", &bot, 5);
    let eve = launch(EVE, "Eve", "en", &bot, 5);
    let ira = launch(IRA, "Ira", "en", &bot, 5);
    let path = format!("/app/api/tickets/{id}");

    // Not shared yet: Petr sees nothing of it.
    assert_eq!(
        get(&addr, "/app/api/tickets", Some(&petr)),
        (200, "[]".into())
    );
    assert_eq!(get(&addr, &path, Some(&petr)).0, 404);

    // Shared.
    let said = cli_ok(&db, &["org", "share", "Acme", "on"]);
    assert!(said.contains("its 1 group(s)"), "{said}");
    assert!(cli_ok(&db, &["org", "list"]).contains("shared"));
    let bad = cli(&db, &["org", "share", "Nobody", "on"]);
    assert!(!bad.status.success(), "an unknown organisation is refused");

    let (status, body) = get(&addr, "/app/api/tickets", Some(&petr));
    assert_eq!(status, 200, "{body}");
    let list: Vec<AppTicket> = serde_json::from_str(&body).unwrap();
    assert_eq!(list.len(), 1, "{body}");
    let card = &list[0];
    assert_eq!((card.id, card.group.as_deref()), (id, Some(TITLE)));
    assert!(!card.can_write && !card.can_rate, "read only: {body}");
    let (status, body) = get(&addr, &path, Some(&petr));
    assert_eq!(status, 200, "{body}");
    let thread: AppThread = serde_json::from_str(&body).unwrap();
    let said: Vec<(AppFrom, Option<&str>, &str)> = thread
        .messages
        .iter()
        .filter(|m| m.from != AppFrom::Bot)
        .map(|m| (m.from, m.name.as_deref(), m.text.as_str()))
        .collect();
    assert_eq!(
        said,
        [
            (
                AppFrom::Colleague,
                Some("Olga"),
                "Експорт падає з помилкою 502"
            ),
            (AppFrom::Support, None, "We are fixing the export"),
        ]
    );
    assert!(!body.contains("internal:"), "a note leaked: {body}");
    // Olga reads her own words as hers.
    let (_, body) = get(&addr, &path, Some(&olga));
    let hers: AppThread = serde_json::from_str(&body).unwrap();
    assert_eq!(hers.messages[0].from, AppFrom::Me, "{body}");

    // Read only: writing into it or rating it from the app is refused and
    // changes nothing.
    let before = counts(&db);
    let (status, _) = send(
        &addr,
        "POST",
        &format!("{path}/messages"),
        &petr,
        r#"{"text":"me too"}"#,
    );
    assert_eq!(status, 404);
    let (status, _) = send(
        &addr,
        "POST",
        &format!("{path}/rating"),
        &petr,
        r#"{"stars":5}"#,
    );
    assert_eq!(status, 404);
    assert_eq!(counts(&db), before);

    // Someone not in the group, and staff in it, see nothing.
    for (who, data) in [("a stranger", &eve), ("staff", &ira)] {
        assert_eq!(
            get(&addr, "/app/api/tickets", Some(data)),
            (200, "[]".into()),
            "{who}"
        );
        assert_eq!(get(&addr, &path, Some(data)).0, 404, "{who}");
    }

    // Petr leaves the group: it is no longer his to read.
    sim.group_leave(GROUP, TITLE, PETR);
    let deadline = std::time::Instant::now() + WAIT;
    while get(&addr, &path, Some(&petr)).0 != 404 {
        assert!(std::time::Instant::now() < deadline, "Petr still reads it");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        get(&addr, "/app/api/tickets", Some(&petr)),
        (200, "[]".into())
    );
    // Olga still does, until an administrator removes her: Telegram tells
    // an administrator bot with a `chat_member` update alone.
    assert_eq!(get(&addr, &path, Some(&olga)).0, 200);
    sim.group_bot_status(GROUP, TITLE, IRA, "administrator");
    sim.group_member_status(GROUP, TITLE, OLGA, IRA, "member", "kicked");
    let deadline = std::time::Instant::now() + WAIT;
    while get(&addr, &path, Some(&olga)).0 != 404 {
        assert!(std::time::Instant::now() < deadline, "Olga still reads it");
        std::thread::sleep(Duration::from_millis(100));
    }
}
