//! The dialogue's steps against a real store, without Telegram.

use std::sync::Arc;

use super::{Press, message, press};
use crate::domain::buttons::Choice;
use crate::domain::desk::Desk;
use crate::domain::intake::{Inbound, Sender};
use crate::settings::Settings;
use crate::store::{Durability, Store, StoreOptions};

const CHAT: i64 = 42;

async fn store() -> (tempfile::TempDir, Store, Arc<Desk>) {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = StoreOptions::new(dir.path().join("t.db"));
    opts.durability = Durability::Normal;
    let store = Store::open(opts).unwrap();
    let mut s = Settings::defaults();
    s.bot.kb_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/kb").into();
    (dir, store, Arc::new(Desk::from_settings(&s).unwrap()))
}

fn sender(lang: &str) -> Sender {
    Sender {
        telegram_user_id: CHAT,
        first_name: "Ivan".into(),
        last_name: None,
        username: None,
        language: Some(lang.into()),
    }
}

fn said(text: &str, lang: &str) -> Inbound {
    Inbound::plain(sender(lang), text)
}

async fn say(store: &Store, desk: &Arc<Desk>, text: &str, lang: &str) {
    let (d, m) = (desk.clone(), said(text, lang));
    store.write(move |ctx| message(ctx, &d, &m)).await.unwrap();
}

async fn tap(store: &Store, desk: &Arc<Desk>, choice: Choice) {
    let (d, p) = (
        desk.clone(),
        Press {
            sender: sender("ru"),
            chat_id: CHAT,
            choice,
        },
    );
    store.write(move |ctx| press(ctx, &d, &p)).await.unwrap();
}

/// Everything queued for the chat so far, oldest first.
async fn outbox(store: &Store) -> Vec<String> {
    store
        .readers()
        .read(|c| crate::store::outbox::texts_for(c, CHAT))
        .await
        .unwrap()
}

#[tokio::test]
async fn words_before_consent_go_on_to_the_topics_once_consent_is_given() {
    let (_dir, store, desk) = store().await;
    say(
        &store,
        &desk,
        "Приложение падает при открытии настроек",
        "ru",
    )
    .await;
    say(&store, &desk, "Пробовал дважды.", "ru").await;
    tap(&store, &desk, Choice::Consent { yes: true }).await;
    let out = outbox(&store).await;
    assert_eq!(out.len(), 3, "{out:?}");
    assert!(out[2].contains("О чём ваш вопрос"), "{out:?}");
    say(&store, &desk, "Жду ответа", "ru").await;
    tap(
        &store,
        &desk,
        Choice::Topic {
            key: "feature".into(),
        },
    )
    .await;
    let out = outbox(&store).await;
    assert!(out.last().unwrap().contains("О какой функции"), "{out:?}");
}

#[tokio::test]
async fn a_forgetme_button_is_honoured_for_fifteen_minutes_only() {
    use crate::domain::i18n::{Lang, text};
    let (_dir, store, desk) = store().await;
    say(&store, &desk, "Hallo?", "ru").await;
    let now = store.now().0.div_euclid(60_000);
    let exists = || async {
        store
            .readers()
            .read(|c| crate::store::read::customers_by_telegram(c, CHAT))
            .await
            .unwrap()
            .is_some()
    };
    let expired = text(Lang::Ru, "privacy.forget_expired", &[]);
    for asked in [now - 16, now + 2] {
        tap(&store, &desk, Choice::Forget { asked, yes: true }).await;
        assert_eq!(outbox(&store).await.last(), Some(&expired), "{asked}");
        assert!(
            exists().await,
            "nothing erased for a button asked at {asked}"
        );
    }
    tap(
        &store,
        &desk,
        Choice::Forget {
            asked: now,
            yes: false,
        },
    )
    .await;
    let cancelled = text(Lang::Ru, "privacy.forget_cancelled", &[]);
    assert_eq!(outbox(&store).await.last(), Some(&cancelled));
    assert!(exists().await);
    tap(
        &store,
        &desk,
        Choice::Forget {
            asked: now - 14,
            yes: true,
        },
    )
    .await;
    assert!(!exists().await, "erased");
    // The chat's queue was emptied by the erasure; the last word stays.
    let done = text(Lang::Ru, "privacy.forget_done", &[]);
    assert_eq!(outbox(&store).await, [done]);
}

