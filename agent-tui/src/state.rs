//! The workstation's state: the mirrored server data (one store keyed by
//! id) plus view state (tabs, selections, drafts, overlays). Update
//! functions in `update/` change it; `ui/` only reads it.

use std::collections::{BTreeMap, HashMap};

use relay_client::Mirror;
use shared::*;

use crate::alerts::AlertBook;
use crate::compose::Compose;
use crate::config::Alerts;
use crate::fuzzy::Ranker;
use crate::keymap::Keymap;
pub use crate::overlay::Overlay;
use crate::views::{self, QueueTab};

/// Most chats open as tabs at once.
pub const MAX_CHATS: usize = 10;

/// The link to the relay server, as shown in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    Connecting {
        attempt: u32,
    },
    /// Welcomed; the snapshot or the missed events are arriving.
    Syncing,
    Online,
    Offline {
        reason: String,
        retry_at: Timestamp,
    },
    /// The server refused this token; nothing more will be tried.
    Refused {
        reason: String,
    },
}

impl ConnState {
    pub fn online(&self) -> bool {
        matches!(self, ConnState::Online | ConnState::Syncing)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Queues,
    /// The chat tab at this index.
    Chat(usize),
    /// Customer groups: their conversations, who waits and since when.
    Groups,
    /// One group conversation's thread.
    Group(ConversationId),
    /// Messages the group safety checks held.
    Quarantine,
    /// The leads' live figures.
    Dashboard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Normal,
    Compose,
}

/// An open chat: only view state; the data stays in the mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTab {
    pub ticket: TicketId,
    /// Lines scrolled up from the newest message.
    pub scroll: usize,
    /// A `load_older` is on its way.
    pub loading_older: bool,
    /// The server said there is nothing older.
    pub complete: bool,
}

/// A command waiting for the server's answer (sent or not yet sent).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    pub id: CommandId,
    pub command: Command,
    /// Sent on the current connection.
    #[serde(skip)]
    pub sent: bool,
}

/// A read in flight (`load_older`, `history`, `preview`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    Older(TicketId),
    History(CustomerId),
    Preview(TicketId),
    /// Group safety's figures for the held messages screen.
    SafetyFigures,
    /// The leads' dashboard.
    DeskFigures,
}

/// A short message in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub error: bool,
    pub at: Timestamp,
}

/// Sizes seen at the last draw, for paging and scrolling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Viewport {
    pub width: u16,
    pub height: u16,
    pub list_rows: u16,
    pub thread_rows: u16,
    pub thread_width: u16,
}

