//! Group safety's tables (docs/groups.md, "Safety"): members of customer
//! groups, the quarantine, staff verdicts, text fingerprints for the
//! repeat check, and the moderation calls waiting to reach Telegram.

use rusqlite::{OptionalExtension, params};
use shared::{AgentId, HeldId, HeldMessage, HeldState, HoldReason, QueueId, Timestamp};

use super::{Db, StoreError, WriteCtx};

/// A person of a group, as the bot knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub chat_id: i64,
    pub user_id: i64,
    pub name: String,
    pub username: Option<String>,
    /// When they joined while the bot was there (`None`: before it).
    pub joined_at: Option<Timestamp>,
    pub real_messages: u32,
    pub trusted: bool,
    pub banned_at: Option<Timestamp>,
}

fn member_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Member> {
    Ok(Member {
        chat_id: r.get(0)?,
        user_id: r.get(1)?,
        name: r.get(2)?,
        username: r.get(3)?,
        joined_at: r.get::<_, Option<i64>>(4)?.map(Timestamp),
        real_messages: r.get(5)?,
        trusted: r.get(6)?,
        banned_at: r.get::<_, Option<i64>>(7)?.map(Timestamp),
    })
}

const MEMBER: &str = "SELECT chat_id, user_id, name, username, joined_at, real_messages, trusted,
        banned_at FROM group_members";

pub fn member(db: &impl Db, chat_id: i64, user_id: i64) -> Result<Option<Member>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("{MEMBER} WHERE chat_id = ?1 AND user_id = ?2"))?
        .query_row([chat_id, user_id], member_row)
        .optional()?)
}

/// Someone joined a group while the bot watched: a newcomer from `at`
/// (joining again starts afresh, trust kept).
pub fn joined(
    ctx: &WriteCtx<'_>,
    chat_id: i64,
    user_id: i64,
    name: &str,
    username: Option<&str>,
    at: Timestamp,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO group_members (chat_id, user_id, name, username, joined_at, seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (chat_id, user_id) DO UPDATE SET name = ?3, username = ?4,
                 joined_at = ?5, real_messages = 0, seen_at = ?5, left_at = NULL",
        )?
        .execute(params![chat_id, user_id, name, username, at.0])?;
    Ok(())
}

/// Someone wrote: their name and username as they are now. Returns them as
/// they were before (`None`: never seen).
pub fn seen(
    ctx: &WriteCtx<'_>,
    chat_id: i64,
    user_id: i64,
    name: &str,
    username: Option<&str>,
) -> Result<Option<Member>, StoreError> {
    let before = member(ctx, chat_id, user_id)?;
    ctx.conn
        .prepare_cached(
            "INSERT INTO group_members (chat_id, user_id, name, username, seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (chat_id, user_id) DO UPDATE SET name = ?3, username = ?4, seen_at = ?5,
                 left_at = NULL",
        )?
        .execute(params![chat_id, user_id, name, username, ctx.now.0])?;
    Ok(before)
}

/// Someone left the group or was removed from it: no longer one of its
/// people (joining or writing there again makes them one).
pub fn left(ctx: &WriteCtx<'_>, chat_id: i64, user_id: i64) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE group_members SET left_at = ?3 WHERE chat_id = ?1 AND user_id = ?2",
        )?
        .execute(params![chat_id, user_id, ctx.now.0])?;
    Ok(())
}

/// The bot left the group: whoever was in it is no longer known to be
/// (those who write or join once it is back count again).
pub fn all_left(ctx: &WriteCtx<'_>, chat_id: i64) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE group_members SET left_at = ?2 WHERE chat_id = ?1 AND left_at IS NULL",
        )?
        .execute(params![chat_id, ctx.now.0])?;
    Ok(())
}

/// One more real message (towards lifting newcomer limits).
pub fn count_real(ctx: &WriteCtx<'_>, chat_id: i64, user_id: i64) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE group_members SET real_messages = real_messages + 1
             WHERE chat_id = ?1 AND user_id = ?2",
        )?
        .execute([chat_id, user_id])?;
    Ok(())
}

/// Staff vouched for them in these groups: no newcomer limits, no
/// look-alike flag.
pub fn trust(ctx: &WriteCtx<'_>, chats: &[i64], user_id: i64) -> Result<(), StoreError> {
    let mut stmt = ctx.conn.prepare_cached(
        "UPDATE group_members SET trusted = 1, banned_at = NULL WHERE chat_id = ?1 AND user_id = ?2",
    )?;
    for chat in chats {
        stmt.execute([*chat, user_id])?;
    }
    Ok(())
}