/// `/consent` in each language: the date they agreed, in their own time
/// zone (set with /timezone), the wording's version, and the withdraw
/// button; withdrawing is answered in their language too.
#[tokio::test]
async fn consent_status_in_every_language_with_the_time_in_their_zone() {
    use crate::domain::i18n::{Lang, text};
    for (lang, zone) in [
        (Lang::En, "America/New_York"),
        (Lang::Uk, "Europe/Kyiv"),
        (Lang::Ru, "Asia/Almaty"),
        (Lang::Zh, "Asia/Shanghai"),
    ] {
        let (_dir, store, desk) = store().await;
        let code = lang.code();
        say(&store, &desk, &format!("/timezone {zone}"), code).await;
        say(&store, &desk, "hello", code).await;
        let (d, p) = (
            desk.clone(),
            Press {
                sender: sender(code),
                chat_id: CHAT,
                choice: Choice::Consent { yes: true },
            },
        );
        store.write(move |ctx| press(ctx, &d, &p)).await.unwrap();
        let agreed = store
            .readers()
            .read(|c| crate::store::read::customers_by_telegram(c, CHAT))
            .await
            .unwrap()
            .unwrap()
            .consent_at
            .unwrap();
        say(&store, &desk, "/consent", code).await;
        // The local time computed here independently of the bot's code.
        let local = jiff::Timestamp::from_millisecond(agreed.0)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::get(zone).unwrap())
            .strftime("%Y-%m-%d %H:%M")
            .to_string();
        let want = text(
            lang,
            "privacy.consent_agreed",
            &[("date", &local), ("zone", zone), ("version", "1")],
        );
        let out = outbox(&store).await;
        println!("{code}: {}", out.last().unwrap());
        assert_eq!(out.last(), Some(&want), "{code}");
        let (d, p) = (
            desk.clone(),
            Press {
                sender: sender(code),
                chat_id: CHAT,
                choice: Choice::WithdrawConsent,
            },
        );
        store.write(move |ctx| press(ctx, &d, &p)).await.unwrap();
        let out = outbox(&store).await;
        println!("{code}: {}", out.last().unwrap());
        assert_eq!(out.last(), Some(&text(lang, "privacy.withdrawn", &[])));
    }
}

/// The words the bot holds while it asks its questions keep the time they
/// came: the thread (and the first response, docs/metrics.md) starts when
/// the customer wrote, not when the ticket was filed minutes later.
#[tokio::test]
async fn words_held_during_the_dialogue_keep_the_time_they_came() {
    use crate::domain::testkit::{Desk0, at, settings};
    use shared::{Author, Event};
    use std::time::Duration;
    let mut s = settings();
    s.bot.consent = Some(false);
    let d = Desk0::new(s, at("2026-10-05T10:00:00Z")).await;
    let write = |text: &'static str| {
        let m = said(text, "en");
        d.write(move |ctx, desk| message(ctx, desk, &m))
    };
    let tap = |choice: Choice| {
        let p = Press {
            sender: sender("en"),
            chat_id: CHAT,
            choice,
        };
        d.write(move |ctx, desk| press(ctx, desk, &p))
    };
    write("My card was charged twice").await.unwrap();
    d.advance(Duration::from_secs(120));
    tap(Choice::Topic {
        key: "payment".into(),
    })
    .await
    .unwrap();
    d.advance(Duration::from_secs(60));
    write("Visa").await.unwrap();
    d.advance(Duration::from_secs(60));
    write("Yesterday").await.unwrap();
    d.advance(Duration::from_secs(60));
    tap(Choice::SkipScreenshot).await.unwrap();
    let events = d.events().await;
    let created: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::TicketCreated { ticket } => Some(ticket.created_at),
            _ => None,
        })
        .collect();
    assert_eq!(created, [at("2026-10-05T10:05:00Z")]);
    let said_at: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::MessageAdded { message }
                if matches!(message.author, Author::Customer { .. }) =>
            {
                Some(message.created_at)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        said_at,
        [
            at("2026-10-05T10:00:00Z"),
            at("2026-10-05T10:03:00Z"),
            at("2026-10-05T10:04:00Z")
        ]
    );
}
