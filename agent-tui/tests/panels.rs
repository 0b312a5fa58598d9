//! Every panel rendered into ratatui's TestBackend at a fixed clock, at
//! 80x24 and 160x48, checked as insta snapshots. Each snapshot holds the
//! screen's text and, below it, a map of the SLA colours (g ok, y warning,
//! r breached) so colour regressions show as well as text ones.

use agent_tui::App;
use agent_tui::config::{Alerts, Colors};
use agent_tui::fixtures::*;
use agent_tui::keymap::{Key, Keymap};
use agent_tui::session::{render, text_of};
use agent_tui::state::{ConnState, Screen};
use agent_tui::ui::theme::Theme;
use agent_tui::update::Input;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use shared::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn colour_map(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut row = String::new();
        for x in 0..buf.area.width {
            let c = &buf[(x, y)];
            let ch = match c.fg {
                Color::Green | Color::Indexed(71) => 'g',
                Color::Yellow | Color::Indexed(214) => 'y',
                Color::Red | Color::Indexed(196) => 'r',
                _ if c.modifier.contains(Modifier::REVERSED)
                    && c.modifier.contains(Modifier::BOLD) =>
                {
                    'R'
                }
                _ => ' ',
            };
            row.push(ch);
        }
        let row = row.trim_end();
        if !row.is_empty() {
            out.push_str(&format!("{y:>2} |{row}\n"));
        }
    }
    out
}

