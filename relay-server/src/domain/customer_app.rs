//! The customer's mini app (docs/miniapp.md): what a customer sees of
//! their tickets, in their language, as of now: the list with each
//! ticket's status, team, topic and honest ETA or time waited, and a
//! ticket's thread without internal notes. Only the customer's own
//! tickets of their private chat with the bot; another's is "not found".

use shared::*;

use super::DomainError;
use super::desk::Desk;
use super::i18n::Lang;
use super::wording;
use crate::store::{self, Db};

/// The most tickets the list shows.
pub const LIST_LIMIT: usize = 100;

fn is_open(t: &Ticket) -> bool {
    matches!(
        t.status,
        TicketStatus::New | TicketStatus::Open | TicketStatus::PendingOnCustomer
    )
}

/// A message as the customer sees it.
fn shown(m: &Message) -> AppMessage {
    AppMessage {
        id: m.id,
        from: match m.author {
            Author::Customer { .. } => AppFrom::Me,
            Author::Agent { .. } => AppFrom::Support,
            Author::Bot => AppFrom::Bot,
        },
        text: m.text.clone(),
        files: m
            .attachments
            .iter()
            .map(|a| AppFile {
                kind: a.kind,
                name: a.file_name.clone(),
                size: a.size,
            })
            .collect(),
        at: m.created_at,
    }
}

/// A ticket as the list shows it.
fn card(
    db: &impl Db,
    desk: &Desk,
    customer: &Customer,
    t: &Ticket,
    now: Timestamp,
    last: Option<&Message>,
) -> Result<AppTicket, DomainError> {
    let lang = Lang::of(customer);
    let open = is_open(t);
    let eta = if t.first_reply_at.is_none()
        && matches!(t.status, TicketStatus::New | TicketStatus::Open)
    {
        Some(wording::eta_at(db, now, desk, customer, t)?)
    } else {
        None
    };
    Ok(AppTicket {
        id: t.id,
        number: t.number,
        status: t.status,
        status_text: desk
            .bot
            .t(lang, &format!("state.{}", t.status.as_str()), &[]),
        team: desk
            .queues
            .get(&t.queue)
            .map_or_else(|| t.queue.as_str().to_owned(), |q| q.name.clone()),
        topic: wording::topic_label(desk, lang, t.topic.as_deref()),
        created_at: t.created_at,
        updated_at: t.updated_at,
        eta,
        waiting_since: t.waiting_since.filter(|_| open),
        csat: t.csat,
        can_rate: !open && t.csat.is_none(),
        can_write: open,
        last: last.map(shown),
    })
}

/// The customer's tickets in their chat with the bot, newest first
/// (none for someone the desk does not know yet).
pub fn tickets(
    db: &impl Db,
    desk: &Desk,
    telegram_user_id: i64,
    now: Timestamp,
) -> Result<Vec<AppTicket>, DomainError> {
    let Some(c) = store::read::customers_by_telegram(db, telegram_user_id)? else {
        return Ok(Vec::new());
    };
    store::tickets::newest_of(db, c.id, telegram_user_id, LIST_LIMIT)?
        .iter()
        .map(|t| {
            let last = store::customers::shown_messages(db, t.id, true)?;
            card(db, desk, &c, t, now, last.first())
        })
        .collect()
}

/// One of the customer's tickets with its thread; `None` when it is not
/// theirs (or does not exist: the two look the same).
pub fn thread(
    db: &impl Db,
    desk: &Desk,
    telegram_user_id: i64,
    id: TicketId,
    now: Timestamp,
) -> Result<Option<AppThread>, DomainError> {
    let Some(c) = store::read::customers_by_telegram(db, telegram_user_id)? else {
        return Ok(None);
    };
    let Some(t) = store::tickets::own(db, c.id, telegram_user_id, id)? else {
        return Ok(None);
    };
    let messages = store::customers::shown_messages(db, t.id, false)?;
    Ok(Some(AppThread {
        ticket: card(db, desk, &c, &t, now, messages.last())?,
        messages: messages.iter().map(shown).collect(),
    }))
}
