//! `tracing_subscriber` writers that mask each log line (one event) as a
//! whole before writing it: a number split across two `write` calls by the
//! formatter is still seen whole.

use std::fs::File;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;

use crate::mask;

/// Log lines to stderr, masked.
#[derive(Debug, Clone, Copy, Default)]
pub struct MaskedStderr;

/// Log lines appended to a file, masked.
#[derive(Debug, Clone)]
pub struct MaskedFile(Arc<Mutex<File>>);

impl MaskedFile {
    pub fn new(file: File) -> Self {
        MaskedFile(Arc::new(Mutex::new(file)))
    }
}

/// Where a finished line goes.
enum Sink {
    Stderr,
    File(Arc<Mutex<File>>),
}

/// One event being formatted; masked and written when dropped.
pub struct Line {
    buf: Vec<u8>,
    sink: Sink,
}

impl Write for Line {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.buf);
        let masked = mask(&text);
        let _ = match &self.sink {
            Sink::Stderr => io::stderr().lock().write_all(masked.as_bytes()),
            Sink::File(f) => match f.lock() {
                Ok(mut f) => f.write_all(masked.as_bytes()),
                Err(_) => Ok(()),
            },
        };
    }
}

impl<'a> MakeWriter<'a> for MaskedStderr {
    type Writer = Line;
    fn make_writer(&'a self) -> Line {
        Line {
            buf: Vec::new(),
            sink: Sink::Stderr,
        }
    }
}

impl<'a> MakeWriter<'a> for MaskedFile {
    type Writer = Line;
    fn make_writer(&'a self) -> Line {
        Line {
            buf: Vec::new(),
            sink: Sink::File(self.0.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_written_in_pieces_is_masked_whole() {
        let dir = std::env::temp_dir().join(format!("pii-{}", std::process::id()));
        let file = File::create(&dir).unwrap();
        let w = MaskedFile::new(file);
        {
            let mut line = w.make_writer();
            line.write_all(b"card 4111 1111 ").unwrap();
            line.write_all(b"1111 1111 from olena@").unwrap();
            line.write_all(b"example.ua\n").unwrap();
        }
        let got = std::fs::read_to_string(&dir).unwrap();
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(got, "card 4111 11** **** 1111 from [email]\n");
    }
}
