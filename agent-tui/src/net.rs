//! The network worker: all WebSocket I/O in one task. It connects,
//! resumes from the last seq the app applied, forwards every server frame,
//! sends what the app asks, and reconnects with backoff when the link
//! drops. The UI loop never waits on it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use std::path::PathBuf;

use relay_client::{Connection, Files, Incoming, Welcome};
use shared::TicketId;
use shared::{ClientMessage, Seq, ServerMessage, close};
use tokio::sync::mpsc;

/// What the worker tells the app.
#[derive(Debug, Clone)]
pub enum NetEvent {
    /// Trying to connect (attempt 1, 2, ...).
    Connecting {
        attempt: u32,
    },
    Connected(Welcome),
    Frame(ServerMessage),
    /// The link dropped; the next attempt is in `retry_in`.
    Disconnected {
        reason: String,
        retry_in: Duration,
    },
    /// The server refused us for good (bad token, revoked, wrong protocol).
    Refused {
        reason: String,
    },
    /// An attachment was saved.
    Saved {
        file_id: String,
        path: PathBuf,
    },
    /// A file was uploaded, to be sent with `attach`.
    Uploaded {
        ticket: TicketId,
        path: PathBuf,
        upload: shared::Uploaded,
    },
    /// A download or upload failed (`what`: the file), with the reason.
    FileFailed {
        what: String,
        reason: String,
    },
}

/// What the app tells the worker.
#[derive(Debug, Clone)]
pub enum NetCmd {
    Send(ClientMessage),
    /// Reconnect now, resuming from the shared seq (after a gap).
    Resync,
    File(FileOp),
}

/// A file to fetch or send over HTTP beside the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOp {
    Download { file_id: String, dir: PathBuf },
    Upload { ticket: TicketId, path: PathBuf },
}

/// Runs a file operation in its own task (the socket goes on meanwhile).
fn file_op(files: &Files, op: FileOp, events: &mpsc::UnboundedSender<NetEvent>) {
    let (files, events) = (files.clone(), events.clone());
    tokio::spawn(async move {
        let ev = match op {
            FileOp::Download { file_id, dir } => match files.download(&file_id, &dir).await {
                Ok(path) => NetEvent::Saved { file_id, path },
                Err(e) => NetEvent::FileFailed {
                    what: "the file".into(),
                    reason: e.to_string(),
                },
            },
            FileOp::Upload { ticket, path } => match files.upload(&path).await {
                Ok(upload) => NetEvent::Uploaded {
                    ticket,
                    path,
                    upload,
                },
                Err(e) => NetEvent::FileFailed {
                    what: path.display().to_string(),
                    reason: e.to_string(),
                },
            },
        };
        let _ = events.send(ev);
    });
}

/// The seq the app last applied, shared with the worker so that every
/// reconnect resumes from it (0: ask for a snapshot).
#[derive(Debug, Clone, Default)]
pub struct SharedSeq(Arc<AtomicU64>);

impl SharedSeq {
    pub fn set(&self, seq: Seq) {
        self.0.store(seq.0, Ordering::Release);
    }
    pub fn get(&self) -> Option<Seq> {
        match self.0.load(Ordering::Acquire) {
            0 => None,
            n => Some(Seq(n)),
        }
    }
}

/// Backoff between attempts: 0.5 s doubling to 30 s, with up to 25 % jitter.
pub fn backoff(attempt: u32, jitter_seed: u64) -> Duration {
    let base = 500u64
        .saturating_mul(1 << attempt.min(7).saturating_sub(1))
        .min(30_000);
    let jitter = jitter_seed % (base / 4 + 1);
    Duration::from_millis(base + jitter)
}

/// Starts the worker; it stops when the app drops its command sender.
pub fn spawn(
    url: String,
    token: String,
    tls: relay_client::ClientTls,
    seq: SharedSeq,
) -> (
    mpsc::UnboundedSender<NetCmd>,
    mpsc::UnboundedReceiver<NetEvent>,
) {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    tokio::spawn(run(url, token, tls, seq, cmd_rx, ev_tx));
    (cmd_tx, ev_rx)
}

