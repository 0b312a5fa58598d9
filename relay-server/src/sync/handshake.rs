//! The first frame: `hello`, with protocol version and token.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use shared::{Agent, ClientMessage, PROTOCOL_VERSION, Seq, close};

use crate::domain::agents::token_hash;
use crate::store::read::ReadFor;
use crate::store::{Store, StoreError, rows};

/// A client that said a good hello.
pub struct Greeted {
    pub agent: Agent,
    pub token_hash: String,
    pub resume_from: Option<Seq>,
    pub client: Option<String>,
}

/// Why the connection is closed before it starts: (close code, reason).
pub type Refusal = (u16, String);

/// Whether a receive error is the frame-size limit.
pub fn is_too_big(e: &axum::Error) -> bool {
    let text = e.to_string();
    text.contains("too long") || text.contains("Space limit") || text.contains("too big")
}

pub async fn greet(
    store: &Store,
    stream: &mut SplitStream<WebSocket>,
    timeout: Duration,
) -> Result<Greeted, Option<Refusal>> {
    let deadline = tokio::time::Instant::now() + timeout;
    let frame = loop {
        let next = match tokio::time::timeout_at(deadline, stream.next()).await {
            // Pings and pongs may come first; axum answers pings itself.
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            other => other,
        };
        break match next {
            Err(_) => {
                return Err(Some((
                    close::HANDSHAKE_TIMEOUT,
                    format!("no hello within {} s", timeout.as_secs()),
                )));
            }
            Ok(None) => return Err(None),
            Ok(Some(Err(e))) if is_too_big(&e) => {
                return Err(Some((
                    close::TOO_BIG,
                    super::inbound::TOO_BIG_REASON.into(),
                )));
            }
            Ok(Some(Err(_))) => return Err(None),
            Ok(Some(Ok(Message::Text(t)))) => t,
            Ok(Some(Ok(Message::Close(_)))) => return Err(None),
            Ok(Some(Ok(_))) => {
                return Err(Some((
                    close::BAD_HANDSHAKE,
                    "first frame must be a JSON text hello".into(),
                )));
            }
        };
    };
    let (protocol, token, resume_from, client) = match serde_json::from_str::<ClientMessage>(&frame)
    {
        Ok(ClientMessage::Hello {
            protocol,
            token,
            resume_from,
            client,
        }) => (protocol, token, resume_from, client),
        Ok(_) => {
            return Err(Some((
                close::BAD_HANDSHAKE,
                "first frame must be hello".into(),
            )));
        }
        Err(e) => return Err(Some((close::BAD_HANDSHAKE, format!("bad hello: {e}")))),
    };
    if protocol != PROTOCOL_VERSION {
        return Err(Some((
            close::PROTOCOL_MISMATCH,
            format!("protocol {protocol} is not supported; this server speaks {PROTOCOL_VERSION}"),
        )));
    }
    if token.is_empty() {
        return Err(Some((close::UNAUTHORIZED, "missing token".into())));
    }
    let hash = token_hash(&token);
    let lookup = hash.clone();
    let agent = store
        .readers()
        .read_for(ReadFor::Client, move |conn| {
            rows::agent_by_token_hash(conn, &lookup)
        })
        .await
        .map_err(|e| match e {
            StoreError::Busy => Some((close::TRY_AGAIN_LATER, e.to_string())),
            e => Some((close::INTERNAL, format!("cannot check the token: {e}"))),
        })?;
    match agent {
        Some(agent) => Ok(Greeted {
            agent,
            token_hash: hash,
            resume_from,
            client,
        }),
        None => Err(Some((close::UNAUTHORIZED, "invalid token".into()))),
    }
}
