//! Who saw which variant of each A/B test (`experiment_assignments`).

use rusqlite::params;
use shared::{CustomerId, Timestamp};

use super::{Db, StoreError, WriteCtx};

/// Records `customer`'s variant of `experiment`, unless recorded already
/// (the first assignment stands).
pub fn assign(
    ctx: &WriteCtx<'_>,
    experiment: &str,
    customer: CustomerId,
    variant: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT OR IGNORE INTO experiment_assignments (experiment, customer_id, variant, assigned_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![experiment, customer.0, variant, at.0])?;
    Ok(())
}

/// One recorded assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub experiment: String,
    pub customer_id: i64,
    pub variant: String,
    pub at: Timestamp,
}

/// Every assignment, by experiment and customer.
pub fn all(db: &impl Db) -> Result<Vec<Assignment>, StoreError> {
    Ok(db
        .conn()
        .prepare(
            "SELECT experiment, customer_id, variant, assigned_at FROM experiment_assignments
             ORDER BY experiment, customer_id",
        )?
        .query_map([], |r| {
            Ok(Assignment {
                experiment: r.get(0)?,
                customer_id: r.get(1)?,
                variant: r.get(2)?,
                at: Timestamp(r.get(3)?),
            })
        })?
        .collect::<Result<_, _>>()?)
}
