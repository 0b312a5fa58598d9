//! agent-tui: flags, settings, the log file, then the terminal loop.

use std::path::PathBuf;

use agent_tui::config::{self, Colors, FileConfig, Settings};
use anyhow::{Context, Result, bail};
use clap::Parser;

/// The support engineer's workstation: queues with live SLA countdowns,
/// up to 10 chats as tabs, fuzzy macros in the customer's language, a
/// command palette and alerts, files both ways (f opens one, ctrl-o sends
/// one), over a WebSocket (ws:// or wss://) to the relay server. Works at
/// 80x24 and over SSH.
///
/// Settings come from built-in defaults, then the TOML config file, then
/// AGENT_TUI_* environment variables and these flags. Press ? inside for
/// every key; keys are rebound by action name in the config's [keys]
/// table. See docs/agent-tui.md.
#[derive(Parser)]
#[command(name = "agent-tui", version)]
struct Cli {
    /// The relay server's WebSocket URL: ws://127.0.0.1:8470/v1/ws, or
    /// wss://desk.example.com:8470/v1/ws for a server with TLS.
    #[arg(long, env = "AGENT_TUI_URL")]
    url: Option<String>,
    /// For wss://: PEM certificates of a private CA (or the server's own
    /// self-signed certificate) to trust besides the public roots and the
    /// system's trust store.
    #[arg(long, env = "AGENT_TUI_CA_FILE", value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Your agent token (relay-server agent add prints it).
    #[arg(long, env = "AGENT_TUI_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Config file. Default: $XDG_CONFIG_HOME/agent-tui/config.toml, if it exists.
    #[arg(long, env = "AGENT_TUI_CONFIG")]
    config: Option<PathBuf>,
    /// Colours: auto (NO_COLOR and TERM decide), rich, 16 or none.
    #[arg(long, env = "AGENT_TUI_COLORS", value_parser = parse_colors)]
    colors: Option<Colors>,
    /// Log file (logs never go to the screen).
    /// Default: $XDG_DATA_HOME/agent-tui/agent-tui.log.
    #[arg(long, env = "AGENT_TUI_LOG")]
    log_file: Option<PathBuf>,
    /// Where drafts and unsent commands are kept between runs.
    /// Default: $XDG_DATA_HOME/agent-tui.
    #[arg(long, env = "AGENT_TUI_STATE_DIR")]
    state_dir: Option<PathBuf>,
    /// Check the settings, print them (without the token) and exit.
    #[arg(long)]
    check: bool,
}

fn parse_colors(s: &str) -> Result<Colors, String> {
    Colors::parse(s).ok_or_else(|| format!("{s:?}: expected auto, rich, 16 or none"))
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("agent-tui: {}", format!("{e:#}").replace('\n', " "));
        std::process::exit(2);
    }
}

fn run(cli: Cli) -> Result<()> {
    let dirs = config::project_dirs();
    let (config_path, explicit) = match &cli.config {
        Some(p) => (Some(p.clone()), true),
        None => (
            dirs.as_ref().map(|d| d.config_dir().join("config.toml")),
            false,
        ),
    };
    let mut file = match &config_path {
        Some(p) => FileConfig::load(p, explicit)?,
        None => FileConfig::default(),
    };
    let config_found = config_path.as_ref().is_some_and(|p| p.exists());
    if cli.ca_file.is_some() {
        file.ca_file = cli.ca_file.clone();
    }
    let log_file = cli
        .log_file
        .clone()
        .or_else(|| file.log_file.clone())
        .or_else(|| dirs.as_ref().map(|d| d.data_dir().join("agent-tui.log")));
    let state_dir = cli
        .state_dir
        .clone()
        .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_owned()));
    let settings = Settings::resolve(file, cli.url, cli.token, cli.colors)?;
    if cli.check {
        let path = |p: Option<&PathBuf>| p.map_or("none".into(), |p| p.display().to_string());
        let config = match &config_path {
            Some(p) if config_found => p.display().to_string(),
            Some(p) => format!("{} (not found: built-in defaults)", p.display()),
            None => "none (no home directory)".into(),
        };
        let colors = match settings.colors.resolve(|k| std::env::var(k).ok()) {
            Colors::Auto | Colors::Basic => "16 colours",
            Colors::Rich => "256 colours",
            Colors::None => "none (NO_COLOR)",
        };
        let tls = match &settings.ca_file {
            Some(p) => format!("public and system roots + {}", p.display()),
            None => "public and system roots".into(),
        };
        println!("url        {}", settings.url);
        println!("config     {config}");
        println!("tls        {tls}");
        println!("colors     {colors}");
        println!(
            "time zone  {}",
            settings.time_zone.iana_name().unwrap_or("system")
        );
        println!("log file   {}", path(log_file.as_ref()));
        println!("state dir  {}", path(state_dir.as_ref()));
        println!("alerts     {}", settings.alerts.describe());
        println!("keys       {}", settings.keymap.describe_overrides());
        return Ok(());
    }
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        bail!("stdout is not a terminal; run agent-tui in a terminal (or use --check)");
    }
    if let Some(path) = &log_file {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the log file {}", path.display()))?;
        tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("AGENT_TUI_LOG_LEVEL")
                    .unwrap_or_else(|_| "info".into()),
            )
            .with_writer(pii::MaskedFile::new(file))
            .with_ansi(false)
            .init();
    }
    tracing::info!(url = %settings.url, "starting");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    Ok(rt.block_on(agent_tui::terminal::run(settings, state_dir))?)
}
