//! Who is in a group: the bot's own standing (added, made administrator,
//! demoted, removed), and a client's key contact leaving. What needs a
//! person goes to the staff chat: a group where the bot cannot see every
//! message (privacy mode on, not an administrator), the bot removed or
//! demoted, a client who wrote recently leaving. docs/groups.md.

use std::time::Duration;

use crate::domain::DomainError;
use crate::domain::desk::Desk;
use crate::domain::outbox::staff_post;
use crate::store::WriteCtx;
use crate::store::groups as rows;

/// A client who wrote in the group this recently is a key contact: their
/// leaving is told to staff.
pub const KEY_CONTACT_WINDOW: Duration = Duration::from_secs(30 * 86_400);

fn place(ctx: &WriteCtx<'_>, chat_id: i64, title: &str) -> Result<String, DomainError> {
    let org = rows::group(ctx, chat_id)?
        .and_then(|g| g.organisation)
        .map(|o| rows::organisation(ctx, o))
        .transpose()?
        .flatten();
    Ok(match org {
        Some(o) => format!("{title} ({})", o.name),
        None => format!("{title} (unbound, chat {chat_id})"),
    })
}

/// The bot's membership of a group changed: `member`, `administrator`,
/// `left` or `kicked`. A group it is added to is listed, unbound, for a
/// supervisor to bind. `privacy`: BotFather's privacy mode is on.
pub fn bot(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    chat_id: i64,
    title: &str,
    forum: bool,
    status: &str,
    privacy: bool,
) -> Result<(), DomainError> {
    let before = rows::group(ctx, chat_id)?.map(|g| g.bot_status);
    rows::seen_group(ctx, chat_id, title, forum, Some(status))?;
    super::publish::group(ctx, chat_id)?;
    let was = before.as_deref().unwrap_or("left");
    if was == status {
        return Ok(());
    }
    // Out of the group: its clocks stop (nobody can answer there through
    // the desk); back in: they run again from when each started waiting.
    let gone = |s: &str| matches!(s, "left" | "kicked");
    // Out of the group, the bot cannot see who leaves: nobody there is
    // known to be one of its people any more (the mini app's shared
    // tickets), until they write or join again.
    if gone(status) && !gone(was) {
        crate::store::safety::all_left(ctx, chat_id)?;
    }
    if gone(was) != gone(status) && before.is_some() {
        super::intake::rearm(ctx, desk, chat_id)?;
        for c in rows::owed_in(ctx, chat_id)? {
            super::publish::conversation(ctx, c.id)?;
        }
    }
    let here = place(ctx, chat_id, title)?;
    let blind = " In privacy mode it sees only commands and replies to it there: make it an administrator of the group, or turn privacy off with BotFather (/setprivacy, Disable) and add it again.";
    let note = match (was, status) {
        (_, "left" | "kicked") => Some(format!(
            "🔴 The bot was removed from {here}: nothing of this group reaches the desk any more, and unanswered-chat alerts for it stop."
        )),
        ("administrator", "member") => Some(format!(
            "⚠️ The bot is no longer an administrator of {here}: it cannot remove staff commands or see reactions.{}",
            if privacy { blind } else { "" }
        )),
        (_, "member") if privacy => Some(format!(
            "⚠️ The bot was added to {here} as a plain member.{blind}"
        )),
        (_, "member") => Some(format!(
            "The bot was added to {here}. Bind it: relay-server group bind {chat_id} <organisation>."
        )),
        (_, "administrator") if was == "left" || was == "kicked" => Some(format!(
            "The bot was added to {here} as an administrator. Bind it: relay-server group bind {chat_id} <organisation>."
        )),
        _ => None,
    };
    if let Some(note) = note {
        staff_post(ctx, desk, &note)?;
    }
    if status == "administrator" {
        crate::domain::safety::official::refresh(ctx)?;
    }
    Ok(())
}

/// Telegram says someone is no longer in the group (a `chat_member`
/// update): no longer one of its people. Nothing is told (the service
/// message of their leaving does that, through [`left`]).
pub fn gone(ctx: &mut WriteCtx<'_>, chat_id: i64, user: i64) -> Result<(), DomainError> {
    crate::store::safety::left(ctx, chat_id, user)?;
    Ok(())
}

/// Someone left the group (or was removed): no longer one of its people
/// (the mini app stops showing them its tickets). A client who wrote
/// there in the last [`KEY_CONTACT_WINDOW`] is a key contact: staff are
/// told. False when nobody needs to know.
pub fn left(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    chat_id: i64,
    user: i64,
    name: &str,
) -> Result<bool, DomainError> {
    gone(ctx, chat_id, user)?;
    let Some(group) = rows::group(ctx, chat_id)? else {
        return Ok(false);
    };
    if group.organisation.is_none() || rows::is_staff(ctx, chat_id, user)? {
        return Ok(false);
    }
    let since = ctx.now - KEY_CONTACT_WINDOW;
    let Some(last) = rows::last_written(ctx, chat_id, user)? else {
        return Ok(false);
    };
    if last < since {
        return Ok(false);
    }
    let here = place(ctx, chat_id, &group.title)?;
    let days = ctx.now.since(last).as_secs() / 86_400;
    let when = match days {
        0 => "today".to_owned(),
        1 => "yesterday".to_owned(),
        d => format!("{d} days ago"),
    };
    staff_post(
        ctx,
        desk,
        &format!("👋 {name}, a client contact, left {here}. They last wrote there {when}."),
    )?;
    Ok(true)
}
