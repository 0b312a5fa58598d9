//! The network worker's events: connection state, snapshots, events and
//! the answers to our commands.

use shared::*;

use super::Effect;
use crate::net::NetEvent;
use crate::state::{App, ConnState, Read};

impl App {
    pub(super) fn net(&mut self, e: NetEvent, fx: &mut Vec<Effect>) {
        self.dirty = true;
        match e {
            NetEvent::Connecting { attempt } => {
                if !matches!(self.conn, ConnState::Offline { .. }) || attempt == 1 {
                    self.conn = ConnState::Connecting { attempt };
                }
            }
            NetEvent::Connected(w) => {
                self.mirror.me = Some(w.agent.id);
                self.me = Some(w.agent);
                self.server_version = Some(w.server_version);
                self.desk_zone = w.time_zone;
                self.telegram = w.telegram;
                self.conn = match w.sync {
                    SyncMode::Snapshot => ConnState::Syncing,
                    SyncMode::Events => ConnState::Online,
                };
                self.marked.clear();
                self.reads.clear();

                for c in &mut self.chats {
                    c.loading_older = false;
                }
                // Everything not yet confirmed goes (again) with its own
                // id: the server applies each id once.
                for p in &mut self.pending {
                    p.sent = false;
                }
                fx.extend(self.send_unsent());
                // A resume brings every missed event; an answer lost with
                // the connection is asked again.
                if self.conn == ConnState::Online
                    && matches!(self.dashboard, Some(crate::dashboard::Live::Loading { .. }))
                {
                    self.ask_desk_figures(fx);
                }
                self.rows_dirty = true;
            }
            NetEvent::Disconnected { reason, retry_in } => {
                self.conn = ConnState::Offline {
                    reason,
                    retry_at: Timestamp(self.now.0 + retry_in.as_millis() as i64),
                };
                for p in &mut self.pending {
                    p.sent = false;
                }
            }
            NetEvent::Refused { reason } => {
                self.conn = ConnState::Refused { reason };
            }
            NetEvent::Frame(m) => self.frame(m, fx),
            NetEvent::Saved { path, .. } => match &self.opener {
                Some(_) if safe_to_open(&path) => {
                    self.say(format!("opening {}", path.display()));
                    fx.push(Effect::Open(path));
                }
                Some(_) => self.say(format!(
                    "saved to {} (not opened: a customer's file of this kind could run code)",
                    path.display()
                )),
                None => self.say(format!("saved to {}", path.display())),
            },
            NetEvent::Uploaded {
                ticket,
                path,
                upload,
            } => {
                let name = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into(),
                );
                self.say(format!("uploaded {name}; sending it to the customer"));
                self.command(
                    Command::Attach {
                        ticket_id: ticket,
                        upload_id: upload.upload_id,
                        caption: String::new(),
                    },
                    fx,
                );
            }
            NetEvent::FileFailed { what, reason } => self.warn(format!("{what}: {reason}")),
        }
    }

    fn frame(&mut self, m: ServerMessage, fx: &mut Vec<Effect>) {
        match m {
            ServerMessage::Snapshot(part) => {
                let last = part.last;
                if let Err(e) = self.mirror.apply_snapshot(*part) {
                    tracing::warn!(%e, "snapshot out of order; resyncing");
                    self.resync(fx);
                    return;
                }
                if last {
                    // Events were missed while away: count afresh.
                    if self.dashboard.is_some() {
                        self.ask_desk_figures(fx);
                    }
                    self.conn = ConnState::Online;
                    self.history.clear();
                    self.forget_closed_chats();
                    self.synced_once = true;
                }
                self.rows_dirty = true;
            }
            ServerMessage::Events { events } => {
                for e in &events {
                    if let Event::TicketHidden { ticket_id } = &e.event
                        && e.seq.0 == self.mirror.seq.0 + 1
                        && let Some(t) = self.mirror.tickets.get(ticket_id)
                    {
                        let gone = format!(
                            "#{} left your view: moved to a queue you do not read, or no longer yours",
                            t.number
                        );
                        // An alert that came with it (a breach that moved
                        // the ticket) stays readable.
                        match &mut self.flash {
                            Some(f)
                                if f.at == self.now
                                    && f.text.contains(&format!("#{}", t.number)) =>
                            {
                                f.text = format!("{} · {gone}", f.text);
                            }
                            _ => self.warn(gone),
                        }
                    }
                    if let Event::CustomerErased { tickets, .. } = &e.event
                        && e.seq.0 == self.mirror.seq.0 + 1
                    {
                        self.tell_erased(tickets);
                    }
                    match self.mirror.apply_event(e) {
                        Ok(true) => {
                            self.dashboard_event(e, fx);
                            self.on_event(&e.event);
                        }
                        Ok(false) => {}
                        Err(err) => {
                            tracing::warn!(%err, "gap in the event stream; resyncing");
                            self.resync(fx);
                            return;
                        }
                    }
                }
                self.rows_dirty = true;
            }
            ServerMessage::Ok { id, result, .. } => self.answered(id, Ok(result)),
            ServerMessage::Error {
                id: Some(id),
                code,
                message,
            } => self.answered(id, Err((code, message))),
            ServerMessage::Error {
                id: None, message, ..
            } => {
                self.warn(format!("server: {message}"));
            }
            ServerMessage::Welcome { .. } | ServerMessage::Digest { .. } => {}
        }
    }

    fn resync(&mut self, fx: &mut Vec<Effect>) {
        self.conn = ConnState::Connecting { attempt: 1 };
        for p in &mut self.pending {
            p.sent = false;
        }
        fx.push(Effect::Resync);
    }

    /// Side effects of an applied event on view state.
    fn on_event(&mut self, e: &Event) {
        match e {
            Event::TicketUpdated { ticket, .. } | Event::TicketCreated { ticket } => {
                // Keep the customer's history current.
                if let Some(h) = self.history.get_mut(&ticket.customer_id) {
                    match h.iter_mut().find(|t| t.id == ticket.id) {
                        Some(t) => *t = ticket.clone(),
                        None => h.insert(0, ticket.clone()),
                    }
                }
                if ticket.status == TicketStatus::Closed {
                    self.forget_closed_chats();
                }
            }
            Event::TicketHidden { .. } => self.forget_closed_chats(),
            // Erased or removed: nothing of them stays, drafts included.
            Event::CustomerErased {
                customer_id,
                tickets,
            } => {
                self.history.remove(customer_id);
                self.forget_tickets(tickets);
            }
            Event::TicketsRemoved { tickets } => self.forget_tickets(tickets),
            // The server's own warnings and breaches, for my tickets and
            // unassigned ones (and for leads, those escalated to them).
            Event::SlaAlert { alert } => {
                let me = self.me.as_ref();
                let lead = me.is_some_and(|m| m.role == Role::Supervisor)
                    && alert.actions.iter().any(|a| a == "alert_lead");
                if alert.assignee.is_none() || alert.assignee == me.map(|m| m.id) || lead {
                    self.warn(crate::alerts::server_alert_text(alert, self.now));
                }
            }
            // A group conversation's answer is due soon or overdue.
            Event::GroupAlert { alert } => {
                let what = match alert.level {
                    SlaLevel::Warning => {
                        format!("due in {}", crate::sla::age(alert.due.ms_since(self.now)))
                    }
                    SlaLevel::Breach => format!(
                        "UNANSWERED {}",
                        crate::sla::age(self.now.ms_since(alert.owed_since))
                    ),
                };
                self.warn(format!(
                    "{} · {}: {} waits, {what}: «{}» ({} groups)",
                    alert.organisation,
                    alert.group_title,
                    alert.who,
                    alert.excerpt,
                    self.keymap.hint(crate::action::Action::Groups)
                ));
            }
            // A message was held (or decided by a colleague).
            Event::QuarantineUpdated { held } if held.state == HeldState::Held => {
                self.warn(format!(
                    "held in {}: {}'s message ({}) · {} to review",
                    held.group_title,
                    held.author_name,
                    crate::quarantine::reasons(&held.reasons),
                    self.keymap.hint(crate::action::Action::Quarantine)
                ));
            }
            // Deadlines moved with a config change: the customers'
            // history too (the list comes sorted by ticket id).
            Event::SlaRecomputed { tickets } => {
                for t in self.history.values_mut().flatten() {
                    if let Ok(i) = tickets.binary_search_by_key(&t.id, |m| m.ticket_id) {
                        t.sla = tickets[i].sla.clone();
                    }
                }
            }
            _ => {}
        }
    }

    /// An erased customer's tickets vanish from the screen: an engineer
    /// who held one open, or had a draft for it, is told why.
    fn tell_erased(&mut self, tickets: &[TicketId]) {
        let held: Vec<String> = tickets
            .iter()
            .filter(|t| self.chats.iter().any(|c| c.ticket == **t) || self.drafts.contains_key(t))
            .filter_map(|t| self.mirror.tickets.get(t))
            .map(|t| format!("#{}", t.number))
            .collect();
        if !held.is_empty() {
            self.warn(format!(
                "{} erased at the customer's request; draft discarded",
                held.join(", ")
            ));
        }
    }

    fn forget_tickets(&mut self, tickets: &[TicketId]) {
        for t in tickets {
            if self.drafts.remove(t).is_some() {
                self.persist_rev += 1;
            }
        }
        for h in self.history.values_mut() {
            h.retain(|t| !tickets.contains(&t.id));
        }
        self.forget_closed_chats();
    }

    /// Closed tickets (and ones that left this agent's view) leave the
    /// mirror: close their chats (drafts stay).
    fn forget_closed_chats(&mut self) {
        let before = self.chats.len();
        let current = self.current_ticket();
        self.chats
            .retain(|c| self.mirror.tickets.contains_key(&c.ticket));
        if self.chats.len() != before {
            self.screen = match current.and_then(|t| self.chats.iter().position(|c| c.ticket == t))
            {
                Some(i) => crate::state::Screen::Chat(i),
                None => crate::state::Screen::Queues,
            };
        }
    }

    fn answered(&mut self, id: CommandId, result: Result<CommandResult, (ErrorCode, String)>) {
        if let Some(read) = self.reads.remove(&id) {
            match (read, result) {
                (Read::Older(t), Ok(CommandResult::Messages { messages, more })) => {
                    self.mirror.add_older(&messages);
                    if let Some(c) = self.chats.iter_mut().find(|c| c.ticket == t) {
                        c.loading_older = false;
                        c.complete = !more;
                    }
                }
                (Read::History(c), Ok(CommandResult::Tickets { tickets, .. })) => {
                    self.history.insert(c, tickets);
                }
                (Read::SafetyFigures, Ok(CommandResult::SafetyFigures { figures })) => {
                    self.safety_figures = Some(figures);
                    self.dirty = true;
                }
                (Read::SafetyFigures, Err((_, message))) => {
                    tracing::debug!(%message, "no safety figures");
                }
                (Read::DeskFigures, result) => self.desk_figures_answered(result),
                (Read::Preview(_), result) => {
                    if let Some(crate::overlay::Overlay::Prompt(p)) = &mut self.overlay
                        && p.preview == crate::overlay::Preview::Loading(id)
                    {
                        p.preview = match result {
                            Ok(CommandResult::Preview { texts, language }) => {
                                crate::overlay::Preview::Texts { texts, language }
                            }
                            Ok(_) => crate::overlay::Preview::Unavailable(
                                "the server answered something else".into(),
                            ),
                            Err((_, message)) => crate::overlay::Preview::Unavailable(message),
                        };
                    }
                }
                (_, Err((_, message))) => {
                    for c in &mut self.chats {
                        c.loading_older = false;
                    }
                    self.warn(format!("could not load: {message}"));
                }
                (_, Ok(other)) => tracing::warn!(?other, "unexpected answer to a read"),
            }
            return;
        }
        let Some(pos) = self.pending.iter().position(|p| p.id == id) else {
            // mark_read and other fire-and-forget commands.
            if let Err((_, message)) = result {
                tracing::debug!(%id, %message, "command refused");
            }
            return;
        };
        let p = self.pending.remove(pos);
        self.touch();
        match &result {
            Ok(CommandResult::LinkCode { code, expires_at }) => {
                let until = crate::ui::time::short(*expires_at, self.now, &self.tz);
                self.say(format!(
                    "Send the bot, in a private chat from your own Telegram account: /link {code} (works once, until {until})"
                ));
            }
            Ok(CommandResult::Ticket { number, .. }) => {
                self.say(format!(
                    "the conversation is ticket #{number}; the group was told"
                ));
            }
            _ => {}
        }
        if let Err((code, message)) = result {
            let about = match p.command.ticket_id() {
                Some(id) => self
                    .ticket(id)
                    .map_or_else(|| format!("#{id}: "), |t| format!("#{}: ", t.number)),
                None => String::new(),
            };
            self.warn(format!(
                "{about}{} refused ({code:?}): {message}",
                kind(&p.command)
            ));
            // Never lose typed text: a refused reply or note goes back to the draft.
            if let Command::Reply { ticket_id, text } | Command::Note { ticket_id, text } =
                p.command
            {
                let d = self.drafts.entry(ticket_id).or_default();
                if d.is_empty() {
                    d.insert_str(&text);
                }
            }
        }
    }
}

