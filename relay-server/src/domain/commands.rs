//! Agent commands: permission checks, the change, its events, and the
//! record that makes a retried command id apply once.

use shared::*;

use super::desk::Desk;
use super::notify;
use super::{DomainError, assign, escalation, ticket, validate};
use crate::store::rows::{self, NewMessage};
use crate::store::{self, WriteCtx};

/// What an applied command answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub seq: Option<Seq>,
    pub result: CommandResult,
}

/// Whether `agent` may change `ticket`: supervisors always; agents in the
/// ticket's queue or when it is assigned to them.
pub fn may_act(agent: &Agent, ticket: &Ticket) -> bool {
    agent.role == Role::Supervisor
        || agent.queues.contains(&ticket.queue)
        || ticket.assignee == Some(agent.id)
}

/// Whether `agent` can work tickets of `queue`.
fn serves(agent: &Agent, queue: &QueueId) -> bool {
    agent.role == Role::Supervisor || agent.queues.contains(queue)
}

/// Applies a command for the agent holding the token with `token_hash`,
/// once per command id. The token is checked in the same transaction, so a
/// replaced or revoked token writes nothing more, even on an open connection.
pub fn apply(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    token_hash: &str,
    id: &CommandId,
    cmd: &Command,
) -> Result<Applied, DomainError> {
    if !id.is_valid() {
        return Err(DomainError::invalid(
            "command id must be 1-64 visible ASCII characters",
        ));
    }
    let agent = rows::agent_by_token_hash(ctx, token_hash)?
        .ok_or_else(|| DomainError::forbidden("this token was revoked or replaced"))?;
    if let Command::Preview { command, .. } = cmd {
        return preview(ctx, desk, &agent, command);
    }
    // Not recorded: `link_telegram`'s answer holds a secret (the code),
    // which must not be kept (a retry makes a new code, which replaces the
    // first); `safety_figures` is a read.
    if let Command::LinkTelegram | Command::SafetyFigures { .. } = cmd {
        let result = execute(ctx, desk, &agent, cmd)?;
        return Ok(Applied { seq: None, result });
    }
    let agent_id = agent.id;
    // Keys sorted (serde_json's Value map), so field order never matters.
    let fingerprint = super::agents::token_hash(&serde_json::to_value(cmd)?.to_string());
    if let Some(done) = already_applied(ctx, agent_id, id, &fingerprint)? {
        return Ok(done);
    }
    let mark = ctx.mark();
    let result = execute(ctx, desk, &agent, cmd)?;
    record(ctx, agent_id, id, &fingerprint, mark, result)
}

/// `applied` when something changed, else `unchanged`.
fn changed_or_not(changed: bool) -> Result<CommandResult, DomainError> {
    Ok(if changed {
        CommandResult::Applied { message_id: None }
    } else {
        CommandResult::Unchanged
    })
}

