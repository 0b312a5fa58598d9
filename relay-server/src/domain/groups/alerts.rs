//! The unanswered-chat alert: a conversation in a customer group past its
//! due time is posted to the staff chat and to the responsible engineers'
//! workstations (`group_alert`), and again every [`REPEAT`] until staff
//! answer in it or an engineer acknowledges it. The workstations are
//! warned `[groups] warn_before` ahead. docs/groups.md, "Who owes a reply".

use std::time::Duration;

use shared::{GroupAlert, SlaLevel, Timestamp};

use crate::domain::desk::Desk;
use crate::domain::outbox::staff_post;
use crate::domain::{DomainError, hours};
use crate::store::groups as rows;
use crate::store::{Db, WriteCtx, group_view};

/// An alert is repeated this often until the conversation is answered.
pub const REPEAT: Duration = Duration::from_secs(15 * 60);
/// Alerts per timer run at most (the rest wait a second).
const BATCH: usize = 200;

fn warn_lead(desk: &Desk) -> Duration {
    desk.group_warn.unwrap_or(Duration::ZERO)
}

/// When the next alert (or warning) is due.
pub fn next_due(db: &impl Db, desk: &Desk) -> Result<Option<Timestamp>, DomainError> {
    Ok(rows::next_alert(db, REPEAT, warn_lead(desk))?)
}

/// Raises every alert and warning now due. Returns how many.
pub fn fire_due(ctx: &mut WriteCtx<'_>, desk: &Desk) -> Result<usize, DomainError> {
    let mut n = 0;
    if let Some(lead) = desk.group_warn.filter(|l| !l.is_zero()) {
        for id in rows::warnings_due(ctx, ctx.now, lead, BATCH)? {
            let Some(mut c) = rows::conversation(ctx, id)? else {
                continue;
            };
            c.warned_at = Some(ctx.now);
            rows::save_conversation(ctx, &c)?;
            let alert = alert(ctx, &c, SlaLevel::Warning)?;
            ctx.append(shared::Event::GroupAlert { alert })?;
            n += 1;
        }
    }
    let due = rows::alerts_due(ctx, ctx.now, REPEAT, BATCH)?;
    let mut lines = Vec::new();
    for id in &due {
        let Some(mut c) = rows::conversation(ctx, *id)? else {
            continue;
        };
        let alert = alert(ctx, &c, SlaLevel::Breach)?;
        lines.push(staff_text(&alert, ctx.now));
        c.alerted_at = Some(ctx.now);
        c.alerts += 1;
        rows::save_conversation(ctx, &c)?;
        super::publish::conversation(ctx, c.id)?;
        ctx.append(shared::Event::GroupAlert { alert })?;
        n += 1;
    }
    // One post per run: the staff chat is a group too (20 messages a
    // minute), so many alerts at once go as one list.
    match lines.len() {
        0 => {}
        1 => staff_post(ctx, desk, &lines[0])?,
        k => {
            let mut post = format!("🔴 {k} conversations unanswered in client groups:");
            let mut shown = 0;
            for l in &lines {
                let l = l.trim_start_matches("🔴 ");
                if post.len() + l.len() > 3500 {
                    break;
                }
                post.push_str("\n• ");
                post.push_str(l);
                shown += 1;
            }
            if shown < k {
                post.push_str(&format!(
                    "\n…and {} more: the Groups screen of agent-tui lists them all.",
                    k - shown
                ));
            }
            staff_post(ctx, desk, &post)?;
        }
    }
    Ok(n)
}

/// The alert for a conversation as it stands.
fn alert(
    ctx: &WriteCtx<'_>,
    c: &rows::Conversation,
    level: SlaLevel,
) -> Result<GroupAlert, DomainError> {
    let group = group_view::group(ctx, c.chat_id)?;
    let organisation = match group.as_ref().and_then(|g| g.organisation_id) {
        Some(id) => rows::organisation(ctx, id.0)?.map(|o| o.name),
        None => None,
    };
    let (who, said) = match c.owed_message_id {
        Some(m) => rows::message(ctx, c.chat_id, m)?.unwrap_or_default(),
        None => Default::default(),
    };
    let who_id = match c.owed_message_id {
        Some(m) => rows::author_of(ctx, c.chat_id, m)?.unwrap_or(c.opened_by),
        None => c.opened_by,
    };
    let mut excerpt: String = said.chars().take(80).collect();
    if said.chars().count() > 80 {
        excerpt.push('…');
    }
    Ok(GroupAlert {
        conversation_id: shared::ConversationId(c.id),
        chat_id: c.chat_id,
        queue: group.as_ref().and_then(|g| g.queue.clone()),
        organisation: organisation.unwrap_or_else(|| "an unbound group".into()),
        group_title: group.map_or_else(|| c.chat_id.to_string(), |g| g.title),
        level,
        due: c.due_at.unwrap_or(ctx.now),
        owed_since: c.owed_since.unwrap_or(c.opened_at),
        who_id,
        who,
        excerpt,
        repeat: c.alerts,
    })
}

/// "🔴 Unanswered in Acme · Acme ⇄ Support: Olga waiting 17m (since 09:02
/// UTC): «Hello! Our export fails…»".
fn staff_text(a: &GroupAlert, now: Timestamp) -> String {
    let again = if a.repeat > 0 { " (again)" } else { "" };
    format!(
        "🔴 Unanswered{again} in {} · {}: {} waiting {} (since {} UTC): «{}»",
        a.organisation,
        a.group_title,
        a.who,
        hours::short(now.since(a.owed_since)),
        hours::local(a.owed_since, &jiff::tz::TimeZone::UTC),
        a.excerpt,
    )
}
