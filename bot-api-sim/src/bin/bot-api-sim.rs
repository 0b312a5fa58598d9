//! `bot-api-sim`: the Telegram Bot API simulator as a standalone process.

use clap::Parser;

/// A fake Telegram Bot API on loopback, with Telegram's limits, fault
/// injection and a control API (/control/...). See docs/simulator.md.
#[derive(Parser)]
#[command(name = "bot-api-sim", version)]
struct Cli {
    /// Loopback address to serve on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: std::net::SocketAddr,
    /// The bot token the fake accepts.
    #[arg(long, default_value = "123456:SIMULATED-TOKEN")]
    token: String,
    /// The bot's @username.
    #[arg(long, default_value = "support_desk_bot")]
    username: String,
    /// Count Telegram's limits but never answer 429.
    #[arg(long)]
    no_limits: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut limits = bot_api_sim::Limits::telegram();
    limits.enforce = !cli.no_limits;
    let config = bot_api_sim::SimConfig {
        token: cli.token,
        bot_username: cli.username,
        limits,
    };
    let sim = bot_api_sim::Simulator::start_on(cli.listen, config).await?;
    println!("bot-api-sim listening on {}", sim.api_url());
    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}
