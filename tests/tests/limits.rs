//! Resources a client cannot exhaust: connections before the WebSocket
//! upgrade (issue 14).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use e2e::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// One connection of the flood, from another loopback address (the flood
/// is one peer, the engineer another): it sends headers that never end and
/// waits for the server to close. What it was told, and when.
async fn half_sent_request(to: SocketAddr) -> (String, Duration) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let mut s = socket
        .connect(to)
        .await
        .unwrap_or_else(|e| panic!("connect to {to}: {e}"));
    let start = Instant::now();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: desk\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut got)).await;
    let told = match read {
        Ok(Ok(_)) => String::from_utf8_lossy(&got).into_owned(),
        Ok(Err(e)) => format!("{e} after {:?}", String::from_utf8_lossy(&got)),
        Err(_) => "still open after 20 s".into(),
    };
    (told, start.elapsed())
}

async fn healthz(addr: SocketAddr) -> Option<String> {
    let ask = async {
        let mut s = TcpStream::connect(addr).await.ok()?;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: desk\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.ok()?;
        Some(String::from_utf8_lossy(&got).into_owned())
    };
    tokio::time::timeout(Duration::from_secs(3), ask)
        .await
        .ok()
        .flatten()
}

/// 1,100 idle or half-sent requests used to take every descriptor of a
/// 1,024-descriptor process, and `/healthz` and agents timed out. Here the
/// process has 256: one address gets its share and a clear "busy" past
/// it, everyone else is served meanwhile, and a request whose headers
/// never end is closed after the header timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_half_sent_requests_leaves_room_for_health_checks_and_agents() {
    const TIMEOUT: Duration = Duration::from_secs(4);
    let (_dir, db) = fresh_db(2);
    let token = add_agent(&db, "alice", "agent", "L1");
    let server = Server::start_with_open_files(
        &db,
        256,
        &[
            ("RELAY_LIMITS__CONNECTIONS_PER_ADDRESS", "100"),
            ("RELAY_LIMITS__HEADER_TIMEOUT_SECS", "4"),
        ],
    );
    let addr: SocketAddr = server.addr.parse().unwrap();
    let flood: Vec<_> = (0..300)
        .map(|_| tokio::spawn(half_sent_request(addr)))
        .collect();
    // While the flood holds its 100, everyone else is served.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let health = healthz(addr)
        .await
        .expect("/healthz answers during the flood");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let mut agent = Client::connect(&server.ws_url(), &token, None).await;
    let (mine, servers) = agent.settle().await;
    assert_eq!(mine, servers, "the agent's mirror matches the server's");
    assert_eq!(agent.mirror.tickets.len(), 2);
    let mut busy = 0;
    let mut timed_out = 0;
    for f in flood {
        let (told, after) = f.await.unwrap();
        if told.is_empty() {
            // Admitted, then closed at the header timeout: nothing held for good.
            assert!(after >= TIMEOUT - Duration::from_millis(100), "{after:?}");
            timed_out += 1;
        } else {
            // Past its 100: told the server is busy, and closed at once.
            assert!(told.starts_with("HTTP/1.1 503"), "{told:?}");
            assert!(
                told.contains("too many connections from your address"),
                "{told:?}"
            );
            assert!(after < TIMEOUT, "{after:?}");
            busy += 1;
        }
    }
    assert_eq!((timed_out, busy), (100, 200));
    let health = healthz(addr).await.expect("/healthz after the flood");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
}
