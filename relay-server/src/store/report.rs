//! What `relay-server report` reads (docs/metrics.md): the period's tickets
//! with their threads, status log and SLA clocks, the tickets around them
//! (repeats, the customer coming back), the knowledge base's answers and
//! the groups' alerts. Narrow rows, read in one pass each; the figures are
//! computed above (`domain::report`).

use std::collections::HashMap;

use rusqlite::params;
use shared::{TicketStatus, Timestamp};

use super::{Db, StoreError};

/// One ticket of the period.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFacts {
    pub id: i64,
    pub customer_id: i64,
    pub queue: String,
    pub topic: Option<String>,
    pub tags: Vec<String>,
    pub assignee: Option<i64>,
    pub language: Option<String>,
    /// The organisation of the client group it came from.
    pub organisation: Option<String>,
    /// The customer was asked to rate it.
    pub csat_asked: bool,
    /// The NPS question was asked, and its answer (0-10).
    pub nps_asked: bool,
    pub nps: Option<u8>,
    pub status: TicketStatus,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub csat: Option<u8>,
    /// The customer's messages and the engineers' public replies, oldest
    /// first.
    pub thread: Vec<Said>,
    /// Status changes, oldest first.
    pub log: Vec<StatusChange>,
    /// SLA clocks: target, and whether it was met (`None`: still running).
    pub clocks: Vec<(String, Option<bool>)>,
}

/// A change of a ticket's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    pub at: Timestamp,
    pub from: TicketStatus,
    pub to: TicketStatus,
    /// The engineer who changed it; `None`: the customer or the desk.
    pub agent: Option<i64>,
}

impl StatusChange {
    /// A resolved or closed ticket came back to life.
    pub fn reopens(&self) -> bool {
        matches!(self.from, TicketStatus::Resolved | TicketStatus::Closed)
            && matches!(
                self.to,
                TicketStatus::New | TicketStatus::Open | TicketStatus::PendingOnCustomer
            )
    }
}

/// Who wrote a thread message that counts (the bot's messages and
/// internal notes never do, and are not read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Customer,
    /// An engineer's public reply.
    Agent(i64),
}

/// A message of a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Said {
    pub at: Timestamp,
    pub who: Who,
}

/// A ticket around the period (for repeats and returns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: i64,
    pub customer_id: i64,
    pub topic: Option<String>,
    pub created_at: Timestamp,
}

/// A knowledge-base answer the bot gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbAnswer {
    pub customer_id: i64,
    pub at: Timestamp,
    /// "Did it help?": yes, no, or not answered.
    pub helped: Option<bool>,
}

/// The threads of a range of tickets, from the index alone (no text).
const THREADS: &str = "SELECT ticket_id, created_at, CASE WHEN kind = 'inbound' THEN -1 ELSE coalesce(author_id, 0) END
     FROM messages INDEXED BY messages_ticket
     WHERE ticket_id >= ?1 AND ticket_id <= ?2
       AND (kind = 'inbound' AND author_kind = 'customer' OR kind = 'outbound' AND author_kind = 'agent')
     ORDER BY ticket_id, id";

/// Everything a report over `[from, to)` reads.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub tickets: Vec<TicketFacts>,
    /// Tickets created from 7 days before `from` to `to` plus the window.
    pub around: Vec<Contact>,
    pub kb: Vec<KbAnswer>,
    /// Unanswered-chat alerts of group conversations opened in the period,
    /// per group title.
    pub group_alerts: Vec<(String, u64)>,
    /// Agents' names by id (removed ones too).
    pub agents: HashMap<i64, String>,
    /// Each customer's experiment assignments: experiment, variant, when.
    pub assignments: HashMap<i64, Vec<(String, String, Timestamp)>>,
}

/// A ticket as the leads' dashboard counts it: its queue and assignee
/// (who may read it) and one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub ticket_id: i64,
    pub queue: String,
    pub assignee: Option<i64>,
    pub at: Timestamp,
    /// A rating's stars (0 for the other lists).
    pub stars: u8,
}

/// What the leads' dashboard reads besides today's tickets' facts.
#[derive(Debug, Clone, Default)]
pub struct DashboardRows {
    /// Tickets created from `heat_from` on, at their creation.
    pub created: Vec<Counted>,
    /// SLA clocks breached from `day_start` on, at the breach.
    pub breaches: Vec<Counted>,
    /// Rated tickets resolved from `week_start` on, at the resolution.
    pub ratings: Vec<Counted>,
}

