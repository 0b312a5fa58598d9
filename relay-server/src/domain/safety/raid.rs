//! Raid protection (docs/groups.md, "Safety"): more than `[safety]
//! raid_joins_per_minute` joins in a minute put a group under protection
//! for `raid_for`: every newcomer is restricted (cannot write) until it
//! ends, the captcha still runs, and the staff chat is told once.
//! `relay-server group calm` ends it early.

use std::time::Duration;

use shared::Timestamp;

use crate::domain::DomainError;
use crate::domain::desk::Desk;
use crate::domain::hours;
use crate::domain::outbox::staff_post;
use crate::store::WriteCtx;
use crate::store::safety::{self as rows, Call, ModAction};

/// Someone joined (already recorded). Returns until when the group is
/// under raid protection, if it is.
pub fn joined(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    chat_id: i64,
    title: &str,
) -> Result<Option<Timestamp>, DomainError> {
    let limit = desk.safety.raid_joins_per_minute;
    if !desk.safety.enabled || limit == 0 {
        return Ok(None);
    }
    if let Some(until) = rows::raid_until(ctx, chat_id)?.filter(|u| *u > ctx.now) {
        return Ok(Some(until));
    }
    let joins = rows::joins_since(ctx, chat_id, ctx.now - Duration::from_secs(60))?;
    if joins <= limit {
        return Ok(None);
    }
    let until = ctx.now + desk.safety.raid_for;
    rows::set_raid_until(ctx, chat_id, Some(until))?;
    staff_post(
        ctx,
        desk,
        &format!(
            "🚨 Raid in {title}: {joins} joins in a minute. For {} every newcomer is restricted (cannot write); the captcha still runs. `relay-server group calm {chat_id}` ends it early.",
            hours::short(desk.safety.raid_for)
        ),
    )?;
    tracing::warn!(chat = chat_id, joins, "safety: raid protection on");
    Ok(Some(until))
}

/// A newcomer during a raid: restricted until it ends (Telegram lifts it
/// then by itself).
pub fn restrict(
    ctx: &mut WriteCtx<'_>,
    chat_id: i64,
    user: i64,
    until: Timestamp,
) -> Result<(), DomainError> {
    rows::queue(
        ctx,
        chat_id,
        ModAction::Restrict,
        &Call {
            user_id: Some(user),
            until: Some(until),
            ..Call::default()
        },
        ctx.now,
    )?;
    Ok(())
}

/// Ends a group's raid protection: those who joined during it and passed
/// (or owe no) captcha may write again. False when none was on.
pub fn calm(ctx: &mut WriteCtx<'_>, desk: &Desk, chat_id: i64) -> Result<bool, DomainError> {
    let Some(until) = rows::raid_until(ctx, chat_id)?.filter(|u| *u > ctx.now) else {
        return Ok(false);
    };
    rows::set_raid_until(ctx, chat_id, None)?;
    let since = until - desk.safety.raid_for - Duration::from_secs(60);
    for user in rows::joined_since_free(ctx, chat_id, since)? {
        rows::moderate(ctx, chat_id, ModAction::Lift, Some(user), None, ctx.now)?;
    }
    staff_post(
        ctx,
        desk,
        &format!("Raid protection in chat {chat_id} ended by an operator."),
    )?;
    Ok(true)
}
