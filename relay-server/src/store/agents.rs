//! The agents table: support engineers, their tokens' hashes, queues,
//! capacity and presence.

use super::{Db, StoreError};

/// Login names of the supervisors (leads), oldest first.
pub fn supervisor_names(db: &impl Db) -> Result<Vec<String>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT name FROM agents WHERE role = 'supervisor' AND removed_at IS NULL ORDER BY id",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}
