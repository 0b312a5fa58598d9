//! The outbox: messages to customers waiting to reach Telegram, and what
//! their delivery did to the message (`message_updated` events). The sender
//! in `telegram/` decides when; these functions record what happened.

use rusqlite::{OptionalExtension, params};
use shared::*;

use super::DomainError;
use crate::store::rows;
use crate::store::{StoreError, WriteCtx};

/// A message due to be sent.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: i64,
    /// The thread message it delivers; `None` for a bot message outside
    /// any ticket (a prompt before the ticket exists).
    pub message_id: Option<MessageId>,
    pub chat_id: i64,
    pub text: String,
    /// Inline keyboard (JSON), if any.
    pub markup: Option<String>,
    pub attempts: u32,
    /// Files to send with it (an engineer's upload): the text is their caption.
    pub attachments: Vec<Attachment>,
}

/// Said of a message sent again after an earlier try's answer was lost
/// (the one ambiguity no Telegram client can avoid: see docs/telegram.md).
pub const MAYBE_TWICE: &str = "an earlier try's answer from Telegram was lost, so it was sent again: the customer may have received it twice";

/// The next message of each chat, when it is due and nothing is being
/// sent to that chat: per-chat order is kept.
pub fn due(
    conn: &rusqlite::Connection,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<Due>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT o.id, o.message_id, o.chat_id, coalesce(m.text, o.text), o.markup, o.attempts,
                    coalesce(m.attachments, '[]')
             FROM outbox o LEFT JOIN messages m ON m.id = o.message_id
             WHERE o.id IN (SELECT min(id) FROM outbox GROUP BY chat_id)
               AND o.state = 'pending' AND o.next_attempt_at <= ?1
             ORDER BY o.next_attempt_at, o.id LIMIT ?2",
        )?
        .query_map(params![now.0, limit as i64], |r| {
            Ok(Due {
                id: r.get(0)?,
                message_id: r.get::<_, Option<i64>>(1)?.map(MessageId),
                chat_id: r.get(2)?,
                text: r.get(3)?,
                markup: r.get(4)?,
                attempts: r.get(5)?,
                attachments: {
                    let json: String = r.get(6)?;
                    serde_json::from_str(&json).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(
                            6,
                            rusqlite::types::Type::Text,
                            e.into(),
                        )
                    })?
                },
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Marks rows as handed to Telegram (before the request goes out).
/// Returns how many were still waiting (a row failed meanwhile is skipped).
pub fn mark_sending(ctx: &mut WriteCtx<'_>, ids: &[i64]) -> Result<usize, DomainError> {
    let mut stmt = ctx
        .conn
        .prepare_cached("UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?1 AND state = 'pending'")?;
    let mut n = 0;
    for id in ids {
        n += stmt.execute([id])?;
    }
    Ok(n)
}

/// Removes a row; returns its message (if it has one) and whether a try's
/// answer was lost.
fn take_row(ctx: &WriteCtx<'_>, id: i64) -> Result<Option<(MessageId, bool)>, DomainError> {
    let row: Option<(Option<i64>, bool)> = ctx
        .conn
        .prepare_cached("SELECT message_id, ambiguous FROM outbox WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    ctx.conn
        .prepare_cached("DELETE FROM outbox WHERE id = ?1")?
        .execute([id])?;
    Ok(row.and_then(|(m, a)| m.map(|m| (MessageId(m), a))))
}

fn set_delivery(
    ctx: &mut WriteCtx<'_>,
    message: MessageId,
    state: DeliveryState,
    reason: Option<&str>,
    telegram_id: Option<i64>,
) -> Result<(), DomainError> {
    ctx.conn
        .prepare_cached(
            "UPDATE messages SET delivery_state = ?2, delivery_reason = ?3, delivery_updated_at = ?4,
                 telegram_message_id = coalesce(?5, telegram_message_id)
             WHERE id = ?1",
        )?
        .execute(params![message.0, state.as_str(), reason, ctx.now.0, telegram_id])?;
    let m = rows::load_message(ctx.conn, message)?
        .ok_or_else(|| DomainError::not_found(format!("message {message} vanished")))?;
    ctx.append(Event::MessageUpdated { message: m })?;
    Ok(())
}

/// Telegram accepted the message.
pub fn delivered(
    ctx: &mut WriteCtx<'_>,
    id: i64,
    telegram_message_id: i64,
) -> Result<(), DomainError> {
    if let Some((m, ambiguous)) = take_row(ctx, id)? {
        let note = ambiguous.then_some(MAYBE_TWICE);
        set_delivery(ctx, m, DeliveryState::Sent, note, Some(telegram_message_id))?;
    }
    Ok(())
}

/// The message can't be delivered; the reason is shown to the engineer.
pub fn failed(ctx: &mut WriteCtx<'_>, id: i64, reason: &str) -> Result<(), DomainError> {
    if let Some((m, _)) = take_row(ctx, id)? {
        set_delivery(ctx, m, DeliveryState::Failed, Some(reason), None)?;
    }
    Ok(())
}

/// Not sent this time (or maybe sent: `ambiguous`); try again at `at`.
/// `counts`: false when the try was not the message's fault (a 429, the
/// bot's token refused): it does not use up one of its tries.
pub fn retry(
    ctx: &mut WriteCtx<'_>,
    id: i64,
    at: Timestamp,
    error: &str,
    ambiguous: bool,
    counts: bool,
) -> Result<(), DomainError> {
    ctx.conn
        .prepare_cached(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?2, last_error = ?3, ambiguous = max(ambiguous, ?4),
                 attempts = CASE WHEN ?5 THEN attempts ELSE max(attempts - 1, 0) END
             WHERE id = ?1",
        )?
        .execute(params![id, at.0, error, ambiguous, counts])?;
    Ok(())
}

/// After a crash: rows left `sending` were handed to Telegram with no
/// answer recorded. Telegram may have them; they are sent again and, once
/// sent, marked "may have arrived twice". Returns how many.
pub fn recover(ctx: &mut WriteCtx<'_>) -> Result<u32, DomainError> {
    let n = ctx.conn.execute(
        "UPDATE outbox SET state = 'pending', ambiguous = 1, last_error = 'the server stopped while sending'
         WHERE state = 'sending'",
        [],
    )?;
    Ok(n as u32)
}

/// The customer in a private chat blocked (or unblocked) the bot. Blocked:
/// everything still queued for them fails with that reason.
pub fn customer_blocked(
    ctx: &mut WriteCtx<'_>,
    telegram_user_id: i64,
    blocked: bool,
) -> Result<(), DomainError> {
    let Some(mut c) = crate::store::read::customers_by_telegram(ctx.conn, telegram_user_id)? else {
        return Ok(());
    };
    if c.blocked != blocked {
        c.blocked = blocked;
        ctx.conn.execute(
            "UPDATE customers SET blocked = ?2 WHERE id = ?1",
            params![c.id.0, blocked],
        )?;
        ctx.append(Event::CustomerUpserted { customer: c })?;
    }
    if blocked {
        let ids: Vec<i64> = ctx
            .conn
            .prepare("SELECT id FROM outbox WHERE chat_id = ?1 AND state = 'pending' ORDER BY id")?
            .query_map([telegram_user_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in ids {
            failed(ctx, id, "the customer has blocked the bot")?;
        }
    }
    Ok(())
}

/// Queues a thread message (an engineer's reply, a bot message) for its
/// ticket's chat.
pub fn enqueue(
    ctx: &WriteCtx<'_>,
    message: MessageId,
    ticket: TicketId,
    markup: Option<&str>,
) -> Result<(), DomainError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO outbox (message_id, chat_id, markup, next_attempt_at, created_at)
             SELECT ?1, chat_id, ?2, ?3, ?3 FROM tickets WHERE id = ?4",
        )?
        .execute(params![message.0, markup, ctx.now.0, ticket.0])?;
    Ok(())
}

/// Whether the customer of this private chat has blocked the bot.
fn chat_blocked(ctx: &WriteCtx<'_>, chat_id: i64) -> Result<bool, DomainError> {
    Ok(ctx
        .conn
        .prepare_cached("SELECT blocked FROM customers WHERE telegram_user_id = ?1")?
        .query_row([chat_id], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// Queues a bot message that belongs to no ticket (a prompt, a button's
/// answer) for a private chat. Nothing is queued for a customer who
/// blocked the bot.
pub fn to_chat(
    ctx: &WriteCtx<'_>,
    chat_id: i64,
    text: &str,
    markup: Option<&str>,
) -> Result<(), DomainError> {
    if chat_blocked(ctx, chat_id)? {
        return Ok(());
    }
    ctx.conn
        .prepare_cached(
            "INSERT INTO outbox (chat_id, text, markup, next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        )?
        .execute(params![chat_id, text, markup, ctx.now.0])?;
    Ok(())
}

/// Queues a message from the bot into a ticket's thread (visible to the
/// engineers, sent to the customer through the outbox). It is not a human
/// reply: who owes a reply does not change. Nothing is queued for a
/// customer who blocked the bot.
pub fn bot_message(
    ctx: &mut WriteCtx<'_>,
    queues: &super::queues::Queues,
    ticket: &mut Ticket,
    text: &str,
    markup: Option<&str>,
) -> Result<Option<MessageId>, DomainError> {
    let blocked: bool = ctx.conn.query_row(
        "SELECT blocked FROM customers WHERE id = ?1",
        [ticket.customer_id.0],
        |r| r.get(0),
    )?;
    if blocked {
        return Ok(None);
    }
    bot_entry(ctx, queues, ticket, MessageKind::Outbound, text, markup).map(Some)
}

/// Adds a bot message (`Outbound`: queued for Telegram with `markup`) or a
/// bot note (`Note`: engineers only) to a ticket's thread.
pub fn bot_entry(
    ctx: &mut WriteCtx<'_>,
    queues: &super::queues::Queues,
    ticket: &mut Ticket,
    kind: MessageKind,
    text: &str,
    markup: Option<&str>,
) -> Result<MessageId, DomainError> {
    let outbound = kind == MessageKind::Outbound;
    let msg = rows::insert_message(
        ctx.conn,
        &rows::NewMessage {
            ticket_id: ticket.id,
            kind,
            author: Author::Bot,
            text,
            attachments: &[],
            telegram_message_id: None,
            delivery: outbound.then_some(DeliveryState::Queued),
        },
        ctx.now,
    )?;
    if outbound {
        enqueue(ctx, msg.id, ticket.id, markup)?;
    }
    let id = msg.id;
    ctx.append(Event::MessageAdded { message: msg })?;
    ticket.message_count += 1;
    ticket.last_message_id = Some(id);
    super::commands::save_ticket(
        ctx,
        queues,
        ticket,
        None,
        TicketChange::Thread { message_id: id },
    )?;
    Ok(id)
}
