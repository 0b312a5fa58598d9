//! The desk's configured rules, built once from the settings: the queues
//! and the bot's policy (topics, stop words, knowledge base, hours, texts).

use std::path::Path;
use std::time::Duration;

use jiff::tz::TimeZone;
use shared::{Priority, QueueId};

use super::automation::Automation;
use super::hours::{self, Calendar, Quiet};
use super::i18n::{Lang, Texts};
use super::kb::Kb;
use super::queues::Queues;
use super::routing::Route;
use crate::settings::{BotMode, BotSettings, Settings};

/// Everything the domain needs to know about this desk.
#[derive(Debug, Clone)]
pub struct Desk {
    pub queues: Queues,
    pub bot: BotPolicy,
    pub rules: Rules,
}

impl Desk {
    pub fn new(s: &Settings) -> Result<Desk, String> {
        let queues = Queues::build(&s.queues, &s.calendars, &s.sla)?;
        let bot = BotPolicy::build(&s.bot, &queues, true)?;
        let rules = Rules::build(s, &queues)?;
        Ok(Desk { queues, bot, rules })
    }

    /// These queues with the default bot policy, no routing rules and no
    /// automations (tests, benchmarks, the seeder).
    pub fn with_queues(queues: Queues) -> Desk {
        let s = Settings::defaults();
        let bot = BotPolicy::build(&s.bot, &queues, true).expect("built-in bot settings are valid");
        let mut rules = Rules::build(&s, &s.queues()).expect("built-in rules are valid");
        rules.routes.clear();
        rules.automations.clear();
        Desk { queues, bot, rules }
    }
}

/// Routing, assignment, automations and the staff chat.
#[derive(Debug, Clone)]
pub struct Rules {
    pub routes: Vec<Route>,
    pub automations: Vec<Automation>,
    /// Assign new tickets to online agents automatically.
    pub auto_assign: bool,
    /// An agent offline this long has their tickets handed back.
    pub offline_grace: Duration,
    /// The internal staff chat, if any.
    pub staff_chat: Option<i64>,
}

impl Rules {
    pub fn build(s: &Settings, queues: &Queues) -> Result<Rules, String> {
        let routes = s
            .routing
            .iter()
            .enumerate()
            .map(|(i, r)| Route::build(r, queues).map_err(|e| format!("routing[{i}]: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let automations = s
            .automations
            .iter()
            .map(Automation::build)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Rules {
            routes,
            automations,
            auto_assign: s.assignment.auto,
            offline_grace: hours::duration(&s.assignment.offline_grace)
                .map_err(|e| format!("assignment.offline_grace: {e}"))?,
            staff_chat: (s.staff.chat_id != 0).then_some(s.staff.chat_id),
        })
    }
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
    words: Vec<String>,
}

/// How the bot talks to customers.
#[derive(Debug, Clone)]
pub struct BotPolicy {
    pub guided: bool,
    pub consent: bool,
    pub kb: Kb,
    pub texts: Texts,
    pub reopen_window: Duration,
    /// `None`: no follow-up.
    pub followup_after: Option<Duration>,
    pub abandon_after: Duration,
    pub default_zone: TimeZone,
    pub default_zone_name: String,
    pub quiet: Option<Quiet>,
    pub hours: Calendar,
    pub topics: Vec<Topic>,
    pub stop_rules: Vec<StopRule>,
    reopen_words: Vec<String>,
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

impl BotPolicy {
    /// Checks settings without reading folders (settings validation).
    pub fn check(s: &BotSettings, queues: &Queues) -> Result<(), String> {
        Self::build(s, queues, false).map(|_| ())
    }

    fn build(s: &BotSettings, queues: &Queues, read_files: bool) -> Result<BotPolicy, String> {
        let queue = |id: &str, what: &str| -> Result<Option<QueueId>, String> {
            if id.is_empty() {
                return Ok(None);
            }
            let q = QueueId::new(id);
            if queues.get(&q).is_none() {
                return Err(format!("bot.{what}: queue {id:?} is not configured"));
            }
            Ok(Some(q))
        };
        let texts = if read_files && !s.locales_dir.is_empty() {
            Texts::load(Path::new(&s.locales_dir))?
        } else {
            Texts::default()
        };
        let mut topics = Vec::new();
        for t in &s.topics {
            if !super::validate::is_queue_id(&t.key) {
                return Err(format!(
                    "bot.topics: key {:?} must be 1-32 characters of A-Z, a-z, 0-9, _ or -",
                    t.key
                ));
            }
            if topics.iter().any(|o: &Topic| o.key == t.key) {
                return Err(format!("bot.topics: {} is listed twice", t.key));
            }
            if t.questions.len() > 2 {
                return Err(format!("bot.topics: {} asks more than 2 questions", t.key));
            }
            if read_files {
                for q in &t.questions {
                    let key = format!("question.{q}");
                    if !texts.has(&key) {
                        return Err(format!(
                            "bot.topics: {}: no text {key} in the translation files",
                            t.key
                        ));
                    }
                }
            }
            topics.push(Topic {
                key: t.key.clone(),
                queue: queue(&t.queue, "topics")?
                    .ok_or_else(|| format!("bot.topics: {} needs a queue", t.key))?,
                questions: t.questions.clone(),
                screenshot: t.screenshot,
            });
        }
        let mut stop_rules = Vec::new();
        for r in &s.stop_words {
            stop_rules.push(StopRule {
                queue: queue(&r.queue, "stop_words")?,
                priority: Priority::parse(&r.priority).ok_or_else(|| {
                    format!(
                        "bot.stop_words: unknown priority {:?} (low, normal, high, critical)",
                        r.priority
                    )
                })?,
                words: r
                    .words
                    .iter()
                    .map(|w| w.trim().to_lowercase())
                    .filter(|w| !w.is_empty())
                    .collect(),
            });
        }
        let kb = if read_files && !s.kb_dir.is_empty() {
            Kb::load(Path::new(&s.kb_dir))?
        } else {
            Kb::default()
        };
        Ok(BotPolicy {
            guided: s.mode == BotMode::Guided,
            consent: s.consent.unwrap_or(s.mode == BotMode::Guided),
            kb,
            texts,
            reopen_window: hours::duration(&s.reopen_window)
                .map_err(|e| format!("bot.reopen_window: {e}"))?,
            followup_after: Some(
                hours::duration(&s.followup_after)
                    .map_err(|e| format!("bot.followup_after: {e}"))?,
            )
            .filter(|d| !d.is_zero()),
            abandon_after: hours::duration(&s.abandon_after)
                .map_err(|e| format!("bot.abandon_after: {e}"))?
                .max(Duration::from_secs(1)),
            default_zone: hours::zone(&s.default_time_zone)
                .map_err(|e| format!("bot.default_time_zone: {e}"))?,
            default_zone_name: s.default_time_zone.clone(),
            quiet: Quiet::parse(&s.quiet_hours).map_err(|e| format!("bot.quiet_hours: {e}"))?,
            hours: Calendar::parse(&s.hours.time_zone, &s.hours.open, &s.hours.holidays)
                .map_err(|e| format!("bot.hours: {e}"))?,
            topics,
            stop_rules,
            reopen_words: s
                .reopen_words
                .iter()
                .map(|w| w.trim().to_lowercase())
                .filter(|w| !w.is_empty())
                .collect(),
        })
    }

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
        let d = Desk::new(&crate::settings::Settings::defaults()).unwrap();
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
