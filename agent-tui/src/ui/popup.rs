//! Drawing helpers shared by the overlays: a centred framed box, rows,
//! a query line and a scrolled list of ranked hits.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear};

use super::{text, theme::Theme};
use crate::fuzzy::Hit;

pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2)).max(10.min(area.width));
    let h = h.min(area.height.saturating_sub(2)).max(3.min(area.height));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Clears `area`, draws a border titled `title` (cut to fit), returns the inside.
pub fn frame(f: &mut Frame, t: &Theme, area: Rect, title: &str) -> Rect {
    f.render_widget(Clear, area);
    let room = usize::from(area.width.saturating_sub(4));
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.focused_border())
        .title(Span::styled(
            format!(" {} ", text::fit(title, room)),
            t.title(),
        ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    inner
}

pub fn put(f: &mut Frame, area: Rect, row: u16, line: Line) {
    if row < area.height {
        f.render_widget(line, Rect::new(area.x, area.y + row, area.width, 1));
    }
}

/// A picker's first row: `> query`, with the cursor after it.
pub fn query_line(f: &mut Frame, t: &Theme, inner: Rect, query: &str) {
    put(
        f,
        inner,
        0,
        Line::from(vec![
            Span::styled("> ", t.title()),
            Span::raw(query.to_owned()),
        ]),
    );
    f.set_cursor_position((inner.x + 2 + text::width(query) as u16, inner.y));
}

/// `s` with the characters at `matched` (char indices) highlighted, cut to `max` columns.
pub fn highlighted(
    s: &str,
    matched: &[u32],
    max: usize,
    base: Style,
    hl: Style,
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut w = 0;
    for (i, c) in s.chars().enumerate() {
        let cw = text::width(c.encode_utf8(&mut [0; 4]));
        if w + cw > max {
            break;
        }
        w += cw;
        let style = if matched.binary_search(&(i as u32)).is_ok() {
            hl
        } else {
            base
        };
        spans.push(Span::styled(c.to_string(), style));
    }
    spans
}

/// A scrolled list of hits, each rendered by `row`; `selected` (if any)
/// is highlighted.
pub fn list<'a>(
    f: &mut Frame,
    t: &Theme,
    area: Rect,
    selected: Option<usize>,
    hits: &'a [Hit],
    row: impl Fn(&'a Hit, usize) -> Vec<Span<'static>>,
) {
    let h = usize::from(area.height);
    let first = selected.unwrap_or(0).saturating_sub(h.saturating_sub(1));
    let w = usize::from(area.width);
    for (i, hit) in hits.iter().enumerate().skip(first).take(h) {
        let rect = Rect::new(area.x, area.y + (i - first) as u16, area.width, 1);
        let mut line = Line::from(row(hit, w.saturating_sub(2)));
        if Some(i) == selected {
            line = line.patch_style(t.selected());
            f.buffer_mut().set_style(rect, t.selected());
        }
        f.render_widget(line, rect);
    }
}

/// Text wrapped to the inside's width, from `row` down; returns the next free row.
pub fn paragraph(f: &mut Frame, area: Rect, mut row: u16, s: &str, style: Style) -> u16 {
    for l in text::wrap(s, usize::from(area.width)) {
        put(f, area, row, Line::styled(l, style));
        row += 1;
    }
    row
}
