//! Turns stored updates into domain calls, in update order. Each update is
//! applied with its `done` mark in one transaction (exactly once). A batch
//! goes in one transaction; if anything in it fails, the batch is retried
//! one update at a time: a refused update is marked `failed` with the reason
//! and kept, and one that still fails the transaction (a panic) is set aside
//! after three tries. The bot never stops for a bad update.

use std::sync::Arc;
use std::time::Duration;

use teloxide::Bot;
use teloxide::prelude::Requester;
use teloxide::types::{CallbackQueryId, Update, UpdateKind};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{convert, keyboard};
use crate::domain::buttons::Choice;
use crate::domain::desk::Desk;
use crate::domain::dialogue::{self, Press};
use crate::domain::groups::{self, intake::GroupMessage};
use crate::domain::intake::Inbound;
use crate::domain::{DomainError, intake, outbox, safety};
use crate::store::updates::{self, Applied};
use crate::store::{Store, WriteCtx};

/// Updates applied per transaction. Small, so the poller's storing job,
/// queued behind it in the single writer, waits little.
const BATCH: usize = 64;
/// Tries before an update that keeps failing the transaction is set aside.
const MAX_ATTEMPTS: u32 = 5;
/// How often stored updates are looked at when the poller does not wake
/// the processor (a safety net: it always does after storing).
const IDLE: Duration = Duration::from_secs(10);

/// What an update asks of the domain, decided outside the writer (parsing
/// and converting stay off the single writer thread).
#[derive(Clone)]
pub(super) enum Action {
    File(Box<Inbound>),
    /// A message in a customer group.
    Group(Box<GroupMessage>),
    /// A group became a supergroup with a new chat id.
    GroupMigrated {
        from: i64,
        to: i64,
    },
    GroupEdit {
        chat: i64,
        message: i64,
        text: String,
    },
    /// Someone reacted to a group message (the emoji they added).
    GroupReaction {
        chat: i64,
        message: i64,
        user: i64,
        added: Vec<String>,
    },
    /// The bot's own membership of a group changed (added, made admin,
    /// removed). `privacy`: its privacy mode is on (it sees only commands
    /// and replies where it is not an administrator).
    GroupMembership {
        chat: i64,
        title: String,
        forum: bool,
        status: &'static str,
        privacy: bool,
    },
    /// People joined a group (not bots): newcomers. `message`: the
    /// service message saying so.
    GroupJoined {
        chat: i64,
        title: String,
        message: i64,
        people: Vec<Joiner>,
    },
    /// Someone left a group (or was removed).
    GroupLeft {
        chat: i64,
        user: i64,
        name: String,
        message: i64,
    },
    /// Telegram says (a `chat_member` update, sent to an administrator
    /// bot) someone is no longer in a group: left, removed, or restricted
    /// outside it. Only recorded: the service message, when there is one,
    /// tells staff.
    MemberGone {
        chat: i64,
        user: i64,
    },
    /// Someone asked to join a group that approves new members.
    JoinRequest {
        chat: i64,
        title: String,
        who: Joiner,
    },
    /// A press on a captcha's button (in a group, or an applicant's
    /// private chat); the id is answered once the press is applied.
    CaptchaPress {
        user: i64,
        captcha: i64,
        pick: u8,
        callback: String,
    },
    /// An inline button; the id is answered once the press is applied.
    Press(Box<Press>, String),
    Edit {
        chat: i64,
        message: i64,
        text: String,
    },
    Blocked {
        user: i64,
        blocked: bool,
    },
    /// Stored, but this version does not act on this kind of update yet.
    Ignore,
    /// Unreadable: recorded as failed with why.
    Invalid(String),
    /// A button press whose data means nothing here: recorded as failed
    /// with why, and answered (the customer's spinner stops).
    Refused(String, String),
}

/// Someone coming into a group.
#[derive(Debug, Clone)]
pub(super) struct Joiner {
    pub id: i64,
    pub name: String,
    pub username: Option<String>,
    pub lang: Option<String>,
}

