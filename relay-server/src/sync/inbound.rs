//! Reading a client's frames: each becomes a future that yields its answer
//! frame. Writes are queued to the store in arrival order at once; answers
//! go back in the same order, up to `max_inflight_commands` at a time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use shared::*;
use tokio::sync::mpsc;

use super::frames;
use super::handshake::{Refusal, close_for};
use crate::App;
use crate::domain::DomainError;
use crate::domain::commands;
use crate::domain::dashboard::desk_figures;
use crate::store::StoreError;
use crate::store::access::{Actor, AuditEntry};
use crate::store::read::{ReadFor, Reader};
use crate::store::{read, rows};

/// What the reader hands the connection's sender.
pub enum ToClient {
    Frame(String),
    Close(u16, String),
}

type Answer = Pin<Box<dyn Future<Output = String> + Send>>;

fn ready(frame: String) -> Answer {
    Box::pin(std::future::ready(frame))
}

/// Most messages one `load_older` returns.
const MAX_PAGE: u32 = 200;

/// Most tickets one `history` returns.
const MAX_HISTORY: u32 = 100;

pub async fn run(
    app: Arc<App>,
    token_hash: Arc<str>,
    monitor: bool,
    mut stream: SplitStream<WebSocket>,
    out: mpsc::Sender<ToClient>,
) {
    let (pending_tx, mut pending_rx) = mpsc::channel::<Answer>(app.sync.max_inflight_commands);
    let answers = out.clone();
    let responder = tokio::spawn(async move {
        while let Some(answer) = pending_rx.recv().await {
            if answers.send(ToClient::Frame(answer.await)).await.is_err() {
                break;
            }
        }
    });
    let mut violation: Option<Refusal> = None;
    while let Some(msg) = stream.next().await {
        let answer = match msg {
            Ok(Message::Text(text)) => handle(&app, &token_hash, monitor, &text).await,
            Ok(Message::Binary(_)) => ready(frames::error(
                None,
                ErrorCode::BadFrame,
                "binary frames are not accepted; send JSON text frames",
            )),
            Ok(Message::Close(_)) => break,
            Ok(_) => continue,
            Err(e) => {
                violation = close_for(&e);
                break;
            }
        };
        if pending_tx.send(answer).await.is_err() {
            break;
        }
    }
    drop(pending_tx);
    // Commands already queued are applied; let their answers out first.
    let _ = responder.await;
    if let Some((code, reason)) = violation {
        let _ = out.send(ToClient::Close(code, reason)).await;
    }
}

/// Close reason for a frame over the limit.
pub const TOO_BIG_REASON: &str = "frame over the 1 MiB (1048576 bytes) limit";

