//! Two client groups in the demo (docs/groups.md): Acme, a forum in
//! English, and Globex, a plain group in Ukrainian. Their people ask,
//! thank and follow up; an engineer, Max, answers some in Telegram; the
//! rest wait, go overdue and raise unanswered-chat alerts (a 2-minute
//! reply SLA, so they show within a few minutes of the demo). Max makes a
//! ticket of Olga's export question with /ticket; both organisations share
//! their group tickets, so Olga's colleagues follow it in the mini app.
//!
//! A few minutes in, a spam wave (docs/groups.md, "Safety"): a real
//! newcomer passes the captcha and posts a link (held: newcomers may not,
//! yet; approve it), spammers pass the captcha and post (held as spam), a
//! look-alike of Max offers "support" (held, and the staff chat told), and
//! a bot that never presses the captcha button is removed.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use bot_api_sim::{SimUser, Simulator};
use relay_server::domain::agents::{self, NewAgent};
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
pub const PEOPLE: &[(i64, &str, &str)] = &[
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
                // Their people follow their group's tickets in the mini app
                // (/demo/app, "Company").
                orgs::set_shared(ctx, name, true)?;
            }
            // Max is an engineer of the desk with his Telegram account
            // linked: staff in every group, and protected from look-alikes.
            let mut max = NewAgent::supervisor("max", Some("Max Petrenko"), &desk.queues);
            max.role = shared::Role::Agent;
            agents::add(ctx, &desk.queues, &max)?;
            orgs::link(ctx, "max", MAX)?;
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
    /// Max makes a ticket of the last question asked in that chat, by
    /// answering it with /ticket.
    Ticket { chat: i64 },
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
    Step::Ticket { chat: ACME },
];

/// Presses the captcha button the bot posted for `name` in `chat`, once it
/// is there (a person, or a bot that solves button captchas).
async fn pass_captcha(sim: &Simulator, chat: i64, user: i64, name: &str) {
    for _ in 0..100 {
        let welcome = sim.sent(chat).into_iter().rev().find(|s| {
            s.text.as_deref().is_some_and(|t| t.contains(name)) && !s.buttons().is_empty()
        });
        if let Some(w) = welcome {
            let (_, data) = w.buttons().remove(0);
            let _ = sim.group_press(chat, user, w.message_id, &data);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `user` may write in `chat` (the bot lifted the
/// captcha's restriction), a few seconds at most.
async fn free_to_write(sim: &Simulator, chat: i64, user: i64) {
    for _ in 0..100 {
        let restricted = sim
            .group_members(chat)
            .1
            .into_iter()
            .any(|(u, p)| u == user && p["can_send_messages"].as_bool() != Some(true));
        if !restricted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// (Telegram id, first name, last name, username, language) of the wave.
type Person = (
    i64,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
);

const LENA: Person = (880_401, "Lena", Some("Ortiz"), None, "en");
const ANNA: Person = (880_402, "Anna", Some("Rich"), Some("rich_anna_pro"), "en");
const ZORIANA: Person = (880_403, "Зоряна", None, Some("zoriana_invest"), "uk");
const CLONE: Person = (
    880_404,
    "Mаx",
    Some("Petrenko"),
    Some("max_support_desk"),
    "en",
);
const PROMO: Person = (880_405, "PromoBot", Some("3000"), Some("promo3000"), "en");

/// The spam wave, once, after `delay`.
pub fn wave(
    sim: Arc<Simulator>,
    delay: Duration,
    pause: Duration,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
        for (id, first, last, username, lang) in [LENA, ANNA, ZORIANA, CLONE, PROMO] {
            let mut u = SimUser::new(id, first, lang);
            u.last_name = last.map(str::to_owned);
            u.username = username.map(str::to_owned);
            sim.add_user(u);
        }
        // (who, where, what they post once in).
        let steps: [(Person, i64, &str); 4] = [
            (
                LENA,
                ACME,
                "Hi all, I'm new on the Acme side. The 502 again, screenshot: https://files.acme-corp.com/err-502.png",
            ),
            (
                ANNA,
                ACME,
                "💰💰 Earn $500 a day from home! Only 2 hours a day, no experience needed. Write me @rich_anna_pro 🚀🚀",
            ),
            (
                ZORIANA,
                GLOBEX,
                "🔥 Заробіток від 500$ на день без вкладень! Пиши в особисті, розкажу схему 💸",
            ),
            (
                CLONE,
                ACME,
                "Hi! I'm Max from support. To fix the export I need to verify your account: send me the code you get by SMS in private.",
            ),
        ];
        let title = |chat| {
            if chat == ACME {
                ACME_TITLE
            } else {
                GLOBEX_TITLE
            }
        };
        for ((id, first, ..), chat, text) in steps {
            if shutdown.is_cancelled() {
                return;
            }
            sim.group_join(chat, title(chat), id);
            pass_captcha(&sim, chat, id, first).await;
            free_to_write(&sim, chat, id).await;
            let _ = sim.group_post(
                chat,
                title(chat),
                id,
                &bot_api_sim::GroupPost {
                    text: text.into(),
                    ..Default::default()
                },
            );
            tokio::time::sleep(pause).await;
        }
        // A bot that never presses the button: removed after the timeout.
        sim.group_join(GLOBEX, GLOBEX_TITLE, PROMO.0);
    })
}

/// Plays the script, one step every few `pause`s, round and round, until
/// `shutdown`. Returns how many messages were written.
pub fn run(
    sim: Arc<Simulator>,
    pause: Duration,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut max = SimUser::new(MAX, "Max", "en");
        max.last_name = Some("Petrenko".into());
        max.username = Some("max_petrenko".into());
        sim.add_user(max);
        // The bot is an administrator of both groups (it may delete, ban
        // and pin there).
        sim.group_bot_status(ACME, ACME_TITLE, MAX, "administrator");
        sim.group_bot_status(GLOBEX, GLOBEX_TITLE, MAX, "administrator");
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
                Step::Ticket { chat } => match last_question.get(chat) {
                    Some(q) => {
                        sim.group_reply(*chat, title(*chat), MAX, "/ticket", *q);
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
