//! Commands to the server: queued while offline and sent once back,
//! the palette's entries, sending the compose box, and prompts.

use shared::*;

use super::Effect;
use crate::compose::SendAs;
use crate::picker::{PaletteCmd, PaletteItem};
use crate::state::{App, Focus, Overlay, Pending, Prompt, PromptKind, Screen};
use crate::template;

/// The palette's entries for `ticket` (or only the general ones).
pub fn palette_items(app: &App, ticket: Option<TicketId>) -> Vec<PaletteItem> {
    let mut v = Vec::new();
    let mut add = |label: String, cmd| v.push(PaletteItem { label, cmd });
    if let Some(t) = ticket.and_then(|t| app.ticket(t)) {
        let n = t.number;
        let me = app.me.as_ref().map(|a| a.id);
        if t.assignee != me || me.is_none() {
            add(format!("Take #{n}"), PaletteCmd::Take);
        }
        for a in app.mirror.agents.values() {
            if t.assignee != Some(a.id) {
                add(
                    format!("Assign #{n} to {}", a.display_name),
                    PaletteCmd::Assign(Some(a.id)),
                );
            }
        }
        if t.assignee.is_some() {
            add(format!("Unassign #{n}"), PaletteCmd::Assign(None));
        }
        if t.queue != app.escalate_to {
            add(
                format!("Escalate #{n} to {} (with a note)", app.escalate_to),
                PaletteCmd::Escalate,
            );
        }
        for q in &app.mirror.queues {
            if q.id != t.queue {
                add(
                    format!("Transfer #{n} to {} (with a note)", q.id),
                    PaletteCmd::Transfer(q.id.clone()),
                );
            }
        }
        for s in [
            TicketStatus::Open,
            TicketStatus::PendingOnCustomer,
            TicketStatus::Resolved,
            TicketStatus::Closed,
        ] {
            if s != t.status {
                add(
                    format!("Set status of #{n}: {}", status_label(s)),
                    PaletteCmd::Status(s),
                );
            }
        }
        for p in Priority::ALL {
            if p != t.priority {
                add(
                    format!("Set priority of #{n}: {}", p.as_str()),
                    PaletteCmd::Priority(p),
                );
            }
        }
        add(format!("Add tags to #{n}"), PaletteCmd::AddTags);
        for tag in &t.tags {
            add(
                format!("Remove tag {tag} from #{n}"),
                PaletteCmd::RemoveTag(tag.clone()),
            );
        }
        add(format!("Write an internal note on #{n}"), PaletteCmd::Note);
        add(
            format!("Close #{n} with a summary (resolve; the customer rates)"),
            PaletteCmd::CloseWithSummary,
        );
        add(
            format!("Ask the customer of #{n} for details"),
            PaletteCmd::AskDetails,
        );
        add("Insert a macro".into(), PaletteCmd::Macros);
    }
    add(
        "Jump to the next chat waiting for a reply".into(),
        PaletteCmd::NextWaiting,
    );
    add("List alerts".into(), PaletteCmd::Alerts);
    add("Acknowledge all alerts".into(), PaletteCmd::AckAlerts);
    add("Help: every key".into(), PaletteCmd::Help);
    add("Quit".into(), PaletteCmd::Quit);
    v
}

pub fn status_label(s: TicketStatus) -> &'static str {
    match s {
        TicketStatus::New => "new",
        TicketStatus::Open => "open",
        TicketStatus::PendingOnCustomer => "waiting on customer",
        TicketStatus::Resolved => "resolved",
        TicketStatus::Closed => "closed",
    }
}

impl App {
    /// Queues a command; sends it now when online, else on reconnect.
    pub(super) fn command(&mut self, command: Command, fx: &mut Vec<Effect>) {
        let id = self.command_id();
        let online = self.conn.online();
        if online {
            fx.push(Effect::Send(ClientMessage::Command {
                id: id.clone(),
                command: command.clone(),
            }));
        } else {
            self.say("offline: saved, will be sent when the connection is back");
        }
        self.pending.push(Pending {
            id,
            command,
            sent: online,
        });
        self.touch();
    }

