//! Drafts and unconfirmed commands survive a restart: they are saved to a
//! small JSON file per server and agent, and resent (same ids, so applied
//! once) at the next start.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use shared::TicketId;

use crate::compose::Compose;
use crate::state::{App, Pending};
use crate::update::Effect;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    #[serde(default)]
    pub drafts: BTreeMap<TicketId, Compose>,
    #[serde(default)]
    pub pending: Vec<Pending>,
}

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a saved state ({source}); it was left as is")]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// `dir/state-<agent>@<host_port>.json`, with anything odd in the name
/// replaced.
pub fn file_for(dir: &Path, url: &str, agent: &str) -> PathBuf {
    let host = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap_or("");
    let name: String = format!("{agent}@{host}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "@._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("state-{name}.json"))
}

pub fn load(path: &Path) -> Result<Saved, PersistError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| PersistError::Corrupt {
            path: path.to_owned(),
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Saved::default()),
        Err(source) => Err(PersistError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes atomically (a temporary file renamed over the old one).
pub fn save(path: &Path, saved: &Saved) -> Result<(), PersistError> {
    let io = |source| PersistError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(saved).expect("state serializes");
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

impl App {
    pub fn saved(&self) -> Saved {
        Saved {
            drafts: self
                .drafts
                .iter()
                .filter(|(_, d)| !d.is_empty())
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            pending: self.pending.clone(),
        }
    }

    /// Takes back a saved state: drafts not already being written, and
    /// the commands, which are sent now if online.
    pub fn restore(&mut self, saved: Saved) -> Vec<Effect> {
        for (t, d) in saved.drafts {
            let mine = self.drafts.entry(t).or_default();
            if mine.is_empty() {
                *mine = d;
            }
        }
        for mut p in saved.pending {
            if !self.pending.iter().any(|q| q.id == p.id) {
                p.sent = false;
                self.pending.push(p);
            }
        }
        self.dirty = true;
        self.send_unsent()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_files_safely_and_round_trips() {
        let p = file_for(Path::new("/d"), "ws://127.0.0.1:8470/v1/ws", "anna/x");
        assert_eq!(p, PathBuf::from("/d/state-anna_x@127.0.0.1_8470.json"));
        let dir = std::env::temp_dir().join(format!("agent-tui-persist-{}", std::process::id()));
        let path = dir.join("s.json");
        let mut s = Saved::default();
        let mut d = Compose::default();
        d.insert_str("Привіт 🙂");
        s.drafts.insert(TicketId(3), d);
        s.pending.push(Pending {
            id: shared::CommandId::new("x-1"),
            command: shared::Command::Take {
                ticket_id: TicketId(3),
            },
            sent: false,
        });
        save(&path, &s).unwrap();
        assert_eq!(load(&path).unwrap(), s);
        std::fs::write(&path, "{nope").unwrap();
        assert!(matches!(load(&path), Err(PersistError::Corrupt { .. })));
        assert_eq!(load(&dir.join("missing.json")).unwrap(), Saved::default());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
