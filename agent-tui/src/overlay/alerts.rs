//! `!`: the alert list, newest first; Enter opens the chat (or the
//! group conversation).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

use super::{DrawCtx, Env, Outcome, step};
use crate::action::Action;
use crate::ui::{popup, text};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertList {
    pub selected: usize,
}

impl AlertList {
    pub fn key(&mut self, action: Option<Action>, env: &mut Env<'_>) -> Outcome {
        use Action::*;
        let listed = env.alerts.listed();
        match action {
            Some(Back | Alerts | Quit) => Outcome::Close,
            Some(Open) => match listed.get(self.selected) {
                Some((k, _)) => Outcome::OpenAlert(k.subject),
                None => Outcome::Close,
            },
            Some(AckAlerts) => Outcome::AckAll,
            Some(Up) => {
                self.selected = step(self.selected, listed.len(), -1);
                Outcome::Keep
            }
            Some(Down) => {
                self.selected = step(self.selected, listed.len(), 1);
                Outcome::Keep
            }
            Some(Top) => {
                self.selected = 0;
                Outcome::Keep
            }
            Some(Bottom) => {
                self.selected = listed.len().saturating_sub(1);
                Outcome::Keep
            }
            _ => Outcome::Keep,
        }
    }

    pub fn draw(&self, f: &mut Frame, cx: &DrawCtx<'_>, area: Rect) {
        let t = cx.theme;
        let r = popup::centered(area, 90, 18);
        let inner = popup::frame(
            f,
            t,
            r,
            "Alerts: Enter opens the chat, a acknowledges all, Esc closes",
        );
        let listed = cx.alerts.listed();
        if listed.is_empty() {
            popup::put(f, inner, 0, Line::styled("no alerts", t.dim()));
        }
        for (i, (k, s)) in listed.iter().enumerate().take(usize::from(inner.height)) {
            let about = match k.subject {
                crate::alerts::Subject::Ticket(id) => {
                    let ticket = cx.mirror.tickets.get(&id);
                    let number = ticket.map_or(0, |x| x.number);
                    let who = ticket
                        .and_then(|x| cx.mirror.customers.get(&x.customer_id))
                        .map_or_else(String::new, |c| format!(" {}", c.first_name));
                    format!("#{number}{who}")
                }
                crate::alerts::Subject::Group(id) => cx
                    .mirror
                    .conversations
                    .get(&id)
                    .map_or_else(String::new, |c| {
                        format!("{} · {}", crate::groups::place(cx.mirror, c), c.opened_by)
                    }),
            };
            let since = crate::sla::age(cx.now.0 - s.raised_at.0);
            let label = format!(
                "{} {about}: {} ({since} ago)",
                if s.acked { "  " } else { "● " },
                k.kind.describe()
            );
            let style = if i == self.selected {
                t.selected()
            } else if s.acked {
                t.dim()
            } else {
                Style::new()
            };
            popup::put(
                f,
                inner,
                i as u16,
                Line::styled(text::fit(&label, usize::from(inner.width)), style),
            );
        }
    }
}
