//! `desk-demo`: the whole desk on one machine, with no Telegram account.
//!
//! A relay server on a temporary SQLite database runs its real bot against
//! the Bot API simulator, while scripted customers write in four languages,
//! send screenshots, edit messages and press buttons. It prints a
//! supervisor token to connect a workstation (or any WebSocket client).

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
/// customers writing in English, Ukrainian, Russian and Chinese. Prints a
/// supervisor token. Ctrl-C stops it and removes the temporary database.
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
}

#[tokio::main]
async fn main() {
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("desk-demo: {}", format!("{e:#}").replace('\n', " "));
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let dir = std::env::temp_dir().join(format!("desk-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let result = demo(&cli, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn demo(cli: &Cli, dir: &std::path::Path) -> Result<()> {
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
    // The sample knowledge base shipped in the repository.
    settings.bot.kb_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../relay-server/kb").into();
    let listener = tokio::net::TcpListener::bind(&cli.listen)
        .await
        .with_context(|| format!("cannot listen on {} (try --listen 127.0.0.1:0)", cli.listen))?;
    let store = relay_server::open_store(&settings)?;
    let queues = Arc::new(settings.queues());
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
    println!(
        "desk-demo: {} scripted customers are writing to the bot through a simulated Telegram",
        cli.customers
    );
    println!("  websocket  ws://{local}{}", shared::WS_PATH);
    println!("  health     http://{local}/healthz");
    println!(
        "  telegram   {} (control API: GET /control/chats/<user id>/sent)",
        sim.api_url()
    );
    println!("  database   {} (removed on exit)", settings.db);
    println!("  token      {token}");
    println!(
        "  say hello  {{\"type\":\"hello\",\"protocol\":{},\"token\":\"{token}\",\"resume_from\":null}}",
        shared::PROTOCOL_VERSION
    );
    println!("Ctrl-C stops the demo.");
    std::io::stdout().flush()?;

    let shutdown = CancellationToken::new();
    let crowd = tokio::spawn(script::run(
        sim.clone(),
        ScriptOptions {
            customers: cli.customers,
            pause: Duration::from_millis(cli.pause_ms),
            ..Default::default()
        },
        shutdown.clone(),
    ));
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
    let served = relay_server::serve(store, &settings, listener, shutdown.clone()).await;
    shutdown.cancel();
    let _ = crowd.await;
    signals.abort();
    served?;
    Ok(())
}
