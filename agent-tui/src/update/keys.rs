//! Keys and pastes: overlays first, then bindings, then the editor.

use crossterm::event::{KeyCode, KeyEvent};
use shared::*;

use super::Effect;
use crate::action::Arg;
use crate::action::{Action, Context};
use crate::compose::{Compose, SendAs};
use crate::keymap::Key;
use crate::overlay::{self, AlertList, Env, MacroPicker, Outcome, Overlay, step};
use crate::state::{App, Focus, Read, Screen};
use crate::template;
use crate::ui;

impl App {
    pub(super) fn key(&mut self, e: KeyEvent, fx: &mut Vec<Effect>) {
        let key = Key::from_event(&e);
        if self.overlay.is_some() {
            return self.overlay_key(key, fx);
        }
        let in_compose = self.focus == Focus::Compose && self.current_chat().is_some();
        let ctx = if in_compose {
            Context::Compose
        } else {
            Context::Normal
        };
        if let Some(action) = self.keymap.action(ctx, &key) {
            if action != Action::Quit && action != Action::Back {
                self.quit_armed = false;
            }
            return self.action(action, fx);
        }
        if in_compose {
            self.edit(key);
        }
    }

    pub(super) fn paste(&mut self, text: &str) {
        if let Some(mut o) = self.overlay.take() {
            let mut env = Env {
                ranker: &mut self.ranker,
                macros: &self.mirror.macros,
                alerts: &self.alerts,
            };
            o.paste(text, &mut env);
            self.overlay = Some(o);
            return;
        }
        let Some(t) = self.current_chat().map(|c| c.ticket) else {
            return;
        };
        self.focus = Focus::Compose;
        self.drafts.entry(t).or_default().insert_str(text);
        self.touch();
    }

