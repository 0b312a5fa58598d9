//! Customers' personal data and the logs (issue 14): card numbers, e-mail
//! addresses and phone numbers sent through the whole path (Telegram, the
//! relay server, an engineer's reply, the workstation) at trace level
//! leave no raw trace in any log.

use std::time::Duration;

use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::*;
use shared::*;

const WAIT: Duration = Duration::from_secs(30);

/// What customers paste, as they paste it.
const CORPUS: &[&str] = &[
    "4111 1111 1111 1111",
    "5500-0000-0000-0004",
    "378282246310005",
    "6011000990139424",
    "olena.k+billing@mail.example.com",
    "ivan_99@gmail.com",
    "+380 50 123 45 67",
    "+1 (555) 123-4567",
    "+447946095812",
    "050 123 45 67",
];

/// The forms a logger may write an item in: as typed, and its digits
/// alone (a JSON body, a debug print), for numbers.
fn raw_forms(item: &str) -> Vec<String> {
    let mut forms = vec![item.to_owned()];
    if !item.contains('@') {
        let digits: String = item.chars().filter(char::is_ascii_digit).collect();
        forms.push(digits);
    }
    forms
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_numbers_emails_and_phones_never_reach_the_logs() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(31, "Olena", "uk"));
    let (dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1");
    let (tg_token, tg_url) = (sim.token(), sim.api_url());
    let server = Server::start(
        &db,
        &[
            ("TELEGRAM_BOT_TOKEN", tg_token.as_str()),
            ("TELEGRAM_API_URL", tg_url.as_str()),
            ("RELAY_TELEGRAM__POLL_TIMEOUT_SECS", "1"),
            ("RELAY_BOT__MODE", "direct"),
            ("RELAY_BOT__CONSENT", "false"),
            ("RUST_LOG", "trace"),
        ],
    );
    // The workstation too (in this process), logging at trace to a file
    // through the writer agent-tui's own log uses.
    let tui_log = dir.path().join("agent-tui.log");
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_writer(pii::MaskedFile::new(
            std::fs::File::create(&tui_log).unwrap(),
        ))
        .with_ansi(false)
        .init();
    let mut ws = workstation(
        &server.ws_url(),
        &token,
        agent_tui::config::FileConfig::default(),
        Some(dir.path()),
    );
    let mut agent = Client::connect(&server.ws_url(), &token, None).await;
    for item in CORPUS {
        sim.send_text(31, &format!("мої дані: {item}"));
    }
    agent
        .until("every message filed", WAIT, |m| {
            // Every item, not a count: the bot's receipt is in the thread too.
            ticket_of(m, 31).is_some_and(|t| {
                CORPUS
                    .iter()
                    .all(|item| m.messages[&t].values().any(|x| x.text.contains(item)))
            })
        })
        .await;
    let t = ticket_of(&agent.mirror, 31).unwrap();
    // Stored as written (masking what is stored is off by default).
    let stored: Vec<&str> = agent.mirror.messages[&t]
        .values()
        .map(|m| m.text.as_str())
        .collect();
    for item in CORPUS {
        assert!(stored.iter().any(|s| s.contains(item)), "{item} filed");
    }
    // The engineer's reply repeats them; it reaches Telegram.
    let reply = format!("Отримали: {}", CORPUS.join("; "));
    let mid = agent.reply(t, &reply).await;
    agent
        .until_delivery(t, mid, DeliveryState::Sent, WAIT)
        .await;
    assert!(
        ws.pump_until(WAIT, |a| a
            .mirror
            .messages
            .get(&t)
            .is_some_and(|ms| ms.contains_key(&mid)))
            .await
    );
    drop(ws);
    drop(server);

    let server_log = std::fs::read_to_string(db.with_extension("log")).unwrap();
    assert!(server_log.contains("TRACE"), "the server logged at trace");
    let tui = std::fs::read_to_string(&tui_log).unwrap();
    // It logs little (its libraries log through `log`, not `tracing`),
    // but what it logs goes through the same masking.
    assert!(tui.contains("connected agent=alice"), "{tui}");
    let logs = [("relay-server", server_log), ("agent-tui", tui)];
    let mut hits = Vec::new();
    for (who, log) in &logs {
        for item in CORPUS {
            for form in raw_forms(item) {
                if log.contains(&form) {
                    hits.push(format!("{who}: {form}"));
                }
            }
        }
    }
    assert!(hits.is_empty(), "raw personal data in the logs: {hits:?}");
    // What is logged is masked, not dropped: the card keeps its ends.
    let masked = ["[email]", "[phone]", "4111 11** **** 1111"];
    let seen: Vec<_> = masked.iter().filter(|m| logs[0].1.contains(*m)).collect();
    assert_eq!(
        seen.len(),
        masked.len(),
        "what the trace log carries, masked: {seen:?}"
    );
}

