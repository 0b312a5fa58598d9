//! Identifier newtypes. Each is a bare JSON number or string on the wire.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! int_id {
    ($(#[$doc:meta] $name:ident($inner:ty);)*) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

int_id! {
    /// Internal ticket id (not the public `#number`).
    TicketId(i64);
    /// Internal customer id.
    CustomerId(i64);
    /// Message id; increases with time across all tickets.
    MessageId(i64);
    /// Agent (support engineer) id.
    AgentId(i64);
    /// Macro (canned response) id.
    MacroId(i64);
    /// Position in the server's event log: gap-free, starts at 1.
    Seq(u64);
    /// An organisation (a client company with its groups).
    OrganisationId(i64);
    /// A conversation inside a customer group (a topic, a reply chain, a burst).
    ConversationId(i64);
    /// A message of a customer group (the desk's id, not Telegram's).
    GroupMessageId(i64);
    /// A message held by the group safety checks.
    HeldId(i64);
}

/// Milliseconds since the Unix epoch, UTC.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// `self` plus `minutes`.
    pub fn plus_minutes(self, minutes: u32) -> Timestamp {
        Timestamp(self.0 + i64::from(minutes) * 60_000)
    }

    /// How long after `earlier` this is (zero when it is not after).
    pub fn since(self, earlier: Timestamp) -> std::time::Duration {
        std::time::Duration::from_millis(u64::try_from(self.0 - earlier.0).unwrap_or(0))
    }

    /// Signed milliseconds from `earlier` to this (negative: before it).
    pub fn ms_since(self, earlier: Timestamp) -> i64 {
        self.0 - earlier.0
    }

    /// The earliest of the times given, if any is.
    pub fn earliest(times: impl IntoIterator<Item = Option<Timestamp>>) -> Option<Timestamp> {
        times.into_iter().flatten().min()
    }
}

/// A duration in the milliseconds the wire's `*_ms` fields and timestamps
/// count in (saturating).
pub fn duration_ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl std::ops::Add<std::time::Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: std::time::Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(duration_ms(d)))
    }
}

impl std::ops::Sub<std::time::Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: std::time::Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(duration_ms(d)))
    }
}

impl std::ops::AddAssign<std::time::Duration> for Timestamp {
    fn add_assign(&mut self, d: std::time::Duration) {
        *self = *self + d;
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A queue's identifier, such as `L1` or `VIP`, as configured on the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QueueId(pub String);

impl QueueId {
    pub fn new(s: impl Into<String>) -> Self {
        QueueId(s.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A client-made command id: 1 to 64 visible ASCII characters (no spaces).
/// A command sent twice with the same id by the same agent is applied once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommandId(pub String);

impl CommandId {
    pub fn new(s: impl Into<String>) -> Self {
        CommandId(s.into())
    }
    /// Whether the id is acceptable: 1 to 64 visible ASCII characters.
    pub fn is_valid(&self) -> bool {
        (1..=64).contains(&self.0.len()) && self.0.bytes().all(|b| b.is_ascii_graphic())
    }
}

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
