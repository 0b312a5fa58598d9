//! The bot's side of a private chat (docs/telegram.md, "The customer's
//! path"): consent asked once; a knowledge-base answer when one fits; topic
//! buttons, clarifying questions and an optional screenshot; the ticket
//! with a receipt; later messages join it; buttons for status, details,
//! ratings and follow-ups; /commands. Stop words skip all of it and go
//! straight to a person. Every step is one write transaction with the
//! update that caused it, so a crash repeats nothing and loses nothing.

pub mod app;
mod conversation;
mod customer_commands;
mod privacy;
pub mod ticketing;

#[cfg(test)]
mod tests;

use shared::*;

use super::buttons::{Button, Choice, Keyboard};
pub use crate::domain::talk::Talk;
use conversation::{Conversation, Stage};
use ticketing::Opening;

use super::desk::{Desk, StopRule};
use super::experiments::{self, Kind, Variant};
use super::intake::{self, Inbound, Sender};
use super::kb::Article;
use super::{DomainError, notify, ticket, wording};
use crate::store::{self, Db, WriteCtx, conversations, rows};

/// A customer pressed an inline button.
#[derive(Debug, Clone)]
pub struct Press {
    pub sender: Sender,
    pub chat_id: i64,
    pub choice: Choice,
}

/// "/start payload" → ("start", Some("payload")); `None` for plain text.
fn command(text: &str) -> Option<(String, Option<String>)> {
    let rest = text.trim().strip_prefix('/')?;
    let (word, arg) = match rest.split_once(char::is_whitespace) {
        Some((w, a)) => (w, Some(a.trim().to_owned()).filter(|a| !a.is_empty())),
        None => (rest, None),
    };
    // "/start@SupportBot" in groups and some clients.
    let word = word.split('@').next().unwrap_or_default().to_lowercase();
    (!word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some((word, arg))
}

/// A message in a private chat.
pub fn message(ctx: &mut WriteCtx<'_>, desk: &Desk, msg: &Inbound) -> Result<(), DomainError> {
    intake::check(msg)?;
    let msg = &*masked(desk, msg);
    // An engineer linking their Telegram account (docs/groups.md): not a
    // customer; no customer record is made of them.
    if msg.attachments.is_empty()
        && let Some((cmd, Some(code))) = command(&msg.text)
        && cmd == "link"
    {
        let answer =
            crate::domain::groups::orgs::link_by_code(ctx, msg.sender.telegram_user_id, &code)?;
        return crate::domain::outbox::to_chat(ctx, msg.chat_id, &answer, None);
    }
    let customer = intake::upsert_customer(ctx, &msg.sender)?;
    let chat = msg.chat_id;
    if let Some(id) = msg.telegram_message_id {
        store::deletions::note(ctx, chat, id, ctx.now)?;
    }
    let talk = Talk::new(desk, &customer, chat);
    if msg.attachments.is_empty()
        && let Some((cmd, arg)) = command(&msg.text)
    {
        return customer_commands::run(ctx, &talk, &cmd, arg.as_deref());
    }
    if desk.bot.consent && customer.consent_at.is_none() {
        conversation::add_draft(ctx, msg, None)?;
        let mut conv = Conversation::load_or_new(ctx, &customer, chat, Stage::Consent)?;
        let first = !conv.exists || conv.stage != Stage::Consent;
        conv.stage = Stage::Consent;
        if first || conv.may_remind(ctx.now) {
            ask_consent(ctx, &talk, &mut conv)?;
        }
        return conv.save(ctx);
    }
    if let Some(mut t) = intake::open_ticket_of(ctx, customer.id, chat)? {
        intake::add_inbound(ctx, desk, &customer, &mut t, msg, true)?;
        if desk.bot.guided {
            ticketing::offhours_notice(ctx, &talk, &mut t)?;
        }
        return Ok(());
    }
    if !desk.bot.guided {
        // Direct mode: straight into a new ticket.
        intake::file(ctx, desk, &customer, msg)?;
        return Ok(());
    }
    if desk.bot.says_not_fixed(&msg.text)
        && let Some(mut t) = ticketing::recently_resolved(ctx, &talk)?
    {
        ticketing::reopen(ctx, &talk, &mut t)?;
        intake::add_inbound(ctx, desk, &customer, &mut t, msg, true)?;
        return Ok(());
    }
    let mut conv = Conversation::load_or_new(ctx, &customer, chat, Stage::Topic)?;
    let question = current_question(ctx, desk, &conv)?;
    conversation::add_draft(ctx, msg, question.as_deref())?;
    if let Some(rule) = desk.bot.stop_rule(&msg.text) {
        return hand_off(ctx, &talk, &conv, rule);
    }
    match (conv.exists, conv.stage) {
        (true, Stage::Question) => {
            conv.step += 1;
            advance(ctx, &talk, conv)
        }
        (true, Stage::Screenshot) => after_screenshot(ctx, &talk, conv),
        _ => triage(ctx, &talk, conv, &msg.text),
    }
}

/// `[privacy] mask_stored`: the message masked before anything of it is
/// stored.
fn masked<'m>(desk: &Desk, msg: &'m Inbound) -> std::borrow::Cow<'m, Inbound> {
    use std::borrow::Cow;
    match pii::mask(&msg.text) {
        Cow::Owned(text) if desk.mask_stored => Cow::Owned(Inbound {
            text,
            ..msg.clone()
        }),
        _ => Cow::Borrowed(msg),
    }
}

