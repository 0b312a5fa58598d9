//! Customer groups as the workstation sees them: the wire records
//! (`shared::groups`) read from the tables, for events and snapshots, and
//! the writes of replies sent from the workstation.

use rusqlite::{OptionalExtension, params};
use shared::*;

use super::{Db, StoreError, WriteCtx};

fn ts(v: Option<i64>) -> Option<Timestamp> {
    v.map(Timestamp)
}

const ORGANISATION: &str = "SELECT id, name, vip, queue, language, reply_sla_ms FROM organisations";

fn organisation_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Organisation> {
    Ok(Organisation {
        id: OrganisationId(r.get(0)?),
        name: r.get(1)?,
        vip: r.get(2)?,
        queue: QueueId(r.get(3)?),
        language: r.get(4)?,
        reply_sla_minutes: u32::try_from(r.get::<_, i64>(5)? / 60_000).unwrap_or(u32::MAX),
    })
}

pub fn organisation(db: &impl Db, id: i64) -> Result<Option<Organisation>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("{ORGANISATION} WHERE id = ?1"))?
        .query_row([id], organisation_row)
        .optional()?)
}

pub fn organisations(db: &impl Db) -> Result<Vec<Organisation>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("{ORGANISATION} ORDER BY name"))?
        .query_map([], organisation_row)?
        .collect::<Result<_, _>>()?)
}

const GROUP: &str = "SELECT g.chat_id, g.title, g.forum, g.organisation_id, o.queue, g.bot_status
     FROM groups g LEFT JOIN organisations o ON o.id = g.organisation_id";

fn group_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Group> {
    Ok(Group {
        chat_id: r.get(0)?,
        title: r.get(1)?,
        forum: r.get(2)?,
        organisation_id: r.get::<_, Option<i64>>(3)?.map(OrganisationId),
        queue: r.get::<_, Option<String>>(4)?.map(QueueId),
        bot_status: r.get(5)?,
    })
}

pub fn group(db: &impl Db, chat_id: i64) -> Result<Option<Group>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("{GROUP} WHERE g.chat_id = ?1"))?
        .query_row([chat_id], group_row)
        .optional()?)
}

pub fn groups(db: &impl Db) -> Result<Vec<Group>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("{GROUP} ORDER BY g.title, g.chat_id"))?
        .query_map([], group_row)?
        .collect::<Result<_, _>>()?)
}

const CONVERSATION: &str = "SELECT c.id, c.chat_id, o.queue, c.thread_id, c.opened_by,
         coalesce((SELECT author_name FROM group_messages m
                   WHERE m.conversation_id = c.id AND m.author_id = c.opened_by
                   ORDER BY m.sent_at, m.id LIMIT 1), ''),
         c.opened_at, c.last_at, c.owed_since, c.due_at, c.alerted_at, c.acked_by, c.ticket_id,
         (SELECT count(*) FROM group_messages m WHERE m.conversation_id = c.id)
     FROM group_conversations c
     LEFT JOIN groups g ON g.chat_id = c.chat_id
     LEFT JOIN organisations o ON o.id = g.organisation_id";

fn conversation_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<GroupConversation> {
    Ok(GroupConversation {
        id: ConversationId(r.get(0)?),
        chat_id: r.get(1)?,
        queue: r.get::<_, Option<String>>(2)?.map(QueueId),
        thread_id: r.get(3)?,
        opened_by_id: r.get(4)?,
        opened_by: r.get(5)?,
        opened_at: Timestamp(r.get(6)?),
        last_at: Timestamp(r.get(7)?),
        owed_since: ts(r.get(8)?),
        due_at: ts(r.get(9)?),
        alerted_at: ts(r.get(10)?),
        acked_by: r.get::<_, Option<i64>>(11)?.map(AgentId),
        ticket_id: r.get::<_, Option<i64>>(12)?.map(TicketId),
        message_count: r.get(13)?,
    })
}

