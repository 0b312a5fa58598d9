//! Customer groups: organisations, the groups the bot is in, staff links,
//! group messages and the conversations they form (docs/groups.md).

use rusqlite::{OptionalExtension, params};
use shared::{AgentId, Timestamp};

use super::{Db, StoreError, WriteCtx};

/// A client company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub vip: bool,
    pub queue: String,
    /// A name under `[calendars]`; empty: its queue's calendar.
    pub calendar: String,
    pub reply_sla_ms: i64,
    pub language: String,
    /// Its groups' tickets are shown to its people in the mini app.
    pub app_shared: bool,
}

/// A group the bot is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub chat_id: i64,
    pub title: String,
    pub forum: bool,
    pub organisation: Option<i64>,
    pub bot_status: String,
    pub seen_at: Timestamp,
}

/// A conversation inside a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: i64,
    pub chat_id: i64,
    pub thread_id: Option<i64>,
    pub opened_by: i64,
    pub opened_at: Timestamp,
    pub last_at: Timestamp,
    pub owed_since: Option<Timestamp>,
    pub owed_message_id: Option<i64>,
    pub due_at: Option<Timestamp>,
    /// When the last unanswered-chat alert went out.
    pub alerted_at: Option<Timestamp>,
    /// Breach alerts sent since it became owed.
    pub alerts: u32,
    /// When the warning before the due time went out.
    pub warned_at: Option<Timestamp>,
    /// The engineer who acknowledged the alert (not repeated).
    pub acked_by: Option<AgentId>,
    /// The ticket it was turned into.
    pub ticket_id: Option<shared::TicketId>,
}

impl Conversation {
    /// Staff answered (or it is owed no more): the clock and its alerts stop.
    pub fn answered(&mut self) {
        self.owed_since = None;
        self.owed_message_id = None;
        self.due_at = None;
        self.alerted_at = None;
        self.alerts = 0;
        self.warned_at = None;
        self.acked_by = None;
    }
}

/// A group message to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage<'a> {
    pub chat_id: i64,
    pub message_id: i64,
    pub conversation: Option<i64>,
    pub thread_id: Option<i64>,
    pub reply_to: Option<i64>,
    pub author_id: i64,
    pub author_name: &'a str,
    pub side: &'a str,
    pub text: &'a str,
    pub sent_at: Timestamp,
}

pub fn add_organisation(ctx: &WriteCtx<'_>, o: &Organisation) -> Result<i64, StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO organisations (name, vip, queue, calendar, reply_sla_ms, language,
                 app_shared, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            o.name,
            o.vip,
            o.queue,
            o.calendar,
            o.reply_sla_ms,
            o.language,
            o.app_shared,
            ctx.now.0
        ])?;
    Ok(ctx.conn.last_insert_rowid())
}

/// Its groups' tickets shown to its people in the mini app, or not.
pub fn set_app_shared(ctx: &WriteCtx<'_>, id: i64, shared: bool) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE organisations SET app_shared = ?2 WHERE id = ?1")?
        .execute(params![id, shared])?;
    Ok(())
}

fn organisation_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Organisation> {
    Ok(Organisation {
        id: r.get(0)?,
        name: r.get(1)?,
        vip: r.get(2)?,
        queue: r.get(3)?,
        calendar: r.get(4)?,
        reply_sla_ms: r.get(5)?,
        language: r.get(6)?,
        app_shared: r.get(7)?,
    })
}

const ORGANISATION: &str =
    "SELECT id, name, vip, queue, calendar, reply_sla_ms, language, app_shared FROM organisations";

pub fn organisations(db: &impl Db) -> Result<Vec<Organisation>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("{ORGANISATION} ORDER BY name"))?
        .query_map([], organisation_row)?
        .collect::<Result<_, _>>()?)
}

pub fn organisation(db: &impl Db, id: i64) -> Result<Option<Organisation>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("{ORGANISATION} WHERE id = ?1"))?
        .query_row([id], organisation_row)
        .optional()?)
}

