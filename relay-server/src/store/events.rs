//! The event log as stored (JSON envelopes in `seq` order).

use super::{Db, StoreError};

/// Every stored envelope, oldest first (tests and tools; the log can be long).
pub fn all(db: &impl Db) -> Result<Vec<String>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT body FROM events ORDER BY seq")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// The newest envelope, if any.
pub fn last(db: &impl Db) -> Result<Option<String>, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(db
        .conn()
        .query_row(
            "SELECT body FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?)
}
