//! Group safety (docs/groups.md, "Safety"): what the client's side writes
//! in a customer group is checked before it is filed. A message caught is
//! deleted from the group and kept in the quarantine with its reasons; its
//! sender is told why; staff approve it (posted back, limits lifted) or
//! ban its author from the organisation's groups. Nothing a customer
//! writes is silently lost.
//!
//! - [`text`]: text as a reader sees it (look-alike letters, invisible
//!   characters).
//! - [`classifier`]: the naive-Bayes spam model.
//! - [`lookalike`]: names that imitate staff.
//! - [`checks`]: the rules, pure: what a message breaks.
//! - [`captcha`]: the captcha at a group's door.
//! - [`raid`]: many joins at once.
//! - [`official`]: the pinned list of staff accounts.
//! - [`quarantine`]: holding, approving, banning.
//! - [`moderation`]: what a moderation call's outcome does.

pub mod captcha;
pub mod checks;
pub mod classifier;
pub mod door;
pub mod figures;
pub mod lookalike;
pub mod moderation;
pub mod official;
pub mod quarantine;
pub mod raid;
pub mod text;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use classifier::Model;

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
    pub captcha: captcha::Mode,
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

/// Whether the rules apply in a group: on, and the group bound to an
/// organisation (the staff chat and groups nobody bound yet are only
/// watched).
pub fn applies(
    ctx: &crate::store::WriteCtx<'_>,
    safety: &Safety,
    chat_id: i64,
) -> Result<bool, crate::store::StoreError> {
    Ok(safety.enabled
        && crate::store::groups::group(ctx, chat_id)?.is_some_and(|g| g.organisation.is_some()))
}

impl Safety {
    /// The built-in rules with the shipped model (tests, benchmarks).
    pub fn defaults() -> Safety {
        Safety {
            enabled: true,
            spam_threshold: crate::settings::DEFAULT_SPAM_THRESHOLD,
            newcomer: Newcomer {
                messages: 3,
                hours: 24,
            },
            stop_list: Vec::new(),
            repeat_groups: 3,
            repeat_window: Duration::from_secs(600),
            lookalike_distance: 2,
            notice_lifetime: Duration::from_secs(120),
            captcha: captcha::Mode::Button,
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