/// Banned from these groups.
pub fn ban(ctx: &WriteCtx<'_>, chats: &[i64], user_id: i64) -> Result<(), StoreError> {
    let mut stmt = ctx.conn.prepare_cached(
        "INSERT INTO group_members (chat_id, user_id, name, banned_at, seen_at)
         VALUES (?1, ?2, '', ?3, ?3)
         ON CONFLICT (chat_id, user_id) DO UPDATE SET banned_at = ?3, trusted = 0",
    )?;
    for chat in chats {
        stmt.execute(params![*chat, user_id, ctx.now.0])?;
    }
    Ok(())
}

/// The groups bound to the same organisation as `chat_id` (itself
/// included; only itself when unbound).
pub fn sibling_groups(db: &impl Db, chat_id: i64) -> Result<Vec<i64>, StoreError> {
    let mut chats: Vec<i64> = db
        .conn()
        .prepare_cached(
            "SELECT g.chat_id FROM groups g JOIN groups me ON me.chat_id = ?1
             WHERE g.organisation_id = me.organisation_id ORDER BY g.chat_id",
        )?
        .query_map([chat_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if !chats.contains(&chat_id) {
        chats.push(chat_id);
    }
    Ok(chats)
}

/// The organisation's own newcomer limits: (messages, hours), each
/// `None` for `[safety]`'s.
pub fn newcomer_limits(
    db: &impl Db,
    chat_id: i64,
) -> Result<(Option<u32>, Option<u32>), StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT o.newcomer_messages, o.newcomer_hours FROM groups g
             JOIN organisations o ON o.id = g.organisation_id WHERE g.chat_id = ?1",
        )?
        .query_row([chat_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((None, None)))
}

/// Sets an organisation's newcomer limits (`None`: `[safety]`'s).
pub fn set_newcomer_limits(
    ctx: &WriteCtx<'_>,
    organisation: i64,
    messages: Option<u32>,
    hours: Option<u32>,
) -> Result<bool, StoreError> {
    Ok(ctx
        .conn
        .prepare_cached(
            "UPDATE organisations SET newcomer_messages = ?2, newcomer_hours = ?3 WHERE id = ?1",
        )?
        .execute(params![organisation, messages, hours])?
        > 0)
}

/// Staff's names to protect from look-alikes: for each linked account,
/// (its agent's display name, the Telegram names and usernames it was
/// seen with).
pub fn staff_names(db: &impl Db) -> Result<Vec<(i64, String, Vec<String>)>, StoreError> {
    let rows: Vec<(i64, String)> = db
        .conn()
        .prepare_cached(
            "SELECT s.telegram_user_id, a.display_name FROM staff_links s
             JOIN agents a ON a.id = s.agent_id WHERE a.removed_at IS NULL
             ORDER BY s.telegram_user_id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    let mut seen = db.conn().prepare_cached(
        "SELECT DISTINCT name, coalesce(username, '') FROM group_members WHERE user_id = ?1 AND name <> ''",
    )?;
    for (user, display) in rows {
        let mut names = vec![display.clone()];
        for pair in seen.query_map([user], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })? {
            let (name, username) = pair?;
            names.push(name);
            if !username.is_empty() {
                names.push(username);
            }
        }
        names.sort();
        names.dedup();
        out.push((user, display, names));
    }
    Ok(out)
}

/// A message to hold.
#[derive(Debug, Clone)]
pub struct NewHeld<'a> {
    pub chat_id: i64,
    pub message_id: i64,
    pub thread_id: Option<i64>,
    pub reply_to: Option<i64>,
    pub author_id: i64,
    pub author_name: &'a str,
    pub author_username: Option<&'a str>,
    pub text: &'a str,
    pub reasons: &'a [HoldReason],
    pub sent_at: Timestamp,
}

/// Holds a message; `None` if it was held before (Telegram delivering it
/// again).
pub fn hold(ctx: &WriteCtx<'_>, h: &NewHeld<'_>) -> Result<Option<HeldId>, StoreError> {
    let reasons = serde_json::to_string(h.reasons)?;
    let added = ctx
        .conn
        .prepare_cached(
            "INSERT OR IGNORE INTO quarantine (chat_id, message_id, thread_id, reply_to, author_id,
                 author_name, author_username, text, reasons, sent_at, caught_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            h.chat_id,
            h.message_id,
            h.thread_id,
            h.reply_to,
            h.author_id,
            h.author_name,
            h.author_username,
            h.text,
            reasons,
            h.sent_at.0,
            ctx.now.0
        ])?
        > 0;
    Ok(added.then(|| HeldId(ctx.conn.last_insert_rowid())))
}

