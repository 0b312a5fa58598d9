//! What the desk holds about one customer, gathered for them (a data
//! export: `relay-server customer export`), and erasing it (`relay-server
//! customer erase`). docs/privacy.md.

use serde::Serialize;
use shared::{Customer, CustomerId, Event, Message, MessageKind, Ticket, Timestamp};

use super::DomainError;
use crate::store::access::{self, Actor, AuditEntry};
use crate::store::{Db, WriteCtx, consent, customers, deletions, erase, read};

/// The format's name and version, first in every export.
pub const FORMAT: &str = "relay-server customer export 1";

/// One customer's data.
#[derive(Debug, Serialize)]
pub struct Export {
    pub format: &'static str,
    pub exported_at: Timestamp,
    /// Their profile as stored: Telegram id, names, username, language,
    /// time zone, VIP, blocked, and when they agreed to the terms
    /// (`consent_at`).
    pub customer: Customer,
    /// Every answer to the consent question and every withdrawal, oldest
    /// first, with the version and wording of the text.
    pub consent_log: Vec<consent::Record>,
    /// Every ticket, oldest first, closed ones included, each with its
    /// messages (and its CSAT rating in `ticket.csat`).
    pub tickets: Vec<ExportedTicket>,
    /// Engineers' internal notes left out (with `notes: false`).
    pub notes_left_out: u32,
}

#[derive(Debug, Serialize)]
pub struct ExportedTicket {
    pub ticket: Ticket,
    pub messages: Vec<Message>,
}

/// Gathers the export for the customer with this Telegram user id.
/// `notes`: include engineers' internal notes about them.
pub fn export(
    db: &impl Db,
    telegram_user_id: i64,
    notes: bool,
    now: Timestamp,
) -> Result<Export, DomainError> {
    let customer = read::customers_by_telegram(db, telegram_user_id)?.ok_or_else(|| {
        DomainError::not_found(format!(
            "no customer with Telegram user id {telegram_user_id}"
        ))
    })?;
    let mut left_out = 0;
    let mut tickets = Vec::new();
    for ticket in customers::all_tickets(db, customer.id)? {
        let mut messages = customers::all_messages(db, ticket.id)?;
        if !notes {
            let before = messages.len();
            messages.retain(|m| m.kind != MessageKind::Note);
            left_out += (before - messages.len()) as u32;
        }
        tickets.push(ExportedTicket { ticket, messages });
    }
    Ok(Export {
        format: FORMAT,
        exported_at: now,
        consent_log: consent::of(db, customer.id)?,
        customer,
        tickets,
        notes_left_out: left_out,
    })
}

/// What erasing a customer removes (the preview), or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    /// `None`: someone known only from customer groups (no private chat).
    pub customer: Option<CustomerId>,
    pub telegram_user_id: i64,
    pub tickets: u64,
    pub messages: u64,
    /// Events rewritten as `withheld`.
    pub events: u64,
    /// Attachments (Telegram file ids and `upload:` ids) to delete from the
    /// files directory.
    pub files: Vec<String>,
    /// Other rows: dialogue, drafts, notices, self-service, Telegram updates.
    pub rows: u64,
    /// Messages of other tickets where their name was replaced.
    pub mentions: u64,
    /// Messages of their chat (theirs and the bot's) from the last 48 hours
    /// queued for deletion in Telegram.
    pub telegram_messages: u64,
}

/// What others see where an erased customer's name was.
pub const PSEUDONYM: &str = "[erased customer]";

fn unknown(telegram_user_id: i64) -> DomainError {
    DomainError::not_found(format!(
        "no customer with Telegram user id {telegram_user_id}"
    ))
}

/// What `erase` would remove, changing nothing.
/// Someone known only from customer groups: their group messages.
fn group_only(db: &impl Db, telegram_user_id: i64) -> Result<Erasure, DomainError> {
    let messages = erase::group_messages_of(db, telegram_user_id)?;
    if messages == 0 {
        return Err(unknown(telegram_user_id));
    }
    Ok(Erasure {
        customer: None,
        telegram_user_id,
        tickets: 0,
        messages,
        events: 0,
        files: Vec::new(),
        rows: 0,
        mentions: 0,
        telegram_messages: 0,
    })
}