/// Makes the change `cmd` asks for, as `agent`.
fn execute(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    agent: &Agent,
    cmd: &Command,
) -> Result<CommandResult, DomainError> {
    let Some(ticket_id) = cmd.ticket_id() else {
        return match cmd {
            Command::SetPresence { presence } => {
                if super::presence::set(ctx, agent.id, *presence)? {
                    Ok(CommandResult::Applied { message_id: None })
                } else {
                    Ok(CommandResult::Unchanged)
                }
            }
            Command::GroupReply {
                conversation_id,
                text,
            } => {
                super::groups::workstation::reply(ctx, desk, agent, *conversation_id, text)?;
                Ok(CommandResult::Applied { message_id: None })
            }
            Command::GroupAck { conversation_id } => {
                if super::groups::workstation::ack(ctx, desk, agent, *conversation_id)? {
                    Ok(CommandResult::Applied { message_id: None })
                } else {
                    Ok(CommandResult::Unchanged)
                }
            }
            Command::GroupTicket { conversation_id } => {
                // Who may work the conversation may make it a ticket.
                super::groups::workstation::check(ctx, desk, agent, *conversation_id)?;
                let made =
                    super::groups::tickets::make(ctx, desk, *conversation_id, Some(agent.id))?;
                Ok(CommandResult::Ticket {
                    ticket_id: made.ticket,
                    number: made.number,
                })
            }
            Command::GroupBind {
                chat_id,
                organisation_id,
            } => {
                if agent.role != Role::Supervisor {
                    return Err(DomainError::forbidden("only supervisors bind groups"));
                }
                let name = match organisation_id {
                    Some(id) => Some(
                        crate::store::groups::organisation(ctx, id.0)?
                            .ok_or_else(|| DomainError::not_found(format!("no organisation {id}")))?
                            .name,
                    ),
                    None => None,
                };
                let before =
                    crate::store::groups::group(ctx, *chat_id)?.and_then(|g| g.organisation);
                if before == organisation_id.map(|o| o.0) {
                    return Ok(CommandResult::Unchanged);
                }
                super::groups::orgs::bind(ctx, desk, *chat_id, name.as_deref())?;
                Ok(CommandResult::Applied { message_id: None })
            }
            Command::LinkTelegram => {
                let (code, expires_at) = super::groups::orgs::link_code(ctx, agent.id)?;
                Ok(CommandResult::LinkCode { code, expires_at })
            }
            Command::QuarantineApprove { held_id } => {
                changed_or_not(super::groups::held::approve(ctx, desk, agent, *held_id)?)
            }
            Command::SafetyFigures { days } => Ok(CommandResult::SafetyFigures {
                figures: super::safety::figures::of(ctx, desk, agent, *days, ctx.now)?,
            }),
            Command::QuarantineBan { held_id } => {
                changed_or_not(super::safety::quarantine::ban(ctx, desk, agent, *held_id)?)
            }
            _ => Err(DomainError::invalid("this command needs a ticket")),
        };
    };
    let mut ticket = rows::load_ticket(ctx, ticket_id)?
        .filter(|t| desk.access().may_read(agent, t))
        // A ticket one may not read is answered as one that does not exist.
        .ok_or_else(|| DomainError::not_found(format!("ticket {ticket_id} does not exist")))?;
    // Marking read is allowed on any ticket one can read, and a note on one
    // shared with one; other changes need the queue (or the assignment).
    let read_only = matches!(
        cmd,
        Command::MarkRead { .. } | Command::LoadOlder { .. } | Command::History { .. }
    );
    let shared_note = matches!(cmd, Command::Note { .. }) && ticket.shared_with.contains(&agent.id);
    if !read_only && !shared_note && !may_act(agent, &ticket) {
        let shared = if ticket.shared_with.contains(&agent.id) {
            "; it was shared with you to read and add notes"
        } else {
            ""
        };
        return Err(DomainError::forbidden(format!(
            "ticket #{} is in queue {}, which is not one of yours{shared}",
            ticket.number, ticket.queue
        )));
    }
    if ticket.status == TicketStatus::Closed {
        return Err(DomainError::conflict(format!(
            "ticket #{} is closed",
            ticket.number
        )));
    }
    let owner = ticket.assignee;
    let mut op = Op {
        ctx: &mut *ctx,
        desk,
        agent,
        ticket: &mut ticket,
    };
    let done = run(&mut op, cmd)?;
    if ticket.assignee != owner {
        audit(
            ctx,
            agent,
            &ticket,
            "assign",
            format!("from {} to {}", who(owner), who(ticket.assignee)),
        )?;
    }
    Ok(done)
}

fn who(agent: Option<AgentId>) -> String {
    agent.map_or_else(|| "nobody".to_owned(), |a| format!("agent {a}"))
}

/// Keeps an audit record of `agent`'s access to `ticket` (ids only).
fn audit(
    ctx: &WriteCtx<'_>,
    agent: &Agent,
    ticket: &Ticket,
    action: &str,
    detail: String,
) -> Result<(), DomainError> {
    store::access::log(
        ctx,
        &store::access::AuditEntry {
            at: ctx.now,
            actor: store::access::Actor::Agent(agent.id),
            action: action.to_owned(),
            ticket: Some(ticket.id),
            customer: Some(ticket.customer_id),
            detail,
        },
    )?;
    Ok(())
}

