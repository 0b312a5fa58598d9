//! The simulated world: users, chats, what was sent, the update queue,
//! limits and faults. One mutex; nothing here blocks for long.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::SimConfig;
use crate::limits::Windows;
use crate::updates::{self, now_secs};

/// A Telegram user (a customer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SimUser {
    pub id: i64,
    pub first_name: String,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub language_code: Option<String>,
}

impl SimUser {
    pub fn new(id: i64, first_name: &str, language_code: &str) -> Self {
        SimUser {
            id,
            first_name: first_name.to_owned(),
            last_name: None,
            username: None,
            language_code: Some(language_code.to_owned()),
        }
    }
}

/// What a member posts in a group (the simulator's control API).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct GroupPost {
    #[serde(default)]
    pub text: String,
    /// The forum topic.
    #[serde(default)]
    pub thread: Option<i64>,
    #[serde(default)]
    pub reply_to: Option<i64>,
    /// A photo, `text` its caption.
    #[serde(default)]
    pub photo: bool,
    /// Forwarded from someone of this name.
    #[serde(default)]
    pub forward_from: Option<String>,
    /// A reply quoting a message of this other chat.
    #[serde(default)]
    pub quote_from: Option<i64>,
    /// Sent through an inline bot, with a button.
    #[serde(default)]
    pub keyboard: bool,
}

/// One message the bot sent, as it stands now.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    pub chat_id: i64,
    pub message_id: i64,
    /// The Bot API method that sent it (lowercase).
    pub method: String,
    /// Text, or a media message's caption.
    pub text: Option<String>,
    /// A file uploaded with it (sendPhoto, sendDocument): its name and size.
    pub file: Option<SentFile>,
    pub reply_markup: Option<Value>,
    pub reply_to: Option<i64>,
    pub thread_id: Option<i64>,
    /// How many times it was edited.
    pub edits: u32,
    /// Milliseconds since the simulator started.
    pub at_ms: u64,
}

/// A file a bot uploaded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SentFile {
    pub file_name: Option<String>,
    pub size: u64,
    /// The contents of a text file of at most 1 MiB (a data export).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Sent {
    /// Callback data of every inline button, in order (a link's or a web
    /// app's address for those).
    pub fn buttons(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(rows) = self
            .reply_markup
            .as_ref()
            .and_then(|m| m["inline_keyboard"].as_array())
        {
            for b in rows.iter().filter_map(|r| r.as_array()).flatten() {
                let label = b["text"].as_str().unwrap_or_default().to_owned();
                let data = b["callback_data"]
                    .as_str()
                    .or(b["url"].as_str())
                    .or(b["web_app"]["url"].as_str())
                    .unwrap_or_default()
                    .to_owned();
                out.push((label, data));
            }
        }
        out
    }
}

/// A fault to inject.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Every sending method answers 429 with `retry_after` for `seconds`.
    Storm { seconds: u64, retry_after: u64 },
    /// Every Bot API answer is delayed by `millis`.
    Latency { millis: u64 },
    /// The next `count` sends: the connection drops before anything happens.
    DropBefore { count: u32 },
    /// The next `count` sends take effect, then the connection drops (the answer is lost).
    DropAfter { count: u32 },
}

/// Counters since start.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub requests: u64,
    pub get_updates: u64,
    /// Messages accepted (sent) to any chat.
    pub sent: u64,
    /// 429s answered because a real limit was broken.
    pub rate_limited: u64,
    /// 429s answered because of an injected storm.
    pub storm_429: u64,
    /// Connections dropped on purpose.
    pub dropped: u64,
    /// Other error answers (4xx).
    pub errors: u64,
    /// Updates injected.
    pub updates: u64,
    /// getFile calls answered.
    pub get_file: u64,
}

#[derive(Default)]
struct Faults {
    storm: Option<(Instant, u64)>,
    latency: Duration,
    drop_before: u32,
    drop_after: u32,
}

struct Chat {
    json: Value,
    next_message_id: i64,
    /// Messages customers sent here, by id (for edits).
    inbound: HashMap<i64, Value>,
    sent: Vec<Sent>,
    /// Messages (either side's) the bot deleted.
    deleted: HashSet<i64>,
    /// The bot's standing in a group: member, administrator, left, kicked.
    bot_status: String,
    /// Members the bot banned from the group.
    banned: HashSet<i64>,
    /// Members the bot restricted, with the permissions it left them.
    restricted: HashMap<i64, Value>,
    /// Join requests waiting, approved and declined (user ids, in order).
    requests: Vec<i64>,
    approved: Vec<i64>,
    declined: Vec<i64>,
    /// Messages the bot pinned.
    pinned: Vec<i64>,
    /// Every ban, in order (a kick is a ban lifted at once).
    bans: Vec<i64>,
}

