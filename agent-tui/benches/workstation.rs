//! Workstation benchmarks (docs/benchmarks.md has the figures):
//! - a frame of a queue with 10,000 tickets (target: at most 2 ms);
//! - fuzzy macro search over 5,000 macros, per keystroke (at most 1 ms);
//! - memory with 10,000 tickets and 10 open chats (at most 50 MB RSS);
//! - the leads' dashboard: counting one event (at most 1 ms) and a frame
//!   of it over 10,000 tickets (at most 2 ms).
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

/// The figures of a busy day: 10,000 first responses, 5,000 tickets
/// still waiting for one, 3,000 ratings.
fn busy_figures() -> DeskFigures {
    let mut f = desk_figures();
    f.first_responses = (0..10_000)
        .map(|i| FirstResponse {
            queue: QueueId::new(["L1", "L2", "VIP"][i % 3]),
            ms: (i as i64 * 7919) % 3_600_000,
        })
        .collect();
    f.awaiting_first = (0..5_000)
        .map(|i| AwaitingFirst {
            ticket_id: TicketId(50_000 + i),
            since: NOW.minus(i),
        })
        .collect();
    f.ratings_week = (0..3_000)
        .map(|i| Rating {
            ticket_id: TicketId(80_000 + i),
            stars: (i % 5 + 1) as u8,
        })
        .collect();
    f
}

/// One of each event the dashboard counts, in turn.
fn dashboard_event(i: i64, seq: u64) -> EventEnvelope {
    let mut t = shared::fixtures::ticket(60_000 + i / 5);
    t.queue = QueueId::new("L1");
    t.created_at = NOW.minus(i % 3600);
    t.first_reply_at = None;
    let event = match i % 5 {
        0 => Event::TicketCreated { ticket: t },
        1 => {
            let mut m = shared::fixtures::message(i);
            m.ticket_id = t.id;
            m.author = Author::Customer { id: t.customer_id };
            Event::MessageAdded { message: m }
        }
        2 => {
            t.first_reply_at = Some(NOW);
            Event::TicketUpdated {
                ticket: t,
                by: None,
                change: TicketChange::Thread {
                    message_id: MessageId(i),
                },
            }
        }
        3 => {
            t.resolved_at = Some(NOW);
            Event::TicketUpdated {
                ticket: t,
                by: None,
                change: TicketChange::Csat { rating: 4 },
            }
        }
        _ => Event::SlaAlert {
            alert: SlaAlert {
                ticket_id: t.id,
                number: t.number,
                queue: t.queue.clone(),
                target: SlaTarget::FirstReply,
                level: SlaLevel::Breach,
                due: NOW,
                lead_ms: None,
                assignee: None,
                actions: vec![],
            },
        },
    };
    EventEnvelope {
        seq: Seq(seq),
        at: NOW,
        event,
    }
}

fn dashboard() {
    let mut d = agent_tui::dashboard::Dashboard::new(busy_figures());
    let mut times = Vec::new();
    for i in 0..20_000 {
        let e = dashboard_event(i, 1 + i as u64);
        let start = Instant::now();
        d.apply(&e);
        times.push(start.elapsed());
    }
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    // Every kind counted: 4,000 tickets created and answered, 4,000
    // ratings and breaches.
    assert_eq!(d.first_all.len(), 14_000);
    assert_eq!(d.breaches_today, 2 + 4_000);
    report(
        "dashboard: count one event (10,000 samples)",
        &mut times,
        Duration::from_millis(1),
    );
    println!(
        "{:<48} mean {:.2} µs, p99 {:.2} µs",
        "",
        mean.as_secs_f64() * 1e6,
        percentile(&mut times, 0.99).as_secs_f64() * 1e6
    );
    // The screen over a desk of 10,000 tickets, redrawn every second.
    let mut app = app_with(10_000);
    app.dashboard = Some(agent_tui::dashboard::Live::Ready(Box::new(d)));
    app.screen = Screen::Dashboard;
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let mut times = Vec::new();
        for i in 0..300 {
            app.handle(Input::Tick(NOW.plus(i)));
            let start = Instant::now();
            term.draw(|f| agent_tui::ui::frame(f, &mut app)).unwrap();
            times.push(start.elapsed());
        }
        report(
            &format!("dashboard frame, 10,000 tickets, {w}x{h}"),
            &mut times,
            Duration::from_millis(2),
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    memory();
    frames();
    fuzzy();
    dashboard();
}
