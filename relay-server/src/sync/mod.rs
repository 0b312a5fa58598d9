//! The WebSocket adapter: turns frames into domain calls and the event log
//! into frames. Rules live in `domain`, storage in `store`.

pub mod connections;
mod frames;
mod handshake;
mod inbound;
mod outbound;
pub mod session;

pub use session::serve;
