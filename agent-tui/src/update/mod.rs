//! How the state changes: one entry point, [`App::handle`], for keys,
//! pastes, the network worker's events and clock ticks. It returns the
//! effects for the loop to carry out; nothing here does I/O.

mod commands;
mod figures;
mod keys;
mod server;

use crossterm::event::KeyEvent;
use shared::{ClientMessage, Command, Timestamp};

use crate::alerts;
use crate::net::NetEvent;
use crate::state::{App, Screen};

pub use commands::{palette_items, status_label, status_word};

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Input {
    Key(KeyEvent),
    /// Bracketed paste.
    Paste(String),
    Net(NetEvent),
    /// The clock moved (once a second).
    Tick(Timestamp),
    Resize,
}

/// Something the loop must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send(ClientMessage),
    /// Reconnect, resuming from the mirror's seq.
    Resync,
    Bell,
    /// Download or upload a file (the network worker does it).
    File(crate::net::FileOp),
    /// Open a saved file with the opener (`$OPENER`, xdg-open).
    Open(std::path::PathBuf),
}

/// How long a status-line message stays.
const FLASH_MS: i64 = 8_000;
/// An error stays at least this long, even when keys follow.
const FLASH_MIN_MS: i64 = 2_000;

impl App {
    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        let mut fx = Vec::new();
        match input {
            Input::Key(k) => {
                if k.kind != crossterm::event::KeyEventKind::Release {
                    // A status line lasts until the next key (a fresh
                    // error stays a moment, so a key already on its way
                    // does not hide it).
                    if self
                        .flash
                        .as_ref()
                        .is_some_and(|f| !f.error || self.now.0 - f.at.0 >= FLASH_MIN_MS)
                    {
                        self.flash = None;
                    }
                    self.key(k, &mut fx);
                    self.dirty = true;
                }
            }
            Input::Paste(text) => {
                self.paste(&text);
                self.dirty = true;
            }
            Input::Net(e) => self.net(e, &mut fx),
            Input::Tick(now) => self.tick(now, &mut fx),
            Input::Resize => self.dirty = true,
        }
        self.after(&mut fx);
        fx
    }

    fn tick(&mut self, now: Timestamp, fx: &mut Vec<Effect>) {
        let second_changed = now.0 / 1000 != self.now.0 / 1000;
        self.now = now;
        if self
            .flash
            .as_ref()
            .is_some_and(|f| now.0 - f.at.0 > FLASH_MS)
        {
            self.flash = None;
            self.dirty = true;
        }
        self.dashboard_tick(fx);
        let scan = self.scan_alerts();
        if scan.ring && self.alert_settings.bell {
            fx.push(Effect::Bell);
        }
        // Countdowns and waiting times move every second.
        if second_changed && !self.mirror.tickets.is_empty() {
            self.dirty = true;
        }
    }

    /// Re-evaluates alerts against the state at `now`.
    pub fn scan_alerts(&mut self) -> alerts::Scan {
        let keys = alerts::current(
            &self.mirror,
            self.me.as_ref(),
            &self.alert_settings,
            self.now,
        );
        let scan = self
            .alerts
            .update(keys, self.now, self.alert_settings.repeat_ms);
        if scan.changed {
            self.dirty = true;
        }
        scan
    }

    /// Housekeeping after every input: rows, scroll bounds, read markers
    /// and the customer's history for the chat in view.
    fn after(&mut self, fx: &mut Vec<Effect>) {
        self.refresh_rows();
        self.clamp_offset();
        if let Screen::Chat(i) = self.screen
            && i >= self.chats.len()
        {
            self.screen = Screen::Queues;
        }
        let Some(chat) = self.current_chat().cloned() else {
            return;
        };
        if !self.conn.online() {
            return;
        }
        // Reading the chat marks it read.
        let newest = self
            .mirror
            .messages
            .get(&chat.ticket)
            .and_then(|m| m.keys().next_back().copied());
        if let Some(newest) = newest {
            let read = self.mirror.read.get(&chat.ticket).copied();
            let sent = self.marked.get(&chat.ticket).copied();
            if read.is_none_or(|r| r < newest)
                && sent.is_none_or(|s| s < newest)
                && chat.scroll == 0
            {
                self.marked.insert(chat.ticket, newest);
                let id = self.command_id();
                fx.push(Effect::Send(ClientMessage::Command {
                    id,
                    command: Command::MarkRead {
                        ticket_id: chat.ticket,
                        up_to: newest,
                    },
                }));
            }
        }
        if let Some(t) = self.ticket(chat.ticket) {
            let customer = t.customer_id;
            let asked = self
                .reads
                .values()
                .any(|r| *r == crate::state::Read::History(customer));
            if !self.history.contains_key(&customer) && !asked {
                self.read(
                    crate::state::Read::History(customer),
                    Command::History {
                        ticket_id: chat.ticket,
                        limit: 20,
                    },
                    fx,
                );
            }
        }
    }

    /// Sends a read (`load_older`, `history`) now if online; reads are not
    /// kept for later.
    fn read(&mut self, what: crate::state::Read, command: Command, fx: &mut Vec<Effect>) {
        if !self.conn.online() {
            return;
        }
        let id = self.command_id();
        self.reads.insert(id.clone(), what);
        fx.push(Effect::Send(ClientMessage::Command { id, command }));
    }
}

#[cfg(test)]
mod tests;
