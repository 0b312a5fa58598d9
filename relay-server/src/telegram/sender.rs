//! The outbox sender: takes each chat's next due message, paces it under
//! Telegram's limits, sends it, and records the outcome.
//!
//! - Accepted: the message is `sent`, with its Telegram id.
//! - 429: that chat waits `retry_after` (everyone waits when several chats
//!   are refused at once: a storm), then the message is retried.
//! - Nothing reached Telegram (no connection, a 5xx): retried with backoff,
//!   up to `MAX_ATTEMPTS`.
//! - Permanent (blocked, chat not found, bad request): `failed`, with
//!   Telegram's reason.
//! - The answer was lost after the request went out (connection dropped,
//!   timeout), or the server died mid-send: Telegram may or may not have
//!   it, and the bot cannot look. It is sent again (a reply must arrive),
//!   and once sent it is marked "may have arrived twice" for the engineer.
//!   See docs/telegram.md.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use shared::{Attachment, AttachmentKind};
use teloxide::payloads::{SendDocumentSetters, SendMessageSetters, SendPhotoSetters};
use teloxide::requests::{Request, Requester};
use teloxide::types::{ChatId, InputFile, MessageId, ReplyParameters, ThreadId};
use teloxide::{ApiError, Bot, RequestError};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Pacer, mask};
use crate::domain::DomainError;
use crate::domain::{outbox, safety};
use crate::files::FileStore;
use crate::metrics::METRICS;
use crate::settings::TelegramSettings;
use crate::store::outbox::Due;
use crate::store::{Store, WriteCtx};

/// Tries for a message that never reached Telegram before it is failed.
const MAX_ATTEMPTS: u32 = 8;
/// How often the outbox is looked at when nothing wakes the sender: a
/// safety net only (every queued row wakes it, and a row waiting for a
/// later try sets its own alarm).
const IDLE: Duration = Duration::from_secs(5);
/// Longest pause of every chat when several are refused at once.
const MAX_STORM_PAUSE: Duration = Duration::from_secs(5);
/// The sender waits in place for an overall slot at most this far away.
const SLOT_WAIT: Duration = Duration::from_millis(50);

/// What one send did.
enum Outcome {
    Delivered(i64),
    /// Telegram asked to wait this many seconds.
    RetryAfter(u64),
    /// Nothing was sent; try again later.
    Transient(String),
    /// Will never work; the reason is shown to the engineer.
    Failed(String),
    /// The customer blocked the bot.
    Blocked,
    /// The bot itself can't send (token refused): the message waits.
    BotDown(String),
    /// Sent or not: nobody can tell. Sent again, flagged.
    Unknown(String),
}

fn classify(e: RequestError, token: &str) -> Outcome {
    match e {
        RequestError::RetryAfter(s) => Outcome::RetryAfter(u64::from(s.seconds())),
        RequestError::Api(ApiError::BotBlocked) => Outcome::Blocked,
        // A 5xx says nothing about whether Telegram kept the message.
        RequestError::Api(ApiError::Unknown(d)) if super::server_error(&d) => Outcome::Unknown(d),
        // The bot's token is wrong or was revoked: no message is at fault.
        RequestError::Api(ApiError::InvalidToken) => {
            Outcome::BotDown("Telegram refused the bot's token".into())
        }
        RequestError::Api(e) => Outcome::Failed(format!("Telegram refused it: {e}")),
        RequestError::MigrateToChatId(id) => {
            Outcome::Failed(format!("the group moved to a supergroup ({id})"))
        }
        RequestError::Network(e) if e.is_connect() => Outcome::Transient(format!(
            "cannot reach Telegram: {}",
            mask(&e.to_string(), token)
        )),
        RequestError::Network(e) => Outcome::Unknown(mask(&e.to_string(), token)),
        RequestError::InvalidJson { .. } | RequestError::Io(_) => {
            Outcome::Unknown(mask(&e.to_string(), token))
        }
    }
}

async fn send(bot: &Bot, d: &Due, token: &str, files: &FileStore, store: &Store) -> Outcome {
    tracing::trace!(chat = d.chat_id, outbox = d.id, text = %d.text, "telegram: sending");
    if d.export {
        return send_export(bot, d, token, store).await;
    }
    if let Some(id) = d.delete {
        let id = MessageId(i32::try_from(id).unwrap_or_default());
        return match bot.delete_message(ChatId(d.chat_id), id).send().await {
            // Nothing new in the chat: no message id to record.
            Ok(_) => Outcome::Delivered(0),
            Err(e) => classify(e, token),
        };
    }
    if let Some(a) = d.attachments.first() {
        return send_file(bot, d, a, token, files).await;
    }
    let mut request = bot.send_message(ChatId(d.chat_id), d.text.clone());
    if let Some(thread) = thread_of(d) {
        request = request.message_thread_id(thread);
    }
    if let Some(reply) = reply_of(d) {
        request = request.reply_parameters(reply);
    }
    if let Some(markup) = &d.markup {
        match super::keyboard::stored(markup) {
            Ok(k) => request = request.reply_markup(k),
            Err(e) => return Outcome::Failed(e),
        }
    }
    match request.send().await {
        Ok(m) => Outcome::Delivered(i64::from(m.id.0)),
        Err(e) => classify(e, token),
    }
}

