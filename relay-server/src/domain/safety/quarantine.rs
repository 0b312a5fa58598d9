//! Holding, approving, banning (docs/groups.md, "Safety").
//!
//! - [`screen`]: a client-side message is checked before it is filed. One
//!   that breaks a rule is kept in the quarantine with its reasons,
//!   deleted from the group (a moderation call), and its sender is told
//!   why in their language: privately when they have talked to the bot,
//!   else by a short notice in the group that removes itself.
//! - approving ([`crate::domain::groups::held`]): the bot posts it back, quoted with its author's name; it
//!   joins its conversation as the client's message (owed from when it
//!   was first sent), the author's newcomer limits are lifted, and the
//!   classifier learns it is not spam.
//! - [`ban`]: its author is banned from every group of the organisation;
//!   their other held messages go with it; the classifier learns it is
//!   spam.

use shared::*;

use crate::domain::DomainError;
use crate::domain::desk::Desk;
use crate::domain::group_message::GroupMessage;
use crate::domain::i18n::{self, Lang};
use crate::domain::outbox::{staff_post, to_chat};
use crate::domain::spam::checks::{self, Facts};
use crate::domain::spam::lookalike::{self, StaffName};
use crate::store::WriteCtx;
use crate::store::groups as group_rows;
use crate::store::safety::{self as rows, ModAction, NewHeld};

/// Checks a message from the client's side of a group. `Some`: it was
/// held (or had been: Telegram delivering it again) and must not be
/// filed. `real`: it would count towards lifting its author's newcomer
/// limits (not a pleasantry).
pub fn screen(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    m: &GroupMessage,
    real: bool,
) -> Result<Option<HeldId>, DomainError> {
    let before = rows::seen(
        ctx,
        m.chat_id,
        m.author_id,
        &m.author_name,
        m.author_username.as_deref(),
    )?;
    if !super::applies(ctx, &desk.safety, m.chat_id)? {
        return Ok(None);
    }
    if let Some(held) = already_held(ctx, m)? {
        return Ok(Some(held));
    }
    let trusted = before.as_ref().is_some_and(|b| b.trusted);
    let limited = !trusted && newcomer_limited(ctx, desk, m.chat_id, before.as_ref())?;
    let renamed = before.as_ref().is_some_and(|b| {
        !b.name.is_empty()
            && (b.name != m.author_name || b.username.as_deref() != m.author_username.as_deref())
    });
    let lookalike = if !trusted && (limited || renamed) {
        imitated(
            ctx,
            desk,
            m.author_id,
            &m.author_name,
            m.author_username.as_deref(),
        )?
    } else {
        None
    };
    let repeated_in = match checks::repeat_key(&m.text) {
        Some(print) => {
            let since = ctx.now - desk.safety.repeat_window;
            rows::print_groups(ctx, print, m.chat_id, since)?
        }
        None => 0,
    };
    let facts = Facts {
        limited,
        repeated_in,
        lookalike,
    };
    let reasons = checks::check(&desk.safety, &m.text, m.traits, &facts);
    if reasons.is_empty() {
        if real {
            rows::count_real(ctx, m.chat_id, m.author_id)?;
        }
        return Ok(None);
    }
    hold(ctx, desk, m, &reasons).map(Some)
}

/// A message held before (the same Telegram message again).
fn already_held(ctx: &WriteCtx<'_>, m: &GroupMessage) -> Result<Option<HeldId>, DomainError> {
    Ok(rows::held_id_of(ctx, m.chat_id, m.message_id)?)
}

/// Whether the author's newcomer limits hold: they joined while the bot
/// watched, and have neither written enough real messages nor been there
/// long enough (the organisation's limits, else `[safety]`'s).
fn newcomer_limited(
    ctx: &WriteCtx<'_>,
    desk: &Desk,
    chat_id: i64,
    member: Option<&rows::Member>,
) -> Result<bool, DomainError> {
    let Some(joined) = member.and_then(|m| m.joined_at) else {
        return Ok(false);
    };
    let (messages, hours) = rows::newcomer_limits(ctx, chat_id)?;
    let limits = crate::domain::spam::Newcomer {
        messages: messages.unwrap_or(desk.safety.newcomer.messages),
        hours: hours.unwrap_or(desk.safety.newcomer.hours),
    };
    let real = member.map_or(0, |m| m.real_messages);
    Ok(limits.limited(joined, real, ctx.now))
}