pub fn organisation_named(db: &impl Db, name: &str) -> Result<Option<Organisation>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("{ORGANISATION} WHERE name = ?1"))?
        .query_row([name], organisation_row)
        .optional()?)
}

/// The bot is in a group (first seen, or seen again with a new title or
/// status). Binding stays as it was.
pub fn seen_group(
    ctx: &WriteCtx<'_>,
    chat_id: i64,
    title: &str,
    forum: bool,
    bot_status: Option<&str>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO groups (chat_id, title, forum, bot_status, seen_at)
             VALUES (?1, ?2, ?3, coalesce(?4, 'member'), ?5)
             ON CONFLICT (chat_id) DO UPDATE SET title = excluded.title, forum = excluded.forum,
                 bot_status = coalesce(?4, bot_status), seen_at = excluded.seen_at",
        )?
        .execute(params![chat_id, title, forum, bot_status, ctx.now.0])?;
    Ok(())
}

fn group_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Group> {
    Ok(Group {
        chat_id: r.get(0)?,
        title: r.get(1)?,
        forum: r.get(2)?,
        organisation: r.get(3)?,
        bot_status: r.get(4)?,
        seen_at: Timestamp(r.get(5)?),
    })
}

const GROUP: &str =
    "SELECT chat_id, title, forum, organisation_id, bot_status, seen_at FROM groups";

pub fn groups(db: &impl Db) -> Result<Vec<Group>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!(
            "{GROUP} ORDER BY organisation_id IS NOT NULL, title"
        ))?
        .query_map([], group_row)?
        .collect::<Result<_, _>>()?)
}

pub fn group(db: &impl Db, chat_id: i64) -> Result<Option<Group>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("{GROUP} WHERE chat_id = ?1"))?
        .query_row([chat_id], group_row)
        .optional()?)
}

/// Binds a group to an organisation (or unbinds it: `None`). False when
/// the bot was never in that group.
pub fn bind(
    ctx: &WriteCtx<'_>,
    chat_id: i64,
    organisation: Option<i64>,
) -> Result<bool, StoreError> {
    Ok(ctx
        .conn
        .prepare_cached("UPDATE groups SET organisation_id = ?2 WHERE chat_id = ?1")?
        .execute(params![chat_id, organisation])?
        > 0)
}

/// A group upgraded to a supergroup got a new chat id: its binding,
/// conversations (their messages and clocks) and overrides move to it.
/// If the new id was seen already, the two merge (the old binding wins
/// where the new one has none). False when `from` is unknown.
pub fn move_group(ctx: &WriteCtx<'_>, from: i64, to: i64) -> Result<bool, StoreError> {
    let Some(old) = group(ctx, from)? else {
        return Ok(false);
    };
    let conn = ctx.conn;
    conn.prepare_cached(
        "INSERT INTO groups (chat_id, title, forum, organisation_id, bot_status, seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (chat_id) DO UPDATE SET
             organisation_id = coalesce(organisation_id, excluded.organisation_id)",
    )?
    .execute(params![
        to,
        old.title,
        old.forum,
        old.organisation,
        old.bot_status,
        ctx.now.0
    ])?;
    // A staff command's deletion names a message of the old chat: it
    // cannot follow.
    conn.prepare_cached(
        "DELETE FROM outbox WHERE chat_id = ?1 AND kind IS 'delete' AND state = 'pending'",
    )?
    .execute([from])?;
    // Messages stay under the chat id they were sent in (the supergroup
    // numbers its messages afresh: moved, they could shadow new ones); they
    // keep their conversation, which moves.
    for sql in [
        "UPDATE group_conversations SET chat_id = ?2 WHERE chat_id = ?1",
        "UPDATE OR IGNORE group_people SET chat_id = ?2 WHERE chat_id = ?1",
        // Its people keep their standing (newcomer, trusted, banned, left).
        "UPDATE OR IGNORE group_members SET chat_id = ?2 WHERE chat_id = ?1",
        // Tickets made from its conversations talk in the new chat; what
        // waits to be sent goes there.
        "UPDATE tickets SET chat_id = ?2 WHERE chat_id = ?1 AND group_conversation IS NOT NULL",
        "UPDATE outbox SET chat_id = ?2, reply_to = NULL WHERE chat_id = ?1 AND state = 'pending'",
    ] {
        conn.prepare_cached(sql)?.execute(params![from, to])?;
    }
    for sql in [
        "DELETE FROM group_people WHERE chat_id = ?1",
        "DELETE FROM group_members WHERE chat_id = ?1",
        "DELETE FROM groups WHERE chat_id = ?1",
    ] {
        conn.prepare_cached(sql)?.execute([from])?;
    }
    Ok(true)
}

