//! Customer groups end to end (issue 15, first part): the bot in a client's
//! group through the simulator, the real relay-server binary, and its CLI:
//! the group listed unbound, bound to an organisation, an engineer's
//! Telegram account linked; customers' questions owe a reply, thanks owe
//! nothing, a linked engineer's reply in Telegram answers; the group
//! upgraded to a supergroup keeps its conversations; an erased customer's
//! group messages go.

use std::time::{Duration, Instant};

use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::*;

const WAIT: Duration = Duration::from_secs(30);
const GROUP: i64 = -1_001_000_000_501;
const TITLE: &str = "Acme ⇄ Support";
const OLGA: i64 = 7601;
const PETR: i64 = 7602;
const ENGINEER: i64 = 7690;

/// Polls `relay-server group show` until it prints what `done` wants.
fn until_shown(db: &std::path::Path, what: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let out = cli_ok(db, &["group", "show", &GROUP.to_string()]);
        if done(&out) {
            return out;
        }
        assert!(Instant::now() < deadline, "{what}: {out}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn owed_lines(shown: &str) -> usize {
    shown
        .lines()
        .filter(|l| l.contains("due ") || l.contains("waiting since"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_question_in_a_group_is_owed_until_an_engineer_answers_in_telegram() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    for (id, name) in [(OLGA, "Olga"), (PETR, "Petr"), (ENGINEER, "Ira")] {
        sim.add_user(SimUser::new(id, name, "en"));
    }
    let (_dir, db) = fresh_db(0);
    add_agent(&db, "ira", "agent", "L1");
    let _server = Server::start_direct_bot(&db, "127.0.0.1:0", &sim);

    // The bot sees the group: listed, unbound.
    let first = sim.group_text(
        GROUP,
        TITLE,
        OLGA,
        "Hello! Our export fails with error 502",
        None,
    );
    let deadline = Instant::now() + WAIT;
    loop {
        let list = cli_ok(&db, &["group", "list"]);
        if list.contains("UNBOUND") {
            assert!(
                list.contains(TITLE) && list.contains(&GROUP.to_string()),
                "{list}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{list}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Unbound: waiting, but nobody's SLA.
    until_shown(&db, "waiting without an SLA", |s| {
        s.contains("no SLA: group unbound")
    });

    // Bound to Acme with a 20-minute reply SLA; the engineer's account linked.
    let said = cli_ok(
        &db,
        &["org", "add", "Acme", "--queue", "L1", "--reply-sla", "20m"],
    );
    assert!(said.contains("added organisation Acme"), "{said}");
    let bad = cli(&db, &["org", "add", "Acme", "--queue", "L1"]);
    assert!(!bad.status.success(), "a second Acme is refused");
    let bad = cli(&db, &["org", "add", "Beta", "--queue", "NOPE"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("queue \"NOPE\" is not configured"));
    cli_ok(&db, &["group", "bind", &GROUP.to_string(), "Acme"]);
    assert!(cli_ok(&db, &["group", "list"]).contains("Acme"));
    let linked = cli_ok(&db, &["agent", "link", "ira", &ENGINEER.to_string()]);
    assert!(linked.contains("linked ira"), "{linked}");

    // Petr asks; thanks from Olga owe nothing more.
    let petr = sim.group_text(GROUP, TITLE, PETR, "Also, how do we add a user?", None);
    sim.group_text(GROUP, TITLE, OLGA, "thanks 🙏", None);
    let shown = until_shown(&db, "Petr's question owed with a due time", |s| {
        s.lines().any(|l| l.contains("Petr") && l.contains("due "))
    });
    assert_eq!(
        owed_lines(&shown),
        2,
        "Olga's and Petr's questions: {shown}"
    );

    // The engineer answers Olga by replying in Telegram, then Petr
    // without a reply (the newest owed conversation).
    sim.group_reply(GROUP, TITLE, ENGINEER, "Olga, we are on it", first);
    until_shown(&db, "Olga answered", |s| owed_lines(s) == 1);
    sim.group_text(
        GROUP,
        TITLE,
        ENGINEER,
        "Petr: Settings > Users > Invite",
        None,
    );
    let shown = until_shown(&db, "everyone answered", |s| owed_lines(s) == 0);
    assert_eq!(shown.matches("answered").count(), 2, "{shown}");
    let _ = petr;

    // Olga asks again: owed, with a due time.
    sim.group_text(GROUP, TITLE, OLGA, "And the May export fails too", None);
    let shown = until_shown(&db, "Olga's new question owed", |s| owed_lines(s) == 1);
    let owed_line = shown
        .lines()
        .find(|l| l.contains("due "))
        .expect("an owed line")
        .to_owned();
    let (conv_id, clock) = (
        owed_line.split_whitespace().next().unwrap().to_owned(),
        owed_line[owed_line.find("due ").unwrap()..].to_owned(),
    );

    // The group is upgraded to a supergroup mid-conversation: Olga's
    // conversation keeps its clock; Petr's new question in the new chat
    // is owed there, under the same organisation.
    const NEW: i64 = -1_001_000_000_502;
    sim.group_migrate(GROUP, NEW, TITLE, OLGA);
    sim.group_text(
        NEW,
        TITLE,
        PETR,
        "After the upgrade: still no invite email",
        None,
    );
    let deadline = Instant::now() + WAIT;
    loop {
        let out = cli_ok(&db, &["group", "show", &NEW.to_string()]);
        let list = cli_ok(&db, &["group", "list"]);
        if out.contains("due ") {
            assert!(
                list.contains(&NEW.to_string()) && list.contains("Acme"),
                "{list}"
            );
            assert!(
                !list.contains(&GROUP.to_string()),
                "the old id is gone: {list}"
            );
            // The conversations from before the upgrade came along, Olga's
            // waiting one with its clock as it was.
            assert!(out.matches("answered").count() >= 1, "{out}");
            assert!(
                out.lines()
                    .any(|l| l.split_whitespace().next() == Some(&conv_id) && l.ends_with(&clock)),
                "conversation {conv_id} keeps `{clock}`: {out}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{out}\n{list}");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Olga, known only from the group, can be erased: her messages go, to
    // the byte.
    let said = cli_ok(&db, &["customer", "erase", &OLGA.to_string(), "--yes"]);
    assert!(
        said.contains("a person known from customer groups"),
        "{said}"
    );
    assert!(said.contains("3 messages"), "{said}");
    assert_eq!(
        files_holding(db.parent().unwrap(), "error 502"),
        Vec::<std::path::PathBuf>::new()
    );
}

/// SIGKILL during group traffic: every group message Telegram handed over
/// is filed exactly once, and the conversations' clocks stand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_group_traffic_loses_and_doubles_no_message() {
    const CRASH: i64 = -1_001_000_000_601;
    let sim = std::sync::Arc::new(Simulator::start(SimConfig::default()).await.unwrap());
    let people: Vec<i64> = (7701..=7704).collect();
    for id in &people {
        sim.add_user(SimUser::new(*id, &format!("Client {id}"), "en"));
    }
    sim.add_user(SimUser::new(ENGINEER, "Ira", "en"));
    let (_dir, db) = fresh_db(0);
    add_agent(&db, "ira", "agent", "L1");
    cli_ok(&db, &["agent", "link", "ira", &ENGINEER.to_string()]);
    let start = |db: &std::path::Path| Server::start_durable_direct_bot(db, &sim);
    // The load: 400 messages, clients and now and then the engineer.
    let load = {
        let s = sim.clone();
        let people = people.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for k in 0..100 {
                for (n, who) in people.iter().enumerate() {
                    let author = if (k + n) % 7 == 0 { ENGINEER } else { *who };
                    ids.push(s.group_text(
                        CRASH,
                        "Crash test",
                        author,
                        &format!("g-{k}-{n}"),
                        None,
                    ));
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            ids
        })
    };
    for after_ms in [600u64, 900, 1200] {
        let mut s = start(&db);
        tokio::time::sleep(Duration::from_millis(after_ms)).await;
        s.kill();
    }
    let sent = load.await.unwrap();
    let _last = start(&db);
    let stored = |db: &std::path::Path| -> Vec<i64> {
        let c = rusqlite::Connection::open(db).unwrap();
        let mut st = c
            .prepare("SELECT message_id FROM group_messages WHERE chat_id = ?1 ORDER BY message_id")
            .unwrap();
        st.query_map([CRASH], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut want = sent.clone();
    want.sort_unstable();
    loop {
        let got = stored(&db);
        if got.len() >= want.len() {
            assert_eq!(got, want, "every message once");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} filed",
            got.len(),
            want.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Nothing was filed twice and no update is left unapplied.
    let c = rusqlite::Connection::open(&db).unwrap();
    let waiting: i64 = c
        .query_row(
            "SELECT count(*) FROM tg_updates WHERE state = 'new'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(waiting, 0);
}

/// An alert whose time comes while the server is down (killed) is raised
/// at the restart, once per waiting conversation, none twice (in one
/// staff-chat post).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_due_while_the_server_was_down_fires_after_the_restart() {
    const DOWN: i64 = -1_001_000_000_651;
    const STAFF: i64 = -1_001_000_000_677;
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let clients: Vec<i64> = (7751..=7753).collect();
    for id in &clients {
        sim.add_user(SimUser::new(*id, &format!("Client {id}"), "en"));
    }
    sim.group_join(STAFF, "Support staff", ENGINEER);
    let (_dir, db) = fresh_db(0);
    cli_ok(
        &db,
        &[
            "org",
            "add",
            "Downtime",
            "--queue",
            "L1",
            "--reply-sla",
            "1m",
        ],
    );
    let staff = STAFF.to_string();
    let env = [
        ("RELAY_STAFF__CHAT_ID", staff.as_str()),
        ("RELAY_GROUPS__WARN_BEFORE", ""),
    ];
    let mut server = Server::start_durable_direct_bot_with(&db, &sim, &env);
    // The bot sees the group; it is bound; three clients ask.
    sim.group_text(DOWN, "Down test", clients[0], "hello?", None);
    let deadline = Instant::now() + WAIT;
    while !cli_ok(&db, &["group", "list"]).contains("Down test") {
        assert!(Instant::now() < deadline, "the group is listed");
        std::thread::sleep(Duration::from_millis(100));
    }
    cli_ok(&db, &["group", "bind", &DOWN.to_string(), "Downtime"]);
    for (n, id) in clients.iter().enumerate() {
        sim.group_text(
            DOWN,
            "Down test",
            *id,
            &format!("question {n}: is the API down?"),
            None,
        );
    }
    let owed = |db: &std::path::Path| -> Vec<(i64, i64)> {
        let c = rusqlite::Connection::open(db).unwrap();
        let mut st = c
            .prepare(
                "SELECT id, due_at FROM group_conversations WHERE due_at IS NOT NULL ORDER BY id",
            )
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let deadline = Instant::now() + WAIT;
    while owed(&db).len() < clients.len() {
        assert!(Instant::now() < deadline, "three conversations owed");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Killed before any is due; down until every due time has passed.
    server.kill();
    let last_due = owed(&db).iter().map(|(_, due)| *due).max().unwrap();
    let now_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    assert!(
        sim.sent(STAFF).is_empty(),
        "nothing was due before the kill"
    );
    while now_ms() <= last_due + 500 {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _server = Server::start_durable_direct_bot_with(&db, &sim, &env);
    let posts = sim
        .wait_sent(STAFF, 1, Duration::from_secs(30))
        .await
        .expect("the alerts after the restart");
    // Due while the server was down, they come in one run: one post
    // listing the three (the staff chat is a group too: 20 a minute).
    let post = posts[0].text.clone().unwrap();
    let mut lines = post.lines();
    assert_eq!(
        lines.next(),
        Some("🔴 3 conversations unanswered in client groups:")
    );
    let mut texts: Vec<&str> = lines.collect();
    texts.sort();
    assert_eq!(texts.len(), 3, "{post}");
    for (n, t) in texts.iter().enumerate() {
        // The clock counts from the first unanswered message: client 0's
        // "hello?".
        let asked = if n == 0 {
            "«hello?»".to_owned()
        } else {
            format!("«question {n}: is the API down?»")
        };
        assert!(
            t.starts_with(&format!(
                "• Unanswered in Downtime · Down test: Client {}",
                clients[n]
            )) && t.ends_with(&asked),
            "{t}"
        );
    }
    // And not again before the repeat (15 minutes).
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sim.sent(STAFF).len(), 1);
}
