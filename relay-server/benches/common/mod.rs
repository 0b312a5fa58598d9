//! What both benchmarks need: the `--durability` flag and an in-process
//! relay server on a temporary database with a supervisor's token.

use std::sync::Arc;

use relay_server::domain::agents::{self, NewAgent};
use relay_server::domain::desk::Desk;
use relay_server::settings::Settings;
use relay_server::store::{Durability, Store, StoreOptions};
use shared::WS_PATH;
use tokio_util::sync::CancellationToken;

/// `-- --durability normal` (default: full).
pub fn durability_arg() -> Durability {
    let args: Vec<String> = std::env::args().collect();
    match args
        .iter()
        .position(|a| a == "--durability")
        .and_then(|i| args.get(i + 1))
    {
        Some(d) if d == "normal" => Durability::Normal,
        _ => Durability::Full,
    }
}

/// A relay server serving on a loopback port in this process.
pub struct Running {
    pub store: Store,
    pub desk: Arc<Desk>,
    /// The WebSocket URL.
    pub url: String,
    /// A supervisor's token.
    pub token: String,
    pub shutdown: CancellationToken,
    /// Awaited by the sync bench; the Telegram bench just cancels `shutdown`.
    #[allow(dead_code)]
    pub server: tokio::task::JoinHandle<Result<(), relay_server::LaunchError>>,
    _dir: tempfile::TempDir,
}

/// Serves `settings` (its durability and bot included) on a fresh temporary database.
pub async fn start(settings: Settings) -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = StoreOptions::new(dir.path().join("bench.db"));
    opts.durability = settings.durability;
    let store = Store::open(opts).expect("store");
    let desk = Arc::new(relay_server::desk(&settings).expect("desk"));
    let q = Arc::new(desk.queues.clone());
    let (_, token) = store
        .write(move |ctx| agents::add(ctx, &q, &NewAgent::supervisor("bench", None, &q)))
        .await
        .expect("agent");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("ws://{}{}", listener.local_addr().expect("addr"), WS_PATH);
    let shutdown = CancellationToken::new();
    let server = {
        let (store, shutdown) = (store.clone(), shutdown.clone());
        tokio::spawn(async move { relay_server::serve(store, &settings, listener, shutdown).await })
    };
    Running {
        store,
        desk,
        url,
        token,
        shutdown,
        server,
        _dir: dir,
    }
}
