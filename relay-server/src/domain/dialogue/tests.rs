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
