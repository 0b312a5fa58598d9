//! The customer panel: who they are, their local time, VIP, this ticket,
//! earlier tickets and their ratings.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use shared::*;

use super::{text, time};
use crate::sla;
use crate::state::App;
use crate::update::status_word;

pub fn draw(f: &mut Frame, app: &App, ticket: TicketId, area: Rect) {
    let t = &app.theme;
    let block = Block::new().borders(Borders::LEFT).border_style(t.border());
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = usize::from(inner.width.saturating_sub(1));
    let Some(tk) = app.ticket(ticket) else { return };
    let mut lines: Vec<Line> = Vec::new();
    let dim = |s: String| Line::styled(format!(" {}", text::truncate(&s, w)), t.dim());
    let plain = |s: String| Line::raw(format!(" {}", text::truncate(&s, w)));
    lines.push(Line::styled(" Customer", t.title()));
    if let Some(c) = app.customer_of(tk) {
        let name = match &c.last_name {
            Some(l) => format!("{} {l}", c.first_name),
            None => c.first_name.clone(),
        };
        let mut spans = vec![Span::raw(format!(
            " {}",
            text::truncate(&name, w.saturating_sub(5))
        ))];
        if c.vip {
            spans.push(Span::styled(" ★VIP", t.vip()));
        }
        lines.push(Line::from(spans));
        let handle = c
            .username
            .as_ref()
            .map_or_else(|| format!("tg {}", c.telegram_user_id), |u| format!("@{u}"));
        lines.push(dim(handle));
        lines.push(plain(format!(
            "Language: {}",
            c.language.as_deref().unwrap_or("unknown")
        )));
        let local = match c
            .time_zone
            .as_deref()
            .and_then(|z| jiff::tz::TimeZone::get(z).ok())
        {
            Some(tz) => format!(
                "Local time: {} ({})",
                time::local_clock(app.now, &tz),
                c.time_zone.as_deref().unwrap_or("")
            ),
            None => "Local time: unknown zone".to_owned(),
        };
        lines.push(plain(local));
        if c.blocked {
            lines.push(Line::styled(
                " Blocked the bot: replies cannot reach them",
                t.error(),
            ));
        }
        if c.consent_at.is_none() {
            lines.push(dim("No consent recorded".into()));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(format!(" Ticket #{}", tk.number), t.title()));
    lines.push(plain(format!(
        "Opened {} · {}",
        time::short(tk.created_at, app.now, &app.tz),
        tk.queue
    )));
    for (target, due) in [
        (sla::Target::FirstReply, tk.sla.first_reply_due),
        (sla::Target::NextReply, tk.sla.next_reply_due),
        (sla::Target::Resolution, tk.sla.resolution_due),
    ] {
        if let Some(due) = due {
            let c = sla::Countdown::new(target, due, app.now, app.alert_settings.warning_ms);
            lines.push(Line::from(vec![
                Span::raw(format!(" {}: ", target.label())),
                Span::styled(c.text(), t.sla(c.level)),
            ]));
        }
    }
    if !tk.tags.is_empty() {
        lines.push(plain(format!("Tags: {}", tk.tags.join(", "))));
    }
    if !tk.shared_with.is_empty() {
        let names: Vec<String> = tk.shared_with.iter().map(|a| app.agent_name(*a)).collect();
        lines.push(plain(format!("Shared with: {}", names.join(", "))));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(" Earlier tickets", t.title()));
    let others: Vec<&Ticket> = match app.history.get(&tk.customer_id) {
        Some(h) => h.iter().filter(|x| x.id != tk.id).collect(),
        None => {
            // Until history arrives, what the mirror knows.
            let mut v: Vec<&Ticket> = app
                .mirror
                .tickets
                .values()
                .filter(|x| x.customer_id == tk.customer_id && x.id != tk.id)
                .collect();
            v.sort_by_key(|x| std::cmp::Reverse(x.id));
            v
        }
    };
    // Earlier means opened before this one; newer ones are named apart.
    let (earlier, newer): (Vec<&Ticket>, Vec<&Ticket>) =
        others.into_iter().partition(|x| x.id < tk.id);
    if !newer.is_empty() {
        let n: Vec<String> = newer.iter().map(|x| format!("#{}", x.number)).collect();
        lines.push(plain(format!("newer: {}", n.join(" "))));
    }
    if earlier.is_empty() {
        lines.push(dim(
            if app.history.contains_key(&tk.customer_id) || !newer.is_empty() {
                "none".into()
            } else {
                "loading…".into()
            },
        ));
    }
    let rated: Vec<u8> = earlier
        .iter()
        .filter_map(|x| x.csat)
        .chain(tk.csat)
        .collect();
    for x in earlier.iter().take(6) {
        let csat = x.csat.map_or("—".to_owned(), |c| format!("{c}/5"));
        lines.push(plain(format!(
            "#{} {} {} {}",
            x.number,
            status_word(x.status),
            csat,
            time::short(x.created_at, app.now, &app.tz)
        )));
    }
    if !rated.is_empty() {
        let avg = rated.iter().map(|&r| f64::from(r)).sum::<f64>() / rated.len() as f64;
        lines.push(plain(format!("CSAT {avg:.1}/5 over {}", rated.len())));
    }
    for (i, l) in lines
        .into_iter()
        .take(usize::from(inner.height))
        .enumerate()
    {
        f.render_widget(l, Rect::new(inner.x, inner.y + i as u16, inner.width, 1));
    }
}
