//! The messages table: every ticket's thread.

use rusqlite::params;
use shared::{DeliveryState, MessageId};

use super::{StoreError, WriteCtx};

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