/// A customer asks for their data: `customer export` writes their profile,
/// every ticket (closed ones too) with its messages, and the files this
/// server keeps; engineers' notes only when asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_data_export_holds_their_tickets_and_messages() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(41, "Mariia", "uk"));
    sim.add_user(SimUser::new(42, "Someone Else", "en"));
    let (dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1");
    let server = Server::start_direct_bot(&db, "127.0.0.1:0", &sim);
    let mut agent = Client::connect(&server.ws_url(), &token, None).await;
    sim.send_text(41, "Замовлення 1 не прийшло");
    sim.send_text(42, "not hers");
    agent
        .until("two tickets", WAIT, |m| {
            ticket_of(m, 41).is_some() && ticket_of(m, 42).is_some()
        })
        .await;
    let first = ticket_of(&agent.mirror, 41).unwrap();
    agent.reply(first, "Перевіряю").await;
    expect_ok(
        &agent
            .cmd(Command::Note {
                ticket_id: first,
                text: "internal: courier lost it".into(),
            })
            .await,
    );
    expect_ok(
        &agent
            .cmd(Command::SetStatus {
                ticket_id: first,
                status: TicketStatus::Closed,
            })
            .await,
    );
    sim.send_text(41, "І ще питання");
    agent
        .until("a second ticket", WAIT, |m| {
            ticket_of(m, 41).is_some_and(|t| t != first)
        })
        .await;
    drop(server);

    let out = dir.path().join("export-41");
    let said = cli_ok(
        &db,
        &["customer", "export", "41", "--to", out.to_str().unwrap()],
    );
    assert!(
        said.contains("2 tickets") && said.contains("1 internal notes left out"),
        "{said}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("export.json")).unwrap()).unwrap();
    assert_eq!(json["format"], "relay-server customer export 1");
    assert_eq!(json["customer"]["telegram_user_id"], 41);
    let texts: Vec<&str> = json["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["messages"].as_array().unwrap())
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    for t in ["Замовлення 1 не прийшло", "Перевіряю", "І ще питання"]
    {
        assert!(texts.contains(&t), "{t} in {texts:?}");
    }
    assert!(
        !texts
            .iter()
            .any(|t| t.contains("not hers") || t.contains("courier"))
    );
    assert_eq!(json["tickets"][0]["ticket"]["status"], "closed");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&out), 0o700);
        assert_eq!(mode(&out.join("export.json")), 0o600);
    }
    // With --notes, the engineers' notes too; never over an existing export.
    let with_notes = dir.path().join("export-41-notes");
    cli_ok(
        &db,
        &[
            "customer",
            "export",
            "41",
            "--notes",
            "--to",
            with_notes.to_str().unwrap(),
        ],
    );
    let body = std::fs::read_to_string(with_notes.join("export.json")).unwrap();
    assert!(body.contains("internal: courier lost it"));
    let again = cli(
        &db,
        &["customer", "export", "41", "--to", out.to_str().unwrap()],
    );
    assert!(!again.status.success());
    let unknown = cli(
        &db,
        &[
            "customer",
            "export",
            "999",
            "--to",
            dir.path().join("x").to_str().unwrap(),
        ],
    );
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no customer with Telegram user id 999")
    );
}

