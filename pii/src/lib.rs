//! Personal data kept out of logs: [`mask`] finds payment card numbers,
//! e-mail addresses and phone numbers in text; [`MaskedStderr`] and
//! [`MaskedFile`] are `tracing` writers that mask every log line before it
//! is written. The relay server, the demo and agent-tui log through them.

mod mask;
mod writer;

pub use mask::mask;
pub use writer::{MaskedFile, MaskedStderr};
