//! The server's own state between runs, by key (`server_state`): what a
//! worker must remember across a restart that belongs to no row, e.g. the
//! address the chats' menu buttons were set to.

use rusqlite::{OptionalExtension, params};

use super::{Db, StoreError, WriteCtx};

/// The address the menu buttons open (`None`: they open nothing of ours).
pub const MENU_URL: &str = "menu_url";

pub fn get(db: &impl Db, key: &str) -> Result<Option<String>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT value FROM server_state WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// Sets `key` (`None`: removes it).
pub fn set(ctx: &WriteCtx<'_>, key: &str, value: Option<&str>) -> Result<(), StoreError> {
    match value {
        Some(v) => ctx
            .conn
            .prepare_cached(
                "INSERT INTO server_state (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![key, v])?,
        None => ctx
            .conn
            .prepare_cached("DELETE FROM server_state WHERE key = ?1")?
            .execute([key])?,
    };
    Ok(())
}
