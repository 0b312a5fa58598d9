//! Harness for the end-to-end tests: builds and starts the real
//! `relay-server` binary on port 0 with a temporary database, runs its CLI,
//! and drives real WebSocket clients that mirror the server's state.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

pub mod browser;
mod guided;

pub use guided::{Chat, guided_desk, kb_dir, take_answer_resolve};
use relay_client::{Connection, Incoming, Mirror, Welcome};
use shared::*;

/// How long any single wait in a test may take before it fails.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Builds every workspace binary once per test process, with the tests'
/// profile, and returns the path of `bin`. Always the same selection as
/// `.ci/run` (`--workspace --bins`): building single packages would unify
/// features differently and relink binaries other tests are running.
fn workspace_bin(bin: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let profile_dir = BUILT.get_or_init(|| {
        // target/<profile>/deps/<test binary>
        let exe = std::env::current_exe().expect("test binary path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>")
            .to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Proc::new(cargo);
        build
            .args(["build", "--quiet", "--workspace", "--bins"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "building the workspace binaries failed");
        profile_dir
    });
    profile_dir.join(bin)
}

/// A plain HTTP/1.1 GET on loopback (`url` may be a whole URL on `addr`,
/// or a path), with a bearer token if given: the whole answer, status
/// line and headers included.
pub fn http_get(addr: &str, url: &str, token: Option<&str>) -> String {
    use std::io::{Read, Write};
    let path = url.split_once(addr).map_or(url, |(_, p)| p);
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A plain HTTP/1.1 request on loopback: the status code and the body.
/// `headers` as written ("Authorization: tma ..."); a body is sent with
/// its length.
pub fn http_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[String],
    body: &[u8],
) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // A server that refused the body early (413) stops reading it: the
    // rest is not waited for, its answer is read.
    s.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    if !body.is_empty() || method != "GET" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// A loopback address no one listens on now (bound, then released), for a
/// second listener of the server's whose address is configured.
pub fn free_address() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().unwrap().to_string()
}

/// The relay-server binary, built once per test process with the same
/// profile as the tests (or `RELAY_SERVER_BIN`).
pub fn relay_server_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| match std::env::var("RELAY_SERVER_BIN") {
        Ok(p) => PathBuf::from(p),
        Err(_) => workspace_bin("relay-server"),
    })
}

/// The agent-tui binary (the workstation).
pub fn agent_tui_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| workspace_bin("agent-tui"))
}

/// The desk-demo binary (the README's first command).
pub fn desk_demo_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| workspace_bin("desk-demo"))
}

