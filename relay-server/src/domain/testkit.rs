//! A desk on a real store in a temporary directory, with a clock the test
//! moves: the middle floors (commands, intake, outbox, escalation, notify,
//! automation, timers) are driven through their own functions, without a
//! binary, Telegram or a socket.

use std::sync::Arc;

use shared::*;

use super::desk::Desk;
use super::intake::{self, Inbound, Sender};
use super::{DomainError, agents, commands, timers};
use crate::settings::Settings;
use crate::store::outbox::Due;
use crate::store::{
    Clock as _, Durability, ManualClock, Store, StoreOptions, WriteCtx, events, outbox, rows,
    scheduled,
};

/// Parses an RFC 3339 time.
pub fn at(s: &str) -> Timestamp {
    Timestamp(s.parse::<jiff::Timestamp>().unwrap().as_millisecond())
}

/// Settings a test starts from: the shipped defaults, with the knowledge
/// base from the crate and no stop words.
pub fn settings() -> Settings {
    let mut s = Settings::defaults();
    s.bot.kb_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/kb").into();
    s
}

pub struct Desk0 {
    _dir: tempfile::TempDir,
    pub store: Store,
    pub desk: Arc<Desk>,
    pub clock: Arc<ManualClock>,
    /// The lead's token hash (a supervisor in every queue).
    pub lead: String,
    pub lead_id: AgentId,
    n: u32,
}

impl Desk0 {
    pub async fn new(settings: Settings, start: Timestamp) -> Desk0 {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(start);
        let mut opts = StoreOptions::new(dir.path().join("desk.db"));
        opts.durability = Durability::Normal;
        opts.clock = clock.clone();
        let store = Store::open(opts).unwrap();
        let desk = Arc::new(Desk::from_settings(&settings).unwrap());
        let d = desk.clone();
        let (agent, token) = store
            .write(move |ctx| {
                agents::add(
                    ctx,
                    &d.queues,
                    &agents::NewAgent::supervisor("lead", None, &d.queues),
                )
            })
            .await
            .unwrap();
        Desk0 {
            _dir: dir,
            store,
            desk,
            clock,
            lead: agents::token_hash(&token),
            lead_id: agent.id,
            n: 0,
        }
    }

    pub fn sender(chat: i64, lang: &str) -> Sender {
        Sender {
            telegram_user_id: chat,
            first_name: format!("C{chat}"),
            last_name: None,
            username: None,
            language: Some(lang.into()),
        }
    }

    /// A customer writes in their private chat (straight to intake).
    pub async fn customer_writes(&self, chat: i64, lang: &str, text: &str) -> TicketId {
        let msg = Inbound::plain(Self::sender(chat, lang), text);
        let d = self.desk.clone();
        self.store
            .write(move |ctx| intake::customer_message(ctx, &d, &msg))
            .await
            .unwrap()
            .ticket
    }

    /// The lead runs a command; its result.
    pub async fn command(&mut self, cmd: Command) -> commands::Applied {
        self.n += 1;
        self.command_with_id(&format!("c{}", self.n), cmd)
            .await
            .unwrap()
    }

    /// The lead runs a command under a chosen id; its result or refusal.
    pub async fn command_with_id(
        &self,
        id: &str,
        cmd: Command,
    ) -> Result<commands::Applied, DomainError> {
        let (d, h, id) = (self.desk.clone(), self.lead.clone(), CommandId::new(id));
        self.store
            .write(move |ctx| commands::apply(ctx, &d, &h, &id, &cmd))
            .await
    }

    /// Runs `f` as one write job.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut WriteCtx<'_>, &Desk) -> Result<T, DomainError> + Send + 'static,
    ) -> Result<T, DomainError> {
        let d = self.desk.clone();
        self.store.write(move |ctx| f(ctx, &d)).await
    }

    /// Every event appended so far, oldest first.
    pub async fn events(&self) -> Vec<Event> {
        let bodies = self.store.readers().read(events::all).await.unwrap();
        bodies
            .iter()
            .map(|b| serde_json::from_str::<EventEnvelope>(b).unwrap().event)
            .collect()
    }

    /// The outbox rows due now, one per chat (what the sender would take).
    pub async fn due(&self) -> Vec<Due> {
        let now = self.clock.now();
        self.store
            .readers()
            .read(move |c| outbox::due(c, now, 1000))
            .await
            .unwrap()
    }

    pub async fn message(&self, id: MessageId) -> Message {
        self.store
            .readers()
            .read(move |c| Ok(rows::load_message(c, id)?.unwrap()))
            .await
            .unwrap()
    }

    pub async fn ticket(&self, id: TicketId) -> Ticket {
        self.store
            .readers()
            .read(move |c| Ok(rows::load_ticket(c, id)?.unwrap()))
            .await
            .unwrap()
    }

    /// One run of the scheduler at the clock's time.
    pub async fn tick(&self) -> timers::Ticked {
        let d = self.desk.clone();
        self.store
            .write(move |ctx| timers::tick(ctx, &d))
            .await
            .unwrap()
    }

    /// When the scheduler next has work, as the server would ask.
    pub async fn next_due(&self) -> Option<Timestamp> {
        self.write(|ctx, d| timers::next_due(&*ctx, d))
            .await
            .unwrap()
    }

    /// The desk's clock now.
    pub fn now(&self) -> Timestamp {
        self.store.now()
    }

    pub fn advance(&self, by: std::time::Duration) {
        self.clock.advance_ms(by.as_millis() as i64);
    }

    /// Texts queued for a chat so far, oldest first.
    pub async fn sent_to(&self, chat: i64) -> Vec<String> {
        self.store
            .readers()
            .read(move |c| outbox::texts_for(c, chat))
            .await
            .unwrap()
    }

    /// Bot messages held for the customer's quiet hours.
    pub async fn held(&self) -> usize {
        self.store.readers().read(scheduled::count).await.unwrap()
    }
}
