//! The customers table.

use rusqlite::{OptionalExtension, params};
use shared::CustomerId;

use super::{Db, StoreError, WriteCtx};

/// Whether the customer of this private chat has blocked the bot.
pub fn chat_blocked(db: &impl Db, chat: i64) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT blocked FROM customers WHERE telegram_user_id = ?1")?
        .query_row([chat], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// Whether this customer has blocked the bot.
pub fn blocked(db: &impl Db, id: CustomerId) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT blocked FROM customers WHERE id = ?1")?
        .query_row([id.0], |r| r.get(0))?)
}

pub fn set_blocked(ctx: &WriteCtx<'_>, id: CustomerId, blocked: bool) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE customers SET blocked = ?2 WHERE id = ?1")?
        .execute(params![id.0, blocked])?;
    Ok(())
}

/// What Telegram says about a person.
pub struct Profile<'a> {
    pub telegram_user_id: i64,
    pub first_name: &'a str,
    pub last_name: Option<&'a str>,
    pub username: Option<&'a str>,
    pub language: Option<&'a str>,
}

/// Inserts a customer; returns their id.
pub fn insert(ctx: &WriteCtx<'_>, p: &Profile<'_>) -> Result<CustomerId, StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO customers (telegram_user_id, first_name, last_name, username, language, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            p.telegram_user_id,
            p.first_name,
            p.last_name,
            p.username,
            p.language,
            ctx.now.0
        ])?;
    Ok(CustomerId(ctx.conn.last_insert_rowid()))
}

/// Updates name, username and language.
pub fn update_profile(
    ctx: &WriteCtx<'_>,
    id: CustomerId,
    p: &Profile<'_>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE customers SET first_name = ?2, last_name = ?3, username = ?4, language = ?5 WHERE id = ?1",
        )?
        .execute(params![id.0, p.first_name, p.last_name, p.username, p.language])?;
    Ok(())
}

/// Whether the customer chose their language themselves (/language).
pub fn language_chosen(db: &impl Db, id: CustomerId) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT language_chosen FROM customers WHERE id = ?1")?
        .query_row([id.0], |r| r.get(0))?)
}

/// The customer chose a language.
pub fn choose_language(ctx: &WriteCtx<'_>, id: CustomerId, code: &str) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE customers SET language = ?2, language_chosen = 1 WHERE id = ?1")?
        .execute(params![id.0, code])?;
    Ok(())
}

pub fn set_time_zone(ctx: &WriteCtx<'_>, id: CustomerId, zone: &str) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE customers SET time_zone = ?2 WHERE id = ?1")?
        .execute(params![id.0, zone])?;
    Ok(())
}

/// The customer agreed now to the desk keeping their messages.
pub fn set_consent(ctx: &WriteCtx<'_>, id: CustomerId) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE customers SET consent_at = ?2 WHERE id = ?1")?
        .execute(params![id.0, ctx.now.0])?;
    Ok(())
}

pub fn set_vip(ctx: &WriteCtx<'_>, id: CustomerId, vip: bool) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE customers SET vip = ?2 WHERE id = ?1")?
        .execute(params![id.0, vip])?;
    Ok(())
}

/// Every ticket of a customer, closed ones included, oldest first.
pub fn all_tickets(db: &impl Db, id: CustomerId) -> Result<Vec<shared::Ticket>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!(
            "SELECT {} FROM tickets WHERE customer_id = ?1 ORDER BY id",
            super::rows::TICKET_COLS
        ))?
        .query_map([id.0], super::rows::ticket)?
        .collect::<Result<_, _>>()?)
}

/// A ticket's messages the customer sees (every one but internal notes),
/// oldest first; with `last_only`, the newest alone.
pub fn shown_messages(
    db: &impl Db,
    ticket: shared::TicketId,
    last_only: bool,
) -> Result<Vec<shared::Message>, StoreError> {
    let (order, limit) = if last_only {
        ("DESC", "LIMIT 1")
    } else {
        ("", "")
    };
    Ok(db
        .conn()
        .prepare_cached(&format!(
            "SELECT {} FROM messages WHERE ticket_id = ?1 AND kind <> 'note' ORDER BY id {order} {limit}",
            super::rows::MESSAGE_COLS
        ))?
        .query_map([ticket.0], super::rows::message)?
        .collect::<Result<_, _>>()?)
}