/// Runs the CLI against `db` and returns its output (whatever the status).
pub fn cli(db: &Path, args: &[&str]) -> Output {
    Proc::new(relay_server_bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .env("RELAY_LOG", "warn")
        .env_remove("RELAY_CONFIG")
        // The harness's own variable, not a setting (RELAY_* are settings).
        .env_remove("RELAY_SERVER_BIN")
        .output()
        .expect("run relay-server")
}

/// Runs the CLI and insists it succeeds; returns stdout.
pub fn cli_ok(db: &Path, args: &[&str]) -> String {
    let out = cli(db, args);
    assert!(
        out.status.success(),
        "relay-server {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Adds an agent and returns their token.
/// Adds an agent who holds up to 100 chats (tests of capacity set their own).
pub fn add_agent(db: &Path, name: &str, role: &str, queues: &str) -> String {
    add_agent_with(db, name, role, queues, 100)
}

/// Adds an agent with a capacity; returns the token.
pub fn add_agent_with(db: &Path, name: &str, role: &str, queues: &str, capacity: u32) -> String {
    let capacity = capacity.to_string();
    let out = cli_ok(
        db,
        &[
            "agent",
            "add",
            name,
            "--role",
            role,
            "--queues",
            queues,
            "--capacity",
            &capacity,
        ],
    );
    out.lines()
        .find_map(|l| l.strip_prefix("token: "))
        .expect("token line")
        .to_owned()
}

/// A running relay-server process.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub db: PathBuf,
}

impl Server {
    /// Starts `relay-server serve` on port 0 with `db` and extra env vars
    /// (durability `normal` unless `RELAY_DURABILITY` is among them).
    pub fn start(db: &Path, env: &[(&str, &str)]) -> Server {
        Server::start_on(db, "127.0.0.1:0", env)
    }

    /// Like [`Server::start`] on a given address (to restart on the same port).
    pub fn start_on(db: &Path, listen: &str, env: &[(&str, &str)]) -> Server {
        Server::launch(db, listen, env, None)
    }

    /// Like [`Server::start`], with the process's open-files limit
    /// (`ulimit -n`) lowered to `open_files`.
    pub fn start_with_open_files(db: &Path, open_files: u32, env: &[(&str, &str)]) -> Server {
        Server::launch(db, "127.0.0.1:0", env, Some(open_files))
    }

    fn launch(db: &Path, listen: &str, env: &[(&str, &str)], open_files: Option<u32>) -> Server {
        let log = db.with_extension("log");
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let mut cmd = match open_files {
            None => Proc::new(relay_server_bin()),
            Some(n) => {
                let mut sh = Proc::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(relay_server_bin());
                sh
            }
        };
        cmd.arg("--db")
            .arg(db)
            .args(["serve", "--listen", listen])
            // `E2E_RELAY_LOG=debug` to see more of a failing test's server.
            .env(
                "RELAY_LOG",
                std::env::var("E2E_RELAY_LOG").unwrap_or_else(|_| "info".into()),
            )
            // Tests that prove durability against SIGKILL pass "full".
            .env("RELAY_DURABILITY", "normal")
            // Tests that check the stream stays still must not see the
            // timers hand out tickets meanwhile; those about assignment
            // pass "true".
            .env("RELAY_ASSIGNMENT__AUTO", "false")
            .env_remove("RELAY_CONFIG")
            .env_remove("RELAY_SERVER_BIN")
            .stdout(Stdio::piped())
            .stderr(stderr);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start relay-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .trim()
            .strip_prefix("relay-server listening on http://")
            .or_else(|| {
                line.trim()
                    .strip_prefix("relay-server listening on https://")
            })
            .unwrap_or_else(|| panic!("unexpected first line {line:?}; see {}", log.display()))
            .to_owned();
        Server {
            child,
            addr,
            db: db.to_path_buf(),
        }
    }

    /// Starts the server with its bot pointed at `sim`, in direct mode
    /// (messages go straight into tickets; tests/dialogue.rs has the
    /// guided conversation), on `listen`.
    pub fn start_direct_bot(db: &Path, listen: &str, sim: &bot_api_sim::Simulator) -> Server {
        Server::direct_bot(db, listen, sim, "normal")
    }

    /// Like [`Server::start_direct_bot`] on any port, with every commit
    /// synced (`durability = "full"`): for tests that SIGKILL it.
    pub fn start_durable_direct_bot(db: &Path, sim: &bot_api_sim::Simulator) -> Server {
        Server::direct_bot(db, "127.0.0.1:0", sim, "full")
    }

    /// [`Server::start_durable_direct_bot`] with more settings.
    pub fn start_durable_direct_bot_with(
        db: &Path,
        sim: &bot_api_sim::Simulator,
        more: &[(&str, &str)],
    ) -> Server {
        Server::direct_bot_with(db, "127.0.0.1:0", sim, "full", more)
    }

    fn direct_bot(
        db: &Path,
        listen: &str,
        sim: &bot_api_sim::Simulator,
        durability: &str,
    ) -> Server {
        Server::direct_bot_with(db, listen, sim, durability, &[])
    }

    fn direct_bot_with(
        db: &Path,
        listen: &str,
        sim: &bot_api_sim::Simulator,
        durability: &str,
        more: &[(&str, &str)],
    ) -> Server {
        let (token, url) = (sim.token(), sim.api_url());
        let mut env = vec![
            ("TELEGRAM_BOT_TOKEN", token.as_str()),
            ("TELEGRAM_API_URL", url.as_str()),
            ("RELAY_TELEGRAM__POLL_TIMEOUT_SECS", "1"),
            ("RELAY_BOT__MODE", "direct"),
            ("RELAY_BOT__CONSENT", "false"),
            ("RELAY_ASSIGNMENT__AUTO", "true"),
            ("RELAY_DURABILITY", durability),
        ];
        env.extend_from_slice(more);
        Server::start_on(db, listen, &env)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}{}", self.addr, WS_PATH)
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Proc::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().expect("wait for relay-server")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failing test's temp dir goes with it: the server's last words
        // go to the test's output first.
        if std::thread::panicking() {
            let log = self.db.with_extension("log");
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(LOG_TAIL)..];
            eprintln!(
                "--- the last {} lines of {} ---\n{}\n---",
                tail.len(),
                log.display(),
                tail.join("\n")
            );
        }
    }
}

/// Lines of a server's log shown when its test fails.
const LOG_TAIL: usize = 200;

