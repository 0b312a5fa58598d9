//! State transitions, driven through `App::handle` as the loop does.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use shared::*;

use super::{Effect, Input};
use crate::compose::SendAs;
use crate::config::Alerts;
use crate::fixtures::*;
use crate::keymap::{Key, Keymap};
use crate::net::NetEvent;
use crate::state::{App, ConnState, Focus, Overlay, Screen};

fn app() -> App {
    let mut a = App::new(
        Keymap::default(),
        Alerts::default(),
        jiff::tz::TimeZone::UTC,
        "t".into(),
        NOW,
    );
    a.mirror = mirror();
    a.me = a.mirror.agents.get(&ME).cloned();
    a.conn = ConnState::Online;
    a.rows_dirty = true;
    a.refresh_rows();
    a
}

fn press(a: &mut App, key: &str) -> Vec<Effect> {
    a.handle(Input::Key(Key::parse(key).unwrap().event()))
}

fn typed(a: &mut App, s: &str) {
    for c in s.chars() {
        a.handle(Input::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
}

fn sent(fx: &[Effect]) -> Vec<Command> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Send(ClientMessage::Command { command, .. }) => Some(command.clone()),
            _ => None,
        })
        .collect()
}

fn with_tickets() -> App {
    let mut a = app();
    let t1 = add_ticket(&mut a.mirror, 1, |t| t.assignee = Some(ME));
    add_message(
        &mut a.mirror,
        t1,
        1,
        MessageKind::Inbound,
        "hello",
        NOW.minus(120),
    );
    let t2 = add_ticket(&mut a.mirror, 2, |t| t.waiting_since = Some(NOW.minus(300)));
    add_message(
        &mut a.mirror,
        t2,
        2,
        MessageKind::Inbound,
        "anyone?",
        NOW.minus(300),
    );
    a.mirror.read.insert(t1, MessageId(1));
    a.rows_dirty = true;
    a.handle(Input::Resize);
    a
}

#[test]
fn queue_tabs_selection_and_opening_chats() {
    let mut a = with_tickets();
    // Mine holds ticket 1.
    assert_eq!(a.rows, vec![TicketId(1)]);
    press(&mut a, "l");
    assert_eq!(a.tabs[a.queue_tab].title(), "Unassigned");
    assert_eq!(a.rows, vec![TicketId(2)]);
    press(&mut a, "h");
    press(&mut a, "h");
    assert_eq!(a.tabs[a.queue_tab].title(), "All");
    // The waiting one first.
    assert_eq!(a.rows, vec![TicketId(2), TicketId(1)]);
    press(&mut a, "j");
    assert_eq!(a.queue_sel, 1);
    let fx = press(&mut a, "enter");
    assert_eq!(a.screen, Screen::Chat(0));
    // Viewing a chat marks it read up to its newest message... already read.
    assert!(
        sent(&fx)
            .iter()
            .all(|c| !matches!(c, Command::MarkRead { .. }))
    );
    press(&mut a, "q");
    assert_eq!(a.screen, Screen::Queues);
    press(&mut a, "k");
    let fx = press(&mut a, "o");
    assert_eq!(a.chats.len(), 2);
    assert!(sent(&fx).contains(&Command::MarkRead {
        ticket_id: TicketId(2),
        up_to: MessageId(2)
    }));
    // Chats by number, and round with tab.
    press(&mut a, "1");
    assert_eq!(a.current_ticket(), Some(TicketId(1)));
    press(&mut a, "tab");
    assert_eq!(a.current_ticket(), Some(TicketId(2)));
    press(&mut a, "tab");
    assert_eq!(a.screen, Screen::Queues);
    press(&mut a, "alt-2");
    press(&mut a, "x");
    assert_eq!(a.chats.len(), 1);
    assert_eq!(a.screen, Screen::Chat(0));
}

