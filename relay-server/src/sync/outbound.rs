//! Writing to a client: frames with a send deadline, and streams built on
//! the blocking pool (snapshots, replays) forwarded part by part.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::frames;
use crate::store::read::{ReadFor, Reader};
use crate::store::{Store, StoreError};

/// Why sending stopped.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("the client is gone or did not take a frame in time")]
    Gone,
    #[error("the server is shutting down")]
    Shutdown,
    #[error("{0}")]
    Store(#[from] StoreError),
}

pub struct Outbound {
    sink: SplitSink<WebSocket, Message>,
    deadline: Duration,
    shutdown: CancellationToken,
}

impl Outbound {
    pub fn new(
        sink: SplitSink<WebSocket, Message>,
        deadline: Duration,
        shutdown: CancellationToken,
    ) -> Self {
        Outbound {
            sink,
            deadline,
            shutdown,
        }
    }

    /// Sends a text frame; a client that does not take it within the
    /// deadline is treated as gone (its memory is not allowed to grow).
    pub async fn send(&mut self, frame: String) -> Result<(), SendError> {
        match tokio::time::timeout(self.deadline, self.sink.send(Message::Text(frame.into()))).await
        {
            Ok(Ok(())) => Ok(()),
            _ => Err(SendError::Gone),
        }
    }

    /// Sends a close frame (best effort, briefly).
    pub async fn close(&mut self, code: u16, reason: &str) {
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            self.sink.send(frames::close(code, reason)),
        )
        .await;
        let _ = tokio::time::timeout(Duration::from_secs(2), self.sink.close()).await;
    }

    /// Runs `produce` on a read connection; forwards every frame it makes.
    /// At most a few frames are in memory at once.
    pub async fn stream<T, F>(&mut self, store: &Store, produce: F) -> Result<T, SendError>
    where
        T: Send + 'static,
        F: FnOnce(&Reader, &mpsc::Sender<String>) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, mut rx) = mpsc::channel::<String>(4);
        let readers = store.readers().clone();
        let task = tokio::spawn(async move {
            readers
                .read_for(ReadFor::Client, move |c| produce(c, &tx))
                .await
        });
        // The producer stops (and its read transaction ends) as soon as
        // `rx` is dropped: on a send failure or at shutdown.
        loop {
            let frame = tokio::select! {
                f = rx.recv() => f,
                _ = self.shutdown.cancelled() => return Err(SendError::Shutdown),
            };
            let Some(frame) = frame else { break };
            self.send(frame).await?;
        }
        match task.await {
            Ok(r) => Ok(r?),
            Err(e) => Err(SendError::Store(StoreError::Panicked(e.to_string()))),
        }
    }
}
