//! Everything the engineer can do by a key. Actions are named in
//! snake_case so the config file's `[keys]` table can rebind them.

use serde::{Deserialize, Serialize};
use shared::{AgentId, Priority, QueueId, TicketStatus};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// Everywhere, even while typing in the compose box.
    Global,
    /// Lists and threads (not typing).
    Normal,
    /// Typing in the compose box.
    Compose,
    /// Typing in a picker or a prompt (the macro picker, the palette, a
    /// one-line prompt). Its keys come first there; other characters are
    /// the query.
    Picker,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Normal => "Queues and threads",
            Context::Compose => "Compose box",
            Context::Picker => "Pickers and prompts",
        }
    }
}

macro_rules! actions {
    ($($variant:ident = $name:literal, $ctx:ident, $help:literal;)*) => {
        /// A bindable action.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Action {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The name used in the config file.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name,)* }
            }

            pub fn context(self) -> Context {
                match self { $(Action::$variant => Context::$ctx,)* }
            }

            /// One line for the help screen.
            pub fn help(self) -> &'static str {
                match self { $(Action::$variant => $help,)* }
            }

            pub fn parse(name: &str) -> Option<Action> {
                Self::ALL.iter().copied().find(|a| a.name() == name)
            }
        }
    };
}

actions! {
    Quit = "quit", Global, "Quit (asks again while commands wait to be sent)";
    Palette = "palette", Global, "Command palette: every action, fuzzy";
    Macros = "macros", Global, "Macro picker (in a chat)";
    NextWaiting = "next_waiting", Global, "Jump to the chat waiting longest for a reply";
    Chat1 = "chat_1", Global, "Jump to chat 1";
    Chat2 = "chat_2", Global, "Jump to chat 2";
    Chat3 = "chat_3", Global, "Jump to chat 3";
    Chat4 = "chat_4", Global, "Jump to chat 4";
    Chat5 = "chat_5", Global, "Jump to chat 5";
    Chat6 = "chat_6", Global, "Jump to chat 6";
    Chat7 = "chat_7", Global, "Jump to chat 7";
    Chat8 = "chat_8", Global, "Jump to chat 8";
    Chat9 = "chat_9", Global, "Jump to chat 9";
    Chat10 = "chat_10", Global, "Jump to chat 10";
    AckAlerts = "ack_alerts", Global, "Acknowledge every alert (stops the repeats)";
    Help = "help", Normal, "This help";
    Back = "back", Normal, "Back to the queues (the chat stays open as a tab); never quits";
    Up = "up", Normal, "Move up / scroll the thread up";
    Down = "down", Normal, "Move down / scroll the thread down";
    PageUp = "page_up", Normal, "Page up";
    PageDown = "page_down", Normal, "Page down";
    Top = "top", Normal, "First row / oldest message";
    Bottom = "bottom", Normal, "Last row / newest message";
    NextQueue = "next_queue", Normal, "Next queue tab";
    PrevQueue = "prev_queue", Normal, "Previous queue tab";
    Open = "open", Normal, "Open the selected ticket as a chat";
    CloseChat = "close_chat", Normal, "Close this chat tab (its draft is kept)";
    NextChat = "next_chat", Normal, "Next chat tab";
    PrevChat = "prev_chat", Normal, "Previous chat tab";
    Compose = "compose", Normal, "Write in the compose box";
    Take = "take", Normal, "Take the ticket (assign it to me)";
    Customer = "customer", Normal, "Show or hide the customer panel";
    Alerts = "alerts", Normal, "List alerts";
    Groups = "groups", Normal, "Customer groups: their conversations, who waits and for how long";
    GroupAck = "group_ack", Normal, "Acknowledge a group conversation's alert (stops its repeats)";
    GroupTicket = "group_ticket", Normal, "Turn the group conversation into a ticket (the group is told its number)";
    LinkTelegram = "link_telegram", Normal, "Link your Telegram account: a one-time code to send the bot";
    BindGroup = "bind_group", Normal, "Bind the group of the selected conversation to an organisation (supervisors)";
    Quarantine = "quarantine", Normal, "Held messages: what the group safety checks kept back, to approve or ban";
    Dashboard = "dashboard", Normal, "The leads' dashboard: who waits, agents' load, today's first replies against target, CSAT, volume by hour";
    ApproveHeld = "approve_held", Normal, "Approve the held message: posted back in the group, its author's limits lifted";
    BanHeld = "ban_held", Normal, "Ban the held message's author from every group of the organisation (press twice)";
    Send = "send", Compose, "Send the reply (or the note)";
    Newline = "newline", Compose, "New line";
    NextField = "next_field", Compose, "Next fill-in field of a macro";
    ToggleNote = "toggle_note", Compose, "Switch between reply and internal note";
    Leave = "leave", Compose, "Leave the compose box (the draft stays)";
    SendAndClose = "send_and_close", Compose, "Send the reply, then close the ticket with a summary";
    Assign = "assign", Normal, "Assign the ticket to a colleague who serves its queue";
    Unassign = "unassign", Normal, "Unassign the ticket (back to its queue)";
    Share = "share", Normal, "Share the ticket with a colleague outside its queue (supervisors)";
    Unshare = "unshare", Normal, "Withdraw a share of the ticket (supervisors)";
    Transfer = "transfer", Normal, "Transfer the ticket to another queue, with a note";
    Escalate = "escalate", Normal, "Escalate to the expert queue with a note; the customer is told";
    SetStatus = "set_status", Normal, "Set the ticket's status (the customer is told)";
    SetPriority = "set_priority", Normal, "Set the ticket's priority";
    AddTags = "add_tags", Normal, "Add tags to the ticket";
    RemoveTag = "remove_tag", Normal, "Remove a tag from the ticket";
    Note = "note", Normal, "Write an internal note (never sent to the customer)";
    CloseTicket = "close_ticket", Normal, "Close with a summary: resolved; the customer is told and rates";
    AskDetails = "ask_details", Normal, "Ask the customer for details (then wait on them)";
    OpenAttachment = "open_attachment", Normal, "Open a file of this chat (saved to the download folder)";
    AttachFile = "attach_file", Global, "Send the customer a file (a path; tab completes)";
    Pick = "pick", Picker, "Run, insert or confirm the highlighted entry";
    Cancel = "cancel", Picker, "Close without doing anything";
    SelectUp = "select_up", Picker, "Highlight the entry above";
    SelectDown = "select_down", Picker, "Highlight the entry below";
}

