//! Organisations and binding their groups; linking an agent's Telegram
//! account (docs/groups.md). Checked against the desk's configuration:
//! the queue and calendar must exist.

use std::time::Duration;

use shared::{AgentId, QueueId};

use crate::domain::DomainError;
use crate::domain::desk::Desk;
use crate::domain::i18n::Lang;
use crate::store::groups::{self as rows, Organisation};
use crate::store::{WriteCtx, agents};

/// What an organisation is made of.
#[derive(Debug, Clone)]
pub struct NewOrganisation {
    pub name: String,
    pub vip: bool,
    pub queue: String,
    pub calendar: String,
    pub reply_sla: Duration,
    pub language: String,
}

pub fn add(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    o: &NewOrganisation,
) -> Result<Organisation, DomainError> {
    let name = o.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(DomainError::invalid(
            "an organisation's name is 1-64 characters",
        ));
    }
    if rows::organisation_named(ctx, name)?.is_some() {
        return Err(DomainError::invalid(format!(
            "organisation {name:?} exists already"
        )));
    }
    if desk.queues.get(&QueueId::new(&o.queue)).is_none() {
        return Err(DomainError::invalid(format!(
            "queue {:?} is not configured",
            o.queue
        )));
    }
    if !o.calendar.is_empty() && !desk.queues.has_calendar(&o.calendar) {
        return Err(DomainError::invalid(format!(
            "no calendar {:?} under [calendars]",
            o.calendar
        )));
    }
    if !Lang::ALL.iter().any(|l| l.code() == o.language) {
        return Err(DomainError::invalid(format!(
            "language {:?}: one of en, uk, ru, zh",
            o.language
        )));
    }
    if o.reply_sla < Duration::from_secs(60) {
        return Err(DomainError::invalid(
            "the group-reply SLA is at least a minute",
        ));
    }
    let mut org = Organisation {
        id: 0,
        name: name.to_owned(),
        vip: o.vip,
        queue: o.queue.clone(),
        calendar: o.calendar.clone(),
        reply_sla_ms: o.reply_sla.as_millis() as i64,
        language: o.language.clone(),
        app_shared: false,
    };
    org.id = rows::add_organisation(ctx, &org)?;
    super::publish::organisation(ctx, org.id)?;
    Ok(org)
}

/// Binds the group to the organisation named (`None`: unbinds it). What
/// was already waiting gets its due time from the organisation's SLA,
/// counted from when it started waiting (unbound: no due time).
pub fn bind(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    chat_id: i64,
    organisation: Option<&str>,
) -> Result<(), DomainError> {
    let org = match organisation {
        Some(name) => Some(
            rows::organisation_named(ctx, name)?
                .ok_or_else(|| DomainError::not_found(format!("no organisation {name:?}")))?
                .id,
        ),
        None => None,
    };
    let from_queue = crate::store::group_view::group(ctx, chat_id)?.and_then(|g| g.queue);
    if !rows::bind(ctx, chat_id, org)? {
        return Err(DomainError::not_found(format!(
            "the bot is not in group {chat_id} (add it to the group first; `relay-server group list` shows where it is)"
        )));
    }
    super::intake::rearm(ctx, desk, chat_id)?;
    super::publish::bound(ctx, chat_id, from_queue)?;
    for c in rows::owed_in(ctx, chat_id)? {
        super::publish::conversation(ctx, c.id)?;
    }
    crate::domain::safety::official::refresh(ctx)?;
    Ok(())
}

/// A per-group override: in this group, this person counts as staff (a
/// client's own admin answering for the team, say) or as the client's side
/// (an engineer asking as a user). False when the bot is not in the group.
pub fn set_side(
    ctx: &mut WriteCtx<'_>,
    chat_id: i64,
    telegram_user_id: i64,
    staff: bool,
) -> Result<(), DomainError> {
    if rows::group(ctx, chat_id)?.is_none() {
        return Err(DomainError::not_found(format!(
            "the bot is not in group {chat_id}"
        )));
    }
    rows::set_person(ctx, chat_id, telegram_user_id, staff)?;
    Ok(())
}

/// Links an agent's Telegram account: their messages in customer groups
/// are staff's, and answer customers.
pub fn link(
    ctx: &mut WriteCtx<'_>,
    agent_name: &str,
    telegram_user_id: i64,
) -> Result<AgentId, DomainError> {
    if telegram_user_id <= 0 {
        return Err(DomainError::invalid(
            "a Telegram user id is a positive number",
        ));
    }
    let agent = agents::by_name(ctx, agent_name)?
        .ok_or_else(|| DomainError::not_found(format!("no agent {agent_name:?}")))?;
    rows::link_staff(ctx, agent.id, telegram_user_id)?;
    crate::domain::safety::official::refresh(ctx)?;
    Ok(agent.id)
}

/// How long a link code works.
pub const LINK_CODE_TTL: Duration = Duration::from_secs(10 * 60);
/// Letters of a link code: no 0/O, 1/I/L to misread.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A one-time code for `agent` to send the bot in a private chat
/// (`/link CODE`), which links the Telegram account that sends it. Only
/// its hash is kept; it works once, for [`LINK_CODE_TTL`].
pub fn link_code(
    ctx: &mut WriteCtx<'_>,
    agent: AgentId,
) -> Result<(String, shared::Timestamp), DomainError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| {
        DomainError::new(shared::ErrorCode::Internal, format!("no randomness: {e}"))
    })?;
    let code: String = bytes
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()]))
        .collect();
    let expires = ctx.now + LINK_CODE_TTL;
    rows::put_link_code(ctx, agent, &crate::domain::sha256_hex(&code), expires)?;
    Ok((code, expires))
}