pub fn conversation(db: &impl Db, id: i64) -> Result<Option<GroupConversation>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("{CONVERSATION} WHERE c.id = ?1"))?
        .query_row([id], conversation_row)
        .optional()?)
}

/// Conversations owed, or active at or after `since`, newest first: the
/// first `limit` that `keep` lets through (what a reader may read).
pub fn live_conversations(
    db: &impl Db,
    since: Timestamp,
    limit: usize,
    keep: impl Fn(&GroupConversation) -> bool,
) -> Result<Vec<GroupConversation>, StoreError> {
    let conn = db.conn();
    let mut stmt = conn.prepare_cached(&format!(
        "{CONVERSATION} WHERE c.owed_since IS NOT NULL OR c.last_at >= ?1
         ORDER BY c.last_at DESC, c.id DESC"
    ))?;
    let mut rows = stmt.query([since.0])?;
    let mut out = Vec::new();
    while out.len() < limit
        && let Some(r) = rows.next()?
    {
        let c = conversation_row(r)?;
        if keep(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

const MESSAGE: &str = "SELECT m.id, m.chat_id, m.conversation_id, m.message_id, m.reply_to,
         m.author_id, m.author_name, m.side, m.agent_id, m.text, m.sent_at, m.edited_at,
         m.delivery, m.delivery_reason, m.delivery_at, o.queue
     FROM group_messages m
     LEFT JOIN group_conversations c ON c.id = m.conversation_id
     LEFT JOIN groups g ON g.chat_id = coalesce(c.chat_id, m.chat_id)
     LEFT JOIN organisations o ON o.id = g.organisation_id";

fn message_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<GroupMessage> {
    let side: String = r.get(7)?;
    let delivery = r
        .get::<_, Option<String>>(12)?
        .and_then(|s| DeliveryState::parse(&s))
        .map(|state| -> rusqlite::Result<Delivery> {
            Ok(Delivery {
                state,
                reason: r.get(13)?,
                updated_at: Timestamp(r.get::<_, Option<i64>>(14)?.unwrap_or_default()),
            })
        })
        .transpose()?;
    Ok(GroupMessage {
        id: GroupMessageId(r.get(0)?),
        chat_id: r.get(1)?,
        conversation_id: r.get::<_, Option<i64>>(2)?.map(ConversationId),
        telegram_message_id: r.get(3)?,
        reply_to: r.get(4)?,
        author_id: r.get(5)?,
        author_name: r.get(6)?,
        side: GroupSide::parse(&side).unwrap_or(GroupSide::Customer),
        agent_id: r.get::<_, Option<i64>>(8)?.map(AgentId),
        text: r.get(9)?,
        sent_at: Timestamp(r.get(10)?),
        edited_at: ts(r.get(11)?),
        delivery,
        queue: r.get::<_, Option<String>>(15)?.map(QueueId),
    })
}

pub fn message(db: &impl Db, id: i64) -> Result<Option<GroupMessage>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("{MESSAGE} WHERE m.id = ?1"))?
        .query_row([id], message_row)
        .optional()?)
}

/// The desk id of a message Telegram numbered `message_id` in `chat_id`.
pub fn message_id_of(
    db: &impl Db,
    chat_id: i64,
    message_id: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT id FROM group_messages WHERE chat_id = ?1 AND message_id = ?2")?
        .query_row(params![chat_id, message_id], |r| r.get(0))
        .optional()?)
}

/// The last `tail` messages of a conversation, oldest first.
pub fn tail(db: &impl Db, conversation: i64, tail: u32) -> Result<Vec<GroupMessage>, StoreError> {
    let mut v: Vec<GroupMessage> = db
        .conn()
        .prepare_cached(&format!(
            "{MESSAGE} WHERE m.conversation_id = ?1 ORDER BY m.id DESC LIMIT ?2"
        ))?
        .query_map(params![conversation, tail], message_row)?
        .collect::<Result<_, _>>()?;
    v.reverse();
    Ok(v)
}

