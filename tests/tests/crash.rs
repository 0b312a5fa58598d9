//! The server is SIGKILLed while clients send commands, several times.
//! Every command answered `ok` must be in the database exactly once, and a
//! command retried with its id after the restart must not be applied twice.

use std::collections::BTreeSet;
use std::time::Duration;

use e2e::*;
use relay_client::{Connection, Incoming};
use shared::*;

/// Sends notes (text = command id) one after another until the connection
/// dies; returns (sent with their ticket, answered ok).
async fn hammer(
    url: String,
    token: String,
    prefix: String,
    tickets: Vec<TicketId>,
) -> (Vec<(String, TicketId)>, Vec<String>) {
    let (mut sent, mut acked) = (Vec::new(), Vec::new());
    let Ok((mut conn, _)) = Connection::connect(&url, &token, None).await else {
        return (sent, acked);
    };
    for n in 0.. {
        let id = format!("{prefix}-{n}");
        let ticket_id = tickets[n % tickets.len()];
        sent.push((id.clone(), ticket_id));
        if conn
            .command(
                &id,
                Command::Note {
                    ticket_id,
                    text: id.clone(),
                },
            )
            .await
            .is_err()
        {
            break;
        }
        let answered = loop {
            match conn.recv().await {
                Ok(Incoming::Message(ServerMessage::Ok { id: got, .. })) if got.0 == id => {
                    break true;
                }
                Ok(Incoming::Message(ServerMessage::Error {
                    id: Some(got),
                    code,
                    message,
                })) if got.0 == id => {
                    panic!("{id} refused: {code:?} {message}")
                }
                Ok(Incoming::Message(_)) => continue,
                _ => break false,
            }
        };
        if !answered {
            break;
        }
        acked.push(id);
    }
    (sent, acked)
}

fn count_notes(db: &std::path::Path, text: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT count(*) FROM messages WHERE kind = 'note' AND text = ?1",
        [text],
        |r| r.get(0),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_command_survives_sigkill_exactly_once() {
    let (_dir, db) = fresh_db(12);
    let tokens: Vec<String> = (0..3)
        .map(|i| add_agent(&db, &format!("agent{i}"), "supervisor", "L1"))
        .collect();
    let full = [("RELAY_DURABILITY", "full")];
    let mut sent_all = BTreeSet::new();
    // A mirror taken before the last crash, to resume later through the log.
    let mut before_crash = None;
    let mut acked_all = BTreeSet::new();
    for round in 0..4u64 {
        let mut server = Server::start(&db, &full);
        let probe = Client::connect(&server.ws_url(), &tokens[0], None).await;
        let tickets: Vec<TicketId> = probe.mirror.tickets.keys().copied().collect();
        before_crash = Some((probe.mirror.clone(), probe.mirror.seq));
        let tasks: Vec<_> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| {
                tokio::spawn(hammer(
                    server.ws_url(),
                    t.clone(),
                    format!("r{round}-a{i}"),
                    tickets.clone(),
                ))
            })
            .collect();
        // Kill at a different moment each round.
        tokio::time::sleep(Duration::from_millis(300 + round * 170)).await;
        server.kill();
        for t in tasks {
            let (sent, acked) = t.await.unwrap();
            assert!(!acked.is_empty() || round > 0 || !sent.is_empty());
            sent_all.extend(
                sent.into_iter()
                    .map(|(s, t)| (s.clone(), s.split('-').nth(1).unwrap().to_owned(), t)),
            );
            acked_all.extend(acked);
        }
    }
    assert!(
        acked_all.len() > 20,
        "the load was too light to prove anything: {}",
        acked_all.len()
    );

    // After the crashes: everything acknowledged is there exactly once, nothing twice.
    for id in &acked_all {
        assert_eq!(count_notes(&db, id), 1, "{id} was acknowledged");
    }
    for (id, _, _) in &sent_all {
        assert!(count_notes(&db, id) <= 1, "{id} stored twice");
    }

    // Retrying every sent command with its id applies each exactly once.
    let server = Server::start(&db, &full);
    let mut clients = Vec::new();
    for t in &tokens {
        clients.push(Client::connect(&server.ws_url(), t, None).await);
    }
    // The same command as first sent: same id, same ticket, same text.
    for (id, agent, ticket_id) in &sent_all {
        let (a, ticket_id): (usize, TicketId) =
            (agent.trim_start_matches('a').parse().unwrap(), *ticket_id);
        let answer = clients[a]
            .cmd_with_id(
                id,
                Command::Note {
                    ticket_id,
                    text: id.clone(),
                },
            )
            .await;
        expect_ok(&answer);
    }
    for (id, _, _) in &sent_all {
        assert_eq!(count_notes(&db, id), 1, "{id} after retry");
    }

    // The event log is gap-free and a client's mirror equals the server.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (min, max, n): (i64, i64, i64) = conn
        .query_row("SELECT min(seq), max(seq), count(*) FROM events", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((min, max), (1, n), "event log has gaps");
    let (s, m) = clients[0].settle().await;
    assert_eq!(s, m);
    // A mirror from before the last crash, brought up to date through the
    // log alone, equals the tables: the log and the state agree.
    let (mirror, seq) = before_crash.unwrap();
    let mut resumed = Client::connect(&server.ws_url(), &tokens[0], Some((mirror, seq))).await;
    assert_eq!(resumed.welcome.sync, SyncMode::Events);
    let (s, m) = resumed.settle().await;
    assert_eq!(s, m);
}