/// `/link CODE` from `telegram_user_id` in a private chat: links that
/// account to the code's agent. The answer to send back.
pub fn link_by_code(
    ctx: &mut WriteCtx<'_>,
    telegram_user_id: i64,
    code: &str,
) -> Result<String, DomainError> {
    let code = code.trim().to_ascii_uppercase().replace(['-', ' '], "");
    let Some(agent) = rows::take_link_code(ctx, &crate::domain::sha256_hex(&code))? else {
        return Ok(
            "That code is wrong or has expired. Ask your workstation for a new one \
                   (palette: link_telegram) and send /link with it within 10 minutes."
                .into(),
        );
    };
    rows::link_staff(ctx, agent, telegram_user_id)?;
    crate::domain::safety::official::refresh(ctx)?;
    let name = crate::store::rows::load_agent(ctx, agent)?
        .map_or_else(|| agent.to_string(), |a| a.display_name);
    crate::store::access::log(
        ctx,
        &crate::store::access::AuditEntry {
            at: ctx.now,
            action: "link".into(),
            actor: crate::store::access::Actor::Agent(agent),
            ticket: None,
            customer: None,
            detail: format!("Telegram account {telegram_user_id} linked"),
        },
    )?;
    Ok(format!(
        "Linked: what you write in client groups now counts as {name}'s answers."
    ))
}

/// The organisation named so.
fn named(ctx: &WriteCtx<'_>, name: &str) -> Result<Organisation, DomainError> {
    rows::organisation_named(ctx, name)?
        .ok_or_else(|| DomainError::not_found(format!("no organisation named {name:?}")))
}

/// Shows (or stops showing) an organisation's group tickets to its people
/// in the mini app (docs/miniapp.md, "Company"). Returns how many groups
/// of it that concerns.
pub fn set_shared(ctx: &mut WriteCtx<'_>, name: &str, shared: bool) -> Result<usize, DomainError> {
    let org = named(ctx, name)?;
    rows::set_app_shared(ctx, org.id, shared)?;
    Ok(rows::groups(ctx)?
        .iter()
        .filter(|g| g.organisation == Some(org.id))
        .count())
}

/// Sets an organisation's safety rules (`None`: `[safety]`'s).
pub fn set_safety(
    ctx: &mut WriteCtx<'_>,
    name: &str,
    messages: Option<u32>,
    hours: Option<u32>,
    captcha: Option<&str>,
) -> Result<(), DomainError> {
    let org = named(ctx, name)?;
    if let Some(m) = captcha
        && crate::domain::spam::CaptchaMode::parse(m).is_none()
    {
        return Err(DomainError::invalid(format!(
            "{m:?} is not a captcha: off, button, arithmetic or questions"
        )));
    }
    crate::store::safety::set_newcomer_limits(ctx, org.id, messages, hours)?;
    crate::store::safety::set_captcha_mode(ctx, org.id, captcha)?;
    Ok(())
}

/// Longest answer: it is a button's label.
const ANSWER_MAX: usize = 40;

/// Adds a captcha question (`answers[0]` right, 1-5 wrong ones). Returns
/// how many the organisation has.
pub fn add_question(
    ctx: &mut WriteCtx<'_>,
    name: &str,
    question: &str,
    answers: &[String],
) -> Result<usize, DomainError> {
    let org = named(ctx, name)?;
    let question = question.trim();
    if question.is_empty() || question.chars().count() > 300 {
        return Err(DomainError::invalid("a question is 1-300 characters"));
    }
    if !(2..=6).contains(&answers.len()) {
        return Err(DomainError::invalid("one right answer and 1-5 wrong ones"));
    }
    let mut seen = std::collections::HashSet::new();
    for a in answers {
        let a = a.trim();
        if a.is_empty() || a.chars().count() > ANSWER_MAX {
            return Err(DomainError::invalid(format!(
                "an answer is 1-{ANSWER_MAX} characters (it is a button): {a:?}"
            )));
        }
        if !seen.insert(a.to_lowercase()) {
            return Err(DomainError::invalid(format!("{a:?} is given twice")));
        }
    }
    let answers: Vec<String> = answers.iter().map(|a| a.trim().to_owned()).collect();
    crate::store::safety::add_question(ctx, org.id, question, &answers)?;
    Ok(crate::store::safety::questions(ctx, org.id)?.len())
}

/// An organisation's questions with their answers (the first right).
pub fn questions(
    ctx: &mut WriteCtx<'_>,
    name: &str,
) -> Result<Vec<(String, Vec<String>)>, DomainError> {
    let org = named(ctx, name)?;
    Ok(crate::store::safety::questions(ctx, org.id)?
        .into_iter()
        .map(|(_, q, a)| (q, a))
        .collect())
}

/// Removes every question of an organisation; returns how many.
pub fn clear_questions(ctx: &mut WriteCtx<'_>, name: &str) -> Result<usize, DomainError> {
    let org = named(ctx, name)?;
    Ok(crate::store::safety::clear_questions(ctx, org.id)?)
}
