//! Group safety's classifier: how well it separates spam from support
//! talk, and how fast the checks run.
//!
//!   cargo bench -p relay-server --bench spam [-- --threshold 0.99 --messages 200000]
//!
//! - Quality: the labelled set (`relay-server/data/spam/corpus.tsv`) split
//!   two ways, each trained on four fifths and measured on the rest:
//!   one message in five held out (the usual split), and one template
//!   family in five (held-out messages worded as the model never saw).
//!   Precision, recall and the counts at the threshold, overall and per
//!   language.
//! - Cost: every rule a customer's group message goes through
//!   (`checks::check`: the stop list, the repeat key, the classifier) on
//!   the set's messages in a loop, on one thread: messages per second.

mod util;

use std::time::Instant;

use relay_server::domain::spam::Safety;
use relay_server::domain::spam::checks::{self, Facts, Traits, phrase_words};
use relay_server::domain::spam::classifier::{Figures, Split, corpus, evaluate, evaluate_where};
use util::arg;

fn line(what: &str, fig: Figures, n: usize) {
    println!(
        "| {what} | {n} | {:.4} | {:.4} | {} | {} | {} |",
        fig.precision(),
        fig.recall(),
        fig.true_positives,
        fig.false_positives,
        fig.false_negatives
    );
}

fn main() {
    let threshold: f64 = arg(
        "--threshold",
        relay_server::domain::spam::DEFAULT_SPAM_THRESHOLD,
    );
    let messages: usize = arg("--messages", 200_000);
    let set = corpus();
    let spam = set.iter().filter(|e| e.spam).count();
    println!(
        "labelled set: {} messages ({} spam, {} ham); threshold {threshold}",
        set.len(),
        spam,
        set.len() - spam
    );
    println!();
    println!(
        "| held out | messages | precision | recall | caught spam | caught ham | missed spam |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (name, split) in [
        ("1 message in 5", Split::Messages),
        ("1 template family in 5", Split::Families),
    ] {
        let (fig, n) = evaluate(&set, split, threshold);
        line(name, fig, n);
        for lang in ["en", "uk", "ru", "zh"] {
            // Trained on every language's training part, measured on one.
            let (fig, n) = evaluate_where(&set, split, threshold, |e| e.lang == lang);
            line(&format!("{name}, {lang}"), fig, n);
        }
    }

    let mut safety = Safety::defaults();
    safety.stop_list = [
        "free crypto",
        "crypto signals",
        "double your deposit",
        "18+",
    ]
    .iter()
    .map(|p| phrase_words(p))
    .collect();
    let texts: Vec<&str> = set.iter().map(|e| e.text.as_str()).collect();
    // Warm up.
    for t in texts.iter().take(1000) {
        std::hint::black_box(checks::check(
            &safety,
            t,
            Traits::default(),
            &Facts::default(),
        ));
    }
    let start = Instant::now();
    let mut caught = 0usize;
    for i in 0..messages {
        let t = texts[i % texts.len()];
        let _ = std::hint::black_box(checks::repeat_key(t));
        if !checks::check(&safety, t, Traits::default(), &Facts::default()).is_empty() {
            caught += 1;
        }
    }
    let took = start.elapsed();
    println!();
    println!(
        "checks: {messages} messages in {:.3} s on one thread: {:.0} messages/s ({:.1} µs each; {caught} caught)",
        took.as_secs_f64(),
        messages as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / messages as f64
    );
}