pub struct App {
    pub mirror: Mirror,
    pub me: Option<Agent>,
    pub now: Timestamp,
    pub tz: jiff::tz::TimeZone,
    pub conn: ConnState,
    pub server_version: Option<String>,
    /// The desk's time zone (from `welcome`), for customers whose own is unknown.
    pub desk_zone: Option<String>,
    /// The server runs a Telegram bot (from `welcome`); without one,
    /// replies wait unsent and the header says why.
    pub telegram: bool,
    /// Where opened attachments are saved.
    pub download_dir: std::path::PathBuf,
    /// The program that opens a saved file (`$OPENER`, or xdg-open on a
    /// local desktop); `None` over SSH: the saved path is shown instead.
    pub opener: Option<String>,
    pub keymap: Keymap,
    pub theme: crate::ui::theme::Theme,
    pub alert_settings: Alerts,
    pub escalate_to: QueueId,
    pub screen: Screen,
    pub focus: Focus,
    pub overlay: Option<Overlay>,
    pub tabs: Vec<QueueTab>,
    pub queue_tab: usize,
    /// The engineer chose the queue tab: it no longer follows the work.
    pub tab_by_hand: bool,
    /// Ticket ids of the current queue tab, in order.
    pub rows: Vec<TicketId>,
    /// Tickets in each tab (same order as `tabs`).
    pub tab_counts: Vec<usize>,
    pub queue_sel: usize,
    pub queue_offset: usize,
    /// The Groups screen's rows (conversations, in its order) and selection.
    pub group_rows: Vec<ConversationId>,
    pub group_sel: usize,
    pub group_offset: usize,
    /// The quarantine screen's rows, selection and scroll.
    pub held_rows: Vec<HeldId>,
    pub held_sel: usize,
    pub held_offset: usize,
    /// A ban asked for once: the same key again on the same row bans.
    pub ban_armed: Option<HeldId>,
    /// The selected held message was waiting at the last refresh.
    pub held_sel_waiting: bool,
    /// The last week's safety figures, fetched when the screen opens.
    pub safety_figures: Option<SafetyFigures>,
    /// The leads' dashboard, once opened: kept live from then on.
    pub dashboard: Option<crate::dashboard::Live>,
    pub chats: Vec<ChatTab>,
    pub drafts: BTreeMap<TicketId, Compose>,
    /// The customer panel key was pressed: on wide terminals this hides
    /// the panel beside the thread; on narrow ones it shows the panel
    /// instead of the thread.
    pub customer_toggled: bool,
    pub alerts: AlertBook,
    pub pending: Vec<Pending>,
    pub reads: HashMap<CommandId, Read>,
    /// Last `mark_read` sent per ticket.
    pub marked: HashMap<TicketId, MessageId>,
    /// Each customer's tickets from `history`, newest first.
    pub history: HashMap<CustomerId, Vec<Ticket>>,
    pub flash: Option<Flash>,
    pub ranker: Ranker,
    pub viewport: Viewport,
    /// Quit was pressed while commands were unsent; the next press quits.
    pub quit_armed: bool,
    pub quit: bool,
    /// The first snapshot has been applied.
    pub synced_once: bool,
    /// Something changed since the last draw.
    pub dirty: bool,
    /// The mirror or the tab changed: `rows` must be recomputed.
    pub rows_dirty: bool,
    /// Bumped whenever drafts or pending commands change (the loop saves
    /// them to disk when it moves).
    pub persist_rev: u64,
    id_prefix: String,
    next_id: u64,
}

impl App {
    /// A fresh app. `id_prefix` makes command ids unique across runs
    /// (the server applies an id once per agent, forever).
    pub fn new(
        keymap: Keymap,
        alert_settings: Alerts,
        tz: jiff::tz::TimeZone,
        id_prefix: String,
        now: Timestamp,
    ) -> App {
        let mirror = Mirror::default();
        App {
            tabs: views::tabs(&mirror),
            mirror,
            me: None,
            now,
            tz,
            conn: ConnState::Connecting { attempt: 1 },
            server_version: None,
            desk_zone: None,
            telegram: true,
            download_dir: std::env::temp_dir(),
            opener: None,
            keymap,
            theme: crate::ui::theme::Theme::new(crate::config::Colors::Basic),
            alert_settings,
            escalate_to: QueueId::new("L2"),
            screen: Screen::Queues,
            focus: Focus::Normal,
            overlay: None,
            queue_tab: 0,
            tab_by_hand: false,
            rows: Vec::new(),
            tab_counts: Vec::new(),
            queue_sel: 0,
            queue_offset: 0,
            group_rows: Vec::new(),
            group_sel: 0,
            group_offset: 0,
            held_rows: Vec::new(),
            held_sel: 0,
            held_offset: 0,
            ban_armed: None,
            held_sel_waiting: false,
            safety_figures: None,
            dashboard: None,
            chats: Vec::new(),
            drafts: BTreeMap::new(),
            customer_toggled: false,
            alerts: AlertBook::default(),
            pending: Vec::new(),
            reads: HashMap::new(),
            marked: HashMap::new(),
            history: HashMap::new(),
            flash: None,
            ranker: Ranker::default(),
            viewport: Viewport::default(),
            quit_armed: false,
            quit: false,
            synced_once: false,
            dirty: true,
            rows_dirty: true,
            persist_rev: 0,
            id_prefix,
            next_id: 0,
        }
    }

    /// A fresh command id.
    pub fn command_id(&mut self) -> CommandId {
        self.next_id += 1;
        CommandId::new(format!("{}-{}", self.id_prefix, self.next_id))
    }

