//! Finding personal data in text: payment card numbers, e-mail
//! addresses and phone numbers. Every log line goes through [`mask`]
//! (customers paste these into chats, and a trace log records what was
//! sent); a desk may also mask what it stores (`[privacy] mask_stored`).
//!
//! The rules (docs/privacy.md):
//! - a **card number** is a run of 13-19 digits starting with 2-6, alone
//!   or in groups split by single spaces or dashes, that passes the Luhn
//!   check: the first 6 and last 4 digits stay, the others become `*`,
//!   separators are kept (digits after it, an expiry or a CVV, stay);
//! - an **e-mail address** is `local@domain.tld`: it becomes `[email]`;
//! - a **phone number** is `+` and 8-15 digits (groups split by single
//!   spaces, dashes, dots or a bracketed area code), or 9-15 digits in at
//!   least three groups split by spaces, dashes or brackets: it becomes
//!   `[phone]`. A run of digits without separators or `+` (an id, a count,
//!   a timestamp) is left alone unless it is a card number.
//!
//! A number counts as one when it starts a word; an escape (`\n`) or a
//! terminal colour code just before it does not hide it.

use std::borrow::Cow;

/// `text` with card numbers, e-mail addresses and phone numbers masked.
/// Borrowed back unchanged when there is nothing to mask.
pub fn mask(text: &str) -> Cow<'_, str> {
    if !text.bytes().any(|b| b.is_ascii_digit() || b == b'@') {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::new();
    // Bytes before `copied` are in `out` already (once anything changed).
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let found = if bytes[i] == b'@' {
            email_around(bytes, i).map(|(start, end)| (start, end, "[email]".to_owned()))
        } else if starts_number(bytes, i) {
            number_at(text, i)
        } else {
            None
        };
        match found {
            Some((start, end, with)) if start >= copied => {
                out.push_str(&text[copied..start]);
                out.push_str(&with);
                copied = end;
                i = end;
            }
            Some((_, end, _)) => i = end.max(i + 1),
            None => i += 1,
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

/// The e-mail address around the `@` at `at`: (start, end).
fn email_around(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut start = at;
    while start > 0 && is_local(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = at + 1;
    while end < bytes.len() && is_domain(bytes[end]) {
        end += 1;
    }
    // A sentence's full stop is not part of the domain.
    while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-') {
        end -= 1;
    }
    let domain = std::str::from_utf8(&bytes[at + 1..end]).ok()?;
    let tld = domain.rsplit('.').next()?;
    let ok = start < at
        && domain.contains('.')
        && !domain.starts_with('.')
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_alphabetic());
    ok.then_some((start, end))
}

/// Whether the byte before `i` ends a word, as far as a number starting
/// at `i` is concerned: the start of the text, a byte that is not a letter,
/// digit or `_`, or a letter that is really an escape (`\n`, `\t`, `\r`
/// in a JSON or debug-printed string) or the end of a terminal colour code
/// (`ESC[0m`).
fn boundary_before(bytes: &[u8], i: usize) -> bool {
    if i == 0 {
        return true;
    }
    let prev = bytes[i - 1];
    if !(prev.is_ascii_alphanumeric() || prev == b'_') {
        return true;
    }
    if matches!(prev, b'n' | b't' | b'r') && i >= 2 && bytes[i - 2] == b'\\' {
        return true;
    }
    if prev == b'm' {
        let mut k = i - 1;
        while k > 0 && (bytes[k - 1].is_ascii_digit() || bytes[k - 1] == b';') {
            k -= 1;
        }
        return k >= 2 && bytes[k - 1] == b'[' && bytes[k - 2] == 0x1b;
    }
    false
}

/// Whether a number may start at `i`: a digit, `+` or `(` before a digit,
/// not in the middle of a word or of a longer number.
fn starts_number(bytes: &[u8], i: usize) -> bool {
    let first = bytes[i];
    let next_digit = |k: usize| bytes.get(k).is_some_and(u8::is_ascii_digit);
    let opens = first.is_ascii_digit() || (matches!(first, b'+' | b'(') && next_digit(i + 1));
    opens && boundary_before(bytes, i)
}

/// The length of a separator at `j` that leads on to more digits (0 when
/// there is none): a space, dash or dot, or a bracket around an area code.
fn separator(bytes: &[u8], j: usize) -> usize {
    let at = |k: usize| bytes.get(k).copied();
    let digit = |k: usize| at(k).is_some_and(|b| b.is_ascii_digit());
    match at(j) {
        Some(b' ' | b'-' | b'.' | b'(' | b')') if digit(j + 1) => 1,
        Some(b' ') if at(j + 1) == Some(b'(') && digit(j + 2) => 2,
        Some(b')') if matches!(at(j + 1), Some(b' ' | b'-')) && digit(j + 2) => 2,
        _ => 0,
    }
}

/// A card number or a phone number starting at `i`: (start, end, masked).
/// The longest one wins; when the whole run of digit groups is neither
/// (a card followed by its expiry or CVV, a phone by an extension), each
/// shorter run ending at a group boundary is tried.
fn number_at(text: &str, i: usize) -> Option<(usize, usize, String)> {
    let bytes = text.as_bytes();
    let plus = bytes[i] == b'+';
    let mut j = if plus { i + 1 } else { i };
    // Where each digit group ends: (end, digits so far, groups so far, dots so far).
    let mut ends: Vec<(usize, usize, usize, bool)> = Vec::new();
    let (mut digits, mut groups, mut dots) = (0usize, 0usize, false);
    while j < bytes.len() {
        if bytes[j].is_ascii_digit() {
            if j == i || !bytes[j - 1].is_ascii_digit() {
                groups += 1;
            }
            digits += 1;
            j += 1;
            if !bytes.get(j).is_some_and(u8::is_ascii_digit) {
                ends.push((j, digits, groups, dots));
            }
            continue;
        }
        let n = separator(bytes, j);
        if n == 0 || (digits == 0 && bytes[j] != b'(') {
            break;
        }
        dots |= bytes[j] == b'.';
        j += n;
    }
    let &(last, ..) = ends.last()?;
    // A number glued to a following letter ("123abc", a timestamp's "T")
    // is part of a word.
    if bytes
        .get(last)
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        return None;
    }
    ends.iter()
        .rev()
        .find_map(|&(end, digits, groups, dots)| classify(text, i, end, plus, digits, groups, dots))
}

