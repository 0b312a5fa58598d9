//! The configured queues: their SLA policies (per priority), business-hours
//! calendars, warning lead times, escalation actions and assignment rules.

use std::collections::BTreeMap;
use std::sync::Arc;

use shared::{Priority, Queue, QueueId, SlaTarget};

use super::hours::{self, Calendar};
use crate::settings::{QueueSettings, SlaSettings, TargetSettings};

/// The longest SLA target accepted (a typo such as "400d" is refused).
const MAX_TARGET_MS: i64 = 90 * 86_400_000;

/// SLA budgets of one queue and priority, in business milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub first_reply_ms: i64,
    pub next_reply_ms: i64,
    /// `None`: no periodic-update clock.
    pub update_ms: Option<i64>,
    pub resolution_ms: i64,
}

impl Policy {
    /// The budget of a target; `None` when the policy has no such clock.
    pub fn budget(&self, target: SlaTarget) -> Option<i64> {
        match target {
            SlaTarget::FirstReply => Some(self.first_reply_ms),
            SlaTarget::NextReply => Some(self.next_reply_ms),
            SlaTarget::Update => self.update_ms,
            SlaTarget::Resolution => Some(self.resolution_ms),
        }
    }
}

/// What happens when a clock warns or breaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Post the alert to the staff chat.
    StaffChat,
    /// Tell the leads (supervisors): an internal note naming them, and the
    /// alert flagged for them on their workstations.
    AlertLead,
    /// One priority step up (critical stays critical).
    RaisePriority,
    /// Move the ticket to another queue (its assignee keeps it only when
    /// they work that queue).
    Move(QueueId),
}

impl Action {
    pub fn label(&self) -> String {
        match self {
            Action::StaffChat => "staff_chat".into(),
            Action::AlertLead => "alert_lead".into(),
            Action::RaisePriority => "raise_priority".into(),
            Action::Move(q) => format!("move:{q}"),
        }
    }

    fn parse(s: &str) -> Result<Action, String> {
        Ok(match s.trim() {
            "staff_chat" => Action::StaffChat,
            "alert_lead" => Action::AlertLead,
            "raise_priority" => Action::RaisePriority,
            other => match other.strip_prefix("move:") {
                Some(q) if super::validate::is_queue_id(q) => Action::Move(QueueId::new(q)),
                _ => {
                    return Err(format!(
                        "unknown action {other:?} (staff_chat, alert_lead, raise_priority, move:<queue>)"
                    ));
                }
            },
        })
    }
}

/// How a queue hands out its tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignMode {
    /// To the online agent with the fewest open chats.
    #[default]
    LeastLoaded,
    /// To the next online agent in turn.
    RoundRobin,
    /// Nobody is assigned automatically; engineers take tickets.
    Manual,
}

/// One queue as configured.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// What clients see.
    pub wire: Queue,
    policies: [Policy; 4],
    pub calendar: Arc<Calendar>,
    /// Lead times of warnings, longest first, in milliseconds.
    pub warn_before: Vec<i64>,
    pub on_warning: Vec<Action>,
    pub on_breach: Vec<Action>,
    /// New tickets are posted to the staff chat.
    pub announce: bool,
    pub assignment: AssignMode,
    /// Where new tickets go when every agent of this queue is full.
    pub overflow: Option<QueueId>,
    /// An assignee who owes a reply this long (business time) loses the
    /// ticket to another agent.
    pub reassign_after_ms: Option<i64>,
}

impl QueueConfig {
    /// The SLA policy for a ticket of this priority.
    pub fn policy(&self, p: Priority) -> &Policy {
        &self.policies[p as usize]
    }
}

/// The queues, in configured order; the first is where unrouted tickets go.
#[derive(Debug, Clone)]
pub struct Queues {
    list: Vec<Queue>,
    configs: Vec<QueueConfig>,
}

fn duration(what: &str, s: &str) -> Result<i64, String> {
    let ms = hours::duration_ms(s).map_err(|e| format!("{what}: {e}"))?;
    if ms > MAX_TARGET_MS {
        return Err(format!("{what}: {s:?} is longer than 90 days"));
    }
    Ok(ms)
}

fn optional(what: &str, s: &str) -> Result<Option<i64>, String> {
    if s.trim().is_empty() || s.trim() == "0" {
        return Ok(None);
    }
    duration(what, s).map(Some)
}