#[test]
fn the_queue_view_follows_the_work_until_a_tab_is_chosen() {
    let mut a = app();
    assert_eq!(a.tabs[a.queue_tab].title(), "Mine");
    // An unassigned ticket arrives: the view goes where it is.
    add_ticket(&mut a.mirror, 1, |_| {});
    a.rows_dirty = true;
    a.handle(Input::Resize);
    assert_eq!(a.tabs[a.queue_tab].title(), "Unassigned");
    assert_eq!(a.rows, vec![TicketId(1)]);
    // It is assigned to me: Unassigned empties, Mine has it.
    a.mirror.tickets.get_mut(&TicketId(1)).unwrap().assignee = Some(ME);
    a.rows_dirty = true;
    a.handle(Input::Resize);
    assert_eq!(a.tabs[a.queue_tab].title(), "Mine");
    // Once the engineer picks a tab, it stays, empty or not.
    press(&mut a, "l");
    assert_eq!(a.tabs[a.queue_tab].title(), "Unassigned");
    a.rows_dirty = true;
    a.handle(Input::Resize);
    assert_eq!(a.tabs[a.queue_tab].title(), "Unassigned");
}

#[test]
fn next_waiting_opens_the_longest_waiting_even_when_highlighted() {
    let mut a = with_tickets();
    // The All tab highlights the customer who waited longest: `n` opens
    // exactly that one, it does not skip it.
    press(&mut a, "h");
    assert_eq!(a.tabs[a.queue_tab].title(), "All");
    assert_eq!(a.current_ticket(), Some(TicketId(2)));
    press(&mut a, "n");
    assert_eq!(a.screen, Screen::Chat(0));
    assert_eq!(a.current_ticket(), Some(TicketId(2)));
    // The chat on screen is the only one left out: nothing else waits.
    press(&mut a, "n");
    assert_eq!(
        a.flash.as_ref().unwrap().text,
        "nobody is waiting for a reply"
    );
}

#[test]
fn next_waiting_weighs_open_chats_and_queues_alike() {
    let mut a = with_tickets();
    // Ticket 1 (mine, open as a chat) starts waiting after ticket 3 (in
    // the queue, not open): the queue's customer waited longer.
    let t3 = add_ticket(&mut a.mirror, 3, |t| t.waiting_since = Some(NOW.minus(900)));
    a.mirror
        .tickets
        .get_mut(&TicketId(1))
        .unwrap()
        .waiting_since = Some(NOW.minus(60));
    a.rows_dirty = true;
    a.handle(Input::Resize);
    press(&mut a, "enter");
    assert_eq!(a.current_ticket(), Some(TicketId(1)));
    press(&mut a, "q");
    press(&mut a, "n");
    assert_eq!(a.current_ticket(), Some(t3));
    press(&mut a, "n");
    assert_eq!(a.current_ticket(), Some(TicketId(2)));
    press(&mut a, "n");
    assert_eq!(a.current_ticket(), Some(t3));
}

#[test]
fn compose_send_reply_note_and_drafts_per_ticket() {
    let mut a = with_tickets();
    press(&mut a, "ctrl-n");
    press(&mut a, "i");
    assert_eq!(a.focus, Focus::Compose);
    typed(&mut a, "Looking 1 sec");
    // Digits are text in the compose box.
    assert_eq!(a.drafts[&TicketId(2)].text, "Looking 1 sec");
    press(&mut a, "alt-enter");
    typed(&mut a, "ok");
    // Switch away and back: the draft is kept.
    press(&mut a, "esc");
    press(&mut a, "q");
    press(&mut a, "enter");
    press(&mut a, "1");
    assert_eq!(a.drafts[&TicketId(2)].text, "Looking 1 sec\nok");
    press(&mut a, "i");
    let fx = press(&mut a, "enter");
    assert_eq!(
        sent(&fx),
        vec![Command::Reply {
            ticket_id: TicketId(2),
            text: "Looking 1 sec\nok".into()
        }]
    );
    assert!(a.drafts.get(&TicketId(2)).is_none_or(|d| d.is_empty()));
    assert_eq!(a.pending.len(), 1);
    // A note.
    press(&mut a, "ctrl-t");
    typed(&mut a, "check logs");
    let fx = press(&mut a, "enter");
    assert_eq!(
        sent(&fx),
        vec![Command::Note {
            ticket_id: TicketId(2),
            text: "check logs".into()
        }]
    );
    // Note mode sticks until switched back.
    assert_eq!(a.drafts[&TicketId(2)].send_as, SendAs::Note);
    press(&mut a, "ctrl-t");
    assert_eq!(
        a.drafts.get(&TicketId(2)).map(|d| d.send_as),
        Some(SendAs::Reply)
    );
    // Empty and oversize texts are refused with a reason.
    let fx = press(&mut a, "enter");
    assert!(sent(&fx).is_empty());
    a.handle(Input::Paste("x".repeat(MAX_TEXT_UTF16 + 1)));
    let fx = press(&mut a, "enter");
    assert!(sent(&fx).is_empty());
    assert!(
        a.flash.as_ref().unwrap().text.contains("too long"),
        "{:?}",
        a.flash
    );
}

