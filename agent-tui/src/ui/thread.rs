//! A ticket's thread: customer messages, replies, internal notes (marked
//! and coloured apart), attachments, edits and delivery states, plus the
//! replies still on their way.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use shared::*;

use super::text;
use super::time;
use crate::sla;
use crate::state::{App, ChatTab};
use crate::update::status_label;

/// The line above the thread: number, customer, queue, status, owner, SLA.
pub fn draw_title(f: &mut Frame, app: &App, ticket: TicketId, area: Rect) {
    let t = &app.theme;
    let Some(tk) = app.ticket(ticket) else {
        f.render_widget(Line::styled(" this ticket is closed", t.dim()), area);
        return;
    };
    let name = app
        .customer_of(tk)
        .map_or("?".to_owned(), |c| c.first_name.clone());
    let owner = tk.assignee.map_or("unassigned".to_owned(), |a| {
        if app.me.as_ref().is_some_and(|m| m.id == a) {
            "you".to_owned()
        } else {
            app.agent_name(a)
        }
    });
    let mut spans = vec![
        Span::styled(format!(" #{} {} ", tk.number, name), t.title()),
        Span::styled(
            format!(
                "· {} · {} · {} · {}",
                tk.queue,
                status_label(tk.status),
                tk.priority.as_str(),
                owner
            ),
            t.dim(),
        ),
    ];
    if let Some(topic) = &tk.topic {
        spans.push(Span::styled(format!(" · {topic}"), t.dim()));
    }
    let (sla_text, sla_style) = match sla::countdown(tk, app.now, app.alert_settings.warning_ms) {
        Some(c) => (
            format!("{} {} ", c.target.label(), c.text()),
            t.sla(c.level),
        ),
        None => (String::new(), t.dim()),
    };
    f.render_widget(Line::from(spans), area);
    let w = text::width(&sla_text) as u16;
    if w > 0 && w < area.width {
        f.render_widget(
            Line::styled(sla_text, sla_style),
            Rect::new(area.x + area.width - w, area.y, w, 1),
        );
    }
}

fn author_name(app: &App, m: &Message) -> String {
    match m.author {
        Author::Customer { .. } => app
            .ticket(m.ticket_id)
            .and_then(|t| app.customer_of(t))
            .map_or("Customer".to_owned(), |c| c.first_name.clone()),
        Author::Agent { id } if app.me.as_ref().is_some_and(|a| a.id == id) => "You".to_owned(),
        Author::Agent { id } => app.agent_name(id),
        Author::Bot => "Bot".to_owned(),
    }
}

fn attachment_kind(k: AttachmentKind) -> &'static str {
    match k {
        AttachmentKind::Photo => "photo",
        AttachmentKind::Document => "document",
        AttachmentKind::Video => "video",
        AttachmentKind::Voice => "voice",
        AttachmentKind::Audio => "audio",
        AttachmentKind::Sticker => "sticker",
        AttachmentKind::Other => "file",
    }
}

