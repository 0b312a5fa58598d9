//! Files on disk: engineers' uploads waiting to go to customers, and a
//! size-capped cache of attachments fetched from Telegram. Paths are
//! derived here only (never from a name a client sent), so nothing
//! outside the files directory can be read or written.

use std::path::{Path, PathBuf};

use sha2::Digest;
use shared::UPLOAD_FILE_PREFIX;

/// The files directory: `uploads/` and `cache/`.
#[derive(Debug, Clone)]
pub struct FileStore {
    uploads: PathBuf,
    cache: PathBuf,
    cache_cap_bytes: u64,
}

impl FileStore {
    /// Creates the directories under `root`.
    pub fn open(root: &Path, cache_cap_bytes: u64) -> std::io::Result<FileStore> {
        let s = FileStore {
            uploads: root.join("uploads"),
            cache: root.join("cache"),
            cache_cap_bytes,
        };
        std::fs::create_dir_all(&s.uploads)?;
        std::fs::create_dir_all(&s.cache)?;
        Ok(s)
    }

    /// A fresh upload id: 128 random bits, hex.
    pub fn new_upload_id() -> String {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b).expect("the OS random source");
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Where an upload's bytes are; `None` for an id that is not ours.
    pub fn upload_path(&self, id: &str) -> Option<PathBuf> {
        (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| self.uploads.join(id))
    }

    /// For `upload:<id>` file ids, the upload's path.
    pub fn uploaded(&self, file_id: &str) -> Option<PathBuf> {
        file_id
            .strip_prefix(UPLOAD_FILE_PREFIX)
            .and_then(|id| self.upload_path(id))
    }

    /// Where a Telegram file is cached (named by the hash of its id).
    pub fn cache_path(&self, file_id: &str) -> PathBuf {
        let h = sha2::Sha256::digest(file_id.as_bytes());
        let name: String = h.iter().map(|x| format!("{x:02x}")).collect();
        self.cache.join(name)
    }

    /// Deletes the cached copies and uploads of these file ids (an erased
    /// customer's attachments). Returns how many files were there.
    pub fn forget(&self, file_ids: &[String]) -> usize {
        let mut n = 0;
        for id in file_ids {
            let path = self.uploaded(id).unwrap_or_else(|| self.cache_path(id));
            if std::fs::remove_file(&path).is_ok() {
                n += 1;
            }
        }
        n
    }

    /// A temporary file beside `path`, renamed over it once complete.
    pub fn partial(path: &Path) -> PathBuf {
        let mut p = path.as_os_str().to_owned();
        p.push(format!(".part{}", FileStore::new_upload_id()));
        PathBuf::from(p)
    }

    /// Marks a cached file as used now (the order eviction follows; access
    /// times are not to be trusted on relatime or noatime mounts).
    pub fn touch(&self, path: &Path) {
        if let Ok(f) = std::fs::File::options().write(true).open(path) {
            let _ = f.set_modified(std::time::SystemTime::now());
        }
    }

    /// Removes the least recently used cached files until the cache is
    /// under its cap, never `keep` (the file just fetched) nor a download
    /// still being written. Returns how many bytes were freed.
    pub fn evict(&self, keep: &Path) -> std::io::Result<u64> {
        let mut files = Vec::new();
        let mut total = 0u64;
        for e in std::fs::read_dir(&self.cache)? {
            let Ok(e) = e else { continue };
            let Ok(meta) = e.metadata() else { continue };
            let path = e.path();
            let partial = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains(".part"));
            if !meta.is_file() || partial {
                continue;
            }
            total += meta.len();
            if path != keep {
                files.push((meta.modified()?, meta.len(), path));
            }
        }
        files.sort();
        let mut freed = 0;
        for (_, len, path) in files {
            if total - freed <= self.cache_cap_bytes {
                break;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => freed += len,
                // Another request evicted it first.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(freed)
    }
}

/// A file name safe to show and to put in Content-Disposition: no path,
/// no control characters, no quotes; at most 128 characters.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(128)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.');
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned.to_owned()
    }
}

/// A MIME type from a file name's extension (the common ones customers
/// and engineers exchange).
pub fn mime_of(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "zip" => "application/zip",
        "mp4" => "video/mp4",
        "ogg" | "oga" => "audio/ogg",
        "mp3" => "audio/mpeg",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths_never_leave_the_files_directory() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileStore::open(dir.path(), 1000).unwrap();
        assert_eq!(s.upload_path("../../etc/passwd"), None);
        assert_eq!(s.uploaded("upload:../x"), None);
        let id = FileStore::new_upload_id();
        assert_eq!(
            s.uploaded(&format!("upload:{id}")),
            Some(dir.path().join("uploads").join(&id))
        );
        assert!(
            s.cache_path("../../x")
                .starts_with(dir.path().join("cache"))
        );
        assert_eq!(clean_name("../../etc/pass\"wd\n"), "passwd");
        assert_eq!(clean_name("C:\\Users\\me\\scan.pdf"), "scan.pdf");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(mime_of("Photo.JPG"), Some("image/jpeg"));
        assert_eq!(mime_of("noext"), None);
    }

    #[test]
    fn the_cache_keeps_under_its_cap_dropping_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileStore::open(dir.path(), 250).unwrap();
        for (i, id) in ["a", "b", "c"].iter().enumerate() {
            std::fs::write(s.cache_path(id), vec![0u8; 100]).unwrap();
            let t =
                std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1000 + i as u64);
            let f = std::fs::File::options()
                .write(true)
                .open(s.cache_path(id))
                .unwrap();
            f.set_times(std::fs::FileTimes::new().set_accessed(t).set_modified(t))
                .unwrap();
        }
        // A download being written is neither counted nor removed.
        std::fs::write(FileStore::partial(&s.cache_path("d")), vec![0u8; 500]).unwrap();
        // "a" was used again: "b" is the least recently used.
        s.touch(&s.cache_path("a"));
        assert_eq!(s.evict(&s.cache_path("c")).unwrap(), 100);
        assert!(!s.cache_path("b").exists());
        assert!(s.cache_path("a").exists() && s.cache_path("c").exists());
        // The file just fetched stays even when it alone is over the cap.
        std::fs::write(s.cache_path("big"), vec![0u8; 400]).unwrap();
        s.evict(&s.cache_path("big")).unwrap();
        assert!(s.cache_path("big").exists());
    }
}
