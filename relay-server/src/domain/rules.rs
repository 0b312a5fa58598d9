//! The desk's standing rules: routing, automations, assignment and the
//! staff chat (built from the settings in `config`).

use std::time::Duration;

use shared::TicketStatus;

use super::routing::Route;

/// Routing, assignment, automations and the staff chat.
#[derive(Debug, Clone)]
pub struct Rules {
    pub routes: Vec<Route>,
    pub automations: Vec<Automation>,
    /// Assign new tickets to online agents automatically.
    pub auto_assign: bool,
    /// An agent offline this long has their tickets handed back.
    pub offline_grace: Duration,
    /// The internal staff chat, if any.
    pub staff_chat: Option<i64>,
}

/// The state a rule waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Pending,
    Resolved,
}

impl When {
    pub fn status(self) -> TicketStatus {
        match self {
            When::Pending => TicketStatus::PendingOnCustomer,
            When::Resolved => TicketStatus::Resolved,
        }
    }
}

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Do {
    Remind,
    Close,
    StaffChat,
}

#[derive(Debug, Clone)]
pub struct Automation {
    pub name: String,
    pub when: When,
    pub after: Duration,
    pub action: Do,
}
