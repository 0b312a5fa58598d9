//! The customer writing from the mini app (docs/miniapp.md): a new
//! request, a message into one of their tickets, a rating. Each follows
//! the rules of the chat with the bot: consent first, one open ticket per
//! chat (a new request joins it), stop words straight to a person, the
//! topic's queue and questions, masking before storing, the receipt in the
//! chat. What the customer wrote is filed as the bot files their messages
//! in the chat (`intake`), so the engineers, the SLA clocks and the
//! figures see no difference.

use shared::*;

use super::conversation::{self, Conversation, Stage};
use super::ticketing::{self, Opening};
use super::{Talk, masked, plain, privacy};
use crate::domain::desk::Desk;
use crate::domain::hours;
use crate::domain::i18n::Lang;
use crate::domain::intake::{self, Inbound, Sender};
use crate::domain::{DomainError, validate};
use crate::store::access::Actor;
use crate::store::{self, WriteCtx};

/// A new request from the app's form, checked by `request`.
#[derive(Debug, Clone)]
pub struct Request {
    pub topic: Option<String>,
    /// The answers to the topic's questions, in order.
    pub answers: Vec<String>,
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// The customer agreed to the consent question the form showed.
    pub consent: bool,
}

/// The customer's message as the chat would have brought it: their
/// private chat, no Telegram message id, sent now.
fn inbound(sender: &Sender, text: &str, attachments: Vec<Attachment>) -> Inbound {
    Inbound {
        attachments,
        ..Inbound::plain(sender.clone(), text.trim())
    }
}

/// Whether the request's fields are complete, with a hint for the first
/// that is not (nothing is stored before this passes).
fn check(desk: &Desk, r: &Request) -> Result<(), DomainError> {
    let topic = match r.topic.as_deref() {
        Some(key) => Some(
            desk.bot
                .topic(key)
                .ok_or_else(|| DomainError::invalid(format!("no topic \"{key}\" here")))?,
        ),
        None if desk.bot.guided && !desk.bot.topics.is_empty() => {
            return Err(DomainError::invalid("choose a topic"));
        }
        None => None,
    };
    let questions = topic.map_or(0, |t| t.questions.len());
    if r.answers.len() != questions {
        return Err(DomainError::invalid(format!(
            "answer the topic's {questions} questions ({} given)",
            r.answers.len()
        )));
    }
    if let Some(i) = r.answers.iter().position(|a| a.trim().is_empty()) {
        return Err(DomainError::invalid(format!(
            "answer question {} of {questions}",
            i + 1
        )));
    }
    if r.text.trim().is_empty() {
        return Err(DomainError::invalid("describe the problem"));
    }
    for t in r.answers.iter().chain([&r.text]) {
        validate::text(t)?;
    }
    Ok(())
}

/// The customer, with consent: given now when the form asked and they
/// agreed; refused when it is needed and not given.
fn consenting(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    sender: &Sender,
    agrees: bool,
) -> Result<Customer, DomainError> {
    let mut customer = intake::upsert_customer(ctx, sender)?;
    if !desk.bot.consent || customer.consent_at.is_some() {
        return Ok(customer);
    }
    if !agrees {
        return Err(DomainError::conflict(
            "agree to the consent question first (consent: true)",
        ));
    }
    customer.consent_at = Some(ctx.now);
    store::customers::set_consent(ctx, customer.id)?;
    ctx.append(Event::CustomerUpserted {
        customer: customer.clone(),
    })?;
    let talk = Talk::new(desk, &customer, sender.telegram_user_id);
    privacy::log_consent(ctx, &talk, store::consent::Action::Agreed)?;
    Ok(customer)
}

