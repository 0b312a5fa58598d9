//! Private chats before their ticket exists: the conversation (where the
//! guided dialogue stands), the customer's words held meanwhile (drafts),
//! and when each kind of notice last went to a chat.

use rusqlite::{OptionalExtension, params};
use shared::{Attachment, CustomerId, Timestamp};

use super::{Db, StoreError, WriteCtx};

/// A conversation as stored; `stage` is the dialogue's own word for it.
#[derive(Debug, Clone)]
pub struct ConversationRow {
    pub chat_id: i64,
    pub customer_id: CustomerId,
    pub stage: String,
    pub topic: Option<String>,
    pub step: usize,
    pub article: Option<String>,
    pub payload: Option<String>,
    pub prompted_at: Timestamp,
}

pub fn load(db: &impl Db, chat_id: i64) -> Result<Option<ConversationRow>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT customer_id, stage, topic, step, article, payload, prompted_at FROM conversations WHERE chat_id = ?1",
        )?
        .query_row([chat_id], |r| {
            Ok(ConversationRow {
                chat_id,
                customer_id: CustomerId(r.get(0)?),
                stage: r.get(1)?,
                topic: r.get(2)?,
                step: r.get::<_, i64>(3)? as usize,
                article: r.get(4)?,
                payload: r.get(5)?,
                prompted_at: Timestamp(r.get(6)?),
            })
        })
        .optional()?)
}

pub fn save(ctx: &WriteCtx<'_>, c: &ConversationRow) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO conversations (chat_id, customer_id, stage, topic, step, article, payload, prompted_at, started_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
             ON CONFLICT (chat_id) DO UPDATE SET customer_id = excluded.customer_id, stage = excluded.stage,
                 topic = excluded.topic, step = excluded.step, article = excluded.article,
                 payload = excluded.payload, prompted_at = excluded.prompted_at, updated_at = excluded.updated_at",
        )?
        .execute(params![
            c.chat_id,
            c.customer_id.0,
            c.stage,
            c.topic,
            c.step as i64,
            c.article,
            c.payload,
            c.prompted_at.0,
            ctx.now.0,
        ])?;
    Ok(())
}

/// Ends the chat's conversation and drops whatever drafts remain.
pub fn end(ctx: &WriteCtx<'_>, chat_id: i64) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("DELETE FROM conversations WHERE chat_id = ?1")?
        .execute([chat_id])?;
    ctx.conn
        .prepare_cached("DELETE FROM drafts WHERE chat_id = ?1")?
        .execute([chat_id])?;
    Ok(())
}

/// Chats whose conversation is at `stage` (or, `other_than`, at any other
/// stage) and untouched since before `before`.
pub fn untouched(
    db: &impl Db,
    stage: &str,
    other_than: bool,
    before: Timestamp,
    limit: usize,
) -> Result<Vec<i64>, StoreError> {
    let sql = if other_than {
        "SELECT chat_id FROM conversations WHERE stage <> ?1 AND updated_at < ?2 LIMIT ?3"
    } else {
        "SELECT chat_id FROM conversations WHERE stage = ?1 AND updated_at < ?2 LIMIT ?3"
    };
    Ok(db
        .conn()
        .prepare_cached(sql)?
        .query_map(params![stage, before.0, limit as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// When the least recently touched conversation in `stage` (or, with
/// `other_than`, in any other stage) was touched (`untouched`'s look-ahead).
pub fn least_recently_touched(
    db: &impl Db,
    stage: &str,
    other_than: bool,
) -> Result<Option<Timestamp>, StoreError> {
    let sql = if other_than {
        "SELECT min(updated_at) FROM conversations WHERE stage <> ?1"
    } else {
        "SELECT min(updated_at) FROM conversations WHERE stage = ?1"
    };
    super::rows::earliest(db, sql, [stage])
}

/// A customer message held until the ticket exists.
#[derive(Debug, Clone)]
pub struct Draft {
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub telegram_message_id: Option<i64>,
    pub sent_at: Option<Timestamp>,
    /// The clarifying question it answers.
    pub question: Option<String>,
    pub edited_at: Option<Timestamp>,
    /// When it reached us (set on insert; the message filed from it keeps
    /// this time).
    pub received_at: Timestamp,
}

pub fn add_draft(ctx: &WriteCtx<'_>, chat_id: i64, d: &Draft) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO drafts (chat_id, text, attachments, telegram_message_id, sent_at, question, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            chat_id,
            d.text,
            serde_json::to_string(&d.attachments)?,
            d.telegram_message_id,
            d.sent_at.map(|t| t.0),
            d.question,
            ctx.now.0,
        ])?;
    Ok(())
}

/// The chat's drafts, oldest first.
pub fn drafts(db: &impl Db, chat_id: i64) -> Result<Vec<Draft>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT text, attachments, telegram_message_id, sent_at, question, edited_at, created_at
             FROM drafts
             WHERE chat_id = ?1 ORDER BY id",
        )?
        .query_map([chat_id], |r| {
            Ok(Draft {
                text: r.get(0)?,
                attachments: super::rows::json_col(r, 1)?,
                telegram_message_id: r.get(2)?,
                sent_at: r.get::<_, Option<i64>>(3)?.map(Timestamp),
                question: r.get(4)?,
                edited_at: r.get::<_, Option<i64>>(5)?.map(Timestamp),
                received_at: Timestamp(r.get(6)?),
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// The customer edited a held message; false when no draft has that id.
pub fn edit_draft(
    ctx: &WriteCtx<'_>,
    chat_id: i64,
    telegram_message_id: i64,
    text: &str,
) -> Result<bool, StoreError> {
    Ok(ctx
        .conn
        .prepare_cached(
            "UPDATE drafts SET text = ?3, edited_at = ?4 WHERE chat_id = ?1 AND telegram_message_id = ?2",
        )?
        .execute(params![chat_id, telegram_message_id, text, ctx.now.0])?
        > 0)
}

/// When a notice of `kind` last went to the chat.
pub fn notice_at(db: &impl Db, chat_id: i64, kind: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT at FROM notices WHERE chat_id = ?1 AND kind = ?2")?
        .query_row(params![chat_id, kind], |r| r.get(0).map(Timestamp))
        .optional()?)
}

pub fn set_notice(ctx: &WriteCtx<'_>, chat_id: i64, kind: &str) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO notices (chat_id, kind, at) VALUES (?1, ?2, ?3)
             ON CONFLICT (chat_id, kind) DO UPDATE SET at = excluded.at",
        )?
        .execute(params![chat_id, kind, ctx.now.0])?;
    Ok(())
}
