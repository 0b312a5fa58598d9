//! The customer's own privacy requests, end to end through the simulator
//! (issue 14): `/consent` and withdrawing it, with every answer in the
//! consent log; `/mydata`, their export as a JSON document in the chat;
//! `/forgetme`, confirmed by a button, which erases them (no byte left in
//! the database, its WAL or the files) and deletes their chat's messages
//! in Telegram; and `[privacy] mask_stored`.

use std::time::{Duration, Instant};

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

/// Waits until no file under `dir` holds any of `secrets` (an erasure's
/// follow-up, emptying the WAL, runs just after it commits).
async fn until_gone(dir: &std::path::Path, secrets: &[&str], within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let left: Vec<(String, Vec<std::path::PathBuf>)> = secrets
            .iter()
            .map(|s| (s.to_string(), files_holding(dir, s)))
            .filter(|(_, f)| !f.is_empty())
            .collect();
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "still on disk: {left:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Consent given, looked at, withdrawn and given again (each in the log
/// with its text's version, language and hash); the data export as a
/// file; then `/forgetme`: cancelled, then confirmed (an old button is
/// refused: domain/dialogue/tests.rs).
/// Every text in Ukrainian, the customer's language.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_gets_their_data_and_then_erases_it_from_the_chat() {
    let uk = Lang::Uk;
    let (sim, dir, server, mut agent) = guided_desk(
        &[
            ("RELAY_BOT__MODE", "direct"),
            ("RELAY_BOT__CONSENT", "true"),
            ("RELAY_BOT__CONSENT_VERSION", "2026-11"),
            ("RELAY_BOT__DEFAULT_TIME_ZONE", "Europe/Kyiv"),
        ],
        &[(7401, "Мирослава", uk)],
    )
    .await;
    let mut chat = Chat::new(&sim, 7401);
    let first = sim.send_text(7401, "Платіж не пройшов, код SECRET-7401-A");
    let ask = chat
        .expect(&t(uk, "consent.ask", &[("name", "Мирослава")]))
        .await;
    chat.press(&ask, "consent:yes");
    chat.expect(&t(uk, "consent.thanks", &[])).await;
    agent
        .until("the ticket", WAIT, |m| ticket_of(m, 7401).is_some())
        .await;
    let ticket = ticket_of(&agent.mirror, 7401).unwrap();
    agent.reply(ticket, "Перевіряю SECRET-7401-B").await;
    chat.expect("Перевіряю SECRET-7401-B").await;

    // /consent: when, in their zone, which version; a button to withdraw.
    sim.send_text(7401, "/consent");
    let status = chat.next().await;
    let text = status.text.clone().unwrap();
    let head = t(
        uk,
        "privacy.consent_agreed",
        &[
            ("date", "\u{1}"),
            ("zone", "Europe/Kyiv"),
            ("version", "2026-11"),
        ],
    );
    let (before, after) = head.split_once('\u{1}').unwrap();
    assert!(text.starts_with(before) && text.ends_with(after), "{text}");
    assert_eq!(data(&status), ["withdraw"]);

    // /mydata: a JSON document with everything of theirs, no notes.
    expect_ok(
        &agent
            .cmd(Command::Note {
                ticket_id: ticket,
                text: "internal: NOTE-7401 stays inside".into(),
            })
            .await,
    );
    sim.send_text(7401, "/mydata");
    let doc = chat.next().await;
    assert_eq!(doc.method, "senddocument");
    assert_eq!(
        doc.text.as_deref(),
        Some(&*t(uk, "privacy.mydata_caption", &[]))
    );
    let file = doc.file.clone().expect("a file");
    assert_eq!(file.file_name.as_deref(), Some("my-data.json"));
    let export: serde_json::Value = serde_json::from_str(file.text.as_deref().unwrap()).unwrap();
    assert_eq!(export["customer"]["telegram_user_id"], 7401);
    assert_eq!(export["customer"]["first_name"], "Мирослава");
    let texts: Vec<&str> = export["tickets"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("SECRET-7401-A")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("SECRET-7401-B")),
        "{texts:?}"
    );
    assert!(!file.text.as_deref().unwrap().contains("NOTE-7401"));
    let log = export["consent_log"].as_array().unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["action"], "agreed");
    assert_eq!(log[0]["version"], "2026-11");
    assert_eq!(log[0]["language"], "uk");
    // The hash of the wording they saw (with its placeholder).
    let wording = t(uk, "consent.ask", &[("name", "{name}")]);
    assert_eq!(
        log[0]["text_sha256"],
        relay_server::domain::sha256_hex(&wording)
    );
    // Asked again at once: not yet.
    sim.send_text(7401, "/mydata");
    chat.expect(&t(uk, "privacy.mydata_wait", &[("minutes", "10")]))
        .await;

    // Withdrawn: the workstation sees it, and the next message is held
    // until they agree again.
    chat.press(&status, "withdraw");
    chat.expect(&t(uk, "privacy.withdrawn", &[])).await;
    agent
        .until("consent withdrawn", WAIT, |m| {
            m.customers
                .values()
                .any(|c| c.telegram_user_id == 7401 && c.consent_at.is_none())
        })
        .await;
    sim.send_text(7401, "Ще одне: SECRET-7401-C");
    let again = chat
        .expect(&t(uk, "consent.ask", &[("name", "Мирослава")]))
        .await;
    chat.press(&again, "consent:yes");
    chat.expect(&t(uk, "consent.thanks", &[])).await;
    agent
        .until("the held message filed", WAIT, |m| {
            m.messages
                .get(&ticket)
                .is_some_and(|ms| ms.values().any(|x| x.text.contains("SECRET-7401-C")))
        })
        .await;
    let out = dir.path().join("export");
    cli_ok(
        &server.db,
        &["customer", "export", "7401", "--to", out.to_str().unwrap()],
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("export.json")).unwrap()).unwrap();
    let actions: Vec<&str> = json["consent_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["agreed", "withdrawn", "agreed"]);
    std::fs::remove_dir_all(&out).unwrap();

    // /forgetme: asked with two buttons; "cancel" erases nothing.
    sim.send_text(7401, "/forgetme");
    let ask = chat.expect(&t(uk, "privacy.forget_ask", &[])).await;
    let buttons = data(&ask);
    assert_eq!(buttons.len(), 2);
    assert!(buttons[0].starts_with("forget:") && buttons[0].ends_with(":yes"));
    assert!(buttons[1].ends_with(":no"));
    chat.press(&ask, &buttons[1]);
    chat.expect(&t(uk, "privacy.forget_cancelled", &[])).await;
    assert!(agent.mirror.tickets.contains_key(&ticket));

    // Every message of the chat so far, both sides: what Telegram is asked
    // to delete.
    let mut expected: Vec<i64> = sim.sent(7401).iter().map(|s| s.message_id).collect();
    expected.extend([first]);
    chat.press(&ask, &buttons[0]);
    let done = chat.expect(&t(uk, "privacy.forget_done", &[])).await;
    agent
        .until("the customer erased", WAIT, |m| {
            !m.tickets.contains_key(&ticket)
                && m.customers.values().all(|c| c.telegram_user_id != 7401)
        })
        .await;
    let (server_digest, mine) = agent.settle().await;
    assert_eq!(server_digest, mine);
    // Telegram: the bot's and the customer's messages went; the last word
    // stays.
    let deadline = Instant::now() + WAIT;
    loop {
        let deleted = sim.deleted(7401);
        if expected.iter().all(|id| deleted.contains(id)) {
            assert!(!deleted.contains(&done.message_id));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "deleted {deleted:?} of {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The bytes: nothing of theirs in the database, its WAL or the files,
    // while the server runs.
    until_gone(
        dir.path(),
        &[
            "SECRET-7401-A",
            "SECRET-7401-B",
            "SECRET-7401-C",
            "Мирослава",
            "NOTE-7401",
        ],
        WAIT,
    )
    .await;
    // A content-free audit record, by the customer.
    for action in ["forgetme", "mydata"] {
        let audit = cli_ok(&server.db, &["audit", "--action", action, "--json"]);
        assert!(audit.contains("\"kind\":\"customer\""), "{action}: {audit}");
        assert!(!audit.contains("SECRET") && !audit.contains("Мирослава"));
    }
    // Writing again starts afresh: consent first.
    sim.send_text(7401, "Привіт знову");
    chat.expect(&t(uk, "consent.ask", &[("name", "Мирослава")]))
        .await;
}

/// `[privacy] mask_stored`: card numbers, e-mails and phones never reach
/// the disk, in a message or in its edit; engineers see them masked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_messages_are_masked_when_the_desk_asks() {
    let (sim, dir, _server, mut agent) = guided_desk(
        &[
            ("RELAY_BOT__MODE", "direct"),
            ("RELAY_BOT__CONSENT", "false"),
            ("RELAY_PRIVACY__MASK_STORED", "true"),
        ],
        &[(7501, "Ivan", Lang::En)],
    )
    .await;
    let id = sim.send_text(
        7501,
        "charged twice on 4111 1111 1111 1111, write to ivan.k@mail.example.com",
    );
    agent
        .until("the ticket", WAIT, |m| ticket_of(m, 7501).is_some())
        .await;
    let ticket = ticket_of(&agent.mirror, 7501).unwrap();
    let text = |m: &relay_client::Mirror| {
        m.messages[&ticket]
            .values()
            .find(|x| x.kind == MessageKind::Inbound)
            .map(|x| x.text.clone())
            .unwrap()
    };
    assert_eq!(
        text(&agent.mirror),
        "charged twice on 4111 11** **** 1111, write to [email]"
    );
    sim.edit(7501, id, "call me: +380 50 123 45 67").unwrap();
    agent
        .until("the edit", WAIT, |m| text(m) == "call me: [phone]")
        .await;
    for raw in [
        "4111 1111 1111 1111",
        "1111 1111 1111",
        "ivan.k@mail.example.com",
        "+380 50 123 45 67",
    ] {
        assert_eq!(
            files_holding(dir.path(), raw),
            Vec::<std::path::PathBuf>::new(),
            "{raw}"
        );
    }
}
