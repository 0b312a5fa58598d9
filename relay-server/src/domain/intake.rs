//! A customer's message arriving: the customer record, the ticket it joins
//! (or opens), the message, and who owes a reply. The Telegram adapter calls
//! this; so do the seeder and the benchmarks.

use std::time::Duration;

use shared::*;

use super::desk::Desk;
use super::i18n::Lang;
use super::ticket;
use super::{DomainError, outbox, validate};
use crate::store::rows::{self, NewMessage};
use crate::store::{self, WriteCtx};

/// Who wrote, as Telegram tells it.
#[derive(Debug, Clone)]
pub struct Sender {
    pub telegram_user_id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language: Option<String>,
}

impl Sender {
    /// What Telegram says about them, as the store keeps it.
    pub fn profile(&self) -> store::customers::Profile<'_> {
        store::customers::Profile {
            telegram_user_id: self.telegram_user_id,
            first_name: &self.first_name,
            last_name: self.last_name.as_deref(),
            username: self.username.as_deref(),
            language: self.language.as_deref(),
        }
    }
}

/// A customer's message to file.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub sender: Sender,
    /// The chat it came from (the user's id for a private chat).
    pub chat_id: i64,
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub telegram_message_id: Option<i64>,
    /// When the customer sent it (Telegram's date); `None`: now.
    pub sent_at: Option<Timestamp>,
    /// The queue a new ticket goes to; the default queue when `None`.
    pub queue: Option<QueueId>,
    pub topic: Option<String>,
    pub priority: Priority,
}

impl Inbound {
    /// A text message in the sender's private chat, sent now, routed as the
    /// desk's rules say (tests, benchmarks).
    pub fn plain(sender: Sender, text: impl Into<String>) -> Inbound {
        Inbound {
            chat_id: sender.telegram_user_id,
            sender,
            text: text.into(),
            attachments: vec![],
            telegram_message_id: None,
            sent_at: None,
            queue: None,
            topic: None,
            priority: Priority::Normal,
        }
    }
}

/// Where the message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filed {
    pub customer: CustomerId,
    pub ticket: TicketId,
    pub message: MessageId,
    pub new_ticket: bool,
}

/// Files a customer message: into their open ticket, or a new one.
pub fn customer_message(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    msg: &Inbound,
) -> Result<Filed, DomainError> {
    check(msg)?;
    let customer = upsert_customer(ctx, &msg.sender)?;
    file(ctx, desk, &customer, msg)
}

/// Files a checked message of a known customer: into their open ticket,
/// or a new one.
pub fn file(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    msg: &Inbound,
) -> Result<Filed, DomainError> {
    let (mut ticket, new_ticket) = match open_ticket_of(ctx, customer.id, msg.chat_id)? {
        Some(t) => (t, false),
        None => {
            let asked = Asked {
                customer,
                chat_id: msg.chat_id,
                queue: msg.queue.as_ref(),
                topic: msg.topic.clone(),
                priority: msg.priority,
            };
            let t = open_ticket(ctx, desk, asked)?;
            (t, true)
        }
    };
    let message = add_inbound(ctx, desk, customer, &mut ticket, msg, true)?;
    if new_ticket {
        opened(ctx, desk, &mut ticket)?;
    }
    Ok(Filed {
        customer: customer.id,
        ticket: ticket.id,
        message,
        new_ticket,
    })
}

/// A message we can file: text or an attachment, text within limits.
pub fn check(msg: &Inbound) -> Result<(), DomainError> {
    if msg.text.trim().is_empty() && msg.attachments.is_empty() {
        return Err(DomainError::invalid(
            "a message needs text or an attachment",
        ));
    }
    if !msg.text.is_empty() {
        validate::text(&msg.text)?;
    }
    Ok(())
}

/// The customer's open ticket in this chat (new, open or waiting on them).
pub fn open_ticket_of(
    ctx: &WriteCtx<'_>,
    customer: CustomerId,
    chat_id: i64,
) -> Result<Option<Ticket>, DomainError> {
    Ok(store::tickets::open_of(ctx, customer, chat_id)?)
}

/// Adds a customer's message to a ticket: the customer now waits for a
/// reply; a ticket waiting on them is open again. `flood_check`: whether
/// to slow down a customer writing too fast.
pub fn add_inbound(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    ticket: &mut Ticket,
    msg: &Inbound,
    flood_check: bool,
) -> Result<MessageId, DomainError> {
    let now = ctx.now;
    add_inbound_received(ctx, desk, customer, ticket, msg, flood_check, now)
}