/// The forum topic a message goes to.
fn thread_of(d: &Due) -> Option<ThreadId> {
    let id = i32::try_from(d.thread_id?).ok()?;
    Some(ThreadId(MessageId(id)))
}

/// The message it answers; sent all the same if that one was deleted.
fn reply_of(d: &Due) -> Option<ReplyParameters> {
    let id = i32::try_from(d.reply_to?).ok()?;
    let mut p = ReplyParameters::new(MessageId(id));
    p.allow_sending_without_reply = Some(true);
    Some(p)
}

/// An engineer's file: sendPhoto or sendDocument (multipart), the text as
/// its caption. Paced and recorded like any message.
async fn send_file(bot: &Bot, d: &Due, a: &Attachment, token: &str, files: &FileStore) -> Outcome {
    let Some(path) = files.uploaded(&a.file_id) else {
        return Outcome::Failed(format!("{} is not a file this server keeps", a.file_id));
    };
    if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Outcome::Failed("the uploaded file is no longer on the server".into());
    }
    let mut input = InputFile::file(path);
    if let Some(name) = &a.file_name {
        input = input.file_name(name.clone());
    }
    let chat = ChatId(d.chat_id);
    let caption = (!d.text.is_empty()).then(|| d.text.clone());
    let sent = match a.kind {
        AttachmentKind::Photo => {
            let mut r = bot.send_photo(chat, input);
            if let Some(c) = caption {
                r = r.caption(c);
            }
            if let Some(t) = thread_of(d) {
                r = r.message_thread_id(t);
            }
            if let Some(p) = reply_of(d) {
                r = r.reply_parameters(p);
            }
            r.send().await
        }
        _ => {
            let mut r = bot.send_document(chat, input);
            if let Some(c) = caption {
                r = r.caption(c);
            }
            if let Some(t) = thread_of(d) {
                r = r.message_thread_id(t);
            }
            if let Some(p) = reply_of(d) {
                r = r.reply_parameters(p);
            }
            r.send().await
        }
    };
    match sent {
        Ok(m) => Outcome::Delivered(i64::from(m.id.0)),
        Err(e) => classify(e, token),
    }
}

/// Telegram's limit on a file a bot sends, with room to spare.
const MAX_DOCUMENT: usize = 45 << 20;

/// The customer's data export (`/mydata`), built now from the database and
/// sent as a JSON document: no copy of it waits on disk.
async fn send_export(bot: &Bot, d: &Due, token: &str, store: &Store) -> Outcome {
    let (chat, now) = (d.chat_id, store.now());
    let built = store
        .readers()
        .read(move |c| Ok(crate::domain::privacy::export(c, chat, false, now)))
        .await;
    let export = match built {
        Ok(Ok(e)) => e,
        Ok(Err(e)) => return Outcome::Failed(format!("no data export: {e}")),
        Err(e) => return Outcome::Transient(format!("cannot read the data export: {e}")),
    };
    let body = match serde_json::to_vec_pretty(&export) {
        Ok(b) if b.len() <= MAX_DOCUMENT => b,
        Ok(b) => {
            return Outcome::Failed(format!(
                "the data export is {} bytes, more than Telegram lets a bot send; use `relay-server customer export`",
                b.len()
            ));
        }
        Err(e) => return Outcome::Failed(format!("cannot encode the data export: {e}")),
    };
    let file = InputFile::memory(body).file_name("my-data.json");
    let mut r = bot.send_document(ChatId(chat), file);
    if !d.text.is_empty() {
        r = r.caption(d.text.clone());
    }
    match r.send().await {
        Ok(m) => Outcome::Delivered(i64::from(m.id.0)),
        Err(e) => classify(e, token),
    }
}

/// The message will not be sent; a safety post's call is settled too.
fn failed(ctx: &mut WriteCtx<'_>, id: i64, reason: &str) -> Result<(), DomainError> {
    match outbox::failed(ctx, id, reason)? {
        Some(call) => safety::moderation::not_sent(ctx, call, reason),
        None => Ok(()),
    }
}