/// `customer erase`: a preview first, then the customer's texts, names and
/// files are gone from the database, its WAL and the files directory (the
/// bytes are searched), a live client and a resumed one drop them, their
/// name in another customer's ticket is pseudonymised, and an audit record
/// without content stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_customer_leaves_no_byte_behind() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let mut z = SimUser::new(77, "Zbigniew", "en");
    z.last_name = Some("Quastorff".into());
    z.username = Some("zquastorff".into());
    sim.add_user(z);
    sim.add_user(SimUser::new(78, "Olena", "uk"));
    let (dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1,SECURITY");
    let server = Server::start_direct_bot(&db, "127.0.0.1:0", &sim);
    let mut live = Client::connect(&server.ws_url(), &token, None).await;
    let mut theirs_in_telegram = vec![
        sim.send_text(77, "my order XYZZY-PLUGH-77 never came"),
        sim.send_photo(77, Some("caption-QWERTY-77")),
    ];
    sim.send_text(78, "hello");
    live.until("both tickets", WAIT, |m| {
        // The photo filed (a count would include the bot's receipt).
        ticket_of(m, 77).is_some_and(|t| {
            m.messages
                .get(&t)
                .is_some_and(|ms| ms.values().any(|x| !x.attachments.is_empty()))
        }) && ticket_of(m, 78).is_some()
    })
    .await;
    let theirs = ticket_of(&live.mirror, 77).unwrap();
    let other = ticket_of(&live.mirror, 78).unwrap();
    live.reply(theirs, "Looking into FROBOZZ-77 now").await;
    let reply = sim.wait_sent(77, 1, WAIT).await.expect("the reply sent");
    theirs_in_telegram.push(reply[0].message_id);
    expect_ok(
        &live
            .cmd(Command::Note {
                ticket_id: other,
                text: "Zbigniew Quastorff (@zquastorff) wrote about the same courier".into(),
            })
            .await,
    );
    // The photo goes through the relay's file cache.
    let photo = live.mirror.messages[&theirs]
        .values()
        .find_map(|m| m.attachments.first().cloned())
        .expect("the photo");
    let got = http_get(
        &server.addr,
        &format!("/v1/files/{}", photo.file_id),
        Some(&token),
    );
    assert!(
        got.starts_with("HTTP/1.1 200"),
        "{}",
        &got[..got.len().min(200)]
    );
    let files_dir = dir.path().join("files");
    assert!(std::fs::read_dir(files_dir.join("cache")).unwrap().count() > 0);
    // A second workstation goes away before the erase, to resume after it.
    let away = Client::connect(&server.ws_url(), &token, None).await;
    let (kept, at) = (away.mirror.clone(), away.mirror.seq);
    assert!(kept.tickets.contains_key(&theirs));
    drop(away);

    let secrets = [
        "XYZZY-PLUGH-77",
        "FROBOZZ-77",
        "caption-QWERTY-77",
        "Zbigniew",
        "Quastorff",
        "zquastorff",
    ];
    let preview = cli_ok(&db, &["customer", "erase", "77"]);
    assert!(
        preview.contains("would erase") && preview.contains("1 tickets"),
        "{preview}"
    );
    assert!(preview.contains("nothing erased"));
    assert!(!files_holding(dir.path(), "XYZZY-PLUGH-77").is_empty());

    let said = cli_ok(&db, &["customer", "erase", "77", "--yes"]);
    assert!(said.contains("erased customer"), "{said}");
    assert!(said.contains("WAL emptied"), "{said}");
    assert!(
        said.contains("3 messages of their chat from the last 48 hours are queued for deletion"),
        "{said}"
    );
    // The running server deletes them in Telegram: both sides of the chat.
    let deadline = std::time::Instant::now() + WAIT;
    while sim.deleted(77) != theirs_in_telegram {
        assert!(
            std::time::Instant::now() < deadline,
            "deleted {:?} of {theirs_in_telegram:?}",
            sim.deleted(77)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        sim.deleted(78).is_empty(),
        "another customer's chat untouched"
    );
    // The live client drops them at once.
    live.until("the customer erased", WAIT, |m| {
        !m.tickets.contains_key(&theirs) && !m.messages.contains_key(&theirs)
    })
    .await;
    assert!(
        live.mirror
            .customers
            .values()
            .all(|c| c.telegram_user_id != 77)
    );
    let (server_digest, mine) = live.settle().await;
    assert_eq!(server_digest, mine);
    // The other customer's ticket keeps its note, pseudonymised.
    let note = live.mirror.messages[&other]
        .values()
        .find(|m| m.kind == MessageKind::Note)
        .unwrap();
    assert_eq!(
        note.text,
        "[erased customer] ([erased customer]) wrote about the same courier"
    );
    // A client resuming from before the erase: nothing of them in its
    // mirror, and the replay carried no text of theirs.
    let mut back = Client::connect(&server.ws_url(), &token, Some((kept, at))).await;
    assert_eq!(back.welcome.sync, SyncMode::Events);
    assert!(!back.mirror.tickets.contains_key(&theirs));
    assert!(
        back.mirror
            .customers
            .values()
            .all(|c| c.telegram_user_id != 77)
    );
    let (server_digest, mine) = back.settle().await;
    assert_eq!(server_digest, mine);
    // The bytes: the database, its WAL and the files, while the server runs
    // and after it stopped.
    for s in secrets {
        assert_eq!(
            files_holding(dir.path(), s),
            Vec::<std::path::PathBuf>::new(),
            "{s}"
        );
    }
    drop(back);
    drop(live);
    drop(server);
    for s in secrets {
        assert_eq!(
            files_holding(dir.path(), s),
            Vec::<std::path::PathBuf>::new(),
            "{s}"
        );
    }
    // What stays: a content-free audit record, and the other customer.
    let audit = cli_ok(&db, &["audit", "--action", "erase", "--json"]);
    assert!(
        audit.contains("\"actor\":{\"id\":null,\"kind\":\"cli\""),
        "{audit}"
    );
    for s in secrets {
        assert!(!audit.contains(s));
    }
    let again = cli(&db, &["customer", "erase", "77", "--yes"]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("no customer with Telegram user id 77")
    );
}
