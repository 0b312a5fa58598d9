//! Group safety on the wire (docs/groups.md, "Safety"): messages the
//! checks held (the quarantine), why, and what staff decided.

use serde::{Deserialize, Serialize};

use crate::ids::*;

/// Why a message was held. A message may break several rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum HoldReason {
    /// A newcomer posted a link.
    NewcomerLink,
    /// A newcomer posted a photo, video, file or voice message.
    NewcomerMedia,
    /// A newcomer forwarded a message.
    NewcomerForward,
    /// A newcomer's message carried buttons (sent through an inline bot).
    NewcomerKeyboard,
    /// A newcomer quoted a message from another chat.
    NewcomerQuote,
    /// It holds a phrase of the stop list.
    StopList { phrase: String },
    /// The same text went to this many groups within the repeat window.
    Repeated { groups: u32 },
    /// The classifier's probability that it is spam, in whole percent
    /// (rounded down).
    Spam { percent: u8 },
    /// Its author's name or username looks like this staff member's.
    Lookalike { of: String },
}

impl HoldReason {
    /// The rule's name, as on the wire (`rule`).
    pub fn rule(&self) -> &'static str {
        match self {
            HoldReason::NewcomerLink => "newcomer_link",
            HoldReason::NewcomerMedia => "newcomer_media",
            HoldReason::NewcomerForward => "newcomer_forward",
            HoldReason::NewcomerKeyboard => "newcomer_keyboard",
            HoldReason::NewcomerQuote => "newcomer_quote",
            HoldReason::StopList { .. } => "stop_list",
            HoldReason::Repeated { .. } => "repeated",
            HoldReason::Spam { .. } => "spam",
            HoldReason::Lookalike { .. } => "lookalike",
        }
    }
}

/// Where a held message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeldState {
    /// Waiting for staff.
    Held,
    /// Staff approved it: posted back in the group, and its author's
    /// newcomer limits lifted.
    Approved,
    /// Staff banned its author from the organisation's groups.
    Banned,
}

impl HeldState {
    pub fn as_str(self) -> &'static str {
        match self {
            HeldState::Held => "held",
            HeldState::Approved => "approved",
            HeldState::Banned => "banned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Held, Self::Approved, Self::Banned]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A message the safety checks deleted from a group and kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldMessage {
    pub id: HeldId,
    pub chat_id: i64,
    pub group_title: String,
    /// Who reads it (the group's queue; `null`: supervisors only).
    pub queue: Option<QueueId>,
    /// Telegram's id of the message in the group (deleted there).
    pub telegram_message_id: i64,
    pub author_id: i64,
    pub author_name: String,
    /// The author's @username, if they have one.
    pub author_username: Option<String>,
    pub text: String,
    pub reasons: Vec<HoldReason>,
    pub sent_at: Timestamp,
    pub state: HeldState,
    /// Who decided, and when.
    pub decided_by: Option<AgentId>,
    pub decided_at: Option<Timestamp>,
}

/// Group safety's figures for one group or one organisation over a
/// period (`safety_figures`). Shares are left to the reader:
/// - spam share: `(held - approved) / messages`;
/// - false positives: `approved / (approved + banned)` (of the held
///   messages staff decided on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyFigure {
    /// The group's chat id (`null` for an organisation's line).
    pub chat_id: Option<i64>,
    /// The organisation (`null` for an unbound group).
    pub organisation_id: Option<OrganisationId>,
    /// The group's title or the organisation's name.
    pub name: String,
    /// What the client's side wrote: filed, and held (an approved message
    /// counted once).
    pub messages: u64,
    /// Held by the checks.
    pub held: u64,
    /// Of those, approved by staff (posted back)...
    pub approved: u64,
    /// ...and whose author staff banned.
    pub banned: u64,
    /// Still waiting for staff.
    pub waiting: u64,
}

impl SafetyFigure {
    /// The share of what the client's side wrote that was spam (held and
    /// not approved), 0 to 1.
    pub fn spam_share(&self) -> f64 {
        if self.messages == 0 {
            return 0.0;
        }
        (self.held - self.approved.min(self.held)) as f64 / self.messages as f64
    }

    /// Of the held messages staff decided on, the share they approved
    /// (false positives), 0 to 1; `None` before any decision.
    pub fn false_positive_share(&self) -> Option<f64> {
        let decided = self.approved + self.banned;
        (decided > 0).then(|| self.approved as f64 / decided as f64)
    }
}

/// `safety_figures`' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyFigures {
    /// The period: from then until the answer.
    pub since: Timestamp,
    /// Each readable group with traffic in the period.
    pub groups: Vec<SafetyFigure>,
    /// Each organisation of those groups, summed.
    pub organisations: Vec<SafetyFigure>,
}