fn plain() -> Opening {
    Opening {
        queue: None,
        priority: Priority::Normal,
        handoff: false,
        abandoned: false,
        kb_declined: None,
        via_app: false,
    }
}

/// The clarifying question the next message answers, if one is asked.
fn current_question(
    ctx: &WriteCtx<'_>,
    desk: &Desk,
    conv: &Conversation,
) -> Result<Option<String>, DomainError> {
    if !conv.exists || conv.stage != Stage::Question {
        return Ok(None);
    }
    Ok(questions(ctx, desk, conv)?.get(conv.step).cloned())
}

/// The topic's clarifying questions; "describe" when it has none and the
/// customer has not said anything yet (they came through a link).
fn questions(
    ctx: &WriteCtx<'_>,
    desk: &Desk,
    conv: &Conversation,
) -> Result<Vec<String>, DomainError> {
    let topic = conv.topic.as_deref().and_then(|k| desk.bot.topic(k));
    let mut qs = topic.map(|t| t.questions.clone()).unwrap_or_default();
    if qs.is_empty() && conversation::drafts(ctx, conv.chat_id)?.is_empty() {
        qs.push("describe".into());
    }
    Ok(qs)
}

/// Stop words: a ticket now, in the rule's queue, no more questions.
fn hand_off(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    conv: &Conversation,
    rule: &StopRule,
) -> Result<(), DomainError> {
    let how = Opening {
        queue: rule.queue.clone(),
        priority: rule.priority,
        handoff: true,
        ..plain()
    };
    finish(ctx, talk, conv, how)
}

fn finish(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    conv: &Conversation,
    how: Opening,
) -> Result<(), DomainError> {
    ticketing::open(ctx, talk, conv, how).map(|_| ())
}