/// The message a reply into a conversation answers: the client's waiting
/// message, else its last client message, else its last message; Telegram
/// ids in the conversation's current chat only (a migrated group's old
/// messages can't be replied to).
pub fn reply_target(db: &impl Db, conversation: i64) -> Result<Option<i64>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT m.message_id FROM group_messages m JOIN group_conversations c ON c.id = m.conversation_id
             WHERE m.conversation_id = ?1 AND m.chat_id = c.chat_id AND m.message_id IS NOT NULL
             ORDER BY m.message_id = c.owed_message_id DESC, m.side = 'customer' DESC, m.id DESC
             LIMIT 1",
        )?
        .query_row([conversation], |r| r.get(0))
        .optional()?)
}

/// A message the bot posts into a group (a workstation reply, a notice),
/// stored before it is sent (`queued`).
pub struct Outgoing<'a> {
    pub chat_id: i64,
    pub conversation: Option<i64>,
    pub thread_id: Option<i64>,
    pub reply_to: Option<i64>,
    /// Staff for an engineer's words, bot for the desk's notices.
    pub side: GroupSide,
    pub author_name: &'a str,
    pub agent: Option<AgentId>,
    pub text: &'a str,
}

/// The author id of what the bot posts for the desk.
pub const DESK_AUTHOR: i64 = 0;

fn insert_outgoing(ctx: &WriteCtx<'_>, o: &Outgoing<'_>) -> Result<i64, StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO group_messages (chat_id, conversation_id, thread_id, reply_to, author_id,
                 author_name, side, text, sent_at, agent_id, delivery, delivery_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'queued', ?9)",
        )?
        .execute(params![
            o.chat_id,
            o.conversation,
            o.thread_id,
            o.reply_to,
            DESK_AUTHOR,
            o.author_name,
            o.side.as_str(),
            o.text,
            ctx.now.0,
            o.agent.map(|a| a.0)
        ])?;
    Ok(ctx.conn.last_insert_rowid())
}

/// Stores a message the bot posts (queued) and queues it in the outbox, as
/// a reply in its topic. Returns the group message's id.
pub fn add_outgoing(ctx: &mut WriteCtx<'_>, o: &Outgoing<'_>) -> Result<i64, StoreError> {
    let id = insert_outgoing(ctx, o)?;
    enqueue(ctx, o.chat_id, o.thread_id, o.reply_to, o.text, Some(id))?;
    Ok(id)
}

/// An engineer's reply to a ticket made from a group conversation: its
/// outbox row (queued by the ticket) is also a message of the
/// conversation, delivered with it. Returns the group message's id.
pub fn echo_ticket_message(
    ctx: &mut WriteCtx<'_>,
    message: MessageId,
    conversation: i64,
    author_name: &str,
    agent: AgentId,
    text: &str,
) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64, i64, Option<i64>, Option<i64>)> = ctx
        .conn
        .prepare_cached(
            "SELECT id, chat_id, thread_id, reply_to FROM outbox WHERE message_id = ?1",
        )?
        .query_row([message.0], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((outbox, chat_id, thread_id, reply_to)) = row else {
        return Ok(None);
    };
    let id = insert_outgoing(
        ctx,
        &Outgoing {
            chat_id,
            conversation: Some(conversation),
            thread_id,
            reply_to,
            side: GroupSide::Staff,
            author_name,
            agent: Some(agent),
            text,
        },
    )?;
    ctx.conn
        .prepare_cached("UPDATE outbox SET group_message = ?2 WHERE id = ?1")?
        .execute(params![outbox, id])?;
    Ok(Some(id))
}

/// A conversation's messages, oldest first: (Telegram user id, side,
/// author name, text, Telegram's id, sent at).
#[allow(clippy::type_complexity)]
pub fn transcript(
    db: &impl Db,
    conversation: i64,
) -> Result<Vec<(i64, GroupSide, String, String, Option<i64>, Timestamp)>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT author_id, side, author_name, text, message_id, sent_at FROM group_messages
             WHERE conversation_id = ?1 ORDER BY id",
        )?
        .query_map([conversation], |r| {
            let side: String = r.get(1)?;
            Ok((
                r.get(0)?,
                GroupSide::parse(&side).unwrap_or(GroupSide::Customer),
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                Timestamp(r.get(5)?),
            ))
        })?
        .collect::<Result<_, _>>()?)
}