impl Chat {
    fn new(json: Value) -> Chat {
        Chat {
            json,
            next_message_id: 1,
            inbound: HashMap::new(),
            sent: Vec::new(),
            deleted: HashSet::new(),
            bot_status: "left".into(),
            banned: HashSet::new(),
            restricted: HashMap::new(),
            requests: Vec::new(),
            approved: Vec::new(),
            declined: Vec::new(),
            pinned: Vec::new(),
            bans: Vec::new(),
        }
    }
}

/// How long a bot may delete a message in a private chat.
const DELETE_WINDOW_SECS: i64 = 48 * 3600;

struct World {
    users: HashMap<i64, SimUser>,
    blocked: HashSet<i64>,
    chats: HashMap<i64, Chat>,
    updates: VecDeque<(u64, &'static str, Value)>,
    next_update_id: u64,
    allowed: Option<Vec<String>>,
    poll_generation: u64,
    callbacks: HashMap<String, bool>,
    windows: Windows,
    faults: Faults,
    stats: Stats,
    webhook: Option<String>,
    /// setChatMenuButton: the button per chat (`None`: the default).
    menu_buttons: HashMap<Option<i64>, Value>,
    files: HashMap<String, (String, u64)>,
    next_file: u64,
    /// BotFather's privacy mode (getMe's `can_read_all_group_messages`).
    privacy_mode: bool,
}

pub(crate) struct Shared {
    pub config: SimConfig,
    pub bot_id: i64,
    started: Instant,
    world: Mutex<World>,
    pub updates_ready: Notify,
    sent_ready: Notify,
}

/// What a send may do, decided before it happens.
pub(crate) enum Gate {
    Go { drop_after: bool },
    DropBefore,
    TooMany { retry_after: u64 },
}

impl Shared {
    pub fn new(config: SimConfig) -> Self {
        let bot_id = config
            .token
            .split(':')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(123456);
        Shared {
            config,
            bot_id,
            started: Instant::now(),
            world: Mutex::new(World {
                users: HashMap::new(),
                blocked: HashSet::new(),
                chats: HashMap::new(),
                updates: VecDeque::new(),
                next_update_id: 1,
                allowed: None,
                poll_generation: 0,
                callbacks: HashMap::new(),
                windows: Windows::default(),
                faults: Faults::default(),
                stats: Stats::default(),
                webhook: None,
                menu_buttons: HashMap::new(),
                files: HashMap::new(),
                next_file: 1,
                privacy_mode: false,
            }),
            updates_ready: Notify::new(),
            sent_ready: Notify::new(),
        }
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn bot_json(&self) -> Value {
        updates::bot_user(self.bot_id, &self.config.bot_username)
    }

    pub fn count(&self, f: impl FnOnce(&mut Stats)) {
        f(&mut self.world().stats);
    }

    pub fn latency(&self) -> Duration {
        self.world().faults.latency
    }

    pub fn stats(&self) -> Stats {
        self.world().stats.clone()
    }

    pub fn inject(&self, fault: Fault) {
        let mut w = self.world();
        match fault {
            Fault::Storm {
                seconds,
                retry_after,
            } => {
                w.faults.storm = Some((
                    Instant::now() + Duration::from_secs(seconds),
                    retry_after.max(1),
                ))
            }
            Fault::Latency { millis } => w.faults.latency = Duration::from_millis(millis),
            Fault::DropBefore { count } => w.faults.drop_before += count,
            Fault::DropAfter { count } => w.faults.drop_after += count,
        }
    }

    pub fn clear_faults(&self) {
        self.world().faults = Faults::default();
    }

    pub fn add_user(&self, user: SimUser) {
        let mut w = self.world();
        let chat = updates::private_chat(&user);
        let fresh = chat.clone();
        w.chats
            .entry(user.id)
            .or_insert_with(|| Chat::new(fresh))
            .json = chat;
        w.users.insert(user.id, user);
    }

    fn user_or_default(w: &mut World, id: i64) -> SimUser {
        if let Some(u) = w.users.get(&id) {
            return u.clone();
        }
        let u = SimUser::new(id, &format!("User{id}"), "en");
        w.chats.insert(id, Chat::new(updates::private_chat(&u)));
        w.users.insert(id, u.clone());
        u
    }

    fn push_update(&self, w: &mut World, kind: &'static str, body: Value) -> u64 {
        let id = w.next_update_id;
        w.next_update_id += 1;
        w.updates
            .push_back((id, kind, json!({"update_id": id, kind: body})));
        w.stats.updates += 1;
        self.updates_ready.notify_waiters();
        id
    }

    fn next_message_id(w: &mut World, chat: i64) -> i64 {
        let c = w.chats.get_mut(&chat).expect("chat exists");
        let id = c.next_message_id;
        c.next_message_id += 1;
        id
    }

    fn customer_message(&self, user_id: i64, fill: impl FnOnce(&mut Value)) -> i64 {
        let mut w = self.world();
        let u = Self::user_or_default(&mut w, user_id);
        let id = Self::next_message_id(&mut w, user_id);
        let mut msg = json!({
            "message_id": id,
            "from": updates::user(&u),
            "chat": updates::private_chat(&u),
            "date": now_secs(),
        });
        fill(&mut msg);
        w.chats
            .get_mut(&user_id)
            .expect("chat")
            .inbound
            .insert(id, msg.clone());
        self.push_update(&mut w, "message", msg);
        id
    }

    pub fn customer_text(&self, user_id: i64, text: &str, reply_to: Option<i64>) -> i64 {
        self.customer_message(user_id, |m| {
            m["text"] = json!(text);
            if let Some(e) = updates::entities(text) {
                m["entities"] = e;
            }
            if let Some(r) = reply_to {
                m["reply_to_message"] =
                    json!({"message_id": r, "date": now_secs(), "chat": m["chat"].clone()});
            }
        })
    }

    pub fn customer_photo(&self, user_id: i64, caption: Option<&str>) -> i64 {
        let file_id = {
            let mut w = self.world();
            let n = w.next_file;
            w.next_file += 1;
            let id = format!("photo-{n}");
            w.files
                .insert(id.clone(), (format!("photos/file_{n}.jpg"), 48_213));
            id
        };
        self.customer_message(user_id, |m| {
            m["photo"] = updates::photo_sizes(&file_id, 48_213);
            if let Some(c) = caption {
                m["caption"] = json!(c);
            }
        })
    }

    pub fn customer_edit(&self, user_id: i64, message_id: i64, text: &str) -> Result<(), String> {
        let mut w = self.world();
        let chat = w.chats.get_mut(&user_id).ok_or("no such chat")?;
        let msg = chat
            .inbound
            .get_mut(&message_id)
            .ok_or("no such message from this customer")?;
        // A media message's words are its caption.
        let field = if msg.get("text").is_some() {
            "text"
        } else {
            "caption"
        };
        msg[field] = json!(text);
        msg["edit_date"] = json!(now_secs());
        let msg = msg.clone();
        self.push_update(&mut w, "edited_message", msg);
        Ok(())
    }

    pub fn press(&self, user_id: i64, message_id: i64, data: &str) -> Result<String, String> {
        self.press_in(user_id, user_id, message_id, data)
    }

    /// `user_id` presses a button of the bot's message `message_id` in
    /// chat `chat_id` (their private chat, or a group).
    pub fn press_in(
        &self,
        chat_id: i64,
        user_id: i64,
        message_id: i64,
        data: &str,
    ) -> Result<String, String> {
        let mut w = self.world();
        let u = w.users.get(&user_id).cloned().ok_or("unknown user")?;
        let chat = w.chats.get(&chat_id).ok_or("no such chat")?;
        if chat.deleted.contains(&message_id) {
            return Err(format!("message {message_id} was deleted"));
        }
        let sent = chat
            .sent
            .iter()
            .find(|s| s.message_id == message_id)
            .ok_or("no such bot message")?;
        if !sent.buttons().iter().any(|(_, d)| d == data) {
            return Err(format!(
                "message {message_id} has no button with data {data:?}: {:?}",
                sent.buttons()
            ));
        }
        let mut message = json!({
            "message_id": message_id,
            "from": self.bot_json(),
            "chat": chat.json.clone(),
            "date": now_secs(),
            "text": sent.text.clone().unwrap_or_default(),
        });
        if let Some(m) = &sent.reply_markup {
            message["reply_markup"] = m.clone();
        }
        let id = format!("cb{}", w.next_update_id);
        w.callbacks.insert(id.clone(), false);
        let body = json!({
            "id": id,
            "from": updates::user(&u),
            "message": message,
            "chat_instance": format!("ci{user_id}"),
            "data": data,
        });
        self.push_update(&mut w, "callback_query", body);
        Ok(id)
    }

    pub fn set_blocked(&self, user_id: i64, blocked: bool) {
        let mut w = self.world();
        let u = Self::user_or_default(&mut w, user_id);
        let changed = if blocked {
            w.blocked.insert(user_id)
        } else {
            w.blocked.remove(&user_id)
        };
        if changed {
            let body = updates::kicked(
                updates::private_chat(&u),
                updates::user(&u),
                self.bot_json(),
                blocked,
            );
            self.push_update(&mut w, "my_chat_member", body);
        }
    }

    fn group(w: &mut World, chat_id: i64, title: &str, forum: bool) {
        w.chats
            .entry(chat_id)
            .or_insert_with(|| Chat::new(updates::group_chat(chat_id, title, forum)));
    }

    pub fn group_text(
        &self,
        chat_id: i64,
        title: &str,
        user_id: i64,
        text: &str,
        thread: Option<i64>,
    ) -> i64 {
        self.group_reply(chat_id, title, user_id, text, thread, None)
    }

    /// A member writes in a group, replying to `reply_to` if given.
    pub fn group_reply(
        &self,
        chat_id: i64,
        title: &str,
        user_id: i64,
        text: &str,
        thread: Option<i64>,
        reply_to: Option<i64>,
    ) -> i64 {
        let post = GroupPost {
            text: text.to_owned(),
            thread,
            reply_to,
            ..GroupPost::default()
        };
        self.group_post(chat_id, title, user_id, &post)
            .unwrap_or_default()
    }

    /// A member posts in a group: text, and optionally a photo, a forward,
    /// a quote from another chat, buttons (through an inline bot). `Err`
    /// when Telegram would not let them (banned from the group).
    pub fn group_post(
        &self,
        chat_id: i64,
        title: &str,
        user_id: i64,
        p: &GroupPost,
    ) -> Result<i64, String> {
        let mut w = self.world();
        let u = Self::user_or_default(&mut w, user_id);
        Self::group(&mut w, chat_id, title, p.thread.is_some());
        if w.chats[&chat_id].banned.contains(&user_id) {
            return Err(format!("user {user_id} is banned from chat {chat_id}"));
        }
        // Restricted without the right to write (until its end, if any).
        if let Some(p) = w.chats[&chat_id].restricted.get(&user_id)
            && p["can_send_messages"].as_bool() != Some(true)
            && p["until_date"]
                .as_i64()
                .is_none_or(|u| u == 0 || u > now_secs())
        {
            return Err(format!("user {user_id} may not write in chat {chat_id}"));
        }
        let id = Self::next_message_id(&mut w, chat_id);
        let mut msg = json!({
            "message_id": id,
            "from": updates::user(&u),
            "chat": w.chats[&chat_id].json.clone(),
            "date": now_secs(),
        });
        let text_field = if p.photo { "caption" } else { "text" };
        if !p.text.is_empty() || !p.photo {
            msg[text_field] = json!(p.text);
        }
        if let Some(e) = updates::entities(&p.text) {
            msg[if p.photo {
                "caption_entities"
            } else {
                "entities"
            }] = e;
        }
        if let Some(t) = p.thread {
            msg["message_thread_id"] = json!(t);
            msg["is_topic_message"] = json!(true);
        }
        if let Some(r) = p.reply_to {
            msg["reply_to_message"] =
                json!({"message_id": r, "date": now_secs(), "chat": msg["chat"].clone()});
        }
        if p.photo {
            let file_id = format!("gphoto-{chat_id}-{id}");
            msg["photo"] = updates::photo_sizes(&file_id, 40_000);
        }
        if let Some(name) = &p.forward_from {
            msg["forward_origin"] = json!({
                "type": "hidden_user", "sender_user_name": name, "date": now_secs() - 60
            });
        }
        if let Some(other) = p.quote_from {
            msg["external_reply"] = json!({
                "origin": {"type": "hidden_user", "sender_user_name": "someone", "date": now_secs() - 60},
                "chat": {"id": other, "type": "channel", "title": format!("Channel {other}")},
                "message_id": 7
            });
        }
        if p.keyboard {
            msg["via_bot"] = json!({"id": 777_000_111, "is_bot": true, "first_name": "Inline", "username": "inline_promo_bot"});
            msg["reply_markup"] =
                json!({"inline_keyboard": [[{"text": "Open", "url": "https://example.com/x"}]]});
        }
        w.chats
            .get_mut(&chat_id)
            .expect("chat")
            .inbound
            .insert(id, msg.clone());
        self.push_update(&mut w, "message", msg);
        Ok(id)
    }

    /// banChatMember, unbanChatMember and restrictChatMember: only an
    /// administrator may, as in Telegram.
    pub fn moderate_member(
        &self,
        chat: i64,
        user: i64,
        action: &str,
        permissions: Option<Value>,
    ) -> Result<(), (u16, &'static str)> {
        let mut w = self.world();
        let c = w
            .chats
            .get_mut(&chat)
            .ok_or((400, "Bad Request: chat not found"))?;
        if c.bot_status != "administrator" {
            return Err((
                400,
                "Bad Request: not enough rights to restrict/unrestrict chat member",
            ));
        }
        match action {
            "ban" => {
                c.banned.insert(user);
                c.bans.push(user);
                c.restricted.remove(&user);
            }
            "unban" => {
                c.banned.remove(&user);
            }
            _ => {
                c.restricted
                    .insert(user, permissions.unwrap_or_else(|| json!({})));
            }
        }
        Ok(())
    }

    /// `user_id` asks to join a group that approves new members: a
    /// `chat_join_request` update (the bot may write to them in private
    /// for a while).
    pub fn join_request(&self, chat_id: i64, title: &str, user_id: i64) {
        let mut w = self.world();
        let u = Self::user_or_default(&mut w, user_id);
        Self::group(&mut w, chat_id, title, false);
        let c = w.chats.get_mut(&chat_id).expect("chat");
        if !c.requests.contains(&user_id) {
            c.requests.push(user_id);
        }
        let body = json!({
            "chat": c.json.clone(),
            "from": updates::user(&u),
            "user_chat_id": user_id,
            "date": now_secs(),
        });
        self.push_update(&mut w, "chat_join_request", body);
    }

    /// approveChatJoinRequest / declineChatJoinRequest: an administrator
    /// answers a waiting request. Approved, the applicant joins (the group
    /// gets its "joined" service message).
    pub fn answer_request(
        &self,
        chat: i64,
        user: i64,
        approve: bool,
    ) -> Result<(), (u16, &'static str)> {
        let mut w = self.world();
        let c = w
            .chats
            .get_mut(&chat)
            .ok_or((400, "Bad Request: chat not found"))?;
        if c.bot_status != "administrator" {
            return Err((
                400,
                "Bad Request: not enough rights to manage join requests",
            ));
        }
        let Some(at) = c.requests.iter().position(|u| *u == user) else {
            return Err((400, "Bad Request: HIDE_REQUESTER_MISSING"));
        };
        c.requests.remove(at);
        if !approve {
            c.declined.push(user);
            return Ok(());
        }
        c.approved.push(user);
        let u = Self::user_or_default(&mut w, user);
        let id = Self::next_message_id(&mut w, chat);
        let msg = json!({
            "message_id": id,
            "from": updates::user(&u),
            "chat": w.chats[&chat].json.clone(),
            "date": now_secs(),
            "new_chat_members": [updates::user(&u)],
        });
        w.chats
            .get_mut(&chat)
            .expect("chat")
            .inbound
            .insert(id, msg.clone());
        self.push_update(&mut w, "message", msg);
        Ok(())
    }

    /// pinChatMessage: an administrator pins a message.
    pub fn pin(&self, chat: i64, message: i64) -> Result<(), (u16, &'static str)> {
        let mut w = self.world();
        let c = w
            .chats
            .get_mut(&chat)
            .ok_or((400, "Bad Request: chat not found"))?;
        if chat < 0 && c.bot_status != "administrator" {
            return Err((400, "Bad Request: not enough rights to pin a message"));
        }
        if !c.sent.iter().any(|s| s.message_id == message) && !c.inbound.contains_key(&message) {
            return Err((400, "Bad Request: message to pin not found"));
        }
        c.pinned.push(message);
        Ok(())
    }

    /// Everyone the bot ever banned from a group (kicks included), in order.
    pub fn bans(&self, chat: i64) -> Vec<i64> {
        self.world()
            .chats
            .get(&chat)
            .map(|c| c.bans.clone())
            .unwrap_or_default()
    }

    /// A group's join requests: (waiting, approved, declined), and the
    /// messages pinned.
    pub fn requests(&self, chat: i64) -> (Vec<i64>, Vec<i64>, Vec<i64>, Vec<i64>) {
        let w = self.world();
        w.chats.get(&chat).map_or_else(Default::default, |c| {
            (
                c.requests.clone(),
                c.approved.clone(),
                c.declined.clone(),
                c.pinned.clone(),
            )
        })
    }

    /// Who the bot banned from a group, and whom it restricted (with the
    /// permissions left them).
    pub fn members(&self, chat: i64) -> (Vec<i64>, Vec<(i64, Value)>) {
        let w = self.world();
        let Some(c) = w.chats.get(&chat) else {
            return (Vec::new(), Vec::new());
        };
        let mut banned: Vec<i64> = c.banned.iter().copied().collect();
        banned.sort_unstable();
        let mut restricted: Vec<(i64, Value)> =
            c.restricted.iter().map(|(k, v)| (*k, v.clone())).collect();
        restricted.sort_by_key(|(k, _)| *k);
        (banned, restricted)
    }

    /// The group is upgraded to a supergroup with the new id `to`: as
    /// Telegram does, the old chat gets a service message with
    /// `migrate_to_chat_id` and the new one a first message with
    /// `migrate_from_chat_id`. Later messages go to `to`.
    pub fn group_migrate(&self, from: i64, to: i64, title: &str, user_id: i64) {
        let mut w = self.world();
        let u = Self::user_or_default(&mut w, user_id);
        for (chat, field, other) in [
            (from, "migrate_to_chat_id", to),
            (to, "migrate_from_chat_id", from),
        ] {
            Self::group(&mut w, chat, title, false);
            let id = Self::next_message_id(&mut w, chat);
            let mut msg = json!({
                "message_id": id,
                "from": updates::user(&u),
                "chat": w.chats[&chat].json.clone(),
                "date": now_secs(),
            });
            msg[field] = json!(other);
            self.push_update(&mut w, "message", msg);
        }
    }

    pub fn group_join(&self, chat_id: i64, title: &str, user_id: i64) -> i64 {
        let mut w = self.world();
        let u = Self::user_or_default(&mut w, user_id);
        Self::group(&mut w, chat_id, title, false);
        let id = Self::next_message_id(&mut w, chat_id);
        let msg = json!({
            "message_id": id,
            "from": updates::user(&u),
            "chat": w.chats[&chat_id].json.clone(),
            "date": now_secs(),
            "new_chat_members": [updates::user(&u)],
        });
        w.chats
            .get_mut(&chat_id)
            .expect("chat")
            .inbound
            .insert(id, msg.clone());
        self.push_update(&mut w, "message", msg);
        id
    }

    /// Whether the chat exists (someone wrote in it, or the bot was added).
    pub fn has_chat(&self, chat_id: i64) -> bool {
        self.world().chats.contains_key(&chat_id)
    }

    /// BotFather's privacy mode for the bot: getMe says it.
    pub fn set_privacy_mode(&self, on: bool) {
        self.world().privacy_mode = on;
    }

    pub fn privacy_mode(&self) -> bool {
        self.world().privacy_mode
    }

    /// The bot's standing in a group changes (`member`, `administrator`,
    /// `left`, `kicked`), by `by_user`: a `my_chat_member` update.
    pub fn group_bot_status(&self, chat_id: i64, title: &str, by_user: i64, status: &str) {
        let mut w = self.world();
        let u = Self::user_or_default(&mut w, by_user);
        Self::group(&mut w, chat_id, title, false);
        let chat = w.chats[&chat_id].json.clone();
        let old = w.chats[&chat_id].bot_status.clone();
        w.chats.get_mut(&chat_id).expect("chat").bot_status = status.to_owned();
        let member = |status: &str| {
            let mut m = json!({"user": self.bot_json(), "status": status});
            match status {
                "administrator" => {
                    for right in [
                        "can_be_edited",
                        "is_anonymous",
                        "can_manage_chat",
                        "can_delete_messages",
                        "can_manage_video_chats",
                        "can_restrict_members",
                        "can_promote_members",
                        "can_change_info",
                        "can_invite_users",
                        "can_post_stories",
                        "can_edit_stories",
                        "can_delete_stories",
                        "can_pin_messages",
                        "can_manage_topics",
                    ] {
                        m[right] = json!(right != "can_be_edited" && right != "is_anonymous");
                    }
                }
                "kicked" => m["until_date"] = json!(0),
                _ => {}
            }
            m
        };
        let body = json!({
            "chat": chat,
            "from": updates::user(&u),
            "date": now_secs(),
            "old_chat_member": member(&old),
            "new_chat_member": member(status),
        });
        self.push_update(&mut w, "my_chat_member", body);
    }

    /// A member's standing in a group changes (`member`, `left`, `kicked`),
    /// by `by_user`: a `chat_member` update, which Telegram sends only to a
    /// bot that administers the group (none otherwise).
    pub fn group_member_status(
        &self,
        chat_id: i64,
        title: &str,
        user_id: i64,
        by_user: i64,
        old: &str,
        status: &str,
    ) {
        let mut w = self.world();
        let u = Self::user_or_default(&mut w, user_id);
        let by = Self::user_or_default(&mut w, by_user);
        Self::group(&mut w, chat_id, title, false);
        if w.chats[&chat_id].bot_status != "administrator" {
            return;
        }
        let member = |status: &str| {
            let mut m = json!({"user": updates::user(&u), "status": status});
            if status == "kicked" {
                m["until_date"] = json!(0);
            }
            m
        };
        let body = json!({
            "chat": w.chats[&chat_id].json.clone(),
            "from": updates::user(&by),
            "date": now_secs(),
            "old_chat_member": member(old),
            "new_chat_member": member(status),
        });
        self.push_update(&mut w, "chat_member", body);
    }

    /// A member leaves a group: the service message a bot sees.
    pub fn group_leave(&self, chat_id: i64, title: &str, user_id: i64) -> i64 {
        let mut w = self.world();
        let u = Self::user_or_default(&mut w, user_id);
        Self::group(&mut w, chat_id, title, false);
        let id = Self::next_message_id(&mut w, chat_id);
        let msg = json!({
            "message_id": id,
            "from": updates::user(&u),
            "chat": w.chats[&chat_id].json.clone(),
            "date": now_secs(),
            "left_chat_member": updates::user(&u),
        });
        w.chats
            .get_mut(&chat_id)
            .expect("chat")
            .inbound
            .insert(id, msg.clone());
        self.push_update(&mut w, "message", msg);
        id
    }

    /// A member sets their reaction on a group message to `emoji` (as
    /// Telegram sends it to a bot that is an administrator and asked for
    /// `message_reaction`): the old reaction is what they had before.
    pub fn group_react(&self, chat_id: i64, user_id: i64, message_id: i64, emoji: &str) {
        let mut w = self.world();
        let u = Self::user_or_default(&mut w, user_id);
        let Some(chat) = w.chats.get(&chat_id).map(|c| c.json.clone()) else {
            return;
        };
        let body = json!({
            "chat": chat,
            "message_id": message_id,
            "user": updates::user(&u),
            "date": now_secs(),
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": emoji}],
        });
        self.push_update(&mut w, "message_reaction", body);
    }

    /// The ids of the messages (the customer's and the bot's) the bot
    /// deleted in a chat, in order.
    pub fn deleted(&self, chat_id: i64) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .world()
            .chats
            .get(&chat_id)
            .map(|c| c.deleted.iter().copied().collect())
            .unwrap_or_default();
        ids.sort_unstable();
        ids
    }

