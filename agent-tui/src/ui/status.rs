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
        (
            format!("the server refused this token: {reason}. Check --token."),
            t.error(),
        )
    } else if let Some(fl) = &app.flash {
        (fl.text.clone(), if fl.error { t.error() } else { t.good() })
    } else {
        (hints(app), t.dim())
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

fn hints(app: &App) -> String {
    let k = |a| app.keymap.hint(a);
    match (app.screen, app.focus) {
        (Screen::Chat(_), Focus::Compose) => format!(
            "{} send · {} newline · {} macros · {} note/reply · {} field · {} leave",
            k(Action::Send),
            k(Action::Newline),
            k(Action::Macros),
            k(Action::ToggleNote),
            k(Action::NextField),
            k(Action::Leave)
        ),
        (Screen::Chat(_), _) => format!(
            "{} write · {} take · {} palette · {} next waiting · {} customer · {} queues · {} help",
            k(Action::Compose),
            k(Action::Take),
            k(Action::Palette),
            k(Action::NextWaiting),
            k(Action::Customer),
            k(Action::Back),
            k(Action::Help)
        ),
        (Screen::Queues, _) => format!(
            "{} open · {}/{} queue · {} take · {} palette · {} next waiting · {} help",
            k(Action::Open),
            k(Action::PrevQueue),
            k(Action::NextQueue),
            k(Action::Take),
            k(Action::Palette),
            k(Action::NextWaiting),
            k(Action::Help)
        ),
    }
}
