//! Text measured in terminal columns: wrapping and truncation that get CJK
//! and emoji widths right.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to at most `max` columns, with `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// `s` cut or padded with spaces to exactly `cols` columns.
pub fn fit(s: &str, cols: usize) -> String {
    let mut t = truncate(s, cols);
    let w = width(&t);
    t.extend(std::iter::repeat_n(' ', cols.saturating_sub(w)));
    t
}

/// Right-aligned in `cols` columns.
pub fn fit_right(s: &str, cols: usize) -> String {
    let t = truncate(s, cols);
    let w = width(&t);
    let mut out: String = std::iter::repeat_n(' ', cols.saturating_sub(w)).collect();
    out.push_str(&t);
    out
}

/// Wraps `text` into lines of at most `max` columns: at spaces when it
/// can, inside a word (or CJK text, which has no spaces) when it must.
/// Line breaks in the text are kept; control characters are dropped.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut w = 0;
        for word in para.split_inclusive(' ') {
            let word: String = word.chars().filter(|c| !c.is_control()).collect();
            let ww = width(&word);
            let ww_trim = width(word.trim_end());
            if w + ww_trim > max && w > 0 {
                out.push(std::mem::take(&mut line).trim_end().to_owned());
                w = 0;
            }
            if ww_trim > max {
                // A word longer than a line: break it by columns.
                for c in word.chars() {
                    let cw = c.width().unwrap_or(0);
                    if w + cw > max {
                        out.push(std::mem::take(&mut line));
                        w = 0;
                    }
                    line.push(c);
                    w += cw;
                }
                continue;
            }
            line.push_str(&word);
            w += ww;
        }
        out.push(line.trim_end().to_owned());
    }
    out
}

/// A file size: `48 KB`, `1.5 MB`.
pub fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_by_columns_for_cjk_and_emoji() {
        assert_eq!(wrap("hello big world", 9), vec!["hello big", "world"]);
        assert_eq!(wrap("你好世界你好", 5), vec!["你好", "世界", "你好"]);
        assert_eq!(wrap("ok 🙂🙂🙂", 4), vec!["ok", "🙂🙂", "🙂"]);
        assert_eq!(wrap("a\n\nb", 10), vec!["a", "", "b"]);
        assert_eq!(truncate("王伟王伟", 5), "王伟…");
        assert_eq!(fit("王", 3), "王 ");
        assert_eq!(fit_right("ab", 4), "  ab");
        for line in wrap("Дмитрий пишет очень длинное сообщение без пауз", 12)
        {
            assert!(width(&line) <= 12, "{line}");
        }
    }
}
