//! The customer's mini app (docs/miniapp.md): what a customer sees of
//! their tickets, in their language, as of now: the list with each
//! ticket's status, team, topic and honest ETA or time waited, and a
//! ticket's thread without internal notes. The customer's own tickets of
//! their private chat with the bot, and, where their organisation shares
//! them, the tickets made in the groups they are one of the people of
//! ("Company", read only); anything else is "not found".

use shared::*;

use super::DomainError;
use super::desk::Desk;
use super::i18n::Lang;
use super::kb::Article;
use super::wording;
use crate::store::{self, Db};

/// The most tickets the list shows.
pub const LIST_LIMIT: usize = 100;

fn is_open(t: &Ticket) -> bool {
    matches!(
        t.status,
        TicketStatus::New | TicketStatus::Open | TicketStatus::PendingOnCustomer
    )
}

/// Who is looking: the language they read, and their own customer record
/// once the desk knows them.
struct Viewer {
    lang: Lang,
    customer: Option<Customer>,
}

impl Viewer {
    fn of(
        db: &impl Db,
        telegram_user_id: i64,
        fallback: Option<&str>,
    ) -> Result<Self, DomainError> {
        let customer = store::read::customers_by_telegram(db, telegram_user_id)?;
        Ok(Viewer {
            lang: language(customer.as_ref(), fallback),
            customer,
        })
    }

    fn id(&self) -> Option<CustomerId> {
        self.customer.as_ref().map(|c| c.id)
    }
}

/// A ticket and, for a company's shared one, the group it was made in.
struct Seen {
    ticket: Ticket,
    group: Option<String>,
}

/// A message as the customer sees it. In a shared ticket the client's
/// words are a colleague's (named) unless the client is the viewer.
fn shown(m: &Message, me: Option<CustomerId>, colleague: &str) -> AppMessage {
    let (from, name) = match m.author {
        Author::Customer { id } if Some(id) == me => (AppFrom::Me, None),
        Author::Customer { .. } => (AppFrom::Colleague, Some(colleague.to_owned())),
        Author::Agent { .. } => (AppFrom::Support, None),
        Author::Bot => (AppFrom::Bot, None),
    };
    AppMessage {
        id: m.id,
        from,
        name,
        text: m.text.clone(),
        files: m
            .attachments
            .iter()
            .map(|a| AppFile {
                kind: a.kind,
                name: a.file_name.clone(),
                size: a.size,
            })
            .collect(),
        at: m.created_at,
    }
}

/// The first name of a shared ticket's client, as colleagues see it.
fn client_name(db: &impl Db, s: &Seen) -> Result<String, DomainError> {
    if s.group.is_none() {
        return Ok(String::new());
    }
    Ok(store::rows::load_customer(db, s.ticket.customer_id)?
        .map(|c| c.first_name)
        .unwrap_or_default())
}

/// A ticket as the list shows it.
fn card(
    db: &impl Db,
    desk: &Desk,
    viewer: &Viewer,
    s: &Seen,
    now: Timestamp,
    last: Option<AppMessage>,
) -> Result<AppTicket, DomainError> {
    let (t, lang) = (&s.ticket, viewer.lang);
    let open = is_open(t);
    let own = s.group.is_none();
    // The bot's estimate is for its own chats; a group's ticket is answered
    // by the organisation's reply SLA, so it shows the time waited.
    let eta = match &viewer.customer {
        Some(c)
            if own
                && t.first_reply_at.is_none()
                && matches!(t.status, TicketStatus::New | TicketStatus::Open) =>
        {
            Some(wording::eta_at(db, now, desk, c, t)?)
        }
        _ => None,
    };
    Ok(AppTicket {
        id: t.id,
        number: t.number,
        status: t.status,
        status_text: desk
            .bot
            .t(lang, &format!("state.{}", t.status.as_str()), &[]),
        team: desk
            .queues
            .get(&t.queue)
            .map_or_else(|| t.queue.as_str().to_owned(), |q| q.name.clone()),
        topic: wording::topic_label(desk, lang, t.topic.as_deref()),
        created_at: t.created_at,
        updated_at: t.updated_at,
        eta,
        waiting_since: t.waiting_since.filter(|_| open),
        // A rating is its client's; a colleague is not shown it as theirs.
        csat: t.csat.filter(|_| own),
        can_rate: own && !open && t.csat.is_none(),
        can_write: own && open,
        last,
        group: s.group.clone(),
    })
}

