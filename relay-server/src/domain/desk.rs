//! The desk's configured rules, built once from the settings: the queues
//! and the bot's policy (topics, stop words, knowledge base, hours, texts).

use std::time::Duration;

use jiff::tz::TimeZone;
use shared::{Priority, QueueId};

use super::hours::{self, Calendar, Quiet};
use super::i18n::{Lang, Texts};
use super::kb::Kb;
use super::queues::Queues;
use super::routing::Facts;
use super::rules::Rules;

/// Everything the domain needs to know about this desk.
#[derive(Debug, Clone)]
pub struct Desk {
    pub queues: Queues,
    pub bot: BotPolicy,
    pub rules: Rules,
    pub retention: Retention,
    /// Who may read what, by the queues' configuration (built once).
    pub access: super::access::Access,
    /// Card numbers, e-mails and phones masked in what customers write
    /// before it is stored (`[privacy] mask_stored`).
    pub mask_stored: bool,
    /// `[groups] warn_before`: how long before a group conversation's
    /// answer is due the workstations are warned (`None`: not warned).
    pub group_warn: Option<Duration>,
    /// `[groups] ticket_reaction`: staff's reaction that makes a ticket.
    pub group_ticket_reaction: Option<String>,
    /// `[safety]`: the checks on customer groups, and the classifier.
    pub safety: super::spam::Safety,
    /// `[[experiments]]`: A/B tests of the bot.
    pub experiments: Vec<super::experiments::Experiment>,
    /// `[miniapp]`: the customer's app inside Telegram.
    pub miniapp: MiniApp,
}

/// The customer's mini app (`[miniapp]`, docs/miniapp.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiniApp {
    pub enabled: bool,
    /// How old Telegram's signed launch data may be.
    pub max_age: Duration,
    /// The HTTPS address Telegram opens; `None`: no buttons lead there.
    pub public_url: Option<String>,
    /// Telegram's WebApp script (https); `None`: the stand-in.
    pub telegram_js: Option<String>,
}

/// Where Telegram serves its WebApp script.
pub const TELEGRAM_JS: &str = "https://telegram.org/js/telegram-web-app.js";

impl Default for MiniApp {
    fn default() -> Self {
        MiniApp {
            enabled: true,
            max_age: Duration::from_secs(3600),
            public_url: None,
            telegram_js: Some(TELEGRAM_JS.to_owned()),
        }
    }
}

/// How long each kind of record is kept (`[retention]`); `None`: forever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    pub anonymize_closed_after: Option<Duration>,
    pub delete_closed_after: Option<Duration>,
    pub events: Option<Duration>,
    pub telegram_updates: Option<Duration>,
    pub applied_commands: Option<Duration>,
    pub notices: Option<Duration>,
    pub self_service: Option<Duration>,
    pub stale_dialogue: Option<Duration>,
    pub audit_log: Option<Duration>,
    pub group_messages: Option<Duration>,
    /// How often it runs.
    pub every: Duration,
}

/// A topic button.
#[derive(Debug, Clone)]
pub struct Topic {
    pub key: String,
    pub queue: QueueId,
    /// Keys under `question.` in the translation files.
    pub questions: Vec<String>,
    pub screenshot: bool,
}

/// Words that send a customer straight to a person.
#[derive(Debug, Clone)]
pub struct StopRule {
    pub queue: Option<QueueId>,
    pub priority: Priority,
    pub(super) words: Vec<String>,
}

/// How the bot talks to customers.
#[derive(Debug, Clone)]
pub struct BotPolicy {
    pub guided: bool,
    pub consent: bool,
    /// `bot.consent_version`, recorded with every answer.
    pub consent_version: String,
    pub kb: Kb,
    pub texts: Texts,
    pub reopen_window: Duration,
    /// `None`: no follow-up.
    pub followup_after: Option<Duration>,
    /// `bot.nps`: a "yes" to the follow-up is followed by the NPS question.
    pub nps: bool,
    pub abandon_after: Duration,
    pub default_zone: TimeZone,
    pub default_zone_name: String,
    pub quiet: Option<Quiet>,
    pub hours: Calendar,
    pub topics: Vec<Topic>,
    pub stop_rules: Vec<StopRule>,
    pub(super) reopen_words: Vec<String>,
}

