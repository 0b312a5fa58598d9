//! The customer's commands: /start (with a deep-link payload), /help,
//! /status, /tickets, /end, /language, /timezone.

use shared::*;

use super::conversation::{Conversation, Stage};
use crate::domain::buttons::{Button, Choice, Keyboard};
use crate::domain::desk::Desk;
use crate::domain::i18n::Lang;
use crate::domain::intake;
use crate::domain::{DomainError, hours, outbox};
use crate::domain::{notify, wording};
use crate::store::{self, WriteCtx};

pub fn run(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    chat: i64,
    cmd: &str,
    arg: Option<&str>,
) -> Result<(), DomainError> {
    let lang = Lang::of(customer);
    let say = |ctx: &mut WriteCtx<'_>, text: String| outbox::to_chat(ctx, chat, &text, None);
    match cmd {
        "start" => start(ctx, desk, customer, chat, arg),
        "help" => say(ctx, desk.bot.t(lang, "help.text", &[])),
        "status" => status(ctx, desk, customer, chat),
        "tickets" => tickets(ctx, desk, customer, chat),
        "end" => end(ctx, desk, customer, chat),
        "language" => {
            let buttons = Lang::ALL
                .iter()
                .map(|l| {
                    Button::new(
                        l.native_name(),
                        Choice::Language {
                            code: l.code().to_owned(),
                        },
                    )
                })
                .collect();
            outbox::to_chat(
                ctx,
                chat,
                &desk.bot.t(lang, "language.ask", &[]),
                Some(&Keyboard::pairs(buttons)),
            )
        }
        "timezone" => timezone(ctx, desk, customer, chat, arg),
        other => say(
            ctx,
            desk.bot.t(
                lang,
                "command.unknown",
                &[("command", &format!("/{other}"))],
            ),
        ),
    }
}

/// "/start" or "/start <payload>"; a payload naming a topic ("payment" or
/// "topic_payment") skips the topic buttons.
fn start(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    chat: i64,
    payload: Option<&str>,
) -> Result<(), DomainError> {
    let lang = Lang::of(customer);
    if let Some(t) = intake::open_ticket_of(ctx, customer.id, chat)? {
        let text = desk
            .bot
            .t(lang, "start.open", &[("number", &t.number.to_string())]);
        return outbox::to_chat(ctx, chat, &text, None);
    }
    let payload: Option<String> = payload.map(|p| p.chars().take(64).collect());
    let topic = payload
        .as_deref()
        .map(|p| p.strip_prefix("topic_").unwrap_or(p))
        .filter(|k| desk.bot.topic(k).is_some())
        .map(str::to_owned);
    let mut conv = Conversation::load_or_new(ctx, customer, chat, Stage::Topic)?;
    if payload.is_some() {
        conv.payload = payload;
    }
    if topic.is_some() {
        conv.topic = topic;
    }
    if desk.bot.consent && customer.consent_at.is_none() {
        conv.stage = Stage::Consent;
        super::ask_consent(ctx, desk, customer, &mut conv)?;
        return conv.save(ctx);
    }
    if !desk.bot.guided {
        outbox::to_chat(ctx, chat, &desk.bot.t(lang, "start.direct", &[]), None)?;
        return Conversation::end(ctx, chat);
    }
    if conv.topic.is_some() {
        conv.step = 0;
        return super::advance(ctx, desk, customer, conv);
    }
    conv.stage = Stage::Topic;
    super::ask_topic(ctx, desk, lang, &mut conv, "start.welcome")?;
    conv.save(ctx)
}

/// The customer's tickets in this chat, newest first.
fn tickets_of(
    ctx: &WriteCtx<'_>,
    customer: CustomerId,
    chat: i64,
    open_only: bool,
) -> Result<Vec<Ticket>, DomainError> {
    Ok(store::tickets::recent_of(ctx, customer, chat, open_only)?)
}

fn status(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    chat: i64,
) -> Result<(), DomainError> {
    let lang = Lang::of(customer);
    let open = tickets_of(ctx, customer.id, chat, true)?;
    let Some(t) = open.first() else {
        return outbox::to_chat(ctx, chat, &desk.bot.t(lang, "status.none", &[]), None);
    };
    let text = notify::status_text(ctx, desk, customer, t)?;
    outbox::to_chat(
        ctx,
        chat,
        &text,
        Some(&wording::ticket_buttons(desk, lang, t)),
    )
}

fn tickets(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    chat: i64,
) -> Result<(), DomainError> {
    let lang = Lang::of(customer);
    let all = tickets_of(ctx, customer.id, chat, false)?;
    if all.is_empty() {
        return outbox::to_chat(ctx, chat, &desk.bot.t(lang, "tickets.none", &[]), None);
    }
    let mut text = desk.bot.t(lang, "tickets.header", &[]);
    for t in &all {
        text.push('\n');
        text.push_str(&wording::status_line(desk, lang, t));
    }
    outbox::to_chat(ctx, chat, &text, None)
}

/// Ends the open ticket (closed by the customer, with a rating request),
/// or the dialogue in progress.
fn end(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    chat: i64,
) -> Result<(), DomainError> {
    let lang = Lang::of(customer);
    if let Some(mut t) = intake::open_ticket_of(ctx, customer.id, chat)? {
        return notify::closed_by_customer(ctx, desk, customer, &mut t);
    }
    if Conversation::load(ctx, chat)?.is_some() {
        Conversation::end(ctx, chat)?;
        return outbox::to_chat(ctx, chat, &desk.bot.t(lang, "end.cancelled", &[]), None);
    }
    outbox::to_chat(ctx, chat, &desk.bot.t(lang, "end.nothing", &[]), None)
}

/// The language button: kept from now on, whatever Telegram says.
pub fn set_language(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    mut customer: Customer,
    chat: i64,
    code: &str,
) -> Result<(), DomainError> {
    let Some(l) = Lang::ALL.into_iter().find(|l| l.code() == code) else {
        return Ok(());
    };
    store::customers::choose_language(ctx, customer.id, l.code())?;
    if customer.language.as_deref() != Some(l.code()) {
        customer.language = Some(l.code().to_owned());
        ctx.append(Event::CustomerUpserted { customer })?;
    }
    outbox::to_chat(ctx, chat, &desk.bot.t(l, "language.set", &[]), None)
}

/// "/timezone Europe/Kyiv" sets it; "/timezone" shows it.
fn timezone(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    chat: i64,
    arg: Option<&str>,
) -> Result<(), DomainError> {
    let lang = Lang::of(customer);
    let Some(name) = arg else {
        let zone = customer
            .time_zone
            .clone()
            .unwrap_or_else(|| desk.bot.default_zone_name.clone());
        let now = hours::local(ctx.now, &desk.bot.zone_of(Some(&zone)));
        let text = desk
            .bot
            .t(lang, "timezone.show", &[("zone", &zone), ("time", &now)]);
        return outbox::to_chat(ctx, chat, &text, None);
    };
    let name: String = name.chars().take(64).collect();
    let Ok(tz) = hours::zone(&name) else {
        return outbox::to_chat(
            ctx,
            chat,
            &desk.bot.t(lang, "timezone.bad", &[("zone", &name)]),
            None,
        );
    };
    let mut c = customer.clone();
    c.time_zone = Some(name.clone());
    store::customers::set_time_zone(ctx, c.id, &name)?;
    ctx.append(Event::CustomerUpserted { customer: c })?;
    let text = desk.bot.t(
        lang,
        "timezone.set",
        &[("zone", &name), ("time", &hours::local(ctx.now, &tz))],
    );
    outbox::to_chat(ctx, chat, &text, None)
}