/// A held message as stored, with where it goes back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub wire: HeldMessage,
    pub thread_id: Option<i64>,
    pub reply_to: Option<i64>,
}

const HELD: &str = "SELECT q.id, q.chat_id, coalesce(g.title, ''), o.queue, q.message_id,
        q.author_id, q.author_name, q.author_username, q.text, q.reasons, q.sent_at, q.state,
        q.decided_by, q.decided_at, q.thread_id, q.reply_to
    FROM quarantine q LEFT JOIN groups g ON g.chat_id = q.chat_id
    LEFT JOIN organisations o ON o.id = g.organisation_id";

fn held_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Held> {
    let reasons: String = r.get(9)?;
    let state: String = r.get(11)?;
    Ok(Held {
        wire: HeldMessage {
            id: HeldId(r.get(0)?),
            chat_id: r.get(1)?,
            group_title: r.get(2)?,
            queue: r.get::<_, Option<String>>(3)?.map(QueueId),
            telegram_message_id: r.get(4)?,
            author_id: r.get(5)?,
            author_name: r.get(6)?,
            author_username: r.get(7)?,
            text: r.get(8)?,
            reasons: serde_json::from_str(&reasons).unwrap_or_default(),
            sent_at: Timestamp(r.get(10)?),
            state: HeldState::parse(&state).unwrap_or(HeldState::Held),
            decided_by: r.get::<_, Option<i64>>(12)?.map(AgentId),
            decided_at: r.get::<_, Option<i64>>(13)?.map(Timestamp),
        },
        thread_id: r.get(14)?,
        reply_to: r.get(15)?,
    })
}

pub fn held(db: &impl Db, id: HeldId) -> Result<Option<Held>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("{HELD} WHERE q.id = ?1"))?
        .query_row([id.0], held_row)
        .optional()?)
}

/// Messages still waiting for staff that `keep` accepts, oldest first, at
/// most `limit` (filtered before the cap).
pub fn waiting(
    db: &impl Db,
    limit: usize,
    mut keep: impl FnMut(&HeldMessage) -> bool,
) -> Result<Vec<HeldMessage>, StoreError> {
    let mut stmt = db
        .conn()
        .prepare_cached(&format!("{HELD} WHERE q.state = 'held' ORDER BY q.id"))?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while out.len() < limit
        && let Some(r) = rows.next()?
    {
        let h = held_row(r)?;
        if keep(&h.wire) {
            out.push(h.wire);
        }
    }
    Ok(out)
}

/// The held messages of an author in these groups that still wait.
pub fn waiting_of(db: &impl Db, author: i64, chats: &[i64]) -> Result<Vec<HeldId>, StoreError> {
    let mut stmt = db.conn().prepare_cached(
        "SELECT id FROM quarantine WHERE author_id = ?1 AND chat_id = ?2 AND state = 'held' ORDER BY id",
    )?;
    let mut out = Vec::new();
    for chat in chats {
        for id in stmt.query_map([author, *chat], |r| r.get(0))? {
            out.push(HeldId(id?));
        }
    }
    out.sort();
    Ok(out)
}

/// Records staff's decision on a held message; false if it was decided
/// already.
pub fn decide(
    ctx: &WriteCtx<'_>,
    id: HeldId,
    state: HeldState,
    agent: Option<AgentId>,
) -> Result<bool, StoreError> {
    Ok(ctx
        .conn
        .prepare_cached(
            "UPDATE quarantine SET state = ?2, decided_by = ?3, decided_at = ?4
             WHERE id = ?1 AND state = 'held'",
        )?
        .execute(params![id.0, state.as_str(), agent.map(|a| a.0), ctx.now.0])?
        > 0)
}

/// Keeps a staff verdict for the classifier.
pub fn add_verdict(
    ctx: &WriteCtx<'_>,
    author_id: i64,
    text: &str,
    spam: bool,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO spam_verdicts (author_id, text, spam, decided_at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![author_id, text, spam, ctx.now.0])?;
    Ok(())
}

