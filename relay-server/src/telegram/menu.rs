//! The bot's menu button (docs/miniapp.md): with `[miniapp] public_url`
//! set, Telegram's default menu button of every private chat opens the
//! customer's mini app, labelled in English. Set once at start; tried
//! again, further apart each time, until Telegram takes it. Then each
//! customer who writes in another language gets a button of their own
//! chat in theirs ("Мої звернення"), and a new one when they change it:
//! what was set is recorded per customer (`customers.menu_lang`), so a
//! restart carries on where it stopped.

use std::sync::Arc;
use std::time::Duration;

use teloxide::payloads::SetChatMenuButtonSetters as _;
use teloxide::prelude::Requester as _;
use teloxide::types::{ChatId, MenuButton, WebAppInfo};
use teloxide::{Bot, RequestError};
use tokio_util::sync::CancellationToken;

use crate::domain::customer_app::{menu_changes, menu_label};
use crate::domain::desk::Desk;
use crate::domain::i18n::Lang;
use crate::store::Store;
use crate::store::customers::{self, MenuDue};
use shared::Event;

/// The longest wait between two tries.
const AT_MOST: Duration = Duration::from_secs(300);
/// Customers looked at in one go.
const BATCH: usize = 20;
/// Between two calls: a menu button is never urgent, messages come first.
const SPACING: Duration = Duration::from_millis(100);
/// Looked at this often with nothing changing (a new customer or ticket,
/// or a language chosen, wakes it sooner).
const IDLE: Duration = Duration::from_secs(300);

pub async fn run(
    bot: Bot,
    store: Store,
    desk: Arc<Desk>,
    token: String,
    shutdown: CancellationToken,
) {
    let app = &desk.miniapp;
    let Some(url) = app.public_url.as_deref().filter(|_| app.enabled) else {
        return;
    };
    let Ok(url) = url::Url::parse(url) else {
        // Checked when the settings were read.
        return;
    };
    let text = desk.bot.t(Lang::En, "app.menu", &[]);
    let button = MenuButton::WebApp {
        text,
        web_app: WebAppInfo { url: url.clone() },
    };
    let mut wait = Duration::from_secs(1);
    loop {
        match bot.set_chat_menu_button().menu_button(button.clone()).await {
            Ok(_) => {
                tracing::info!(%url, "telegram: the menu button opens the mini app");
                break;
            }
            Err(e) => tracing::warn!(
                "telegram: cannot set the menu button: {}; trying again in {wait:?}",
                super::mask(&e.to_string(), &token)
            ),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(AT_MOST);
    }
    per_chat(&bot, &store, &desk, &url, &token, &shutdown).await;
}

/// What became of one chat's button.
enum Next {
    /// Set, or refused for good (the chat is gone, the bot blocked): its
    /// language is recorded either way.
    Done,
    /// Not now: try again after this.
    Later(Duration),
}

async fn set_one(bot: &Bot, desk: &Desk, url: &url::Url, due: &MenuDue, token: &str) -> Next {
    let button = match menu_label(desk, due.language.as_deref()) {
        Some(text) => MenuButton::WebApp {
            text,
            web_app: WebAppInfo { url: url.clone() },
        },
        // Back to English: the bot's default button.
        None => MenuButton::Default,
    };
    let call = bot
        .set_chat_menu_button()
        .chat_id(ChatId(due.chat))
        .menu_button(button);
    match call.await {
        Ok(_) => Next::Done,
        Err(RequestError::RetryAfter(s)) => {
            Next::Later(Duration::from_secs(u64::from(s.seconds())))
        }
        Err(RequestError::Api(e)) => {
            tracing::info!(
                chat = due.chat,
                "telegram: a chat's menu button refused: {e}"
            );
            Next::Done
        }
        Err(e) => {
            tracing::warn!(
                chat = due.chat,
                "telegram: cannot set a chat's menu button: {}",
                super::mask(&e.to_string(), token)
            );
            Next::Later(Duration::from_secs(30))
        }
    }
}

/// Gives each customer's chat a button in their language, as long as the
/// server runs.
async fn per_chat(
    bot: &Bot,
    store: &Store,
    desk: &Desk,
    url: &url::Url,
    token: &str,
    shutdown: &CancellationToken,
) {
    let mut events = store.subscribe();
    while !shutdown.is_cancelled() {
        let due = store
            .readers()
            .read(|c| customers::menus_due(c, BATCH))
            .await
            .unwrap_or_else(|e| {
                tracing::error!("telegram: cannot read the menu buttons due: {e}");
                Vec::new()
            });
        let mut wait = IDLE;
        let mut done = Vec::new();
        for d in &due {
            if menu_changes(d.shown.as_deref(), d.language.as_deref()) {
                match set_one(bot, desk, url, d, token).await {
                    Next::Done => {}
                    Next::Later(after) => {
                        wait = after;
                        break;
                    }
                }
                tokio::time::sleep(SPACING).await;
            }
            // (An English speaker's chat keeps the default: nothing to call.)
            done.push((d.customer, d.language.clone()));
        }
        let full = due.len() == BATCH && done.len() == BATCH;
        if !done.is_empty() {
            let written = store
                .write(move |ctx| {
                    for (id, lang) in &done {
                        customers::menu_shown(ctx, *id, lang.as_deref())?;
                    }
                    Ok::<_, crate::store::StoreError>(())
                })
                .await;
            if let Err(e) = written {
                tracing::error!("telegram: cannot record the menu buttons set: {e}");
                wait = wait.min(Duration::from_secs(30));
            }
        }
        if full {
            continue;
        }
        // A customer's language is set or changed with their record, and
        // their first private ticket makes them due.
        let woken = Store::until_event(&mut events, wait, shutdown, |e| {
            matches!(
                e,
                Event::CustomerUpserted { .. } | Event::TicketCreated { .. }
            )
        })
        .await;
        if !woken {
            return;
        }
    }
}
