//! The configured queues and their SLA targets.

use shared::{Queue, QueueId};

/// The queues, in configured order; the first is where unrouted tickets go.
#[derive(Debug, Clone)]
pub struct Queues {
    list: Vec<Queue>,
}

impl Queues {
    /// Fails on an empty list, duplicate ids or ids that are not
    /// 1-32 characters of `A-Z a-z 0-9 _ -`.
    pub fn new(list: Vec<Queue>) -> Result<Self, String> {
        if list.is_empty() {
            return Err("at least one queue must be configured".into());
        }
        for (i, q) in list.iter().enumerate() {
            if !super::validate::is_queue_id(q.id.as_str()) {
                return Err(format!(
                    "queue id {:?} must be 1-32 characters of A-Z, a-z, 0-9, _ or -",
                    q.id.as_str()
                ));
            }
            if list[..i].iter().any(|p| p.id == q.id) {
                return Err(format!("queue {} is configured twice", q.id));
            }
        }
        Ok(Queues { list })
    }

    pub fn get(&self, id: &QueueId) -> Option<&Queue> {
        self.list.iter().find(|q| &q.id == id)
    }

    pub fn default_queue(&self) -> &Queue {
        &self.list[0]
    }

    pub fn all(&self) -> &[Queue] {
        &self.list
    }
}
