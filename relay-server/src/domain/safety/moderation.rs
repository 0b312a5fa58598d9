//! What a moderation call's outcome does (the calls themselves are made by
//! the Telegram adapter's moderator): recorded; a posted notice gets its
//! own removal queued; a call refused for lack of rights is told to the
//! staff chat, once an hour per group, with what to do.

use std::time::Duration;

use shared::Timestamp;

use crate::domain::DomainError;
use crate::domain::desk::Desk;
use crate::domain::outbox::staff_post;
use crate::store::WriteCtx;
use crate::store::groups as group_rows;
use crate::store::safety::{self as rows, ModAction, ModJob};

/// How a call went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done; for a notice, the id Telegram gave it.
    Done(Option<i64>),
    /// Try again at this time.
    Retry(Timestamp, String),
    /// The message to edit is gone.
    Missing,
    /// Will not work (Telegram's reason); `rights`: the bot lacks an admin
    /// right.
    Failed { reason: String, rights: bool },
}

/// What a call that went through makes follow: a notice's removal, a
/// captcha's message kept, the list of official accounts kept (and
/// pinned), a captcha's expiry.
fn done(ctx: &mut WriteCtx<'_>, job: &ModJob, posted: Option<i64>) -> Result<(), DomainError> {
    match (job.action, posted) {
        (ModAction::Notice, Some(id)) => {
            if let Some(lifetime) = job.lifetime {
                rows::moderate(
                    ctx,
                    job.chat_id,
                    ModAction::Delete,
                    None,
                    Some(id),
                    ctx.now + lifetime,
                )?;
            }
        }
        (ModAction::Captcha, Some(id)) => {
            if let Some(c) = job.captcha_id {
                super::captcha::posted(ctx, c, id)?;
            }
        }
        (ModAction::Official, Some(id)) => super::official::posted(ctx, job.chat_id, id)?,
        (ModAction::Expire, _) => {
            if let Some(c) = job.captcha_id {
                super::captcha::expire(ctx, c)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A post of the safety rules (a notice, a captcha, the list of official
/// accounts) was delivered through the outbox as `telegram_id`.
pub fn sent(ctx: &mut WriteCtx<'_>, call: i64, telegram_id: i64) -> Result<(), DomainError> {
    let Some(job) = rows::call(ctx, call)? else {
        return Ok(());
    };
    rows::moderation_outcome(ctx, call, Ok(()))?;
    done(ctx, &job, Some(telegram_id))
}

/// A post of the safety rules could not be delivered.
pub fn not_sent(ctx: &mut WriteCtx<'_>, call: i64, reason: &str) -> Result<(), DomainError> {
    rows::moderation_outcome(ctx, call, Err((reason.to_owned(), None)))?;
    tracing::warn!(call, "safety: a post could not be sent: {reason}");
    Ok(())
}

/// Staff hear of missing rights at most this often per group.
const RIGHTS_NOTICE_EVERY: Duration = Duration::from_secs(3600);

/// Records a call's outcome.
pub fn outcome(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    job: &ModJob,
    outcome: &Outcome,
) -> Result<(), DomainError> {
    match outcome {
        Outcome::Done(posted) => {
            rows::moderation_outcome(ctx, job.id, Ok(()))?;
            done(ctx, job, *posted)?;
        }
        Outcome::Missing => {
            // The list of official accounts to edit is gone (deleted by
            // someone): posted anew.
            rows::moderation_outcome(ctx, job.id, Ok(()))?;
            if job.action == ModAction::Official {
                super::official::repost(ctx, job.chat_id, job.text.as_deref().unwrap_or_default())?;
            }
        }
        Outcome::Retry(at, why) => {
            rows::moderation_outcome(ctx, job.id, Err((why.clone(), Some(*at))))?;
        }
        Outcome::Failed { reason, rights } => {
            let told = *rights
                && rows::rights_failure_since(ctx, job.chat_id, ctx.now - RIGHTS_NOTICE_EVERY)?;
            rows::moderation_outcome(ctx, job.id, Err((reason.clone(), None)))?;
            tracing::warn!(
                chat = job.chat_id,
                action = job.action.as_str(),
                "safety: a moderation call failed: {reason}"
            );
            if *rights && !told {
                let title = group_rows::group(ctx, job.chat_id)?
                    .map_or_else(|| format!("chat {}", job.chat_id), |g| g.title);
                let what = match job.action {
                    ModAction::Delete => "delete a message",
                    ModAction::Ban => "ban a member",
                    ModAction::Kick => "remove a member who did not pass the captcha",
                    ModAction::Restrict => "restrict a newcomer",
                    ModAction::Lift => "lift a member's restrictions",
                    ModAction::Notice => "post a notice",
                    ModAction::Approve | ModAction::Decline => "answer a join request",
                    ModAction::Captcha => "post a captcha",
                    ModAction::Expire => "expire a captcha",
                    ModAction::Official => "post and pin the list of official accounts",
                    ModAction::Pin => "pin the list of official accounts",
                };
                staff_post(
                    ctx,
                    desk,
                    &format!(
                        "⚠️ The bot could not {what} in {title}: {reason}. Make it an administrator of the group with the rights to delete messages and ban users."
                    ),
                )?;
            }
        }
    }
    Ok(())
}
