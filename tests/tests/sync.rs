//! Sync protocol end to end: fanout, resume, snapshot fallback, idempotency.

use e2e::*;
use shared::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_from_one_client_appears_at_both() {
    let (_dir, db) = fresh_db(10);
    let alice = add_agent(&db, "alice", "agent", "L1,L2,VIP,SECURITY");
    let bob = add_agent(&db, "bob", "supervisor", "L1");
    let server = Server::start(&db, &[]);
    let mut a = Client::connect(&server.ws_url(), &alice, None).await;
    let mut b = Client::connect(&server.ws_url(), &bob, None).await;
    assert_eq!(a.welcome.sync, SyncMode::Snapshot);
    assert_eq!(a.mirror.tickets.len(), 10);
    let ticket = a.ticket_in("L1");

    let answer = a
        .cmd(Command::Reply {
            ticket_id: ticket,
            text: "Hi! I'm on it 👩‍💻".into(),
        })
        .await;
    let seq = expect_ok(&answer).expect("reply writes events");
    while b.mirror.seq < seq {
        assert!(b.pump().await);
    }
    for c in [&a, &b] {
        let t = &c.mirror.tickets[&ticket];
        assert_eq!(t.status, TicketStatus::Open);
        assert!(t.first_reply_at.is_some());
        assert_eq!(t.waiting_since, None);
        let last = c.mirror.messages[&ticket].values().last().unwrap();
        assert_eq!(last.text, "Hi! I'm on it 👩‍💻");
        assert_eq!(last.kind, MessageKind::Outbound);
        assert_eq!(last.delivery.as_ref().unwrap().state, DeliveryState::Queued);
    }
    let (server_digest, mirror_digest) = b.settle().await;
    assert_eq!(server_digest, mirror_digest);
    let (server_digest, mirror_digest) = a.settle().await;
    assert_eq!(server_digest, mirror_digest);
}

