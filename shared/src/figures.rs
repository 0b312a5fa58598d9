//! The leads' live dashboard (`desk_figures`): today's and this week's
//! figures as of one point of the event log. A client keeps them current
//! from the events after `as_of` (docs/protocol.md §18).

use crate::ids::*;
use serde::{Deserialize, Serialize};

/// A first response of one of today's tickets: the customer's first
/// message to the first engineer's public reply, in calendar time
/// (docs/metrics.md, "First response").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstResponse {
    pub queue: QueueId,
    pub ms: i64,
}

/// One of today's tickets still owed its first reply, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingFirst {
    pub ticket_id: TicketId,
    pub since: Timestamp,
}

/// `desk_figures`' answer: the figures of the tickets this agent may
/// read, in the desk's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskFigures {
    /// The figures include every event up to this seq; apply the ones
    /// after it.
    pub as_of: Seq,
    /// When they were read.
    pub at: Timestamp,
    /// The desk's IANA time zone: days, hours and weeks are its.
    pub zone: String,
    /// Today's local midnight; "today" ends a local day later.
    pub day_start: Timestamp,
    /// This week's Monday, local midnight.
    pub week_start: Timestamp,
    /// Where `by_hour_of_week` starts: 27 days before `day_start`, so
    /// every hour of the week is counted four times.
    pub heat_from: Timestamp,
    /// Tickets created today, by local hour.
    pub today_by_hour: [u32; 24],
    /// The tickets created today (each counts once, however often it
    /// comes into the agent's view).
    pub created_today: Vec<TicketId>,
    /// Tickets created since `heat_from`, by local day of the week
    /// (Monday first) and hour.
    pub by_hour_of_week: [[u32; 24]; 7],
    /// The first responses of the tickets created today.
    pub first_responses: Vec<FirstResponse>,
    /// Tickets created today, not resolved, with no first response yet.
    pub awaiting_first: Vec<AwaitingFirst>,
    /// SLA clocks that breached today.
    pub breaches_today: u32,
    /// The ratings of the tickets resolved since `week_start` (a ticket
    /// rated again replaces its rating).
    pub ratings_week: Vec<Rating>,
}

/// A customer's rating of a ticket's resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub ticket_id: TicketId,
    /// 1-5.
    pub stars: u8,
}
