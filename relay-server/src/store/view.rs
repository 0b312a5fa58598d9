//! What a client connection is sent to come up to date: a snapshot, or the
//! events it missed, each passed through its [`Viewer`] (the domain's
//! access rules, `domain::access::View`), so a client is never sent a
//! ticket, message or customer its agent may not read.

use rusqlite::params;
use shared::*;
use tokio::sync::mpsc;

use super::read::{
    customers_of_open, head_seq, in_read_tx, open_tickets, read_marker, read_markers, tail_of,
    tails_of_open,
};
use super::{Db, StoreError, rows};

/// What a client may be sent of one event of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// The event as it is.
    Pass,
    /// A `withheld` placeholder with the event's seq.
    Withhold,
    /// The ticket came into view: a `ticket_shown` (with its customer and
    /// tail) in place of the event.
    Show(Box<Ticket>),
    /// The ticket left the view: a `ticket_hidden` in place of the event.
    Hide(TicketId),
    /// The event cut down to what may be read.
    Rewrite(Box<Event>),
    /// What the agent may read changed as a whole (its role or queues):
    /// the client needs a fresh snapshot.
    Resync,
}

/// The access rules of one connection, and what its client holds.
pub trait Viewer: Send + 'static {
    fn may_read(&self, ticket: &Ticket) -> bool;
    /// `may_read` from the fields it looks at.
    fn may_read_parts(
        &self,
        queue: &QueueId,
        assignee: Option<AgentId>,
        shared_with: &[AgentId],
    ) -> bool;
    /// The client holds this open ticket of this customer.
    fn hold_open(&mut self, ticket: TicketId, customer: CustomerId);
    fn agent_id(&self) -> AgentId;
    /// The client now holds `ticket` (or drops it, when it is closed).
    fn hold(&mut self, ticket: &Ticket);
    /// The client holds nothing (a snapshot is about to replace it all).
    fn forget_all(&mut self);
    /// Whether `event` changed what this agent may read.
    fn changes_view(&self, event: &Event) -> bool;
    /// What the client may be sent of `event`; updates what it holds
    /// (for `Show`, the caller calls `hold` once it sent the ticket).
    fn see(&mut self, event: &Event) -> Seen;
    /// Whether the client holds this ticket (what `see` decides a message,
    /// an alert or a read marker of it by).
    fn holds(&self, ticket: TicketId) -> bool;
    /// Whether the client holds a ticket of this customer.
    fn holds_customer(&self, customer: CustomerId) -> bool;
    /// The agent reads every ticket (nothing is tracked per ticket).
    fn reads_all(&self) -> bool;
    /// Whether the agent reads the customer groups of `queue` (`None`:
    /// unbound groups).
    fn reads_group(&self, queue: Option<&QueueId>) -> bool;
}

/// The `kind` of a stored envelope, read off its start (`{"seq":..,"at":..,
/// "event":{"kind":"..."`), without parsing it.
fn kind_of(body: &str) -> Option<&str> {
    const KEY: &str = r#""event":{"kind":""#;
    let rest = &body[body.find(KEY)? + KEY.len()..];
    Some(&rest[..rest.find('"')?])
}

/// What `see` would decide for an event of this kind, when its stored
/// columns suffice (the common kinds: messages, alerts, customers, the
/// team's records); `None`: parse it.
fn quick<V: Viewer>(
    view: &V,
    body: &str,
    kind: &str,
    ticket: Option<i64>,
    customer: Option<i64>,
) -> Option<Seen> {
    let what = if kind == "ticket_updated" {
        change_of(body)
    } else {
        None
    };
    let pass_if = |yes: bool| Some(if yes { Seen::Pass } else { Seen::Withhold });
    match kind {
        "message_added" | "message_updated" | "sla_alert" => {
            pass_if(ticket.is_some_and(|t| view.holds(TicketId(t))))
        }
        "customer_upserted" => {
            pass_if(customer.is_some_and(|c| view.holds_customer(CustomerId(c))))
        }
        // A change of a held ticket that cannot move it in or out of view
        // nor close it (the ticket's own fields hold no quotes to confuse
        // the search: its `change` is the envelope's last object).
        "ticket_updated"
            if ticket.is_some_and(|t| view.holds(TicketId(t)))
                && matches!(what, Some("thread" | "tags" | "priority" | "sla" | "csat")) =>
        {
            Some(Seen::Pass)
        }
        "presence_changed" | "macro_upserted" | "macro_removed" | "agent_removed" | "withheld" => {
            Some(Seen::Pass)
        }
        _ => None,
    }
}

