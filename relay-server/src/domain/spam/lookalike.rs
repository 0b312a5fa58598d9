//! Names that imitate staff: "Ira Kovalenko" joining as "Ira Kovalenkо"
//! (Cyrillic о), "ira_support", "Irа | Support team". Only newcomers and
//! members whose name just changed are compared, so a client who happens
//! to share a first name with an engineer is not flagged for years.

use super::text::skeleton;

/// Words a clone adds to look official, in the four languages.
const ROLE_WORDS: &[&str] = &[
    "support",
    "admin",
    "administrator",
    "helpdesk",
    "help",
    "official",
    "team",
    "service",
    "manager",
    "moderator",
    "підтримка",
    "адмін",
    "адміністратор",
    "поддержка",
    "админ",
    "администратор",
    "客服",
    "管理员",
    "官方",
];

/// Levenshtein distance over characters, stopping early past `max`.
fn distance(a: &[char], b: &[char], max: usize) -> usize {
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        let mut best = cur[0];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            best = best.min(cur[j + 1]);
        }
        if best > max {
            return max + 1;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// A staff member's names to protect: their display name, Telegram name
/// and username.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffName {
    /// How staff are told about it ("Ira Kovalenko (@ira_k)").
    pub label: String,
    pub names: Vec<String>,
}

/// The staff member a name or username imitates, if any:
/// - the same letters once look-alikes are read as Latin (the name itself
///   counts: a newcomer called exactly like an engineer);
/// - within `max` edits of a staff name of at least six letters;
/// - a staff name (three letters or more) with a role word ("support",
///   "admin", "підтримка", "客服").
pub fn imitates<'s>(candidate: &[&str], staff: &'s [StaffName], max: u32) -> Option<&'s str> {
    let roles: Vec<String> = ROLE_WORDS.iter().map(|w| skeleton(w)).collect();
    for c in candidate
        .iter()
        .map(|c| skeleton(c))
        .filter(|c| !c.is_empty())
    {
        let cc: Vec<char> = c.chars().collect();
        let role = roles.iter().any(|r| c.contains(r.as_str()));
        for s in staff {
            for name in s.names.iter().map(|n| skeleton(n)) {
                let nc: Vec<char> = name.chars().collect();
                if nc.len() < 3 {
                    continue;
                }
                let same = c == name;
                let near = nc.len() >= 6
                    && cc.len() >= 6
                    && distance(&cc, &nc, max as usize) <= max as usize;
                let dressed = role && c.contains(name.as_str());
                if same || near || dressed {
                    return Some(&s.label);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ira() -> Vec<StaffName> {
        vec![StaffName {
            label: "Ira Kovalenko (@ira_k)".into(),
            names: vec!["Ira Kovalenko".into(), "ira_k".into(), "Ira".into()],
        }]
    }

    #[test]
    fn clones_of_staff_are_caught() {
        let staff = ira();
        for clone in [
            "Ira Kovalenkо",      // Cyrillic о
            "Ira Kovalenko",      // the very name
            "lra Kovalenko",      // l for I
            "Ira Kovalenk",       // one letter short
            "Ira | Support team", // a staff name dressed up
            "ira_support",
            "Ira підтримка",
        ] {
            assert_eq!(
                imitates(&[clone], &staff, 2),
                Some("Ira Kovalenko (@ira_k)"),
                "{clone}"
            );
        }
    }

    #[test]
    fn ordinary_names_pass() {
        let staff = ira();
        for name in [
            "Irina Shevchenko",
            "Olga Marsh",
            "Support of Globex",
            "Max",
            "Kirill",
            "王芳",
        ] {
            assert_eq!(imitates(&[name], &staff, 2), None, "{name}");
        }
    }

    #[test]
    fn distance_counts_edits() {
        let d = |a: &str, b: &str| {
            let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            distance(&a, &b, 5)
        };
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("same", "same"), 0);
        assert_eq!(d("", "abc"), 3);
    }
}
