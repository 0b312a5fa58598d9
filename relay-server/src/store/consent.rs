//! The consent log: every answer to the consent question and every
//! withdrawal, with the exact text version (docs/privacy.md).

use rusqlite::params;
use serde::Serialize;
use shared::{CustomerId, Timestamp};

use super::{Db, StoreError, WriteCtx};

/// What the customer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Agreed,
    Declined,
    Withdrawn,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Agreed => "agreed",
            Action::Declined => "declined",
            Action::Withdrawn => "withdrawn",
        }
    }

    fn parse(s: &str) -> Action {
        match s {
            "agreed" => Action::Agreed,
            "declined" => Action::Declined,
            _ => Action::Withdrawn,
        }
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub action: Action,
    /// The desk's version of its consent text (`bot.consent_version`).
    pub version: String,
    /// The language the text was shown in.
    pub language: String,
    /// SHA-256 of the text's exact wording (hex), so a changed wording is
    /// told apart even where the version was not raised.
    pub text_sha256: String,
    pub at: Timestamp,
}

pub fn log(ctx: &WriteCtx<'_>, customer: CustomerId, r: &Record) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO consent_log (customer_id, action, version, language, text_sha256, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            customer.0,
            r.action.as_str(),
            r.version,
            r.language,
            r.text_sha256,
            r.at.0
        ])?;
    Ok(())
}

/// A customer's log, oldest first.
pub fn of(db: &impl Db, customer: CustomerId) -> Result<Vec<Record>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT action, version, language, text_sha256, at FROM consent_log
             WHERE customer_id = ?1 ORDER BY id",
        )?
        .query_map([customer.0], |r| {
            Ok(Record {
                action: Action::parse(&r.get::<_, String>(0)?),
                version: r.get(1)?,
                language: r.get(2)?,
                text_sha256: r.get(3)?,
                at: Timestamp(r.get(4)?),
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// The customer withdrew their consent: `consent_at` is cleared.
pub fn clear(ctx: &WriteCtx<'_>, customer: CustomerId) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE customers SET consent_at = NULL WHERE id = ?1")?
        .execute([customer.0])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::store;

    #[tokio::test]
    async fn the_log_keeps_every_answer_in_order() {
        let (_dir, store) = store();
        let rec = |action, at| Record {
            action,
            version: "2".into(),
            language: "uk".into(),
            text_sha256: "ab".repeat(32),
            at: Timestamp(at),
        };
        let (a, b) = (rec(Action::Agreed, 10), rec(Action::Withdrawn, 20));
        let (a2, b2) = (a.clone(), b.clone());
        store
            .write(move |ctx| {
                log(ctx, CustomerId(7), &a2)?;
                log(ctx, CustomerId(8), &a2)?;
                log(ctx, CustomerId(7), &b2)
            })
            .await
            .unwrap();
        let got = store
            .readers()
            .read(|c| of(c, CustomerId(7)))
            .await
            .unwrap();
        assert_eq!(got, vec![a, b]);
    }
}
