//! The compose box under the thread.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use shared::TicketId;

use crate::action::Action;
use crate::compose::{Compose, SendAs};
use crate::state::{App, Focus, Overlay};

/// Most text rows the box grows to.
const MAX_ROWS: usize = 6;

fn draft(app: &App, ticket: Option<TicketId>) -> Option<&Compose> {
    ticket.and_then(|t| app.drafts.get(&t))
}

/// Height of the box (borders included) for the current chat's draft.
pub fn height(app: &App, width: u16) -> u16 {
    let rows = draft(app, app.current_chat().map(|c| c.ticket))
        .map_or(1, |d| d.layout(width.saturating_sub(2)).0.len());
    rows.clamp(1, MAX_ROWS) as u16 + 2
}

pub fn draw(f: &mut Frame, app: &App, ticket: TicketId, area: Rect) {
    if area.height < 3 {
        return;
    }
    let t = &app.theme;
    let d = draft(app, Some(ticket));
    let focused = app.focus == Focus::Compose && !matches!(app.overlay, Some(Overlay::Help { .. }));
    let note = d.is_some_and(|d| d.send_as == SendAs::Note);
    let mut title = if note {
        " Internal note (not sent to the customer) ".to_owned()
    } else {
        // Which language the customer reads: macros go in it.
        let reads = app.customer_language(ticket).map_or_else(
            || "language unknown".to_owned(),
            |l| format!("reads {}", shared::language_name(&l)),
        );
        format!(" Reply to the customer · {reads} ")
    };
    if let Some(d) = d {
        let unfilled = d.unfilled();
        if !unfilled.is_empty() {
            let names: Vec<String> = unfilled.iter().map(|f| format!("{{{f}}}")).collect();
            title.push_str(&format!("· fill {} ", names.join(" ")));
        }
        if d.then_pending {
            title.push_str("· then waiting on customer ");
        }
    }
    let border = if focused {
        if note { t.note() } else { t.focused_border() }
    } else {
        t.border()
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(title, border));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(d) = d.filter(|d| !d.text.is_empty()) else {
        let hint = if focused {
            format!(
                "type; / for macros, {} for a new line, {} to send",
                app.keymap.hint(Action::Newline),
                app.keymap.hint(Action::Send)
            )
        } else {
            format!(
                "{} to write, {} for macros",
                app.keymap.hint(Action::Compose),
                app.keymap.hint(Action::Macros)
            )
        };
        f.render_widget(Line::styled(hint, t.dim()), inner);
        if focused {
            f.set_cursor_position(Position::new(inner.x, inner.y));
        }
        return;
    };
    let (rows, (crow, ccol)) = d.layout(inner.width);
    let h = usize::from(inner.height);
    let first = crow
        .saturating_sub(h.saturating_sub(1))
        .min(rows.len().saturating_sub(h));
    for (i, (a, b)) in rows.iter().enumerate().skip(first).take(h) {
        let y = inner.y + (i - first) as u16;
        let mut spans = Vec::new();
        // The selected fill-in field stands out.
        match d.selection {
            Some((s, e)) if s < *b && e > *a => {
                let (s, e) = (s.max(*a), e.min(*b));
                spans.push(Span::raw(d.text[*a..s].to_owned()));
                spans.push(Span::styled(d.text[s..e].to_owned(), t.selected()));
                spans.push(Span::raw(d.text[e..*b].to_owned()));
            }
            _ => spans.push(Span::raw(d.text[*a..*b].to_owned())),
        }
        f.render_widget(
            Line::from(spans).style(Style::new()),
            Rect::new(inner.x, y, inner.width, 1),
        );
    }
    if focused && app.overlay.is_none() && crow >= first && crow < first + h {
        f.set_cursor_position(Position::new(
            inner.x + ccol.min(inner.width.saturating_sub(1)),
            inner.y + (crow - first) as u16,
        ));
    }
}
