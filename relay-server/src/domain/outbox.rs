//! The outbox: messages to customers waiting to reach Telegram, and what
//! their delivery did to the message (`message_updated` events). The sender
//! in `telegram/` decides when; these functions record what happened.

use shared::*;

use super::DomainError;
use super::buttons::Keyboard;
use super::desk::Desk;
use crate::store::{WriteCtx, customers, deletions, group_view, messages, outbox, rows};

/// Said of a message sent again after an earlier try's answer was lost
/// (the one ambiguity no Telegram client can avoid: see docs/telegram.md).
pub const MAYBE_TWICE: &str = "an earlier try's answer from Telegram was lost, so it was sent again: the customer may have received it twice";

fn set_delivery(
    ctx: &mut WriteCtx<'_>,
    taken: outbox::Taken,
    state: DeliveryState,
    reason: Option<&str>,
    telegram_id: Option<i64>,
) -> Result<(), DomainError> {
    if let Some(message) = taken.message {
        messages::set_delivery(ctx, message, state, reason, telegram_id)?;
        let m = rows::load_message(ctx, message)?
            .ok_or_else(|| DomainError::not_found(format!("message {message} vanished")))?;
        ctx.append(Event::MessageUpdated { message: m })?;
    }
    if let Some(g) = taken.group_message {
        group_view::set_delivery(ctx, g, state, reason, telegram_id)?;
        if let Some(message) = group_view::message(ctx, g)? {
            ctx.append(Event::GroupMessageUpdated { message })?;
        }
    }
    Ok(())
}

/// Said of a message not sent a third time: two tries' answers were lost.
pub const UNCERTAIN: &str = "Telegram's answers to two tries were lost, so it was not sent a third time: the customer may have it (even twice) or not at all; send it again if it matters";

/// Tries whose answer may be lost before a message is no longer sent: one
/// lost answer is resent (the customer may get two copies, and is told
/// so); a second one stops, so there are never more than two.
const MAX_LOST_ANSWERS: u32 = 2;

/// Telegram accepted the message (in `chat`, as `telegram_message_id`;
/// kept for 48 hours, so an erasure can delete it). Returns the safety
/// rules' post it was, if any (the caller tells them).
pub fn delivered(
    ctx: &mut WriteCtx<'_>,
    id: i64,
    chat: i64,
    telegram_message_id: i64,
) -> Result<Option<i64>, DomainError> {
    let taken = outbox::take(ctx, id)?;
    // Handed to Telegram before its customer was erased, recorded after:
    // it goes with the rest of the chat. Its row may be gone with the
    // erasure (which empties the chat's outbox, rows in flight too).
    let since = match taken {
        Some(t) => t.created_at,
        None => Timestamp(ctx.now.0 - deletions::WINDOW_MS),
    };
    if chat > 0 && deletions::erased_after(ctx, chat, since)? {
        deletions::queue_one(ctx, chat, telegram_message_id, ctx.now)?;
    } else {
        deletions::note(ctx, chat, telegram_message_id, ctx.now)?;
    }
    let call = taken.and_then(|t| t.safety_call);
    if let Some(taken) = taken {
        let note = (taken.lost > 0).then_some(MAYBE_TWICE);
        set_delivery(
            ctx,
            taken,
            DeliveryState::Sent,
            note,
            Some(telegram_message_id),
        )?;
    }
    Ok(call)
}

/// The message can't be delivered; the reason is shown to the engineer.
/// If an earlier try's answer was lost, it may have arrived all the same:
/// then it is `uncertain`, not `failed`.
/// Returns the safety rules' post it was, if any.
pub fn failed(ctx: &mut WriteCtx<'_>, id: i64, reason: &str) -> Result<Option<i64>, DomainError> {
    let taken = outbox::take(ctx, id)?;
    let call = taken.and_then(|t| t.safety_call);
    if let Some(taken) = taken {
        if taken.lost > 0 {
            let why = format!(
                "{reason}; an earlier try's answer from Telegram was lost, so the customer may have it all the same"
            );
            set_delivery(ctx, taken, DeliveryState::Uncertain, Some(&why), None)?;
        } else {
            set_delivery(ctx, taken, DeliveryState::Failed, Some(reason), None)?;
        }
    }
    Ok(call)
}

