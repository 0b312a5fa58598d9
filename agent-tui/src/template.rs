//! Macro variables: `{name}`, `{id}`, `{eta}`, `{agent}`, ... filled from
//! the ticket; the rest stay as fill-in fields for the engineer.

use std::collections::BTreeMap;

/// A `{word}` placeholder in `text`: its byte range and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub start: usize,
    pub end: usize,
    pub name: String,
}

/// Every `{word}` (ASCII letters, digits, `_`) in `text`, in order.
pub fn placeholders(text: &str) -> Vec<Placeholder> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{' {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j > i + 1 && j < b.len() && b[j] == b'}' {
                out.push(Placeholder {
                    start: i,
                    end: j + 1,
                    name: text[i + 1..j].to_owned(),
                });
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// `body` with every known variable replaced; unknown ones stay as they are
/// and are returned, in order and without repeats, as the fields to fill.
pub fn fill(body: &str, vars: &BTreeMap<&str, String>) -> (String, Vec<String>) {
    let mut out = String::with_capacity(body.len());
    let mut fields: Vec<String> = Vec::new();
    let mut last = 0;
    for p in placeholders(body) {
        out.push_str(&body[last..p.start]);
        match vars.get(p.name.as_str()) {
            Some(v) => out.push_str(v),
            None => {
                out.push_str(&body[p.start..p.end]);
                if !fields.contains(&p.name) {
                    fields.push(p.name);
                }
            }
        }
        last = p.end;
    }
    out.push_str(&body[last..]);
    (out, fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_known_variables_and_lists_the_rest() {
        let mut vars = BTreeMap::new();
        vars.insert("name", "Олена".to_owned());
        vars.insert("id", "10042".to_owned());
        let (text, fields) = fill(
            "Hi {name}! #{id}: {what}, then {steps} and {what}. {} {x y}",
            &vars,
        );
        assert_eq!(
            text,
            "Hi Олена! #10042: {what}, then {steps} and {what}. {} {x y}"
        );
        assert_eq!(fields, vec!["what", "steps"]);
        let p = placeholders("a {b} {c");
        assert_eq!(
            p,
            vec![Placeholder {
                start: 2,
                end: 5,
                name: "b".into()
            }]
        );
    }
}
