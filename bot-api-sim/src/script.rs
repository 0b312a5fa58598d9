//! Scripted customers: a deterministic crowd for the demo, tests and
//! benchmarks. Each customer has a language and a problem; they write,
//! pause, follow up, send screenshots, fix typos, press the buttons the bot
//! offers (a rating when asked for one) and sometimes give up and block the
//! bot. Same seed, same crowd, same order of actions.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::{SimUser, Simulator};

/// How the crowd behaves.
#[derive(Debug, Clone)]
pub struct ScriptOptions {
    pub customers: u32,
    /// Average pause between two actions of the whole crowd.
    pub pause: Duration,
    /// Telegram user id of the first customer (ids are consecutive).
    pub first_id: i64,
    pub seed: u64,
    /// Stop after this many actions (None: until cancelled).
    pub actions: Option<u64>,
}

impl Default for ScriptOptions {
    fn default() -> Self {
        ScriptOptions {
            customers: 12,
            pause: Duration::from_secs(3),
            first_id: 500_001,
            seed: 7,
            actions: None,
        }
    }
}

/// (first name, language, opening message, follow-ups)
const CAST: &[(&str, &str, &str, &[&str])] = &[
    (
        "Olena",
        "uk",
        "Добрий день! Оплата не пройшла, але гроші списали.",
        &["Номер замовлення 84-1193.", "Є новини?"],
    ),
    (
        "Ivan",
        "ru",
        "Не могу войти в аккаунт, код не приходит.",
        &["Пробовал дважды.", "Жду ответа 🙏"],
    ),
    (
        "李华",
        "zh",
        "你好，我的付款失败了，请帮忙看看。",
        &["订单号是 84-2207。", "有进展吗？"],
    ),
    (
        "Maria",
        "en",
        "Hi! How do I export my invoices as PDF?",
        &["I'm on the web version.", "Thanks!"],
    ),
    (
        "Tom",
        "en",
        "The app crashes when I open settings 😕",
        &["Android 14, latest update.", "Still crashing."],
    ),
    (
        "Андрій",
        "uk",
        "Хочу запропонувати ідею: темна тема для веб-версії.",
        &["Було б дуже зручно вночі 🌙"],
    ),
    (
        "王芳",
        "zh",
        "我的账户被锁定了 🔒 怎么解锁？",
        &["我没有收到邮件。"],
    ),
    (
        "Sophie",
        "en",
        "I was charged twice this month. Please refund one.",
        &["Both on the 3rd.", "Any update?"],
    ),
    (
        "Дмитрий",
        "ru",
        "Хочу пожаловаться на качество поддержки.",
        &["Третий раз пишу."],
    ),
    (
        "Aisha",
        "en",
        "My account might be hacked — I see logins I don't know.",
        &["Please help fast."],
    ),
];

/// The topic button each member of the cast presses when asked.
const TOPICS: &[&str] = &[
    "payment",
    "account",
    "payment",
    "feature",
    "feature",
    "idea",
    "account",
    "payment",
    "complaint",
    "account",
];

/// A tiny deterministic generator (no dependency, same sequence everywhere).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Customer {
    id: i64,
    cast: usize,
    said: usize,
    last_message: Option<i64>,
    pressed: std::collections::HashSet<i64>,
    gone: bool,
    /// How many bot messages there were when this customer last wrote.
    bot_seen: usize,
}

/// The crowd `opts` makes: each customer's Telegram user id, first name
/// and language.
pub fn cast(opts: &ScriptOptions) -> Vec<(i64, &'static str, &'static str)> {
    (0..opts.customers)
        .map(|i| {
            let (name, lang, _, _) = CAST[i as usize % CAST.len()];
            (opts.first_id + i64::from(i), name, lang)
        })
        .collect()
}