/// Links an agent's Telegram account (replacing an earlier link of either).
pub fn link_staff(
    ctx: &WriteCtx<'_>,
    agent: AgentId,
    telegram_user_id: i64,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("DELETE FROM staff_links WHERE agent_id = ?1 OR telegram_user_id = ?2")?
        .execute(params![agent.0, telegram_user_id])?;
    ctx.conn
        .prepare_cached(
            "INSERT INTO staff_links (telegram_user_id, agent_id, linked_at) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![telegram_user_id, agent.0, ctx.now.0])?;
    Ok(())
}

/// The groups whose tickets this Telegram user may read in the mini app
/// (docs/miniapp.md, "Company"), with their titles: groups of an
/// organisation that shares them, the bot still in them, the user one of
/// their people as the bot last saw (not left, not banned, not staff, past
/// the captcha if they were set one).
pub fn shared_groups(
    db: &impl Db,
    telegram_user_id: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!(
            "SELECT g.chat_id, g.title FROM group_members m
             JOIN groups g ON g.chat_id = m.chat_id
             JOIN organisations o ON o.id = g.organisation_id
             WHERE m.user_id = ?1 AND m.left_at IS NULL AND m.banned_at IS NULL
               AND o.app_shared = 1 AND g.bot_status IN ('member', 'administrator')
               AND coalesce((SELECT c.state FROM captchas c
                             WHERE c.chat_id = m.chat_id AND c.user_id = m.user_id
                             ORDER BY c.id DESC LIMIT 1), 'passed') = 'passed'
               AND NOT {}
             ORDER BY g.chat_id",
            staff_expr("m.chat_id", "?1")
        ))?
        .query_map([telegram_user_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// SQL that is true when the Telegram user `user` is staff in the group
/// `chat`: the group's own word on them, else whether they are an agent's
/// linked account.
pub(crate) fn staff_expr(chat: &str, user: &str) -> String {
    format!(
        "coalesce(
             (SELECT staff FROM group_people WHERE chat_id = {chat} AND telegram_user_id = {user}),
             EXISTS (SELECT 1 FROM staff_links WHERE telegram_user_id = {user}))"
    )
}

/// Whether this person is staff in this group: a per-group override, else
/// a linked agent's account.
pub fn is_staff(db: &impl Db, chat_id: i64, telegram_user_id: i64) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("SELECT {}", staff_expr("?1", "?2")))?
        .query_row(params![chat_id, telegram_user_id], |r| r.get(0))?)
}

/// A per-group override: this person is staff here (or customer side).
pub fn set_person(
    ctx: &WriteCtx<'_>,
    chat_id: i64,
    telegram_user_id: i64,
    staff: bool,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO group_people (chat_id, telegram_user_id, staff) VALUES (?1, ?2, ?3)
             ON CONFLICT (chat_id, telegram_user_id) DO UPDATE SET staff = excluded.staff",
        )?
        .execute(params![chat_id, telegram_user_id, staff])?;
    Ok(())
}

/// The conversation a stored message belongs to.
pub fn conversation_of_message(
    db: &impl Db,
    chat_id: i64,
    message_id: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT conversation_id FROM group_messages WHERE chat_id = ?1 AND message_id = ?2",
        )?
        .query_row(params![chat_id, message_id], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten())
}

