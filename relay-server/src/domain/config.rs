//! The one bridge from settings to the domain: every `[queues]`,
//! `[calendars]`, `[sla]`, `[bot]`, `[[routing]]`, `[[automations]]` and
//! `[assignment]` value becomes a domain value here, checked, with errors
//! that name the setting. Nothing else in the domain reads settings.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use shared::{Priority, Queue, QueueId};

use super::access::Access;
use super::desk::{BotPolicy, Desk, MiniApp, Retention, StopRule, Topic};
use super::hours::{self, Calendar, Quiet};
use super::i18n::Texts;
use super::kb::Kb;
use super::queues::{Action, AssignMode, Policy, QueueConfig, Queues};
use super::routing::{Route, Source};
use super::rules::{Automation, Do, Rules, When};
use super::spam::checks::phrase_words;
use super::spam::{CaptchaMode, Newcomer, Safety};
use crate::settings::{
    self, AutomationSettings, BotMode, BotSettings, MiniAppSettings, QueueSettings, RouteSettings,
    SafetySettings, Settings, SlaSettings, TargetSettings,
};

impl Desk {
    pub fn from_settings(s: &Settings) -> Result<Desk, String> {
        let queues = Queues::build(&s.queues, &s.calendars, &s.sla)?;
        let bot = BotPolicy::build(&s.bot, &queues, true)?;
        let rules = Rules::build(s, &queues)?;
        let retention = retention(&s.retention)?;
        let group_warn = match s.groups.warn_before.trim() {
            "" => None,
            w => Some(hours::duration(w).map_err(|e| format!("groups.warn_before: {e}"))?),
        };
        Ok(Desk {
            access: Access::new(&queues),
            queues,
            bot,
            rules,
            retention,
            mask_stored: s.privacy.mask_stored,
            group_warn,
            group_ticket_reaction: Some(s.groups.ticket_reaction.trim())
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
            safety: safety(&s.safety)?,
            experiments: super::experiments::build(
                &s.experiments
                    .iter()
                    .map(|e| super::experiments::Spec {
                        name: &e.name,
                        kind: &e.kind,
                        share: e.share,
                        enabled: e.enabled,
                    })
                    .collect::<Vec<_>>(),
            )?,
            miniapp: miniapp(&s.miniapp)?,
        })
    }

    /// These queues with the default bot policy, no routing rules and no
    /// automations (tests, benchmarks, the seeder).
    pub fn with_queues(queues: Queues) -> Desk {
        let s = Settings::defaults();
        let bot = BotPolicy::build(&s.bot, &queues, true).expect("built-in bot settings are valid");
        let all =
            Queues::build(&s.queues, &s.calendars, &s.sla).expect("built-in queues are valid");
        let mut rules = Rules::build(&s, &all).expect("built-in rules are valid");
        rules.routes.clear();
        rules.automations.clear();
        let retention = retention(&s.retention).expect("built-in retention is valid");
        Desk {
            access: Access::new(&queues),
            queues,
            bot,
            rules,
            retention,
            mask_stored: false,
            group_warn: Some(std::time::Duration::from_secs(300)),
            group_ticket_reaction: Some("✍".into()),
            safety: Safety::defaults(),
            experiments: Vec::new(),
            miniapp: MiniApp::default(),
        }
    }
}

/// The longest `miniapp.max_age`: launch data older than a week is not a
/// session any more.
const MINIAPP_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);

/// `[miniapp]`, checked.
fn miniapp(s: &MiniAppSettings) -> Result<MiniApp, String> {
    let max_age = hours::duration(&s.max_age).map_err(|e| format!("miniapp.max_age: {e}"))?;
    if max_age < std::time::Duration::from_secs(60) || max_age > MINIAPP_MAX_AGE {
        return Err(format!(
            "miniapp.max_age: {:?} must be between 1m and 7d",
            s.max_age
        ));
    }
    // Telegram opens web apps only at HTTPS addresses.
    let public_url = https_or_none("miniapp.public_url", &s.public_url)?;
    let telegram_js = https_or_none("miniapp.telegram_js", &s.telegram_js)?;
    Ok(MiniApp {
        enabled: s.enabled,
        max_age,
        public_url,
        telegram_js,
    })
}

