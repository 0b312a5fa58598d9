//! self_service: knowledge-base answers offered to customers and whether
//! they helped.

use rusqlite::params;
use shared::CustomerId;

use super::{Db, StoreError, WriteCtx};

/// An article was offered for the customer's question.
pub fn offered(
    ctx: &WriteCtx<'_>,
    customer: CustomerId,
    article: &str,
    question: &str,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO self_service (customer_id, article, question, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![customer.0, article, question, ctx.now.0])?;
    Ok(())
}

/// The customer opened `to` from the list whose answer was recorded as
/// `from`: their last answer is about `to` now.
pub fn opened(
    ctx: &WriteCtx<'_>,
    customer: CustomerId,
    from: &str,
    to: &str,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE self_service SET article = ?3
             WHERE id = (SELECT max(id) FROM self_service WHERE customer_id = ?1 AND article = ?2)",
        )?
        .execute(params![customer.0, from, to])?;
    Ok(())
}

/// The customer said whether the article (last offered to them) helped.
pub fn answered(
    ctx: &WriteCtx<'_>,
    customer: CustomerId,
    article: &str,
    helped: bool,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE self_service SET helped = ?3, answered_at = ?4
             WHERE id = (SELECT max(id) FROM self_service WHERE customer_id = ?1 AND article = ?2)",
        )?
        .execute(params![customer.0, article, helped, ctx.now.0])?;
    Ok(())
}

/// Articles by how often they helped (said "yes"), most first: the
/// popular solutions the mini app lists before anything is searched.
pub fn helped_counts(db: &impl Db) -> Result<Vec<(String, u64)>, StoreError> {
    let mut stmt = db.conn().prepare_cached(
        "SELECT article, count(*) AS n FROM self_service WHERE helped = 1
         GROUP BY article ORDER BY n DESC, article",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