/// Runs a ticket command's change.
fn run(op: &mut Op<'_, '_>, cmd: &Command) -> Result<CommandResult, DomainError> {
    let agent = op.agent;
    match cmd {
        Command::Reply { text, .. } => op.reply(text),
        Command::Attach {
            upload_id, caption, ..
        } => op.attach(upload_id, caption),
        Command::Note { text, .. } => op.note(text),
        Command::Take { .. } => op.assign(Some(agent.id)),
        Command::Assign { agent_id, .. } => op.assign(*agent_id),
        Command::Transfer {
            queue,
            agent_id,
            note,
            tell_customer,
            ..
        } => op.transfer(queue.as_ref(), *agent_id, note.as_deref(), *tell_customer),
        Command::SetStatus { status, .. } => op.set_status(*status),
        Command::SetTags { add, remove, .. } => op.set_tags(add, remove),
        Command::SetPriority { priority, .. } => op.set_priority(*priority),
        Command::MarkRead { up_to, .. } => op.mark_read(*up_to),
        Command::LoadOlder { .. } | Command::History { .. } | Command::Preview { .. } => Err(
            DomainError::invalid("load_older, history and preview are reads and change nothing"),
        ),
        Command::Share {
            agent_id, shared, ..
        } => op.share(*agent_id, *shared),
        Command::SetPresence { .. }
        | Command::GroupReply { .. }
        | Command::GroupAck { .. }
        | Command::GroupTicket { .. }
        | Command::GroupBind { .. }
        | Command::LinkTelegram
        | Command::QuarantineApprove { .. }
        | Command::QuarantineBan { .. }
        | Command::SafetyFigures { .. }
        | Command::DeskFigures => unreachable!("has no ticket"),
    }
}

/// The note a transfer leaves in the thread: "Escalated from L1 to L2
/// (the customer was told): needs refund rights".
fn handover_text(
    from: &QueueId,
    to: Option<&QueueId>,
    agent: Option<&str>,
    told: bool,
    note: Option<&str>,
) -> String {
    let mut s = match (to, told) {
        (Some(to), true) => format!("Escalated from {from} to {to} (the customer was told)"),
        (Some(to), false) => format!("Transferred from {from} to {to}"),
        (None, _) => "Handed over".to_owned(),
    };
    if let Some(a) = agent {
        s.push_str(&format!(", to {a}"));
    }
    match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => {
            s.push_str(": ");
            s.push_str(n);
        }
        None => s.push('.'),
    }
    // A note near the length limit still fits with its heading.
    while utf16_len(&s) > MAX_TEXT_UTF16 {
        s.pop();
    }
    s
}

/// How a preview leaves its savepoint: always by rolling back.
enum DryRun {
    Would(Vec<String>),
    Failed(DomainError),
}

impl From<crate::store::StoreError> for DryRun {
    fn from(e: crate::store::StoreError) -> Self {
        DryRun::Failed(e.into())
    }
}

/// What the customer would be sent if `cmd` were applied now: the command
/// runs inside a savepoint that is always rolled back (no change, no event,
/// nothing queued), and the texts it queued for the ticket's customer are
/// read out first. A command the server would refuse is refused here too.
fn preview(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    agent: &Agent,
    cmd: &Command,
) -> Result<Applied, DomainError> {
    let Some(ticket_id) = cmd.ticket_id() else {
        return Err(DomainError::invalid(
            "only a command on a ticket can be previewed",
        ));
    };
    if matches!(
        cmd,
        Command::Preview { .. }
            | Command::MarkRead { .. }
            | Command::LoadOlder { .. }
            | Command::History { .. }
    ) {
        return Err(DomainError::invalid(
            "that command sends nothing to preview",
        ));
    }
    let mark = crate::store::outbox::outgoing_mark(ctx)?;
    let dry = ctx.attempt(|ctx| -> Result<(), DryRun> {
        execute(ctx, desk, agent, cmd).map_err(DryRun::Failed)?;
        Err(DryRun::Would(crate::store::outbox::outgoing_since(
            ctx, mark, ticket_id,
        )?))
    });
    let texts = match dry {
        Err(DryRun::Would(texts)) => texts,
        Err(DryRun::Failed(e)) => return Err(e),
        Ok(()) => unreachable!("a preview always rolls back"),
    };
    let language = rows::load_ticket(ctx, ticket_id)?
        .map(|t| rows::load_customer(ctx, t.customer_id))
        .transpose()?
        .flatten()
        .map(|c| {
            super::i18n::Lang::from_code(c.language.as_deref())
                .code()
                .to_owned()
        });
    Ok(Applied {
        seq: None,
        result: CommandResult::Preview { texts, language },
    })
}

/// Records an applied command's answer under its id and returns it.
fn record(
    ctx: &mut WriteCtx<'_>,
    agent_id: AgentId,
    id: &CommandId,
    fingerprint: &str,
    mark: Seq,
    result: CommandResult,
) -> Result<Applied, DomainError> {
    let applied = Applied {
        seq: ctx.last_seq_since(mark),
        result,
    };
    let result = serde_json::to_string(&applied.result)?;
    store::commands::record(ctx, agent_id, id, fingerprint, applied.seq, &result)?;
    Ok(applied)
}

