//! The spam classifier: naive Bayes over a message's words, word pairs,
//! Chinese characters and pairs, and a few signs spam carries (a link, a
//! Telegram handle, money, look-alike letters, shouting), each counted once
//! per message (binarised multinomial NB, which suits short texts). It is
//! trained on the labelled set shipped in `relay-server/data/spam/` and on
//! staff's verdicts on caught messages; no network service.
//!
//! Its figures on a held-out part of that set are in docs/benchmarks.md
//! ("Group safety"); `cargo bench -p relay-server --bench spam` measures
//! them again.

use std::collections::HashMap;

use super::text::{cjk, fold, mixed_script, words};

/// The labelled set: `label\tlang\tfamily\ttext`, with a header line.
pub const CORPUS: &str = include_str!("../../../data/spam/corpus.tsv");

/// Laplace smoothing.
const ALPHA: f64 = 1.0;

/// One labelled message of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example<'a> {
    pub spam: bool,
    pub lang: &'a str,
    /// The template it was made from (examples of one family are alike).
    pub family: &'a str,
    pub text: String,
}

/// The labelled set, parsed. Lines that do not read are skipped (a test
/// checks there are none).
pub fn corpus() -> Vec<Example<'static>> {
    CORPUS
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.splitn(4, '\t');
            let spam = match f.next()? {
                "spam" => true,
                "ham" => false,
                _ => return None,
            };
            Some(Example {
                spam,
                lang: f.next()?,
                family: f.next()?,
                text: f.next()?.replace("\\n", "\n"),
            })
        })
        .collect()
}