impl Joiner {
    fn of(u: &teloxide::types::User) -> Joiner {
        Joiner {
            id: u.id.0 as i64,
            name: u.full_name(),
            username: u.username.clone(),
            lang: u.language_code.clone(),
        }
    }
}

/// Whether the bot reads every message of a group it is a plain member
/// of (BotFather's privacy mode off): 0 not known yet, 1 yes, 2 no. Read
/// from getMe when the processor starts.
static READS_ALL: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

fn privacy_mode_on() -> bool {
    READS_ALL.load(std::sync::atomic::Ordering::Relaxed) == 2
}

/// Asks Telegram (getMe) whether privacy mode is on, until it answers.
async fn learn_privacy_mode(bot: &Bot, shutdown: &CancellationToken) {
    let mut wait = Duration::from_secs(1);
    while !shutdown.is_cancelled() {
        match bot.get_me().await {
            Ok(me) => {
                let all = me.can_read_all_group_messages;
                READS_ALL.store(
                    if all { 1 } else { 2 },
                    std::sync::atomic::Ordering::Relaxed,
                );
                if !all {
                    tracing::warn!(
                        "telegram: the bot's privacy mode is on: in groups where it is not an administrator it sees only commands and replies (docs/groups.md)"
                    );
                }
                return;
            }
            Err(e) => {
                tracing::debug!("telegram: getMe failed, retrying in {wait:?}: {e}");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.cancelled() => return,
                }
                wait = (wait * 2).min(Duration::from_secs(60));
            }
        }
    }
}

/// Reads a stored update into what it asks for.
fn decide(body: &str) -> Action {
    match serde_json::from_str::<Update>(body) {
        Ok(u) => decide_update(&u),
        Err(e) => Action::Invalid(format!("cannot read the update: {e}")),
    }
}