/// The latest conversation of a forum topic.
pub fn topic_conversation(
    db: &impl Db,
    chat_id: i64,
    thread_id: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT max(id) FROM group_conversations WHERE chat_id = ?1 AND thread_id = ?2",
        )?
        .query_row(params![chat_id, thread_id], |r| r.get(0))?)
}

/// The conversation `author` last wrote in, outside forum topics, at or
/// after `since`.
pub fn authors_recent(
    db: &impl Db,
    chat_id: i64,
    author: i64,
    since: Timestamp,
) -> Result<Option<i64>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT conversation_id FROM group_messages
             WHERE chat_id = ?1 AND author_id = ?2 AND sent_at >= ?3
               AND conversation_id IS NOT NULL AND thread_id IS NULL
             ORDER BY sent_at DESC LIMIT 1",
        )?
        .query_row(params![chat_id, author, since.0], |r| r.get(0))
        .optional()?)
}

/// The owed conversation outside forum topics with the newest activity.
pub fn latest_owed(db: &impl Db, chat_id: i64) -> Result<Option<i64>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT id FROM group_conversations
             WHERE chat_id = ?1 AND thread_id IS NULL AND owed_since IS NOT NULL
             ORDER BY last_at DESC LIMIT 1",
        )?
        .query_row([chat_id], |r| r.get(0))
        .optional()?)
}

pub fn open_conversation(
    ctx: &WriteCtx<'_>,
    chat_id: i64,
    thread_id: Option<i64>,
    opened_by: i64,
    at: Timestamp,
) -> Result<i64, StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO group_conversations (chat_id, thread_id, opened_by, opened_at, last_at)
             VALUES (?1, ?2, ?3, ?4, ?4)",
        )?
        .execute(params![chat_id, thread_id, opened_by, at.0])?;
    Ok(ctx.conn.last_insert_rowid())
}

fn conversation_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Conversation> {
    let ts = |i: usize| -> rusqlite::Result<Option<Timestamp>> {
        Ok(r.get::<_, Option<i64>>(i)?.map(Timestamp))
    };
    Ok(Conversation {
        id: r.get(0)?,
        chat_id: r.get(1)?,
        thread_id: r.get(2)?,
        opened_by: r.get(3)?,
        opened_at: Timestamp(r.get(4)?),
        last_at: Timestamp(r.get(5)?),
        owed_since: ts(6)?,
        owed_message_id: r.get(7)?,
        due_at: ts(8)?,
        alerted_at: ts(9)?,
        alerts: r.get(10)?,
        warned_at: ts(11)?,
        acked_by: r.get::<_, Option<i64>>(12)?.map(AgentId),
        ticket_id: r.get::<_, Option<i64>>(13)?.map(shared::TicketId),
    })
}

const CONVERSATION: &str =
    "SELECT id, chat_id, thread_id, opened_by, opened_at, last_at, owed_since,
     owed_message_id, due_at, alerted_at, alerts, warned_at, acked_by, ticket_id
     FROM group_conversations";

pub fn conversation(db: &impl Db, id: i64) -> Result<Option<Conversation>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("{CONVERSATION} WHERE id = ?1"))?
        .query_row([id], conversation_row)
        .optional()?)
}

/// A group's conversations, newest first.
pub fn conversations(
    db: &impl Db,
    chat_id: i64,
    limit: usize,
) -> Result<Vec<Conversation>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!(
            "{CONVERSATION} WHERE chat_id = ?1 ORDER BY last_at DESC, id DESC LIMIT ?2"
        ))?
        .query_map(params![chat_id, limit as i64], conversation_row)?
        .collect::<Result<_, _>>()?)
}

/// A group's owed conversations.
pub fn owed_in(db: &impl Db, chat_id: i64) -> Result<Vec<Conversation>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!(
            "{CONVERSATION} WHERE chat_id = ?1 AND owed_since IS NOT NULL"
        ))?
        .query_map([chat_id], conversation_row)?
        .collect::<Result<_, _>>()?)
}

/// The name of who opened a conversation (its first message's author).
pub fn opener_name(db: &impl Db, conversation: i64) -> Result<Option<String>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT author_name FROM group_messages WHERE conversation_id = ?1
             ORDER BY sent_at, message_id LIMIT 1",
        )?
        .query_row([conversation], |r| r.get(0))
        .optional()?)
}

