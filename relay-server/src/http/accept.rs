//! Accepting connections, before any HTTP is read: how many may be open
//! (in all, and from one address), how long a client has to send its
//! request's headers, and a clear answer when the server is full. axum's
//! own `serve` has neither limit nor deadline: 1,100 idle sockets used up
//! a 1,024-descriptor process and `/healthz` went dark.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::serve::Listener;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The bounds on connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once, in all (WebSockets included).
    pub total: usize,
    /// Connections open at once from one IP address.
    pub per_address: usize,
    /// Time a client has to send a request's headers; an idle keep-alive
    /// connection has as long to start its next request.
    pub header_timeout: Duration,
}

/// Descriptors the process keeps for itself (the database and its WAL,
/// the read pool, Telegram, files, logs, refusals being answered) below
/// its open-files limit.
pub const RESERVED_DESCRIPTORS: usize = 64 + ANSWERING;

impl Limits {
    /// `total` lowered to what the process's open-files limit allows,
    /// keeping `RESERVED_DESCRIPTORS`: a full server answers "busy"
    /// instead of failing to open its own database.
    pub fn within(self, open_files: Option<usize>) -> Limits {
        let room = open_files.map_or(usize::MAX, |n| n.saturating_sub(RESERVED_DESCRIPTORS));
        Limits {
            total: self.total.min(room).max(1),
            ..self
        }
    }
}

/// The soft limit on open files (`ulimit -n`), from /proc on Linux.
pub fn open_files_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_files(&text)
}

fn parse_open_files(limits: &str) -> Option<usize> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line["Max open files".len()..].split_whitespace().next()?;
    soft.parse().ok()
}

/// Why a connection was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Full,
    AddressFull,
}

impl Refusal {
    fn reason(self) -> &'static str {
        match self {
            Refusal::Full => "the server has as many connections as it takes",
            Refusal::AddressFull => "too many connections from your address",
        }
    }
}

/// Counts open connections; a `Pass` is one of them.
pub struct Gate {
    limits: Limits,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// An admitted connection: counted until dropped.
pub struct Pass {
    gate: Arc<Gate>,
    address: IpAddr,
}

impl Gate {
    pub fn new(limits: Limits) -> Arc<Gate> {
        Arc::new(Gate {
            limits,
            open: Mutex::new(Open::default()),
        })
    }

    /// Counts a connection from `address` in, or says why not.
    pub fn admit(self: &Arc<Self>, address: IpAddr) -> Result<Pass, Refusal> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.total >= self.limits.total {
            return Err(Refusal::Full);
        }
        let mine = open.by_address.entry(address).or_default();
        if *mine >= self.limits.per_address {
            return Err(Refusal::AddressFull);
        }
        *mine += 1;
        open.total += 1;
        Ok(Pass {
            gate: self.clone(),
            address,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).total
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let mut open = self.gate.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total -= 1;
        if let Some(n) = open.by_address.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                open.by_address.remove(&self.address);
            }
        }
    }
}

/// Refusals being answered at once, at most: a flood must not hold many
/// descriptors with its own answers. When all are busy the accept loop
/// waits up to `ANSWER_WAIT` for one, then closes the connection unanswered.
const ANSWERING: usize = 32;
const ANSWER_WAIT: Duration = Duration::from_millis(100);
/// Time to write a refusal and read what the client had sent: closing a
/// socket with unread data resets it, and the client would lose the answer.
const ANSWER_TIMEOUT: Duration = Duration::from_millis(250);

