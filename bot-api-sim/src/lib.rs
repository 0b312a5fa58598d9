//! A faithful fake of the Telegram Bot API, served on loopback.
//!
//! - The Bot API at `{url}/bot{token}/{method}`: method names are matched
//!   case-insensitively; parameters come as a query string, JSON,
//!   form-urlencoded (values may be JSON) or multipart, as teloxide sends
//!   them. Answers use Telegram's envelope and Telegram's exact error texts.
//! - Telegram's limits: 1 message/s per chat, 30/s overall, 20/min per
//!   group, answered with 429 and `retry_after` when broken.
//! - Faults on demand: 429 storms, slow answers, dropped connections (before
//!   or after the request took effect), users who blocked the bot.
//! - A control surface, in process ([`Simulator`]) and over HTTP
//!   (`/control/...`, see docs/simulator.md), to inject what customers do
//!   and read what the bot sent.

mod api;
mod control;
mod limits;
mod params;
pub mod script;
mod state;
mod updates;

pub use api::file_bytes;
pub use limits::Limits;
pub use state::{Fault, GroupPost, Sent, SentFile, SimUser, Stats};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Settings of a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The only token the fake accepts.
    pub token: String,
    /// The bot's @username.
    pub bot_username: String,
    pub limits: Limits,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            token: "123456:SIMULATED-TOKEN".into(),
            bot_username: "support_desk_bot".into(),
            limits: Limits::telegram(),
        }
    }
}

/// A running simulator. Dropping it stops the server.
pub struct Simulator {
    state: Arc<state::Shared>,
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: Option<JoinHandle<()>>,
}

/// Only loopback addresses may be served: test traffic never leaves the machine.
fn check_loopback(addr: &SocketAddr) -> std::io::Result<()> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{addr} is not a loopback address"),
        ))
    }
}

impl Simulator {
    /// Starts on 127.0.0.1 with a free port.
    pub async fn start(config: SimConfig) -> std::io::Result<Simulator> {
        Self::start_on("127.0.0.1:0".parse().expect("address"), config).await
    }

