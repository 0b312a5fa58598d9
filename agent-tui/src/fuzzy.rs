//! Fuzzy ranking for the macro picker and the command palette, over
//! nucleo's matcher. The rest of the app sees only [`Ranker`] and [`Hit`],
//! so the matching engine can change in this one module.

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// One field of a candidate, with its weight.
pub struct Field<'a> {
    pub text: &'a str,
    /// Multiplies the field's score; a prefix match on a field with
    /// `prefix_bonus` adds a large bonus (macro shortcuts).
    pub weight: u32,
    pub prefix_bonus: bool,
}

/// A ranked candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index into the candidates given to [`Ranker::rank`].
    pub index: usize,
    pub score: u32,
    /// Matched character positions (char indices) per field.
    pub matched: Vec<Vec<u32>>,
}

pub struct Ranker {
    matcher: Matcher,
    buf: Vec<char>,
    indices: Vec<u32>,
}

impl Default for Ranker {
    fn default() -> Self {
        Ranker {
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
            indices: Vec::new(),
        }
    }
}

impl Ranker {
    /// Ranks `candidates` (each a list of fields) against `query`: best
    /// first, ties in the given order. An empty query keeps every candidate
    /// in order. Words of the query must all match (each in any field).
    pub fn rank<'a, I>(&mut self, query: &str, candidates: I) -> Vec<Hit>
    where
        I: IntoIterator<Item = Vec<Field<'a>>>,
    {
        let query = query.trim();
        let pattern = Pattern::new(
            query,
            CaseMatching::Smart,
            Normalization::Smart,
            AtomKind::Fuzzy,
        );
        let lower = query.to_lowercase();
        let mut hits = Vec::new();
        for (index, fields) in candidates.into_iter().enumerate() {
            if query.is_empty() {
                hits.push(Hit {
                    index,
                    score: 0,
                    matched: vec![Vec::new(); fields.len()],
                });
                continue;
            }
            if let Some(hit) = self.score(index, &pattern, &lower, &fields) {
                hits.push(hit);
            }
        }
        hits.sort_by(|a, b| b.score.cmp(&a.score).then(a.index.cmp(&b.index)));
        hits
    }

    fn score(
        &mut self,
        index: usize,
        pattern: &Pattern,
        lower: &str,
        fields: &[Field<'_>],
    ) -> Option<Hit> {
        let mut matched = vec![Vec::new(); fields.len()];
        let mut total = 0u32;
        // Every atom (word) of the query must match some field; each atom
        // scores by its best field.
        for atom in &pattern.atoms {
            let mut best: Option<(u32, usize, Vec<u32>)> = None;
            for (i, f) in fields.iter().enumerate() {
                self.indices.clear();
                let hay = Utf32Str::new(f.text, &mut self.buf);
                if let Some(s) = atom.indices(hay, &mut self.matcher, &mut self.indices) {
                    let s = u32::from(s) * f.weight;
                    if best.as_ref().is_none_or(|b| s > b.0) {
                        best = Some((s, i, self.indices.clone()));
                    }
                }
            }
            let (s, i, idx) = best?;
            total += s;
            matched[i].extend(idx);
        }
        // Chatwoot's order, kept as a strong bonus: a field that starts with
        // the whole query (a shortcut typed from its start) beats one that
        // merely contains it, which beats a scattered match.
        for f in fields.iter().filter(|f| f.prefix_bonus) {
            let t = f.text.to_lowercase();
            if t.starts_with(lower) {
                total += 10_000;
            } else if t.contains(lower) {
                total += 2_000;
            }
        }
        for m in &mut matched {
            m.sort_unstable();
            m.dedup();
        }
        Some(Hit {
            index,
            score: total,
            matched,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn macro_fields<'a>(m: &'a (&'a str, &'a str, &'a str)) -> Vec<Field<'a>> {
        vec![
            Field {
                text: m.0,
                weight: 3,
                prefix_bonus: true,
            },
            Field {
                text: m.1,
                weight: 2,
                prefix_bonus: false,
            },
            Field {
                text: m.2,
                weight: 1,
                prefix_bonus: false,
            },
        ]
    }

    const MACROS: &[(&str, &str, &str)] = &[
        ("receipt", "Receipt", "Accepted: ticket #{id}. ETA: {eta}."),
        (
            "details",
            "Need details",
            "We need: {field}. Just reply to this message.",
        ),
        ("solved", "Solved", "Done: {what}. Next steps: {steps}."),
        ("escalate", "Escalated", "Your question went to an expert."),
        (
            "hi",
            "First reply",
            "Hi {name}! I'm {agent}. I see ticket #{id} and am on it.",
        ),
    ];

    fn rank(q: &str) -> Vec<&'static str> {
        Ranker::default()
            .rank(q, MACROS.iter().map(macro_fields))
            .into_iter()
            .map(|h| MACROS[h.index].0)
            .collect()
    }

    #[test]
    fn shortcut_prefix_beats_contains_beats_body() {
        assert_eq!(rank("de")[0], "details");
        assert_eq!(rank("esc")[0], "escalate");
        // A scattered fragment of a title finds it.
        assert_eq!(rank("frst rep")[0], "hi");
        assert_eq!(rank("nd dtl")[0], "details");
        // Body words match too.
        assert_eq!(rank("expert")[0], "escalate");
        assert!(rank("zzzz").is_empty());
        assert_eq!(rank("").len(), MACROS.len());
    }

    #[test]
    fn reports_matched_positions_for_highlighting() {
        let hits = Ranker::default().rank("rcpt", MACROS.iter().map(macro_fields));
        let top = &hits[0];
        assert_eq!(top.index, 0);
        assert_eq!(top.matched[0], vec![0, 2, 5, 6]);
    }
}