/// Saves what changed in a conversation: its last activity and who owes.
pub fn save_conversation(ctx: &WriteCtx<'_>, c: &Conversation) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE group_conversations SET last_at = ?2, owed_since = ?3, owed_message_id = ?4,
                 due_at = ?5, alerted_at = ?6, alerts = ?7, warned_at = ?8, acked_by = ?9,
                 ticket_id = ?10 WHERE id = ?1",
        )?
        .execute(params![
            c.id,
            c.last_at.0,
            c.owed_since.map(|t| t.0),
            c.owed_message_id,
            c.due_at.map(|t| t.0),
            c.alerted_at.map(|t| t.0),
            c.alerts,
            c.warned_at.map(|t| t.0),
            c.acked_by.map(|a| a.0),
            c.ticket_id.map(|t| t.0),
        ])?;
    Ok(())
}

/// Stores a group message; its desk id, or `None` if it was stored before
/// (a redelivery).
pub fn add_message(ctx: &WriteCtx<'_>, m: &NewMessage<'_>) -> Result<Option<i64>, StoreError> {
    let added = ctx
        .conn
        .prepare_cached(
            "INSERT OR IGNORE INTO group_messages (chat_id, message_id, conversation_id, thread_id,
                 reply_to, author_id, author_name, side, text, sent_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            m.chat_id,
            m.message_id,
            m.conversation,
            m.thread_id,
            m.reply_to,
            m.author_id,
            m.author_name,
            m.side,
            m.text,
            m.sent_at.0
        ])?
        > 0;
    Ok(added.then(|| ctx.conn.last_insert_rowid()))
}

/// Whether a message was stored already.
pub fn has_message(db: &impl Db, chat_id: i64, message_id: i64) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM group_messages WHERE chat_id = ?1 AND message_id = ?2)",
        )?
        .query_row(params![chat_id, message_id], |r| r.get(0))?)
}

/// An edit of a stored message: its new text.
pub fn edit_message(
    ctx: &WriteCtx<'_>,
    chat_id: i64,
    message_id: i64,
    text: &str,
) -> Result<bool, StoreError> {
    Ok(ctx
        .conn
        .prepare_cached(
            "UPDATE group_messages SET text = ?3, edited_at = ?4 WHERE chat_id = ?1 AND message_id = ?2",
        )?
        .execute(params![chat_id, message_id, text, ctx.now.0])?
        > 0)
}

/// A group message as listed: (message id, side, author name, text).
pub fn messages_of(
    db: &impl Db,
    conversation: i64,
) -> Result<Vec<(i64, String, String, String)>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT message_id, side, author_name, text FROM group_messages
             WHERE conversation_id = ?1 ORDER BY sent_at, message_id",
        )?
        .query_map([conversation], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?)
}

/// Owed conversations whose alert is due at `now`: past their due time and
/// never alerted, or alerted `repeat` ago or more and not acknowledged.
/// Oldest due first.
pub fn alerts_due(
    db: &impl Db,
    now: Timestamp,
    repeat: std::time::Duration,
    limit: usize,
) -> Result<Vec<i64>, StoreError> {
    let again = now.0 - repeat.as_millis() as i64;
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT id FROM group_conversations
             WHERE due_at IS NOT NULL AND due_at <= ?1
               AND (alerted_at IS NULL OR (alerted_at <= ?2 AND acked_by IS NULL))
             ORDER BY due_at LIMIT ?3",
        )?
        .query_map(params![now.0, again, limit as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// When the next alert is due: a due time not yet alerted, a repeat (not
/// after an acknowledgement), or a warning `warn` before a due time.
pub fn next_alert(
    db: &impl Db,
    repeat: std::time::Duration,
    warn: std::time::Duration,
) -> Result<Option<Timestamp>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT min(t) FROM (
                 SELECT min(due_at) AS t FROM group_conversations
                     WHERE due_at IS NOT NULL AND alerted_at IS NULL
                 UNION ALL
                 SELECT min(max(alerted_at + ?1, due_at)) FROM group_conversations
                     WHERE due_at IS NOT NULL AND alerted_at IS NOT NULL AND acked_by IS NULL
                 UNION ALL
                 SELECT min(due_at) - ?2 FROM group_conversations
                     WHERE due_at IS NOT NULL AND warned_at IS NULL AND alerted_at IS NULL
                       AND acked_by IS NULL)",
        )?
        .query_row(
            params![repeat.as_millis() as i64, warn.as_millis() as i64],
            |r| r.get::<_, Option<i64>>(0),
        )?
        .map(Timestamp))
}