#[test]
fn offline_commands_wait_and_go_once_on_reconnect() {
    let mut a = with_tickets();
    a.handle(Input::Net(NetEvent::Disconnected {
        reason: "x".into(),
        retry_in: std::time::Duration::from_secs(2),
    }));
    assert!(matches!(a.conn, ConnState::Offline { .. }));
    press(&mut a, "enter");
    press(&mut a, "i");
    typed(&mut a, "sorry for the wait");
    let fx = press(&mut a, "enter");
    assert!(sent(&fx).is_empty(), "nothing goes out while offline");
    let fx = press(&mut a, "esc");
    assert!(fx.is_empty());
    let fx = press(&mut a, "t");
    assert!(sent(&fx).is_empty());
    assert_eq!(a.pending.len(), 2);
    let welcome = relay_client::Welcome {
        agent: a.me.clone().unwrap(),
        sync: SyncMode::Events,
        snapshot_tail: 50,
        server_version: "test".into(),
        time_zone: Some("Europe/Kyiv".into()),
        telegram: true,
    };
    let fx = a.handle(Input::Net(NetEvent::Connected(welcome.clone())));
    let cmds = sent(&fx);
    assert_eq!(
        cmds[0],
        Command::Reply {
            ticket_id: TicketId(1),
            text: "sorry for the wait".into()
        }
    );
    assert_eq!(
        cmds[1],
        Command::Take {
            ticket_id: TicketId(1)
        }
    );
    // Confirmed ones leave; a drop before the answer resends with the same id.
    let ids: Vec<CommandId> = a.pending.iter().map(|p| p.id.clone()).collect();
    a.handle(Input::Net(NetEvent::Frame(ServerMessage::Ok {
        id: ids[1].clone(),
        seq: None,
        result: CommandResult::Unchanged,
    })));
    a.handle(Input::Net(NetEvent::Disconnected {
        reason: "x".into(),
        retry_in: std::time::Duration::from_secs(1),
    }));
    let fx = a.handle(Input::Net(NetEvent::Connected(welcome)));
    let again: Vec<CommandId> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Send(ClientMessage::Command {
                id,
                command: Command::Reply { .. },
            }) => Some(id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(again, vec![ids[0].clone()]);
    // A refused reply goes back to the draft.
    a.handle(Input::Net(NetEvent::Frame(ServerMessage::Error {
        id: Some(ids[0].clone()),
        code: ErrorCode::Conflict,
        message: "ticket #10001 is closed".into(),
    })));
    assert!(a.pending.is_empty());
    assert_eq!(a.drafts[&TicketId(1)].text, "sorry for the wait");
    assert!(a.flash.as_ref().unwrap().error);
}

#[test]
fn macro_picker_fuzzy_fill_and_fields() {
    let mut a = with_tickets();
    press(&mut a, "enter");
    press(&mut a, "i");
    // `/` in an empty box opens the picker.
    typed(&mut a, "/");
    assert!(matches!(a.overlay, Some(Overlay::Macros(_))));
    typed(&mut a, "nd dtl");
    let Some(Overlay::Macros(p)) = &a.overlay else {
        panic!()
    };
    assert_eq!(a.mirror.macros[&p.chosen().unwrap()].shortcut, "details");
    press(&mut a, "enter");
    assert!(a.overlay.is_none());
    let d = &a.drafts[&TicketId(1)];
    assert_eq!(
        d.text,
        "We need: {field}. Just reply to this message. Timeout: 24 h."
    );
    assert_eq!(d.selection, Some((9, 16)));
    // Sending with the field unfilled is refused.
    let fx = press(&mut a, "enter");
    assert!(sent(&fx).is_empty());
    typed(&mut a, "your order number");
    let fx = press(&mut a, "enter");
    assert_eq!(
        sent(&fx),
        vec![Command::Reply {
            ticket_id: TicketId(1),
            text: "We need: your order number. Just reply to this message. Timeout: 24 h.".into()
        }]
    );
    // Known variables are filled from the ticket.
    press(&mut a, "ctrl-k");
    typed(&mut a, "frst rep");
    press(&mut a, "enter");
    assert_eq!(
        a.drafts[&TicketId(1)].text,
        "Hi Olena! I'm Anna. I see ticket #10001 and am on it."
    );
    // Esc from a slash-opened picker gives the text back.
    let mut b = with_tickets();
    press(&mut b, "enter");
    press(&mut b, "i");
    typed(&mut b, "/start");
    press(&mut b, "esc");
    assert_eq!(b.drafts[&TicketId(1)].text, "/start");
}

/// The palette's entries as the engineer sees them, in order.
/// Boris (agent 3) works VIP only.
fn add_boris(a: &mut App) {
    let mut boris = a.mirror.agents[&AgentId(2)].clone();
    boris.id = AgentId(3);
    boris.display_name = "Boris".into();
    boris.queues = vec![QueueId::new("VIP")];
    a.mirror.agents.insert(boris.id, boris);
}

fn palette_labels(a: &App) -> Vec<String> {
    let Some(Overlay::Palette(p)) = &a.overlay else {
        panic!("no palette")
    };
    p.hits
        .iter()
        .map(|h| p.items[h.index].label.clone())
        .collect()
}

fn palette_pick(a: &App) -> Option<String> {
    let Some(Overlay::Palette(p)) = &a.overlay else {
        panic!("no palette")
    };
    p.chosen().map(|i| i.label.clone())
}

/// Answers the preview the effects asked for, as the server would.
fn answer_preview(a: &mut App, fx: &[Effect], texts: &[&str]) {
    let id = fx
        .iter()
        .find_map(|e| match e {
            Effect::Send(ClientMessage::Command {
                id,
                command: Command::Preview { .. },
            }) => Some(id.clone()),
            _ => None,
        })
        .expect("a preview was asked");
    a.handle(Input::Net(NetEvent::Frame(ServerMessage::Ok {
        id,
        seq: None,
        result: CommandResult::Preview {
            texts: texts.iter().map(|t| (*t).to_owned()).collect(),
            language: Some("en".into()),
        },
    })));
}

#[test]
fn palette_runs_actions_with_prompts() {
    let mut a = with_tickets();
    press(&mut a, "ctrl-p");
    typed(&mut a, "escal");
    let fx = press(&mut a, "enter");
    // The escalation prompt asks the server what the customer will get.
    assert!(matches!(
        &sent(&fx)[..],
        [Command::Preview { ticket_id: TicketId(1), command }]
            if matches!(**command, Command::Transfer { tell_customer: true, .. })
    ));
    assert!(matches!(a.overlay, Some(Overlay::Prompt(_))));
    typed(&mut a, "needs refund rights");
    // Enter waits until the customer's text has been shown.
    let early = press(&mut a, "enter");
    assert!(sent(&early).is_empty());
    answer_preview(&mut a, &fx, &["Your question went to an expert."]);
    let fx = press(&mut a, "enter");
    assert_eq!(
        sent(&fx),
        vec![Command::Transfer {
            ticket_id: TicketId(1),
            queue: Some(QueueId::new("L2")),
            agent_id: None,
            note: Some("needs refund rights".into()),
            tell_customer: true,
        }]
    );
    press(&mut a, ":");
    typed(&mut a, "prio crit");
    let fx = press(&mut a, "enter");
    assert_eq!(
        sent(&fx),
        vec![Command::SetPriority {
            ticket_id: TicketId(1),
            priority: Priority::Critical
        }]
    );
    press(&mut a, ":");
    typed(&mut a, "add tags");
    press(&mut a, "enter");
    typed(&mut a, "#Billing, refund");
    let fx = press(&mut a, "enter");
    assert_eq!(
        sent(&fx),
        vec![Command::SetTags {
            ticket_id: TicketId(1),
            add: vec!["billing".into(), "refund".into()],
            remove: vec![]
        }]
    );
    press(&mut a, ":");
    typed(&mut a, "close summary");
    let asked = press(&mut a, "enter");
    answer_preview(
        &mut a,
        &asked,
        &["Ticket #10001 is resolved. How did we do?"],
    );
    // An empty summary does not close, and says why in the prompt.
    let fx = press(&mut a, "enter");
    assert!(sent(&fx).is_empty());
    let Some(Overlay::Prompt(p)) = &a.overlay else {
        panic!("the close prompt stays")
    };
    assert!(p.error.as_deref().unwrap().contains("summary"));
    typed(&mut a, "refunded");
    let fx = press(&mut a, "enter");
    assert_eq!(
        sent(&fx),
        vec![
            Command::Note {
                ticket_id: TicketId(1),
                text: "Summary: refunded".into()
            },
            Command::SetStatus {
                ticket_id: TicketId(1),
                status: TicketStatus::Resolved
            }
        ]
    );
    assert_eq!(
        a.flash.as_ref().unwrap().text,
        "#10001 closed with a summary"
    );
    // Ask for details: the macro, then waiting on the customer once sent.
    press(&mut a, ":");
    typed(&mut a, "ask details");
    press(&mut a, "enter");
    assert_eq!(a.focus, Focus::Compose);
    typed(&mut a, "a screenshot");
    let fx = press(&mut a, "enter");
    let cmds = sent(&fx);
    assert!(
        matches!(&cmds[0], Command::Reply { text, .. } if text.starts_with("We need: a screenshot."))
    );
    assert_eq!(
        cmds[1],
        Command::SetStatus {
            ticket_id: TicketId(1),
            status: TicketStatus::PendingOnCustomer
        }
    );
    // Esc cancels.
    press(&mut a, "ctrl-p");
    press(&mut a, "esc");
    assert!(a.overlay.is_none());
    assert_eq!(
        a.drafts
            .get(&TicketId(1))
            .map(|d| d.send_as)
            .unwrap_or_default(),
        SendAs::Reply
    );
}

#[test]
fn the_palette_never_defaults_to_what_reaches_the_customer() {
    let mut a = with_tickets();
    // The ticket is mine: an empty query offers a safe entry first.
    press(&mut a, "ctrl-p");
    assert!(
        palette_pick(&a).unwrap().starts_with("Note"),
        "{:?}",
        palette_pick(&a)
    );
    // "note" + Enter writes a note; it does not escalate.
    typed(&mut a, "note");
    assert!(palette_pick(&a).unwrap().starts_with("Note"));
    let fx = press(&mut a, "enter");
    // (Opening the chat reads it; nothing else goes.)
    assert!(
        sent(&fx)
            .iter()
            .all(|c| matches!(c, Command::MarkRead { .. } | Command::History { .. })),
        "{fx:?}"
    );
    assert_eq!(a.focus, Focus::Compose);
    assert_eq!(a.drafts[&TicketId(1)].send_as, SendAs::Note);
    press(&mut a, "esc");
    // An exact verb ranks first: "close" is closing, not "Unassign ... L1".
    press(&mut a, "q");
    press(&mut a, "ctrl-p");
    typed(&mut a, "close");
    assert!(palette_labels(&a)[0].starts_with("Close #10001"));
    press(&mut a, "esc");
    // An ambiguous query whose best match reaches the customer or moves
    // the ticket has no default: Enter runs nothing until one is chosen.
    press(&mut a, "ctrl-p");
    typed(&mut a, "to");
    assert!(!palette_labels(&a).is_empty());
    assert_eq!(palette_pick(&a), None, "{:?}", palette_labels(&a));
    let fx = press(&mut a, "enter");
    assert!(sent(&fx).is_empty());
    assert!(matches!(a.overlay, Some(Overlay::Palette(_))));
    press(&mut a, "down");
    assert!(palette_pick(&a).is_some());
    press(&mut a, "esc");
    // Assigning is offered only to colleagues who serve the ticket's queue.
    add_boris(&mut a);
    press(&mut a, "ctrl-p");
    typed(&mut a, "assign");
    let labels = palette_labels(&a);
    assert!(labels.iter().any(|l| l.contains("Bohdan")), "{labels:?}");
    assert!(labels.iter().all(|l| !l.contains("Boris")), "{labels:?}");
}

#[test]
fn the_palette_offers_no_change_the_server_would_refuse() {
    let mut a = with_tickets();
    // A ticket of a queue Anna does not work, someone else's.
    add_ticket(&mut a.mirror, 9, |t| {
        t.queue = QueueId::new("VIP");
        t.assignee = Some(AgentId(2));
    });
    a.rows_dirty = true;
    a.queue_tab = a.tabs.len() - 1;
    a.handle(Input::Resize);
    assert_eq!(a.tabs[a.queue_tab].title(), "All");
    let row = a.rows.iter().position(|r| *r == TicketId(9)).unwrap();
    a.queue_sel = row;
    press(&mut a, "ctrl-p");
    let labels = palette_labels(&a);
    assert!(labels.iter().all(|l| !l.contains("#10009")), "{labels:?}");
}

#[test]
fn a_palette_entry_that_messages_the_customer_is_confirmed_with_its_text() {
    let mut a = with_tickets();
    press(&mut a, "l");
    // Unassigned ticket 2: "take" names the action exactly.
    press(&mut a, "ctrl-p");
    typed(&mut a, "take");
    let fx = press(&mut a, "enter");
    let [Command::Preview { command, .. }] = &sent(&fx)[..] else {
        panic!("a preview first: {fx:?}")
    };
    assert_eq!(
        **command,
        Command::Take {
            ticket_id: TicketId(2)
        }
    );
    let Some(Overlay::Prompt(p)) = &a.overlay else {
        panic!("a confirmation")
    };
    let crate::overlay::Preview::Loading(id) = p.preview.clone() else {
        panic!("asked")
    };
    // The server renders what the customer would get.
    a.handle(Input::Net(NetEvent::Frame(ServerMessage::Ok {
        id,
        seq: None,
        result: CommandResult::Preview {
            texts: vec!["Тікет #10002: Anna взяла ваш запит.".into()],
            language: Some("uk".into()),
        },
    })));
    let Some(Overlay::Prompt(p)) = &a.overlay else {
        panic!("still confirming")
    };
    assert!(matches!(&p.preview, crate::overlay::Preview::Texts { texts, .. } if texts.len() == 1));
    let fx = press(&mut a, "enter");
    assert_eq!(
        sent(&fx),
        vec![Command::Take {
            ticket_id: TicketId(2)
        }]
    );
}

#[test]
fn macros_go_in_the_customers_language() {
    let mut a = with_tickets();
    a.mirror.customers.get_mut(&CustomerId(1)).unwrap().language = Some("uk".into());
    press(&mut a, "enter");
    press(&mut a, "m");
    typed(&mut a, "hi");
    press(&mut a, "enter");
    assert_eq!(
        a.drafts[&TicketId(1)].text,
        "Вітаю, Olena! Я Anna. Бачу тікет #10001 і вже працюю над ним."
    );
    assert!(a.flash.is_none(), "{:?}", a.flash);
    // A macro with no Ukrainian body says so before anything is sent.
    press(&mut a, "esc");
    press(&mut a, "ctrl-k");
    typed(&mut a, "escal");
    press(&mut a, "enter");
    let f = a.flash.clone().unwrap();
    assert!(f.error && f.text.contains("no Ukrainian text"), "{f:?}");
}

#[test]
fn help_alerts_and_quit() {
    let mut a = with_tickets();
    press(&mut a, "?");
    assert!(matches!(a.overlay, Some(Overlay::Help(_))));
    press(&mut a, "esc");
    assert!(a.overlay.is_none());
    // Ticket 2 waits 5 minutes: an alert that rings, repeats, and stops on ack.
    let fx = a.handle(Input::Tick(NOW.plus(1)));
    assert!(fx.contains(&Effect::Bell));
    assert_eq!(a.alerts.unacked(), 1);
    let fx = a.handle(Input::Tick(NOW.plus(62)));
    assert!(fx.contains(&Effect::Bell));
    press(&mut a, "a");
    assert_eq!(a.alerts.unacked(), 0);
    let fx = a.handle(Input::Tick(NOW.plus(130)));
    assert!(!fx.contains(&Effect::Bell));
    press(&mut a, "!");
    assert!(matches!(a.overlay, Some(Overlay::Alerts(_))));
    press(&mut a, "enter");
    assert_eq!(a.current_ticket(), Some(TicketId(2)));
    // Quit asks again while a command is unconfirmed.
    press(&mut a, "t");
    press(&mut a, "ctrl-c");
    assert!(!a.quit);
    press(&mut a, "ctrl-c");
    assert!(a.quit);
}

#[test]
fn gaps_resync_and_closed_tickets_close_their_chats() {
    let mut a = with_tickets();
    press(&mut a, "enter");
    let seq = a.mirror.seq;
    let mut t = a.mirror.tickets[&TicketId(1)].clone();
    t.status = TicketStatus::Closed;
    let ev = |n: u64, t: &Ticket| EventEnvelope {
        seq: Seq(n),
        at: NOW,
        event: Event::TicketUpdated {
            ticket: t.clone(),
            by: None,
            change: TicketChange::Status {
                from: TicketStatus::Open,
                to: TicketStatus::Closed,
            },
        },
    };
    let fx = a.handle(Input::Net(NetEvent::Frame(ServerMessage::Events {
        events: vec![ev(seq.0 + 5, &t)],
    })));
    assert_eq!(fx, vec![Effect::Resync]);
    a.conn = ConnState::Online;
    a.handle(Input::Net(NetEvent::Frame(ServerMessage::Events {
        events: vec![ev(seq.0 + 1, &t)],
    })));
    assert!(a.chats.is_empty());
    assert_eq!(a.screen, Screen::Queues);
    assert!(a.rows.iter().all(|r| *r != TicketId(1)));
}

#[test]
fn recomputed_deadlines_reach_the_queue_and_the_customers_history() {
    let mut a = with_tickets();
    let t = a.mirror.tickets[&TicketId(1)].clone();
    a.history.insert(t.customer_id, vec![t.clone()]);
    let sla = SlaDeadlines {
        first_reply_due: Some(Timestamp(NOW.0 + 3_600_000)),
        ..Default::default()
    };
    a.handle(Input::Net(NetEvent::Frame(ServerMessage::Events {
        events: vec![EventEnvelope {
            seq: Seq(a.mirror.seq.0 + 1),
            at: NOW,
            event: Event::SlaRecomputed {
                tickets: vec![TicketSla {
                    ticket_id: TicketId(1),
                    sla: sla.clone(),
                }],
            },
        }],
    })));
    assert_eq!(a.mirror.tickets[&TicketId(1)].sla, sla);
    assert_eq!(a.history[&t.customer_id][0].sla, sla);
}

/// The server says the customer of `ticket` was erased.
fn erase_customer_of(a: &mut App, ticket: TicketId) {
    let customer_id = a.mirror.tickets[&ticket].customer_id;
    a.handle(Input::Net(NetEvent::Frame(ServerMessage::Events {
        events: vec![EventEnvelope {
            seq: Seq(a.mirror.seq.0 + 1),
            at: NOW,
            event: Event::CustomerErased {
                customer_id,
                tickets: vec![ticket],
            },
        }],
    })));
}

#[test]
fn an_erased_customers_open_chat_closes_with_a_reason_and_its_draft_goes() {
    let mut a = with_tickets();
    press(&mut a, "enter");
    let open = a.current_ticket().unwrap();
    press(&mut a, "i");
    typed(&mut a, "checking your order");
    let number = a.mirror.tickets[&open].number;
    erase_customer_of(&mut a, open);
    assert!(a.chats.is_empty());
    assert_eq!(a.screen, Screen::Queues);
    assert!(!a.drafts.contains_key(&open));
    let flash = a.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    assert_eq!(
        flash,
        format!("#{number} erased at the customer's request; draft discarded")
    );
    // A customer whose tickets nobody held goes quietly.
    let other = *a.rows.first().unwrap();
    a.flash = None;
    erase_customer_of(&mut a, other);
    assert!(a.flash.is_none());
    assert!(!a.mirror.tickets.contains_key(&other));
}

#[test]
fn a_supervisor_shares_a_ticket_from_the_palette_and_withdraws_the_share() {
    let mut a = with_tickets();
    // Boris works VIP only: he does not read ticket 1 (L1); Bohdan does.
    add_boris(&mut a);
    press(&mut a, "enter");
    // An agent is offered no share.
    press(&mut a, "ctrl-p");
    typed(&mut a, "share");
    assert!(
        palette_labels(&a).iter().all(|l| !l.contains("Share #")),
        "{:?}",
        palette_labels(&a)
    );
    press(&mut a, "esc");
    a.me.as_mut().unwrap().role = Role::Supervisor;
    press(&mut a, "ctrl-p");
    typed(&mut a, "share");
    let labels = palette_labels(&a);
    assert!(
        labels[0].starts_with("Share #10001 with Boris"),
        "{labels:?}"
    );
    assert!(
        labels.iter().all(|l| !l.contains("with Bohdan")),
        "{labels:?}"
    );
    // The one share the query can mean: run on Enter, nothing told to the customer.
    let fx = press(&mut a, "enter");
    assert_eq!(
        sent(&fx),
        vec![Command::Share {
            ticket_id: TicketId(1),
            agent_id: AgentId(3),
            shared: true
        }]
    );
    // Once shared, the palette offers to withdraw it.
    a.mirror
        .tickets
        .get_mut(&TicketId(1))
        .unwrap()
        .shared_with
        .push(AgentId(3));
    press(&mut a, "ctrl-p");
    typed(&mut a, "unshare");
    assert_eq!(
        palette_pick(&a).as_deref(),
        Some("Unshare #10001 from Boris")
    );
    let fx = press(&mut a, "enter");
    assert_eq!(
        sent(&fx),
        vec![Command::Share {
            ticket_id: TicketId(1),
            agent_id: AgentId(3),
            shared: false
        }]
    );
}

#[test]
fn the_groups_screen_answers_acknowledges_and_makes_tickets() {
    let mut a = app();
    add_groups(&mut a.mirror);
    a.rows_dirty = true;
    a.refresh_rows();
    // Elsewhere, the group keys say where they work.
    assert!(sent(&press(&mut a, "A")).is_empty());
    assert!(a.flash.as_ref().is_some_and(|f| f.error));
    press(&mut a, "w");
    assert_eq!(a.screen, Screen::Groups);
    // The most urgent conversation first: overdue, nobody acknowledged it.
    assert_eq!(a.current_conversation(), Some(ConversationId(1)));
    assert_eq!(
        sent(&press(&mut a, "A")),
        [Command::GroupAck {
            conversation_id: ConversationId(1)
        }]
    );
    press(&mut a, "j");
    assert_eq!(a.current_conversation(), Some(ConversationId(2)));
    assert_eq!(
        sent(&press(&mut a, "+")),
        [Command::GroupTicket {
            conversation_id: ConversationId(2)
        }]
    );
    // Open it, answer: the text goes to the group conversation.
    press(&mut a, "enter");
    assert_eq!(a.screen, Screen::Group(ConversationId(2)));
    press(&mut a, "r");
    press(&mut a, "enter");
    assert!(
        matches!(&a.overlay, Some(Overlay::Prompt(p)) if p.error.is_some()),
        "an empty answer is not sent"
    );
    typed(&mut a, "Yes, three more seats are added");
    assert_eq!(
        sent(&press(&mut a, "enter")),
        [Command::GroupReply {
            conversation_id: ConversationId(2),
            text: "Yes, three more seats are added".into()
        }]
    );
    // Back: the list, then the queues.
    press(&mut a, "q");
    assert_eq!(a.screen, Screen::Groups);
    press(&mut a, "q");
    assert_eq!(a.screen, Screen::Queues);
}

#[test]
fn held_messages_are_approved_at_once_and_banned_on_the_second_press() {
    let mut a = app();
    add_groups(&mut a.mirror);
    add_held(&mut a.mirror);
    a.rows_dirty = true;
    a.refresh_rows();
    // Elsewhere the keys say where they work.
    assert!(sent(&press(&mut a, "y")).is_empty());
    assert!(a.flash.as_ref().is_some_and(|f| f.error));
    press(&mut a, "Q");
    assert_eq!(a.screen, Screen::Quarantine);
    assert_eq!(
        a.current_held(),
        Some(HeldId(1)),
        "the oldest waiting first"
    );
    assert_eq!(
        sent(&press(&mut a, "y")),
        [Command::QuarantineApprove { held_id: HeldId(1) }]
    );
    // The decision comes back: the approved message moves down among the
    // decided, and the selection stays on the next one waiting.
    a.mirror.quarantine.get_mut(&HeldId(1)).unwrap().state = HeldState::Approved;
    a.rows_dirty = true;
    a.refresh_rows();
    assert_eq!(a.current_held(), Some(HeldId(2)));
    assert!(sent(&press(&mut a, "B")).is_empty(), "the first press asks");
    assert!(
        a.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("Anna Rich"))
    );
    // Any other key disarms it.
    press(&mut a, "j");
    press(&mut a, "k");
    assert_eq!(a.current_held(), Some(HeldId(2)));
    assert!(sent(&press(&mut a, "B")).is_empty());
    assert_eq!(
        sent(&press(&mut a, "B")),
        [Command::QuarantineBan { held_id: HeldId(2) }]
    );
    // A decided message is not decided again.
    press(&mut a, "G");
    assert_eq!(a.current_held(), Some(HeldId(1)));
    assert!(sent(&press(&mut a, "y")).is_empty());
    assert!(
        a.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("approved already"))
    );
    press(&mut a, "q");
    assert_eq!(a.screen, Screen::Queues);
}
