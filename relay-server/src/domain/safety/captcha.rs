//! The captcha at a group's door (docs/groups.md, "Safety").
//!
//! - **A join request** (the group approves new members): the bot writes
//!   to the applicant in private (Telegram allows it for a few minutes
//!   after the request) with a button, a sum, or one of the
//!   organisation's questions. The right button approves the request; a
//!   wrong one, or no answer within `[safety] captcha_timeout`, declines
//!   it, and the applicant is told why.
//! - **A newcomer** (no join requests): they are restricted at once and
//!   the bot asks them in the group to press a button; pressing it gives
//!   them back the right to write (unless a raid is on), no press within
//!   the timeout removes them (they may join again). The bot's question
//!   is removed either way.

use crate::domain::DomainError;
use crate::domain::buttons::{Button, Choice, Keyboard};
use crate::domain::desk::Desk;
use crate::domain::i18n::{self, Lang};
use crate::domain::outbox::to_chat;
use crate::domain::spam::CaptchaMode as Mode;
use crate::store::WriteCtx;
use crate::store::safety::{self as rows, Call, ModAction, NewCaptcha};

/// The group's mode: its organisation's, else `[safety] captcha`.
fn mode(ctx: &WriteCtx<'_>, desk: &Desk, chat_id: i64) -> Result<Mode, DomainError> {
    if !super::applies(ctx, &desk.safety, chat_id)? {
        return Ok(Mode::Off);
    }
    Ok(rows::captcha_mode(ctx, chat_id)?
        .and_then(|m| Mode::parse(&m))
        .unwrap_or(desk.safety.captcha))
}

/// A random number below `n` (n ≥ 1).
fn below(n: u32) -> Result<u32, DomainError> {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).map_err(|e| {
        DomainError::new(shared::ErrorCode::Internal, format!("no randomness: {e}"))
    })?;
    Ok(u32::from_le_bytes(b) % n.max(1))
}

/// `answers` shuffled; returns them with where the first (the right one)
/// went.
fn shuffle(mut answers: Vec<String>) -> Result<(Vec<String>, u8), DomainError> {
    let right = answers[0].clone();
    for i in (1..answers.len()).rev() {
        let j = below(i as u32 + 1)? as usize;
        answers.swap(i, j);
    }
    let at = answers.iter().position(|a| *a == right).unwrap_or(0) as u8;
    Ok((answers, at))
}

/// A challenge: its question and its buttons (the right one's index).
fn challenge(
    ctx: &WriteCtx<'_>,
    mode: Mode,
    lang: Lang,
    chat_id: i64,
) -> Result<(String, Vec<String>, u8), DomainError> {
    if mode == Mode::Questions {
        let set = rows::group_questions(ctx, chat_id)?;
        if !set.is_empty() {
            let (_, q, answers) = &set[below(set.len() as u32)? as usize];
            let (answers, right) = shuffle(answers.clone())?;
            return Ok((q.clone(), answers, right));
        }
    }
    if mode == Mode::Button {
        return Ok((
            String::new(),
            vec![i18n::text(lang, "captcha.button", &[])],
            0,
        ));
    }
    let (a, b) = (below(9)? + 1, below(9)? + 1);
    let sum = a + b;
    let mut answers = vec![sum.to_string()];
    for d in [1i64, -1, 2, 10] {
        let wrong = i64::from(sum) + d;
        if answers.len() < 4 && wrong > 0 {
            answers.push(wrong.to_string());
        }
    }
    let (answers, right) = shuffle(answers)?;
    let q = i18n::text(
        lang,
        "captcha.sum",
        &[("a", &a.to_string()), ("b", &b.to_string())],
    );
    Ok((q, answers, right))
}

fn minutes(desk: &Desk) -> String {
    desk.safety
        .captcha_timeout
        .as_secs()
        .div_ceil(60)
        .to_string()
}