/// The staff member a name imitates (never the staff member themself).
fn imitated(
    ctx: &WriteCtx<'_>,
    desk: &Desk,
    user: i64,
    name: &str,
    username: Option<&str>,
) -> Result<Option<String>, DomainError> {
    let staff: Vec<StaffName> = rows::staff_names(ctx)?
        .into_iter()
        .filter(|(id, _, _)| *id != user)
        .map(|(_, display, names)| StaffName {
            label: display,
            names,
        })
        .collect();
    let mut candidate = vec![name];
    if let Some(u) = username {
        candidate.push(u);
    }
    Ok(lookalike::imitates(&candidate, &staff, desk.safety.lookalike_distance).map(str::to_owned))
}

/// What a reason is called in the sender's language.
fn reason_text(lang: Lang, r: &HoldReason) -> String {
    i18n::text(lang, &format!("safety.reason_{}", r.rule()), &[])
}

/// Keeps the message, deletes it from the group, tells its sender and the
/// workstations.
fn hold(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    m: &GroupMessage,
    reasons: &[HoldReason],
) -> Result<HeldId, DomainError> {
    let at = Timestamp(m.sent_at.0.min(ctx.now.0));
    let Some(id) = rows::hold(
        ctx,
        &NewHeld {
            chat_id: m.chat_id,
            message_id: m.message_id,
            thread_id: m.topic,
            reply_to: m.reply_to,
            author_id: m.author_id,
            author_name: &m.author_name,
            author_username: m.author_username.as_deref(),
            text: &m.text,
            reasons,
            sent_at: at,
        },
    )?
    else {
        return Err(DomainError::conflict("this message was held already"));
    };
    rows::moderate(
        ctx,
        m.chat_id,
        ModAction::Delete,
        None,
        Some(m.message_id),
        ctx.now,
    )?;
    tell_sender(ctx, desk, m, reasons)?;
    if let Some(Some(HoldReason::Lookalike { of })) = reasons
        .iter()
        .find(|r| matches!(r, HoldReason::Lookalike { .. }))
        .map(Some)
    {
        staff_post(
            ctx,
            desk,
            &format!(
                "⚠️ Look-alike of {of} in {}: {} ({}) wrote there; the message is held for review.",
                m.title,
                m.author_name,
                m.author_username
                    .as_deref()
                    .map_or_else(|| format!("id {}", m.author_id), |u| format!("@{u}")),
            ),
        )?;
    }
    publish(ctx, id)?;
    tracing::info!(
        chat = m.chat_id,
        message = m.message_id,
        rules = ?reasons.iter().map(HoldReason::rule).collect::<Vec<_>>(),
        "safety: a group message was held"
    );
    Ok(id)
}

/// Tells the sender why their message was held, in their language:
/// privately if they have talked to the bot (Telegram lets a bot write
/// only to those), else a notice in the group that removes itself after
/// `[safety] notice_lifetime`, at most one per group in that time (a spam
/// wave makes no wave of notices).
fn tell_sender(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    m: &GroupMessage,
    reasons: &[HoldReason],
) -> Result<(), DomainError> {
    let lang = Lang::from_code(m.author_lang.as_deref());
    let why: Vec<String> = reasons.iter().map(|r| reason_text(lang, r)).collect();
    let why = why.join("; ");
    if rows::has_private_chat(ctx, m.author_id)? {
        let text = i18n::text(
            lang,
            "safety.held_private",
            &[("group", &m.title), ("reason", &why)],
        );
        return to_chat(ctx, m.author_id, &text, None);
    }
    let lifetime = desk.safety.notice_lifetime;
    if rows::notice_since(ctx, m.chat_id, ctx.now - lifetime)? {
        return Ok(());
    }
    let text = i18n::text(
        lang,
        "safety.held_group",
        &[("name", &m.author_name), ("reason", &why)],
    );
    rows::notice(ctx, m.chat_id, m.topic, &text, lifetime)?;
    Ok(())
}

