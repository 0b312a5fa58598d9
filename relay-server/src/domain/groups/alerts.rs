//! The unanswered-chat alert: a conversation in a customer group past its
//! due time is posted to the staff chat, and again every [`REPEAT`] until
//! staff answer in it. docs/groups.md, "Who owes a reply".

use std::time::Duration;

use shared::Timestamp;

use crate::domain::desk::Desk;
use crate::domain::outbox::staff_post;
use crate::domain::{DomainError, hours};
use crate::store::groups as rows;
use crate::store::{Db, WriteCtx};

/// An alert is repeated this often until the conversation is answered.
pub const REPEAT: Duration = Duration::from_secs(15 * 60);
/// Alerts per timer run at most (the rest wait a second).
const BATCH: usize = 200;

/// When the next alert is due.
pub fn next_due(db: &impl Db) -> Result<Option<Timestamp>, DomainError> {
    Ok(rows::next_alert(db, REPEAT)?)
}

/// Raises every alert now due. Returns how many.
pub fn fire_due(ctx: &mut WriteCtx<'_>, desk: &Desk) -> Result<usize, DomainError> {
    let due = rows::alerts_due(ctx, ctx.now, REPEAT, BATCH)?;
    for id in &due {
        let Some(mut c) = rows::conversation(ctx, *id)? else {
            continue;
        };
        let text = alert_text(ctx, &c)?;
        staff_post(ctx, desk, &text)?;
        c.alerted_at = Some(ctx.now);
        rows::save_conversation(ctx, &c)?;
    }
    Ok(due.len())
}

/// "🔴 Unanswered in Acme · Acme ⇄ Support: Olga waiting 17m (since 09:02
/// UTC): «Hello! Our export fails…»".
fn alert_text(ctx: &WriteCtx<'_>, c: &rows::Conversation) -> Result<String, DomainError> {
    let group = rows::group(ctx, c.chat_id)?;
    let org = match group.as_ref().and_then(|g| g.organisation) {
        Some(id) => rows::organisation(ctx, id)?.map(|o| o.name),
        None => None,
    };
    let title = group.map_or_else(|| c.chat_id.to_string(), |g| g.title);
    let since = c.owed_since.unwrap_or(c.opened_at);
    let (who, said) = match c.owed_message_id {
        Some(m) => rows::message(ctx, c.chat_id, m)?.unwrap_or_default(),
        None => Default::default(),
    };
    let excerpt: String = said.chars().take(80).collect();
    let more = if said.chars().count() > 80 { "…" } else { "" };
    let again = if c.alerted_at.is_some() {
        " (again)"
    } else {
        ""
    };
    Ok(format!(
        "🔴 Unanswered{again} in {} · {title}: {who} waiting {} (since {} UTC): «{excerpt}{more}»",
        org.as_deref().unwrap_or("an unbound group"),
        hours::short(ctx.now.since(since)),
        hours::local(since, &jiff::tz::TimeZone::UTC),
    ))
}