/// Stops sending a message whose tries' answers were lost twice.
fn uncertain(ctx: &mut WriteCtx<'_>, id: i64) -> Result<(), DomainError> {
    match outbox::take(ctx, id)? {
        Some(taken) if taken.message.is_some() || taken.group_message.is_some() => {
            set_delivery(ctx, taken, DeliveryState::Uncertain, Some(UNCERTAIN), None)
        }
        _ => {
            tracing::warn!(
                outbox = id,
                "telegram: a bot message's answers were lost twice; not sent again"
            );
            Ok(())
        }
    }
}

/// Not sent this time (or maybe sent: `ambiguous`); try again at `at`.
/// `counts`: false when the try was not the message's fault (a 429, the
/// bot's token refused): it does not use up one of its tries. A second
/// try whose answer was lost ends it: `uncertain`.
pub fn retry(
    ctx: &mut WriteCtx<'_>,
    id: i64,
    at: Timestamp,
    error: &str,
    ambiguous: bool,
    counts: bool,
) -> Result<(), DomainError> {
    let lost = outbox::retry(ctx, id, at, error, ambiguous, counts)?;
    if lost >= MAX_LOST_ANSWERS {
        uncertain(ctx, id)?;
    }
    Ok(())
}

/// What a starting sender needs to know of the one before it.
#[derive(Debug, Default)]
pub struct Restart {
    /// Chats of the rows left `sending`: a request may have gone out to
    /// them just before the stop.
    pub interrupted: Vec<i64>,
    /// Other chats a request went out to recently, with when.
    pub recent: Vec<(i64, Timestamp)>,
}

/// After a stop: rows left `sending` were handed to Telegram with no
/// answer recorded. Telegram may have them: each is sent again once (and,
/// once sent, marked "may have arrived twice"); one whose resend was cut
/// short as well is `uncertain`. Also reads which chats were sent to
/// within `window`, for the pacer.
pub fn recover(
    ctx: &mut WriteCtx<'_>,
    window: std::time::Duration,
) -> Result<Restart, DomainError> {
    let rows = outbox::recover(ctx)?;
    for row in &rows {
        if row.lost >= MAX_LOST_ANSWERS {
            uncertain(ctx, row.id)?;
        }
    }
    let since = ctx.now - window;
    Ok(Restart {
        interrupted: rows.iter().map(|r| r.chat_id).collect(),
        recent: outbox::recent_sends(ctx, since)?,
    })
}

/// A request went out to `chat` at `at`.
pub fn note_send(ctx: &mut WriteCtx<'_>, chat: i64, at: Timestamp) -> Result<(), DomainError> {
    Ok(outbox::note_send(ctx, chat, at)?)
}

/// The customer in a private chat blocked (or unblocked) the bot. Blocked:
/// everything still queued for them fails with that reason.
pub fn customer_blocked(
    ctx: &mut WriteCtx<'_>,
    telegram_user_id: i64,
    blocked: bool,
) -> Result<(), DomainError> {
    let Some(mut c) = crate::store::read::customers_by_telegram(ctx, telegram_user_id)? else {
        return Ok(());
    };
    if c.blocked != blocked {
        c.blocked = blocked;
        customers::set_blocked(ctx, c.id, blocked)?;
        ctx.append(Event::CustomerUpserted { customer: c })?;
    }
    if blocked {
        for id in outbox::pending_for_chat(ctx, telegram_user_id)? {
            failed(ctx, id, "the customer has blocked the bot")?;
        }
    }
    Ok(())
}

/// Queues a bot message that belongs to no ticket (a prompt, a button's
/// answer) for a private chat. Nothing is queued for a customer who
/// blocked the bot.
pub fn to_chat(
    ctx: &mut WriteCtx<'_>,
    chat_id: i64,
    text: &str,
    buttons: Option<&Keyboard>,
) -> Result<(), DomainError> {
    if customers::chat_blocked(ctx, chat_id)? {
        return Ok(());
    }
    let markup = buttons.map(Keyboard::encode);
    Ok(outbox::enqueue_text(ctx, chat_id, text, markup.as_deref())?)
}

