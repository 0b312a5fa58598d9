//! Bad input gets a clear answer and changes nothing.

use e2e::*;
use relay_client::{Connection, Incoming};
use shared::*;

/// Opens a socket, sends `first` as the first frame, returns the close.
async fn refused(url: &str, first: String) -> (u16, String) {
    let mut c = Connection::open(url).await.unwrap();
    c.send_text(first).await.unwrap();
    match c.recv().await.unwrap() {
        Incoming::Closed { code, reason } => (code, reason),
        other => panic!("expected close, got {other:?}"),
    }
}

fn hello(token: &str, protocol: u32) -> String {
    serde_json::json!({"type": "hello", "protocol": protocol, "token": token, "resume_from": null})
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_handshakes_are_closed_with_a_reason() {
    let (_dir, db) = fresh_db(2);
    let token = add_agent(&db, "alice", "agent", "L1");
    let server = Server::start(&db, &[("RELAY_SYNC__HELLO_TIMEOUT_SECS", "1")]);
    let url = server.ws_url();

    assert_eq!(
        refused(&url, hello("", PROTOCOL_VERSION)).await,
        (close::UNAUTHORIZED, "missing token".into())
    );
    assert_eq!(
        refused(&url, hello("rst_nope", PROTOCOL_VERSION)).await,
        (close::UNAUTHORIZED, "invalid token".into())
    );
    let (code, reason) = refused(&url, hello(&token, 99)).await;
    assert_eq!(code, close::PROTOCOL_MISMATCH);
    assert!(
        reason.contains("99") && reason.contains(&format!("speaks {PROTOCOL_VERSION}")),
        "{reason}"
    );
    let (code, reason) = refused(&url, r#"{"type":"digest"}"#.into()).await;
    assert_eq!(
        (code, reason.as_str()),
        (close::BAD_HANDSHAKE, "first frame must be hello")
    );
    let (code, reason) = refused(&url, "hello?".into()).await;
    assert_eq!(code, close::BAD_HANDSHAKE);
    assert!(reason.starts_with("bad hello"), "{reason}");

    // Silence: closed after the hello timeout.
    let mut c = Connection::open(&url).await.unwrap();
    match c.recv().await.unwrap() {
        Incoming::Closed { code, reason } => {
            assert_eq!(code, close::HANDSHAKE_TIMEOUT);
            assert!(reason.contains("no hello"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Pings before hello are fine.
    let mut c = Connection::open(&url).await.unwrap();
    c.ping().await.unwrap();
    c.send_text(hello(&token, PROTOCOL_VERSION)).await.unwrap();
    assert!(matches!(
        c.recv().await.unwrap(),
        Incoming::Message(ServerMessage::Welcome { .. })
    ));
    // The right token still works.
    let (mut s, m) = Client::connect(&url, &token, None).await.settle().await;
    assert_eq!(s, m);
    s.clear();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_and_commands_are_refused_and_change_nothing() {
    let (_dir, db) = fresh_db(14);
    let token = add_agent(&db, "alice", "agent", "L1");
    let server = Server::start(&db, &[]);
    let mut a = Client::connect(&server.ws_url(), &token, None).await;
    let (before, _) = a.settle().await;
    let seq_before = a.mirror.seq;
    let mine = a.ticket_in("L1");
    // An L2 ticket is not in an L1 agent's view at all.
    assert!(a.mirror.tickets.values().all(|t| t.queue.as_str() == "L1"));
    let theirs = latest_ticket_in(&db, "L2");

    let e = a.raw("{not json".into(), None).await;
    assert!(expect_error(&e, ErrorCode::BadFrame).starts_with("malformed JSON"));
    let e = a.raw(r#"{"type":"teleport"}"#.into(), None).await;
    assert!(expect_error(&e, ErrorCode::UnknownType).contains("teleport"));
    let e = a.raw(r#"[1,2,3]"#.into(), None).await;
    expect_error(&e, ErrorCode::BadFrame);
    let e = a
        .raw(
            r#"{"type":"command","id":"x1","command":{"kind":"frobnicate","ticket_id":1}}"#.into(),
            Some("x1"),
        )
        .await;
    assert!(expect_error(&e, ErrorCode::UnknownType).contains("frobnicate"));
    // Strict: a kind is a name, not serde's variant index ("kind": 0 was
    // applied as a reply), and an enum value is a string, not a map.
    let e = a
        .raw(
            format!(
                r#"{{"type":"command","id":"x0","command":{{"kind":0,"ticket_id":{},"text":"hi"}}}}"#,
                mine.0
            ),
            Some("x0"),
        )
        .await;
    assert!(expect_error(&e, ErrorCode::BadFrame).contains("kind must be a string"));
    let e = a
        .raw(
            format!(
                r#"{{"type":"command","id":"xm","command":{{"kind":"set_status","ticket_id":{},"status":{{"resolved":null}}}}}}"#,
                mine.0
            ),
            Some("xm"),
        )
        .await;
    assert!(expect_error(&e, ErrorCode::BadFrame).contains("command.status is an object"));
    let e = a
        .raw(
            r#"{"type":"command","id":"x2","command":{"kind":"reply"}}"#.into(),
            Some("x2"),
        )
        .await;
    assert!(expect_error(&e, ErrorCode::BadFrame).contains("ticket_id"));
    // A lone surrogate is not valid Unicode, so not valid JSON: no id can be read.
    let e = a.raw(format!(r#"{{"type":"command","id":"x3","command":{{"kind":"note","ticket_id":{},"text":"\ud800"}}}}"#, mine.0), None).await;
    expect_error(&e, ErrorCode::BadFrame);
    let e = a.raw(hello(&token, PROTOCOL_VERSION), None).await;
    expect_error(&e, ErrorCode::BadFrame);
    a.conn.send_binary(vec![1, 2, 3]).await.unwrap();
    let key = CommandId::new("");
    while !a.answers.contains_key(&key) {
        assert!(a.pump().await);
    }
    expect_error(&a.answers.remove(&key).unwrap(), ErrorCode::BadFrame);

    let cases: Vec<(Command, ErrorCode)> = vec![
        (
            Command::Reply {
                ticket_id: theirs,
                text: "hi".into(),
            },
            ErrorCode::NotFound,
        ),
        (Command::Take { ticket_id: theirs }, ErrorCode::NotFound),
        (
            Command::Reply {
                ticket_id: TicketId(999_999),
                text: "hi".into(),
            },
            ErrorCode::NotFound,
        ),
        (
            Command::Reply {
                ticket_id: mine,
                text: "   ".into(),
            },
            ErrorCode::Invalid,
        ),
        (
            Command::Note {
                ticket_id: mine,
                text: "bell \u{7}".into(),
            },
            ErrorCode::Invalid,
        ),
        (
            Command::Reply {
                ticket_id: mine,
                text: "😀".repeat(2049),
            },
            ErrorCode::Invalid,
        ),
        (
            Command::SetTags {
                ticket_id: mine,
                add: vec!["two words".into()],
                remove: vec![],
            },
            ErrorCode::Invalid,
        ),
        (
            Command::Transfer {
                ticket_id: mine,
                queue: Some(QueueId::new("NOPE")),
                agent_id: None,
                note: None,
                tell_customer: false,
            },
            ErrorCode::NotFound,
        ),
        (
            Command::Transfer {
                ticket_id: mine,
                queue: None,
                agent_id: None,
                note: None,
                tell_customer: false,
            },
            ErrorCode::Invalid,
        ),
        (
            Command::Assign {
                ticket_id: mine,
                agent_id: Some(AgentId(4242)),
            },
            ErrorCode::NotFound,
        ),
        (
            Command::MarkRead {
                ticket_id: mine,
                up_to: MessageId(987_654),
            },
            ErrorCode::NotFound,
        ),
        (
            Command::LoadOlder {
                ticket_id: mine,
                before: None,
                limit: 0,
            },
            ErrorCode::Invalid,
        ),
    ];
    for (cmd, code) in cases {
        let answer = a.cmd(cmd.clone()).await;
        let msg = expect_error(&answer, code);
        assert!(!msg.is_empty(), "{cmd:?}");
    }
    let e = a
        .cmd_with_id(
            &"y".repeat(65),
            Command::LoadOlder {
                ticket_id: mine,
                before: None,
                limit: 5,
            },
        )
        .await;
    expect_error(&e, ErrorCode::Invalid);
    let long_id = "x".repeat(65);
    let e = a
        .cmd_with_id(&long_id, Command::Take { ticket_id: mine })
        .await;
    expect_error(&e, ErrorCode::Invalid);
    let (after, mirror) = a.settle().await;
    assert_eq!(a.mirror.seq, seq_before, "nothing was written");
    assert_eq!(before, after);
    assert_eq!(after, mirror);

    // An id reused for a different command is refused, and changes nothing.
    expect_ok(
        &a.cmd_with_id(
            "same-id",
            Command::SetPriority {
                ticket_id: mine,
                priority: Priority::High,
            },
        )
        .await,
    );
    let e = a
        .cmd_with_id(
            "same-id",
            Command::SetPriority {
                ticket_id: mine,
                priority: Priority::Low,
            },
        )
        .await;
    assert!(expect_error(&e, ErrorCode::Conflict).contains("different command"));
    a.settle().await;
    assert_eq!(
        a.mirror.tickets[&mine].priority,
        Priority::High,
        "the refused retry changed nothing"
    );

    // Odd but valid Unicode is kept exactly as typed.
    for text in ["👩‍👩‍👧‍👦 family", "مرحبا بالعالم", "零宽\u{200d}连接", "e\u{301}"]
    {
        let ok = a
            .cmd(Command::Note {
                ticket_id: mine,
                text: text.into(),
            })
            .await;
        expect_ok(&ok);
        a.settle().await;
        assert_eq!(a.mirror.messages[&mine].values().last().unwrap().text, text);
    }

    // Once worked on, a ticket cannot go back to new.
    expect_ok(
        &a.cmd(Command::Reply {
            ticket_id: mine,
            text: "on it".into(),
        })
        .await,
    );
    let e = a
        .cmd(Command::SetStatus {
            ticket_id: mine,
            status: TicketStatus::New,
        })
        .await;
    expect_error(&e, ErrorCode::Invalid);

    // A closed ticket refuses changes.
    expect_ok(
        &a.cmd(Command::SetStatus {
            ticket_id: mine,
            status: TicketStatus::Closed,
        })
        .await,
    );
    let e = a
        .cmd(Command::Note {
            ticket_id: mine,
            text: "late".into(),
        })
        .await;
    expect_error(&e, ErrorCode::Conflict);
    a.settle().await;
    assert!(
        !a.mirror.tickets.contains_key(&mine),
        "closed tickets leave the mirror"
    );
}

/// A WebSocket client that writes frames byte by byte, to break RFC 6455
/// the ways a buggy or hostile client does.
mod raw_ws {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    pub struct Raw(TcpStream);

    impl Raw {
        /// Upgrades a TCP connection to `addr`'s WebSocket path.
        pub async fn open(addr: &str) -> Raw {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let request = format!(
                "GET {} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                shared::WS_PATH
            );
            s.write_all(request.as_bytes()).await.unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.push(s.read_u8().await.unwrap());
            }
            let head = String::from_utf8(head).unwrap();
            assert!(head.starts_with("HTTP/1.1 101"), "{head}");
            Raw(s)
        }

        /// Writes one frame: the first byte as given (FIN, RSV, opcode),
        /// the payload masked or not.
        pub async fn frame(&mut self, first: u8, payload: &[u8], masked: bool) {
            let mut f = vec![first];
            let mask_bit = if masked { 0x80 } else { 0 };
            match payload.len() {
                n @ 0..=125 => f.push(mask_bit | n as u8),
                n => {
                    f.push(mask_bit | 126);
                    f.extend((n as u16).to_be_bytes());
                }
            }
            let key = [0x11, 0x22, 0x33, 0x44];
            if masked {
                f.extend(key);
                f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
            } else {
                f.extend(payload);
            }
            self.0.write_all(&f).await.unwrap();
        }

        pub async fn text(&mut self, text: &str) {
            self.frame(0x81, text.as_bytes(), true).await;
        }

        /// Reads frames until the server's close; its code and reason (or
        /// `None` when the connection ended without one).
        pub async fn close(&mut self) -> Option<(u16, String)> {
            loop {
                let first = self.0.read_u8().await.ok()?;
                let len = match self.0.read_u8().await.ok()? & 0x7f {
                    126 => self.0.read_u16().await.ok()? as usize,
                    127 => self.0.read_u64().await.ok()? as usize,
                    n => n as usize,
                };
                let mut payload = vec![0; len];
                self.0.read_exact(&mut payload).await.ok()?;
                if first & 0x0f == 0x8 {
                    let code = u16::from_be_bytes([payload[0], payload[1]]);
                    return Some((code, String::from_utf8_lossy(&payload[2..]).into_owned()));
                }
            }
        }
    }
}

/// RFC 6455 asks for 1007 on invalid UTF-8 and 1002 on a broken frame;
/// the server used to drop the TCP connection without a close frame (and
/// answer a ping over 125 bytes with 1009). Before and after `hello`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_protocol_violations_get_the_close_rfc_6455_asks_for() {
    let (_dir, db) = fresh_db(1);
    let token = add_agent(&db, "alice", "agent", "L1");
    let server = Server::start(&db, &[]);
    let hello = hello(&token, PROTOCOL_VERSION);
    type Breach = (&'static str, u8, Vec<u8>, bool, u16, &'static str);
    let breaches: Vec<Breach> = vec![
        (
            "invalid UTF-8",
            0x81,
            b"{\"type\":\"digest\"\xff}".to_vec(),
            true,
            close::INVALID_DATA,
            "UTF-8",
        ),
        (
            "reserved data opcode",
            0x83,
            b"{}".to_vec(),
            true,
            close::PROTOCOL_ERROR,
            "opcode 0x3",
        ),
        (
            "reserved control opcode",
            0x8b,
            Vec::new(),
            true,
            close::PROTOCOL_ERROR,
            "opcode 0xb",
        ),
        (
            "RSV1 without an extension",
            0xc1,
            b"{}".to_vec(),
            true,
            close::PROTOCOL_ERROR,
            "reserved bits",
        ),
        (
            "unmasked frame",
            0x81,
            b"{\"type\":\"digest\"}".to_vec(),
            false,
            close::PROTOCOL_ERROR,
            "masked",
        ),
        (
            "ping over 125 bytes",
            0x89,
            vec![b'p'; 126],
            true,
            close::PROTOCOL_ERROR,
            "125 bytes",
        ),
        (
            "fragmented ping",
            0x09,
            b"p".to_vec(),
            true,
            close::PROTOCOL_ERROR,
            "fragmented",
        ),
        (
            "stray continuation",
            0x80,
            b"x".to_vec(),
            true,
            close::PROTOCOL_ERROR,
            "continuation",
        ),
    ];
    for after_hello in [false, true] {
        for (what, first, payload, masked, code, says) in &breaches {
            let mut ws = raw_ws::Raw::open(&server.addr).await;
            if after_hello {
                ws.text(&hello).await;
            }
            ws.frame(*first, payload, *masked).await;
            let got = ws.close().await;
            let (got_code, reason) = got
                .unwrap_or_else(|| panic!("{what} (after hello: {after_hello}): no close frame"));
            assert_eq!(
                got_code, *code,
                "{what} (after hello: {after_hello}): {reason}"
            );
            assert!(reason.contains(says), "{what}: {reason}");
        }
    }
    // The server is well and nothing was written.
    let mut a = Client::connect(&server.ws_url(), &token, None).await;
    let (mine, servers) = a.settle().await;
    assert_eq!(mine, servers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_frame_closes_the_connection() {
    let (_dir, db) = fresh_db(1);
    let token = add_agent(&db, "alice", "agent", "L1");
    let server = Server::start(&db, &[]);
    let mut a = Client::connect(&server.ws_url(), &token, None).await;
    let (_, _) = a.settle().await;
    let t = a.ticket_in("L1");
    let before = a.mirror.tickets[&t].clone();
    let big = format!(
        r#"{{"type":"command","id":"big","command":{{"kind":"note","ticket_id":{},"text":"{}"}}}}"#,
        t.0,
        "a".repeat(MAX_CLIENT_FRAME_BYTES)
    );
    let _ = a.conn.send_text(big).await;
    let (code, reason) = a.closed().await;
    assert_eq!(code, close::TOO_BIG, "{reason}");
    let mut b = Client::connect(&server.ws_url(), &token, None).await;
    b.settle().await;
    // Only presence moved (alice went offline and came back).
    assert_eq!(b.mirror.tickets[&t], before, "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_an_agent_or_replacing_its_token_closes_its_connections() {
    let (_dir, db) = fresh_db(2);
    let alice = add_agent(&db, "alice", "agent", "L1");
    let bob = add_agent(&db, "bob", "agent", "L1");
    let server = Server::start(&db, &[]);
    let mut a = Client::connect(&server.ws_url(), &alice, None).await;
    let mut b = Client::connect(&server.ws_url(), &bob, None).await;

    let new = cli_ok(&db, &["agent", "token", "alice"]);
    assert!(new.starts_with("token: rst_"));
    let (code, reason) = a.closed().await;
    assert_eq!(code, close::REVOKED, "{reason}");
    assert_eq!(
        refused(&server.ws_url(), hello(&alice, PROTOCOL_VERSION))
            .await
            .0,
        close::UNAUTHORIZED
    );

    cli_ok(&db, &["agent", "remove", "bob"]);
    let (code, _) = b.closed().await;
    assert_eq!(code, close::REVOKED);
    assert_eq!(
        refused(&server.ws_url(), hello(&bob, PROTOCOL_VERSION))
            .await
            .0,
        close::UNAUTHORIZED
    );
}

#[test]
fn cli_errors_are_one_clear_line() {
    let (dir, db) = fresh_db(0);
    let config = dir.path().join("broken.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:1\"\n[sync]\nsnapshot_tail = \"many\"\n",
    )
    .unwrap();
    let out = cli(&db, &["--config", config.to_str().unwrap(), "migrate"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("broken.toml") && err.contains("snapshot_tail"),
        "{err}"
    );

    let out = cli(&db, &["agent", "add", "carol", "--queues", "L1,MARS"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("MARS") && err.contains("not configured"),
        "{err}"
    );
    let out = cli(&db, &["agent", "add", "Carol Smith"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("agent name"));
    add_agent(&db, "carol", "agent", "L1");
    let out = cli(&db, &["agent", "add", "carol"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = cli(&db, &["serve", "--listen", &addr]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already in use"), "{err}");
}