/// Queues a text for a group (a bot notice, or a workstation reply's
/// delivery when `group_message` is set), in `thread_id`, replying to
/// `reply_to`.
pub fn enqueue(
    ctx: &mut WriteCtx<'_>,
    chat_id: i64,
    thread_id: Option<i64>,
    reply_to: Option<i64>,
    text: &str,
    group_message: Option<i64>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO outbox (chat_id, text, thread_id, reply_to, group_message, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        )?
        .execute(params![chat_id, text, thread_id, reply_to, group_message, ctx.now.0])?;
    ctx.outbox_queued = true;
    Ok(())
}

/// A restored client message (held, approved by staff): the bot posts
/// `text` (its quote) in the group; the stored message follows that
/// post's delivery and then carries its Telegram id.
pub fn repost(
    ctx: &mut WriteCtx<'_>,
    id: i64,
    chat_id: i64,
    thread_id: Option<i64>,
    reply_to: Option<i64>,
    text: &str,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE group_messages SET delivery = 'queued', delivery_at = ?2 WHERE id = ?1",
        )?
        .execute(params![id, ctx.now.0])?;
    enqueue(ctx, chat_id, thread_id, reply_to, text, Some(id))
}

/// Records a workstation reply's delivery (and Telegram's id once sent).
pub fn set_delivery(
    ctx: &WriteCtx<'_>,
    id: i64,
    state: DeliveryState,
    reason: Option<&str>,
    telegram_id: Option<i64>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE group_messages SET delivery = ?2, delivery_reason = ?3, delivery_at = ?4,
                 message_id = coalesce(?5, message_id) WHERE id = ?1",
        )?
        .execute(params![id, state.as_str(), reason, ctx.now.0, telegram_id])?;
    Ok(())
}

/// The ticket made from a conversation, and the conversation a ticket was
/// made from.
pub fn set_ticket_origin(
    ctx: &WriteCtx<'_>,
    ticket: TicketId,
    conversation: i64,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE tickets SET group_conversation = ?2 WHERE id = ?1")?
        .execute(params![ticket.0, conversation])?;
    Ok(())
}

/// The conversation a ticket was made from.
pub fn ticket_origin(db: &impl Db, ticket: TicketId) -> Result<Option<i64>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT group_conversation FROM tickets WHERE id = ?1")?
        .query_row([ticket.0], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten())
}

/// Queues the deletion of a message in a group (a staff command the bot
/// acted on), through the outbox: paced with the group's other sends.
pub fn enqueue_deletion(
    ctx: &mut WriteCtx<'_>,
    chat_id: i64,
    message_id: i64,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO outbox (chat_id, text, kind, reply_to, next_attempt_at, created_at)
             VALUES (?1, '', 'delete', ?2, ?3, ?3)",
        )?
        .execute(params![chat_id, message_id, ctx.now.0])?;
    ctx.outbox_queued = true;
    Ok(())
}

/// The agent whose Telegram account this is.
pub fn linked_agent(db: &impl Db, telegram_user_id: i64) -> Result<Option<AgentId>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT agent_id FROM staff_links WHERE telegram_user_id = ?1")?
        .query_row([telegram_user_id], |r| r.get::<_, i64>(0))
        .optional()?
        .map(AgentId))
}

/// An agent's own macro by its shortcut.
pub fn own_macro(
    db: &impl Db,
    agent: AgentId,
    shortcut: &str,
) -> Result<Option<Macro>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT id, shortcut, title, body, owner, translations FROM macros
             WHERE shortcut = ?1 AND owner = ?2 LIMIT 1",
        )?
        .query_row(params![shortcut, agent.0], super::rows::macro_row)
        .optional()?)
}
