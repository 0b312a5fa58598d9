//! The terminal loop: raw mode and the alternate screen (restored on exit
//! and on panic), crossterm's event stream, the network worker and a
//! one-second tick. It redraws only when something changed.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::Settings;
use crate::session::{Session, now};
use crate::update::{Effect, Input};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream, KeyCode, KeyEvent, KeyModifiers, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal before the panic message is printed.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        tracing::error!(%info, "panic");
        previous(info);
    }));
}

/// Runs the workstation in this process's terminal until the engineer
/// quits (or SIGTERM/SIGHUP). Needs a tokio runtime with I/O and timers.
pub async fn run(settings: Settings, state_dir: Option<PathBuf>) -> std::io::Result<()> {
    install_panic_hook();
    enable_raw_mode()?;
    let mut out = std::io::stdout();
    execute!(out, EnterAlternateScreen, EnableBracketedPaste)?;
    if settings.mouse {
        execute!(out, EnableMouseCapture)?;
    }
    let result = main_loop(&settings, state_dir).await;
    restore();
    result
}

async fn main_loop(settings: &Settings, state_dir: Option<PathBuf>) -> std::io::Result<()> {
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    term.clear()?;
    let mut session = Session::start(settings, state_dir);
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut save = tokio::time::interval(Duration::from_secs(2));
    save.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        if session.app.dirty {
            session.app.dirty = false;
            term.draw(|f| crate::ui::frame(f, &mut session.app))?;
        }
        let mut inputs = Vec::new();
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => inputs.extend(terminal_input(ev)),
                Some(Err(e)) => return Err(e),
                None => break,
            },
            net = session.next_net() => match net {
                Some(e) => inputs.push(Input::Net(e)),
                None => break,
            },
            _ = tick.tick() => inputs.push(Input::Tick(now())),
            _ = save.tick() => session.persist(),
            _ = hangup.recv() => break,
            _ = terminate.recv() => break,
        }
        // Take whatever else the network has ready before drawing once.
        while inputs.len() < 256 {
            match session.try_net() {
                Some(e) => inputs.push(Input::Net(e)),
                None => break,
            }
        }
        for input in inputs {
            for fx in session.apply(input) {
                if fx == Effect::Bell {
                    let _ = std::io::stdout().write_all(b"\x07");
                    let _ = std::io::stdout().flush();
                }
            }
        }
        if session.app.quit {
            break;
        }
    }
    session.persist();
    Ok(())
}

fn terminal_input(ev: Event) -> Option<Input> {
    match ev {
        Event::Key(k) => Some(Input::Key(k)),
        Event::Paste(s) => Some(Input::Paste(s)),
        Event::Resize(..) => Some(Input::Resize),
        Event::Mouse(m) => {
            let code = match m.kind {
                MouseEventKind::ScrollUp => KeyCode::Up,
                MouseEventKind::ScrollDown => KeyCode::Down,
                _ => return None,
            };
            Some(Input::Key(KeyEvent::new(code, KeyModifiers::NONE)))
        }
        _ => None,
    }
}
