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
