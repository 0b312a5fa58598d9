//! Numbered schema migrations. Only ever add new ones at the end.

use rusqlite::Connection;

use super::StoreError;

/// (version, name, SQL). Versions are 1, 2, 3, ... in order.
const MIGRATIONS: &[(u32, &str, &str)] = &[
    (1, "init", include_str!("../../migrations/0001_init.sql")),
    (
        2,
        "default_macros",
        include_str!("../../migrations/0002_default_macros.sql"),
    ),
    (
        3,
        "command_fingerprint",
        include_str!("../../migrations/0003_command_fingerprint.sql"),
    ),
    (
        4,
        "telegram",
        include_str!("../../migrations/0004_telegram.sql"),
    ),
    (
        5,
        "outbox_by_chat",
        include_str!("../../migrations/0005_outbox_by_chat.sql"),
    ),
    (
        6,
        "message_sent_at",
        include_str!("../../migrations/0006_message_sent_at.sql"),
    ),
    (
        7,
        "dialogue",
        include_str!("../../migrations/0007_dialogue.sql"),
    ),
    (
        8,
        "sla_assignment",
        include_str!("../../migrations/0008_sla_assignment.sql"),
    ),
    (
        9,
        "sla_derived_due",
        include_str!("../../migrations/0009_sla_derived_due.sql"),
    ),
    (
        10,
        "macro_translations",
        include_str!("../../migrations/0010_macro_translations.sql"),
    ),
    (
        11,
        "uploads",
        include_str!("../../migrations/0011_uploads.sql"),
    ),
    (
        12,
        "chat_sends",
        include_str!("../../migrations/0012_chat_sends.sql"),
    ),
    (
        13,
        "access",
        include_str!("../../migrations/0013_access.sql"),
    ),
    (
        14,
        "privacy",
        include_str!("../../migrations/0014_privacy.sql"),
    ),
    (
        15,
        "groups",
        include_str!("../../migrations/0015_groups.sql"),
    ),
    (
        16,
        "group desk",
        include_str!("../../migrations/0016_group_desk.sql"),
    ),
    (
        17,
        "group safety",
        include_str!("../../migrations/0017_group_safety.sql"),
    ),
    (
        18,
        "queue ids never reused",
        include_str!("../../migrations/0018_queue_ids.sql"),
    ),
    (
        19,
        "ticket status log",
        include_str!("../../migrations/0019_ticket_log.sql"),
    ),
    (
        20,
        "experiment assignments",
        include_str!("../../migrations/0020_experiments.sql"),
    ),
    (
        21,
        "messages by ticket, with who and when",
        include_str!("../../migrations/0021_messages_by_ticket.sql"),
    ),
    (
        22,
        "customers' notification preferences",
        include_str!("../../migrations/0022_customer_prefs.sql"),
    ),
    (
        23,
        "mini app: organisations' shared tickets, leaving a group, menu buttons",
        include_str!("../../migrations/0023_app_shared.sql"),
    ),
];

/// The newest schema version this build knows.
pub fn latest() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Applies every migration newer than the database's version, each in its
/// own transaction. Returns the versions applied.
pub fn migrate(conn: &mut Connection) -> Result<Vec<u32>, StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    )?;
    let current: u32 = conn.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    if current > latest() {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known: latest(),
        });
    }
    let mut applied = Vec::new();
    for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![version, name, super::now_millis()],
        )?;
        tx.commit()?;
        applied.push(version);
    }
    Ok(applied)
}

