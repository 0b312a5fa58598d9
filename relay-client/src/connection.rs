//! One WebSocket connection to the relay server.

use futures_util::{SinkExt, StreamExt};
use shared::*;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::ClientTls;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("websocket: {0}")]
    Ws(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("the server sent a frame that is not a protocol message: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("the server closed the connection ({code}): {reason}")]
    Closed { code: u16, reason: String },
    #[error("expected welcome, got {0}")]
    NoWelcome(String),
    #[error("{0}")]
    Tls(String),
}

impl ClientError {
    /// Retrying cannot help: a wrong address or path, a certificate that
    /// is not trusted. (A refused token comes as [`ClientError::Closed`].)
    pub fn is_permanent(&self) -> bool {
        use tokio_tungstenite::tungstenite::Error as Ws;
        match self {
            ClientError::Ws(Ws::Io(io)) => tls_failure(io).is_some(),
            ClientError::Ws(Ws::Http(resp)) => resp.status().is_client_error(),
            ClientError::Ws(Ws::Url(_) | Ws::Tls(_)) | ClientError::Tls(_) => true,
            _ => false,
        }
    }

    /// Why connecting to `url` failed, in words a person can act on.
    pub fn explain(&self, url: &str) -> String {
        use tokio_tungstenite::tungstenite::Error as Ws;
        let ClientError::Ws(ws) = self else {
            return self.to_string();
        };
        match ws {
            Ws::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                format!("connection refused at {url}: is relay-server running there?")
            }
            Ws::Io(io) if tls_failure(io).is_some() => {
                format!("TLS with {url} failed: {io}; to trust its certificate, use --ca-file")
            }
            Ws::Io(io) => format!("{url}: {io}"),
            Ws::Http(resp) if resp.status().as_u16() == 404 => {
                format!("{url} answered 404 Not Found: the WebSocket path is {WS_PATH}")
            }
            Ws::Http(resp) => format!(
                "{url} answered {}: is it a relay-server WebSocket?",
                resp.status()
            ),
            Ws::Url(u) => format!("bad URL {url}: {u}"),
            Ws::Tls(t) => {
                format!("TLS with {url} failed: {t}; to trust its certificate, use --ca-file")
            }
            other => format!("{url}: {other}"),
        }
    }
}

/// The TLS error inside an I/O error (rustls reports a certificate it
/// does not trust that way).
fn tls_failure(io: &std::io::Error) -> Option<&rustls::Error> {
    io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>())
}

/// What `welcome` said.
#[derive(Debug, Clone)]
pub struct Welcome {
    pub agent: Agent,
    pub sync: SyncMode,
    pub snapshot_tail: u32,
    pub server_version: String,
    /// The desk's time zone, for customers whose own is unknown.
    pub time_zone: Option<String>,
    /// Whether the server runs a Telegram bot.
    pub telegram: bool,
}

/// Something the server sent.
#[derive(Debug, Clone)]
pub enum Incoming {
    Message(ServerMessage),
    /// The server closed the connection with this code and reason.
    Closed {
        code: u16,
        reason: String,
    },
}

pub struct Connection {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Connection {
    /// Opens the socket only (no hello): for tests of the handshake.
    pub async fn open(url: &str) -> Result<Connection, ClientError> {
        Connection::open_with(url, &ClientTls::default()).await
    }

    /// Opens the socket only, trusting what `tls` trusts for `wss://`.
    pub async fn open_with(url: &str, tls: &ClientTls) -> Result<Connection, ClientError> {
        let (ws, _) =
            tokio_tungstenite::connect_async_tls_with_config(url, None, true, tls.connector())
                .await?;
        Ok(Connection { ws })
    }

    /// Connects, says hello and waits for `welcome`. `url` is the server's
    /// `ws://host:port/v1/ws` address.
    pub async fn connect(
        url: &str,
        token: &str,
        resume_from: Option<Seq>,
    ) -> Result<(Connection, Welcome), ClientError> {
        Connection::connect_with(url, token, resume_from, &ClientTls::default()).await
    }

