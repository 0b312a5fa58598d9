//! Settings: built-in defaults, then a TOML file, then `RELAY_*` environment
//! variables, then command-line flags. Unknown keys are errors, so a typo
//! does not silently keep a default.

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use serde::Deserialize;

/// How hard each commit is pushed to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// fsync at every commit: survives power loss (SQLite `synchronous=FULL`).
    Full,
    /// Survives a crash of the process, not of the machine (`synchronous=NORMAL`).
    Normal,
}

/// How a queue hands out its tickets (`assignment` of a queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignMode {
    /// To the online agent with the fewest open chats.
    #[default]
    LeastLoaded,
    /// To the next online agent in turn.
    RoundRobin,
    /// Nobody is assigned automatically; engineers take tickets.
    Manual,
}

const DEFAULTS: &str = include_str!("default_config.toml");

/// Environment variables starting with this configure the server.
pub const ENV_PREFIX: &str = "RELAY_";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub listen: String,
    /// PEM certificate chain and key: with both set, `listen` speaks TLS
    /// (https:// and wss://).
    #[serde(default)]
    pub tls_cert: String,
    #[serde(default)]
    pub tls_key: String,
    pub db: String,
    pub durability: Durability,
    pub log: String,
    pub log_format: LogFormat,
    pub metrics: MetricsSettings,
    pub telegram: TelegramSettings,
    pub sync: SyncSettings,
    pub limits: LimitSettings,
    pub queues: Vec<QueueSettings>,
    /// Business-hours calendars queues can name.
    #[serde(default)]
    pub calendars: BTreeMap<String, HoursSettings>,
    pub sla: SlaSettings,
    pub assignment: AssignmentSettings,
    pub staff: StaffSettings,
    #[serde(default)]
    pub routing: Vec<RouteSettings>,
    #[serde(default)]
    pub automations: Vec<AutomationSettings>,
    /// A/B tests of the bot's wording and timing (docs/experiments.md).
    #[serde(default)]
    pub experiments: Vec<ExperimentSettings>,
    pub bot: BotSettings,
    pub files: FilesSettings,
    pub retention: RetentionSettings,
    pub privacy: PrivacySettings,
    pub miniapp: MiniAppSettings,
    pub groups: GroupsSettings,
    pub safety: SafetySettings,
}

/// `[safety]`: checks on what the client's side writes in customer groups
/// (docs/groups.md, "Safety").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafetySettings {
    pub enabled: bool,
    /// The classifier catches a message from this probability on.
    pub spam_threshold: f64,
    /// A newcomer's limits lift after this many real messages...
    pub newcomer_messages: u32,
    /// ...or this many hours after joining.
    pub newcomer_hours: u32,
    /// Words and phrases caught wherever they appear.
    pub stop_list: Vec<String>,
    /// The same text in this many groups within `repeat_window` is caught.
    pub repeat_groups: u32,
    pub repeat_window: String,
    /// How close (in edits) a name may be to a staff member's before it is
    /// flagged as a look-alike.
    pub lookalike_distance: u32,
    /// How long an in-group notice of a held message stays.
    pub notice_lifetime: String,
    /// off | button | arithmetic | questions.
    pub captcha: String,
    pub captcha_timeout: String,
    pub raid_joins_per_minute: u32,
    pub raid_for: String,
    pub clean_service_messages: bool,
}

/// `[groups]`: customer groups (docs/groups.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupsSettings {
    /// The group-reply SLA a new organisation gets unless told otherwise.
    pub reply_sla: String,
    /// The workstations are warned this long before a conversation's
    /// answer is due ("" for no warning).
    pub warn_before: String,
    /// Staff reacting with this emoji to a client's message turn its
    /// conversation into a ticket ("" for none).
    pub ticket_reaction: String,
}