/// Every staff verdict, oldest first: (text, spam).
pub fn verdicts(db: &impl Db) -> Result<Vec<(String, bool)>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT text, spam FROM spam_verdicts ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// Records a text's fingerprint in a group and returns in how many
/// different groups it was seen since `since` (this one included).
pub fn print_groups(
    ctx: &WriteCtx<'_>,
    print: i64,
    chat_id: i64,
    since: Timestamp,
) -> Result<u32, StoreError> {
    // What the window no longer needs goes as new prints come (a few at
    // a time: the table stays the size of one window's traffic).
    ctx.conn
        .prepare_cached(
            "DELETE FROM text_prints WHERE rowid IN (SELECT rowid FROM text_prints WHERE at < ?1 LIMIT 16)",
        )?
        .execute([since.0])?;
    ctx.conn
        .prepare_cached("INSERT INTO text_prints (print, chat_id, at) VALUES (?1, ?2, ?3)")?
        .execute(params![print, chat_id, ctx.now.0])?;
    Ok(ctx
        .conn
        .prepare_cached(
            "SELECT count(DISTINCT chat_id) FROM text_prints WHERE print = ?1 AND at >= ?2",
        )?
        .query_row(params![print, since.0], |r| r.get(0))?)
}

/// The held message that is this Telegram message, if any.
pub fn held_id_of(
    db: &impl Db,
    chat_id: i64,
    message_id: i64,
) -> Result<Option<HeldId>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT id FROM quarantine WHERE chat_id = ?1 AND message_id = ?2")?
        .query_row([chat_id, message_id], |r| r.get(0))
        .optional()?
        .map(HeldId))
}

/// Whether this Telegram user has talked to the bot in private (the bot
/// may write to them) and has not blocked it.
pub fn has_private_chat(db: &impl Db, user_id: i64) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT 1 FROM customers WHERE telegram_user_id = ?1 AND blocked = 0")?
        .query_row([user_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Whether a held-message notice was queued for this group since `since`.
pub fn notice_since(db: &impl Db, chat_id: i64, since: Timestamp) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT 1 FROM moderation WHERE action = 'notice' AND chat_id = ?1 AND created_at >= ?2 LIMIT 1",
        )?
        .query_row(params![chat_id, since.0], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Queues a short notice in a group (in `thread_id`), removed again
/// `lifetime` after it is posted.
pub fn notice(
    ctx: &mut WriteCtx<'_>,
    chat_id: i64,
    thread_id: Option<i64>,
    text: &str,
    lifetime: std::time::Duration,
) -> Result<(), StoreError> {
    queue(
        ctx,
        chat_id,
        ModAction::Notice,
        &Call {
            thread_id,
            text: Some(text),
            lifetime: Some(lifetime),
            ..Call::default()
        },
        ctx.now,
    )
}

/// A moderation call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModAction {
    /// Delete a message.
    Delete,
    /// Ban a member (removed, cannot come back).
    Ban,
    /// Remove a member who may come back (ban, then unban).
    Kick,
    /// Take a member's right to write (until `until`, or for good).
    Restrict,
    /// Give a member back the right to write.
    Lift,
    /// Post a short notice, and delete it after its lifetime.
    Notice,
    /// Approve a join request.
    Approve,
    /// Decline a join request.
    Decline,
    /// Post a captcha (its text and buttons); its message id is kept.
    Captcha,
    /// A captcha's time is up: no call, the rules decide what follows.
    Expire,
    /// Post (or edit) and pin the group's list of official accounts.
    Official,
    /// Pin a message the bot posted.
    Pin,
}

const ACTIONS: [ModAction; 12] = [
    ModAction::Delete,
    ModAction::Ban,
    ModAction::Kick,
    ModAction::Restrict,
    ModAction::Lift,
    ModAction::Notice,
    ModAction::Approve,
    ModAction::Decline,
    ModAction::Captcha,
    ModAction::Expire,
    ModAction::Official,
    ModAction::Pin,
];

impl ModAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ModAction::Delete => "delete",
            ModAction::Ban => "ban",
            ModAction::Kick => "kick",
            ModAction::Restrict => "restrict",
            ModAction::Lift => "lift",
            ModAction::Notice => "notice",
            ModAction::Approve => "approve",
            ModAction::Decline => "decline",
            ModAction::Captcha => "captcha",
            ModAction::Expire => "expire",
            ModAction::Official => "official",
            ModAction::Pin => "pin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ACTIONS.into_iter().find(|v| v.as_str() == s)
    }
}

/// What a moderation call carries beyond its chat and action.
#[derive(Debug, Clone, Default)]
pub struct Call<'a> {
    pub user_id: Option<i64>,
    pub message_id: Option<i64>,
    pub thread_id: Option<i64>,
    pub text: Option<&'a str>,
    pub markup: Option<&'a str>,
    pub lifetime: Option<std::time::Duration>,
    pub until: Option<Timestamp>,
    pub captcha_id: Option<i64>,
}