/// What a palette entry acts on, beyond the ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    None,
    Agent(AgentId),
    Queue(QueueId),
    Status(TicketStatus),
    Priority(Priority),
    Tag(String),
    /// An attachment's file id.
    File(String),
}

/// How far an action reaches: the palette never runs one that changes
/// the owner or queue, or messages the customer, as the default pick of
/// an ambiguous query, and shows what the customer will be sent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    /// Only the workstation's view.
    View,
    /// The ticket's fields or internal notes; the customer sees nothing.
    Ticket,
    /// Who holds the ticket, or its queue.
    Owner,
    /// The customer is sent a message (maybe along with an owner change).
    Customer,
}

impl Reach {
    /// Safe to run as the default pick of a query.
    pub fn safe(self) -> bool {
        self <= Reach::Ticket
    }
}

impl Action {
    /// The words that name this action exactly in the palette: typed as
    /// the query's first word, its entries rank first.
    pub fn verbs(self) -> &'static [&'static str] {
        use Action::*;
        match self {
            Take => &["take"],
            Assign => &["assign"],
            Unassign => &["unassign"],
            Share => &["share"],
            Unshare => &["unshare"],
            Transfer => &["transfer", "move"],
            Escalate => &["escalate"],
            SetStatus => &["status"],
            SetPriority => &["priority", "prio"],
            AddTags => &["tag", "tags"],
            RemoveTag => &["untag"],
            Note => &["note"],
            CloseTicket => &["close", "resolve", "solve"],
            AskDetails => &["ask", "details"],
            Macros => &["macro", "macros"],
            NextWaiting => &["next"],
            Alerts => &["alerts"],
            AckAlerts => &["ack"],
            Help => &["help"],
            Quit => &["quit"],
            OpenAttachment => &["open", "file"],
            Groups => &["groups"],
            GroupTicket => &["ticket"],
            LinkTelegram => &["link"],
            BindGroup => &["bind"],
            Quarantine => &["quarantine", "held", "spam"],
            Dashboard => &["dashboard", "figures", "stats"],
            ApproveHeld => &["approve"],
            BanHeld => &["ban"],
            AttachFile => &["attach", "send"],
            _ => &[],
        }
    }

    /// How far this action reaches with `arg`.
    pub fn reach(self, _arg: &Arg) -> Reach {
        use Action::*;
        match self {
            // The customer is told who took their request, or where it went.
            Take | Assign | Escalate => Reach::Customer,
            // Who may read it: never a default pick.
            Unassign | Transfer | Share | Unshare => Reach::Owner,
            // Every status change but back to new tells the customer.
            SetStatus | CloseTicket | Send | SendAndClose | AttachFile => Reach::Customer,
            SetPriority | AddTags | RemoveTag | Note => Reach::Ticket,
            _ => Reach::View,
        }
    }

    /// Acts on a ticket (needs one in front of the engineer).
    pub fn on_ticket(self) -> bool {
        use Action::*;
        matches!(
            self,
            Take | Assign
                | Unassign
                | Share
                | Unshare
                | Transfer
                | Escalate
                | SetStatus
                | SetPriority
                | AddTags
                | RemoveTag
                | Note
                | CloseTicket
                | AskDetails
                | OpenAttachment
                | AttachFile
        )
    }
}

impl Action {
    /// `chat_N` → N-1.
    pub fn chat_index(self) -> Option<usize> {
        use Action::*;
        [
            Chat1, Chat2, Chat3, Chat4, Chat5, Chat6, Chat7, Chat8, Chat9, Chat10,
        ]
        .iter()
        .position(|a| *a == self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for a in Action::ALL {
            assert!(seen.insert(a.name()), "duplicate {}", a.name());
            assert_eq!(Action::parse(a.name()), Some(*a));
            let json = serde_json::to_string(a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.name()));
        }
        assert_eq!(Action::Chat10.chat_index(), Some(9));
        assert_eq!(Action::Quit.chat_index(), None);
    }
}
