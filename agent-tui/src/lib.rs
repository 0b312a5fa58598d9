//! agent-tui: the support engineer's terminal workstation.
//!
//! The app is state + actions + pure render functions: [`state::App`]
//! holds the mirrored server data and view state, [`App::handle`] applies
//! an [`update::Input`] (a key, a paste, a network event, a clock tick) and
//! returns [`update::Effect`]s, and [`ui::draw`] renders from `&App`. The
//! network worker ([`net`]) owns the WebSocket; [`run`] ties it all to a
//! real terminal, and [`session`] drives the same app headless.

pub mod action;
pub mod alerts;
pub mod compose;
pub mod config;
pub mod dashboard;
pub mod fixtures;
pub mod fuzzy;
pub mod groups;
pub mod keymap;
pub mod net;
pub mod overlay;
pub mod persist;
pub mod quarantine;
pub mod session;
pub mod sla;
pub mod state;
pub mod template;
pub mod terminal;
pub mod ui;
pub mod update;
pub mod views;

pub use state::App;
