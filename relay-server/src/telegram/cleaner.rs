//! Deletes an erased customer's messages in Telegram: the deletions an
//! erasure queued (`tg_deletions`, at most 100 ids each) go out as
//! `deleteMessages`, until Telegram's 48 hours are over. What Telegram
//! refuses (a message already gone, or too old) is given up, logged.

use std::time::Duration;

use teloxide::requests::{Request, Requester};
use teloxide::types::{ChatId, MessageId};
use teloxide::{Bot, RequestError};
use tokio_util::sync::CancellationToken;

use super::mask;
use crate::store::Store;
use crate::store::deletions::{self, Deletion};

/// Tries for a deletion that never reached Telegram.
const MAX_ATTEMPTS: u32 = 6;
/// Looked at this often with nothing queued (a safety net: an erasure
/// wakes it).
const IDLE: Duration = Duration::from_secs(60);
/// Between two calls: deletions are rare and never urgent.
const SPACING: Duration = Duration::from_millis(100);

/// What became of one call: done (or given up), or to try again after.
enum Next {
    Finish(Option<String>),
    Retry(Duration, String),
}

async fn delete(bot: &Bot, d: &Deletion, token: &str) -> Next {
    let ids = d
        .message_ids
        .iter()
        .filter_map(|id| i32::try_from(*id).ok())
        .map(MessageId);
    match bot.delete_messages(ChatId(d.chat_id), ids).send().await {
        Ok(_) => Next::Finish(None),
        Err(RequestError::RetryAfter(s)) => Next::Retry(
            Duration::from_secs(u64::from(s.seconds())),
            "Telegram asked to wait".into(),
        ),
        // Refused for good: the chat is gone, the bot blocked, the
        // messages already deleted or too old.
        Err(RequestError::Api(e)) => Next::Finish(Some(format!("Telegram refused: {e}"))),
        Err(e) if d.attempts + 1 < MAX_ATTEMPTS => Next::Retry(
            Duration::from_secs(2 << d.attempts.min(8)),
            mask(&e.to_string(), token),
        ),
        Err(e) => Next::Finish(Some(format!(
            "gave up after {MAX_ATTEMPTS} attempts: {}",
            mask(&e.to_string(), token)
        ))),
    }
}

pub async fn run(bot: Bot, store: Store, token: String, shutdown: CancellationToken) {
    let mut events = store.subscribe();
    let mut changes = store.changes();
    while !shutdown.is_cancelled() {
        let now = store.now();
        let read = store
            .readers()
            .read(move |c| {
                Ok((
                    deletions::due(c, now, 20)?,
                    deletions::next_due_after(c, now)?,
                ))
            })
            .await;
        let (due, later) = read.unwrap_or_else(|e| {
            tracing::error!("telegram: cannot read the deletions: {e}");
            (Vec::new(), None)
        });
        let mut wait = later.map_or(IDLE, |at| at.since(now).min(IDLE));
        for d in &due {
            let next = if store.now() > d.deadline {
                Next::Finish(Some("Telegram's 48 hours are over".into()))
            } else {
                delete(&bot, d, &token).await
            };
            let (id, n, chat) = (d.id, d.message_ids.len(), d.chat_id);
            let written = match next {
                Next::Finish(None) => {
                    tracing::info!(
                        chat,
                        messages = n,
                        "telegram: an erased customer's messages deleted"
                    );
                    store.write(move |ctx| deletions::finish(ctx, id)).await
                }
                Next::Finish(Some(why)) => {
                    tracing::warn!(chat, messages = n, "telegram: messages not deleted: {why}");
                    store.write(move |ctx| deletions::finish(ctx, id)).await
                }
                Next::Retry(after, why) => {
                    tracing::warn!(
                        chat,
                        "telegram: deleting messages failed, retrying in {after:?}: {why}"
                    );
                    wait = wait.min(after);
                    let at = store.now() + after;
                    store
                        .write(move |ctx| deletions::retry(ctx, id, at, &why))
                        .await
                }
            };
            if let Err(e) = written {
                tracing::error!("telegram: cannot record a deletion: {e}");
            }
            tokio::time::sleep(SPACING).await;
        }
        if due.len() == 20 {
            continue;
        }
        // Woken by an erasure; or, at most once a second, by a commit (a
        // deletion queued alone: a message recorded as sent after its chat
        // was erased).
        let go_on = tokio::select! {
            go = Store::until_erasure(&mut events, wait, &shutdown) => go,
            changed = changes.changed() => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                changed.is_ok()
            }
        };
        if !go_on {
            return;
        }
    }
}
