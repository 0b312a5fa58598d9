//! What the desk holds about one customer, gathered for them (a data
//! export: `relay-server customer export`). docs/privacy.md.

use serde::Serialize;
use shared::{Customer, Message, MessageKind, Ticket, Timestamp};

use super::DomainError;
use crate::store::{Db, customers, read};

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
        customer,
        tickets,
        notes_left_out: left_out,
    })
}