    /// Runs a palette entry on `ticket`.
    pub(super) fn run_palette(
        &mut self,
        ticket: Option<TicketId>,
        cmd: PaletteCmd,
        fx: &mut Vec<Effect>,
    ) {
        use PaletteCmd::*;
        match (cmd, ticket) {
            (NextWaiting, _) => self.next_waiting(),
            (Alerts, _) => self.overlay = Some(Overlay::Alerts { selected: 0 }),
            (AckAlerts, _) => self.ack_alerts(),
            (Help, _) => self.overlay = Some(Overlay::Help { scroll: 0 }),
            (Quit, _) => self.request_quit(),
            (Macros, Some(t)) => self.open_macros(t, false),
            (Take, Some(t)) => self.command(Command::Take { ticket_id: t }, fx),
            (Assign(agent_id), Some(t)) => self.command(
                Command::Assign {
                    ticket_id: t,
                    agent_id,
                },
                fx,
            ),
            (Transfer(queue), Some(t)) => {
                self.prompt(
                    format!("Note for {queue} (optional), Enter to transfer"),
                    PromptKind::Transfer { ticket: t, queue },
                );
            }
            (Escalate, Some(t)) => {
                let queue = self.escalate_to.clone();
                self.prompt(
                    format!("Why escalate to {queue}? (a note for the expert)"),
                    PromptKind::Escalate { ticket: t, queue },
                );
            }
            (Status(status), Some(t)) => self.command(
                Command::SetStatus {
                    ticket_id: t,
                    status,
                },
                fx,
            ),
            (Priority(priority), Some(t)) => self.command(
                Command::SetPriority {
                    ticket_id: t,
                    priority,
                },
                fx,
            ),
            (AddTags, Some(t)) => self.prompt(
                "Tags to add, separated by spaces or commas".into(),
                PromptKind::Tags { ticket: t },
            ),
            (RemoveTag(tag), Some(t)) => self.command(
                Command::SetTags {
                    ticket_id: t,
                    add: vec![],
                    remove: vec![tag],
                },
                fx,
            ),
            (Note, Some(t)) => {
                self.open_chat(t);
                self.drafts.entry(t).or_default().send_as = SendAs::Note;
                self.focus = Focus::Compose;
            }
            (CloseWithSummary, Some(t)) => {
                self.prompt(
                    "Summary of the solution (kept as a note; the ticket is resolved)".into(),
                    PromptKind::CloseWithSummary { ticket: t },
                );
            }
            (AskDetails, Some(t)) => {
                self.open_chat(t);
                let body = self
                    .mirror
                    .macros
                    .values()
                    .find(|m| m.shortcut == "details")
                    .map(|m| m.body.clone());
                let body =
                    body.unwrap_or_else(|| "We need: {field}. Just reply to this message.".into());
                let (text, fields) = template::fill(&body, &self.vars(t));
                let d = self.drafts.entry(t).or_default();
                d.send_as = SendAs::Reply;
                d.then_pending = true;
                d.insert_macro(&text, fields);
                self.focus = Focus::Compose;
                self.touch();
            }
            (_, None) => self.warn("no ticket selected"),
        }
    }

    fn prompt(&mut self, title: String, kind: PromptKind) {
        self.overlay = Some(Overlay::Prompt(Prompt {
            title,
            input: Default::default(),
            kind,
        }));
    }

    /// Enter in a prompt.
    pub(super) fn submit_prompt(&mut self, p: Prompt, fx: &mut Vec<Effect>) {
        let text = p.input.text.trim().to_owned();
        let note = (!text.is_empty()).then(|| text.clone());
        // An escalation is a transfer that also tells the customer.
        let escalate = matches!(p.kind, PromptKind::Escalate { .. });
        match p.kind {
            PromptKind::Transfer { ticket, queue } | PromptKind::Escalate { ticket, queue } => {
                self.command(
                    Command::Transfer {
                        ticket_id: ticket,
                        queue: Some(queue),
                        agent_id: None,
                        note,
                        tell_customer: escalate,
                    },
                    fx,
                );
            }
            PromptKind::Tags { ticket } => {
                let add: Vec<String> = text
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .map(|s| s.trim_start_matches('#').to_lowercase())
                    .collect();
                if add.is_empty() {
                    return self.warn("no tags given");
                }
                self.command(
                    Command::SetTags {
                        ticket_id: ticket,
                        add,
                        remove: vec![],
                    },
                    fx,
                );
            }
            PromptKind::CloseWithSummary { ticket } => {
                if text.is_empty() {
                    return self.warn("a summary is needed to close with a summary");
                }
                self.command(
                    Command::Note {
                        ticket_id: ticket,
                        text: format!("Summary: {text}"),
                    },
                    fx,
                );
                self.command(
                    Command::SetStatus {
                        ticket_id: ticket,
                        status: TicketStatus::Resolved,
                    },
                    fx,
                );
            }
        }
    }

    /// Sends the compose box of the current chat.
    pub(super) fn send_compose(&mut self, fx: &mut Vec<Effect>) {
        let Some(ticket) = self.current_chat().map(|c| c.ticket) else {
            return;
        };
        let Some(draft) = self.drafts.get(&ticket).cloned() else {
            return self.warn("nothing to send");
        };
        let text = draft.text.trim_end().to_owned();
        if text.trim().is_empty() {
            return self.warn("nothing to send");
        }
        let unfilled = draft.unfilled();
        if !unfilled.is_empty() {
            let names: Vec<String> = unfilled.iter().map(|f| format!("{{{f}}}")).collect();
            if let Some(d) = self.drafts.get_mut(&ticket) {
                d.next_field();
            }
            return self.warn(format!(
                "fill in {} first (tab walks the fields)",
                names.join(", ")
            ));
        }
        let len = utf16_len(&text);
        if len > MAX_TEXT_UTF16 {
            return self.warn(format!(
                "too long for Telegram: {len} of {MAX_TEXT_UTF16} characters"
            ));
        }
        let command = match draft.send_as {
            SendAs::Reply => Command::Reply {
                ticket_id: ticket,
                text,
            },
            SendAs::Note => Command::Note {
                ticket_id: ticket,
                text,
            },
        };
        self.command(command, fx);
        if draft.then_pending && draft.send_as == SendAs::Reply {
            self.command(
                Command::SetStatus {
                    ticket_id: ticket,
                    status: TicketStatus::PendingOnCustomer,
                },
                fx,
            );
        }
        if let Some(d) = self.drafts.get_mut(&ticket) {
            d.clear();
            if d.send_as == SendAs::Note {
                d.send_as = SendAs::Reply;
            }
        }
        self.drafts
            .retain(|_, d| !d.is_empty() || d.send_as != SendAs::Reply);
        if let Some(c) = self.current_chat_mut() {
            c.scroll = 0;
        }
        self.touch();
    }