/// A new question (or a message instead of a button): a knowledge-base
/// answer if one fits and none was offered yet, else the topic buttons.
fn triage(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    mut conv: Conversation,
    text: &str,
) -> Result<(), DomainError> {
    if conv.topic.is_some() && conv.stage != Stage::Kb {
        conv.step = 0;
        return advance(ctx, talk, conv);
    }
    if conv.article.is_none() {
        // Articles whose id fits a button's data (all, in practice).
        let found: Vec<&Article> = talk
            .desk
            .bot
            .kb
            .top(text, talk.lang, KB_LIST)
            .into_iter()
            .filter(|a| a.id.len() <= 48 && !a.id.contains(':'))
            .collect();
        if let Some(first) = found.first() {
            // Variant B of a `kb_answer` experiment lists the best few to
            // pick from (only customers with more than one are assigned).
            let list = found.len() > 1
                && experiments::variant(
                    ctx,
                    &talk.desk.experiments,
                    talk.customer,
                    Kind::KbAnswer,
                )? == Variant::B;
            if list {
                let mut buttons: Vec<Button> = found
                    .iter()
                    .map(|a| {
                        Button::new(
                            format!("📖 {}", a.title),
                            Choice::KbOpen {
                                article: a.id.clone(),
                            },
                        )
                    })
                    .collect();
                buttons.push(Button::new(
                    talk.t("button.kb_no", &[]),
                    Choice::KbHelped { yes: false },
                ));
                talk.send(
                    ctx,
                    &talk.t("kb.list", &[]),
                    Some(&Keyboard::column(buttons)),
                )?;
            } else {
                kb_card(ctx, talk, first)?;
            }
            // One answer of the knowledge base, on the best article until
            // another is opened from the list.
            store::kb::offered(ctx, talk.customer.id, &first.id, text)?;
            conv.stage = Stage::Kb;
            conv.article = Some(first.id.clone());
            conv.prompted_at = ctx.now;
            return conv.save(ctx);
        }
    }
    let again = conv.exists && conv.stage == Stage::Topic;
    conv.stage = Stage::Topic;
    if !again || conv.may_remind(ctx.now) {
        let key = if again { "topic.remind" } else { "topic.ask" };
        ask_topic(ctx, talk, &mut conv, key)?;
    }
    conv.save(ctx)
}

/// The next clarifying question, the screenshot offer, or the ticket.
fn advance(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    mut conv: Conversation,
) -> Result<(), DomainError> {
    let desk = talk.desk;
    let qs = questions(ctx, desk, &conv)?;
    let topic = conv.topic.as_deref().and_then(|k| desk.bot.topic(k));
    let has_file = conversation::drafts(ctx, conv.chat_id)?
        .iter()
        .any(|d| !d.attachments.is_empty());
    let wants_shot = topic.is_some_and(|t| t.screenshot) && !has_file;
    // Variant B of a `question_order` experiment asks for the screenshot
    // right after the topic, before the questions (only customers for
    // whom the order can differ are assigned).
    let shot_first = wants_shot
        && !qs.is_empty()
        && experiments::variant(ctx, &desk.experiments, talk.customer, Kind::QuestionOrder)?
            == Variant::B;
    if shot_first && !matches!(conv.stage, Stage::Question | Stage::Screenshot) {
        return ask_screenshot(ctx, talk, conv);
    }
    if let Some(q) = qs.get(conv.step) {
        talk.say(ctx, &format!("question.{q}"), &[])?;
        conv.stage = Stage::Question;
        conv.prompted_at = ctx.now;
        return conv.save(ctx);
    }
    if wants_shot && !shot_first && conv.stage != Stage::Screenshot {
        return ask_screenshot(ctx, talk, conv);
    }
    finish(ctx, talk, &conv, plain())
}

fn ask_screenshot(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    mut conv: Conversation,
) -> Result<(), DomainError> {
    let markup = Keyboard::column(vec![Button::new(
        talk.t("button.skip", &[]),
        Choice::SkipScreenshot,
    )]);
    talk.send(ctx, &talk.t("screenshot.ask", &[]), Some(&markup))?;
    conv.stage = Stage::Screenshot;
    conv.prompted_at = ctx.now;
    conv.save(ctx)
}

/// The screenshot came (or was skipped): the questions still to ask (it
/// was asked first), or the ticket.
fn after_screenshot(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    conv: Conversation,
) -> Result<(), DomainError> {
    if conv.step < questions(ctx, talk.desk, &conv)?.len() {
        advance(ctx, talk, conv)
    } else {
        finish(ctx, talk, &conv, plain())
    }
}

fn ask_consent(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    conv: &mut Conversation,
) -> Result<(), DomainError> {
    let text = talk.t("consent.ask", &[("name", &talk.customer.first_name)]);
    let markup = Keyboard::rows(vec![vec![
        Button::new(talk.t("button.agree", &[]), Choice::Consent { yes: true }),
        Button::new(
            talk.t("button.disagree", &[]),
            Choice::Consent { yes: false },
        ),
    ]]);
    talk.send(ctx, &text, Some(&markup))?;
    conv.prompted_at = ctx.now;
    Ok(())
}

