//! The README's deployment path on a fresh machine: empty XDG directories,
//! no `--db`, the commands in the README's order.

use std::path::Path;
use std::process::{Command as Proc, Output};

use e2e::*;

/// Runs relay-server with only fresh XDG directories under `home`.
fn fresh_cli(home: &Path, args: &[&str]) -> Output {
    Proc::new(relay_server_bin())
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("RELAY_LOG", "warn")
        .env_remove("RELAY_CONFIG")
        .env_remove("RELAY_DB")
        .output()
        .expect("run relay-server")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn migrate_is_the_first_command_on_a_fresh_machine() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("data/relay-server/desk.db");
    assert!(!db.parent().unwrap().exists());

    let out = fresh_cli(home.path(), &["migrate"]);
    assert!(out.status.success(), "migrate failed: {}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(&db.display().to_string()), "{said}");
    assert!(db.exists(), "the database is where the README says");

    // Then the rest of the README's path works on that database.
    let out = fresh_cli(home.path(), &["agent", "add", "alice", "--queues", "L1,L2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = fresh_cli(home.path(), &["migrate"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
}

#[test]
fn a_database_that_cannot_be_opened_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the database's directory should be is a file.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let db = blocker.join("desk.db");
    let out = cli(&db, &["migrate"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let named = blocker.display().to_string();
    assert_eq!(err.matches(&named).count(), 1, "{err}");
    assert!(
        err.contains("cannot create the database directory"),
        "{err}"
    );

    // A file that is not a database.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let out = cli(&junk, &["migrate"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(err.matches(&junk.display().to_string()).count(), 1, "{err}");
    assert!(err.contains("not a database"), "{err}");
    assert_eq!(std::fs::read(&junk).unwrap(), vec![b'x'; 4096], "unchanged");
}
