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
use crate::domain::access::View;
use crate::metrics::{Held, METRICS};
use crate::store::read::ReadFor;
use crate::store::view::{self, Seen, SnapshotSpec, SyncSpec, Viewer};
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
    let _counted = Held::new(&METRICS.ws_clients);
    let agent_id = greeted.agent.id;
    // A monitor looks on: the agent's presence is its workstations'.
    let monitor = greeted.monitor;
    if !monitor {
        app.connections.opened(&app.store, agent_id).await;
    }
    let (to_client, from_reader) = mpsc::channel(64);
    let token: Arc<str> = greeted.token_hash.clone().into();
    let reader = tokio::spawn(inbound::run(app.clone(), token, monitor, stream, to_client));
    let view = View::new(greeted.agent.clone(), app.desk.access().clone());
    let mut session = Session {
        app: app.clone(),
        greeted,
        out,
        snapshots: Vec::new(),
        view: Some(view),
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
    /// What the client holds and may read; taken while a read uses it.
    view: Option<View>,
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
        let welcome = {
            let agent = self.greeted.agent.clone();
            let snapshot_tail = self.app.sync.snapshot_tail;
            let time_zone = Some(self.app.desk.bot.default_zone_name.clone());
            let telegram = self.app.telegram;
            move |sync| {
                frames::encode(&ServerMessage::Welcome {
                    protocol: PROTOCOL_VERSION,
                    server_version: env!("CARGO_PKG_VERSION").to_owned(),
                    agent,
                    sync,
                    snapshot_tail,
                    time_zone,
                    telegram,
                })
            }
        };
        let spec = SyncSpec {
            resume_from: self.greeted.resume_from,
            resume_limit: self.app.sync.resume_limit,
            snapshot: self.snapshot_spec(),
            replay_chunk: REPLAY_CHUNK,
        };
        let mut cursor = self
            .with_view(move |c, v, tx| view::sync(c, spec, v, welcome, tx))
            .await?;
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

    /// Sends live events past the cursor (as this agent may read them),
    /// filling any gap from the log.
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
        if filled && !self.replay(*cursor, Seq(first.seq.0 - 1)).await? {
            *cursor = self.snapshot().await?;
            return self.recheck().await;
        }
        let mut frame: Vec<std::borrow::Cow<'_, str>> = Vec::with_capacity(fresh.len());
        let mut resync = false;
        for e in &fresh {
            let json = match self.render(e).await? {
                Some(json) => json,
                None => {
                    resync = true;
                    break;
                }
            };
            frame.push(json);
            *cursor = e.seq;
        }
        if !frame.is_empty() {
            self.out
                .send(frames::events(frame.iter().map(|j| &**j)))
                .await?;
            METRICS
                .ws_lag_seconds
                .observe(self.app.store.now().since(first.at));
        }
        if resync {
            // What the agent may read changed as a whole (its role or
            // queues): a snapshot replaces what the client holds.
            *cursor = self.snapshot().await?;
            return self.recheck().await;
        }
        let me = self.greeted.agent.id;
        if filled || fresh.iter().any(|e| e.agent == Some(me)) {
            return self.recheck().await;
        }
        Ok(None)
    }

    /// One live event as this client may be sent it; `None` when it needs a
    /// fresh snapshot instead.
    async fn render<'e>(
        &mut self,
        e: &'e StreamEvent,
    ) -> Result<Option<std::borrow::Cow<'e, str>>, SendError> {
        use std::borrow::Cow;
        let Some(event) = &e.event else {
            return Ok(Some(Cow::Owned(view::withheld(e.seq, e.at))));
        };
        let again = |event: Event| {
            Cow::Owned(
                serde_json::to_string(&EventEnvelope {
                    seq: e.seq,
                    at: e.at,
                    event,
                })
                .expect("events always encode"),
            )
        };
        let v = self
            .view
            .as_mut()
            .expect("the view is back after every read");
        Ok(Some(match v.see(event) {
            Seen::Pass => Cow::Borrowed(&*e.json),
            Seen::Withhold => Cow::Owned(view::withheld(e.seq, e.at)),
            Seen::Hide(ticket_id) => again(Event::TicketHidden { ticket_id }),
            Seen::Rewrite(event) => again(*event),
            Seen::Resync => return Ok(None),
            Seen::Show(ticket) => {
                v.hold(&ticket);
                let agent = v.agent_id();
                let tail = self.app.sync.snapshot_tail;
                let shown = self
                    .app
                    .store
                    .readers()
                    .read_for(ReadFor::Client, move |c| {
                        view::shown(c, *ticket, agent, tail)
                    })
                    .await?;
                again(shown)
            }
        }))
    }

    async fn recheck(&mut self) -> Result<Option<(u16, String)>, SendError> {
        if self.still_authorized().await? {
            Ok(None)
        } else {
            Ok(Some((
                close::REVOKED,
                "token revoked or agent removed".into(),
            )))
        }
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
        METRICS.ws_lagged.inc();
        tracing::info!(agent = %self.greeted.agent.name, missed, behind, "client lagged behind the live stream; catching up");
        if behind <= self.app.sync.resume_limit && self.replay(*cursor, head).await? {
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

    /// Runs `read` with this session's view on a client read connection,
    /// forwarding the frames it makes.
    async fn with_view<T, F>(&mut self, read: F) -> Result<T, SendError>
    where
        T: Send + 'static,
        F: FnOnce(
                &crate::store::read::Reader,
                &mut View,
                &mpsc::Sender<String>,
            ) -> Result<T, StoreError>
            + Send
            + 'static,
    {
        let mut v = self.view.take().expect("the view is back after every read");
        let (got, v) = match self
            .out
            .stream(&self.app.store, move |c, tx| {
                let got = read(c, &mut v, tx);
                Ok((got, v))
            })
            .await
        {
            Ok(done) => done,
            Err(e) => {
                // The view went with the failed read: what the client holds
                // is unknown, so only a snapshot can follow.
                self.view = Some(View::new(
                    self.greeted.agent.clone(),
                    self.app.desk.access().clone(),
                ));
                return Err(e);
            }
        };
        self.view = Some(v);
        Ok(got?)
    }

    /// Sends the events in (`after`, `upto`]; false when one of them needs
    /// a fresh snapshot instead (the ones before it were sent).
    async fn replay(&mut self, after: Seq, upto: Seq) -> Result<bool, SendError> {
        if upto <= after {
            return Ok(true);
        }
        let tail = self.app.sync.snapshot_tail;
        self.with_view(move |c, v, tx| {
            view::replay(c, after, upto, v, tail, REPLAY_CHUNK, FRAME_BUDGET, tx)
        })
        .await
    }

    fn snapshot_spec(&self) -> SnapshotSpec {
        SnapshotSpec {
            queues: self.app.desk.queues.all().to_vec(),
            tail: self.app.sync.snapshot_tail,
            chunk: self.app.sync.snapshot_chunk,
            budget: FRAME_BUDGET,
            now: self.app.store.now(),
        }
    }

    async fn snapshot(&mut self) -> Result<Seq, SendError> {
        let spec = self.snapshot_spec();
        self.with_view(move |c, v, tx| view::stream_snapshot(c, spec, v, tx))
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