/// Queues a message from the bot into a ticket's thread (visible to the
/// engineers, sent to the customer through the outbox). It is not a human
/// reply: who owes a reply does not change. Nothing is queued for a
/// customer who blocked the bot.
pub fn bot_message(
    ctx: &mut WriteCtx<'_>,
    queues: &super::queues::Queues,
    ticket: &mut Ticket,
    text: &str,
    buttons: Option<&Keyboard>,
) -> Result<Option<MessageId>, DomainError> {
    let markup = buttons.map(Keyboard::encode);
    bot_message_stored(ctx, queues, ticket, text, markup.as_deref())
}

/// [`bot_message`] with its buttons as stored (a held message released).
pub fn bot_message_stored(
    ctx: &mut WriteCtx<'_>,
    queues: &super::queues::Queues,
    ticket: &mut Ticket,
    text: &str,
    markup: Option<&str>,
) -> Result<Option<MessageId>, DomainError> {
    if customers::blocked(ctx, ticket.customer_id)? {
        return Ok(None);
    }
    // A ticket made from a client group talks there through its engineers'
    // replies only: the desk's notices (receipts, status changes, rating
    // buttons, which do nothing in a group) are not posted into it.
    if group_view::ticket_origin(ctx, ticket.id)?.is_some() {
        return Ok(None);
    }
    bot_entry(ctx, queues, ticket, MessageKind::Outbound, text, markup).map(Some)
}

/// Adds a bot message (`Outbound`: queued for Telegram with `markup`, an
/// encoded [`Keyboard`]) or a
/// bot note (`Note`: engineers only) to a ticket's thread.
pub fn bot_entry(
    ctx: &mut WriteCtx<'_>,
    queues: &super::queues::Queues,
    ticket: &mut Ticket,
    kind: MessageKind,
    text: &str,
    markup: Option<&str>,
) -> Result<MessageId, DomainError> {
    let outbound = kind == MessageKind::Outbound;
    let msg = rows::insert_message(
        ctx,
        &rows::NewMessage {
            ticket_id: ticket.id,
            kind,
            author: Author::Bot,
            text,
            attachments: &[],
            telegram_message_id: None,
            delivery: outbound.then_some(DeliveryState::Queued),
        },
        ctx.now,
    )?;
    if outbound {
        outbox::enqueue_message(ctx, msg.id, ticket.id, markup)?;
    }
    let id = msg.id;
    ctx.append(Event::MessageAdded { message: msg })?;
    ticket.message_count += 1;
    ticket.last_message_id = Some(id);
    super::ticket::save(
        ctx,
        queues,
        ticket,
        None,
        TicketChange::Thread { message_id: id },
    )?;
    Ok(id)
}

/// Adds an internal note from the desk to a ticket's thread.
pub fn desk_note(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    t: &mut Ticket,
    text: &str,
) -> Result<(), DomainError> {
    bot_entry(ctx, &desk.queues, t, MessageKind::Note, text, None).map(|_| ())
}

