//! The top line: the queue screen and the open chats as tabs (with unread
//! and unanswered badges), and the connection state.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::text;
use crate::state::{App, ConnState, Screen};
use crate::views;

/// The connection state, always visible.
pub fn conn_label(app: &App) -> (String, Style) {
    let t = &app.theme;
    let unsent = app.pending.iter().filter(|p| !p.sent).count();
    let waiting = if unsent > 0 {
        format!(" · {unsent} unsent")
    } else {
        String::new()
    };
    match &app.conn {
        // Without a bot, replies are kept but nothing sends them.
        ConnState::Online if !app.telegram => (
            "● online · no Telegram bot: replies wait".into(),
            t.sla(crate::sla::Level::Warning),
        ),
        ConnState::Online => ("● online".into(), t.good()),
        ConnState::Syncing => ("◐ syncing".into(), t.sla(crate::sla::Level::Warning)),
        ConnState::Connecting { attempt } if *attempt <= 1 => {
            (format!("◌ connecting{waiting}"), t.dim())
        }
        ConnState::Connecting { attempt } => (
            format!("◌ reconnecting (try {attempt}){waiting}"),
            t.error(),
        ),
        ConnState::Offline { retry_at, .. } => {
            let secs = ((retry_at.0 - app.now.0).max(0) + 999) / 1000;
            (format!("○ offline, retry {secs}s{waiting}"), t.error())
        }
        ConnState::Refused { .. } => ("✗ not connected".into(), t.error()),
    }
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let (conn, conn_style) = conn_label(app);
    let conn_w = text::width(&conn) + 1;
    let queues = if area.width < 100 && !app.chats.is_empty() {
        " Q "
    } else {
        " Queues "
    };
    let mut spans = vec![Span::styled(queues, t.tab(app.screen == Screen::Queues))];
    // Customer groups, when this engineer reads any: how many wait.
    let groups = if app.mirror.groups.is_empty() {
        String::new()
    } else {
        let (waiting, overdue) = crate::groups::counts(&app.mirror, app.now);
        match (waiting, overdue) {
            (0, _) => " Groups ".to_owned(),
            (w, 0) => format!(" Groups {w} "),
            (w, o) => format!(" Groups {w} {o}! "),
        }
    };
    if !groups.is_empty() {
        let in_groups = matches!(app.screen, Screen::Groups | Screen::Group(_));
        let (_, overdue) = crate::groups::counts(&app.mirror, app.now);
        let style = if in_groups {
            t.tab(true)
        } else if overdue > 0 {
            t.sla(crate::sla::Level::Breached)
        } else {
            Style::new()
        };
        spans.push(Span::raw("│"));
        spans.push(Span::styled(groups.clone(), style));
    }
    // Held messages waiting for staff.
    let held = match crate::quarantine::waiting(&app.mirror) {
        0 => String::new(),
        n => format!(" Held {n} "),
    };
    if !held.is_empty() {
        let style = if app.screen == Screen::Quarantine {
            t.tab(true)
        } else {
            t.sla(crate::sla::Level::Warning)
        };
        spans.push(Span::raw("│"));
        spans.push(Span::styled(held.clone(), style));
    }
    let held_w = if held.is_empty() {
        0
    } else {
        text::width(&held) + 1
    };
    let room = usize::from(area.width)
        .saturating_sub(conn_w + text::width(queues) + text::width(&groups) + held_w + 2);
    let per_tab = if app.chats.is_empty() {
        0
    } else {
        (room / app.chats.len()).clamp(9, 22)
    };
    let mut used = 0;
    for (i, chat) in app.chats.iter().enumerate() {
        let Some(ticket) = app.ticket(chat.ticket) else {
            continue;
        };
        let first = app
            .customer_of(ticket)
            .map_or("?", |c| c.first_name.as_str());
        // Two chats with customers of one first name: tell them apart.
        let twin = app.chats.iter().any(|c| {
            c.ticket != chat.ticket
                && app
                    .ticket(c.ticket)
                    .and_then(|x| app.customer_of(x))
                    .is_some_and(|x| x.first_name == first)
        });
        let suffix = if twin {
            format!("#{}", ticket.number)
        } else {
            String::new()
        };
        let unread = views::unread(&app.mirror, chat.ticket);
        let mut badges = String::new();
        if unread > 0 {
            badges.push_str(&format!("*{unread}"));
        }
        if ticket.waiting_since.is_some() {
            badges.push('!');
        }
        let key = if i == 9 { 0 } else { i + 1 };
        let label_room = per_tab.saturating_sub(text::width(&badges) + 4);
        let badges = if badges.is_empty() {
            badges
        } else {
            format!(" {badges}")
        };
        let name_room = label_room.saturating_sub(text::width(&suffix)).max(2);
        let label = format!(
            " {key}:{}{suffix}{badges} ",
            text::truncate(first, name_room)
        );
        used += text::width(&label) + 1;
        if used > room {
            spans.push(Span::styled(" …", t.dim()));
            break;
        }
        spans.push(Span::raw("│"));
        let active = app.screen == Screen::Chat(i);
        let style = if active {
            t.tab(true)
        } else if ticket.waiting_since.is_some() {
            t.sla(crate::sla::Level::Warning)
        } else {
            Style::new()
        };
        spans.push(Span::styled(label, style));
    }
    let left = Line::from(spans);
    f.render_widget(left, area);
    let right = Rect::new(
        area.x + area.width.saturating_sub(conn_w as u16),
        area.y,
        (conn_w as u16).min(area.width),
        1,
    );
    f.render_widget(Line::styled(format!("{conn} "), conn_style), right);
}
