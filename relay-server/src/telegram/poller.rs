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

use teloxide::Bot;
use teloxide::payloads::GetUpdatesSetters;
use teloxide::requests::{Request, Requester};
use teloxide::types::AllowedUpdate;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::mask;
use super::process;
use crate::domain::DomainError;
use crate::domain::desk::Desk;
use crate::settings::TelegramSettings;
use crate::store::{Store, WriteCtx, updates};

const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Updates asked for per getUpdates (Telegram's most).
const LIMIT: u8 = 100;
/// Telegram restarts update ids at random after a week without updates.
const STALE: Duration = Duration::from_secs(6 * 24 * 3600);

/// Updates a gathered batch aims at: a commit (and its fsync) is shared
/// by about this many messages.
const GATHER_TARGET: f64 = 20.0;

/// How long to wait before the next getUpdates, so a steady stream is
/// stored in batches (one commit each) instead of one commit per message:
/// about `GATHER_TARGET` updates' worth at the recent rate, at most `max`.
/// Sparse traffic is not held back (nothing would gather), and a full
/// batch means a backlog: ask again at once.
struct Gather {
    max: Duration,
    /// Updates per second, smoothed.
    rate: f64,
    last: std::time::Instant,
}

impl Gather {
    fn new(max: Duration, now: std::time::Instant) -> Gather {
        Gather {
            max,
            rate: 0.0,
            last: now,
        }
    }

    /// A getUpdates answered `n` updates at `now`: how long to wait.
    fn after(&mut self, n: usize, now: std::time::Instant) -> Duration {
        let took = now.duration_since(self.last).as_secs_f64().max(0.001);
        self.last = now;
        self.rate = 0.7 * self.rate + 0.3 * (n as f64 / took);
        let max = self.max.as_secs_f64();
        if n >= usize::from(LIMIT) || n == 0 || self.rate * max < 2.0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64((GATHER_TARGET / self.rate).min(max))
    }
}

pub async fn run(
    bot: Bot,
    store: Store,
    settings: TelegramSettings,
    desk: Arc<Desk>,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    // Resume after the last stored update, unless it is nearly a week old:
    // Telegram restarts update ids at random after a week without updates,
    // and a stale offset would confirm (drop) the new ones.
    let fresh_after = store.now() - STALE;
    let stored = store
        .readers()
        .read(move |c| updates::last_id_since(c, fresh_after))
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
    let mut gather = Gather::new(
        Duration::from_millis(settings.gather_ms),
        std::time::Instant::now(),
    );
    loop {
        let mut request = bot
            .get_updates()
            .timeout(settings.poll_timeout_secs)
            .limit(LIMIT)
            .allowed_updates(vec![
                AllowedUpdate::Message,
                AllowedUpdate::EditedMessage,
                AllowedUpdate::CallbackQuery,
                AllowedUpdate::MyChatMember,
                AllowedUpdate::ChatMember,
                AllowedUpdate::MessageReaction,
                AllowedUpdate::ChatJoinRequest,
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
        let mut actions = Vec::with_capacity(updates.len());
        for u in &updates {
            let masked = desk.mask_stored.then(|| super::redact::masked(u)).flatten();
            if desk.mask_stored && masked.is_none() {
                tracing::warn!(
                    update = u.id.0,
                    "telegram: an update could not be masked; stored as it came"
                );
            }
            let encoded = match masked {
                Some((body, u)) => Ok((body, Some(u))),
                None => serde_json::to_string(u).map(|body| (body, None)),
            };
            match encoded {
                Ok((body, masked)) => {
                    // The whole update, for tracing problems; the log
                    // writer masks cards, e-mails and phones in it.
                    tracing::trace!(update = %body, "telegram: update received");
                    rows.push((i64::from(u.id.0), body));
                    let u = masked.as_ref().unwrap_or(u);
                    actions.push((i64::from(u.id.0), process::decide_update(u)));
                }
                Err(e) => {
                    tracing::error!(update = u.id.0, "telegram: cannot encode an update: {e}")
                }
            }
        }
        let actions = Arc::new(actions);
        // A full batch is a backlog: stored only, so the next getUpdates goes
        // out while the processor applies this one (the two overlap).
        let backlog = updates.len() >= usize::from(LIMIT);
        // Not acknowledged (no new offset) until stored. Otherwise applied in
        // the same transaction when nothing older waits: one commit per batch.
        loop {
            let (batch, actions, d) = (rows.clone(), actions.clone(), desk.clone());
            let job = move |ctx: &mut WriteCtx<'_>| -> Result<_, DomainError> {
                let fresh = updates::insert(ctx, &batch)?;
                if backlog {
                    return Ok((Vec::new(), false));
                }
                let todo: Vec<(i64, process::Action)> = actions
                    .iter()
                    .filter(|(id, _)| fresh.contains(id))
                    .cloned()
                    .collect();
                // Failing here undoes the applying only: the updates stay
                // stored for the processor.
                let applied = ctx
                    .attempt(|ctx| {
                        process::apply_fresh(ctx, &d, &todo).map(|(done, all)| (done.to_vec(), all))
                    })
                    .unwrap_or((Vec::new(), false));
                Ok(applied)
            };
            match store.write(job).await {
                Ok((applied, all)) => {
                    crate::metrics::METRICS
                        .updates_received
                        .add(rows.len() as u64);
                    process::answer_presses(&bot, &applied);
                    if !all {
                        wake.notify_one();
                    }
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
        let wait = gather.after(updates.len(), std::time::Instant::now());
        if !wait.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.cancelled() => break,
            }
        }
    }
    tracing::info!("telegram: poller stopped");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Updates arriving at `per_sec`, each poll taking 2 ms plus the
    /// wait asked for; the wait asked for at the end.
    fn settle(g: &mut Gather, start: Instant, per_sec: f64) -> Duration {
        let (mut at, mut wait, mut due) = (start, Duration::ZERO, 0.0);
        for _ in 0..200 {
            let step = Duration::from_millis(2) + wait;
            at += step;
            due += per_sec * step.as_secs_f64();
            let n = due.floor();
            due -= n;
            // A long poll returns only when something arrived.
            if n >= 1.0 {
                wait = g.after((n as usize).min(100), at);
            } else {
                wait = Duration::ZERO;
            }
        }
        wait
    }

    #[test]
    fn a_steady_stream_waits_for_a_batch_and_a_trickle_does_not() {
        let t = Instant::now();
        let max = Duration::from_millis(100);
        // 200/s: about 20 updates' worth, 100 ms (the cap).
        let mut g = Gather::new(max, t);
        let w = settle(&mut g, t, 200.0);
        assert!(w > Duration::from_millis(85) && w <= max, "{w:?}");
        // 1,000/s: 20 ms.
        let mut g = Gather::new(max, t);
        let w = settle(&mut g, t, 1000.0);
        assert!(
            w > Duration::from_millis(15) && w < Duration::from_millis(25),
            "{w:?}"
        );
        // 50/s: capped at 100 ms (5 per commit).
        let mut g = Gather::new(max, t);
        assert_eq!(settle(&mut g, t, 50.0), max);
        // One message every 2 s: never held back.
        let mut g = Gather::new(max, t);
        let mut at = t;
        for _ in 0..20 {
            at += Duration::from_secs(2);
            assert_eq!(g.after(1, at), Duration::ZERO);
        }
        // A backlog (full batches): at once.
        let mut g = Gather::new(max, t);
        assert_eq!(g.after(100, t + Duration::from_millis(1)), Duration::ZERO);
        // Off.
        let mut g = Gather::new(Duration::ZERO, t);
        assert_eq!(settle(&mut g, t, 1000.0), Duration::ZERO);
    }
}
