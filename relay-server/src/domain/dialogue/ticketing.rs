//! Tickets as the customer sees them: opened from the dialogue with a
//! receipt and an honest ETA, their status in words, reopened when the
//! problem is back.

use std::time::Duration;

use shared::*;

use super::conversation::{self, Conversation};
use crate::domain::desk::Desk;
use crate::domain::experiments::{self, Kind, Variant};
use crate::domain::i18n::Lang;
use crate::domain::intake::{self, Inbound, Sender};
use crate::domain::talk::Talk;
use crate::domain::ticket;
use crate::domain::wording::{eta, ticket_buttons, topic_label};
use crate::domain::{DomainError, hours, outbox};
use crate::store::{self, WriteCtx, rows};

/// How the ticket came to be, for the engineers' intake note.
pub struct Opening {
    pub queue: Option<QueueId>,
    pub priority: Priority,
    /// Stop words sent the customer straight to a person.
    pub handoff: bool,
    /// The customer stopped answering; filed anyway.
    pub abandoned: bool,
    /// A knowledge-base article did not help.
    pub kb_declined: Option<String>,
    /// Filed from the mini app's form.
    pub via_app: bool,
}

/// Opens the ticket the conversation leads to: the drafts become its
/// first messages (in order, with their Telegram ids), a note tells the
/// engineers what the bot learned, the customer gets a receipt.
pub fn open(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    conv: &Conversation,
    how: Opening,
) -> Result<Ticket, DomainError> {
    let (desk, customer) = (talk.desk, talk.customer);
    let topic = conv.topic.as_deref().and_then(|k| desk.bot.topic(k));
    let queue = how.queue.clone().or_else(|| topic.map(|t| t.queue.clone()));
    let asked = intake::Asked {
        customer,
        chat_id: conv.chat_id,
        queue: queue.as_ref(),
        topic: topic.map(|t| t.key.clone()),
        priority: how.priority,
    };
    let mut ticket = intake::open_ticket(ctx, desk, asked)?;
    let answers = file_drafts(ctx, desk, customer, &mut ticket, conv.chat_id)?;
    let mut note = vec![format!(
        "Bot intake: topic {}.",
        topic.map_or("not chosen", |t| t.key.as_str())
    )];
    if how.handoff {
        note.push("Stop words: sent straight to a person.".into());
    }
    if how.abandoned {
        note.push(
            "The customer stopped answering the bot's questions; filed with what they wrote."
                .into(),
        );
    }
    if let Some(a) = &how.kb_declined {
        note.push(format!("Knowledge-base article \"{a}\" did not help."));
    }
    if how.via_app {
        note.push("Filed from the mini app.".into());
    }
    if let Some(p) = &conv.payload {
        note.push(format!("Came through the link /start {p}."));
    }
    note.extend(answers);
    if desk.bot.guided {
        outbox::bot_entry(
            ctx,
            &desk.queues,
            &mut ticket,
            MessageKind::Note,
            &note.join("\n"),
            None,
        )?;
    }
    Conversation::end(ctx, conv.chat_id)?;
    if desk.bot.guided {
        receipt(ctx, talk, &mut ticket, how.handoff)?;
        offhours_notice(ctx, talk, &mut ticket)?;
    }
    intake::opened(ctx, desk, &mut ticket)?;
    Ok(ticket)
}

/// Files the words held during the dialogue into `ticket`, in order;
/// returns the answers to clarifying questions ("question → answer").
fn file_drafts(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    ticket: &mut Ticket,
    chat: i64,
) -> Result<Vec<String>, DomainError> {
    let drafts = conversation::drafts(ctx, chat)?;
    let mut answers = Vec::new();
    for d in &drafts {
        let msg = Inbound {
            sender: Sender {
                telegram_user_id: customer.telegram_user_id,
                first_name: customer.first_name.clone(),
                last_name: customer.last_name.clone(),
                username: customer.username.clone(),
                language: customer.language.clone(),
            },
            chat_id: chat,
            text: d.text.clone(),
            attachments: d.attachments.clone(),
            telegram_message_id: d.telegram_message_id,
            sent_at: d.sent_at,
            queue: None,
            topic: None,
            priority: Priority::Normal,
        };
        let id = intake::add_inbound_received(
            ctx,
            desk,
            customer,
            ticket,
            &msg,
            false,
            d.received_at.min(ctx.now),
        )?;
        if let Some(at) = d.edited_at {
            // Edited while held: shown as edited.
            store::messages::set_edited_at(ctx, id, at)?;
            if let Some(message) = rows::load_message(ctx, id)? {
                ctx.append(Event::MessageUpdated { message })?;
            }
        }
        if let Some(q) = &d.question {
            let asked = desk.bot.t(Lang::En, &format!("question.{q}"), &[]);
            answers.push(format!(
                "{asked} → {}",
                d.text.lines().next().unwrap_or_default()
            ));
        }
    }
    Ok(answers)
}

