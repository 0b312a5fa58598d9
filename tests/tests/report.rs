//! `relay-server report` over a desk that really ran (docs/metrics.md):
//! customers write through the simulated Telegram, an engineer answers and
//! resolves; the report's figures equal what the test works out from the
//! stream itself.

use std::time::Duration;

use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::*;
use shared::*;

const WAIT: Duration = Duration::from_secs(30);

/// The first customer message and the first engineer reply of a ticket,
/// as the stream carried them.
fn first_response(m: &relay_client::Mirror, t: TicketId) -> Option<i64> {
    let thread: Vec<&Message> = m.messages[&t].values().collect();
    let asked = thread
        .iter()
        .find(|x| matches!(x.author, Author::Customer { .. }))?
        .created_at;
    let answered = thread
        .iter()
        .find(|x| matches!(x.author, Author::Agent { .. }) && x.kind == MessageKind::Outbound)?
        .created_at;
    Some(answered.0 - asked.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_of_a_desk_that_ran_matches_its_stream() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    for (id, name, lang) in [(81, "Oksana", "uk"), (82, "Mark", "en"), (83, "Ilya", "ru")] {
        sim.add_user(SimUser::new(id, name, lang));
    }
    let (_dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1");
    let server = Server::start_durable_direct_bot(&db, &sim);
    let mut agent = Client::connect(&server.ws_url(), &token, None).await;
    sim.send_text(81, "Не можу оплатити");
    sim.send_text(82, "Where is my parcel?");
    sim.send_text(83, "Не работает вход");
    agent
        .until("three tickets", WAIT, |m| {
            [81, 82, 83].iter().all(|c| ticket_of(m, *c).is_some())
        })
        .await;
    let (a, b) = (
        ticket_of(&agent.mirror, 81).unwrap(),
        ticket_of(&agent.mirror, 82).unwrap(),
    );
    tokio::time::sleep(Duration::from_millis(30)).await;
    agent.reply(a, "Перевіряю платіж").await;
    tokio::time::sleep(Duration::from_millis(60)).await;
    agent.reply(b, "It left yesterday").await;
    expect_ok(
        &agent
            .cmd(Command::SetStatus {
                ticket_id: a,
                status: TicketStatus::Resolved,
            })
            .await,
    );
    let mut expected: Vec<i64> = [a, b]
        .iter()
        .map(|t| first_response(&agent.mirror, *t).unwrap())
        .collect();
    expected.sort();
    let out = cli_ok(&db, &["report", "--format", "json"]);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let desk = &r["desk"];
    assert_eq!(desk["tickets"], 3, "{out}");
    assert_eq!(desk["unanswered"], 1);
    let fr = &desk["first_response"]["calendar"];
    assert_eq!(fr["count"], 2);
    // Nearest rank of two: P50 the smaller, P90 the larger.
    assert_eq!(fr["p50_ms"], expected[0]);
    assert_eq!(fr["p90_ms"], expected[1]);
    // The default queues are open around the clock: business = calendar.
    assert_eq!(desk["first_response"]["business"], *fr);
    assert_eq!(desk["resolution"]["calendar"]["count"], 1);
    assert_eq!(desk["unresolved"], 2);
    // Resolved minutes ago: its first-contact window still runs.
    let fcr = &desk["first_contact_resolution"];
    assert_eq!((&fcr["of"], &fcr["pending"]), (&0.into(), &1.into()));
    assert_eq!(
        (&desk["reopened"]["count"], &desk["reopened"]["of"]),
        (&0.into(), &1.into())
    );
    // Direct mode asks no rating (the guided bot does: tests/dialogue.rs).
    let csat = &desk["csat"];
    assert_eq!((&csat["rated"], &csat["asked"]), (&0.into(), &0.into()));
    assert_eq!(csat["mean"], serde_json::Value::Null);
    let by_day: u64 = r["volume"]["by_day"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_day, 3);

    // A row per agent, as CSV.
    let csv = cli_ok(&db, &["report", "--by", "agent", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("agent,tickets,unanswered,"), "{csv}");
    assert!(lines[1].starts_with("all,3,1,2,"), "{csv}");
    let rows: u64 = lines[2..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(rows, 3, "every ticket in one agent row: {csv}");
    // For people.
    let table = cli_ok(&db, &["report", "--by", "queue"]);
    assert!(
        table.contains("First response") && table.contains("By queue:"),
        "{table}"
    );

    // A period with nothing in it, and bad flags.
    let empty = cli_ok(
        &db,
        &[
            "report",
            "--from",
            "2020-01-01",
            "--to",
            "2020-01-02",
            "--format",
            "json",
        ],
    );
    assert!(empty.contains("\"tickets\": 0"), "{empty}");
    for (args, says) in [
        (&["report", "--by", "mood"][..], "--by \"mood\""),
        (&["report", "--format", "xml"], "--format \"xml\""),
        (&["report", "--from", "yesterday"], "is not a date"),
        (&["report", "--zone", "Mars/Olympus"], "unknown time zone"),
        (
            &["report", "--from", "2026-11-02", "--to", "2026-11-01"],
            "the period is empty",
        ),
    ] {
        let out = cli(&db, args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
