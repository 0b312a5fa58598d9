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

#[test]
fn agent_tui_check_speaks_plainly_and_refuses_a_key_bound_twice() {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Proc::new(agent_tui_bin())
            .args(args)
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env_remove("AGENT_TUI_CONFIG")
            .env_remove("AGENT_TUI_URL")
            .env_remove("AGENT_TUI_TOKEN")
            .output()
            .expect("run agent-tui")
    };
    let out = run(&[
        "--url",
        "wss://desk.example.com/v1/ws",
        "--token",
        "t",
        "--check",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("not found: built-in defaults"), "{said}");
    assert!(said.contains("keys       defaults"), "{said}");
    // No Rust debug output.
    assert!(
        !said.contains("Alerts {") && !said.contains("Some("),
        "{said}"
    );

    let config = home.path().join("keys.toml");
    std::fs::write(&config, "[keys]\ntake = [\"n\"]\n").unwrap();
    let out = run(&[
        "--url",
        "ws://127.0.0.1:1/v1/ws",
        "--token",
        "t",
        "--config",
        config.to_str().unwrap(),
        "--check",
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("key n is bound to both next_waiting and take"),
        "{err}"
    );
}

/// deploy/relay-server.service with `ExecStart` on this build's binary.
fn unit_for_this_build(dir: &Path) -> std::path::PathBuf {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/relay-server.service"
    ))
    .unwrap();
    let path = dir.join("relay-server.service");
    std::fs::write(
        &path,
        unit.replace(
            "/usr/local/bin/relay-server",
            &relay_server_bin().display().to_string(),
        ),
    )
    .unwrap();
    path
}

/// The unit file systemd would load: no unknown or misspelt settings, and
/// hardened (`systemd-analyze security` rates what the service may still
/// do, 0 = nothing to 10 = everything; "OK" is below 2.5).
#[test]
fn the_systemd_unit_verifies_and_is_hardened() {
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_for_this_build(dir.path());
    let out = Proc::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
        .expect("systemd-analyze (Debian's systemd package; .ci/run installs it)");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out).trim(), "", "systemd has remarks");
    let out = Proc::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&unit)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    let level: f64 = said
        .lines()
        .find_map(|l| l.split_once("Overall exposure level for relay-server.service: "))
        .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in {said}{}", stderr(&out)));
    assert!(level <= 2.0, "exposure {level}:\n{said}");
    for setting in [
        "DynamicUser=yes",
        "StateDirectory=relay-server",
        "NoNewPrivileges=yes",
    ] {
        assert!(
            std::fs::read_to_string(&unit).unwrap().contains(setting),
            "{setting}"
        );
    }
}

/// What the unit runs, as it runs it: its config file and environment,
/// `migrate` first, then `serve` with JSON logs and metrics on loopback.
#[test]
fn the_units_config_migrates_and_serves_with_json_logs_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state/desk.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/config.toml");
    let out = Proc::new(relay_server_bin())
        .arg("migrate")
        .env("RELAY_DB", &db)
        .env("RELAY_CONFIG", config)
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let metrics = free_address();
    let server = Server::start(
        &db,
        &[
            ("RELAY_CONFIG", config),
            ("RELAY_METRICS__LISTEN", metrics.as_str()),
        ],
    );
    let got = http_get(&metrics, "/metrics", None);
    assert!(got.contains("relay_build_info{version="), "{got}");
    let health = http_get(&server.addr, "/healthz", None);
    assert!(health.contains(r#""status":"ok""#), "{health}");
    // Every log line is a JSON object with a level and a message.
    let log = std::fs::read_to_string(db.with_extension("log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            v["level"].is_string() && v["fields"]["message"].is_string(),
            "{line}"
        );
    }
    assert!(
        lines.iter().any(|l| l.contains("metrics: serving http://")),
        "{log}"
    );
}