/// `[privacy]` (docs/privacy.md).
/// The customer's mini app (docs/miniapp.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MiniAppSettings {
    pub enabled: bool,
    /// How old the launch data may be ("1h").
    pub max_age: String,
    /// The HTTPS address Telegram opens ("" = no buttons lead there).
    pub public_url: String,
    /// Telegram's WebApp script the pages load ("" = the stand-in that
    /// runs the app in a plain browser: the demo, the tests).
    pub telegram_js: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// Card numbers, e-mail addresses and phone numbers in what customers
    /// write are masked before it is stored.
    pub mask_stored: bool,
}

/// How long each kind of record is kept (`[retention]`; durations such as
/// "30d"; "" keeps forever). docs/privacy.md, "Retention".
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Closed tickets' message texts and files are emptied this long after
    /// closing (the ticket stays for the figures).
    pub anonymize_closed_after: String,
    /// Closed tickets are deleted this long after closing, and customers
    /// with no ticket left who were quiet as long.
    pub delete_closed_after: String,
    /// The event log keeps this much; a client resuming from before it
    /// gets a snapshot.
    pub events: String,
    /// Telegram updates once processed, ignored or failed (at most 6d).
    pub telegram_updates: String,
    /// Answers to command ids (a retried command applies once within it).
    pub applied_commands: String,
    pub notices: String,
    pub self_service: String,
    /// Dialogues and held words that never became a ticket.
    pub stale_dialogue: String,
    pub audit_log: String,
    /// Messages of customer groups, and their conversations once quiet.
    pub group_messages: String,
    /// How often retention runs.
    pub every: String,
}

/// A queue, its SLA targets and its rules (see `[[queues]]` in the
/// default config and docs/sla.md).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSettings {
    pub id: String,
    pub name: String,
    pub first_reply: String,
    pub next_reply: String,
    #[serde(default)]
    pub update_every: String,
    pub resolution: String,
    #[serde(default)]
    pub calendar: String,
    #[serde(default)]
    pub warn_before: Option<Vec<String>>,
    #[serde(default)]
    pub on_warning: Vec<String>,
    #[serde(default)]
    pub on_breach: Vec<String>,
    #[serde(default)]
    pub announce: bool,
    #[serde(default)]
    pub restricted: bool,
    #[serde(default)]
    pub assignment: AssignMode,
    #[serde(default)]
    pub overflow: String,
    #[serde(default)]
    pub reassign_after: String,
    #[serde(default)]
    pub priorities: BTreeMap<String, TargetSettings>,
}

/// SLA targets that override a queue's for one priority.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSettings {
    pub first_reply: Option<String>,
    pub next_reply: Option<String>,
    pub update_every: Option<String>,
    pub resolution: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaSettings {
    /// Warnings this long before a deadline (queues may override).
    pub warn_before: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentSettings {
    /// Assign new tickets to online agents automatically.
    pub auto: bool,
    /// An agent offline this long has their tickets returned to the queue.
    pub offline_grace: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSettings {
    /// The internal staff chat (a Telegram group: a negative id); 0 = none.
    pub chat_id: i64,
}

/// A routing rule: every condition given must hold; the first rule that
/// matches decides a new ticket's queue (stop words come first, the
/// topic's own queue after).
/// One A/B test: which of the bot's choices it tries, and on what share
/// of customers (the rest see the usual one).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSettings {
    pub name: String,
    /// receipt | question_order | kb_answer | notifications | csat_timing
    pub kind: String,
    /// Percent of customers who get variant B (1-99).
    #[serde(default = "half")]
    pub share: u32,
    /// Off: nobody new is assigned; the report keeps its figures.
    #[serde(default = "on")]
    pub enabled: bool,
}

fn half() -> u32 {
    50
}

fn on() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSettings {
    #[serde(default)]
    pub topic: Vec<String>,
    #[serde(default)]
    pub language: Vec<String>,
    pub vip: Option<bool>,
    /// "private" or "group".
    #[serde(default)]
    pub source: String,
    pub queue: String,
    /// Raises the ticket to at least this priority.
    #[serde(default)]
    pub priority: String,
}

/// A timed rule: `action` once a ticket has been in state `when` for `after`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomationSettings {
    pub name: String,
    /// "pending" (waiting on the customer) or "resolved".
    pub when: String,
    pub after: String,
    /// "remind" (pending only), "close", "staff_chat".
    pub action: String,
}