/// Whether `phrase` (lowercase) occurs in `text` (lowercase) at the start
/// of a word. Scripts without spaces (CJK) match anywhere.
pub fn mentions(text: &str, phrase: &str) -> bool {
    if phrase.is_empty() {
        return false;
    }
    let starts_word = phrase
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() && !c.is_ascii_digit() && (c as u32) < 0x2e80);
    text.match_indices(phrase).any(|(i, _)| {
        !starts_word
            || !text[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
    })
}

impl Desk {
    /// Who may read what, by the queues' configuration.
    pub fn access(&self) -> &super::access::Access {
        &self.access
    }

    /// The queue and priority of a new ticket.
    pub fn route(&self, f: &Facts<'_>) -> (QueueId, Priority) {
        if let Some(q) = f.explicit {
            return (q.clone(), f.priority);
        }
        if let Some(r) = self.rules.routes.iter().find(|r| r.matches(f)) {
            return (
                r.queue.clone(),
                r.priority.map_or(f.priority, |p| p.max(f.priority)),
            );
        }
        let topic_queue = f
            .topic
            .and_then(|k| self.bot.topic(k))
            .map(|t| t.queue.clone());
        (
            topic_queue.unwrap_or_else(|| self.queues.default_queue().id.clone()),
            f.priority,
        )
    }
}

impl BotPolicy {
    pub fn topic(&self, key: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.key == key)
    }

    /// The first stop rule whose words `text` mentions.
    pub fn stop_rule(&self, text: &str) -> Option<&StopRule> {
        let text = text.to_lowercase();
        self.stop_rules
            .iter()
            .find(|r| r.words.iter().any(|w| mentions(&text, w)))
    }

    /// Whether `text` says a resolved problem is back.
    pub fn says_not_fixed(&self, text: &str) -> bool {
        let text = text.to_lowercase();
        self.reopen_words.iter().any(|w| mentions(&text, w))
    }

    /// A text in the customer's language.
    pub fn t(&self, lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        self.texts.get(lang, key, args)
    }

    /// A time told to a customer: in their zone, or in the desk's, named,
    /// when theirs is unknown ([`hours::for_customer`]).
    pub fn customer_time(
        &self,
        at: shared::Timestamp,
        now: shared::Timestamp,
        customer_zone: Option<&str>,
    ) -> String {
        match customer_zone.and_then(|n| hours::zone(n).ok()) {
            Some(tz) => hours::for_customer(at, now, &tz, None),
            None => hours::for_customer(at, now, &self.default_zone, Some(&self.default_zone_name)),
        }
    }

    /// A customer's time zone: theirs if set and known, else the default.
    pub fn zone_of(&self, name: Option<&str>) -> TimeZone {
        name.and_then(|n| hours::zone(n).ok())
            .unwrap_or_else(|| self.default_zone.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_match_word_starts_in_any_script() {
        assert!(mentions("my account was hacked!", "hacked"));
        assert!(!mentions("unhacked", "hacked"));
        assert!(mentions("мій акаунт зламали", "зламал"));
        assert!(mentions("我的账户被盗了", "被盗"));
        let d = Desk::from_settings(&crate::settings::Settings::defaults()).unwrap();
        let r = d
            .bot
            .stop_rule("Payment failed but the money is gone")
            .unwrap();
        assert_eq!(r.queue.as_ref().map(QueueId::as_str), Some("SECURITY"));
        assert_eq!(
            d.bot.stop_rule("I want a HUMAN please").unwrap().priority,
            Priority::Normal
        );
        assert!(d.bot.stop_rule("How do I export invoices?").is_none());
        assert!(d.bot.says_not_fixed("It still doesn't work"));
        assert!(d.bot.says_not_fixed("всё ещё не работает"));
        assert!(!d.bot.says_not_fixed("thank you!"));
    }
}
