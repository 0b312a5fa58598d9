//! Pop-ups over the screen: help, the macro picker, the command palette,
//! a prompt and the alert list.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear};

use super::{text, theme::Theme};
use crate::action::{Action, Context};
use crate::fuzzy::Hit;
use crate::state::{App, Overlay};
use crate::template;

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2)).max(10.min(area.width));
    let h = h.min(area.height.saturating_sub(2)).max(3.min(area.height));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn frame(f: &mut Frame, t: &Theme, area: Rect, title: &str) -> Rect {
    f.render_widget(Clear, area);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.focused_border())
        .title(Span::styled(format!(" {title} "), t.title()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    inner
}

fn put(f: &mut Frame, area: Rect, row: u16, line: Line) {
    if row < area.height {
        f.render_widget(line, Rect::new(area.x, area.y + row, area.width, 1));
    }
}

/// A picker's first row: `> query`, with the cursor after it.
fn query_line(f: &mut Frame, t: &Theme, inner: Rect, query: &str) {
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
fn highlighted(s: &str, matched: &[u32], max: usize, base: Style, hl: Style) -> Vec<Span<'static>> {
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

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    match &app.overlay {
        None => {}
        Some(Overlay::Help { scroll }) => help(f, app, area, *scroll),
        Some(Overlay::Macros(p)) => {
            let t = &app.theme;
            let r = centered(area, 100, 22);
            let inner = frame(
                f,
                t,
                r,
                "Macros: type to search, Enter inserts, Esc cancels",
            );
            query_line(f, t, inner, &p.query);
            let list_h = (inner.height.saturating_sub(2) / 2).max(1);
            let area = Rect::new(inner.x, inner.y + 1, inner.width, list_h);
            list(f, t, area, p.selected, &p.hits, |h, w| {
                let m = &app.mirror.macros[&p.ids[h.index]];
                let mut spans = highlighted(
                    &format!("/{}", m.shortcut),
                    &shift(h.matched_in(0)),
                    14.min(w),
                    t.vip(),
                    t.matched(),
                );
                let pad =
                    14usize.saturating_sub(spans.iter().map(|s| text::width(&s.content)).sum());
                spans.push(Span::raw(" ".repeat(pad)));
                spans.extend(highlighted(
                    &m.title,
                    h.matched_in(1),
                    w.saturating_sub(15),
                    Style::new(),
                    t.matched(),
                ));
                spans
            });
            // Preview with variables filled from the ticket.
            let y = 1 + list_h;
            put(
                f,
                inner,
                y,
                Line::styled("─".repeat(usize::from(inner.width)), t.border()),
            );
            if let Some(id) = p.chosen() {
                let m = &app.mirror.macros[&id];
                let (filled, fields) = template::fill(&m.body, &app.vars(p.ticket));
                let mut row = y + 1;
                for l in text::wrap(&filled, usize::from(inner.width)) {
                    put(f, inner, row, Line::from(preview_spans(&l, &fields, t)));
                    row += 1;
                }
                if !fields.is_empty() && row < inner.height {
                    let names: Vec<String> = fields.iter().map(|x| format!("{{{x}}}")).collect();
                    put(
                        f,
                        inner,
                        inner.height - 1,
                        Line::styled(
                            format!("to fill after inserting (Tab): {}", names.join(" ")),
                            t.dim(),
                        ),
                    );
                }
            } else {
                put(f, inner, y + 1, Line::styled("no macro matches", t.dim()));
            }
        }
        Some(Overlay::Palette(p)) => {
            let t = &app.theme;
            let r = centered(area, 80, 20);
            let inner = frame(f, t, r, "Commands: type to search, Enter runs, Esc cancels");
            query_line(f, t, inner, &p.query);
            let area = Rect::new(
                inner.x,
                inner.y + 1,
                inner.width,
                inner.height.saturating_sub(1),
            );
            list(f, t, area, p.selected, &p.hits, |h, w| {
                highlighted(
                    &p.items[h.index].label,
                    h.matched_in(0),
                    w,
                    Style::new(),
                    t.matched(),
                )
            });
        }
        Some(Overlay::Prompt(p)) => {
            let t = &app.theme;
            let r = centered(area, 80, 5);
            let inner = frame(f, t, r, &p.title);
            put(f, inner, 0, Line::raw(p.input.text.clone()));
            let col = text::width(&p.input.text[..p.input.cursor]) as u16;
            f.set_cursor_position((inner.x + col.min(inner.width.saturating_sub(1)), inner.y));
            put(
                f,
                inner,
                2.min(inner.height.saturating_sub(1)),
                Line::styled("Enter to confirm, Esc to cancel", t.dim()),
            );
        }
        Some(Overlay::Alerts { selected }) => {
            let t = &app.theme;
            let r = centered(area, 90, 18);
            let inner = frame(
                f,
                t,
                r,
                "Alerts: Enter opens the chat, a acknowledges all, Esc closes",
            );
            let listed = app.alerts.listed();
            if listed.is_empty() {
                put(f, inner, 0, Line::styled("no alerts", t.dim()));
            }
            for (i, (k, s)) in listed.iter().enumerate().take(usize::from(inner.height)) {
                let number = app.ticket(k.ticket).map_or(0, |x| x.number);
                let since = crate::sla::age(app.now.0 - s.raised_at.0);
                let label = format!(
                    "{} #{number} {} ({since} ago)",
                    if s.acked { "  " } else { "● " },
                    k.kind.describe()
                );
                let style = if i == *selected {
                    t.selected()
                } else if s.acked {
                    t.dim()
                } else {
                    Style::new()
                };
                put(
                    f,
                    inner,
                    i as u16,
                    Line::styled(text::fit(&label, usize::from(inner.width)), style),
                );
            }
        }
    }
}

/// Matched positions of `/shortcut` are one to the right of the shortcut's.
fn shift(m: &[u32]) -> Vec<u32> {
    m.iter().map(|i| i + 1).collect()
}

/// A preview line with unfilled `{fields}` marked.
fn preview_spans(line: &str, fields: &[String], t: &Theme) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut last = 0;
    for p in template::placeholders(line) {
        if fields.contains(&p.name) {
            out.push(Span::raw(line[last..p.start].to_owned()));
            out.push(Span::styled(line[p.start..p.end].to_owned(), t.matched()));
            last = p.end;
        }
    }
    out.push(Span::raw(line[last..].to_owned()));
    out
}

