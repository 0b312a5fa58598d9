//! Checks on what people type: message text, tags, names.

use shared::{MAX_TEXT_UTF16, utf16_len};

use super::DomainError;

/// Control characters other than tab and newlines are refused.
fn has_bad_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
}

/// Message text: not blank, at most Telegram's 4096 UTF-16 units, no control
/// characters but tab and newlines. Any other Unicode is kept as typed.
pub fn text(s: &str) -> Result<(), DomainError> {
    if s.trim().is_empty() {
        return Err(DomainError::invalid("text is empty"));
    }
    let len = utf16_len(s);
    if len > MAX_TEXT_UTF16 {
        return Err(DomainError::invalid(format!(
            "text is {len} UTF-16 units long; Telegram's limit is {MAX_TEXT_UTF16}"
        )));
    }
    if has_bad_control(s) {
        return Err(DomainError::invalid("text contains control characters"));
    }
    Ok(())
}

/// Normalizes a tag (trimmed, lowercase) and checks it: 1-32 characters,
/// no whitespace, commas or control characters.
pub fn tag(raw: &str) -> Result<String, DomainError> {
    let t = raw.trim().to_lowercase();
    let n = t.chars().count();
    if n == 0
        || n > 32
        || t.chars()
            .any(|c| c.is_whitespace() || c == ',' || c.is_control())
    {
        return Err(DomainError::invalid(format!(
            "tag {raw:?} must be 1-32 characters without spaces or commas"
        )));
    }
    Ok(t)
}

/// Agent login names: 1-32 of `a-z 0-9 . _ -`.
pub fn agent_name(s: &str) -> Result<(), DomainError> {
    let ok = (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(format!(
            "agent name {s:?} must be 1-32 characters of a-z, 0-9, '.', '_' or '-'"
        )))
    }
}

/// Display names: 1-64 characters, no control characters.
pub fn display_name(s: &str) -> Result<(), DomainError> {
    let n = s.trim().chars().count();
    if n == 0 || n > 64 || has_bad_control(s) || s.contains(['\n', '\r', '\t']) {
        return Err(DomainError::invalid(format!(
            "display name {s:?} must be 1-64 characters on one line"
        )));
    }
    Ok(())
}

pub fn is_queue_id(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_accepts_any_script_and_emoji() {
        for s in [
            "Привіт",
            "你好，我的付款失败了",
            "👩‍💻 ok",
            "مرحبا",
            "line\nline\ttab",
        ] {
            assert!(text(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn text_refuses_blank_control_and_oversize() {
        assert!(text("   \n").is_err());
        assert!(text("bell\u{7}").is_err());
        assert!(text("nul\0").is_err());
        assert!(text(&"a".repeat(4096)).is_ok());
        assert!(text(&"a".repeat(4097)).is_err());
        // 2048 emoji are 4096 UTF-16 units; one more is over.
        assert!(text(&"😀".repeat(2048)).is_ok());
        assert!(text(&"😀".repeat(2049)).is_err());
    }

    #[test]
    fn tags_are_normalized_and_checked() {
        assert_eq!(tag("  Billing ").unwrap(), "billing");
        assert_eq!(tag("оплата").unwrap(), "оплата");
        assert!(tag("two words").is_err());
        assert!(tag("a,b").is_err());
        assert!(tag("").is_err());
        assert!(tag(&"x".repeat(33)).is_err());
    }

    #[test]
    fn agent_names() {
        assert!(agent_name("alice.l1").is_ok());
        assert!(agent_name("Alice").is_err());
        assert!(agent_name("").is_err());
    }
}
