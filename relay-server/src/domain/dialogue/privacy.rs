//! The customer's privacy requests in their chat (docs/privacy.md):
//! - `/consent`: where their consent stands, with a button to withdraw it;
//! - `/mydata`: their data export, sent as a JSON document (built when it
//!   is sent: no copy waits on disk), at most once in ten minutes;
//! - `/forgetme`: erasure, after a confirmation button that expires.
//!
//! Every answer to the consent question and every withdrawal goes to the
//! consent log with the text's version, language and wording hash.

use std::time::Duration;

use shared::*;

use super::Talk;
use super::conversation::Conversation;
use crate::domain::buttons::{Button, Choice, Keyboard};
use crate::domain::desk::Desk;
use crate::domain::{DomainError, hours, privacy};
use crate::store::access::{self, Actor, AuditEntry};
use crate::store::consent::{self, Action, Record};
use crate::store::{self, WriteCtx};

/// A `/forgetme` button older than this is not honoured.
const FORGET_EXPIRES: Duration = Duration::from_secs(15 * 60);
/// `/mydata` at most this often per chat.
const MYDATA_EVERY: Duration = Duration::from_secs(10 * 60);
const MYDATA: &str = "mydata";

fn minutes(at: Timestamp) -> i64 {
    at.0.div_euclid(60_000)
}

/// Records an answer to the consent question (or a withdrawal), with the
/// version and exact wording of the question as this customer saw it.
pub fn log_consent(ctx: &WriteCtx<'_>, talk: &Talk<'_>, action: Action) -> Result<(), DomainError> {
    // The wording with its placeholder, not the customer's name.
    let wording = talk.t("consent.ask", &[("name", "{name}")]);
    consent::log(
        ctx,
        talk.customer.id,
        &Record {
            action,
            version: talk.desk.bot.consent_version.clone(),
            language: talk.lang.code().to_owned(),
            text_sha256: super::super::sha256_hex(&wording),
            at: ctx.now,
        },
    )?;
    Ok(())
}

/// `/consent`.
pub fn consent_status(ctx: &mut WriteCtx<'_>, talk: &Talk<'_>) -> Result<(), DomainError> {
    let (desk, customer) = (talk.desk, talk.customer);
    if !desk.bot.consent {
        return talk.say(ctx, "privacy.consent_not_asked", &[]);
    }
    let Some(at) = customer.consent_at else {
        return talk.say(ctx, "privacy.consent_none", &[]);
    };
    let zone = customer
        .time_zone
        .clone()
        .unwrap_or_else(|| desk.bot.default_zone_name.clone());
    let date = hours::local(at, &desk.bot.zone_of(Some(&zone)));
    // The version they agreed to: the log's last agreement.
    let version = consent::of(ctx, customer.id)?
        .into_iter()
        .rev()
        .find(|r| r.action == Action::Agreed)
        .map_or_else(|| desk.bot.consent_version.clone(), |r| r.version);
    let text = talk.t(
        "privacy.consent_agreed",
        &[("date", &date), ("zone", &zone), ("version", &version)],
    );
    let button = Button::new(talk.t("button.withdraw", &[]), Choice::WithdrawConsent);
    talk.send(ctx, &text, Some(&Keyboard::column(vec![button])))
}

/// The withdraw button: `consent_at` cleared, logged; the next message
/// asks again before anything is kept.
pub fn withdraw(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    mut customer: Customer,
    chat: i64,
) -> Result<(), DomainError> {
    if !desk.bot.consent || customer.consent_at.is_none() {
        return Ok(()); // a second tap, or nothing to withdraw
    }
    customer.consent_at = None;
    consent::clear(ctx, customer.id)?;
    ctx.append(Event::CustomerUpserted {
        customer: customer.clone(),
    })?;
    let talk = Talk::new(desk, &customer, chat);
    log_consent(ctx, &talk, Action::Withdrawn)?;
    talk.say(ctx, "privacy.withdrawn", &[])
}

/// `/mydata`.
pub fn mydata(ctx: &mut WriteCtx<'_>, talk: &Talk<'_>) -> Result<(), DomainError> {
    if let Some(last) = store::conversations::notice_at(ctx, talk.chat, MYDATA)? {
        let next = last + MYDATA_EVERY;
        if ctx.now < next {
            let left = next.since(ctx.now).as_secs().div_ceil(60).max(1);
            return talk.say(
                ctx,
                "privacy.mydata_wait",
                &[("minutes", &left.to_string())],
            );
        }
    }
    store::conversations::set_notice(ctx, talk.chat, MYDATA)?;
    let caption = talk.t("privacy.mydata_caption", &[]);
    store::outbox::enqueue_export(ctx, talk.chat, &caption)?;
    access::log(
        ctx,
        &AuditEntry {
            at: ctx.now,
            actor: Actor::Customer(talk.customer.id),
            action: MYDATA.into(),
            ticket: None,
            customer: Some(talk.customer.id),
            detail: "their data export, sent in the chat".into(),
        },
    )?;
    Ok(())
}

/// `/forgetme`: asks, with a button that is honoured for 15 minutes.
pub fn forget_ask(ctx: &mut WriteCtx<'_>, talk: &Talk<'_>) -> Result<(), DomainError> {
    let asked = minutes(ctx.now);
    let buttons = Keyboard::rows(vec![vec![
        Button::new(
            talk.t("button.forget_yes", &[]),
            Choice::Forget { asked, yes: true },
        ),
        Button::new(
            talk.t("button.forget_no", &[]),
            Choice::Forget { asked, yes: false },
        ),
    ]]);
    talk.send(ctx, &talk.t("privacy.forget_ask", &[]), Some(&buttons))
}

/// The answer to `/forgetme`.
pub fn forget(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: Customer,
    chat: i64,
    asked: i64,
    yes: bool,
) -> Result<(), DomainError> {
    let talk = Talk::new(desk, &customer, chat);
    if !yes {
        return talk.say(ctx, "privacy.forget_cancelled", &[]);
    }
    let age = minutes(ctx.now) - asked;
    if !(0..=FORGET_EXPIRES.as_secs() as i64 / 60).contains(&age) {
        return talk.say(ctx, "privacy.forget_expired", &[]);
    }
    // Their words held in a dialogue go with them.
    Conversation::end(ctx, chat)?;
    privacy::erase(ctx, customer.telegram_user_id, Actor::Customer(customer.id))?;
    // After the erasure (which empties the chat's outbox): the last word,
    // in their language.
    talk.say(ctx, "privacy.forget_done", &[])
}
