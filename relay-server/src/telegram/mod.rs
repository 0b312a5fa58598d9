//! The Telegram adapter: the bot's own getUpdates loop with durable
//! intake, the processor that turns stored updates into domain calls, and
//! the outbox sender paced under Telegram's limits, and the moderator
//! (group-admin calls of the safety rules). teloxide provides the
//! types and requests; the loops are ours (its listener acknowledges an
//! update before the handler has stored it, which loses messages on a crash).

mod cleaner;
mod convert;
pub mod keyboard;
mod menu;
mod moderator;
mod pace;
mod poller;
mod process;
mod redact;
mod sender;

use std::sync::Arc;

use teloxide::Bot;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::domain::desk::Desk;
use crate::settings::TelegramSettings;
use crate::store::Store;

pub use pace::Pacer;

/// Removes the token from text that may quote a request URL.
pub fn mask(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_owned()
    } else {
        text.replace(token, "<token>")
    }
}

/// Whether Telegram's refusal is its own trouble (a 5xx), not the
/// request's: worth trying again.
pub(crate) fn server_error(description: &str) -> bool {
    [
        "Internal Server Error",
        "Bad Gateway",
        "Service Unavailable",
        "Gateway Timeout",
    ]
    .iter()
    .any(|x| description.contains(x))
}

/// Builds the bot client for these settings.
pub fn bot(settings: &TelegramSettings) -> Result<Bot, String> {
    let api = settings
        .api_url
        .trim_end_matches('/')
        .parse::<url::Url>()
        .map_err(|e| format!("telegram.api_url: {e}"))?;
    // teloxide's default client gives up after 17 s, shorter than a long
    // poll: every quiet getUpdates would fail. Allow the poll plus 10 s.
    let client = teloxide::net::default_reqwest_settings()
        .timeout(std::time::Duration::from_secs(
            u64::from(settings.poll_timeout_secs) + 10,
        ))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    Ok(Bot::with_client(settings.token.clone(), client).set_api_url(api))
}

/// Starts the poller, the processor, the sender and the rest (the
/// moderator, the cleaner, the menu button); they stop with `shutdown`.
pub fn start(
    store: Store,
    settings: TelegramSettings,
    desk: Arc<Desk>,
    files: crate::files::FileStore,
    shutdown: CancellationToken,
    tasks: &TaskTracker,
) -> Result<(), String> {
    let bot = bot(&settings)?;
    let wake = Arc::new(tokio::sync::Notify::new());
    tasks.spawn(poller::run(
        bot.clone(),
        store.clone(),
        settings.clone(),
        desk.clone(),
        wake.clone(),
        shutdown.clone(),
    ));
    tasks.spawn(process::run(
        bot.clone(),
        store.clone(),
        desk.clone(),
        wake,
        shutdown.clone(),
    ));
    tasks.spawn(menu::run(
        bot.clone(),
        store.clone(),
        desk.clone(),
        settings.token.clone(),
        shutdown.clone(),
    ));
    tasks.spawn(moderator::run(
        bot.clone(),
        store.clone(),
        desk,
        settings.token.clone(),
        shutdown.clone(),
    ));
    tasks.spawn(cleaner::run(
        bot.clone(),
        store.clone(),
        settings.token.clone(),
        shutdown.clone(),
    ));
    tasks.spawn(sender::run(bot, store, settings, files, shutdown));
    Ok(())
}
