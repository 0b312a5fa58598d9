//! The golden report (docs/metrics.md): a fortnight of a desk, scripted
//! minute by minute. The real relay-server runs in this process on a clock
//! the test moves (everything it stamps is stamped at the script's time);
//! customers write and press buttons through the simulated Telegram in four
//! languages; two engineers answer over the WebSocket. Then every figure of
//! `relay-server report` is compared with the value worked out by hand in
//! the comments below.
//!
//! The desk: L1 open Monday to Friday 09:00-18:00 in Kyiv (UTC+3 in
//! October), first reply 1h, next reply 2h, resolution 8h of business
//! time; L2 around the clock, 30m, 1h and 24h. The guided bot with the
//! sample knowledge base, the follow-up a day after a resolution, NPS on.
//! The period: Monday 5 to Sunday 18 October 2026, in Kyiv.
//!
//! The tickets (times in Kyiv; "msg" is the customer's first word):
//!
//! | #  | name | customer  | queue | topic   | created     | msg   | replies            | resolved          |
//! |----|------|-----------|-------|---------|-------------|-------|--------------------|-------------------|
//! | 1  | A0   | 9009 uk   | L1    | -       | Sun 4 23:30 |       | alice 23:40        | 23:45 (before the period) |
//! | 2  | P1   | 9001 uk   | L1    | payment | Mon 5 10:03 | 10:00 | alice 10:20        | 10:30; rated 5; follow-up yes, NPS 10 |
//! | 3  | K1   | 9003 ru   | L2    | account | Tue 6 14:05 | 14:00 | alice 15:00, 16:30 | 15:30, "not fixed" + message 16:00, 17:00; rated 2 |
//! | 4  | K2   | 9005 en   | L1    | -       | Wed 7 12:20 | 12:00 | bob 13:00          | 13:10 |
//! | 5  | P2   | 9001 uk   | L1    | payment | Thu 8 11:01 | 11:00 | alice 14:00, Mon 12 10:00 | Fri 9 12:00, rated 4; follow-up "no" Sat 10 12:00; Mon 12 10:05 |
//! | 6  | R1   | 9009 uk   | L1    | -       | Fri 9 12:30 |       | bob 17:00          | no |
//! | 7  | H1   | 9002 en   | L1    | -       | Fri 9 17:30 |       | bob Mon 12 09:20; customer 09:40; bob 11:10 | Mon 12 11:15 |
//! | 8  | F1   | 9006 en   | L2    | feature | Sat 10 22:00|       | none               | no |
//! | 9  | H2   | 9007 uk   | L1    | -       | Tue 13 08:00|       | bob 09:15          | 09:20; rated 3; follow-up yes, NPS 6 |
//! | 10 | H3   | 9005 en   | L1    | -       | Wed 14 14:00|       | alice 14:30; customer 14:40; alice 17:00 | 17:05; rated 5 |
//! | 11 | H4   | 9008 zh   | L1    | -       | Sat 17 15:00|       | alice Mon 19 09:05 | no |
//! | 12 | X    | 9002 en   | L1    | -       | Mon 19 00:10 (after the period) | | | |
//!
//! Knowledge base: 9003's answer Tue 6 14:00 ("no", then the ticket K1);
//! 9004's Wed 7 09:00 ("it helped", nothing after: self-solved); 9005's
//! Wed 7 12:00 (no answer: after 15 minutes the bot files what they wrote
//! as K2).

use std::sync::Arc;
use std::time::Duration;

use bot_api_sim::{Sent, SimConfig, SimUser, Simulator};
use e2e::*;
use relay_server::domain::desk::Desk;
use relay_server::domain::i18n::{self, Lang};
use relay_server::settings::Settings;
use relay_server::store::{Durability, ManualClock, Store, StoreOptions};
use serde_json::{Value, json};
use shared::*;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(60);
const M: i64 = 60_000;
const H: i64 = 60 * M;

const CONFIG: &str = r#"
durability = "normal"
routing = []

[telegram]
poll_timeout_secs = 1
per_chat_interval_ms = 20

[assignment]
auto = false

[sla]
warn_before = []

[bot]
mode = "guided"
consent = false
quiet_hours = ""
followup_after = "24h"
nps = true
default_time_zone = "Europe/Kyiv"

[[bot.topics]]
key = "payment"
queue = "L1"
questions = ["payment_when"]
screenshot = false

