//! TLS end to end: the relay's own TLS listener with a certificate made
//! here, agent-tui's real network worker over `wss://` trusting it with
//! `ca_file`, and clear refusals for what cannot work.

use std::time::Duration;

use agent_tui::config::FileConfig;
use agent_tui::session::{Session, text_of};
use agent_tui::state::ConnState;
use e2e::*;

const WAIT: Duration = Duration::from_secs(30);

/// A self-signed certificate for localhost and 127.0.0.1, as PEM files.
fn certificate(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (c, k) = (dir.join("desk.crt"), dir.join("desk.key"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (c, k)
}

fn session(url: &str, token: &str, ca: Option<&std::path::Path>) -> Session {
    let file = FileConfig {
        ca_file: ca.map(ToOwned::to_owned),
        ..FileConfig::default()
    };
    workstation(url, token, file, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_tui_works_over_wss_to_the_relays_own_tls_listener() {
    let (dir, db) = fresh_db(3);
    let (cert, key) = certificate(dir.path());
    let token = add_agent(&db, "anna", "supervisor", "L1");
    let (cert_s, key_s) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let server = Server::start(&db, &[("RELAY_TLS_CERT", cert_s), ("RELAY_TLS_KEY", key_s)]);
    let port = server.addr.rsplit(':').next().unwrap().to_owned();
    let url = format!("wss://localhost:{port}/v1/ws");

    // Trusting the desk's certificate: online, with the seeded tickets.
    let mut s = session(&url, &token, Some(&cert));
    assert!(
        s.pump_until(WAIT, |a| a.conn == ConnState::Online
            && a.mirror.tickets.len() == 3)
            .await,
        "online over wss: {:?}",
        s.app.conn
    );
    // A reply over TLS is applied like any other.
    let t = *s.app.mirror.tickets.keys().next().unwrap();
    s.app.open_chat(t);
    s.press("i");
    s.type_text("over TLS");
    s.press("enter");
    assert!(
        s.pump_until(WAIT, |a| a.pending.is_empty()
            && a.mirror.messages[&t].values().any(|m| m.text == "over TLS"))
            .await,
        "the reply is confirmed"
    );

    // Without the certificate the public roots do not trust it: the
    // workstation says why and how, and does not retry in a loop.
    let mut untrusting = session(&url, &token, None);
    assert!(
        untrusting
            .pump_until(WAIT, |a| matches!(a.conn, ConnState::Refused { .. }))
            .await,
        "refused: {:?}",
        untrusting.app.conn
    );
    let screen = text_of(&untrusting.render(160, 48));
    assert!(
        screen.contains("TLS") && screen.contains("--ca-file"),
        "{screen}"
    );

    // Plain ws:// to a TLS port is no WebSocket.
    let mut plain = session(&format!("ws://127.0.0.1:{port}/v1/ws"), &token, None);
    assert!(
        plain
            .pump_until(WAIT, |a| !matches!(
                a.conn,
                ConnState::Connecting { attempt: 1 } | ConnState::Online
            ))
            .await
    );
    assert_ne!(plain.app.conn, ConnState::Online);
}

#[test]
fn a_half_configured_or_unreadable_certificate_stops_the_start() {
    let (dir, db) = fresh_db(0);
    let (cert, _key) = certificate(dir.path());
    let run = |env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(relay_server_bin());
        cmd.arg("--db")
            .arg(&db)
            .args(["serve", "--listen", "127.0.0.1:0"]);
        cmd.env_remove("RELAY_CONFIG").env("RELAY_LOG", "warn");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&[("RELAY_TLS_CERT", cert.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tls_cert and tls_key go together"), "{err}");
    let missing = dir.path().join("nope.key");
    let out = run(&[
        ("RELAY_TLS_CERT", cert.to_str().unwrap()),
        ("RELAY_TLS_KEY", missing.to_str().unwrap()),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tls_key") && err.contains("nope.key"), "{err}");
}
