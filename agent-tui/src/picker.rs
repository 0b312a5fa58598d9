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
pub fn macro_fields(m: &Macro) -> Vec<Field<'_>> {
    vec![
        Field {
            text: &m.shortcut,
            weight: 3,
            prefix_bonus: true,
        },
        Field {
            text: &m.title,
            weight: 2,
            prefix_bonus: false,
        },
        Field {
            text: &m.body,
            weight: 1,
            prefix_bonus: false,
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
        p.refresh(macros, ranker);
        p
    }

    pub fn refresh(&mut self, macros: &BTreeMap<MacroId, Macro>, ranker: &mut Ranker) {
        self.ids = macros.keys().copied().collect();
        self.hits = ranker.rank(&self.query, macros.values().map(macro_fields));
        self.selected = 0;
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
        p.refresh(ranker);
        p
    }

    pub fn refresh(&mut self, ranker: &mut Ranker) {
        self.hits = ranker.rank(
            &self.query,
            self.items.iter().map(|i| {
                vec![Field {
                    text: &i.label,
                    weight: 1,
                    prefix_bonus: true,
                }]
            }),
        );
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