[[bot.topics]]
key = "account"
queue = "L2"
questions = []
screenshot = false

[[bot.topics]]
key = "feature"
queue = "L2"
questions = []
screenshot = false

[[bot.stop_words]]
queue = ""
priority = "normal"
words = ["human", "людин", "оператор", "人工"]

[calendars.office]
time_zone = "Europe/Kyiv"
open = ["mon-fri 09:00-18:00"]

[[queues]]
id = "L1"
name = "L1 general"
first_reply = "1h"
next_reply = "2h"
resolution = "8h"
calendar = "office"

[[queues]]
id = "L2"
name = "L2 experts"
first_reply = "30m"
next_reply = "1h"
resolution = "24h"
"#;

/// The desk, its clock and its two engineers.
struct Fortnight {
    sim: Simulator,
    clock: Arc<ManualClock>,
    store: Store,
    desk: Arc<Desk>,
    alice: Client,
    bob: Client,
    /// Tickets already met.
    seen: Vec<TicketId>,
}

/// A time in Kyiv in October 2026 ("10-05 10:00").
fn kyiv(when: &str) -> Timestamp {
    let t: jiff::Timestamp = format!("2026-{}:00+03:00", when.replace(' ', "T"))
        .parse()
        .unwrap();
    Timestamp(t.as_millisecond())
}

impl Fortnight {
    /// Moves the clock to `when` (Kyiv) and runs the desk's timers there,
    /// as the server would: follow-ups, SLA breaches, conversations left
    /// halfway, closing resolved tickets.
    async fn at(&self, when: &str) {
        let to = kyiv(when);
        assert!(to >= self.store.now(), "the clock only moves on: {when}");
        self.clock.set(to);
        let d = self.desk.clone();
        self.store
            .write(move |ctx| relay_server::domain::timers::tick(ctx, &d))
            .await
            .unwrap();
    }

