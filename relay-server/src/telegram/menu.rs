//! The bot's menu button (docs/miniapp.md): with `[miniapp] public_url`
//! set, Telegram's default menu button of every private chat opens the
//! customer's mini app. Set once at start; tried again, further apart each
//! time, until Telegram takes it.

use std::sync::Arc;
use std::time::Duration;

use teloxide::Bot;
use teloxide::payloads::SetChatMenuButtonSetters as _;
use teloxide::prelude::Requester as _;
use teloxide::types::{MenuButton, WebAppInfo};
use tokio_util::sync::CancellationToken;

use crate::domain::desk::Desk;
use crate::domain::i18n::Lang;

/// The longest wait between two tries.
const AT_MOST: Duration = Duration::from_secs(300);

pub async fn run(bot: Bot, desk: Arc<Desk>, token: String, shutdown: CancellationToken) {
    let app = &desk.miniapp;
    let Some(url) = app.public_url.as_deref().filter(|_| app.enabled) else {
        return;
    };
    let Ok(url) = url::Url::parse(url) else {
        // Checked when the settings were read.
        return;
    };
    let text = desk.bot.t(Lang::En, "app.menu", &[]);
    let mut wait = Duration::from_secs(1);
    loop {
        let button = MenuButton::WebApp {
            text: text.clone(),
            web_app: WebAppInfo { url: url.clone() },
        };
        match bot.set_chat_menu_button().menu_button(button).await {
            Ok(_) => {
                tracing::info!(%url, "telegram: the menu button opens the mini app");
                return;
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
}
