//! `desk-demo`: the whole desk on one machine, with no Telegram account.
//!
//! A relay server on a temporary SQLite database runs its real bot against
//! the Bot API simulator, while scripted customers write in four languages,
//! send screenshots, edit messages and press buttons. In a terminal it
//! opens the agent-tui workstation attached to it; otherwise (or with
//! --headless) it prints a supervisor token to connect one. `/demo/app`
//! opens the customers' mini app as one of the scripted customers.

mod groups;

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use bot_api_sim::script::{self, ScriptOptions};
use bot_api_sim::{SimConfig, Simulator};
use clap::Parser;
use relay_server::domain::agents::{self, NewAgent};
use relay_server::settings::Settings;
use relay_server::store::Durability;
use tokio_util::sync::CancellationToken;

/// Try the support desk with no Telegram account: a relay server on a
/// temporary database, a simulated Telegram on loopback, and scripted
/// customers writing in English, Ukrainian, Russian and Chinese, plus two
/// client groups (Acme, a forum, and Globex) where questions wait for an
/// answer, with the agent-tui workstation attached (press ? in it for
/// every key, w for the groups; Ctrl-C quits). Without a terminal, or with --headless, it prints a supervisor
/// token instead and runs until Ctrl-C. The customers' mini app is at
/// http://<listen>/demo/app, opened as any scripted customer or a client
/// group's person (who see their group's tickets under Company). The
/// temporary database is removed on exit.
#[derive(Parser)]
#[command(name = "desk-demo", version)]
struct Cli {
    /// Address of the relay server's WebSocket endpoint.
    #[arg(long, default_value = "127.0.0.1:8470")]
    listen: String,
    /// Loopback address of the simulated Telegram (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    telegram: std::net::SocketAddr,
    /// Scripted customers.
    #[arg(long, default_value_t = 12)]
    customers: u32,
    /// Average milliseconds between two customer actions.
    #[arg(long, default_value_t = 2500)]
    pause_ms: u64,
    /// Do not open the workstation; print how to connect one instead.
    #[arg(long)]
    headless: bool,
}