/// Files a new request: into the open ticket of the chat if there is one,
/// else a new ticket in the topic's queue (or a stop rule's), with the
/// bot's intake note and receipt.
pub fn request(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    sender: &Sender,
    r: &Request,
) -> Result<AppFiled, DomainError> {
    check(desk, r)?;
    let customer = consenting(ctx, desk, sender, r.consent)?;
    let chat = sender.telegram_user_id;
    let topic = r.topic.as_deref().and_then(|k| desk.bot.topic(k));
    let questions = topic.map(|t| t.questions.clone()).unwrap_or_default();
    // In the order the bot would have had them: the problem, the answers,
    // the screenshot.
    let mut said = vec![(inbound(sender, &r.text, vec![]), None)];
    for (q, a) in questions.iter().zip(&r.answers) {
        said.push((inbound(sender, a, vec![]), Some(q.as_str())));
    }
    if !r.attachments.is_empty() {
        said.push((inbound(sender, "", r.attachments.clone()), None));
    }
    if let Some(mut t) = intake::open_ticket_of(ctx, customer.id, chat)? {
        for (msg, _) in &said {
            intake::add_inbound(ctx, desk, &customer, &mut t, &masked(desk, msg), true)?;
        }
        return Ok(AppFiled {
            ticket: t.id,
            number: t.number,
            joined: true,
        });
    }
    // What they had begun telling the bot in the chat stays, before this.
    let mut conv = Conversation::load_or_new(ctx, &customer, chat, Stage::Question)?;
    conv.topic = topic.map(|t| t.key.clone());
    for (msg, question) in &said {
        conversation::add_draft(ctx, &masked(desk, msg), *question)?;
    }
    let how = match desk.bot.stop_rule(&r.text) {
        Some(rule) => Opening {
            queue: rule.queue.clone(),
            priority: rule.priority,
            handoff: true,
            via_app: true,
            ..plain()
        },
        None => Opening {
            via_app: true,
            ..plain()
        },
    };
    let talk = Talk::new(desk, &customer, chat);
    let t = ticketing::open(ctx, &talk, &conv, how)?;
    Ok(AppFiled {
        ticket: t.id,
        number: t.number,
        joined: false,
    })
}

/// One of the customer's tickets, for writing to or rating.
fn own(ctx: &WriteCtx<'_>, customer: &Customer, id: TicketId) -> Result<Ticket, DomainError> {
    store::tickets::own(ctx, customer.id, customer.telegram_user_id, id)?
        .ok_or_else(|| DomainError::not_found("no such ticket of yours"))
}

/// A message into one of the customer's tickets. A ticket resolved within
/// the reopen window opens again, as "it's not fixed" in the chat does;
/// an older one is closed to writing (a new request starts over).
pub fn reply(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    sender: &Sender,
    id: TicketId,
    text: &str,
    attachments: Vec<Attachment>,
) -> Result<AppFiled, DomainError> {
    let msg = inbound(sender, text, attachments);
    intake::check(&msg)?;
    let customer = intake::upsert_customer(ctx, sender)?;
    let mut t = own(ctx, &customer, id)?;
    if desk.bot.consent && customer.consent_at.is_none() {
        return Err(DomainError::conflict(
            "you withdrew your consent: agree again in the chat with the bot first",
        ));
    }
    if matches!(t.status, TicketStatus::Resolved | TicketStatus::Closed) {
        let recent = t
            .resolved_at
            .is_some_and(|at| ctx.now.since(at) <= desk.bot.reopen_window);
        if !recent {
            return Err(DomainError::conflict(
                "this request is closed: start a new one",
            ));
        }
        let talk = Talk::new(desk, &customer, customer.telegram_user_id);
        ticketing::reopen(ctx, &talk, &mut t)?;
    }
    intake::add_inbound(ctx, desk, &customer, &mut t, &masked(desk, &msg), true)?;
    Ok(AppFiled {
        ticket: t.id,
        number: t.number,
        joined: true,
    })
}

/// The customer's rating, 1-5, of a resolved or closed ticket (a second
/// one replaces the first, as the chat's stars do).
pub fn rate(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    sender: &Sender,
    id: TicketId,
    stars: u8,
) -> Result<(), DomainError> {
    if !(1..=5).contains(&stars) {
        return Err(DomainError::invalid("a rating is 1 to 5 stars"));
    }
    let customer = intake::upsert_customer(ctx, sender)?;
    let mut t = own(ctx, &customer, id)?;
    if !matches!(t.status, TicketStatus::Resolved | TicketStatus::Closed) {
        return Err(DomainError::conflict(
            "a request is rated once it is resolved",
        ));
    }
    super::rate(ctx, desk, &mut t, stars)
}

