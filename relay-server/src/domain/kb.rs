//! The knowledge base: a folder of Markdown articles, each with a small
//! header, matched against a customer's question before a person is asked.
//!
//! ```text
//! ---
//! title: Export invoices as PDF
//! lang: en
//! topic: payment
//! keywords: invoice, pdf, export, download
//! ---
//! Open Billing, pick the month, press "Download PDF".
//! ```

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::i18n::Lang;

/// One article.
#[derive(Debug, Clone)]
pub struct Article {
    /// File name without `.md`: how the article is referred to.
    pub id: String,
    pub title: String,
    pub lang: Option<Lang>,
    pub topic: Option<String>,
    pub body: String,
    keywords: HashSet<String>,
    title_terms: HashSet<String>,
    body_terms: HashSet<String>,
}

/// All articles.
#[derive(Debug, Clone, Default)]
pub struct Kb {
    articles: Vec<Article>,
    /// In how many articles each term appears (rarer terms weigh more).
    df: HashMap<String, usize>,
}

/// Words longer than this are cut to it: a crude stem that lets "оплати"
/// meet "оплата" and "exporting" meet "export".
const STEM: usize = 6;

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xf900..=0xfaff | 0xac00..=0xd7af)
}

/// Lowercased terms: stems of words, and character pairs of CJK runs.
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut cjk: Vec<char> = Vec::new();
    let flush_word = |w: &mut String, out: &mut Vec<String>| {
        if w.chars().count() >= 2 {
            out.push(w.chars().take(STEM).collect());
        }
        w.clear();
    };
    let flush_cjk = |run: &mut Vec<char>, out: &mut Vec<String>| {
        if run.len() == 1 {
            out.push(run[0].to_string());
        }
        for pair in run.windows(2) {
            out.push(pair.iter().collect());
        }
        run.clear();
    };
    for c in text.chars().flat_map(char::to_lowercase) {
        if is_cjk(c) {
            flush_word(&mut word, &mut out);
            cjk.push(c);
        } else if c.is_alphanumeric() {
            flush_cjk(&mut cjk, &mut out);
            word.push(c);
        } else {
            flush_word(&mut word, &mut out);
            flush_cjk(&mut cjk, &mut out);
        }
    }
    flush_word(&mut word, &mut out);
    flush_cjk(&mut cjk, &mut out);
    out
}

/// Parses one article; `None` with a reason when the header is missing.
pub fn parse(id: &str, src: &str) -> Result<Article, String> {
    let src = src.trim_start_matches('\u{feff}');
    let rest = src
        .strip_prefix("---")
        .ok_or_else(|| format!("{id}: an article starts with a --- header"))?;
    let (header, body) = rest
        .split_once("\n---")
        .ok_or_else(|| format!("{id}: the header is not closed with ---"))?;
    let body = body.trim_start_matches(['-']).trim().to_owned();
    let mut title = None;
    let mut lang = None;
    let mut topic = None;
    let mut keywords = HashSet::new();
    for line in header.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| format!("{id}: header line {line:?} is not `key: value`"))?;
        let v = v.trim();
        match k.trim() {
            "title" => title = Some(v.to_owned()),
            "lang" => lang = Some(Lang::from_code(Some(v))),
            "topic" => topic = Some(v.to_owned()),
            "keywords" => {
                for k in v.split(',') {
                    keywords.extend(terms(k));
                }
            }
            other => return Err(format!("{id}: unknown header field {other:?}")),
        }
    }
    let title = title.ok_or_else(|| format!("{id}: the header needs a title"))?;
    if body.is_empty() {
        return Err(format!("{id}: the article has no text"));
    }
    Ok(Article {
        id: id.to_owned(),
        title_terms: terms(&title).into_iter().collect(),
        body_terms: terms(&body).into_iter().collect(),
        title,
        lang,
        topic,
        body,
        keywords,
    })
}

/// A match must score at least this much, from at least `MIN_TERMS`
/// different terms of the question, one of them a keyword or in the title
/// (words that only occur in the body are too common to go on).
const MIN_SCORE: f64 = 4.0;
const MIN_TERMS: usize = 2;

impl Kb {
    pub fn new(articles: Vec<Article>) -> Kb {
        let mut df = HashMap::new();
        for a in &articles {
            let all: HashSet<&String> = a
                .keywords
                .iter()
                .chain(&a.title_terms)
                .chain(&a.body_terms)
                .collect();
            for t in all {
                *df.entry(t.clone()).or_insert(0) += 1;
            }
        }
        Kb { articles, df }
    }

