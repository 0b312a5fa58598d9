//! The configured queues: their SLA policies (per priority), business-hours
//! calendars, warning lead times, escalation actions and assignment rules.

use std::sync::Arc;
use std::time::Duration;

use shared::{Priority, Queue, QueueId, SlaTarget};

use super::hours::Calendar;

/// Bump on any change to how deadlines are computed (the clock rules, the
/// business-time arithmetic, the time-zone data bundled with jiff): the
/// next start then recomputes every open ticket's deadlines.
pub const SLA_RULES_VERSION: u32 = 1;

/// SLA budgets of one queue and priority, in business time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub first_reply: Duration,
    pub next_reply: Duration,
    /// `None`: no periodic-update clock.
    pub update: Option<Duration>,
    pub resolution: Duration,
}

impl Policy {
    /// The budget of a target; `None` when the policy has no such clock.
    pub fn budget(&self, target: SlaTarget) -> Option<Duration> {
        match target {
            SlaTarget::FirstReply => Some(self.first_reply),
            SlaTarget::NextReply => Some(self.next_reply),
            SlaTarget::Update => self.update,
            SlaTarget::Resolution => Some(self.resolution),
        }
    }

    /// How the fingerprint spells it (kept as it was when the budgets were
    /// milliseconds, so that this change alone recomputes nothing).
    fn fingerprint(&self) -> String {
        format!(
            "Policy {{ first_reply_ms: {}, next_reply_ms: {}, update_ms: {:?}, resolution_ms: {} }}",
            self.first_reply.as_millis(),
            self.next_reply.as_millis(),
            self.update.map(|u| u.as_millis()),
            self.resolution.as_millis()
        )
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

    pub fn parse(s: &str) -> Result<Action, String> {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
    pub(super) policies: [Policy; 4],
    pub calendar: Arc<Calendar>,
    /// Lead times of warnings, longest first.
    pub warn_before: Vec<Duration>,
    pub on_warning: Vec<Action>,
    pub on_breach: Vec<Action>,
    /// New tickets are posted to the staff chat.
    pub announce: bool,
    pub assignment: AssignMode,
    /// Where new tickets go when every agent of this queue is full.
    pub overflow: Option<QueueId>,
    /// An assignee who owes a reply this long (business time) loses the
    /// ticket to another agent.
    pub reassign_after: Option<Duration>,
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
    pub(super) list: Vec<Queue>,
    pub(super) configs: Vec<QueueConfig>,
    /// Every calendar under `[calendars]`, by name.
    pub(super) calendars: std::collections::BTreeMap<String, Arc<Calendar>>,
}

impl Queues {
    /// Whether `[calendars]` has one named so.
    pub fn has_calendar(&self, name: &str) -> bool {
        self.calendars.contains_key(name)
    }

    /// The calendar `name` (under `[calendars]`), else `queue`'s, else
    /// always open: what an organisation's clocks run on.
    pub fn calendar_for(&self, name: &str, queue: &str) -> Arc<Calendar> {
        self.calendars
            .get(name)
            .cloned()
            .or_else(|| {
                self.configs
                    .iter()
                    .find(|q| q.wire.id.as_str() == queue)
                    .map(|q| q.calendar.clone())
            })
            .unwrap_or_else(|| Arc::new(Calendar::always()))
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
    /// `SLA_RULES_VERSION`, whose arithmetic may differ), as text: an unchanged one means a recompute
    /// would move nothing.
    pub fn sla_fingerprint(&self) -> String {
        let mut out = format!(
            "relay-server {} rules {}",
            env!("CARGO_PKG_VERSION"),
            SLA_RULES_VERSION
        );
        for q in &self.configs {
            let policies: Vec<String> = q.policies.iter().map(Policy::fingerprint).collect();
            let leads: Vec<u128> = q.warn_before.iter().map(Duration::as_millis).collect();
            out.push_str(&format!(
                "\n{} [{}] {} {:?}",
                q.wire.id,
                policies.join(", "),
                q.calendar.fingerprint(),
                leads
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
        let q = crate::domain::desk::Desk::from_settings(&Settings::defaults())
            .unwrap()
            .queues;
        let l1 = q.config(&QueueId::new("L1")).unwrap();
        let min = |m: u64| Duration::from_secs(60 * m);
        assert_eq!(l1.policy(Priority::Normal).first_reply, min(15));
        assert_eq!(l1.policy(Priority::Normal).resolution, min(4 * 60));
        let l2 = q.config(&QueueId::new("L2")).unwrap();
        assert_eq!(l2.policy(Priority::Normal).first_reply, min(30));
        assert_eq!(l2.policy(Priority::Normal).resolution, min(24 * 60));
        let vip = q.config(&QueueId::new("VIP")).unwrap();
        assert_eq!(vip.policy(Priority::Normal).first_reply, min(5));
        assert!(vip.announce);
        assert_eq!(vip.warn_before, vec![min(5), min(1)]);
        let sec = q.config(&QueueId::new("SECURITY")).unwrap();
        assert!(sec.announce);
        assert!(sec.on_breach.contains(&Action::AlertLead));
    }
}
