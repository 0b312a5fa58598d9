//! The customer groups as `relay-server org list`, `group list` and `group
//! show` print them (docs/groups.md).

use std::fmt::Write;

use shared::Timestamp;

use crate::store::groups::{Conversation, Group, Organisation};

fn utc(t: Timestamp) -> String {
    crate::domain::hours::local(t, &jiff::tz::TimeZone::UTC)
}

fn minutes(ms: i64) -> String {
    crate::domain::hours::short(std::time::Duration::from_millis(
        u64::try_from(ms).unwrap_or(0),
    ))
}

pub fn organisations(list: &[Organisation]) -> String {
    if list.is_empty() {
        return "no organisations; add one with `relay-server org add NAME --queue L1`\n".into();
    }
    let mut out = format!(
        "{:<4} {:<24} {:<8} {:<12} {:<10} {:<4} {:<4} {}\n",
        "id", "name", "queue", "calendar", "reply SLA", "lang", "VIP", "app"
    );
    for o in list {
        let _ = writeln!(
            out,
            "{:<4} {:<24} {:<8} {:<12} {:<10} {:<4} {:<4} {}",
            o.id,
            o.name,
            o.queue,
            if o.calendar.is_empty() {
                "(queue's)"
            } else {
                &o.calendar
            },
            minutes(o.reply_sla_ms),
            o.language,
            if o.vip { "yes" } else { "" },
            if o.app_shared { "shared" } else { "" }
        );
    }
    out
}

pub fn groups(list: &[Group], orgs: &[Organisation]) -> String {
    if list.is_empty() {
        return "the bot is in no group yet; add it to a client's group in Telegram\n".into();
    }
    let mut out = format!(
        "{:<16} {:<28} {:<6} {:<14} {:<20} {}\n",
        "chat", "title", "forum", "bot", "organisation", "last seen (UTC)"
    );
    for g in list {
        let org = match g.organisation {
            Some(id) => orgs
                .iter()
                .find(|o| o.id == id)
                .map_or_else(|| format!("#{id}"), |o| o.name.clone()),
            None => "UNBOUND: bind it".into(),
        };
        let _ = writeln!(
            out,
            "{:<16} {:<28} {:<6} {:<14} {:<20} {}",
            g.chat_id,
            g.title,
            if g.forum { "yes" } else { "" },
            g.bot_status,
            org,
            utc(g.seen_at)
        );
    }
    out
}

/// `names`: who opened each conversation, in the same order (else their
/// Telegram id is shown).
pub fn conversations(list: &[Conversation], names: &[String], now: Timestamp) -> String {
    if list.is_empty() {
        return "no conversations in this group yet\n".into();
    }
    let mut out = format!(
        "{:<6} {:<8} {:<14} {:<18} {}\n",
        "id", "topic", "opened by", "last (UTC)", "owed"
    );
    for (i, c) in list.iter().enumerate() {
        let opener: String = names
            .get(i)
            .filter(|n| !n.is_empty())
            .cloned()
            .unwrap_or_else(|| c.opened_by.to_string())
            .chars()
            .take(14)
            .collect();
        let owed = match (c.owed_since, c.due_at) {
            (None, _) => "answered".to_owned(),
            (Some(since), None) => format!("waiting since {} (no SLA: group unbound)", utc(since)),
            (Some(since), Some(due)) if due.0 <= now.0 => {
                format!("OVERDUE since {} (waiting since {})", utc(due), utc(since))
            }
            (Some(since), Some(due)) => format!("due {} (waiting since {})", utc(due), utc(since)),
        };
        let _ = writeln!(
            out,
            "{:<6} {:<8} {:<14} {:<18} {}",
            c.id,
            c.thread_id.map_or_else(String::new, |t| t.to_string()),
            opener,
            utc(c.last_at),
            owed
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owed_conversation_says_when_it_is_due_or_overdue() {
        let base = Conversation {
            id: 3,
            chat_id: -100,
            thread_id: None,
            opened_by: 501,
            opened_at: Timestamp(1_700_000_000_000),
            last_at: Timestamp(1_700_000_000_000),
            owed_since: Some(Timestamp(1_700_000_000_000)),
            owed_message_id: Some(9),
            due_at: Some(Timestamp(1_700_000_900_000)),
            alerted_at: None,
            alerts: 0,
            warned_at: None,
            acked_by: None,
            ticket_id: None,
        };
        let due = conversations(
            std::slice::from_ref(&base),
            &["Olga".into()],
            Timestamp(1_700_000_100_000),
        );
        assert!(due.contains("due 2023-11-14 22:28"), "{due}");
        assert!(due.contains("Olga"), "{due}");
        let late = conversations(
            std::slice::from_ref(&base),
            &[],
            Timestamp(1_700_001_000_000),
        );
        assert!(late.contains("OVERDUE since 2023-11-14 22:28"), "{late}");
        let answered = Conversation {
            owed_since: None,
            due_at: None,
            ..base
        };
        let shown = conversations(&[answered], &[], Timestamp(0));
        assert!(
            shown.contains("answered") && shown.contains("501"),
            "{shown}"
        );
    }
}
