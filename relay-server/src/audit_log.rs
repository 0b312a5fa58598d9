//! `relay-server audit`: the audit log as a table or JSON lines.

use std::fmt::Write as _;

use crate::store::access::{Actor, AuditRow};

/// Who did it, as a person reads it.
fn actor(r: &AuditRow) -> String {
    match r.entry.actor {
        Actor::Agent(id) => r
            .agent_name
            .clone()
            .unwrap_or_else(|| format!("agent {id}")),
        Actor::Customer(id) => match r.telegram_user_id {
            Some(tg) => format!("customer (Telegram {tg})"),
            None => format!("customer {id}"),
        },
        Actor::Cli => "command line".to_owned(),
        Actor::System => "retention".to_owned(),
    }
}

fn utc(at: shared::Timestamp) -> String {
    jiff::Timestamp::from_millisecond(at.0).map_or_else(
        |_| at.0.to_string(),
        |t| t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

/// The rows as an aligned table, oldest first, times in UTC.
pub fn table(rows: &[AuditRow]) -> String {
    let lines: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                utc(r.entry.at),
                actor(r),
                r.entry.action.clone(),
                r.ticket_number
                    .map_or_else(|| "-".into(), |n| format!("#{n}")),
                r.telegram_user_id
                    .map_or_else(|| "-".into(), |t| t.to_string()),
                r.entry.detail.clone(),
            ]
        })
        .collect();
    let head = [
        "time (UTC)",
        "who",
        "action",
        "ticket",
        "customer (Telegram)",
        "detail",
    ];
    let mut width = head.map(str::len);
    for l in &lines {
        for (w, cell) in width.iter_mut().zip(l) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut row = |cells: &[&str]| {
        let mut line = String::new();
        for (i, (cell, w)) in cells.iter().zip(width).enumerate() {
            if i + 1 == cells.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    };
    row(&head);
    for l in &lines {
        row(&l.iter().map(String::as_str).collect::<Vec<_>>());
    }
    out
}

/// The rows as JSON lines.
pub fn json_lines(rows: &[AuditRow]) -> String {
    let mut out = String::new();
    for r in rows {
        let (kind, id) = match r.entry.actor {
            Actor::Agent(a) => ("agent", Some(a.0)),
            Actor::Customer(c) => ("customer", Some(c.0)),
            Actor::Cli => ("cli", None),
            Actor::System => ("system", None),
        };
        let v = serde_json::json!({
            "at": r.entry.at.0,
            "actor": {"kind": kind, "id": id, "name": r.agent_name},
            "action": r.entry.action,
            "ticket_id": r.entry.ticket.map(|t| t.0),
            "ticket_number": r.ticket_number,
            "customer_id": r.entry.customer.map(|c| c.0),
            "telegram_user_id": r.telegram_user_id,
            "detail": r.entry.detail,
        });
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::access::AuditEntry;
    use shared::*;

    #[test]
    fn the_table_names_people_and_tickets() {
        let rows = vec![
            AuditRow {
                entry: AuditEntry {
                    at: Timestamp(1_790_000_000_000),
                    actor: Actor::Agent(AgentId(3)),
                    action: "read_history".into(),
                    ticket: Some(TicketId(7)),
                    customer: Some(CustomerId(2)),
                    detail: String::new(),
                },
                agent_name: Some("alice".into()),
                ticket_number: Some(10007),
                telegram_user_id: Some(5150),
            },
            AuditRow {
                entry: AuditEntry {
                    at: Timestamp(1_790_000_060_000),
                    actor: Actor::Cli,
                    action: "export".into(),
                    ticket: None,
                    customer: Some(CustomerId(2)),
                    detail: "3 tickets, 12 messages".into(),
                },
                agent_name: None,
                ticket_number: None,
                telegram_user_id: Some(5150),
            },
        ];
        let t = table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("time (UTC)"));
        assert!(lines[1].contains("alice") && lines[1].contains("#10007"));
        assert!(lines[2].contains("command line") && lines[2].ends_with("3 tickets, 12 messages"));
        let j = json_lines(&rows);
        let first: serde_json::Value = serde_json::from_str(j.lines().next().unwrap()).unwrap();
        assert_eq!(first["actor"]["name"], "alice");
        assert_eq!(first["ticket_number"], 10007);
    }
}
