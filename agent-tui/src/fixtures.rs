//! Builders of mirrored state for unit tests, panel snapshots and
//! benchmarks. Everything is at a fixed clock ([`NOW`]) so countdowns
//! render the same text every run.

use relay_client::Mirror;
use shared::*;

/// 2026-11-21 10:00:00 UTC.
pub const NOW: Timestamp = Timestamp(1_795_255_200_000);

/// Me: Anna (id 1), an agent of L1 and L2.
pub const ME: AgentId = AgentId(1);

pub trait TsExt {
    fn minus(self, secs: i64) -> Timestamp;
    fn plus(self, secs: i64) -> Timestamp;
}

impl TsExt for Timestamp {
    fn minus(self, secs: i64) -> Timestamp {
        Timestamp(self.0 - secs * 1000)
    }
    fn plus(self, secs: i64) -> Timestamp {
        Timestamp(self.0 + secs * 1000)
    }
}

fn queue(id: &str, first: u32, next: u32, resolution: u32) -> Queue {
    Queue {
        id: QueueId::new(id),
        name: id.into(),
        restricted: id == "SECURITY",
        first_reply_minutes: first,
        next_reply_minutes: next,
        resolution_minutes: resolution,
    }
}

/// The default macros, as the server ships them.
pub fn default_macros() -> Vec<Macro> {
    [
        (
            "receipt",
            "Receipt",
            "Accepted: ticket #{id}. ETA: {eta}. You can check the status here at any time.",
        ),
        (
            "details",
            "Need details",
            "We need: {field}. Just reply to this message. Timeout: 24 h.",
        ),
        (
            "solved",
            "Solved",
            "Done: {what}. Next steps: {steps}. Please rate the answer below.",
        ),
        (
            "escalate",
            "Escalated",
            "Your question went to an expert. We will be back by {eta}.",
        ),
        (
            "hi",
            "First reply",
            "Hi {name}! I'm {agent}. I see ticket #{id} and am on it.",
        ),
    ]
    .iter()
    .enumerate()
    .map(|(i, (s, t, b))| Macro {
        id: MacroId(i as i64 + 1),
        shortcut: (*s).into(),
        title: (*t).into(),
        body: (*b).into(),
        // The first reply in Ukrainian too; the rest only in English.
        translations: if *s == "hi" {
            [(
                "uk".to_owned(),
                "Вітаю, {name}! Я {agent}. Бачу тікет #{id} і вже працюю над ним.".to_owned(),
            )]
            .into()
        } else {
            Default::default()
        },
        owner: None,
    })
    .collect()
}

/// A mirror with the four default queues, two agents (me first) and the
/// default macros, and no tickets.
pub fn mirror() -> Mirror {
    let mut m = Mirror::new(Some(ME));
    m.queues = vec![
        queue("L1", 15, 15, 240),
        queue("L2", 30, 30, 1440),
        queue("VIP", 5, 5, 240),
        queue("SECURITY", 1, 5, 120),
    ];
    for (id, name, display, queues) in [
        (1, "anna", "Anna", vec!["L1", "L2"]),
        (2, "bohdan", "Bohdan", vec!["L1", "VIP"]),
    ] {
        m.agents.insert(
            AgentId(id),
            Agent {
                id: AgentId(id),
                name: name.into(),
                display_name: display.into(),
                role: Role::Agent,
                queues: queues.into_iter().map(QueueId::new).collect(),
                capacity: 8,
                presence: Presence::Online,
            },
        );
    }
    m.macros = default_macros().into_iter().map(|x| (x.id, x)).collect();
    m
}

pub fn add_customer(m: &mut Mirror, id: i64, name: &str, vip: bool) -> CustomerId {
    let c = Customer {
        id: CustomerId(id),
        telegram_user_id: 5_000_000 + id,
        first_name: name.into(),
        last_name: None,
        username: Some(format!("user{id}")),
        language: Some("en".into()),
        time_zone: None,
        vip,
        consent_at: Some(NOW.minus(3600)),
        blocked: false,
        created_at: NOW.minus(86_400),
    };
    m.customers.insert(c.id, c);
    CustomerId(id)
}

