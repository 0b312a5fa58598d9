//! Health, graceful shutdown, and clients that cannot keep up.

use std::io::{Read, Write};
use std::time::Duration;

use e2e::*;
use relay_client::{Connection, Incoming};
use shared::*;

fn healthz(addr: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_and_sigterm_closes_clients_cleanly() {
    let (_dir, db) = fresh_db(3);
    let token = add_agent(&db, "alice", "supervisor", "L1");
    let mut server = Server::start(&db, &[]);
    let health = healthz(&server.addr).expect("healthz answers");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#""status":"ok""#), "{health}");

    let mut a = Client::connect(&server.ws_url(), &token, None).await;
    let t = a.ticket_in("L1");
    expect_ok(
        &a.cmd(Command::Note {
            ticket_id: t,
            text: "before shutdown".into(),
        })
        .await,
    );
    let status = tokio::task::spawn_blocking(move || {
        let s = server.terminate();
        (s, server)
    });
    let (code, reason) = a.closed().await;
    assert_eq!(code, close::GOING_AWAY, "{reason}");
    let (status, server) = status.await.unwrap();
    assert!(status.success(), "exit status {status:?}");
    assert!(healthz(&server.addr).is_none(), "no longer listening");

    // Restarted, the note is there and the state is whole.
    let server = Server::start(&db, &[]);
    let mut a = Client::connect(&server.ws_url(), &token, None).await;
    let (s, m) = a.settle().await;
    assert_eq!(s, m);
    assert!(
        a.mirror.messages[&t]
            .values()
            .any(|m| m.text == "before shutdown")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_without_stalling_others() {
    let (_dir, db) = fresh_db(5);
    let token = add_agent(&db, "alice", "supervisor", "L1");
    let server = Server::start(
        &db,
        &[
            ("RELAY_SYNC__SEND_TIMEOUT_SECS", "2"),
            ("RELAY_SYNC__FANOUT_CAPACITY", "64"),
        ],
    );

    // The stalled client says hello, then never reads again.
    let (mut stalled, _) = Connection::connect(&server.ws_url(), &token, None)
        .await
        .unwrap();
    let watcher = Client::connect(&server.ws_url(), &token, None).await;
    let mut writer = Client::connect(&server.ws_url(), &token, None).await;
    let t = writer.ticket_in("L1");
    // The watcher reads all along, in its own task.
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let watching = tokio::spawn(async move {
        let mut watcher = watcher;
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                alive = watcher.pump() => assert!(alive, "watcher closed: {:?}", watcher.closed),
            }
        }
        watcher
    });
    // About 24 MB of events: well over what loopback socket buffers hold
    // (autotuning tops out near 10 MB for both ends together).
    let text = "x".repeat(4000);
    for _ in 0..6000 {
        expect_ok(
            &writer
                .cmd(Command::Note {
                    ticket_id: t,
                    text: text.clone(),
                })
                .await,
        );
    }
    // The watcher kept up and agrees with the server.
    stop.send(()).unwrap();
    let mut watcher = watching.await.unwrap();
    let (s, m) = watcher.settle().await;
    assert_eq!(s, m);
    writer.settle().await;
    assert_eq!(watcher.mirror.seq, writer.mirror.seq);

    // The stalled client's connection was ended by the server: reading it
    // now yields what was buffered, then the end.
    let mut frames = 0;
    let ended = tokio::time::timeout(PATIENCE, async {
        while let Ok(Incoming::Message(_)) = stalled.recv().await {
            frames += 1;
        }
    })
    .await;
    assert!(ended.is_ok(), "the stalled connection was not closed");
    assert!(frames > 0);
    let health = healthz(&server.addr).expect("healthz");
    assert!(health.starts_with("HTTP/1.1 200"));
}