#[tokio::main]
async fn main() {
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("desk-demo: {}", format!("{e:#}").replace('\n', " "));
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    use std::io::IsTerminal;
    let tui = !cli.headless && std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    let dir = std::env::temp_dir().join(format!("desk-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let filter =
        || tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    if tui {
        // The screen belongs to the workstation: logs go to a file.
        let log = std::fs::File::create(dir.join("desk-demo.log"))?;
        tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(pii::MaskedFile::new(log))
            .with_ansi(false)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(pii::MaskedStderr)
            .init();
    }
    let result = demo(&cli, &dir, tui).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn demo(cli: &Cli, dir: &std::path::Path, tui: bool) -> Result<()> {
    let sim = Arc::new(
        Simulator::start_on(cli.telegram, SimConfig::default())
            .await
            .context("simulated Telegram")?,
    );
    let mut settings = Settings::defaults();
    settings.db = dir.join("desk.db").to_string_lossy().into_owned();
    settings.durability = Durability::Normal;
    settings.telegram.token = sim.token();
    settings.telegram.api_url = sim.api_url();
    settings.telegram.poll_timeout_secs = 5;
    // The demo's groups answer within 2 minutes: warned 1 minute ahead.
    settings.groups.warn_before = "1m".into();
    // The sample knowledge base shipped in the repository.
    settings.bot.kb_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../relay-server/kb").into();
    // The mini app runs in a plain browser here (the stand-in, not
    // Telegram's script: there is no Telegram around it).
    settings.miniapp.telegram_js = String::new();
    let listener = tokio::net::TcpListener::bind(&cli.listen)
        .await
        .with_context(|| format!("cannot listen on {} (try --listen 127.0.0.1:0)", cli.listen))?;
    let store = relay_server::open_store(&settings)?;
    let desk = Arc::new(relay_server::desk(&settings)?);
    groups::setup(&store, desk.clone()).await?;
    let queues = Arc::new(desk.queues.clone());
    let q = queues.clone();
    let (_, token) = store
        .write(move |ctx| {
            agents::add(
                ctx,
                &q,
                &NewAgent::supervisor("demo", Some("Demo Supervisor"), &q),
            )
        })
        .await?;
    let local = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    if tui {
        return attached(cli, dir, store, settings, listener, token, sim, shutdown).await;
    }
    println!(
        "desk-demo: {} scripted customers are writing to the bot through a simulated Telegram",
        cli.customers
    );
    println!("  websocket  ws://{local}{}", shared::WS_PATH);
    println!("  health     http://{local}/healthz");
    println!("  mini app   http://{local}/demo/app (the customers' app, opened as one of them)");
    println!(
        "  telegram   {} (control API: GET /control/chats/<user id>/sent)",
        sim.api_url()
    );
    println!(
        "  groups     Acme (a forum, chat {}) and Globex (chat {}): clients ask, an engineer answers some in Telegram",
        groups::ACME,
        groups::GLOBEX
    );
    println!("  database   {} (removed on exit)", settings.db);
    println!("  token      {token}");
    println!(
        "  say hello  {{\"type\":\"hello\",\"protocol\":{},\"token\":\"{token}\",\"resume_from\":null}}",
        shared::PROTOCOL_VERSION
    );
    println!("Ctrl-C stops the demo.");
    std::io::stdout().flush()?;

    let crowd = crowd(cli, sim.clone(), &shutdown);
    let chatter = groups::run(
        sim.clone(),
        Duration::from_millis(cli.pause_ms),
        shutdown.clone(),
    );
    let spam = groups::wave(
        sim.clone(),
        Duration::from_millis(cli.pause_ms) * 40,
        Duration::from_millis(cli.pause_ms),
        shutdown.clone(),
    );
    let signals = {
        let token = shutdown.clone();
        tokio::spawn(async move {
            use tokio::signal::unix::{SignalKind, signal};
            if let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            token.cancel();
        })
    };
    let served = serve(
        store,
        &settings,
        listener,
        stand_in(cli, &sim),
        shutdown.clone(),
    )
    .await;
    shutdown.cancel();
    let _ = crowd.await;
    let _ = chatter.await;
    let _ = spam.await;
    signals.abort();
    served?;
    Ok(())
}

/// The demo with the workstation in this terminal: the server and the
/// crowd run in the background until the engineer quits.
#[allow(clippy::too_many_arguments)]
async fn attached(
    cli: &Cli,
    dir: &std::path::Path,
    store: relay_server::store::Store,
    settings: Settings,
    listener: tokio::net::TcpListener,
    token: String,
    sim: Arc<Simulator>,
    shutdown: CancellationToken,
) -> Result<()> {
    let url = format!("ws://{}{}", listener.local_addr()?, shared::WS_PATH);
    // Shown once the workstation gives the terminal back.
    let app_url = format!("http://{}/demo/app", listener.local_addr()?);
    let server = {
        let (shutdown, extra) = (shutdown.clone(), stand_in(cli, &sim));
        tokio::spawn(async move { serve(store, &settings, listener, extra, shutdown).await })
    };
    let chatter = groups::run(
        sim.clone(),
        Duration::from_millis(cli.pause_ms),
        shutdown.clone(),
    );
    let spam = groups::wave(
        sim.clone(),
        Duration::from_millis(cli.pause_ms) * 40,
        Duration::from_millis(cli.pause_ms),
        shutdown.clone(),
    );
    let crowd = crowd(cli, sim, &shutdown);
    let mut file = agent_tui::config::FileConfig::default();
    // The demo's customers write around the clock; show their VIP and
    // Security tickets as alerts, without ringing the bell every minute.
    file.alerts.bell = false;
    let tui = agent_tui::config::Settings::resolve(file, Some(url), Some(token), None)?;
    let result = agent_tui::terminal::run(tui, Some(dir.to_owned())).await;
    println!("desk-demo: the customers' mini app was at {app_url} (open it while the demo runs)");
    shutdown.cancel();
    let _ = crowd.await;
    let _ = chatter.await;
    let _ = spam.await;
    server.await??;
    result.context("the workstation")
}

/// The relay server, with the demo's stand-in for Telegram around the
/// mini app.
async fn serve(
    store: relay_server::store::Store,
    settings: &Settings,
    listener: tokio::net::TcpListener,
    extra: relay_server::http::app_demo::Router,
    shutdown: CancellationToken,
) -> Result<(), relay_server::LaunchError> {
    let metrics = relay_server::bind_metrics(settings).await?;
    relay_server::serve_with(store, settings, listener, metrics, shutdown, Some(extra)).await
}

/// `/demo/app`: the mini app opened as one of the scripted customers.
fn stand_in(cli: &Cli, sim: &Simulator) -> relay_server::http::app_demo::Router {
    // The private chats' customers, then the client groups' people (who
    // see their company's group tickets).
    let people = script::cast(&options(cli))
        .into_iter()
        .chain(groups::PEOPLE.iter().copied())
        .map(|(id, name, lang)| relay_server::http::app_demo::Person {
            telegram_user_id: id,
            first_name: name.to_owned(),
            lang: lang.to_owned(),
        })
        .collect();
    relay_server::http::app_demo::router(sim.token(), people)
}

fn options(cli: &Cli) -> ScriptOptions {
    ScriptOptions {
        customers: cli.customers,
        pause: Duration::from_millis(cli.pause_ms),
        ..Default::default()
    }
}

/// The scripted customers, until `shutdown`.
fn crowd(
    cli: &Cli,
    sim: Arc<Simulator>,
    shutdown: &CancellationToken,
) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(script::run(sim, options(cli), shutdown.clone()))
}