/// The answer to a connection over a limit: plain HTTP, whatever the
/// client meant to ask.
fn refusal_bytes(why: Refusal) -> Vec<u8> {
    let body = format!(
        r#"{{"error":"busy","reason":"{}","retry_after_secs":5}}"#,
        why.reason()
    );
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 5\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `router` on `listener` within `limits` until `shutdown`; then
/// stops accepting and waits for requests in progress (WebSockets have
/// left hyper by then and are closed by their own sessions).
pub async fn serve<L>(mut listener: L, router: Router, limits: Limits, shutdown: CancellationToken)
where
    L: Listener<Addr = SocketAddr>,
{
    let gate = Gate::new(limits);
    let answering = Arc::new(tokio::sync::Semaphore::new(ANSWERING));
    let connections = TaskTracker::new();
    tracing::info!(
        total = limits.total,
        per_address = limits.per_address,
        header_timeout = ?limits.header_timeout,
        "accepting connections"
    );
    loop {
        let (io, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match gate.admit(peer.ip()) {
            Ok(pass) => {
                let router = router.clone();
                let shutdown = shutdown.clone();
                connections.spawn(async move {
                    serve_one(io, router, limits.header_timeout, shutdown).await;
                    drop(pass);
                });
            }
            Err(why) => {
                tracing::warn!(%peer, open = gate.open(), "connection refused: {}", why.reason());
                let slot = tokio::time::timeout(ANSWER_WAIT, answering.clone().acquire_owned());
                if let Ok(Ok(permit)) = slot.await {
                    tokio::spawn(async move {
                        refuse(io, why).await;
                        drop(permit);
                    });
                }
            }
        }
    }
    connections.close();
    connections.wait().await;
}

async fn refuse<Io: AsyncRead + AsyncWrite + Unpin>(mut io: Io, why: Refusal) {
    let answer = async {
        io.write_all(&refusal_bytes(why)).await?;
        io.shutdown().await?;
        // Until the client closes (it has its answer), bounded.
        let mut sink = [0u8; 4096];
        while io.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    };
    let _ = tokio::time::timeout(ANSWER_TIMEOUT, answer).await;
}

/// One connection: HTTP/1.1 with a deadline on headers, upgrades to
/// WebSocket allowed, finished gracefully at shutdown.
async fn serve_one<Io>(
    io: Io,
    router: Router,
    header_timeout: Duration,
    shutdown: CancellationToken,
) where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = TowerToHyperService::new(router);
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    let done = tokio::select! {
        done = conn.as_mut() => done,
        _ = shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = done {
        tracing::debug!("connection ended: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_address: usize) -> Limits {
        Limits {
            total,
            per_address,
            header_timeout: Duration::from_secs(10),
        }
    }

    #[test]
    fn a_gate_counts_in_all_and_per_address_and_lets_go_on_drop() {
        let gate = Gate::new(limits(3, 2));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let a1 = gate.admit(a).unwrap();
        let _a2 = gate.admit(a).unwrap();
        assert_eq!(gate.admit(a).err(), Some(Refusal::AddressFull));
        let _b1 = gate.admit(b).unwrap();
        assert_eq!(gate.admit(b).err(), Some(Refusal::Full));
        drop(a1);
        assert_eq!(gate.open(), 2);
        let _b2 = gate.admit(b).unwrap();
        assert_eq!(gate.admit(a).err(), Some(Refusal::Full));
    }

    #[test]
    fn the_total_stays_under_the_open_files_limit() {
        assert_eq!(limits(4096, 64).within(Some(1024)).total, 928);
        assert_eq!(limits(100, 64).within(Some(1024)).total, 100);
        assert_eq!(limits(100, 64).within(None).total, 100);
        // A tiny limit still lets one in.
        assert_eq!(limits(100, 64).within(Some(10)).total, 1);
    }

    #[test]
    fn the_open_files_limit_is_read_from_proc() {
        let text = "Limit                     Soft Limit           Hard Limit           Units\n\
                    Max cpu time              unlimited            unlimited            seconds\n\
                    Max open files            1024                 524288               files\n";
        assert_eq!(parse_open_files(text), Some(1024));
        assert_eq!(
            parse_open_files("Max open files  unlimited unlimited files"),
            None
        );
        if cfg!(target_os = "linux") {
            assert!(open_files_limit().is_some());
        }
    }

    #[test]
    fn a_refusal_is_a_complete_http_answer() {
        let bytes = refusal_bytes(Refusal::AddressFull);
        let text = String::from_utf8(bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"], "busy");
    }
}