    fn action(&mut self, action: Action, fx: &mut Vec<Effect>) {
        use Action::*;
        if action != BanHeld {
            self.ban_armed = None;
        }
        if let Some(i) = action.chat_index() {
            if i < self.chats.len() {
                self.screen = Screen::Chat(i);
                self.focus = Focus::Normal;
            } else {
                self.say(format!("no chat {}", i + 1));
            }
            return;
        }
        let ticket = self.current_ticket();
        match action {
            Quit => self.request_quit(),
            Palette => self.open_palette(ticket, ""),
            Macros => match self.current_chat().map(|c| c.ticket) {
                Some(t) => self.open_macros(t, false),
                None => self.warn("open a chat to use macros"),
            },
            NextWaiting => self.next_waiting(),
            AckAlerts => self.ack_alerts(),
            Help => self.overlay = Some(Overlay::Help(overlay::Help::default())),
            Back => match self.screen {
                Screen::Chat(_) | Screen::Groups | Screen::Quarantine | Screen::Dashboard => {
                    self.screen = Screen::Queues
                }
                Screen::Group(_) => self.screen = Screen::Groups,
                // Never quit by one key too many: quitting is ctrl-c.
                Screen::Queues => {
                    let quit = self.keymap.hint(Quit);
                    self.say(format!("this is the top; {quit} quits"));
                }
            },
            Up => self.move_by(-1, fx),
            Down => self.move_by(1, fx),
            PageUp => self.move_by(-self.page(), fx),
            PageDown => self.move_by(self.page(), fx),
            Top => self.move_by(isize::MIN / 2, fx),
            Bottom => self.move_by(isize::MAX / 2, fx),
            NextQueue | PrevQueue => {
                if self.screen == Screen::Queues {
                    self.tab_by_hand = true;
                    let n = self.tabs.len();
                    self.queue_tab = if action == NextQueue {
                        (self.queue_tab + 1) % n
                    } else {
                        (self.queue_tab + n - 1) % n
                    };
                    self.queue_sel = 0;
                    self.queue_offset = 0;
                    self.rows.clear();
                    self.rows_dirty = true;
                }
            }
            Open => match self.screen {
                Screen::Queues => {
                    if let Some(t) = ticket {
                        self.open_chat(t);
                    }
                }
                Screen::Chat(_) => self.focus = Focus::Compose,
                Screen::Groups => {
                    if let Some(c) = self.current_conversation() {
                        self.screen = Screen::Group(c);
                    }
                }
                Screen::Group(c) => self.group_reply_prompt(c),
                Screen::Quarantine | Screen::Dashboard => {}
            },
            CloseChat => {
                if let Screen::Chat(i) = self.screen {
                    self.chats.remove(i);
                    self.screen = if self.chats.is_empty() {
                        Screen::Queues
                    } else {
                        Screen::Chat(i.min(self.chats.len() - 1))
                    };
                }
            }
            NextChat | PrevChat => {
                // Queues, chat 1, ..., chat N, round.
                let n = self.chats.len() + 1;
                let pos = match self.screen {
                    Screen::Chat(i) => i + 1,
                    _ => 0,
                };
                let next = if action == NextChat {
                    (pos + 1) % n
                } else {
                    (pos + n - 1) % n
                };
                self.screen = if next == 0 {
                    Screen::Queues
                } else {
                    Screen::Chat(next - 1)
                };
                self.focus = Focus::Normal;
            }
            Compose => {
                if let Some(c) = self.current_conversation() {
                    return self.group_reply_prompt(c);
                }
                if self.screen == Screen::Queues {
                    match ticket {
                        Some(t) => self.open_chat(t),
                        None => return,
                    }
                }
                if self.current_chat().is_some() {
                    self.focus = Focus::Compose;
                }
            }
            Take | Assign | Unassign | Share | Unshare | Transfer | Escalate | SetStatus
            | SetPriority | AddTags | RemoveTag | Note | CloseTicket | AskDetails
            | OpenAttachment | AttachFile => self.run_action(ticket, action, Arg::None, false, fx),
            Customer => self.customer_toggled = !self.customer_toggled,
            Groups => {
                self.show_groups();
            }
            Quarantine => {
                self.show_quarantine();
                self.ask_safety_figures(fx);
            }
            Dashboard => self.show_dashboard(fx),
            ApproveHeld => self.approve_held(fx),
            BanHeld => self.ban_held(fx),
            GroupAck => match self.current_conversation() {
                Some(c) => self.command(Command::GroupAck { conversation_id: c }, fx),
                None => self.warn("open the Groups screen to acknowledge a conversation"),
            },
            LinkTelegram => self.command(Command::LinkTelegram, fx),
            BindGroup => self.bind_group_prompt(),
            GroupTicket => match self.current_conversation() {
                Some(c) => self.command(Command::GroupTicket { conversation_id: c }, fx),
                None => self.warn("open a group conversation to make a ticket of it"),
            },
            Alerts => self.overlay = Some(Overlay::Alerts(AlertList::default())),
            Send => {
                self.send_compose(fx);
            }
            SendAndClose => {
                if self.send_compose(fx)
                    && let Some(t) = self.current_chat().map(|c| c.ticket)
                {
                    self.run_action(Some(t), CloseTicket, Arg::None, false, fx);
                }
            }
            Newline => self.with_draft(|d| d.insert_char('\n')),
            NextField => self.with_draft(|d| {
                d.next_field();
            }),
            ToggleNote => self.with_draft(|d| {
                d.send_as = match d.send_as {
                    SendAs::Reply => SendAs::Note,
                    SendAs::Note => SendAs::Reply,
                }
            }),
            Leave => self.focus = Focus::Normal,
            Chat1 | Chat2 | Chat3 | Chat4 | Chat5 | Chat6 | Chat7 | Chat8 | Chat9 | Chat10 => {}
            // Only inside pickers and prompts.
            Pick | Cancel | SelectUp | SelectDown => {}
        }
    }

    fn page(&self) -> isize {
        let rows = match self.screen {
            Screen::Queues | Screen::Groups | Screen::Quarantine => self.viewport.list_rows,
            Screen::Chat(_) | Screen::Group(_) | Screen::Dashboard => self.viewport.thread_rows,
        };
        isize::from(rows.max(2) as i16 - 1)
    }

    /// Moves the selection (queues) or scrolls the thread (chats; up is
    /// older). Scrolling past the oldest loaded message loads older ones.
    fn move_by(&mut self, delta: isize, fx: &mut Vec<Effect>) {
        match self.screen {
            Screen::Queues => {
                self.queue_sel = step(self.queue_sel, self.rows.len(), delta);
                self.clamp_offset();
            }
            Screen::Groups => {
                self.group_sel = step(self.group_sel, self.group_rows.len(), delta);
                self.clamp_offset();
            }
            Screen::Quarantine => {
                self.held_sel = step(self.held_sel, self.held_rows.len(), delta);
                self.clamp_offset();
            }
            // The thread shows its newest messages; the dashboard is one page.
            Screen::Group(_) | Screen::Dashboard => {}
            Screen::Chat(i) => {
                let Some(chat) = self.chats.get(i).cloned() else {
                    return;
                };
                let total = ui::thread::line_count(self, chat.ticket, self.viewport.thread_width);
                let max = total.saturating_sub(usize::from(self.viewport.thread_rows));
                let scroll = (chat.scroll as isize - delta).clamp(0, max as isize) as usize;
                self.chats[i].scroll = scroll;
                if delta < 0 && scroll == max && !chat.complete && !chat.loading_older {
                    let oldest = self
                        .mirror
                        .messages
                        .get(&chat.ticket)
                        .and_then(|m| m.keys().next().copied());
                    let known = self
                        .mirror
                        .messages
                        .get(&chat.ticket)
                        .map_or(0, |m| m.len());
                    let total = self
                        .ticket(chat.ticket)
                        .map_or(0, |t| t.message_count as usize);
                    if known >= total {
                        self.chats[i].complete = true;
                    } else {
                        self.chats[i].loading_older = true;
                        self.read(
                            Read::Older(chat.ticket),
                            Command::LoadOlder {
                                ticket_id: chat.ticket,
                                before: oldest,
                                limit: 50,
                            },
                            fx,
                        );
                        if !self.conn.online() {
                            self.chats[i].loading_older = false;
                        }
                    }
                }
            }
        }
    }

