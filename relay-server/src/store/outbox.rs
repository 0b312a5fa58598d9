//! The outbox table: messages waiting to reach Telegram, one row each, in
//! per-chat order. Queuing a row wakes the sender when the job commits.

use rusqlite::{OptionalExtension, params};
use shared::{Attachment, MessageId, TicketId, Timestamp};

use super::{Db, StoreError, WriteCtx};

/// A message due to be sent.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: i64,
    /// The thread message it delivers; `None` for a bot message outside
    /// any ticket (a prompt before the ticket exists).
    pub message_id: Option<MessageId>,
    pub chat_id: i64,
    pub text: String,
    /// The buttons under it, as the domain stored them (`Keyboard` JSON).
    pub markup: Option<String>,
    pub attempts: u32,
    /// Files to send with it (an engineer's upload): the text is their caption.
    pub attachments: Vec<Attachment>,
    /// The chat's customer's data export, built when sent (`/mydata`): the
    /// text is its caption.
    pub export: bool,
    /// A message of the chat to delete (`outbox.kind = 'delete'`): a
    /// staff command the bot acted on.
    pub delete: Option<i64>,
    /// The forum topic it goes to.
    pub thread_id: Option<i64>,
    /// The message it replies to (sent even if that one is gone).
    pub reply_to: Option<i64>,
}

/// The next message of each chat, when it is due and nothing is being
/// sent to that chat: per-chat order is kept.
pub fn due(db: &impl Db, now: Timestamp, limit: usize) -> Result<Vec<Due>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT o.id, o.message_id, o.chat_id, coalesce(m.text, o.text), o.markup, o.attempts,
                    coalesce(m.attachments, '[]'), o.kind IS 'export', o.thread_id, o.reply_to, o.kind IS 'delete'
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
                attachments: super::rows::json_col(r, 6)?,
                export: r.get(7)?,
                thread_id: r.get(8)?,
                reply_to: r.get(9)?,
                delete: if r.get(10)? { r.get(9)? } else { None },
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

/// When the next row waiting for a later try becomes due (after `now`).
pub fn next_due_after(db: &impl Db, now: Timestamp) -> Result<Option<Timestamp>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending' AND next_attempt_at > ?1",
        )?
        .query_row([now.0], |r| r.get::<_, Option<i64>>(0))?
        .map(Timestamp))
}

/// Marks rows as handed to Telegram (before the request goes out).
/// Returns how many were still waiting (a row failed meanwhile is skipped).
pub fn mark_sending(ctx: &WriteCtx<'_>, ids: &[i64]) -> Result<usize, StoreError> {
    let mut stmt = ctx.conn.prepare_cached(
        "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?1 AND state = 'pending'",
    )?;
    let mut n = 0;
    for id in ids {
        n += stmt.execute([id])?;
    }
    Ok(n)
}

/// What a removed outbox row delivered.
#[derive(Debug, Clone, Copy)]
pub struct Taken {
    /// The thread message it delivers.
    pub message: Option<MessageId>,
    /// The group message it delivers (a workstation reply into a group).
    pub group_message: Option<i64>,
    /// How many of its tries' answers were lost.
    pub lost: u32,
    /// The safety rules' post it is (a notice, a captcha, the list of
    /// official accounts).
    pub safety_call: Option<i64>,
    /// When it was queued.
    pub created_at: Timestamp,
}

/// Removes a row; returns what it delivered (`None`: it was gone).
pub fn take(ctx: &WriteCtx<'_>, id: i64) -> Result<Option<Taken>, StoreError> {
    let row = ctx
        .conn
        .prepare_cached(
            "SELECT message_id, group_message, ambiguous, created_at, safety_call FROM outbox WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(Taken {
                message: r.get::<_, Option<i64>>(0)?.map(MessageId),
                group_message: r.get(1)?,
                lost: r.get(2)?,
                created_at: Timestamp(r.get(3)?),
                safety_call: r.get(4)?,
            })
        })
        .optional()?;
    ctx.conn
        .prepare_cached("DELETE FROM outbox WHERE id = ?1")?
        .execute([id])?;
    Ok(row)
}

