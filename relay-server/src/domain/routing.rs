//! Which queue a new ticket goes to. In order: the queue a stop word or
//! the caller named; the first `[[routing]]` rule whose conditions all
//! hold (topic, language, VIP, source); the topic's queue; the default
//! queue.

use shared::{Customer, Priority, QueueId};

/// Where a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Private,
    Group,
}

impl Source {
    /// Telegram's convention: groups have negative chat ids.
    pub fn of_chat(chat_id: i64) -> Source {
        if chat_id < 0 {
            Source::Group
        } else {
            Source::Private
        }
    }
}

/// One routing rule.
#[derive(Debug, Clone)]
pub struct Route {
    pub(super) topics: Vec<String>,
    pub(super) languages: Vec<String>,
    pub(super) vip: Option<bool>,
    pub(super) source: Option<Source>,
    pub queue: QueueId,
    pub priority: Option<Priority>,
}

impl Route {
    pub fn matches(&self, f: &Facts<'_>) -> bool {
        let lang = f.customer.language.as_deref().unwrap_or("").to_lowercase();
        (self.topics.is_empty() || f.topic.is_some_and(|t| self.topics.iter().any(|x| x == t)))
            && (self.languages.is_empty()
                || self.languages.iter().any(|l| {
                    lang == *l
                        || lang
                            .strip_prefix(l.as_str())
                            .is_some_and(|r| r.starts_with('-'))
                }))
            && self.vip.is_none_or(|v| v == f.customer.vip)
            && self.source.is_none_or(|s| s == f.source)
    }
}

/// What routing looks at.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub customer: &'a Customer,
    pub topic: Option<&'a str>,
    pub source: Source,
    /// A queue named by a stop word or the caller: it wins.
    pub explicit: Option<&'a QueueId>,
    pub priority: Priority,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::desk::Desk;
    use crate::settings::{RouteSettings, Settings};
    use shared::{CustomerId, Timestamp};

    fn customer(lang: &str, vip: bool) -> Customer {
        Customer {
            id: CustomerId(1),
            telegram_user_id: 1,
            first_name: "A".into(),
            last_name: None,
            username: None,
            language: Some(lang.into()),
            time_zone: None,
            vip,
            consent_at: None,
            blocked: false,
            created_at: Timestamp(0),
        }
    }

    #[test]
    fn stop_words_then_rules_then_topic_then_default() {
        let mut s = Settings::defaults();
        s.routing.push(RouteSettings {
            language: vec!["zh".into()],
            queue: "L2".into(),
            ..Default::default()
        });
        s.routing.push(RouteSettings {
            source: "group".into(),
            topic: vec!["payment".into()],
            queue: "SECURITY".into(),
            priority: "high".into(),
            ..Default::default()
        });
        let desk = Desk::from_settings(&s).unwrap();
        let (plain, vip, zh) = (
            customer("en", false),
            customer("en", true),
            customer("zh-hans", false),
        );
        let facts = |c, topic, source, explicit| Facts {
            customer: c,
            topic,
            source,
            explicit,
            priority: Priority::Normal,
        };
        let q = |s: &str| QueueId::new(s);
        let sec = q("SECURITY");
        // A stop word's queue wins over VIP.
        assert_eq!(
            desk.route(&facts(&vip, None, Source::Private, Some(&sec)))
                .0,
            sec
        );
        assert_eq!(
            desk.route(&facts(&vip, Some("feature"), Source::Private, None))
                .0,
            q("VIP")
        );
        assert_eq!(
            desk.route(&facts(&zh, None, Source::Private, None)).0,
            q("L2")
        );
        assert_eq!(
            desk.route(&facts(&plain, Some("payment"), Source::Group, None)),
            (sec.clone(), Priority::High)
        );
        // The topic's queue, then the default.
        assert_eq!(
            desk.route(&facts(&plain, Some("feature"), Source::Private, None))
                .0,
            q("L2")
        );
        assert_eq!(
            desk.route(&facts(&plain, Some("payment"), Source::Private, None))
                .0,
            q("L1")
        );
        assert_eq!(
            desk.route(&facts(&plain, None, Source::Private, None)).0,
            q("L1")
        );
        // "zh" does not match "zhx"; bad rules are refused.
        assert_eq!(
            desk.route(&facts(&customer("zhx", false), None, Source::Private, None))
                .0,
            q("L1")
        );
        let bad = RouteSettings {
            source: "channel".into(),
            queue: "L1".into(),
            ..Default::default()
        };
        assert!(
            Route::build(&bad, &desk.queues)
                .unwrap_err()
                .contains("channel")
        );
    }
}