/// Whether `text[i..end]` is a card number or a phone number; masked.
fn classify(
    text: &str,
    i: usize,
    end: usize,
    plus: bool,
    digits: usize,
    groups: usize,
    dots: bool,
) -> Option<(usize, usize, String)> {
    let span = &text[i..end];
    // Card numbers start with 2-6 (Mastercard, Amex, JCB, Diners, Visa,
    // Discover, UnionPay); ids and millisecond timestamps start with 1.
    let issuer = span
        .bytes()
        .find(u8::is_ascii_digit)
        .is_some_and(|d| (b'2'..=b'6').contains(&d));
    if (13..=19).contains(&digits) && !dots && !plus && issuer && luhn(span) {
        return Some((i, end, card(span)));
    }
    // An ISO date ("2026-11-26 10") is not a phone number.
    let date = span.len() > 4
        && span.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && span.as_bytes()[4] == b'-';
    let phone = (plus && (8..=15).contains(&digits))
        || (!plus && !dots && !date && groups >= 3 && (9..=15).contains(&digits));
    phone.then(|| (i, end, "[phone]".to_owned()))
}

/// The Luhn check over the digits of `span`.
fn luhn(span: &str) -> bool {
    let mut sum = 0;
    for (k, d) in span
        .bytes()
        .rev()
        .filter(u8::is_ascii_digit)
        .map(|b| u32::from(b - b'0'))
        .enumerate()
    {
        sum += if k % 2 == 1 {
            let x = d * 2;
            if x > 9 { x - 9 } else { x }
        } else {
            d
        };
    }
    sum % 10 == 0
}