/// What an update asks for.
pub(super) fn decide_update(update: &Update) -> Action {
    match &update.kind {
        UpdateKind::Message(m) if m.chat.is_private() => match convert::inbound(m) {
            Some(inbound) => Action::File(Box::new(inbound)),
            None => Action::Ignore,
        },
        UpdateKind::EditedMessage(m) if m.chat.is_private() => {
            let text = convert::clean(m.text().or(m.caption()).unwrap_or_default());
            if text.trim().is_empty() {
                return Action::Ignore;
            }
            Action::Edit {
                chat: m.chat.id.0,
                message: i64::from(m.id.0),
                text,
            }
        }
        UpdateKind::CallbackQuery(q) => match q.message.as_ref().map(|m| m.chat()) {
            Some(_)
                if let Ok(Choice::Captcha { id, pick }) =
                    keyboard::parse(q.data.as_deref().unwrap_or_default()) =>
            {
                Action::CaptchaPress {
                    user: q.from.id.0 as i64,
                    captcha: id,
                    pick,
                    callback: q.id.0.clone(),
                }
            }
            Some(chat) if chat.is_private() => {
                match keyboard::parse(q.data.as_deref().unwrap_or_default()) {
                    Ok(choice) => Action::Press(
                        Box::new(Press {
                            sender: convert::sender(&q.from),
                            chat_id: chat.id.0,
                            choice,
                        }),
                        q.id.0.clone(),
                    ),
                    Err(e) => {
                        tracing::warn!(chat = chat.id.0, "telegram: button press refused: {e}");
                        Action::Refused(e.to_string(), q.id.0.clone())
                    }
                }
            }
            _ => Action::Ignore,
        },
        UpdateKind::MyChatMember(u) if u.chat.is_private() => Action::Blocked {
            user: u.from.id.0 as i64,
            blocked: u.new_chat_member.is_banned() || u.new_chat_member.is_left(),
        },
        UpdateKind::Message(m) if m.migrate_to_chat_id().is_some() => Action::GroupMigrated {
            from: m.chat.id.0,
            to: m.migrate_to_chat_id().map_or(0, |c| c.0),
        },
        UpdateKind::Message(m) if m.migrate_from_chat_id().is_some() => Action::GroupMigrated {
            from: m.migrate_from_chat_id().map_or(0, |c| c.0),
            to: m.chat.id.0,
        },
        UpdateKind::Message(m)
            if (m.chat.is_group() || m.chat.is_supergroup()) && m.left_chat_member().is_some() =>
        {
            let u = m.left_chat_member().expect("checked");
            if u.is_bot {
                return Action::Ignore;
            }
            Action::GroupLeft {
                chat: m.chat.id.0,
                user: u.id.0 as i64,
                name: u.full_name(),
                message: i64::from(m.id.0),
            }
        }
        UpdateKind::Message(m)
            if (m.chat.is_group() || m.chat.is_supergroup()) && m.new_chat_members().is_some() =>
        {
            let people: Vec<Joiner> = m
                .new_chat_members()
                .unwrap_or_default()
                .iter()
                .filter(|u| !u.is_bot)
                .map(Joiner::of)
                .collect();
            if people.is_empty() {
                return Action::Ignore;
            }
            Action::GroupJoined {
                chat: m.chat.id.0,
                title: m.chat.title().unwrap_or_default().to_owned(),
                message: i64::from(m.id.0),
                people,
            }
        }
        UpdateKind::Message(m) if m.chat.is_group() || m.chat.is_supergroup() => {
            match convert::group_message(m) {
                Some(g) => Action::Group(Box::new(g)),
                None => Action::Ignore,
            }
        }
        UpdateKind::EditedMessage(m) if m.chat.is_group() || m.chat.is_supergroup() => {
            Action::GroupEdit {
                chat: m.chat.id.0,
                message: i64::from(m.id.0),
                text: convert::clean(m.text().or(m.caption()).unwrap_or_default()),
            }
        }
        UpdateKind::MessageReaction(r) if r.chat.is_group() || r.chat.is_supergroup() => {
            let Some(user) = r.user() else {
                return Action::Ignore;
            };
            let emoji = |v: &[teloxide::types::ReactionType]| -> Vec<String> {
                v.iter()
                    .filter_map(|x| match x {
                        teloxide::types::ReactionType::Emoji { emoji } => Some(emoji.clone()),
                        _ => None,
                    })
                    .collect()
            };
            let old = emoji(&r.old_reaction);
            let added: Vec<String> = emoji(&r.new_reaction)
                .into_iter()
                .filter(|e| !old.contains(e))
                .collect();
            if added.is_empty() {
                return Action::Ignore;
            }
            Action::GroupReaction {
                chat: r.chat.id.0,
                message: i64::from(r.message_id.0),
                user: user.id.0 as i64,
                added,
            }
        }
        UpdateKind::ChatJoinRequest(r) => Action::JoinRequest {
            chat: r.chat.id.0,
            title: r.chat.title().unwrap_or_default().to_owned(),
            who: Joiner::of(&r.from),
        },
        UpdateKind::ChatMember(u)
            if (u.chat.is_group() || u.chat.is_supergroup()) && !u.new_chat_member.is_present() =>
        {
            Action::MemberGone {
                chat: u.chat.id.0,
                user: u.new_chat_member.user.id.0 as i64,
            }
        }
        UpdateKind::MyChatMember(u) if u.chat.is_group() || u.chat.is_supergroup() => {
            let m = &u.new_chat_member;
            Action::GroupMembership {
                chat: u.chat.id.0,
                title: u.chat.title().unwrap_or_default().to_owned(),
                forum: convert::is_forum(&u.chat),
                status: if m.is_banned() {
                    "kicked"
                } else if m.is_left() {
                    "left"
                } else if m.is_administrator() || m.is_owner() {
                    "administrator"
                } else {
                    "member"
                },
                privacy: privacy_mode_on(),
            }
        }
        _ => Action::Ignore,
    }
}

