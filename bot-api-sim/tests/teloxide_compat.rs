//! The simulator answers teloxide exactly as Telegram would: teloxide's own
//! parsers and error matching are the judge.

use std::time::Duration;

use bot_api_sim::{Fault, SimConfig, SimUser, Simulator};
use teloxide::RequestError;
use teloxide::payloads::{GetUpdatesSetters, SendMessageSetters};
use teloxide::prelude::*;
use teloxide::types::{
    ChatId, ChatMemberStatus, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId,
    UpdateKind,
};

async fn setup() -> (Simulator, Bot) {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let bot = Bot::new(sim.token()).set_api_url(url::Url::parse(&sim.api_url()).unwrap());
    (sim, bot)
}

async fn next_updates(bot: &Bot, offset: &mut i32) -> Vec<Update> {
    let updates = bot.get_updates().offset(*offset).timeout(5).await.unwrap();
    if let Some(last) = updates.last() {
        *offset = last.id.0 as i32 + 1;
    }
    updates
}

#[tokio::test]
async fn get_me_and_a_customer_message_parse() {
    let (sim, bot) = setup().await;
    let me = bot.get_me().await.unwrap();
    assert_eq!(me.username(), "support_desk_bot");
    sim.add_user(SimUser::new(42, "Олена", "uk"));
    sim.send_text(42, "/start pay-123");
    sim.send_text(42, "Оплата не пройшла 😕");
    let mut offset = 0;
    let updates = next_updates(&bot, &mut offset).await;
    assert_eq!(updates.len(), 2);
    let UpdateKind::Message(m) = &updates[1].kind else {
        panic!("{:?}", updates[1])
    };
    assert_eq!(m.text(), Some("Оплата не пройшла 😕"));
    assert_eq!(
        m.from.as_ref().unwrap().language_code.as_deref(),
        Some("uk")
    );
    assert_eq!(m.chat.id, ChatId(42));
    // Confirmed updates are not returned again.
    let again = bot.get_updates().offset(offset).timeout(0).await.unwrap();
    assert!(again.is_empty());
}

#[tokio::test]
async fn long_poll_waits_for_an_update() {
    let (sim, bot) = setup().await;
    sim.add_user(SimUser::new(7, "Tom", "en"));
    let poll = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(10).await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    sim.send_text(7, "hello");
    let got = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), 1);
}

#[tokio::test]
async fn buttons_callbacks_edits_photos_and_documents() {
    let (sim, bot) = setup().await;
    sim.add_user(SimUser::new(5, "李华", "zh"));
    let keyboard = InlineKeyboardMarkup::new(vec![vec![
        InlineKeyboardButton::callback("Payment", "topic:payment"),
        InlineKeyboardButton::callback("Account", "topic:account"),
    ]]);
    let sent = bot
        .send_message(ChatId(5), "Pick a topic")
        .reply_markup(keyboard)
        .await
        .unwrap();
    let recorded = sim.sent(5);
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        recorded[0].buttons()[1],
        ("Account".to_owned(), "topic:account".to_owned())
    );
    assert!(sim.press(5, sent.id.0 as i64, "topic:nope").is_err());
    sim.press(5, sent.id.0 as i64, "topic:payment").unwrap();
    let mut offset = 0;
    let updates = next_updates(&bot, &mut offset).await;
    let UpdateKind::CallbackQuery(q) = &updates[0].kind else {
        panic!("{:?}", updates[0])
    };
    assert_eq!(q.data.as_deref(), Some("topic:payment"));
    bot.answer_callback_query(q.id.clone()).await.unwrap();
    assert!(
        bot.answer_callback_query(q.id.clone()).await.is_err(),
        "a query is answered once"
    );

    tokio::time::sleep(Duration::from_millis(1000)).await;
    bot.edit_message_text(ChatId(5), sent.id, "Topic: payment")
        .await
        .unwrap();
    let same = bot
        .edit_message_text(ChatId(5), sent.id, "Topic: payment")
        .await
        .unwrap_err();
    assert!(
        matches!(
            same,
            RequestError::Api(teloxide::ApiError::MessageNotModified)
        ),
        "{same:?}"
    );
    assert_eq!(sim.sent(5)[0].text.as_deref(), Some("Topic: payment"));

    let photo_id = sim.send_photo(5, Some("screenshot of the error"));
    let edited_id = sim.send_text(5, "typo");
    sim.edit(5, edited_id, "fixed").unwrap();
    let updates = next_updates(&bot, &mut offset).await;
    let UpdateKind::Message(m) = &updates[0].kind else {
        panic!()
    };
    assert_eq!(m.id, MessageId(photo_id as i32));
    assert_eq!(m.caption(), Some("screenshot of the error"));
    let file = bot
        .get_file(m.photo().unwrap().last().unwrap().file.id.clone())
        .await
        .unwrap();
    assert!(file.path.starts_with("photos/"));
    let UpdateKind::EditedMessage(e) = &updates[2].kind else {
        panic!("{:?}", updates[2])
    };
    assert_eq!(e.text(), Some("fixed"));

    // teloxide sends media as multipart.
    bot.send_document(
        ChatId(5),
        InputFile::memory(b"a,b\n1,2\n".to_vec()).file_name("export.csv"),
    )
    .await
    .unwrap();
    assert_eq!(sim.sent(5).last().unwrap().method, "senddocument");
}

