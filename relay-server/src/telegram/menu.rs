//! The bot's menu button (docs/miniapp.md): with `[miniapp] public_url`
//! set, Telegram's default menu button of every private chat opens the
//! customer's mini app, labelled in English. Set at start; tried again,
//! further apart each time, until Telegram takes it. Then each customer
//! who writes in another language gets a button of their own chat in
//! theirs ("Мої звернення"), and a new one when they change it: what was
//! set is recorded per customer (`customers.menu_lang`), so a restart
//! carries on where it stopped. The address the buttons open is recorded
//! too (`server_state`): when it changes, every chat's button is set
//! again; when the app is switched off, the buttons go back to Telegram's
//! default.

use std::sync::Arc;
use std::time::Duration;

use teloxide::payloads::SetChatMenuButtonSetters as _;
use teloxide::prelude::Requester as _;
use teloxide::types::{ChatId, MenuButton, WebAppInfo};
use teloxide::{ApiError, Bot, RequestError};
use tokio_util::sync::CancellationToken;

use crate::domain::customer_app::{menu_changes, menu_label};
use crate::domain::desk::Desk;
use crate::domain::i18n::Lang;
use crate::store::customers;
use crate::store::server_state::{self, MENU_URL};
use crate::store::{Store, StoreError};
use shared::{CustomerId, Event};

/// The longest wait between two tries.
const AT_MOST: Duration = Duration::from_secs(300);
/// Customers looked at in one go.
const BATCH: usize = 20;
/// Between two calls: a menu button is never urgent.
const SPACING: Duration = Duration::from_millis(100);
/// Looked at this often with nothing changing (a new customer or ticket,
/// or a language chosen, wakes it sooner).
const IDLE: Duration = Duration::from_secs(300);
/// After Telegram or the database failed.
const AFTER_FAILURE: Duration = Duration::from_secs(30);

