//! What staff do in a client's group by a command to the bot (what teams
//! do by hand today): `/ticket` as a reply turns that conversation into a
//! ticket; `/m <shortcut>` posts a macro in the organisation's language;
//! `/bind <organisation>` (supervisors) binds the group. The command
//! message is removed from the group; what the bot did, or why not, goes
//! to the staff chat when the group should not see it. docs/groups.md.

use shared::*;

use super::intake::GroupMessage;
use super::publish;
use crate::domain::DomainError;
use crate::domain::desk::Desk;
use crate::domain::outbox::staff_post;
use crate::store::group_view::{self as wire, Outgoing};
use crate::store::groups as rows;
use crate::store::{WriteCtx, rows as tables};

/// A command staff can give in a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffCommand {
    Ticket,
    Macro(String),
    Bind(String),
}

impl StaffCommand {
    /// `/ticket`, `/m refund`, `/bind Acme` (also `/ticket@our_bot`).
    /// Anything else is an ordinary message.
    pub fn parse(text: &str) -> Option<StaffCommand> {
        let text = text.trim();
        let rest = text.strip_prefix('/')?;
        let (word, arg) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let word = word.split('@').next().unwrap_or_default();
        let arg = arg.trim();
        match word {
            "ticket" if arg.is_empty() => Some(StaffCommand::Ticket),
            "m" if !arg.is_empty() && !arg.contains(char::is_whitespace) => {
                Some(StaffCommand::Macro(arg.trim_start_matches('/').to_owned()))
            }
            "bind" if !arg.is_empty() => Some(StaffCommand::Bind(arg.to_owned())),
            _ => None,
        }
    }
}

/// The conversation a command is about: the one of the message it
/// replies to, else its forum topic's.
fn target(ctx: &WriteCtx<'_>, m: &GroupMessage) -> Result<Option<i64>, DomainError> {
    if let Some(r) = m.reply_to
        && let Some(c) = rows::conversation_of_message(ctx, m.chat_id, r)?
    {
        return Ok(Some(c));
    }
    match m.topic {
        Some(t) => Ok(rows::topic_conversation(ctx, m.chat_id, t)?),
        None => Ok(None),
    }
}

/// Carries out a staff command given in the group (the message is stored,
/// in no conversation, and removed from the group).
pub fn run(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    m: &GroupMessage,
    command: &StaffCommand,
) -> Result<(), DomainError> {
    wire::enqueue_deletion(ctx, m.chat_id, m.message_id)?;
    let agent = match wire::linked_agent(ctx, m.author_id)? {
        Some(a) => tables::load_agent(ctx, a)?,
        None => None,
    };
    let title = rows::group(ctx, m.chat_id)?.map_or_else(String::new, |g| g.title);
    let said = match command {
        StaffCommand::Ticket => ticket(ctx, desk, m, agent.as_ref()),
        StaffCommand::Macro(shortcut) => post_macro(ctx, m, agent.as_ref(), shortcut),
        StaffCommand::Bind(name) => bind(ctx, desk, m, agent.as_ref(), name),
    };
    let note = match said {
        Ok(Some(done)) => done,
        Ok(None) => return Ok(()),
        // Refusals are told to staff, not to the client.
        Err(e) if !matches!(e.code, ErrorCode::Internal | ErrorCode::Busy) => e.message,
        Err(e) => return Err(e),
    };
    staff_post(ctx, desk, &format!("{title}: {} — {note}", m.author_name))
}

fn ticket(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    m: &GroupMessage,
    agent: Option<&Agent>,
) -> Result<Option<String>, DomainError> {
    let Some(c) = target(ctx, m)? else {
        return Err(DomainError::invalid(
            "/ticket must reply to the client's message (or be sent in its forum topic)",
        ));
    };
    let made = super::tickets::make(ctx, desk, ConversationId(c), agent.map(|a| a.id))?;
    Ok((!made.new).then(|| format!("that conversation is ticket #{} already", made.number)))
}

