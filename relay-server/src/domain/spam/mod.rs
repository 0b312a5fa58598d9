//! The safety rules as values (docs/groups.md, "Safety"): what is checked
//! and how, with no store and no Telegram: text as a reader sees it, the
//! spam classifier, look-alike names, and the checks themselves. What the
//! desk does with a catch is `domain::safety`.
//!
//! - [`text`]: text as a reader sees it (look-alike letters, invisible
//!   characters).
//! - [`classifier`]: the naive-Bayes spam model.
//! - [`lookalike`]: names that imitate staff.
//! - [`checks`]: the rules, pure: what a message breaks.

pub mod checks;
pub mod classifier;
pub mod lookalike;
pub mod text;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use classifier::Model;

/// The classifier's threshold as shipped (`[safety] spam_threshold`).
pub const DEFAULT_SPAM_THRESHOLD: f64 = 0.99;

/// The safety rules in force (`[safety]`), and the classifier (shared by
/// every clone of the desk).
#[derive(Debug, Clone)]
pub struct Safety {
    pub enabled: bool,
    /// The classifier catches from this probability on.
    pub spam_threshold: f64,
    /// Newcomers' limits, unless the organisation sets its own.
    pub newcomer: Newcomer,
    /// Stop phrases, each as the words a reader sees.
    pub stop_list: Vec<Vec<String>>,
    /// The same text in this many groups within `repeat_window` is caught.
    pub repeat_groups: u32,
    pub repeat_window: Duration,
    pub lookalike_distance: u32,
    pub notice_lifetime: Duration,
    /// How a group checks who comes in, unless its organisation says.
    pub captcha: CaptchaMode,
    pub captcha_timeout: Duration,
    /// More joins than this in a minute switch a group to raid protection
    /// (0: never)...
    pub raid_joins_per_minute: u32,
    /// ...for this long.
    pub raid_for: Duration,
    /// Join and leave service messages are removed from groups.
    pub clean_service_messages: bool,
    /// Trained on the shipped set, then on staff's verdicts as they come.
    pub model: Arc<RwLock<Model>>,
}

/// How long a newcomer's limits hold: until they have written `messages`
/// real messages, or `hours` after they joined, whichever comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Newcomer {
    pub messages: u32,
    pub hours: u32,
}

impl Newcomer {
    /// Whether someone who joined at `joined_at` and has written `real`
    /// messages is still limited at `now`.
    pub fn limited(self, joined_at: shared::Timestamp, real: u32, now: shared::Timestamp) -> bool {
        if self.messages == 0 && self.hours == 0 {
            return false;
        }
        let young = self.hours > 0 && now.0 - joined_at.0 < i64::from(self.hours) * 3_600_000;
        let quiet = self.messages > 0 && real < self.messages;
        match (self.messages, self.hours) {
            (0, _) => young,
            (_, 0) => quiet,
            _ => young && quiet,
        }
    }
}

/// How a group checks who comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptchaMode {
    Off,
    /// One button: "I'm a person".
    Button,
    /// A sum with four answers.
    Arithmetic,
    /// One of the organisation's questions (a sum when it has none).
    Questions,
}

impl CaptchaMode {
    pub fn parse(s: &str) -> Option<CaptchaMode> {
        Some(match s {
            "off" => CaptchaMode::Off,
            "button" => CaptchaMode::Button,
            "arithmetic" => CaptchaMode::Arithmetic,
            "questions" => CaptchaMode::Questions,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CaptchaMode::Off => "off",
            CaptchaMode::Button => "button",
            CaptchaMode::Arithmetic => "arithmetic",
            CaptchaMode::Questions => "questions",
        }
    }
}

impl Safety {
    /// The built-in rules with the shipped model (tests, benchmarks).
    pub fn defaults() -> Safety {
        Safety {
            enabled: true,
            spam_threshold: DEFAULT_SPAM_THRESHOLD,
            newcomer: Newcomer {
                messages: 3,
                hours: 24,
            },
            stop_list: Vec::new(),
            repeat_groups: 3,
            repeat_window: Duration::from_secs(600),
            lookalike_distance: 2,
            notice_lifetime: Duration::from_secs(120),
            captcha: CaptchaMode::Button,
            captcha_timeout: Duration::from_secs(300),
            raid_joins_per_minute: 10,
            raid_for: Duration::from_secs(1800),
            clean_service_messages: true,
            model: Arc::new(RwLock::new(Model::shipped())),
        }
    }

    /// The classifier's probability that a text is spam.
    pub fn spam_probability(&self, text: &str) -> f64 {
        self.model
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .spam_probability(text)
    }

    /// Teaches the classifier a staff verdict.
    pub fn learn(&self, text: &str, spam: bool) {
        self.model
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .learn(text, spam);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Timestamp;

    const H: i64 = 3_600_000;

    #[test]
    fn newcomer_limits_lift_at_whichever_comes_first() {
        let n = Newcomer {
            messages: 3,
            hours: 24,
        };
        let joined = Timestamp(0);
        assert!(n.limited(joined, 0, Timestamp(H)));
        assert!(!n.limited(joined, 3, Timestamp(H)), "three real messages");
        assert!(!n.limited(joined, 0, Timestamp(24 * H)), "a day on");
        let only_hours = Newcomer {
            messages: 0,
            hours: 1,
        };
        assert!(only_hours.limited(joined, 100, Timestamp(H - 1)));
        assert!(!only_hours.limited(joined, 0, Timestamp(H)));
        let none = Newcomer {
            messages: 0,
            hours: 0,
        };
        assert!(!none.limited(joined, 0, Timestamp(1)));
    }
}