/// Sets the captcha, posts it, and queues its expiry.
#[allow(clippy::too_many_arguments)]
fn set(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    chat_id: i64,
    title: &str,
    user: i64,
    name: &str,
    lang: Lang,
    request: bool,
    mode: Mode,
) -> Result<i64, DomainError> {
    let (question, answers, right) = challenge(ctx, mode, lang, chat_id)?;
    let deadline = ctx.now + desk.safety.captcha_timeout;
    let id = rows::add_captcha(
        ctx,
        &NewCaptcha {
            chat_id,
            user_id: user,
            user_name: name,
            lang: lang.code(),
            request,
            answer: right,
            deadline,
        },
    )?;
    let buttons: Vec<Button> = answers
        .into_iter()
        .enumerate()
        .map(|(i, a)| Button::new(a, Choice::Captcha { id, pick: i as u8 }))
        .collect();
    let keyboard = if buttons.len() > 2 {
        Keyboard::pairs(buttons)
    } else {
        Keyboard::column(buttons)
    };
    let mins = minutes(desk);
    let text = match (request, question.is_empty()) {
        (true, true) => i18n::text(
            lang,
            "captcha.request_button",
            &[("group", title), ("minutes", &mins)],
        ),
        (true, false) => i18n::text(
            lang,
            "captcha.request_question",
            &[
                ("group", title),
                ("minutes", &mins),
                ("question", &question),
            ],
        ),
        (false, _) => i18n::text(
            lang,
            "captcha.welcome",
            &[("name", name), ("minutes", &mins)],
        ),
    };
    let markup = keyboard.encode();
    // A request is answered in the applicant's private chat.
    let post_to = if request { user } else { chat_id };
    rows::queue(
        ctx,
        post_to,
        ModAction::Captcha,
        &Call {
            text: Some(&text),
            markup: Some(&markup),
            captcha_id: Some(id),
            ..Call::default()
        },
        ctx.now,
    )?;
    rows::queue(
        ctx,
        chat_id,
        ModAction::Expire,
        &Call {
            captcha_id: Some(id),
            ..Call::default()
        },
        deadline,
    )?;
    Ok(id)
}

/// Someone asked to join a group that approves new members. `false`: no
/// captcha here (the request waits for the group's admins).
pub fn join_request(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    chat_id: i64,
    title: &str,
    user: i64,
    name: &str,
    lang: Option<&str>,
) -> Result<bool, DomainError> {
    let mode = mode(ctx, desk, chat_id)?;
    if mode == Mode::Off || rows::waiting_captcha(ctx, chat_id, user)?.is_some() {
        return Ok(false);
    }
    set(
        ctx,
        desk,
        chat_id,
        title,
        user,
        name,
        Lang::from_code(lang),
        true,
        mode,
    )?;
    Ok(true)
}

/// A newcomer joined a group without join requests: restricted, and asked
/// to press the button in the group. `false`: no captcha here.
pub fn newcomer(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    chat_id: i64,
    title: &str,
    user: i64,
    name: &str,
    lang: Option<&str>,
) -> Result<bool, DomainError> {
    let mode = mode(ctx, desk, chat_id)?;
    if mode == Mode::Off {
        return Ok(false);
    }
    // Approved through a join request a moment ago: checked already.
    if rows::captcha_passed_since(
        ctx,
        chat_id,
        user,
        ctx.now - desk.safety.captcha_timeout * 2,
    )? {
        return Ok(false);
    }
    if rows::waiting_captcha(ctx, chat_id, user)?.is_some() {
        return Ok(false);
    }
    rows::moderate(ctx, chat_id, ModAction::Restrict, Some(user), None, ctx.now)?;
    set(
        ctx,
        desk,
        chat_id,
        title,
        user,
        name,
        Lang::from_code(lang),
        false,
        Mode::Button,
    )?;
    Ok(true)
}