/// The macro's body in the organisation's language, `{name}` (who is
/// answered) and `{agent}` filled in.
fn post_macro(
    ctx: &mut WriteCtx<'_>,
    m: &GroupMessage,
    agent: Option<&Agent>,
    shortcut: &str,
) -> Result<Option<String>, DomainError> {
    let found = match agent {
        Some(a) => wire::own_macro(ctx, a.id, shortcut)?,
        None => None,
    };
    let Some(mac) = found.or(tables::global_macro(ctx, shortcut)?) else {
        return Err(DomainError::not_found(format!("no macro /{shortcut}")));
    };
    let language = rows::group(ctx, m.chat_id)?
        .and_then(|g| g.organisation)
        .map(|o| rows::organisation(ctx, o))
        .transpose()?
        .flatten()
        .map(|o| o.language);
    let conversation = match target(ctx, m)? {
        Some(c) => Some(c),
        None if m.topic.is_none() => rows::latest_owed(ctx, m.chat_id)?,
        None => None,
    };
    let (reply_to, client) = match (m.reply_to, conversation) {
        (Some(r), _) => (Some(r), rows::message(ctx, m.chat_id, r)?.map(|x| x.0)),
        (None, Some(c)) => {
            let r = wire::reply_target(ctx, c)?;
            let who = match r {
                Some(r) => rows::message(ctx, m.chat_id, r)?.map(|x| x.0),
                None => None,
            };
            (r, who)
        }
        (None, None) => (None, None),
    };
    let author = agent.map_or(m.author_name.as_str(), |a| a.display_name.as_str());
    let first = client
        .as_deref()
        .and_then(|n| n.split_whitespace().next())
        .unwrap_or_default()
        .to_owned();
    let body = mac.body_for(language.as_deref()).text;
    let text = body.replace("{name}", &first).replace("{agent}", author);
    if let Some(left) = text
        .split('{')
        .skip(1)
        .find_map(|s| s.split_once('}').map(|(k, _)| k))
    {
        return Err(DomainError::invalid(format!(
            "/m {shortcut} needs {{{left}}}, which a group does not have: not posted"
        )));
    }
    crate::domain::validate::text(&text)?;
    let posted = wire::add_outgoing(
        ctx,
        &Outgoing {
            chat_id: m.chat_id,
            conversation,
            thread_id: m.topic,
            reply_to,
            side: GroupSide::Staff,
            author_name: author,
            agent: agent.map(|a| a.id),
            text: &text,
        },
    )?;
    if let Some(id) = conversation
        && let Some(mut c) = rows::conversation(ctx, id)?
    {
        c.last_at = ctx.now;
        c.answered();
        rows::save_conversation(ctx, &c)?;
        publish::conversation(ctx, c.id)?;
    }
    publish::message_added(ctx, posted)?;
    Ok(None)
}

fn bind(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    m: &GroupMessage,
    agent: Option<&Agent>,
    name: &str,
) -> Result<Option<String>, DomainError> {
    let Some(a) = agent.filter(|a| a.role == Role::Supervisor) else {
        return Err(DomainError::forbidden(
            "only a supervisor's linked account binds a group",
        ));
    };
    super::orgs::bind(ctx, desk, m.chat_id, Some(name))?;
    Ok(Some(format!("bound to {name} by {}", a.display_name)))
}

/// A reaction in a group: staff adding `[groups] ticket_reaction` to a
/// client's message turn its conversation into a ticket. False when it
/// asks for nothing (anyone else's reaction, another emoji).
pub fn reaction(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    chat_id: i64,
    message_id: i64,
    user: i64,
    added: &[String],
) -> Result<bool, DomainError> {
    let wanted = desk.group_ticket_reaction.as_deref();
    if wanted.is_none_or(|w| !added.iter().any(|a| a == w)) || !rows::is_staff(ctx, chat_id, user)?
    {
        return Ok(false);
    }
    let Some(c) = rows::conversation_of_message(ctx, chat_id, message_id)? else {
        return Ok(false);
    };
    let agent = wire::linked_agent(ctx, user)?;
    super::tickets::make(ctx, desk, ConversationId(c), agent)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_read_strictly() {
        assert_eq!(StaffCommand::parse("/ticket"), Some(StaffCommand::Ticket));
        assert_eq!(
            StaffCommand::parse(" /ticket@acme_support_bot "),
            Some(StaffCommand::Ticket)
        );
        assert_eq!(
            StaffCommand::parse("/m refund"),
            Some(StaffCommand::Macro("refund".into()))
        );
        assert_eq!(
            StaffCommand::parse("/bind Acme Corp"),
            Some(StaffCommand::Bind("Acme Corp".into()))
        );
        for ordinary in [
            "/ticket please",
            "/m",
            "/m two words",
            "/bind",
            "ticket",
            "see /ticket",
            "/start",
        ] {
            assert_eq!(StaffCommand::parse(ordinary), None, "{ordinary}");
        }
    }
}
