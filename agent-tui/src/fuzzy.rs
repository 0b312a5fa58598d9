//! Fuzzy ranking for the macro picker and the command palette, over
//! nucleo's matcher. The rest of the app sees only [`Ranker`] and [`Hit`],
//! so the matching engine can change in this one module.
//!
//! Typing narrows: when the new query extends the last one, only the last
//! hits are scored again, and backspace returns to a remembered result.
//! Matched positions (for highlighting) are computed for the first
//! [`HIGHLIGHTED`] hits only.

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// How many of the best hits are put in order of score.
pub const RANKED: usize = 200;

/// How many of the best hits get their matched positions.
pub const HIGHLIGHTED: usize = 32;

/// One field of a candidate, with its weight.
pub struct Field<'a> {
    pub text: &'a str,
    /// Multiplies the field's score; a field with `prefix_bonus` that starts
    /// with (or contains) the whole query gets a large bonus (shortcuts).
    pub weight: u32,
    pub prefix_bonus: bool,
    /// A long text such as a macro body: scored greedily (linear time), and
    /// only for query words no earlier field matched. Put it last.
    pub long: bool,
    /// Scored greedily (linear time) rather than optimally (quadratic):
    /// for titles, when there are thousands of candidates.
    pub greedy: bool,
}

/// A ranked candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index into the candidates given to [`Ranker::rank`].
    pub index: usize,
    pub score: u32,
    /// Matched character positions (char indices) per field; empty past
    /// the first [`HIGHLIGHTED`] hits.
    pub matched: Vec<Vec<u32>>,
}

impl Hit {
    /// Matched positions in field `i` (empty when not computed).
    pub fn matched_in(&self, i: usize) -> &[u32] {
        self.matched.get(i).map_or(&[], Vec::as_slice)
    }
}

/// A query and the candidates it matched, to narrow from.
struct Narrowed {
    query: String,
    candidates: usize,
    indices: Vec<usize>,
}

pub struct Ranker {
    matcher: Matcher,
    buf: Vec<char>,
    indices: Vec<u32>,
    /// Results of the queries typed so far (each extends the one before).
    history: Vec<Narrowed>,
}

impl Default for Ranker {
    fn default() -> Self {
        Ranker {
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
            indices: Vec::new(),
            history: Vec::new(),
        }
    }
}

/// Where `needle` first occurs in `hay`, ignoring case: a char index.
/// Allocates nothing for ASCII text.
fn find_ci_at(hay: &str, needle: &str) -> Option<usize> {
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        if n.is_empty() {
            return Some(0);
        }
        return h.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n));
    }
    let starts = |h: &str| {
        let mut hc = h.chars().flat_map(char::to_lowercase);
        needle
            .chars()
            .flat_map(char::to_lowercase)
            .all(|n| hc.next() == Some(n))
    };
    hay.char_indices()
        .enumerate()
        .find(|(_, (b, _))| starts(&hay[*b..]))
        .map(|(i, _)| i)
}

/// `Some(true)` when `hay` starts with `needle` (ignoring case),
/// `Some(false)` when it contains it elsewhere.
fn find_ci(hay: &str, needle: &str) -> Option<bool> {
    find_ci_at(hay, needle).map(|i| i == 0)
}