/// Consent given again (after a withdrawal) while a ticket is open: what
/// they wrote meanwhile joins it, and the dialogue ends.
pub fn join_open(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    ticket: &mut Ticket,
) -> Result<(), DomainError> {
    file_drafts(ctx, talk.desk, talk.customer, ticket, talk.chat)?;
    Conversation::end(ctx, talk.chat)
}

/// "Ticket #12345 created. Topic: payment. ETA: about 15 min." with
/// [Status] [Add details]; or, for customers in variant B of a receipt
/// experiment, the steps ahead spelled out, without buttons.
fn receipt(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    ticket: &mut Ticket,
    handoff: bool,
) -> Result<(), DomainError> {
    let (desk, customer, lang) = (talk.desk, talk.customer, talk.lang);
    let mut text = String::new();
    if handoff {
        text.push_str(&talk.t("receipt.handoff", &[]));
        text.push('\n');
    }
    let steps =
        experiments::variant(ctx, &desk.experiments, customer, Kind::Receipt)? == Variant::B;
    text.push_str(&talk.t(
        if steps {
            "receipt.steps"
        } else {
            "receipt.created"
        },
        &[
            ("number", &ticket.number.to_string()),
            ("topic", &topic_label(desk, lang, ticket.topic.as_deref())),
            ("eta", &eta(ctx, desk, customer, ticket)?),
        ],
    ));
    let markup = (!steps).then(|| ticket_buttons(desk, lang, ticket));
    outbox::bot_message(ctx, &desk.queues, ticket, &text, markup.as_ref())?;
    Ok(())
}

/// Outside business hours, once per closed period (at most every 12 h):
/// when a person will be back, in the customer's time zone.
pub fn offhours_notice(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    ticket: &mut Ticket,
) -> Result<(), DomainError> {
    let (desk, customer, chat) = (talk.desk, talk.customer, talk.chat);
    let hours = &desk.bot.hours;
    if hours.is_open(ctx.now) {
        return Ok(());
    }
    if !conversation::notice_due(ctx, chat, "offhours", Duration::from_secs(12 * 3600))? {
        return Ok(());
    }
    let zone = desk.bot.zone_of(customer.time_zone.as_deref());
    let zone_name = customer
        .time_zone
        .clone()
        .unwrap_or_else(|| desk.bot.default_zone_name.clone());
    let text = match hours.next_open(ctx.now) {
        Some(at) => talk.t(
            "offhours.notice",
            &[
                ("time", &hours::local(at, &zone)),
                ("zone", &zone_name),
                ("number", &ticket.number.to_string()),
            ],
        ),
        None => talk.t(
            "offhours.unknown",
            &[("number", &ticket.number.to_string())],
        ),
    };
    outbox::bot_message(ctx, &desk.queues, ticket, &text, None)?;
    Ok(())
}

/// The customer's latest ticket in this chat resolved within the reopen
/// window.
pub fn recently_resolved(
    ctx: &WriteCtx<'_>,
    talk: &Talk<'_>,
) -> Result<Option<Ticket>, DomainError> {
    let t = store::tickets::latest_of(ctx, talk.customer.id, talk.chat)?;
    Ok(t.filter(|t| {
        matches!(t.status, TicketStatus::Resolved | TicketStatus::Closed)
            && t.resolved_at
                .is_some_and(|at| ctx.now.since(at) <= talk.desk.bot.reopen_window)
    }))
}

/// Opens a resolved ticket again (the problem is back); the customer is
/// told, the pending follow-up is dropped.
pub fn reopen(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    ticket: &mut Ticket,
) -> Result<(), DomainError> {
    let desk = talk.desk;
    let from = ticket.status;
    ticket.status = TicketStatus::Open;
    ticket.resolved_at = None;
    ticket.closed_at = None;
    ticket.waiting_since.get_or_insert(ctx.now);
    ticket::save(
        ctx,
        &desk.queues,
        ticket,
        None,
        TicketChange::Status {
            from,
            to: TicketStatus::Open,
        },
    )?;
    crate::store::scheduled::drop_all(ctx, ticket.id)?;
    let text = talk.t("reopen.done", &[("number", &ticket.number.to_string())]);
    outbox::bot_message(ctx, &desk.queues, ticket, &text, None)?;
    Ok(())
}
