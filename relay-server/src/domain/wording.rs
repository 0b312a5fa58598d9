//! What the bot says about a ticket, in the customer's language: its
//! topic, a one-line status, an honest ETA, durations in words, and the
//! [Status] [Add details] buttons.

use std::time::Duration;

use shared::*;

use super::DomainError;
use super::buttons::{Button, Choice, Keyboard};
use super::desk::Desk;
use super::i18n::Lang;
use crate::store::{self, Db, WriteCtx};

/// The topic's name in the customer's language.
pub fn topic_label(desk: &Desk, lang: Lang, topic: Option<&str>) -> String {
    match topic {
        Some(k) => desk.bot.t(lang, &format!("topic.{k}"), &[]),
        None => desk.bot.t(lang, "topic.none", &[]),
    }
}

/// [Status] [Add details] for a ticket.
pub fn ticket_buttons(desk: &Desk, lang: Lang, ticket: &Ticket) -> Keyboard {
    let mut rows = vec![vec![
        Button::new(
            desk.bot.t(lang, "button.status", &[]),
            Choice::Status { ticket: ticket.id },
        ),
        Button::new(
            desk.bot.t(lang, "button.details", &[]),
            Choice::Details { ticket: ticket.id },
        ),
    ]];
    // With the mini app at a public address: "Open" goes to this ticket.
    if let Some(app) = &desk.miniapp.public_url {
        rows.push(vec![Button::new(
            desk.bot.t(lang, "app.open", &[]),
            Choice::OpenApp {
                url: app_link(app, ticket.id),
            },
        )]);
    }
    Keyboard::rows(rows)
}

/// The mini app's address opening `ticket` (`?ticket=N`; Telegram adds
/// its launch data after `#`).
pub fn app_link(public_url: &str, ticket: TicketId) -> String {
    let base = public_url.split('#').next().unwrap_or_default();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}ticket={}", ticket.0)
}

/// Tickets considered for the recent first-reply time.
const ETA_SAMPLE: usize = 50;
/// Fewer answered tickets than this: the SLA target stands in.
const ETA_MIN_SAMPLE: usize = 5;
/// An engineer's time per waiting ticket, at most.
const ETA_PER_TICKET: Duration = Duration::from_secs(10 * 60);
/// The shortest estimate given.
const ETA_AT_LEAST: Duration = Duration::from_secs(60);

/// An honest estimate of the first reply, in words. The larger of the
/// queue's recent median first-reply time (its SLA target when there is
/// too little history) and the time for the engineers serving the queue
/// to get through the tickets waiting ahead; outside business hours, from
/// the time the desk opens.
pub fn eta(
    ctx: &WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    ticket: &Ticket,
) -> Result<String, DomainError> {
    eta_at(ctx, ctx.now, desk, customer, ticket)
}

/// [`eta`] as of `now`, on any connection (the mini app reads it).
pub fn eta_at(
    db: &impl Db,
    now: Timestamp,
    desk: &Desk,
    customer: &Customer,
    ticket: &Ticket,
) -> Result<String, DomainError> {
    let lang = Lang::of(customer);
    let queue = &ticket.queue;
    let target = desk
        .queues
        .get(&ticket.queue)
        .map_or(15, |q| q.first_reply_minutes);
    let target = Duration::from_secs(u64::from(target) * 60);
    let week_ago = now - Duration::from_secs(7 * 86_400);
    let mut recent = store::tickets::first_reply_times(db, queue, week_ago, ETA_SAMPLE)?;
    recent.sort_unstable();
    let base = if recent.len() >= ETA_MIN_SAMPLE {
        Duration::from_millis(u64::try_from(recent[recent.len() / 2]).unwrap_or(0))
    } else {
        target
    };
    let waiting = store::tickets::unanswered_before(db, queue, ticket.id)?;
    let agents = store::agents::serving(db, queue)?.max(1);
    let per_ticket = base.min(ETA_PER_TICKET);
    let rounds = u32::try_from(waiting.div_ceil(agents)).unwrap_or(u32::MAX);
    let backlog = per_ticket.saturating_mul(rounds);
    let wait = base.max(backlog).max(ETA_AT_LEAST);
    let hours = &desk.bot.hours;
    match hours.next_open(now) {
        Some(open) if open != now => {
            let time = desk
                .bot
                .customer_time(open, now, customer.time_zone.as_deref());
            Ok(desk.bot.t(
                lang,
                "eta.after_open",
                &[("time", &time), ("wait", &duration(desk, lang, wait))],
            ))
        }
        _ => Ok(duration(desk, lang, wait)),
    }
}

