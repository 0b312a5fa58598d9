//! The queue screen: tabs (Mine, Unassigned, each queue, All) and the
//! ticket list with live SLA countdowns.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text::{fit, fit_right};
use crate::sla;
use crate::state::App;
use crate::update::status_word;
use crate::views;

/// Which optional columns fit in `width`.
struct Columns {
    queue: bool,
    owner: bool,
    status: bool,
    topic: usize,
}

impl Columns {
    fn for_width(w: u16) -> Columns {
        Columns {
            queue: w >= 96,
            owner: w >= 120,
            status: w >= 72,
            topic: if w >= 100 { 12 } else { 9 },
        }
    }
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    if area.height == 0 {
        return;
    }
    let t = &app.theme;
    // Tabs with counts.
    let mut spans = Vec::new();
    for (i, tab) in app.tabs.iter().enumerate() {
        let n = app.tab_counts.get(i).copied().unwrap_or(0);
        spans.push(Span::styled(
            format!(" {} {n} ", tab.title()),
            t.tab(i == app.queue_tab),
        ));
        spans.push(Span::styled("│", t.dim()));
    }
    f.render_widget(Line::from(spans), Rect::new(area.x, area.y, area.width, 1));
    if area.height < 2 {
        return;
    }
    let cols = Columns::for_width(area.width);
    let w = usize::from(area.width);
    let fixed = 3
        + 8
        + 5
        + 7
        + cols.topic
        + 1
        + if cols.queue { 9 } else { 0 }
        + if cols.status { 9 } else { 0 }
        + if cols.owner { 11 } else { 0 }
        + 4;
    let cust_w = w.saturating_sub(fixed).max(6);
    let mut head = format!(
        "{}{}{}{}{} ",
        fit("", 3),
        fit("SLA", 8),
        fit("WAIT", 5),
        fit("#", 7),
        fit("CUSTOMER", cust_w)
    );
    head.push_str(&fit("TOPIC", cols.topic));
    if cols.queue {
        head.push_str(&fit(" QUEUE", 9));
    }
    if cols.status {
        head.push_str(&fit(" STATUS", 9));
    }
    if cols.owner {
        head.push_str(&fit(" OWNER", 11));
    }
    head.push_str(&fit_right("NEW", 4));
    f.render_widget(
        Line::styled(head, t.dim()),
        Rect::new(area.x, area.y + 1, area.width, 1),
    );

    let list_h = usize::from(area.height - 2);
    if app.rows.is_empty() {
        let msg = if app.conn.online() {
            "  nothing here"
        } else {
            "  waiting for the server…"
        };
        f.render_widget(
            Line::styled(msg, t.dim()),
            Rect::new(area.x, area.y + 2, area.width, 1),
        );
        return;
    }
    for (row, id) in app
        .rows
        .iter()
        .enumerate()
        .skip(app.queue_offset)
        .take(list_h)
    {
        let Some(tk) = app.ticket(*id) else { continue };
        let y = area.y + 2 + (row - app.queue_offset) as u16;
        let cust = app.customer_of(tk);
        let vip = cust.is_some_and(|c| c.vip);
        let critical = tk.priority == shared::Priority::Critical;
        let mark = format!(
            "{}{} ",
            if critical { "▲" } else { " " },
            if vip { "★" } else { " " }
        );
        let (sla_text, sla_style) = match sla::countdown(tk, app.now, app.alert_settings.warning_ms)
        {
            Some(c) => (c.text(), t.sla(c.level)),
            None => ("—".to_owned(), t.dim()),
        };
        let wait = tk
            .waiting_since
            .map_or("—".to_owned(), |w| sla::age(app.now.0 - w.0));
        let name = cust.map_or("?".to_owned(), |c| match &c.last_name {
            Some(l) => format!("{} {l}", c.first_name),
            None => c.first_name.clone(),
        });
        let unread = views::unread(&app.mirror, tk.id);
        let mut spans = vec![
            Span::styled(mark, if critical { t.critical() } else { t.vip() }),
            Span::styled(fit(&sla_text, 8), sla_style),
            Span::raw(fit(&wait, 5)),
            Span::raw(fit(&tk.number.to_string(), 7)),
            Span::raw(fit(&name, cust_w) + " "),
            Span::raw(fit(tk.topic.as_deref().unwrap_or("—"), cols.topic)),
        ];
        if cols.queue {
            spans.push(Span::raw(fit(&format!(" {}", tk.queue), 9)));
        }
        if cols.status {
            spans.push(Span::raw(fit(&format!(" {}", status_word(tk.status)), 9)));
        }
        if cols.owner {
            let owner = tk.assignee.map_or("—".to_owned(), |a| app.agent_name(a));
            spans.push(Span::raw(fit(&format!(" {owner}"), 11)));
        }
        let unread_text = if unread > 0 {
            format!("*{unread}")
        } else {
            String::new()
        };
        spans.push(Span::styled(fit_right(&unread_text, 4), t.vip()));
        let rect = Rect::new(area.x, y, area.width, 1);
        f.render_widget(Line::from(spans), rect);
        if row == app.queue_sel {
            // The whole row, as a bar.
            f.buffer_mut().set_style(rect, t.selected());
        }
    }
}