/// Reads the dashboard's rows up to `now` (inclusive).
pub fn dashboard_rows(
    db: &impl Db,
    heat_from: Timestamp,
    day_start: Timestamp,
    week_start: Timestamp,
    now: Timestamp,
) -> Result<DashboardRows, StoreError> {
    let conn = db.conn();
    let read = |sql: &str, from: Timestamp| -> Result<Vec<Counted>, StoreError> {
        Ok(conn
            .prepare(sql)?
            .query_map(params![from.0, now.0], |r| {
                Ok(Counted {
                    ticket_id: r.get(0)?,
                    queue: r.get(1)?,
                    assignee: r.get(2)?,
                    at: Timestamp(r.get(3)?),
                    stars: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?)
    };
    Ok(DashboardRows {
        created: read(
            "SELECT id, queue, assignee, created_at, 0 FROM tickets
             WHERE created_at >= ?1 AND created_at <= ?2",
            heat_from,
        )?,
        breaches: read(
            "SELECT t.id, t.queue, t.assignee, k.breached_at, 0
             FROM sla_clocks k JOIN tickets t ON t.id = k.ticket_id
             WHERE k.breached_at >= ?1 AND k.breached_at <= ?2",
            day_start,
        )?,
        ratings: read(
            "SELECT id, queue, assignee, resolved_at, csat FROM tickets
             WHERE resolved_at >= ?1 AND resolved_at <= ?2 AND csat BETWEEN 1 AND 5",
            week_start,
        )?,
    })
}

/// A text column, borrowed from the row (no copy).
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> Result<&'r str, StoreError> {
    r.get_ref(i)?.as_str().map_err(|e| {
        StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            Box::new(e),
        ))
    })
}

fn status(s: &str) -> TicketStatus {
    TicketStatus::parse(s).unwrap_or(TicketStatus::Open)
}

/// Reads the facts of the tickets created in `[from, to)`, and of the
/// tickets created from `around_from` until `around_to`.
pub fn facts(
    db: &impl Db,
    from: Timestamp,
    to: Timestamp,
    around_from: Timestamp,
    around_to: Timestamp,
) -> Result<Facts, StoreError> {
    let conn = db.conn();
    let mut tickets: Vec<TicketFacts> = conn
        .prepare(
            "SELECT t.id, t.customer_id, t.queue, t.topic, t.tags, t.assignee, c.language,
                    o.name, t.status, t.created_at, t.resolved_at, t.closed_at, t.csat,
                    t.csat_asked_at IS NOT NULL, t.nps_asked_at IS NOT NULL, t.nps
             FROM tickets t JOIN customers c ON c.id = t.customer_id
             LEFT JOIN group_conversations gc ON gc.id = t.group_conversation
             LEFT JOIN groups g ON g.chat_id = gc.chat_id
             LEFT JOIN organisations o ON o.id = g.organisation_id
             WHERE t.created_at >= ?1 AND t.created_at < ?2
             ORDER BY t.id",
        )?
        .query_map(params![from.0, to.0], |r| {
            let tags: String = r.get(4)?;
            Ok(TicketFacts {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                queue: r.get(2)?,
                topic: r.get(3)?,
                tags: if tags == "[]" {
                    Vec::new()
                } else {
                    serde_json::from_str(&tags).unwrap_or_default()
                },
                assignee: r.get(5)?,
                language: r.get(6)?,
                organisation: r.get(7)?,
                status: status(&r.get::<_, String>(8)?),
                created_at: Timestamp(r.get(9)?),
                resolved_at: r.get::<_, Option<i64>>(10)?.map(Timestamp),
                closed_at: r.get::<_, Option<i64>>(11)?.map(Timestamp),
                csat: r.get(12)?,
                csat_asked: r.get(13)?,
                nps_asked: r.get(14)?,
                nps: r.get(15)?,
                thread: Vec::new(),
                log: Vec::new(),
                clocks: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    if let (Some(first), Some(last)) = (tickets.first().map(|t| t.id), tickets.last().map(|t| t.id))
    {
        // Ticket id -> place in `tickets` (ids in the range are dense).
        let mut place = vec![usize::MAX; usize::try_from(last - first + 1).unwrap_or(0)];
        for (i, t) in tickets.iter().enumerate() {
            place[(t.id - first) as usize] = i;
        }
        let index = |id: i64| -> Option<usize> {
            let at = usize::try_from(id.checked_sub(first)?).ok()?;
            place.get(at).copied().filter(|i| *i != usize::MAX)
        };
        // Ids grow with creation: the period's tickets are one range of
        // ids (a few outside the period inside it are skipped). Their
        // threads are read from the index of messages by ticket, which
        // carries who wrote each and when (migration 0021): the texts are
        // never read, and each thread comes oldest first.
        // Only the customer's messages and the engineers' public replies:
        // the bot's and internal notes never count. Who wrote it, as one
        // number: -1 the customer, else the engineer's id (0 if unknown).
        let mut st = conn.prepare(THREADS)?;
        let mut rows = st.query(params![first, last])?;
        while let Some(r) = rows.next()? {
            let Some(i) = index(r.get(0)?) else {
                continue;
            };
            let who = match r.get::<_, i64>(2)? {
                -1 => Who::Customer,
                agent => Who::Agent(agent),
            };
            tickets[i].thread.push(Said {
                at: Timestamp(r.get(1)?),
                who,
            });
        }
        let mut st = conn.prepare(
            "SELECT ticket_id, at, status_from, status_to, agent_id FROM ticket_log
             WHERE ticket_id >= ?1 AND ticket_id <= ?2 ORDER BY ticket_id, at, rowid",
        )?;
        let mut rows = st.query(params![first, last])?;
        while let Some(r) = rows.next()? {
            if let Some(i) = index(r.get(0)?) {
                let (a, b) = (text(r, 2)?, text(r, 3)?);
                tickets[i].log.push(StatusChange {
                    at: Timestamp(r.get(1)?),
                    from: status(a),
                    to: status(b),
                    agent: r.get(4)?,
                });
            }
        }
        let mut targets: Vec<String> = Vec::new();
        let mut st = conn.prepare(
            "SELECT ticket_id, target, breached_at IS NOT NULL, stopped_at IS NOT NULL
             FROM sla_clocks WHERE ticket_id >= ?1 AND ticket_id <= ?2",
        )?;
        let mut rows = st.query(params![first, last])?;
        while let Some(r) = rows.next()? {
            if let Some(i) = index(r.get(0)?) {
                let (breached, stopped): (bool, bool) = (r.get(2)?, r.get(3)?);
                let met = if breached {
                    Some(false)
                } else if stopped {
                    Some(true)
                } else {
                    None
                };
                let target = text(r, 1)?;
                // A few targets, named over and over: one copy each.
                let name = match targets.iter().find(|t| t.as_str() == target) {
                    Some(t) => t.clone(),
                    None => {
                        targets.push(target.to_owned());
                        target.to_owned()
                    }
                };
                tickets[i].clocks.push((name, met));
            }
        }
    }
    let around = conn
        .prepare(
            "SELECT id, customer_id, topic, created_at FROM tickets
             WHERE created_at >= ?1 AND created_at < ?2 ORDER BY created_at, id",
        )?
        .query_map(params![around_from.0, around_to.0], |r| {
            Ok(Contact {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                topic: r.get(2)?,
                created_at: Timestamp(r.get(3)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    let kb = conn
        .prepare(
            "SELECT customer_id, created_at, helped FROM self_service
             WHERE created_at >= ?1 AND created_at < ?2 ORDER BY created_at",
        )?
        .query_map(params![from.0, to.0], |r| {
            Ok(KbAnswer {
                customer_id: r.get(0)?,
                at: Timestamp(r.get(1)?),
                helped: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let group_alerts = conn
        .prepare(
            "SELECT coalesce(g.title, CAST(gc.chat_id AS TEXT)), sum(gc.alerts) FROM group_conversations gc
             LEFT JOIN groups g ON g.chat_id = gc.chat_id
             WHERE gc.opened_at >= ?1 AND gc.opened_at < ?2
             GROUP BY gc.chat_id ORDER BY 1",
        )?
        .query_map(params![from.0, to.0], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let agents = conn
        .prepare("SELECT id, name FROM agents")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut assignments: HashMap<i64, Vec<(String, String, Timestamp)>> = HashMap::new();
    for a in super::experiments::all(db)? {
        assignments
            .entry(a.customer_id)
            .or_default()
            .push((a.experiment, a.variant, a.at));
    }
    Ok(Facts {
        tickets,
        around,
        kb,
        group_alerts,
        agents,
        assignments,
    })
}

#[cfg(test)]
mod tests {
    use super::THREADS;

    /// The threads come from the index of messages by ticket, in order,
    /// without reading a message's row (its text): what keeps a report
    /// over a million messages fast (docs/benchmarks.md).
    #[test]
    fn threads_are_read_from_the_index_alone() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::super::migrations::migrate(&mut conn).unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {THREADS}"))
            .unwrap()
            .query_map([1, 2], |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            plan,
            ["SEARCH messages USING COVERING INDEX messages_ticket (ticket_id>? AND ticket_id<?)"]
        );
    }
}
