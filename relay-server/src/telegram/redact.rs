//! `[privacy] mask_stored`: card numbers, e-mail addresses and phone
//! numbers masked in what customers write before any of it is stored: the
//! Telegram update as kept for intake, and so the message filed from it.

use serde_json::Value;
use teloxide::types::{Update, UpdateKind};

/// The fields of an update that carry what a person wrote.
const WRITTEN: [&str; 2] = ["text", "caption"];

fn mask_written(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                match x {
                    Value::String(s) if WRITTEN.contains(&k.as_str()) => {
                        if let std::borrow::Cow::Owned(m) = pii::mask(s) {
                            *s = m;
                        }
                    }
                    _ => mask_written(x),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_written),
        _ => {}
    }
}

/// The update with what was written masked (quoted and replied-to
/// messages too), as stored JSON and read back; `None` if the masked
/// update no longer reads as the same kind (then it is kept unmasked:
/// nothing is lost).
pub fn masked(u: &Update) -> Option<(String, Update)> {
    let mut v = serde_json::to_value(u).ok()?;
    mask_written(&mut v);
    let body = serde_json::to_string(&v).ok()?;
    // teloxide reads an Update from text, not from a Value.
    let back: Update = serde_json::from_str(&body).ok()?;
    let error = |k: &UpdateKind| matches!(k, UpdateKind::Error(_));
    (error(&back.kind) == error(&u.kind)).then_some((body, back))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_text_is_masked_and_ids_dates_and_names_are_not() {
        let raw = serde_json::json!({
            "update_id": 4_111_111_111_111_111i64 % 1_000_000_000,
            "message": {
                "message_id": 77,
                "date": 1_764_201_234,
                "chat": {"id": 4_111_111_111i64, "type": "private", "first_name": "Olena"},
                "from": {"id": 4_111_111_111i64, "is_bot": false, "first_name": "Olena"},
                "text": "card 4111 1111 1111 1111, mail me at olena@example.com or +380 67 123 45 67",
                "reply_to_message": {
                    "message_id": 70, "date": 1_764_201_200,
                    "chat": {"id": 4_111_111_111i64, "type": "private", "first_name": "Olena"},
                    "text": "my old card 5500005555555559"
                }
            }
        });
        // (teloxide reads an Update from text, not from a Value.)
        let u: Update = serde_json::from_str(&raw.to_string()).unwrap();
        let (body, back) = masked(&u).unwrap();
        assert!(!matches!(u.kind, UpdateKind::Error(_)));
        for raw in [
            "4111 1111 1111 1111",
            "olena@example.com",
            "123 45 67",
            "5500005555555559",
        ] {
            assert!(!body.contains(raw), "{raw} in {body}");
        }
        assert!(
            body.contains("4111 11** **** 1111"),
            "first six and last four stay"
        );
        assert!(body.contains("4111111111"), "the chat id is not a card");
        assert!(body.contains("1764201234"), "dates stay");
        let UpdateKind::Message(m) = back.kind else {
            panic!("a message")
        };
        assert!(m.text().unwrap().contains("[email]"));
        assert_eq!(m.id.0, 77);
    }
}
