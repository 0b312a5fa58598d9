//! Customer groups on the workstation: the order of their conversations
//! and what each one's clock says, computed from the mirror.

use relay_client::Mirror;
use shared::{ConversationId, GroupConversation, Timestamp};

use crate::sla::Level;

/// Where a conversation stands, for its row and title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Past its due time (acknowledged or not).
    Overdue {
        by_ms: i64,
        acked: bool,
    },
    /// Owed, due at a time.
    Due {
        in_ms: i64,
    },
    /// Owed in an unbound group: no SLA.
    Waiting {
        for_ms: i64,
    },
    Answered,
}

impl Standing {
    pub fn of(c: &GroupConversation, now: Timestamp) -> Standing {
        match (c.owed_since, c.due_at) {
            (None, _) => Standing::Answered,
            (Some(since), None) => Standing::Waiting {
                for_ms: now.ms_since(since),
            },
            (Some(_), Some(due)) if due <= now => Standing::Overdue {
                by_ms: now.ms_since(due),
                acked: c.acked_by.is_some(),
            },
            (Some(_), Some(due)) => Standing::Due {
                in_ms: due.ms_since(now),
            },
        }
    }

    /// "OVERDUE 12m", "due in 4m", "waiting 3m (unbound)", "answered".
    pub fn text(&self) -> String {
        match self {
            Standing::Overdue { by_ms, acked } => {
                let ack = if *acked { ", acked" } else { "" };
                format!("OVERDUE {}{ack}", crate::sla::age(*by_ms))
            }
            Standing::Due { in_ms } => format!("due in {}", crate::sla::age(*in_ms)),
            Standing::Waiting { for_ms } => {
                format!("waiting {} (unbound)", crate::sla::age(*for_ms))
            }
            Standing::Answered => "answered".into(),
        }
    }

    /// How loud it is: due within `warn_ms` is a warning.
    pub fn level(&self, warn_ms: i64) -> Option<Level> {
        match self {
            Standing::Overdue { .. } => Some(Level::Breached),
            Standing::Due { in_ms } if *in_ms <= warn_ms => Some(Level::Warning),
            Standing::Due { .. } | Standing::Waiting { .. } => Some(Level::Ok),
            Standing::Answered => None,
        }
    }

    pub fn owed(&self) -> bool {
        !matches!(self, Standing::Answered)
    }
}

/// The Groups screen's order: owed conversations first, the one due
/// soonest (most overdue) on top, acknowledged ones after those nobody
/// acknowledged, unbound ones after them by waiting time; then the rest,
/// latest activity first.
pub fn rows(mirror: &Mirror) -> Vec<ConversationId> {
    let mut v: Vec<&GroupConversation> = mirror.conversations.values().collect();
    v.sort_by_key(|c| {
        (
            c.owed_since.is_none(),
            c.acked_by.is_some(),
            c.due_at.is_none(),
            c.due_at.or(c.owed_since).map_or(0, |t| t.0),
            std::cmp::Reverse(c.last_at),
            c.id,
        )
    });
    v.into_iter().map(|c| c.id).collect()
}

/// "Acme · Support chat", or the chat id for a group not (yet) known.
pub fn place(mirror: &Mirror, c: &GroupConversation) -> String {
    let Some(g) = mirror.groups.get(&c.chat_id) else {
        return c.chat_id.to_string();
    };
    match g.organisation_id.and_then(|o| mirror.organisations.get(&o)) {
        Some(o) => format!("{} · {}", o.name, g.title),
        None => format!("unbound · {}", g.title),
    }
}

/// How many conversations wait, and how many of those are overdue.
pub fn counts(mirror: &Mirror, now: Timestamp) -> (usize, usize) {
    let mut waiting = 0;
    let mut overdue = 0;
    for c in mirror.conversations.values() {
        match Standing::of(c, now) {
            Standing::Overdue { .. } => {
                waiting += 1;
                overdue += 1;
            }
            Standing::Answered => {}
            _ => waiting += 1,
        }
    }
    (waiting, overdue)
}
