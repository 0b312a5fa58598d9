//! The macro picker, for one ticket: fuzzy search over shortcut, title
//! and body; a preview filled from the ticket in the customer's language.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use shared::{Macro, MacroId, TicketId};

use super::{DrawCtx, Env, Outcome, edit_query, step};
use crate::action::Action;
use crate::fuzzy::{Field, Hit, Ranker};
use crate::keymap::Key;
use crate::template;
use crate::ui::{popup, text, theme::Theme};

#[derive(Debug, Clone)]
pub struct MacroPicker {
    pub ticket: TicketId,
    pub query: String,
    pub selected: usize,
    /// Macro ids in the order given to the ranker.
    pub ids: Vec<MacroId>,
    pub hits: Vec<Hit>,
    /// Opened by typing `/` in an empty compose box: Esc gives the `/`
    /// and the query back to the compose box as text.
    pub from_slash: bool,
}

/// Fields of a macro, weighted: shortcut (prefix counts most), title, body.
pub fn macro_fields(m: &Macro) -> [Field<'_>; 3] {
    [
        Field {
            text: &m.shortcut,
            weight: 3,
            prefix_bonus: true,
            long: false,
            greedy: true,
        },
        Field {
            text: &m.title,
            weight: 2,
            prefix_bonus: false,
            long: false,
            greedy: true,
        },
        Field {
            text: &m.body,
            weight: 1,
            prefix_bonus: false,
            long: true,
            greedy: true,
        },
    ]
}

impl MacroPicker {
    pub fn new(
        ticket: TicketId,
        from_slash: bool,
        macros: &BTreeMap<MacroId, Macro>,
        ranker: &mut Ranker,
    ) -> Self {
        let mut p = MacroPicker {
            ticket,
            query: String::new(),
            selected: 0,
            ids: Vec::new(),
            hits: Vec::new(),
            from_slash,
        };
        ranker.reset();
        p.refresh(macros, ranker);
        p
    }

    pub fn refresh(&mut self, macros: &BTreeMap<MacroId, Macro>, ranker: &mut Ranker) {
        let list: Vec<&Macro> = macros.values().collect();
        self.ids = list.iter().map(|m| m.id).collect();
        self.hits = ranker.rank(&self.query, &list, |m| macro_fields(m));
        self.selected = 0;
    }

    /// Highlights the hits around the selection that have none yet.
    pub fn highlight_visible(&mut self, macros: &BTreeMap<MacroId, Macro>, ranker: &mut Ranker) {
        if self.query.trim().is_empty() {
            return;
        }
        let end = (self.selected + 20).min(self.hits.len());
        for i in self.selected.saturating_sub(20)..end {
            if self.hits[i].matched.is_empty()
                && let Some(m) = macros.get(&self.ids[self.hits[i].index])
            {
                self.hits[i].matched = ranker.highlight(&self.query, &macro_fields(m));
            }
        }
    }

    pub fn chosen(&self) -> Option<MacroId> {
        self.hits.get(self.selected).map(|h| self.ids[h.index])
    }

    pub fn key(&mut self, key: Key, action: Option<Action>, env: &mut Env<'_>) -> Outcome {
        match action {
            Some(Action::Cancel) => {
                if self.from_slash {
                    Outcome::GiveBack {
                        ticket: self.ticket,
                        text: format!("/{}", self.query),
                    }
                } else {
                    Outcome::Close
                }
            }
            Some(Action::Pick) => match self.chosen() {
                Some(id) => Outcome::InsertMacro {
                    ticket: self.ticket,
                    id,
                },
                None => Outcome::Keep,
            },
            Some(a @ (Action::SelectUp | Action::SelectDown)) => {
                let d = if a == Action::SelectUp { -1 } else { 1 };
                self.selected = step(self.selected, self.hits.len(), d);
                self.highlight_visible(env.macros, env.ranker);
                Outcome::Keep
            }
            _ => {
                if edit_query(&mut self.query, key) {
                    self.refresh(env.macros, env.ranker);
                }
                Outcome::Keep
            }
        }
    }

    pub fn draw(&self, f: &mut Frame, cx: &DrawCtx<'_>, area: Rect) {
        let t = cx.theme;
        let r = popup::centered(area, 100, 22);
        let inner = popup::frame(
            f,
            t,
            r,
            "Macros: type to search, Enter inserts, Esc cancels",
        );
        popup::query_line(f, t, inner, &self.query);
        let list_h = (inner.height.saturating_sub(2) / 2).max(1);
        let area = Rect::new(inner.x, inner.y + 1, inner.width, list_h);
        popup::list(f, t, area, Some(self.selected), &self.hits, |h, w| {
            let m = &cx.mirror.macros[&self.ids[h.index]];
            let mut spans = popup::highlighted(
                &format!("/{}", m.shortcut),
                &shift(h.matched_in(0)),
                14.min(w),
                t.vip(),
                t.matched(),
            );
            let pad = 14usize.saturating_sub(spans.iter().map(|s| text::width(&s.content)).sum());
            spans.push(Span::raw(" ".repeat(pad)));
            spans.extend(popup::highlighted(
                &m.title,
                h.matched_in(1),
                w.saturating_sub(15),
                Style::new(),
                t.matched(),
            ));
            spans
        });
        // Preview, in the customer's language, variables filled from the ticket.
        let y = 1 + list_h;
        let Some(m) = self.chosen().and_then(|id| cx.mirror.macros.get(&id)) else {
            popup::put(f, inner, y, rule(t, inner, "no macro matches"));
            return;
        };
        let body = m.body_for(cx.language.as_deref());
        popup::put(f, inner, y, rule(t, inner, &language_note(&body, cx)));
        let (filled, fields) = template::fill(body.text, &cx.vars);
        let mut row = y + 1;
        for l in text::wrap(&filled, usize::from(inner.width)) {
            popup::put(f, inner, row, Line::from(preview_spans(&l, &fields, t)));
            row += 1;
        }
        if !fields.is_empty() && row < inner.height {
            let names: Vec<String> = fields.iter().map(|x| format!("{{{x}}}")).collect();
            popup::put(
                f,
                inner,
                inner.height - 1,
                Line::styled(
                    format!("to fill after inserting (Tab): {}", names.join(" ")),
                    t.dim(),
                ),
            );
        }
    }
}

/// Which language the preview is in, and whether that is the customer's.
pub fn language_note(body: &shared::MacroBody<'_>, cx: &DrawCtx<'_>) -> String {
    let reads = cx
        .language
        .as_deref()
        .map_or_else(|| "unknown".to_owned(), shared::language_name);
    if body.matched {
        format!(
            "in {} (the customer reads {reads})",
            shared::language_name(body.language)
        )
    } else {
        format!(
            "no {reads} text: this sends the {} one",
            shared::language_name(body.language)
        )
    }
}

/// A horizontal rule with a label.
fn rule(t: &Theme, inner: Rect, label: &str) -> Line<'static> {
    let label = format!("── {label} ");
    let rest = usize::from(inner.width).saturating_sub(text::width(&label));
    Line::styled(
        text::fit(
            &format!("{label}{}", "─".repeat(rest)),
            usize::from(inner.width),
        ),
        t.border(),
    )
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
