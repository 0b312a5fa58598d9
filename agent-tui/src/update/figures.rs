//! The leads' dashboard: asked for when its screen opens, then kept live
//! from the stream (events that arrive while the answer is on its way
//! wait, then count if they came after it), and asked afresh at the
//! desk's midnight and after a snapshot (events were missed).

use shared::*;

use super::Effect;
use crate::dashboard::{Dashboard, Live, MAX_BUFFERED};
use crate::state::{App, Focus, Read, Screen};

impl App {
    pub(super) fn show_dashboard(&mut self, fx: &mut Vec<Effect>) {
        self.screen = Screen::Dashboard;
        self.focus = Focus::Normal;
        if self.dashboard.is_none() {
            self.ask_desk_figures(fx);
        }
    }

    /// Asks for the figures (when online; else the screen says so and
    /// they are asked once the snapshot is in).
    pub(super) fn ask_desk_figures(&mut self, fx: &mut Vec<Effect>) {
        if !self.conn.online() {
            return;
        }
        self.reads.retain(|_, r| *r != Read::DeskFigures);
        let id = self.command_id();
        self.reads.insert(id.clone(), Read::DeskFigures);
        self.dashboard = Some(Live::Loading {
            buffered: Vec::new(),
        });
        fx.push(Effect::Send(ClientMessage::Command {
            id,
            command: Command::DeskFigures,
        }));
    }

    pub(super) fn desk_figures_answered(
        &mut self,
        result: Result<CommandResult, (ErrorCode, String)>,
    ) {
        let buffered = match self.dashboard.take() {
            Some(Live::Loading { buffered }) => buffered,
            _ => Vec::new(),
        };
        match result {
            Ok(CommandResult::DeskFigures { figures }) => {
                let mut d = Dashboard::new(*figures);
                for e in &buffered {
                    d.apply(e);
                }
                self.dashboard = Some(Live::Ready(Box::new(d)));
            }
            Ok(_) => self.warn("the dashboard: the server answered something else"),
            Err((_, message)) => self.warn(format!("the dashboard: {message}")),
        }
        self.dirty = true;
    }

    /// Counts one applied event.
    pub(super) fn dashboard_event(&mut self, e: &EventEnvelope, fx: &mut Vec<Effect>) {
        match &mut self.dashboard {
            Some(Live::Ready(d)) => {
                d.apply(e);
                if self.screen == Screen::Dashboard {
                    self.dirty = true;
                }
            }
            Some(Live::Loading { buffered }) if buffered.len() < MAX_BUFFERED => {
                buffered.push(e.clone());
            }
            // Too many waited for an answer: ask again, from now.
            Some(Live::Loading { .. }) => self.ask_desk_figures(fx),
            None => {}
        }
    }

    /// A new day at the desk: today's figures start again.
    pub(super) fn dashboard_tick(&mut self, fx: &mut Vec<Effect>) {
        if let Some(Live::Ready(d)) = &self.dashboard
            && self.now >= d.day_end()
        {
            self.ask_desk_figures(fx);
        }
    }
}