/// The stored answer of an id this agent used before, if any. The same id
/// for a different command is refused rather than silently answered.
fn already_applied(
    ctx: &WriteCtx<'_>,
    agent: AgentId,
    id: &CommandId,
    fingerprint: &str,
) -> Result<Option<Applied>, DomainError> {
    match store::commands::recorded(ctx, agent, id)? {
        // None: recorded before fingerprints were kept (migration 3).
        Some(r) if r.fingerprint.as_deref().is_some_and(|f| f != fingerprint) => {
            Err(DomainError::conflict(format!(
                "command id {id} was already used for a different command; use a new id"
            )))
        }
        Some(r) => Ok(Some(Applied {
            seq: r.seq,
            result: serde_json::from_str(&r.result)?,
        })),
        None => Ok(None),
    }
}

/// One command being applied to one ticket.
struct Op<'a, 'c> {
    ctx: &'a mut WriteCtx<'c>,
    desk: &'a Desk,
    agent: &'a Agent,
    ticket: &'a mut Ticket,
}

const UNCHANGED: Result<CommandResult, DomainError> = Ok(CommandResult::Unchanged);

fn applied(message_id: Option<MessageId>) -> Result<CommandResult, DomainError> {
    Ok(CommandResult::Applied { message_id })
}

impl Op<'_, '_> {
    /// Saves the ticket (deadlines recomputed) and appends `ticket_updated`.
    fn save(&mut self, change: TicketChange) -> Result<(), DomainError> {
        ticket::save(
            self.ctx,
            &self.desk.queues,
            self.ticket,
            Some(self.agent.id),
            change,
        )
    }

    fn add_message(&mut self, kind: MessageKind, text: &str) -> Result<MessageId, DomainError> {
        validate::text(text)?;
        self.insert(kind, text, &[])
    }

    fn insert(
        &mut self,
        kind: MessageKind,
        text: &str,
        attachments: &[Attachment],
    ) -> Result<MessageId, DomainError> {
        let delivery = (kind == MessageKind::Outbound).then_some(DeliveryState::Queued);
        let msg = rows::insert_message(
            self.ctx,
            &NewMessage {
                ticket_id: self.ticket.id,
                kind,
                author: Author::Agent { id: self.agent.id },
                text,
                attachments,
                telegram_message_id: None,
                delivery,
            },
            self.ctx.now,
        )?;
        if kind == MessageKind::Outbound {
            store::outbox::enqueue_message(self.ctx, msg.id, self.ticket.id, None)?;
        }
        let id = msg.id;
        self.ctx.append(Event::MessageAdded { message: msg })?;
        if kind == MessageKind::Outbound {
            super::groups::tickets::echo_reply(self.ctx, self.ticket.id, id, self.agent, text)?;
        }
        self.ticket.message_count += 1;
        self.ticket.last_message_id = Some(id);
        Ok(id)
    }

    fn reply(&mut self, text: &str) -> Result<CommandResult, DomainError> {
        validate::text(text)?;
        self.outbound(text, &[])
    }

    /// A file the engineer uploaded, to the customer: an image up to
    /// Telegram's photo limit as a photo, anything else as a document.
    fn attach(&mut self, upload_id: &str, caption: &str) -> Result<CommandResult, DomainError> {
        let caption = caption.trim_end();
        if utf16_len(caption) > MAX_CAPTION_UTF16 {
            return Err(DomainError::invalid(format!(
                "a file's caption is at most {MAX_CAPTION_UTF16} characters (Telegram's limit)"
            )));
        }
        let upload = rows::load_upload(self.ctx, upload_id)?.ok_or_else(|| {
            DomainError::not_found(format!("no upload {upload_id:?}: upload the file first"))
        })?;
        // An upload is its uploader's, and goes to one customer once.
        if upload.agent_id != self.agent.id {
            return Err(DomainError::forbidden("this upload is another agent's"));
        }
        if rows::upload_is_sent(self.ctx, upload_id)? {
            return Err(DomainError::conflict(
                "this upload was sent already; upload the file again to send it again",
            ));
        }
        let image = upload
            .mime_type
            .as_deref()
            .is_some_and(|m| matches!(m, "image/jpeg" | "image/png" | "image/webp"));
        let kind = if image && upload.size <= MAX_PHOTO_BYTES {
            AttachmentKind::Photo
        } else {
            AttachmentKind::Document
        };
        let attachment = Attachment {
            kind,
            file_id: format!("{UPLOAD_FILE_PREFIX}{}", upload.id),
            file_name: Some(upload.file_name),
            mime_type: upload.mime_type,
            size: Some(upload.size),
        };
        let result = self.outbound(caption, &[attachment])?;
        if let CommandResult::Applied {
            message_id: Some(m),
        } = &result
        {
            rows::upload_sent(self.ctx, &upload.id, *m)?;
        }
        Ok(result)
    }