/// A scrolled list of hits, each rendered by `row`.
fn list<'a>(
    f: &mut Frame,
    t: &Theme,
    area: Rect,
    selected: usize,
    hits: &'a [Hit],
    row: impl Fn(&'a Hit, usize) -> Vec<Span<'static>>,
) {
    let h = usize::from(area.height);
    let first = selected.saturating_sub(h.saturating_sub(1));
    let w = usize::from(area.width);
    for (i, hit) in hits.iter().enumerate().skip(first).take(h) {
        let rect = Rect::new(area.x, area.y + (i - first) as u16, area.width, 1);
        let mut line = Line::from(row(hit, w.saturating_sub(2)));
        if i == selected {
            line = line.patch_style(t.selected());
            f.buffer_mut().set_style(rect, t.selected());
        }
        f.render_widget(line, rect);
    }
}

fn help(f: &mut Frame, app: &App, area: Rect, scroll: usize) {
    let t = &app.theme;
    let r = centered(area, 96, area.height);
    let inner = frame(
        f,
        t,
        r,
        "Keys (j/k scroll, Esc closes; rebind in [keys] of the config file)",
    );
    let mut lines = Vec::new();
    for ctx in [Context::Global, Context::Normal, Context::Compose] {
        lines.push(Line::styled(ctx.title().to_owned(), t.title()));
        for a in Action::ALL.iter().filter(|a| a.context() == ctx) {
            let keys = app.keymap.describe(*a);
            lines.push(Line::from(vec![
                Span::styled(text::fit(&format!("  {keys}"), 24), t.vip()),
                Span::raw(format!("{} ", a.help())),
                Span::styled(format!("({})", a.name()), t.dim()),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled("Compose box", t.title()));
    for l in [
        "  / in an empty box  opens the macro picker with what you type next",
        "  ctrl-w, ctrl-a, ctrl-e  delete word, line start, line end",
        "  paste  goes in as is (bracketed paste), new lines included",
    ] {
        lines.push(Line::raw(l));
    }
    let h = usize::from(inner.height);
    let scroll = scroll.min(lines.len().saturating_sub(h));
    for (i, l) in lines.into_iter().skip(scroll).take(h).enumerate() {
        put(f, inner, i as u16, l);
    }
}
