//! What an engineer does to a group conversation from the workstation:
//! answer in the group (through the bot, as a reply in the right topic),
//! or acknowledge its alert. docs/groups.md.

use shared::*;

use super::publish;
use crate::domain::desk::Desk;
use crate::domain::{DomainError, validate};
use crate::store::WriteCtx;
use crate::store::group_view::{self as wire, Outgoing};
use crate::store::groups as rows;

/// Fails unless `agent` may work the conversation.
pub fn check(
    ctx: &WriteCtx<'_>,
    desk: &Desk,
    agent: &Agent,
    id: ConversationId,
) -> Result<(), DomainError> {
    load(ctx, desk, agent, id).map(|_| ())
}

/// The conversation, if `agent` may work it.
fn load(
    ctx: &WriteCtx<'_>,
    desk: &Desk,
    agent: &Agent,
    id: ConversationId,
) -> Result<rows::Conversation, DomainError> {
    let missing = || DomainError::not_found(format!("no group conversation {id}"));
    let c = rows::conversation(ctx, id.0)?.ok_or_else(missing)?;
    let queue = wire::group(ctx, c.chat_id)?.and_then(|g| g.queue);
    // Who works a group is who reads it (restricted queues included).
    if !desk.access().may_read_group(agent, queue.as_ref()) {
        return Err(DomainError::forbidden(
            "this group's organisation is not in your queues",
        ));
    }
    Ok(c)
}

/// Posts `text` into the conversation's group as the engineer's answer:
/// a reply to the client's waiting message (else its last one), in its
/// forum topic. The conversation is answered at once. Returns the group
/// message (queued; `group_message_updated` follows its delivery).
pub fn reply(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    agent: &Agent,
    id: ConversationId,
    text: &str,
) -> Result<GroupMessageId, DomainError> {
    validate::text(text)?;
    let mut c = load(ctx, desk, agent, id)?;
    if let Some(g) = rows::group(ctx, c.chat_id)?
        && matches!(g.bot_status.as_str(), "left" | "kicked")
    {
        return Err(DomainError::conflict(
            "the bot is no longer in this group: nothing can be posted there",
        ));
    }
    let reply_to = wire::reply_target(ctx, c.id)?;
    let message = wire::add_outgoing(
        ctx,
        &Outgoing {
            chat_id: c.chat_id,
            conversation: Some(c.id),
            thread_id: c.thread_id,
            reply_to,
            side: GroupSide::Staff,
            author_name: &agent.display_name,
            agent: Some(agent.id),
            text,
        },
    )?;
    c.last_at = ctx.now;
    c.answered();
    rows::save_conversation(ctx, &c)?;
    publish::conversation(ctx, c.id)?;
    publish::message_added(ctx, message)?;
    Ok(GroupMessageId(message))
}

/// Acknowledges the conversation's alert: not repeated while it waits (a
/// first alert still goes out at the due time).
/// False when this engineer had acknowledged it already.
pub fn ack(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    agent: &Agent,
    id: ConversationId,
) -> Result<bool, DomainError> {
    let mut c = load(ctx, desk, agent, id)?;
    if c.owed_since.is_none() {
        return Err(DomainError::conflict(
            "nobody is waiting in this conversation: there is nothing to acknowledge",
        ));
    }
    if c.acked_by == Some(agent.id) {
        return Ok(false);
    }
    c.acked_by = Some(agent.id);
    rows::save_conversation(ctx, &c)?;
    publish::conversation(ctx, c.id)?;
    Ok(true)
}