/// The customer's tickets in their chat with the bot and their company's
/// shared ones, newest first (none for someone the desk does not know).
pub fn tickets(
    db: &impl Db,
    desk: &Desk,
    telegram_user_id: i64,
    fallback_lang: Option<&str>,
    now: Timestamp,
) -> Result<Vec<AppTicket>, DomainError> {
    let viewer = Viewer::of(db, telegram_user_id, fallback_lang)?;
    let mut seen = visible(db, viewer.customer.as_ref(), telegram_user_id, LIST_LIMIT)?;
    seen.truncate(LIST_LIMIT);
    seen.iter()
        .map(|s| {
            let colleague = client_name(db, s)?;
            let last = store::customers::shown_messages(db, s.ticket.id, true)?;
            let last = last.first().map(|m| shown(m, viewer.id(), &colleague));
            card(db, desk, &viewer, s, now, last)
        })
        .collect()
}

/// The tickets this Telegram user may read, newest first: their own in
/// their chat with the bot (at most `own`), and the latest of each group
/// they may see ([`LIST_LIMIT`] each).
fn visible(
    db: &impl Db,
    customer: Option<&Customer>,
    telegram_user_id: i64,
    own: usize,
) -> Result<Vec<Seen>, DomainError> {
    let mut seen: Vec<Seen> = Vec::new();
    if let Some(c) = customer {
        for ticket in store::tickets::newest_of(db, c.id, telegram_user_id, own)? {
            seen.push(Seen {
                ticket,
                group: None,
            });
        }
    }
    for (chat, title) in store::groups::shared_groups(db, telegram_user_id)? {
        for ticket in store::tickets::newest_in_group(db, chat, LIST_LIMIT)? {
            seen.push(Seen {
                ticket,
                group: Some(title.clone()),
            });
        }
    }
    seen.sort_by_key(|s| std::cmp::Reverse(s.ticket.id));
    Ok(seen)
}

/// A ticket the viewer may read: their own, or one of a group they may
/// see; `None` otherwise (a ticket that does not exist looks the same).
fn readable(
    db: &impl Db,
    viewer: &Viewer,
    telegram_user_id: i64,
    id: TicketId,
) -> Result<Option<Seen>, DomainError> {
    if let Some(c) = &viewer.customer
        && let Some(ticket) = store::tickets::own(db, c.id, telegram_user_id, id)?
    {
        return Ok(Some(Seen {
            ticket,
            group: None,
        }));
    }
    for (chat, title) in store::groups::shared_groups(db, telegram_user_id)? {
        if let Some(ticket) = store::tickets::in_group(db, chat, id)? {
            return Ok(Some(Seen {
                ticket,
                group: Some(title),
            }));
        }
    }
    Ok(None)
}

/// One ticket the customer may read, with its thread; `None` when it is
/// not theirs or their company's (or does not exist: the two look the
/// same).
pub fn thread(
    db: &impl Db,
    desk: &Desk,
    telegram_user_id: i64,
    fallback_lang: Option<&str>,
    id: TicketId,
    now: Timestamp,
) -> Result<Option<AppThread>, DomainError> {
    let viewer = Viewer::of(db, telegram_user_id, fallback_lang)?;
    let Some(s) = readable(db, &viewer, telegram_user_id, id)? else {
        return Ok(None);
    };
    let colleague = client_name(db, &s)?;
    let messages: Vec<AppMessage> = store::customers::shown_messages(db, s.ticket.id, false)?
        .iter()
        .map(|m| shown(m, viewer.id(), &colleague))
        .collect();
    Ok(Some(AppThread {
        ticket: card(db, desk, &viewer, &s, now, messages.last().cloned())?,
        messages,
    }))
}

/// The tickets the live view watches for this Telegram user: their own,
/// and those of the groups they may read. A company ticket made after the
/// view opened shows when the list is read again.
pub fn watched(
    db: &impl Db,
    telegram_user_id: i64,
) -> Result<(Option<CustomerId>, Vec<TicketId>), DomainError> {
    let customer = store::read::customers_by_telegram(db, telegram_user_id)?;
    let ids = visible(db, customer.as_ref(), telegram_user_id, usize::MAX)?
        .into_iter()
        .map(|s| s.ticket.id)
        .collect();
    Ok((customer.map(|c| c.id), ids))
}