/// Whether a call is a post: it goes through the outbox (paced with the
/// chat's other sends), not the moderator.
fn is_post(action: ModAction, c: &Call<'_>) -> bool {
    match action {
        ModAction::Notice | ModAction::Captcha => true,
        ModAction::Official => c.message_id.is_none(),
        _ => false,
    }
}

/// Queues a moderation call, due at `due`. A post (a notice, a captcha,
/// a new list of official accounts) goes into the outbox at once.
pub fn queue(
    ctx: &mut WriteCtx<'_>,
    chat_id: i64,
    action: ModAction,
    c: &Call<'_>,
    due: Timestamp,
) -> Result<(), StoreError> {
    let post = is_post(action, c);
    ctx.conn
        .prepare_cached(
            "INSERT INTO moderation (chat_id, action, user_id, message_id, thread_id, text, markup,
                 lifetime_ms, until, captcha_id, due_at, created_at, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                     CASE WHEN ?13 THEN 'outbox' ELSE 'pending' END)",
        )?
        .execute(params![
            chat_id,
            action.as_str(),
            c.user_id,
            c.message_id,
            c.thread_id,
            c.text,
            c.markup,
            c.lifetime.map(|l| l.as_millis() as i64),
            c.until.map(|u| u.0),
            c.captcha_id,
            due.0,
            ctx.now.0,
            post
        ])?;
    if post {
        let call = ctx.conn.last_insert_rowid();
        ctx.conn
            .prepare_cached(
                "INSERT INTO outbox (chat_id, text, markup, thread_id, safety_call, next_attempt_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                chat_id,
                c.text.unwrap_or_default(),
                c.markup,
                c.thread_id,
                call,
                due.0,
                ctx.now.0
            ])?;
        ctx.outbox_queued = true;
    } else {
        ctx.moderation_queued = true;
    }
    Ok(())
}

/// A call by its id (a post the outbox delivered).
pub fn call(db: &impl Db, id: i64) -> Result<Option<ModJob>, StoreError> {
    let row = db
        .conn()
        .prepare_cached(
            "SELECT id, chat_id, action, user_id, message_id, thread_id, text, lifetime_ms, attempts,
                    markup, until, captcha_id FROM moderation WHERE id = ?1",
        )?
        .query_row([id], job_row)
        .optional()?;
    Ok(row.flatten())
}

/// Queues a call about a member or a message, due at `due`.
pub fn moderate(
    ctx: &mut WriteCtx<'_>,
    chat_id: i64,
    action: ModAction,
    user_id: Option<i64>,
    message_id: Option<i64>,
    due: Timestamp,
) -> Result<(), StoreError> {
    queue(
        ctx,
        chat_id,
        action,
        &Call {
            user_id,
            message_id,
            ..Call::default()
        },
        due,
    )
}

/// A moderation call due now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModJob {
    pub id: i64,
    pub chat_id: i64,
    pub action: ModAction,
    pub user_id: Option<i64>,
    pub message_id: Option<i64>,
    pub thread_id: Option<i64>,
    pub text: Option<String>,
    pub markup: Option<String>,
    pub lifetime: Option<std::time::Duration>,
    pub until: Option<Timestamp>,
    pub captcha_id: Option<i64>,
    pub attempts: u32,
}

/// Calls due at `now`, oldest first.
pub fn moderation_due(
    db: &impl Db,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<ModJob>, StoreError> {
    let jobs = db
        .conn()
        .prepare_cached(
            "SELECT id, chat_id, action, user_id, message_id, thread_id, text, lifetime_ms, attempts,
                    markup, until, captcha_id
             FROM moderation WHERE state = 'pending' AND due_at <= ?1 ORDER BY due_at, id LIMIT ?2",
        )?
        .query_map(params![now.0, limit as i64], job_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(jobs.into_iter().flatten().collect())
}

/// A call as read (`None`: an action this build does not know).
fn job_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<ModJob>> {
    let action: String = r.get(2)?;
    let Some(action) = ModAction::parse(&action) else {
        return Ok(None);
    };
    Ok(Some(ModJob {
        id: r.get(0)?,
        chat_id: r.get(1)?,
        action,
        user_id: r.get(3)?,
        message_id: r.get(4)?,
        thread_id: r.get(5)?,
        text: r.get(6)?,
        lifetime: r
            .get::<_, Option<i64>>(7)?
            .map(|ms| std::time::Duration::from_millis(ms.max(0) as u64)),
        attempts: r.get(8)?,
        markup: r.get(9)?,
        until: r.get::<_, Option<i64>>(10)?.map(Timestamp),
        captcha_id: r.get(11)?,
    }))
}

/// When the next waiting call is due (after `now`).
pub fn moderation_next(db: &impl Db, now: Timestamp) -> Result<Option<Timestamp>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT min(due_at) FROM moderation WHERE state = 'pending' AND due_at > ?1",
        )?
        .query_row([now.0], |r| r.get::<_, Option<i64>>(0))?
        .map(Timestamp))
}