/// The database's schema version (0 for a new file).
pub fn current(conn: &Connection) -> Result<u32, StoreError> {
    let exists: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'schema_migrations'",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(0);
    }
    Ok(conn.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.0 as usize, i + 1, "migration {} out of order", m.1);
        }
    }

    #[test]
    fn migrate_is_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(
            migrate(&mut conn).unwrap(),
            (1..=latest()).collect::<Vec<_>>()
        );
        assert!(migrate(&mut conn).unwrap().is_empty());
        assert_eq!(current(&conn).unwrap(), latest());
        let macros: i64 = conn
            .query_row("SELECT count(*) FROM macros", [], |r| r.get(0))
            .unwrap();
        assert_eq!(macros, 8, "5 defaults, 3 for customer groups");
    }

    /// 0016 rebuilds `group_messages` with a desk id: a database with
    /// group messages from 0015 keeps every one, in order, with its fields.
    #[test]
    fn group_messages_survive_the_rebuild() {
        let mut conn = migrated_to(15);
        conn.execute_batch(
            "INSERT INTO group_messages (chat_id, message_id, conversation_id, thread_id, reply_to,
                 author_id, author_name, side, text, sent_at, edited_at) VALUES
                 (-100, 2, 1, NULL, 1, 501, 'Olga', 'customer', 'second', 2000, NULL),
                 (-100, 1, 1, NULL, NULL, 501, 'Olga', 'customer', 'first', 1000, 1500),
                 (-200, 1, NULL, 7, NULL, 900, 'Ira', 'staff', 'ok', 1500, NULL);",
        )
        .unwrap();
        assert_eq!(
            migrate(&mut conn).unwrap(),
            (16..=latest()).collect::<Vec<_>>()
        );
        type Row = (
            i64,
            i64,
            Option<i64>,
            String,
            i64,
            Option<i64>,
            Option<String>,
        );
        let rows: Vec<Row> = conn
            .prepare(
                "SELECT id, chat_id, message_id, text, sent_at, edited_at, delivery
                 FROM group_messages ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                (1, -100, Some(1), "first".into(), 1000, Some(1500), None),
                (2, -200, Some(1), "ok".into(), 1500, None, None),
                (3, -100, Some(2), "second".into(), 2000, None, None),
            ],
            "ids in the order they were sent"
        );
        // Telegram's ids stay unique per chat.
        assert!(
            conn.execute(
                "INSERT INTO group_messages (chat_id, message_id, author_id, author_name, side, text, sent_at)
                 VALUES (-100, 1, 1, 'x', 'customer', 'dup', 3000)",
                [],
            )
            .is_err()
        );
    }

    /// The database up to version `upto`, as an older build left it.
    fn migrated_to(upto: u32) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (
                 version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 <= upto) {
            tx.execute_batch(sql).unwrap();
            tx.execute(
                "INSERT INTO schema_migrations VALUES (?1, ?2, 0)",
                rusqlite::params![version, name],
            )
            .unwrap();
        }
        tx.commit().unwrap();
        conn
    }

    /// 0018: the outbox keeps its rows (a send in flight too), and an id
    /// whose row went is not handed out again.
    #[test]
    fn outbox_rows_survive_0018_and_ids_are_not_reused() {
        let mut conn = migrated_to(17);
        conn.execute_batch(
            "INSERT INTO outbox (id, chat_id, text, next_attempt_at, created_at, state, kind, safety_call)
                 VALUES (4, 7, 'first', 10, 10, 'sending', NULL, NULL),
                        (9, -100, 'notice', 20, 20, 'pending', NULL, 3);
             INSERT INTO tg_deletions (id, chat_id, message_ids, deadline, next_attempt_at)
                 VALUES (5, 7, '[1,2]', 100, 10);",
        )
        .unwrap();
        assert_eq!(
            migrate(&mut conn).unwrap(),
            (18..=latest()).collect::<Vec<_>>()
        );
        let rows: Vec<(i64, i64, String, String, Option<i64>)> = conn
            .prepare("SELECT id, chat_id, text, state, safety_call FROM outbox ORDER BY id")
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                (4, 7, "first".into(), "sending".into(), None),
                (9, -100, "notice".into(), "pending".into(), Some(3)),
            ]
        );
        // The newest row goes; the next one still gets a new id.
        for table in ["outbox", "tg_deletions"] {
            let top: i64 = conn
                .query_row(&format!("SELECT max(id) FROM {table}"), [], |r| r.get(0))
                .unwrap();
            conn.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [top])
                .unwrap();
            conn.execute_batch(match table {
                "outbox" => "INSERT INTO outbox (chat_id, text, next_attempt_at, created_at) VALUES (7, 'next', 30, 30)",
                _ => "INSERT INTO tg_deletions (chat_id, message_ids, deadline, next_attempt_at) VALUES (7, '[3]', 100, 10)",
            })
            .unwrap();
            let id = conn.last_insert_rowid();
            assert!(id > top, "{table}: {id} after {top}");
        }
    }
}
