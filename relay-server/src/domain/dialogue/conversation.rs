//! Where a private chat stands before its ticket exists, the customer's
//! words held meanwhile (drafts), and rate limits for repeated notices.

use rusqlite::{OptionalExtension, params};
use shared::{Attachment, Customer, CustomerId, Timestamp};

use crate::domain::DomainError;
use crate::domain::intake::Inbound;
use crate::store::WriteCtx;

/// What the bot waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// "May we keep this conversation?"
    Consent,
    /// A topic button.
    Topic,
    /// The answer to a clarifying question (`step` of the topic's).
    Question,
    /// An optional screenshot (or Skip).
    Screenshot,
    /// "Did this article help?"
    Kb,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Consent => "consent",
            Stage::Topic => "topic",
            Stage::Question => "question",
            Stage::Screenshot => "screenshot",
            Stage::Kb => "kb",
        }
    }

    fn parse(s: &str) -> Stage {
        match s {
            "consent" => Stage::Consent,
            "question" => Stage::Question,
            "screenshot" => Stage::Screenshot,
            "kb" => Stage::Kb,
            _ => Stage::Topic,
        }
    }
}

/// A prompt is repeated at most this often when the customer writes
/// instead of pressing a button.
const REPROMPT_MS: i64 = 60_000;

#[derive(Debug, Clone)]
pub struct Conversation {
    pub chat_id: i64,
    pub customer_id: CustomerId,
    pub stage: Stage,
    pub topic: Option<String>,
    pub step: usize,
    /// The knowledge-base article offered, if one was.
    pub article: Option<String>,
    /// The /start deep-link payload, if the customer came through one.
    pub payload: Option<String>,
    pub prompted_at: Timestamp,
    /// Whether it was loaded from the database (false: just started).
    pub exists: bool,
}

impl Conversation {
    pub fn new(customer: &Customer, chat_id: i64, stage: Stage) -> Self {
        Conversation {
            chat_id,
            customer_id: customer.id,
            stage,
            topic: None,
            step: 0,
            article: None,
            payload: None,
            prompted_at: Timestamp(0),
            exists: false,
        }
    }

    pub fn load(ctx: &WriteCtx<'_>, chat_id: i64) -> Result<Option<Self>, DomainError> {
        Ok(ctx
            .conn
            .prepare_cached(
                "SELECT customer_id, stage, topic, step, article, payload, prompted_at FROM conversations WHERE chat_id = ?1",
            )?
            .query_row([chat_id], |r| {
                Ok(Conversation {
                    chat_id,
                    customer_id: CustomerId(r.get(0)?),
                    stage: Stage::parse(&r.get::<_, String>(1)?),
                    topic: r.get(2)?,
                    step: r.get::<_, i64>(3)? as usize,
                    article: r.get(4)?,
                    payload: r.get(5)?,
                    prompted_at: Timestamp(r.get(6)?),
                    exists: true,
                })
            })
            .optional()?)
    }

    /// Loads the chat's conversation or starts one at `stage`.
    pub fn load_or_new(
        ctx: &WriteCtx<'_>,
        customer: &Customer,
        chat_id: i64,
        stage: Stage,
    ) -> Result<Self, DomainError> {
        Ok(Self::load(ctx, chat_id)?.unwrap_or_else(|| Self::new(customer, chat_id, stage)))
    }

    /// Whether a prompt may be repeated now.
    pub fn may_remind(&self, now: Timestamp) -> bool {
        now.0 - self.prompted_at.0 >= REPROMPT_MS
    }

    pub fn save(&mut self, ctx: &WriteCtx<'_>) -> Result<(), DomainError> {
        ctx.conn
            .prepare_cached(
                "INSERT INTO conversations (chat_id, customer_id, stage, topic, step, article, payload, prompted_at, started_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
                 ON CONFLICT (chat_id) DO UPDATE SET customer_id = excluded.customer_id, stage = excluded.stage,
                     topic = excluded.topic, step = excluded.step, article = excluded.article,
                     payload = excluded.payload, prompted_at = excluded.prompted_at, updated_at = excluded.updated_at",
            )?
            .execute(params![
                self.chat_id,
                self.customer_id.0,
                self.stage.as_str(),
                self.topic,
                self.step as i64,
                self.article,
                self.payload,
                self.prompted_at.0,
                ctx.now.0,
            ])?;
        self.exists = true;
        Ok(())
    }

    /// Ends the chat's conversation and drops whatever drafts remain.
    pub fn end(ctx: &WriteCtx<'_>, chat_id: i64) -> Result<(), DomainError> {
        ctx.conn
            .prepare_cached("DELETE FROM conversations WHERE chat_id = ?1")?
            .execute([chat_id])?;
        ctx.conn
            .prepare_cached("DELETE FROM drafts WHERE chat_id = ?1")?
            .execute([chat_id])?;
        Ok(())
    }
}

/// A customer message held until the ticket exists.
#[derive(Debug, Clone)]
pub struct Draft {
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub telegram_message_id: Option<i64>,
    pub sent_at: Option<Timestamp>,
    /// The clarifying question it answers.
    pub question: Option<String>,
    pub edited_at: Option<Timestamp>,
}

pub fn add_draft(
    ctx: &WriteCtx<'_>,
    msg: &Inbound,
    question: Option<&str>,
) -> Result<(), DomainError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO drafts (chat_id, text, attachments, telegram_message_id, sent_at, question, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            msg.chat_id,
            msg.text,
            serde_json::to_string(&msg.attachments)?,
            msg.telegram_message_id,
            msg.sent_at.map(|t| t.0),
            question,
            ctx.now.0,
        ])?;
    Ok(())
}

pub fn drafts(ctx: &WriteCtx<'_>, chat_id: i64) -> Result<Vec<Draft>, DomainError> {
    let rows = ctx
        .conn
        .prepare_cached(
            "SELECT text, attachments, telegram_message_id, sent_at, question, edited_at FROM drafts
             WHERE chat_id = ?1 ORDER BY id",
        )?
        .query_map([chat_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(text, att, tg, sent, question, edited)| {
            Ok(Draft {
                text,
                attachments: serde_json::from_str(&att)?,
                telegram_message_id: tg,
                sent_at: sent.map(Timestamp),
                question,
                edited_at: edited.map(Timestamp),
            })
        })
        .collect()
}

/// True (and noted) when no notice of `kind` went to the chat in the last
/// `every_ms`.
pub fn notice_due(
    ctx: &WriteCtx<'_>,
    chat_id: i64,
    kind: &str,
    every_ms: i64,
) -> Result<bool, DomainError> {
    let last: Option<i64> = ctx
        .conn
        .prepare_cached("SELECT at FROM notices WHERE chat_id = ?1 AND kind = ?2")?
        .query_row(params![chat_id, kind], |r| r.get(0))
        .optional()?;
    if last.is_some_and(|at| ctx.now.0 - at < every_ms) {
        return Ok(false);
    }
    ctx.conn
        .prepare_cached(
            "INSERT INTO notices (chat_id, kind, at) VALUES (?1, ?2, ?3)
             ON CONFLICT (chat_id, kind) DO UPDATE SET at = excluded.at",
        )?
        .execute(params![chat_id, kind, ctx.now.0])?;
    Ok(true)
}
