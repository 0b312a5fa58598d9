//! Customers hear the desk in their own language, with times in their own
//! zone (or the desk's, named): the escalation notice end to end, and the
//! preview the engineer sees first is exactly what is sent.

use e2e::*;
use shared::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalated_customer_is_told_in_their_language_and_time() {
    let sim = bot_api_sim::Simulator::start(bot_api_sim::SimConfig::default())
        .await
        .unwrap();
    sim.add_user(bot_api_sim::SimUser::new(801, "Олена", "uk"));
    sim.add_user(bot_api_sim::SimUser::new(802, "Иван", "ru"));
    let (_dir, db) = fresh_db(0);
    let token = add_agent(&db, "anna", "supervisor", "L1,L2");
    let (bot_token, api) = (sim.token(), sim.api_url());
    let server = Server::start(
        &db,
        &[
            ("TELEGRAM_BOT_TOKEN", bot_token.as_str()),
            ("TELEGRAM_API_URL", api.as_str()),
            ("RELAY_TELEGRAM__POLL_TIMEOUT_SECS", "1"),
            ("RELAY_BOT__MODE", "direct"),
            ("RELAY_BOT__DEFAULT_TIME_ZONE", "Europe/Warsaw"),
        ],
    );
    let mut a = Client::connect(&server.ws_url(), &token, None).await;
    // Олена told the bot her zone; Иван did not.
    sim.send_text(801, "/timezone Europe/Kyiv");
    sim.wait_sent(801, 1, PATIENCE)
        .await
        .expect("zone confirmed");
    sim.send_text(801, "Оплата не пройшла");
    sim.send_text(802, "Не могу войти");
    a.until("both tickets", PATIENCE, |m| {
        ticket_of(m, 801).is_some() && ticket_of(m, 802).is_some()
    })
    .await;
    // Direct mode asks no consent: nothing was said to Иван.
    assert!(sim.sent(802).is_empty(), "{:?}", sim.sent(802));

    let escalate = |t| Command::Transfer {
        ticket_id: t,
        queue: Some(QueueId::new("L2")),
        agent_id: None,
        note: Some("refund rights".into()),
        tell_customer: true,
    };
    let olena = ticket_of(&a.mirror, 801).unwrap();
    let preview = a
        .cmd(Command::Preview {
            ticket_id: olena,
            command: Box::new(escalate(olena)),
        })
        .await;
    let ServerMessage::Ok {
        result: CommandResult::Preview { texts, language },
        seq: None,
        ..
    } = preview
    else {
        panic!("a preview: {preview:?}")
    };
    assert_eq!(language.as_deref(), Some("uk"));
    assert_eq!(texts.len(), 1, "{texts:?}");
    // The preview changed nothing.
    assert_eq!(a.mirror.tickets[&olena].queue, QueueId::new("L1"));
    expect_ok(&a.cmd(escalate(olena)).await);
    let got = sim.wait_sent(801, 2, PATIENCE).await.expect("told");
    let told = got[1].text.clone().unwrap();
    assert_eq!(told, texts[0], "the preview is what was sent");
    assert!(
        told.starts_with("Ваше питання передано експерту. Ми повернемося до "),
        "{told}"
    );
    // Kyiv is UTC+2 in November: a local time, with its zone.
    assert!(told.ends_with(" EET."), "{told}");

    let ivan = ticket_of(&a.mirror, 802).unwrap();
    expect_ok(&a.cmd(escalate(ivan)).await);
    let got = sim.wait_sent(802, 1, PATIENCE).await.expect("told");
    let told = got[0].text.clone().unwrap();
    assert!(
        told.starts_with("Ваш вопрос передан эксперту. Мы вернёмся к "),
        "{told}"
    );
    // His zone is unknown: the desk's, named.
    assert!(told.ends_with(" (Europe/Warsaw)."), "{told}");

    // The hand-over is in the thread, with the note.
    a.until("the hand-over note", PATIENCE, |m| {
        m.messages.get(&olena).is_some_and(|ms| {
            ms.values().any(|x| {
                x.kind == MessageKind::Note
                    && x.text == "Escalated from L1 to L2 (the customer was told): refund rights"
            })
        })
    })
    .await;
}
