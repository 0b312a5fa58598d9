//! The customer's mini app in a real headless Chromium (docs/miniapp.md):
//! the page the relay-server binary serves, with launch data signed by
//! the bot's token as Telegram signs it, and the stand-in for Telegram's
//! script drawing the main and back buttons. A customer opens the app and
//! sees her tickets, files a new request that appears in the engineer's
//! stream, watches the engineer's reply arrive in the open app, answers,
//! and rates it. Every screen, in Telegram's light and dark themes, passes
//! axe-core's WCAG 2.1 A/AA rules with no serious or critical violation,
//! still fits the phone with the text at twice its size, and is
//! photographed at 390x844 (into `MINIAPP_SCREENSHOTS` when set: that is
//! how docs/miniapp/ is made).

use std::time::Duration;

use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::browser::Browser;
use e2e::*;
use relay_server::domain::i18n::{self, Lang};
use relay_server::http::app_demo::{Person, launch_url};
use shared::*;

const WAIT: Duration = Duration::from_secs(30);
const WIDTH: u32 = 390;
const HEIGHT: u32 = 844;

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The desk the app runs against: guided, with consent and the sample
/// knowledge base; the page loads the stand-in for Telegram's script.
fn desk(sim: &Simulator) -> (tempfile::TempDir, Server, String) {
    let (dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1,L2");
    let kb = concat!(env!("CARGO_MANIFEST_DIR"), "/../relay-server/kb");
    let server = Server::start_durable_direct_bot_with(
        &db,
        sim,
        &[
            ("RELAY_BOT__MODE", "guided"),
            ("RELAY_BOT__CONSENT", "true"),
            ("RELAY_BOT__KB_DIR", kb),
            ("RELAY_MINIAPP__TELEGRAM_JS", ""),
        ],
    );
    (dir, server, token)
}

fn person(id: i64, name: &str, lang: &str) -> Person {
    Person {
        telegram_user_id: id,
        first_name: name.into(),
        lang: lang.into(),
    }
}

/// Files a request through the app's API, as the app does (with consent).
fn file_request(addr: &str, launch: &str, topic: &str, answers: &[&str], text: &str) -> TicketId {
    let body = serde_json::json!({
        "topic": topic, "answers": answers, "text": text, "consent": true,
    })
    .to_string();
    let (status, answer) = http_request(
        addr,
        "POST",
        "/app/api/tickets",
        &[
            format!("Authorization: tma {launch}"),
            "Content-Type: application/json".into(),
        ],
        body.as_bytes(),
    );
    assert_eq!(status, 201, "{answer}");
    serde_json::from_str::<AppFiled>(&answer).unwrap().ticket
}

/// The launch data inside an app address.
fn launch_of(url: &str) -> String {
    let fragment = url.split_once('#').unwrap().1;
    url::form_urlencoded::parse(fragment.as_bytes())
        .find(|(k, _)| k == "tgWebAppData")
        .unwrap()
        .1
        .into_owned()
}

/// A JavaScript string literal.
fn js_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Whether some element matching `css` shows `text`.
fn shows(css: &str, text: &str) -> String {
    format!(
        "[...document.querySelectorAll({})].some(e => e.textContent.includes({}))",
        js_str(css),
        js_str(text)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_files_a_request_sees_the_reply_arrive_and_rates_it() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(7301, "Оксана", "uk"));
    let (_dir, server, token) = desk(&sim);
    let mut agent = Client::connect(&server.ws_url(), &token, None).await;
    let oksana = person(7301, "Оксана", "uk");
    let url = launch_url(&oksana, &sim.token(), now_secs(), false);
    let launch = launch_of(&url);

    // An earlier request, answered and resolved.
    let first = file_request(
        &server.addr,
        &launch,
        "account",
        &["вхід", "невірний пароль"],
        "Не можу увійти",
    );
    agent
        .until("her first request", WAIT, |m| {
            m.tickets.contains_key(&first)
        })
        .await;
    agent.reply(first, "Пароль скинуто, спробуйте ще раз").await;
    expect_ok(
        &agent
            .cmd(Command::SetStatus {
                ticket_id: first,
                status: TicketStatus::Resolved,
            })
            .await,
    );

    // She opens the app: her request, resolved, in Ukrainian.
    let browser = Browser::start(WIDTH, HEIGHT).await;
    browser
        .client
        .goto(&format!("http://{}{url}", server.addr))
        .await
        .unwrap();
    let resolved = i18n::text(Lang::Uk, "state.resolved", &[]);
    browser
        .until(
            "her resolved request in the list",
            &shows(&format!("[data-ticket='{first}']"), &resolved),
            WAIT,
        )
        .await;
    assert_eq!(
        browser
            .js("return document.documentElement.lang", vec![])
            .await,
        "uk"
    );
    browser
        .until(
            "the team it was with",
            &shows(&format!("[data-ticket='{first}']"), "L1 general"),
            WAIT,
        )
        .await;

    // A new request: sent empty, the form says what is missing and
    // nothing is filed.
    browser.click("#tabs button[data-tab='new']").await;
    browser
        .until(
            "the topics",
            "document.getElementById('topic-payment')",
            WAIT,
        )
        .await;
    browser.click("#tg-main-button").await;
    browser
        .until("the hints", &shows(".error", &js_hint("need_topic")), WAIT)
        .await;
    assert!(
        browser
            .js(
                "return document.querySelector('#text').getAttribute('aria-invalid')",
                vec![]
            )
            .await
            == "true"
    );
    browser.click("#topic-payment").await;
    browser
        .until(
            "the topic's questions",
            "document.getElementById('answer-1')",
            WAIT,
        )
        .await;
    browser.type_into("#answer-0", "Visa").await;
    browser.type_into("#answer-1", "сьогодні вранці").await;
    browser
        .type_into("#text", "Оплата не проходить, гроші списано")
        .await;
    assert_eq!(
        agent.mirror.tickets.len(),
        1,
        "the empty form filed something"
    );
    browser.click("#tg-main-button").await;
    // The engineer's stream has it, filed as the bot files one.
    agent
        .until("the new request in the stream", WAIT, |m| {
            m.tickets.len() == 2
        })
        .await;
    let second = *agent
        .mirror
        .tickets
        .keys()
        .find(|id| **id != first)
        .unwrap();
    agent
        .until("its messages", WAIT, |m| {
            m.messages.get(&second).is_some_and(|ms| {
                ms.values()
                    .any(|x| x.text == "Оплата не проходить, гроші списано")
                    && ms
                        .values()
                        .any(|x| x.text.contains("Filed from the mini app."))
            })
        })
        .await;
    assert_eq!(agent.mirror.tickets[&second].queue.as_str(), "L1");
    // The app shows the new request's thread.
    browser
        .until(
            "her new request open in the app",
            &shows(".msg.me", "Оплата не проходить"),
            WAIT,
        )
        .await;
    browser.js("window.__stayed = 1; return true", vec![]).await;

    // The engineer answers: it appears in the open app, no reload.
    agent.reply(second, "Бачу платіж, перевіряю").await;
    browser
        .until(
            "the engineer's reply, live",
            &shows(".msg.support", "Бачу платіж, перевіряю"),
            WAIT,
        )
        .await;
    // She answers from the app.
    browser.type_into("#reply", "Дякую, чекаю").await;
    browser.click("#tg-main-button").await;
    agent
        .until("her answer from the app", WAIT, |m| {
            m.messages[&second]
                .values()
                .any(|x| x.text == "Дякую, чекаю" && matches!(x.author, Author::Customer { .. }))
        })
        .await;
    // Resolved: the stars appear in the open app; she gives four.
    expect_ok(
        &agent
            .cmd(Command::SetStatus {
                ticket_id: second,
                status: TicketStatus::Resolved,
            })
            .await,
    );
    let four = i18n_app("star", "uk").replace("{n}", "4");
    browser
        .until(
            "the stars, live",
            &format!(
                "document.querySelector('.stars button[aria-label={}]')",
                js_str(&four)
            ),
            WAIT,
        )
        .await;
    browser
        .click(&format!(".stars button[aria-label='{four}']"))
        .await;
    agent
        .until("her rating", WAIT, |m| m.tickets[&second].csat == Some(4))
        .await;
    browser
        .until(
            "the rating shown",
            "document.querySelector('.stars button[aria-pressed=true]')",
            WAIT,
        )
        .await;
    assert_eq!(
        browser.js("return window.__stayed === 1", vec![]).await,
        true,
        "the page reloaded: the updates were not live"
    );
    browser.close().await;
}

/// A text of the app's own (app.js), in `lang`.
fn i18n_app(key: &str, lang: &str) -> String {
    let js = include_str!("../../relay-server/src/http/app_static/app.js");
    let block = js
        .split(&format!("\n    {lang}: {{"))
        .nth(1)
        .unwrap_or_else(|| panic!("no {lang} texts"));
    let line = block
        .split(&format!(" {key}: \""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {key} in {lang}"));
    line.split('"').next().unwrap().to_owned()
}

fn js_hint(key: &str) -> String {
    i18n_app(key, "uk")
}

/// Each screen in each theme: axe-core finds no serious or critical
/// violation, twice the text size still fits the phone's width, every
/// control is reachable by keyboard, and a screenshot is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_passes_axe_in_both_themes_and_with_large_text() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(7401, "Maria", "en"));
    let (_dir, server, token) = desk(&sim);
    let mut agent = Client::connect(&server.ws_url(), &token, None).await;
    let maria = person(7401, "Maria", "en");
    let launch = launch_of(&launch_url(&maria, &sim.token(), now_secs(), false));
    let done = file_request(
        &server.addr,
        &launch,
        "account",
        &["log in", "\"wrong code\""],
        "The login code never arrives",
    );
    agent
        .until("the first request", WAIT, |m| m.tickets.contains_key(&done))
        .await;
    agent
        .reply(
            done,
            "We resent the code; it should arrive within a minute.",
        )
        .await;
    expect_ok(
        &agent
            .cmd(Command::SetStatus {
                ticket_id: done,
                status: TicketStatus::Resolved,
            })
            .await,
    );
    let open = file_request(
        &server.addr,
        &launch,
        "payment",
        &["Visa", "today"],
        "My card was charged twice for order 1042",
    );
    agent
        .until("the second request", WAIT, |m| {
            m.tickets.contains_key(&open)
        })
        .await;
    agent
        .reply(
            open,
            "I see both charges; the second one is being refunded.",
        )
        .await;
    // Maria is also one of the people of her company's group, which
    // shares its tickets: a colleague's request made there is hers to read.
    const GROUP: i64 = -1_001_000_000_901;
    const TITLE: &str = "Acme ⇄ Support";
    sim.add_user(SimUser::new(7402, "Olga", "en"));
    let asked = sim.group_text(
        GROUP,
        TITLE,
        7402,
        "Our nightly export fails with error 502",
        None,
    );
    sim.group_text(GROUP, TITLE, 7401, "Same here since this morning", None);
    let conv = |m: &relay_client::Mirror| {
        m.group_messages.iter().find_map(|(c, ms)| {
            ms.values()
                .any(|g| g.telegram_message_id == Some(asked))
                .then_some(*c)
        })
    };
    agent
        .until("the group's conversation", WAIT, |m| conv(m).is_some())
        .await;
    let db = _dir.path().join("desk.db");
    cli_ok(&db, &["org", "add", "Acme", "--queue", "L1"]);
    cli_ok(&db, &["group", "bind", &GROUP.to_string(), "Acme"]);
    cli_ok(&db, &["org", "share", "Acme", "on"]);
    let conversation_id = conv(&agent.mirror).unwrap();
    expect_ok(&agent.cmd(Command::GroupTicket { conversation_id }).await);
    agent
        .until("the group's ticket", WAIT, |m| ticket_of(m, 7402).is_some())
        .await;
    let shared = ticket_of(&agent.mirror, 7402).unwrap();
    agent
        .reply(shared, "The export is fixed; tonight's run will work.")
        .await;
    let shots = std::env::var_os("MINIAPP_SCREENSHOTS").map(std::path::PathBuf::from);
    let browser = Browser::start(WIDTH, HEIGHT).await;
    for dark in [false, true] {
        let theme = if dark { "dark" } else { "light" };
        let url = launch_url(&maria, &sim.token(), now_secs(), dark);
        browser
            .client
            .goto(&format!("http://{}{url}", server.addr))
            .await
            .unwrap();
        // A fresh page (the fragment alone would not reload it).
        browser.client.refresh().await.unwrap();
        let screens: [(&str, &str, &str); 8] = [
            (
                "list",
                "",
                "document.querySelectorAll('[data-ticket]').length === 3",
            ),
            (
                "ticket",
                &format!("[data-ticket='{open}']"),
                "document.querySelector('.msg.support') && document.getElementById('reply')",
            ),
            (
                "new",
                "#tabs button[data-tab='new']",
                "document.getElementById('topic-payment')",
            ),
            (
                "help",
                "#tabs button[data-tab='kb']",
                "document.querySelector('main .card')",
            ),
            (
                "article",
                "main .card",
                "document.querySelector('.article-body')",
            ),
            (
                "settings",
                "#tabs button[data-tab='settings']",
                "document.getElementById('zone') && document.getElementById('erase')",
            ),
            (
                "company",
                "#tabs button[data-tab='list']",
                "document.querySelectorAll('[data-ticket]').length === 3",
            ),
            (
                "shared",
                &format!("[data-ticket='{shared}']"),
                "document.querySelector('.msg.colleague') && document.querySelector('.msg.support')
                 && !document.getElementById('reply')",
            ),
        ];
        for (name, click, ready) in screens {
            if !click.is_empty() {
                browser.click(click).await;
            }
            browser
                .until(&format!("the {name} screen ({theme})"), ready, WAIT)
                .await;
            if name == "company" {
                // The company's filter: the shared request alone, marked
                // with its group.
                browser.click(".filters button:last-child").await;
                browser
                    .until(
                        "the company filter",
                        &format!(
                            "document.querySelectorAll('[data-ticket]').length === 1 && {}",
                            shows("[data-ticket]", TITLE)
                        ),
                        WAIT,
                    )
                    .await;
            }
            if name == "list" {
                // The first screen marks when it became usable.
                browser
                    .until(
                        "the app-usable mark",
                        "performance.getEntriesByName('app-usable').length === 1",
                        WAIT,
                    )
                    .await;
            }
            let violations = browser.axe().await;
            assert!(
                violations.is_empty(),
                "{name} ({theme}): axe found\n{}",
                violations.join("\n")
            );
            // Nothing is out of the keyboard's reach.
            let unreachable = browser
                .js(
                    "return [...document.querySelectorAll('button, input, select, textarea, a[href]')]
                        .filter(e => e.offsetParent !== null && (e.tabIndex < 0 || e.disabled && e.id !== 'tg-main-button'))
                        .map(e => e.outerHTML.slice(0, 80))",
                    vec![],
                )
                .await;
            assert_eq!(unreachable, serde_json::json!([]), "{name} ({theme})");
            let png = browser.screenshot().await;
            if let Some(dir) = &shots {
                std::fs::create_dir_all(dir).unwrap();
                std::fs::write(dir.join(format!("{name}-{theme}.png")), &png).unwrap();
            }
            // Twice the text size: still no sideways scrolling.
            let wide = browser
                .js(
                    "document.documentElement.style.fontSize = '200%';
                     const w = document.documentElement.scrollWidth;
                     document.documentElement.style.fontSize = '';
                     return w;",
                    vec![],
                )
                .await;
            assert!(
                wide.as_u64().unwrap() <= u64::from(WIDTH),
                "{name} ({theme}) is {wide} px wide with large text"
            );
        }
        // Back to the list for the next theme.
        browser.click("#tabs button[data-tab='list']").await;
    }
    browser.close().await;
}