/// A call's outcome: done, failed for good (with Telegram's reason), or
/// to try again at `retry`.
pub fn moderation_outcome(
    ctx: &WriteCtx<'_>,
    id: i64,
    outcome: Result<(), (String, Option<Timestamp>)>,
) -> Result<(), StoreError> {
    let (state, error, due) = match &outcome {
        Ok(()) => ("done", None, None),
        Err((why, None)) => ("failed", Some(why.as_str()), None),
        Err((why, Some(at))) => ("pending", Some(why.as_str()), Some(at.0)),
    };
    ctx.conn
        .prepare_cached(
            "UPDATE moderation SET state = ?2, error = ?3, attempts = attempts + 1,
                 due_at = coalesce(?4, due_at), done_at = CASE WHEN ?2 = 'pending' THEN NULL ELSE ?5 END
             WHERE id = ?1",
        )?
        .execute(params![id, state, error, due, ctx.now.0])?;
    Ok(())
}

/// Whether a call for this group failed for lack of rights since `since`
/// (staff were told then).
pub fn rights_failure_since(
    db: &impl Db,
    chat_id: i64,
    since: Timestamp,
) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT 1 FROM moderation WHERE chat_id = ?1 AND state = 'failed' AND done_at >= ?2
               AND error LIKE '%rights%' LIMIT 1",
        )?
        .query_row(params![chat_id, since.0], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The calls in each state: (pending, failed) — for `/healthz` and tests.
pub fn moderation_counts(db: &impl Db) -> Result<(u64, u64), StoreError> {
    Ok(db.conn().prepare_cached(
        "SELECT coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'failed'), 0) FROM moderation",
    )?
    .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// A captcha set at a group's door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captcha {
    pub id: i64,
    pub chat_id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub lang: String,
    /// Answered in private (a join request), else in the group.
    pub request: bool,
    pub answer: u8,
    pub message_id: Option<i64>,
    pub deadline: Timestamp,
    pub state: String,
}

/// A captcha to set.
#[derive(Debug, Clone)]
pub struct NewCaptcha<'a> {
    pub chat_id: i64,
    pub user_id: i64,
    pub user_name: &'a str,
    pub lang: &'a str,
    pub request: bool,
    pub answer: u8,
    pub deadline: Timestamp,
}

pub fn add_captcha(ctx: &WriteCtx<'_>, c: &NewCaptcha<'_>) -> Result<i64, StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO captchas (chat_id, user_id, user_name, lang, kind, answer, deadline, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            c.chat_id,
            c.user_id,
            c.user_name,
            c.lang,
            if c.request { "request" } else { "member" },
            c.answer,
            c.deadline.0,
            ctx.now.0
        ])?;
    Ok(ctx.conn.last_insert_rowid())
}

const CAPTCHA: &str = "SELECT id, chat_id, user_id, user_name, lang, kind, answer, message_id,
        deadline, state FROM captchas";

fn captcha_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Captcha> {
    Ok(Captcha {
        id: r.get(0)?,
        chat_id: r.get(1)?,
        user_id: r.get(2)?,
        user_name: r.get(3)?,
        lang: r.get(4)?,
        request: r.get::<_, String>(5)? == "request",
        answer: r.get(6)?,
        message_id: r.get(7)?,
        deadline: Timestamp(r.get(8)?),
        state: r.get(9)?,
    })
}

pub fn captcha(db: &impl Db, id: i64) -> Result<Option<Captcha>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("{CAPTCHA} WHERE id = ?1"))?
        .query_row([id], captcha_row)
        .optional()?)
}

/// The captcha waiting for this person at this group's door.
pub fn waiting_captcha(
    db: &impl Db,
    chat_id: i64,
    user_id: i64,
) -> Result<Option<Captcha>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!(
            "{CAPTCHA} WHERE chat_id = ?1 AND user_id = ?2 AND state = 'waiting' ORDER BY id DESC LIMIT 1"
        ))?
        .query_row([chat_id, user_id], captcha_row)
        .optional()?)
}