pub async fn run(
    bot: Bot,
    store: Store,
    desk: Arc<Desk>,
    token: String,
    shutdown: CancellationToken,
) {
    let app = &desk.miniapp;
    let url = app
        .public_url
        .as_deref()
        .filter(|_| app.enabled)
        .and_then(|u| url::Url::parse(u).ok());
    let was = store
        .readers()
        .read(|c| server_state::get(c, MENU_URL))
        .await
        .unwrap_or_else(|e| {
            tracing::error!("telegram: cannot read the menu buttons' address: {e}");
            None
        });
    let now = url.as_ref().map(url::Url::to_string);
    if now.is_none() && was.is_none() {
        return;
    }
    let default = match &url {
        Some(u) => MenuButton::WebApp {
            text: desk.bot.t(Lang::En, "app.menu", &[]),
            web_app: WebAppInfo { url: u.clone() },
        },
        None => MenuButton::Default,
    };
    let mut wait = Duration::from_secs(1);
    loop {
        match bot
            .set_chat_menu_button()
            .menu_button(default.clone())
            .await
        {
            Ok(_) => {
                match &now {
                    Some(url) => {
                        tracing::info!(%url, "telegram: the menu button opens the mini app")
                    }
                    None => tracing::info!("telegram: the menu button is Telegram's default again"),
                }
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
    match (url, now) {
        (Some(url), Some(now)) => {
            if was.as_deref() != Some(now.as_str()) {
                // Moved (or new): every chat's own button is set again.
                let recorded = store
                    .write(move |ctx| {
                        customers::menus_reset(ctx)?;
                        server_state::set(ctx, MENU_URL, Some(&now))
                    })
                    .await;
                if let Err(e) = recorded {
                    tracing::error!("telegram: cannot record the menu buttons' address: {e}");
                    return;
                }
            }
            per_chat(&bot, &store, &desk, &url, &token, &shutdown).await;
        }
        _ => back_to_default(&bot, &store, &token, &shutdown).await,
    }
}

/// What became of one chat's button.
enum Next {
    /// Set, or refused for good (the chat is gone or never was, the bot
    /// blocked): recorded either way.
    Done,
    /// Not now: try again after this.
    Later(Duration),
}

async fn set_one(bot: &Bot, chat: i64, button: MenuButton, token: &str) -> Next {
    let call = bot
        .set_chat_menu_button()
        .chat_id(ChatId(chat))
        .menu_button(button);
    match call.await {
        Ok(_) => Next::Done,
        Err(RequestError::RetryAfter(s)) => {
            Next::Later(Duration::from_secs(u64::from(s.seconds())))
        }
        // A 5xx, or a token Telegram does not take: not this chat's fault.
        Err(RequestError::Api(ApiError::Unknown(d))) if super::server_error(&d) => {
            tracing::warn!(chat, "telegram: cannot set a chat's menu button: {d}");
            Next::Later(AFTER_FAILURE)
        }
        Err(RequestError::Api(ApiError::InvalidToken)) => Next::Later(AT_MOST),
        Err(RequestError::Api(e)) => {
            tracing::info!(chat, "telegram: a chat's menu button refused: {e}");
            Next::Done
        }
        Err(e) => {
            tracing::warn!(
                chat,
                "telegram: cannot set a chat's menu button: {}",
                super::mask(&e.to_string(), token)
            );
            Next::Later(AFTER_FAILURE)
        }
    }
}

/// Records what the chats' buttons now stand for. False when the
/// database refused (then the same customers come round again later).
async fn record(store: &Store, done: Vec<(CustomerId, Option<String>)>) -> bool {
    if done.is_empty() {
        return true;
    }
    let written = store
        .write(move |ctx| {
            for (id, lang) in &done {
                customers::menu_shown(ctx, *id, lang.as_deref())?;
            }
            Ok::<_, StoreError>(())
        })
        .await;
    if let Err(e) = &written {
        tracing::error!("telegram: cannot record the menu buttons set: {e}");
    }
    written.is_ok()
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
                let button = match menu_label(desk, d.language.as_deref()) {
                    Some(text) => MenuButton::WebApp {
                        text,
                        web_app: WebAppInfo { url: url.clone() },
                    },
                    // Back to English: the bot's default button.
                    None => MenuButton::Default,
                };
                if let Next::Later(after) = set_one(bot, d.chat, button, token).await {
                    wait = after;
                    break;
                }
                tokio::time::sleep(SPACING).await;
            }
            // (An English speaker's chat keeps the default: nothing to call.)
            done.push((d.customer, d.language.clone()));
        }
        let whole_batch = due.len() == BATCH && done.len() == BATCH;
        if !record(store, done).await {
            wait = wait.min(AFTER_FAILURE);
        } else if whole_batch {
            continue;
        }
        // A customer's language is set or changed with their record, and a
        // new customer comes with a ticket.
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

/// The app is switched off: every chat given a button of its own gets
/// Telegram's default again; then the address is forgotten.
async fn back_to_default(bot: &Bot, store: &Store, token: &str, shutdown: &CancellationToken) {
    let mut after = CustomerId(0);
    while !shutdown.is_cancelled() {
        let set = match store
            .readers()
            .read(move |c| customers::menus_set(c, after, BATCH))
            .await
        {
            Ok(set) => set,
            Err(e) => {
                tracing::error!("telegram: cannot read the menu buttons set: {e}");
                return;
            }
        };
        let mut done: Vec<(CustomerId, Option<String>)> = Vec::new();
        let mut pause = None;
        for d in &set {
            let own = |l: &Option<String>| Lang::from_code(l.as_deref()) != Lang::En;
            if own(&d.shown) || own(&d.language) {
                if let Next::Later(wait) = set_one(bot, d.chat, MenuButton::Default, token).await {
                    pause = Some(wait);
                    break;
                }
                tokio::time::sleep(SPACING).await;
            }
            done.push((d.customer, None));
        }
        let last = done.last().map(|(id, _)| *id);
        if !record(store, done).await {
            pause = Some(AFTER_FAILURE);
        } else if let Some(id) = last {
            after = id;
        }
        if let Some(wait) = pause {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            continue;
        }
        if set.len() < BATCH {
            break;
        }
    }
    if shutdown.is_cancelled() {
        return;
    }
    match store
        .write(|ctx| server_state::set(ctx, MENU_URL, None))
        .await
    {
        Ok(()) => tracing::info!("telegram: every chat's menu button is Telegram's default again"),
        Err(e) => tracing::error!("telegram: cannot record the menu buttons' address: {e}"),
    }
}
