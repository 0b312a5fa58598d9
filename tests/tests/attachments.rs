//! Files both ways, end to end: a customer's photo opened from the
//! workstation (fetched from Telegram once, then from the relay's cache),
//! and an engineer's file sent from the workstation reaching Telegram once.

use std::time::Duration;

use agent_tui::config::FileConfig;
use agent_tui::session::{Session, text_of};
use agent_tui::state::ConnState;
use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::*;
use shared::*;

const WAIT: Duration = Duration::from_secs(30);

fn session(url: &str, token: &str, downloads: &std::path::Path) -> Session {
    let file = FileConfig {
        download_dir: Some(downloads.to_owned()),
        ..FileConfig::default()
    };
    workstation(url, token, file, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_photo_opens_and_an_engineers_file_reaches_telegram_once() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(701, "Олена", "uk"));
    let (dir, db) = fresh_db(0);
    let token = add_agent(&db, "anna", "supervisor", "L1");
    let server = Server::start_direct_bot(&db, "127.0.0.1:0", &sim);
    let downloads = dir.path().join("downloads");
    let mut s = session(&server.ws_url(), &token, &downloads);
    assert!(s.pump_until(WAIT, |a| a.conn == ConnState::Online).await);

    sim.send_photo(701, Some("ось помилка"));
    assert!(
        s.pump_until(WAIT, |a| ticket_of(&a.mirror, 701).is_some_and(|t| a
            .mirror
            .messages
            .get(&t)
            .is_some_and(|m| m.values().any(|m| !m.attachments.is_empty()))))
            .await,
        "the photo is filed"
    );
    let t = ticket_of(&s.app.mirror, 701).unwrap();
    let photo = s.app.mirror.messages[&t]
        .values()
        .find_map(|m| m.attachments.first().cloned())
        .unwrap();
    let (path, size) = sim.file(&photo.file_id).expect("the simulator keeps it");

    // Open it: one key in the chat.
    s.app.open_chat(t);
    s.press("f");
    assert!(
        s.pump_until(WAIT, |a| a
            .flash
            .as_ref()
            .is_some_and(|f| f.text.starts_with("saved to ")))
            .await,
        "saved: {:?}",
        s.app.flash
    );
    let saved = s.app.flash.clone().unwrap().text["saved to ".len()..].to_owned();
    assert!(
        saved.starts_with(&downloads.display().to_string()),
        "{saved}"
    );
    let bytes = std::fs::read(&saved).unwrap();
    assert_eq!(bytes.len() as u64, size);
    assert_eq!(bytes, bot_api_sim::file_bytes(&path, size as usize));
    assert_eq!(sim.get_file_calls(), 1);
    // Again: from the relay's cache, not from Telegram.
    s.press("f");
    assert!(
        s.pump_until(WAIT, |a| a
            .flash
            .as_ref()
            .is_some_and(
                |f| f.text.starts_with("saved to ") && f.text.contains("(2)")
            ))
        .await,
        "saved again: {:?}",
        s.app.flash
    );
    assert_eq!(sim.get_file_calls(), 1, "served from the cache");

    // Without a token, or with someone else's, nothing is served.
    let url = format!("http://{}/v1/files/{}", server.addr, photo.file_id);
    let anon = http_get(&server.addr, &url, None);
    assert!(anon.starts_with("HTTP/1.1 401"), "{anon}");
    // Another agent of the queue may read it, as they may read the thread;
    // one who may not read the thread gets what a missing file gets.
    let bob = add_agent(&db, "bob", "agent", "L1");
    let other = http_get(&server.addr, &url, Some(&bob));
    assert!(other.starts_with("HTTP/1.1 200"), "{other}");
    let carol = add_agent(&db, "carol", "agent", "L2");
    let outside = http_get(&server.addr, &url, Some(&carol));
    assert!(outside.starts_with("HTTP/1.1 404"), "{outside}");
    let none = http_get(
        &server.addr,
        &format!("http://{}/v1/files/nope", server.addr),
        Some(&token),
    );
    assert!(none.starts_with("HTTP/1.1 404"), "{none}");

    // The engineer sends a file: ctrl-o, the path, Enter.
    let invoice = dir.path().join("invoice.pdf");
    std::fs::write(&invoice, vec![7u8; 3000]).unwrap();
    s.press("ctrl-o");
    s.press("ctrl-u");
    s.type_text(&invoice.display().to_string());
    s.press("enter");
    // The upload, then the attach command (pumped: headless).
    assert!(
        s.pump_until(WAIT, |a| a.mirror.messages[&t].values().any(|m| m
            .attachments
            .iter()
            .any(|x| x.file_name.as_deref() == Some("invoice.pdf"))))
            .await,
        "attached: {:?}",
        s.app.flash
    );
    let got = sim
        .wait_sent(701, 1, WAIT)
        .await
        .expect("the file reached Telegram");
    assert_eq!(got[0].method, "senddocument");
    assert_eq!(
        got[0].file,
        Some(bot_api_sim::SentFile {
            file_name: Some("invoice.pdf".into()),
            size: 3000,
            text: None,
        })
    );
    assert!(
        s.pump_until(WAIT, |a| a.pending.is_empty()
            && a.mirror.messages[&t].values().any(|m| m.kind
                == MessageKind::Outbound
                && m.attachments
                    .iter()
                    .any(|x| x.file_name.as_deref() == Some("invoice.pdf"))
                && m.delivery
                    .as_ref()
                    .is_some_and(|d| d.state == DeliveryState::Sent)))
            .await,
        "the thread shows it sent"
    );
    let screen = text_of(&s.render(160, 48));
    assert!(screen.contains("[document] invoice.pdf · 3 KB"), "{screen}");
    assert!(screen.contains("sent to Telegram"), "{screen}");
    // Exactly once.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sim.sent(701).len(), 1);

    // Too big for Telegram: refused before anything is uploaded.
    let big = dir.path().join("big.bin");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(MAX_UPLOAD_BYTES + 1).unwrap();
    s.press("ctrl-o");
    s.press("ctrl-u");
    s.type_text(&big.display().to_string());
    s.press("enter");
    let f = s.app.flash.clone().unwrap();
    assert!(f.error && f.text.contains("50 MB"), "{f:?}");
}