/// Where files go (see `[files]` in the default config).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesSettings {
    /// "" = `files/` beside the database.
    pub dir: String,
    /// Most megabytes of attachments fetched from Telegram kept on disk.
    pub cache_mb: u64,
}

/// How the bot talks to customers (see `[bot]` in the default config).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotSettings {
    pub mode: BotMode,
    /// `None`: as the mode says (guided asks, direct does not).
    #[serde(default)]
    pub consent: Option<bool>,
    /// The version of the consent text, recorded with every answer.
    pub consent_version: String,
    pub kb_dir: String,
    pub locales_dir: String,
    pub reopen_window: String,
    pub followup_after: String,
    /// The follow-up asks the NPS question (0-10) after a "yes".
    #[serde(default)]
    pub nps: bool,
    pub abandon_after: String,
    pub default_time_zone: String,
    pub quiet_hours: String,
    pub reopen_words: Vec<String>,
    pub hours: HoursSettings,
    pub topics: Vec<TopicSettings>,
    pub stop_words: Vec<StopWordSettings>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BotMode {
    Guided,
    Direct,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursSettings {
    pub time_zone: String,
    pub open: Vec<String>,
    /// None unless listed: a calendar without holidays needs no empty list.
    #[serde(default)]
    pub holidays: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSettings {
    pub key: String,
    pub queue: String,
    #[serde(default)]
    pub questions: Vec<String>,
    #[serde(default)]
    pub screenshot: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopWordSettings {
    pub queue: String,
    pub priority: String,
    pub words: Vec<String>,
}

/// The bot. `TELEGRAM_BOT_TOKEN` and `TELEGRAM_API_URL` override `token`
/// and `api_url` (these names are fixed: operators and tests rely on them).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSettings {
    pub token: String,
    pub api_url: String,
    pub poll_timeout_secs: u32,
    /// Longest wait after updates arrive before asking for more (0-1000):
    /// a steady stream is stored in batches.
    pub gather_ms: u64,
    pub per_chat_interval_ms: u64,
    pub global_per_sec: u32,
    pub group_per_min: u32,
    pub max_in_flight: usize,
}

impl std::fmt::Debug for TelegramSettings {
    // Never print the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramSettings")
            .field("token", &if self.token.is_empty() { "" } else { "<set>" })
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

impl TelegramSettings {
    /// Whether a bot is configured.
    pub fn enabled(&self) -> bool {
        !self.token.is_empty()
    }

    fn check(&self) -> Result<(), String> {
        if !self.token.is_empty() {
            let ok = self.token.split_once(':').is_some_and(|(id, secret)| {
                !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !secret.is_empty()
            });
            if !ok {
                return Err(
                    "the Telegram bot token does not look like one (<digits>:<secret>)".into(),
                );
            }
        }
        match self.api_url.split_once("://") {
            Some(("http" | "https", rest)) if !rest.is_empty() => {}
            _ => {
                return Err(format!(
                    "telegram.api_url {:?} must be an http(s) URL",
                    self.api_url
                ));
            }
        }
        if self.gather_ms > 1000 {
            return Err(format!(
                "telegram.gather_ms {} is above 1000 (customers would wait)",
                self.gather_ms
            ));
        }
        if self.global_per_sec == 0 || self.group_per_min == 0 || self.max_in_flight == 0 {
            return Err("telegram pacing values must be above 0".into());
        }
        Ok(())
    }
}

/// How log records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// One line per record, for people.
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// `[metrics]`: Prometheus metrics on a listener of their own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Where `/metrics` is served; empty: not at all.
    pub listen: String,
}

/// Connections the server takes (docs/configuration.md, `limits.*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub max_connections: usize,
    pub connections_per_address: usize,
    pub header_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    pub snapshot_tail: u32,
    pub snapshot_chunk: usize,
    pub resume_limit: u64,
    pub fanout_capacity: usize,
    pub hello_timeout_secs: u64,
    pub send_timeout_secs: u64,
    pub max_inflight_commands: usize,
    /// Origins (`scheme://host[:port]`) a browser page may open the
    /// WebSocket from; an upgrade with any other `Origin` is refused.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

impl SyncSettings {
    /// Whether a WebSocket upgrade with this `Origin` header (if any) may go
    /// on. Origins compare without regard to case.
    pub fn origin_allowed(&self, origin: Option<&str>) -> bool {
        origin.is_none_or(|o| {
            self.allowed_origins
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(o))
        })
    }
}

/// A settings problem, said in one line.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("invalid settings: {0}")]
    Invalid(String),
}

