//! Settings: built-in defaults, then the TOML file (`--config`, or
//! `config.toml` in the XDG config dir), then `AGENT_TUI_*` environment
//! variables and flags (clap reads both). docs/agent-tui.md lists every key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::keymap::{KeyError, Keymap};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Keys(#[from] KeyError),
}

/// Which colours to draw with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Colors {
    /// `none` when NO_COLOR is set, `rich` on 256-colour or true-colour
    /// terminals, else `16`.
    #[default]
    Auto,
    Rich,
    #[serde(rename = "16")]
    Basic,
    None,
}

impl Colors {
    pub fn parse(s: &str) -> Option<Colors> {
        match s {
            "auto" => Some(Colors::Auto),
            "rich" => Some(Colors::Rich),
            "16" => Some(Colors::Basic),
            "none" => Some(Colors::None),
            _ => None,
        }
    }

    /// Resolves `auto` from the environment.
    pub fn resolve(self, env: impl Fn(&str) -> Option<String>) -> Colors {
        if self != Colors::Auto {
            return self;
        }
        if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Colors::None;
        }
        let colorterm = env("COLORTERM").unwrap_or_default();
        let term = env("TERM").unwrap_or_default();
        if colorterm.contains("truecolor") || colorterm.contains("24bit") || term.contains("256") {
            Colors::Rich
        } else {
            Colors::Basic
        }
    }
}

/// Whose alerts to raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AlertScope {
    /// Tickets assigned to me.
    Mine,
    /// Mine plus unassigned tickets in my queues (all queues for supervisors).
    #[default]
    MineAndUnassigned,
    /// Every ticket I can see.
    All,
}

/// The `[alerts]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertSettings {
    pub scope: AlertScope,
    /// Ring the terminal bell for new alerts and their repeats.
    pub bell: bool,
    /// How often an unacknowledged alert rings again.
    pub repeat: String,
    /// A customer message unanswered this long raises an alert.
    pub unanswered_after: String,
    /// An SLA deadline this close turns yellow and raises an alert.
    pub sla_warning: String,
    /// Queues whose new tickets raise an alert (besides VIP customers).
    pub urgent_queues: Vec<String>,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            scope: AlertScope::default(),
            bell: true,
            repeat: "60s".into(),
            unanswered_after: "2m".into(),
            sla_warning: "5m".into(),
            urgent_queues: vec!["VIP".into(), "SECURITY".into()],
        }
    }
}

/// The config file, as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub url: Option<String>,
    pub token: Option<String>,
    /// PEM certificates of a private CA to trust for `wss://`, besides the
    /// public roots.
    pub ca_file: Option<PathBuf>,
    /// Where opened attachments are saved. Default: the XDG download
    /// folder, else agent-tui's data folder.
    pub download_dir: Option<PathBuf>,
    /// The program that opens a saved attachment. Default: `$OPENER`, else
    /// `xdg-open` on a local desktop; over SSH the saved path is shown.
    pub opener: Option<String>,
    pub colors: Option<Colors>,
    pub mouse: Option<bool>,
    pub time_zone: Option<String>,
    pub log_file: Option<PathBuf>,
    /// Queue to move a ticket to with "escalate".
    pub escalate_to: Option<String>,
    pub alerts: AlertSettings,
    /// Action name → keys, replacing that action's default keys.
    pub keys: BTreeMap<String, Vec<String>>,
}

impl FileConfig {
    pub fn parse(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim().replace('\n', " "),
        })
    }

    /// Reads `path`; a missing default file is an empty config, a missing
    /// explicit one an error.
    pub fn load(path: &Path, explicit: bool) -> Result<FileConfig, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => FileConfig::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                Ok(FileConfig::default())
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }
}

/// Where agent-tui keeps its files by default.
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "agent-tui")
}

/// Settings the running app uses (everything resolved and checked).
#[derive(Debug, Clone)]
pub struct Settings {
    pub url: String,
    pub token: String,
    /// Whom `wss://` trusts: the public roots, plus `ca_file`'s certificates.
    pub tls: relay_client::ClientTls,
    pub ca_file: Option<PathBuf>,
    pub download_dir: PathBuf,
    pub opener: Option<String>,
    pub colors: Colors,
    pub mouse: bool,
    pub time_zone: jiff::tz::TimeZone,
    pub escalate_to: String,
    pub alerts: Alerts,
    pub keymap: Keymap,
}

/// `[alerts]` resolved.
#[derive(Debug, Clone)]
pub struct Alerts {
    pub scope: AlertScope,
    pub bell: bool,
    pub repeat_ms: i64,
    pub unanswered_ms: i64,
    pub warning_ms: i64,
    pub urgent_queues: Vec<String>,
}

impl Default for Alerts {
    fn default() -> Self {
        Alerts::from_settings(&AlertSettings::default()).expect("default alert settings")
    }
}

impl Alerts {
    /// One line for `--check`.
    pub fn describe(&self) -> String {
        let scope = match self.scope {
            AlertScope::Mine => "mine",
            AlertScope::MineAndUnassigned => "mine and unassigned",
            AlertScope::All => "all",
        };
        let d = |ms: i64| crate::sla::span((ms / 1000) as u64);
        format!(
            "{scope}; bell {}; repeat every {}; unanswered after {}; SLA warning {} ahead; urgent queues {}",
            if self.bell { "on" } else { "off" },
            d(self.repeat_ms),
            d(self.unanswered_ms),
            d(self.warning_ms),
            self.urgent_queues.join(", ")
        )
    }

