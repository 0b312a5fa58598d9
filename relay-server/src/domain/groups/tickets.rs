//! A group conversation turned into a ticket (by `/ticket` in the group,
//! a staff reaction, or the workstation): a ticket of the organisation's
//! queue for the client who opened it, holding the conversation so far.
//! It talks in the group: replies go there, in the conversation's topic,
//! as replies; the client's later messages in the conversation join it.
//! The group is told its number. docs/groups.md.

use shared::*;

use super::intake::GroupMessage as Incoming;
use super::publish;
use crate::domain::desk::Desk;
use crate::domain::i18n::Lang;
use crate::domain::intake::{self, Asked, Inbound, Sender};
use crate::domain::{DomainError, outbox};
use crate::store::group_view::{self as wire, Outgoing};
use crate::store::groups as rows;
use crate::store::{WriteCtx, rows as tickets};

/// A ticket made (or found: a conversation becomes one ticket once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub ticket: TicketId,
    pub number: u64,
    pub new: bool,
}

fn sender(id: i64, name: &str) -> Sender {
    Sender {
        telegram_user_id: id,
        first_name: name.to_owned(),
        last_name: None,
        username: None,
        language: None,
    }
}

fn inbound(chat_id: i64, text: String, telegram: Option<i64>, at: Timestamp) -> Inbound {
    Inbound {
        sender: sender(0, ""),
        chat_id,
        text,
        attachments: Vec::new(),
        telegram_message_id: telegram,
        sent_at: Some(at),
        queue: None,
        topic: None,
        priority: Priority::Normal,
    }
}

/// Turns the conversation into a ticket. `by`: the engineer who asked
/// (`None`: staff in the group).
pub fn make(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    id: ConversationId,
    by: Option<AgentId>,
) -> Result<Made, DomainError> {
    let missing = || DomainError::not_found(format!("no group conversation {id}"));
    let mut c = rows::conversation(ctx, id.0)?.ok_or_else(missing)?;
    if let Some(t) = c.ticket_id
        && let Some(ticket) = tickets::load_ticket(ctx, t)?
    {
        return Ok(Made {
            ticket: t,
            number: ticket.number,
            new: false,
        });
    }
    let org = rows::group(ctx, c.chat_id)?
        .and_then(|g| g.organisation)
        .map(|o| rows::organisation(ctx, o))
        .transpose()?
        .flatten()
        .ok_or_else(|| {
            DomainError::conflict("bind the group to an organisation before making tickets of it")
        })?;
    let said = wire::transcript(ctx, c.id)?;
    // The client who opened it, else the first client who wrote in it.
    let client = said
        .iter()
        .find(|m| m.1 == GroupSide::Customer && m.0 == c.opened_by)
        .or_else(|| said.iter().find(|m| m.1 == GroupSide::Customer))
        .map(|m| (m.0, m.2.clone()))
        .ok_or_else(|| DomainError::conflict("no client has written in this conversation"))?;
    let customer = intake::upsert_customer(ctx, &sender(client.0, &client.1))?;
    let queue = QueueId::new(&org.queue);
    let mut ticket = intake::open_ticket(
        ctx,
        desk,
        Asked {
            customer: &customer,
            chat_id: c.chat_id,
            queue: Some(&queue),
            topic: None,
            priority: Priority::Normal,
        },
    )?;
    wire::set_ticket_origin(ctx, ticket.id, c.id)?;
    // The client's own words; of everyone else only who and how much (their
    // words stay in the group conversation, and go with them if they are
    // erased).
    let mut others: Vec<(String, usize)> = Vec::new();
    for (author, side, name, text, telegram, at) in &said {
        if *side == GroupSide::Customer && *author == client.0 {
            let m = inbound(c.chat_id, text.clone(), *telegram, *at);
            intake::add_inbound(ctx, desk, &customer, &mut ticket, &m, false)?;
        } else {
            let who = match side {
                GroupSide::Customer => name.clone(),
                GroupSide::Staff => format!("{name} (staff)"),
                GroupSide::Bot => format!("{name} (bot)"),
            };
            match others.iter_mut().find(|(n, _)| *n == who) {
                Some((_, k)) => *k += 1,
                None => others.push((who, 1)),
            }
        }
    }
    let place = rows::group(ctx, c.chat_id)?.map_or_else(|| c.chat_id.to_string(), |g| g.title);
    let mut note = format!("Made from a conversation in the group {place}");
    if !others.is_empty() {
        let list: Vec<String> = others.iter().map(|(n, k)| format!("{n}: {k}")).collect();
        note.push_str(&format!(
            "; others wrote there too ({}): see the Groups screen",
            list.join(", ")
        ));
    }
    note.push_str(". Replies go into the group, in this conversation.");
    outbox::desk_note(ctx, desk, &mut ticket, &note)?;
    // The client has waited since the conversation became owed (not since
    // now); answered in the group already: nobody waits.
    waiting_since(ctx, desk, &mut ticket, c.owed_since, by)?;
    c.ticket_id = Some(ticket.id);
    // From now on the ticket's clocks hold (its waiting time came along).
    c.answered();
    rows::save_conversation(ctx, &c)?;
    publish::conversation(ctx, c.id)?;
    let lang = Lang::from_code(Some(&org.language));
    let number = ticket.number.to_string();
    let notice = desk
        .bot
        .t(lang, "group.ticket_opened", &[("number", &number)]);
    let reply_to = wire::reply_target(ctx, c.id)?;
    let posted = wire::add_outgoing(
        ctx,
        &Outgoing {
            chat_id: c.chat_id,
            conversation: Some(c.id),
            thread_id: c.thread_id,
            reply_to,
            side: GroupSide::Bot,
            author_name: "Support desk",
            agent: None,
            text: &notice,
        },
    )?;
    publish::message_added(ctx, posted)?;
    intake::opened(ctx, desk, &mut ticket)?;
    Ok(Made {
        ticket: ticket.id,
        number: ticket.number,
        new: true,
    })
}