/// A card number with all but its first 6 and last 4 digits as `*`.
fn card(span: &str) -> String {
    let total = span.bytes().filter(u8::is_ascii_digit).count();
    let mut seen = 0;
    span.chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= 6 || seen > total - 4 {
                c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_keep_their_first_six_and_last_four_digits() {
        for (raw, masked) in [
            ("4111111111111111", "411111******1111"),
            ("4111 1111 1111 1111", "4111 11** **** 1111"),
            ("5500-0000-0000-0004", "5500-00**-****-0004"),
            ("378282246310005", "378282*****0005"),
            ("6011 0009 9013 9424", "6011 00** **** 9424"),
        ] {
            assert_eq!(
                mask(&format!("pay with {raw}, ok?")),
                format!("pay with {masked}, ok?")
            );
        }
    }

    #[test]
    fn a_number_that_fails_the_luhn_check_or_is_too_short_is_not_a_card() {
        for kept in [
            "4111111111111112",
            "order 123456789012",
            "update 912345678 from chat 5012345678",
            "at 1700000000001",
        ] {
            assert_eq!(mask(kept), kept);
        }
    }

    #[test]
    fn e_mail_addresses_are_replaced() {
        assert_eq!(
            mask("write to olena.k+billing@mail.example.com."),
            "write to [email]."
        );
        assert_eq!(mask("\"ivan_99@gmail.com\""), "\"[email]\"");
        for kept in ["@support_bot", "a @ b", "user@localhost", "x@y.1"] {
            assert_eq!(mask(kept), kept);
        }
    }

    #[test]
    fn phone_numbers_are_replaced() {
        for raw in [
            "+380501234567",
            "+380 50 123 45 67",
            "+1 (555) 123-4567",
            "+44 20 7946 0958",
            "+7-912-345-67-89",
            "050 123 45 67",
            "(555) 123-4567",
            "+86 138 0013 8000",
        ] {
            assert_eq!(
                mask(&format!("call {raw} now")),
                "call [phone] now",
                "{raw}"
            );
        }
        for kept in [
            "2026-11-26 10:15",
            "127.0.0.1:8470",
            "v1.2.3",
            "ticket #10007",
            "seq 48210",
            "+15 min",
            "3 x 4 = 12",
        ] {
            assert_eq!(mask(kept), kept);
        }
    }

    /// Found by review: a card right after an escaped newline or a colour
    /// code, or followed by its expiry or CVV, or a phone by more digits.
    #[test]
    fn numbers_after_escapes_and_colour_codes_and_before_more_digits() {
        for (raw, masked) in [
            (
                r#""Card:\n4111111111111111""#,
                r#""Card:\n411111******1111""#,
            ),
            (r#""\n+380501234567""#, r#""\n[phone]""#),
            (
                "\u{1b}[0m4111 1111 1111 1111",
                "\u{1b}[0m4111 11** **** 1111",
            ),
            (
                "text=\u{1b}[3m4111111111111111\u{1b}[0m",
                "text=\u{1b}[3m411111******1111\u{1b}[0m",
            ),
            ("4111111111111111 123", "411111******1111 123"),
            ("4111 1111 1111 1111 12/27", "4111 11** **** 1111 12/27"),
            ("+380501234567 1234", "[phone] 1234"),
        ] {
            assert_eq!(mask(raw), masked, "{raw}");
        }
    }

    /// Millisecond timestamps and supergroup ids pass Luhn one time in ten;
    /// they start with 1, which no card does.
    #[test]
    fn timestamps_and_supergroup_ids_are_not_cards() {
        for kept in ["at=1795720283120", "chat=-1001234567896", "1000000000009"] {
            assert_eq!(mask(kept), kept);
        }
    }

    #[test]
    fn everything_in_one_line_and_odd_unicode_around_it() {
        let line = "Олена 😟: карта 4111 1111 1111 1111, пошта olena@example.ua, тел. +380 50 123 45 67 — 谢谢";
        assert_eq!(
            mask(line),
            "Олена 😟: карта 4111 11** **** 1111, пошта [email], тел. [phone] — 谢谢"
        );
        assert!(matches!(mask("nothing here"), Cow::Borrowed(_)));
    }
}
