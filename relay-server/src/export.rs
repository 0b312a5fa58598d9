//! Writing a customer's data export to a directory: `export.json` and the
//! files of their messages that this server keeps (docs/privacy.md).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::domain::privacy::Export;
use crate::files::{FileStore, clean_name};

/// A file of the export: where it went, or why it is not there.
#[derive(Debug, Serialize)]
pub struct FileEntry {
    pub message_id: i64,
    pub file_name: Option<String>,
    /// Path inside the export directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_as: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_saved: Option<&'static str>,
}

/// What was written.
#[derive(Debug)]
pub struct Written {
    pub json: PathBuf,
    pub messages: usize,
    pub files_saved: usize,
    pub files_missing: usize,
}

#[derive(Serialize)]
struct Document<'a> {
    #[serde(flatten)]
    export: &'a Export,
    files: Vec<FileEntry>,
}

/// Creates `dir` (owner only) and writes the export into it. `dir` must
/// not exist, or be empty.
pub fn write(export: &Export, files: &FileStore, dir: &Path) -> std::io::Result<Written> {
    let existed = dir.exists();
    if existed && std::fs::read_dir(dir)?.next().is_some() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} is not empty; give a new directory", dir.display()),
        ));
    }
    let written = write_into(export, files, dir);
    if written.is_err() {
        // A half-written export is not left behind (it holds personal data).
        if existed {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let _ =
                    std::fs::remove_dir_all(e.path()).or_else(|_| std::fs::remove_file(e.path()));
            }
        } else {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    written
}

fn write_into(export: &Export, files: &FileStore, dir: &Path) -> std::io::Result<Written> {
    private_dir(dir)?;
    private_dir(&dir.join("files"))?;
    let mut entries = Vec::new();
    let (mut saved, mut missing, mut messages) = (0, 0, 0);
    for t in &export.tickets {
        for m in &t.messages {
            messages += 1;
            for (n, a) in m.attachments.iter().enumerate() {
                let kept = files
                    .uploaded(&a.file_id)
                    .unwrap_or_else(|| files.cache_path(&a.file_id));
                let name = format!(
                    "{}-{}-{}",
                    m.id.0,
                    n + 1,
                    clean_name(a.file_name.as_deref().unwrap_or("file"))
                );
                let entry = if kept.is_file() {
                    std::fs::copy(&kept, dir.join("files").join(&name))?;
                    saved += 1;
                    FileEntry {
                        message_id: m.id.0,
                        file_name: a.file_name.clone(),
                        saved_as: Some(format!("files/{name}")),
                        not_saved: None,
                    }
                } else {
                    missing += 1;
                    FileEntry {
                        message_id: m.id.0,
                        file_name: a.file_name.clone(),
                        saved_as: None,
                        not_saved: Some(
                            "not kept on this server (never opened by an engineer, or evicted from the cache); it stays in the Telegram chat",
                        ),
                    }
                };
                entries.push(entry);
            }
        }
    }
    let json = dir.join("export.json");
    let body = serde_json::to_vec_pretty(&Document {
        export,
        files: entries,
    })
    .map_err(std::io::Error::other)?;
    write_private(&json, &body)?;
    Ok(Written {
        json,
        messages,
        files_saved: saved,
        files_missing: missing,
    })
}

fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

fn write_private(path: &Path, body: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)?.write_all(body)
}