/// Owed conversations due within `warn` of `now` that were neither warned
/// nor alerted yet. Soonest first.
pub fn warnings_due(
    db: &impl Db,
    now: Timestamp,
    warn: std::time::Duration,
    limit: usize,
) -> Result<Vec<i64>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT id FROM group_conversations
             WHERE due_at IS NOT NULL AND warned_at IS NULL AND alerted_at IS NULL
               AND acked_by IS NULL AND due_at - ?2 <= ?1 AND due_at > ?1
             ORDER BY due_at LIMIT ?3",
        )?
        .query_map(params![now.0, warn.as_millis() as i64, limit as i64], |r| {
            r.get(0)
        })?
        .collect::<Result<_, _>>()?)
}

/// A stored group message's author name and text.
pub fn message(
    db: &impl Db,
    chat_id: i64,
    message_id: i64,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT author_name, text FROM group_messages WHERE chat_id = ?1 AND message_id = ?2",
        )?
        .query_row(params![chat_id, message_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Who wrote a stored group message (their Telegram user id).
pub fn author_of(db: &impl Db, chat_id: i64, message_id: i64) -> Result<Option<i64>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT author_id FROM group_messages WHERE chat_id = ?1 AND message_id = ?2",
        )?
        .query_row(params![chat_id, message_id], |r| r.get(0))
        .optional()?)
}

/// Keeps a one-time link code's hash for `agent` until `expires_at`
/// (replacing the agent's earlier code).
pub fn put_link_code(
    ctx: &WriteCtx<'_>,
    agent: AgentId,
    code_hash: &str,
    expires_at: Timestamp,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("DELETE FROM link_codes WHERE agent_id = ?1 OR expires_at <= ?2")?
        .execute(params![agent.0, ctx.now.0])?;
    ctx.conn
        .prepare_cached(
            "INSERT INTO link_codes (code_hash, agent_id, expires_at) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![code_hash, agent.0, expires_at.0])?;
    Ok(())
}

/// Takes a link code (it works once): the agent it was made for, if it
/// exists and has not expired.
pub fn take_link_code(ctx: &WriteCtx<'_>, code_hash: &str) -> Result<Option<AgentId>, StoreError> {
    let found: Option<(i64, i64)> = ctx
        .conn
        .prepare_cached("SELECT agent_id, expires_at FROM link_codes WHERE code_hash = ?1")?
        .query_row([code_hash], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    ctx.conn
        .prepare_cached("DELETE FROM link_codes WHERE code_hash = ?1")?
        .execute([code_hash])?;
    Ok(found
        .filter(|(_, expires)| *expires > ctx.now.0)
        .map(|(a, _)| AgentId(a)))
}

/// When someone last wrote in a group, if ever (messages kept).
pub fn last_written(
    db: &impl Db,
    chat_id: i64,
    author: i64,
) -> Result<Option<Timestamp>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT max(sent_at) FROM group_messages WHERE chat_id = ?1 AND author_id = ?2",
        )?
        .query_row(params![chat_id, author], |r| r.get::<_, Option<i64>>(0))?
        .map(Timestamp))
}

/// How many conversations owe a client a reply.
pub fn owed_count(db: &impl Db) -> Result<u64, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT count(*) FROM group_conversations WHERE owed_since IS NOT NULL")?
        .query_row([], |r| r.get(0))?)
}
