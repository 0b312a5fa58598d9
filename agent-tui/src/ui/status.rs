//! The bottom line: a message or key hints, unsent commands and the alert
//! badge.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text;
use crate::action::Action;
use crate::state::{App, ConnState, Focus, Screen};

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let n = app.alerts.unacked();
    let badge = if n > 0 {
        format!(
            " {n} ALERT{} ({}) ",
            if n == 1 { "" } else { "S" },
            app.keymap.hint(Action::AckAlerts)
        )
    } else {
        String::new()
    };
    let badge_w = text::width(&badge);
    let room = usize::from(area.width).saturating_sub(badge_w + 1);
    let (msg, style) = if let ConnState::Refused { reason } = &app.conn {
        (format!("not connected: {reason}"), t.error())
    } else if let Some(fl) = &app.flash {
        (fl.text.clone(), if fl.error { t.error() } else { t.good() })
    } else if let ConnState::Offline { reason, .. } = &app.conn {
        (format!("offline: {reason}"), t.error())
    } else {
        (hints(app, room.saturating_sub(1)), t.dim())
    };
    f.render_widget(
        Line::styled(
            format!(" {}", text::truncate(&msg, room.saturating_sub(1))),
            style,
        ),
        area,
    );
    if n > 0 {
        let x = area.x + area.width.saturating_sub(badge_w as u16);
        f.render_widget(
            Line::from(Span::styled(badge, t.alert())),
            Rect::new(x, area.y, (badge_w as u16).min(area.width), 1),
        );
    }
}

/// Key hints for where the engineer is, as many as fit in `room`
/// columns, most useful first; help is always last.
fn hints(app: &App, room: usize) -> String {
    use Action::*;
    let wanted: &[(Action, &str)] = match (app.screen, app.focus) {
        (Screen::Chat(_), Focus::Compose) => &[
            (Send, "send"),
            (Macros, "macros"),
            (SendAndClose, "send+close"),
            (ToggleNote, "note/reply"),
            (NextField, "field"),
            (Newline, "newline"),
            (Leave, "leave"),
        ],
        (Screen::Chat(_), _) => &[
            (Compose, "write"),
            (Macros, "macro"),
            (CloseTicket, "close"),
            (Palette, "palette"),
            (NextWaiting, "next"),
            (Take, "take"),
            (Customer, "customer"),
            (Back, "queues"),
        ],
        (Screen::Groups, _) => &[
            (Open, "open"),
            (GroupAck, "acknowledge"),
            (GroupTicket, "ticket"),
            (Back, "queues"),
        ],
        (Screen::Group(_), _) => &[
            (Compose, "reply in the group"),
            (GroupAck, "acknowledge"),
            (GroupTicket, "ticket"),
            (Back, "groups"),
        ],
        (Screen::Quarantine, _) => &[(ApproveHeld, "approve"), (BanHeld, "ban"), (Back, "queues")],
        (Screen::Dashboard, _) => &[(NextWaiting, "next waiting"), (Back, "queues")],
        (Screen::Queues, _) => &[
            (Open, "open"),
            (NextWaiting, "next waiting"),
            (Take, "take"),
            (Palette, "palette"),
            (NextQueue, "queue"),
            (Groups, "groups"),
        ],
    };
    let help = format!("{} help", app.keymap.hint(Help));
    let mut out = String::new();
    for (action, word) in wanted {
        let keys = app.keymap.keys(*action);
        let Some(key) = keys.first() else { continue };
        let item = format!("{key} {word}");
        if text::width(&out) + text::width(&item) + 3 + text::width(&help) + 3 > room {
            break;
        }
        out.push_str(&item);
        out.push_str(" · ");
    }
    out.push_str(&help);
    out
}