    pub fn ticket(&self, id: TicketId) -> Option<&Ticket> {
        self.mirror.tickets.get(&id)
    }

    pub fn customer_of(&self, t: &Ticket) -> Option<&Customer> {
        self.mirror.customers.get(&t.customer_id)
    }

    /// The ticket in front of the engineer: the open chat's, or the
    /// selected row's.
    pub fn current_ticket(&self) -> Option<TicketId> {
        match self.screen {
            Screen::Chat(i) => self.chats.get(i).map(|c| c.ticket),
            Screen::Queues => self.rows.get(self.queue_sel).copied(),
            Screen::Groups | Screen::Group(_) | Screen::Quarantine | Screen::Dashboard => None,
        }
    }

    /// The group conversation in front of the engineer: the open one, or
    /// the selected row of the Groups screen.
    pub fn current_conversation(&self) -> Option<ConversationId> {
        match self.screen {
            Screen::Group(c) => Some(c),
            Screen::Groups => self.group_rows.get(self.group_sel).copied(),
            _ => None,
        }
    }

    pub fn current_chat(&self) -> Option<&ChatTab> {
        match self.screen {
            Screen::Chat(i) => self.chats.get(i),
            _ => None,
        }
    }

    pub fn current_chat_mut(&mut self) -> Option<&mut ChatTab> {
        match self.screen {
            Screen::Chat(i) => self.chats.get_mut(i),
            _ => None,
        }
    }

    pub fn agent_name(&self, id: AgentId) -> String {
        self.mirror
            .agents
            .get(&id)
            .map_or_else(|| format!("agent {id}"), |a| a.display_name.clone())
    }

    /// Recomputes the current tab's rows if the data or the tab changed,
    /// keeping the selection on the same ticket when it is still there.
    pub fn refresh_rows(&mut self) {
        if !self.rows_dirty {
            return;
        }
        self.rows_dirty = false;
        self.tabs = views::tabs(&self.mirror);
        self.queue_tab = self.queue_tab.min(self.tabs.len() - 1);
        let selected = self.rows.get(self.queue_sel).copied();
        self.tab_counts = views::counts(&self.mirror, self.me.as_ref(), &self.tabs);
        // Until the engineer picks a tab, the view follows the work: an
        // empty Mine or Unassigned gives way to the other when it has some.
        if !self.tab_by_hand
            && self.tab_counts.get(self.queue_tab) == Some(&0)
            && let Some(busy) = (0..2).find(|i| self.tab_counts.get(*i).is_some_and(|n| *n > 0))
        {
            self.queue_tab = busy;
            self.queue_sel = 0;
            self.queue_offset = 0;
        }
        self.rows = views::rows(&self.mirror, self.me.as_ref(), &self.tabs[self.queue_tab]);
        let chosen = self.group_rows.get(self.group_sel).copied();
        self.group_rows = crate::groups::rows(&self.mirror);
        self.group_sel = chosen
            .and_then(|s| self.group_rows.iter().position(|r| *r == s))
            .unwrap_or(self.group_sel)
            .min(self.group_rows.len().saturating_sub(1));
        let held = self.held_rows.get(self.held_sel).copied();
        let waiting = |m: &relay_client::Mirror, id: Option<HeldId>| {
            id.and_then(|id| m.quarantine.get(&id))
                .is_some_and(|h| h.state == HeldState::Held)
        };
        let was_waiting = self.held_sel_waiting;
        self.held_rows = crate::quarantine::rows(&self.mirror);
        // The selected message was just decided: it moves down among the
        // decided ones, and the selection stays where it was, on the next
        // one waiting.
        let decided_now = was_waiting && !waiting(&self.mirror, held);
        self.held_sel = held
            .filter(|_| !decided_now)
            .and_then(|s| self.held_rows.iter().position(|r| *r == s))
            .unwrap_or(self.held_sel)
            .min(self.held_rows.len().saturating_sub(1));
        self.held_sel_waiting = waiting(&self.mirror, self.held_rows.get(self.held_sel).copied());
        self.queue_sel = selected
            .and_then(|s| self.rows.iter().position(|r| *r == s))
            .unwrap_or(self.queue_sel)
            .min(self.rows.len().saturating_sub(1));
        self.dirty = true;
    }

