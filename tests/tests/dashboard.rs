//! The leads' dashboard end to end: customers write through the simulated
//! Telegram, an engineer answers; the workstation's dashboard (agent-tui's
//! real network worker and state), kept live from the stream, equals what
//! the server counts afresh, and `relay-server report` agrees on today's
//! first responses. An agent sees only their queues' figures.

use std::time::Duration;

use agent_tui::config::FileConfig;
use agent_tui::dashboard::{Dashboard, Live};
use agent_tui::session::text_of;
use agent_tui::state::{ConnState, Screen};
use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::*;
use shared::*;

const WAIT: Duration = Duration::from_secs(30);

async fn desk_figures(c: &mut Client) -> DeskFigures {
    match c.cmd(Command::DeskFigures).await {
        ServerMessage::Ok {
            result: CommandResult::DeskFigures { figures },
            ..
        } => *figures,
        other => panic!("desk_figures: {other:?}"),
    }
}

fn ready(a: &agent_tui::App) -> Option<&Dashboard> {
    match &a.dashboard {
        Some(Live::Ready(d)) => Some(d),
        _ => None,
    }
}

/// What a dashboard counts, comparable whichever way it was built.
fn counted(d: &Dashboard) -> String {
    let mut awaiting: Vec<_> = d.awaiting.iter().collect();
    awaiting.sort();
    let mut ratings: Vec<_> = d.ratings.iter().collect();
    ratings.sort();
    format!(
        "today {:?}\nweek {:?}\nfirst {:?} p50 {:?} p90 {:?}\nawaiting {awaiting:?}\nbreaches {}\nratings {ratings:?}",
        d.today_by_hour,
        d.by_hour_of_week,
        d.first_all.len(),
        d.first_all.percentile(50),
        d.first_all.percentile(90),
        d.breaches_today,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_dashboard_equals_a_fresh_count_and_the_report() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    for (id, name, lang) in [
        (91, "Oksana", "uk"),
        (92, "Mark", "en"),
        (93, "Ilya", "ru"),
        (94, "Wei", "zh"),
    ] {
        sim.add_user(SimUser::new(id, name, lang));
    }
    let (dir, db) = fresh_db(0);
    let lead = add_agent(&db, "lena", "supervisor", "L1");
    let l2 = add_agent(&db, "petro", "agent", "L2");
    let server = Server::start_durable_direct_bot(&db, &sim);
    let mut client = Client::connect(&server.ws_url(), &lead, None).await;

    sim.send_text(91, "Не можу оплатити");
    sim.send_text(92, "Where is my parcel?");
    client
        .until("two tickets", WAIT, |m| {
            [91, 92].iter().all(|c| ticket_of(m, *c).is_some())
        })
        .await;

    // The lead opens the dashboard in the workstation.
    let mut s = workstation(
        &server.ws_url(),
        &lead,
        FileConfig::default(),
        Some(dir.path()),
    );
    assert!(s.pump_until(WAIT, |a| a.conn == ConnState::Online).await);
    s.press("D");
    assert_eq!(s.app.screen, Screen::Dashboard);
    assert!(s.pump_until(WAIT, |a| ready(a).is_some()).await, "figures");
    let d = ready(&s.app).unwrap();
    assert_eq!(d.today(), 2);
    assert_eq!(d.awaiting.len(), 2);
    assert!(d.first_all.is_empty());

    // Live: a reply, a new customer, a resolution.
    let a = ticket_of(&client.mirror, 91).unwrap();
    let b = ticket_of(&client.mirror, 92).unwrap();
    tokio::time::sleep(Duration::from_millis(40)).await;
    client.reply(a, "Перевіряю платіж").await;
    sim.send_text(93, "Не работает вход");
    sim.send_text(94, "无法登录");
    client
        .until("four tickets", WAIT, |m| {
            [93, 94].iter().all(|c| ticket_of(m, *c).is_some())
        })
        .await;
    client.reply(b, "It left yesterday").await;
    let c = ticket_of(&client.mirror, 93).unwrap();
    expect_ok(
        &client
            .cmd(Command::SetStatus {
                ticket_id: c,
                status: TicketStatus::Resolved,
            })
            .await,
    );
    let head = client.mirror.seq;
    assert!(
        s.pump_until(WAIT, |a| a.mirror.seq >= head).await,
        "the workstation caught up"
    );
    let live = counted(ready(&s.app).unwrap());

    // Counted afresh by the server: the same.
    let fresh = desk_figures(&mut client).await;
    assert_eq!(counted(&Dashboard::new(fresh.clone())), live);
    assert_eq!(fresh.first_responses.len(), 2);
    assert_eq!(
        fresh.awaiting_first.len(),
        1,
        "Wei waits; Ilya's was resolved unanswered"
    );
    assert_eq!(fresh.today_by_hour.iter().sum::<u32>(), 4);
    assert_eq!(fresh.zone, "UTC");

    // The report's first response of today is the dashboard's.
    let out = cli_ok(&db, &["report", "--format", "json"]);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let fr = &r["desk"]["first_response"]["calendar"];
    let d = Dashboard::new(fresh);
    assert_eq!(fr["count"], 2, "{out}");
    assert_eq!(fr["p50_ms"], d.first_all.percentile(50).unwrap());
    assert_eq!(fr["p90_ms"], d.first_all.percentile(90).unwrap());

    // What the lead reads on the screen.
    let screen = text_of(&s.render(80, 24));
    assert!(screen.contains("Desk figures"), "{screen}");
    assert!(
        screen.contains("4 tickets today · 1 still wait"),
        "{screen}"
    );
    assert!(screen.contains("By hour today (4)"), "{screen}");

    // An agent of L2 only: none of L1's tickets count.
    let mut petro = Client::connect(&server.ws_url(), &l2, None).await;
    let theirs = desk_figures(&mut petro).await;
    assert_eq!(theirs.today_by_hour.iter().sum::<u32>(), 0);
    assert!(theirs.first_responses.is_empty() && theirs.awaiting_first.is_empty());
}
