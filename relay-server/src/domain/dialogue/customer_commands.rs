//! The customer's commands: /start (with a deep-link payload), /help,
//! /status, /tickets, /end, /language, /timezone, and the privacy
//! requests /consent, /mydata, /forgetme.

use shared::*;

use super::Talk;
use super::conversation::{Conversation, Stage};
use crate::domain::buttons::{Button, Choice, Keyboard};
use crate::domain::desk::Desk;
use crate::domain::i18n::Lang;
use crate::domain::intake;
use crate::domain::{DomainError, hours};
use crate::domain::{notify, wording};
use crate::store::{self, WriteCtx};

pub fn run(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    cmd: &str,
    arg: Option<&str>,
) -> Result<(), DomainError> {
    match cmd {
        "start" => start(ctx, talk, arg),
        "help" => talk.say(ctx, "help.text", &[]),
        "status" => status(ctx, talk),
        "tickets" => tickets(ctx, talk),
        "end" => end(ctx, talk),
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
            let ask = talk.t("language.ask", &[]);
            talk.send(ctx, &ask, Some(&Keyboard::pairs(buttons)))
        }
        "timezone" => timezone(ctx, talk, arg),
        "consent" => super::privacy::consent_status(ctx, talk),
        "mydata" => super::privacy::mydata(ctx, talk),
        "forgetme" => super::privacy::forget_ask(ctx, talk),
        other => talk.say(ctx, "command.unknown", &[("command", &format!("/{other}"))]),
    }
}

/// "/start" or "/start <payload>"; a payload naming a topic ("payment" or
/// "topic_payment") skips the topic buttons.
fn start(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    payload: Option<&str>,
) -> Result<(), DomainError> {
    let (desk, customer, chat) = (talk.desk, talk.customer, talk.chat);
    if let Some(t) = intake::open_ticket_of(ctx, customer.id, chat)? {
        return talk.say(ctx, "start.open", &[("number", &t.number.to_string())]);
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
        super::ask_consent(ctx, talk, &mut conv)?;
        return conv.save(ctx);
    }
    if !desk.bot.guided {
        talk.say(ctx, "start.direct", &[])?;
        return Conversation::end(ctx, chat);
    }
    if conv.topic.is_some() {
        conv.step = 0;
        return super::advance(ctx, talk, conv);
    }
    conv.stage = Stage::Topic;
    super::ask_topic(ctx, talk, &mut conv, "start.welcome")?;
    conv.save(ctx)
}

/// The customer's tickets in this chat, newest first.
fn tickets_of(
    ctx: &WriteCtx<'_>,
    talk: &Talk<'_>,
    open_only: bool,
) -> Result<Vec<Ticket>, DomainError> {
    Ok(store::tickets::recent_of(
        ctx,
        talk.customer.id,
        talk.chat,
        open_only,
    )?)
}

fn status(ctx: &mut WriteCtx<'_>, talk: &Talk<'_>) -> Result<(), DomainError> {
    let open = tickets_of(ctx, talk, true)?;
    let Some(t) = open.first() else {
        return talk.say(ctx, "status.none", &[]);
    };
    let text = notify::status_text(ctx, talk, t)?;
    let buttons = wording::ticket_buttons(talk.desk, talk.lang, t);
    talk.send(ctx, &text, Some(&buttons))
}

fn tickets(ctx: &mut WriteCtx<'_>, talk: &Talk<'_>) -> Result<(), DomainError> {
    let all = tickets_of(ctx, talk, false)?;
    if all.is_empty() {
        return talk.say(ctx, "tickets.none", &[]);
    }
    let mut text = talk.t("tickets.header", &[]);
    for t in &all {
        text.push('\n');
        text.push_str(&wording::status_line(talk.desk, talk.lang, t));
    }
    talk.send(ctx, &text, None)
}

/// Ends the open ticket (closed by the customer, with a rating request),
/// or the dialogue in progress.
fn end(ctx: &mut WriteCtx<'_>, talk: &Talk<'_>) -> Result<(), DomainError> {
    if let Some(mut t) = intake::open_ticket_of(ctx, talk.customer.id, talk.chat)? {
        return notify::closed_by_customer(ctx, talk, &mut t);
    }
    if Conversation::load(ctx, talk.chat)?.is_some() {
        Conversation::end(ctx, talk.chat)?;
        return talk.say(ctx, "end.cancelled", &[]);
    }
    talk.say(ctx, "end.nothing", &[])
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
        ctx.append(Event::CustomerUpserted {
            customer: customer.clone(),
        })?;
    }
    // Told in the language just chosen.
    Talk::new(desk, &customer, chat).say(ctx, "language.set", &[])
}

/// "/timezone Europe/Kyiv" sets it; "/timezone" shows it.
fn timezone(ctx: &mut WriteCtx<'_>, talk: &Talk<'_>, arg: Option<&str>) -> Result<(), DomainError> {
    let (desk, customer) = (talk.desk, talk.customer);
    let Some(name) = arg else {
        let zone = customer
            .time_zone
            .clone()
            .unwrap_or_else(|| desk.bot.default_zone_name.clone());
        let now = hours::local(ctx.now, &desk.bot.zone_of(Some(&zone)));
        return talk.say(ctx, "timezone.show", &[("zone", &zone), ("time", &now)]);
    };
    let name: String = name.chars().take(64).collect();
    let Ok(tz) = hours::zone(&name) else {
        return talk.say(ctx, "timezone.bad", &[("zone", &name)]);
    };
    let mut c = customer.clone();
    c.time_zone = Some(name.clone());
    store::customers::set_time_zone(ctx, c.id, &name)?;
    ctx.append(Event::CustomerUpserted { customer: c })?;
    let now = hours::local(ctx.now, &tz);
    talk.say(ctx, "timezone.set", &[("zone", &name), ("time", &now)])
}