/// The captcha's message was posted (its id, to remove it later).
pub fn posted(ctx: &mut WriteCtx<'_>, captcha: i64, message_id: i64) -> Result<(), DomainError> {
    rows::captcha_posted(ctx, captcha, message_id)?;
    // Settled before the post went out (a very quick press, or expiry):
    // the question goes.
    if let Some(c) = rows::captcha(ctx, captcha)?
        && c.state != "waiting"
    {
        remove_question(ctx, &c)?;
    }
    Ok(())
}

fn remove_question(ctx: &mut WriteCtx<'_>, c: &rows::Captcha) -> Result<(), DomainError> {
    if let Some(m) = c.message_id {
        let chat = if c.request { c.user_id } else { c.chat_id };
        rows::moderate(ctx, chat, ModAction::Delete, None, Some(m), ctx.now)?;
    }
    Ok(())
}

fn title(ctx: &WriteCtx<'_>, chat_id: i64) -> Result<String, DomainError> {
    Ok(crate::store::groups::group(ctx, chat_id)?.map_or_else(|| chat_id.to_string(), |g| g.title))
}

/// Approves or declines a join request, and tells the applicant why
/// (`key`), in their language, in private.
fn answer_request(
    ctx: &mut WriteCtx<'_>,
    c: &rows::Captcha,
    action: ModAction,
    key: &str,
) -> Result<(), DomainError> {
    rows::moderate(ctx, c.chat_id, action, Some(c.user_id), None, ctx.now)?;
    let group = title(ctx, c.chat_id)?;
    let text = i18n::text(Lang::from_code(Some(&c.lang)), key, &[("group", &group)]);
    to_chat(ctx, c.user_id, &text, None)?;
    Ok(())
}

/// A press on a captcha's button by `presser`. Someone else's press, or
/// one on a settled captcha, changes nothing.
pub fn press(
    ctx: &mut WriteCtx<'_>,
    presser: i64,
    captcha: i64,
    pick: u8,
) -> Result<(), DomainError> {
    let Some(c) = rows::captcha(ctx, captcha)? else {
        return Ok(());
    };
    if c.state != "waiting" || c.user_id != presser {
        return Ok(());
    }
    let right = pick == c.answer;
    rows::settle_captcha(ctx, c.id, if right { "passed" } else { "failed" })?;
    remove_question(ctx, &c)?;
    match (c.request, right) {
        (true, true) => answer_request(ctx, &c, ModAction::Approve, "captcha.passed")?,
        (true, false) => answer_request(ctx, &c, ModAction::Decline, "captcha.failed")?,
        (false, _) => {
            // In the group the only button is the right one. Under a raid
            // the restriction stays until the raid protection ends.
            match rows::raid_until(ctx, c.chat_id)?.filter(|u| *u > ctx.now) {
                Some(until) => super::raid::restrict(ctx, c.chat_id, c.user_id, until)?,
                None => {
                    rows::moderate(
                        ctx,
                        c.chat_id,
                        ModAction::Lift,
                        Some(c.user_id),
                        None,
                        ctx.now,
                    )?;
                }
            }
        }
    }
    tracing::info!(
        chat = c.chat_id,
        user = c.user_id,
        passed = right,
        "safety: a captcha was answered"
    );
    Ok(())
}

/// A captcha's time is up: a request is declined (and the applicant
/// told), a newcomer removed (they may join again).
pub fn expire(ctx: &mut WriteCtx<'_>, captcha: i64) -> Result<(), DomainError> {
    let Some(c) = rows::captcha(ctx, captcha)? else {
        return Ok(());
    };
    if !rows::settle_captcha(ctx, c.id, "expired")? {
        return Ok(());
    }
    remove_question(ctx, &c)?;
    if c.request {
        answer_request(ctx, &c, ModAction::Decline, "captcha.expired")?;
    } else {
        rows::moderate(
            ctx,
            c.chat_id,
            ModAction::Kick,
            Some(c.user_id),
            None,
            ctx.now,
        )?;
    }
    tracing::info!(
        chat = c.chat_id,
        user = c.user_id,
        "safety: a captcha ran out of time"
    );
    Ok(())
}