/// [`add_inbound`] of a message that reached us at `received` (earlier,
/// when the bot held it during the dialogue): the thread, and the wait
/// owed, start when the customer wrote, not when the ticket was filed.
pub fn add_inbound_received(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    ticket: &mut Ticket,
    msg: &Inbound,
    flood_check: bool,
    received: Timestamp,
) -> Result<MessageId, DomainError> {
    let message = rows::insert_message(
        ctx,
        &NewMessage {
            ticket_id: ticket.id,
            kind: MessageKind::Inbound,
            author: Author::Customer { id: customer.id },
            text: &msg.text,
            attachments: &msg.attachments,
            telegram_message_id: msg.telegram_message_id,
            delivery: None,
        },
        received,
    )?;
    let message_id = message.id;
    if let Some(at) = msg.sent_at {
        store::messages::set_sent_at(ctx, message_id, at)?;
    }
    ctx.append(Event::MessageAdded { message })?;
    ticket.message_count += 1;
    ticket.last_message_id = Some(message_id);
    ticket.waiting_since.get_or_insert(received);
    if ticket.status == TicketStatus::PendingOnCustomer {
        ticket.status = TicketStatus::Open;
        let change = TicketChange::Status {
            from: TicketStatus::PendingOnCustomer,
            to: TicketStatus::Open,
        };
        ticket::save(ctx, &desk.queues, ticket, None, change)?;
    }
    ticket::save(
        ctx,
        &desk.queues,
        ticket,
        None,
        TicketChange::Thread { message_id },
    )?;
    if flood_check {
        slow_down_if_flooding(ctx, desk, customer, ticket, msg.sent_at.unwrap_or(ctx.now))?;
    }
    Ok(message_id)
}

/// More inbound messages than this within `FLOOD_WINDOW` is a flood.
pub const FLOOD_MESSAGES: u32 = 8;
pub const FLOOD_WINDOW: Duration = Duration::from_secs(10);
/// At most one flood notice per customer in this time.
pub const FLOOD_NOTICE_EVERY: Duration = Duration::from_secs(60);

/// A customer writing faster than anyone can read gets one polite notice
/// in their language: everything is saved, a person will answer, no need
/// to repeat. Their messages are all filed regardless; nothing is dropped.
fn slow_down_if_flooding(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    ticket: &mut Ticket,
    msg_sent_at: Timestamp,
) -> Result<(), DomainError> {
    // The send time of the FLOOD_MESSAGES-th message before this one: if
    // it is within the window, this one makes more than allowed.
    let earlier = store::messages::inbound_sent_at(ctx, ticket.id, FLOOD_MESSAGES)?;
    if earlier.is_none_or(|t| msg_sent_at.ms_since(t) > FLOOD_WINDOW.as_millis() as i64) {
        return Ok(());
    }
    let lang = Lang::from_code(customer.language.as_deref());
    let notice = desk.bot.t(lang, "flood.slow_down", &[]);
    let noticed =
        store::messages::bot_said_since(ctx, ticket.id, &notice, ctx.now - FLOOD_NOTICE_EVERY)?;
    if !noticed {
        outbox::bot_message(ctx, &desk.queues, ticket, &notice, None)?;
    }
    Ok(())
}

/// Inserts the customer, or updates what Telegram now says about them (a
/// language the customer chose with /language is kept).
pub fn upsert_customer(ctx: &mut WriteCtx<'_>, s: &Sender) -> Result<Customer, DomainError> {
    let existing = crate::store::read::customers_by_telegram(ctx, s.telegram_user_id)?;
    let mut c = match existing {
        Some(c) => c,
        None => {
            let id = store::customers::insert(ctx, &s.profile())?;
            let c = rows::load_customer(ctx, id)?
                .ok_or_else(|| DomainError::not_found("customer vanished"))?;
            ctx.append(Event::CustomerUpserted {
                customer: c.clone(),
            })?;
            return Ok(c);
        }
    };
    let differs = s.language.is_some() && s.language != c.language;
    let chosen = differs && store::customers::language_chosen(ctx, c.id)?;
    let language = if chosen {
        c.language.clone()
    } else {
        s.language.clone().or_else(|| c.language.clone())
    };
    if c.first_name == s.first_name
        && c.last_name == s.last_name
        && c.username == s.username
        && c.language == language
    {
        return Ok(c);
    }
    c.first_name = s.first_name.clone();
    c.last_name = s.last_name.clone();
    c.username = s.username.clone();
    c.language = language;
    store::customers::update_profile(
        ctx,
        c.id,
        &store::customers::Profile {
            telegram_user_id: c.telegram_user_id,
            first_name: &c.first_name,
            last_name: c.last_name.as_deref(),
            username: c.username.as_deref(),
            language: c.language.as_deref(),
        },
    )?;
    ctx.append(Event::CustomerUpserted {
        customer: c.clone(),
    })?;
    Ok(c)
}

