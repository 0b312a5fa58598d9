//! Pleasantries: "thanks", "ok", an emoji, a sticker. In a customer group
//! they neither open a conversation nor make one owed (docs/groups.md), in
//! English, Ukrainian, Russian and Chinese. A message is one when every
//! word of it is a courtesy word (at most six words), or it holds no words
//! at all (emoji, punctuation); a question mark never is.

/// Courtesy words and short phrases, lowercase, per language. Whole-message
/// phrases ("thank you") are matched word by word: each word must be here.
const WORDS: &[&str] = &[
    // English
    "thanks",
    "thank",
    "you",
    "thx",
    "ty",
    "tnx",
    "ok",
    "okay",
    "k",
    "kk",
    "got",
    "it",
    "cool",
    "great",
    "perfect",
    "nice",
    "awesome",
    "fine",
    "good",
    "sure",
    "cheers",
    "noted",
    "much",
    "so",
    "very",
    "a",
    "lot",
    "many",
    "all",
    "right",
    "alright",
    "yes",
    "yep",
    "understood",
    "works",
    "now",
    "hi",
    "hello",
    "bye",
    "have",
    "day",
    "lol",
    "wow",
    // Ukrainian
    "дякую",
    "дякуємо",
    "дяки",
    "спасибі",
    "ок",
    "окей",
    "добре",
    "зрозуміло",
    "супер",
    "чудово",
    "клас",
    "дуже",
    "щиро",
    "так",
    "ага",
    "прийнято",
    "вітаю",
    "привіт",
    "гарного",
    "дня",
    "все",
    "працює",
    "тепер",
    "велике",
    // Russian
    "спасибо",
    "спс",
    "благодарю",
    "хорошо",
    "понятно",
    "отлично",
    "класс",
    "ясно",
    "большое",
    "огромное",
    "очень",
    "да",
    "принято",
    "здравствуйте",
    "привет",
    "хорошего",
    "всё",
    "работает",
    "теперь",
    // Chinese (whole words: Chinese is not split by spaces)
    "谢谢",
    "多谢",
    "谢谢你",
    "谢谢您",
    "感谢",
    "非常感谢",
    "好的",
    "好",
    "收到",
    "明白",
    "明白了",
    "没问题",
    "可以",
    "行",
    "嗯",
    "嗯嗯",
    "好了",
    "ok了",
    "解决了",
    "辛苦了",
];

/// Whether a customer's message in a group is only a pleasantry. `media`:
/// it carries a sticker, or nothing but an emoji-like item with no text.
pub fn is_pleasantry(text: &str, sticker: bool) -> bool {
    let text = text.trim();
    if text.is_empty() {
        return sticker;
    }
    if text.contains('?') || text.contains('？') {
        return false;
    }
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || is_filler(c))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.len() <= 6 && words.iter().all(|w| WORDS.contains(&w.as_str()))
}

/// Punctuation, emoji and other symbols: separators here, never words.
fn is_filler(c: char) -> bool {
    !c.is_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::is_pleasantry;

    #[test]
    fn courtesy_in_four_languages_is_a_pleasantry() {
        for t in [
            "thanks!",
            "Thank you very much 🙏",
            "ok",
            "OK, got it",
            "👍",
            "🙏🙏",
            "Дякую!",
            "Дякую, все працює",
            "дуже дякую 😊",
            "Спасибо большое!",
            "понятно, спасибо",
            "ок",
            "谢谢！",
            "好的",
            "收到",
            "非常感谢",
            "...",
        ] {
            assert!(is_pleasantry(t, false), "{t:?}");
        }
        assert!(is_pleasantry("", true), "a sticker");
    }

    #[test]
    fn anything_asked_or_reported_is_not() {
        for t in [
            "thanks, but it is still broken",
            "ok?",
            "still broken?",
            "Thanks. The payment failed again",
            "дякую, а коли буде виправлено",
            "Дякую? Нічого не змінилось",
            "спасибо, но ошибка осталась",
            "好的，但是还是不行",
            "谢谢？",
            "1200",
            "ok ok ok ok ok ok ok",
        ] {
            assert!(!is_pleasantry(t, false), "{t:?}");
        }
        assert!(!is_pleasantry("", false), "nothing is not a pleasantry");
    }
}