/// Whether this person passed a captcha of this group since `since`.
pub fn captcha_passed_since(
    db: &impl Db,
    chat_id: i64,
    user_id: i64,
    since: Timestamp,
) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT 1 FROM captchas WHERE chat_id = ?1 AND user_id = ?2 AND state = 'passed'
               AND decided_at >= ?3 LIMIT 1",
        )?
        .query_row(params![chat_id, user_id, since.0], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The captcha's message was posted.
pub fn captcha_posted(ctx: &WriteCtx<'_>, id: i64, message_id: i64) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE captchas SET message_id = ?2 WHERE id = ?1")?
        .execute([id, message_id])?;
    Ok(())
}

/// Settles a waiting captcha (`passed`, `failed`, `expired`); false when
/// it was settled already.
pub fn settle_captcha(ctx: &WriteCtx<'_>, id: i64, state: &str) -> Result<bool, StoreError> {
    Ok(ctx
        .conn
        .prepare_cached(
            "UPDATE captchas SET state = ?2, decided_at = ?3 WHERE id = ?1 AND state = 'waiting'",
        )?
        .execute(params![id, state, ctx.now.0])?
        > 0)
}

/// The organisation's captcha mode for a group (`None`: `[safety]`'s).
pub fn captcha_mode(db: &impl Db, chat_id: i64) -> Result<Option<String>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT o.captcha FROM groups g JOIN organisations o ON o.id = g.organisation_id
             WHERE g.chat_id = ?1",
        )?
        .query_row([chat_id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

pub fn set_captcha_mode(
    ctx: &WriteCtx<'_>,
    organisation: i64,
    mode: Option<&str>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE organisations SET captcha = ?2 WHERE id = ?1")?
        .execute(params![organisation, mode])?;
    Ok(())
}

/// Adds a captcha question to an organisation: `answers[0]` is right.
pub fn add_question(
    ctx: &WriteCtx<'_>,
    organisation: i64,
    question: &str,
    answers: &[String],
) -> Result<i64, StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO captcha_questions (organisation_id, question, answers) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![organisation, question, serde_json::to_string(answers)?])?;
    Ok(ctx.conn.last_insert_rowid())
}

/// An organisation's questions: (id, question, answers, the first right).
pub fn questions(
    db: &impl Db,
    organisation: i64,
) -> Result<Vec<(i64, String, Vec<String>)>, StoreError> {
    let rows: Vec<(i64, String, String)> = db
        .conn()
        .prepare_cached(
            "SELECT id, question, answers FROM captcha_questions WHERE organisation_id = ?1 ORDER BY id",
        )?
        .query_map([organisation], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(id, q, a)| Ok((id, q, serde_json::from_str(&a)?)))
        .collect()
}

/// The questions of the organisation a group is bound to.
pub fn group_questions(
    db: &impl Db,
    chat_id: i64,
) -> Result<Vec<(i64, String, Vec<String>)>, StoreError> {
    let org: Option<i64> = db
        .conn()
        .prepare_cached("SELECT organisation_id FROM groups WHERE chat_id = ?1")?
        .query_row([chat_id], |r| r.get(0))
        .optional()?
        .flatten();
    match org {
        Some(o) => questions(db, o),
        None => Ok(Vec::new()),
    }
}

/// Removes an organisation's questions; returns how many.
pub fn clear_questions(ctx: &WriteCtx<'_>, organisation: i64) -> Result<usize, StoreError> {
    Ok(ctx
        .conn
        .prepare_cached("DELETE FROM captcha_questions WHERE organisation_id = ?1")?
        .execute([organisation])?)
}

/// How many people joined a group since `since` (while the bot watched).
pub fn joins_since(db: &impl Db, chat_id: i64, since: Timestamp) -> Result<u32, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT count(*) FROM group_members WHERE chat_id = ?1 AND joined_at >= ?2",
        )?
        .query_row(params![chat_id, since.0], |r| r.get(0))?)
}

/// Until when a group is under raid protection (`None`: it is not).
pub fn raid_until(db: &impl Db, chat_id: i64) -> Result<Option<Timestamp>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT raid_until FROM groups WHERE chat_id = ?1")?
        .query_row([chat_id], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten()
        .map(Timestamp))
}

pub fn set_raid_until(
    ctx: &WriteCtx<'_>,
    chat_id: i64,
    until: Option<Timestamp>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE groups SET raid_until = ?2 WHERE chat_id = ?1")?
        .execute(params![chat_id, until.map(|u| u.0)])?;
    Ok(())
}