/// An optional `https://` address of the config (`""`: none), or why not.
fn https_or_none(key: &str, value: &str) -> Result<Option<String>, String> {
    let url = value.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let parsed =
        url::Url::parse(url).map_err(|e| format!("{key}: {url:?} is not an address: {e}"))?;
    if parsed.scheme() != "https" || parsed.host_str().is_none() {
        return Err(format!(
            "{key}: {url:?} must be an https:// address (Telegram opens mini apps only over HTTPS)"
        ));
    }
    Ok(Some(url.to_owned()))
}

/// `[safety]`, checked.
fn safety(s: &SafetySettings) -> Result<Safety, String> {
    if !(0.5..=1.0).contains(&s.spam_threshold) {
        return Err(format!(
            "safety.spam_threshold: {} is not between 0.5 and 1",
            s.spam_threshold
        ));
    }
    let mut stop_list = Vec::with_capacity(s.stop_list.len());
    for (i, p) in s.stop_list.iter().enumerate() {
        let words = phrase_words(p);
        if words.is_empty() || words.iter().all(|w| w.trim().is_empty()) {
            return Err(format!("safety.stop_list[{i}]: {p:?} has nothing to match"));
        }
        stop_list.push(words);
    }
    let window =
        hours::duration(&s.repeat_window).map_err(|e| format!("safety.repeat_window: {e}"))?;
    let notice =
        hours::duration(&s.notice_lifetime).map_err(|e| format!("safety.notice_lifetime: {e}"))?;
    let captcha = CaptchaMode::parse(&s.captcha).ok_or_else(|| {
        format!(
            "safety.captcha: {:?} is not one of off, button, arithmetic, questions",
            s.captcha
        )
    })?;
    let captcha_timeout =
        hours::duration(&s.captcha_timeout).map_err(|e| format!("safety.captcha_timeout: {e}"))?;
    if captcha_timeout < std::time::Duration::from_secs(10) {
        return Err("safety.captcha_timeout: at least 10s".into());
    }
    let raid_for = hours::duration(&s.raid_for).map_err(|e| format!("safety.raid_for: {e}"))?;
    Ok(Safety {
        enabled: s.enabled,
        spam_threshold: s.spam_threshold,
        newcomer: Newcomer {
            messages: s.newcomer_messages,
            hours: s.newcomer_hours,
        },
        stop_list,
        repeat_groups: s.repeat_groups,
        repeat_window: window,
        lookalike_distance: s.lookalike_distance.min(4),
        notice_lifetime: notice,
        captcha,
        captcha_timeout,
        raid_joins_per_minute: s.raid_joins_per_minute,
        raid_for,
        clean_service_messages: s.clean_service_messages,
        ..Safety::defaults()
    })
}

/// `[retention]`: each a duration of at least a minute, or "" (forever).
fn retention(r: &crate::settings::RetentionSettings) -> Result<Retention, String> {
    let keep = |what: &str, s: &str| -> Result<Option<Duration>, String> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        let d = hours::duration(s).map_err(|e| format!("retention.{what}: {e}"))?;
        if d < Duration::from_secs(60) {
            return Err(format!(
                "retention.{what}: {s:?} is under a minute; use \"\" to keep forever"
            ));
        }
        Ok(Some(d))
    };
    let out = Retention {
        anonymize_closed_after: keep("anonymize_closed_after", &r.anonymize_closed_after)?,
        delete_closed_after: keep("delete_closed_after", &r.delete_closed_after)?,
        events: keep("events", &r.events)?,
        telegram_updates: keep("telegram_updates", &r.telegram_updates)?,
        applied_commands: keep("applied_commands", &r.applied_commands)?,
        notices: keep("notices", &r.notices)?,
        self_service: keep("self_service", &r.self_service)?,
        stale_dialogue: keep("stale_dialogue", &r.stale_dialogue)?,
        audit_log: keep("audit_log", &r.audit_log)?,
        group_messages: keep("group_messages", &r.group_messages)?,
        every: keep("every", &r.every)?.ok_or("retention.every: must be set")?,
    };
    // Telegram restarts update ids at random after a week without updates:
    // an old row must never be mistaken for a new update.
    match out.telegram_updates {
        Some(d) if d <= Duration::from_secs(6 * 86_400) => {}
        _ => {
            return Err(
                "retention.telegram_updates must be at most 6d (Telegram reuses update ids after a week)"
                    .into(),
            );
        }
    }
    if let (Some(a), Some(d)) = (out.anonymize_closed_after, out.delete_closed_after)
        && d < a
    {
        return Err("retention.delete_closed_after is shorter than anonymize_closed_after".into());
    }
    // A command retried within the log's span must still find its answer.
    if let (Some(c), Some(e)) = (out.applied_commands, out.events)
        && e < c
    {
        return Err("retention.events is shorter than applied_commands: a retried command's answer would name an event the log no longer has".into());
    }
    Ok(out)
}