/// Makes `n` varied changes (commands that were applied) through `c`.
async fn churn(c: &mut Client, n: usize) {
    let tickets: Vec<TicketId> = c.mirror.tickets.keys().copied().collect();
    let mut applied = 0;
    let mut i = 0;
    while applied < n {
        i += 1;
        let t = tickets[i % tickets.len()];
        let cmd = match i % 6 {
            0 => Command::Note {
                ticket_id: t,
                text: format!("note {i} — 备注 ✅"),
            },
            1 => Command::SetTags {
                ticket_id: t,
                add: vec![format!("tag{}", i % 5)],
                remove: vec![format!("tag{}", (i + 2) % 5)],
            },
            2 => Command::SetPriority {
                ticket_id: t,
                priority: Priority::ALL[i % 4],
            },
            3 => Command::Reply {
                ticket_id: t,
                text: format!("reply {i}"),
            },
            4 => Command::Assign {
                ticket_id: t,
                agent_id: if i % 12 == 4 {
                    None
                } else {
                    Some(c.welcome.agent.id)
                },
            },
            _ => Command::SetStatus {
                ticket_id: t,
                status: if i % 12 == 5 {
                    TicketStatus::PendingOnCustomer
                } else {
                    TicketStatus::Open
                },
            },
        };
        match c.cmd(cmd).await {
            ServerMessage::Ok {
                result: CommandResult::Unchanged,
                ..
            } => {}
            ServerMessage::Ok { .. } => applied += 1,
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_missed_1000_changes_resumes_to_the_servers_state() {
    let (_dir, db) = fresh_db(40);
    let alice = add_agent(&db, "alice", "supervisor", "L1");
    let bob = add_agent(&db, "bob", "supervisor", "L1");
    let server = Server::start(&db, &[]);
    let a = Client::connect(&server.ws_url(), &alice, None).await;
    let mut b = Client::connect(&server.ws_url(), &bob, None).await;
    let (left_at, mirror) = (a.mirror.seq, a.mirror.clone());
    a.conn.close().await;

    churn(&mut b, 1000).await;
    b.settle().await;
    let missed = b.mirror.seq.0 - left_at.0;
    assert!(missed >= 1000, "only {missed} events");

    let mut a = Client::connect(&server.ws_url(), &alice, Some((mirror, left_at))).await;
    assert_eq!(
        a.welcome.sync,
        SyncMode::Events,
        "resumed from the log, not a snapshot"
    );
    let (server_digest, mirror_digest) = a.settle().await;
    assert_eq!(server_digest, mirror_digest);
    // Alice's return (presence) is an event b has yet to see.
    b.settle().await;
    assert_eq!(a.mirror.seq, b.mirror.seq);
    // And a fresh snapshot agrees with both.
    let c = Client::connect(&server.ws_url(), &alice, None).await;
    assert_eq!(c.mirror.digest(c.welcome.snapshot_tail), mirror_digest);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_too_far_behind_gets_a_fresh_snapshot() {
    let (_dir, db) = fresh_db(10);
    let alice = add_agent(&db, "alice", "supervisor", "L1");
    let server = Server::start(&db, &[("RELAY_SYNC__RESUME_LIMIT", "50")]);
    let a = Client::connect(&server.ws_url(), &alice, None).await;
    let (left_at, mirror) = (a.mirror.seq, a.mirror.clone());
    a.conn.close().await;
    let mut b = Client::connect(&server.ws_url(), &alice, None).await;
    churn(&mut b, 60).await;
    let mut a = Client::connect(&server.ws_url(), &alice, Some((mirror, left_at))).await;
    assert_eq!(a.welcome.sync, SyncMode::Snapshot);
    let (server_digest, mirror_digest) = a.settle().await;
    assert_eq!(server_digest, mirror_digest);
    // Seq 0 means "never synced": a snapshot, never a replay of the whole log.
    let z = Client::connect(&server.ws_url(), &alice, Some((Default::default(), Seq(0)))).await;
    assert_eq!(z.welcome.sync, SyncMode::Snapshot);
    assert_eq!(
        z.mirror.macros.len(),
        8,
        "built-in macros come with the snapshot"
    );
    // A resume point the server never had (another database) also gets a snapshot.
    let mut c = Client::connect(
        &server.ws_url(),
        &alice,
        Some((Default::default(), Seq(10_000_000))),
    )
    .await;
    assert_eq!(c.welcome.sync, SyncMode::Snapshot);
    let (s, m) = c.settle().await;
    assert_eq!(s, m);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_command_id_is_applied_once() {
    let (_dir, db) = fresh_db(3);
    let alice = add_agent(&db, "alice", "supervisor", "L1");
    let server = Server::start(&db, &[]);
    let mut a = Client::connect(&server.ws_url(), &alice, None).await;
    let t = a.ticket_in("L1");
    let first = a
        .cmd_with_id(
            "retry-1",
            Command::Note {
                ticket_id: t,
                text: "once".into(),
            },
        )
        .await;
    let count = a.mirror.tickets[&t].message_count;
    // The same id again, also after a reconnect, answers the same and changes nothing.
    let again = a
        .cmd_with_id(
            "retry-1",
            Command::Note {
                ticket_id: t,
                text: "once".into(),
            },
        )
        .await;
    assert_eq!(first, again);
    a.conn.close().await;
    let mut a = Client::connect(&server.ws_url(), &alice, None).await;
    let third = a
        .cmd_with_id(
            "retry-1",
            Command::Note {
                ticket_id: t,
                text: "once".into(),
            },
        )
        .await;
    assert_eq!(first, third);
    assert_eq!(a.mirror.tickets[&t].message_count, count);
    let notes = a.mirror.messages[&t]
        .values()
        .filter(|m| m.text == "once")
        .count();
    assert_eq!(notes, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_messages_load_page_by_page() {
    let (_dir, db) = fresh_db(1);
    let alice = add_agent(&db, "alice", "supervisor", "L1");
    let server = Server::start(&db, &[("RELAY_SYNC__SNAPSHOT_TAIL", "5")]);
    let mut a = Client::connect(&server.ws_url(), &alice, None).await;
    let t = a.ticket_in("L1");
    for i in 0..12 {
        expect_ok(
            &a.cmd(Command::Note {
                ticket_id: t,
                text: format!("n{i}"),
            })
            .await,
        );
    }
    let a2 = Client::connect(&server.ws_url(), &alice, None).await;
    let held: Vec<MessageId> = a2.mirror.messages[&t].keys().copied().collect();
    assert_eq!(held.len(), 5, "snapshot carries the tail only");
    let mut before = Some(held[0]);
    let mut loaded = Vec::new();
    let mut a2 = a2;
    loop {
        let page = a2
            .cmd(Command::LoadOlder {
                ticket_id: t,
                before,
                limit: 4,
            })
            .await;
        let ServerMessage::Ok {
            result: CommandResult::Messages { messages, more },
            ..
        } = page
        else {
            panic!("{page:?}")
        };
        assert!(
            messages.windows(2).all(|w| w[0].id < w[1].id),
            "oldest first"
        );
        before = messages.first().map(|m| m.id);
        loaded.splice(0..0, messages);
        if !more {
            break;
        }
    }
    assert_eq!(
        loaded.len() + held.len(),
        a2.mirror.tickets[&t].message_count as usize
    );
    assert_eq!(loaded.first().unwrap().kind, MessageKind::Inbound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_snapshots_are_split_into_bounded_parts() {
    let (_dir, db) = fresh_db(30);
    let alice = add_agent(&db, "alice", "supervisor", "L1");
    let server = Server::start(&db, &[]);
    let mut a = Client::connect(&server.ws_url(), &alice, None).await;
    let tickets: Vec<TicketId> = a.mirror.tickets.keys().copied().collect();
    // 30 tickets x 20 notes of 4,000 characters: about 2.4 MB of tails.
    let text = "ж".repeat(4000);
    for t in &tickets {
        for _ in 0..20 {
            expect_ok(
                &a.cmd(Command::Note {
                    ticket_id: *t,
                    text: text.clone(),
                })
                .await,
            );
        }
    }
    let mut raw = relay_client::Connection::open(&server.ws_url())
        .await
        .unwrap();
    raw.send(&ClientMessage::Hello {
        protocol: PROTOCOL_VERSION,
        token: alice.clone(),
        resume_from: None,
        client: None,
        monitor: false,
    })
    .await
    .unwrap();
    let mut mirror = relay_client::Mirror::default();
    let mut parts = 0;
    loop {
        let text = raw.recv_text().await.unwrap().unwrap();
        assert!(
            text.len() < 2 * 1024 * 1024,
            "a part of {} bytes",
            text.len()
        );
        let msg: ServerMessage = serde_json::from_str(&text).unwrap();
        if let ServerMessage::Snapshot(p) = &msg {
            parts += 1;
            let last = p.last;
            mirror.apply(&msg).unwrap();
            if last {
                break;
            }
        }
    }
    assert!(parts > 2, "{parts} parts");
    let (server_digest, _) = a.settle().await;
    assert_eq!(mirror.digest(a.welcome.snapshot_tail), server_digest);
}

/// Many commands in one writer batch publish more events at once than a
/// tiny fanout buffer holds, so every live client lags.
async fn burst(writer: &mut Client, notes: usize) {
    let t = writer.ticket_in("L1");
    let commands = (0..notes)
        .map(|i| Command::Note {
            ticket_id: t,
            text: format!("burst {i}"),
        })
        .collect();
    for answer in writer.pipeline(commands).await {
        expect_ok(&answer);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_behind_the_live_stream_catches_up_from_the_log() {
    let (_dir, db) = fresh_db(5);
    let alice = add_agent(&db, "alice", "supervisor", "L1");
    let server = Server::start(&db, &[("RELAY_SYNC__FANOUT_CAPACITY", "16")]);
    let mut watcher = Client::connect(&server.ws_url(), &alice, None).await;
    let mut writer = Client::connect(&server.ws_url(), &alice, None).await;
    burst(&mut writer, 400).await;
    let (s, m) = watcher.settle().await;
    assert_eq!(s, m);
    assert_eq!(
        watcher.snapshot_parts, 1,
        "caught up from the log, no new snapshot"
    );
    let log = std::fs::read_to_string(db.with_extension("log")).unwrap();
    assert!(
        log.contains("lagged behind the live stream"),
        "no lag happened; the test proves nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_far_behind_the_live_stream_gets_a_snapshot_on_the_same_connection() {
    let (_dir, db) = fresh_db(5);
    let alice = add_agent(&db, "alice", "supervisor", "L1,SECURITY");
    let env = [
        ("RELAY_SYNC__FANOUT_CAPACITY", "16"),
        ("RELAY_SYNC__RESUME_LIMIT", "20"),
    ];
    let server = Server::start(&db, &env);
    let mut watcher = Client::connect(&server.ws_url(), &alice, None).await;
    // Another process files 45 customers' messages; the server publishes
    // them in one burst, far more than the watcher may catch up on.
    cli_ok(&db, &["seed", "--customers", "45"]);
    let (s, m) = watcher.settle().await;
    assert_eq!(s, m);
    assert!(
        watcher.snapshot_parts > 1,
        "expected a fresh snapshot mid-connection"
    );
    assert!(watcher.closed.is_none());
    assert_eq!(watcher.mirror.tickets.len(), 45);
}