/// What a snapshot is built for.
pub struct SnapshotSpec {
    pub queues: Vec<Queue>,
    /// Messages per ticket.
    pub tail: u32,
    /// Tickets per part, at most.
    pub chunk: usize,
    /// A part stops taking tickets once it holds about this many bytes.
    pub budget: usize,
    /// The time now: group conversations active in the last
    /// [`GROUP_DAYS`] days come with the snapshot.
    pub now: Timestamp,
}

/// Group conversations active this many days (or owed) come with a snapshot.
pub const GROUP_DAYS: i64 = 7;
/// At most this many group conversations come with a snapshot.
pub const GROUP_CONVERSATIONS: usize = 500;

/// How a connection that just said `hello` is brought up to date.
pub struct SyncSpec {
    /// `hello.resume_from`.
    pub resume_from: Option<Seq>,
    /// Most events a resume may replay; further behind gets a snapshot.
    pub resume_limit: u64,
    pub snapshot: SnapshotSpec,
    /// Events per replay frame, at most.
    pub replay_chunk: usize,
}

/// Rough encoded size of a message, for splitting snapshots.
fn approx_size(m: &Message) -> usize {
    300 + m.text.len() + m.attachments.len() * 200
}

fn send(out: &mpsc::Sender<String>, frame: String) -> Result<(), StoreError> {
    out.blocking_send(frame).map_err(|_| StoreError::Closed)
}

/// In one read transaction: decides between a resume and a snapshot, sends
/// `welcome(mode)` first, then the missed events or the snapshot. A resume
/// is refused (a snapshot sent instead) when the client is too far behind,
/// when the restricted queues changed since its seq, or when an event since
/// then changed what its agent may read (what it holds cannot be known).
/// Returns the seq the client is at. Blocking: call on the blocking pool.
pub fn sync<V: Viewer>(
    db: &impl Db,
    spec: SyncSpec,
    view: &mut V,
    welcome: impl FnOnce(SyncMode) -> String,
    out: &mpsc::Sender<String>,
) -> Result<Seq, StoreError> {
    let conn = db.conn();
    in_read_tx(conn, |conn| {
        let head = head_seq(conn)?;
        let mut resume = spec
            .resume_from
            // Seq 0 means "never synced": some state (queues, built-in
            // macros) only comes with a snapshot.
            .filter(|r| r.0 >= 1 && *r <= head && head.0 - r.0 <= spec.resume_limit);
        // Also a snapshot when retention took events after `r`, when the
        // restricted queues changed since, or when an event since changed
        // what the agent may read.
        if let Some(r) = resume
            && (super::retention::first_event(conn)?.0 > r.0 + 1
                || super::access::changed_since(conn)? >= r
                || view_changed(conn, r, head, view)?)
        {
            resume = None;
        }
        let mode = if resume.is_some() {
            SyncMode::Events
        } else {
            SyncMode::Snapshot
        };
        send(out, welcome(mode))?;
        match resume {
            Some(from) => {
                hold_readable(conn, view)?;
                let replayed = replay(
                    conn,
                    from,
                    head,
                    view,
                    spec.snapshot.tail,
                    spec.replay_chunk,
                    spec.snapshot.budget,
                    out,
                )?;
                if !replayed {
                    snapshot_at(conn, head, spec.snapshot, view, out)?;
                }
            }
            None => snapshot_at(conn, head, spec.snapshot, view, out)?,
        }
        Ok(head)
    })
}