pub fn erase_preview(db: &impl Db, telegram_user_id: i64) -> Result<Erasure, DomainError> {
    let Some((customer, _, _)) = erase::customer_by_telegram(db, telegram_user_id)? else {
        return group_only(db, telegram_user_id);
    };
    let tickets = erase::tickets_of(db, customer)?;
    let f = erase::count(db, &tickets)?;
    Ok(Erasure {
        customer: Some(customer),
        telegram_user_id,
        tickets: tickets.len() as u64,
        messages: f.messages + erase::group_messages_of(db, telegram_user_id)?,
        events: f.events,
        files: f.files,
        rows: 0,
        mentions: 0,
        telegram_messages: 0,
    })
}

/// Erases a customer: their tickets, messages and every row about them;
/// the events that carried their data become `withheld`; their name in
/// other tickets' messages becomes [`PSEUDONYM`]; clients are told with
/// `customer_erased`; their chat's messages of the last 48 hours are
/// queued for deletion in Telegram. A content-free audit record stays.
/// What is deleted is overwritten with zeros (`secure_delete`); the files
/// to delete and the WAL to empty are left as a follow-up
/// (`relay_server::finish_erasures`).
pub fn erase(
    ctx: &mut WriteCtx<'_>,
    telegram_user_id: i64,
    by: Actor,
) -> Result<Erasure, DomainError> {
    let Some((customer, name, username)) = erase::customer_by_telegram(ctx, telegram_user_id)?
    else {
        // Known only from customer groups.
        let mut out = group_only(ctx, telegram_user_id)?;
        out.rows = erase::forget_person(ctx, telegram_user_id)?;
        ctx.append(Event::GroupPersonErased { telegram_user_id })?;
        access::log(
            ctx,
            &AuditEntry {
                at: ctx.now,
                action: "erase".into(),
                actor: by,
                ticket: None,
                customer: None,
                detail: format!(
                    "Telegram user {telegram_user_id}: {} group messages",
                    out.messages
                ),
            },
        )?;
        return Ok(out);
    };
    let group_messages = erase::group_messages_of(ctx, telegram_user_id)?;
    let mut chats = erase::chats_of(ctx, customer)?;
    if !chats.contains(&telegram_user_id) {
        chats.push(telegram_user_id);
    }
    let telegram_messages = deletions::queue(ctx, &chats, ctx.now)?;
    let tickets = erase::tickets_of(ctx, customer)?;
    let f = erase::forget_tickets(ctx, &tickets)?;
    let mut names = vec![name];
    if let Some(u) = username.filter(|u| !u.is_empty()) {
        names.push(format!("@{u}"));
    }
    let rows = erase::forget_customer(ctx, customer, telegram_user_id, &names, PSEUDONYM)?;
    ctx.append(Event::CustomerErased {
        customer_id: customer,
        tickets: tickets.clone(),
    })?;
    ctx.append(Event::GroupPersonErased { telegram_user_id })?;
    // Clients holding a message that named them get it pseudonymised.
    for id in &rows.mentions {
        if let Some(message) = crate::store::rows::load_message(ctx, *id)? {
            ctx.append(Event::MessageUpdated { message })?;
        }
    }
    let out = Erasure {
        customer: Some(customer),
        telegram_user_id,
        tickets: tickets.len() as u64,
        messages: f.messages + group_messages,
        events: f.events + rows.events,
        files: f.files,
        rows: rows.rows,
        mentions: rows.mentions.len() as u64,
        telegram_messages,
    };
    erase::add_followup(ctx, &out.files)?;
    access::log(
        ctx,
        &AuditEntry {
            at: ctx.now,
            // The customer's own request (`/forgetme`) or an operator's.
            action: if matches!(by, Actor::Customer(_)) {
                "forgetme".into()
            } else {
                "erase".into()
            },
            actor: by,
            ticket: None,
            customer: Some(customer),
            detail: format!(
                "{} tickets, {} messages, {} events withheld, {} files, {} other rows, {} mentions, {} Telegram messages to delete",
                out.tickets,
                out.messages,
                out.events,
                out.files.len(),
                out.rows,
                out.mentions,
                out.telegram_messages
            ),
        },
    )?;
    Ok(out)
}
