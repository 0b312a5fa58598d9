//! A/B tests of the bot end to end (docs/experiments.md): the real
//! relay-server runs two experiments (the receipt's wording, the rating
//! asked at once or a day later) over simulated customers in four
//! languages. Each customer lands on the side the hash says, reads that
//! side's text in their language, the split is recorded, and
//! `report --by variant` attributes each outcome to its side.

use std::time::Duration;

use bot_api_sim::Sent;
use e2e::*;
use relay_server::domain::experiments::{Experiment, Kind, Variant};
use relay_server::domain::i18n::{self, Lang};
use shared::*;

const WAIT: Duration = Duration::from_secs(60);

const CONFIG: &str = r#"
[[experiments]]
name = "receipt-steps"
kind = "receipt"
share = 50

[[experiments]]
name = "rating-later"
kind = "csat_timing"
share = 50
"#;

fn t(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    i18n::text(lang, key, args)
}

fn data(s: &Sent) -> Vec<String> {
    s.buttons().into_iter().map(|(_, d)| d).collect()
}

fn experiment(name: &str, kind: Kind) -> Experiment {
    Experiment {
        name: name.into(),
        kind,
        share: 50,
        enabled: true,
    }
}

/// The first `n` Telegram ids from `from` on whose side of `e` is `want`.
fn ids(e: &Experiment, from: i64, want: Variant, n: usize) -> Vec<i64> {
    (from..)
        .filter(|id| e.variant_of(*id) == want)
        .take(n)
        .collect()
}

