//! The leads' live dashboard (`desk_figures`, docs/protocol.md §18): the
//! figures of today and this week that a workstation keeps current from
//! the events after them. Same definitions as the report
//! (docs/metrics.md), counted over the tickets the agent may read, in
//! the desk's time zone.

use std::time::Duration;

use shared::*;

use super::DomainError;
use super::desk::Desk;
use super::hours;
use super::report::first_response;
use crate::store::report::{Counted, Who};
use crate::store::{Db, read};

/// The days the hour-of-week heat map covers: four of each weekday.
pub const HEAT_DAYS: i64 = 28;

/// The dashboard of `agent` as of the store's head, read at `now`. Run it
/// in one read transaction: its `as_of` is then exactly what it counted.
pub fn desk_figures(
    db: &impl Db,
    desk: &Desk,
    agent: &Agent,
    now: Timestamp,
) -> Result<DeskFigures, DomainError> {
    let tz = &desk.bot.default_zone;
    let as_of = read::head_seq(db)?;
    let day_start = hours::day_start(now, 0, tz);
    let week_start = hours::week_start(now, tz);
    let heat_from = hours::day_start(now, HEAT_DAYS - 1, tz);
    let access = desk.access();
    let readable = |queue: &str, assignee: Option<i64>| {
        access.may_read_parts(
            agent,
            &QueueId(queue.to_owned()),
            assignee.map(AgentId),
            &[],
        )
    };
    let rows = crate::store::report::dashboard_rows(db, heat_from, day_start, week_start, now)?;
    let mut today_by_hour = [0u32; 24];
    let mut created_today = Vec::new();
    let mut by_hour_of_week = [[0u32; 24]; 7];
    let mine = |c: &&Counted| readable(&c.queue, c.assignee);
    for c in rows.created.iter().filter(mine) {
        let (_, weekday, hour) = hours::day_and_hour(c.at, tz);
        by_hour_of_week[weekday][hour] += 1;
        if c.at >= day_start {
            today_by_hour[hour] += 1;
            created_today.push(TicketId(c.ticket_id));
        }
    }
    // Today's tickets with their threads: the first responses, and who
    // still waits for one.
    let end = now + Duration::from_millis(1);
    let facts = crate::store::report::facts(db, day_start, end, end, end)?;
    let mut first_responses = Vec::new();
    let mut awaiting_first = Vec::new();
    for t in facts
        .tickets
        .iter()
        .filter(|t| readable(&t.queue, t.assignee))
    {
        match first_response(t) {
            Some((since, at)) => first_responses.push(FirstResponse {
                queue: QueueId(t.queue.clone()),
                ms: at.0 - since.0,
            }),
            None if t.resolved_at.is_none()
                && !matches!(t.status, TicketStatus::Resolved | TicketStatus::Closed) =>
            {
                let since = t
                    .thread
                    .iter()
                    .find(|s| s.who == Who::Customer)
                    .map_or(t.created_at, |s| s.at);
                awaiting_first.push(AwaitingFirst {
                    ticket_id: TicketId(t.id),
                    since,
                });
            }
            None => {}
        }
    }
    let ratings = rows
        .ratings
        .iter()
        .filter(mine)
        .map(|c| Rating {
            ticket_id: TicketId(c.ticket_id),
            stars: c.stars,
        })
        .collect();
    Ok(DeskFigures {
        as_of,
        at: now,
        zone: desk.bot.default_zone_name.clone(),
        day_start,
        week_start,
        heat_from,
        today_by_hour,
        created_today,
        by_hour_of_week,
        first_responses,
        awaiting_first,
        breaches_today: rows.breaches.iter().filter(mine).count() as u32,
        ratings_week: ratings,
    })
}
