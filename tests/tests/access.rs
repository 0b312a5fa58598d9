//! Who may connect and what a connection does (issue 14): read-only
//! monitor connections, the WebSocket's `Origin` check.

use std::path::Path;

use e2e::*;
use shared::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn head_seq(db: &Path) -> i64 {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))
        .unwrap()
}

/// Every hello used to set presence, write a presence event and trigger
/// auto-assignment: a wallboard connecting handed tickets to its agent and
/// messaged customers. A monitor reads the same stream and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_connection_reads_everything_and_changes_nothing() {
    let (_dir, db) = fresh_db(6);
    let token = add_agent(&db, "wallboard", "supervisor", "L1,L2");
    let server = Server::start(&db, &[("RELAY_ASSIGNMENT__AUTO", "true")]);
    let before = head_seq(&db);
    let mut monitor = Client::connect_monitor(&server.ws_url(), &token).await;
    let (mine, servers) = monitor.settle().await;
    assert_eq!(mine, servers, "the same state as everyone");
    assert!(!monitor.mirror.tickets.is_empty());
    let me = monitor.welcome.agent.id;
    assert_eq!(monitor.mirror.agents[&me].presence, Presence::Offline);
    assert_eq!(monitor.welcome.agent.presence, Presence::Offline);
    let t = *monitor.mirror.tickets.keys().next().unwrap();
    // Reads work; anything that would change something is refused.
    let page = monitor
        .cmd(Command::History {
            ticket_id: t,
            limit: 5,
        })
        .await;
    assert!(matches!(page, ServerMessage::Ok { .. }), "{page:?}");
    for command in [
        Command::Take { ticket_id: t },
        Command::Reply {
            ticket_id: t,
            text: "from the wall".into(),
        },
        Command::SetPresence {
            presence: Presence::Online,
        },
        Command::MarkRead {
            ticket_id: t,
            up_to: MessageId(1),
        },
    ] {
        let e = monitor.cmd(command).await;
        assert!(expect_error(&e, ErrorCode::Forbidden).contains("monitor connection"));
    }
    drop(monitor);
    assert_eq!(head_seq(&db), before, "a monitor wrote nothing");
    assert!(
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM tickets WHERE assignee IS NOT NULL",
                [],
                |r| r.get::<_, i64>(0)
            )
            .unwrap()
            == 0
    );
    // The same agent's workstation does go online, and takes tickets.
    let ws = Client::connect(&server.ws_url(), &token, None).await;
    assert_eq!(
        ws.welcome.agent.presence,
        Presence::Online,
        "welcome says online"
    );
    assert_eq!(ws.mirror.agents[&me].presence, Presence::Online);
    assert!(head_seq(&db) > before);
}

/// Sends a WebSocket upgrade with `origin` (if any); the status line.
async fn upgrade(addr: &str, origin: Option<&str>) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let origin = origin.map_or(String::new(), |o| format!("Origin: {o}\r\n"));
    let request = format!(
        "GET {WS_PATH} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{origin}\r\n"
    );
    s.write_all(request.as_bytes()).await.unwrap();
    let mut got = vec![0; 512];
    let n = s.read(&mut got).await.unwrap();
    String::from_utf8_lossy(&got[..n]).into_owned()
}

/// A web page anywhere could open the WebSocket from a support engineer's
/// browser. A page's `Origin` must be listed; clients that send none
/// (agent-tui, scripts) are not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_websocket_upgrade_checks_the_origin_a_browser_sends() {
    let (_dir, db) = fresh_db(1);
    let server = Server::start(
        &db,
        &[(
            "RELAY_SYNC__ALLOWED_ORIGINS",
            r#"["https://desk.example.com"]"#,
        )],
    );
    let refused = upgrade(&server.addr, Some("https://evil.example.net")).await;
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    assert!(refused.contains("origin not allowed"), "{refused}");
    for ok in [
        None,
        Some("https://desk.example.com"),
        Some("HTTPS://DESK.EXAMPLE.COM"),
    ] {
        let answer = upgrade(&server.addr, ok).await;
        assert!(answer.starts_with("HTTP/1.1 101"), "{ok:?}: {answer}");
    }
}