/// Turns one text frame into its answer.
async fn handle(app: &Arc<App>, token_hash: &Arc<str>, monitor: bool, text: &str) -> Answer {
    let msg = match shared::parse::client_frame(text) {
        Ok(m) => m,
        Err(r) => return ready(frames::error(r.id, r.code, r.message)),
    };
    match msg {
        ClientMessage::Hello { .. } => ready(frames::error(
            None,
            ErrorCode::BadFrame,
            "hello was already received",
        )),
        ClientMessage::Digest => {
            let app = app.clone();
            let token = token_hash.clone();
            Box::pin(async move {
                let tail = app.sync.snapshot_tail;
                let access = app.desk.access().clone();
                match app
                    .store
                    .readers()
                    .read_for(ReadFor::Client, move |c| {
                        let Some(agent) = rows::agent_by_token_hash(c, &token)? else {
                            return Ok(None);
                        };
                        read::digest(c, tail, |t| access.may_read(&agent, t)).map(Some)
                    })
                    .await
                {
                    Ok(Some((seq, digest, tickets))) => frames::encode(&ServerMessage::Digest {
                        seq,
                        digest,
                        tickets,
                    }),
                    Ok(None) => frames::error(
                        None,
                        ErrorCode::Forbidden,
                        "this token was revoked or replaced",
                    ),
                    Err(e @ StoreError::Busy) => {
                        frames::error(None, ErrorCode::Busy, e.to_string())
                    }
                    Err(e) => {
                        frames::error(None, ErrorCode::Internal, format!("digest failed: {e}"))
                    }
                }
            })
        }
        ClientMessage::Command { id, .. } if !id.is_valid() => ready(frames::error(
            Some(id),
            ErrorCode::Invalid,
            "command id must be 1-64 visible ASCII characters",
        )),
        ClientMessage::Command {
            id,
            command:
                Command::LoadOlder {
                    ticket_id,
                    before,
                    limit,
                },
        } => {
            if limit == 0 || limit > MAX_PAGE {
                return ready(frames::error(
                    Some(id),
                    ErrorCode::Invalid,
                    format!("limit must be 1..={MAX_PAGE}"),
                ));
            }
            let app = app.clone();
            let token = token_hash.clone();
            Box::pin(async move {
                read_command(&app, &token, id, ticket_id, "read_older", move |c, _| {
                    let (messages, more) = read::older(c, ticket_id, before, limit)?;
                    Ok(CommandResult::Messages { messages, more })
                })
                .await
            })
        }
        ClientMessage::Command {
            id,
            command: Command::History { ticket_id, limit },
        } => {
            if limit == 0 || limit > MAX_HISTORY {
                return ready(frames::error(
                    Some(id),
                    ErrorCode::Invalid,
                    format!("limit must be 1..={MAX_HISTORY}"),
                ));
            }
            let app = app.clone();
            let token = token_hash.clone();
            Box::pin(async move {
                read_command(
                    &app,
                    &token,
                    id,
                    ticket_id,
                    "read_history",
                    move |c, may_read| {
                        let (tickets, more) = read::history(c, ticket_id, limit, may_read)?;
                        Ok(CommandResult::Tickets { tickets, more })
                    },
                )
                .await
            })
        }
        ClientMessage::Command {
            id,
            command: Command::DeskFigures,
        } => {
            let app = app.clone();
            let token = token_hash.clone();
            Box::pin(async move {
                let desk = app.desk.clone();
                let now = app.store.now();
                let figures = app
                    .store
                    .readers()
                    .read_for(ReadFor::Client, move |c| {
                        read::in_read_tx(c, |c| {
                            let Some(agent) = rows::agent_by_token_hash(c, &token)? else {
                                return Ok(Err(DomainError::forbidden(
                                    "this token was revoked or replaced",
                                )));
                            };
                            Ok(desk_figures(c, &desk, &agent, now))
                        })
                    })
                    .await;
                match figures {
                    Ok(Ok(figures)) => frames::encode(&ServerMessage::Ok {
                        id,
                        seq: None,
                        result: CommandResult::DeskFigures {
                            figures: Box::new(figures),
                        },
                    }),
                    Ok(Err(DomainError { code, message })) => {
                        frames::error(Some(id), code, message)
                    }
                    Err(e @ StoreError::Busy) => {
                        frames::error(Some(id), ErrorCode::Busy, e.to_string())
                    }
                    Err(e) => frames::error(
                        Some(id),
                        ErrorCode::Internal,
                        format!("the figures could not be read: {e}"),
                    ),
                }
            })
        }
        ClientMessage::Command { id, command }
            if monitor && !matches!(command, Command::Preview { .. }) =>
        {
            ready(frames::error(
                Some(id),
                ErrorCode::Forbidden,
                "this is a monitor connection: it only reads (load_older, history, preview, desk_figures, digest)",
            ))
        }
        ClientMessage::Command { id, command } => {
            let desk = app.desk.clone();
            let cid = id.clone();
            let token = token_hash.clone();
            let queued = app
                .store
                .enqueue(move |ctx| commands::apply(ctx, &desk, &token, &cid, &command))
                .await;
            match queued {
                Ok(rx) => Box::pin(async move {
                    match rx.await {
                        Ok(Ok(done)) => frames::encode(&ServerMessage::Ok {
                            id,
                            seq: done.seq,
                            result: done.result,
                        }),
                        Ok(Err(DomainError { code, message })) => {
                            frames::error(Some(id), code, message)
                        }
                        Err(_) => frames::error(
                            Some(id),
                            ErrorCode::Internal,
                            "the command was not applied: the server failed",
                        ),
                    }
                }),
                Err(_) => ready(frames::error(
                    Some(id),
                    ErrorCode::Internal,
                    "the server is shutting down; not applied",
                )),
            }
        }
    }
}

/// Answers a read-only command (`load_older`, `history`): checks the token
/// and that the ticket exists and its agent may read it (one it may not
/// read is answered as one that does not exist), then runs `read` on a
/// reader connection with the agent's access rule, and keeps an audit
/// record of the read.
async fn read_command<F>(
    app: &App,
    token_hash: &Arc<str>,
    id: CommandId,
    ticket: TicketId,
    action: &'static str,
    read: F,
) -> String
where
    F: FnOnce(&Reader, &dyn Fn(&Ticket) -> bool) -> Result<CommandResult, StoreError>
        + Send
        + 'static,
{
    let token = token_hash.clone();
    let access = app.desk.access().clone();
    let page = app
        .store
        .readers()
        .read_for(ReadFor::Client, move |c| {
            let Some(agent) = rows::agent_by_token_hash(c, &token)? else {
                return Ok(Err(DomainError::forbidden(
                    "this token was revoked or replaced",
                )));
            };
            let may_read = |t: &Ticket| access.may_read(&agent, t);
            let Some(t) = rows::load_ticket(c, ticket)?.filter(|t| may_read(t)) else {
                return Ok(Err(DomainError::not_found(format!(
                    "ticket {ticket} does not exist"
                ))));
            };
            let entry = AuditEntry {
                at: Timestamp(0),
                actor: Actor::Agent(agent.id),
                action: action.to_owned(),
                ticket: Some(t.id),
                customer: Some(t.customer_id),
                detail: String::new(),
            };
            read(c, &may_read).map(|r| Ok((r, entry)))
        })
        .await;
    match page {
        Ok(Ok((result, entry))) => {
            // The audit record is written behind the answer, never delaying it.
            let _ = app
                .store
                .enqueue(move |ctx| {
                    let entry = AuditEntry {
                        at: ctx.now,
                        ..entry
                    };
                    crate::store::access::log(ctx, &entry)
                })
                .await;
            frames::encode(&ServerMessage::Ok {
                id,
                seq: None,
                result,
            })
        }
        Ok(Err(DomainError { code, message })) => frames::error(Some(id), code, message),
        Err(e @ StoreError::Busy) => frames::error(Some(id), ErrorCode::Busy, e.to_string()),
        Err(e) => frames::error(Some(id), ErrorCode::Internal, format!("cannot read: {e}")),
    }
}
