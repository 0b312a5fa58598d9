//! The state digest: a hash both the server and a client compute over the
//! state a client mirrors, so they can prove they agree.
//!
//! Input, in this order: for every ticket whose status is not `closed`, by
//! ascending id, one ticket line, then one message line for each of its last
//! `snapshot_tail` messages (by ascending id). Lines end with `\n`, fields are
//! separated by one space, absent values are `-`:
//!
//! ```text
//! T <id> <number> <status> <queue> <priority> <assignee> <tags,joined,by,comma> <waiting_since> <updated_at> <message_count> <last_message_id>
//! M <id> <kind> <delivery_state> <edited_at> <sha256 hex of the text>
//! ```
//!
//! The digest is the lowercase hex SHA-256 of all the lines.

use crate::model::{Message, Ticket, TicketStatus};
use sha2::{Digest as _, Sha256};
use std::fmt::{Display, Write as _};

/// Accumulates the digest. Feed tickets and messages in the documented order.
#[derive(Default)]
pub struct Digester {
    hash: Sha256,
    line: String,
    tickets: u32,
}

fn opt<T: Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

impl Digester {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a ticket is covered by the digest (and kept by mirrors).
    pub fn covers(ticket: &Ticket) -> bool {
        ticket.status != TicketStatus::Closed
    }

    pub fn ticket(&mut self, t: &Ticket) {
        self.tickets += 1;
        self.line.clear();
        let tags = if t.tags.is_empty() {
            "-".to_owned()
        } else {
            t.tags.join(",")
        };
        let _ = writeln!(
            self.line,
            "T {} {} {} {} {} {} {} {} {} {} {}",
            t.id,
            t.number,
            t.status.as_str(),
            t.queue,
            t.priority.as_str(),
            opt(t.assignee),
            tags,
            opt(t.waiting_since),
            t.updated_at,
            t.message_count,
            opt(t.last_message_id),
        );
        self.hash.update(self.line.as_bytes());
    }

    pub fn message(&mut self, m: &Message) {
        self.line.clear();
        let _ = writeln!(
            self.line,
            "M {} {} {} {} {}",
            m.id,
            m.kind.as_str(),
            opt(m.delivery.as_ref().map(|d| d.state.as_str())),
            opt(m.edited_at),
            hex(&Sha256::digest(m.text.as_bytes())),
        );
        self.hash.update(self.line.as_bytes());
    }

    /// Number of tickets fed so far.
    pub fn tickets(&self) -> u32 {
        self.tickets
    }

    /// The lowercase hex digest.
    pub fn finish(self) -> String {
        hex(&self.hash.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;

    fn ticket(id: i64, status: TicketStatus) -> Ticket {
        Ticket {
            status,
            ..crate::fixtures::ticket(id)
        }
    }

    #[test]
    fn empty_state_is_sha256_of_nothing() {
        assert_eq!(
            Digester::new().finish(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn digest_matches_the_documented_lines() {
        let mut t = ticket(7, TicketStatus::Open);
        t.tags = vec!["billing".into(), "vip".into()];
        let mut d = Digester::new();
        d.ticket(&t);
        let expected = "T 7 10007 open L1 normal - billing,vip 1 2 0 -\n";
        assert_eq!(d.finish(), hex(&Sha256::digest(expected.as_bytes())));
    }

    #[test]
    fn any_field_change_changes_the_digest() {
        let a = ticket(1, TicketStatus::Open);
        let mut b = a.clone();
        b.assignee = Some(AgentId(3));
        let (mut da, mut db) = (Digester::new(), Digester::new());
        da.ticket(&a);
        db.ticket(&b);
        assert_ne!(da.finish(), db.finish());
    }
}
