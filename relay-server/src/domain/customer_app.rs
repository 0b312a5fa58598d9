//! The customer's mini app (docs/miniapp.md): what a customer sees of
//! their tickets, in their language, as of now: the list with each
//! ticket's status, team, topic and honest ETA or time waited, and a
//! ticket's thread without internal notes. Only the customer's own
//! tickets of their private chat with the bot; another's is "not found".

use shared::*;

use super::DomainError;
use super::desk::Desk;
use super::i18n::Lang;
use super::kb::Article;
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

/// The largest file the app takes (a screenshot, a photo of a receipt),
/// in bytes once decoded.
pub const MAX_FILE: u64 = 5 * 1024 * 1024;

/// What the new-request form offers this customer: the topics with their
/// questions in their language, the consent question if they have not
/// agreed yet, and their open ticket (which a request joins).
pub fn form(
    db: &impl Db,
    desk: &Desk,
    telegram_user_id: i64,
    fallback_lang: Option<&str>,
) -> Result<AppForm, DomainError> {
    let customer = store::read::customers_by_telegram(db, telegram_user_id)?;
    let lang = language(customer.as_ref(), fallback_lang);
    let consent = (desk.bot.consent && customer.as_ref().is_none_or(|c| c.consent_at.is_none()))
        .then(|| {
            let name = customer.as_ref().map_or("", |c| c.first_name.as_str());
            desk.bot.t(lang, "consent.ask", &[("name", name)])
        });
    let open_ticket = match &customer {
        Some(c) => store::tickets::newest_of(db, c.id, telegram_user_id, 1)?
            .into_iter()
            .find(is_open)
            .map(|t| t.id),
        None => None,
    };
    let topics = if desk.bot.guided {
        desk.bot
            .topics
            .iter()
            .map(|t| AppTopic {
                key: t.key.clone(),
                label: wording::topic_label(desk, lang, Some(&t.key)),
                questions: t
                    .questions
                    .iter()
                    .map(|q| AppQuestion {
                        key: q.clone(),
                        text: desk.bot.t(lang, &format!("question.{q}"), &[]),
                    })
                    .collect(),
                screenshot: t.screenshot,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(AppForm {
        consent,
        topics,
        open_ticket,
        max_text: MAX_TEXT_UTF16,
        max_file: MAX_FILE,
    })
}

/// The customer's language: theirs once known, else what Telegram says
/// their app speaks.
fn language(customer: Option<&Customer>, fallback: Option<&str>) -> Lang {
    match customer {
        Some(c) => Lang::of(c),
        None => Lang::from_code(fallback),
    }
}

/// The customer's settings (the desk's defaults for someone new).
pub fn settings(
    db: &impl Db,
    desk: &Desk,
    telegram_user_id: i64,
    fallback_lang: Option<&str>,
) -> Result<AppSettings, DomainError> {
    let customer = store::read::customers_by_telegram(db, telegram_user_id)?;
    let prefs = match &customer {
        Some(c) => store::customers::prefs(db, c.id)?,
        None => Default::default(),
    };
    let desk_quiet = || desk.bot.quiet.map_or_else(String::new, |q| q.to_string());
    Ok(AppSettings {
        language: language(customer.as_ref(), fallback_lang).code().to_owned(),
        time_zone: customer
            .and_then(|c| c.time_zone)
            .or_else(|| Some(desk.bot.default_zone_name.clone())),
        quiet_hours: prefs.quiet_hours.unwrap_or_else(desk_quiet),
        notifications: if prefs.essential_only {
            "essential"
        } else {
            "all"
        }
        .to_owned(),
    })
}

/// Popular solutions or search results shown at most.
pub const ARTICLES: usize = 10;

/// Knowledge-base articles in the customer's language: those that answer
/// `search` best, or with no search the ones that helped most.
pub fn articles(
    db: &impl Db,
    desk: &Desk,
    lang: Lang,
    search: &str,
) -> Result<Vec<AppArticle>, DomainError> {
    let kb = &desk.bot.kb;
    let found: Vec<&Article> = if search.trim().is_empty() {
        let mut popular: Vec<&Article> = store::kb::helped_counts(db)?
            .iter()
            .filter_map(|(id, _)| kb.get(id))
            .filter(|a| a.lang.is_none_or(|l| l == lang))
            .collect();
        // Then the rest, in the folder's order.
        for a in kb.all().filter(|a| a.lang.is_none_or(|l| l == lang)) {
            if !popular.iter().any(|p| p.id == a.id) {
                popular.push(a);
            }
        }
        popular
    } else {
        kb.top(search, lang, ARTICLES)
    };
    Ok(found
        .into_iter()
        .take(ARTICLES)
        .map(|a| AppArticle {
            id: a.id.clone(),
            title: a.title.clone(),
            body: a.body.clone(),
        })
        .collect())
}

/// The language the app speaks to this Telegram user.
pub fn lang_of(
    db: &impl Db,
    telegram_user_id: i64,
    fallback: Option<&str>,
) -> Result<Lang, DomainError> {
    let customer = store::read::customers_by_telegram(db, telegram_user_id)?;
    Ok(language(customer.as_ref(), fallback))
}