/// A fresh temp dir with a database path in it, migrated and seeded.
pub fn fresh_db(customers: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("desk.db");
    cli_ok(&db, &["migrate"]);
    if customers > 0 {
        cli_ok(&db, &["seed", "--customers", &customers.to_string()]);
    }
    (dir, db)
}

/// The newest open ticket in `queue`, read from the database (for a
/// ticket a client may not see).
pub fn latest_ticket_in(db: &Path, queue: &str) -> TicketId {
    let conn = rusqlite::Connection::open(db).expect("open the database");
    TicketId(
        conn.query_row(
            "SELECT max(id) FROM tickets WHERE queue = ?1 AND status <> 'closed'",
            [queue],
            |r| r.get::<_, Option<i64>>(0),
        )
        .expect("query")
        .unwrap_or_else(|| panic!("no ticket in {queue}")),
    )
}

/// A WebSocket client that mirrors the server and collects answers.
pub struct Client {
    pub conn: Connection,
    pub mirror: Mirror,
    pub welcome: Welcome,
    pub answers: HashMap<CommandId, ServerMessage>,
    /// Set when the server closed the connection.
    pub closed: Option<(u16, String)>,
    /// Snapshot parts received since connecting.
    pub snapshot_parts: usize,
    /// Every ticket and customer the server ever sent this client.
    pub received: Received,
    next_id: u64,
    /// Which `Client` of this test process: ids stay unique across
    /// reconnects of the same agent.
    instance: u64,
}

/// What a client was ever sent, whatever it later dropped: tickets (as
/// records, or through their messages, markers and alerts), customers, and
/// the kinds of events.
#[derive(Debug, Default)]
pub struct Received {
    pub tickets: std::collections::HashSet<TicketId>,
    pub customers: std::collections::HashSet<CustomerId>,
    pub kinds: HashMap<String, usize>,
    /// Every group alert (warnings and breaches), in order.
    pub group_alerts: Vec<GroupAlert>,
}

impl Received {
    fn note(&mut self, m: &ServerMessage) {
        match m {
            ServerMessage::Snapshot(p) => {
                self.tickets.extend(p.tickets.iter().map(|t| t.id));
                self.tickets.extend(p.messages.iter().map(|m| m.ticket_id));
                self.tickets
                    .extend(p.read_markers.iter().map(|r| r.ticket_id));
                self.customers.extend(p.customers.iter().map(|c| c.id));
            }
            ServerMessage::Events { events } => {
                for e in events {
                    let json = serde_json::to_value(&e.event).expect("encode");
                    *self
                        .kinds
                        .entry(json["kind"].as_str().unwrap_or("?").to_owned())
                        .or_default() += 1;
                    if let Some(t) = e.event.ticket_id()
                        && !matches!(e.event, Event::TicketHidden { .. })
                    {
                        self.tickets.insert(t);
                    }
                    match &e.event {
                        Event::CustomerUpserted { customer }
                        | Event::TicketShown { customer, .. } => {
                            self.customers.insert(customer.id);
                        }
                        Event::SlaRecomputed { tickets } => {
                            self.tickets.extend(tickets.iter().map(|t| t.ticket_id));
                        }
                        Event::GroupAlert { alert } => self.group_alerts.push(alert.clone()),
                        _ => {}
                    }
                }
            }
            ServerMessage::Ok {
                result: CommandResult::Tickets { tickets, .. },
                ..
            } => {
                self.tickets.extend(tickets.iter().map(|t| t.id));
            }
            ServerMessage::Ok {
                result: CommandResult::Messages { messages, .. },
                ..
            } => {
                self.tickets.extend(messages.iter().map(|m| m.ticket_id));
            }
            _ => {}
        }
    }
}

static CLIENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Client {
    /// Connects and brings the mirror up to date with the server.
    pub async fn connect(url: &str, token: &str, resume: Option<(Mirror, Seq)>) -> Client {
        let (mirror, from) = match resume {
            Some((m, s)) => (m, Some(s)),
            None => (Mirror::default(), None),
        };
        let (conn, welcome) = Connection::connect(url, token, from)
            .await
            .expect("connect");
        Client::with(conn, welcome, mirror).await
    }

    /// Connects as a read-only monitor and brings the mirror up to date.
    pub async fn connect_monitor(url: &str, token: &str) -> Client {
        let (conn, welcome) =
            Connection::connect_monitor(url, token, None, &relay_client::ClientTls::default())
                .await
                .expect("connect as a monitor");
        Client::with(conn, welcome, Mirror::default()).await
    }

    async fn with(conn: Connection, welcome: Welcome, mut mirror: Mirror) -> Client {
        mirror.me = Some(welcome.agent.id);
        let mut c = Client {
            conn,
            mirror,
            welcome,
            answers: HashMap::new(),
            closed: None,
            snapshot_parts: 0,
            received: Received::default(),
            next_id: 0,
            instance: CLIENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        };
        c.settle().await;
        c
    }

    /// Receives one frame, applying it to the mirror. False once closed.
    pub async fn pump(&mut self) -> bool {
        if self.closed.is_some() {
            return false;
        }
        let got = tokio::time::timeout(PATIENCE, self.conn.recv())
            .await
            .expect("server went silent");
        match got {
            Ok(Incoming::Message(m)) => {
                self.received.note(&m);
                self.mirror.apply(&m).expect("mirror applies the stream");
                if matches!(m, ServerMessage::Snapshot(_)) {
                    self.snapshot_parts += 1;
                }
                if let ServerMessage::Ok { id, .. } | ServerMessage::Error { id: Some(id), .. } = &m
                {
                    self.answers.insert(id.clone(), m);
                } else if let ServerMessage::Error { id: None, .. } | ServerMessage::Digest { .. } =
                    &m
                {
                    self.answers.insert(CommandId::new(""), m);
                }
                true
            }
            Ok(Incoming::Closed { code, reason }) => {
                self.closed = Some((code, reason));
                false
            }
            Err(e) => {
                self.closed = Some((1006, e.to_string()));
                false
            }
        }
    }

    /// A new command id.
    pub fn next_id(&mut self) -> String {
        self.next_id += 1;
        format!(
            "c-{}-{}-{}",
            self.welcome.agent.id, self.instance, self.next_id
        )
    }

    /// Sends a command and waits for its answer (ok or error).
    pub async fn cmd(&mut self, command: Command) -> ServerMessage {
        let id = self.next_id();
        self.cmd_with_id(&id, command).await
    }

    pub async fn cmd_with_id(&mut self, id: &str, command: Command) -> ServerMessage {
        self.conn.command(id, command).await.expect("send command");
        let key = CommandId::new(id);
        while !self.answers.contains_key(&key) {
            assert!(
                self.pump().await,
                "closed while waiting for {id}: {:?}",
                self.closed
            );
        }
        let answer = self.answers.remove(&key).expect("answer");
        // `ok` may overtake the events it produced: wait for them too.
        if let ServerMessage::Ok { seq: Some(seq), .. } = &answer {
            while self.mirror.seq < *seq {
                assert!(self.pump().await, "closed while waiting for events of {id}");
            }
        }
        answer
    }

    /// Pumps until `done` holds for the mirror; fails after `within`.
    pub async fn until(&mut self, what: &str, within: Duration, done: impl Fn(&Mirror) -> bool) {
        let deadline = tokio::time::Instant::now() + within;
        while !done(&self.mirror) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(!left.is_zero(), "timed out waiting for {what}");
            let _ = tokio::time::timeout(left, self.pump()).await;
        }
    }

    /// Pumps until message `mid` of ticket `t` is in delivery state `state`.
    pub async fn until_delivery(
        &mut self,
        t: TicketId,
        mid: MessageId,
        state: DeliveryState,
        within: Duration,
    ) {
        let what = format!("message {mid} {}", state.as_str());
        self.until(&what, within, |m| {
            m.messages
                .get(&t)
                .and_then(|ms| ms.get(&mid))
                .and_then(|m| m.delivery.as_ref())
                .is_some_and(|d| d.state == state)
        })
        .await
    }

    /// Sends a reply that must be accepted; returns the new message's id.
    pub async fn reply(&mut self, ticket_id: TicketId, text: &str) -> MessageId {
        match self
            .cmd(Command::Reply {
                ticket_id,
                text: text.to_owned(),
            })
            .await
        {
            ServerMessage::Ok {
                result:
                    CommandResult::Applied {
                        message_id: Some(id),
                    },
                ..
            } => id,
            other => panic!("reply refused: {other:?}"),
        }
    }

    /// Sends all commands without waiting, then collects their answers in
    /// order (the server applies them in the order sent).
    pub async fn pipeline(&mut self, commands: Vec<Command>) -> Vec<ServerMessage> {
        let mut ids = Vec::new();
        for c in commands {
            let id = self.next_id();
            self.conn.command(&id, c).await.expect("send command");
            ids.push(CommandId::new(id));
        }
        let mut out = Vec::new();
        for key in ids {
            while !self.answers.contains_key(&key) {
                assert!(self.pump().await, "closed in a pipeline: {:?}", self.closed);
            }
            out.push(self.answers.remove(&key).expect("answer"));
        }
        out
    }

    /// Sends a raw text frame and returns the next frame-level answer
    /// (an `error` without id, or whatever comes with `id`).
    pub async fn raw(&mut self, text: String, id: Option<&str>) -> ServerMessage {
        self.conn.send_text(text).await.expect("send raw");
        let key = CommandId::new(id.unwrap_or(""));
        while !self.answers.contains_key(&key) {
            assert!(self.pump().await, "closed while waiting: {:?}", self.closed);
        }
        self.answers.remove(&key).expect("answer")
    }

    /// Asks the server for its digest and waits until the mirror has
    /// applied everything up to that seq. Returns (server's, mirror's).
    pub async fn settle(&mut self) -> (String, String) {
        // The digest is only comparable at exactly the seq it was taken at;
        // if more events came meanwhile, ask again.
        loop {
            self.conn
                .send(&ClientMessage::Digest)
                .await
                .expect("send digest");
            let key = CommandId::new("");
            let (seq, digest) = loop {
                if let Some(ServerMessage::Digest { seq, digest, .. }) = self.answers.remove(&key) {
                    break (seq, digest);
                }
                assert!(
                    self.pump().await,
                    "closed while settling: {:?}",
                    self.closed
                );
            };
            while self.mirror.seq < seq {
                assert!(
                    self.pump().await,
                    "closed while catching up: {:?}",
                    self.closed
                );
            }
            if self.mirror.seq == seq {
                return (digest, self.mirror.digest(self.welcome.snapshot_tail));
            }
        }
    }

    /// Waits for the server to close the connection; returns code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        while self.pump().await {}
        self.closed.clone().expect("closed")
    }

    /// Any open ticket in `queue`.
    pub fn ticket_in(&self, queue: &str) -> TicketId {
        self.mirror
            .tickets
            .values()
            .find(|t| t.queue.as_str() == queue)
            .map(|t| t.id)
            .unwrap_or_else(|| panic!("no ticket in {queue}"))
    }
}