    /// Starts on the given loopback address.
    pub async fn start_on(addr: SocketAddr, config: SimConfig) -> std::io::Result<Simulator> {
        check_loopback(&addr)?;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(state::Shared::new(config));
        let shutdown = CancellationToken::new();
        let app = api::router(state.clone()).merge(control::router(state.clone()));
        let token = shutdown.clone();
        let task = tokio::spawn(async move {
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                let _ = tcp.set_nodelay(true);
            });
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(token.cancelled_owned())
                .await
            {
                tracing::error!("simulator stopped: {e}");
            }
        });
        Ok(Simulator {
            state,
            addr,
            shutdown,
            task: Some(task),
        })
    }

    /// The base URL to give a bot (`TELEGRAM_API_URL`), e.g. `http://127.0.0.1:40001`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn token(&self) -> String {
        self.state.config.token.clone()
    }

    /// Registers (or updates) a customer; they may then write to the bot.
    pub fn add_user(&self, user: SimUser) {
        self.state.add_user(user);
    }

    /// The customer sends a text message; returns its message id.
    pub fn send_text(&self, user_id: i64, text: &str) -> i64 {
        self.state.customer_text(user_id, text, None)
    }

    /// The customer sends a photo with an optional caption; returns its message id.
    pub fn send_photo(&self, user_id: i64, caption: Option<&str>) -> i64 {
        self.state.customer_photo(user_id, caption)
    }

    /// The customer presses an inline button of a bot message. Fails when
    /// that message has no button with this callback data.
    pub fn press(&self, user_id: i64, message_id: i64, data: &str) -> Result<String, String> {
        self.state.press(user_id, message_id, data)
    }

    /// The customer edits one of their messages.
    pub fn edit(&self, user_id: i64, message_id: i64, text: &str) -> Result<(), String> {
        self.state.customer_edit(user_id, message_id, text)
    }

    /// The customer blocks (or unblocks) the bot.
    pub fn set_blocked(&self, user_id: i64, blocked: bool) {
        self.state.set_blocked(user_id, blocked);
    }

    /// A member writes in a group (`thread` for a forum topic); returns the message id.
    pub fn group_text(
        &self,
        chat_id: i64,
        title: &str,
        user_id: i64,
        text: &str,
        thread: Option<i64>,
    ) -> i64 {
        self.state.group_text(chat_id, title, user_id, text, thread)
    }

    /// A member replies to message `reply_to` in a group; returns the
    /// message id.
    pub fn group_reply(
        &self,
        chat_id: i64,
        title: &str,
        user_id: i64,
        text: &str,
        reply_to: i64,
    ) -> i64 {
        self.state
            .group_reply(chat_id, title, user_id, text, None, Some(reply_to))
    }

    /// A member posts in a group with what `post` says (a photo, a
    /// forward, a quote from another chat, buttons); `Err` when Telegram
    /// would not let them (banned).
    pub fn group_post(
        &self,
        chat_id: i64,
        title: &str,
        user_id: i64,
        post: &GroupPost,
    ) -> Result<i64, String> {
        self.state.group_post(chat_id, title, user_id, post)
    }

    /// Everyone the bot ever banned from a group (a kick is a ban lifted
    /// at once), in order.
    pub fn group_bans(&self, chat_id: i64) -> Vec<i64> {
        self.state.bans(chat_id)
    }

    /// `user_id` asks to join a group that approves new members.
    pub fn join_request(&self, chat_id: i64, title: &str, user_id: i64) {
        self.state.join_request(chat_id, title, user_id)
    }

    /// A group's join requests: (waiting, approved, declined), and the
    /// messages the bot pinned there.
    pub fn join_requests(&self, chat_id: i64) -> (Vec<i64>, Vec<i64>, Vec<i64>, Vec<i64>) {
        self.state.requests(chat_id)
    }

    /// `user_id` presses a button (its callback `data`) of the bot's
    /// message `message_id` in a group; returns the callback query id.
    pub fn group_press(
        &self,
        chat_id: i64,
        user_id: i64,
        message_id: i64,
        data: &str,
    ) -> Result<String, String> {
        self.state.press_in(chat_id, user_id, message_id, data)
    }

    /// Whom the bot banned from a group, and whom it restricted (with the
    /// permissions left them).
    pub fn group_members(&self, chat_id: i64) -> (Vec<i64>, Vec<(i64, serde_json::Value)>) {
        self.state.members(chat_id)
    }

    /// The group `from` is upgraded to a supergroup `to` (both service
    /// messages, as Telegram sends them).
    pub fn group_migrate(&self, from: i64, to: i64, title: &str, user_id: i64) {
        self.state.group_migrate(from, to, title, user_id)
    }

    /// A user joins a group.
    pub fn group_join(&self, chat_id: i64, title: &str, user_id: i64) -> i64 {
        self.state.group_join(chat_id, title, user_id)
    }

    /// BotFather's privacy mode for the bot (getMe's
    /// `can_read_all_group_messages` is its opposite). Off by default.
    pub fn set_privacy_mode(&self, on: bool) {
        self.state.set_privacy_mode(on)
    }

    /// The bot's standing in a group changes (`member`, `administrator`,
    /// `left`, `kicked`), done by `by_user`: a `my_chat_member` update.
    pub fn group_bot_status(&self, chat_id: i64, title: &str, by_user: i64, status: &str) {
        self.state.group_bot_status(chat_id, title, by_user, status)
    }

    /// A member's standing in a group changes from `old` to `status`
    /// (`member`, `left`, `kicked`), by `by_user`: a `chat_member` update,
    /// delivered only where the bot is an administrator, as Telegram does.
    pub fn group_member_status(
        &self,
        chat_id: i64,
        title: &str,
        user_id: i64,
        by_user: i64,
        old: &str,
        status: &str,
    ) {
        self.state
            .group_member_status(chat_id, title, user_id, by_user, old, status)
    }

    /// A member leaves a group (the `left_chat_member` service message).
    pub fn group_leave(&self, chat_id: i64, title: &str, user_id: i64) -> i64 {
        self.state.group_leave(chat_id, title, user_id)
    }

    /// A member reacts to a group message with `emoji` (`message_reaction`).
    pub fn group_react(&self, chat_id: i64, user_id: i64, message_id: i64, emoji: &str) {
        self.state.group_react(chat_id, user_id, message_id, emoji)
    }

    /// The menu button the bot set (setChatMenuButton) for a chat, or with
    /// `None` its default one; `None` if it never set it.
    pub fn menu_button(&self, chat_id: Option<i64>) -> Option<serde_json::Value> {
        self.state.menu_button(chat_id)
    }

    /// The ids of the messages the bot deleted in a chat (deleteMessage,
    /// deleteMessages), ascending.
    pub fn deleted(&self, chat_id: i64) -> Vec<i64> {
        self.state.deleted(chat_id)
    }

    /// Everything the bot sent to a chat, oldest first (edits applied).
    pub fn sent(&self, chat_id: i64) -> Vec<Sent> {
        self.state.sent(chat_id)
    }

    /// Waits until the bot has sent at least `n` messages to the chat.
    pub async fn wait_sent(
        &self,
        chat_id: i64,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<Sent>, Vec<Sent>> {
        self.state.wait_sent(chat_id, n, timeout).await
    }

    /// A file the simulator keeps (a customer's photo, a bot's upload):
    /// its path for downloads and its size. Its bytes are
    /// [`file_bytes`]`(path, size)`.
    pub fn file(&self, file_id: &str) -> Option<(String, u64)> {
        self.state.file(file_id)
    }

    /// How many getFile calls the bot made.
    pub fn get_file_calls(&self) -> u64 {
        self.state.stats().get_file
    }

    /// Counters since start.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Turns on a fault (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        self.state.inject(fault);
    }

    /// Turns every fault off.
    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// Stops serving and waits for the server to end.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
