//! Sample data for trying the desk without Telegram: customers in several
//! languages writing about the usual topics, filed through the same intake
//! a Telegram message takes. Deterministic for a given count.

use std::sync::Arc;

use shared::{Priority, QueueId};

use crate::domain::DomainError;
use crate::domain::desk::Desk;
use crate::domain::intake::{self, Inbound, Sender};
use crate::domain::queues::Queues;
use crate::store::Store;

const PEOPLE: &[(&str, &str, &str)] = &[
    (
        "Olena",
        "uk",
        "Добрий день! Оплата не пройшла, але гроші списали.",
    ),
    ("Ivan", "ru", "Не могу войти в аккаунт, код не приходит."),
    ("李华", "zh", "你好，我的付款失败了，请帮忙看看。"),
    ("Maria", "en", "Hi! How do I export my invoices as PDF?"),
    ("Tom", "en", "The app crashes when I open settings 😕"),
    (
        "Андрій",
        "uk",
        "Хочу запропонувати ідею: темна тема для веб-версії.",
    ),
    ("王芳", "zh", "我的账户被锁定了 🔒 怎么解锁？"),
    (
        "Sophie",
        "en",
        "I was charged twice this month. Please refund one.",
    ),
];

const FOLLOW_UPS: &[&str] = &[
    "Any news?",
    "Here is the order id: 84-1193.",
    "I tried again, still the same 🙁",
    "Thanks for looking into it!",
];

/// The message sample customer `i` writes (the `n`-th time).
fn sample(queues: &Queues, i: u32, n: u32) -> Inbound {
    let (name, lang, text) = PEOPLE[i as usize % PEOPLE.len()];
    let queue = match i % 7 {
        3 => Some(QueueId::new("L2")),
        5 => Some(QueueId::new("VIP")),
        6 => Some(QueueId::new("SECURITY")),
        _ => None,
    }
    .filter(|q| queues.get(q).is_some());
    let user = 100_000 + i64::from(i);
    Inbound {
        sender: Sender {
            telegram_user_id: user,
            first_name: name.to_owned(),
            last_name: None,
            username: Some(format!("customer{i}")),
            language: Some(lang.to_owned()),
        },
        chat_id: user,
        text: if n == 0 {
            text.to_owned()
        } else {
            FOLLOW_UPS[(i + n) as usize % FOLLOW_UPS.len()].to_owned()
        },
        attachments: Vec::new(),
        telegram_message_id: Some(i64::from(n) + 1),
        sent_at: None,
        queue,
        topic: None,
        priority: if i % 11 == 0 {
            Priority::High
        } else {
            Priority::Normal
        },
    }
}

/// Files `customers` customers' messages (1-3 each). Returns messages filed.
pub async fn seed(store: &Store, desk: Arc<Desk>, customers: u32) -> Result<u32, DomainError> {
    let mut filed = 0;
    let mut start = 0;
    while start < customers {
        let end = (start + 200).min(customers);
        let d = desk.clone();
        filed += store
            .write(move |ctx| {
                let mut n = 0;
                for i in start..end {
                    for k in 0..=(i % 3) {
                        intake::customer_message(ctx, &d, &sample(&d.queues, i, k))?;
                        n += 1;
                    }
                }
                Ok::<u32, DomainError>(n)
            })
            .await?;
        start = end;
    }
    Ok(filed)
}
