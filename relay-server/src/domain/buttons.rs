//! Buttons under the bot's messages, as the domain means them: what each
//! shows and what pressing it asks for. `telegram/` turns them into inline
//! keyboards and reads presses back into a [`Choice`].

use serde::{Deserialize, Serialize};
use shared::TicketId;

/// What a button press asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Choice {
    /// Agrees (or not) to the desk keeping their messages.
    Consent { yes: bool },
    /// The bot's language, by code ("uk").
    Language { code: String },
    /// A topic of the guided dialogue, by key.
    Topic { key: String },
    /// No screenshot: open the ticket now.
    SkipScreenshot,
    /// The knowledge-base article helped (or not).
    KbHelped { yes: bool },
    /// Where the ticket stands.
    Status { ticket: TicketId },
    /// Add details to the ticket.
    Details { ticket: TicketId },
    /// A 1-5 star rating of a finished ticket.
    Rate { ticket: TicketId, stars: u8 },
    /// "Not fixed": reopen a resolved ticket.
    Reopen { ticket: TicketId },
    /// The follow-up's answer: is it still fixed?
    Followup { ticket: TicketId, ok: bool },
    /// Open one article of a knowledge-base list (a `kb_answer`
    /// experiment's variant B).
    KbOpen { article: String },
    /// How likely the customer is to recommend us, 0-10 (NPS).
    Nps { ticket: TicketId, score: u8 },
    /// Withdraws the customer's consent to keeping the conversation.
    WithdrawConsent,
    /// The answer to "erase your data?" (`/forgetme`), asked at `asked`
    /// (minutes since the Unix epoch): an old button is not honoured.
    Forget { asked: i64, yes: bool },
    /// A button of a captcha at a group's door (docs/groups.md, "Safety").
    Captcha { id: i64, pick: u8 },
    /// Not a press: opens the mini app at `url` (a web_app button; private
    /// chats only).
    OpenApp { url: String },
}

impl Choice {
    /// The ticket the press is about, if any.
    pub fn ticket(&self) -> Option<TicketId> {
        match self {
            Choice::Status { ticket }
            | Choice::Details { ticket }
            | Choice::Rate { ticket, .. }
            | Choice::Reopen { ticket }
            | Choice::Followup { ticket, .. }
            | Choice::Nps { ticket, .. } => Some(*ticket),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    pub choice: Choice,
}

impl Button {
    pub fn new(label: impl Into<String>, choice: Choice) -> Button {
        Button {
            label: label.into(),
            choice,
        }
    }
}

/// Rows of buttons under one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyboard {
    pub rows: Vec<Vec<Button>>,
}

impl Keyboard {
    pub fn rows(rows: Vec<Vec<Button>>) -> Keyboard {
        Keyboard { rows }
    }

    /// One button per row.
    pub fn column(buttons: Vec<Button>) -> Keyboard {
        Keyboard {
            rows: buttons.into_iter().map(|b| vec![b]).collect(),
        }
    }

    /// Two buttons to a row.
    pub fn pairs(buttons: Vec<Button>) -> Keyboard {
        Keyboard {
            rows: buttons.chunks(2).map(<[_]>::to_vec).collect(),
        }
    }

    /// As stored with a queued or held message.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored keyboard; `None` when the text is not one (a row queued by
    /// an older version holds Telegram's own markup).
    pub fn decode(stored: &str) -> Option<Keyboard> {
        serde_json::from_str(stored).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyboard_round_trips_through_its_stored_form() {
        let k = Keyboard::pairs(vec![
            Button::new(
                "1⭐",
                Choice::Rate {
                    ticket: TicketId(7),
                    stars: 1,
                },
            ),
            Button::new("Мова", Choice::Language { code: "uk".into() }),
            Button::new("Skip", Choice::SkipScreenshot),
        ]);
        assert_eq!(k.rows.len(), 2);
        assert_eq!(Keyboard::decode(&k.encode()), Some(k));
        assert_eq!(Keyboard::decode(r#"{"inline_keyboard":[]}"#), None);
    }
}