    /// A message to the customer (a reply, a file): queued for Telegram;
    /// the customer is no longer owed a reply.
    fn outbound(
        &mut self,
        text: &str,
        attachments: &[Attachment],
    ) -> Result<CommandResult, DomainError> {
        if store::customers::blocked(self.ctx, self.ticket.customer_id)? {
            return Err(DomainError::conflict(
                "the customer has blocked the bot; nothing can be sent",
            ));
        }
        let id = self.insert(MessageKind::Outbound, text, attachments)?;
        store::tickets::set_last_reply(self.ctx, self.ticket.id)?;
        let t = &mut *self.ticket;
        t.first_reply_at.get_or_insert(self.ctx.now);
        t.waiting_since = None;
        if t.status == TicketStatus::New {
            t.status = TicketStatus::Open;
            self.save(TicketChange::Status {
                from: TicketStatus::New,
                to: TicketStatus::Open,
            })?;
        }
        self.save(TicketChange::Thread { message_id: id })?;
        applied(Some(id))
    }

    fn note(&mut self, text: &str) -> Result<CommandResult, DomainError> {
        let id = self.add_message(MessageKind::Note, text)?;
        self.save(TicketChange::Thread { message_id: id })?;
        applied(Some(id))
    }

    fn assign(&mut self, to: Option<AgentId>) -> Result<CommandResult, DomainError> {
        if self.ticket.assignee == to {
            return UNCHANGED;
        }
        if let Some(to) = to {
            let target = rows::load_agent(self.ctx, to)?
                .ok_or_else(|| DomainError::not_found(format!("agent {to} does not exist")))?;
            if !serves(&target, &self.ticket.queue) {
                return Err(DomainError::invalid(format!(
                    "{} does not work queue {}",
                    target.name, self.ticket.queue
                )));
            }
        }
        assign::set_assignee(self.ctx, self.desk, self.ticket, to, Some(self.agent.id))?;
        applied(None)
    }

    /// Lets another agent read and work the ticket, or withdraws that.
    fn share(&mut self, with: AgentId, shared: bool) -> Result<CommandResult, DomainError> {
        if self.agent.role != Role::Supervisor {
            return Err(DomainError::forbidden("only supervisors share tickets"));
        }
        let target = rows::load_agent(self.ctx, with)?
            .ok_or_else(|| DomainError::not_found(format!("agent {with} does not exist")))?;
        if self.ticket.shared_with.contains(&with) == shared {
            return UNCHANGED;
        }
        if shared {
            self.ticket.shared_with.push(with);
            self.ticket.shared_with.sort();
        } else {
            self.ticket.shared_with.retain(|a| *a != with);
        }
        self.save(TicketChange::Shared {
            agent_id: with,
            shared,
        })?;
        audit(
            self.ctx,
            self.agent,
            self.ticket,
            if shared { "share" } else { "unshare" },
            format!("with agent {} ({})", target.id, target.name),
        )?;
        applied(None)
    }