/// A change of the customer's language, time zone, quiet hours or
/// notifications from the app's settings (the chat is not told: the
/// customer sees it in the app).
pub fn settings(
    ctx: &mut WriteCtx<'_>,
    sender: &Sender,
    change: &AppSettingsChange,
) -> Result<Customer, DomainError> {
    let lang = match change.language.as_deref() {
        Some(code) => Some(
            Lang::ALL
                .into_iter()
                .find(|l| l.code() == code)
                .ok_or_else(|| {
                    DomainError::invalid(format!("no language \"{code}\": en, uk, ru or zh"))
                })?,
        ),
        None => None,
    };
    let zone = match change.time_zone.as_deref().map(str::trim) {
        Some(name) => {
            hours::zone(name).map_err(|_| {
                DomainError::invalid(format!(
                    "\"{}\" is not a time zone (like Europe/Kyiv)",
                    name.chars().take(64).collect::<String>()
                ))
            })?;
            Some(name.to_owned())
        }
        None => None,
    };
    let quiet = match change.quiet_hours.as_deref().map(str::trim) {
        Some(q) => Some(
            hours::Quiet::parse(q)
                .map_err(|e| DomainError::invalid(format!("quiet hours: {e}")))?
                .map_or_else(String::new, |q| q.to_string()),
        ),
        None => None,
    };
    let essential = match change.notifications.as_deref() {
        Some("all") => Some(false),
        Some("essential") => Some(true),
        Some(other) => {
            return Err(DomainError::invalid(format!(
                "notifications: \"{}\" is neither \"all\" nor \"essential\"",
                other.chars().take(32).collect::<String>()
            )));
        }
        None => None,
    };
    let mut c = intake::upsert_customer(ctx, sender)?;
    if quiet.is_some() || essential.is_some() {
        let mut p = store::customers::prefs(ctx, c.id)?;
        if let Some(q) = quiet {
            p.quiet_hours = Some(q);
        }
        if let Some(e) = essential {
            p.essential_only = e;
        }
        store::customers::set_prefs(ctx, c.id, &p)?;
    }
    let before = c.clone();
    if let Some(l) = lang {
        store::customers::choose_language(ctx, c.id, l.code())?;
        c.language = Some(l.code().to_owned());
    }
    if let Some(z) = zone {
        store::customers::set_time_zone(ctx, c.id, &z)?;
        c.time_zone = Some(z);
    }
    if c != before {
        ctx.append(Event::CustomerUpserted {
            customer: c.clone(),
        })?;
    }
    Ok(c)
}

/// "Export my data": the export is sent in the chat with the bot, as
/// /mydata does (at most once an hour).
pub fn export(ctx: &mut WriteCtx<'_>, desk: &Desk, sender: &Sender) -> Result<(), DomainError> {
    let customer = intake::upsert_customer(ctx, sender)?;
    privacy::mydata(ctx, &Talk::new(desk, &customer, sender.telegram_user_id))
}

/// What the customer must send to erase everything (the app asks them to
/// confirm first).
pub const ERASE_CONFIRM: &str = "erase";

/// "Erase my data", confirmed: as /forgetme's "yes".
pub fn erase(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    sender: &Sender,
    confirm: &str,
) -> Result<(), DomainError> {
    if confirm != ERASE_CONFIRM {
        return Err(DomainError::invalid(format!(
            "confirm with \"{ERASE_CONFIRM}\""
        )));
    }
    let customer = intake::upsert_customer(ctx, sender)?;
    let chat = sender.telegram_user_id;
    let talk = Talk::new(desk, &customer, chat);
    Conversation::end(ctx, chat)?;
    crate::domain::privacy::erase(ctx, chat, Actor::Customer(customer.id))?;
    talk.say(ctx, "privacy.forget_done", &[])
}

/// "Did this help?" under an article read in the app: counted with the
/// bot's knowledge-base answers (self-service in the figures).
pub fn article_helped(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    sender: &Sender,
    article: &str,
    search: &str,
    helped: bool,
) -> Result<(), DomainError> {
    if desk.bot.kb.get(article).is_none() {
        return Err(DomainError::not_found("no such article"));
    }
    let search: String = search.chars().take(200).collect();
    let customer = intake::upsert_customer(ctx, sender)?;
    store::kb::offered(ctx, customer.id, article, &search)?;
    store::kb::answered(ctx, customer.id, article, helped)?;
    Ok(())
}
