//! Commands to the server: queued while offline and sent once back,
//! the palette's entries, sending the compose box, and prompts.

use shared::*;

use super::Effect;
use crate::action::{Action, Arg};
use crate::compose::SendAs;
use crate::overlay::{Overlay, Palette, PaletteItem, Preview, Prompt, PromptKind};
use crate::state::{App, Focus, Pending, Read, Screen};
use crate::template;

/// The palette's entries for `ticket` (or only the general ones). Safe,
/// everyday entries come first, so the first entry of an empty query is
/// one that cannot hurt; only what the server would accept is offered.
pub fn palette_items(app: &App, ticket: Option<TicketId>) -> Vec<PaletteItem> {
    use Action::*;
    let mut v = Vec::new();
    let mut add = |label: String, action, arg| v.push(PaletteItem { label, action, arg });
    let may_act = |t: &Ticket| {
        app.me.as_ref().is_none_or(|me| {
            me.role == Role::Supervisor || me.queues.contains(&t.queue) || t.assignee == Some(me.id)
        })
    };
    // A ticket of another queue: the server refuses changes; only its files.
    if let Some(t) = ticket.and_then(|t| app.ticket(t)).filter(|t| !may_act(t)) {
        for (label, file_id) in attachments(app, t.id) {
            add(format!("Open {label}"), OpenAttachment, Arg::File(file_id));
        }
    }
    if let Some(t) = ticket.and_then(|t| app.ticket(t)).filter(|t| may_act(t)) {
        let n = t.number;
        add(
            format!("Note: write an internal note on #{n}"),
            Note,
            Arg::None,
        );
        add(
            format!("Close #{n} with a summary (resolved; the customer is told and rates)"),
            CloseTicket,
            Arg::None,
        );
        add(
            format!("Ask the customer of #{n} for details (the details macro)"),
            AskDetails,
            Arg::None,
        );
        add(format!("Macro: insert one into #{n}"), Macros, Arg::None);
        add(
            format!("Attach a file to send to the customer of #{n}"),
            AttachFile,
            Arg::None,
        );
        for (label, file_id) in attachments(app, t.id) {
            add(format!("Open {label}"), OpenAttachment, Arg::File(file_id));
        }
        add(format!("Tag #{n}: add tags"), AddTags, Arg::None);
        for tag in &t.tags {
            add(
                format!("Untag #{n}: remove {tag}"),
                RemoveTag,
                Arg::Tag(tag.clone()),
            );
        }
        for p in Priority::ALL {
            if p != t.priority {
                add(
                    format!("Priority of #{n}: {}", p.as_str()),
                    SetPriority,
                    Arg::Priority(p),
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
                    format!("Status of #{n}: {} (the customer is told)", status_label(s)),
                    SetStatus,
                    Arg::Status(s),
                );
            }
        }
        let me = app.me.as_ref().map(|a| a.id);
        if t.assignee != me || me.is_none() {
            add(format!("Take #{n} (the customer is told)"), Take, Arg::None);
        }
        // Only colleagues who serve the ticket's queue: the server refuses others.
        for a in app.mirror.agents.values() {
            if t.assignee != Some(a.id)
                && Some(a.id) != me
                && (a.role == Role::Supervisor || a.queues.contains(&t.queue))
            {
                add(
                    format!("Assign #{n} to {} (the customer is told)", a.display_name),
                    Assign,
                    Arg::Agent(a.id),
                );
            }
        }
        if t.assignee.is_some() {
            add(
                format!("Unassign #{n} (back to {})", t.queue),
                Unassign,
                Arg::None,
            );
        }
        // Supervisors share a ticket with agents who do not read it
        // already (their queues, their own tickets), and withdraw shares.
        if app.me.as_ref().is_some_and(|m| m.role == Role::Supervisor) {
            for a in app.mirror.agents.values() {
                if t.shared_with.contains(&a.id) {
                    add(
                        format!("Unshare #{n} from {}", a.display_name),
                        Unshare,
                        Arg::Agent(a.id),
                    );
                } else if a.role != Role::Supervisor
                    && !a.queues.contains(&t.queue)
                    && t.assignee != Some(a.id)
                {
                    add(
                        format!(
                            "Share #{n} with {} (they read and note it; the customer is not told)",
                            a.display_name
                        ),
                        Share,
                        Arg::Agent(a.id),
                    );
                }
            }
        }
        if t.queue != app.escalate_to {
            add(
                format!(
                    "Escalate #{n} to {} with a note (the customer is told)",
                    app.escalate_to
                ),
                Escalate,
                Arg::None,
            );
        }
        for q in &app.mirror.queues {
            if q.id != t.queue {
                add(
                    format!("Transfer #{n} to {} with a note", q.id),
                    Transfer,
                    Arg::Queue(q.id.clone()),
                );
            }
        }
    }
    add(
        "Next: jump to the chat waiting longest".into(),
        NextWaiting,
        Arg::None,
    );
    add("Alerts: list them".into(), Alerts, Arg::None);
    add("Ack: acknowledge all alerts".into(), AckAlerts, Arg::None);
    add("Help: every key".into(), Help, Arg::None);
    add("Quit".into(), Quit, Arg::None);
    v
}

