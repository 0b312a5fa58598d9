//! Properties of routing and assignment under random traffic against a
//! real store: every open ticket is in exactly one configured queue, and
//! no agent ever holds more unresolved tickets than their capacity (the
//! stored `holding` count matches the tickets).

use std::sync::Arc;

use proptest::prelude::*;
use shared::*;

use crate::domain::desk::Desk;
use crate::domain::intake::{self, Inbound, Sender};
use crate::domain::{DomainError, agents, commands, presence, timers};
use crate::settings::Settings;
use crate::store::read::Reader;
use crate::store::{Durability, ManualClock, Store, StoreOptions, audit};

#[derive(Debug, Clone)]
enum Op {
    /// Customer `c` writes (a new ticket, or into their open one).
    Write {
        customer: u8,
        vip: bool,
    },
    Presence {
        agent: u8,
        presence: Presence,
    },
    Take {
        agent: u8,
        ticket: u8,
    },
    Transfer {
        agent: u8,
        ticket: u8,
        queue: u8,
    },
    Status {
        agent: u8,
        ticket: u8,
        status: TicketStatus,
    },
    /// Time passes (minutes) and the timers run.
    Wait {
        minutes: u16,
    },
}

const QUEUES: [&str; 4] = ["L1", "L2", "VIP", "SECURITY"];
const AGENTS: u8 = 4;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..12u8, any::<bool>()).prop_map(|(customer, vip)| Op::Write { customer, vip }),
        2 => (0..AGENTS, prop_oneof![Just(Presence::Online), Just(Presence::Away), Just(Presence::Offline)])
            .prop_map(|(agent, presence)| Op::Presence { agent, presence }),
        2 => (0..AGENTS, 0..16u8).prop_map(|(agent, ticket)| Op::Take { agent, ticket }),
        1 => (0..AGENTS, 0..16u8, 0..4u8).prop_map(|(agent, ticket, queue)| Op::Transfer { agent, ticket, queue }),
        1 => (0..AGENTS, 0..16u8, prop_oneof![
                Just(TicketStatus::Open), Just(TicketStatus::PendingOnCustomer),
                Just(TicketStatus::Resolved), Just(TicketStatus::Closed)])
            .prop_map(|(agent, ticket, status)| Op::Status { agent, ticket, status }),
        2 => (1..240u16).prop_map(|minutes| Op::Wait { minutes }),
    ]
}

/// Checks the invariants; returns the first broken one.
fn check(c: &Reader) -> Result<(), String> {
    let by_queue = audit::open_by_queue(c).map_err(|e| e.to_string())?;
    let open: u64 = by_queue.iter().map(|(_, n)| n).sum();
    let in_queues: u64 = by_queue
        .iter()
        .filter(|(q, _)| QUEUES.contains(&q.as_str()))
        .map(|(_, n)| n)
        .sum();
    if in_queues != open {
        return Err(format!(
            "{open} open tickets, {in_queues} in the configured queues"
        ));
    }
    for h in audit::holdings(c).map_err(|e| e.to_string())? {
        let (name, holding, capacity, actual) = (h.name, h.holding, h.capacity, h.actual);
        if holding != actual {
            return Err(format!("{name}: holding {holding} but has {actual}"));
        }
        if actual > capacity {
            return Err(format!("{name}: {actual} tickets over capacity {capacity}"));
        }
    }
    Ok(())
}

async fn play(ops: Vec<Op>) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(Timestamp(1_795_255_200_000));
    let mut opts = StoreOptions::new(dir.path().join("p.db"));
    opts.durability = Durability::Normal;
    opts.clock = clock.clone();
    let store = Store::open(opts).unwrap();
    let desk = Arc::new(Desk::from_settings(&Settings::defaults()).unwrap());
    let mut tokens = Vec::new();
    let agent_queues: [&[&str]; AGENTS as usize] =
        [&["L1"], &["L1", "VIP"], &["L2", "SECURITY"], &["L1", "L2"]];
    for (i, qs) in agent_queues.iter().enumerate() {
        let d = desk.clone();
        let new = agents::NewAgent {
            name: format!("a{i}"),
            display_name: None,
            role: Role::Agent,
            queues: qs.iter().map(|q| QueueId::new(*q)).collect(),
            capacity: 2,
        };
        let (agent, token) = store
            .write(move |ctx| agents::add(ctx, &d.queues, &new))
            .await
            .unwrap();
        tokens.push((agent.id, agents::token_hash(&token)));
    }
    let mut n = 0;
    for op in ops {
        let d = desk.clone();
        match op {
            Op::Write { customer, vip } => {
                let user = 1000 + i64::from(customer);
                let msg = Inbound::plain(
                    Sender {
                        telegram_user_id: user,
                        first_name: "C".into(),
                        last_name: None,
                        username: None,
                        language: None,
                    },
                    "help",
                );
                store
                    .write(move |ctx| {
                        intake::set_vip(ctx, user, vip)?;
                        intake::customer_message(ctx, &d, &msg).map(|_| ())
                    })
                    .await
                    .map_err(|e: DomainError| e.to_string())?;
            }
            Op::Presence { agent, presence: p } => {
                let id = tokens[agent as usize].0;
                store
                    .write(move |ctx| presence::set(ctx, id, p).map(|_| ()))
                    .await
                    .map_err(|e: DomainError| e.to_string())?;
            }
            Op::Wait { minutes } => {
                clock.advance_ms(i64::from(minutes) * 60_000);
                store
                    .write(move |ctx| timers::tick(ctx, &d).map(|_| ()))
                    .await
                    .map_err(|e: DomainError| e.to_string())?;
            }
            Op::Take { agent, ticket }
            | Op::Transfer { agent, ticket, .. }
            | Op::Status { agent, ticket, .. } => {
                let cmd = match op {
                    Op::Take { .. } => Command::Take {
                        ticket_id: TicketId(i64::from(ticket) + 1),
                    },
                    Op::Transfer { queue, .. } => Command::Transfer {
                        ticket_id: TicketId(i64::from(ticket) + 1),
                        queue: Some(QueueId::new(QUEUES[queue as usize])),
                        agent_id: None,
                        note: None,
                        tell_customer: false,
                    },
                    Op::Status { status, .. } => Command::SetStatus {
                        ticket_id: TicketId(i64::from(ticket) + 1),
                        status,
                    },
                    _ => unreachable!(),
                };
                n += 1;
                let (hash, id) = (
                    tokens[agent as usize].1.clone(),
                    CommandId::new(format!("c{n}")),
                );
                // Refusals (not found, not theirs, at capacity, closed) are fine.
                let _ = store
                    .write(move |ctx| commands::apply(ctx, &d, &hash, &id, &cmd))
                    .await;
            }
        }
        store
            .readers()
            .read(|c| Ok(check(c)))
            .await
            .map_err(|e: crate::store::StoreError| e.to_string())??;
    }
    store.close().await;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_open_ticket_has_one_queue_and_nobody_is_over_capacity(
        ops in proptest::collection::vec(op(), 1..60)
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let result = rt.block_on(play(ops));
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}
