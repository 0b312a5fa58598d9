//! Group safety's figures (docs/groups.md, "Safety"): per group and per
//! organisation, what the client's side wrote, what was held, and what
//! staff decided, from the tables themselves (never from counters).

use std::collections::BTreeMap;
use std::time::Duration;

use shared::*;

use crate::domain::DomainError;
use crate::domain::desk::Desk;
use crate::store::Db;
use crate::store::safety as rows;

/// The figures of the groups `agent` reads over the last `days` days.
pub fn of(
    db: &impl Db,
    desk: &Desk,
    agent: &Agent,
    days: u32,
    now: Timestamp,
) -> Result<SafetyFigures, DomainError> {
    if !(1..=366).contains(&days) {
        return Err(DomainError::invalid("days is 1 to 366"));
    }
    let since = now - Duration::from_secs(u64::from(days) * 86_400);
    let mut groups = Vec::new();
    let mut orgs: BTreeMap<i64, SafetyFigure> = BTreeMap::new();
    for c in rows::counts_since(db, since)? {
        let queue = c.queue.clone().map(QueueId);
        if !desk.access().may_read_group(agent, queue.as_ref()) {
            continue;
        }
        let line = SafetyFigure {
            chat_id: Some(c.chat_id),
            organisation_id: c.organisation.as_ref().map(|(id, _)| OrganisationId(*id)),
            name: c.title.clone(),
            // An approved message is filed too: counted once.
            messages: c.filed + c.held - c.approved.min(c.held),
            held: c.held,
            approved: c.approved,
            banned: c.banned,
            waiting: c.waiting,
        };
        if let Some((id, name)) = &c.organisation {
            let o = orgs.entry(*id).or_insert_with(|| SafetyFigure {
                chat_id: None,
                organisation_id: Some(OrganisationId(*id)),
                name: name.clone(),
                messages: 0,
                held: 0,
                approved: 0,
                banned: 0,
                waiting: 0,
            });
            o.messages += line.messages;
            o.held += line.held;
            o.approved += line.approved;
            o.banned += line.banned;
            o.waiting += line.waiting;
        }
        groups.push(line);
    }
    Ok(SafetyFigures {
        since,
        groups,
        organisations: orgs.into_values().collect(),
    })
}