    /// The newest message to `user` with a button carrying `data`.
    async fn with_button(&self, user: i64, data: &str) -> Sent {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(s) = self
                .sim
                .sent(user)
                .into_iter()
                .rev()
                .find(|s| s.buttons().iter().any(|(_, d)| d == data))
            {
                return s;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{user}: no button {data:?} in {:?}",
                self.sim
                    .sent(user)
                    .iter()
                    .map(|s| s.text.clone())
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn press(&self, user: i64, data: &str) {
        let m = self.with_button(user, data).await;
        self.sim.press(user, m.message_id, data).expect("press");
    }

    /// Waits until the bot has said `text` to `user` `n` times.
    async fn heard(&self, user: i64, text: &str, n: usize) {
        let deadline = tokio::time::Instant::now() + WAIT;
        let said = || {
            self.sim
                .sent(user)
                .iter()
                .filter(|s| s.text.as_deref() == Some(text))
                .count()
        };
        while said() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{user} never heard {text:?} {n} times: {:#?}",
                self.sim
                    .sent(user)
                    .iter()
                    .map(|s| (s.text.clone(), s.buttons()))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Presses `data` and waits for the bot's answer `reply` (its
    /// `n`th time in that chat).
    async fn press_hear(&self, user: i64, data: &str, reply: &str, n: usize) {
        self.press(user, data).await;
        self.heard(user, reply, n).await;
    }

    /// Waits for a ticket of the customer's not seen before; returns it.
    /// (The stream forgets closed tickets: those seen are remembered here.)
    async fn new_ticket(&mut self, user: i64) -> TicketId {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(t) = tickets_of(&self.alice.mirror, user)
                .into_iter()
                .find(|t| !self.seen.contains(t))
            {
                self.seen.push(t);
                return t;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no new ticket of {user}; the bot said {:#?}",
                self.sim
                    .sent(user)
                    .iter()
                    .map(|s| s.text.clone())
                    .collect::<Vec<_>>()
            );
            let _ = tokio::time::timeout(Duration::from_millis(100), self.alice.pump()).await;
        }
    }

    /// The customer writes into their open ticket; waits until it is in.
    async fn writes_into(&mut self, user: i64, t: TicketId, text: &str) {
        self.sim.send_text(user, text);
        self.alice
            .until(&format!("{text:?} in {t}"), WAIT, |m| {
                m.messages
                    .get(&t)
                    .is_some_and(|th| th.values().any(|x| x.text == text))
            })
            .await;
    }

    /// The ticket's status as the stream says, once it is `s`.
    async fn status_is(&mut self, t: TicketId, s: TicketStatus) {
        self.alice
            .until(&format!("{t} {s:?}"), WAIT, |m| m.tickets[&t].status == s)
            .await;
    }

    async fn rated(&mut self, user: i64, t: TicketId, stars: u8) {
        self.press(user, &format!("csat:{t}:{stars}")).await;
        self.alice
            .until(&format!("{t} rated"), WAIT, |m| {
                m.tickets[&t].csat == Some(stars)
            })
            .await;
    }
}

/// A customer's tickets, oldest first.
fn tickets_of(m: &relay_client::Mirror, user: i64) -> Vec<TicketId> {
    let Some(c) = m.customers.values().find(|c| c.telegram_user_id == user) else {
        return Vec::new();
    };
    let mut v: Vec<&Ticket> = m
        .tickets
        .values()
        .filter(|t| t.customer_id == c.id && m.messages.contains_key(&t.id))
        .collect();
    v.sort_by_key(|t| t.number);
    v.into_iter().map(|t| t.id).collect()
}

/// An engineer's command, which must be accepted.
async fn ok(c: &mut Client, cmd: Command) {
    expect_ok(&c.cmd(cmd).await);
}

async fn take(c: &mut Client, t: TicketId) {
    ok(c, Command::Take { ticket_id: t }).await;
}

async fn resolve(c: &mut Client, t: TicketId) {
    ok(
        c,
        Command::SetStatus {
            ticket_id: t,
            status: TicketStatus::Resolved,
        },
    )
    .await;
}

async fn tag(c: &mut Client, t: TicketId, tags: &[&str]) {
    ok(
        c,
        Command::SetTags {
            ticket_id: t,
            add: tags.iter().map(|s| s.to_string()).collect(),
            remove: vec![],
        },
    )
    .await;
}

fn t(lang: Lang, key: &str) -> String {
    i18n::text(lang, key, &[])
}

/// The same figures: integers exactly, fractions to the last few bits
/// (JSON's decimal text of a fraction reads back within an ulp or two).
fn same(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Number(g), Value::Number(w)) if g.is_f64() || w.is_f64() => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            (g - w).abs() <= 1e-12 * w.abs().max(1.0)
        }
        (Value::Array(g), Value::Array(w)) => {
            g.len() == w.len() && g.iter().zip(w).all(|(g, w)| same(g, w))
        }
        (Value::Object(g), Value::Object(w)) => {
            g.len() == w.len() && g.iter().all(|(k, v)| w.get(k).is_some_and(|w| same(v, w)))
        }
        _ => got == want,
    }
}

/// Asserts the report's `got` is `want`, showing both when not.
fn check(what: &str, got: &Value, want: &Value) {
    assert!(same(got, want), "{what}:\ngot  {got:#}\nwant {want:#}");
}

/// Nearest-rank statistics as the report prints them.
fn stats(count: u64, p50: i64, p90: i64, mean: i64) -> Value {
    json!({"count": count, "p50_ms": p50, "p90_ms": p90, "mean_ms": mean})
}

fn rate(count: u64, of: u64) -> Value {
    json!({"count": count, "of": of, "pending": 0, "rate": count as f64 / of as f64})
}

fn sla(target: &str, met: u64, breached: u64, pending: u64) -> Value {
    json!({"target": target, "met": met, "breached": breached, "pending": pending,
           "attainment": met as f64 / (met + breached) as f64})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripted_fortnight_gives_the_figures_worked_out_by_hand() {
    // A fortnight in two minutes: the outbox sends without Telegram's
    // pace (a 429's retry would wait for the script's clock).
    let mut sim_config = SimConfig::default();
    sim_config.limits.enforce = false;
    let sim = Simulator::start(sim_config).await.unwrap();
    let people = [
        (9001, "Олена", Lang::Uk),
        (9002, "Mark", Lang::En),
        (9003, "Иван", Lang::Ru),
        (9004, "王伟", Lang::Zh),
        (9005, "Tom", Lang::En),
        (9006, "Sofia", Lang::En),
        (9007, "Дмитро", Lang::Uk),
        (9008, "李娜", Lang::Zh),
        (9009, "Ірина", Lang::Uk),
    ];
    for (id, name, lang) in people {
        sim.add_user(SimUser::new(id, name, lang.code()));
    }
    let (dir, db) = fresh_db(0);
    let alice_token = add_agent(&db, "alice", "agent", "L1,L2");
    let bob_token = add_agent(&db, "bob", "agent", "L1,L2");
    let config = dir.path().join("desk.toml");
    std::fs::write(
        &config,
        CONFIG.replace("[bot]\n", &format!("[bot]\nkb_dir = {:?}\n", kb_dir())),
    )
    .unwrap();
    let config = config.to_string_lossy().into_owned();
    let env = [
        ("TELEGRAM_BOT_TOKEN".to_owned(), sim.token()),
        ("TELEGRAM_API_URL".to_owned(), sim.api_url()),
        ("RELAY_DB".to_owned(), db.to_string_lossy().into_owned()),
    ];
    let settings = Settings::load(Some(std::path::Path::new(&config)), env).expect("settings");
    let clock = ManualClock::new(kyiv("10-04 23:00"));
    let mut opts = StoreOptions::new(&db);
    opts.durability = Durability::Normal;
    opts.clock = clock.clone();
    let store = Store::open(opts).unwrap();
    let desk = Arc::new(relay_server::desk(&settings).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}{WS_PATH}", listener.local_addr().unwrap());
    let shutdown = CancellationToken::new();
    let server = {
        let (store, settings, shutdown) = (store.clone(), settings.clone(), shutdown.clone());
        tokio::spawn(async move { relay_server::serve(store, &settings, listener, shutdown).await })
    };
    let alice = Client::connect(&url, &alice_token, None).await;
    let bob = Client::connect(&url, &bob_token, None).await;
    let mut f = Fortnight {
        sim,
        clock,
        store,
        desk,
        alice,
        bob,
        seen: Vec::new(),
    };
    let (uk, zh) = (Lang::Uk, Lang::Zh);

    // Sunday 4 October, before the period: A0, resolved at once.
    f.at("10-04 23:30").await;
    f.sim.send_text(9009, "Мені потрібна людина");
    let a0 = f.new_ticket(9009).await;
    f.at("10-04 23:40").await;
    take(&mut f.alice, a0).await;
    f.alice.reply(a0, "Слухаю вас").await;
    f.at("10-04 23:45").await;
    resolve(&mut f.alice, a0).await;

    // Monday 5: P1. The topic at 10:02, the answer to its question at
    // 10:03 files the ticket; the thread starts at 10:00.
    f.at("10-05 10:00").await;
    f.sim.send_text(9001, "У мене двічі списали гроші з картки");
    f.with_button(9001, "topic:payment").await;
    f.at("10-05 10:02").await;
    f.press_hear(9001, "topic:payment", &t(uk, "question.payment_when"), 1)
        .await;
    f.at("10-05 10:03").await;
    f.sim.send_text(9001, "Сьогодні вранці");
    let p1 = f.new_ticket(9001).await;
    take(&mut f.alice, p1).await;
    tag(&mut f.alice, p1, &["refund"]).await;
    f.at("10-05 10:20").await;
    f.alice.reply(p1, "Перевіряю платіж").await;
    f.at("10-05 10:30").await;
    resolve(&mut f.alice, p1).await;
    f.at("10-05 10:31").await;
    f.rated(9001, p1, 5).await;

    // Tuesday 6: P1's follow-up, "yes", NPS 10. Then 9003's question,
    // answered by the knowledge base, "no": the ticket K1 in L2.
    f.at("10-06 10:30").await;
    f.press_hear(
        9001,
        &format!("followup:{p1}:yes"),
        &t(uk, "followup.thanks"),
        1,
    )
    .await;
    f.press_hear(9001, &format!("nps:{p1}:10"), &t(uk, "nps.thanks"), 1)
        .await;
    f.at("10-06 14:00").await;
    f.sim.send_text(9003, "Не приходит код для входа");
    f.with_button(9003, "kb:no").await;
    f.at("10-06 14:05").await;
    f.press(9003, "kb:no").await;
    let k1 = f.new_ticket(9003).await;
    take(&mut f.alice, k1).await;
    f.at("10-06 15:00").await;
    f.alice.reply(k1, "Отправили код ещё раз").await;
    f.at("10-06 15:30").await;
    resolve(&mut f.alice, k1).await;
    f.at("10-06 16:00").await;
    f.press(9003, &format!("reopen:{k1}")).await;
    f.status_is(k1, TicketStatus::Open).await;
    f.writes_into(9003, k1, "Код так и не пришёл").await;
    f.at("10-06 16:30").await;
    f.alice.reply(k1, "Проверьте, пожалуйста, ещё раз").await;
    f.at("10-06 17:00").await;
    resolve(&mut f.alice, k1).await;
    f.at("10-06 17:01").await;
    f.rated(9003, k1, 2).await;

    // Wednesday 7: 9004 is helped by the knowledge base; 9005 reads the
    // answer and says nothing: at 12:20 the bot files it (K2).
    f.at("10-07 09:00").await;
    f.sim.send_text(9004, "账户被锁定了，怎么解锁");
    f.with_button(9004, "kb:yes").await;
    f.at("10-07 09:01").await;
    f.press_hear(9004, "kb:yes", &t(zh, "kb.glad"), 1).await;
    f.at("10-07 12:00").await;
    f.sim.send_text(9005, "How do I reset my password?");
    f.with_button(9005, "kb:yes").await;
    f.at("10-07 12:20").await;
    let k2 = f.new_ticket(9005).await;
    take(&mut f.bob, k2).await;
    f.at("10-07 13:00").await;
    f.bob
        .reply(k2, "Here is a new link; it is valid for 30 minutes.")
        .await;
    f.at("10-07 13:10").await;
    resolve(&mut f.bob, k2).await;

    // Thursday 8: 9001 again on payments (a repeat): P2.
    f.at("10-08 11:00").await;
    f.sim.send_text(9001, "Знову подвійне списання");
    f.heard(9001, &t(uk, "topic.ask"), 2).await;
    f.press_hear(9001, "topic:payment", &t(uk, "question.payment_when"), 2)
        .await;
    f.at("10-08 11:01").await;
    f.sim.send_text(9001, "Вчора ввечері");
    let p2 = f.new_ticket(9001).await;
    take(&mut f.alice, p2).await;
    tag(&mut f.alice, p2, &["refund", "card"]).await;
    f.at("10-08 14:00").await;
    f.alice.reply(p2, "Повернемо другий платіж").await;

    // Friday 9: P2 resolved and rated; 9009 back (a repeat of A0): R1;
    // 9002 at 17:30, half an hour before the office closes: H1.
    f.at("10-09 12:00").await;
    resolve(&mut f.alice, p2).await;
    f.rated(9001, p2, 4).await;
    f.at("10-09 12:30").await;
    f.sim.send_text(9009, "Оператор, будь ласка");
    let r1 = f.new_ticket(9009).await;
    take(&mut f.bob, r1).await;
    f.at("10-09 17:00").await;
    f.bob.reply(r1, "Вже дивлюся").await;
    f.at("10-09 17:30").await;
    f.sim.send_text(9002, "I need a human, my parcel is late");
    let h1 = f.new_ticket(9002).await;
    take(&mut f.bob, h1).await;
    tag(&mut f.bob, h1, &["delivery"]).await;

    // Saturday 10: P2's follow-up, "no": reopened. 9006 asks for a feature
    // late at night: F1, which nobody answers.
    f.at("10-10 12:00").await;
    f.press(9001, &format!("followup:{p2}:no")).await;
    f.status_is(p2, TicketStatus::Open).await;
    f.at("10-10 22:00").await;
    f.sim.send_text(9006, "Feature request: a dark theme");
    f.press(9006, "topic:feature").await;
    let _f1 = f.new_ticket(9006).await;

    // Monday 12.
    f.at("10-12 09:20").await;
    f.bob.reply(h1, "It left the warehouse on Friday.").await;
    f.at("10-12 09:40").await;
    f.writes_into(9002, h1, "Which day will it arrive?").await;
    f.at("10-12 10:00").await;
    f.alice.reply(p2, "Кошти повернуто").await;
    f.at("10-12 10:05").await;
    resolve(&mut f.alice, p2).await;
    f.at("10-12 11:10").await;
    f.bob.reply(h1, "On Wednesday.").await;
    f.at("10-12 11:15").await;
    resolve(&mut f.bob, h1).await;

    // Tuesday 13: H2 before the office opens; rated 3; Wednesday's
    // follow-up "yes", NPS 6.
    f.at("10-13 08:00").await;
    f.sim
        .send_text(9007, "Потрібна людина, не можу змінити тариф");
    let h2 = f.new_ticket(9007).await;
    take(&mut f.bob, h2).await;
    f.at("10-13 09:15").await;
    f.bob.reply(h2, "Змінив тариф").await;
    f.at("10-13 09:20").await;
    resolve(&mut f.bob, h2).await;
    f.at("10-13 09:21").await;
    f.rated(9007, h2, 3).await;
    f.at("10-14 09:20").await;
    f.press_hear(
        9007,
        &format!("followup:{h2}:yes"),
        &t(uk, "followup.thanks"),
        1,
    )
    .await;
    f.press_hear(9007, &format!("nps:{h2}:6"), &t(uk, "nps.thanks"), 1)
        .await;

    // Wednesday 14: 9005 again, a week and 40 minutes after K2 was filed:
    // not a repeat. H3.
    f.at("10-14 14:00").await;
    f.sim
        .send_text(9005, "I need a human, the reset link expired");
    let h3 = f.new_ticket(9005).await;
    take(&mut f.alice, h3).await;
    f.at("10-14 14:30").await;
    f.alice.reply(h3, "Sending a new one.").await;
    f.at("10-14 14:40").await;
    f.writes_into(9005, h3, "Nothing arrives").await;
    f.at("10-14 17:00").await;
    f.alice.reply(h3, "Fixed: the mail server was slow.").await;
    f.at("10-14 17:05").await;
    resolve(&mut f.alice, h3).await;
    f.at("10-14 17:06").await;
    f.rated(9005, h3, 5).await;

    // Saturday 17: H4, answered Monday 19 at 09:05 (after the period).
    f.at("10-17 15:00").await;
    f.sim.send_text(9008, "我要人工客服");
    let h4 = f.new_ticket(9008).await;
    take(&mut f.alice, h4).await;
    // Monday 19, 00:10: X, after the period.
    f.at("10-19 00:10").await;
    f.sim.send_text(9002, "I need a human again");
    f.new_ticket(9002).await;
    f.at("10-19 09:05").await;
    f.alice.reply(h4, "您好，请问有什么可以帮您？").await;

    // The command reads the real clock: every week-long window of the
    // fortnight (first-contact resolution, self-service) has passed.
    let report = |by: &str| {
        let args = [
            "--config",
            config.as_str(),
            "report",
            "--from",
            "2026-10-05",
            "--to",
            "2026-10-19",
            "--zone",
            "Europe/Kyiv",
            "--by",
            by,
            "--format",
            "json",
        ];
        serde_json::from_str::<Value>(&cli_ok(&db, &args)).unwrap()
    };
    let r = report("queue");
    assert_eq!(r["from"], kyiv("10-05 00:00").0);
    assert_eq!(r["to"], kyiv("10-19 00:00").0);
    assert_eq!(r["zone"], "Europe/Kyiv");

    // The ten tickets of the period (not A0, not X).
    //
    // First response, calendar (business on L1's office hours; L2 is
    // 24/7): P1 10:00-10:20 20m; K1 14:00-15:00 1h; K2 12:00-13:00 1h;
    // P2 11:00-14:00 3h; R1 12:30-17:00 4h30m; H1 Fri 17:30-Mon 09:20
    // 63h50m (business 30m + 20m = 50m); H2 08:00-09:15 1h15m (15m);
    // H3 14:00-14:30 30m; H4 Sat 15:00-Mon 09:05 42h05m (5m). F1: none.
    // Calendar sorted (minutes): 20, 30, 60, 60, 75, 180, 270, 2525,
    // 3830: P50 the 5th, P90 the 9th, mean 7050/9 = 783.33m.
    let first = json!({
        "calendar": stats(9, 75 * M, 3830 * M, 47_000_000),
        // 5, 15, 20, 30, 50, 60, 60, 180, 270: mean 690/9 = 76m40s.
        "business": stats(9, 50 * M, 270 * M, 4_600_000),
    });
    // Next response: K1's "not fixed" and message 16:00-16:30 30m; P2's
    // "no" Sat 12:00-Mon 10:00 46h (business 1h); H1 09:40-11:10 1h30m;
    // H3 14:40-17:00 2h20m.
    let next = json!({
        "calendar": stats(4, 90 * M, 46 * H, (30 + 2760 + 90 + 140) * M / 4),
        "business": stats(4, 60 * M, 140 * M, (30 + 60 + 90 + 140) * M / 4),
    });
    // Resolution, from the first word to the last resolution: P1 30m; K1
    // 3h; K2 12:00-13:10 1h10m; P2 Thu 11:00-Mon 10:05 95h05m (business
    // Thu 7h + Fri 9h + Mon 1h05m = 17h05m); H1 65h45m (30m + 2h15m);
    // H2 1h20m (20m); H3 3h05m.
    let resolution = json!({
        "calendar": stats(7, 180 * M, 5705 * M, (30 + 180 + 70 + 5705 + 3945 + 80 + 185) * M / 7),
        "business": stats(7, 165 * M, 1025 * M, (30 + 180 + 70 + 1025 + 165 + 20 + 185) * M / 7),
    });
    let desk = json!({
        "tickets": 10,
        "first_response": first,
        "unanswered": 1,
        "next_response": next,
        "resolution": resolution,
        "unresolved": 3,
        // Resolved: P1 (P2 came within the week), K1 (two replies,
        // reopened), P2 (reopened), H1 and H3 (two replies) are not;
        // K2 (Tom's next ticket came 50 minutes after the week) and H2 are.
        "first_contact_resolution": rate(2, 7),
        "reopened": rate(2, 7),
        // P2 after P1 (payment, 3 days), R1 after A0 (no topic, 5 days).
        "repeat_contacts": rate(2, 10),
        // Asked at each resolution: the seven resolved.
        "csat": {"rated": 5, "asked": 7, "response_rate": 5.0 / 7.0, "mean": 19.0 / 5.0,
                 "distribution": [0, 1, 1, 1, 2]},
        "nps": {"asked": 2, "answered": 2, "promoters": 1, "passives": 0, "detractors": 1,
                "score": 0.0},
        "sla": [
            // Breached: K1 (30m), P2 (1h from 11:01), R1, F1.
            sla("first_reply", 6, 4, 0),
            // Breached: H3 (2h20m against 2h).
            sla("next_reply", 3, 1, 0),
            // Breached: P2 (due Fri 10:01), R1 (Mon 12 11:30), F1 (Sun
            // 22:00); H4's still runs.
            sla("resolution", 6, 3, 1),
        ],
    });
    check("desk", &r["desk"], &desk);

    // By queue. L1: P1, K2, P2, R1, H1, H2, H3, H4.
    let l1 = json!({
        "tickets": 8,
        "first_response": {
            // 20, 30, 60, 75, 180, 270, 2525, 3830: P50 the 4th, P90 the
            // 8th.
            "calendar": stats(8, 75 * M, 3830 * M, (20 + 30 + 60 + 75 + 180 + 270 + 2525 + 3830) * M / 8),
            // 5, 15, 20, 30, 50, 60, 180, 270.
            "business": stats(8, 30 * M, 270 * M, (5 + 15 + 20 + 30 + 50 + 60 + 180 + 270) * M / 8),
        },
        "unanswered": 0,
        "next_response": {
            "calendar": stats(3, 140 * M, 46 * H, (90 + 140 + 2760) * M / 3),
            "business": stats(3, 90 * M, 140 * M, (90 + 140 + 60) * M / 3),
        },
        "resolution": {
            // 30, 70, 80, 185, 3945, 5705.
            "calendar": stats(6, 80 * M, 5705 * M, (30 + 70 + 80 + 185 + 3945 + 5705) * M / 6),
            // 20, 30, 70, 165, 185, 1025.
            "business": stats(6, 70 * M, 1025 * M, (20 + 30 + 70 + 165 + 185 + 1025) * M / 6),
        },
        "unresolved": 2,
        "first_contact_resolution": rate(2, 6),
        "reopened": rate(1, 6),
        "repeat_contacts": rate(2, 8),
        "csat": {"rated": 4, "asked": 6, "response_rate": 4.0 / 6.0, "mean": 17.0 / 4.0,
                 "distribution": [0, 0, 1, 1, 2]},
        "nps": {"asked": 2, "answered": 2, "promoters": 1, "passives": 0, "detractors": 1,
                "score": 0.0},
        "sla": [
            sla("first_reply", 6, 2, 0),
            sla("next_reply", 2, 1, 0),
            sla("resolution", 5, 2, 1),
        ],
    });
    // L2: K1 and F1.
    let one = |ms: i64| stats(1, ms, ms, ms);
    let l2 = json!({
        "tickets": 2,
        "first_response": {"calendar": one(H), "business": one(H)},
        "unanswered": 1,
        "next_response": {"calendar": one(30 * M), "business": one(30 * M)},
        "resolution": {"calendar": one(3 * H), "business": one(3 * H)},
        "unresolved": 1,
        "first_contact_resolution": rate(0, 1),
        "reopened": rate(1, 1),
        "repeat_contacts": rate(0, 2),
        "csat": {"rated": 1, "asked": 1, "response_rate": 1.0, "mean": 2.0,
                 "distribution": [0, 1, 0, 0, 0]},
        "nps": {"asked": 0, "answered": 0, "promoters": 0, "passives": 0, "detractors": 0,
                "score": null},
        "sla": [
            sla("first_reply", 0, 2, 0),
            sla("next_reply", 1, 0, 0),
            sla("resolution", 1, 1, 0),
        ],
    });
    check(
        "rows",
        &r["rows"],
        &json!([{"key": "L1", "figures": l1}, {"key": "L2", "figures": l2}]),
    );

    // The knowledge base: three answers; 9004's helped and nothing
    // followed; 9003's and 9005's were followed by a ticket within the
    // week (transferred). Contacts: the one self-solved and the ten
    // tickets.
    check(
        "self_service",
        &r["self_service"],
        &json!({"answers": 3, "self_solved": 1, "contacts": 11, "pending": 0,
               "rate": 1.0 / 11.0, "transferred": rate(2, 3)}),
    );

    // Volume, by the ticket's creation in Kyiv.
    let mut week = [[0u64; 24]; 7];
    for (day, hour) in [
        (0, 10),
        (1, 14),
        (2, 12),
        (3, 11),
        (4, 12),
        (4, 17),
        (5, 22),
        (1, 8),
        (2, 14),
        (5, 15),
    ] {
        week[day][hour] += 1;
    }
    assert_eq!(
        r["volume"],
        json!({
            "by_day": {"2026-10-05": 1, "2026-10-06": 1, "2026-10-07": 1, "2026-10-08": 1,
                       "2026-10-09": 2, "2026-10-10": 1, "2026-10-13": 1, "2026-10-14": 1,
                       "2026-10-17": 1},
            "by_hour_of_week": week,
            "by_queue": {"L1": 8, "L2": 2},
            "topics": [["-", 6], ["payment", 2], ["account", 1], ["feature", 1]],
            "tags": [["refund", 2], ["card", 1], ["delivery", 1]],
        }),
        "{:#}",
        r["volume"]
    );
    assert_eq!(r["groups"], json!([]));
    assert_eq!(r["experiments"], json!([]));

    // By agent: tickets with their assignee, replies with their writer.
    let r = report("agent");
    let row = |k: &str| {
        r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == k)
            .unwrap_or_else(|| panic!("no row {k}: {:#}", r["rows"]))["figures"]
            .clone()
    };
    let (alice, bob, nobody) = (row("alice"), row("bob"), row("-"));
    // alice: P1, K1, P2, H3, H4; bob: K2, R1, H1, H2; nobody: F1.
    assert_eq!(
        (&alice["tickets"], &bob["tickets"], &nobody["tickets"]),
        (&json!(5), &json!(4), &json!(1))
    );
    // alice's first replies 20, 30, 60, 180, 2525; bob's 60, 75, 270,
    // 3830.
    assert_eq!(
        alice["first_response"]["calendar"],
        stats(5, 60 * M, 2525 * M, (20 + 30 + 60 + 180 + 2525) * M / 5)
    );
    assert_eq!(
        bob["first_response"]["calendar"],
        stats(4, 75 * M, 3830 * M, (60 + 75 + 270 + 3830) * M / 4)
    );
    // Next replies: alice K1's, P2's, H3's; bob H1's.
    assert_eq!(alice["next_response"]["calendar"]["count"], 3);
    assert_eq!(bob["next_response"]["calendar"], one(90 * M));

    shutdown.cancel();
    server.await.unwrap().unwrap();
}