/// The longest SLA target accepted (a typo such as "400d" is refused).
const MAX_TARGET: Duration = Duration::from_secs(90 * 86_400);

fn duration(what: &str, s: &str) -> Result<Duration, String> {
    let d = hours::duration(s).map_err(|e| format!("{what}: {e}"))?;
    if d > MAX_TARGET {
        return Err(format!("{what}: {s:?} is longer than 90 days"));
    }
    Ok(d)
}

fn optional(what: &str, s: &str) -> Result<Option<Duration>, String> {
    if s.trim().is_empty() || s.trim() == "0" {
        return Ok(None);
    }
    duration(what, s).map(Some)
}

fn target(what: &str, s: &str) -> Result<Duration, String> {
    let d = duration(what, s)?;
    if d < Duration::from_secs(1) {
        return Err(format!("{what}: a target must be at least 1s"));
    }
    Ok(d)
}

fn policy(at: &str, base: &Policy, t: &TargetSettings) -> Result<Policy, String> {
    Ok(Policy {
        first_reply: match &t.first_reply {
            Some(s) => target(&format!("{at}.first_reply"), s)?,
            None => base.first_reply,
        },
        next_reply: match &t.next_reply {
            Some(s) => target(&format!("{at}.next_reply"), s)?,
            None => base.next_reply,
        },
        update: match &t.update_every {
            Some(s) => optional(&format!("{at}.update_every"), s)?,
            None => base.update,
        },
        resolution: match &t.resolution {
            Some(s) => target(&format!("{at}.resolution"), s)?,
            None => base.resolution,
        },
    })
}

/// Whole minutes, rounded up.
fn minutes(d: Duration) -> u32 {
    u32::try_from(d.as_millis().div_ceil(60_000)).unwrap_or(u32::MAX)
}

