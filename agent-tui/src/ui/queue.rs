//! The queue screen: tabs (Mine, Unassigned, each queue, All) and the
//! ticket list with live SLA countdowns.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text::{fit, fit_right};
use crate::sla;
use crate::state::{App, ConnState};
use crate::update::status_word;
use crate::views;

/// Width of the SLA column: "59m59s over" fits.
const SLA_W: usize = 12;
/// Most columns a customer's name gets; wider terminals give the rest to
/// the topic and the owner.
const CUSTOMER_MAX: usize = 28;

/// Which optional columns fit in `width`, and how wide each is.
struct Columns {
    queue: bool,
    owner: usize,
    status: bool,
    topic: usize,
    customer: usize,
}

impl Columns {
    fn for_width(w: u16) -> Columns {
        let mut c = Columns {
            queue: w >= 96,
            owner: if w >= 120 { 12 } else { 0 },
            status: w >= 72,
            topic: if w >= 100 { 12 } else { 9 },
            customer: 0,
        };
        let fixed = 3
            + SLA_W
            + 5
            + 7
            + c.topic
            + 1
            + if c.queue { 9 } else { 0 }
            + if c.status { 9 } else { 0 }
            + c.owner
            + 4;
        let spare = usize::from(w).saturating_sub(fixed);
        c.customer = spare.clamp(6, CUSTOMER_MAX);
        let extra = spare.saturating_sub(c.customer);
        let more_topic = (extra / 2).min(12);
        c.topic += more_topic;
        if c.owner > 0 {
            c.owner += (extra - more_topic).min(16);
        }
        c
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
    let cust_w = cols.customer;
    let mut head = format!(
        "{}{}{}{}{} ",
        fit("", 3),
        fit("SLA", SLA_W),
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
    if cols.owner > 0 {
        head.push_str(&fit(" OWNER", cols.owner));
    }
    head.push_str(&fit_right("NEW", 4));
    f.render_widget(
        Line::styled(head, t.dim()),
        Rect::new(area.x, area.y + 1, area.width, 1),
    );

    let list_h = usize::from(area.height - 2);
    if app.rows.is_empty() {
        let msg = match &app.conn {
            c if c.online() => "nothing here".to_owned(),
            ConnState::Refused { reason } => format!("not connected: {reason}"),
            ConnState::Offline { reason, .. } => format!("cannot reach the server: {reason}"),
            ConnState::Connecting { .. } => "connecting to the server…".to_owned(),
            _ => "waiting for the server…".to_owned(),
        };
        let lines = super::text::wrap(&msg, usize::from(area.width.saturating_sub(2)));
        for (i, l) in lines.iter().enumerate().take(usize::from(area.height - 2)) {
            f.render_widget(
                Line::styled(format!("  {}", l.trim_start()), t.dim()),
                Rect::new(area.x, area.y + 2 + i as u16, area.width, 1),
            );
        }
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
            Span::styled(fit(&sla_text, SLA_W), sla_style),
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
        if cols.owner > 0 {
            let owner = tk.assignee.map_or("—".to_owned(), |a| app.agent_name(a));
            spans.push(Span::raw(fit(&format!(" {owner}"), cols.owner)));
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