    /// [`Connection::connect`], trusting what `tls` trusts for `wss://`.
    pub async fn connect_with(
        url: &str,
        token: &str,
        resume_from: Option<Seq>,
        tls: &ClientTls,
    ) -> Result<(Connection, Welcome), ClientError> {
        Connection::connect_as(url, token, resume_from, tls, false).await
    }

    /// Connects as a read-only monitor (a wallboard, a script): the same
    /// stream, without making the agent online or changing anything.
    pub async fn connect_monitor(
        url: &str,
        token: &str,
        resume_from: Option<Seq>,
        tls: &ClientTls,
    ) -> Result<(Connection, Welcome), ClientError> {
        Connection::connect_as(url, token, resume_from, tls, true).await
    }

    async fn connect_as(
        url: &str,
        token: &str,
        resume_from: Option<Seq>,
        tls: &ClientTls,
        monitor: bool,
    ) -> Result<(Connection, Welcome), ClientError> {
        let mut c = Connection::open_with(url, tls).await?;
        c.send(&ClientMessage::Hello {
            protocol: PROTOCOL_VERSION,
            token: token.to_owned(),
            resume_from,
            client: Some(format!("relay-client/{}", env!("CARGO_PKG_VERSION"))),
            monitor,
        })
        .await?;
        match c.recv().await? {
            Incoming::Message(ServerMessage::Welcome {
                agent,
                sync,
                snapshot_tail,
                server_version,
                time_zone,
                telegram,
                ..
            }) => Ok((
                c,
                Welcome {
                    agent,
                    sync,
                    snapshot_tail,
                    server_version,
                    time_zone,
                    telegram,
                },
            )),
            Incoming::Closed { code, reason } => Err(ClientError::Closed { code, reason }),
            Incoming::Message(other) => Err(ClientError::NoWelcome(format!("{other:?}"))),
        }
    }

    pub async fn send(&mut self, msg: &ClientMessage) -> Result<(), ClientError> {
        self.send_text(serde_json::to_string(msg)?).await
    }

    /// Sends any text frame (tests use it for malformed input).
    pub async fn send_text(&mut self, text: String) -> Result<(), ClientError> {
        Ok(self.ws.send(WsMessage::Text(text.into())).await?)
    }

    pub async fn send_binary(&mut self, data: Vec<u8>) -> Result<(), ClientError> {
        Ok(self.ws.send(WsMessage::Binary(data.into())).await?)
    }

    /// Sends a WebSocket ping (the server answers with a pong, skipped by `recv`).
    pub async fn ping(&mut self) -> Result<(), ClientError> {
        Ok(self.ws.send(WsMessage::Ping(Vec::new().into())).await?)
    }

    /// Sends a command with the given id.
    pub async fn command(
        &mut self,
        id: impl Into<String>,
        command: Command,
    ) -> Result<(), ClientError> {
        self.send(&ClientMessage::Command {
            id: CommandId::new(id),
            command,
        })
        .await
    }

    /// The next protocol message, or the close. Pings are answered inside.
    pub async fn recv(&mut self) -> Result<Incoming, ClientError> {
        loop {
            match self.ws.next().await {
                None => {
                    return Ok(Incoming::Closed {
                        code: 1006,
                        reason: "connection lost".into(),
                    });
                }
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(WsMessage::Text(t))) => {
                    return Ok(Incoming::Message(serde_json::from_str(&t)?));
                }
                Some(Ok(WsMessage::Close(frame))) => {
                    let (code, reason) = frame.map_or((1005, String::new()), |f| {
                        (u16::from(f.code), f.reason.to_string())
                    });
                    return Ok(Incoming::Closed { code, reason });
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next text frame as received, without decoding (for benchmarks
    /// and tools that only route frames). `None` once the connection ends.
    pub async fn recv_text(&mut self) -> Result<Option<String>, ClientError> {
        loop {
            match self.ws.next().await {
                None | Some(Ok(WsMessage::Close(_))) => return Ok(None),
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(WsMessage::Text(t))) => return Ok(Some(t.to_string())),
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Closes politely.
    pub async fn close(mut self) {
        let _ = self
            .ws
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into(),
            }))
            .await;
    }
}
