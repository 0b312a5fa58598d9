//! Consistency figures the rules must keep, read straight from the tables
//! (property tests check them after every step).

use super::{Db, StoreError};

/// Tickets not closed, per queue id.
pub fn open_by_queue(db: &impl Db) -> Result<Vec<(String, u64)>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT queue, count(*) FROM tickets WHERE status <> 'closed' GROUP BY queue ORDER BY queue",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// An active agent's load as the trigger keeps it, and as counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub name: String,
    /// `agents.holding`, kept by a trigger.
    pub holding: u32,
    pub capacity: u32,
    /// Unresolved tickets actually assigned to them.
    pub actual: u32,
}

pub fn holdings(db: &impl Db) -> Result<Vec<Holding>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT a.name, a.holding, a.capacity,
                    (SELECT count(*) FROM tickets t WHERE t.assignee = a.id
                       AND t.status IN ('new', 'open', 'pending_on_customer'))
             FROM agents a WHERE a.removed_at IS NULL ORDER BY a.id",
        )?
        .query_map([], |r| {
            Ok(Holding {
                name: r.get(0)?,
                holding: r.get(1)?,
                capacity: r.get(2)?,
                actual: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}
