//! The domain's buttons in Telegram's terms: an inline keyboard whose
//! `callback_data` says what a press means in a few bytes, and the reading
//! of that data back. The data format is stable: keyboards already in
//! customers' chats keep working after an upgrade.

use shared::TicketId;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::domain::buttons::{Choice, Keyboard};

/// Telegram's limit on `callback_data`, in bytes.
const MAX_DATA: usize = 64;

/// Why a press's data means nothing to us.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable button data {data:?}: {why}")]
pub struct BadCallback {
    pub data: String,
    pub why: &'static str,
}

/// The `callback_data` of a choice.
pub fn data(choice: &Choice) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    match choice {
        Choice::Consent { yes } => format!("consent:{}", yes_no(*yes)),
        Choice::Language { code } => format!("lang:{code}"),
        Choice::Topic { key } => format!("topic:{key}"),
        Choice::SkipScreenshot => "shot:skip".into(),
        Choice::KbHelped { yes } => format!("kb:{}", yes_no(*yes)),
        Choice::Status { ticket } => format!("status:{ticket}"),
        Choice::Details { ticket } => format!("details:{ticket}"),
        Choice::Rate { ticket, stars } => format!("csat:{ticket}:{stars}"),
        Choice::Reopen { ticket } => format!("reopen:{ticket}"),
        Choice::Followup { ticket, ok } => format!("followup:{ticket}:{}", yes_no(*ok)),
        Choice::Nps { ticket, score } => format!("nps:{ticket}:{score}"),
        Choice::KbOpen { article } => format!("kbopen:{article}"),
        Choice::WithdrawConsent => "withdraw".into(),
        Choice::Forget { asked, yes } => format!("forget:{asked}:{}", yes_no(*yes)),
        Choice::Captcha { id, pick } => format!("captcha:{id}:{pick}"),
        // A web_app button carries no data (`markup`); never pressed back.
        Choice::OpenApp { .. } => "app".into(),
    }
}

/// Reads a press's `callback_data`.
pub fn parse(data: &str) -> Result<Choice, BadCallback> {
    let bad = |why| BadCallback {
        data: data.chars().take(MAX_DATA).collect(),
        why,
    };
    let mut parts = data.split(':');
    let kind = parts.next().unwrap_or_default();
    let arg = parts.next();
    let value = parts.next();
    if parts.next().is_some() {
        return Err(bad("too many parts"));
    }
    let yes_no = |s: Option<&str>| match s {
        Some("yes") => Ok(true),
        Some("no") => Ok(false),
        _ => Err(bad("expected yes or no")),
    };
    let ticket = |s: Option<&str>| {
        s.and_then(|s| s.parse::<i64>().ok())
            .filter(|id| *id > 0)
            .map(TicketId)
            .ok_or_else(|| bad("expected a ticket id"))
    };
    let word = |s: Option<&str>| {
        s.filter(|s| !s.is_empty() && s.len() <= MAX_DATA)
            .map(str::to_owned)
            .ok_or_else(|| bad("expected a word"))
    };
    let no_value = |c: Choice| match value {
        None => Ok(c),
        Some(_) => Err(bad("too many parts")),
    };
    match kind {
        "consent" => no_value(Choice::Consent { yes: yes_no(arg)? }),
        "lang" => no_value(Choice::Language { code: word(arg)? }),
        "topic" => no_value(Choice::Topic { key: word(arg)? }),
        "shot" if arg == Some("skip") => no_value(Choice::SkipScreenshot),
        "kb" => no_value(Choice::KbHelped { yes: yes_no(arg)? }),
        "kbopen" => no_value(Choice::KbOpen {
            article: word(arg)?,
        }),
        "status" => no_value(Choice::Status {
            ticket: ticket(arg)?,
        }),
        "details" => no_value(Choice::Details {
            ticket: ticket(arg)?,
        }),
        "reopen" => no_value(Choice::Reopen {
            ticket: ticket(arg)?,
        }),
        "csat" => Ok(Choice::Rate {
            ticket: ticket(arg)?,
            stars: value
                .and_then(|v| v.parse::<u8>().ok())
                .filter(|n| (1..=5).contains(n))
                .ok_or_else(|| bad("expected 1-5 stars"))?,
        }),
        "followup" => Ok(Choice::Followup {
            ticket: ticket(arg)?,
            ok: yes_no(value)?,
        }),
        "nps" => Ok(Choice::Nps {
            ticket: ticket(arg)?,
            score: value
                .and_then(|v| v.parse::<u8>().ok())
                .filter(|n| *n <= 10)
                .ok_or_else(|| bad("expected a score of 0-10"))?,
        }),
        "withdraw" if arg.is_none() => Ok(Choice::WithdrawConsent),
        "forget" => Ok(Choice::Forget {
            asked: arg
                .and_then(|s| s.parse::<i64>().ok())
                .filter(|m| *m > 0)
                .ok_or_else(|| bad("expected when it was asked"))?,
            yes: yes_no(value)?,
        }),
        "captcha" => Ok(Choice::Captcha {
            id: arg
                .and_then(|s| s.parse::<i64>().ok())
                .filter(|id| *id > 0)
                .ok_or_else(|| bad("expected a captcha id"))?,
            pick: value
                .and_then(|v| v.parse::<u8>().ok())
                .filter(|n| *n < 8)
                .ok_or_else(|| bad("expected a button number"))?,
        }),
        _ => Err(bad("unknown kind of button")),
    }
}