    /// deleteMessages (and deleteMessage, with one id): deletes what may be
    /// deleted, as Telegram does in a private chat: a message of either
    /// side younger than 48 hours. Returns how many went; the error of the
    /// first refused id when none did.
    pub fn delete_messages(&self, chat: i64, ids: &[i64]) -> Result<usize, (u16, &'static str)> {
        let now = now_secs();
        let started = self.started.elapsed().as_secs() as i64;
        let mut w = self.world();
        let c = w
            .chats
            .get_mut(&chat)
            .ok_or((400, "Bad Request: chat not found"))?;
        let mut first_refusal = None;
        let mut n = 0;
        for id in ids {
            let sent_at = c
                .inbound
                .get(id)
                .and_then(|m| m["date"].as_i64())
                .or_else(|| {
                    c.sent
                        .iter()
                        .find(|s| s.message_id == *id)
                        .map(|s| now - started + (s.at_ms / 1000) as i64)
                });
            // In a group an administrator deletes anything, at any age;
            // anyone else only the bot's own messages, within 48 hours.
            let admin = chat < 0 && c.bot_status == "administrator";
            let own = c.sent.iter().any(|s| s.message_id == *id);
            let refusal = match sent_at {
                _ if c.deleted.contains(id) => Some("Bad Request: message to delete not found"),
                None => Some("Bad Request: message to delete not found"),
                Some(_) if admin => None,
                Some(_) if chat < 0 && !own => Some("Bad Request: message can't be deleted"),
                Some(at) if now - at > DELETE_WINDOW_SECS => {
                    Some("Bad Request: message can't be deleted")
                }
                Some(_) => None,
            };
            match refusal {
                Some(r) => {
                    first_refusal.get_or_insert(r);
                }
                None => {
                    c.deleted.insert(*id);
                    n += 1;
                }
            }
        }
        drop(w);
        self.sent_ready.notify_waiters();
        match (n, first_refusal) {
            (0, Some(r)) => Err((400, r)),
            _ => Ok(n),
        }
    }