    fn transfer(
        &mut self,
        queue: Option<&QueueId>,
        agent: Option<AgentId>,
        note: Option<&str>,
        tell_customer: bool,
    ) -> Result<CommandResult, DomainError> {
        if queue.is_none() && agent.is_none() {
            return Err(DomainError::invalid(
                "transfer needs a queue, an agent or both",
            ));
        }
        if let Some(q) = queue
            && self.desk.queues.get(q).is_none()
        {
            return Err(DomainError::not_found(format!("queue {q} does not exist")));
        }
        if let Some(a) = agent {
            let target = rows::load_agent(self.ctx, a)?
                .ok_or_else(|| DomainError::not_found(format!("agent {a} does not exist")))?;
            let queue = queue.unwrap_or(&self.ticket.queue);
            if !serves(&target, queue) {
                return Err(DomainError::invalid(format!(
                    "{} does not work queue {queue}",
                    target.name
                )));
            }
        }
        // The thread keeps a line of every hand-over, with the note.
        let from_queue = self.ticket.queue.clone();
        let target_name = match agent {
            Some(a) => rows::load_agent(self.ctx, a)?.map(|a| a.display_name),
            None => None,
        };
        if let Some(n) = note {
            validate::text(n)?;
        }
        let record = handover_text(
            &from_queue,
            queue.filter(|q| **q != from_queue),
            target_name.as_deref(),
            tell_customer,
            note,
        );
        let mut changed = false;
        if let Some(q) = queue.filter(|q| **q != self.ticket.queue) {
            let from = std::mem::replace(&mut self.ticket.queue, q.clone());
            self.save(TicketChange::Queue {
                from,
                to: q.clone(),
                note: note.map(str::to_owned),
            })?;
            // The old assignee keeps the ticket only when they also work the new queue.
            let keep = match self.ticket.assignee {
                Some(a) => rows::load_agent(self.ctx, a)?.is_some_and(|a| serves(&a, q)),
                None => true,
            };
            if !keep && agent.is_none() {
                self.assign(None)?;
            }
            changed = true;
        }
        if let Some(a) = agent
            && self.assign(Some(a))? != CommandResult::Unchanged
        {
            changed = true;
        }
        if !changed {
            return UNCHANGED;
        }
        if self.ticket.assignee.is_none() {
            assign::auto_assign(self.ctx, self.desk, self.ticket, None)?;
        }
        if tell_customer && queue.is_some() {
            escalation::tell_customer(self.ctx, self.desk, self.ticket, self.agent)?;
        }
        let id = self.add_message(MessageKind::Note, &record)?;
        self.save(TicketChange::Thread { message_id: id })?;
        applied(Some(id))
    }

    fn set_status(&mut self, to: TicketStatus) -> Result<CommandResult, DomainError> {
        let from = self.ticket.status;
        if from == to {
            return UNCHANGED;
        }
        let now = self.ctx.now;
        let t = &mut *self.ticket;
        match to {
            TicketStatus::New => {
                return Err(DomainError::invalid("a ticket cannot be set back to new"));
            }
            TicketStatus::Open => {
                t.resolved_at = None;
            }
            TicketStatus::PendingOnCustomer => {
                t.waiting_since = None;
                t.resolved_at = None;
            }
            TicketStatus::Resolved => {
                t.resolved_at = Some(now);
                t.waiting_since = None;
            }
            TicketStatus::Closed => {
                t.closed_at = Some(now);
                t.resolved_at.get_or_insert(now);
                t.waiting_since = None;
            }
        }
        t.status = to;
        self.save(TicketChange::Status { from, to })?;
        notify::status_changed(self.ctx, self.desk, self.ticket, from, self.agent.id)?;
        applied(None)
    }

    fn set_tags(
        &mut self,
        add: &[String],
        remove: &[String],
    ) -> Result<CommandResult, DomainError> {
        let add = add
            .iter()
            .map(|t| validate::tag(t))
            .collect::<Result<Vec<_>, _>>()?;
        let remove = remove
            .iter()
            .map(|t| validate::tag(t))
            .collect::<Result<Vec<_>, _>>()?;
        let mut tags = self.ticket.tags.clone();
        tags.retain(|t| !remove.contains(t));
        tags.extend(add.iter().cloned());
        tags.sort();
        tags.dedup();
        if tags.len() > 20 {
            return Err(DomainError::invalid("a ticket has at most 20 tags"));
        }
        if tags == self.ticket.tags {
            return UNCHANGED;
        }
        let added = tags
            .iter()
            .filter(|t| !self.ticket.tags.contains(t))
            .cloned()
            .collect();
        let removed = self
            .ticket
            .tags
            .iter()
            .filter(|t| !tags.contains(t))
            .cloned()
            .collect();
        self.ticket.tags = tags;
        self.save(TicketChange::Tags { added, removed })?;
        applied(None)
    }

    fn set_priority(&mut self, to: Priority) -> Result<CommandResult, DomainError> {
        let from = self.ticket.priority;
        if from == to {
            return UNCHANGED;
        }
        self.ticket.priority = to;
        self.save(TicketChange::Priority { from, to })?;
        applied(None)
    }

