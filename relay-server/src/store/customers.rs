//! The customers table.

use rusqlite::{OptionalExtension, params};
use shared::CustomerId;

use super::{Db, StoreError, WriteCtx};

/// Whether the customer of this private chat has blocked the bot.
pub fn chat_blocked(db: &impl Db, chat: i64) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT blocked FROM customers WHERE telegram_user_id = ?1")?
        .query_row([chat], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// Whether this customer has blocked the bot.
pub fn blocked(db: &impl Db, id: CustomerId) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT blocked FROM customers WHERE id = ?1")?
        .query_row([id.0], |r| r.get(0))?)
}

pub fn set_blocked(ctx: &WriteCtx<'_>, id: CustomerId, blocked: bool) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE customers SET blocked = ?2 WHERE id = ?1")?
        .execute(params![id.0, blocked])?;
    Ok(())
}