/// What a new ticket starts from: who asked, in which chat, and what is
/// known of the request (a queue named by a stop word or the caller, the
/// topic, the priority).
pub struct Asked<'a> {
    pub customer: &'a Customer,
    pub chat_id: i64,
    pub queue: Option<&'a QueueId>,
    pub topic: Option<String>,
    pub priority: Priority,
}

/// Opens a ticket for a customer's chat: in `queue` when one is named (a
/// stop word's), else where the routing rules, then the topic, send it.
/// Its SLA clocks start, it is assigned when its queue does that, and a
/// queue that announces posts it to the staff chat.
pub fn open_ticket(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    asked: Asked<'_>,
) -> Result<Ticket, DomainError> {
    let Asked {
        customer,
        chat_id,
        queue,
        topic,
        priority,
    } = asked;
    let (queue, priority) = desk.route(&super::routing::Facts {
        customer,
        topic: topic.as_deref(),
        source: super::routing::Source::of_chat(chat_id),
        explicit: queue,
        priority,
    });
    let customer = customer.id;
    let queue = desk
        .queues
        .get(&queue)
        .ok_or_else(|| DomainError::not_found(format!("queue {queue} does not exist")))?;
    let number = store::tickets::next_number(ctx)?;
    let now = ctx.now;
    let mut ticket = Ticket {
        id: TicketId(0),
        number,
        customer_id: customer,
        status: TicketStatus::New,
        queue: queue.id.clone(),
        priority,
        tags: Vec::new(),
        assignee: None,
        topic,
        created_at: now,
        updated_at: now,
        first_reply_at: None,
        resolved_at: None,
        closed_at: None,
        waiting_since: Some(now),
        sla: SlaDeadlines::default(),
        message_count: 0,
        last_message_id: None,
        csat: None,
        shared_with: Vec::new(),
    };
    ticket.id = store::tickets::insert(
        ctx,
        &store::tickets::NewTicket {
            number,
            customer,
            chat_id,
            status: ticket.status,
            queue: &ticket.queue,
            priority: ticket.priority,
            topic: ticket.topic.as_deref(),
        },
    )?;
    super::sla::track(ctx, &desk.queues, &mut ticket)?;
    rows::save_ticket(ctx, &ticket)?;
    ctx.append(Event::TicketCreated {
        ticket: ticket.clone(),
    })?;
    Ok(ticket)
}

/// After a new ticket's first messages (and the customer's receipt) are
/// in: it is assigned as its queue does and announced. In this order, the
/// customer hears "ticket created" before "an engineer has taken it".
pub fn opened(ctx: &mut WriteCtx<'_>, desk: &Desk, ticket: &mut Ticket) -> Result<(), DomainError> {
    super::assign::auto_assign(ctx, desk, ticket, None)?;
    super::notify::announce(ctx, desk, ticket)?;
    Ok(())
}

/// A customer edited a message we filed (or hold as a draft while the
/// dialogue runs): the text changes, marked edited. Returns false when the
/// message is unknown.
pub fn customer_edit(
    ctx: &mut WriteCtx<'_>,
    chat_id: i64,
    telegram_message_id: i64,
    text: &str,
) -> Result<bool, DomainError> {
    validate::text(text)?;
    let Some(id) = store::messages::inbound_by_telegram_id(ctx, chat_id, telegram_message_id)?
    else {
        return Ok(store::conversations::edit_draft(
            ctx,
            chat_id,
            telegram_message_id,
            text,
        )?);
    };
    store::messages::edit_text(ctx, id, text)?;
    let m =
        rows::load_message(ctx, id)?.ok_or_else(|| DomainError::not_found("message vanished"))?;
    ctx.append(Event::MessageUpdated { message: m })?;
    Ok(true)
}