pub async fn run(
    bot: Bot,
    store: Store,
    desk: Arc<Desk>,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    learn_privacy_mode(&bot, &shutdown).await;
    let mut backoff = Duration::ZERO;
    while !shutdown.is_cancelled() {
        if !backoff.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.cancelled() => break,
            }
        }
        match drain(&bot, &store, &desk, &shutdown).await {
            Ok(()) => backoff = Duration::ZERO,
            Err(()) => {
                backoff = (backoff * 2).clamp(Duration::from_secs(1), Duration::from_secs(30));
                continue;
            }
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(IDLE) => {}
            _ = shutdown.cancelled() => break,
        }
    }
    tracing::info!("telegram: processor stopped");
}

/// Applies every waiting update, in order. `Err` when an update could not
/// be applied and must be retried later (nothing after it is applied
/// before it: per-chat order is kept).
async fn drain(
    bot: &Bot,
    store: &Store,
    desk: &Arc<Desk>,
    shutdown: &CancellationToken,
) -> Result<(), ()> {
    while !shutdown.is_cancelled() {
        let pending = store.readers().read(|c| updates::waiting(c, BATCH)).await;
        let batch: Vec<(i64, Action)> = match pending {
            Ok(b) if b.is_empty() => return Ok(()),
            Ok(b) => b
                .into_iter()
                .map(|(id, body)| (id, decide(&body)))
                .collect(),
            Err(e) => {
                tracing::error!("telegram: cannot read stored updates: {e}");
                return Err(());
            }
        };
        let (q, whole) = (desk.clone(), batch.clone());
        let Err(e) = store
            .write(move |ctx| apply_all(ctx, &q, &whole, false))
            .await
        else {
            answer_presses(bot, &batch);
            continue;
        };
        tracing::warn!(
            "telegram: a batch of {} updates failed ({e}); retrying one by one",
            batch.len()
        );
        for (id, action) in batch {
            let (q, one) = (desk.clone(), vec![(id, action.clone())]);
            let result = store.write(move |ctx| apply_all(ctx, &q, &one, true)).await;
            answer_presses(bot, &[(id, action)]);
            if let Err(e) = result {
                // Not a refusal (those are recorded as failed): the store or a
                // panic. Count it; after MAX_ATTEMPTS the update is set aside.
                let why = e.to_string();
                let _ = store
                    .write(move |ctx| updates::count_failure(ctx, id, &why, MAX_ATTEMPTS))
                    .await;
                return Err(());
            }
        }
    }
    Ok(())
}

/// The updates applied (or refused) of those given, and whether that is all.
pub(super) type Fresh<'a> = (&'a [(i64, Action)], bool);

/// Applies updates the poller has just stored, in the same transaction
/// (one commit for storing and applying a batch). Only when no older
/// update is still waiting (per-chat order); each in its own savepoint, a
/// refusal recorded as `failed` as the processor does. Stops at the first
/// panic and leaves it and the rest to the processor. Returns the updates
/// applied (or refused) and whether all were.
pub(super) fn apply_fresh<'a>(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    fresh: &'a [(i64, Action)],
) -> Result<Fresh<'a>, DomainError> {
    let Some((first, _)) = fresh.first() else {
        return Ok((fresh, true));
    };
    if updates::waiting_before(ctx, *first)? {
        return Ok((&fresh[..0], false));
    }
    for (n, (id, action)) in fresh.iter().enumerate() {
        let (state, error) = match ctx.attempt_guarded(|ctx| apply(ctx, desk, action)) {
            Ok(Ok(true)) => (Applied::Done, None),
            Ok(Ok(false)) => (Applied::Ignored, None),
            Ok(Err(e)) => {
                tracing::warn!(update = id, "telegram: update not applied: {e}");
                (Applied::Failed, Some(e.message))
            }
            Err(panic) => {
                tracing::error!(
                    update = id,
                    "telegram: applying an update panicked: {panic}"
                );
                return Ok((&fresh[..n], false));
            }
        };
        updates::set_applied(ctx, *id, state, error.as_deref())?;
    }
    Ok((fresh, true))
}