/// Tells the workstations a held message changed.
pub(crate) fn publish(ctx: &mut WriteCtx<'_>, id: HeldId) -> Result<(), DomainError> {
    if let Some(h) = rows::held(ctx, id)? {
        ctx.append(Event::QuarantineUpdated { held: h.wire })?;
    }
    Ok(())
}

/// A held message `agent` may decide on.
pub(crate) fn load(
    ctx: &WriteCtx<'_>,
    desk: &Desk,
    agent: &Agent,
    id: HeldId,
) -> Result<rows::Held, DomainError> {
    let h = rows::held(ctx, id)?
        .ok_or_else(|| DomainError::not_found(format!("no held message {id}")))?;
    if !desk.access().may_read_group(agent, h.wire.queue.as_ref()) {
        return Err(DomainError::forbidden(
            "this group's organisation is not in your queues",
        ));
    }
    Ok(h)
}

/// Bans a held message's author from every group of the organisation.
/// False when they were banned already.
pub fn ban(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    agent: &Agent,
    id: HeldId,
) -> Result<bool, DomainError> {
    let h = load(ctx, desk, agent, id)?;
    match h.wire.state {
        HeldState::Banned => return Ok(false),
        HeldState::Approved => {
            return Err(DomainError::conflict(
                "this message was approved and posted back: ban from the group in Telegram if you must",
            ));
        }
        HeldState::Held => {}
    }
    let w = &h.wire;
    let chats = rows::sibling_groups(ctx, w.chat_id)?;
    let mut decided = rows::waiting_of(ctx, w.author_id, &chats)?;
    if !decided.contains(&id) {
        decided.push(id);
    }
    for held in &decided {
        if rows::decide(ctx, *held, HeldState::Banned, Some(agent.id))? {
            if let Some(other) = rows::held(ctx, *held)? {
                rows::add_verdict(ctx, w.author_id, &other.wire.text, true)?;
                desk.safety.learn(&other.wire.text, true);
            }
            publish(ctx, *held)?;
        }
    }
    rows::ban(ctx, &chats, w.author_id)?;
    for chat in &chats {
        rows::moderate(ctx, *chat, ModAction::Ban, Some(w.author_id), None, ctx.now)?;
    }
    audit(
        ctx,
        agent.id,
        "quarantine_ban",
        format!(
            "user {} banned from {} group(s) for held message {id}",
            w.author_id,
            chats.len()
        ),
    )?;
    Ok(true)
}

pub(crate) fn audit(
    ctx: &WriteCtx<'_>,
    agent: AgentId,
    action: &str,
    detail: String,
) -> Result<(), DomainError> {
    crate::store::access::log(
        ctx,
        &crate::store::access::AuditEntry {
            at: ctx.now,
            action: action.into(),
            actor: crate::store::access::Actor::Agent(agent),
            ticket: None,
            customer: None,
            detail,
        },
    )?;
    Ok(())
}

/// Someone joined a group while the bot watched: a newcomer. One whose
/// name imitates staff is told to the staff chat at once.
pub fn joined(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    chat_id: i64,
    title: &str,
    user: i64,
    name: &str,
    username: Option<&str>,
) -> Result<(), DomainError> {
    rows::joined(ctx, chat_id, user, name, username, ctx.now)?;
    if !super::applies(ctx, &desk.safety, chat_id)? || group_rows::is_staff(ctx, chat_id, user)? {
        return Ok(());
    }
    if let Some(of) = imitated(ctx, desk, user, name, username)? {
        staff_post(
            ctx,
            desk,
            &format!(
                "⚠️ Look-alike of {of} joined {title}: {name} ({}). Their messages will be held for review.",
                username.map_or_else(|| format!("id {user}"), |u| format!("@{u}")),
            ),
        )?;
    }
    Ok(())
}