/// A config file holding `toml`, in a temporary folder kept with it.
fn config_file(toml: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.toml");
    std::fs::write(&path, toml).unwrap();
    let path = path.to_string_lossy().into_owned();
    (dir, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_split_by_hash_see_their_variant_and_the_report_attributes_outcomes() {
    // Two customers on each side of the receipt test, in four languages.
    let receipt = experiment("receipt-steps", Kind::Receipt);
    let a = ids(&receipt, 8000, Variant::A, 2);
    let b = ids(&receipt, 8000, Variant::B, 2);
    let people = [
        (a[0], "Maria", Lang::En, "I need a human, please"),
        (b[0], "Олена", Lang::Uk, "Потрібна жива людина"),
        (a[1], "Иван", Lang::Ru, "Позовите человека"),
        (b[1], "王伟", Lang::Zh, "我要人工客服"),
    ];
    let (_config_dir, config) = config_file(CONFIG);
    let customers: Vec<(i64, &str, Lang)> =
        people.iter().map(|(id, n, l, _)| (*id, *n, *l)).collect();
    let (sim, desk_dir, _server, mut agent) =
        guided_desk(&[("RELAY_CONFIG", config.as_str())], &customers).await;
    let rating_later = experiment("rating-later", Kind::CsatTiming);

    let mut tickets = Vec::new();
    for (id, name, lang, said) in people {
        let mut chat = Chat::new(&sim, id);
        sim.send_text(id, said);
        chat.consent(lang, name).await;
        let receipt = chat.next().await;
        let text = receipt.text.clone().unwrap();
        agent
            .until("the ticket", WAIT, |m| ticket_of(m, id).is_some())
            .await;
        let ticket = agent.mirror.tickets[&ticket_of(&agent.mirror, id).unwrap()].clone();
        let n = ticket.number.to_string();
        // Each side's own text, in the customer's language.
        let (key, buttons) = if a.contains(&id) {
            (
                "receipt.created",
                vec![
                    format!("status:{}", ticket.id),
                    format!("details:{}", ticket.id),
                ],
            )
        } else {
            ("receipt.steps", vec![])
        };
        let head = t(
            lang,
            key,
            &[
                ("number", &n),
                ("topic", &t(lang, "topic.none", &[])),
                ("eta", "\u{1}"),
            ],
        );
        let head = head.split('\u{1}').next().unwrap();
        let body = text
            .strip_prefix(&t(lang, "receipt.handoff", &[]))
            .map(str::trim_start)
            .unwrap_or(&text);
        assert!(
            body.starts_with(head),
            "{name}: {body:?} should start {head:?}"
        );
        assert_eq!(data(&receipt), buttons, "{name}");

        // Answered and resolved: the rating comes at once, or (B) the
        // summary comes without the stars.
        let resolved = take_answer_resolve(&mut agent, &mut chat, lang, &ticket).await;
        let summary = resolved.text.clone().unwrap();
        let reopen = format!("reopen:{}", ticket.id);
        if rating_later.variant_of(id) == Variant::A {
            assert!(
                summary.ends_with(
                    &t(lang, "resolve.summary", &[])
                        .lines()
                        .last()
                        .unwrap()
                        .to_owned()
                ),
                "{summary}"
            );
            assert_eq!(data(&resolved).len(), 6, "five stars and not fixed");
            // A and B rate differently: the report must keep them apart.
            chat.press(&resolved, &format!("csat:{}:5", ticket.id));
            chat.expect(&t(lang, "csat.thanks", &[])).await;
        } else {
            assert_eq!(data(&resolved), [reopen], "{summary}");
        }
        tickets.push((id, ticket.id, chat));
    }
    agent
        .until("the ratings", WAIT, |m| {
            tickets
                .iter()
                .filter(|(id, _, _)| rating_later.variant_of(*id) == Variant::A)
                .all(|(_, t, _)| m.tickets[t].csat == Some(5))
        })
        .await;

    // The split is recorded, each customer once per experiment.
    let db = desk_dir.path().join("desk.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let recorded: Vec<(String, i64, String)> = conn
        .prepare(
            "SELECT e.experiment, c.telegram_user_id, e.variant FROM experiment_assignments e
             JOIN customers c ON c.id = e.customer_id ORDER BY 1, 2",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(recorded.len(), 8, "{recorded:?}");
    for (exp, id, variant) in &recorded {
        let want = match exp.as_str() {
            "receipt-steps" => {
                if a.contains(id) {
                    "eta_button"
                } else {
                    "steps"
                }
            }
            _ => match rating_later.variant_of(*id) {
                Variant::A => "at_once",
                Variant::B => "after_24h",
            },
        };
        assert_eq!(variant, want, "{exp} {id}");
    }

    // The report: each side's tickets and ratings where they belong.
    let out = cli_ok(
        &db,
        &[
            "--config", &config, "report", "--by", "variant", "--format", "json",
        ],
    );
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let row = |key: &str| {
        r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == key)
            .map(|x| x["figures"].clone())
            .unwrap_or_else(|| panic!("no row {key}: {out}"))
    };
    for (key, tickets) in [
        ("receipt-steps: eta_button", 2),
        ("receipt-steps: steps", 2),
    ] {
        assert_eq!(row(key)["tickets"], tickets, "{key}");
    }
    let at_once = people
        .iter()
        .filter(|p| rating_later.variant_of(p.0) == Variant::A)
        .count();
    // The hash puts two of the four on each side of the rating test too.
    assert_eq!(at_once, 2);
    let f = row("rating-later: at_once");
    assert_eq!(
        (f["tickets"].clone(), f["csat"]["rated"].clone()),
        (2.into(), 2.into())
    );
    assert_eq!(f["csat"]["asked"], 2);
    assert_eq!(f["csat"]["mean"], 5.0);
    let f = row("rating-later: after_24h");
    assert_eq!(f["tickets"], 2);
    assert_eq!(f["csat"]["rated"], 0, "asked a day later: not yet");
    assert_eq!(f["csat"]["asked"], 0);
    // Two experiments compared; four customers are far too few to tell.
    let exps = r["experiments"].as_array().unwrap();
    assert_eq!(exps.len(), 2, "{out}");
    for e in exps {
        for o in e["outcomes"].as_array().unwrap() {
            assert_eq!(o["verdict"]["says"], "too small to tell", "{o}");
        }
    }
    let table = cli_ok(&db, &["--config", &config, "report", "--by", "variant"]);
    assert!(table.contains("Experiment receipt-steps"), "{table}");
    assert!(table.contains("receipt: A eta_button, B steps"), "{table}");
}

/// `bot.nps`: a "yes" to the follow-up brings the 0-10 question; the
/// answer is kept once and the report counts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follow_up_asks_nps_and_the_report_counts_it() {
    let user = 8101;
    let lang = Lang::Uk;
    let (sim, dir, _server, mut agent) = guided_desk(
        &[
            ("RELAY_BOT__FOLLOWUP_AFTER", "3s"),
            ("RELAY_BOT__NPS", "true"),
        ],
        &[(user, "Олена", lang)],
    )
    .await;
    let mut chat = Chat::new(&sim, user);
    sim.send_text(user, "Потрібна жива людина");
    chat.consent(lang, "Олена").await;
    let _receipt = chat.next().await;
    agent
        .until("the ticket", WAIT, |m| ticket_of(m, user).is_some())
        .await;
    let ticket = ticket_of(&agent.mirror, user).unwrap();
    expect_ok(
        &agent
            .cmd(Command::SetStatus {
                ticket_id: ticket,
                status: TicketStatus::Resolved,
            })
            .await,
    );
    let _resolved = chat.next().await;
    let n = agent.mirror.tickets[&ticket].number.to_string();
    let topic = t(lang, "topic.none", &[]);
    let followup = chat
        .expect(&t(
            lang,
            "followup.ask",
            &[("number", &n), ("topic", &topic)],
        ))
        .await;
    chat.press(&followup, &format!("followup:{ticket}:yes"));
    chat.expect(&t(lang, "followup.thanks", &[])).await;
    let nps = chat.expect(&t(lang, "nps.ask", &[])).await;
    let scores: Vec<String> = (0..=10).map(|s| format!("nps:{ticket}:{s}")).collect();
    assert_eq!(data(&nps), scores);
    chat.press(&nps, &format!("nps:{ticket}:9"));
    chat.expect(&t(lang, "nps.thanks", &[])).await;
    // A second press changes nothing and says nothing.
    chat.press(&nps, &format!("nps:{ticket}:2"));
    chat.silent_for(Duration::from_millis(500)).await;

    let db = dir.path().join("desk.db");
    let out = cli_ok(&db, &["report", "--format", "json"]);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let nps = &r["desk"]["nps"];
    assert_eq!(nps["asked"], 1, "{out}");
    assert_eq!(nps["answered"], 1);
    assert_eq!(nps["promoters"], 1);
    assert_eq!(nps["score"], 100.0);
}

/// `question_order`: side B is asked for the screenshot right after the
/// topic, then the questions; side A the questions, then the screenshot.
/// Either way the ticket holds what they sent, in the order they sent it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_screenshot_comes_first_for_side_b_of_a_question_order_test() {
    let order = experiment("shot-first", Kind::QuestionOrder);
    let (a, b) = (
        ids(&order, 8200, Variant::A, 1)[0],
        ids(&order, 8200, Variant::B, 1)[0],
    );
    let (_config_dir, config) =
        config_file("[[experiments]]\nname = \"shot-first\"\nkind = \"question_order\"\n");
    let (sim, _desk_dir, _server, mut agent) = guided_desk(
        &[("RELAY_CONFIG", config.as_str())],
        &[(a, "Иван", Lang::Ru), (b, "王伟", Lang::Zh)],
    )
    .await;
    for (id, name, lang, answers) in [
        (a, "Иван", Lang::Ru, ["Картой", "Вчера"]),
        (b, "王伟", Lang::Zh, ["银行卡", "昨天"]),
    ] {
        let mut chat = Chat::new(&sim, id);
        sim.send_text(id, "/start");
        chat.consent(lang, name).await;
        let topics = chat.expect(&t(lang, "topic.ask", &[])).await;
        chat.press(&topics, "topic:payment");
        let sent: Vec<&str> = if id == b {
            chat.expect(&t(lang, "screenshot.ask", &[])).await;
            sim.send_photo(id, Some("📎"));
            chat.expect(&t(lang, "question.payment_method", &[])).await;
            sim.send_text(id, answers[0]);
            chat.expect(&t(lang, "question.payment_when", &[])).await;
            sim.send_text(id, answers[1]);
            vec!["📎", answers[0], answers[1]]
        } else {
            chat.expect(&t(lang, "question.payment_method", &[])).await;
            sim.send_text(id, answers[0]);
            chat.expect(&t(lang, "question.payment_when", &[])).await;
            sim.send_text(id, answers[1]);
            chat.expect(&t(lang, "screenshot.ask", &[])).await;
            sim.send_photo(id, Some("📎"));
            vec![answers[0], answers[1], "📎"]
        };
        // The receipt: no further question.
        let receipt = chat.next().await;
        assert!(
            receipt.text.as_deref().unwrap_or_default().contains('#'),
            "{name}: {receipt:?}"
        );
        agent
            .until("the ticket's three messages", WAIT, |m| {
                ticket_of(m, id).is_some_and(|t| {
                    m.messages.get(&t).is_some_and(|ms| {
                        ms.values()
                            .filter(|x| x.kind == MessageKind::Inbound)
                            .count()
                            == 3
                    })
                })
            })
            .await;
        let t = ticket_of(&agent.mirror, id).unwrap();
        let inbound: Vec<&str> = agent.mirror.messages[&t]
            .values()
            .filter(|x| x.kind == MessageKind::Inbound)
            .map(|x| x.text.as_str())
            .collect();
        assert_eq!(inbound, sent, "{name}");
    }
}

/// `kb_answer`: a question two articles answer. Side A gets the best as a
/// card; side B a list of both to open, then the card of the one opened,
/// and "it helped" is recorded against the article opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn side_b_of_a_kb_answer_test_picks_from_a_list() {
    let list = experiment("kb-list", Kind::KbAnswer);
    let (a, b) = (
        ids(&list, 8300, Variant::A, 1)[0],
        ids(&list, 8300, Variant::B, 1)[0],
    );
    let (_config_dir, config) =
        config_file("[[experiments]]\nname = \"kb-list\"\nkind = \"kb_answer\"\n");
    let (sim, desk_dir, _server, _agent) = guided_desk(
        &[("RELAY_CONFIG", config.as_str())],
        &[(a, "Maria", Lang::En), (b, "Tom", Lang::En)],
    )
    .await;
    let lang = Lang::En;
    let question = "I need to export the invoice PDF and reset my password for login";
    for (id, name) in [(a, "Maria"), (b, "Tom")] {
        let mut chat = Chat::new(&sim, id);
        sim.send_text(id, question);
        chat.consent(lang, name).await;
        let answer = chat.next().await;
        let intro = t(lang, "kb.answer", &[("title", "\u{1}")]);
        let intro = intro.split('\u{1}').next().unwrap().to_owned();
        let card = if id == b {
            assert_eq!(
                answer.text.as_deref(),
                Some(t(lang, "kb.list", &[]).as_str())
            );
            let buttons = data(&answer);
            assert_eq!(buttons.len(), 3, "two articles and a person: {buttons:?}");
            assert!(buttons.contains(&"kbopen:password-reset".to_owned()));
            assert!(buttons.contains(&"kbopen:invoices-pdf".to_owned()));
            assert_eq!(buttons[2], "kb:no");
            chat.press(&answer, "kbopen:password-reset");
            let card = chat.next().await;
            assert!(
                card.text
                    .as_deref()
                    .unwrap()
                    .contains("Reset your password"),
                "{card:?}"
            );
            card
        } else {
            answer
        };
        assert!(
            card.text.as_deref().unwrap().starts_with(&intro),
            "{card:?}"
        );
        assert_eq!(data(&card), ["kb:yes", "kb:no"]);
        chat.press(&card, "kb:yes");
        chat.expect(&t(lang, "kb.glad", &[])).await;
    }
    // One answer each, "helped", on the article each customer read.
    let conn = rusqlite::Connection::open(desk_dir.path().join("desk.db")).unwrap();
    let rows: Vec<(i64, String, Option<bool>)> = conn
        .prepare(
            "SELECT c.telegram_user_id, s.article, s.helped FROM self_service s
             JOIN customers c ON c.id = s.customer_id ORDER BY s.id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1], (b, "password-reset".into(), Some(true)));
    assert_eq!(rows[0].0, a);
    assert_eq!(rows[0].2, Some(true));
    // `report --by variant` compares the sides on self-service: one
    // answer each, both solved (a zero window decides them at once).
    let out = cli_ok(
        &desk_dir.path().join("desk.db"),
        &[
            "--config", &config, "report", "--by", "variant", "--window", "0s", "--format", "json",
        ],
    );
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let outcomes = r["experiments"][0]["outcomes"].as_array().unwrap();
    let o = outcomes
        .iter()
        .find(|o| o["what"] == "self_service")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        (&o["a"], &o["a_n"], &o["b"], &o["b_n"]),
        (
            &serde_json::json!(1.0),
            &serde_json::json!(1),
            &serde_json::json!(1.0),
            &serde_json::json!(1)
        ),
        "{out}"
    );
    assert_eq!(o["verdict"]["says"], "too small to tell");
}
