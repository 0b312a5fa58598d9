//! A message in a customer group: stored with who wrote it (customer
//! side, staff, a bot), placed in its conversation ([`threads`]), and the
//! conversation's clock moved: a customer's message that is not a
//! pleasantry makes it owed (from then, due after the organisation's
//! reply SLA on its calendar); a staff message answers it. Bots' messages
//! never count as an answer. docs/groups.md.

use std::time::Duration;

use shared::Timestamp;

use super::pleasantry::is_pleasantry;
use super::threads::{self, Incoming, Known, Place, Side};
use crate::domain::DomainError;
use crate::domain::desk::Desk;
use crate::domain::safety::quarantine;
use crate::store::WriteCtx;
use crate::store::groups::{self as rows, NewMessage};

pub use crate::domain::group_message::GroupMessage;

/// When a conversation owed since `since` is due: the organisation's reply
/// SLA in business time on its calendar (its own, else its queue's).
/// `None` for a group bound to no organisation (nobody's SLA yet).
pub(super) fn due(
    ctx: &WriteCtx<'_>,
    desk: &Desk,
    chat_id: i64,
    since: Timestamp,
) -> Result<Option<Timestamp>, DomainError> {
    let Some(org) = rows::group(ctx, chat_id)?
        .and_then(|g| g.organisation)
        .map(|id| rows::organisation(ctx, id))
        .transpose()?
        .flatten()
    else {
        return Ok(None);
    };
    let calendar = desk.queues.calendar_for(&org.calendar, &org.queue);
    let sla = Duration::from_millis(u64::try_from(org.reply_sla_ms).unwrap_or(0));
    Ok(Some(calendar.add_business(since, sla)))
}

/// The clocks of a group's waiting conversations, set again (bound,
/// rebound, the bot back in it): due from when each started waiting, on
/// the organisation's SLA as it is now (none: unbound, or the bot is out
/// of the group), alerts, warnings and acknowledgements afresh.
pub(super) fn rearm(ctx: &mut WriteCtx<'_>, desk: &Desk, chat_id: i64) -> Result<(), DomainError> {
    let out = rows::group(ctx, chat_id)?
        .is_some_and(|g| matches!(g.bot_status.as_str(), "left" | "kicked"));
    for mut c in rows::owed_in(ctx, chat_id)? {
        c.due_at = match c.owed_since {
            Some(since) if !out => due(ctx, desk, chat_id, since)?,
            _ => None,
        };
        c.alerted_at = None;
        c.warned_at = None;
        c.alerts = 0;
        c.acked_by = None;
        rows::save_conversation(ctx, &c)?;
    }
    Ok(())
}

/// A message as stored, in `conversation`; never dated after it arrived.
fn stored<'m>(
    ctx: &WriteCtx<'_>,
    m: &'m GroupMessage,
    side: Side,
    conversation: Option<i64>,
) -> NewMessage<'m> {
    NewMessage {
        chat_id: m.chat_id,
        message_id: m.message_id,
        conversation,
        thread_id: m.topic,
        reply_to: m.reply_to,
        author_id: m.author_id,
        author_name: &m.author_name,
        side: side.as_str(),
        text: &m.text,
        sent_at: Timestamp(m.sent_at.0.min(ctx.now.0)),
    }
}

/// Files a group message. A message stored before (Telegram delivering it
/// again) changes nothing.
pub fn message(ctx: &mut WriteCtx<'_>, desk: &Desk, m: &GroupMessage) -> Result<(), DomainError> {
    let before = rows::group(ctx, m.chat_id)?;
    rows::seen_group(ctx, m.chat_id, &m.title, m.forum, None)?;
    if before.is_none_or(|g| g.title != m.title || g.forum != m.forum) {
        super::publish::group(ctx, m.chat_id)?;
    }
    if rows::has_message(ctx, m.chat_id, m.message_id)? {
        return Ok(());
    }
    let side = if m.author_is_bot {
        Side::Bot
    } else if rows::is_staff(ctx, m.chat_id, m.author_id)? {
        Side::Staff
    } else {
        Side::Customer
    };
    if side == Side::Staff {
        crate::domain::safety::official::staff_seen(ctx, m)?;
    }
    if side == Side::Staff
        && let Some(command) = super::staff_commands::StaffCommand::parse(&m.text)
    {
        // Kept, in no conversation (it answers nobody); removed from the group.
        rows::add_message(ctx, &stored(ctx, m, side, None))?;
        return super::staff_commands::run(ctx, desk, m, &command);
    }
    let pleasantry = side == Side::Customer && is_pleasantry(&m.text, m.sticker);
    if side == Side::Customer && quarantine::screen(ctx, desk, m, !pleasantry)?.is_some() {
        // Held: deleted from the group, kept in the quarantine, filed here
        // only if staff approve it.
        return Ok(());
    }
    file(ctx, desk, m, side, pleasantry, None)
}