impl Queues {
    /// Builds the queues from their settings. Fails on an empty list,
    /// duplicate or malformed ids, unknown calendars, bad durations or
    /// actions naming queues that do not exist.
    pub fn build(
        list: &[QueueSettings],
        calendars: &BTreeMap<String, crate::settings::HoursSettings>,
        sla: &SlaSettings,
    ) -> Result<Self, String> {
        if list.is_empty() {
            return Err("at least one queue must be configured".into());
        }
        let mut cals: BTreeMap<&str, Arc<Calendar>> = BTreeMap::new();
        for (name, h) in calendars {
            let c = Calendar::parse(&h.time_zone, &h.open, &h.holidays)
                .map_err(|e| format!("calendars.{name}: {e}"))?;
            cals.insert(name, Arc::new(c));
        }
        let always = Arc::new(Calendar::always());
        let default_warn = sla
            .warn_before
            .iter()
            .map(|w| duration("sla.warn_before", w))
            .collect::<Result<Vec<_>, _>>()?;
        let mut configs: Vec<QueueConfig> = Vec::new();
        for q in list {
            let id = q.id.as_str();
            if !super::validate::is_queue_id(id) {
                return Err(format!(
                    "queue id {id:?} must be 1-32 characters of A-Z, a-z, 0-9, _ or -"
                ));
            }
            if configs.iter().any(|c| c.wire.id.as_str() == id) {
                return Err(format!("queue {id} is configured twice"));
            }
            let at = format!("queues.{id}");
            let base = Policy {
                first_reply: target(&format!("{at}.first_reply"), &q.first_reply)?,
                next_reply: target(&format!("{at}.next_reply"), &q.next_reply)?,
                update: optional(&format!("{at}.update_every"), &q.update_every)?,
                resolution: target(&format!("{at}.resolution"), &q.resolution)?,
            };
            let mut policies = [base; 4];
            for (name, t) in &q.priorities {
                let p = Priority::parse(name).ok_or_else(|| {
                    format!(
                        "{at}.priorities: unknown priority {name:?} (low, normal, high, critical)"
                    )
                })?;
                policies[p as usize] = policy(&format!("{at}.priorities.{name}"), &base, t)?;
            }
            let calendar = if q.calendar.is_empty() {
                always.clone()
            } else {
                cals.get(q.calendar.as_str()).cloned().ok_or_else(|| {
                    format!(
                        "{at}.calendar: no calendar {:?} under [calendars]",
                        q.calendar
                    )
                })?
            };
            let mut warn_before = match &q.warn_before {
                Some(w) => w
                    .iter()
                    .map(|w| duration(&format!("{at}.warn_before"), w))
                    .collect::<Result<Vec<_>, _>>()?,
                None => default_warn.clone(),
            };
            warn_before.retain(|w| !w.is_zero());
            warn_before.sort_unstable_by(|a, b| b.cmp(a));
            warn_before.dedup();
            let actions = |what: &str, list: &[String]| {
                list.iter()
                    .map(|a| Action::parse(a).map_err(|e| format!("{at}.{what}: {e}")))
                    .collect::<Result<Vec<_>, _>>()
            };
            configs.push(QueueConfig {
                wire: Queue {
                    id: QueueId::new(id),
                    name: q.name.clone(),
                    restricted: q.restricted,
                    first_reply_minutes: minutes(base.first_reply),
                    next_reply_minutes: minutes(base.next_reply),
                    resolution_minutes: minutes(base.resolution),
                },
                policies,
                calendar,
                warn_before,
                on_warning: actions("on_warning", &q.on_warning)?,
                on_breach: actions("on_breach", &q.on_breach)?,
                announce: q.announce,
                assignment: match q.assignment {
                    settings::AssignMode::LeastLoaded => AssignMode::LeastLoaded,
                    settings::AssignMode::RoundRobin => AssignMode::RoundRobin,
                    settings::AssignMode::Manual => AssignMode::Manual,
                },
                overflow: (!q.overflow.is_empty()).then(|| QueueId::new(&q.overflow)),
                reassign_after: optional(&format!("{at}.reassign_after"), &q.reassign_after)?,
            });
        }
        // Queues named by other queues must exist.
        for c in &configs {
            let named = c
                .on_warning
                .iter()
                .chain(&c.on_breach)
                .filter_map(|a| match a {
                    Action::Move(q) => Some(q),
                    _ => None,
                })
                .chain(c.overflow.as_ref());
            for q in named {
                if !configs.iter().any(|o| &o.wire.id == q) {
                    return Err(format!("queues.{}: queue {q} is not configured", c.wire.id));
                }
                if q == &c.wire.id {
                    return Err(format!("queues.{}: a queue cannot move to itself", q));
                }
            }
        }
        Ok(Queues {
            list: configs.iter().map(|c| c.wire.clone()).collect(),
            configs,
            calendars: cals
                .into_iter()
                .map(|(name, c)| (name.to_owned(), c))
                .collect(),
        })
    }

    /// Queues with these SLA targets (minutes), 24/7, default rules
    /// (tests and benchmarks).
    pub fn simple(list: Vec<Queue>) -> Result<Self, String> {
        let settings: Vec<QueueSettings> = list
            .iter()
            .map(|q| QueueSettings {
                id: q.id.0.clone(),
                name: q.name.clone(),
                first_reply: format!("{}m", q.first_reply_minutes),
                next_reply: format!("{}m", q.next_reply_minutes),
                resolution: format!("{}m", q.resolution_minutes),
                ..QueueSettings::default()
            })
            .collect();
        Self::build(&settings, &BTreeMap::new(), &SlaSettings::default())
    }
}

