//! Which conversation a group message belongs to (docs/groups.md,
//! "Conversations"):
//! - in a forum, a topic is one conversation;
//! - elsewhere (a plain group, a forum's General topic) a reply joins the
//!   conversation of the message it replies to;
//! - a customer's message that replies to nothing joins the conversation
//!   they last wrote in, if that was within [`WINDOW`]; else it opens one
//!   (unless it is a pleasantry);
//! - a staff message that replies to nothing answers the conversation
//!   owed most recently there, else joins their own recent one;
//! - the bot's messages join by reply or topic only.
//!
//! Decided from what the store knows, gathered into [`Known`]: the rule is
//! a pure function.

use std::time::Duration;

/// Top-level messages of one person this close together are one
/// conversation.
pub const WINDOW: Duration = Duration::from_secs(10 * 60);

/// Who wrote a group message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Customer,
    Staff,
    Bot,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Customer => "customer",
            Side::Staff => "staff",
            Side::Bot => "bot",
        }
    }

    pub fn parse(s: &str) -> Side {
        match s {
            "staff" => Side::Staff,
            "bot" => Side::Bot,
            _ => Side::Customer,
        }
    }
}

/// The message being placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incoming {
    /// In a forum topic other than General.
    pub in_topic: bool,
    pub side: Side,
    pub pleasantry: bool,
}

/// What the store knows around the message (each `None` when absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Known {
    /// The conversation of the message replied to.
    pub replied: Option<i64>,
    /// The open conversation of the forum topic.
    pub topic: Option<i64>,
    /// The conversation the author last wrote in here, within [`WINDOW`].
    pub authors_recent: Option<i64>,
    /// The conversation here whose unanswered customer message is the
    /// newest.
    pub latest_owed: Option<i64>,
}

/// Where the message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Join(i64),
    /// A new conversation starts with it.
    Open,
    /// Kept as a message of the group, in no conversation (a pleasantry,
    /// a staff announcement, the bot outside any thread).
    Alone,
}

pub fn place(m: Incoming, k: Known) -> Place {
    if m.in_topic {
        return match k.topic {
            Some(c) => Place::Join(c),
            None if m.side == Side::Bot || (m.pleasantry && m.side == Side::Customer) => {
                Place::Alone
            }
            None => Place::Open,
        };
    }
    if let Some(c) = k.replied {
        return Place::Join(c);
    }
    match m.side {
        Side::Bot => Place::Alone,
        Side::Staff => k
            .latest_owed
            .or(k.authors_recent)
            .map_or(Place::Alone, Place::Join),
        Side::Customer => match k.authors_recent {
            Some(c) => Place::Join(c),
            None if m.pleasantry => Place::Alone,
            None => Place::Open,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(side: Side) -> Incoming {
        Incoming {
            in_topic: false,
            side,
            pleasantry: false,
        }
    }

    #[test]
    fn a_forum_topic_is_one_conversation() {
        let m = Incoming {
            in_topic: true,
            ..msg(Side::Customer)
        };
        assert_eq!(place(m, Known::default()), Place::Open);
        let k = Known {
            topic: Some(4),
            replied: Some(9),
            ..Known::default()
        };
        assert_eq!(place(m, k), Place::Join(4), "the topic wins over a reply");
        let thanks = Incoming {
            pleasantry: true,
            ..m
        };
        assert_eq!(place(thanks, Known::default()), Place::Alone);
        let staff = Incoming {
            in_topic: true,
            ..msg(Side::Staff)
        };
        assert_eq!(place(staff, Known::default()), Place::Open);
    }

    #[test]
    fn in_a_plain_group_replies_chain_and_a_persons_burst_is_one() {
        let reply = msg(Side::Customer);
        let k = Known {
            replied: Some(7),
            authors_recent: Some(3),
            ..Known::default()
        };
        assert_eq!(place(reply, k), Place::Join(7));
        let again = Known {
            authors_recent: Some(3),
            ..Known::default()
        };
        assert_eq!(place(msg(Side::Customer), again), Place::Join(3));
        assert_eq!(place(msg(Side::Customer), Known::default()), Place::Open);
        let thanks = Incoming {
            pleasantry: true,
            ..msg(Side::Customer)
        };
        assert_eq!(place(thanks, Known::default()), Place::Alone);
        assert_eq!(place(thanks, again), Place::Join(3));
    }

    #[test]
    fn staff_without_a_reply_answer_the_latest_owed_and_the_bot_never_opens() {
        let k = Known {
            latest_owed: Some(5),
            authors_recent: Some(2),
            ..Known::default()
        };
        assert_eq!(place(msg(Side::Staff), k), Place::Join(5));
        let mine = Known {
            authors_recent: Some(2),
            ..Known::default()
        };
        assert_eq!(place(msg(Side::Staff), mine), Place::Join(2));
        assert_eq!(place(msg(Side::Staff), Known::default()), Place::Alone);
        assert_eq!(place(msg(Side::Bot), k), Place::Alone);
        let bot_reply = Known {
            replied: Some(8),
            ..Known::default()
        };
        assert_eq!(place(msg(Side::Bot), bot_reply), Place::Join(8));
    }
}