fn target(what: &str, s: &str) -> Result<i64, String> {
    let ms = duration(what, s)?;
    if ms < 1000 {
        return Err(format!("{what}: a target must be at least 1s"));
    }
    Ok(ms)
}

fn policy(at: &str, base: &Policy, t: &TargetSettings) -> Result<Policy, String> {
    Ok(Policy {
        first_reply_ms: match &t.first_reply {
            Some(s) => target(&format!("{at}.first_reply"), s)?,
            None => base.first_reply_ms,
        },
        next_reply_ms: match &t.next_reply {
            Some(s) => target(&format!("{at}.next_reply"), s)?,
            None => base.next_reply_ms,
        },
        update_ms: match &t.update_every {
            Some(s) => optional(&format!("{at}.update_every"), s)?,
            None => base.update_ms,
        },
        resolution_ms: match &t.resolution {
            Some(s) => target(&format!("{at}.resolution"), s)?,
            None => base.resolution_ms,
        },
    })
}

fn minutes(ms: i64) -> u32 {
    u32::try_from((ms + 59_999) / 60_000).unwrap_or(u32::MAX)
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
                first_reply_ms: target(&format!("{at}.first_reply"), &q.first_reply)?,
                next_reply_ms: target(&format!("{at}.next_reply"), &q.next_reply)?,
                update_ms: optional(&format!("{at}.update_every"), &q.update_every)?,
                resolution_ms: target(&format!("{at}.resolution"), &q.resolution)?,
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
            warn_before.retain(|w| *w > 0);
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
                    first_reply_minutes: minutes(base.first_reply_ms),
                    next_reply_minutes: minutes(base.next_reply_ms),
                    resolution_minutes: minutes(base.resolution_ms),
                },
                policies,
                calendar,
                warn_before,
                on_warning: actions("on_warning", &q.on_warning)?,
                on_breach: actions("on_breach", &q.on_breach)?,
                announce: q.announce,
                assignment: q.assignment,
                overflow: (!q.overflow.is_empty()).then(|| QueueId::new(&q.overflow)),
                reassign_after_ms: optional(&format!("{at}.reassign_after"), &q.reassign_after)?,
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

    pub fn get(&self, id: &QueueId) -> Option<&Queue> {
        self.list.iter().find(|q| &q.id == id)
    }

    pub fn config(&self, id: &QueueId) -> Option<&QueueConfig> {
        self.configs.iter().find(|q| &q.wire.id == id)
    }

    pub fn default_queue(&self) -> &Queue {
        &self.list[0]
    }

    pub fn all(&self) -> &[Queue] {
        &self.list
    }

    pub fn configs(&self) -> &[QueueConfig] {
        &self.configs
    }

    /// Everything stored deadlines depend on (each queue's policies,
    /// calendar and warning lead times; this build's version and
    /// `sla::RULES_VERSION`, whose arithmetic may differ), as text: an unchanged one means a recompute
    /// would move nothing.
    pub fn sla_fingerprint(&self) -> String {
        let mut out = format!(
            "relay-server {} rules {}",
            env!("CARGO_PKG_VERSION"),
            super::sla::RULES_VERSION
        );
        for q in &self.configs {
            out.push_str(&format!(
                "\n{} {:?} {} {:?}",
                q.wire.id,
                q.policies,
                q.calendar.fingerprint(),
                q.warn_before
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    #[test]
    fn defaults_follow_the_product_brief() {
        let q = Settings::defaults().queues();
        let l1 = q.config(&QueueId::new("L1")).unwrap();
        assert_eq!(l1.policy(Priority::Normal).first_reply_ms, 15 * 60_000);
        assert_eq!(l1.policy(Priority::Normal).resolution_ms, 4 * 3_600_000);
        let l2 = q.config(&QueueId::new("L2")).unwrap();
        assert_eq!(l2.policy(Priority::Normal).first_reply_ms, 30 * 60_000);
        assert_eq!(l2.policy(Priority::Normal).resolution_ms, 24 * 3_600_000);
        let vip = q.config(&QueueId::new("VIP")).unwrap();
        assert_eq!(vip.policy(Priority::Normal).first_reply_ms, 5 * 60_000);
        assert!(vip.announce);
        assert_eq!(vip.warn_before, vec![5 * 60_000, 60_000]);
        let sec = q.config(&QueueId::new("SECURITY")).unwrap();
        assert!(sec.announce);
        assert!(sec.on_breach.contains(&Action::AlertLead));
    }
}
