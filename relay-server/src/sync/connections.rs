//! Which agents have a workstation connected: the source of presence.
//! Each change queues a write job that reads the count when it runs, so
//! however open and close jobs interleave, the stored presence ends up
//! matching the connections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use shared::{AgentId, Presence};

use crate::domain::{DomainError, presence};
use crate::store::Store;

/// Open connections per agent.
#[derive(Debug, Default, Clone)]
pub struct Connections {
    open: Arc<Mutex<HashMap<AgentId, usize>>>,
}

impl Connections {
    fn count(&self, agent: AgentId) -> usize {
        self.open
            .lock()
            .map(|m| m.get(&agent).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    fn change(&self, agent: AgentId, opened: bool) {
        if let Ok(mut m) = self.open.lock() {
            let n = m.entry(agent).or_insert(0);
            *n = if opened { *n + 1 } else { n.saturating_sub(1) };
            if *n == 0 {
                m.remove(&agent);
            }
        }
    }

    /// A connection of `agent` was accepted.
    pub async fn opened(&self, store: &Store, agent: AgentId) {
        self.change(agent, true);
        self.sync(store, agent).await;
    }

    /// A connection of `agent` ended.
    pub async fn closed(&self, store: &Store, agent: AgentId) {
        self.change(agent, false);
        self.sync(store, agent).await;
    }

    async fn sync(&self, store: &Store, agent: AgentId) {
        let me = self.clone();
        let result = store
            .write(move |ctx| {
                if me.count(agent) > 0 {
                    presence::connected(ctx, agent)
                } else {
                    presence::set(ctx, agent, Presence::Offline)
                }
            })
            .await;
        match result {
            Ok(_) => {}
            // Removed meanwhile: nothing to keep.
            Err(DomainError {
                code: shared::ErrorCode::NotFound,
                ..
            }) => {}
            Err(e) => tracing::warn!(%agent, "cannot record presence: {e}"),
        }
    }
}
