//! One agent connection, from hello to close.
//!
//! After `welcome`, the client is brought up to date (missed events from the
//! log, or a snapshot), then follows the live stream. A client that falls
//! behind the in-memory fanout catches up from the log, or gets a fresh
//! snapshot when too far behind; one that keeps falling behind, or does not
//! take frames in time, is closed with a reason.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::WebSocket;
use futures_util::StreamExt;
use shared::*;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::frames;
use super::handshake::{Greeted, greet};
use super::inbound::{self, ToClient};
use super::outbound::{Outbound, SendError};
use crate::App;
use crate::store::read::{self, ReadFor, SnapshotSpec};
use crate::store::{StoreError, StreamEvent, rows};

/// Most live events put in one frame.
const LIVE_BATCH: usize = 512;
/// Events per replay frame.
const REPLAY_CHUNK: usize = 1000;
/// A frame stops growing once it holds this many bytes.
pub const FRAME_BUDGET: usize = 1 << 20;
/// Catch-up snapshots allowed in `SLOW_WINDOW` before a client is called
/// too slow. (Catching up from the log is cheap and never counts.)
const MAX_SNAPSHOTS: usize = 3;
const SLOW_WINDOW: Duration = Duration::from_secs(60);

/// Serves one WebSocket connection to the end.
pub async fn serve(app: Arc<App>, socket: WebSocket) {
    let (sink, mut stream) = socket.split();
    let mut out = Outbound::new(
        sink,
        Duration::from_secs(app.sync.send_timeout_secs),
        app.shutdown.clone(),
    );
    let hello = Duration::from_secs(app.sync.hello_timeout_secs);
    let greeted = tokio::select! {
        g = greet(&app.store, &mut stream, hello) => g,
        _ = app.shutdown.cancelled() => Err(Some((close::GOING_AWAY, "server shutting down".to_owned()))),
    };
    let greeted = match greeted {
        Ok(g) => g,
        Err(refusal) => {
            if let Some((code, reason)) = refusal {
                tracing::info!("connection refused: {reason}");
                out.close(code, &reason).await;
            }
            return;
        }
    };
    tracing::info!(agent = %greeted.agent.name, client = ?greeted.client, resume_from = ?greeted.resume_from, monitor = greeted.monitor, "agent connected");
    let agent_id = greeted.agent.id;
    // A monitor looks on: the agent's presence is its workstations'.
    let monitor = greeted.monitor;
    if !monitor {
        app.connections.opened(&app.store, agent_id).await;
    }
    let (to_client, from_reader) = mpsc::channel(64);
    let token: Arc<str> = greeted.token_hash.clone().into();
    let reader = tokio::spawn(inbound::run(app.clone(), token, monitor, stream, to_client));
    let mut session = Session {
        app: app.clone(),
        greeted,
        out,
        snapshots: Vec::new(),
    };
    let ended = session.run(from_reader).await;
    // Stop reading commands before anything else: a revoked or closing
    // session must not get more writes in.
    reader.abort();
    let (code, reason) = match ended {
        Ok(end) => end,
        Err(SendError::Gone) => (0, "client gone".into()),
        Err(SendError::Shutdown) => (close::GOING_AWAY, "server shutting down".into()),
        Err(SendError::Store(e @ StoreError::Busy)) => {
            tracing::warn!(agent = %session.greeted.agent.name, "session ended: {e}");
            (close::TRY_AGAIN_LATER, e.to_string())
        }
        Err(SendError::Store(e)) => {
            tracing::error!("session failed: {e}");
            (close::INTERNAL, "internal error".into())
        }
    };
    if code != 0 {
        session.out.close(code, &reason).await;
    }
    if !monitor {
        app.connections.closed(&app.store, agent_id).await;
    }
    tracing::info!(agent = %session.greeted.agent.name, code, %reason, "agent disconnected");
}

struct Session {
    app: Arc<App>,
    greeted: Greeted,
    out: Outbound,
    /// When this session needed a catch-up snapshot, within `SLOW_WINDOW`.
    snapshots: Vec<Instant>,
}

