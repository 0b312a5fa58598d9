//! Who may read what, end to end: an agent reads its queues' tickets, the
//! ones assigned or shared to it; a supervisor everything outside the
//! restricted queues (SECURITY by default). Snapshots, live events,
//! resumes, `history`, `load_older` and `digest` all follow it, and the
//! reads are in the audit log.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use e2e::*;
use shared::*;

const WAIT: Duration = Duration::from_secs(20);

/// Ticket ids and customer ids of the tickets in `queue`, from the database.
fn in_queue(db: &Path, queue: &str) -> (HashSet<TicketId>, HashSet<CustomerId>) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut tickets = HashSet::new();
    let mut customers = HashSet::new();
    let mut stmt = conn
        .prepare("SELECT id, customer_id FROM tickets WHERE queue = ?1")
        .unwrap();
    for row in stmt
        .query_map([queue], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .unwrap()
    {
        let (t, c) = row.unwrap();
        tickets.insert(TicketId(t));
        customers.insert(CustomerId(c));
    }
    (tickets, customers)
}

fn assert_never_saw(c: &Client, tickets: &HashSet<TicketId>, customers: &HashSet<CustomerId>) {
    let t: Vec<_> = c.received.tickets.intersection(tickets).collect();
    assert!(t.is_empty(), "was sent SECURITY tickets {t:?}");
    let cu: Vec<_> = c.received.customers.intersection(customers).collect();
    assert!(cu.is_empty(), "was sent SECURITY customers {cu:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_l1_agent_never_sees_a_security_ticket_or_its_customer() {
    let (_dir, db) = fresh_db(21);
    let l1 = add_agent(&db, "lena", "agent", "L1");
    let lead = add_agent(&db, "lead", "supervisor", "L1,L2,VIP");
    let sec = add_agent(&db, "sam", "agent", "SECURITY");
    let boss = add_agent(&db, "boss", "supervisor", "L1,SECURITY");
    let (secure, secure_customers) = in_queue(&db, "SECURITY");
    assert!(secure.len() >= 3, "the seed files SECURITY tickets");
    let server = Server::start(&db, &[]);
    let url = server.ws_url();

    // Snapshots: each reads what it may, and its digest agrees with the
    // server's digest for that agent.
    let mut a = Client::connect(&url, &l1, None).await;
    let mut s = Client::connect(&url, &sec, None).await;
    let mut l = Client::connect(&url, &lead, None).await;
    let mut b = Client::connect(&url, &boss, None).await;
    for c in [&mut a, &mut s, &mut l, &mut b] {
        let (server_digest, mine) = c.settle().await;
        assert_eq!(server_digest, mine, "{}", c.welcome.agent.name);
    }
    assert!(a.mirror.tickets.values().all(|t| t.queue.as_str() == "L1"));
    assert!(!a.mirror.tickets.is_empty());
    assert_never_saw(&a, &secure, &secure_customers);
    assert_never_saw(&l, &secure, &secure_customers);
    assert!(
        l.mirror.tickets.values().any(|t| t.queue.as_str() == "L2"),
        "a supervisor reads unrestricted queues beyond its own"
    );
    assert_eq!(
        s.mirror.tickets.keys().copied().collect::<HashSet<_>>(),
        secure,
        "SECURITY's own agent reads exactly SECURITY"
    );
    assert!(b.mirror.tickets.len() > s.mirror.tickets.len());

    // Live: what happens in SECURITY reaches its agent, and only a
    // placeholder reaches L1 (its seq stays gap-free).
    let target = *secure.iter().min().unwrap();
    let note = s
        .cmd(Command::Note {
            ticket_id: target,
            text: "card 4111 1111 1111 1111 charged twice".into(),
        })
        .await;
    let seq = expect_ok(&note).expect("a note writes events");
    a.until("the note's seq", WAIT, |m| m.seq >= seq).await;
    l.until("the note's seq", WAIT, |m| m.seq >= seq).await;
    assert!(a.received.kinds.get("withheld").copied().unwrap_or(0) >= 2);
    assert_never_saw(&a, &secure, &secure_customers);
    assert_never_saw(&l, &secure, &secure_customers);

    // Reads by id: answered as if the ticket did not exist.
    for cmd in [
        Command::History {
            ticket_id: target,
            limit: 20,
        },
        Command::LoadOlder {
            ticket_id: target,
            before: None,
            limit: 50,
        },
        Command::Note {
            ticket_id: target,
            text: "peek".into(),
        },
    ] {
        let e = a.cmd(cmd).await;
        assert!(
            expect_error(&e, ErrorCode::NotFound).contains("does not exist"),
            "{e:?}"
        );
    }
    assert_never_saw(&a, &secure, &secure_customers);

    // An L1 ticket escalated to SECURITY leaves L1's view live: hidden,
    // its customer dropped, and nothing more of it arrives.
    let moved = a.ticket_in("L1");
    let customer = a.mirror.tickets[&moved].customer_id;
    let t = a
        .cmd(Command::Transfer {
            ticket_id: moved,
            queue: Some(QueueId::new("SECURITY")),
            agent_id: None,
            note: Some("looks like fraud".into()),
            tell_customer: false,
        })
        .await;
    expect_ok(&t);
    a.until("the ticket leaves", WAIT, |m| {
        !m.tickets.contains_key(&moved)
    })
    .await;
    assert_eq!(a.received.kinds.get("ticket_hidden"), Some(&1));
    assert!(!a.mirror.customers.contains_key(&customer));
    assert!(!a.mirror.messages.contains_key(&moved));
    let (server_digest, mine) = a.settle().await;
    assert_eq!(server_digest, mine);
    // SECURITY's agent got it, with its customer and thread.
    s.until("the ticket arrives", WAIT, |m| {
        m.tickets.contains_key(&moved)
    })
    .await;
    assert!(s.mirror.customers.contains_key(&customer));
    assert!(!s.mirror.messages[&moved].is_empty());

    // A supervisor of SECURITY shares a ticket with the L1 agent: it comes
    // into view with its customer and tail; the agent may add notes but
    // not reply; withdrawn, it leaves again.
    let me = a.welcome.agent.id;
    let share = |shared| Command::Share {
        ticket_id: target,
        agent_id: me,
        shared,
    };
    expect_ok(&b.cmd(share(true)).await);
    a.until("the shared ticket", WAIT, |m| {
        m.tickets.contains_key(&target)
    })
    .await;
    let cust = a.mirror.tickets[&target].customer_id;
    assert!(a.mirror.customers.contains_key(&cust));
    assert!(
        a.mirror.messages[&target]
            .values()
            .any(|m| m.text.contains("charged twice")),
        "the tail comes with it"
    );
    expect_ok(
        &a.cmd(Command::Note {
            ticket_id: target,
            text: "the customer wrote to L1 before".into(),
        })
        .await,
    );
    let e = a
        .cmd(Command::Reply {
            ticket_id: target,
            text: "hi".into(),
        })
        .await;
    assert!(expect_error(&e, ErrorCode::Forbidden).contains("shared with you"));
    let (server_digest, mine) = a.settle().await;
    assert_eq!(server_digest, mine);
    // Only supervisors share.
    let e = s.cmd(share(false)).await;
    expect_error(&e, ErrorCode::Forbidden);
    expect_ok(&b.cmd(share(false)).await);
    a.until("the share withdrawn", WAIT, |m| {
        !m.tickets.contains_key(&target)
    })
    .await;
    assert!(!a.mirror.customers.contains_key(&cust));

    // History of a customer: only the tickets one may read.
    let mine = a.ticket_in("L1");
    let h = a
        .cmd(Command::History {
            ticket_id: mine,
            limit: 20,
        })
        .await;
    assert!(matches!(h, ServerMessage::Ok { .. }), "{h:?}");

    // The reads are in the audit log, with who and what; shares too.
    let audit = cli_ok(&db, &["audit", "--agent", "lena"]);
    assert!(audit.contains("read_history"), "{audit}");
    let shares = cli_ok(&db, &["audit", "--action", "share", "--json"]);
    let row: serde_json::Value = serde_json::from_str(shares.lines().next().unwrap()).unwrap();
    assert_eq!(row["actor"]["name"], "boss");
    assert_eq!(row["ticket_id"], target.0);
    assert!(!shares.contains("charged"), "audit records hold no content");
    expect_ok(&a.cmd(Command::Take { ticket_id: mine }).await);
    let owners = cli_ok(&db, &["audit", "--action", "assign", "--agent", "lena"]);
    assert!(
        owners.contains(&format!("to agent {me}")),
        "an owner change is audited: {owners}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_filters_what_was_missed_and_resyncs_when_the_view_changed() {
    let (_dir, db) = fresh_db(14);
    let l1 = add_agent(&db, "lena", "agent", "L1");
    let sec = add_agent(&db, "sam", "agent", "SECURITY");
    let boss = add_agent(&db, "boss", "supervisor", "L1,SECURITY");
    let (secure, secure_customers) = in_queue(&db, "SECURITY");
    let server = Server::start(&db, &[]);
    let url = server.ws_url();
    let mut s = Client::connect(&url, &sec, None).await;
    let mut b = Client::connect(&url, &boss, None).await;

    // Offline while SECURITY works: the resume replays placeholders only.
    let a = Client::connect(&url, &l1, None).await;
    let (mirror, at) = (a.mirror.clone(), a.mirror.seq);
    drop(a);
    let target = *secure.iter().min().unwrap();
    expect_ok(
        &s.cmd(Command::Note {
            ticket_id: target,
            text: "private".into(),
        })
        .await,
    );
    let mut a = Client::connect(&url, &l1, Some((mirror, at))).await;
    assert_eq!(a.welcome.sync, SyncMode::Events);
    assert_eq!(a.snapshot_parts, 0);
    let (server_digest, mine) = a.settle().await;
    assert_eq!(server_digest, mine);
    assert_never_saw(&a, &secure, &secure_customers);

    // Offline while a SECURITY ticket moves to L1: what it may read
    // changed, so the resume is a snapshot, and the ticket is in it.
    let (mirror, at) = (a.mirror.clone(), a.mirror.seq);
    drop(a);
    expect_ok(
        &b.cmd(Command::Transfer {
            ticket_id: target,
            queue: Some(QueueId::new("L1")),
            agent_id: None,
            note: None,
            tell_customer: false,
        })
        .await,
    );
    let mut a = Client::connect(&url, &l1, Some((mirror, at))).await;
    assert_eq!(a.welcome.sync, SyncMode::Snapshot);
    assert!(a.mirror.tickets.contains_key(&target));
    let (server_digest, mine) = a.settle().await;
    assert_eq!(server_digest, mine);
    s.until("the ticket left SECURITY", WAIT, |m| {
        !m.tickets.contains_key(&target)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restricting_a_queue_resyncs_clients_that_synced_before() {
    let (dir, db) = fresh_db(14);
    let lead = add_agent(&db, "lead", "supervisor", "L1");
    // First without restricted queues: the lead reads SECURITY.
    let open = dir.path().join("open.toml");
    let config = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../relay-server/src/default_config.toml"),
    )
    .unwrap()
    .replace("restricted = true\n", "");
    std::fs::write(&open, config).unwrap();
    let mut server = Server::start(&db, &[("RELAY_CONFIG", open.to_str().unwrap())]);
    let a = Client::connect(&server.ws_url(), &lead, None).await;
    assert!(
        a.mirror
            .tickets
            .values()
            .any(|t| t.queue.as_str() == "SECURITY")
    );
    let (mirror, at) = (a.mirror.clone(), a.mirror.seq);
    drop(a);
    server.terminate();
    // Restarted with the default (SECURITY restricted): no event changed,
    // yet the resume must not keep SECURITY in the mirror.
    let server = Server::start(&db, &[]);
    let mut a = Client::connect(&server.ws_url(), &lead, Some((mirror, at))).await;
    assert_eq!(a.welcome.sync, SyncMode::Snapshot);
    assert!(
        a.mirror
            .tickets
            .values()
            .all(|t| t.queue.as_str() != "SECURITY")
    );
    let (server_digest, mine) = a.settle().await;
    assert_eq!(server_digest, mine);
}
