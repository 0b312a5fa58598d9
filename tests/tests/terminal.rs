//! The real agent-tui binary in a real terminal (tmux): it starts, shows
//! the queue, opens a chat, switches tabs, shows help, and quits with the
//! terminal restored. Needs tmux (`.ci/run` installs it).

use std::process::Command as Proc;
use std::time::{Duration, Instant};

use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::*;
use shared::TicketStatus;

struct Tmux {
    name: String,
}

impl Tmux {
    fn start(cmd: &str, w: u16, h: u16) -> Tmux {
        let name = format!("agent-tui-test-{}", std::process::id());
        let ok = Proc::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ])
            .arg("-e")
            .arg("TERM=xterm-256color")
            .arg(cmd)
            .status()
            .expect("tmux is installed");
        assert!(ok.success(), "tmux new-session");
        Tmux { name }
    }

    fn keys(&self, keys: &[&str]) {
        let ok = Proc::new("tmux")
            .args(["send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .unwrap();
        assert!(ok.success());
    }

    fn screen(&self) -> String {
        let out = Proc::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn format(&self, f: &str) -> String {
        let out = Proc::new("tmux")
            .args(["display-message", "-p", "-t", &self.name, f])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn wait_for(&self, what: &str, within: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            assert!(
                start.elapsed() < within,
                "waited for {what:?}; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Proc::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_opens_a_chat_switches_tabs_shows_help_and_quits_cleanly() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(501, "Olena", "uk"));
    sim.add_user(SimUser::new(502, "王伟", "zh"));
    let (dir, db) = fresh_db(0);
    let token = add_agent(&db, "anna", "supervisor", "L1");
    let server = Server::start_direct_bot(&db, "127.0.0.1:0", &sim);
    sim.send_text(501, "Оплата не пройшла");
    sim.send_text(502, "无法登录");
    // Both filed before anyone is online: nobody's yet.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let c = rusqlite::Connection::open(&db).unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
            .unwrap();
        if n == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "{n} tickets filed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A config file that does not exist is an error when named: an empty one.
    let cmd = agent_tui_command(&server.ws_url(), &token, dir.path());
    // The shell stays after the program, to show its exit status and how
    // it left the terminal.
    let tmux = Tmux::start(&format!("sh -c '{cmd}; echo exit=$?; sleep 60'"), 80, 24);
    let patience = Duration::from_secs(30);
    tmux.wait_for("● online", patience);
    // It starts on the Unassigned tab (nothing is mine yet): both tickets.
    tmux.wait_for("王伟", patience);
    let s = tmux.wait_for("Olena", patience);
    assert!(s.contains("Unassigned 2"), "{s}");
    // Open the first, back, open the second: two chat tabs.
    tmux.keys(&["Enter"]);
    let first = tmux.wait_for("Reply to the customer", patience);
    tmux.keys(&["q", "j", "Enter"]);
    // The second chat's tab ("2:" alone would match a clock like 12:28).
    tmux.wait_for("│ 2:", patience);
    let second = tmux.screen();
    let opened = |s: &str| {
        if s.contains("无法登录") {
            "王伟"
        } else {
            "Olena"
        }
    };
    assert_ne!(
        opened(&first),
        opened(&second),
        "two different chats:\n{first}\n{second}"
    );
    // Tab cycles: chat 2 -> queues -> chat 1.
    tmux.keys(&["Tab"]);
    tmux.wait_for("SLA", patience);
    tmux.keys(&["Tab"]);
    let back = tmux.wait_for("Reply to the customer", patience);
    assert_eq!(opened(&back), opened(&first));
    // Help.
    tmux.keys(&["?"]);
    tmux.wait_for("Keys: j/k scroll", patience);
    tmux.keys(&["Escape"]);
    tmux.wait_for("Reply to the customer", patience);
    // Quit: the program exits 0 and leaves the normal screen as it was.
    tmux.keys(&["C-c"]);
    tmux.wait_for("exit=0", patience);
    assert_eq!(tmux.format("#{alternate_on}"), "0", "alternate screen left");
    assert_eq!(tmux.format("#{cursor_flag}"), "1", "cursor visible again");
    let after = tmux.screen();
    assert!(
        !after.contains("Reply to the customer"),
        "the TUI is gone:\n{after}"
    );
    let log = std::fs::read_to_string(dir.path().join("tui.log")).unwrap();
    assert!(log.contains("connected"), "logs go to the file: {log}");
}

/// The routine ticket, counted in key presses on the real binary: open
/// the customer who waited longest, reply with a macro, close it with a
/// summary. The macro query's characters count; the summary's words do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_routine_ticket_takes_seven_keys() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(601, "Olena", "uk"));
    sim.add_user(SimUser::new(602, "Sam", "en"));
    let (dir, db) = fresh_db(0);
    let token = add_agent(&db, "anna", "supervisor", "L1");
    let server = Server::start_direct_bot(&db, "127.0.0.1:0", &sim);
    // Olena has waited longest.
    sim.send_text(601, "Оплата не пройшла");
    let mut probe = Client::connect(&server.ws_url(), &token, None).await;
    probe
        .until("Olena's ticket", PATIENCE, |m| ticket_of(m, 601).is_some())
        .await;
    sim.send_text(602, "Where is my order?");
    probe
        .until("Sam's ticket", PATIENCE, |m| ticket_of(m, 602).is_some())
        .await;
    let olena = ticket_of(&probe.mirror, 601).unwrap();
    let cmd = agent_tui_command(&server.ws_url(), &token, dir.path());
    let tmux = Tmux::start(&format!("sh -c '{cmd}; sleep 60'"), 80, 24);
    let patience = Duration::from_secs(30);
    tmux.wait_for("● online", patience);
    tmux.wait_for("Sam", patience);
    let mut presses = 0;
    let mut press = |keys: &[&str]| {
        presses += keys.len();
        tmux.keys(keys);
    };
    // 1: the longest-waiting customer.
    press(&["n"]);
    tmux.wait_for("Оплата не пройшла", patience);
    // 2-5: the macro picker, "hi", insert (in her language).
    press(&["m"]);
    tmux.wait_for("Macros", patience);
    press(&["h", "i"]);
    press(&["Enter"]);
    tmux.wait_for("Вітаю, Olena!", patience);
    // 6: send it and close: the summary prompt.
    press(&["C-s"]);
    tmux.wait_for("summary of the solution", patience);
    tmux.keys(&["-l", "card payment retried"]);
    // 7: confirm.
    press(&["Enter"]);
    assert!(presses <= 7, "{presses} key presses");
    probe
        .until("the reply went and the ticket is resolved", PATIENCE, |m| {
            m.tickets
                .get(&olena)
                .is_none_or(|t| t.status == TicketStatus::Resolved)
                && m.messages.get(&olena).is_some_and(|ms| {
                    ms.values().any(|x| x.text.starts_with("Вітаю, Olena!"))
                        && ms
                            .values()
                            .any(|x| x.text == "Summary: card payment retried")
                })
        })
        .await;
    let got = sim.wait_sent(601, 1, PATIENCE).await.expect("delivered");
    assert!(
        got[0]
            .text
            .as_deref()
            .is_some_and(|t| t.starts_with("Вітаю, Olena!")),
        "{got:?}"
    );
    tmux.wait_for("closed with a summary", patience);
}