/// Whether the ticket is being worked (new, open or waiting on the client).
pub(super) fn active(ctx: &WriteCtx<'_>, ticket: TicketId) -> Result<bool, DomainError> {
    Ok(tickets::load_ticket(ctx, ticket)?.is_some_and(|t| {
        matches!(
            t.status,
            TicketStatus::New | TicketStatus::Open | TicketStatus::PendingOnCustomer
        )
    }))
}

/// The ticket's client's later message in the conversation joins the
/// ticket while it is being worked (a resolved or closed one is left
/// alone: the conversation's own clock runs again).
pub(super) fn joined(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    ticket: TicketId,
    m: &Incoming,
) -> Result<(), DomainError> {
    // Called for a ticket being worked ([`active`]).
    let Some(mut t) = tickets::load_ticket(ctx, ticket)? else {
        return Ok(());
    };
    let Some(customer) = tickets::load_customer(ctx, t.customer_id)? else {
        return Ok(());
    };
    // The ticket's client's words only (others' stay in the group).
    if customer.telegram_user_id != m.author_id || m.text.trim().is_empty() {
        return Ok(());
    }
    let msg = inbound(m.chat_id, m.text.clone(), Some(m.message_id), m.sent_at);
    intake::add_inbound(ctx, desk, &customer, &mut t, &msg, false)?;
    Ok(())
}

/// Staff answered the conversation of a ticket in Telegram: the ticket
/// notes it, and its client waits no more.
pub(super) fn answered_in_group(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    ticket: TicketId,
    m: &Incoming,
) -> Result<(), DomainError> {
    let Some(mut t) = tickets::load_ticket(ctx, ticket)? else {
        return Ok(());
    };
    let note = format!("{} answered in the group: {}", m.author_name, m.text);
    outbox::desk_note(ctx, desk, &mut t, &note)?;
    waiting_since(ctx, desk, &mut t, None, None)
}

/// Sets since when the ticket's client waits (`None`: nobody waits).
fn waiting_since(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    t: &mut Ticket,
    since: Option<Timestamp>,
    by: Option<AgentId>,
) -> Result<(), DomainError> {
    if t.waiting_since == since {
        return Ok(());
    }
    t.waiting_since = since;
    let last = t.last_message_id.unwrap_or_default();
    crate::domain::ticket::save(
        ctx,
        &desk.queues,
        t,
        by,
        TicketChange::Thread { message_id: last },
    )
}

/// An engineer's reply to a ticket made from a group conversation, which
/// the ticket queued for the group: it is also the conversation's answer.
pub fn echo_reply(
    ctx: &mut WriteCtx<'_>,
    ticket: TicketId,
    message: MessageId,
    agent: &Agent,
    text: &str,
) -> Result<(), DomainError> {
    let Some(conversation) = wire::ticket_origin(ctx, ticket)? else {
        return Ok(());
    };
    let Some(mut c) = rows::conversation(ctx, conversation)? else {
        return Ok(());
    };
    let Some(posted) =
        wire::echo_ticket_message(ctx, message, c.id, &agent.display_name, agent.id, text)?
    else {
        return Ok(());
    };
    c.last_at = ctx.now;
    c.answered();
    rows::save_conversation(ctx, &c)?;
    publish::conversation(ctx, c.id)?;
    publish::message_added(ctx, posted)?;
    Ok(())
}
