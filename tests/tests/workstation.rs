//! The workstation end to end, headless: the real relay-server binary runs
//! the bot against the Telegram simulator, and agent-tui's app (its real
//! network worker, state and render functions) is driven key by key.

use std::time::Duration;

use agent_tui::config::FileConfig;
use agent_tui::session::{Session, text_of};
use agent_tui::sla;
use agent_tui::state::ConnState;
use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::*;
use shared::*;

const WAIT: Duration = Duration::from_secs(30);

fn session(url: &str, token: &str, state: &std::path::Path) -> Session {
    workstation(url, token, FileConfig::default(), Some(state))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_writes_and_the_engineer_answers_with_a_fuzzy_found_macro() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(4242, "Олена", "uk"));
    let (dir, db) = fresh_db(0);
    let token = add_agent(&db, "anna", "agent", "L1");
    let server = Server::start_direct_bot(&db, "127.0.0.1:0", &sim);
    let mut s = session(&server.ws_url(), &token, dir.path());
    assert!(
        s.pump_until(WAIT, |a| a.conn == ConnState::Online).await,
        "online"
    );

    // Anna is online and works L1: the desk gives her the new ticket, and
    // the view, which follows the work until she picks a tab, shows it on
    // her Mine tab.
    sim.send_text(4242, "Оплата не пройшла 😟");
    assert!(
        s.pump_until(WAIT, |a| ticket_of(&a.mirror, 4242).is_some_and(|t| {
            a.mirror.messages.contains_key(&t)
                && a.mirror.tickets[&t].assignee == a.me.as_ref().map(|m| m.id)
        }))
        .await,
        "the ticket is assigned to anna"
    );
    assert_eq!(s.app.tabs[s.app.queue_tab].title(), "Mine");
    let t = ticket_of(&s.app.mirror, 4242).expect("ticket");
    assert_eq!(s.app.rows, vec![t]);

    // Its row carries the live countdown the server's deadline gives.
    let ticket = s.app.ticket(t).unwrap().clone();
    let countdown = sla::countdown(&ticket, s.app.now, s.app.alert_settings.warning_ms)
        .expect("a first-reply deadline");
    let screen = text_of(&s.render(80, 24));
    let row = screen
        .lines()
        .find(|l| l.contains(&ticket.number.to_string()))
        .expect("row");
    assert!(
        row.contains(&countdown.text()),
        "{row:?} shows {}",
        countdown.text()
    );
    assert!(row.contains("Олена"), "{row}");

    // Open it, find "Need details" by a fuzzy fragment, fill the field, send.
    s.press("enter");
    s.press("i");
    s.type_text("/");
    s.type_text("nd dtl");
    s.press("enter");
    s.type_text("the last 4 digits of the card");
    s.press("enter");
    // Олена reads Ukrainian: the macro goes in Ukrainian.
    let expected = "Нам потрібно: the last 4 digits of the card. Просто дайте відповідь на це повідомлення. Чекаємо 24 год.";
    let got = sim.wait_sent(4242, 1, WAIT).await.expect("delivered");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].text.as_deref(), Some(expected));
    assert!(
        s.pump_until(WAIT, |a| {
            a.pending.is_empty()
                && a.mirror.messages[&t].values().any(|m| {
                    m.text == expected
                        && m.delivery
                            .as_ref()
                            .is_some_and(|d| d.state == DeliveryState::Sent)
                })
        })
        .await,
        "the reply shows as sent to Telegram"
    );
    let screen = text_of(&s.render(160, 48));
    assert!(screen.contains("sent to Telegram"), "{screen}");
    // Exactly once, still.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sim.sent(4242).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_typed_while_the_server_is_down_goes_once_when_it_is_back() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(777, "Sam", "en"));
    let (dir, db) = fresh_db(0);
    let token = add_agent(&db, "anna", "supervisor", "L1");
    let mut server = Server::start_direct_bot(&db, "127.0.0.1:0", &sim);
    let addr = server.addr.clone();
    let mut s = session(&server.ws_url(), &token, dir.path());
    sim.send_text(777, "hello?");
    assert!(
        s.pump_until(WAIT, |a| ticket_of(&a.mirror, 777).is_some())
            .await
    );
    let t = ticket_of(&s.app.mirror, 777).unwrap();
    s.app.open_chat(t);

    server.kill();
    assert!(
        s.pump_until(WAIT, |a| matches!(a.conn, ConnState::Offline { .. }))
            .await,
        "the link drop is visible"
    );
    s.press("i");
    s.type_text("Back in a minute");
    s.press("enter");
    assert_eq!(s.app.pending.len(), 1);
    assert!(!s.app.pending[0].sent);
    let screen = text_of(&s.render(80, 24));
    assert!(screen.contains("offline"), "{screen}");
    assert!(screen.contains("not sent yet"), "{screen}");

    let _server = Server::start_direct_bot(&db, &addr, &sim);
    assert!(
        s.pump_until(WAIT, |a| a.conn == ConnState::Online
            && a.pending.is_empty())
            .await,
        "reconnected and confirmed: {:?}",
        s.app.conn
    );
    let got = sim.wait_sent(777, 1, WAIT).await.expect("delivered");
    assert_eq!(got[0].text.as_deref(), Some("Back in a minute"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sim.sent(777).len(), 1, "exactly once");
}