/// A held message staff approved: filed as the client's message it was
/// (owed from when it was first sent), and posted back in the group as
/// `repost` (the bot's quote of it, in its topic, replying to what it
/// replied to). The group message follows the repost's delivery and then
/// carries its Telegram id, so replies to the repost join its
/// conversation.
pub fn restore(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    m: &GroupMessage,
    repost: &str,
) -> Result<(), DomainError> {
    if rows::has_message(ctx, m.chat_id, m.message_id)? {
        return Ok(());
    }
    let pleasantry = is_pleasantry(&m.text, m.sticker);
    file(ctx, desk, m, Side::Customer, pleasantry, Some(repost))
}

/// Places a message in its conversation and moves the conversation's
/// clock. `repost`: the desk posts it back (a restored message).
fn file(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    m: &GroupMessage,
    side: Side,
    pleasantry: bool,
    repost: Option<&str>,
) -> Result<(), DomainError> {
    let at = Timestamp(m.sent_at.0.min(ctx.now.0));
    let window_start = Timestamp(at.0 - threads::WINDOW.as_millis() as i64);
    let known = Known {
        replied: match m.reply_to {
            Some(r) => rows::conversation_of_message(ctx, m.chat_id, r)?,
            None => None,
        },
        topic: match m.topic {
            Some(t) => rows::topic_conversation(ctx, m.chat_id, t)?,
            None => None,
        },
        authors_recent: match m.topic {
            None => rows::authors_recent(ctx, m.chat_id, m.author_id, window_start)?,
            Some(_) => None,
        },
        latest_owed: match (m.topic, side) {
            (None, Side::Staff) => rows::latest_owed(ctx, m.chat_id)?,
            _ => None,
        },
    };
    let incoming = Incoming {
        in_topic: m.topic.is_some(),
        side,
        pleasantry,
    };
    let conversation = match threads::place(incoming, known) {
        Place::Join(c) => Some(c),
        Place::Open => Some(rows::open_conversation(
            ctx,
            m.chat_id,
            m.topic,
            m.author_id,
            at,
        )?),
        Place::Alone => None,
    };
    let Some(stored) = rows::add_message(ctx, &stored(ctx, m, side, conversation))? else {
        return Ok(());
    };
    if let Some(text) = repost {
        crate::store::group_view::repost(ctx, stored, m.chat_id, m.topic, m.reply_to, text)?;
    }
    let Some(mut c) = conversation
        .map(|id| rows::conversation(ctx, id))
        .transpose()?
        .flatten()
    else {
        super::publish::message_added(ctx, stored)?;
        return Ok(());
    };
    c.last_at = Timestamp(c.last_at.0.max(at.0));
    // A conversation that became a ticket being worked: the ticket's own
    // clocks hold (the client's words join it below).
    let ticketed = match c.ticket_id {
        Some(t) => super::tickets::active(ctx, t)?,
        None => false,
    };
    match side {
        Side::Customer if !pleasantry && !ticketed && c.owed_since.is_none() => {
            c.owed_since = Some(at);
            c.owed_message_id = Some(m.message_id);
            c.due_at = due(ctx, desk, m.chat_id, at)?;
            c.alerted_at = None;
        }
        Side::Staff => c.answered(),
        _ => {}
    }
    rows::save_conversation(ctx, &c)?;
    // The conversation first: a client reading the message knows where it goes.
    super::publish::conversation(ctx, c.id)?;
    super::publish::message_added(ctx, stored)?;
    if let Some(ticket) = c.ticket_id
        && ticketed
    {
        match side {
            Side::Customer => super::tickets::joined(ctx, desk, ticket, m)?,
            Side::Staff => super::tickets::answered_in_group(ctx, desk, ticket, m)?,
            Side::Bot => {}
        }
    }
    Ok(())
}