/// Marks a Telegram user as VIP (or not). A user who has not written yet
/// is recorded now, so their first message already routes as VIP; the
/// name is filled in from Telegram then.
pub fn set_vip(
    ctx: &mut WriteCtx<'_>,
    telegram_user_id: i64,
    vip: bool,
) -> Result<Customer, DomainError> {
    if !(1..=(1_i64 << 40)).contains(&telegram_user_id) {
        return Err(DomainError::invalid(format!(
            "{telegram_user_id} is not a Telegram user id (1..2^40)"
        )));
    }
    let mut c = match crate::store::read::customers_by_telegram(ctx, telegram_user_id)? {
        Some(c) => c,
        None => upsert_customer(
            ctx,
            &Sender {
                telegram_user_id,
                first_name: format!("user {telegram_user_id}"),
                last_name: None,
                username: None,
                language: None,
            },
        )?,
    };
    if c.vip == vip {
        return Ok(c);
    }
    c.vip = vip;
    store::customers::set_vip(ctx, c.id, vip)?;
    ctx.append(Event::CustomerUpserted {
        customer: c.clone(),
    })?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use shared::*;

    use super::{FLOOD_MESSAGES, Inbound, customer_edit};
    use crate::domain::i18n::Lang;
    use crate::domain::testkit::{Desk0, at, settings};

    const CHAT: i64 = 777;

    #[tokio::test]
    async fn follow_ups_join_the_open_ticket_and_the_wait_counts_from_the_first() {
        let desk = Desk0::new(settings(), at("2026-11-23T10:00:00Z")).await;
        let t1 = desk.customer_writes(CHAT, "uk", "Не працює оплата").await;
        desk.advance(Duration::from_secs(90));
        let t2 = desk.customer_writes(CHAT, "uk", "Досі не працює").await;
        assert_eq!(t1, t2);
        let t = desk.ticket(t1).await;
        assert_eq!(t.message_count, 2);
        assert_eq!(t.status, TicketStatus::New);
        assert_eq!(t.waiting_since, Some(at("2026-11-23T10:00:00Z")));
        assert!(t.sla.first_reply_due.is_some());
        let created = desk
            .events()
            .await
            .into_iter()
            .filter(|e| matches!(e, Event::TicketCreated { .. }))
            .count();
        assert_eq!(created, 1);
        assert_ne!(desk.customer_writes(CHAT + 1, "en", "hi").await, t1);
    }

    #[tokio::test]
    async fn an_edit_changes_the_filed_text_and_an_unknown_one_changes_nothing() {
        let desk = Desk0::new(settings(), at("2026-11-23T10:00:00Z")).await;
        let msg = Inbound {
            telegram_message_id: Some(41),
            ..Inbound::plain(Desk0::sender(CHAT, "en"), "The app crashes")
        };
        let filed = desk
            .write(move |ctx, d| super::customer_message(ctx, d, &msg))
            .await
            .unwrap();
        desk.advance(Duration::from_secs(30));
        let edited = desk
            .write(|ctx, _| customer_edit(ctx, CHAT, 41, "The app crashes on start"))
            .await
            .unwrap();
        assert!(edited);
        let m = desk.message(filed.message).await;
        assert_eq!(m.text, "The app crashes on start");
        assert_eq!(m.edited_at, Some(at("2026-11-23T10:00:30Z")));
        let before = desk.events().await.len();
        let unknown = desk
            .write(|ctx, _| customer_edit(ctx, CHAT, 99, "nothing"))
            .await
            .unwrap();
        assert!(!unknown);
        assert_eq!(desk.events().await.len(), before);
        // Bad input is refused and changes nothing.
        assert!(
            desk.write(|ctx, _| customer_edit(ctx, CHAT, 41, "a\u{0}b"))
                .await
                .is_err()
        );
        assert_eq!(
            desk.message(filed.message).await.text,
            "The app crashes on start"
        );
    }

    #[tokio::test]
    async fn a_flood_gets_one_polite_notice_and_every_message_is_filed() {
        let desk = Desk0::new(settings(), at("2026-11-23T10:00:00Z")).await;
        let n = FLOOD_MESSAGES as usize + 5;
        let mut ticket = None;
        for i in 0..n {
            ticket = Some(
                desk.customer_writes(CHAT, "ru", &format!("сообщение {i}"))
                    .await,
            );
            desk.advance(Duration::from_millis(500));
        }
        let t = desk.ticket(ticket.unwrap()).await;
        let notice = desk.desk.bot.t(Lang::Ru, "flood.slow_down", &[]);
        let sent = desk.sent_to(CHAT).await;
        assert_eq!(sent.iter().filter(|s| **s == notice).count(), 1, "{sent:?}");
        // Filed: every customer message plus the one bot notice.
        assert_eq!(t.message_count as usize, n + 1);
    }
}