    fn with_draft(&mut self, f: impl FnOnce(&mut Compose)) {
        if let Some(t) = self.current_chat().map(|c| c.ticket) {
            f(self.drafts.entry(t).or_default());
            self.touch();
        }
    }

    /// Editing keys in the compose box.
    fn edit(&mut self, key: Key) {
        let Some(t) = self.current_chat().map(|c| c.ticket) else {
            return;
        };
        let d = self.drafts.entry(t).or_default();
        if key.code == KeyCode::Char('/') && !key.ctrl && !key.alt && d.text.is_empty() {
            return self.open_macros(t, true);
        }
        if d.edit(&key) {
            self.touch();
        }
    }

    pub(super) fn open_macros(&mut self, ticket: TicketId, from_slash: bool) {
        self.open_chat(ticket);
        self.focus = Focus::Compose;
        self.overlay = Some(Overlay::Macros(MacroPicker::new(
            ticket,
            from_slash,
            &self.mirror.macros,
            &mut self.ranker,
        )));
    }

    /// A key while an overlay is open: the overlay maps it (through the
    /// keymap, in its own context) to an outcome, which is carried out here.
    fn overlay_key(&mut self, key: Key, fx: &mut Vec<Effect>) {
        let Some(mut o) = self.overlay.take() else {
            return;
        };
        let action = self.keymap.action(o.context(), &key);
        if action == Some(Action::Quit) {
            return self.request_quit();
        }
        let mut env = Env {
            ranker: &mut self.ranker,
            macros: &self.mirror.macros,
            alerts: &self.alerts,
        };
        match o.key(key, action, &mut env) {
            Outcome::Keep => self.overlay = Some(o),
            Outcome::Close => {}
            Outcome::Run {
                ticket,
                action,
                arg,
            } => self.run_action(ticket, action, arg, true, fx),
            Outcome::InsertMacro { ticket, id } => self.insert_macro(ticket, id),
            Outcome::GiveBack { ticket, text } => {
                self.drafts.entry(ticket).or_default().insert_str(&text);
                self.touch();
            }
            Outcome::Submit(p) => self.submit_prompt(p, fx),
            Outcome::OpenAlert(subject) => {
                self.alerts.ack(Some(subject));
                match subject {
                    crate::alerts::Subject::Ticket(t) => self.open_chat(t),
                    crate::alerts::Subject::Group(c) => {
                        self.show_groups();
                        self.screen = Screen::Group(c);
                    }
                }
            }
            Outcome::AckAll => {
                self.ack_alerts();
                self.overlay = Some(o);
            }
        }
    }

    /// Puts a macro into the ticket's compose box, in the customer's
    /// language when it has a body in it (else the default, and says so).
    pub(super) fn insert_macro(&mut self, ticket: TicketId, id: MacroId) {
        let Some(m) = self.mirror.macros.get(&id) else {
            return;
        };
        let language = self.customer_language(ticket);
        let body = m.body_for(language.as_deref());
        let (text, fields) = template::fill(body.text, &self.vars(ticket));
        if !body.matched {
            let reads = language
                .as_deref()
                .map_or("?".into(), shared::language_name);
            self.warn(format!(
                "/{} has no {reads} text: inserted the {} one",
                m.shortcut,
                shared::language_name(body.language)
            ));
        }
        self.drafts
            .entry(ticket)
            .or_default()
            .insert_macro(&text, fields);
        self.focus = Focus::Compose;
        self.touch();
    }

    /// The language the ticket's customer reads, if known.
    pub fn customer_language(&self, ticket: TicketId) -> Option<String> {
        self.ticket(ticket)
            .and_then(|t| self.customer_of(t))
            .and_then(|c| c.language.clone())
    }
}