/// Adds ticket `id` (number 10000 + id) for customer 1 (created if
/// missing) in L1, open, unassigned, with a first reply due in 10 minutes;
/// `f` adjusts it.
pub fn add_ticket(m: &mut Mirror, id: i64, f: impl FnOnce(&mut Ticket)) -> TicketId {
    if !m.customers.contains_key(&CustomerId(1)) {
        add_customer(m, 1, "Olena", false);
    }
    let mut t = Ticket {
        topic: Some("payment".into()),
        created_at: NOW.minus(300),
        updated_at: NOW.minus(300),
        waiting_since: None,
        sla: SlaDeadlines {
            first_reply_due: Some(NOW.plus(600)),
            next_reply_due: None,
            resolution_due: Some(NOW.plus(4 * 3600)),
            ..Default::default()
        },
        ..shared::fixtures::ticket(id)
    };
    f(&mut t);
    m.tickets.insert(t.id, t);
    TicketId(id)
}

/// Adds a message to a ticket's thread and updates its counters.
pub fn add_message(
    m: &mut Mirror,
    ticket: TicketId,
    id: i64,
    kind: MessageKind,
    text: &str,
    at: Timestamp,
) -> MessageId {
    let t = m.tickets.get_mut(&ticket).expect("ticket exists");
    let author = match kind {
        MessageKind::Inbound => Author::Customer { id: t.customer_id },
        _ => Author::Agent { id: ME },
    };
    let msg = Message {
        id: MessageId(id),
        ticket_id: ticket,
        kind,
        author,
        text: text.into(),
        attachments: vec![],
        telegram_message_id: None,
        created_at: at,
        edited_at: None,
        delivery: (kind == MessageKind::Outbound).then_some(Delivery {
            state: DeliveryState::Sent,
            reason: None,
            updated_at: at,
        }),
    };
    t.message_count += 1;
    t.last_message_id = Some(msg.id);
    m.messages.entry(ticket).or_default().insert(msg.id, msg);
    MessageId(id)
}

/// A mirror like a busy evening: `n` tickets over the four queues, a mix
/// of languages, VIPs, critical ones and deadlines in every state, each
/// with a few messages.
pub fn busy(n: usize) -> Mirror {
    let mut m = mirror();
    let names = [
        "Olena",
        "王伟",
        "Дмитрий",
        "Sam 🚀",
        "Иван",
        "李娜",
        "Taras",
        "Emma",
    ];
    let queues = ["L1", "L2", "VIP", "SECURITY"];
    let topics = ["payment", "account", "feature", "complaint"];
    let mut msg = 1;
    for i in 0..n as i64 {
        let cust = add_customer(&mut m, i + 1, names[i as usize % names.len()], i % 23 == 0);
        let tid = add_ticket(&mut m, i + 1, |t| {
            t.customer_id = cust;
            t.queue = QueueId::new(queues[i as usize % 4]);
            t.topic = Some(topics[i as usize % 4].into());
            t.priority = if i % 31 == 0 {
                Priority::Critical
            } else {
                Priority::Normal
            };
            t.assignee = match i % 3 {
                0 => Some(ME),
                1 => Some(AgentId(2)),
                _ => None,
            };
            t.status = if i % 3 == 2 {
                TicketStatus::New
            } else {
                TicketStatus::Open
            };
            t.waiting_since = (i % 2 == 0).then(|| NOW.minus(30 + i % 1800));
            t.sla.first_reply_due = Some(NOW.plus(((i % 40) - 8) * 60));
        });
        for k in 0..3 {
            let kind = if k == 1 {
                MessageKind::Outbound
            } else {
                MessageKind::Inbound
            };
            add_message(
                &mut m,
                tid,
                msg,
                kind,
                "Hello, my payment did not go through 😕",
                NOW.minus(600 - k * 60),
            );
            msg += 1;
        }
    }
    m.seq = Seq(msg as u64);
    m
}

