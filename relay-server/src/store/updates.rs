//! The tg_updates table: every update Telegram handed us, stored before it
//! is acknowledged, with what applying it did.

use rusqlite::{OptionalExtension, params};
use shared::Timestamp;

use super::{Db, StoreError, WriteCtx};

/// Stores updates (insert-or-ignore by update id); returns the ids that
/// were new.
pub fn insert(ctx: &WriteCtx<'_>, batch: &[(i64, String)]) -> Result<Vec<i64>, StoreError> {
    let mut stmt = ctx.conn.prepare_cached(
        "INSERT OR IGNORE INTO tg_updates (update_id, body, received_at) VALUES (?1, ?2, ?3)",
    )?;
    let mut fresh = Vec::new();
    for (id, body) in batch {
        if stmt.execute(params![id, body, ctx.now.0])? == 1 {
            fresh.push(*id);
        }
    }
    Ok(fresh)
}

/// Whether an update older than `id` is still waiting to be applied.
pub fn waiting_before(db: &impl Db, id: i64) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM tg_updates WHERE state = 'new' AND update_id < ?1)",
        )?
        .query_row([id], |r| r.get(0))?)
}

/// The newest update id received after `after`.
pub fn last_id_since(db: &impl Db, after: Timestamp) -> Result<Option<i64>, StoreError> {
    Ok(db
        .conn()
        .query_row(
            "SELECT update_id FROM tg_updates WHERE received_at > ?1 ORDER BY update_id DESC LIMIT 1",
            [after.0],
            |r| r.get(0),
        )
        .optional()?)
}

/// Up to `limit` updates not yet applied, oldest first: (id, body).
pub fn waiting(db: &impl Db, limit: usize) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT update_id, body FROM tg_updates WHERE state = 'new' ORDER BY update_id LIMIT ?1",
        )?
        .query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// What applying an update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Done,
    /// Nothing in it for us.
    Ignored,
    /// Refused, with the reason kept.
    Failed,
}

impl Applied {
    fn as_str(self) -> &'static str {
        match self {
            Applied::Done => "done",
            Applied::Ignored => "ignored",
            Applied::Failed => "failed",
        }
    }
}

/// Records what applying an update did.
pub fn set_applied(
    ctx: &WriteCtx<'_>,
    id: i64,
    state: Applied,
    error: Option<&str>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE tg_updates SET state = ?2, error = ?3, attempts = attempts + 1 WHERE update_id = ?1",
        )?
        .execute(params![id, state.as_str(), error])?;
    Ok(())
}

/// Counts a try that failed the transaction itself; after `max` tries the
/// update is set aside as failed.
pub fn count_failure(ctx: &WriteCtx<'_>, id: i64, why: &str, max: u32) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE tg_updates SET attempts = attempts + 1, error = ?2,
                 state = CASE WHEN attempts + 1 >= ?3 THEN 'failed' ELSE state END
             WHERE update_id = ?1",
        )?
        .execute(params![id, why, max])?;
    Ok(())
}
