//! Customer groups: the list of their conversations (who waits, for how
//! long, in which client's group) and one conversation's thread, with
//! author names as the group shows them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use shared::*;

use super::text::{self, fit};
use super::time;
use crate::action::Action;
use crate::groups::{self, Standing};
use crate::state::App;

/// Width of the standing column: "OVERDUE 59m, acked" fits.
const STANDING_W: usize = 19;

fn hint(app: &App, keys: &[(Action, &str)]) -> String {
    keys.iter()
        .map(|(a, what)| format!("{} {what}", app.keymap.hint(*a)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The first text of a conversation (what was asked), for its row.
fn opening(app: &App, c: ConversationId) -> String {
    app.mirror
        .group_messages
        .get(&c)
        .and_then(|m| m.values().find(|m| m.side == GroupSide::Customer))
        .map(|m| m.text.replace('\n', " "))
        .unwrap_or_default()
}

/// The Groups screen: every conversation this engineer reads.
pub fn draw_list(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    if area.height < 3 {
        return;
    }
    let (waiting, overdue) = groups::counts(&app.mirror, app.now);
    let title = format!(
        " Customer groups · {waiting} waiting, {overdue} overdue · {} ",
        hint(
            app,
            &[
                (Action::Open, "open"),
                (Action::GroupAck, "acknowledge"),
                (Action::Back, "back")
            ]
        )
    );
    f.render_widget(
        Line::styled(text::truncate(&title, usize::from(area.width)), t.title()),
        area,
    );
    let w = usize::from(area.width);
    let place_w = (w / 3).clamp(16, 40);
    let who_w = 14;
    let head = format!(
        "{}{}{}{}",
        fit(" STANDING", STANDING_W + 1),
        fit("GROUP", place_w),
        fit(" OPENED BY", who_w + 1),
        " ASKED"
    );
    f.render_widget(
        Line::styled(head, t.dim()),
        Rect::new(area.x, area.y + 1, area.width, 1),
    );
    if app.group_rows.is_empty() {
        let msg = if app.mirror.groups.is_empty() {
            "No customer groups in your queues. Add the bot to a client's group and bind it (docs/groups.md)."
        } else {
            "No conversation in the last 7 days."
        };
        for (i, l) in text::wrap(msg, w.saturating_sub(4)).iter().enumerate() {
            if i + 2 >= usize::from(area.height) {
                break;
            }
            f.render_widget(
                Line::styled(format!("  {l}"), t.dim()),
                Rect::new(area.x, area.y + 2 + i as u16, area.width, 1),
            );
        }
        return;
    }
    let list_h = usize::from(area.height - 2);
    for (row, id) in app
        .group_rows
        .iter()
        .enumerate()
        .skip(app.group_offset)
        .take(list_h)
    {
        let Some(c) = app.mirror.conversations.get(id) else {
            continue;
        };
        let y = area.y + 2 + (row - app.group_offset) as u16;
        let standing = Standing::of(c, app.now);
        let style = standing
            .level(app.alert_settings.warning_ms)
            .map_or_else(|| t.dim(), |l| t.sla(l));
        let mut ticket = c
            .ticket_id
            .map(|id| {
                app.ticket(id)
                    .map_or_else(|| "ticket ".to_owned(), |t| format!("#{} ", t.number))
            })
            .unwrap_or_default();
        if c.thread_id.is_some() {
            ticket.push_str("topic ");
        }
        let asked_w = w.saturating_sub(STANDING_W + 1 + place_w + who_w + 2);
        let mut spans = vec![
            Span::styled(format!(" {}", fit(&standing.text(), STANDING_W)), style),
            Span::raw(fit(&groups::place(&app.mirror, c), place_w)),
            Span::styled(format!(" {}", fit(&c.opened_by, who_w)), t.customer()),
            Span::raw(" "),
            Span::styled(ticket.clone(), t.dim()),
            Span::raw(text::truncate(
                &opening(app, c.id),
                asked_w.saturating_sub(text::width(&ticket)),
            )),
        ];
        if row == app.group_sel {
            spans = spans
                .into_iter()
                .map(|s| Span::styled(s.content, t.selected()))
                .collect();
        }
        f.render_widget(Line::from(spans), Rect::new(area.x, y, area.width, 1));
    }
}

/// One message as lines: "09:02 Olga: text", wrapped.
fn message_lines<'a>(app: &App, m: &GroupMessage, width: usize) -> Vec<Line<'a>> {
    let t = &app.theme;
    let when = time::short(m.sent_at, app.now, &app.tz);
    let (who, style) = match m.side {
        GroupSide::Customer => (m.author_name.clone(), t.customer()),
        GroupSide::Staff if m.agent_id.is_some() => {
            let me = m.agent_id == app.me.as_ref().map(|a| a.id);
            let name = if me { "You" } else { m.author_name.as_str() };
            (format!("{name} (from the desk)"), t.agent())
        }
        GroupSide::Staff => (format!("{} (staff)", m.author_name), t.agent()),
        GroupSide::Bot => (format!("{} (bot)", m.author_name), t.dim()),
    };
    // A client's message with a delivery was held and approved: the bot
    // posts it back.
    let back = m.side == GroupSide::Customer;
    let mut state = match m.delivery.as_ref().map(|d| d.state) {
        Some(DeliveryState::Queued) if back => " · held, approved: posting back…".to_owned(),
        Some(DeliveryState::Sent) if back => " · held, approved, posted back".to_owned(),
        Some(DeliveryState::Queued) => " · sending…".to_owned(),
        Some(DeliveryState::Sent) => " · sent".to_owned(),
        Some(DeliveryState::Failed) => format!(
            " · FAILED: {}",
            m.delivery
                .as_ref()
                .and_then(|d| d.reason.clone())
                .unwrap_or_default()
        ),
        Some(DeliveryState::Uncertain) => " · may not have arrived".to_owned(),
        None => String::new(),
    };
    if m.edited_at.is_some() {
        state.push_str(" · edited");
    }
    let mut out = vec![Line::from(vec![
        Span::styled(format!("{when} "), t.dim()),
        Span::styled(who, style),
        Span::styled(state, t.dim()),
    ])];
    for l in text::wrap(&m.text, width.saturating_sub(2)) {
        out.push(Line::raw(format!("  {l}")));
    }
    out
}

/// One conversation: where it is and how it stands, then its messages
/// (newest at the bottom); the status line has the keys.
pub fn draw_conversation(f: &mut Frame, app: &App, id: ConversationId, area: Rect) {
    let t = &app.theme;
    if area.height < 3 {
        return;
    }
    let Some(c) = app.mirror.conversations.get(&id) else {
        f.render_widget(
            Line::styled(" this conversation is no longer here", t.dim()),
            area,
        );
        return;
    };
    let standing = Standing::of(c, app.now);
    let mut head = vec![Span::styled(
        format!(" {} ", groups::place(&app.mirror, c)),
        t.title(),
    )];
    let mut about = Vec::new();
    if let Some(topic) = c.thread_id {
        about.push(format!("topic {topic}"));
    }
    about.push(format!("opened by {}", c.opened_by));
    if let Some(tk) = c.ticket_id {
        about.push(app.ticket(tk).map_or_else(
            || "a ticket".to_owned(),
            |t| format!("ticket #{}", t.number),
        ));
    }
    if let Some(a) = c.acked_by {
        about.push(format!("acknowledged by {}", app.agent_name(a)));
    }
    head.push(Span::styled(format!("· {} ", about.join(" · ")), t.dim()));
    let level = standing.level(app.alert_settings.warning_ms);
    head.push(Span::styled(
        standing.text(),
        level.map_or_else(|| t.dim(), |l| t.sla(l)),
    ));
    f.render_widget(Line::from(head), area);
    let body_h = usize::from(area.height - 1);
    let width = usize::from(area.width);
    let mut lines: Vec<Line<'_>> = Vec::new();
    if let Some(messages) = app.mirror.group_messages.get(&id) {
        for m in messages.values() {
            lines.extend(message_lines(app, m, width));
        }
    }
    let first = lines.len().saturating_sub(body_h);
    for (i, l) in lines.into_iter().skip(first).enumerate() {
        f.render_widget(l, Rect::new(area.x, area.y + 1 + i as u16, area.width, 1));
    }
}