/// Whether an event in (`after`, `upto`] changed what `view`'s agent may
/// read. Only events that can are parsed: queue, assignee and share changes
/// (found by their kind at the body's start and their `change` at its
/// end, never by scanning whole bodies in SQL), and agent upserts.
fn view_changed<V: Viewer>(
    db: &impl Db,
    after: Seq,
    upto: Seq,
    view: &V,
) -> Result<bool, StoreError> {
    let conn = db.conn();
    let mut stmt = conn.prepare_cached(
        r#"SELECT body FROM events WHERE seq > ?1 AND seq <= ?2 AND (
               instr(substr(body, 1, 96), '"kind":"ticket_updated"')
               OR instr(substr(body, 1, 96), '"kind":"agent_upserted"')
               OR instr(substr(body, 1, 96), '"kind":"group_bound"'))"#,
    )?;
    let mut rows = stmt.query(params![after.0, upto.0])?;
    while let Some(row) = rows.next()? {
        let body = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        if kind_of(body) == Some("ticket_updated")
            && (view.reads_all()
                || !matches!(change_of(body), Some("queue" | "assignee" | "shared")))
        {
            continue;
        }
        let env: EventEnvelope = serde_json::from_str(body)?;
        if view.changes_view(&env.event) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The `what` of a `ticket_updated` envelope's change: its last object.
fn change_of(body: &str) -> Option<&str> {
    const KEY: &str = r#""change":{"what":""#;
    let rest = &body[body.rfind(KEY)? + KEY.len()..];
    Some(&rest[..rest.find('"')?])
}

/// Makes `view` hold every open ticket it may read (what a client that is
/// resumed holds, when nothing changed what it may read since).
fn hold_readable<V: Viewer>(db: &impl Db, view: &mut V) -> Result<(), StoreError> {
    view.forget_all();
    if view.reads_all() {
        return Ok(());
    }
    // Only the fields the rule reads: a resume over a large desk must not
    // load every open ticket whole.
    let mut stmt = db.conn().prepare_cached(
        "SELECT id, customer_id, queue, assignee, shared_with FROM tickets WHERE status <> 'closed'",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let queue = QueueId(r.get(2)?);
        let assignee = r.get::<_, Option<i64>>(3)?.map(AgentId);
        let shared = r.get_ref(4)?.as_str().map_err(rusqlite::Error::from)?;
        let shared_with: Vec<AgentId> = if shared == "[]" {
            Vec::new()
        } else {
            serde_json::from_str(shared)?
        };
        if view.may_read_parts(&queue, assignee, &shared_with) {
            view.hold_open(TicketId(r.get(0)?), CustomerId(r.get(1)?));
        }
    }
    Ok(())
}

/// A `ticket_shown` for `ticket`: what a snapshot holds of it.
pub fn shown(db: &impl Db, ticket: Ticket, agent: AgentId, tail: u32) -> Result<Event, StoreError> {
    let customer = rows::load_customer(db, ticket.customer_id)?.ok_or_else(|| {
        StoreError::Corrupt(format!(
            "ticket {} has no customer {}",
            ticket.id, ticket.customer_id
        ))
    })?;
    Ok(Event::TicketShown {
        messages: tail_of(db, ticket.id, tail)?,
        last_read: read_marker(db, agent, ticket.id)?,
        customer,
        ticket,
    })
}

/// The placeholder sent for an event a client may not read.
pub fn withheld(seq: Seq, at: Timestamp) -> String {
    format!(
        r#"{{"seq":{},"at":{},"event":{{"kind":"withheld"}}}}"#,
        seq.0, at.0
    )
}

/// The JSON a client is sent for one event of the log, or `None` when it
/// needs a fresh snapshot instead. `raw` is the stored envelope.
pub fn render<V: Viewer>(
    db: &impl Db,
    view: &mut V,
    env: &EventEnvelope,
    raw: &str,
    tail: u32,
) -> Result<Option<String>, StoreError> {
    let again = |event: Event| {
        serde_json::to_string(&EventEnvelope {
            seq: env.seq,
            at: env.at,
            event,
        })
    };
    Ok(Some(match view.see(&env.event) {
        Seen::Pass => raw.to_owned(),
        Seen::Withhold => withheld(env.seq, env.at),
        Seen::Show(ticket) => {
            view.hold(&ticket);
            again(shown(db, *ticket, view.agent_id(), tail)?)?
        }
        Seen::Hide(ticket_id) => again(Event::TicketHidden { ticket_id })?,
        Seen::Rewrite(event) => again(*event)?,
        Seen::Resync => return Ok(None),
    }))
}

/// Sends the events in (`after`, `upto`] as `events` frames of at most
/// `chunk` events and about `budget` bytes each, each as `view` lets it
/// through. Returns false when it stopped at an event that needs a fresh
/// snapshot (the frames before it were sent). Blocking: call on the
/// blocking pool.
#[allow(clippy::too_many_arguments)]
pub fn replay<V: Viewer>(
    db: &impl Db,
    after: Seq,
    upto: Seq,
    view: &mut V,
    tail: u32,
    chunk: usize,
    budget: usize,
    out: &mpsc::Sender<String>,
) -> Result<bool, StoreError> {
    let conn = db.conn();
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at, ticket_id, customer_id, body FROM events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq",
    )?;
    let mut rows = stmt.query(params![after.0, upto.0])?;
    let mut frame = String::new();
    let mut n = 0usize;
    let mut expected = after.0 + 1;
    while let Some(row) = rows.next()? {
        let seq: u64 = row.get(0)?;
        if seq != expected {
            return Err(StoreError::Corrupt(format!(
                "event log has a gap: expected {expected}, found {seq}"
            )));
        }
        expected += 1;
        let body = row.get_ref(4)?.as_str().map_err(rusqlite::Error::from)?;
        let (ticket, customer): (Option<i64>, Option<i64>) = (row.get(2)?, row.get(3)?);
        let fast = kind_of(body).and_then(|k| quick(view, body, k, ticket, customer));
        let json = match fast {
            Some(Seen::Pass) => std::borrow::Cow::Borrowed(body),
            Some(_) => std::borrow::Cow::Owned(withheld(Seq(seq), Timestamp(row.get(1)?))),
            None => {
                let env: EventEnvelope = serde_json::from_str(body)?;
                match render(db, view, &env, body, tail)? {
                    Some(json) => std::borrow::Cow::Owned(json),
                    None => {
                        if n > 0 {
                            frame.push_str("]}");
                            send(out, frame)?;
                        }
                        return Ok(false);
                    }
                }
            }
        };
        if n == 0 {
            frame.push_str(r#"{"type":"events","events":["#);
        } else {
            frame.push(',');
        }
        frame.push_str(&json);
        n += 1;
        if n == chunk || frame.len() >= budget {
            frame.push_str("]}");
            send(out, std::mem::take(&mut frame))?;
            n = 0;
        }
    }
    if expected != upto.0 + 1 {
        return Err(StoreError::Corrupt(format!(
            "event log ends at {} before {}",
            expected - 1,
            upto
        )));
    }
    if n > 0 {
        frame.push_str("]}");
        send(out, frame)?;
    }
    Ok(true)
}

/// Builds a snapshot in one read transaction (see [`snapshot_at`]).
/// Returns the seq it is at. Blocking: call on the blocking pool.
pub fn stream_snapshot<V: Viewer>(
    db: &impl Db,
    spec: SnapshotSpec,
    view: &mut V,
    out: &mpsc::Sender<String>,
) -> Result<Seq, StoreError> {
    let conn = db.conn();
    in_read_tx(conn, |conn| {
        let seq = head_seq(conn)?;
        snapshot_at(conn, seq, spec, view, out)?;
        Ok(seq)
    })
}

/// The customer groups `view` may read, with their live conversations
/// (owed, or active in the last [`GROUP_DAYS`] days) and their tails.
fn groups_into<V: Viewer>(
    conn: &impl Db,
    spec: &SnapshotSpec,
    view: &V,
    part: &mut SnapshotPart,
) -> Result<(), StoreError> {
    use super::group_view as g;
    part.organisations = g::organisations(conn)?;
    part.groups = g::groups(conn)?
        .into_iter()
        .filter(|x| view.reads_group(x.queue.as_ref()))
        .collect();
    let since = Timestamp(spec.now.0 - GROUP_DAYS * 86_400_000);
    part.group_conversations = g::live_conversations(conn, since, GROUP_CONVERSATIONS, |c| {
        view.reads_group(c.queue.as_ref())
    })?;
    for c in &part.group_conversations {
        part.group_messages
            .extend(g::tail(conn, c.id.0, spec.tail)?);
    }
    part.quarantine =
        super::safety::waiting(conn, HELD_MESSAGES, |h| view.reads_group(h.queue.as_ref()))?;
    Ok(())
}

/// Held messages in a snapshot, at most (the oldest first).
const HELD_MESSAGES: usize = 500;

/// Hands each part of the snapshot at `seq` (the open tickets `view` may
/// read, their customers and tails), encoded as a `snapshot` frame, to
/// `out` as it is made (so memory stays at one part). Parts hold at most
/// `chunk` tickets and about `budget` bytes. Call inside a read transaction.
fn snapshot_at<V: Viewer>(
    conn: &impl Db,
    seq: Seq,
    spec: SnapshotSpec,
    view: &mut V,
    out: &mpsc::Sender<String>,
) -> Result<(), StoreError> {
    view.forget_all();
    let agent = view.agent_id();
    let mut part = SnapshotPart {
        seq,
        part: 0,
        queues: spec.queues.clone(),
        agents: super::read::agents(conn)?,
        macros: super::read::macros_for(conn, agent)?,
        read_markers: read_markers(conn, agent, |t| view.may_read(t))?,
        ..Default::default()
    };
    groups_into(conn, &spec, view, &mut part)?;
    let chunk = spec.chunk.max(1);
    let emit = |part: &mut SnapshotPart, last: bool| -> Result<(), StoreError> {
        part.last = last;
        let next = part.part + 1;
        send(
            out,
            serde_json::to_string(&ServerMessage::Snapshot(Box::new(std::mem::take(part))))?,
        )?;
        part.seq = seq;
        part.part = next;
        Ok(())
    };
    let mut after = TicketId(0);
    loop {
        let tickets = open_tickets(conn, after, chunk)?;
        let done = tickets.len() < chunk;
        let (Some(first), Some(last)) = (tickets.first(), tickets.last()) else {
            return emit(&mut part, true);
        };
        after = last.id;
        let mut customers: std::collections::HashMap<CustomerId, Customer> =
            customers_of_open(conn, first.id, last.id)?
                .into_iter()
                .map(|c| (c.id, c))
                .collect();
        let mut messages = tails_of_open(conn, first.id, last.id, spec.tail)?
            .into_iter()
            .peekable();
        let mut bytes = 0;
        let count = tickets.len();
        for (i, t) in tickets.into_iter().enumerate() {
            let readable = view.may_read(&t);
            while let Some(m) = messages.next_if(|m| m.ticket_id == t.id) {
                if readable {
                    bytes += approx_size(&m);
                    part.messages.push(m);
                }
            }
            if !readable {
                continue;
            }
            bytes += 600;
            if let Some(c) = customers.remove(&t.customer_id) {
                bytes += 300;
                part.customers.push(c);
            }
            view.hold(&t);
            part.tickets.push(t);
            let end_of_batch = i + 1 == count;
            if bytes >= spec.budget && !(end_of_batch && done) {
                emit(&mut part, false)?;
                bytes = 0;
            }
        }
        if done {
            return emit(&mut part, true);
        }
        if !part.tickets.is_empty() {
            emit(&mut part, false)?;
        }
    }
}
