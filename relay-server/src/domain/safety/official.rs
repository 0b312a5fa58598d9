//! The pinned "our official accounts" message of each group
//! (docs/groups.md, "Safety"): who really is support here, and that
//! support never asks for codes or passwords in private. Posted and
//! pinned where the bot is an administrator of a bound group, edited when
//! staff's accounts change.

use crate::domain::DomainError;
use crate::domain::i18n::{self, Lang};
use crate::store::WriteCtx;
use crate::store::safety::{self as rows, Call, ModAction};

/// The message for a group in `lang`; `None` while no staff account is
/// linked.
fn text(accounts: &[(i64, String, String)], lang: Lang) -> Option<String> {
    if accounts.is_empty() {
        return None;
    }
    let mut out = i18n::text(lang, "official.title", &[]);
    for (_, name, username) in accounts {
        out.push('\n');
        if username.is_empty() {
            out.push_str(&format!("• {name}"));
        } else {
            out.push_str(&format!("• {name} — @{username}"));
        }
    }
    out.push_str("\n\n");
    out.push_str(&i18n::text(lang, "official.footer", &[]));
    Some(out)
}

/// Posts or edits the message where it is missing or out of date.
pub fn refresh(ctx: &mut WriteCtx<'_>) -> Result<(), DomainError> {
    let accounts = rows::staff_accounts(ctx)?;
    for (chat, lang) in rows::admin_groups(ctx)? {
        let Some(want) = text(&accounts, Lang::from_code(Some(&lang))) else {
            continue;
        };
        let (message, have) = rows::official(ctx, chat)?;
        if have.as_deref() == Some(want.as_str()) {
            continue;
        }
        rows::set_official(ctx, chat, None, Some(&want))?;
        rows::queue(
            ctx,
            chat,
            ModAction::Official,
            &Call {
                message_id: message,
                text: Some(&want),
                ..Call::default()
            },
            ctx.now,
        )?;
    }
    Ok(())
}

/// A staff member wrote in a group: their name and username as Telegram
/// shows them now. A new or changed one updates the lists.
pub fn staff_seen(
    ctx: &mut WriteCtx<'_>,
    m: &crate::domain::group_message::GroupMessage,
) -> Result<(), DomainError> {
    let before = rows::seen(
        ctx,
        m.chat_id,
        m.author_id,
        &m.author_name,
        m.author_username.as_deref(),
    )?;
    let changed = before.is_none_or(|b| {
        b.name != m.author_name || b.username.as_deref() != m.author_username.as_deref()
    });
    if changed {
        refresh(ctx)?;
    }
    Ok(())
}

/// The list was posted (a new message): its id is kept, and it is pinned.
pub fn posted(ctx: &mut WriteCtx<'_>, chat_id: i64, message_id: i64) -> Result<(), DomainError> {
    rows::set_official(ctx, chat_id, Some(message_id), None)?;
    rows::moderate(
        ctx,
        chat_id,
        ModAction::Pin,
        None,
        Some(message_id),
        ctx.now,
    )?;
    Ok(())
}

/// The pinned list is gone (someone deleted it): posted anew.
pub fn repost(ctx: &mut WriteCtx<'_>, chat_id: i64, text: &str) -> Result<(), DomainError> {
    rows::queue(
        ctx,
        chat_id,
        ModAction::Official,
        &Call {
            text: Some(text),
            ..Call::default()
        },
        ctx.now,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_each_account_and_warns_in_the_groups_language() {
        let accounts = vec![
            (1, "Ira Kovalenko".to_owned(), "ira_k".to_owned()),
            (2, "Max".to_owned(), String::new()),
        ];
        let en = text(&accounts, Lang::En).unwrap();
        assert!(en.contains("• Ira Kovalenko — @ira_k\n• Max\n"), "{en}");
        let uk = text(&accounts, Lang::Uk).unwrap();
        assert!(uk.contains("@ira_k") && uk != en);
        assert_eq!(text(&[], Lang::En), None);
    }
}
