//! The rules, as one pure function: what a message from the client's side
//! breaks, given what is known of its author and of recent traffic. The
//! caller (`domain::safety::quarantine`) gathers the facts and acts on
//! the answer.

use shared::HoldReason;

pub use crate::domain::group_message::Traits;

use super::Safety;
use super::text::{fold, words};

/// What is known of the author and of the traffic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The author is a newcomer whose limits still hold.
    pub limited: bool,
    /// In how many groups (this one included) the same text was posted
    /// within the repeat window; 0 for a text too short to count.
    pub repeated_in: u32,
    /// The staff member the author's name imitates (only looked at for
    /// newcomers and changed names).
    pub lookalike: Option<String>,
}

/// The shortest text the repeat check looks at: "hello" in three groups
/// is not a campaign.
pub const REPEAT_MIN_CHARS: usize = 20;

/// Whether `phrase` (as words) occurs in `ws` as a run of whole words.
fn contains_run(ws: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && ws.windows(phrase.len()).any(|w| w == phrase)
}

/// Whether a stop-list entry is matched as written (it has symbols:
/// "18+"), not word by word.
fn raw(phrase: &[String]) -> bool {
    phrase.len() == 1
        && phrase[0]
            .chars()
            .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
}

/// A stop-list phrase as the words a reader sees; one with symbols
/// ("18+") stays whole and is matched as written.
pub fn phrase_words(phrase: &str) -> Vec<String> {
    let folded = fold(phrase);
    if folded
        .chars()
        .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
    {
        return vec![folded.trim().to_owned()];
    }
    words(&folded)
}

/// Every rule the message breaks (none: it is filed as usual).
pub fn check(safety: &Safety, text: &str, traits: Traits, facts: &Facts) -> Vec<HoldReason> {
    let mut why = Vec::new();
    if facts.limited {
        for (broke, reason) in [
            (traits.link, HoldReason::NewcomerLink),
            (traits.media, HoldReason::NewcomerMedia),
            (traits.forward, HoldReason::NewcomerForward),
            (traits.keyboard, HoldReason::NewcomerKeyboard),
            (traits.quote, HoldReason::NewcomerQuote),
        ] {
            if broke {
                why.push(reason);
            }
        }
    }
    if let Some(of) = &facts.lookalike {
        why.push(HoldReason::Lookalike { of: of.clone() });
    }
    let folded = fold(text);
    let ws = words(&folded);
    for phrase in &safety.stop_list {
        let hit = if raw(phrase) {
            folded.contains(phrase[0].as_str())
        } else {
            contains_run(&ws, phrase)
        };
        if hit {
            why.push(HoldReason::StopList {
                phrase: phrase.join(" "),
            });
            break;
        }
    }
    if safety.repeat_groups > 0 && facts.repeated_in >= safety.repeat_groups {
        why.push(HoldReason::Repeated {
            groups: facts.repeated_in,
        });
    }
    let p = safety.spam_probability(text);
    if p >= safety.spam_threshold {
        why.push(HoldReason::Spam {
            percent: (p * 100.0).floor().clamp(0.0, 100.0) as u8,
        });
    }
    why
}

/// The key the repeat check counts a text under: its words as a reader
/// sees them (case, spacing and look-alikes do not make two copies
/// differ). `None` for a text too short to count.
pub fn repeat_key(text: &str) -> Option<i64> {
    let folded = fold(text);
    if folded.chars().filter(|c| !c.is_whitespace()).count() < REPEAT_MIN_CHARS {
        return None;
    }
    let ws = words(&folded).join(" ");
    // FNV-1a, stable across runs (stored).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in ws.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    Some(h as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safety() -> Safety {
        let mut s = Safety::defaults();
        s.stop_list = ["free crypto", "18+"]
            .iter()
            .map(|p| phrase_words(p))
            .collect();
        s
    }

    #[test]
    fn a_newcomer_breaks_each_limit_and_a_member_none() {
        let s = safety();
        let all = Traits {
            link: true,
            media: true,
            forward: true,
            keyboard: true,
            quote: true,
        };
        let newcomer = Facts {
            limited: true,
            ..Facts::default()
        };
        let why = check(&s, "see the attached log", all, &newcomer);
        assert_eq!(
            why,
            [
                HoldReason::NewcomerLink,
                HoldReason::NewcomerMedia,
                HoldReason::NewcomerForward,
                HoldReason::NewcomerKeyboard,
                HoldReason::NewcomerQuote
            ]
        );
        assert!(check(&s, "see the attached log", all, &Facts::default()).is_empty());
    }

    #[test]
    fn the_stop_list_sees_through_disguise() {
        let s = safety();
        for text in ["FREE CRYPTO here", "get fr33 crурtо now", "F R E E crypto"] {
            let why = check(&s, text, Traits::default(), &Facts::default());
            assert!(
                why.contains(&HoldReason::StopList {
                    phrase: "free crypto".into()
                }),
                "{text}: {why:?}"
            );
        }
        let why = check(&s, "only 18+ allowed", Traits::default(), &Facts::default());
        assert!(matches!(why.first(), Some(HoldReason::StopList { .. })));
        let why = check(&s, "error 18 again", Traits::default(), &Facts::default());
        assert!(why.is_empty(), "{why:?}");
        // Words apart, or inside other words, are not the phrase.
        for text in ["is the crypto payout free of fees?", "freecryptography"] {
            let why = check(&s, text, Traits::default(), &Facts::default());
            assert!(
                !why.iter().any(|r| matches!(r, HoldReason::StopList { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn repeats_count_from_the_threshold() {
        let s = safety();
        let facts = |n| Facts {
            repeated_in: n,
            ..Facts::default()
        };
        let text = "Our export to S3 fails since this morning";
        assert!(check(&s, text, Traits::default(), &facts(2)).is_empty());
        assert_eq!(
            check(&s, text, Traits::default(), &facts(3)),
            [HoldReason::Repeated { groups: 3 }]
        );
        assert_eq!(repeat_key("ok"), None);
        assert_eq!(
            repeat_key("Join my channel for free signals now"),
            repeat_key("JOIN  my chаnnel for FREE signals now")
        );
    }

    #[test]
    fn support_questions_pass_and_spam_is_caught() {
        let s = safety();
        for ham in [
            "Hi! Our export fails with error 502 since 9:00, can you check?",
            "Доброго дня, не проходить оплата карткою, пише declined",
            "Здравствуйте, вебхук не приходит после обновления",
            "你好，导出一直失败，报错502",
        ] {
            assert!(
                check(&s, ham, Traits::default(), &Facts::default()).is_empty(),
                "{ham}"
            );
        }
        for spam in [
            "💰💰 Earn $500 a day from home! Only 2 hours a day, write me @rich_anna_pro 🚀🚀",
            "🔥 Заробіток від 500$ на день без вкладень! Пиши в особисті, розкажу схему 💸",
            "Hi! I'm Max from support. To fix the export I need to verify your account: send me the code you get by SMS in private.",
            "Пассивный доход от 3000₽ в день, пиши в лс 💸",
            "日赚500元，宝妈学生均可，加V详聊",
        ] {
            let why = check(&s, spam, Traits::default(), &Facts::default());
            assert!(
                why.iter().any(|r| matches!(r, HoldReason::Spam { .. })),
                "{spam}: {why:?} ({:.4})",
                s.spam_probability(spam)
            );
        }
        let ham = "Hi all, I'm new on the Acme side. The 502 again, screenshot: https://files.acme-corp.com/err-502.png";
        assert!(check(&s, ham, Traits::default(), &Facts::default()).is_empty());
    }
}
