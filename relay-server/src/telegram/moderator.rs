//! The moderator: makes the group-admin calls the safety rules queued
//! (delete a held message, ban, lift restrictions, post and later remove a
//! short notice), in order of due time, apart from the outbox so a spam
//! wave's deletions never wait behind replies paced at 20 a minute.
//! Deletions due in the same group go out together (`deleteMessages`, up
//! to 100). Calls are spaced so the bot stays well under Telegram's
//! overall limit. Outcomes are recorded by `domain::safety::moderation`.

use std::sync::Arc;
use std::time::Duration;

use teloxide::payloads::{
    PinChatMessageSetters, RestrictChatMemberSetters, UnbanChatMemberSetters,
};
use teloxide::requests::{Request, Requester};
use teloxide::types::{ChatId, ChatPermissions, MessageId, UserId};
use teloxide::{ApiError, Bot, RequestError};
use tokio_util::sync::CancellationToken;

use crate::domain::desk::Desk;
use crate::domain::safety::moderation::{self, Outcome};
use crate::store::Store;
use crate::store::safety::{ModAction, ModJob};

/// Calls read per look at the table.
const BATCH: usize = 200;
/// Spacing between two calls (20 a second at most).
const SPACING: Duration = Duration::from_millis(50);
/// Tries of a call that never reached Telegram before it is failed.
const MAX_ATTEMPTS: u32 = 8;
/// A safety net: the table is looked at this often when nothing wakes the
/// moderator (every queued call does).
const IDLE: Duration = Duration::from_secs(10);

/// What Telegram's refusal means for the call.
fn refused(
    e: RequestError,
    action: ModAction,
    attempts: u32,
    token: &str,
    now: shared::Timestamp,
) -> Result<(), Outcome> {
    let backoff = |why: String| {
        if attempts + 1 >= MAX_ATTEMPTS {
            Outcome::Failed {
                reason: format!("{why} (gave up after {MAX_ATTEMPTS} tries)"),
                rights: false,
            }
        } else {
            let wait = Duration::from_secs(1 << attempts.min(6));
            Outcome::Retry(now + wait, why)
        }
    };
    Err(match e {
        RequestError::RetryAfter(s) => Outcome::Retry(
            now + Duration::from_secs(u64::from(s.seconds())),
            "Telegram asked to wait".into(),
        ),
        // Gone already (deleted by someone, or the notice removed): done.
        RequestError::Api(ApiError::MessageToDeleteNotFound) if action == ModAction::Delete => {
            return Ok(());
        }
        RequestError::Api(
            e @ (ApiError::MessageCantBeDeleted
            | ApiError::NotEnoughRightsToRestrict
            | ApiError::NotEnoughRightsToPostMessages),
        ) => Outcome::Failed {
            reason: format!("{e} (the bot lacks admin rights)"),
            rights: true,
        },
        RequestError::Api(ApiError::Unknown(d))
            if d.contains("rights") || d.contains("not an administrator") =>
        {
            Outcome::Failed {
                reason: format!("{d} (the bot lacks admin rights)"),
                rights: true,
            }
        }
        RequestError::Api(e) => Outcome::Failed {
            reason: format!("Telegram refused it: {e}"),
            rights: false,
        },
        RequestError::Network(e) => backoff(super::mask(&e.to_string(), token)),
        e => backoff(super::mask(&e.to_string(), token)),
    })
}

/// Makes one call (or one batch of deletions in a chat).
/// Edits the group's list of official accounts; false when the message
/// is gone (it is then posted anew, through the outbox).
async fn official(bot: &Bot, chat: ChatId, job: &ModJob) -> Result<bool, RequestError> {
    let text = job.text.clone().unwrap_or_default();
    let Some(id) = job.message_id.and_then(|m| i32::try_from(m).ok()) else {
        return Ok(false);
    };
    match bot
        .edit_message_text(chat, MessageId(id), text)
        .send()
        .await
    {
        Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(true),
        Err(RequestError::Api(ApiError::MessageToEditNotFound)) => Ok(false),
        Err(e) => Err(e),
    }
}

