//! What changes in customer groups, told to the workstations: each change
//! appends its event to the log with the record as it now is.

use shared::*;

use crate::domain::DomainError;
use crate::store::WriteCtx;
use crate::store::group_view as wire;

/// A conversation started or changed.
pub fn conversation(ctx: &mut WriteCtx<'_>, id: i64) -> Result<(), DomainError> {
    if let Some(conversation) = wire::conversation(ctx, id)? {
        ctx.append(Event::GroupConversationUpdated { conversation })?;
    }
    Ok(())
}

/// A message was added to a group.
pub fn message_added(ctx: &mut WriteCtx<'_>, id: i64) -> Result<(), DomainError> {
    if let Some(message) = wire::message(ctx, id)? {
        ctx.append(Event::GroupMessageAdded { message })?;
    }
    Ok(())
}

/// A group message changed (edited, delivered).
pub fn message_updated(ctx: &mut WriteCtx<'_>, id: i64) -> Result<(), DomainError> {
    if let Some(message) = wire::message(ctx, id)? {
        ctx.append(Event::GroupMessageUpdated { message })?;
    }
    Ok(())
}

/// The bot is in a group (new, renamed, its standing changed).
pub fn group(ctx: &mut WriteCtx<'_>, chat_id: i64) -> Result<(), DomainError> {
    if let Some(group) = wire::group(ctx, chat_id)? {
        ctx.append(Event::GroupUpserted { group })?;
    }
    Ok(())
}

/// A group was bound, moved or unbound; it had `from_queue`.
pub fn bound(
    ctx: &mut WriteCtx<'_>,
    chat_id: i64,
    from_queue: Option<QueueId>,
) -> Result<(), DomainError> {
    if let Some(group) = wire::group(ctx, chat_id)? {
        ctx.append(Event::GroupBound { group, from_queue })?;
    }
    Ok(())
}

/// An organisation was added or changed.
pub fn organisation(ctx: &mut WriteCtx<'_>, id: i64) -> Result<(), DomainError> {
    if let Some(organisation) = wire::organisation(ctx, id)? {
        ctx.append(Event::OrganisationUpserted { organisation })?;
    }
    Ok(())
}
