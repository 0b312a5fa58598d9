//! Approving a held message (docs/groups.md, "Safety"): above both the
//! safety checks (which held it) and intake (which files it now).

use shared::*;

use crate::domain::desk::Desk;
use crate::domain::group_message::GroupMessage;
use crate::domain::i18n::{self, Lang};
use crate::domain::safety::quarantine;
use crate::domain::{DomainError, validate};
use crate::store::WriteCtx;
use crate::store::groups as group_rows;
use crate::store::safety as rows;

/// Approves a held message. False when it was approved already.
pub fn approve(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    agent: &Agent,
    id: HeldId,
) -> Result<bool, DomainError> {
    let h = quarantine::load(ctx, desk, agent, id)?;
    match h.wire.state {
        HeldState::Approved => return Ok(false),
        HeldState::Banned => {
            return Err(DomainError::conflict(
                "its author was banned: this message cannot be approved any more",
            ));
        }
        HeldState::Held => {}
    }
    let w = &h.wire;
    let group = group_rows::group(ctx, w.chat_id)?;
    if group
        .as_ref()
        .is_some_and(|g| matches!(g.bot_status.as_str(), "left" | "kicked"))
    {
        return Err(DomainError::conflict(
            "the bot is no longer in this group: the message cannot be posted back",
        ));
    }
    rows::decide(ctx, id, HeldState::Approved, Some(agent.id))?;
    let chats = rows::sibling_groups(ctx, w.chat_id)?;
    rows::trust(ctx, &chats, w.author_id)?;
    rows::add_verdict(ctx, w.author_id, &w.text, false)?;
    desk.safety.learn(&w.text, false);
    // Filed as the client's message it was, in its conversation.
    let original = GroupMessage {
        chat_id: w.chat_id,
        title: w.group_title.clone(),
        forum: group.as_ref().is_some_and(|g| g.forum),
        message_id: w.telegram_message_id,
        topic: h.thread_id,
        reply_to: h.reply_to,
        author_id: w.author_id,
        author_name: w.author_name.clone(),
        author_username: w.author_username.clone(),
        text: w.text.clone(),
        sent_at: w.sent_at,
        ..GroupMessage::default()
    };
    let lang = group
        .and_then(|g| g.organisation)
        .map(|o| group_rows::organisation(ctx, o))
        .transpose()?
        .flatten()
        .map_or(Lang::En, |o| Lang::from_code(Some(&o.language)));
    let repost = i18n::text(
        lang,
        "safety.restored",
        &[("name", &w.author_name), ("text", &w.text)],
    );
    validate::text(&repost).map_err(|_| {
        DomainError::invalid("the message is too long to post back quoted; copy it by hand")
    })?;
    super::intake::restore(ctx, desk, &original, &repost)?;
    quarantine::publish(ctx, id)?;
    quarantine::audit(
        ctx,
        agent.id,
        "quarantine_approve",
        format!(
            "held message {id} in chat {} by {}: posted back",
            w.chat_id, w.author_id
        ),
    )?;
    Ok(true)
}