    pub fn sent(&self, chat_id: i64) -> Vec<Sent> {
        self.world()
            .chats
            .get(&chat_id)
            .map(|c| c.sent.clone())
            .unwrap_or_default()
    }

    pub async fn wait_sent(
        &self,
        chat_id: i64,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<Sent>, Vec<Sent>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.sent_ready.notified();
            let sent = self.sent(chat_id);
            if sent.len() >= n {
                return Ok(sent);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(self.sent(chat_id));
            }
        }
    }

    // ---- the Bot API side ----

    pub fn set_webhook(&self, url: Option<String>) {
        self.world().webhook = url.filter(|u| !u.is_empty());
    }

    /// setChatMenuButton: `chat` `None` sets the default button.
    pub fn set_menu_button(&self, chat: Option<i64>, button: Value) {
        self.world().menu_buttons.insert(chat, button);
    }

    pub fn menu_button(&self, chat: Option<i64>) -> Option<Value> {
        self.world().menu_buttons.get(&chat).cloned()
    }

    pub fn drop_pending(&self) {
        self.world().updates.clear();
    }

    pub fn webhook(&self) -> Option<String> {
        self.world().webhook.clone()
    }

    /// Starts a getUpdates call: confirms updates below `offset`, remembers
    /// `allowed_updates`, and makes any earlier pending call obsolete.
    /// Returns this call's generation.
    pub fn begin_poll(&self, offset: Option<i64>, allowed: Option<Vec<String>>) -> u64 {
        let mut w = self.world();
        w.stats.get_updates += 1;
        if let Some(off) = offset {
            if off > 0 {
                while w
                    .updates
                    .front()
                    .is_some_and(|(id, _, _)| (*id as i64) < off)
                {
                    w.updates.pop_front();
                }
            }
        }
        if allowed.is_some() {
            w.allowed = allowed.filter(|a| !a.is_empty());
        }
        w.poll_generation += 1;
        let g = w.poll_generation;
        drop(w);
        self.updates_ready.notify_waiters();
        g
    }

