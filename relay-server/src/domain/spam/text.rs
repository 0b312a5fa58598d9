//! Text as the safety checks read it: lower case, invisible characters
//! gone, full-width forms folded, and look-alike letters seen through.
//! Spammers write "FR3E", "f r e e", "frее" (Cyrillic е) and hide
//! zero-width spaces between letters; every check works on what a reader
//! sees, not on the bytes.

/// Characters that show nothing: zero-width spaces and joiners, the soft
/// hyphen, the byte-order mark, bidi controls, variation selectors.
pub fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}')
}

/// Full-width ASCII (ＦＲＥＥ) as plain ASCII.
fn narrow(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Lower case, invisible characters removed, full-width folded.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| !invisible(*c)).map(narrow) {
        out.extend(c.to_lowercase());
    }
    out
}

/// The Latin letter a look-alike stands for (Cyrillic, Greek, and digits
/// used as letters), or the letter itself.
pub fn latin_lookalike(c: char) -> char {
    match c {
        'а' | 'α' => 'a',
        'в' | 'β' => 'b',
        'с' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'ё' | 'є' | 'ε' => 'e',
        'һ' => 'h',
        'і' | 'ї' | 'ι' | 'ı' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'м' => 'm',
        'н' | 'η' => 'h',
        'о' | 'ο' | 'σ' | '0' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' | '5' | '$' => 's',
        'т' | 'τ' | '7' => 't',
        'у' | 'γ' => 'y',
        'ν' => 'v',
        'ԝ' | 'ω' => 'w',
        'х' | 'χ' => 'x',
        '1' | '|' => 'l',
        '3' => 'e',
        '4' | '@' => 'a',
        _ => c,
    }
}

/// A name's skeleton for comparing look-alikes: folded, look-alike letters
/// as Latin, "rn" as "m" and "vv" as "w", and nothing but letters and
/// digits ("Ιra_Supp0rt" and "ira support" have the same skeleton).
pub fn skeleton(s: &str) -> String {
    let mapped: String = fold(s)
        .chars()
        .map(latin_lookalike)
        .filter(|c| c.is_alphanumeric())
        .collect();
    mapped.replace("rn", "m").replace("vv", "w")
}

/// Which script a letter is in, as far as mixing matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Cyrillic,
    Greek,
    Other,
}

fn script(c: char) -> Script {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' => Script::Latin,
        '\u{0400}'..='\u{052F}' => Script::Cyrillic,
        '\u{0370}'..='\u{03FF}' => Script::Greek,
        _ => Script::Other,
    }
}

/// A word that mixes Latin with Cyrillic or Greek letters ("раypal"):
/// nobody types that by accident.
pub fn mixed_script(word: &str) -> bool {
    let mut seen: Option<Script> = None;
    for c in word.chars().filter(|c| c.is_alphabetic()) {
        match (seen, script(c)) {
            (_, Script::Other) => {}
            (None, s) => seen = Some(s),
            (Some(a), b) if a != b => return true,
            _ => {}
        }
    }
    false
}

/// Chinese, Japanese or Korean: written without spaces, read by character.
pub fn cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}' | '\u{F900}'..='\u{FAFF}')
}

/// A word with digits standing in for letters ("fr33", "m0ney") read as
/// letters; a number stays a number.
pub fn unleet(word: &str) -> String {
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    if letters == 0 || !word.chars().any(|c| c.is_ascii_digit()) {
        return word.to_owned();
    }
    word.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' => 'i',
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            '7' => 't',
            '@' => 'a',
            '$' => 's',
            c => c,
        })
        .collect()
}

/// The words of a folded text (runs of letters, digits and the look-alike
/// symbols spammers put inside words), with letters spaced out one by one
/// ("f r e e m o n e y") joined back together, and each word's
/// look-alikes read as the script most of it is written in.
pub fn words(folded: &str) -> Vec<String> {
    let mut raw: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in folded.chars() {
        let inside = c.is_alphanumeric() && !cjk(c)
            || matches!(c, '@' | '$') && !cur.is_empty()
            || c == '\'';
        if inside {
            cur.push(c);
        } else if !cur.is_empty() {
            raw.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        raw.push(cur);
    }
    // Single letters in a row of four or more: one spaced-out word.
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, out: &mut Vec<String>| {
        if run.len() >= 4 {
            out.push(run.concat());
        } else {
            out.append(run);
        }
        run.clear();
    };
    for w in raw {
        if w.chars().count() == 1 && w.chars().all(char::is_alphabetic) {
            run.push(w);
        } else {
            flush(&mut run, &mut out);
            out.push(w);
        }
    }
    flush(&mut run, &mut out);
    out.into_iter()
        .map(|w| {
            let w = w.trim_matches(|c| matches!(c, '\'' | '@' | '$')).to_owned();
            if mixed_script(&w) {
                w.chars().map(latin_lookalike).collect()
            } else {
                unleet(&w)
            }
        })
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_wide_characters_are_read_through() {
        assert_eq!(fold("Ｆｒｅ\u{200B}e"), "free");
        assert_eq!(fold("ПРИВЕТ"), "привет");
    }

    #[test]
    fn lookalikes_share_a_skeleton() {
        assert_eq!(skeleton("Ιra_Supp0rt"), skeleton("ira support"));
        assert_eq!(skeleton("Ira Suрроrt"), "irasupport"); // Cyrillic р, о
        assert_eq!(skeleton("rnax"), skeleton("max"));
        assert_ne!(skeleton("Ira"), skeleton("Irina"));
    }

    #[test]
    fn mixed_scripts_are_seen_and_plain_words_are_not() {
        assert!(mixed_script("раypal")); // Cyrillic р, а
        assert!(!mixed_script("paypal"));
        assert!(!mixed_script("привіт"));
        assert!(!mixed_script("api2"));
    }

    #[test]
    fn words_undo_the_spammers_tricks() {
        assert_eq!(words(&fold("F R E E money")), ["free", "money"]);
        assert_eq!(words(&fold("fr33 m0ney 500")), ["free", "money", "500"]);
        assert_eq!(words(&fold("раypal login")), ["paypal", "login"]);
        assert_eq!(
            words(&fold("дякую, все працює")),
            ["дякую", "все", "працює"]
        );
        // A short run of single letters stays as it is.
        assert_eq!(words("a b c"), ["a", "b", "c"]);
        // Chinese is not split into words here.
        assert_eq!(words("导出失败 error 502"), ["error", "502"]);
    }
}