fn ask_topic(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    conv: &mut Conversation,
    key: &str,
) -> Result<(), DomainError> {
    let desk = talk.desk;
    let buttons = desk
        .bot
        .topics
        .iter()
        .map(|t| {
            Button::new(
                wording::topic_label(desk, talk.lang, Some(&t.key)),
                Choice::Topic { key: t.key.clone() },
            )
        })
        .collect();
    talk.send(ctx, &talk.t(key, &[]), Some(&Keyboard::pairs(buttons)))?;
    conv.prompted_at = ctx.now;
    Ok(())
}

/// An inline button. Presses that no longer apply (an old keyboard, a
/// double tap) change nothing.
pub fn press(ctx: &mut WriteCtx<'_>, desk: &Desk, p: &Press) -> Result<(), DomainError> {
    let customer = intake::upsert_customer(ctx, &p.sender)?;
    let chat = p.chat_id;
    match &p.choice {
        Choice::Consent { yes } => return consent(ctx, desk, customer, chat, *yes),
        Choice::Language { code } => {
            return customer_commands::set_language(ctx, desk, customer, chat, code);
        }
        Choice::WithdrawConsent => return privacy::withdraw(ctx, desk, customer, chat),
        Choice::Forget { asked, yes } => {
            return privacy::forget(ctx, desk, customer, chat, *asked, *yes);
        }
        _ => {}
    }
    if desk.bot.consent && customer.consent_at.is_none() {
        return Ok(());
    }
    let talk = Talk::new(desk, &customer, chat);
    match &p.choice {
        Choice::Topic { key } => {
            let Some(mut conv) = Conversation::load(ctx, chat)? else {
                return Ok(());
            };
            if !matches!(conv.stage, Stage::Topic | Stage::Kb) || desk.bot.topic(key).is_none() {
                return Ok(());
            }
            conv.topic = Some(key.clone());
            conv.step = 0;
            advance(ctx, &talk, conv)
        }
        Choice::SkipScreenshot => match Conversation::load(ctx, chat)? {
            Some(conv) if conv.stage == Stage::Screenshot => after_screenshot(ctx, &talk, conv),
            _ => Ok(()),
        },
        Choice::KbHelped { yes } => kb_answer(ctx, &talk, *yes),
        Choice::KbOpen { article } => kb_open(ctx, &talk, article),
        choice => match choice
            .ticket()
            .map(|id| own_ticket(ctx, customer.id, chat, id))
            .transpose()?
            .flatten()
        {
            Some(ticket) => ticket_button(ctx, &talk, ticket, choice),
            None => Ok(()),
        },
    }
}

