//! Our own getUpdates loop: a batch is stored (insert-or-ignore by
//! update_id) and committed before the next call acknowledges it with a
//! higher offset. A crash at any point loses nothing; a batch fetched twice
//! is stored once.
//!
//! Applying the updates is the processor's job, running alongside: the
//! poller only stores, so the next getUpdates goes out as soon as the batch
//! is on disk.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::params;
use teloxide::Bot;
use teloxide::payloads::GetUpdatesSetters;
use teloxide::requests::{Request, Requester};
use teloxide::types::AllowedUpdate;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::mask;
use crate::domain::DomainError;
use crate::settings::TelegramSettings;
use crate::store::{Store, WriteCtx};

const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Stores the batch (insert-or-ignore); returns the updates that were new.
fn store_batch(
    ctx: &mut WriteCtx<'_>,
    batch: &[(i64, String)],
) -> Result<Vec<(i64, String)>, DomainError> {
    let mut stmt = ctx.conn.prepare_cached(
        "INSERT OR IGNORE INTO tg_updates (update_id, body, received_at) VALUES (?1, ?2, ?3)",
    )?;
    let mut fresh = Vec::new();
    for (id, body) in batch {
        if stmt.execute(params![id, body, ctx.now.0])? == 1 {
            fresh.push((*id, body.clone()));
        }
    }
    Ok(fresh)
}

pub async fn run(
    bot: Bot,
    store: Store,
    settings: TelegramSettings,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    // Resume after the last stored update, unless it is nearly a week old:
    // Telegram restarts update ids at random after a week without updates,
    // and a stale offset would confirm (drop) the new ones.
    let fresh_after = store.now().0 - 6 * 24 * 3600 * 1000;
    let stored: Result<Option<i64>, _> = store
        .readers()
        .read(move |c| {
            use rusqlite::OptionalExtension;
            Ok(c.query_row(
                "SELECT update_id FROM tg_updates WHERE received_at > ?1 ORDER BY update_id DESC LIMIT 1",
                [fresh_after],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await;
    let mut offset: Option<i32> = match stored {
        Ok(max) => max.map(|m| m as i32 + 1),
        Err(e) => {
            tracing::error!("telegram: cannot read the last update id: {e}");
            None
        }
    };
    tracing::info!(?offset, "telegram: polling for updates");
    let mut backoff = Duration::from_secs(1);
    loop {
        let mut request = bot
            .get_updates()
            .timeout(settings.poll_timeout_secs)
            .limit(100)
            .allowed_updates(vec![
                AllowedUpdate::Message,
                AllowedUpdate::EditedMessage,
                AllowedUpdate::CallbackQuery,
                AllowedUpdate::MyChatMember,
                AllowedUpdate::ChatMember,
            ]);
        if let Some(o) = offset {
            request = request.offset(o);
        }
        let got = tokio::select! {
            r = request.send() => r,
            _ = shutdown.cancelled() => break,
        };
        let updates = match got {
            Ok(u) => {
                backoff = Duration::from_secs(1);
                u
            }
            Err(e) => {
                tracing::warn!(
                    "telegram: getUpdates failed, retrying in {backoff:?}: {}",
                    mask(&e.to_string(), &settings.token)
                );
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.cancelled() => break,
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        let Some(last) = updates.last().map(|u| u.id.0) else {
            continue;
        };
        let mut rows = Vec::with_capacity(updates.len());
        for u in &updates {
            match serde_json::to_string(u) {
                Ok(body) => rows.push((i64::from(u.id.0), body)),
                Err(e) => {
                    tracing::error!(update = u.id.0, "telegram: cannot encode an update: {e}")
                }
            }
        }
        // Not acknowledged (no new offset) until stored.
        loop {
            let batch = rows.clone();
            match store.write(move |ctx| store_batch(ctx, &batch)).await {
                Ok(_) => {
                    wake.notify_one();
                    break;
                }
                Err(e) => {
                    tracing::error!("telegram: cannot store updates, retrying: {e}");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = shutdown.cancelled() => return,
                    }
                }
            }
        }
        offset = Some(last as i32 + 1);
    }
    tracing::info!("telegram: poller stopped");
}