/// Asserts an answer is `ok` and returns its seq.
pub fn expect_ok(m: &ServerMessage) -> Option<Seq> {
    match m {
        ServerMessage::Ok { seq, .. } => *seq,
        other => panic!("expected ok, got {other:?}"),
    }
}

/// Asserts an answer is an error with `code`.
pub fn expect_error(m: &ServerMessage, code: ErrorCode) -> String {
    match m {
        ServerMessage::Error {
            code: c, message, ..
        } if *c == code => message.clone(),
        other => panic!("expected {code:?} error, got {other:?}"),
    }
}

/// The ticket of the customer with this Telegram id, once its first
/// message is in the mirror too (`ticket_created` and `message_added` may
/// arrive in different frames).
pub fn ticket_of(m: &Mirror, telegram_user: i64) -> Option<TicketId> {
    let customer = m
        .customers
        .values()
        .find(|c| c.telegram_user_id == telegram_user)?
        .id;
    m.tickets
        .values()
        .find(|t| t.customer_id == customer && m.messages.contains_key(&t.id))
        .map(|t| t.id)
}

/// A headless agent-tui session (its real network worker) against `url`,
/// with `file` as its config file, no colours, and never an opener.
/// `state`: where drafts and unsent commands are kept (none: not kept).
pub fn workstation(
    url: &str,
    token: &str,
    file: agent_tui::config::FileConfig,
    state: Option<&Path>,
) -> agent_tui::session::Session {
    let settings = agent_tui::config::Settings::resolve(
        file,
        Some(url.into()),
        Some(token.into()),
        Some(agent_tui::config::Colors::None),
    )
    .expect("settings");
    let mut s = agent_tui::session::Session::start(&settings, state.map(Path::to_path_buf));
    s.app.opener = None;
    s
}

/// The agent-tui command line tests start in tmux, against `url`, with its
/// state, log and (empty) config file in `dir`.
pub fn agent_tui_command(url: &str, token: &str, dir: &Path) -> String {
    let config = dir.join("none.toml");
    std::fs::write(&config, "").expect("write an empty config");
    format!(
        "{} --url {url} --token {token} --state-dir {} --log-file {} --config {}",
        agent_tui_bin().display(),
        dir.display(),
        dir.join("tui.log").display(),
        config.display(),
    )
}

/// Every file under `dir` (recursively) whose bytes contain `needle`.
pub fn files_holding(dir: &std::path::Path, needle: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_holding(&p, needle));
        } else if let Ok(bytes) = std::fs::read(&p)
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        {
            out.push(p);
        }
    }
    out
}