async fn call(bot: &Bot, jobs: &[ModJob], token: &str, store: &Store) -> Outcome {
    let first = &jobs[0];
    let chat = ChatId(first.chat_id);
    let user = UserId(first.user_id.unwrap_or_default() as u64);
    let result = match first.action {
        ModAction::Delete => {
            let ids: Vec<MessageId> = jobs
                .iter()
                .filter_map(|j| j.message_id)
                .map(|id| MessageId(i32::try_from(id).unwrap_or_default()))
                .collect();
            let sent = if ids.len() == 1 {
                bot.delete_message(chat, ids[0]).send().await.map(|_| ())
            } else {
                bot.delete_messages(chat, ids).send().await.map(|_| ())
            };
            sent.map(|()| None)
        }
        ModAction::Ban => bot.ban_chat_member(chat, user).send().await.map(|_| None),
        ModAction::Kick => {
            // Removed, free to come back: a ban, then its end.
            match bot.ban_chat_member(chat, user).send().await {
                Ok(_) => bot
                    .unban_chat_member(chat, user)
                    .only_if_banned(true)
                    .send()
                    .await
                    .map(|_| None),
                Err(e) => Err(e),
            }
        }
        ModAction::Restrict => {
            let mut r = bot.restrict_chat_member(chat, user, ChatPermissions::empty());
            if let Some(until) = first.until
                && let Some(at) = chrono::DateTime::from_timestamp_millis(until.0)
            {
                r = r.until_date(at);
            }
            r.send().await.map(|_| None)
        }
        ModAction::Lift => bot
            .restrict_chat_member(chat, user, ChatPermissions::all())
            .send()
            .await
            .map(|_| None),
        ModAction::Approve => bot
            .approve_chat_join_request(chat, user)
            .send()
            .await
            .map(|_| None),
        ModAction::Decline => bot
            .decline_chat_join_request(chat, user)
            .send()
            .await
            .map(|_| None),
        // Posts go through the outbox (paced with the chat's sends).
        ModAction::Notice | ModAction::Captcha => Ok(None),
        ModAction::Pin => {
            let id =
                MessageId(i32::try_from(first.message_id.unwrap_or_default()).unwrap_or_default());
            bot.pin_chat_message(chat, id)
                .disable_notification(true)
                .send()
                .await
                .map(|_| None)
        }
        // Nothing to ask Telegram: the rules decide what follows.
        ModAction::Expire => Ok(None),
        ModAction::Official => match official(bot, chat, first).await {
            Ok(true) => Ok(None),
            Ok(false) => return Outcome::Missing,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(posted) => Outcome::Done(posted),
        Err(e) => match refused(e, first.action, first.attempts, token, store.now()) {
            Ok(()) => Outcome::Done(None),
            Err(o) => o,
        },
    }
}

/// The jobs to make in one call: a chat's due deletions together (up to
/// 100, Telegram's limit), anything else alone.
fn batches(due: Vec<ModJob>) -> Vec<Vec<ModJob>> {
    let mut out: Vec<Vec<ModJob>> = Vec::new();
    for job in due {
        let joinable = job.action == ModAction::Delete && job.attempts == 0;
        let joins = joinable
            .then(|| {
                out.iter().position(|b| {
                    b[0].action == ModAction::Delete
                        && b[0].attempts == 0
                        && b[0].chat_id == job.chat_id
                        && b.len() < 100
                })
            })
            .flatten();
        match joins {
            Some(i) => out[i].push(job),
            None => out.push(vec![job]),
        }
    }
    out
}

pub async fn run(
    bot: Bot,
    store: Store,
    desk: Arc<Desk>,
    token: String,
    shutdown: CancellationToken,
) {
    let queued = store.moderation_queued();
    while !shutdown.is_cancelled() {
        let now = store.now();
        let read = store
            .readers()
            .read(move |c| {
                Ok((
                    crate::store::safety::moderation_due(c, now, BATCH)?,
                    crate::store::safety::moderation_next(c, now)?,
                ))
            })
            .await;
        let (due, next) = match read {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("telegram: cannot read moderation calls: {e}");
                (Vec::new(), None)
            }
        };
        let busy = !due.is_empty();
        for batch in batches(due) {
            if shutdown.is_cancelled() {
                break;
            }
            let outcome = call(&bot, &batch, &token, &store).await;
            let (d, jobs) = (desk.clone(), batch);
            let recorded = store
                .write(move |ctx| {
                    for job in &jobs {
                        moderation::outcome(ctx, &d, job, &outcome)?;
                    }
                    Ok::<_, crate::domain::DomainError>(())
                })
                .await;
            if let Err(e) = recorded {
                tracing::error!("telegram: cannot record a moderation call: {e}");
            }
            tokio::time::sleep(SPACING).await;
        }
        if busy {
            continue;
        }
        let wait = next.map_or(IDLE, |at| at.since(store.now()).min(IDLE));
        tokio::select! {
            _ = queued.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.cancelled() => break,
        }
    }
    tracing::info!("telegram: moderator stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: i64, chat: i64, action: ModAction) -> ModJob {
        ModJob {
            id,
            chat_id: chat,
            action,
            user_id: None,
            message_id: Some(id),
            thread_id: None,
            text: None,
            markup: None,
            lifetime: None,
            until: None,
            captcha_id: None,
            attempts: 0,
        }
    }

    #[test]
    fn a_chats_deletions_go_together_and_the_rest_alone() {
        let due = vec![
            job(1, -1, ModAction::Delete),
            job(2, -2, ModAction::Delete),
            job(3, -1, ModAction::Delete),
            job(4, -1, ModAction::Ban),
            job(5, -1, ModAction::Delete),
        ];
        let ids: Vec<Vec<i64>> = batches(due)
            .iter()
            .map(|b| b.iter().map(|j| j.id).collect())
            .collect();
        assert_eq!(ids, vec![vec![1, 3, 5], vec![2], vec![4]]);
    }
}