impl Route {
    pub fn build(r: &RouteSettings, queues: &Queues) -> Result<Route, String> {
        let queue = QueueId::new(&r.queue);
        if queues.get(&queue).is_none() {
            return Err(format!("queue {:?} is not configured", r.queue));
        }
        let source = match r.source.as_str() {
            "" => None,
            "private" => Some(Source::Private),
            "group" => Some(Source::Group),
            other => return Err(format!("source {other:?} is not \"private\" or \"group\"")),
        };
        let priority =
            match r.priority.as_str() {
                "" => None,
                p => Some(Priority::parse(p).ok_or_else(|| {
                    format!("unknown priority {p:?} (low, normal, high, critical)")
                })?),
            };
        let lower = |v: &[String]| {
            v.iter()
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        };
        Ok(Route {
            topics: lower(&r.topic),
            languages: lower(&r.language),
            vip: r.vip,
            source,
            queue,
            priority,
        })
    }
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

impl Automation {
    pub fn build(s: &AutomationSettings) -> Result<Automation, String> {
        let at = format!("automations {:?}", s.name);
        if s.name.trim().is_empty() || s.name.chars().count() > 64 {
            return Err("automations: every rule needs a name of 1-64 characters".into());
        }
        let when = match s.when.as_str() {
            "pending" => When::Pending,
            "resolved" => When::Resolved,
            w => {
                return Err(format!(
                    "{at}: when {w:?} is not \"pending\" or \"resolved\""
                ));
            }
        };
        let action = match s.action.as_str() {
            "remind" if when == When::Pending => Do::Remind,
            "remind" => return Err(format!("{at}: only a pending ticket can be reminded")),
            "close" => Do::Close,
            "staff_chat" => Do::StaffChat,
            a => {
                return Err(format!(
                    "{at}: action {a:?} is not \"remind\", \"close\" or \"staff_chat\""
                ));
            }
        };
        let after = hours::duration(&s.after).map_err(|e| format!("{at}: after: {e}"))?;
        if after < Duration::from_secs(1) {
            return Err(format!("{at}: after must be at least 1s"));
        }
        Ok(Automation {
            name: s.name.clone(),
            when,
            after,
            action,
        })
    }
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
            consent_version: {
                let v = s.consent_version.trim();
                if v.is_empty() || v.chars().count() > 64 {
                    return Err("bot.consent_version: give a version of 1-64 characters, such as \"1\" or \"2026-11\"".into());
                }
                v.to_owned()
            },
            kb,
            texts,
            reopen_window: hours::duration(&s.reopen_window)
                .map_err(|e| format!("bot.reopen_window: {e}"))?,
            followup_after: Some(
                hours::duration(&s.followup_after)
                    .map_err(|e| format!("bot.followup_after: {e}"))?,
            )
            .filter(|d| !d.is_zero()),
            nps: s.nps,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file's [[queues]] replaces the default list (arrays are not
    /// merged), so the bot's topics, which name L1 and L2, go too.
    const BOT_ON_A: &str = "[bot]\ntopics = []\nstop_words = []\n";

    fn write(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
        let p = dir.path().join("config.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Values the schema accepts but the desk cannot use are refused where
    /// they become domain values, naming the setting (moved here from the
    /// settings' own tests when settings became a leaf).
    #[test]
    fn queue_settings_are_checked_where_they_become_queues() {
        let dir = tempfile::tempdir().unwrap();
        for (text, why) in [
            (
                "[[queues]]\nid = \"A\"\nname = \"x\"\nfirst_reply = \"soon\"\nnext_reply = \"1m\"\nresolution = \"1m\"\n",
                "queues.A.first_reply",
            ),
            (
                "[[queues]]\nid = \"A\"\nname = \"x\"\nfirst_reply = \"1m\"\nnext_reply = \"1m\"\nresolution = \"1m\"\ncalendar = \"office\"\n",
                "no calendar \"office\"",
            ),
            (
                "[[queues]]\nid = \"A\"\nname = \"x\"\nfirst_reply = \"1m\"\nnext_reply = \"1m\"\nresolution = \"1m\"\non_breach = [\"move:NOPE\"]\n",
                "queue NOPE is not configured",
            ),
            (
                "[[queues]]\nid = \"A\"\nname = \"x\"\nfirst_reply = \"1m\"\nnext_reply = \"1m\"\nresolution = \"1m\"\non_breach = [\"panic\"]\n",
                "unknown action",
            ),
            (
                "[[queues]]\nid = \"A\"\nname = \"x\"\nfirst_reply = \"1m\"\nnext_reply = \"1m\"\nresolution = \"1m\"\n[queues.priorities.urgent]\nfirst_reply = \"1m\"\n",
                "unknown priority",
            ),
            (
                "[calendars.office]\ntime_zone = \"Mars/Base\"\nopen = []\nholidays = []\n",
                "calendars.office",
            ),
        ] {
            // A file's [[queues]] replaces the default list (arrays are not merged),
            // so the bot's topics, which name L1 and L2, need them back.
            let text = format!(
                "{text}\n{}",
                if text.starts_with("[[queues]]") {
                    BOT_ON_A
                } else {
                    ""
                }
            );
            let e = Settings::load(Some(&write(&dir, &text)), Vec::new())
                .map_err(|e| e.to_string())
                .and_then(|s| Desk::from_settings(&s).map(|_| ()))
                .unwrap_err();
            assert!(e.contains(why), "{why}: {e}");
        }
    }
}
