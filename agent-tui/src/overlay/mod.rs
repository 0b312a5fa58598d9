//! Pop-ups over the screen. Each overlay owns its state, its keys and its
//! drawing: `key` turns an action of the keymap (or a typed character)
//! into an [`Outcome`] for the app to carry out, and `draw` renders it.
//! Nothing here knows the app's state; [`DrawCtx`] carries what drawing
//! needs.

pub mod alerts;
pub mod help;
pub mod macros;
pub mod palette;
pub mod prompt;

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::Rect;
use relay_client::Mirror;
use shared::{Macro, MacroId, TicketId, Timestamp};

use crate::action::{Action, Arg, Context};
use crate::alerts::AlertBook;
use crate::fuzzy::Ranker;
use crate::keymap::{Key, Keymap};
use crate::ui::theme::Theme;

pub use alerts::AlertList;
pub use help::Help;
pub use macros::MacroPicker;
pub use palette::{Palette, PaletteItem};
pub use prompt::{Preview, Prompt, PromptKind};

#[derive(Debug, Clone)]
pub enum Overlay {
    Help(Help),
    Macros(MacroPicker),
    Palette(Palette),
    Prompt(Prompt),
    Alerts(AlertList),
}

/// What the app does after an overlay handled a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The overlay stays open (its state may have changed).
    Keep,
    Close,
    /// Close, then run the action (a palette entry).
    Run {
        ticket: Option<TicketId>,
        action: Action,
        arg: Arg,
    },
    /// Close, and put the macro into the ticket's compose box.
    InsertMacro {
        ticket: TicketId,
        id: MacroId,
    },
    /// Close, and give `text` back to the ticket's compose box (Esc in a
    /// picker opened by typing `/`).
    GiveBack {
        ticket: TicketId,
        text: String,
    },
    /// Close, and carry out the prompt's answer.
    Submit(Prompt),
    /// Close, acknowledge the ticket's alerts and open its chat.
    OpenAlert(crate::alerts::Subject),
    /// Acknowledge every alert (the overlay stays).
    AckAll,
}

/// What overlays may read or use while handling a key.
pub struct Env<'a> {
    pub ranker: &'a mut Ranker,
    pub macros: &'a BTreeMap<MacroId, Macro>,
    pub alerts: &'a AlertBook,
}

/// What overlays read while drawing.
pub struct DrawCtx<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    pub mirror: &'a Mirror,
    pub alerts: &'a AlertBook,
    pub now: Timestamp,
    /// Macro variables of the ticket the overlay is about.
    pub vars: BTreeMap<&'static str, String>,
    /// The language the ticket's customer reads ("uk"), if known.
    pub language: Option<String>,
}

impl Overlay {
    /// Where the overlay's keys are looked up.
    pub fn context(&self) -> Context {
        match self {
            Overlay::Help(_) | Overlay::Alerts(_) => Context::Normal,
            Overlay::Macros(_) | Overlay::Palette(_) | Overlay::Prompt(_) => Context::Picker,
        }
    }

    /// The ticket the overlay is about, if any.
    pub fn ticket(&self) -> Option<TicketId> {
        match self {
            Overlay::Macros(p) => Some(p.ticket),
            Overlay::Palette(p) => p.ticket,
            Overlay::Prompt(p) => p.kind.ticket(),
            Overlay::Help(_) | Overlay::Alerts(_) => None,
        }
    }

    /// Handles `key`, which the keymap maps to `action` in
    /// [`Overlay::context`] (or to nothing).
    pub fn key(&mut self, key: Key, action: Option<Action>, env: &mut Env<'_>) -> Outcome {
        match self {
            Overlay::Help(h) => h.key(action),
            Overlay::Alerts(a) => a.key(action, env),
            Overlay::Palette(p) => p.key(key, action, env),
            Overlay::Macros(p) => p.key(key, action, env),
            Overlay::Prompt(p) => p.key(key, action),
        }
    }

    pub fn paste(&mut self, text: &str, env: &mut Env<'_>) {
        match self {
            Overlay::Prompt(p) => p.input.insert_str(&text.replace('\n', " ")),
            Overlay::Macros(p) => {
                p.query.push_str(text.lines().next().unwrap_or(""));
                p.refresh(env.macros, env.ranker);
            }
            Overlay::Palette(p) => {
                p.query.push_str(text.lines().next().unwrap_or(""));
                p.refresh(env.ranker);
            }
            Overlay::Help(_) | Overlay::Alerts(_) => {}
        }
    }

    pub fn draw(&self, f: &mut Frame, cx: &DrawCtx<'_>, area: Rect) {
        match self {
            Overlay::Help(h) => h.draw(f, cx, area),
            Overlay::Macros(p) => p.draw(f, cx, area),
            Overlay::Palette(p) => p.draw(f, cx, area),
            Overlay::Prompt(p) => p.draw(f, cx, area),
            Overlay::Alerts(a) => a.draw(f, cx, area),
        }
    }
}

/// Moves a selection within `len` entries by `delta`, clamped.
pub fn step(selected: usize, len: usize, delta: isize) -> usize {
    if len == 0 {
        return 0;
    }
    (selected as isize + delta).clamp(0, len as isize - 1) as usize
}

/// Typing in a picker's query; true when the query changed.
pub fn edit_query(q: &mut String, key: Key) -> bool {
    use crossterm::event::KeyCode;
    match key.code {
        KeyCode::Char('w') if key.ctrl => {
            let trimmed = q.trim_end().len();
            let cut = q[..trimmed].rfind(' ').map_or(0, |i| i + 1);
            q.truncate(cut);
            true
        }
        KeyCode::Char('u') if key.ctrl => {
            q.clear();
            true
        }
        KeyCode::Char(c) if !key.ctrl && !key.alt => {
            q.push(c);
            true
        }
        KeyCode::Backspace => q.pop().is_some(),
        _ => false,
    }
}