/// Back to waiting, to be tried at `at`. `ambiguous`: this try may have
/// reached Telegram (the row counts such tries). `counts`: false when the
/// try was not the message's fault; it does not use up one of its tries.
/// Returns how many tries' answers are now lost (0 for a gone row).
pub fn retry(
    ctx: &mut WriteCtx<'_>,
    id: i64,
    at: Timestamp,
    error: &str,
    ambiguous: bool,
    counts: bool,
) -> Result<u32, StoreError> {
    let lost = ctx
        .conn
        .prepare_cached(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?2, last_error = ?3, ambiguous = ambiguous + ?4,
                 attempts = CASE WHEN ?5 THEN attempts ELSE max(attempts - 1, 0) END
             WHERE id = ?1 RETURNING ambiguous",
        )?
        .query_row(params![id, at.0, error, ambiguous, counts], |r| r.get(0))
        .optional()?;
    ctx.outbox_queued = true;
    Ok(lost.unwrap_or(0))
}

/// A row a stopped server left `sending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted {
    pub id: i64,
    pub chat_id: i64,
    /// Tries whose answer is lost, this one included.
    pub lost: u32,
}

/// Rows left `sending` by a stopped server back to waiting, each counted
/// as one more try whose answer was lost.
pub fn recover(ctx: &mut WriteCtx<'_>) -> Result<Vec<Interrupted>, StoreError> {
    let rows = ctx
        .conn
        .prepare(
            "UPDATE outbox SET state = 'pending', ambiguous = ambiguous + 1,
                 last_error = 'the server stopped while sending'
             WHERE state = 'sending' RETURNING id, chat_id, ambiguous",
        )?
        .query_map([], |r| {
            Ok(Interrupted {
                id: r.get(0)?,
                chat_id: r.get(1)?,
                lost: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    ctx.outbox_queued |= !rows.is_empty();
    Ok(rows)
}

/// A request went out to `chat` at `at` (recorded with its outcome).
pub fn note_send(ctx: &WriteCtx<'_>, chat: i64, at: Timestamp) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO chat_sends (chat_id, sent_at) VALUES (?1, ?2)
             ON CONFLICT (chat_id) DO UPDATE SET sent_at = max(sent_at, excluded.sent_at)",
        )?
        .execute(params![chat, at.0])?;
    Ok(())
}

/// Chats a request went out to after `since`, with when; older records
/// are removed (they no longer limit anything).
pub fn recent_sends(
    ctx: &WriteCtx<'_>,
    since: Timestamp,
) -> Result<Vec<(i64, Timestamp)>, StoreError> {
    ctx.conn
        .prepare_cached("DELETE FROM chat_sends WHERE sent_at <= ?1")?
        .execute([since.0])?;
    Ok(ctx
        .conn
        .prepare_cached("SELECT chat_id, sent_at FROM chat_sends ORDER BY sent_at")?
        .query_map([], |r| Ok((r.get(0)?, Timestamp(r.get(1)?))))?
        .collect::<Result<_, _>>()?)
}

/// The rows still waiting for a chat, oldest first.
pub fn pending_for_chat(db: &impl Db, chat: i64) -> Result<Vec<i64>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT id FROM outbox WHERE chat_id = ?1 AND state = 'pending' ORDER BY id",
        )?
        .query_map([chat], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Queues a thread message for its ticket's chat (for a ticket made from
/// a group conversation: the group, in its topic, as a reply to the
/// client's last message there).
pub fn enqueue_message(
    ctx: &mut WriteCtx<'_>,
    message: MessageId,
    ticket: TicketId,
    markup: Option<&str>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO outbox (message_id, chat_id, markup, next_attempt_at, created_at,
                 thread_id, reply_to)
             SELECT ?1, t.chat_id, ?2, ?3, ?3, c.thread_id,
                 (SELECT m.message_id FROM group_messages m
                  WHERE m.conversation_id = c.id AND m.chat_id = t.chat_id
                    AND m.message_id IS NOT NULL AND m.side = 'customer'
                  ORDER BY m.id DESC LIMIT 1)
             FROM tickets t LEFT JOIN group_conversations c ON c.id = t.group_conversation
             WHERE t.id = ?4",
        )?
        .execute(params![message.0, markup, ctx.now.0, ticket.0])?;
    ctx.outbox_queued = true;
    Ok(())
}

/// Queues a text that belongs to no ticket for a chat.
pub fn enqueue_text(
    ctx: &mut WriteCtx<'_>,
    chat: i64,
    text: &str,
    markup: Option<&str>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO outbox (chat_id, text, markup, next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        )?
        .execute(params![chat, text, markup, ctx.now.0])?;
    ctx.outbox_queued = true;
    Ok(())
}

/// Queues the chat's customer's data export (`/mydata`), sent as a JSON
/// document with `caption`.
pub fn enqueue_export(ctx: &mut WriteCtx<'_>, chat: i64, caption: &str) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO outbox (chat_id, text, kind, next_attempt_at, created_at) VALUES (?1, ?2, 'export', ?3, ?3)",
        )?
        .execute(params![chat, caption, ctx.now.0])?;
    ctx.outbox_queued = true;
    Ok(())
}

/// How much waits: rows pending, rows being sent, and when the oldest
/// pending row was queued (for `/metrics`).
pub fn depth(db: &impl Db) -> Result<(u64, u64, Option<Timestamp>), StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'sending'), 0),
                    min(CASE WHEN state = 'pending' THEN created_at END)
             FROM outbox",
        )?
        .query_row([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, Option<i64>>(2)?.map(Timestamp),
            ))
        })?)
}

