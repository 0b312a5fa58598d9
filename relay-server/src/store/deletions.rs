//! Deleting a customer's Telegram messages when they are erased: the ids
//! of every private chat's messages of the last 48 hours (`tg_recent`), and
//! the deletions waiting to be asked of Telegram (`tg_deletions`). Ids
//! only, never texts.

use rusqlite::params;
use shared::Timestamp;

use super::{Db, StoreError, WriteCtx};

/// How long Telegram lets a bot delete a message in a private chat.
pub const WINDOW_MS: i64 = 48 * 3_600_000;

/// Ids per `deleteMessages` call (Telegram's limit).
pub const PER_CALL: usize = 100;

/// A message of a private chat (the customer's or the bot's), seen `at`.
pub fn note(ctx: &WriteCtx<'_>, chat: i64, message: i64, at: Timestamp) -> Result<(), StoreError> {
    if chat <= 0 {
        return Ok(()); // groups: not a customer's private chat
    }
    ctx.conn
        .prepare_cached(
            "INSERT OR IGNORE INTO tg_recent (at, chat_id, message_id) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![at.0, chat, message])?;
    Ok(())
}

/// Queues the deletion of every message of `chats` Telegram still allows
/// deleting at `now` (with a minute to spare), and forgets their ids.
/// Returns how many messages were queued.
pub fn queue(ctx: &WriteCtx<'_>, chats: &[i64], now: Timestamp) -> Result<u64, StoreError> {
    let since = now.0 - WINDOW_MS + 60_000;
    let mut queued = 0;
    for &chat in chats {
        let ids: Vec<(i64, i64)> = ctx
            .conn
            .prepare_cached(
                "SELECT message_id, min(at) FROM tg_recent WHERE chat_id = ?1 AND at > ?2
                 GROUP BY message_id ORDER BY 2, 1",
            )?
            .query_map(params![chat, since], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for part in ids.chunks(PER_CALL) {
            let oldest = part.iter().map(|(_, at)| *at).min().unwrap_or(now.0);
            let list: Vec<i64> = part.iter().map(|(id, _)| *id).collect();
            ctx.conn
                .prepare_cached(
                    "INSERT INTO tg_deletions (chat_id, message_ids, deadline, next_attempt_at)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![
                    chat,
                    serde_json::to_string(&list)?,
                    oldest + WINDOW_MS,
                    now.0
                ])?;
            queued += list.len() as u64;
        }
        ctx.conn
            .prepare_cached("DELETE FROM tg_recent WHERE chat_id = ?1")?
            .execute([chat])?;
        ctx.conn
            .prepare_cached(
                "INSERT INTO erased_chats (chat_id, erased_at) VALUES (?1, ?2)
                 ON CONFLICT (chat_id) DO UPDATE SET erased_at = excluded.erased_at",
            )?
            .execute(params![chat, now.0])?;
    }
    Ok(queued)
}

/// Whether the chat's customer was erased after `since` (within the last
/// 48 hours): a message queued before then belongs to what went. Strictly
/// after: the last word ("your data has been erased"), queued in the same
/// transaction as the erasure, stays.
pub fn erased_after(db: &impl Db, chat: i64, since: Timestamp) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM erased_chats WHERE chat_id = ?1 AND erased_at > ?2)",
        )?
        .query_row(params![chat, since.0], |r| r.get(0))?)
}

/// Queues the deletion of one message of a chat, sent at `at`.
pub fn queue_one(
    ctx: &WriteCtx<'_>,
    chat: i64,
    message: i64,
    at: Timestamp,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO tg_deletions (chat_id, message_ids, deadline, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            chat,
            serde_json::to_string(&[message])?,
            at.0 + WINDOW_MS,
            ctx.now.0
        ])?;
    Ok(())
}

/// A deletion to ask Telegram for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    pub id: i64,
    pub chat_id: i64,
    pub message_ids: Vec<i64>,
    pub deadline: Timestamp,
    pub attempts: u32,
}

