//! Copies of the database: a backup taken while the server runs (SQLite's
//! online backup: one read transaction, so the copy is the state at one
//! seq), and a restore into the database of a stopped server.

use std::path::{Path, PathBuf};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use shared::Seq;

use super::{StoreError, create_private, migrations};

/// What a copy holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// The newest event in the copy: it is the state at this seq.
    pub seq: Seq,
    /// Its schema version.
    pub schema: u32,
    /// Its size in bytes.
    pub bytes: u64,
    /// Open tickets in it.
    pub open_tickets: u64,
}

fn failed(path: &Path, why: impl std::fmt::Display) -> StoreError {
    StoreError::Copy {
        path: path.to_owned(),
        reason: why.to_string(),
    }
}

/// Copies every page of `from` into `to` in one step (one read
/// transaction on `from`; writers of `from` go on meanwhile).
fn copy(from: &Connection, to: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let backup = Backup::new(from, to)?;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            // Another connection held a lock for a moment: try again.
            StepResult::Busy | StepResult::Locked => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            StepResult::More => {}
            other => return Err(failed(path, format!("backup step: {other:?}"))),
        }
    }
}

/// Opens a database to read (the source of a copy).
fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|reason| StoreError::Open {
        path: path.to_owned(),
        reason,
    })
}

/// Creates `path` readable by its owner only, if missing.
fn private(path: &Path) -> Result<(), StoreError> {
    create_private(path).map_err(|reason| StoreError::CreateFile {
        path: path.to_owned(),
        reason,
    })
}

/// Copies `from` into the new file `to` (0600), left as a single file:
/// nothing in a WAL beside it.
fn copy_to_file(from: &Connection, to: &Path) -> Result<Connection, StoreError> {
    private(to)?;
    let mut dest = Connection::open(to)?;
    copy(from, &mut dest, to)?;
    dest.query_row("PRAGMA journal_mode=DELETE", [], |_| Ok(()))?;
    Ok(dest)
}

/// Checks a copy and says what it holds.
fn inspect(conn: &Connection, path: &Path) -> Result<Copied, StoreError> {
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(failed(path, format!("integrity check failed: {check}")));
    }
    let schema = migrations::current(conn)?;
    if schema == 0 {
        return Err(failed(path, "not a relay-server database (no schema)"));
    }
    let seq = conn.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))?;
    let open_tickets = conn.query_row(
        "SELECT count(*) FROM tickets WHERE status <> 'closed'",
        [],
        |r| r.get(0),
    )?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(Copied {
        seq: Seq(seq),
        schema,
        bytes,
        open_tickets,
    })
}

/// Writes a backup of the database at `db` to the new file `to` (0600),
/// while the server may be running, and checks it.
pub fn backup(db: &Path, to: &Path) -> Result<Copied, StoreError> {
    if !db.exists() {
        return Err(failed(db, "no such database"));
    }
    if to.exists() {
        return Err(failed(to, "the file exists; give a new file name"));
    }
    let from = open_read_only(db)?;
    from.busy_timeout(std::time::Duration::from_secs(10))?;
    let result = copy_to_file(&from, to).and_then(|dest| inspect(&dest, to));
    if result.is_err() {
        // Nothing of a failed backup stays: the file and any journal of it.
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", to.display()));
        }
    }
    result
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    pub copied: Copied,
    /// Where the database it replaced was kept (none when there was none).
    pub kept: Option<PathBuf>,
}

/// Replaces the database at `db` with the backup `from`, keeping the one it
/// replaces beside it (`desk.db.before-restore-N`). The server must be
/// stopped: a database another process has open is refused. A backup of a
/// newer schema than this build knows is refused; an older one is brought
/// up to date by the next `migrate` or `serve`.
pub fn restore(from: &Path, db: &Path) -> Result<Restored, StoreError> {
    let source = open_read_only(from)?;
    let copied = inspect(&source, from)?;
    if copied.schema > migrations::latest() {
        return Err(StoreError::SchemaTooNew {
            found: copied.schema,
            known: migrations::latest(),
        });
    }
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| failed(dir, e))?;
    }
    let had_one = std::fs::metadata(db).is_ok_and(|m| m.len() > 0);
    private(db)?;
    let mut dest = Connection::open(db)?;
    // Exclusive: fails at once while any other process has it open.
    dest.busy_timeout(std::time::Duration::ZERO)?;
    let exclusive = dest.execute_batch(
        "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; SELECT count(*) FROM sqlite_master; COMMIT;",
    );
    if let Err(e) = exclusive {
        let busy = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        return Err(failed(
            db,
            if busy {
                format!("the database is in use (is relay-server running? stop it first): {e}")
            } else {
                format!("cannot replace it: {e}")
            },
        ));
    }
    let kept = if had_one {
        let to = aside(db);
        copy_to_file(&dest, &to)?;
        Some(to)
    } else {
        None
    };
    copy(&source, &mut dest, db)?;
    dest.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
    Ok(Restored {
        copied: inspect(&dest, db)?,
        kept,
    })
}

