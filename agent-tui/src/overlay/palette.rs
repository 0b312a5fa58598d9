//! The command palette: every action on the ticket in front of the
//! engineer, and the general ones, found by fuzzy search.
//!
//! Ranking keeps the engineer safe: entries whose action is named exactly
//! by the query's first word (`note`, `close`, `take`) come first; an entry
//! that changes the owner or queue or messages the customer is never the
//! default pick of an ambiguous query: then nothing is highlighted until
//! the engineer moves to an entry.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use shared::TicketId;

use super::{DrawCtx, Env, Outcome, edit_query, step};
use crate::action::{Action, Arg};
use crate::fuzzy::{Field, Hit, Ranker};
use crate::keymap::Key;
use crate::ui::popup;

#[derive(Debug, Clone, PartialEq)]
pub struct PaletteItem {
    pub label: String,
    pub action: Action,
    pub arg: Arg,
}

impl PaletteItem {
    pub fn safe(&self) -> bool {
        self.action.reach(&self.arg).safe()
    }
}

/// The command palette, about one ticket (or none, on an empty queue).
#[derive(Debug, Clone)]
pub struct Palette {
    pub ticket: Option<TicketId>,
    pub query: String,
    /// The highlighted hit; `None` until the engineer picks one when the
    /// query has no safe default.
    pub selected: Option<usize>,
    pub items: Vec<PaletteItem>,
    pub hits: Vec<Hit>,
    /// Enter was pressed with nothing highlighted.
    pub nudged: bool,
}

impl Palette {
    pub fn new(ticket: Option<TicketId>, items: Vec<PaletteItem>, ranker: &mut Ranker) -> Self {
        let mut p = Palette {
            ticket,
            query: String::new(),
            selected: None,
            items,
            hits: Vec::new(),
            nudged: false,
        };
        ranker.reset();
        p.refresh(ranker);
        p
    }

    pub fn refresh(&mut self, ranker: &mut Ranker) {
        let mut hits = ranker.rank(&self.query, &self.items, |i| {
            [Field {
                text: &i.label,
                weight: 1,
                prefix_bonus: true,
                long: false,
                greedy: false,
            }]
        });
        // The action the query names exactly goes first (stable).
        let verb = self
            .query
            .split_whitespace()
            .next()
            .map(str::to_lowercase)
            .unwrap_or_default();
        let named = |h: &Hit| self.items[h.index].action.verbs().contains(&verb.as_str());
        hits.sort_by_key(|h| !named(h));
        // The default pick: a safe entry, or the one entry the query can
        // mean. "transfer" (one per queue) or "status" (one per status)
        // name several: the engineer chooses.
        let named_count = hits.iter().take_while(|h| named(h)).count();
        self.selected = match hits.first() {
            None => None,
            Some(first) if self.items[first.index].safe() => Some(0),
            Some(_) if named_count == 1 || hits.len() == 1 => Some(0),
            Some(_) => None,
        };
        self.hits = hits;
        self.nudged = false;
    }

    pub fn chosen(&self) -> Option<&PaletteItem> {
        self.selected
            .and_then(|i| self.hits.get(i))
            .map(|h| &self.items[h.index])
    }

    pub fn key(&mut self, key: Key, action: Option<Action>, env: &mut Env<'_>) -> Outcome {
        match action {
            Some(Action::Cancel) => Outcome::Close,
            Some(Action::Pick) => match self.chosen() {
                Some(item) => Outcome::Run {
                    ticket: self.ticket,
                    action: item.action,
                    arg: item.arg.clone(),
                },
                None => {
                    self.nudged = true;
                    Outcome::Keep
                }
            },
            Some(a @ (Action::SelectUp | Action::SelectDown)) => {
                self.selected = Some(match (self.selected, a) {
                    (None, _) => 0,
                    (Some(s), Action::SelectUp) => step(s, self.hits.len(), -1),
                    (Some(s), _) => step(s, self.hits.len(), 1),
                });
                self.nudged = false;
                Outcome::Keep
            }
            _ => {
                if edit_query(&mut self.query, key) {
                    self.refresh(env.ranker);
                }
                Outcome::Keep
            }
        }
    }

    pub fn draw(&self, f: &mut Frame, cx: &DrawCtx<'_>, area: Rect) {
        let t = cx.theme;
        let r = popup::centered(area, 80, 20);
        let inner = popup::frame(f, t, r, "Commands: type to search, Enter runs, Esc cancels");
        popup::query_line(f, t, inner, &self.query);
        let hint = if self.hits.is_empty() {
            Some(("nothing matches".to_owned(), t.dim()))
        } else if self.selected.is_none() {
            let words = "↑/↓ picks one: the best matches move the ticket or message the customer";
            Some((
                words.to_owned(),
                if self.nudged { t.error() } else { t.dim() },
            ))
        } else {
            None
        };
        let top = if hint.is_some() { 2 } else { 1 };
        if let Some((words, style)) = hint {
            popup::put(
                f,
                inner,
                1,
                Line::styled(
                    crate::ui::text::fit(&words, usize::from(inner.width)),
                    style,
                ),
            );
        }
        let area = Rect::new(
            inner.x,
            inner.y + top,
            inner.width,
            inner.height.saturating_sub(top),
        );
        popup::list(f, t, area, self.selected, &self.hits, |h, w| {
            let item = &self.items[h.index];
            let base = Style::new();
            popup::highlighted(&item.label, h.matched_in(0), w, base, t.matched())
        });
    }
}
