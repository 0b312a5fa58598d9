//! The client side of the relay server's sync protocol (docs/protocol.md):
//! [`Connection`] speaks the WebSocket protocol, [`Mirror`] keeps a copy of
//! the server's state from snapshots and events and computes the state
//! digest. Used by agent-tui, the end-to-end tests and the benchmarks.

mod connection;
mod files;
mod mirror;
mod tls;

pub use connection::{ClientError, Connection, Incoming, Welcome};
pub use files::{FileError, Files};
pub use mirror::{Mirror, MirrorError};
pub use tls::ClientTls;