/// Two client groups (Acme, a forum; Globex, a plain group) and their
/// conversations: one overdue, one due soon, one acknowledged, one
/// answered by a colleague in Telegram, one turned into ticket 1.
pub fn add_groups(m: &mut Mirror) {
    let org = |id: i64, name: &str| Organisation {
        id: OrganisationId(id),
        name: name.into(),
        vip: id == 1,
        queue: QueueId::new("L1"),
        language: "en".into(),
        reply_sla_minutes: 15,
    };
    m.organisations.insert(OrganisationId(1), org(1, "Acme"));
    m.organisations.insert(OrganisationId(2), org(2, "Globex"));
    for (chat, title, o, forum) in [
        (-1001, "Acme ⇄ Support", 1, true),
        (-1002, "Globex ops", 2, false),
    ] {
        m.groups.insert(
            chat,
            Group {
                chat_id: chat,
                title: title.into(),
                forum,
                organisation_id: Some(OrganisationId(o)),
                queue: Some(QueueId::new("L1")),
                bot_status: "administrator".into(),
            },
        );
    }
    let mut next_msg = 1;
    let mut conv = |m: &mut Mirror,
                    id: i64,
                    chat: i64,
                    topic: Option<i64>,
                    owed: Option<(i64, i64)>,
                    said: &[(i64, &str, GroupSide, &str, i64)]| {
        let c = GroupConversation {
            id: ConversationId(id),
            chat_id: chat,
            queue: Some(QueueId::new("L1")),
            thread_id: topic,
            opened_by_id: said[0].0,
            opened_by: said[0].1.into(),
            opened_at: NOW.minus(said[0].4),
            last_at: NOW.minus(said[said.len() - 1].4),
            owed_since: owed.map(|(since, _)| NOW.minus(since)),
            due_at: owed.map(|(_, due)| NOW.plus(due)),
            alerted_at: None,
            acked_by: None,
            ticket_id: None,
            message_count: said.len() as u32,
        };
        m.conversations.insert(c.id, c);
        for (author, name, side, text, ago) in said {
            let msg = GroupMessage {
                id: GroupMessageId(next_msg),
                chat_id: chat,
                conversation_id: Some(ConversationId(id)),
                telegram_message_id: Some(100 + next_msg),
                reply_to: None,
                author_id: *author,
                author_name: (*name).into(),
                side: *side,
                agent_id: None,
                text: (*text).into(),
                sent_at: NOW.minus(*ago),
                edited_at: None,
                delivery: None,
                queue: Some(QueueId::new("L1")),
            };
            next_msg += 1;
            m.group_messages
                .entry(ConversationId(id))
                .or_default()
                .insert(msg.id, msg);
        }
    };
    use GroupSide::*;
    conv(
        m,
        1,
        -1001,
        Some(7),
        Some((1500, -600)),
        &[
            (
                501,
                "Olga Petrenko",
                Customer,
                "Hello! Our export fails with error 502 since this morning",
                1500,
            ),
            (502, "Борис", Customer, "Same here, the CSV export", 1400),
        ],
    );
    conv(
        m,
        2,
        -1002,
        None,
        Some((720, 180)),
        &[(
            601,
            "王芳",
            Customer,
            "Can we add three more users to our plan?",
            720,
        )],
    );
    conv(
        m,
        3,
        -1002,
        None,
        None,
        &[
            (602, "Hans", Customer, "Is the API down?", 3000),
            (
                900,
                "Ira",
                Staff,
                "No, a network blip on your side; it is fine now",
                2900,
            ),
            (602, "Hans", Customer, "thanks!", 2800),
        ],
    );
    conv(
        m,
        4,
        -1001,
        Some(9),
        Some((2400, -1500)),
        &[(
            503,
            "Mark",
            Customer,
            "The invoice for October is missing",
            2400,
        )],
    );
    if let Some(c) = m.conversations.get_mut(&ConversationId(4)) {
        c.acked_by = Some(AgentId(2));
    }
}