/// The staff chat gets `text`, when one is configured.
pub fn staff_post(ctx: &mut WriteCtx<'_>, desk: &Desk, text: &str) -> Result<(), DomainError> {
    match desk.rules.staff_chat {
        Some(chat) => to_chat(ctx, chat, text, None),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use shared::*;

    use super::*;
    use crate::domain::testkit::{Desk0, at, settings};

    const CHAT: i64 = 9001;

    /// A ticket with one engineer reply queued; the reply's outbox row.
    async fn replied(desk: &mut Desk0) -> (TicketId, crate::store::outbox::Due) {
        let ticket = desk.customer_writes(CHAT, "en", "Where is my order?").await;
        desk.command(Command::Reply {
            ticket_id: ticket,
            text: "On its way.".into(),
        })
        .await;
        let due = desk.due().await;
        let row = due.into_iter().find(|d| d.chat_id == CHAT).unwrap();
        (ticket, row)
    }

    #[tokio::test]
    async fn a_delivered_reply_is_marked_sent_with_its_telegram_id_and_leaves_the_outbox() {
        let mut desk = Desk0::new(settings(), at("2026-11-23T10:00:00Z")).await;
        let (_, row) = replied(&mut desk).await;
        assert_eq!(row.text, "On its way.");
        let message = row.message_id.unwrap();
        assert_eq!(
            desk.message(message).await.delivery.map(|d| d.state),
            Some(DeliveryState::Queued)
        );
        desk.write(move |ctx, _| delivered(ctx, row.id, CHAT, 555))
            .await
            .unwrap();
        let m = desk.message(message).await;
        assert_eq!(
            m.delivery.as_ref().map(|d| d.state),
            Some(DeliveryState::Sent)
        );
        assert_eq!(m.telegram_message_id, Some(555));
        assert_eq!(m.delivery.and_then(|d| d.reason), None);
        assert!(desk.due().await.iter().all(|d| d.chat_id != CHAT));
    }

    #[tokio::test]
    async fn a_resend_after_a_lost_answer_says_it_may_have_arrived_twice() {
        let mut desk = Desk0::new(settings(), at("2026-11-23T10:00:00Z")).await;
        let (_, row) = replied(&mut desk).await;
        let (id, message) = (row.id, row.message_id.unwrap());
        let now = crate::store::Clock::now(&*desk.clock);
        desk.write(move |ctx, _| retry(ctx, id, now, "connection reset", true, true))
            .await
            .unwrap();
        assert_eq!(
            desk.message(message).await.delivery.map(|d| d.state),
            Some(DeliveryState::Queued)
        );
        desk.write(move |ctx, _| delivered(ctx, id, CHAT, 556))
            .await
            .unwrap();
        let m = desk.message(message).await;
        assert_eq!(
            m.delivery.as_ref().map(|d| d.state),
            Some(DeliveryState::Sent)
        );
        assert_eq!(
            m.delivery.and_then(|d| d.reason).as_deref(),
            Some(MAYBE_TWICE)
        );
    }

    /// A crash loop resent the oldest maybe-sent reply after every restart:
    /// 7 copies, flagged "twice". A second lost answer ends it instead.
    #[tokio::test]
    async fn a_second_lost_answer_stops_the_resends_and_says_it_may_not_have_arrived() {
        let mut desk = Desk0::new(settings(), at("2026-11-23T10:00:00Z")).await;
        let (_, row) = replied(&mut desk).await;
        let (id, message) = (row.id, row.message_id.unwrap());
        let now = crate::store::Clock::now(&*desk.clock);
        // A rate limit is not a lost answer: it counts for nothing here.
        desk.write(move |ctx, _| retry(ctx, id, now, "Telegram asked to wait 3 s", false, false))
            .await
            .unwrap();
        desk.write(move |ctx, _| retry(ctx, id, now, "connection reset", true, true))
            .await
            .unwrap();
        assert!(desk.due().await.iter().any(|d| d.id == id), "resent once");
        desk.write(move |ctx, _| retry(ctx, id, now, "timed out", true, true))
            .await
            .unwrap();
        assert!(
            desk.due().await.iter().all(|d| d.id != id),
            "not sent a third time"
        );
        let d = desk.message(message).await.delivery.unwrap();
        assert_eq!(d.state, DeliveryState::Uncertain);
        assert_eq!(d.reason.as_deref(), Some(UNCERTAIN));
    }

    /// The server killed while sending, then again while resending.
    #[tokio::test]
    async fn a_resend_cut_short_by_a_second_crash_is_not_sent_again() {
        let mut desk = Desk0::new(settings(), at("2026-11-23T10:00:00Z")).await;
        let (_, row) = replied(&mut desk).await;
        let (id, message) = (row.id, row.message_id.unwrap());
        for crash in 1..=3 {
            let marked = desk
                .write(move |ctx, _| Ok(crate::store::outbox::mark_sending(ctx, &[id])?))
                .await
                .unwrap();
            let found = desk
                .write(|ctx, _| recover(ctx, std::time::Duration::from_secs(60)))
                .await
                .unwrap()
                .interrupted
                .len();
            match crash {
                1 => {
                    assert_eq!((marked, found), (1, 1));
                    assert!(desk.due().await.iter().any(|d| d.id == id));
                }
                2 => {
                    assert_eq!((marked, found), (1, 1));
                    assert!(desk.due().await.iter().all(|d| d.id != id));
                }
                _ => assert_eq!((marked, found), (0, 0), "nothing left to send"),
            }
        }
        let d = desk.message(message).await.delivery.unwrap();
        assert_eq!(d.state, DeliveryState::Uncertain);
    }

    /// `/forgetme` pressed while the chat's last message was in flight:
    /// the erasure empties the chat's outbox and queues its last word.
    /// Recording the in-flight send must not take the last word with it
    /// (the ids are never reused), and the message it sent goes with the
    /// rest of the chat.
    #[tokio::test]
    async fn a_send_in_flight_during_an_erasure_leaves_the_last_word_and_is_deleted() {
        let mut desk = Desk0::new(settings(), at("2026-11-23T10:00:00Z")).await;
        let (_, row) = replied(&mut desk).await;
        let id = row.id;
        desk.write(move |ctx, _| Ok(crate::store::outbox::mark_sending(ctx, &[id])?))
            .await
            .unwrap();
        desk.write(|ctx, _| {
            crate::domain::privacy::erase(ctx, CHAT, crate::store::access::Actor::Cli)?;
            to_chat(ctx, CHAT, "Your data has been erased.", None)
        })
        .await
        .unwrap();
        desk.write(move |ctx, _| delivered(ctx, id, CHAT, 777))
            .await
            .unwrap();
        let due = desk.due().await;
        let last: Vec<&str> = due
            .iter()
            .filter(|d| d.chat_id == CHAT)
            .map(|d| d.text.as_str())
            .collect();
        assert_eq!(last, ["Your data has been erased."]);
        assert!(due.iter().all(|d| d.id != id), "a new id");
        let now = crate::store::Clock::now(&*desk.clock);
        let deletions = desk
            .store
            .readers()
            .read(move |c| crate::store::deletions::due(c, now, 10))
            .await
            .unwrap();
        assert!(
            deletions
                .iter()
                .any(|d| d.chat_id == CHAT && d.message_ids.contains(&777)),
            "{deletions:?}"
        );
    }

    /// Giving up after a lost answer: it may have arrived, so not "failed".
    #[tokio::test]
    async fn giving_up_after_a_lost_answer_is_uncertain_not_failed() {
        let mut desk = Desk0::new(settings(), at("2026-11-23T10:00:00Z")).await;
        let (_, row) = replied(&mut desk).await;
        let (id, message) = (row.id, row.message_id.unwrap());
        let now = crate::store::Clock::now(&*desk.clock);
        desk.write(move |ctx, _| retry(ctx, id, now, "connection reset", true, true))
            .await
            .unwrap();
        desk.write(move |ctx, _| failed(ctx, id, "gave up after 8 attempts: HTTP 502"))
            .await
            .unwrap();
        let d = desk.message(message).await.delivery.unwrap();
        assert_eq!(d.state, DeliveryState::Uncertain);
        let reason = d.reason.unwrap();
        assert!(reason.starts_with("gave up after 8 attempts"), "{reason}");
        assert!(reason.contains("may have it all the same"), "{reason}");
    }

    #[tokio::test]
    async fn a_customer_who_blocks_the_bot_fails_what_waits_and_is_sent_nothing_more() {
        let mut desk = Desk0::new(settings(), at("2026-11-23T10:00:00Z")).await;
        let (ticket, row) = replied(&mut desk).await;
        let message = row.message_id.unwrap();
        desk.write(|ctx, _| customer_blocked(ctx, CHAT, true))
            .await
            .unwrap();
        let m = desk.message(message).await;
        assert_eq!(
            m.delivery.as_ref().map(|d| d.state),
            Some(DeliveryState::Failed)
        );
        assert_eq!(
            m.delivery.and_then(|d| d.reason).as_deref(),
            Some("the customer has blocked the bot")
        );
        let before = desk.sent_to(CHAT).await;
        desk.write(|ctx, _| to_chat(ctx, CHAT, "hello?", None))
            .await
            .unwrap();
        assert_eq!(desk.sent_to(CHAT).await, before);
        let refused = desk
            .command_with_id(
                "again",
                Command::Reply {
                    ticket_id: ticket,
                    text: "Still there?".into(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::Conflict);
    }
}
