//! Workstation benchmarks (docs/benchmarks.md has the figures):
//! - a frame of a queue with 10,000 tickets (target: at most 2 ms);
//! - fuzzy macro search over 5,000 macros, per keystroke (at most 1 ms);
//! - memory with 10,000 tickets and 10 open chats (at most 50 MB RSS).
//!
//! `cargo bench -p agent-tui --bench workstation`

use std::time::{Duration, Instant};

use agent_tui::App;
use agent_tui::config::{Alerts, Colors};
use agent_tui::fixtures::*;
use agent_tui::keymap::Keymap;
use agent_tui::overlay::MacroPicker;
use agent_tui::state::{ConnState, Screen};
use agent_tui::ui::theme::Theme;
use agent_tui::update::Input;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use shared::*;

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn report(name: &str, v: &mut [Duration], target: Duration) {
    let (p50, p99, max) = (
        percentile(v, 0.5),
        percentile(v, 0.99),
        *v.iter().max().unwrap(),
    );
    let verdict = if p99 <= target { "ok" } else { "OVER TARGET" };
    println!(
        "{name:<48} median {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms  (target {:.1} ms: {verdict})",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3,
        target.as_secs_f64() * 1e3
    );
}

fn app_with(tickets: usize) -> App {
    let mut a = App::new(
        Keymap::default(),
        Alerts::default(),
        jiff::tz::TimeZone::UTC,
        "b".into(),
        NOW,
    );
    a.theme = Theme::new(Colors::Rich);
    a.mirror = busy(tickets);
    a.me = a.mirror.agents.get(&ME).cloned();
    a.conn = ConnState::Online;
    a.queue_tab = 2 + a.mirror.queues.len(); // All
    a.rows_dirty = true;
    a.handle(Input::Resize);
    a
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn frames() {
    let mut app = app_with(10_000);
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let mut times = Vec::new();
        for i in 0..500 {
            // A second passes each frame: every countdown changes.
            app.handle(Input::Tick(NOW.plus(i)));
            let start = Instant::now();
            term.draw(|f| agent_tui::ui::frame(f, &mut app)).unwrap();
            times.push(start.elapsed());
        }
        report(
            &format!("frame, 10,000 tickets, {w}x{h}"),
            &mut times,
            Duration::from_millis(2),
        );
    }
    // An event re-sorts the queue before the next frame.
    let mut times = Vec::new();
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    for i in 0..200 {
        let mut t = app.mirror.tickets[&TicketId(1 + i)].clone();
        t.waiting_since = Some(NOW.minus(5000 + i));
        let e = EventEnvelope {
            seq: Seq(app.mirror.seq.0 + 1),
            at: NOW,
            event: Event::TicketUpdated {
                ticket: t,
                by: None,
                change: TicketChange::Thread {
                    message_id: MessageId(1),
                },
            },
        };
        let start = Instant::now();
        app.handle(Input::Net(agent_tui::net::NetEvent::Frame(
            ServerMessage::Events { events: vec![e] },
        )));
        term.draw(|f| agent_tui::ui::frame(f, &mut app)).unwrap();
        times.push(start.elapsed());
    }
    report(
        "event + re-sort + frame, 10,000 tickets, 160x48",
        &mut times,
        Duration::from_millis(2),
    );
}

fn fuzzy() {
    let mut app = app_with(10);
    // 5,000 macros: the defaults and variations of a real team's library.
    let words = [
        "refund", "invoice", "password", "login", "card", "delivery", "account", "verify", "limit",
        "bonus",
    ];
    let defaults = default_macros();
    app.mirror.macros.clear();
    for i in 0..5_000i64 {
        let base = &defaults[i as usize % defaults.len()];
        let w = words[i as usize % words.len()];
        let w2 = words[(i as usize / 10) % words.len()];
        let m = Macro {
            id: MacroId(i + 1),
            shortcut: format!("{}-{w}-{i}", base.shortcut),
            title: format!("{} about {w} and {w2} #{i}", base.title),
            body: format!("{} We checked your {w} and {w2}.", base.body),
            translations: Default::default(),
            owner: None,
        };
        app.mirror.macros.insert(m.id, m);
    }
    let mut picker = MacroPicker::new(TicketId(1), false, &app.mirror.macros, &mut app.ranker);
    let mut times = Vec::new();
    for round in 0..20 {
        for query in ["need dtls refnd", "frst rep", "solved card", "esc lim"] {
            picker.query.clear();
            for c in query.chars() {
                picker.query.push(c);
                let start = Instant::now();
                picker.refresh(&app.mirror.macros, &mut app.ranker);
                times.push(start.elapsed());
            }
            if round == 0 && std::env::var("BENCH_VERBOSE").is_ok() {
                picker.query.clear();
                let mut per = Vec::new();
                for c in query.chars() {
                    picker.query.push(c);
                    let start = Instant::now();
                    picker.refresh(&app.mirror.macros, &mut app.ranker);
                    per.push(format!(
                        "{c}:{}us/{}",
                        start.elapsed().as_micros(),
                        picker.hits.len()
                    ));
                }
                println!("  {}", per.join(" "));
            }
            if round == 0 {
                let top = picker
                    .chosen()
                    .map(|id| app.mirror.macros[&id].title.clone());
                println!("  {query:?} -> {} hits, first: {top:?}", picker.hits.len());
            }
        }
    }
    report(
        "fuzzy search, 5,000 macros, per keystroke",
        &mut times,
        Duration::from_millis(1),
    );
}

fn memory() {
    let before = rss_kb();
    let mut app = app_with(10_000);
    for i in 0..10 {
        app.open_chat(TicketId(1 + i * 7));
    }
    app.screen = Screen::Chat(0);
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    term.draw(|f| agent_tui::ui::frame(f, &mut app)).unwrap();
    let after = rss_kb();
    println!(
        "{:<48} {:.1} MB (process RSS; {:.1} MB before building the state; target 50 MB)",
        "memory, 10,000 tickets + 10 open chats",
        after as f64 / 1024.0,
        before as f64 / 1024.0
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    memory();
    frames();
    fuzzy();
}
