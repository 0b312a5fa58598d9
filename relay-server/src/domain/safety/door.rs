//! Who comes into a group (docs/groups.md, "Safety"): a newcomer is
//! recorded (their limits start), compared with staff's names, counted
//! for raid protection, and set the captcha; the "joined" and "left"
//! service messages are removed.

use crate::domain::DomainError;
use crate::domain::desk::Desk;
use crate::store::WriteCtx;
use crate::store::groups as group_rows;
use crate::store::safety::{self as rows, ModAction};

/// Someone joining, as Telegram names them.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub id: i64,
    pub name: &'a str,
    pub username: Option<&'a str>,
    pub lang: Option<&'a str>,
}

/// Someone joined a group while the bot watched.
pub fn joined(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    chat_id: i64,
    title: &str,
    p: &Person<'_>,
) -> Result<(), DomainError> {
    super::quarantine::joined(ctx, desk, chat_id, title, p.id, p.name, p.username)?;
    if !super::applies(ctx, &desk.safety, chat_id)? || group_rows::is_staff(ctx, chat_id, p.id)? {
        return Ok(());
    }
    if let Some(until) = super::raid::joined(ctx, desk, chat_id, title)? {
        super::raid::restrict(ctx, chat_id, p.id, until)?;
    }
    super::captcha::newcomer(ctx, desk, chat_id, title, p.id, p.name, p.lang)?;
    Ok(())
}

/// A "joined" or "left" service message: removed when `[safety]
/// clean_service_messages` says so and the bot may.
pub fn service_message(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    chat_id: i64,
    message_id: i64,
) -> Result<(), DomainError> {
    if !desk.safety.clean_service_messages || !super::applies(ctx, &desk.safety, chat_id)? {
        return Ok(());
    }
    let admin = group_rows::group(ctx, chat_id)?.is_some_and(|g| g.bot_status == "administrator");
    if admin {
        rows::moderate(
            ctx,
            chat_id,
            ModAction::Delete,
            None,
            Some(message_id),
            ctx.now,
        )?;
    }
    Ok(())
}
