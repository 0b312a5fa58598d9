//! The messages table: every ticket's thread.

use rusqlite::{OptionalExtension, params};
use shared::{DeliveryState, MessageId, TicketId, Timestamp};

use super::{Db, StoreError, WriteCtx};

/// Records what delivery did to a message (the Telegram id when sent).
pub fn set_delivery(
    ctx: &WriteCtx<'_>,
    message: MessageId,
    state: DeliveryState,
    reason: Option<&str>,
    telegram_id: Option<i64>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE messages SET delivery_state = ?2, delivery_reason = ?3, delivery_updated_at = ?4,
                 telegram_message_id = coalesce(?5, telegram_message_id)
             WHERE id = ?1",
        )?
        .execute(params![message.0, state.as_str(), reason, ctx.now.0, telegram_id])?;
    Ok(())
}

/// When the customer sent it (Telegram's date), kept for flood control.
pub fn set_sent_at(ctx: &WriteCtx<'_>, id: MessageId, at: Timestamp) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE messages SET sent_at = ?2 WHERE id = ?1")?
        .execute(params![id.0, at.0])?;
    Ok(())
}

/// Marks a message edited at `at`.
pub fn set_edited_at(ctx: &WriteCtx<'_>, id: MessageId, at: Timestamp) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE messages SET edited_at = ?2 WHERE id = ?1")?
        .execute(params![id.0, at.0])?;
    Ok(())
}

/// The customer edited a message: new text, edited now.
pub fn edit_text(ctx: &WriteCtx<'_>, id: MessageId, text: &str) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE messages SET text = ?2, edited_at = ?3 WHERE id = ?1")?
        .execute(params![id.0, text, ctx.now.0])?;
    Ok(())
}

/// The customer's message with this Telegram id in this chat.
pub fn inbound_by_telegram_id(
    db: &impl Db,
    chat_id: i64,
    telegram_message_id: i64,
) -> Result<Option<MessageId>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT m.id FROM messages m JOIN tickets t ON t.id = m.ticket_id
             WHERE m.telegram_message_id = ?1 AND t.chat_id = ?2 AND m.kind = 'inbound'
             ORDER BY m.id DESC LIMIT 1",
        )?
        .query_row(params![telegram_message_id, chat_id], |r| {
            r.get(0).map(MessageId)
        })
        .optional()?)
}

/// When the customer sent their `back`-th latest message on the ticket
/// (0: the latest).
pub fn inbound_sent_at(
    db: &impl Db,
    ticket: TicketId,
    back: u32,
) -> Result<Option<Timestamp>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT coalesce(sent_at, created_at) FROM messages WHERE ticket_id = ?1 AND kind = 'inbound'
             ORDER BY id DESC LIMIT 1 OFFSET ?2",
        )?
        .query_row(params![ticket.0, back], |r| r.get(0).map(Timestamp))
        .optional()?)
}

/// Whether the bot said exactly `text` on the ticket after `since`.
pub fn bot_said_since(
    db: &impl Db,
    ticket: TicketId,
    text: &str,
    since: Timestamp,
) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE ticket_id = ?1 AND author_kind = 'bot'
                              AND text = ?2 AND created_at > ?3)",
        )?
        .query_row(params![ticket.0, text, since.0], |r| r.get(0))?)
}