#[tokio::test]
async fn limits_answer_429_with_retry_after() {
    let (sim, bot) = setup().await;
    sim.add_user(SimUser::new(9, "Maria", "en"));
    bot.send_message(ChatId(9), "one").await.unwrap();
    let e = bot.send_message(ChatId(9), "two").await.unwrap_err();
    assert!(
        matches!(e, RequestError::RetryAfter(s) if s.seconds() == 1),
        "{e:?}"
    );
    assert_eq!(sim.stats().rate_limited, 1);
    assert_eq!(sim.sent(9).len(), 1, "the refused message was not sent");
}

#[tokio::test]
async fn blocked_users_and_unknown_chats() {
    let (sim, bot) = setup().await;
    sim.add_user(SimUser::new(11, "Ivan", "ru"));
    sim.set_blocked(11, true);
    let mut offset = 0;
    let updates = next_updates(&bot, &mut offset).await;
    let UpdateKind::MyChatMember(m) = &updates[0].kind else {
        panic!("{:?}", updates[0])
    };
    assert_eq!(m.new_chat_member.status(), ChatMemberStatus::Banned);
    let e = bot.send_message(ChatId(11), "hi").await.unwrap_err();
    assert!(
        matches!(e, RequestError::Api(teloxide::ApiError::BotBlocked)),
        "{e:?}"
    );
    let e = bot.send_message(ChatId(12345), "hi").await.unwrap_err();
    assert!(
        matches!(e, RequestError::Api(teloxide::ApiError::ChatNotFound)),
        "{e:?}"
    );
}

#[tokio::test]
async fn groups_topics_and_new_members_parse() {
    let (sim, bot) = setup().await;
    let group = -1_000_000_000_042;
    sim.group_join(group, "Acme support", 21);
    sim.group_text(group, "Acme support", 21, "Our invoices are wrong", Some(3));
    let mut offset = 0;
    let updates = next_updates(&bot, &mut offset).await;
    let UpdateKind::Message(join) = &updates[0].kind else {
        panic!()
    };
    assert_eq!(join.new_chat_members().unwrap()[0].id.0, 21);
    let UpdateKind::Message(m) = &updates[1].kind else {
        panic!()
    };
    assert!(m.chat.is_supergroup());
    assert_eq!(m.thread_id.map(|t| t.0.0), Some(3));
}

#[tokio::test]
async fn faults_storms_and_dropped_connections() {
    let (sim, bot) = setup().await;
    sim.add_user(SimUser::new(3, "Sophie", "en"));
    sim.inject(Fault::Storm {
        seconds: 60,
        retry_after: 7,
    });
    let e = bot.send_message(ChatId(3), "x").await.unwrap_err();
    assert!(
        matches!(e, RequestError::RetryAfter(s) if s.seconds() == 7),
        "{e:?}"
    );
    sim.clear_faults();

    sim.inject(Fault::DropBefore { count: 1 });
    let e = bot
        .send_message(ChatId(3), "lost before")
        .await
        .unwrap_err();
    assert!(matches!(e, RequestError::Network(_)), "{e:?}");
    assert!(sim.sent(3).is_empty());

    sim.inject(Fault::DropAfter { count: 1 });
    let e = bot
        .send_message(ChatId(3), "answer lost")
        .await
        .unwrap_err();
    assert!(matches!(e, RequestError::Network(_)), "{e:?}");
    assert_eq!(
        sim.sent(3).len(),
        1,
        "it was delivered; only the answer was lost"
    );
    assert_eq!(sim.stats().dropped, 2);
}

#[tokio::test]
async fn a_second_poller_terminates_the_first() {
    let (_sim, bot) = setup().await;
    let first = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(10).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = bot.get_updates().timeout(0).await;
    assert!(second.is_ok());
    let e = first.await.unwrap().unwrap_err();
    assert!(
        matches!(
            e,
            RequestError::Api(teloxide::ApiError::TerminatedByOtherGetUpdates)
        ),
        "{e:?}"
    );
}