/// The ticket's attachments, newest first: ("scan.pdf · 120 KB from Olena", file id).
pub fn attachments(app: &App, ticket: TicketId) -> Vec<(String, String)> {
    let Some(msgs) = app.mirror.messages.get(&ticket) else {
        return Vec::new();
    };
    msgs.values()
        .rev()
        .flat_map(|m| m.attachments.iter().map(move |a| (m, a)))
        .map(|(m, a)| {
            let name = a
                .file_name
                .clone()
                .unwrap_or_else(|| format!("{:?}", a.kind).to_lowercase());
            let size = a
                .size
                .map_or_else(String::new, |s| format!(" · {}", crate::ui::text::size(s)));
            let who = match m.author {
                Author::Customer { .. } => "from the customer",
                Author::Agent { .. } => "sent by us",
                Author::Bot => "from the bot",
            };
            (format!("{name}{size} {who}"), a.file_id.clone())
        })
        .collect()
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

    /// Opens the palette about `ticket`, with `query` typed.
    pub(super) fn open_palette(&mut self, ticket: Option<TicketId>, query: &str) {
        let items = palette_items(self, ticket);
        let mut p = Palette::new(ticket, items, &mut self.ranker);
        if !query.is_empty() {
            p.query = query.to_owned();
            p.refresh(&mut self.ranker);
        }
        self.overlay = Some(Overlay::Palette(p));
    }

    /// Runs an action on `ticket` (a key or a palette entry). An action
    /// that needs a choice (an agent, a queue, a status) and has none
    /// opens the palette narrowed to it. From the palette, an action that
    /// messages the customer and has no prompt of its own is confirmed
    /// first, with the text the customer will get.
    pub(super) fn run_action(
        &mut self,
        ticket: Option<TicketId>,
        action: Action,
        arg: Arg,
        from_palette: bool,
        fx: &mut Vec<Effect>,
    ) {
        use Action::*;
        if !action.on_ticket() {
            // The general actions, by the same road as their keys.
            return self.general_action(action, ticket, fx);
        }
        let Some(t) = ticket else {
            return self.warn("no ticket selected");
        };
        let Some(number) = self.ticket(t).map(|x| x.number) else {
            return self.warn("that ticket is gone");
        };
        let command = match (action, &arg) {
            (Take, _) => Some(Command::Take { ticket_id: t }),
            (Assign, Arg::Agent(a)) => Some(Command::Assign {
                ticket_id: t,
                agent_id: Some(*a),
            }),
            (Unassign, _) => Some(Command::Assign {
                ticket_id: t,
                agent_id: None,
            }),
            (Share | Unshare, Arg::Agent(a)) => Some(Command::Share {
                ticket_id: t,
                agent_id: *a,
                shared: action == Share,
            }),
            (SetStatus, Arg::Status(status)) => Some(Command::SetStatus {
                ticket_id: t,
                status: *status,
            }),
            (SetPriority, Arg::Priority(priority)) => Some(Command::SetPriority {
                ticket_id: t,
                priority: *priority,
            }),
            (RemoveTag, Arg::Tag(tag)) => Some(Command::SetTags {
                ticket_id: t,
                add: vec![],
                remove: vec![tag.clone()],
            }),
            _ => None,
        };
        if let Some(command) = command {
            if from_palette && action.reach(&arg) == crate::action::Reach::Customer {
                let mut p = Prompt::new(
                    format!("#{number}: {}?", action_words(action, &arg, self)),
                    PromptKind::Confirm {
                        ticket: t,
                        action,
                        arg,
                    },
                );
                p.preview = self.ask_preview(t, command, fx);
                self.overlay = Some(Overlay::Prompt(p));
                return;
            }
            if action == Take {
                self.say(format!(
                    "taking #{number}; the customer is told you have it"
                ));
            }
            return self.command(command, fx);
        }
        match action {
            OpenAttachment => match arg {
                Arg::File(file_id) => self.download(file_id, fx),
                _ => {
                    let files = attachments(self, t);
                    match files.as_slice() {
                        [] => self.warn(format!("#{number} has no files")),
                        [(_, only)] => self.download(only.clone(), fx),
                        _ => self.open_palette(Some(t), "open "),
                    }
                }
            },
            AttachFile => {
                self.open_chat(t);
                let mut p = Prompt::new(
                    format!("#{number}: file to send (tab completes the path)"),
                    PromptKind::AttachFile { ticket: t },
                );
                let start = std::env::current_dir()
                    .map(|d| format!("{}/", d.display()))
                    .unwrap_or_default();
                p.input.insert_str(&start);
                self.overlay = Some(Overlay::Prompt(p));
            }
            Assign | Share | Unshare | SetStatus | SetPriority | RemoveTag | Transfer
                if matches!(arg, Arg::None) =>
            {
                let verb = action.verbs().first().copied().unwrap_or_default();
                self.open_palette(Some(t), &format!("{verb} "));
            }
            Transfer => {
                if let Arg::Queue(queue) = arg {
                    // A new assignee in the new queue may tell the customer.
                    let preview = self.ask_preview(t, move_to(t, &queue, None, false), fx);
                    self.prompt(
                        format!("Note for {queue} (optional), Enter to transfer"),
                        PromptKind::Transfer { ticket: t, queue },
                    );
                    self.set_preview(preview);
                }
            }
            Escalate => {
                let queue = self.escalate_to.clone();
                let preview = self.ask_preview(t, move_to(t, &queue, None, true), fx);
                self.prompt(
                    format!("Why escalate #{number} to {queue}? (a note for the expert)"),
                    PromptKind::Escalate { ticket: t, queue },
                );
                self.set_preview(preview);
            }
            AddTags => self.prompt(
                format!("Tags to add to #{number}, separated by spaces or commas"),
                PromptKind::Tags { ticket: t },
            ),
            Note => {
                self.open_chat(t);
                self.drafts.entry(t).or_default().send_as = SendAs::Note;
                self.focus = Focus::Compose;
                self.touch();
            }
            CloseTicket => {
                let preview = self.ask_preview(
                    t,
                    Command::SetStatus {
                        ticket_id: t,
                        status: TicketStatus::Resolved,
                    },
                    fx,
                );
                self.prompt(
                    format!("Close #{number}: summary of the solution (kept as a note)"),
                    PromptKind::CloseWithSummary { ticket: t },
                );
                self.set_preview(preview);
            }
            AskDetails => {
                self.open_chat(t);
                let details = self
                    .mirror
                    .macros
                    .values()
                    .find(|m| m.shortcut == "details")
                    .map(|m| m.id);
                match details {
                    Some(id) => self.insert_macro(t, id),
                    None => {
                        let (text, fields) = template::fill(
                            "We need: {field}. Just reply to this message.",
                            &self.vars(t),
                        );
                        self.drafts
                            .entry(t)
                            .or_default()
                            .insert_macro(&text, fields);
                        self.focus = Focus::Compose;
                    }
                }
                let d = self.drafts.entry(t).or_default();
                d.send_as = SendAs::Reply;
                d.then_pending = true;
                self.touch();
            }
            _ => {}
        }
    }

    /// The general (ticket-less) actions the palette offers.
    fn general_action(&mut self, action: Action, ticket: Option<TicketId>, fx: &mut Vec<Effect>) {
        match action {
            Action::NextWaiting => self.next_waiting(),
            Action::Alerts => {
                self.overlay = Some(Overlay::Alerts(crate::overlay::AlertList::default()))
            }
            Action::AckAlerts => self.ack_alerts(),
            Action::Help => self.overlay = Some(Overlay::Help(Default::default())),
            Action::Quit => self.request_quit(),
            Action::Macros => match ticket {
                Some(t) => self.open_macros(t, false),
                None => self.warn("open a chat to use macros"),
            },
            Action::Groups => {
                self.show_groups();
            }
            Action::LinkTelegram => self.command(Command::LinkTelegram, fx),
            Action::BindGroup => self.bind_group_prompt(),
            Action::Quarantine => {
                self.show_quarantine();
                self.ask_safety_figures(fx);
            }
            Action::Dashboard => self.show_dashboard(fx),
            Action::ApproveHeld | Action::BanHeld => {
                let key = self.keymap.hint(action);
                let held = self.keymap.hint(Action::Quarantine);
                self.warn(format!(
                    "on the held messages screen ({held}), select the message and press {key}"
                ));
            }
            Action::GroupAck | Action::GroupTicket => {
                let key = self.keymap.hint(action);
                let groups = self.keymap.hint(Action::Groups);
                self.warn(format!(
                    "on the Groups screen ({groups}), select the conversation and press {key}"
                ));
            }
            other => tracing::debug!(?other, "not a palette action"),
        }
    }

    /// Asks the server what `command` would send the customer.
    fn ask_preview(&mut self, ticket: TicketId, command: Command, fx: &mut Vec<Effect>) -> Preview {
        if !self.conn.online() {
            return Preview::Unavailable("offline".into());
        }
        let id = self.command_id();
        self.reads.insert(id.clone(), Read::Preview(ticket));
        fx.push(Effect::Send(ClientMessage::Command {
            id: id.clone(),
            command: Command::Preview {
                ticket_id: ticket,
                command: Box::new(command),
            },
        }));
        Preview::Loading(id)
    }

    fn set_preview(&mut self, preview: Preview) {
        if let Some(Overlay::Prompt(p)) = &mut self.overlay {
            p.preview = preview;
        }
    }

    /// The selected held message, if it still waits for staff (else says
    /// why nothing happens).
    fn held_waiting(&mut self) -> Option<HeldMessage> {
        let Some(h) = self
            .current_held()
            .and_then(|id| self.mirror.quarantine.get(&id))
            .cloned()
        else {
            let key = self.keymap.hint(Action::Quarantine);
            self.warn(format!(
                "on the held messages screen ({key}), select a message first"
            ));
            return None;
        };
        if h.state != HeldState::Held {
            self.warn(format!(
                "{}'s message was {} already",
                h.author_name,
                match h.state {
                    HeldState::Approved => "approved",
                    _ => "decided: its author was banned",
                }
            ));
            return None;
        }
        Some(h)
    }

    /// Asks for the last week's safety figures (shown on the held
    /// messages screen); nothing when offline.
    pub(super) fn ask_safety_figures(&mut self, fx: &mut Vec<Effect>) {
        if !self.conn.online() {
            return;
        }
        let id = self.command_id();
        self.reads.insert(id.clone(), Read::SafetyFigures);
        fx.push(Effect::Send(ClientMessage::Command {
            id,
            command: Command::SafetyFigures { days: 7 },
        }));
    }

    /// Approves the selected held message: posted back in its group.
    pub(super) fn approve_held(&mut self, fx: &mut Vec<Effect>) {
        if let Some(h) = self.held_waiting() {
            self.command(Command::QuarantineApprove { held_id: h.id }, fx);
            self.say(format!(
                "approving {}'s message: it goes back to {}",
                h.author_name, h.group_title
            ));
        }
    }

    /// Bans the selected held message's author, on the second press.
    pub(super) fn ban_held(&mut self, fx: &mut Vec<Effect>) {
        let Some(h) = self.held_waiting() else {
            return;
        };
        if self.ban_armed != Some(h.id) {
            self.ban_armed = Some(h.id);
            let key = self.keymap.hint(Action::BanHeld);
            let who = match &h.author_username {
                Some(u) => format!("{} (@{u})", h.author_name),
                None => h.author_name.clone(),
            };
            let place = self
                .mirror
                .groups
                .get(&h.chat_id)
                .and_then(|g| g.organisation_id)
                .and_then(|o| self.mirror.organisations.get(&o))
                .map_or_else(
                    || h.group_title.clone(),
                    |o| format!("all of {}'s groups", o.name),
                );
            return self.warn(format!(
                "{key} again bans {who} from {place}; any other key does not"
            ));
        }
        self.ban_armed = None;
        self.command(Command::QuarantineBan { held_id: h.id }, fx);
        self.say(format!("banning {}", h.author_name));
    }

    /// Asks which organisation the selected conversation's group belongs to.
    pub(super) fn bind_group_prompt(&mut self) {
        let Some(c) = self
            .current_conversation()
            .and_then(|c| self.mirror.conversations.get(&c))
        else {
            let groups = self.keymap.hint(Action::Groups);
            return self.warn(format!(
                "on the Groups screen ({groups}), select a conversation of the group to bind"
            ));
        };
        let chat_id = c.chat_id;
        let title = self
            .mirror
            .groups
            .get(&chat_id)
            .map_or_else(|| chat_id.to_string(), |g| g.title.clone());
        self.prompt(
            format!("Bind {title} to which organisation? (its name; none unbinds)"),
            PromptKind::BindGroup { chat_id },
        );
    }

    /// Asks for an answer to post into a group conversation.
    pub(super) fn group_reply_prompt(&mut self, conversation: ConversationId) {
        let Some(c) = self.mirror.conversations.get(&conversation) else {
            return self.warn("this conversation is no longer here");
        };
        let place = crate::groups::place(&self.mirror, c);
        let to = if c.opened_by.is_empty() {
            String::new()
        } else {
            format!(" {}", c.opened_by)
        };
        self.prompt(
            format!("Answer{to} in {place}"),
            PromptKind::GroupReply { conversation },
        );
    }

    fn prompt(&mut self, title: String, kind: PromptKind) {
        self.overlay = Some(Overlay::Prompt(Prompt::new(title, kind)));
    }

    /// Enter in a prompt.
    pub(super) fn submit_prompt(&mut self, p: Prompt, fx: &mut Vec<Effect>) {
        let text = p.input.text.trim().to_owned();
        let note = (!text.is_empty()).then(|| text.clone());
        // An escalation is a transfer that also tells the customer.
        let escalate = matches!(p.kind, PromptKind::Escalate { .. });
        match p.kind {
            PromptKind::Transfer { ticket, queue } | PromptKind::Escalate { ticket, queue } => {
                self.command(move_to(ticket, &queue, note, escalate), fx);
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
                if self.conn.online() {
                    let number = self.ticket(ticket).map_or(0, |t| t.number);
                    self.say(format!("#{number} closed with a summary"));
                }
            }
            PromptKind::Confirm {
                ticket,
                action,
                arg,
            } => self.run_action(Some(ticket), action, arg, false, fx),
            PromptKind::BindGroup { chat_id } => {
                let wanted = text.trim();
                let organisation_id = if wanted.eq_ignore_ascii_case("none") {
                    None
                } else {
                    match self
                        .mirror
                        .organisations
                        .values()
                        .find(|o| o.name.eq_ignore_ascii_case(wanted))
                    {
                        Some(o) => Some(o.id),
                        None => {
                            let names: Vec<&str> = self
                                .mirror
                                .organisations
                                .values()
                                .map(|o| o.name.as_str())
                                .collect();
                            return self.warn(format!(
                                "no organisation {wanted:?}; there are: {} (or none to unbind)",
                                names.join(", ")
                            ));
                        }
                    }
                };
                self.command(
                    Command::GroupBind {
                        chat_id,
                        organisation_id,
                    },
                    fx,
                )
            }
            PromptKind::GroupReply { conversation } => self.command(
                Command::GroupReply {
                    conversation_id: conversation,
                    text,
                },
                fx,
            ),
            PromptKind::AttachFile { ticket } => {
                let path = crate::overlay::prompt::expand_home(&text);
                match std::fs::metadata(&path) {
                    Ok(m) if m.is_file() && m.len() > MAX_UPLOAD_BYTES => self.warn(format!(
                        "{} is {}; Telegram takes files up to {} MB",
                        path.display(),
                        crate::ui::text::size(m.len()),
                        MAX_UPLOAD_BYTES >> 20
                    )),
                    Ok(m) if m.is_file() => {
                        if !self.conn.online() {
                            return self.warn("offline: files are sent when the connection is back; try again then");
                        }
                        self.say(format!("uploading {}…", path.display()));
                        fx.push(Effect::File(crate::net::FileOp::Upload { ticket, path }));
                    }
                    Ok(_) => self.warn(format!("{} is not a file", path.display())),
                    Err(e) => self.warn(format!("{}: {e}", path.display())),
                }
            }
        }
    }

    /// Saves an attachment (and opens it, where there is an opener).
    fn download(&mut self, file_id: String, fx: &mut Vec<Effect>) {
        if !self.conn.online() {
            return self.warn("offline: files can be opened once the connection is back");
        }
        self.say("fetching the file…");
        fx.push(Effect::File(crate::net::FileOp::Download {
            file_id,
            dir: self.download_dir.clone(),
        }));
    }

    /// Sends the compose box of the current chat; true when it went.
    pub(super) fn send_compose(&mut self, fx: &mut Vec<Effect>) -> bool {
        let Some(ticket) = self.current_chat().map(|c| c.ticket) else {
            return false;
        };
        let Some(draft) = self.drafts.get(&ticket).cloned() else {
            self.warn("nothing to send");
            return false;
        };
        let text = draft.text.trim_end().to_owned();
        if text.trim().is_empty() {
            self.warn("nothing to send");
            return false;
        }
        let unfilled = draft.unfilled();
        if !unfilled.is_empty() {
            let names: Vec<String> = unfilled.iter().map(|f| format!("{{{f}}}")).collect();
            if let Some(d) = self.drafts.get_mut(&ticket) {
                d.next_field();
            }
            self.warn(format!(
                "fill in {} first (tab walks the fields)",
                names.join(", ")
            ));
            return false;
        }
        let len = utf16_len(&text);
        if len > MAX_TEXT_UTF16 {
            self.warn(format!(
                "too long for Telegram: {len} of {MAX_TEXT_UTF16} characters"
            ));
            return false;
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
        // The box stays in the mode it was in: a note after a note.
        if let Some(d) = self.drafts.get_mut(&ticket) {
            d.clear();
        }
        self.drafts
            .retain(|_, d| !d.is_empty() || d.send_as != SendAs::Reply);
        if let Some(c) = self.current_chat_mut() {
            c.scroll = 0;
        }
        self.touch();
        true
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
            let own = self
                .customer_of(t)
                .and_then(|c| c.time_zone.as_deref())
                .and_then(|z| jiff::tz::TimeZone::get(z).ok());
            let eta = match own {
                Some(tz) => crate::ui::time::eta(due, self.now, &tz, None),
                // The desk's zone, named, when the customer's is unknown.
                None => {
                    let name = self.desk_zone.as_deref().unwrap_or("UTC");
                    let tz = jiff::tz::TimeZone::get(name).unwrap_or(jiff::tz::TimeZone::UTC);
                    crate::ui::time::eta(due, self.now, &tz, Some(name))
                }
            };
            v.insert("eta", eta);
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

/// A transfer to `queue` (an escalation when the customer is told).
fn move_to(ticket: TicketId, queue: &QueueId, note: Option<String>, tell: bool) -> Command {
    Command::Transfer {
        ticket_id: ticket,
        queue: Some(queue.clone()),
        agent_id: None,
        note,
        tell_customer: tell,
    }
}

/// What a confirmed palette entry does, in words: "take it", "set status: resolved".
fn action_words(action: Action, arg: &Arg, app: &App) -> String {
    match (action, arg) {
        (Action::Take, _) => "take it".into(),
        (Action::Assign, Arg::Agent(a)) => format!("assign to {}", app.agent_name(*a)),
        (Action::Share, Arg::Agent(a)) => format!("share with {}", app.agent_name(*a)),
        (Action::Unshare, Arg::Agent(a)) => format!("withdraw {}'s share", app.agent_name(*a)),
        (Action::SetStatus, Arg::Status(s)) => format!("set status: {}", status_label(*s)),
        (a, _) => a.help().to_lowercase(),
    }
}