/// Every line of the thread at `width`, oldest first.
pub fn lines(app: &App, chat: &ChatTab, width: u16) -> Vec<Line<'static>> {
    let t = &app.theme;
    let width = usize::from(width.max(10));
    let body_w = width.saturating_sub(2);
    let mut out: Vec<Line<'static>> = Vec::new();
    let msgs = app.mirror.messages.get(&chat.ticket);
    let known = msgs.map_or(0, |m| m.len());
    let total = app
        .ticket(chat.ticket)
        .map_or(known, |t| t.message_count as usize);
    let top = if chat.loading_older {
        "↑ loading older messages…".to_owned()
    } else if chat.complete || known >= total {
        "· start of the conversation ·".to_owned()
    } else {
        format!("↑ {} older message(s): scroll up to load", total - known)
    };
    out.push(Line::styled(top, t.dim()));
    for m in msgs.into_iter().flat_map(|m| m.values()) {
        out.push(Line::raw(""));
        let name = author_name(app, m);
        let when = time::short(m.created_at, app.now, &app.tz);
        let mut head = match m.kind {
            MessageKind::Inbound => vec![Span::styled(name, t.customer())],
            MessageKind::Outbound => vec![Span::styled(format!("{name} → customer"), t.agent())],
            MessageKind::Note => vec![Span::styled(format!("NOTE · {name}"), t.note())],
        };
        head.push(Span::styled(format!(" · {when}"), t.dim()));
        if m.edited_at.is_some() {
            head.push(Span::styled(" · edited", t.dim()));
        }
        if let Some(d) = &m.delivery {
            head.push(match d.state {
                DeliveryState::Queued if !app.telegram => Span::styled(
                    " · queued: the server has no Telegram bot",
                    t.sla(sla::Level::Warning),
                ),
                DeliveryState::Queued => Span::styled(" · queued", t.dim()),
                DeliveryState::Sent => Span::styled(" · sent to Telegram", t.good()),
                DeliveryState::Failed => Span::styled(
                    format!(
                        " · FAILED: {}",
                        d.reason.as_deref().unwrap_or("unknown reason")
                    ),
                    t.error(),
                ),
                DeliveryState::Uncertain => Span::styled(
                    format!(
                        " · MAY NOT HAVE ARRIVED: {}",
                        d.reason
                            .as_deref()
                            .unwrap_or("Telegram's answers were lost")
                    ),
                    t.sla(sla::Level::Warning),
                ),
            });
        }
        out.push(Line::from(head));
        let indent = if m.kind == MessageKind::Note {
            "│ "
        } else {
            "  "
        };
        let style = if m.kind == MessageKind::Note {
            t.note()
        } else {
            ratatui::style::Style::new()
        };
        for a in &m.attachments {
            let mut desc = format!("[{}]", attachment_kind(a.kind));
            if let Some(n) = &a.file_name {
                desc.push_str(&format!(" {n}"));
            }
            if let Some(s) = a.size {
                desc.push_str(&format!(" · {}", text::size(s)));
            }
            out.push(Line::from(vec![
                Span::raw(indent),
                Span::styled(desc, t.title()),
                Span::styled(
                    format!(
                        " · {} opens it",
                        app.keymap.hint(crate::action::Action::OpenAttachment)
                    ),
                    t.dim(),
                ),
            ]));
        }
        if !m.text.is_empty() {
            for l in text::wrap(&m.text, body_w) {
                out.push(Line::from(vec![
                    Span::styled(indent, style),
                    Span::styled(l, style),
                ]));
            }
        }
    }
    // The customer's rating, where it happened: at the end of the thread.
    if let Some(r) = app.ticket(chat.ticket).and_then(|t| t.csat) {
        let r = r.min(5);
        out.push(Line::raw(""));
        out.push(Line::from(vec![
            Span::styled(
                format!(
                    "{}{} ",
                    "★".repeat(usize::from(r)),
                    "☆".repeat(usize::from(5 - r))
                ),
                t.vip(),
            ),
            Span::styled(format!("the customer rated this {r}/5"), t.title()),
        ]));
    }
    for (p, kind, body) in app.pending_texts(chat.ticket) {
        out.push(Line::raw(""));
        let state = if p.sent {
            "sending…"
        } else {
            "not sent yet: offline, goes out on reconnect"
        };
        let who = if kind == MessageKind::Note {
            "NOTE · You"
        } else {
            "You → customer"
        };
        out.push(Line::from(vec![
            Span::styled(who, t.dim()),
            Span::styled(format!(" · {state}"), t.sla(sla::Level::Warning)),
        ]));
        for l in text::wrap(body, body_w) {
            out.push(Line::styled(format!("  {l}"), t.dim()));
        }
    }
    out
}

/// How many lines the thread takes at `width`.
pub fn line_count(app: &App, ticket: TicketId, width: u16) -> usize {
    app.chats
        .iter()
        .find(|c| c.ticket == ticket)
        .map_or(0, |c| lines(app, c, width).len())
}

pub fn draw(f: &mut Frame, app: &App, chat: &ChatTab, area: Rect) {
    if area.height == 0 {
        return;
    }
    let all = lines(app, chat, area.width);
    let h = usize::from(area.height);
    let end = all
        .len()
        .saturating_sub(chat.scroll.min(all.len().saturating_sub(h)));
    let start = end.saturating_sub(h);
    for (i, line) in all[start..end].iter().enumerate() {
        f.render_widget(
            line.clone(),
            Rect::new(area.x, area.y + i as u16, area.width, 1),
        );
    }
}
