//! Where a private chat stands before its ticket exists, the customer's
//! words held meanwhile (drafts), and rate limits for repeated notices.

use std::time::Duration;

use shared::{Customer, CustomerId, Timestamp};

use crate::domain::DomainError;
use crate::domain::intake::Inbound;
use crate::store::{WriteCtx, conversations};

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
    pub fn as_str(self) -> &'static str {
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
const REPROMPT: Duration = Duration::from_secs(60);

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
        Ok(conversations::load(ctx, chat_id)?.map(|r| Conversation {
            chat_id,
            customer_id: r.customer_id,
            stage: Stage::parse(&r.stage),
            topic: r.topic,
            step: r.step,
            article: r.article,
            payload: r.payload,
            prompted_at: r.prompted_at,
            exists: true,
        }))
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
        now.since(self.prompted_at) >= REPROMPT
    }

    pub fn save(&mut self, ctx: &WriteCtx<'_>) -> Result<(), DomainError> {
        conversations::save(
            ctx,
            &conversations::ConversationRow {
                chat_id: self.chat_id,
                customer_id: self.customer_id,
                stage: self.stage.as_str().to_owned(),
                topic: self.topic.clone(),
                step: self.step,
                article: self.article.clone(),
                payload: self.payload.clone(),
                prompted_at: self.prompted_at,
            },
        )?;
        self.exists = true;
        Ok(())
    }

    /// Ends the chat's conversation and drops whatever drafts remain.
    pub fn end(ctx: &WriteCtx<'_>, chat_id: i64) -> Result<(), DomainError> {
        Ok(conversations::end(ctx, chat_id)?)
    }
}

pub use crate::store::conversations::Draft;

pub fn add_draft(
    ctx: &WriteCtx<'_>,
    msg: &Inbound,
    question: Option<&str>,
) -> Result<(), DomainError> {
    let draft = Draft {
        text: msg.text.clone(),
        attachments: msg.attachments.clone(),
        telegram_message_id: msg.telegram_message_id,
        sent_at: msg.sent_at,
        question: question.map(str::to_owned),
        edited_at: None,
        received_at: ctx.now,
    };
    Ok(conversations::add_draft(ctx, msg.chat_id, &draft)?)
}

pub fn drafts(ctx: &WriteCtx<'_>, chat_id: i64) -> Result<Vec<Draft>, DomainError> {
    Ok(conversations::drafts(ctx, chat_id)?)
}

/// True (and noted) when no notice of `kind` went to the chat in the last
/// `every`.
pub fn notice_due(
    ctx: &WriteCtx<'_>,
    chat_id: i64,
    kind: &str,
    every: Duration,
) -> Result<bool, DomainError> {
    let last = conversations::notice_at(ctx, chat_id, kind)?;
    if last.is_some_and(|at| ctx.now.since(at) < every) {
        return Ok(false);
    }
    conversations::set_notice(ctx, chat_id, kind)?;
    Ok(true)
}