/// Telegram's inline keyboard for the domain's buttons. A button whose
/// data would pass Telegram's limit is left out (logged), not sent broken.
pub fn markup(keyboard: &Keyboard) -> InlineKeyboardMarkup {
    let rows = keyboard.rows.iter().map(|row| {
        row.iter()
            .filter_map(|b| {
                if let Choice::OpenApp { url } = &b.choice {
                    let url = url::Url::parse(url)
                        .map_err(|e| {
                            tracing::error!("telegram: button {:?} left out: {e}", b.label)
                        })
                        .ok()?;
                    return Some(InlineKeyboardButton::web_app(
                        b.label.clone(),
                        teloxide::types::WebAppInfo { url },
                    ));
                }
                let d = data(&b.choice);
                if d.len() > MAX_DATA {
                    tracing::error!(
                        "telegram: button {:?} left out: its data passes 64 bytes",
                        b.label
                    );
                    return None;
                }
                Some(InlineKeyboardButton::callback(b.label.clone(), d))
            })
            .collect::<Vec<_>>()
    });
    InlineKeyboardMarkup::new(rows)
}

/// The markup stored with a queued message: the domain's keyboard, or (a
/// row queued by an older version) Telegram's own JSON.
pub fn stored(markup: &str) -> Result<InlineKeyboardMarkup, String> {
    if let Some(k) = Keyboard::decode(markup) {
        return Ok(self::markup(&k));
    }
    serde_json::from_str::<InlineKeyboardMarkup>(markup)
        .map_err(|e| format!("stored buttons are unreadable: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::buttons::Button;

    fn every_choice() -> Vec<Choice> {
        let t = TicketId(12345);
        vec![
            Choice::Consent { yes: true },
            Choice::Consent { yes: false },
            Choice::Language { code: "zh".into() },
            Choice::Topic {
                key: "billing".into(),
            },
            Choice::SkipScreenshot,
            Choice::KbHelped { yes: true },
            Choice::KbHelped { yes: false },
            Choice::Status { ticket: t },
            Choice::Details { ticket: t },
            Choice::Rate {
                ticket: t,
                stars: 5,
            },
            Choice::Reopen { ticket: t },
            Choice::Followup {
                ticket: t,
                ok: false,
            },
            Choice::Nps {
                ticket: t,
                score: 10,
            },
            Choice::Nps {
                ticket: t,
                score: 0,
            },
            Choice::KbOpen {
                article: "password-reset-uk".into(),
            },
            Choice::WithdrawConsent,
            Choice::Forget {
                asked: 29_400_000,
                yes: true,
            },
            Choice::Forget {
                asked: 29_400_000,
                yes: false,
            },
        ]
    }

    #[test]
    fn every_choice_reads_back_as_itself() {
        for c in every_choice() {
            let d = data(&c);
            assert!(d.len() <= MAX_DATA, "{d}");
            assert_eq!(parse(&d), Ok(c), "{d}");
        }
    }

    #[test]
    fn data_sent_by_earlier_versions_still_reads() {
        assert_eq!(
            parse("csat:7:4"),
            Ok(Choice::Rate {
                ticket: TicketId(7),
                stars: 4
            })
        );
        assert_eq!(
            parse("followup:7:yes"),
            Ok(Choice::Followup {
                ticket: TicketId(7),
                ok: true
            })
        );
        assert_eq!(parse("shot:skip"), Ok(Choice::SkipScreenshot));
    }

    #[test]
    fn unreadable_data_is_refused_with_a_reason() {
        for (d, why) in [
            ("", "unknown kind of button"),
            ("csat:7:9", "expected 1-5 stars"),
            ("csat:7", "expected 1-5 stars"),
            ("status:-3", "expected a ticket id"),
            ("status:abc", "expected a ticket id"),
            ("consent:maybe", "expected yes or no"),
            ("consent:yes:no", "too many parts"),
            ("followup:1:yes:2", "too many parts"),
            ("topic:", "expected a word"),
            ("shot:now", "unknown kind of button"),
            ("\u{202e}status:1", "unknown kind of button"),
            ("withdraw:yes", "unknown kind of button"),
            ("forget:0:yes", "expected when it was asked"),
            ("forget:29000000:maybe", "expected yes or no"),
        ] {
            assert_eq!(parse(d).map_err(|e| e.why), Err(why), "{d:?}");
        }
    }

    #[test]
    fn stored_keyboards_of_both_forms_become_markup() {
        let k = Keyboard::rows(vec![vec![Button::new(
            "Status",
            Choice::Status {
                ticket: TicketId(3),
            },
        )]]);
        let m = stored(&k.encode()).unwrap();
        assert_eq!(m.inline_keyboard[0][0].text, "Status");
        let legacy = r#"{"inline_keyboard":[[{"text":"Status","callback_data":"status:3"}]]}"#;
        assert_eq!(stored(legacy).unwrap(), m);
        assert!(stored("{").is_err());
    }
}
