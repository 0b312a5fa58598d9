//! How soon the customer's mini app is usable on a slow phone: the real
//! relay-server binary (release), a customer with 20 requests, and a
//! headless Chromium throttled like a mid-range phone on a slow mobile
//! link (Chrome's "Slow 4G": 150 ms latency, 1.6 Mbit/s down, 750 kbit/s
//! up; the CPU 4x slower), the cache off. Each load opens `/app/` with
//! fresh launch data and reads, from the page's own clock, when the first
//! screen became usable (`performance.mark("app-usable")`: the list drawn
//! from the API) and the first contentful paint.
//!
//!   cargo bench -p e2e --bench miniapp_first_screen [-- --loads N]
//!
//! Needs chromium and chromedriver (as the browser tests).

use std::time::Duration;

use bot_api_sim::{SimConfig, SimUser, Simulator};
use e2e::browser::Browser;
use e2e::*;
use relay_server::http::app_demo::{Person, launch_url};
use serde_json::json;

fn main() {
    let loads: usize = std::env::args()
        .skip_while(|a| a != "--loads")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(7);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(loads));
}

async fn run(loads: usize) {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_user(SimUser::new(7501, "Maria", "en"));
    let (_dir, db) = fresh_db(0);
    let token = add_agent(&db, "alice", "supervisor", "L1,L2");
    let server = Server::start_durable_direct_bot_with(
        &db,
        &sim,
        &[
            ("RELAY_BOT__MODE", "guided"),
            ("RELAY_BOT__CONSENT", "true"),
            ("RELAY_MINIAPP__TELEGRAM_JS", ""),
        ],
    );
    let maria = Person {
        telegram_user_id: 7501,
        first_name: "Maria".into(),
        lang: "en".into(),
    };
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    };
    let url = launch_url(&maria, &sim.token(), now(), false);
    let launch = url::form_urlencoded::parse(url.split_once('#').unwrap().1.as_bytes())
        .find(|(k, _)| k == "tgWebAppData")
        .unwrap()
        .1
        .into_owned();
    // 20 requests: each filed, then resolved so the next is a new one.
    let mut agent = Client::connect(&server.ws_url(), &token, None).await;
    for i in 0..20 {
        let body = json!({"topic": "idea", "answers": ["an idea"], "text": format!("Request {i}"), "consent": true});
        let (status, answer) = http_request(
            &server.addr,
            "POST",
            "/app/api/tickets",
            &[
                format!("Authorization: tma {launch}"),
                "Content-Type: application/json".into(),
            ],
            body.to_string().as_bytes(),
        );
        assert_eq!(status, 201, "{answer}");
        let id = serde_json::from_str::<shared::AppFiled>(&answer)
            .unwrap()
            .ticket;
        agent
            .until("the request", Duration::from_secs(30), |m| {
                m.tickets.contains_key(&id)
            })
            .await;
        expect_ok(
            &agent
                .cmd(shared::Command::SetStatus {
                    ticket_id: id,
                    status: shared::TicketStatus::Resolved,
                })
                .await,
        );
    }
    let browser = Browser::start(390, 844).await;
    browser.cdp("Network.enable", json!({})).await;
    browser
        .cdp("Network.setCacheDisabled", json!({ "cacheDisabled": true }))
        .await;
    browser
        .cdp(
            "Network.emulateNetworkConditions",
            json!({
                "offline": false,
                "latency": 150,
                "downloadThroughput": 1_600_000 / 8,
                "uploadThroughput": 750_000 / 8,
            }),
        )
        .await;
    browser
        .cdp("Emulation.setCPUThrottlingRate", json!({ "rate": 4 }))
        .await;
    let mut usable = Vec::new();
    let mut paint = Vec::new();
    for _ in 0..loads {
        browser.client.goto("about:blank").await.unwrap();
        let url = launch_url(&maria, &sim.token(), now(), false);
        browser
            .client
            .goto(&format!("http://{}{url}", server.addr))
            .await
            .unwrap();
        browser
            .until(
                "the first screen",
                "performance.getEntriesByName('app-usable').length === 1",
                Duration::from_secs(30),
            )
            .await;
        let t = browser
            .js(
                "return [performance.getEntriesByName('app-usable')[0].startTime,
                         (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0]",
                vec![],
            )
            .await;
        usable.push(t[0].as_f64().unwrap());
        paint.push(t[1].as_f64().unwrap());
    }
    browser.close().await;
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[v.len() - 1])
    };
    let (u50, umax) = stats(&mut usable);
    let (p50, pmax) = stats(&mut paint);
    println!(
        "mini app, Slow 4G + 4x CPU, cache off, {loads} loads, 20 requests listed:\n  first contentful paint  median {p50:.0} ms, slowest {pmax:.0} ms\n  first screen usable     median {u50:.0} ms, slowest {umax:.0} ms"
    );
}