async fn run(
    url: String,
    token: String,
    tls: relay_client::ClientTls,
    seq: SharedSeq,
    mut cmds: mpsc::UnboundedReceiver<NetCmd>,
    events: mpsc::UnboundedSender<NetEvent>,
) {
    let files = match Files::new(&url, &token, tls.clone()) {
        Ok(f) => f,
        Err(e) => {
            let _ = events.send(NetEvent::Refused {
                reason: e.to_string(),
            });
            return wait_for_exit(&mut cmds).await;
        }
    };
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        if events.send(NetEvent::Connecting { attempt }).is_err() {
            return;
        }
        let reason = match Connection::connect_with(&url, &token, seq.get(), &tls).await {
            Ok((mut conn, welcome)) => {
                attempt = 0;
                tracing::info!(agent = %welcome.agent.name, sync = ?welcome.sync, "connected");
                if events.send(NetEvent::Connected(welcome)).is_err() {
                    return;
                }
                match session(&mut conn, &mut cmds, &events, &files).await {
                    Ended::AppGone => {
                        conn.close().await;
                        return;
                    }
                    Ended::Resync => {
                        conn.close().await;
                        "resyncing after a gap in the event stream".to_owned()
                    }
                    Ended::Closed { code, reason } if refused(code) => {
                        let _ = events.send(NetEvent::Refused {
                            reason: refusal(code, &reason),
                        });
                        return wait_for_exit(&mut cmds).await;
                    }
                    Ended::Closed { code, reason } => {
                        format!("closed by the server ({code}): {reason}")
                    }
                    Ended::Failed(e) => e,
                }
            }
            Err(relay_client::ClientError::Closed { code, reason }) if refused(code) => {
                let _ = events.send(NetEvent::Refused {
                    reason: refusal(code, &reason),
                });
                return wait_for_exit(&mut cmds).await;
            }
            Err(e) if e.is_permanent() => {
                let _ = events.send(NetEvent::Refused {
                    reason: e.explain(&url),
                });
                return wait_for_exit(&mut cmds).await;
            }
            Err(e) => e.explain(&url),
        };
        let retry_in = backoff(attempt.max(1), jitter());
        tracing::warn!(%reason, ?retry_in, "disconnected");
        if events
            .send(NetEvent::Disconnected { reason, retry_in })
            .is_err()
        {
            return;
        }
        // Wait, but leave at once when the app goes, and reconnect early on
        // request. Sends while offline are the app's to keep and resend.
        let sleep = tokio::time::sleep(retry_in);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => break,
                cmd = cmds.recv() => match cmd {
                    None => return,
                    Some(NetCmd::Resync) => break,
                    Some(NetCmd::Send(_)) => {}
                    Some(NetCmd::File(op)) => file_op(&files, op, &events),
                },
            }
        }
    }
}

fn refused(code: u16) -> bool {
    matches!(
        code,
        close::UNAUTHORIZED | close::REVOKED | close::PROTOCOL_MISMATCH | close::BAD_HANDSHAKE
    )
}

/// A refusal in words a person can act on.
fn refusal(code: u16, reason: &str) -> String {
    let hint = match code {
        close::UNAUTHORIZED => "check --token (relay-server agent token NAME prints a new one)",
        close::REVOKED => "this token was replaced or its agent removed",
        close::PROTOCOL_MISMATCH => "agent-tui and relay-server are different versions",
        _ => "",
    };
    match hint {
        "" => format!("the server refused: {reason} ({code})"),
        hint => format!("the server refused: {reason} ({code}); {hint}"),
    }
}

fn jitter() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()))
}

async fn wait_for_exit(cmds: &mut mpsc::UnboundedReceiver<NetCmd>) {
    while cmds.recv().await.is_some() {}
}

enum Ended {
    AppGone,
    Resync,
    Closed { code: u16, reason: String },
    Failed(String),
}

async fn session(
    conn: &mut Connection,
    cmds: &mut mpsc::UnboundedReceiver<NetCmd>,
    events: &mpsc::UnboundedSender<NetEvent>,
    files: &Files,
) -> Ended {
    // Keep the link honest on quiet nights: a ping every 20 s.
    let mut ping = tokio::time::interval(Duration::from_secs(20));
    ping.tick().await;
    loop {
        tokio::select! {
            incoming = conn.recv() => match incoming {
                Ok(Incoming::Message(m)) => {
                    if events.send(NetEvent::Frame(m)).is_err() {
                        return Ended::AppGone;
                    }
                }
                Ok(Incoming::Closed { code, reason }) => return Ended::Closed { code, reason },
                Err(e) => return Ended::Failed(e.to_string()),
            },
            cmd = cmds.recv() => match cmd {
                None => return Ended::AppGone,
                Some(NetCmd::Resync) => return Ended::Resync,
                Some(NetCmd::File(op)) => file_op(files, op, events),
                Some(NetCmd::Send(m)) => {
                    if let Err(e) = conn.send(&m).await {
                        return Ended::Failed(e.to_string());
                    }
                }
            },
            _ = ping.tick() => {
                if let Err(e) = conn.ping().await {
                    return Ended::Failed(e.to_string());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_a_cap() {
        assert_eq!(backoff(1, 0), Duration::from_millis(500));
        assert_eq!(backoff(2, 0), Duration::from_millis(1000));
        assert_eq!(backoff(40, 0), Duration::from_millis(30_000));
        assert!(backoff(40, u64::MAX) <= Duration::from_millis(37_500));
    }
}
