//! The guided bot end to end: a desk whose bot talks to simulated
//! customers, and what the bot said in one chat, read in order
//! (tests/dialogue.rs, tests/customer_privacy.rs).

use std::time::Duration;

use bot_api_sim::{Sent, SimConfig, SimUser, Simulator};
use relay_server::domain::i18n::Lang;

use crate::{Client, Server, cli_ok, fresh_db};

// Generous: a loaded CI machine runs two such desks at once.
const WAIT: Duration = Duration::from_secs(60);

/// The sample knowledge base shipped in the repository.
pub fn kb_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../relay-server/kb").to_owned()
}

/// A guided bot (no quiet hours unless `env` says so) with one engineer.
pub async fn guided_desk(
    env: &[(&str, &str)],
    customers: &[(i64, &str, Lang)],
) -> (Simulator, tempfile::TempDir, Server, Client) {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    for (id, name, lang) in customers {
        sim.add_user(SimUser::new(*id, name, lang.code()));
    }
    let (dir, db) = fresh_db(0);
    let token = cli_ok(
        &db,
        &[
            "agent",
            "add",
            "alice",
            "--role",
            "supervisor",
            "--queues",
            "L1,SECURITY",
            "--display-name",
            "Alice",
        ],
    )
    .lines()
    .find_map(|l| l.strip_prefix("token: ").map(str::to_owned))
    .expect("token");
    let (tg_token, tg_url, kb) = (sim.token(), sim.api_url(), kb_dir());
    let mut vars = vec![
        ("TELEGRAM_BOT_TOKEN", tg_token.as_str()),
        ("TELEGRAM_API_URL", tg_url.as_str()),
        ("RELAY_TELEGRAM__POLL_TIMEOUT_SECS", "1"),
        ("RELAY_BOT__KB_DIR", kb.as_str()),
        ("RELAY_BOT__QUIET_HOURS", ""),
    ];
    vars.extend_from_slice(env);
    let server = Server::start(&db, &vars);
    let agent = Client::connect(&server.ws_url(), &token, None).await;
    (sim, dir, server, agent)
}

/// What the bot said in one chat, read in order.
pub struct Chat<'a> {
    sim: &'a Simulator,
    id: i64,
    seen: usize,
}

impl<'a> Chat<'a> {
    pub fn new(sim: &'a Simulator, id: i64) -> Self {
        Chat { sim, id, seen: 0 }
    }

    /// The bot's next message.
    pub async fn next(&mut self) -> Sent {
        let all = match self.sim.wait_sent(self.id, self.seen + 1, WAIT).await {
            Ok(all) => all,
            Err(all) => panic!(
                "chat {}: no message after {:?}",
                self.id,
                all.iter().map(|s| s.text.clone()).collect::<Vec<_>>()
            ),
        };
        self.seen += 1;
        all[self.seen - 1].clone()
    }

    /// The bot's next message, which must be `text`.
    pub async fn expect(&mut self, text: &str) -> Sent {
        let s = self.next().await;
        assert_eq!(s.text.as_deref(), Some(text), "chat {}", self.id);
        s
    }

    /// The bot asks `name` for consent in `lang`; they agree and are
    /// thanked.
    pub async fn consent(&mut self, lang: Lang, name: &str) {
        let text =
            |key: &str, args: &[(&str, &str)]| relay_server::domain::i18n::text(lang, key, args);
        let ask = self.expect(&text("consent.ask", &[("name", name)])).await;
        self.press(&ask, "consent:yes");
        self.expect(&text("consent.thanks", &[])).await;
    }

    pub fn press(&self, msg: &Sent, data: &str) {
        self.sim
            .press(self.id, msg.message_id, data)
            .expect("press");
    }

    /// Nothing more arrives for `d`.
    pub async fn silent_for(&self, d: Duration) {
        tokio::time::sleep(d).await;
        let all = self.sim.sent(self.id);
        assert_eq!(
            all.len(),
            self.seen,
            "unexpected: {:?}",
            all[self.seen..]
                .iter()
                .map(|s| s.text.clone())
                .collect::<Vec<_>>()
        );
    }
}

/// Alice takes `ticket`, answers "✔" and resolves it; the customer is
/// told each in `lang`. Returns the resolution message.
pub async fn take_answer_resolve(
    agent: &mut Client,
    chat: &mut Chat<'_>,
    lang: Lang,
    ticket: &shared::Ticket,
) -> Sent {
    let n = ticket.number.to_string();
    crate::expect_ok(
        &agent
            .cmd(shared::Command::Take {
                ticket_id: ticket.id,
            })
            .await,
    );
    chat.expect(&relay_server::domain::i18n::text(
        lang,
        "status.accepted",
        &[("number", &n), ("agent", "Alice")],
    ))
    .await;
    agent.reply(ticket.id, "✔").await;
    chat.expect("✔").await;
    crate::expect_ok(
        &agent
            .cmd(shared::Command::SetStatus {
                ticket_id: ticket.id,
                status: shared::TicketStatus::Resolved,
            })
            .await,
    );
    chat.next().await
}