/// A button about one of the customer's tickets: status, details, a
/// rating, "not fixed", the follow-up's answer.
fn ticket_button(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    mut ticket: Ticket,
    choice: &Choice,
) -> Result<(), DomainError> {
    let desk = talk.desk;
    let n = ticket.number.to_string();
    let finished = matches!(ticket.status, TicketStatus::Resolved | TicketStatus::Closed);
    match *choice {
        Choice::Status { .. } => {
            let text = notify::status_text(ctx, talk, &ticket)?;
            talk.send(ctx, &text, None)
        }
        Choice::Details { .. } if !finished => talk.say(ctx, "details.ask", &[("number", &n)]),
        Choice::Details { .. } => talk.say(ctx, "details.closed", &[("number", &n)]),
        Choice::Rate { stars: rating, .. } if finished => {
            if !(1..=5).contains(&rating) {
                return Ok(());
            }
            rate(ctx, desk, &mut ticket, rating)?;
            talk.say(ctx, "csat.thanks", &[])
        }
        Choice::Reopen { .. } if finished => {
            if ticket
                .resolved_at
                .is_some_and(|at| ctx.now.since(at) <= desk.bot.reopen_window)
            {
                ticketing::reopen(ctx, talk, &mut ticket)
            } else {
                talk.say(ctx, "reopen.too_late", &[("number", &n)])
            }
        }
        Choice::Followup { ok, .. } if finished => {
            if store::tickets::followup_answer(ctx, ticket.id)?.is_some() {
                return Ok(());
            }
            store::tickets::set_followup_answer(ctx, ticket.id, ok)?;
            if ok {
                talk.say(ctx, "followup.thanks", &[])?;
                if desk.bot.nps {
                    notify::ask_nps(ctx, talk, &mut ticket)?;
                }
                Ok(())
            } else {
                ticketing::reopen(ctx, talk, &mut ticket)
            }
        }
        Choice::Nps { score, .. } => {
            if score <= 10 && store::tickets::set_nps(ctx, ticket.id, score)? {
                talk.say(ctx, "nps.thanks", &[])
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// The customer's rating (1-5) of a finished ticket; a second, different
/// one replaces it.
fn rate(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    ticket: &mut Ticket,
    rating: u8,
) -> Result<(), DomainError> {
    if ticket.csat != Some(rating) {
        ticket.csat = Some(rating);
        store::tickets::set_csat_at(ctx, ticket.id)?;
        ticket::save(
            ctx,
            &desk.queues,
            ticket,
            None,
            TicketChange::Csat { rating },
        )?;
    }
    Ok(())
}

/// The customer's own ticket `id` in this chat.
fn own_ticket(
    ctx: &WriteCtx<'_>,
    customer: CustomerId,
    chat: i64,
    id: TicketId,
) -> Result<Option<Ticket>, DomainError> {
    Ok(store::tickets::own(ctx, customer, chat, id)?)
}

fn consent(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    mut customer: Customer,
    chat: i64,
    yes: bool,
) -> Result<(), DomainError> {
    let conv = Conversation::load(ctx, chat)?;
    if !yes {
        if customer.consent_at.is_none() {
            Conversation::end(ctx, chat)?;
            let talk = Talk::new(desk, &customer, chat);
            privacy::log_consent(ctx, &talk, store::consent::Action::Declined)?;
            talk.say(ctx, "consent.declined", &[])?;
        }
        return Ok(());
    }
    if customer.consent_at.is_some() {
        return Ok(()); // a second tap
    }
    customer.consent_at = Some(ctx.now);
    store::customers::set_consent(ctx, customer.id)?;
    ctx.append(Event::CustomerUpserted {
        customer: customer.clone(),
    })?;
    let talk = Talk::new(desk, &customer, chat);
    privacy::log_consent(ctx, &talk, store::consent::Action::Agreed)?;
    talk.say(ctx, "consent.thanks", &[])?;
    if let Some(mut t) = intake::open_ticket_of(ctx, customer.id, chat)? {
        return ticketing::join_open(ctx, &talk, &mut t);
    }
    let mut conv = conv.unwrap_or_else(|| Conversation::new(&customer, chat, Stage::Topic));
    let drafts = conversation::drafts(ctx, chat)?;
    let said: Vec<&str> = drafts.iter().map(|d| d.text.as_str()).collect();
    let said = said.join("\n");
    if !desk.bot.guided {
        if drafts.is_empty() {
            return Conversation::end(ctx, chat);
        }
        return finish(ctx, &talk, &conv, plain());
    }
    if let Some(rule) = desk.bot.stop_rule(&said) {
        return hand_off(ctx, &talk, &conv, rule);
    }
    // Starts over from the customer's words as if they had just arrived.
    conv.exists = false;
    conv.stage = Stage::Topic;
    triage(ctx, &talk, conv, &said)
}

/// Articles a `kb_answer` list offers, at most.
const KB_LIST: usize = 3;

/// An article as a card: its title and text, "Did this help?" with yes
/// and "talk to a person".
fn kb_card(ctx: &mut WriteCtx<'_>, talk: &Talk<'_>, a: &Article) -> Result<(), DomainError> {
    let body: String = a.body.chars().take(3000).collect();
    let reply = talk.t("kb.answer", &[("title", &a.title), ("body", &body)]);
    let markup = Keyboard::column(vec![
        Button::new(talk.t("button.kb_yes", &[]), Choice::KbHelped { yes: true }),
        Button::new(talk.t("button.kb_no", &[]), Choice::KbHelped { yes: false }),
    ]);
    talk.send(ctx, &reply, Some(&markup))
}

/// An article opened from the list: its card; the customer's answer is
/// about it from now on.
fn kb_open(ctx: &mut WriteCtx<'_>, talk: &Talk<'_>, id: &str) -> Result<(), DomainError> {
    let Some(mut conv) = Conversation::load(ctx, talk.chat)? else {
        return Ok(());
    };
    let (Some(was), Some(a)) = (
        conv.article.clone().filter(|_| conv.stage == Stage::Kb),
        talk.desk.bot.kb.get(id),
    ) else {
        return Ok(());
    };
    kb_card(ctx, talk, a)?;
    store::kb::opened(ctx, talk.customer.id, &was, id)?;
    conv.article = Some(id.to_owned());
    conv.prompted_at = ctx.now;
    conv.save(ctx)
}

fn kb_answer(ctx: &mut WriteCtx<'_>, talk: &Talk<'_>, helped: bool) -> Result<(), DomainError> {
    let (desk, chat) = (talk.desk, talk.chat);
    let Some(mut conv) = Conversation::load(ctx, chat)? else {
        return Ok(());
    };
    let Some(article) = conv.article.clone().filter(|_| conv.stage == Stage::Kb) else {
        return Ok(());
    };
    store::kb::answered(ctx, talk.customer.id, &article, helped)?;
    if helped {
        Conversation::end(ctx, chat)?;
        return talk.say(ctx, "kb.glad", &[]);
    }
    // "No, talk to a person": a ticket now, in the article's topic.
    let topic = desk.bot.kb.get(&article).and_then(|a| a.topic.clone());
    if conv.topic.is_none() {
        conv.topic = topic.filter(|t| desk.bot.topic(t).is_some());
    }
    let how = Opening {
        kb_declined: Some(article),
        ..plain()
    };
    finish(ctx, talk, &conv, how)
}

/// A conversation waiting for consent longer than this is dropped with
/// the customer's words: they never agreed to our keeping them.
const CONSENT_WAIT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// When `tick` next has something to do.
pub fn next_due(db: &impl Db, desk: &Desk) -> Result<Option<Timestamp>, DomainError> {
    let consent = Stage::Consent.as_str();
    let never = conversations::least_recently_touched(db, consent, false)?;
    let idle = conversations::least_recently_touched(db, consent, true)?;
    Ok(Timestamp::earliest([
        notify::next_release(db)?,
        never.map(|t| t + CONSENT_WAIT),
        idle.map(|t| t + desk.bot.abandon_after),
    ]))
}

/// Held notifications that are due, follow-ups, and conversations the
/// customer walked away from. Returns how many things
/// it did.
pub fn tick(ctx: &mut WriteCtx<'_>, desk: &Desk) -> Result<usize, DomainError> {
    let mut done = notify::release_due(ctx, desk)?;
    // Never consented within a day: their words are not kept.
    let consent = Stage::Consent.as_str();
    let never = conversations::untouched(ctx, consent, false, ctx.now - CONSENT_WAIT, 100)?;
    for chat in never {
        Conversation::end(ctx, chat)?;
        done += 1;
    }
    let idle = conversations::untouched(ctx, consent, true, ctx.now - desk.bot.abandon_after, 100)?;
    for chat in idle {
        let Some(conv) = Conversation::load(ctx, chat)? else {
            continue;
        };
        let customer = rows::load_customer(ctx, conv.customer_id)?;
        let has_words = !conversation::drafts(ctx, chat)?.is_empty();
        match customer {
            Some(c) if has_words && intake::open_ticket_of(ctx, c.id, chat)?.is_none() => {
                let how = Opening {
                    abandoned: true,
                    ..plain()
                };
                ticketing::open(ctx, &Talk::new(desk, &c, chat), &conv, how)?;
            }
            _ => Conversation::end(ctx, chat)?,
        }
        done += 1;
    }
    Ok(done)
}