/// Every message of a ticket, oldest first.
pub fn all_messages(
    db: &impl Db,
    ticket: shared::TicketId,
) -> Result<Vec<shared::Message>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!(
            "SELECT {} FROM messages WHERE ticket_id = ?1 ORDER BY id",
            super::rows::MESSAGE_COLS
        ))?
        .query_map([ticket.0], super::rows::message)?
        .collect::<Result<_, _>>()?)
}

/// What a customer chose about hearing from the bot (the mini app's
/// settings); the desk's defaults when they chose nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefs {
    /// `None`: the desk's quiet hours; `Some("")`: none; else "HH:MM-HH:MM".
    pub quiet_hours: Option<String>,
    /// Only replies and the resolution: no status changes, no follow-ups.
    pub essential_only: bool,
}

pub fn prefs(db: &impl Db, id: CustomerId) -> Result<Prefs, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT quiet_hours, notifications FROM customer_prefs WHERE customer_id = ?1",
        )?
        .query_row([id.0], |r| {
            Ok(Prefs {
                quiet_hours: r.get(0)?,
                essential_only: r.get::<_, String>(1)? == "essential",
            })
        })
        .optional()?
        .unwrap_or_default())
}

pub fn set_prefs(ctx: &WriteCtx<'_>, id: CustomerId, p: &Prefs) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO customer_prefs (customer_id, quiet_hours, notifications) VALUES (?1, ?2, ?3)
             ON CONFLICT (customer_id) DO UPDATE SET quiet_hours = ?2, notifications = ?3",
        )?
        .execute(params![
            id.0,
            p.quiet_hours,
            if p.essential_only { "essential" } else { "all" }
        ])?;
    Ok(())
}

/// A customer whose private chat's menu button was set for another
/// language than theirs (or never, and theirs is known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuDue {
    pub customer: CustomerId,
    /// Their private chat with the bot.
    pub chat: i64,
    pub language: Option<String>,
    /// The language the button was last set for (`None`: the default).
    pub shown: Option<String>,
}

const MENUS_DUE: &str = "SELECT id, telegram_user_id, language, menu_lang FROM customers
     WHERE language IS NOT menu_lang ORDER BY id LIMIT ?1";

const MENUS_SET: &str = "SELECT id, telegram_user_id, language, menu_lang FROM customers
     WHERE (menu_lang IS NOT NULL OR language IS NOT NULL) AND id > ?2 ORDER BY id LIMIT ?1";

fn menu_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MenuDue> {
    Ok(MenuDue {
        customer: CustomerId(r.get(0)?),
        chat: r.get(1)?,
        language: r.get(2)?,
        shown: r.get(3)?,
    })
}

fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Up to `limit` customers whose menu button may not speak their language
/// (a group's person with no private chat is among them: Telegram refuses
/// their chat, and that is recorded too).
pub fn menus_due(db: &impl Db, limit: usize) -> Result<Vec<MenuDue>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(MENUS_DUE)?
        .query_map([limit_of(limit)], menu_row)?
        .collect::<Result<_, _>>()?)
}

/// Up to `limit` customers after `after` whose chat may have a menu
/// button of its own: one was recorded, or their language is known (a
/// button set just before a crash is not recorded yet). To put them back
/// to the default when the app is switched off.
pub fn menus_set(
    db: &impl Db,
    after: CustomerId,
    limit: usize,
) -> Result<Vec<MenuDue>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(MENUS_SET)?
        .query_map(params![limit_of(limit), after.0], menu_row)?
        .collect::<Result<_, _>>()?)
}

/// Every chat's menu button is to be set again (the app moved).
pub fn menus_reset(ctx: &WriteCtx<'_>) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE customers SET menu_lang = NULL WHERE menu_lang IS NOT NULL")?
        .execute([])?;
    Ok(())
}

/// The customer's menu button now stands for `language` (or nothing more
/// is to be done about it).
pub fn menu_shown(
    ctx: &WriteCtx<'_>,
    id: CustomerId,
    language: Option<&str>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE customers SET menu_lang = ?2 WHERE id = ?1")?
        .execute(params![id.0, language])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The menu worker asks this after every change of a customer: it
    /// reads the partial index of those due, not every customer.
    #[test]
    fn the_menus_due_read_their_index() {
        let plan = crate::store::query_plan(MENUS_DUE);
        assert!(plan[0].contains("customers_menu_due"), "{plan:?}");
    }
}