    /// Updates ready for a poll of generation `g`; `Err` when a newer poll replaced it.
    pub fn take_updates(
        &self,
        g: u64,
        offset: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Value>, ()> {
        let w = self.world();
        if w.poll_generation != g {
            return Err(());
        }
        let from = offset.unwrap_or(0);
        Ok(w.updates
            .iter()
            .filter(|(id, _, _)| *id as i64 >= from)
            .filter(|(_, kind, _)| {
                w.allowed
                    .as_ref()
                    .is_none_or(|a| a.iter().any(|k| k == kind))
            })
            .take(limit)
            .map(|(_, _, u)| u.clone())
            .collect())
    }

    /// Decides whether a send to `chat` may happen now.
    pub fn gate_send(&self, chat: i64) -> Gate {
        let mut w = self.world();
        let now = Instant::now();
        if let Some((until, retry)) = w.faults.storm {
            if now < until {
                w.stats.storm_429 += 1;
                return Gate::TooMany { retry_after: retry };
            }
            w.faults.storm = None;
        }
        if w.faults.drop_before > 0 {
            w.faults.drop_before -= 1;
            w.stats.dropped += 1;
            return Gate::DropBefore;
        }
        let limits = self.config.limits;
        if let Err(retry_after) = w.windows.admit(&limits, chat, now) {
            w.stats.rate_limited += 1;
            return Gate::TooMany { retry_after };
        }
        let drop_after = w.faults.drop_after > 0;
        if drop_after {
            w.faults.drop_after -= 1;
            w.stats.dropped += 1;
        }
        Gate::Go { drop_after }
    }

    /// Why a chat can't receive: Telegram's exact error, if any.
    pub fn check_chat(&self, chat: i64) -> Result<(), (u16, &'static str)> {
        let w = self.world();
        if !w.chats.contains_key(&chat) {
            return Err((400, "Bad Request: chat not found"));
        }
        if w.blocked.contains(&chat) {
            return Err((403, "Forbidden: bot was blocked by the user"));
        }
        Ok(())
    }

    /// Records a message the bot sent; returns it as Telegram's Message JSON.
    pub fn record_sent(
        &self,
        chat: i64,
        method: &str,
        fill: impl FnOnce(&mut Value),
        mut sent: Sent,
    ) -> Value {
        let mut w = self.world();
        let id = Self::next_message_id(&mut w, chat);
        let mut msg = json!({
            "message_id": id,
            "from": self.bot_json(),
            "chat": w.chats[&chat].json.clone(),
            "date": now_secs(),
        });
        fill(&mut msg);
        sent.chat_id = chat;
        sent.message_id = id;
        sent.method = method.to_owned();
        sent.at_ms = self.started.elapsed().as_millis() as u64;
        w.chats.get_mut(&chat).expect("chat").sent.push(sent);
        w.stats.sent += 1;
        drop(w);
        self.sent_ready.notify_waiters();
        msg
    }

    /// Applies an edit of a bot message; returns the edited Message JSON.
    pub fn edit_sent(
        &self,
        chat: i64,
        message_id: i64,
        text: Option<String>,
        markup: Option<Option<Value>>,
    ) -> Result<Value, (u16, &'static str)> {
        let mut w = self.world();
        let chat_json = w
            .chats
            .get(&chat)
            .ok_or((400, "Bad Request: chat not found"))?
            .json
            .clone();
        let s = w
            .chats
            .get_mut(&chat)
            .and_then(|c| c.sent.iter_mut().find(|s| s.message_id == message_id))
            .ok_or((400, "Bad Request: message to edit not found"))?;
        let new_text = text.clone().or_else(|| s.text.clone());
        let new_markup = markup.clone().unwrap_or_else(|| s.reply_markup.clone());
        if new_text == s.text && new_markup == s.reply_markup {
            return Err((
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
            ));
        }
        s.text = new_text.clone();
        s.reply_markup = new_markup.clone();
        s.edits += 1;
        let mut msg = json!({
            "message_id": message_id,
            "from": self.bot_json(),
            "chat": chat_json,
            "date": now_secs(),
            "edit_date": now_secs(),
            "text": new_text.unwrap_or_default(),
        });
        if let Some(m) = new_markup {
            msg["reply_markup"] = m;
        }
        drop(w);
        self.sent_ready.notify_waiters();
        Ok(msg)
    }

    pub fn answer_callback(&self, id: &str) -> Result<(), (u16, &'static str)> {
        let mut w = self.world();
        match w.callbacks.get_mut(id) {
            Some(answered) if !*answered => {
                *answered = true;
                Ok(())
            }
            _ => Err((
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )),
        }
    }

    pub fn file(&self, file_id: &str) -> Option<(String, u64)> {
        self.world().files.get(file_id).cloned()
    }

    /// The size of the file stored at `path` (as getFile gave it).
    pub fn file_size_at(&self, path: &str) -> Option<u64> {
        self.world()
            .files
            .values()
            .find(|(p, _)| p == path)
            .map(|(_, size)| *size)
    }

    pub fn new_upload_file(&self, size: u64) -> String {
        let mut w = self.world();
        let n = w.next_file;
        w.next_file += 1;
        let id = format!("upload-{n}");
        w.files
            .insert(id.clone(), (format!("documents/file_{n}"), size));
        id
    }

    pub fn chat_json(&self, chat: i64) -> Option<Value> {
        self.world().chats.get(&chat).map(|c| c.json.clone())
    }
}