/// Where the config file is looked for when none is named.
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "relay-server")
        .map(|d| d.config_dir().join("config.toml"))
}

/// Where the database lives when none is named.
pub fn default_db_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "relay-server").map(|d| d.data_dir().join("desk.db"))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Merges `over` into `base`, tables recursively, anything else replaced.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Parses an environment value as a TOML value (number, bool, ...), or
/// takes it as a string.
fn env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

impl Settings {
    /// Loads settings. `file`: an explicit config file (must exist); when
    /// `None`, the default path is used if it exists. `env`: the process
    /// environment (passed in so tests can control it).
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let mut table: toml::Table = DEFAULTS.parse().expect("built-in defaults are valid TOML");
        let path = match file {
            Some(p) => Some(p.to_path_buf()),
            None => default_config_path().filter(|p| p.exists()),
        };
        if let Some(path) = path {
            let text = std::fs::read_to_string(&path).map_err(|source| SettingsError::Read {
                path: path.clone(),
                source,
            })?;
            let over: toml::Table =
                text.parse()
                    .map_err(|e: toml::de::Error| SettingsError::Parse {
                        path: path.clone(),
                        message: one_line(&e.to_string()),
                    })?;
            merge(&mut table, over);
            // Validate what the file said on its own terms first, so its
            // errors name the file.
            Self::from_table(table.clone())
                .map_err(|message| SettingsError::Parse { path, message })?;
        }
        let all: Vec<(String, String)> = env.into_iter().collect();
        let mut env: Vec<_> = all
            .iter()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX))
            .cloned()
            .collect();
        env.sort();
        for (var, key) in [
            ("TELEGRAM_BOT_TOKEN", "token"),
            ("TELEGRAM_API_URL", "api_url"),
        ] {
            if let Some((_, v)) = all.iter().find(|(k, _)| k == var) {
                if let Some(toml::Value::Table(t)) = table.get_mut("telegram") {
                    t.insert(key.into(), toml::Value::String(v.trim().to_owned()));
                }
                Self::from_table(table.clone()).map_err(|message| SettingsError::Env {
                    var: var.into(),
                    message,
                })?;
            }
        }
        for (var, raw) in env {
            if var == "RELAY_CONFIG" {
                continue;
            }
            let key = var[ENV_PREFIX.len()..].to_lowercase();
            let mut parts: Vec<&str> = key.split("__").collect();
            let leaf = parts.pop().unwrap_or_default().to_owned();
            let mut t = &mut table;
            for p in parts {
                t = match t
                    .entry(p)
                    .or_insert_with(|| toml::Value::Table(Default::default()))
                {
                    toml::Value::Table(t) => t,
                    _ => {
                        return Err(SettingsError::Env {
                            var,
                            message: format!("{p} is not a section"),
                        });
                    }
                };
            }
            let value = match t.get(&leaf) {
                // Strings stay strings even when they look like numbers.
                Some(toml::Value::String(_)) => toml::Value::String(raw),
                _ => env_value(&raw),
            };
            t.insert(leaf, value);
            Self::from_table(table.clone()).map_err(|message| SettingsError::Env {
                var: var.clone(),
                message,
            })?;
        }
        Self::from_table(table).map_err(SettingsError::Invalid)
    }

    /// The built-in defaults alone (no file, no environment).
    pub fn defaults() -> Self {
        Self::from_table(DEFAULTS.parse().expect("built-in defaults are valid TOML"))
            .expect("built-in defaults are valid")
    }

    fn from_table(table: toml::Table) -> Result<Self, String> {
        let s: Settings = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| one_line(&e.to_string()))?;
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> Result<(), String> {
        // The schema's own checks; what the values mean for the desk is
        // checked where they become domain values (`domain::config`).
        for q in &self.queues {
            let ok = (1..=32).contains(&q.id.len())
                && q.id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                return Err(format!(
                    "queue id {:?} must be 1-32 characters of A-Z, a-z, 0-9, _ or -",
                    q.id
                ));
            }
        }
        self.telegram.check()?;
        let s = &self.sync;
        if s.snapshot_tail == 0 || s.snapshot_tail > 200 {
            return Err("sync.snapshot_tail must be 1..=200".into());
        }
        if s.snapshot_chunk == 0 || s.fanout_capacity < 16 || s.max_inflight_commands == 0 {
            return Err("sync.snapshot_chunk and sync.max_inflight_commands must be > 0, sync.fanout_capacity >= 16".into());
        }
        if s.hello_timeout_secs == 0 || s.send_timeout_secs == 0 {
            return Err("sync timeouts must be at least 1 second".into());
        }
        for o in &s.allowed_origins {
            let rest = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"));
            if rest
                .is_none_or(|host| host.is_empty() || host.contains(['/', ' ', '?', '#', '*', '@']))
            {
                return Err(format!(
                    "sync.allowed_origins: {o:?} is not an origin; write scheme://host[:port], e.g. \"https://desk.example.com\" (no path, no trailing slash, no wildcard)"
                ));
            }
            // Browsers leave the default port out of Origin.
            if o.ends_with(if o.starts_with("https://") {
                ":443"
            } else {
                ":80"
            }) {
                return Err(format!(
                    "sync.allowed_origins: {o:?} names the default port, which browsers leave out of Origin; write it without the port"
                ));
            }
        }
        let m = &self.metrics.listen;
        if !m.is_empty() && m.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!(
                "metrics.listen: {m:?} is not an address; write ip:port, e.g. \"127.0.0.1:9464\" (or \"\" for no metrics)"
            ));
        }
        let l = &self.limits;
        if l.max_connections == 0 || l.connections_per_address == 0 {
            return Err(
                "limits.max_connections and limits.connections_per_address must be at least 1"
                    .into(),
            );
        }
        if l.header_timeout_secs == 0 {
            return Err("limits.header_timeout_secs must be at least 1 second".into());
        }
        Ok(())
    }

    /// The database path: `db` if set, else the XDG data dir.
    pub fn db_path(&self) -> Result<PathBuf, SettingsError> {
        if !self.db.is_empty() {
            return Ok(PathBuf::from(&self.db));
        }
        default_db_path().ok_or_else(|| {
            SettingsError::Invalid(
                "no home directory to put the database in; set db or --db".into(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bot settings that only use queue A.
    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let p = dir.path().join("config.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn defaults_load() {
        let s = Settings::load(Some(&write(&tempfile::tempdir().unwrap(), "")), env(&[])).unwrap();
        assert_eq!(s.listen, "127.0.0.1:8470");
        assert_eq!(s.queues.len(), 4);
        assert_eq!(s.queues[0].first_reply, "15m");
    }

    #[test]
    fn a_calendar_needs_no_holidays() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "[calendars.office]\ntime_zone = \"Europe/Kyiv\"\nopen = [\"mon-fri 09:00-18:00\"]\n",
        );
        let s = Settings::load(Some(&p), env(&[])).unwrap();
        assert!(s.calendars["office"].holidays.is_empty());
    }

    #[test]
    fn file_then_env_override() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "listen = \"0.0.0.0:9000\"\n[sync]\nsnapshot_tail = 5\n",
        );
        let s = Settings::load(
            Some(&p),
            env(&[("RELAY_SYNC__SNAPSHOT_TAIL", "7"), ("RELAY_DB", "123")]),
        )
        .unwrap();
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert_eq!(s.sync.snapshot_tail, 7);
        assert_eq!(s.db, "123");
    }

    #[test]
    fn allowed_origins_must_be_origins() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            "desk.example.com",
            "https://desk.example.com/",
            "https://",
            "ftp://x",
            "https://*.example.com",
        ] {
            let e = Settings::load(
                Some(&write(
                    &dir,
                    &format!("[sync]\nallowed_origins = [{bad:?}]\n"),
                )),
                env(&[]),
            )
            .unwrap_err()
            .to_string();
            assert!(
                e.contains("sync.allowed_origins") && e.contains("scheme://host"),
                "{e}"
            );
        }
        let e = Settings::load(
            Some(&write(
                &dir,
                "[sync]\nallowed_origins = [\"https://desk.example.com:443\"]\n",
            )),
            env(&[]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("default port"), "{e}");
        let s = Settings::load(
            Some(&write(
                &dir,
                "[sync]\nallowed_origins = [\"https://desk.example.com:8443\"]\n",
            )),
            env(&[]),
        )
        .unwrap();
        assert!(s.sync.origin_allowed(None));
        assert!(s.sync.origin_allowed(Some("https://desk.example.com:8443")));
        assert!(!s.sync.origin_allowed(Some("https://desk.example.com")));
        assert!(!s.sync.origin_allowed(Some("null")));
    }

    #[test]
    fn typos_and_bad_values_are_one_line_errors() {
        let dir = tempfile::tempdir().unwrap();
        let e = Settings::load(Some(&write(&dir, "lisen = \"x\"")), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("config file") && e.contains("lisen"), "{e}");
        assert!(!e.contains('\n'), "{e}");
        let e = Settings::load(Some(&write(&dir, "listen = ")), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("config file"), "{e}");
        let e = Settings::load(
            Some(&write(&dir, "")),
            env(&[("RELAY_SYNC__SNAPSHOT_TAIL", "lots")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("RELAY_SYNC__SNAPSHOT_TAIL"), "{e}");
        let e = Settings::load(Some(&write(&dir, "")), env(&[("RELAY_NOPE", "1")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("RELAY_NOPE") && e.contains("nope"), "{e}");
        let e = Settings::load(Some(&dir.path().join("missing.toml")), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read config file"), "{e}");
    }

    #[test]
    fn telegram_variables_have_fixed_names_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "");
        let s = Settings::load(
            Some(&p),
            env(&[
                ("TELEGRAM_BOT_TOKEN", "123:abc"),
                ("TELEGRAM_API_URL", "http://127.0.0.1:9"),
            ]),
        )
        .unwrap();
        assert!(s.telegram.enabled());
        assert_eq!(s.telegram.api_url, "http://127.0.0.1:9");
        assert!(
            !format!("{:?}", s.telegram).contains("abc"),
            "the token is never printed"
        );
        let e = Settings::load(Some(&p), env(&[("TELEGRAM_BOT_TOKEN", "nope")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("TELEGRAM_BOT_TOKEN") && e.contains("does not look like"),
            "{e}"
        );
        assert!(!e.contains("nope"), "the bad token is not echoed: {e}");
        let e = Settings::load(Some(&p), env(&[("TELEGRAM_API_URL", "ftp://x")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("TELEGRAM_API_URL"), "{e}");
    }

    #[test]
    fn queue_ids_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "[[queues]]\nid = \"a b\"\nname = \"x\"\nfirst_reply = \"1m\"\nnext_reply = \"1m\"\nresolution = \"1m\"\n",
        );
        let e = Settings::load(Some(&p), env(&[])).unwrap_err().to_string();
        assert!(e.contains("queue id"), "{e}");
    }
}