/// Files a customer sends that an opener shows rather than runs: images,
/// documents, text, audio and video. Anything else is only saved.
pub fn safe_to_open(path: &std::path::Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(
        ext.as_str(),
        "jpg"
            | "jpeg"
            | "png"
            | "gif"
            | "webp"
            | "heic"
            | "bmp"
            | "pdf"
            | "txt"
            | "log"
            | "csv"
            | "json"
            | "mp4"
            | "mov"
            | "webm"
            | "ogg"
            | "oga"
            | "mp3"
            | "m4a"
            | "wav"
    )
}

fn kind(c: &Command) -> &'static str {
    match c {
        Command::Reply { .. } => "reply",
        Command::Note { .. } => "note",
        Command::Take { .. } => "take",
        Command::Assign { .. } => "assign",
        Command::Transfer { .. } => "transfer",
        Command::SetStatus { .. } => "status change",
        Command::SetTags { .. } => "tags",
        Command::SetPriority { .. } => "priority",
        Command::MarkRead { .. } => "mark read",
        Command::LoadOlder { .. } => "load older",
        Command::History { .. } => "history",
        Command::SetPresence { .. } => "presence",
        Command::Preview { .. } => "preview",
        Command::Attach { .. } => "file",
        Command::Share { .. } => "share",
        Command::GroupReply { .. } => "group reply",
        Command::GroupAck { .. } => "acknowledgement",
        Command::GroupTicket { .. } => "ticket from the group",
        Command::LinkTelegram => "link",
        Command::GroupBind { .. } => "binding",
        Command::QuarantineApprove { .. } => "approval",
        Command::QuarantineBan { .. } => "ban",
        Command::SafetyFigures { .. } => "figures",
        Command::DeskFigures => "dashboard",
    }
}
