//! `relay-server backup` while the server is under load, and `restore`
//! (issue 14): the restored database is the server's state at the
//! backup's seq, digest for digest.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use e2e::*;
use relay_client::{Connection, Incoming, Mirror};
use shared::*;

/// Follows the live stream event by event, noting the state digest at
/// every seq, until `stop` holds and the mirror reached it.
async fn watch(url: String, token: String, digests: Arc<Mutex<BTreeMap<u64, String>>>) {
    let (mut conn, welcome) = Connection::connect(&url, &token, None).await.unwrap();
    let tail = welcome.snapshot_tail;
    let mut mirror = Mirror::new(Some(welcome.agent.id));
    loop {
        let frame = match conn.recv().await {
            Ok(Incoming::Message(m)) => m,
            _ => return,
        };
        match frame {
            ServerMessage::Snapshot(part) => {
                let last = part.last;
                mirror.apply_snapshot(*part).unwrap();
                if last {
                    digests
                        .lock()
                        .unwrap()
                        .insert(mirror.seq.0, mirror.digest(tail));
                }
            }
            ServerMessage::Events { events } => {
                for e in &events {
                    if mirror.apply_event(e).unwrap() {
                        digests
                            .lock()
                            .unwrap()
                            .insert(mirror.seq.0, mirror.digest(tail));
                    }
                }
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_load_restores_to_the_servers_state_at_its_seq() {
    let (dir, db) = fresh_db(8);
    let token = add_agent(&db, "alice", "supervisor", "L1,L2");
    let server = Server::start(&db, &[]);
    let url = server.ws_url();
    let digests = Arc::new(Mutex::new(BTreeMap::new()));
    let watcher = tokio::spawn(watch(url.clone(), token.clone(), digests.clone()));
    let mut agent = Client::connect(&url, &token, None).await;
    let tickets: Vec<TicketId> = agent.mirror.tickets.keys().copied().collect();

    // Load: an engineer's notes and replies in batches, and customers'
    // messages filed by another process, while the backup is taken.
    let backup = dir.path().join("backup.db");
    let (db2, backup2) = (db.clone(), backup.clone());
    let taken = tokio::task::spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(300));
        cli_ok(&db2, &["backup", backup2.to_str().unwrap()])
    });
    let seeding = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || cli_ok(&db, &["seed", "--customers", "6"]))
    };
    let (mut batches, mut after) = (0, 0);
    // On until a few batches after the backup finished.
    while after < 3 {
        if taken.is_finished() {
            after += 1;
        }
        let commands = tickets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if i % 2 == 0 {
                    Command::Note {
                        ticket_id: *t,
                        text: format!("note {batches}-{i}"),
                    }
                } else {
                    Command::Reply {
                        ticket_id: *t,
                        text: format!("reply {batches}-{i}"),
                    }
                }
            })
            .collect();
        for answer in agent.pipeline(commands).await {
            expect_ok(&answer);
        }
        batches += 1;
    }
    let said = taken.await.unwrap();
    seeding.await.unwrap();
    let seq: u64 = said
        .split_whitespace()
        .skip_while(|w| *w != "seq")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no seq in {said:?}"));
    let head = agent.settle().await;
    assert_eq!(head.0, head.1);
    assert!(
        seq > 8 && agent.mirror.seq.0 > seq,
        "the backup was taken during the load: at {seq} of {}",
        agent.mirror.seq
    );
    // The watcher has seen every seq up to the head by now.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !digests.lock().unwrap().contains_key(&agent.mirror.seq.0) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the watcher fell behind"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let expected = digests.lock().unwrap()[&seq].clone();
    watcher.abort();

    // Restore into a fresh place and serve it: the state at that seq.
    let restored_db = dir.path().join("restored").join("desk.db");
    let out = cli_ok(&restored_db, &["restore", backup.to_str().unwrap()]);
    assert!(out.contains(&format!("at seq {seq}")), "{out}");
    let restored = Server::start(&restored_db, &[]);
    // A monitor writes nothing (no presence event), so the head stays put.
    let mut look = Client::connect_monitor(&restored.ws_url(), &token).await;
    let (servers, mine) = look.settle().await;
    assert_eq!(servers, mine);
    // Starting, the server found alice online with no workstation and set
    // her offline: that is all it wrote, and it is not in the digest.
    let c = rusqlite::Connection::open(&restored_db).unwrap();
    let kinds: Vec<String> = c
        .prepare("SELECT json_extract(body, '$.event.kind') FROM events WHERE seq > ?1")
        .unwrap()
        .query_map([seq], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        kinds
            .iter()
            .all(|k| k == "presence_changed" || k == "agent_upserted"),
        "after the backup's seq the restored server wrote only presence: {kinds:?}"
    );
    assert_eq!(look.mirror.seq.0, seq + kinds.len() as u64);
    assert_eq!(servers, expected, "the state the server had at seq {seq}");

    // Restoring over a running server's database is refused.
    let refused = cli(&restored_db, &["restore", backup.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("in use"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