/// Deletions due at `now`, oldest first.
pub fn due(db: &impl Db, now: Timestamp, limit: usize) -> Result<Vec<Deletion>, StoreError> {
    let rows: Vec<(i64, i64, String, i64, u32)> = db
        .conn()
        .prepare_cached(
            "SELECT id, chat_id, message_ids, deadline, attempts FROM tg_deletions
             WHERE next_attempt_at <= ?1 ORDER BY id LIMIT ?2",
        )?
        .query_map(params![now.0, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(id, chat_id, ids, deadline, attempts)| {
            Ok(Deletion {
                id,
                chat_id,
                message_ids: serde_json::from_str(&ids)?,
                deadline: Timestamp(deadline),
                attempts,
            })
        })
        .collect()
}

/// When the next deletion waiting for a later try is due.
pub fn next_due_after(db: &impl Db, now: Timestamp) -> Result<Option<Timestamp>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT min(next_attempt_at) FROM tg_deletions WHERE next_attempt_at > ?1")?
        .query_row([now.0], |r| r.get::<_, Option<i64>>(0))?
        .map(Timestamp))
}

/// Done (or given up): the row goes.
pub fn finish(ctx: &WriteCtx<'_>, id: i64) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("DELETE FROM tg_deletions WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Not done this time: tried again at `at`.
pub fn retry(ctx: &WriteCtx<'_>, id: i64, at: Timestamp, error: &str) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE tg_deletions SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3
             WHERE id = ?1",
        )?
        .execute(params![id, at.0, error])?;
    Ok(())
}

/// Deletes up to `limit` ids older than Telegram's window, and deletions
/// past their deadline; returns how many rows went.
pub fn prune(ctx: &WriteCtx<'_>, now: Timestamp, limit: usize) -> Result<usize, StoreError> {
    let n = ctx
        .conn
        .prepare_cached(
            "DELETE FROM tg_recent WHERE (at, chat_id, message_id) IN
                 (SELECT at, chat_id, message_id FROM tg_recent WHERE at < ?1 LIMIT ?2)",
        )?
        .execute(params![now.0 - WINDOW_MS, limit as i64])?;
    let n = n + ctx
        .conn
        .prepare_cached(
            "DELETE FROM erased_chats WHERE chat_id IN
                 (SELECT chat_id FROM erased_chats WHERE erased_at < ?1 LIMIT ?2)",
        )?
        .execute(params![now.0 - WINDOW_MS, limit as i64])?;
    Ok(n + ctx
        .conn
        .prepare_cached(
            "DELETE FROM tg_deletions WHERE id IN (SELECT id FROM tg_deletions WHERE deadline < ?1 LIMIT ?2)",
        )?
        .execute(params![now.0, limit as i64])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sealed::Conn;
    use crate::store::testing::store;

    #[tokio::test]
    async fn an_erasure_queues_the_last_48_hours_in_calls_of_100_and_forgets_the_ids() {
        let (_dir, store) = store();
        let now = Timestamp(1_000 * WINDOW_MS);
        let queued = store
            .write(move |ctx| {
                // 150 recent messages in chat 5, one too old, one in chat 6,
                // one in a group (never noted).
                for i in 0..150 {
                    note(ctx, 5, i + 1, Timestamp(now.0 - 3_600_000 + i))?;
                }
                note(ctx, 5, 999, Timestamp(now.0 - WINDOW_MS))?;
                note(ctx, 6, 1, now)?;
                note(ctx, -100, 1, now)?;
                queue(ctx, &[5], now)
            })
            .await
            .unwrap();
        assert_eq!(queued, 150);
        let (due, left): (Vec<Deletion>, i64) = store
            .readers()
            .read(move |c| {
                let left = c
                    .conn()
                    .query_row("SELECT count(*) FROM tg_recent", [], |r| r.get(0))?;
                Ok((due(c, now, 10)?, left))
            })
            .await
            .unwrap();
        assert_eq!(
            left, 1,
            "chat 6 only: chat 5's ids are forgotten, groups never kept"
        );
        assert_eq!(due.len(), 2);
        assert_eq!(due[0].message_ids, (1..=100).collect::<Vec<_>>());
        assert_eq!(due[1].message_ids, (101..=150).collect::<Vec<_>>());
        assert_eq!(due[0].deadline, Timestamp(now.0 - 3_600_000 + WINDOW_MS));
        // Past the deadline they are pruned, with the old ids.
        let later = Timestamp(now.0 + WINDOW_MS + 1);
        let gone = store
            .write(move |ctx| prune(ctx, later, 100))
            .await
            .unwrap();
        assert_eq!(
            gone, 4,
            "the ids, the deletions and the erased chat's record"
        );
    }
}