/// The menu button a customer's private chat should have: "My requests"
/// in their language, or `None` for English, whose is the bot's default
/// button (Telegram's default menu button speaks one language for all).
pub fn menu_label(desk: &Desk, language: Option<&str>) -> Option<String> {
    match Lang::from_code(language) {
        Lang::En => None,
        lang => Some(desk.bot.t(lang, "app.menu", &[])),
    }
}

/// Whether the chat's button, set for `shown`, must change for `language`.
pub fn menu_changes(shown: Option<&str>, language: Option<&str>) -> bool {
    Lang::from_code(shown) != Lang::from_code(language)
}

/// The largest file the app takes (a screenshot, a photo of a receipt),
/// in bytes once decoded.
pub const MAX_FILE: u64 = 5 * 1024 * 1024;

/// What the new-request form offers this customer: the topics with their
/// questions in their language, the consent question if they have not
/// agreed yet, and their open ticket (which a request joins).
pub fn form(
    db: &impl Db,
    desk: &Desk,
    telegram_user_id: i64,
    fallback_lang: Option<&str>,
) -> Result<AppForm, DomainError> {
    let customer = store::read::customers_by_telegram(db, telegram_user_id)?;
    let lang = language(customer.as_ref(), fallback_lang);
    let consent = (desk.bot.consent && customer.as_ref().is_none_or(|c| c.consent_at.is_none()))
        .then(|| {
            let name = customer.as_ref().map_or("", |c| c.first_name.as_str());
            desk.bot.t(lang, "consent.ask", &[("name", name)])
        });
    let open_ticket = match &customer {
        Some(c) => store::tickets::newest_of(db, c.id, telegram_user_id, 1)?
            .into_iter()
            .find(is_open)
            .map(|t| t.id),
        None => None,
    };
    let topics = if desk.bot.guided {
        desk.bot
            .topics
            .iter()
            .map(|t| AppTopic {
                key: t.key.clone(),
                label: wording::topic_label(desk, lang, Some(&t.key)),
                questions: t
                    .questions
                    .iter()
                    .map(|q| AppQuestion {
                        key: q.clone(),
                        text: desk.bot.t(lang, &format!("question.{q}"), &[]),
                    })
                    .collect(),
                screenshot: t.screenshot,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(AppForm {
        consent,
        topics,
        open_ticket,
        max_text: MAX_TEXT_UTF16,
        max_file: MAX_FILE,
    })
}

/// The customer's language: theirs once known, else what Telegram says
/// their app speaks.
fn language(customer: Option<&Customer>, fallback: Option<&str>) -> Lang {
    match customer {
        Some(c) => Lang::of(c),
        None => Lang::from_code(fallback),
    }
}

/// The customer's settings (the desk's defaults for someone new).
pub fn settings(
    db: &impl Db,
    desk: &Desk,
    telegram_user_id: i64,
    fallback_lang: Option<&str>,
) -> Result<AppSettings, DomainError> {
    let customer = store::read::customers_by_telegram(db, telegram_user_id)?;
    let prefs = match &customer {
        Some(c) => store::customers::prefs(db, c.id)?,
        None => Default::default(),
    };
    let desk_quiet = || desk.bot.quiet.map_or_else(String::new, |q| q.to_string());
    Ok(AppSettings {
        language: language(customer.as_ref(), fallback_lang).code().to_owned(),
        time_zone: customer
            .and_then(|c| c.time_zone)
            .or_else(|| Some(desk.bot.default_zone_name.clone())),
        quiet_hours: prefs.quiet_hours.unwrap_or_else(desk_quiet),
        notifications: if prefs.essential_only {
            "essential"
        } else {
            "all"
        }
        .to_owned(),
    })
}

/// Popular solutions or search results shown at most.
pub const ARTICLES: usize = 10;

/// Knowledge-base articles in the customer's language: those that answer
/// `search` best, or with no search the ones that helped most.
pub fn articles(
    db: &impl Db,
    desk: &Desk,
    lang: Lang,
    search: &str,
) -> Result<Vec<AppArticle>, DomainError> {
    let kb = &desk.bot.kb;
    let found: Vec<&Article> = if search.trim().is_empty() {
        let mut popular: Vec<&Article> = store::kb::helped_counts(db)?
            .iter()
            .filter_map(|(id, _)| kb.get(id))
            .filter(|a| a.lang.is_none_or(|l| l == lang))
            .collect();
        // Then the rest, in the folder's order.
        for a in kb.all().filter(|a| a.lang.is_none_or(|l| l == lang)) {
            if !popular.iter().any(|p| p.id == a.id) {
                popular.push(a);
            }
        }
        popular
    } else {
        kb.top(search, lang, ARTICLES)
    };
    Ok(found
        .into_iter()
        .take(ARTICLES)
        .map(|a| AppArticle {
            id: a.id.clone(),
            title: a.title.clone(),
            body: a.body.clone(),
        })
        .collect())
}

/// The language the app speaks to this Telegram user.
pub fn lang_of(
    db: &impl Db,
    telegram_user_id: i64,
    fallback: Option<&str>,
) -> Result<Lang, DomainError> {
    let customer = store::read::customers_by_telegram(db, telegram_user_id)?;
    Ok(language(customer.as_ref(), fallback))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::group_message::GroupMessage;
    use crate::domain::groups::{intake, membership, orgs, tickets as group_tickets};
    use crate::domain::testkit::{Desk0, at, settings};
    use crate::store::groups as rows;

    const GROUP: i64 = -1_001_777;
    const TITLE: &str = "Acme ops";
    /// Opens the conversation the ticket is made of.
    const OLGA: i64 = 601;
    /// Her colleague in the group.
    const PETR: i64 = 602;
    /// Never in the group.
    const EVE: i64 = 603;
    /// An engineer's linked account, in the group.
    const IRA: i64 = 900;

    fn said(id: i64, author: i64, text: &str, sent: Timestamp) -> GroupMessage {
        GroupMessage {
            chat_id: GROUP,
            title: TITLE.into(),
            message_id: id,
            author_id: author,
            author_name: format!("user {author}"),
            text: text.into(),
            sent_at: sent,
            ..GroupMessage::default()
        }
    }

    async fn file(d: &Desk0, m: GroupMessage) {
        d.write(move |ctx, desk| intake::message(ctx, desk, &m))
            .await
            .unwrap();
    }

    /// What `user` sees: the list, and the ticket's thread.
    async fn sees(d: &Desk0, user: i64, id: TicketId) -> (Vec<AppTicket>, Option<AppThread>) {
        let (desk, now) = (d.desk.clone(), d.now());
        d.store
            .readers()
            .read(move |c| {
                Ok((
                    tickets(c, &desk, user, Some("en"), now).unwrap(),
                    thread(c, &desk, user, None, id, now).unwrap(),
                ))
            })
            .await
            .unwrap()
    }

    async fn set(
        d: &Desk0,
        f: impl FnOnce(&mut crate::store::WriteCtx<'_>, &Desk) + Send + 'static,
    ) {
        d.write(move |ctx, desk| {
            f(ctx, desk);
            Ok(())
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_groups_tickets_are_shown_to_its_people_while_they_are_in_it_and_only_if_shared() {
        let d = Desk0::new(settings(), at("2026-03-02T09:00:00Z")).await;
        let lead = d.lead_id;
        set(&d, move |ctx, desk| {
            orgs::add(
                ctx,
                desk,
                &orgs::NewOrganisation {
                    name: "Acme".into(),
                    vip: false,
                    queue: "L1".into(),
                    calendar: String::new(),
                    reply_sla: Duration::from_secs(900),
                    language: "en".into(),
                },
            )
            .unwrap();
            rows::seen_group(ctx, GROUP, TITLE, false, Some("administrator")).unwrap();
            orgs::bind(ctx, desk, GROUP, Some("Acme")).unwrap();
            rows::link_staff(ctx, lead, IRA).unwrap();
            let now = ctx.now;
            crate::store::safety::joined(ctx, GROUP, IRA, "Ira", None, now).unwrap();
        })
        .await;
        let t0 = d.now();
        file(&d, said(1, OLGA, "The export fails with error 502", t0)).await;
        file(&d, said(2, PETR, "Since this morning for me too", t0)).await;
        let olgas = d
            .store
            .readers()
            .read(|c| rows::conversations(c, GROUP, 10))
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.opened_by == OLGA)
            .unwrap();
        let made = d
            .write(move |ctx, desk| {
                group_tickets::make(ctx, desk, ConversationId(olgas.id), Some(lead))
            })
            .await
            .unwrap();
        let id = made.ticket;

        // Not shared yet: only Olga's own private chat counts (none).
        for user in [OLGA, PETR] {
            let (list, one) = sees(&d, user, id).await;
            assert!(list.is_empty() && one.is_none(), "{user}: {list:?}");
        }

        // Shared: Petr reads it, her words as a colleague's, read only.
        let groups = d
            .write(|ctx, _| orgs::set_shared(ctx, "Acme", true))
            .await
            .unwrap();
        assert_eq!(groups, 1);
        let (list, one) = sees(&d, PETR, id).await;
        assert_eq!(list.len(), 1, "{list:?}");
        let card = &list[0];
        assert_eq!(card.group.as_deref(), Some(TITLE));
        assert!(!card.can_write && !card.can_rate && card.eta.is_none());
        let one = one.expect("Petr reads the thread");
        let first = &one.messages[0];
        assert_eq!(first.from, AppFrom::Colleague);
        assert_eq!(first.name.as_deref(), Some("user 601"));
        assert_eq!(first.text, "The export fails with error 502");
        assert!(
            one.messages.iter().all(|m| !m.text.contains("Made from")),
            "no internal note: {:?}",
            one.messages
        );
        // Olga sees her own words as hers.
        let (_, one) = sees(&d, OLGA, id).await;
        let one = one.unwrap();
        assert_eq!(one.messages[0].from, AppFrom::Me);
        assert_eq!(one.messages[0].name, None);
        // Staff in the group and a stranger see nothing.
        for user in [IRA, EVE] {
            let (list, one) = sees(&d, user, id).await;
            assert!(list.is_empty() && one.is_none(), "{user}: {list:?}");
        }

        // Petr leaves: gone; he is back and writes: there again.
        set(&d, |ctx, desk| {
            membership::left(ctx, desk, GROUP, PETR, "Petr").unwrap();
        })
        .await;
        let (list, one) = sees(&d, PETR, id).await;
        assert!(list.is_empty() && one.is_none(), "left: {list:?}");
        file(&d, said(3, PETR, "I am back", t0)).await;
        assert_eq!(sees(&d, PETR, id).await.0.len(), 1, "back");
        // Banned from the organisation's groups: gone.
        set(&d, |ctx, _| {
            crate::store::safety::ban(ctx, &[GROUP], PETR).unwrap()
        })
        .await;
        assert!(sees(&d, PETR, id).await.1.is_none(), "banned");

        // The bot removed from the group: nobody can tell who is in it;
        // back, someone counts again once they write there.
        let bot = |status: &'static str| {
            move |ctx: &mut crate::store::WriteCtx<'_>, desk: &Desk| {
                membership::bot(ctx, desk, GROUP, TITLE, false, status, false).unwrap();
            }
        };
        set(&d, bot("kicked")).await;
        assert!(sees(&d, OLGA, id).await.0.is_empty(), "bot gone");
        set(&d, bot("administrator")).await;
        assert!(
            sees(&d, OLGA, id).await.0.is_empty(),
            "bot back, Olga unseen"
        );
        file(&d, said(4, OLGA, "Any news?", t0)).await;
        assert_eq!(sees(&d, OLGA, id).await.0.len(), 1, "Olga wrote");
        // A newcomer still at the captcha does not read it.
        let captcha = d
            .write(move |ctx, _| {
                let now = ctx.now;
                crate::store::safety::joined(ctx, GROUP, EVE, "Eve", None, now)?;
                Ok(crate::store::safety::add_captcha(
                    ctx,
                    &crate::store::safety::NewCaptcha {
                        chat_id: GROUP,
                        user_id: EVE,
                        user_name: "Eve",
                        lang: "en",
                        request: false,
                        answer: 1,
                        deadline: now,
                    },
                )?)
            })
            .await
            .unwrap();
        assert!(sees(&d, EVE, id).await.1.is_none(), "at the captcha");
        set(&d, move |ctx, _| {
            crate::store::safety::settle_captcha(ctx, captcha, "passed").unwrap();
        })
        .await;
        assert!(sees(&d, EVE, id).await.1.is_some(), "past the captcha");
        // Sharing off: gone.
        d.write(|ctx, _| orgs::set_shared(ctx, "Acme", false))
            .await
            .unwrap();
        assert!(sees(&d, OLGA, id).await.1.is_none(), "unshared");
    }
}