    /// Every `*.md` file of `dir`; an unreadable or malformed one is an
    /// error naming it.
    pub fn load(dir: &Path) -> Result<Kb, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            format!(
                "cannot read the knowledge base folder {}: {e}",
                dir.display()
            )
        })?;
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        paths.sort();
        let mut articles = Vec::new();
        for p in paths {
            let src = std::fs::read_to_string(&p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            let id = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            articles.push(parse(&id, &src).map_err(|e| format!("knowledge base: {e}"))?);
        }
        Ok(Kb::new(articles))
    }

    pub fn len(&self) -> usize {
        self.articles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.articles.is_empty()
    }

    /// Every article, in the folder's order.
    pub fn all(&self) -> impl Iterator<Item = &Article> {
        self.articles.iter()
    }

    pub fn get(&self, id: &str) -> Option<&Article> {
        self.articles.iter().find(|a| a.id == id)
    }

    /// The article that best answers `question` in `lang` (articles with no
    /// language match any), if one matches well enough.
    pub fn best(&self, question: &str, lang: Lang) -> Option<&Article> {
        self.top(question, lang, 1).into_iter().next()
    }

    /// Up to `n` articles that answer `question` well enough, best first
    /// (ties: the order of the folder).
    pub fn top(&self, question: &str, lang: Lang, n: usize) -> Vec<&Article> {
        let q: HashSet<String> = terms(question).into_iter().collect();
        let count = self.articles.len() as f64;
        let mut found: Vec<(f64, &Article)> = Vec::new();
        for a in self
            .articles
            .iter()
            .filter(|a| a.lang.is_none_or(|l| l == lang))
        {
            let mut score = 0.0;
            let mut hits = 0;
            let mut strong = false;
            for t in &q {
                let head = f64::from(u8::from(a.keywords.contains(t))) * 3.0
                    + f64::from(u8::from(a.title_terms.contains(t))) * 2.0;
                let w = head + f64::from(u8::from(a.body_terms.contains(t))) * 0.5;
                strong |= head > 0.0;
                if w > 0.0 {
                    hits += 1;
                    let df = *self.df.get(t).unwrap_or(&1) as f64;
                    score += w * (1.0 + (count / df).ln());
                }
            }
            if strong && hits >= MIN_TERMS && score >= MIN_SCORE {
                found.push((score, a));
            }
        }
        // Stable: equal scores keep the folder's order.
        found.sort_by(|a, b| b.0.total_cmp(&a.0));
        found.into_iter().take(n).map(|(_, a)| a).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> Kb {
        Kb::new(vec![
            parse("pdf", "---\ntitle: Export invoices as PDF\nlang: en\ntopic: payment\nkeywords: invoice, pdf, export\n---\nOpen Billing and press Download PDF.").unwrap(),
            parse("reset", "---\ntitle: Reset your password\nlang: en\ntopic: account\nkeywords: password, reset, login\n---\nUse Forgot password on the sign-in page.").unwrap(),
            parse("pdf-uk", "---\ntitle: Як завантажити рахунок у PDF\nlang: uk\ntopic: payment\nkeywords: рахунок, pdf, завантажити\n---\nВідкрийте Оплати й натисніть «Завантажити PDF».").unwrap(),
            parse("pdf-zh", "---\ntitle: 如何导出发票PDF\nlang: zh\ntopic: payment\nkeywords: 发票, 导出\n---\n打开账单页面，点击下载PDF。").unwrap(),
        ])
    }

    #[test]
    fn a_question_on_two_things_finds_both_best_first() {
        let kb = kb();
        let q = "I need to export the invoice PDF and reset my password for login";
        let ids: Vec<&str> = kb
            .top(q, Lang::En, 3)
            .iter()
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(ids.len(), 2, "{ids:?}");
        assert!(ids.contains(&"pdf") && ids.contains(&"reset"), "{ids:?}");
        assert_eq!(kb.best(q, Lang::En).unwrap().id, ids[0]);
        assert_eq!(kb.top(q, Lang::En, 1).len(), 1);
    }

    #[test]
    fn questions_find_their_article_in_their_language() {
        let kb = kb();
        assert_eq!(
            kb.best("How do I export my invoices as PDF?", Lang::En)
                .unwrap()
                .id,
            "pdf"
        );
        assert_eq!(
            kb.best("I forgot my password, how to reset it", Lang::En)
                .unwrap()
                .id,
            "reset"
        );
        assert_eq!(
            kb.best("Як завантажити рахунки в PDF?", Lang::Uk)
                .unwrap()
                .id,
            "pdf-uk"
        );
        assert_eq!(kb.best("怎么导出发票？", Lang::Zh).unwrap().id, "pdf-zh");
    }

    #[test]
    fn unrelated_or_thin_questions_match_nothing() {
        let kb = kb();
        assert!(
            kb.best("The app crashes when I open settings", Lang::En)
                .is_none()
        );
        assert!(
            kb.best("Where do I open the billing page and press it", Lang::En)
                .is_none(),
            "body words alone do not match"
        );
        assert!(kb.best("pdf", Lang::En).is_none(), "one word is not enough");
        assert!(
            kb.best("How do I export my invoices as PDF?", Lang::Ru)
                .is_none()
        );
    }

    #[test]
    fn malformed_articles_are_refused_with_the_reason() {
        assert!(parse("a", "no header").unwrap_err().contains("header"));
        assert!(
            parse("a", "---\ntitle: x\n")
                .unwrap_err()
                .contains("not closed")
        );
        assert!(
            parse("a", "---\nlang: en\n---\nbody")
                .unwrap_err()
                .contains("title")
        );
        assert!(
            parse("a", "---\ntitle: x\ncolour: red\n---\nbody")
                .unwrap_err()
                .contains("colour")
        );
        assert!(
            parse("a", "---\ntitle: x\n---\n")
                .unwrap_err()
                .contains("no text")
        );
    }
}