/// A free name beside `db` for the database a restore replaces:
/// `desk.db.before-restore-N`.
fn aside(db: &Path) -> PathBuf {
    let mut n = 1;
    loop {
        let candidate = PathBuf::from(format!("{}.before-restore-{n}", db.display()));
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreOptions, outbox};

    async fn store_with_rows(path: &Path, n: usize) -> Store {
        let store = Store::open(StoreOptions::new(path.to_owned())).unwrap();
        for i in 0..n {
            store
                .write(move |ctx| outbox::enqueue_text(ctx, 5, &format!("m{i}"), None))
                .await
                .unwrap();
        }
        store
    }

    fn rows(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
            .unwrap()
    }

    #[tokio::test]
    async fn a_backup_of_a_live_database_is_one_private_checked_file() {
        let dir = tempfile::tempdir().unwrap();
        let (db, copy) = (dir.path().join("desk.db"), dir.path().join("copy.db"));
        let store = store_with_rows(&db, 3).await;
        let c = backup(&db, &copy).unwrap();
        assert_eq!(c.schema, migrations::latest());
        assert_eq!(rows(&copy), 3);
        assert!(!dir.path().join("copy.db-wal").exists(), "a single file");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&copy).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Never over an existing file.
        let e = backup(&db, &copy).unwrap_err().to_string();
        assert!(e.contains("exists"), "{e}");
        store.close().await;
    }

    #[tokio::test]
    async fn a_restore_refuses_a_database_in_use_and_keeps_the_one_it_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let (db, copy) = (dir.path().join("desk.db"), dir.path().join("copy.db"));
        let store = store_with_rows(&db, 2).await;
        backup(&db, &copy).unwrap();
        store
            .write(|ctx| outbox::enqueue_text(ctx, 5, "after the backup", None))
            .await
            .unwrap();
        let e = restore(&copy, &db).unwrap_err().to_string();
        assert!(e.contains("in use"), "{e}");
        assert_eq!(rows(&db), 3, "nothing changed");
        store.close().await;
        let r = restore(&copy, &db).unwrap();
        assert_eq!(rows(&db), 2, "the state of the backup");
        let kept = r.kept.expect("the replaced database is kept");
        assert_eq!(rows(&kept), 3);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&kept).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "it holds every customer's messages");
        }
        // The server opens it as usual.
        let again = Store::open(StoreOptions::new(db.clone())).unwrap();
        again.close().await;
    }

    #[test]
    fn a_file_that_is_not_a_desk_database_is_not_restored() {
        let dir = tempfile::tempdir().unwrap();
        let (db, junk) = (dir.path().join("desk.db"), dir.path().join("junk.db"));
        std::fs::write(&junk, b"not a database at all, just text").unwrap();
        assert!(restore(&junk, &db).is_err());
        let empty = dir.path().join("empty.db");
        Connection::open(&empty)
            .unwrap()
            .execute_batch("CREATE TABLE t(x)")
            .unwrap();
        let e = restore(&empty, &db).unwrap_err().to_string();
        assert!(e.contains("not a relay-server database"), "{e}");
    }

    #[tokio::test]
    async fn a_restore_over_a_file_that_is_not_a_database_says_so_not_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let (db, copy) = (dir.path().join("desk.db"), dir.path().join("copy.db"));
        store_with_rows(&db, 1).await.close().await;
        backup(&db, &copy).unwrap();
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "my notes, not a database ".repeat(100)).unwrap();
        let e = restore(&copy, &notes).unwrap_err().to_string();
        assert!(!e.contains("in use"), "{e}");
        assert!(e.contains("not a database"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&notes).unwrap(),
            "my notes, not a database ".repeat(100),
            "left as it was"
        );
    }
}