/// FNV-1a, 64 bits: stable across runs and builds (the feature ids).
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in *p {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Whether a word looks like a web address or a domain.
fn linkish(w: &str) -> bool {
    w.starts_with("http") || w.starts_with("www") || w == "bit" || w == "ly"
}

/// Whether a character is an emoji or a pictograph.
fn emoji(c: char) -> bool {
    matches!(c as u32, 0x1F300..=0x1FAFF | 0x2600..=0x27BF | 0x1F000..=0x1F2FF)
}

/// A message's features, each once: its hashed words, word pairs, Chinese
/// characters and character pairs, and signs.
pub fn features(text: &str) -> Vec<u64> {
    let folded = fold(text);
    let ws = words(&folded);
    let mut f: Vec<u64> = Vec::with_capacity(ws.len() * 2 + 16);
    for (i, w) in ws.iter().enumerate() {
        f.push(fnv(&[b"w", w.as_bytes()]));
        if let Some(next) = ws.get(i + 1) {
            f.push(fnv(&[b"b", w.as_bytes(), next.as_bytes()]));
        }
    }
    // Chinese: characters and pairs of characters.
    let mut prev: Option<char> = None;
    let mut buf = [0u8; 8];
    for c in folded.chars() {
        if cjk(c) {
            let (a, rest) = buf.split_at_mut(4);
            let one = c.encode_utf8(a);
            f.push(fnv(&[b"c", one.as_bytes()]));
            if let Some(p) = prev {
                let two = p.encode_utf8(rest);
                f.push(fnv(&[b"d", two.as_bytes(), one.as_bytes()]));
            }
            prev = Some(c);
        } else {
            prev = None;
        }
    }
    // Signs.
    let mut sign = |name: &str| f.push(fnv(&[b"s", name.as_bytes()]));
    if ws.iter().any(|w| linkish(w)) || folded.contains("://") {
        sign("link");
    }
    if folded.contains("t.me/") || folded.contains("telegram.me/") {
        sign("tme");
    }
    if folded
        .split_whitespace()
        .any(|w| w.starts_with('@') && w.len() > 3)
    {
        sign("handle");
    }
    if text.split_whitespace().any(mixed_script) {
        sign("mixed");
    }
    let money = ['$', '€', '£', '₽', '₴', '¥', '₿'];
    if folded.chars().any(|c| money.contains(&c))
        || ws
            .iter()
            .any(|w| matches!(w.as_str(), "usdt" | "btc" | "руб" | "грн" | "元"))
    {
        sign("money");
    }
    let emojis = text.chars().filter(|c| emoji(*c)).count();
    if emojis >= 3 {
        sign("emojis");
    }
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    if letters.len() >= 8 && upper * 2 > letters.len() {
        sign("shouting");
    }
    if text.matches('!').count() >= 3 {
        sign("bangs");
    }
    let length = match ws.len() + folded.chars().filter(|c| cjk(*c)).count() / 2 {
        0..=3 => "short",
        4..=12 => "medium",
        13..=40 => "long",
        _ => "essay",
    };
    sign(length);
    f.sort_unstable();
    f.dedup();
    f
}

/// A trained model: how many spam and ham messages had each feature.
#[derive(Debug, Clone, Default)]
pub struct Model {
    counts: HashMap<u64, [u32; 2]>,
    /// Messages learned, [ham, spam].
    docs: [u32; 2],
    /// Feature occurrences learned, [ham, spam].
    total: [u64; 2],
}

impl Model {
    /// A model trained on every example given.
    pub fn trained<'a>(examples: impl IntoIterator<Item = (&'a str, bool)>) -> Model {
        let mut m = Model::default();
        for (text, spam) in examples {
            m.learn(text, spam);
        }
        m
    }

    /// The shipped model: the whole labelled set (trained once per
    /// process).
    pub fn shipped() -> Model {
        static SHIPPED: std::sync::OnceLock<Model> = std::sync::OnceLock::new();
        SHIPPED
            .get_or_init(|| {
                let set = corpus();
                Model::trained(set.iter().map(|e| (e.text.as_str(), e.spam)))
            })
            .clone()
    }

    /// Learns one message (a staff verdict, or a labelled example).
    pub fn learn(&mut self, text: &str, spam: bool) {
        let c = usize::from(spam);
        for f in features(text) {
            self.counts.entry(f).or_default()[c] += 1;
            self.total[c] += 1;
        }
        self.docs[c] += 1;
    }

    /// How many messages it learned: (ham, spam).
    pub fn learned(&self) -> (u32, u32) {
        (self.docs[0], self.docs[1])
    }

    /// The log-odds that a message is spam (positive: more likely spam).
    /// Features it never saw say nothing.
    pub fn log_odds(&self, text: &str) -> f64 {
        let [ham_docs, spam_docs] = self.docs.map(|d| f64::from(d) + 1.0);
        let vocab = self.counts.len() as f64 + 1.0;
        let denom_ham = self.total[0] as f64 + ALPHA * vocab;
        let denom_spam = self.total[1] as f64 + ALPHA * vocab;
        let mut odds = (spam_docs / ham_docs).ln();
        for f in features(text) {
            if let Some([h, s]) = self.counts.get(&f) {
                let p_spam = (f64::from(*s) + ALPHA) / denom_spam;
                let p_ham = (f64::from(*h) + ALPHA) / denom_ham;
                odds += p_spam.ln() - p_ham.ln();
            }
        }
        odds
    }

    /// The probability that a message is spam.
    pub fn spam_probability(&self, text: &str) -> f64 {
        let o = self.log_odds(text).clamp(-700.0, 700.0);
        1.0 / (1.0 + (-o).exp())
    }
}

/// How a model did on a labelled set.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    pub true_positives: u32,
    pub false_positives: u32,
    pub false_negatives: u32,
    pub true_negatives: u32,
}

impl Figures {
    /// Of the messages caught, the share that was spam.
    pub fn precision(&self) -> f64 {
        let caught = self.true_positives + self.false_positives;
        if caught == 0 {
            return 1.0;
        }
        f64::from(self.true_positives) / f64::from(caught)
    }

    /// Of the spam, the share caught.
    pub fn recall(&self) -> f64 {
        let spam = self.true_positives + self.false_negatives;
        if spam == 0 {
            return 1.0;
        }
        f64::from(self.true_positives) / f64::from(spam)
    }
}

