//! The macro picker and the command palette: a query, ranked hits and a
//! selection, over nucleo-ranked candidates.

use std::collections::BTreeMap;

use shared::{AgentId, Macro, MacroId, Priority, QueueId, TicketId, TicketStatus};

use crate::fuzzy::{Field, Hit, Ranker};

/// The macro picker, for one ticket.
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
}

/// What a palette entry does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteCmd {
    Take,
    Assign(Option<AgentId>),
    Transfer(QueueId),
    Escalate,
    Status(TicketStatus),
    Priority(Priority),
    AddTags,
    RemoveTag(String),
    Note,
    CloseWithSummary,
    AskDetails,
    Macros,
    NextWaiting,
    Alerts,
    AckAlerts,
    Help,
    Quit,
}

#[derive(Debug, Clone)]
pub struct PaletteItem {
    pub label: String,
    pub cmd: PaletteCmd,
}

/// The command palette, about one ticket (or none, on an empty queue).
#[derive(Debug, Clone)]
pub struct Palette {
    pub ticket: Option<TicketId>,
    pub query: String,
    pub selected: usize,
    pub items: Vec<PaletteItem>,
    pub hits: Vec<Hit>,
}

impl Palette {
    pub fn new(ticket: Option<TicketId>, items: Vec<PaletteItem>, ranker: &mut Ranker) -> Self {
        let mut p = Palette {
            ticket,
            query: String::new(),
            selected: 0,
            items,
            hits: Vec::new(),
        };
        ranker.reset();
        p.refresh(ranker);
        p
    }

    pub fn refresh(&mut self, ranker: &mut Ranker) {
        self.hits = ranker.rank(&self.query, &self.items, |i| {
            [Field {
                text: &i.label,
                weight: 1,
                prefix_bonus: true,
                long: false,
                greedy: false,
            }]
        });
        self.selected = 0;
    }

    pub fn chosen(&self) -> Option<&PaletteItem> {
        self.hits.get(self.selected).map(|h| &self.items[h.index])
    }
}

/// Moves a selection within `len` entries by `delta`, clamped.
pub fn step(selected: usize, len: usize, delta: isize) -> usize {
    if len == 0 {
        return 0;
    }
    (selected as isize + delta).clamp(0, len as isize - 1) as usize
}