/// A write that records a send's outcome.
type RecordJob = Arc<dyn Fn(&mut WriteCtx<'_>) -> Result<(), DomainError> + Send + Sync>;

/// What the pacer should hold after a send.
enum Hold {
    None,
    /// This chat waits (Telegram's retry_after).
    Chat(Duration),
    /// Every chat waits (the bot itself can't send).
    All(Duration),
}

/// Records an outcome (retrying until it is on disk: a row left `sending`
/// would block its chat); returns what the pacer should hold.
async fn record(store: &Store, d: &Due, outcome: Outcome, shutdown: &CancellationToken) -> Hold {
    let (id, chat, attempts) = (d.id, d.chat_id, d.attempts + 1);
    let now = store.now();
    let ambiguous = matches!(outcome, Outcome::Unknown(_));
    let (hold, job): (Hold, RecordJob) = match outcome {
        Outcome::Delivered(tg) => (
            Hold::None,
            Arc::new(move |ctx| match outbox::delivered(ctx, id, chat, tg)? {
                Some(call) => safety::moderation::sent(ctx, call, tg),
                None => Ok(()),
            }),
        ),
        Outcome::RetryAfter(s) => {
            let at = now + Duration::from_secs(s);
            let why = format!("Telegram asked to wait {s} s");
            (
                Hold::Chat(Duration::from_secs(s)),
                Arc::new(move |ctx| outbox::retry(ctx, id, at, &why, false, false)),
            )
        }
        Outcome::Transient(why) | Outcome::Unknown(why) if attempts < MAX_ATTEMPTS => {
            let wait = Duration::from_secs(1 << attempts.min(8)).min(Duration::from_secs(300));
            let at = now + wait;
            tracing::warn!(
                chat,
                attempts,
                ambiguous,
                "telegram: send failed, retrying in {wait:?}: {why}"
            );
            (
                Hold::None,
                Arc::new(move |ctx| outbox::retry(ctx, id, at, &why, ambiguous, true)),
            )
        }
        Outcome::Transient(why) | Outcome::Unknown(why) => {
            METRICS.sends_failed.inc();
            let reason = format!("gave up after {attempts} attempts: {why}");
            (Hold::None, Arc::new(move |ctx| failed(ctx, id, &reason)))
        }
        Outcome::Failed(why) => (Hold::None, Arc::new(move |ctx| failed(ctx, id, &why))),
        Outcome::Blocked => (
            Hold::None,
            Arc::new(move |ctx| {
                outbox::failed(ctx, id, "the customer has blocked the bot")?;
                outbox::customer_blocked(ctx, chat, true)
            }),
        ),
        Outcome::BotDown(why) => {
            tracing::error!("telegram: {why}; sending paused for a minute");
            let pause = Duration::from_secs(60);
            let at = now + pause;
            (
                Hold::All(pause),
                Arc::new(move |ctx| outbox::retry(ctx, id, at, &why, false, false)),
            )
        }
    };
    let mut wait = Duration::from_millis(200);
    loop {
        let job = job.clone();
        match store
            .write(move |ctx| {
                // Spacing counts from the answer (as the pacer does): the
                // request may have reached Telegram up to then.
                let answered = ctx.now;
                outbox::note_send(ctx, chat, answered)?;
                job(ctx)
            })
            .await
        {
            Ok(()) => return hold,
            Err(e) => {
                tracing::error!(
                    chat,
                    "telegram: cannot record a send's outcome, retrying in {wait:?}: {e}"
                );
                if shutdown.is_cancelled() {
                    // Left `sending`: after a restart it is sent again, flagged.
                    return hold;
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
        }
    }
}

pub async fn run(
    bot: Bot,
    store: Store,
    settings: TelegramSettings,
    files: FileStore,
    shutdown: CancellationToken,
) {
    let mut pacer = Pacer::new(
        settings.global_per_sec,
        Duration::from_millis(settings.per_chat_interval_ms),
        settings.group_per_min,
    );
    // The chats the last process sent to in its last moments keep their
    // spacing; nobody else waits.
    let window = pacer.longest_spacing();
    match store.write(move |ctx| outbox::recover(ctx, window)).await {
        Ok(restart) => {
            if !restart.interrupted.is_empty() {
                tracing::warn!(
                    "telegram: {} message(s) were being sent when the server stopped; sending each again once, flagged",
                    restart.interrupted.len()
                );
            }
            let (now, ts) = (Instant::now(), store.now());
            let recent: Vec<(i64, Instant)> = restart
                .recent
                .iter()
                .map(|&(chat, at)| (chat, now - ts.since(at).min(window)))
                .collect();
            pacer.resume(&recent, &restart.interrupted, now);
            // What the last process sent in its last second is not all on
            // record (an answer not yet committed): a private chat's
            // spacing for everyone, not a group's ~3.2 s.
            pacer.hold_all(now + pacer.private_spacing());
        }
        Err(e) => {
            tracing::error!("telegram: cannot check interrupted sends: {e}");
            // What the last process sent just before is unknown.
            pacer.hold_all(Instant::now() + window);
        }
    }
    let token: Arc<str> = settings.token.clone().into();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(i64, Hold)>();
    let mut in_flight: HashSet<i64> = HashSet::new();
    let mut storm: Vec<Instant> = Vec::new();
    let queued = store.outbox_changed();
    loop {
        let now = Instant::now();
        let mut wake = now + IDLE;
        if in_flight.len() < settings.max_in_flight && !shutdown.is_cancelled() {
            let limit = settings.max_in_flight * 4;
            let ts = store.now();
            let (due, later) = store
                .readers()
                .read(move |c| {
                    Ok((
                        crate::store::outbox::due(c, ts, limit)?,
                        crate::store::outbox::next_due_after(c, ts)?,
                    ))
                })
                .await
                .unwrap_or_else(|e| {
                    tracing::error!("telegram: cannot read the outbox: {e}");
                    (Vec::new(), None)
                });
            // A row waiting for a later try: look again when it is due.
            if let Some(at) = later {
                wake = wake.min(now + at.since(ts));
            }
            // The first message whose chat may receive now.
            let mut next = None;
            for d in due {
                if in_flight.contains(&d.chat_id) {
                    continue;
                }
                match pacer.chat_wait(d.chat_id, now) {
                    Some(t) => wake = wake.min(t),
                    None => {
                        next = Some(d);
                        break;
                    }
                }
            }
            let slot = pacer.global_wait(Instant::now());
            match (next, slot) {
                (Some(_), Some(t)) if t > Instant::now() + SLOT_WAIT => wake = wake.min(t),
                (Some(d), slot) => {
                    // Recorded as handed over first, then sent the moment its
                    // slot opens: the pace Telegram sees is the pacer's.
                    let ids = vec![d.id];
                    match store
                        .write(move |ctx| crate::store::outbox::mark_sending(ctx, &ids))
                        .await
                    {
                        // Gone meanwhile (failed because the customer blocked the bot).
                        Ok(0) => {}
                        Err(e) => {
                            tracing::error!("telegram: cannot mark a message as sending: {e}")
                        }
                        Ok(_) => {
                            if let Some(t) = slot {
                                tokio::time::sleep_until(t.into()).await;
                            }
                            while let Err(at) = pacer.admit(d.chat_id, Instant::now()) {
                                tokio::time::sleep_until(at.into()).await;
                            }
                            in_flight.insert(d.chat_id);
                            let (bot, store, token, done, stop, files) = (
                                bot.clone(),
                                store.clone(),
                                token.clone(),
                                done_tx.clone(),
                                shutdown.clone(),
                                files.clone(),
                            );
                            tokio::spawn(async move {
                                let started = Instant::now();
                                let outcome = send(&bot, &d, &token, &files, &store).await;
                                METRICS.send_seconds.observe(started.elapsed());
                                match &outcome {
                                    Outcome::Delivered(_) => METRICS.sends_delivered.inc(),
                                    Outcome::RetryAfter(_) => METRICS.telegram_429.inc(),
                                    Outcome::Failed(_) | Outcome::Blocked => {
                                        METRICS.sends_failed.inc()
                                    }
                                    _ => {}
                                }
                                let hold = record(&store, &d, outcome, &stop).await;
                                let _ = done.send((d.chat_id, hold));
                            });
                        }
                    }
                    wake = Instant::now();
                }
                (None, _) => {}
            }
        }
        if shutdown.is_cancelled() && in_flight.is_empty() {
            break;
        }
        tokio::select! {
            Some((chat, hold)) = done_rx.recv() => {
                in_flight.remove(&chat);
                let t = Instant::now();
                // The chat's spacing counts from the answer too: a slow
                // request followed by a fast one must not arrive too close.
                pacer.hold_chat(chat, t + Duration::from_millis(settings.per_chat_interval_ms));
                match hold {
                    Hold::None => {}
                    Hold::All(wait) => pacer.hold_all(t + wait),
                    Hold::Chat(wait) => {
                        pacer.hold_chat(chat, t + wait);
                        // Several chats refused within a second: a storm, so
                        // everyone pauses, briefly (a chat's own long wait
                        // must not stall the whole desk).
                        storm.retain(|s| t.duration_since(*s) < Duration::from_secs(1));
                        storm.push(t);
                        if storm.len() >= 3 {
                            let pause = wait.min(MAX_STORM_PAUSE);
                            tracing::warn!("telegram: 429 from several chats; pausing all sends for {pause:?}");
                            pacer.hold_all(t + pause);
                        }
                    }
                }
            }
            _ = queued.notified() => {}
            _ = tokio::time::sleep_until(wake.into()) => {}
            _ = shutdown.cancelled(), if !shutdown.is_cancelled() => {}
        }
    }
    tracing::info!("telegram: sender stopped");
}