    /// Opens `ticket` as a chat tab (or switches to it) and shows it.
    pub fn open_chat(&mut self, ticket: TicketId) {
        let i = match self.chats.iter().position(|c| c.ticket == ticket) {
            Some(i) => i,
            None => {
                if self.chats.len() >= crate::state::MAX_CHATS {
                    return self.warn(format!(
                        "{} chats are open: close one (x) first",
                        crate::state::MAX_CHATS
                    ));
                }
                self.chats.push(crate::state::ChatTab {
                    ticket,
                    scroll: 0,
                    loading_older: false,
                    complete: false,
                });
                self.chats.len() - 1
            }
        };
        self.screen = Screen::Chat(i);
    }

    /// Opens the ticket waiting longest for a reply among those I may act
    /// on (my open chats, my tickets, unassigned ones in my queues). Only
    /// the chat already on screen is left out: in the queue view the
    /// highlighted row is a candidate like any other.
    pub(super) fn next_waiting(&mut self) {
        match self.longest_waiting() {
            Some(t) => self.open_chat(t),
            None => self.say("nobody is waiting for a reply"),
        }
    }

    pub fn longest_waiting(&self) -> Option<TicketId> {
        let on_screen = self.current_chat().map(|c| c.ticket);
        let me = self.me.as_ref().map(|a| a.id);
        let mine = |t: &Ticket| {
            t.assignee == me || (t.assignee.is_none() && crate::views::serves(self.me.as_ref(), t))
        };
        let in_chats = |t: &Ticket| self.chats.iter().any(|c| c.ticket == t.id);
        self.mirror
            .tickets
            .values()
            .filter(|t| Some(t.id) != on_screen && crate::views::active(t))
            .filter(|t| mine(t) || in_chats(t))
            .filter_map(|t| t.waiting_since.map(|w| (w, t.id)))
            .min()
            .map(|(_, t)| t)
    }

    pub(super) fn ack_alerts(&mut self) {
        let n = self.alerts.ack(None);
        self.say(match n {
            0 => "no alerts to acknowledge".to_owned(),
            1 => "1 alert acknowledged".to_owned(),
            n => format!("{n} alerts acknowledged"),
        });
    }

    pub(super) fn request_quit(&mut self) {
        let unconfirmed = self.pending.len();
        if unconfirmed > 0 && !self.quit_armed {
            self.quit_armed = true;
            return self.warn(format!(
                "{unconfirmed} command(s) not confirmed by the server yet; they are saved and sent \
                 at the next start. Press quit again to leave."
            ));
        }
        self.quit = true;
    }

    /// Values for macro variables from the ticket, its customer and me.
    pub fn vars(&self, ticket: TicketId) -> std::collections::BTreeMap<&'static str, String> {
        let mut v = std::collections::BTreeMap::new();
        let Some(t) = self.ticket(ticket) else {
            return v;
        };
        v.insert("id", t.number.to_string());
        v.insert("queue", t.queue.to_string());
        if let Some(topic) = &t.topic {
            v.insert("topic", topic.clone());
        }
        if let Some(c) = self.customer_of(t) {
            v.insert("name", c.first_name.clone());
            let full = match &c.last_name {
                Some(l) => format!("{} {l}", c.first_name),
                None => c.first_name.clone(),
            };
            v.insert("customer", full);
            if let Some(u) = &c.username {
                v.insert("username", format!("@{u}"));
            }
        }
        if let Some(a) = &self.me {
            v.insert("agent", a.display_name.clone());
        }
        let due = t
            .sla
            .next_reply_due
            .or(t.sla.first_reply_due)
            .or(t.sla.resolution_due);
        if let Some(due) = due.filter(|d| d.0 > self.now.0) {
            let tz = self
                .customer_of(t)
                .and_then(|c| c.time_zone.as_deref())
                .and_then(|z| jiff::tz::TimeZone::get(z).ok())
                .unwrap_or(jiff::tz::TimeZone::UTC);
            v.insert("eta", crate::ui::time::eta(due, self.now, &tz));
        }
        v
    }
}

/// A status in one short word, for lists.
pub fn status_word(s: TicketStatus) -> &'static str {
    match s {
        TicketStatus::New => "new",
        TicketStatus::Open => "open",
        TicketStatus::PendingOnCustomer => "waiting",
        TicketStatus::Resolved => "resolved",
        TicketStatus::Closed => "closed",
    }
}