/// Stops the spinner on the buttons pressed (best effort: Telegram stops
/// it by itself after a while; the press is already applied).
pub(super) fn answer_presses(bot: &Bot, batch: &[(i64, Action)]) {
    for (_, action) in batch {
        if let Action::Press(_, id)
        | Action::Refused(_, id)
        | Action::CaptchaPress { callback: id, .. } = action
        {
            let request = bot.answer_callback_query(CallbackQueryId(id.clone()));
            tokio::spawn(async move {
                if let Err(e) = request.await {
                    tracing::debug!("telegram: cannot answer a button press: {e}");
                }
            });
        }
    }
}

/// Applies the updates and records each one's state. Fast (`isolate`
/// false): the first refusal fails the whole batch, which the caller then
/// retries with `isolate`, where each update has its own savepoint and a
/// refusal is recorded as `failed` without undoing the others.
fn apply_all(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    batch: &[(i64, Action)],
    isolate: bool,
) -> Result<(), DomainError> {
    for (id, action) in batch {
        let applied = if isolate {
            ctx.attempt(|ctx| apply(ctx, desk, action))
        } else {
            Ok(apply(ctx, desk, action)?)
        };
        let (state, error) = match applied {
            Ok(true) => (Applied::Done, None),
            Ok(false) => (Applied::Ignored, None),
            Err(e) => {
                tracing::warn!(update = id, "telegram: update not applied: {e}");
                (Applied::Failed, Some(e.message))
            }
        };
        updates::set_applied(ctx, *id, state, error.as_deref())?;
    }
    Ok(())
}

/// Applies an action; false when there was nothing to apply.
fn apply(ctx: &mut WriteCtx<'_>, desk: &Desk, action: &Action) -> Result<bool, DomainError> {
    match action {
        Action::File(inbound) => dialogue::message(ctx, desk, inbound).map(|_| true),
        Action::Press(press, _) => dialogue::press(ctx, desk, press).map(|_| true),
        Action::Edit {
            chat,
            message,
            text,
        } => intake::customer_edit(ctx, *chat, *message, text).map(|_| true),
        Action::Blocked { user, blocked } => {
            outbox::customer_blocked(ctx, *user, *blocked).map(|_| true)
        }
        Action::Group(m) => groups::intake::message(ctx, desk, m).map(|_| true),
        Action::GroupMigrated { from, to } => groups::intake::migrated(ctx, *from, *to),
        Action::GroupEdit {
            chat,
            message,
            text,
        } => groups::intake::edit(ctx, *chat, *message, text),
        Action::GroupMembership {
            chat,
            title,
            forum,
            status,
            privacy,
        } => {
            groups::membership::bot(ctx, desk, *chat, title, *forum, status, *privacy).map(|_| true)
        }
        Action::GroupLeft {
            chat,
            user,
            name,
            message,
        } => {
            safety::door::service_message(ctx, desk, *chat, *message)?;
            groups::membership::left(ctx, desk, *chat, *user, name).map(|_| true)
        }
        Action::MemberGone { chat, user } => {
            groups::membership::gone(ctx, *chat, *user).map(|()| true)
        }
        Action::GroupJoined {
            chat,
            title,
            message,
            people,
        } => {
            safety::door::service_message(ctx, desk, *chat, *message)?;
            for p in people {
                safety::door::joined(
                    ctx,
                    desk,
                    *chat,
                    title,
                    &safety::door::Person {
                        id: p.id,
                        name: &p.name,
                        username: p.username.as_deref(),
                        lang: p.lang.as_deref(),
                    },
                )?;
            }
            Ok(true)
        }
        Action::JoinRequest { chat, title, who } => safety::captcha::join_request(
            ctx,
            desk,
            *chat,
            title,
            who.id,
            &who.name,
            who.lang.as_deref(),
        ),
        Action::CaptchaPress {
            user,
            captcha,
            pick,
            ..
        } => safety::captcha::press(ctx, *user, *captcha, *pick).map(|_| true),
        Action::GroupReaction {
            chat,
            message,
            user,
            added,
        } => groups::staff_commands::reaction(ctx, desk, *chat, *message, *user, added),
        Action::Ignore => Ok(false),
        Action::Invalid(why) | Action::Refused(why, _) => Err(DomainError::invalid(why.clone())),
    }
}