/// The group's pinned list of official accounts: (message id, its text).
pub fn official(db: &impl Db, chat_id: i64) -> Result<(Option<i64>, Option<String>), StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT official_message, official_text FROM groups WHERE chat_id = ?1")?
        .query_row([chat_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((None, None)))
}

pub fn set_official(
    ctx: &WriteCtx<'_>,
    chat_id: i64,
    message_id: Option<i64>,
    text: Option<&str>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE groups SET official_message = coalesce(?2, official_message),
                 official_text = coalesce(?3, official_text) WHERE chat_id = ?1",
        )?
        .execute(params![chat_id, message_id, text])?;
    Ok(())
}

/// Who joined a group since `since`, owes no captcha and is not banned.
pub fn joined_since_free(
    db: &impl Db,
    chat_id: i64,
    since: Timestamp,
) -> Result<Vec<i64>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT m.user_id FROM group_members m WHERE m.chat_id = ?1 AND m.joined_at >= ?2
               AND m.banned_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM captchas c WHERE c.chat_id = m.chat_id
                                 AND c.user_id = m.user_id AND c.state IN ('waiting', 'expired', 'failed'))
             ORDER BY m.user_id",
        )?
        .query_map(params![chat_id, since.0], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Linked staff accounts' Telegram names and usernames as groups saw
/// them: (telegram user id, name, username), the latest seen first.
pub fn staff_accounts(db: &impl Db) -> Result<Vec<(i64, String, String)>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT s.telegram_user_id,
                    coalesce((SELECT name FROM group_members WHERE user_id = s.telegram_user_id AND name <> ''
                              ORDER BY seen_at DESC LIMIT 1), a.display_name),
                    coalesce((SELECT username FROM group_members WHERE user_id = s.telegram_user_id
                              AND username IS NOT NULL ORDER BY seen_at DESC LIMIT 1), '')
             FROM staff_links s JOIN agents a ON a.id = s.agent_id WHERE a.removed_at IS NULL
             ORDER BY 2",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?)
}

/// Bound groups where the bot is an administrator.
pub fn admin_groups(db: &impl Db) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT g.chat_id, coalesce(o.language, 'en') FROM groups g
             JOIN organisations o ON o.id = g.organisation_id
             WHERE g.bot_status = 'administrator' ORDER BY g.chat_id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// One group's safety counts since a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCounts {
    pub chat_id: i64,
    pub title: String,
    pub organisation: Option<(i64, String)>,
    pub queue: Option<String>,
    /// Client-side messages filed (approved ones included).
    pub filed: u64,
    pub held: u64,
    pub approved: u64,
    pub banned: u64,
    pub waiting: u64,
}

/// Every group's counts since `since` (groups with none left out).
pub fn counts_since(db: &impl Db, since: Timestamp) -> Result<Vec<GroupCounts>, StoreError> {
    counts_between(db, since, Timestamp(i64::MAX))
}

/// Every group's counts from `since` until before `until` (groups with
/// none left out).
pub fn counts_between(
    db: &impl Db,
    since: Timestamp,
    until: Timestamp,
) -> Result<Vec<GroupCounts>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT g.chat_id, g.title, o.id, o.name, o.queue,
                    (SELECT count(*) FROM group_messages m WHERE m.chat_id = g.chat_id
                       AND m.side = 'customer' AND m.sent_at >= ?1 AND m.sent_at < ?2),
                    coalesce(q.held, 0), coalesce(q.approved, 0), coalesce(q.banned, 0),
                    coalesce(q.waiting, 0)
             FROM groups g LEFT JOIN organisations o ON o.id = g.organisation_id
             LEFT JOIN (SELECT chat_id, count(*) AS held, sum(state = 'approved') AS approved,
                               sum(state = 'banned') AS banned, sum(state = 'held') AS waiting
                        FROM quarantine WHERE caught_at >= ?1 AND caught_at < ?2 GROUP BY chat_id) q
               ON q.chat_id = g.chat_id
             ORDER BY g.title, g.chat_id",
        )?
        .query_map([since.0, until.0], |r| {
            let org: Option<i64> = r.get(2)?;
            Ok(GroupCounts {
                chat_id: r.get(0)?,
                title: r.get(1)?,
                organisation: match org {
                    Some(id) => Some((id, r.get(3)?)),
                    None => None,
                },
                queue: r.get(4)?,
                filed: r.get(5)?,
                held: r.get(6)?,
                approved: r.get(7)?,
                banned: r.get(8)?,
                waiting: r.get(9)?,
            })
        })?
        .filter(|c| c.as_ref().map_or(true, |c| c.filed + c.held > 0))
        .collect::<Result<_, _>>()?)
}
