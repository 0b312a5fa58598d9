//! One workstation session: the app, its network worker and its saved
//! state, driven by inputs. The terminal loop and the headless tests use
//! it alike.

use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use shared::Timestamp;
use tokio::sync::mpsc;

use crate::config::Settings;
use crate::keymap::Key;
use crate::net::{self, NetCmd, NetEvent, SharedSeq};
use crate::persist;
use crate::state::App;
use crate::update::{Effect, Input};

pub struct Session {
    pub app: App,
    url: String,
    net_tx: mpsc::UnboundedSender<NetCmd>,
    net_rx: mpsc::UnboundedReceiver<NetEvent>,
    seq: SharedSeq,
    state_dir: Option<PathBuf>,
    state_file: Option<PathBuf>,
    saved_rev: u64,
}

/// Milliseconds since the epoch, now.
pub fn now() -> Timestamp {
    Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
    )
}

/// A prefix for command ids that no other run of any client shares.
pub fn id_prefix() -> String {
    format!("tui{:x}p{}", now().0, std::process::id())
}

impl Session {
    /// Starts the network worker for `settings` (needs a tokio runtime).
    /// `state_dir`: where drafts and unsent commands are kept (none: not kept).
    pub fn start(settings: &Settings, state_dir: Option<PathBuf>) -> Session {
        let mut app = App::new(
            settings.keymap.clone(),
            settings.alerts.clone(),
            settings.time_zone.clone(),
            id_prefix(),
            now(),
        );
        app.escalate_to = shared::QueueId::new(settings.escalate_to.clone());
        app.download_dir = settings.download_dir.clone();
        app.opener = settings.opener.clone();
        app.theme =
            crate::ui::theme::Theme::new(settings.colors.resolve(|k| std::env::var(k).ok()));
        let seq = SharedSeq::default();
        let (net_tx, net_rx) = net::spawn(
            settings.url.clone(),
            settings.token.clone(),
            settings.tls.clone(),
            seq.clone(),
        );
        Session {
            app,
            url: settings.url.clone(),
            net_tx,
            net_rx,
            seq,
            state_dir,
            state_file: None,
            saved_rev: 0,
        }
    }

    /// Applies an input and carries out its effects; returns the effects
    /// left for the caller (the bell).
    pub fn apply(&mut self, input: Input) -> Vec<Effect> {
        let mut fx = self.app.handle(input);
        self.after_welcome(&mut fx);
        self.seq.set(self.app.mirror.seq);
        fx.retain(|e| match e {
            Effect::Send(m) => {
                let _ = self.net_tx.send(NetCmd::Send(m.clone()));
                false
            }
            Effect::Resync => {
                self.seq.set(self.app.mirror.seq);
                let _ = self.net_tx.send(NetCmd::Resync);
                false
            }
            Effect::File(op) => {
                let _ = self.net_tx.send(NetCmd::File(op.clone()));
                false
            }
            Effect::Open(path) => {
                if let Some(opener) = &self.app.opener {
                    open_with(opener, path);
                }
                false
            }
            Effect::Bell => true,
        });
        fx
    }

    /// Once the server says who we are, take back this agent's saved state.
    fn after_welcome(&mut self, fx: &mut Vec<Effect>) {
        if self.state_file.is_some() {
            return;
        }
        let (Some(dir), Some(me)) = (&self.state_dir, &self.app.me) else {
            return;
        };
        let file = persist::file_for(dir, &self.url, &me.name);
        match persist::load(&file) {
            Ok(saved) => fx.extend(self.app.restore(saved)),
            Err(e) => {
                tracing::warn!(%e, "saved state not restored");
                self.app.warn(e.to_string());
            }
        }
        self.state_file = Some(file);
        self.app.touch();
    }

    /// Saves drafts and unconfirmed commands if they changed.
    pub fn persist(&mut self) {
        let Some(file) = &self.state_file else { return };
        if self.app.persist_rev == self.saved_rev {
            return;
        }
        self.saved_rev = self.app.persist_rev;
        if let Err(e) = persist::save(file, &self.app.saved()) {
            tracing::warn!(%e, "cannot save drafts");
        }
    }

    /// The next event from the network worker.
    pub async fn next_net(&mut self) -> Option<NetEvent> {
        self.net_rx.recv().await
    }

    /// A network event if one is waiting.
    pub fn try_net(&mut self) -> Option<NetEvent> {
        self.net_rx.try_recv().ok()
    }

    // Headless driving, for tests and tools.

    /// Applies network events until `done` holds (checked after each), or
    /// `patience` runs out (false).
    pub async fn pump_until(&mut self, patience: Duration, done: impl Fn(&App) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            if done(&self.app) {
                return true;
            }
            let ev = tokio::time::timeout_at(deadline, self.next_net()).await;
            match ev {
                Ok(Some(e)) => {
                    self.apply(Input::Net(e));
                    self.apply(Input::Tick(now()));
                }
                Ok(None) | Err(_) => return done(&self.app),
            }
        }
    }

    /// Presses a key written as in the config file (`ctrl-p`, `G`, `enter`).
    pub fn press(&mut self, key: &str) -> Vec<Effect> {
        let k = Key::parse(key).unwrap_or_else(|e| panic!("{e}"));
        self.apply(Input::Key(k.event()))
    }

    /// Types text one character at a time.
    pub fn type_text(&mut self, s: &str) {
        for c in s.chars() {
            self.apply(Input::Key(KeyEvent::new(
                KeyCode::Char(c),
                KeyModifiers::NONE,
            )));
        }
    }

    /// Renders the screen into a test backend of `w`×`h`.
    pub fn render(&mut self, w: u16, h: u16) -> Buffer {
        render(&mut self.app, w, h)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.persist();
    }
}

/// Starts `opener path` in the background, its output discarded (it must
/// not draw over the screen).
fn open_with(opener: &str, path: &std::path::Path) {
    let mut words = opener.split_whitespace();
    let Some(program) = words.next() else { return };
    let spawned = std::process::Command::new(program)
        .args(words)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match spawned {
        // Reaped in the background, so no zombie is left.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => tracing::warn!("cannot run {opener}: {e}"),
    }
}

/// Measures and draws `app` into a fresh `w`×`h` test backend.
pub fn render(app: &mut App, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| crate::ui::frame(f, app)).expect("draw");
    term.backend().buffer().clone()
}

/// A buffer's text, one line per row, trailing spaces trimmed.
pub fn text_of(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = crate::ui::text::width(sym).saturating_sub(1);
            line.push_str(sym);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