/// How the labelled set is split into training and held-out parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// One message in five, chosen by a hash of its text: the usual split.
    Messages,
    /// One template family in five: the held-out messages are worded in
    /// ways the model never saw (a harder test).
    Families,
}

impl Split {
    /// Whether an example is held out.
    pub fn held_out(self, e: &Example<'_>) -> bool {
        let key = match self {
            Split::Messages => e.text.as_bytes(),
            Split::Families => e.family.as_bytes(),
        };
        fnv(&[key]) % 5 == 0
    }
}

/// Trains on the training part and measures on the held-out part, a
/// message counted as spam from `threshold` (a probability) on.
pub fn evaluate(set: &[Example<'_>], split: Split, threshold: f64) -> (Figures, usize) {
    evaluate_where(set, split, threshold, |_| true)
}

/// [`evaluate`], measured only on the held-out examples `measured`
/// accepts (one language, say); trained on the whole training part.
pub fn evaluate_where(
    set: &[Example<'_>],
    split: Split,
    threshold: f64,
    measured: impl Fn(&Example<'_>) -> bool,
) -> (Figures, usize) {
    let model = Model::trained(
        set.iter()
            .filter(|e| !split.held_out(e))
            .map(|e| (e.text.as_str(), e.spam)),
    );
    let mut fig = Figures::default();
    let mut n = 0;
    for e in set.iter().filter(|e| split.held_out(e) && measured(e)) {
        n += 1;
        let caught = model.spam_probability(&e.text) >= threshold;
        match (caught, e.spam) {
            (true, true) => fig.true_positives += 1,
            (true, false) => fig.false_positives += 1,
            (false, true) => fig.false_negatives += 1,
            (false, false) => fig.true_negatives += 1,
        }
    }
    (fig, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default threshold (`[safety] spam_threshold`).
    const THRESHOLD: f64 = super::super::DEFAULT_SPAM_THRESHOLD;

    #[test]
    fn the_labelled_set_reads_whole_and_is_large_enough() {
        let set = corpus();
        assert_eq!(set.len(), CORPUS.lines().count() - 1, "every line reads");
        for lang in ["en", "uk", "ru", "zh"] {
            let spam = set.iter().filter(|e| e.lang == lang && e.spam).count();
            let ham = set.iter().filter(|e| e.lang == lang && !e.spam).count();
            assert!(spam >= 300 && ham >= 400, "{lang}: {spam} spam, {ham} ham");
        }
        assert!(set.len() >= 2000);
    }

    /// The bar: precision at least 0.99 and recall at least 0.90 on
    /// a held-out part of the set.
    #[test]
    fn held_out_messages_are_classified_to_the_bar() {
        let set = corpus();
        let (fig, n) = evaluate(&set, Split::Messages, THRESHOLD);
        assert!(n >= 400, "held out {n}");
        assert!(
            fig.precision() >= 0.99 && fig.recall() >= 0.90,
            "{fig:?}: precision {:.3}, recall {:.3}",
            fig.precision(),
            fig.recall()
        );
    }

    #[test]
    fn staff_verdicts_teach_it() {
        let mut m = Model::shipped();
        let text = "Cheap zorbulator licences, only today, write me";
        let before = m.spam_probability(text);
        for _ in 0..5 {
            m.learn(text, true);
        }
        assert!(m.spam_probability(text) > before);
        let ham = "the zorbulator export in our dashboard is broken";
        let before = m.spam_probability(ham);
        for _ in 0..5 {
            m.learn(ham, false);
        }
        assert!(m.spam_probability(ham) < before);
    }

    #[test]
    fn features_see_through_obfuscation() {
        assert_eq!(
            features("FREE money"),
            features("F R E E m0ney").into_iter().collect::<Vec<_>>()
        );
        let mixed = features("Раypal verify");
        let plain = features("paypal verify");
        assert!(plain.iter().filter(|f| mixed.contains(f)).count() >= 3);
    }
}