/// A group was upgraded to a supergroup (`migrate_to_chat_id`, and
/// `migrate_from_chat_id` in the new one; either or both may arrive):
/// everything of it moves to the new chat id, conversations and their
/// clocks included. The second notice finds nothing left to move.
pub fn migrated(ctx: &mut WriteCtx<'_>, from: i64, to: i64) -> Result<bool, DomainError> {
    let moved = rows::move_group(ctx, from, to)?;
    if moved {
        ctx.append(shared::Event::GroupMigrated { from, to })?;
        super::publish::group(ctx, to)?;
        tracing::info!(
            from,
            to,
            "group upgraded to a supergroup: its conversations moved"
        );
    }
    Ok(moved)
}

/// An edit of a group message: its text is kept up to date.
pub fn edit(
    ctx: &mut WriteCtx<'_>,
    chat_id: i64,
    message_id: i64,
    text: &str,
) -> Result<bool, DomainError> {
    if !rows::edit_message(ctx, chat_id, message_id, text)? {
        return Ok(false);
    }
    if let Some(id) = crate::store::group_view::message_id_of(ctx, chat_id, message_id)? {
        super::publish::message_updated(ctx, id)?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::{Desk0, at, settings};
    use crate::store::groups::Organisation;

    const GROUP: i64 = -1_001_234;
    const ANNA: i64 = 501;
    const BORIS: i64 = 502;
    const STAFF: i64 = 900;
    const STAFF_CHAT: i64 = -1_000_000_000_777;

    fn msg(id: i64, author: i64, text: &str, sent: Timestamp) -> GroupMessage {
        GroupMessage {
            chat_id: GROUP,
            title: "Acme support".into(),
            forum: false,
            message_id: id,
            topic: None,
            reply_to: None,
            author_id: author,
            author_name: format!("user {author}"),
            author_is_bot: false,
            text: text.into(),
            sent_at: sent,
            ..GroupMessage::default()
        }
    }

    async fn desk() -> Desk0 {
        desk_on("", at("2026-03-02T09:00:00Z")).await
    }

    /// A desk whose organisation Acme (L1, 15 min) runs on `calendar`
    /// ("office": Kyiv, Monday-Friday 09-18), at `start`.
    async fn desk_on(calendar: &'static str, start: Timestamp) -> Desk0 {
        let mut s = settings();
        s.staff.chat_id = STAFF_CHAT;
        s.calendars.insert(
            "office".into(),
            crate::settings::HoursSettings {
                time_zone: "Europe/Kyiv".into(),
                open: vec!["mon-fri 09:00-18:00".into()],
                holidays: vec![],
            },
        );
        let d = Desk0::new(s, start).await;
        d.write(move |ctx, _| {
            let org = rows::add_organisation(
                ctx,
                &Organisation {
                    id: 0,
                    name: "Acme".into(),
                    vip: false,
                    queue: "L1".into(),
                    calendar: calendar.into(),
                    reply_sla_ms: 15 * 60_000,
                    language: "en".into(),
                    app_shared: false,
                },
            )?;
            rows::seen_group(ctx, GROUP, "Acme support", false, None)?;
            rows::bind(ctx, GROUP, Some(org))?;
            rows::link_staff(ctx, shared::AgentId(1), STAFF)?;
            Ok(())
        })
        .await
        .unwrap();
        d
    }

    async fn file(d: &Desk0, m: GroupMessage) {
        d.write(move |ctx, desk| message(ctx, desk, &m))
            .await
            .unwrap();
    }

    async fn conversations(d: &Desk0) -> Vec<rows::Conversation> {
        d.store
            .readers()
            .read(|c| rows::conversations(c, GROUP, 100))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_question_is_owed_until_staff_answer_and_thanks_owe_nothing() {
        let d = desk().await;
        let t0 = d.now();
        file(
            &d,
            msg(1, ANNA, "Hi! The export fails since this morning", t0),
        )
        .await;
        file(&d, msg(2, ANNA, "It says error 502", t0)).await;
        let c = conversations(&d).await;
        assert_eq!(c.len(), 1, "one burst, one conversation");
        assert_eq!(c[0].owed_since, Some(t0));
        assert_eq!(c[0].owed_message_id, Some(1));
        assert_eq!(
            c[0].due_at,
            Some(Timestamp(t0.0 + 15 * 60_000)),
            "24/7 queue: 15 min"
        );
        // Another customer, another conversation.
        file(&d, msg(3, BORIS, "Also: can we add a user?", t0)).await;
        assert_eq!(conversations(&d).await.len(), 2);
        // Staff answer Anna by replying.
        let mut reply = msg(4, STAFF, "Looking into it", t0);
        reply.reply_to = Some(2);
        file(&d, reply).await;
        let c = conversations(&d).await;
        let anna = c.iter().find(|c| c.opened_by == ANNA).unwrap();
        assert_eq!(anna.owed_since, None, "answered");
        let boris = c.iter().find(|c| c.opened_by == BORIS).unwrap();
        assert!(boris.owed_since.is_some(), "still waiting");
        // Thanks: nothing owed again.
        file(&d, msg(5, ANNA, "thanks!", t0)).await;
        let c = conversations(&d).await;
        assert!(
            c.iter()
                .find(|c| c.opened_by == ANNA)
                .unwrap()
                .owed_since
                .is_none()
        );
        // Staff writing without a reply answers the latest owed (Boris).
        file(&d, msg(6, STAFF, "Boris, yes: Settings > Users", t0)).await;
        assert!(
            conversations(&d)
                .await
                .iter()
                .all(|c| c.owed_since.is_none())
        );
        // Telegram delivering a message again changes nothing.
        file(
            &d,
            msg(1, ANNA, "Hi! The export fails since this morning", t0),
        )
        .await;
        assert!(
            conversations(&d)
                .await
                .iter()
                .all(|c| c.owed_since.is_none())
        );
    }

    #[tokio::test]
    async fn the_clock_runs_on_the_organisations_calendar() {
        // Friday 17:55 in Kyiv (15:55 UTC): 5 minutes today, 10 on Monday.
        let d = desk_on("office", at("2026-03-06T15:55:00Z")).await;
        file(&d, msg(1, ANNA, "Invoices missing", d.now())).await;
        let c = conversations(&d).await;
        assert_eq!(
            c[0].due_at,
            Some(at("2026-03-09T07:10:00Z")),
            "Monday 09:10 Kyiv"
        );
        // An unbound group keeps who owes, with no due time ...
        d.write(|ctx, desk| super::super::orgs::bind(ctx, desk, GROUP, None))
            .await
            .unwrap();
        file(&d, msg(2, BORIS, "Hello, anyone?", d.now())).await;
        let boris =
            |c: Vec<rows::Conversation>| c.into_iter().find(|c| c.opened_by == BORIS).unwrap();
        let b = boris(conversations(&d).await);
        assert!(b.owed_since.is_some() && b.due_at.is_none());
        // ... until it is bound: then it is due from when it started waiting.
        d.write(|ctx, desk| super::super::orgs::bind(ctx, desk, GROUP, Some("Acme")))
            .await
            .unwrap();
        let b = boris(conversations(&d).await);
        assert_eq!(b.due_at, Some(at("2026-03-09T07:10:00Z")));
    }

    /// What the staff chat was sent, oldest first.
    async fn staff_posts(d: &Desk0) -> Vec<String> {
        d.store
            .readers()
            .read(|c| crate::store::outbox::texts_for(c, STAFF_CHAT))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn an_unanswered_question_alerts_the_staff_chat_until_staff_answer() {
        let d = desk().await;
        let t0 = d.now();
        file(&d, msg(1, ANNA, "The export fails with error 502", t0)).await;
        let next = |d: &Desk0| {
            let desk = d.desk.clone();
            let readers = d.store.readers().clone();
            async move {
                readers
                    .read(move |c| Ok(crate::domain::timers::next_due(c, &desk)))
                    .await
                    .unwrap()
                    .unwrap()
            }
        };
        assert_eq!(
            next(&d).await,
            Some(Timestamp(t0.0 + 10 * 60_000)),
            "the scheduler wakes for the warning, [groups] warn_before (5 min) ahead"
        );
        d.advance(Duration::from_secs(9 * 60));
        assert_eq!(d.tick().await.group_alerts, 0);
        d.advance(Duration::from_secs(60));
        assert_eq!(d.tick().await.group_alerts, 1, "the warning");
        assert!(
            staff_posts(&d).await.is_empty(),
            "warnings go to the workstations only"
        );
        assert_eq!(
            next(&d).await,
            Some(Timestamp(t0.0 + 15 * 60_000)),
            "then at the due time"
        );
        d.advance(Duration::from_secs(4 * 60));
        assert_eq!(d.tick().await.group_alerts, 0);
        d.advance(Duration::from_secs(60));
        assert_eq!(d.tick().await.group_alerts, 1);
        let posts = staff_posts(&d).await;
        assert_eq!(
            posts,
            [
                "🔴 Unanswered in Acme · Acme support: user 501 waiting 15m (since 2026-03-02 09:00 UTC): «The export fails with error 502»"
            ]
        );
        // Not again until REPEAT has passed; then "again".
        d.advance(Duration::from_secs(5 * 60));
        assert_eq!(d.tick().await.group_alerts, 0);
        d.advance(super::super::alerts::REPEAT);
        assert_eq!(d.tick().await.group_alerts, 1);
        assert!(staff_posts(&d).await[1].starts_with("🔴 Unanswered (again) in Acme"));
        // Staff answer: no more alerts.
        let mut reply = msg(2, STAFF, "On it", d.now());
        reply.reply_to = Some(1);
        file(&d, reply).await;
        d.advance(Duration::from_secs(3600));
        assert_eq!(d.tick().await.group_alerts, 0);
        assert_eq!(staff_posts(&d).await.len(), 2);
    }

    #[tokio::test]
    async fn a_group_upgraded_to_a_supergroup_keeps_its_conversation_and_clock() {
        let d = desk().await;
        let t0 = d.now();
        file(&d, msg(1, ANNA, "Export fails", t0)).await;
        let before = conversations(&d).await;
        const NEW: i64 = -1_009_999_000_001;
        // Both notices arrive; the second finds nothing left to move.
        assert!(d.write(|ctx, _| migrated(ctx, GROUP, NEW)).await.unwrap());
        assert!(!d.write(|ctx, _| migrated(ctx, GROUP, NEW)).await.unwrap());
        let (group, moved) = d
            .store
            .readers()
            .read(|c| Ok((rows::group(c, NEW)?, rows::conversations(c, NEW, 10)?)))
            .await
            .unwrap();
        assert!(group.unwrap().organisation.is_some(), "still bound");
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0].due_at, before[0].due_at, "the clock runs on");
        // Anna is one of its people there too (her standing came along).
        let (old, new) = d
            .store
            .readers()
            .read(|c| {
                Ok((
                    crate::store::safety::member(c, GROUP, ANNA)?,
                    crate::store::safety::member(c, NEW, ANNA)?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(
            (old, new.map(|m| m.name)),
            (None, Some(format!("user {ANNA}")))
        );
        // Message 1 of the new chat is a new message, not the old one; a
        // staff reply there answers the moved conversation.
        let mut m = msg(1, STAFF, "We are on it", t0);
        m.chat_id = NEW;
        file(&d, m).await;
        let after = d
            .store
            .readers()
            .read(|c| rows::conversations(c, NEW, 10))
            .await
            .unwrap();
        assert_eq!(after.len(), 1);
        assert!(after[0].owed_since.is_none(), "answered in the supergroup");
    }

    #[tokio::test]
    async fn a_per_group_override_makes_a_client_staff_and_an_engineer_a_client() {
        let d = desk().await;
        let t0 = d.now();
        d.write(|ctx, _| {
            super::super::orgs::set_side(ctx, GROUP, BORIS, true)?;
            super::super::orgs::set_side(ctx, GROUP, STAFF, false)
        })
        .await
        .unwrap();
        file(&d, msg(1, ANNA, "Export fails", t0)).await;
        file(&d, msg(2, BORIS, "Anna, restart the sync", t0)).await;
        assert!(
            conversations(&d).await[0].owed_since.is_none(),
            "Boris answers here"
        );
        file(&d, msg(3, STAFF, "Also asking: is the API down", t0)).await;
        let c = conversations(&d).await;
        assert!(
            c.iter()
                .any(|c| c.opened_by == STAFF && c.owed_since.is_some()),
            "the engineer asks as a client here"
        );
        let unknown = d
            .write(|ctx, _| super::super::orgs::set_side(ctx, -5, BORIS, true))
            .await
            .unwrap_err();
        assert!(unknown.message.contains("not in group -5"));
    }

    #[tokio::test]
    async fn a_thanks_alone_opens_nothing_and_bots_never_answer() {
        let d = desk().await;
        let t0 = d.now();
        file(&d, msg(1, ANNA, "👍", t0)).await;
        assert!(conversations(&d).await.is_empty());
        file(&d, msg(2, ANNA, "Is the API down?", t0)).await;
        let mut bot = msg(3, 777, "Your ticket #10001 was created", t0);
        bot.author_is_bot = true;
        bot.reply_to = Some(2);
        file(&d, bot).await;
        let c = conversations(&d).await;
        assert_eq!(c.len(), 1);
        assert!(c[0].owed_since.is_some(), "a bot's reply is no answer");
    }

    #[tokio::test]
    async fn a_burst_ends_after_the_window_and_topics_are_conversations() {
        let d = desk().await;
        let t0 = d.now();
        file(&d, msg(1, ANNA, "Export fails", t0)).await;
        d.advance(threads::WINDOW + Duration::from_secs(60));
        let t1 = d.now();
        file(&d, msg(2, ANNA, "Another thing: invoices are late", t1)).await;
        assert_eq!(conversations(&d).await.len(), 2);
        // In a forum, each topic is one conversation whoever writes.
        let mut a = msg(10, ANNA, "Billing question", t1);
        a.topic = Some(77);
        let mut b = msg(11, BORIS, "Same here", t1);
        b.topic = Some(77);
        file(&d, a).await;
        file(&d, b).await;
        let topic: Vec<_> = conversations(&d)
            .await
            .into_iter()
            .filter(|c| c.thread_id == Some(77))
            .collect();
        assert_eq!(topic.len(), 1);
        assert_eq!(topic[0].owed_message_id, Some(10));
    }

    async fn next(d: &Desk0) -> Option<Timestamp> {
        let desk = d.desk.clone();
        d.store
            .readers()
            .read(move |c| Ok(crate::domain::timers::next_due(c, &desk)))
            .await
            .unwrap()
            .unwrap()
    }

    /// An acknowledgement stops the repeats, not the first alert; binding
    /// again sets the clock afresh (no stale repeat keeps the scheduler
    /// busy); a group the bot left raises nothing until it is back.
    #[tokio::test]
    async fn acknowledged_rebound_and_removed_groups_keep_the_scheduler_honest() {
        let d = desk().await;
        let t0 = d.now();
        file(&d, msg(1, ANNA, "The export fails with error 502", t0)).await;
        let id = conversations(&d).await[0].id;
        // Acknowledged before the due time: the first alert still goes out.
        let lead = d.lead_id;
        d.write(move |ctx, desk| {
            let agent = crate::store::rows::load_agent(ctx, lead)?.expect("lead");
            super::super::workstation::ack(ctx, desk, &agent, shared::ConversationId(id))
        })
        .await
        .unwrap();
        d.advance(Duration::from_secs(15 * 60));
        assert_eq!(
            d.tick().await.group_alerts,
            1,
            "the alert (no warning for an acknowledged one)"
        );
        assert_eq!(staff_posts(&d).await.len(), 1);
        d.advance(super::super::alerts::REPEAT * 2);
        assert_eq!(d.tick().await.group_alerts, 0, "acknowledged: no repeat");
        // Bound again (to a slower organisation): due afresh, nothing
        // stale for the scheduler.
        d.write(|ctx, desk| {
            super::super::orgs::add(
                ctx,
                desk,
                &super::super::orgs::NewOrganisation {
                    name: "Slow".into(),
                    vip: false,
                    queue: "L1".into(),
                    calendar: String::new(),
                    reply_sla: Duration::from_secs(4 * 3600),
                    language: "en".into(),
                },
            )?;
            super::super::orgs::bind(ctx, desk, GROUP, Some("Slow"))
        })
        .await
        .unwrap();
        let c = conversations(&d).await.remove(0);
        let due = Timestamp(t0.0 + 4 * 3_600_000);
        assert_eq!((c.due_at, c.alerted_at, c.alerts), (Some(due), None, 0));
        assert_eq!(next(&d).await, Some(Timestamp(due.0 - 5 * 60_000)));
        // The bot is removed: the clock stops; back: it runs again.
        d.write(|ctx, desk| {
            super::super::membership::bot(ctx, desk, GROUP, "Acme support", false, "kicked", false)
        })
        .await
        .unwrap();
        assert_eq!(conversations(&d).await[0].due_at, None);
        assert_eq!(next(&d).await, None, "nothing to wake for");
        d.write(|ctx, desk| {
            super::super::membership::bot(
                ctx,
                desk,
                GROUP,
                "Acme support",
                false,
                "administrator",
                false,
            )
        })
        .await
        .unwrap();
        assert_eq!(conversations(&d).await[0].due_at, Some(due));
    }
}