    fn mark_read(&mut self, up_to: MessageId) -> Result<CommandResult, DomainError> {
        match rows::load_message(self.ctx, up_to)? {
            Some(m) if m.ticket_id == self.ticket.id => {}
            _ => {
                return Err(DomainError::not_found(format!(
                    "message {up_to} is not in ticket #{}",
                    self.ticket.number
                )));
            }
        }
        let current = store::commands::read_marker(self.ctx, self.agent.id, self.ticket.id)?;
        if current.is_some_and(|c| c >= up_to.0) {
            return UNCHANGED;
        }
        store::commands::set_read_marker(self.ctx, self.agent.id, self.ticket.id, up_to.0)?;
        self.ctx.append(Event::ReadMarkerMoved {
            marker: ReadMarker {
                agent_id: self.agent.id,
                ticket_id: self.ticket.id,
                last_read: up_to,
            },
        })?;
        applied(None)
    }
}

#[cfg(test)]
mod tests {
    use shared::*;

    use crate::domain::i18n::Lang;
    use crate::domain::testkit::{Desk0, at, settings};

    const CHAT: i64 = 4242;

    fn reply(ticket: TicketId, text: &str) -> Command {
        Command::Reply {
            ticket_id: ticket,
            text: text.into(),
        }
    }

    #[tokio::test]
    async fn a_reply_is_queued_once_per_command_id_and_answers_the_customer() {
        let desk = Desk0::new(settings(), at("2026-11-23T10:00:00Z")).await;
        let ticket = desk.customer_writes(CHAT, "en", "Refund please").await;
        let first = desk
            .command_with_id("r1", reply(ticket, "Done, refunded."))
            .await
            .unwrap();
        let again = desk
            .command_with_id("r1", reply(ticket, "Done, refunded."))
            .await
            .unwrap();
        assert_eq!(first.result, again.result);
        assert_eq!(first.seq, again.seq);
        assert_eq!(desk.sent_to(CHAT).await, ["Done, refunded."]);
        let t = desk.ticket(ticket).await;
        assert_eq!(t.status, TicketStatus::Open);
        assert_eq!(t.waiting_since, None);
        assert_eq!(t.first_reply_at, Some(at("2026-11-23T10:00:00Z")));
        // The same id for another command is refused, and changes nothing.
        let before = desk.events().await.len();
        let e = desk
            .command_with_id("r1", reply(ticket, "Something else"))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Conflict);
        assert_eq!(desk.events().await.len(), before);
        assert_eq!(desk.sent_to(CHAT).await.len(), 1);
    }

    #[tokio::test]
    async fn a_preview_shows_what_the_customer_would_read_and_changes_nothing() {
        let desk = Desk0::new(settings(), at("2026-11-23T10:00:00Z")).await;
        let ticket = desk.customer_writes(CHAT, "uk", "Допоможіть").await;
        let before = (desk.events().await.len(), desk.sent_to(CHAT).await);
        let preview = desk
            .command_with_id(
                "p1",
                Command::Preview {
                    ticket_id: ticket,
                    command: Box::new(reply(ticket, "Зараз перевіримо.")),
                },
            )
            .await
            .unwrap();
        match preview.result {
            CommandResult::Preview { texts, language } => {
                assert_eq!(texts, ["Зараз перевіримо."]);
                assert_eq!(language.as_deref(), Some("uk"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            (desk.events().await.len(), desk.sent_to(CHAT).await),
            before
        );
        assert_eq!(desk.ticket(ticket).await.status, TicketStatus::New);
    }

    #[tokio::test]
    async fn taking_a_ticket_tells_the_customer_who_has_it_in_their_language() {
        let mut desk = Desk0::new(settings(), at("2026-11-23T10:00:00Z")).await;
        let ticket = desk.customer_writes(CHAT, "uk", "Не можу увійти").await;
        desk.command(Command::Take { ticket_id: ticket }).await;
        let t = desk.ticket(ticket).await;
        assert_eq!(t.assignee, Some(desk.lead_id));
        let expected = desk.desk.bot.t(
            Lang::Uk,
            "status.accepted",
            &[("number", &t.number.to_string()), ("agent", "lead")],
        );
        assert_eq!(desk.sent_to(CHAT).await, [expected]);
        // Taking it again changes nothing and says nothing more.
        let again = desk.command(Command::Take { ticket_id: ticket }).await;
        assert_eq!(again.result, CommandResult::Unchanged);
        assert_eq!(desk.sent_to(CHAT).await.len(), 1);
    }
}