impl Session {
    /// Returns the close code and reason to end with (code 0: just drop).
    async fn run(
        &mut self,
        mut from_reader: mpsc::Receiver<ToClient>,
    ) -> Result<(u16, String), SendError> {
        let mut live = self.app.store.subscribe();
        // The agent as it is now: connecting may have just made it online.
        if !self.still_authorized().await? {
            return Ok((close::REVOKED, "token revoked or agent removed".into()));
        }
        let head = self.app.store.head();
        let resume = self
            .greeted
            .resume_from
            // Seq 0 means "never synced": some state (queues, built-in
            // macros) only comes with a snapshot.
            .filter(|r| r.0 >= 1 && *r <= head && head.0 - r.0 <= self.app.sync.resume_limit);
        let welcome = ServerMessage::Welcome {
            protocol: PROTOCOL_VERSION,
            server_version: env!("CARGO_PKG_VERSION").to_owned(),
            agent: self.greeted.agent.clone(),
            sync: if resume.is_some() {
                SyncMode::Events
            } else {
                SyncMode::Snapshot
            },
            snapshot_tail: self.app.sync.snapshot_tail,
            time_zone: Some(self.app.desk.bot.default_zone_name.clone()),
            telegram: self.app.telegram,
        };
        self.out.send(frames::encode(&welcome)).await?;
        let mut cursor = match resume {
            Some(from) => {
                self.replay(from, head).await?;
                head
            }
            None => self.snapshot().await?,
        };
        // The token may have been replaced while the first sync was read.
        if !self.still_authorized().await? {
            return Ok((close::REVOKED, "token revoked or agent removed".into()));
        }
        loop {
            tokio::select! {
                biased;
                _ = self.app.shutdown.cancelled() => return Ok((close::GOING_AWAY, "server shutting down".into())),
                msg = from_reader.recv() => match msg {
                    Some(ToClient::Frame(f)) => self.out.send(f).await?,
                    Some(ToClient::Close(code, reason)) => return Ok((code, reason)),
                    None => return Ok((0, "client closed".into())),
                },
                ev = live.recv() => match ev {
                    Ok(first) => {
                        let mut bytes = first.json.len();
                        let mut batch = vec![first];
                        while batch.len() < LIVE_BATCH && bytes < FRAME_BUDGET {
                            match live.try_recv() {
                                Ok(e) => {
                                    bytes += e.json.len();
                                    batch.push(e);
                                }
                                Err(_) => break,
                            }
                        }
                        if let Some(end) = self.forward(&mut cursor, &batch).await? {
                            return Ok(end);
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        if let Some(end) = self.lagged(&mut cursor, missed).await? {
                            return Ok(end);
                        }
                    }
                    Err(RecvError::Closed) => return Ok((close::GOING_AWAY, "server shutting down".into())),
                },
            }
        }
    }

    /// Sends live events past the cursor, filling any gap from the log.
    async fn forward(
        &mut self,
        cursor: &mut Seq,
        batch: &[Arc<StreamEvent>],
    ) -> Result<Option<(u16, String)>, SendError> {
        let fresh: Vec<&Arc<StreamEvent>> = batch.iter().filter(|e| e.seq > *cursor).collect();
        let Some(first) = fresh.first() else {
            return Ok(None);
        };
        // A hole (events not published live) is filled from the log; what
        // it held is not inspected, so credentials are rechecked after it.
        let filled = first.seq.0 > cursor.0 + 1;
        if filled {
            self.replay(*cursor, Seq(first.seq.0 - 1)).await?;
        }
        self.out
            .send(frames::events(fresh.iter().map(|e| &*e.json)))
            .await?;
        *cursor = fresh.last().map_or(*cursor, |e| e.seq);
        let me = self.greeted.agent.id;
        if (filled || fresh.iter().any(|e| e.agent == Some(me))) && !self.still_authorized().await?
        {
            return Ok(Some((
                close::REVOKED,
                "token revoked or agent removed".into(),
            )));
        }
        Ok(None)
    }

    /// The client fell behind the fanout: catch up from the log or with a
    /// snapshot, or close it when it keeps falling behind.
    async fn lagged(
        &mut self,
        cursor: &mut Seq,
        missed: u64,
    ) -> Result<Option<(u16, String)>, SendError> {
        let head = self.app.store.head();
        let behind = head.0.saturating_sub(cursor.0);
        tracing::info!(agent = %self.greeted.agent.name, missed, behind, "client lagged behind the live stream; catching up");
        if behind <= self.app.sync.resume_limit {
            self.replay(*cursor, head).await?;
            *cursor = head;
        } else {
            let now = Instant::now();
            self.snapshots
                .retain(|t| now.duration_since(*t) < SLOW_WINDOW);
            self.snapshots.push(now);
            if self.snapshots.len() > MAX_SNAPSHOTS {
                return Ok(Some((
                    close::TOO_SLOW,
                    "client cannot keep up with the event stream; reconnect with resume_from"
                        .into(),
                )));
            }
            *cursor = self.snapshot().await?;
        }
        if !self.still_authorized().await? {
            return Ok(Some((
                close::REVOKED,
                "token revoked or agent removed".into(),
            )));
        }
        Ok(None)
    }

    async fn replay(&mut self, after: Seq, upto: Seq) -> Result<(), SendError> {
        if upto <= after {
            return Ok(());
        }
        self.out
            .stream(&self.app.store, move |c, tx| {
                read::stream_events(c, after, upto, REPLAY_CHUNK, FRAME_BUDGET, tx)
            })
            .await
    }

    async fn snapshot(&mut self) -> Result<Seq, SendError> {
        let spec = SnapshotSpec {
            agent: self.greeted.agent.id,
            queues: self.app.desk.queues.all().to_vec(),
            tail: self.app.sync.snapshot_tail,
            chunk: self.app.sync.snapshot_chunk,
            budget: FRAME_BUDGET,
        };
        self.out
            .stream(&self.app.store, move |c, tx| {
                read::stream_snapshot(c, spec, tx)
            })
            .await
    }

    async fn still_authorized(&mut self) -> Result<bool, SendError> {
        let hash = self.greeted.token_hash.clone();
        let me = self.greeted.agent.id;
        let agent = self
            .app
            .store
            .readers()
            .read_for(ReadFor::Token, move |c| rows::agent_by_token_hash(c, &hash))
            .await?;
        Ok(match agent {
            Some(a) if a.id == me => {
                self.greeted.agent = a;
                true
            }
            _ => false,
        })
    }
}
