//! A/B tests of the bot (docs/experiments.md): each `[[experiments]]`
//! entry tries variant B of one of the bot's choices on a share of the
//! customers. A customer's variant follows from a hash of the experiment's
//! name and their Telegram id (the same every time, on every relay), and
//! is recorded the first time it matters, so the report attributes their
//! tickets from then on (`report --by variant`).

use serde::Serialize;
use sha2::{Digest, Sha256};
use shared::Customer;

use crate::store::{self, WriteCtx};

/// What an experiment tries: two ways the bot does one thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The ticket receipt: the ETA with a status button (A), or the steps
    /// ahead, spelled out (B).
    Receipt,
    /// The clarifying questions: the topic's questions first, then the
    /// screenshot (A), or the screenshot first (B).
    QuestionOrder,
    /// A knowledge-base answer: the best article as a card (A), or a list
    /// of the three best to pick from (B).
    KbAnswer,
    /// Status notifications: each change as its own message (A), or one
    /// message that sums up the ticket so far (B).
    Notifications,
    /// The rating: asked with the resolution (A), or a day later (B).
    CsatTiming,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Receipt,
        Kind::QuestionOrder,
        Kind::KbAnswer,
        Kind::Notifications,
        Kind::CsatTiming,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Receipt => "receipt",
            Kind::QuestionOrder => "question_order",
            Kind::KbAnswer => "kb_answer",
            Kind::Notifications => "notifications",
            Kind::CsatTiming => "csat_timing",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The names of variant A and variant B, as the report shows them.
    pub fn variants(self) -> [&'static str; 2] {
        match self {
            Kind::Receipt => ["eta_button", "steps"],
            Kind::QuestionOrder => ["topic_first", "screenshot_first"],
            Kind::KbAnswer => ["card", "list"],
            Kind::Notifications => ["several", "summary"],
            Kind::CsatTiming => ["at_once", "after_24h"],
        }
    }
}

/// A customer's side of an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    A,
    B,
}

/// One experiment, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Experiment {
    pub name: String,
    pub kind: Kind,
    /// Percent of customers in B.
    pub share: u32,
    pub enabled: bool,
}

impl Experiment {
    /// The variant of the customer with this Telegram id: the first 8
    /// bytes of SHA-256("name:id") modulo 100, below `share` is B.
    pub fn variant_of(&self, telegram_user_id: i64) -> Variant {
        let digest = Sha256::digest(format!("{}:{telegram_user_id}", self.name).as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        if u64::from_be_bytes(first) % 100 < u64::from(self.share) {
            Variant::B
        } else {
            Variant::A
        }
    }

    pub fn variant_name(&self, v: Variant) -> &'static str {
        self.kind.variants()[match v {
            Variant::A => 0,
            Variant::B => 1,
        }]
    }
}

/// An experiment as configured, before it is checked.
#[derive(Debug, Clone, Copy)]
pub struct Spec<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub share: u32,
    pub enabled: bool,
}

/// `[[experiments]]`, checked: names unique and plain, kinds known, at
/// most one enabled experiment of each kind, the share 1-99.
pub fn build(list: &[Spec<'_>]) -> Result<Vec<Experiment>, String> {
    let mut out: Vec<Experiment> = Vec::with_capacity(list.len());
    for (i, e) in list.iter().enumerate() {
        let at = format!("experiments[{i}]");
        let name = e.name.trim();
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "{at}.name: {:?} must be 1-64 letters, digits, '-' or '_'",
                e.name
            ));
        }
        let kind = Kind::parse(e.kind.trim()).ok_or_else(|| {
            let known: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            format!("{at}.kind: {:?} is not one of {}", e.kind, known.join(", "))
        })?;
        if !(1..=99).contains(&e.share) {
            return Err(format!(
                "{at}.share: {} is not 1-99 (percent in B)",
                e.share
            ));
        }
        if out.iter().any(|o| o.name == name) {
            return Err(format!("{at}.name: {name:?} is used twice"));
        }
        if e.enabled
            && let Some(o) = out.iter().find(|o| o.enabled && o.kind == kind)
        {
            return Err(format!(
                "{at}: {name:?} and {:?} both test {}; disable one (enabled = false)",
                o.name,
                kind.as_str()
            ));
        }
        out.push(Experiment {
            name: name.to_owned(),
            kind,
            share: e.share,
            enabled: e.enabled,
        });
    }
    Ok(out)
}

/// The variant `customer` sees of the enabled experiment of `kind` (A when
/// there is none), recorded at its first use.
pub fn variant(
    ctx: &WriteCtx<'_>,
    experiments: &[Experiment],
    customer: &Customer,
    kind: Kind,
) -> Result<Variant, store::StoreError> {
    let Some(e) = experiments.iter().find(|e| e.enabled && e.kind == kind) else {
        return Ok(Variant::A);
    };
    let v = e.variant_of(customer.telegram_user_id);
    store::experiments::assign(ctx, &e.name, customer.id, e.variant_name(v), ctx.now)?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings<'a>(name: &'a str, kind: &'a str, share: u32, enabled: bool) -> Spec<'a> {
        Spec {
            name,
            kind,
            share,
            enabled,
        }
    }

    #[test]
    fn assignment_is_a_stable_hash_split_near_the_share() {
        let e = &build(&[settings("receipt-dec", "receipt", 30, true)]).unwrap()[0];
        let b = (1..=10_000)
            .filter(|id| e.variant_of(*id) == Variant::B)
            .count();
        assert!((2_700..=3_300).contains(&b), "{b} of 10,000 in B");
        // The same customer, the same side, every time; another name
        // splits independently.
        assert_eq!(e.variant_of(42), e.variant_of(42));
        let other = &build(&[settings("receipt-jan", "receipt", 30, true)]).unwrap()[0];
        let moved = (1..=1_000)
            .filter(|id| e.variant_of(*id) != other.variant_of(*id))
            .count();
        assert!(moved > 200, "{moved}");
        // The rule spelled out: the digest's first 8 bytes, big-endian,
        // mod 100, below the share is B.
        let digest = Sha256::digest(b"receipt-dec:42");
        let n = u64::from_be_bytes(digest[..8].try_into().unwrap()) % 100;
        assert_eq!(e.variant_of(42) == Variant::B, n < 30);
    }

    #[test]
    fn bad_experiments_are_refused_with_the_reason() {
        for (list, says) in [
            (
                vec![settings("a b", "receipt", 50, true)],
                "letters, digits",
            ),
            (
                vec![settings("x", "colour", 50, true)],
                "is not one of receipt",
            ),
            (vec![settings("x", "receipt", 0, true)], "not 1-99"),
            (vec![settings("x", "receipt", 100, true)], "not 1-99"),
            (
                vec![
                    settings("x", "receipt", 50, true),
                    settings("x", "csat_timing", 50, true),
                ],
                "used twice",
            ),
            (
                vec![
                    settings("x", "receipt", 50, true),
                    settings("y", "receipt", 50, true),
                ],
                "both test receipt",
            ),
        ] {
            let err = build(&list).unwrap_err();
            assert!(err.contains(says), "{err}");
        }
        // A finished experiment of the same kind stays for the report.
        assert!(
            build(&[
                settings("x", "receipt", 50, false),
                settings("y", "receipt", 50, true),
            ])
            .is_ok()
        );
    }
}