/// "about 15 min", "about 3 h", "about 2 days": rounded up.
pub fn duration(desk: &Desk, lang: Lang, d: Duration) -> String {
    let minutes = u64::try_from(d.as_millis().div_ceil(60_000)).unwrap_or(u64::MAX);
    if minutes <= 60 {
        let n = minutes.max(1).div_ceil(5) * 5;
        desk.bot.t(lang, "eta.minutes", &[("n", &n.to_string())])
    } else if minutes <= 48 * 60 {
        desk.bot.t(
            lang,
            "eta.hours",
            &[("n", &minutes.div_ceil(60).to_string())],
        )
    } else {
        desk.bot.t(
            lang,
            "eta.days",
            &[("n", &minutes.div_ceil(1440).to_string())],
        )
    }
}

/// How long something took, for the customer: what it was, to the minute
/// ("less than a minute", "7 min"), then in hours or days. Not
/// [`duration`], which rounds an estimate up.
pub fn took(desk: &Desk, lang: Lang, d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 60 {
        return desk.bot.t(lang, "took.under_minute", &[]);
    }
    let minutes = (secs + 30) / 60;
    if minutes < 60 {
        return desk
            .bot
            .t(lang, "took.minutes", &[("n", &minutes.to_string())]);
    }
    let hours = (minutes + 30) / 60;
    if hours <= 48 {
        desk.bot.t(lang, "eta.hours", &[("n", &hours.to_string())])
    } else {
        desk.bot
            .t(lang, "eta.days", &[("n", &((hours + 12) / 24).to_string())])
    }
}

/// "#12345 · Payment · in progress".
pub fn status_line(desk: &Desk, lang: Lang, t: &Ticket) -> String {
    desk.bot.t(
        lang,
        "status.line",
        &[
            ("number", &t.number.to_string()),
            ("topic", &topic_label(desk, lang, t.topic.as_deref())),
            (
                "status",
                &desk
                    .bot
                    .t(lang, &format!("state.{}", t.status.as_str()), &[]),
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn how_long_it_took_is_what_it_was_not_an_estimate() {
        let desk = Desk::from_settings(&crate::domain::testkit::settings()).unwrap();
        let took = |lang, secs| took(&desk, lang, Duration::from_secs(secs));
        assert_eq!(took(Lang::En, 12), "less than a minute");
        assert_eq!(took(Lang::En, 7 * 60 + 20), "7 min");
        assert_eq!(took(Lang::En, 59 * 60 + 40), "about 1 h");
        assert_eq!(took(Lang::En, 3 * 3600 + 100), "about 3 h");
        assert_eq!(took(Lang::En, 3 * 86_400), "about 3 days");
        assert_eq!(took(Lang::En, 49 * 3600), "about 2 days");
        assert_eq!(took(Lang::Uk, 12), "менше хвилини");
        assert_eq!(took(Lang::Ru, 2 * 60), "2 мин");
        assert_eq!(took(Lang::Zh, 2 * 60), "2 分钟");
        // An estimate of the same is rounded up.
        assert_eq!(
            duration(&desk, Lang::En, Duration::from_secs(12)),
            "about 5 min"
        );
    }
}
