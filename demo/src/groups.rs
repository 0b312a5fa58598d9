//! Two client groups in the demo (docs/groups.md): Acme, a forum in
//! English, and Globex, a plain group in Ukrainian. Their people ask,
//! thank and follow up; an engineer, Max, answers some in Telegram; the
//! rest wait, go overdue and raise unanswered-chat alerts (a 2-minute
//! reply SLA, so they show within a few minutes of the demo).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use bot_api_sim::{SimUser, Simulator};
use relay_server::domain::desk::Desk;
use relay_server::domain::groups::orgs::{self, NewOrganisation};
use relay_server::store::{Store, groups as rows};
use tokio_util::sync::CancellationToken;

pub const ACME: i64 = -1_001_555_000_001;
pub const GLOBEX: i64 = -1_001_555_000_002;
const ACME_TITLE: &str = "Acme ⇄ Support";
const GLOBEX_TITLE: &str = "Globex · підтримка";
/// Max, the engineer who answers in Telegram.
const MAX: i64 = 880_001;

/// (Telegram id, name, language) of the clients' people.
const PEOPLE: &[(i64, &str, &str)] = &[
    (880_101, "Olga Marsh", "en"),
    (880_102, "Peter Kim", "en"),
    (880_103, "Dana Wu", "en"),
    (880_201, "Оксана Бондар", "uk"),
    (880_202, "Тарас Левченко", "uk"),
];

/// The organisations and their groups, bound, with Max as staff in both.
pub async fn setup(store: &Store, desk: Arc<Desk>) -> Result<()> {
    store
        .write(move |ctx| {
            for (name, language, chat, title, forum) in [
                ("Acme", "en", ACME, ACME_TITLE, true),
                ("Globex", "uk", GLOBEX, GLOBEX_TITLE, false),
            ] {
                orgs::add(
                    ctx,
                    &desk,
                    &NewOrganisation {
                        name: name.into(),
                        vip: name == "Acme",
                        queue: "L1".into(),
                        calendar: String::new(),
                        reply_sla: Duration::from_secs(120),
                        language: language.into(),
                    },
                )?;
                rows::seen_group(ctx, chat, title, forum, Some("administrator"))?;
                orgs::bind(ctx, &desk, chat, Some(name))?;
                orgs::set_side(ctx, chat, MAX, true)?;
            }
            Ok::<_, relay_server::domain::DomainError>(())
        })
        .await?;
    Ok(())
}

/// One step of the script: who writes what, where.
enum Step {
    /// A client asks in a group (in an Acme topic when `topic` is set).
    Ask {
        chat: i64,
        who: usize,
        text: &'static str,
        topic: Option<i64>,
    },
    /// Max answers the last question asked in that chat, as a reply.
    Answer { chat: i64, text: &'static str },
    /// A client's pleasantry (owes nothing).
    Thanks {
        chat: i64,
        who: usize,
        text: &'static str,
    },
}

const SCRIPT: &[Step] = &[
    Step::Ask {
        chat: ACME,
        who: 0,
        text: "Hello! Our nightly export fails with error 502 since this morning.",
        topic: Some(7),
    },
    Step::Ask {
        chat: GLOBEX,
        who: 3,
        text: "Добрий день! Не можемо додати нового користувача: кнопка сіра.",
        topic: None,
    },
    Step::Ask {
        chat: ACME,
        who: 1,
        text: "Same here, the CSV export is empty.",
        topic: Some(7),
    },
    Step::Answer {
        chat: GLOBEX,
        text: "Оксано, кнопка активна лише для адміністраторів: перевірте роль у Settings > Users.",
    },
    Step::Thanks {
        chat: GLOBEX,
        who: 3,
        text: "дякую, все працює 🙏",
    },
    Step::Ask {
        chat: ACME,
        who: 2,
        text: "Can we get an invoice for October, with our VAT number?",
        topic: None,
    },
    Step::Ask {
        chat: GLOBEX,
        who: 4,
        text: "А чи є API для вивантаження звітів?",
        topic: None,
    },
    Step::Answer {
        chat: ACME,
        text: "Dana, sure: the invoice will be in your inbox within the hour.",
    },
    Step::Thanks {
        chat: ACME,
        who: 2,
        text: "thanks!",
    },
    Step::Ask {
        chat: ACME,
        who: 0,
        text: "Any news on the export? Our finance team is waiting.",
        topic: Some(7),
    },
];

/// Plays the script, one step every few `pause`s, round and round, until
/// `shutdown`. Returns how many messages were written.
pub fn run(
    sim: Arc<Simulator>,
    pause: Duration,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        sim.add_user(SimUser::new(MAX, "Max", "en"));
        for (id, name, lang) in PEOPLE {
            sim.add_user(SimUser::new(*id, name, lang));
        }
        let mut last_question = std::collections::HashMap::new();
        let mut written = 0u64;
        for step in SCRIPT.iter().cycle() {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(pause * 3) => {}
            }
            let title = |chat: i64| {
                if chat == ACME {
                    ACME_TITLE
                } else {
                    GLOBEX_TITLE
                }
            };
            match step {
                Step::Ask {
                    chat,
                    who,
                    text,
                    topic,
                } => {
                    let id = sim.group_text(*chat, title(*chat), PEOPLE[*who].0, text, *topic);
                    last_question.insert(*chat, id);
                }
                Step::Answer { chat, text } => match last_question.get(chat) {
                    Some(q) => {
                        sim.group_reply(*chat, title(*chat), MAX, text, *q);
                    }
                    None => continue,
                },
                Step::Thanks { chat, who, text } => {
                    sim.group_text(*chat, title(*chat), PEOPLE[*who].0, text, None);
                }
            }
            written += 1;
        }
        written
    })
}