/// Registers the crowd and runs it until `stop` (or the action budget).
/// Returns how many actions were taken.
pub async fn run(sim: Arc<Simulator>, opts: ScriptOptions, stop: CancellationToken) -> u64 {
    let mut rng = Lcg(opts.seed);
    let mut crowd: Vec<Customer> = cast(&opts)
        .into_iter()
        .enumerate()
        .map(|(i, (id, name, lang))| {
            let cast = i % CAST.len();
            let mut user = SimUser::new(id, name, lang);
            user.username = Some(format!(
                "{}_{i}",
                name.to_lowercase()
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
            ));
            sim.add_user(user);
            Customer {
                id,
                cast,
                said: 0,
                last_message: None,
                pressed: Default::default(),
                gone: false,
                bot_seen: 0,
            }
        })
        .collect();
    let mut actions = 0;
    while opts.actions.is_none_or(|a| actions < a) {
        let pause_ms = opts.pause.as_millis() as u64;
        let wait = Duration::from_millis(pause_ms / 2 + rng.below(pause_ms.max(1)));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.cancelled() => break,
        }
        let live: Vec<usize> = (0..crowd.len()).filter(|i| !crowd[*i].gone).collect();
        if live.is_empty() {
            break;
        }
        let c = &mut crowd[live[rng.below(live.len() as u64) as usize]];
        if act(&sim, c, &mut rng) {
            actions += 1;
        }
    }
    actions
}

/// One thing a customer does; false when they chose to wait.
fn act(sim: &Simulator, c: &mut Customer, rng: &mut Lcg) -> bool {
    let (_, _, opening, follow_ups) = CAST[c.cast];
    // Answer a bot question with buttons first: a rating gets 3-5 stars.
    let sent = sim.sent(c.id);
    if let Some(m) = sent
        .iter()
        .rev()
        .find(|m| !m.buttons().is_empty() && !c.pressed.contains(&m.message_id))
    {
        let buttons = m.buttons();
        let rating: Vec<&(String, String)> = buttons
            .iter()
            .filter(|(_, d)| d.starts_with("csat:"))
            .collect();
        let topic = format!("topic:{}", TOPICS[c.cast % TOPICS.len()]);
        let data = if buttons.iter().any(|(_, d)| d == "consent:yes") {
            // Most people agree; one in ten declines (and is asked again later).
            if rng.below(10) == 0 {
                "consent:no"
            } else {
                "consent:yes"
            }
            .to_owned()
        } else if buttons.iter().any(|(_, d)| *d == topic) {
            topic
        } else if buttons.iter().any(|(_, d)| d == "kb:no") {
            // The article helps one in three; the others want a person.
            if rng.below(3) == 0 { "kb:yes" } else { "kb:no" }.to_owned()
        } else if rating.is_empty() {
            buttons[rng.below(buttons.len() as u64) as usize].1.clone()
        } else {
            rating[rating.len().saturating_sub(1 + rng.below(3) as usize)]
                .1
                .clone()
        };
        c.pressed.insert(m.message_id);
        let _ = sim.press(c.id, m.message_id, &data);
        return true;
    }
    // Mostly patient: while the bot has not answered, wait.
    if c.said > 0 && sent.len() == c.bot_seen && rng.below(4) != 0 {
        return false;
    }
    c.bot_seen = sent.len();
    match (c.said, rng.below(20)) {
        (0, _) => c.last_message = Some(sim.send_text(c.id, opening)),
        // Some give up and block the bot, once they have said their piece.
        (n, 0) if n >= 6 && rng.below(3) == 0 => {
            sim.set_blocked(c.id, true);
            c.gone = true;
        }
        (_, 1..=3) => c.last_message = Some(sim.send_photo(c.id, Some("screenshot"))),
        (_, 4) if c.last_message.is_some() => {
            let _ = sim.edit(
                c.id,
                c.last_message.unwrap_or_default(),
                &format!("{opening} (edited)"),
            );
        }
        (n, _) => {
            let text = follow_ups
                .get((n - 1) % follow_ups.len().max(1))
                .copied()
                .unwrap_or("?");
            c.last_message = Some(sim.send_text(c.id, text));
        }
    }
    c.said += 1;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    #[tokio::test]
    async fn the_crowd_writes_in_several_languages_deterministically() {
        let mut counts = Vec::new();
        for _ in 0..2 {
            let sim = Arc::new(Simulator::start(SimConfig::default()).await.unwrap());
            let opts = ScriptOptions {
                customers: 10,
                pause: Duration::from_millis(2),
                actions: Some(60),
                ..Default::default()
            };
            let n = run(sim.clone(), opts, CancellationToken::new()).await;
            assert!(n > 0);
            counts.push(sim.stats().updates);
        }
        assert_eq!(counts[0], counts[1], "same seed, same crowd");
        assert!(counts[0] >= 50);
    }
}