/// Held messages of the fixture groups (call after [`add_groups`]): two
/// waiting (a newcomer's link in Ukrainian, spam) and one a colleague
/// approved.
pub fn add_held(m: &mut Mirror) {
    let min = 60_000;
    let held = |id: i64,
                chat: i64,
                title: &str,
                who: (i64, &str, Option<&str>),
                text: &str,
                reasons: Vec<HoldReason>,
                ago: i64,
                decided: Option<(HeldState, i64)>| HeldMessage {
        id: HeldId(id),
        chat_id: chat,
        group_title: title.into(),
        queue: Some(QueueId::new("L1")),
        telegram_message_id: 100 + id,
        author_id: who.0,
        author_name: who.1.into(),
        author_username: who.2.map(str::to_owned),
        text: text.into(),
        reasons,
        sent_at: Timestamp(NOW.0 - ago * min),
        state: decided.map_or(HeldState::Held, |d| d.0),
        decided_by: decided.map(|d| AgentId(d.1)),
        decided_at: decided.map(|_| Timestamp(NOW.0 - min)),
    };
    for h in [
        held(
            1,
            -1001,
            "Acme ⇄ Support",
            (9902, "Nina", Some("nina_k")),
            "Ось скрін помилки: https://files.acme-corp.com/err.png\nпісля оновлення не працює експорт",
            vec![HoldReason::NewcomerLink],
            12,
            None,
        ),
        held(
            2,
            -1002,
            "Globex ops",
            (9903, "Anna Rich", Some("rich_anna_pro")),
            "💰💰 Earn $500 a day from home! Only 2 hours a day, no experience. Write me @rich_anna_pro 🚀🚀",
            vec![
                HoldReason::Spam { percent: 99 },
                HoldReason::Repeated { groups: 4 },
            ],
            3,
            None,
        ),
        held(
            3,
            -1001,
            "Acme ⇄ Support",
            (9904, "Ira Kovalenkо", Some("ira_k_support")),
            "Hi, I'm from the support team. Please send me the code you just got",
            vec![HoldReason::Lookalike { of: "Ira".into() }],
            30,
            Some((HeldState::Banned, 2)),
        ),
    ] {
        m.quarantine.insert(h.id, h);
    }
}

/// The leads' figures at [`NOW`] (Saturday 12:00 in Kyiv): a morning's
/// tickets, four weeks of business-hours traffic, first replies in three
/// queues, two breaches and a week's ratings.
pub fn desk_figures() -> DeskFigures {
    let hour = 3_600_000;
    // NOW is 12:00 in Kyiv (UTC+2): local midnight was 22:00 UTC.
    let day_start = Timestamp(NOW.0 - 12 * hour);
    let mut today_by_hour = [0; 24];
    for (h, n) in [(7, 1), (8, 4), (9, 9), (10, 12), (11, 7)] {
        today_by_hour[h] = n;
    }
    let mut by_hour_of_week = [[0; 24]; 7];
    for (day, row) in by_hour_of_week.iter_mut().enumerate() {
        for (h, cell) in row.iter_mut().enumerate() {
            let busy: u32 = match h {
                9..=12 => 12,
                13..=17 => 8,
                7 | 8 | 18 | 19 => 3,
                _ => u32::from(h % 5 == 0),
            };
            *cell = if day >= 5 {
                busy / 3
            } else {
                busy + day as u32
            };
        }
    }
    let mut first_responses = Vec::new();
    for (queue, minutes) in [
        ("L1", &[2, 3, 4, 4, 5, 6, 7, 8, 9, 11, 12, 14, 16, 22][..]),
        ("L2", &[12, 18, 25, 41][..]),
        ("VIP", &[1, 2, 4][..]),
    ] {
        for m in minutes {
            first_responses.push(FirstResponse {
                queue: QueueId::new(queue),
                ms: i64::from(*m) * 60_000 + 17_000,
            });
        }
    }
    DeskFigures {
        as_of: Seq(0),
        at: NOW,
        zone: "Europe/Kyiv".into(),
        day_start,
        week_start: Timestamp(day_start.0 - 5 * 24 * hour),
        heat_from: Timestamp(day_start.0 - 27 * 24 * hour),
        today_by_hour,
        created_today: (100..133).map(TicketId).collect(),
        by_hour_of_week,
        first_responses,
        awaiting_first: vec![
            AwaitingFirst {
                ticket_id: TicketId(2),
                since: NOW.minus(720),
            },
            AwaitingFirst {
                ticket_id: TicketId(3),
                since: NOW.minus(2220),
            },
        ],
        breaches_today: 2,
        ratings_week: (1..=17)
            .map(|i| Rating {
                ticket_id: TicketId(100 + i),
                stars: match i % 6 {
                    0 => 3,
                    1 => 4,
                    _ => 5,
                },
            })
            .collect(),
    }
}