/// The texts queued for a chat, oldest first (a thread message's own text
/// where the row delivers one).
pub fn texts_for(db: &impl Db, chat: i64) -> Result<Vec<String>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT coalesce(m.text, o.text) FROM outbox o LEFT JOIN messages m ON m.id = o.message_id
             WHERE o.chat_id = ?1 ORDER BY o.id",
        )?
        .query_map([chat], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?)
}

/// The buttons queued for a chat, oldest first (`None`: a message
/// without any).
pub fn markups_for(db: &impl Db, chat: i64) -> Result<Vec<Option<String>>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT markup FROM outbox WHERE chat_id = ?1 ORDER BY id")?
        .query_map([chat], |r| r.get::<_, Option<String>>(0))?
        .collect::<Result<_, _>>()?)
}

/// Where the queues of messages to customers stand (the outbox and the
/// held messages), to find what a job adds after it.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingMark {
    outbox: i64,
    scheduled: i64,
}

pub fn outgoing_mark(db: &impl Db) -> Result<OutgoingMark, StoreError> {
    Ok(db.conn().query_row(
        "SELECT (SELECT coalesce(max(id), 0) FROM outbox), (SELECT coalesce(max(id), 0) FROM scheduled)",
        [],
        |r| {
            Ok(OutgoingMark {
                outbox: r.get(0)?,
                scheduled: r.get(1)?,
            })
        },
    )?)
}

/// The texts queued for the ticket's customer since `mark`, in order:
/// sent now, then held (quiet hours).
pub fn outgoing_since(
    db: &impl Db,
    mark: OutgoingMark,
    ticket: TicketId,
) -> Result<Vec<String>, StoreError> {
    let conn = db.conn();
    let mut texts: Vec<String> = conn
        .prepare_cached(
            "SELECT coalesce(o.text, m.text) FROM outbox o LEFT JOIN messages m ON m.id = o.message_id
             WHERE o.id > ?1 AND o.chat_id = (SELECT chat_id FROM tickets WHERE id = ?2)
             ORDER BY o.id",
        )?
        .query_map(params![mark.outbox, ticket.0], |r| r.get::<_, Option<String>>(0))?
        .filter_map(|t| t.transpose())
        .collect::<Result<_, _>>()?;
    let held: Vec<String> = conn
        .prepare_cached(
            "SELECT text FROM scheduled WHERE id > ?1 AND ticket_id = ?2 AND kind = 'message'
             AND text IS NOT NULL ORDER BY id",
        )?
        .query_map(params![mark.scheduled, ticket.0], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    texts.extend(held);
    Ok(texts)
}