fn shot(app: &mut App, name: &str) {
    for (w, h) in SIZES {
        let buf = render(app, w, h);
        let text = format!("{}\n--- colours ---\n{}", text_of(&buf), colour_map(&buf));
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

fn press(a: &mut App, key: &str) {
    a.handle(Input::Key(Key::parse(key).unwrap().event()));
}

fn typed(a: &mut App, s: &str) {
    for c in s.chars() {
        a.handle(Input::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
}

/// A desk mid-shift: six tickets in every SLA state, Chinese, Cyrillic and
/// emoji names, a VIP and a critical one.
fn scene(colors: Colors) -> App {
    let mut a = App::new(
        Keymap::default(),
        Alerts::default(),
        jiff::tz::TimeZone::UTC,
        "s".into(),
        NOW,
    );
    a.theme = Theme::new(colors);
    let m = &mut a.mirror;
    *m = mirror();
    let wang = add_customer(m, 2, "王伟", false);
    let sam = add_customer(m, 3, "Sam 🚀", false);
    let vip = add_customer(m, 4, "Дмитрий", true);
    m.customers.get_mut(&vip).unwrap().time_zone = Some("Europe/Kyiv".into());
    m.customers.get_mut(&vip).unwrap().language = Some("ru".into());
    m.customers.get_mut(&wang).unwrap().language = Some("zh".into());
    m.customers.get_mut(&wang).unwrap().time_zone = Some("Asia/Shanghai".into());
    let olena = add_customer(m, 1, "Olena", false);
    m.customers.get_mut(&olena).unwrap().last_name = Some("Koval".into());
    // Ok: 40 minutes left.
    let t1 = add_ticket(m, 1, |t| {
        t.assignee = Some(ME);
        t.status = TicketStatus::Open;
        t.waiting_since = Some(NOW.minus(200));
        t.sla.first_reply_due = None;
        t.sla.next_reply_due = Some(NOW.plus(2400));
        t.tags = vec!["billing".into()];
        // Shared with a colleague (the customer panel names them).
        t.shared_with = vec![AgentId(2)];
    });
    // Warning: 3 minutes left.
    let t2 = add_ticket(m, 2, |t| {
        t.customer_id = wang;
        t.topic = Some("account".into());
        t.waiting_since = Some(NOW.minus(720));
        t.sla.first_reply_due = Some(NOW.plus(180));
    });
    // Breached 7 minutes ago.
    let t3 = add_ticket(m, 3, |t| {
        t.customer_id = sam;
        t.queue = QueueId::new("L2");
        t.topic = Some("feature".into());
        t.waiting_since = Some(NOW.minus(2220));
        t.sla.first_reply_due = Some(NOW.minus(420));
    });
    // VIP, critical, security.
    let t4 = add_ticket(m, 4, |t| {
        t.customer_id = vip;
        t.queue = QueueId::new("SECURITY");
        t.priority = Priority::Critical;
        t.waiting_since = Some(NOW.minus(60));
        t.sla.first_reply_due = Some(NOW.plus(30));
    });
    add_ticket(m, 5, |t| {
        t.assignee = Some(AgentId(2));
        t.status = TicketStatus::PendingOnCustomer;
        t.topic = None;
        t.sla = SlaDeadlines {
            resolution_due: Some(NOW.plus(3 * 3600)),
            ..Default::default()
        };
    });
    // An earlier, rated ticket of Olena's.
    add_ticket(m, 6, |t| {
        t.status = TicketStatus::Resolved;
        t.created_at = NOW.minus(3 * 86_400);
        t.csat = Some(4);
        t.sla = SlaDeadlines::default();
    });
    add_message(
        m,
        t1,
        1,
        MessageKind::Inbound,
        "Hi! My card was charged twice for the March invoice 😕",
        NOW.minus(900),
    );
    let bot = add_message(
        m,
        t1,
        2,
        MessageKind::Outbound,
        "Accepted: ticket #10001. ETA: 10:15 UTC.",
        NOW.minus(880),
    );
    m.messages
        .get_mut(&t1)
        .unwrap()
        .get_mut(&bot)
        .unwrap()
        .author = Author::Bot;
    add_message(
        m,
        t1,
        3,
        MessageKind::Note,
        "Stripe shows two captures, refund one.",
        NOW.minus(600),
    );
    let r = add_message(
        m,
        t1,
        4,
        MessageKind::Outbound,
        "Hi Olena! I'm Anna. Checking the charges now.",
        NOW.minus(500),
    );
    let q = add_message(
        m,
        t1,
        5,
        MessageKind::Outbound,
        "Refund started.",
        NOW.minus(400),
    );
    m.messages
        .get_mut(&t1)
        .unwrap()
        .get_mut(&q)
        .unwrap()
        .delivery = Some(Delivery {
        state: DeliveryState::Failed,
        reason: Some("Forbidden: bot was blocked by the user".into()),
        updated_at: NOW.minus(390),
    });
    let _ = r;
    let shot_msg = add_message(
        m,
        t1,
        6,
        MessageKind::Inbound,
        "here is the statement",
        NOW.minus(200),
    );
    {
        let msg = m.messages.get_mut(&t1).unwrap().get_mut(&shot_msg).unwrap();
        msg.attachments.push(Attachment {
            kind: AttachmentKind::Photo,
            file_id: "AgACAgIAAxkBAAIB".into(),
            file_name: Some("statement.png".into()),
            mime_type: Some("image/png".into()),
            size: Some(120_000),
        });
        msg.edited_at = Some(NOW.minus(150));
    }
    add_message(
        m,
        t2,
        7,
        MessageKind::Inbound,
        "我无法登录我的账户，验证码一直没有收到。",
        NOW.minus(720),
    );
    add_message(
        m,
        t3,
        8,
        MessageKind::Inbound,
        "Dark mode please 🌙🙏",
        NOW.minus(2220),
    );
    add_message(
        m,
        t4,
        9,
        MessageKind::Inbound,
        "Мой аккаунт взломали!",
        NOW.minus(60),
    );
    m.read.insert(t1, MessageId(5));
    a.me = a.mirror.agents.get(&ME).cloned();
    a.conn = ConnState::Online;
    a.rows_dirty = true;
    a.handle(Input::Resize);
    a
}

#[test]
fn queue_all_tab() {
    let mut a = scene(Colors::Basic);
    press(&mut a, "h"); // All
    shot(&mut a, "queue_all");
}

#[test]
fn queue_mine_tab_no_color() {
    let mut a = scene(Colors::None);
    shot(&mut a, "queue_mine_mono");
}

#[test]
fn chat_with_thread_customer_and_draft() {
    let mut a = scene(Colors::Basic);
    press(&mut a, "enter"); // Mine: ticket 1
    a.history
        .insert(CustomerId(1), vec![a.mirror.tickets[&TicketId(6)].clone()]);
    press(&mut a, "i");
    typed(&mut a, "Refund is on its way, 3-5 days. 谢谢 🙂");
    shot(&mut a, "chat");
}

#[test]
fn chat_tabs_badges_and_offline_pending_reply() {
    let mut a = scene(Colors::Basic);
    press(&mut a, "h");
    for _ in 0..4 {
        press(&mut a, "enter");
        press(&mut a, "q");
        press(&mut a, "j");
    }
    press(&mut a, "2");
    a.handle(Input::Net(agent_tui::net::NetEvent::Disconnected {
        reason: "connection reset".into(),
        retry_in: std::time::Duration::from_secs(4),
    }));
    press(&mut a, "i");
    typed(&mut a, "稍等，我们正在处理");
    press(&mut a, "enter");
    press(&mut a, "esc");
    shot(&mut a, "chat_offline");
}

/// A reply whose sends' answers were lost twice says so, in the warning
/// colour, where the delivery state goes; not "sent", not "FAILED".
#[test]
fn a_reply_that_may_not_have_arrived_says_so() {
    let mut a = scene(Colors::Basic);
    let t1 = TicketId(1);
    let m = add_message(
        &mut a.mirror,
        t1,
        9001,
        MessageKind::Outbound,
        "Your refund is approved.",
        NOW.minus(60),
    );
    a.mirror
        .messages
        .get_mut(&t1)
        .unwrap()
        .get_mut(&m)
        .unwrap()
        .delivery = Some(Delivery {
        state: DeliveryState::Uncertain,
        reason: Some("Telegram's answers to two tries were lost".into()),
        updated_at: NOW.minus(30),
    });
    press(&mut a, "enter");
    for (w, h) in SIZES {
        let screen = text_of(&render(&mut a, w, h));
        assert!(screen.contains("Your refund is approved."), "{screen}");
        assert!(screen.contains("MAY NOT HAVE ARRIVED"), "{screen}");
    }
}

#[test]
fn narrow_customer_panel() {
    let mut a = scene(Colors::Basic);
    press(&mut a, "enter");
    press(&mut a, "c");
    let buf = render(&mut a, 80, 24);
    insta::assert_snapshot!("customer_80x24", text_of(&buf));
}

#[test]
fn macro_picker_with_fuzzy_query() {
    let mut a = scene(Colors::Basic);
    press(&mut a, "enter");
    press(&mut a, "i");
    typed(&mut a, "/");
    typed(&mut a, "sol");
    shot(&mut a, "macros");
}

#[test]
fn palette() {
    let mut a = scene(Colors::Basic);
    press(&mut a, "ctrl-p");
    typed(&mut a, "status");
    shot(&mut a, "palette");
}

#[test]
fn help() {
    let mut a = scene(Colors::Basic);
    press(&mut a, "?");
    shot(&mut a, "help");
}

#[test]
fn alerts_list_and_badge() {
    let mut a = scene(Colors::Basic);
    a.handle(Input::Tick(NOW.plus(1)));
    press(&mut a, "!");
    shot(&mut a, "alerts");
}

#[test]
fn sla_colours_follow_the_clock() {
    // The same ticket at three instants: green, yellow, red.
    let mut a = scene(Colors::Basic);
    press(&mut a, "h");
    let row_of = |buf: &Buffer, number: &str| {
        let text = text_of(buf);
        let y = text.lines().position(|l| l.contains(number)).unwrap() as u16;
        (3..11)
            .map(|x| buf[(x, y)].fg)
            .find(|c| *c != Color::Reset)
            .unwrap()
    };
    let buf = render(&mut a, 80, 24);
    assert_eq!(row_of(&buf, "10001"), Color::Green);
    a.handle(Input::Tick(NOW.plus(2400 - 200)));
    let buf = render(&mut a, 80, 24);
    assert_eq!(row_of(&buf, "10001"), Color::Yellow);
    a.handle(Input::Tick(NOW.plus(2401)));
    let buf = render(&mut a, 80, 24);
    assert_eq!(row_of(&buf, "10001"), Color::Red);
    assert!(text_of(&buf).contains("1s over"));
    assert_eq!(a.screen, Screen::Queues);
}

#[test]
fn palette_without_a_safe_default() {
    // "to" matches assign/escalate/transfer first: nothing is highlighted,
    // and the hint says why.
    let mut a = scene(Colors::Basic);
    press(&mut a, "ctrl-p");
    typed(&mut a, "to");
    shot(&mut a, "palette_no_default");
}

#[test]
fn escalation_prompt_shows_what_the_customer_gets() {
    let mut a = scene(Colors::Basic);
    press(&mut a, "ctrl-p");
    typed(&mut a, "escalate");
    press(&mut a, "enter");
    let Some(agent_tui::overlay::Overlay::Prompt(p)) = &mut a.overlay else {
        panic!("the escalation prompt")
    };
    p.preview = agent_tui::overlay::Preview::Texts {
        texts: vec!["Ваше питання передано експерту. Ми повернемося до 12:30 EET.".into()],
        language: Some("uk".into()),
    };
    typed(&mut a, "needs refund rights");
    shot(&mut a, "escalate_prompt");
}

#[test]
fn a_note_written_offline_shows_as_not_sent() {
    let mut a = scene(Colors::Basic);
    a.conn = ConnState::Offline {
        reason: "connection refused at ws://127.0.0.1:8470/v1/ws: is relay-server running there?"
            .into(),
        retry_at: NOW.plus(9),
    };
    press(&mut a, "enter");
    press(&mut a, "i");
    press(&mut a, "ctrl-t");
    typed(&mut a, "call them back at 5");
    press(&mut a, "enter");
    let text = text_of(&render(&mut a, 80, 24));
    assert!(text.contains("NOTE · You · not sent yet"), "{text}");
    assert!(text.contains("call them back at 5"), "{text}");
    // Still a note: the mode stuck.
    assert!(text.contains("Internal note"), "{text}");
}

#[test]
fn too_small_says_so() {
    let mut a = scene(Colors::Basic);
    let text = text_of(&render(&mut a, 60, 20));
    assert!(text.contains("needs at least 80x24"), "{text}");
    assert!(text.contains("60x20"), "{text}");
}

#[test]
fn groups_list_and_conversation() {
    let mut a = scene(Colors::Basic);
    add_groups(&mut a.mirror);
    a.rows_dirty = true;
    a.refresh_rows();
    press(&mut a, "w");
    assert_eq!(a.screen, Screen::Groups);
    shot(&mut a, "groups_list");
    press(&mut a, "enter");
    assert_eq!(a.screen, Screen::Group(ConversationId(1)));
    shot(&mut a, "group_conversation");
    // Replying asks for the text, names where it goes.
    press(&mut a, "r");
    typed(&mut a, "Looking into it now");
    shot(&mut a, "group_reply_prompt");
}

#[test]
fn held_messages_list_and_detail() {
    let mut a = scene(Colors::Basic);
    add_groups(&mut a.mirror);
    add_held(&mut a.mirror);
    a.rows_dirty = true;
    a.refresh_rows();
    press(&mut a, "Q");
    assert_eq!(a.screen, Screen::Quarantine);
    shot(&mut a, "held_list");
    // Ban asks once more, naming who and where.
    press(&mut a, "j");
    press(&mut a, "B");
    shot(&mut a, "held_ban_asks");
}

#[test]
fn the_leads_dashboard() {
    let mut a = scene(Colors::Basic);
    // A colleague away and one offline, to show the load column.
    for (id, name, presence) in [(3, "Chen", Presence::Away), (4, "Daria", Presence::Offline)] {
        let mut agent = a.mirror.agents[&AgentId(1)].clone();
        agent.id = AgentId(id);
        agent.name = name.to_lowercase();
        agent.display_name = name.into();
        agent.presence = presence;
        a.mirror.agents.insert(agent.id, agent);
    }
    press(&mut a, "D");
    assert_eq!(a.screen, Screen::Dashboard);
    // Asked once; the answer comes back through the network path.
    let asked: Vec<CommandId> = a
        .reads
        .iter()
        .filter(|(_, r)| **r == agent_tui::state::Read::DeskFigures)
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(asked.len(), 1);
    let text = text_of(&render(&mut a, 80, 24));
    assert!(text.contains("Counting today's figures"), "{text}");
    a.handle(Input::Net(agent_tui::net::NetEvent::Frame(
        ServerMessage::Ok {
            id: asked[0].clone(),
            seq: None,
            result: CommandResult::DeskFigures {
                figures: Box::new(desk_figures()),
            },
        },
    )));
    shot(&mut a, "dashboard");
    // A failed ask says so, and the key asks again.
    a.dashboard = None;
    let text = text_of(&render(&mut a, 80, 24));
    assert!(text.contains("No figures yet: D asks again."), "{text}");
    press(&mut a, "D");
    assert!(
        a.reads
            .values()
            .any(|r| *r == agent_tui::state::Read::DeskFigures)
    );
}
