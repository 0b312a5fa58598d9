//! Wire types of the support desk: what the relay server and its clients
//! (agent-tui, tests, other-language clients) exchange over the WebSocket.
//!
//! Only plain serde types live here, plus the state digest and the strict
//! reading of client frames (`parse`), which are part of the protocol's
//! contract. No I/O, no runtime, no database.

pub mod app;
pub mod digest;
pub mod event;
pub mod figures;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod groups;
pub mod ids;
pub mod model;
pub mod parse;
pub mod protocol;
pub mod safety;

pub use app::*;
pub use event::{Event, EventEnvelope, TicketChange};
pub use figures::*;
pub use groups::*;
pub use ids::*;
pub use model::*;
pub use protocol::*;
pub use safety::*;