    pub fn from_settings(a: &AlertSettings) -> Result<Alerts, ConfigError> {
        Ok(Alerts {
            scope: a.scope,
            bell: a.bell,
            repeat_ms: duration_ms("alerts.repeat", &a.repeat)?,
            unanswered_ms: duration_ms("alerts.unanswered_after", &a.unanswered_after)?,
            warning_ms: duration_ms("alerts.sla_warning", &a.sla_warning)?,
            urgent_queues: a.urgent_queues.clone(),
        })
    }
}

impl Settings {
    /// Checks and resolves `file` with `url`/`token` given by flags or env.
    pub fn resolve(
        file: FileConfig,
        url: Option<String>,
        token: Option<String>,
        colors: Option<Colors>,
    ) -> Result<Settings, ConfigError> {
        let url = url.or(file.url).ok_or_else(|| {
            ConfigError::Invalid(
                "no server URL: give --url, AGENT_TUI_URL or `url` in the config file \
                 (e.g. ws://127.0.0.1:8470/v1/ws)"
                    .into(),
            )
        })?;
        if !url.starts_with("ws://") && !url.starts_with("wss://") {
            return Err(ConfigError::Invalid(format!(
                "url {url:?} must start with ws:// or wss:// (e.g. ws://127.0.0.1:8470/v1/ws)"
            )));
        }
        let tls = match &file.ca_file {
            Some(path) => relay_client::ClientTls::with_ca_file(path)
                .map_err(|e| ConfigError::Invalid(e.to_string()))?,
            None => relay_client::ClientTls::system(),
        };
        let token = token.or(file.token).ok_or_else(|| {
            ConfigError::Invalid(
                "no token: give --token, AGENT_TUI_TOKEN or `token` in the config file \
                 (relay-server agent add prints one)"
                    .into(),
            )
        })?;
        if token.trim().is_empty() {
            return Err(ConfigError::Invalid("the token is empty".into()));
        }
        let time_zone = match &file.time_zone {
            Some(name) => jiff::tz::TimeZone::get(name).map_err(|_| {
                ConfigError::Invalid(format!("time_zone {name:?} is not an IANA time zone"))
            })?,
            None => jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC),
        };
        let download_dir = file.download_dir.clone().unwrap_or_else(|| {
            directories::UserDirs::new()
                .and_then(|u| u.download_dir().map(ToOwned::to_owned))
                .or_else(|| project_dirs().map(|d| d.data_dir().join("downloads")))
                .unwrap_or_else(|| std::env::temp_dir().join("agent-tui-downloads"))
        });
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let desktop = (env("DISPLAY").is_some() || env("WAYLAND_DISPLAY").is_some())
            && env("SSH_CONNECTION").is_none();
        let opener = file
            .opener
            .clone()
            .or_else(|| env("OPENER"))
            .or_else(|| desktop.then(|| "xdg-open".to_owned()));
        Ok(Settings {
            url,
            token,
            tls,
            download_dir,
            opener,
            ca_file: file.ca_file.clone(),
            colors: colors.or(file.colors).unwrap_or_default(),
            mouse: file.mouse.unwrap_or(false),
            time_zone,
            escalate_to: file.escalate_to.unwrap_or_else(|| "L2".into()),
            alerts: Alerts::from_settings(&file.alerts)?,
            keymap: Keymap::new(&file.keys)?,
        })
    }
}

/// `90s`, `15m`, `2h` → milliseconds.
pub fn duration_ms(key: &str, s: &str) -> Result<i64, ConfigError> {
    let bad = || {
        ConfigError::Invalid(format!(
            "{key} = {s:?}: expected a duration like 90s, 15m or 2h"
        ))
    };
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let mult = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(bad()),
    };
    Ok(n * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_env_and_flags_resolve_with_clear_errors() {
        let p = Path::new("test.toml");
        let f = FileConfig::parse(
            r#"
url = "ws://127.0.0.1:1/v1/ws"
token = "file-token"
colors = "16"
time_zone = "Asia/Shanghai"
[alerts]
scope = "all"
sla_warning = "10m"
[keys]
take = ["T"]
"#,
            p,
        )
        .unwrap();
        let s = Settings::resolve(f.clone(), None, Some("flag-token".into()), None).unwrap();
        assert_eq!(s.url, "ws://127.0.0.1:1/v1/ws");
        assert_eq!(s.token, "flag-token");
        assert_eq!(s.colors, Colors::Basic);
        assert_eq!(s.alerts.scope, AlertScope::All);
        assert_eq!(s.alerts.warning_ms, 600_000);
        assert_eq!(s.keymap.describe(crate::action::Action::Take), "T");

        let err = FileConfig::parse("colour = \"16\"", p)
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
        let err = Settings::resolve(FileConfig::default(), None, None, None).unwrap_err();
        assert!(err.to_string().contains("--url"));
        let err = Settings::resolve(f.clone(), Some("http://x".into()), None, None).unwrap_err();
        assert!(err.to_string().contains("ws://"));
        let mut bad = f.clone();
        bad.time_zone = Some("Mars/Olympus".into());
        assert!(Settings::resolve(bad, None, None, None).is_err());
        let mut bad = f;
        bad.alerts.repeat = "soon".into();
        let err = Settings::resolve(bad, None, None, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("alerts.repeat"), "{err}");
    }

    #[test]
    fn colours_follow_no_color_and_term() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            Colors::Auto.resolve(env(&[("NO_COLOR", "1")])),
            Colors::None
        );
        assert_eq!(
            Colors::Auto.resolve(env(&[("TERM", "xterm-256color")])),
            Colors::Rich
        );
        assert_eq!(
            Colors::Auto.resolve(env(&[("TERM", "xterm")])),
            Colors::Basic
        );
        assert_eq!(
            Colors::Basic.resolve(env(&[("NO_COLOR", "1")])),
            Colors::Basic
        );
    }
}
