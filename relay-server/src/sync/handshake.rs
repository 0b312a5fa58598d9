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
    /// A read-only monitor connection.
    pub monitor: bool,
}

/// Why the connection is closed before it starts: (close code, reason).
pub type Refusal = (u16, String);

/// The close a receive error calls for (RFC 6455 section 7.4.1), or none
/// when the peer is simply gone.
pub fn close_for(e: &axum::Error) -> Option<Refusal> {
    use tungstenite::error::{Error as WsError, ProtocolError as P};
    let error = std::error::Error::source(e)?.downcast_ref::<WsError>()?;
    let reason = match error {
        WsError::Capacity(_) => {
            return Some((close::TOO_BIG, super::inbound::TOO_BIG_REASON.into()));
        }
        WsError::Utf8(_) => {
            return Some((close::INVALID_DATA, "text frame is not valid UTF-8".into()));
        }
        WsError::Protocol(p) => match p {
            P::NonZeroReservedBits => "reserved bits set; no extension was negotiated".to_owned(),
            P::UnmaskedFrameFromClient => "client frames must be masked".to_owned(),
            P::ControlFrameTooBig => "control frame payload over 125 bytes".to_owned(),
            P::FragmentedControlFrame => "control frames must not be fragmented".to_owned(),
            P::UnknownControlFrameType(op) | P::UnknownDataFrameType(op) | P::InvalidOpcode(op) => {
                format!("reserved opcode {op:#x}")
            }
            P::UnexpectedContinueFrame => {
                "continuation frame without a message to continue".to_owned()
            }
            P::ExpectedFragment(_) => "new message before the last one's final fragment".to_owned(),
            P::InvalidCloseSequence => "close frame with an invalid code or payload".to_owned(),
            _ => return None,
        },
        _ => return None,
    };
    Some((close::PROTOCOL_ERROR, reason))
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
            Ok(Some(Err(e))) => return Err(close_for(&e)),
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
    let (protocol, token, resume_from, client, monitor) = match shared::parse::client_frame(&frame)
    {
        Ok(ClientMessage::Hello {
            protocol,
            token,
            resume_from,
            client,
            monitor,
        }) => (protocol, token, resume_from, client, monitor),
        Ok(_) => {
            return Err(Some((
                close::BAD_HANDSHAKE,
                "first frame must be hello".into(),
            )));
        }
        Err(r) => {
            return Err(Some((
                close::BAD_HANDSHAKE,
                format!(
                    "bad hello: {}",
                    r.message
                        .strip_prefix("bad hello frame: ")
                        .unwrap_or(&r.message)
                ),
            )));
        }
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
        .read_for(ReadFor::Token, move |conn| {
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
            monitor,
        }),
        None => Err(Some((close::UNAUTHORIZED, "invalid token".into()))),
    }
}