impl Ranker {
    /// Ranks `candidates` (each a list of fields) against `query`: best
    /// first, ties in the given order. An empty query keeps every candidate
    /// in order. Every word of the query must match (each in any field).
    /// Give the same candidates in the same order while the query is being
    /// typed; a different number of candidates starts afresh.
    pub fn rank<'c, F, const N: usize>(
        &mut self,
        query: &str,
        candidates: &'c [F],
        fields: impl Fn(&'c F) -> [Field<'c>; N],
    ) -> Vec<Hit> {
        let query = query.trim_start();
        if query.trim().is_empty() {
            self.history.clear();
            return (0..candidates.len())
                .map(|index| Hit {
                    index,
                    score: 0,
                    matched: Vec::new(),
                })
                .collect();
        }
        // Narrow from the longest remembered query this one extends.
        while let Some(last) = self.history.last() {
            // (A backslash escapes a space, so such queries do not narrow.)
            if last.candidates == candidates.len()
                && query.starts_with(&last.query)
                && !last.query.contains('\\')
            {
                break;
            }
            self.history.pop();
        }
        let pool: Vec<usize> = match self.history.last() {
            Some(last) => last.indices.clone(),
            None => (0..candidates.len()).collect(),
        };
        let pattern = Pattern::new(
            query,
            CaseMatching::Smart,
            Normalization::Smart,
            AtomKind::Fuzzy,
        );
        let whole = query.trim();
        let words = query_words(whole, &pattern);
        let mut hits: Vec<Hit> = pool
            .into_iter()
            .filter_map(|index| {
                let f = fields(&candidates[index]);
                self.score(&pattern, whole, &words, &f).map(|score| Hit {
                    index,
                    score,
                    matched: Vec::new(),
                })
            })
            .collect();
        self.history.push(Narrowed {
            query: query.to_owned(),
            candidates: candidates.len(),
            indices: hits.iter().map(|h| h.index).collect(),
        });
        // Only the best [`RANKED`] are put in order; the rest follow in
        // the candidates' own order (nobody scrolls that far).
        let best = |a: &Hit, b: &Hit| b.score.cmp(&a.score).then(a.index.cmp(&b.index));
        if hits.len() > RANKED {
            hits.select_nth_unstable_by(RANKED, best);
            hits[RANKED..].sort_unstable_by_key(|h| h.index);
            hits[..RANKED].sort_unstable_by(best);
        } else {
            hits.sort_unstable_by(best);
        }
        for h in hits.iter_mut().take(HIGHLIGHTED) {
            h.matched = self.positions(&pattern, &words, &fields(&candidates[h.index]));
        }
        hits
    }

    /// Forgets what was typed: call when a new list is being searched.
    pub fn reset(&mut self) {
        self.history.clear();
    }

    fn score(
        &mut self,
        pattern: &Pattern,
        whole: &str,
        words: &[&str],
        fields: &[Field<'_>],
    ) -> Option<u32> {
        let mut total = 0u32;
        let smart_ignore_case = !whole.chars().any(char::is_uppercase);
        // Each word scores by its best field; all must match somewhere.
        for (k, atom) in pattern.atoms.iter().enumerate() {
            let mut best = None;
            for f in fields {
                // A long text is a fallback: searched only for words the
                // short fields did not match.
                if f.long && best.is_some() {
                    continue;
                }
                // In a long text a word must appear as it is (ignoring
                // case): a scattered match in a paragraph is noise.
                if f.long
                    && let Some(word) = words.get(k)
                {
                    if find_ci_at(f.text, word).is_some() {
                        let s = 16 * word.chars().count() as u32 * f.weight;
                        best = Some(best.map_or(s, |b: u32| b.max(s)));
                    }
                    continue;
                }
                let hay = Utf32Str::new(f.text, &mut self.buf);
                let score = if f.long || f.greedy {
                    // Smart case, as the atom does it.
                    self.matcher.config.ignore_case = smart_ignore_case;
                    self.matcher.fuzzy_match_greedy(hay, atom.needle_text())
                } else {
                    atom.score(hay, &mut self.matcher)
                };
                if let Some(s) = score {
                    let s = u32::from(s) * f.weight;
                    best = Some(best.map_or(s, |b: u32| b.max(s)));
                }
            }
            total += best?;
        }
        // Chatwoot's order, kept as a strong bonus: a shortcut that starts
        // with the query beats one that contains it, which beats a
        // scattered match anywhere.
        for f in fields.iter().filter(|f| f.prefix_bonus) {
            match find_ci(f.text, whole) {
                Some(true) => total += 10_000,
                Some(false) => total += 2_000,
                None => {}
            }
        }
        Some(total)
    }

    /// Matched positions of `query` in `fields`, for a hit past the first
    /// [`HIGHLIGHTED`] (scrolled into view).
    pub fn highlight(&mut self, query: &str, fields: &[Field<'_>]) -> Vec<Vec<u32>> {
        let pattern = Pattern::new(
            query,
            CaseMatching::Smart,
            Normalization::Smart,
            AtomKind::Fuzzy,
        );
        let words = query_words(query.trim(), &pattern);
        self.positions(&pattern, &words, fields)
    }

    /// Matched positions per field, for highlighting.
    fn positions(
        &mut self,
        pattern: &Pattern,
        words: &[&str],
        fields: &[Field<'_>],
    ) -> Vec<Vec<u32>> {
        let mut matched = vec![Vec::new(); fields.len()];
        for (k, atom) in pattern.atoms.iter().enumerate() {
            let mut best: Option<(u32, usize, Vec<u32>)> = None;
            for (i, f) in fields.iter().enumerate() {
                if f.long && best.is_some() {
                    continue;
                }
                if f.long
                    && let Some(word) = words.get(k)
                {
                    if let Some(at) = find_ci_at(f.text, word) {
                        let n = word.chars().count() as u32;
                        best = Some((0, i, (at as u32..at as u32 + n).collect()));
                    }
                    continue;
                }
                self.indices.clear();
                let hay = Utf32Str::new(f.text, &mut self.buf);
                if let Some(s) = atom.indices(hay, &mut self.matcher, &mut self.indices) {
                    let s = u32::from(s) * f.weight;
                    if best.as_ref().is_none_or(|b| s > b.0) {
                        best = Some((s, i, self.indices.clone()));
                    }
                }
            }
            if let Some((_, i, idx)) = best {
                matched[i].extend(idx);
            }
        }
        for m in &mut matched {
            m.sort_unstable();
            m.dedup();
        }
        matched
    }
}

/// The query's words, one per atom, when they line up (no escaped
/// spaces); empty otherwise (long fields then match fuzzily).
fn query_words<'q>(whole: &'q str, pattern: &Pattern) -> Vec<&'q str> {
    let words: Vec<&str> = whole.split_whitespace().collect();
    if words.len() == pattern.atoms.len() && !whole.contains('\\') {
        words
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type M = (&'static str, &'static str, &'static str);

    fn macro_fields(m: &M) -> [Field<'_>; 3] {
        [
            Field {
                text: m.0,
                weight: 3,
                prefix_bonus: true,
                long: false,
                greedy: true,
            },
            Field {
                text: m.1,
                weight: 2,
                prefix_bonus: false,
                long: false,
                greedy: true,
            },
            Field {
                text: m.2,
                weight: 1,
                prefix_bonus: false,
                long: true,
                greedy: true,
            },
        ]
    }

    const MACROS: &[M] = &[
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
            .rank(q, MACROS, macro_fields)
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
        // Body words match too, as words: scattered letters in a
        // paragraph do not.
        assert_eq!(rank("expert")[0], "escalate");
        assert_eq!(rank("went expert"), vec!["escalate"]);
        assert!(rank("xprt").is_empty());
        assert!(rank("zzzz").is_empty());
        assert_eq!(rank("").len(), MACROS.len());
        assert_eq!(find_ci("Escalate", "CAL"), Some(false));
        assert_eq!(find_ci("Ёлка", "ёл"), Some(true));
        assert_eq!(find_ci("abc", "x"), None);
    }

    #[test]
    fn reports_matched_positions_for_highlighting() {
        let hits = Ranker::default().rank("rcpt", MACROS, macro_fields);
        let top = &hits[0];
        assert_eq!(top.index, 0);
        assert_eq!(top.matched[0], vec![0, 2, 5, 6]);
    }

    #[test]
    fn typing_narrows_and_backspace_widens_with_the_same_results() {
        let mut r = Ranker::default();
        let mut typed = String::new();
        for c in "nd dtl".chars() {
            typed.push(c);
            let incremental = r.rank(&typed, MACROS, macro_fields);
            let fresh = Ranker::default().rank(&typed, MACROS, macro_fields);
            assert_eq!(incremental, fresh, "after {typed:?}");
        }
        for _ in 0..4 {
            typed.pop();
            let incremental = r.rank(&typed, MACROS, macro_fields);
            let fresh = Ranker::default().rank(&typed, MACROS, macro_fields);
            assert_eq!(incremental, fresh, "after backspace to {typed:?}");
        }
    }
}