    /// The Groups screen, the most urgent conversation selected.
    pub fn show_groups(&mut self) {
        self.screen = Screen::Groups;
        self.focus = Focus::Normal;
        self.group_rows.clear();
        self.group_sel = 0;
        self.group_offset = 0;
        self.rows_dirty = true;
        self.refresh_rows();
    }

    /// The quarantine screen, the oldest waiting message selected.
    pub fn show_quarantine(&mut self) {
        self.screen = Screen::Quarantine;
        self.focus = Focus::Normal;
        self.held_rows.clear();
        self.held_sel = 0;
        self.held_offset = 0;
        self.ban_armed = None;
        self.rows_dirty = true;
        self.refresh_rows();
    }

    /// The held message in front of the engineer.
    pub fn current_held(&self) -> Option<HeldId> {
        match self.screen {
            Screen::Quarantine => self.held_rows.get(self.held_sel).copied(),
            _ => None,
        }
    }

    /// Keeps the selected row inside the visible window.
    pub fn clamp_offset(&mut self) {
        let h = usize::from(self.viewport.list_rows.max(1));
        if self.queue_sel < self.queue_offset {
            self.queue_offset = self.queue_sel;
        } else if self.queue_sel >= self.queue_offset + h {
            self.queue_offset = self.queue_sel + 1 - h;
        }
        self.queue_offset = self.queue_offset.min(self.rows.len().saturating_sub(h));
        if self.group_sel < self.group_offset {
            self.group_offset = self.group_sel;
        } else if self.group_sel >= self.group_offset + h {
            self.group_offset = self.group_sel + 1 - h;
        }
        self.group_offset = self
            .group_offset
            .min(self.group_rows.len().saturating_sub(h));
        // The quarantine keeps room for the selected message's text.
        let held_h = h.saturating_sub(crate::ui::quarantine::DETAIL_ROWS).max(1);
        if self.held_sel < self.held_offset {
            self.held_offset = self.held_sel;
        } else if self.held_sel >= self.held_offset + held_h {
            self.held_offset = self.held_sel + 1 - held_h;
        }
        self.held_offset = self
            .held_offset
            .min(self.held_rows.len().saturating_sub(held_h));
    }

    /// Sends the pending commands not sent on this connection, if online.
    pub fn send_unsent(&mut self) -> Vec<crate::update::Effect> {
        if !self.conn.online() {
            return Vec::new();
        }
        self.pending
            .iter_mut()
            .filter(|p| !p.sent)
            .map(|p| {
                p.sent = true;
                crate::update::Effect::Send(ClientMessage::Command {
                    id: p.id.clone(),
                    command: p.command.clone(),
                })
            })
            .collect()
    }

    /// Drafts or pending commands changed.
    pub fn touch(&mut self) {
        self.persist_rev += 1;
    }

    pub fn say(&mut self, text: impl Into<String>) {
        self.flash = Some(Flash {
            text: text.into(),
            error: false,
            at: self.now,
        });
        self.dirty = true;
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.flash = Some(Flash {
            text: text.into(),
            error: true,
            at: self.now,
        });
        self.dirty = true;
    }

    /// Pending commands of a ticket that carry text (replies and notes not
    /// yet confirmed), to show at the end of its thread.
    pub fn pending_texts(&self, ticket: TicketId) -> Vec<(&Pending, MessageKind, &str)> {
        self.pending
            .iter()
            .filter_map(|p| match &p.command {
                Command::Reply { ticket_id, text } if *ticket_id == ticket => {
                    Some((p, MessageKind::Outbound, text.as_str()))
                }
                Command::Note { ticket_id, text } if *ticket_id == ticket => {
                    Some((p, MessageKind::Note, text.as_str()))
                }
                Command::Attach { ticket_id, .. } if *ticket_id == ticket => {
                    Some((p, MessageKind::Outbound, "[a file]"))
                }
                _ => None,
            })
            .collect()
    }
}
