//! What the customer hears as their ticket moves: status changes, the
//! resolution with a rating request, the follow-up a day later; and what
//! the ticket buttons do. Non-critical notifications wait out the
//! customer's quiet hours (critical tickets do not).

use shared::*;

use super::buttons::{Button, Choice, Keyboard};
use super::talk::Talk;
use super::wording;
use crate::domain::desk::Desk;
use crate::domain::experiments::{self, Kind, Variant};
use crate::domain::i18n::Lang;
use crate::domain::{DomainError, hours, outbox};
use crate::store::scheduled::{self, Held};
use crate::store::{Db, WriteCtx, rows};

/// A ticket's status for the customer, with the ETA while a first reply
/// is awaited.
pub fn status_text(ctx: &WriteCtx<'_>, talk: &Talk<'_>, t: &Ticket) -> Result<String, DomainError> {
    let mut text = wording::status_line(talk.desk, talk.lang, t);
    if t.first_reply_at.is_none() && matches!(t.status, TicketStatus::New | TicketStatus::Open) {
        let eta = wording::eta(ctx, talk.desk, talk.customer, t)?;
        text.push('\n');
        text.push_str(&talk.t("status.eta", &[("eta", &eta)]));
    }
    Ok(text)
}

/// Sends a bot message into the ticket's thread, or holds it until the
/// customer's quiet hours end when it is not critical.
pub fn send(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    ticket: &mut Ticket,
    text: &str,
    buttons: Option<&Keyboard>,
    critical: bool,
) -> Result<(), DomainError> {
    let markup = buttons.map(Keyboard::encode);
    send_stored(ctx, talk, ticket, text, markup.as_deref(), critical)
}

/// [`send`] with the buttons as stored (a held message released).
fn send_stored(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    ticket: &mut Ticket,
    text: &str,
    markup: Option<&str>,
    critical: bool,
) -> Result<(), DomainError> {
    let (desk, customer) = (talk.desk, talk.customer);
    if !critical
        && ticket.priority != Priority::Critical
        && let Some(q) = quiet_hours(ctx, desk, customer)?
        && let Some(until) = q.ends(ctx.now, &desk.bot.zone_of(customer.time_zone.as_deref()))
    {
        scheduled::hold_message(ctx, ticket.id, text, markup, until)?;
        return Ok(());
    }
    outbox::bot_message_stored(ctx, &desk.queues, ticket, text, markup)?;
    Ok(())
}

/// The customer's quiet hours: their own (the mini app's settings), else
/// the desk's.
fn quiet_hours(
    db: &impl Db,
    desk: &Desk,
    customer: &Customer,
) -> Result<Option<hours::Quiet>, DomainError> {
    Ok(
        match crate::store::customers::prefs(db, customer.id)?.quiet_hours {
            None => desk.bot.quiet,
            // Checked when set; one that no longer reads means none.
            Some(own) => hours::Quiet::parse(&own).ok().flatten(),
        },
    )
}

/// The customer asked for the essential only: replies and the resolution,
/// no status changes, no follow-ups.
fn essential_only(db: &impl Db, customer: &Customer) -> Result<bool, DomainError> {
    Ok(crate::store::customers::prefs(db, customer.id)?.essential_only)
}

fn customer_of(ctx: &WriteCtx<'_>, t: &Ticket) -> Result<Customer, DomainError> {
    rows::load_customer(ctx, t.customer_id)?
        .ok_or_else(|| DomainError::not_found(format!("customer {} vanished", t.customer_id)))
}

fn number(t: &Ticket) -> String {
    t.number.to_string()
}

/// An engineer took or was given the ticket.
pub fn assigned(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    ticket: &mut Ticket,
    agent: AgentId,
) -> Result<(), DomainError> {
    if !desk.bot.guided || !matches!(ticket.status, TicketStatus::New | TicketStatus::Open) {
        return Ok(());
    }
    let customer = customer_of(ctx, ticket)?;
    let talk = Talk::about(desk, &customer);
    let name = rows::load_agent(ctx, agent)?.map_or_else(String::new, |a| a.display_name);
    let text = talk.t(
        "status.accepted",
        &[("number", &number(ticket)), ("agent", &name)],
    );
    send_status(ctx, &talk, ticket, &text)
}

/// How long variant B of a `notifications` experiment gathers status
/// changes into one message, from the first.
pub const SUMMARY_AFTER: std::time::Duration = std::time::Duration::from_secs(120);

/// A status change told to the customer: at once (A), or gathered with
/// the others of the next [`SUMMARY_AFTER`] into one message (B).
fn send_status(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    ticket: &mut Ticket,
    text: &str,
) -> Result<(), DomainError> {
    let summary = experiments::variant(
        ctx,
        &talk.desk.experiments,
        talk.customer,
        Kind::Notifications,
    )? == Variant::B;
    if ticket.priority != Priority::Critical && essential_only(ctx, talk.customer)? {
        return Ok(());
    }
    if !summary || ticket.priority == Priority::Critical {
        return send(ctx, talk, ticket, text, None, false);
    }
    let head = talk.t("status.summary", &[("number", &number(ticket))]);
    scheduled::add_to_summary(ctx, ticket.id, &head, text, ctx.now + SUMMARY_AFTER)?;
    Ok(())
}

/// An engineer changed the status.
pub fn status_changed(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    ticket: &mut Ticket,
    from: TicketStatus,
    by: AgentId,
) -> Result<(), DomainError> {
    if !desk.bot.guided {
        return Ok(());
    }
    let customer = customer_of(ctx, ticket)?;
    let talk = Talk::about(desk, &customer);
    let n = number(ticket);
    let key = match (from, ticket.status) {
        (_, TicketStatus::Resolved) => return resolved(ctx, &talk, ticket, by),
        (TicketStatus::Resolved, TicketStatus::Closed) => return Ok(()),
        (_, TicketStatus::Closed) => "status.closed",
        (TicketStatus::Resolved | TicketStatus::Closed, _) => "status.reopened",
        (_, TicketStatus::PendingOnCustomer) => "status.needs_info",
        (_, TicketStatus::Open) => "status.in_progress",
        (_, TicketStatus::New) => return Ok(()),
    };
    scheduled::drop_followup(ctx, ticket.id)?;
    let text = talk.t(key, &[("number", &n)]);
    send_status(ctx, &talk, ticket, &text)
}

fn rating_buttons(desk: &Desk, lang: Lang, ticket: &Ticket, reopen: bool) -> Keyboard {
    let stars: Vec<Button> = (1..=5)
        .map(|n| {
            Button::new(
                format!("{n}⭐"),
                Choice::Rate {
                    ticket: ticket.id,
                    stars: n,
                },
            )
        })
        .collect();
    let mut rows = vec![stars];
    if reopen {
        rows.push(vec![not_fixed(desk, lang, ticket)]);
    }
    Keyboard::rows(rows)
}

fn not_fixed(desk: &Desk, lang: Lang, ticket: &Ticket) -> Button {
    Button::new(
        desk.bot.t(lang, "button.not_fixed", &[]),
        Choice::Reopen { ticket: ticket.id },
    )
}

/// How long after the resolution variant B of a `csat_timing` experiment
/// asks for the rating.
pub const CSAT_LATER: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The rating request on its own (asked later): "How did we do with
/// ticket #N?" with the stars, unless the ticket was rated or reopened.
fn rating_later(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    ticket: &mut Ticket,
) -> Result<(), DomainError> {
    if ticket.csat.is_some()
        || !matches!(ticket.status, TicketStatus::Resolved | TicketStatus::Closed)
    {
        return Ok(());
    }
    let (desk, lang) = (talk.desk, talk.lang);
    let text = desk.bot.t(
        lang,
        "csat.ask",
        &[
            ("number", &number(ticket)),
            (
                "topic",
                &wording::topic_label(desk, lang, ticket.topic.as_deref()),
            ),
        ],
    );
    let markup = rating_buttons(desk, lang, ticket, false);
    send(ctx, talk, ticket, &text, Some(&markup), false)?;
    crate::store::tickets::csat_asked(ctx, ticket.id)?;
    Ok(())
}

/// The NPS question (`bot.nps`): 0-10, on two rows.
pub fn ask_nps(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    ticket: &mut Ticket,
) -> Result<(), DomainError> {
    let scores = |r: std::ops::RangeInclusive<u8>| -> Vec<Button> {
        r.map(|score| {
            Button::new(
                score.to_string(),
                Choice::Nps {
                    ticket: ticket.id,
                    score,
                },
            )
        })
        .collect()
    };
    let markup = Keyboard::rows(vec![scores(0..=5), scores(6..=10)]);
    let text = talk.t("nps.ask", &[]);
    send(ctx, talk, ticket, &text, Some(&markup), false)?;
    crate::store::tickets::nps_asked(ctx, ticket.id)?;
    Ok(())
}

/// The resolution: a short summary, what to do if it is not fixed, the
/// 1-5 star buttons; the follow-up is scheduled.
fn resolved(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    ticket: &mut Ticket,
    by: AgentId,
) -> Result<(), DomainError> {
    let (desk, lang) = (talk.desk, talk.lang);
    let agent = ticket
        .assignee
        .or(Some(by))
        .map(|a| rows::load_agent(ctx, a))
        .transpose()?
        .flatten()
        .map_or_else(|| desk.bot.t(lang, "resolve.team", &[]), |a| a.display_name);
    let took = wording::took(desk, lang, ctx.now.since(ticket.created_at));
    // A `csat_timing` experiment's variant B asks for the rating a day
    // later, on its own.
    let later = experiments::variant(ctx, &desk.experiments, talk.customer, Kind::CsatTiming)?
        == Variant::B;
    let text = desk.bot.t(
        lang,
        if later {
            "resolve.summary_later"
        } else {
            "resolve.summary"
        },
        &[
            ("number", &number(ticket)),
            (
                "topic",
                &wording::topic_label(desk, lang, ticket.topic.as_deref()),
            ),
            ("agent", &agent),
            ("took", &took),
            (
                "window",
                &(desk.bot.reopen_window.as_secs() / 3600).max(1).to_string(),
            ),
        ],
    );
    scheduled::drop_followup(ctx, ticket.id)?;
    // The resolution sums it all up: a summary still gathering goes.
    scheduled::drop_summary(ctx, ticket.id)?;
    if later {
        let markup = Keyboard::rows(vec![vec![not_fixed(desk, lang, ticket)]]);
        send(ctx, talk, ticket, &text, Some(&markup), false)?;
        scheduled::set_csat_ask(ctx, ticket.id, ctx.now + CSAT_LATER)?;
    } else {
        let markup = rating_buttons(desk, lang, ticket, true);
        send(ctx, talk, ticket, &text, Some(&markup), false)?;
        crate::store::tickets::csat_asked(ctx, ticket.id)?;
    }
    if let Some(after) = desk.bot.followup_after
        && !essential_only(ctx, talk.customer)?
    {
        scheduled::set_followup(ctx, ticket.id, ctx.now + after)?;
    }
    Ok(())
}

/// /end with an open ticket: closed by the customer, rating asked.
pub fn closed_by_customer(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    ticket: &mut Ticket,
) -> Result<(), DomainError> {
    let desk = talk.desk;
    crate::domain::ticket::close(ctx, &desk.queues, ticket)?;
    let text = talk.t("end.done", &[("number", &number(ticket))]);
    let markup = rating_buttons(desk, talk.lang, ticket, false);
    outbox::bot_message(ctx, &desk.queues, ticket, &text, Some(&markup))?;
    crate::store::tickets::csat_asked(ctx, ticket.id)?;
    Ok(())
}

/// When the next held message or follow-up falls due (`release_due`'s
/// look-ahead).
pub fn next_release(db: &impl Db) -> Result<Option<Timestamp>, DomainError> {
    Ok(scheduled::next_due(db)?)
}

/// Sends what was held for quiet hours and the follow-ups now due.
pub fn release_due(ctx: &mut WriteCtx<'_>, desk: &Desk) -> Result<usize, DomainError> {
    let due = scheduled::take_due(ctx, ctx.now, 100)?;
    let n = due.len();
    for row in due {
        let Some(mut ticket) = rows::load_ticket(ctx, row.ticket)? else {
            continue;
        };
        let customer = customer_of(ctx, &ticket)?;
        let talk = Talk::about(desk, &customer);
        match row.held {
            Held::Message { text, markup } => {
                send_stored(ctx, &talk, &mut ticket, &text, markup.as_deref(), false)?;
            }
            Held::Followup
                if matches!(ticket.status, TicketStatus::Resolved | TicketStatus::Closed) =>
            {
                followup(ctx, &talk, &mut ticket)?;
            }
            Held::Followup => {}
            Held::Csat => rating_later(ctx, &talk, &mut ticket)?,
        }
    }
    Ok(n)
}

/// "Is it still fixed?", with yes and no.
fn followup(
    ctx: &mut WriteCtx<'_>,
    talk: &Talk<'_>,
    ticket: &mut Ticket,
) -> Result<(), DomainError> {
    let (desk, lang) = (talk.desk, talk.lang);
    let text = desk.bot.t(
        lang,
        "followup.ask",
        &[
            ("number", &number(ticket)),
            (
                "topic",
                &wording::topic_label(desk, lang, ticket.topic.as_deref()),
            ),
        ],
    );
    let markup = Keyboard::rows(vec![vec![
        Button::new(
            desk.bot.t(lang, "button.followup_yes", &[]),
            Choice::Followup {
                ticket: ticket.id,
                ok: true,
            },
        ),
        Button::new(
            desk.bot.t(lang, "button.followup_no", &[]),
            Choice::Followup {
                ticket: ticket.id,
                ok: false,
            },
        ),
    ]]);
    send(ctx, talk, ticket, &text, Some(&markup), false)
}

/// A new ticket in a queue that announces: posted to the staff chat.
pub fn announce(ctx: &mut WriteCtx<'_>, desk: &Desk, t: &Ticket) -> Result<(), DomainError> {
    let Some(q) = desk.queues.config(&t.queue) else {
        return Ok(());
    };
    if !q.announce {
        return Ok(());
    }
    let who =
        rows::load_customer(ctx, t.customer_id)?.map_or_else(String::new, |c| match c.username {
            Some(u) => format!("{} (@{u})", c.first_name),
            None => c.first_name,
        });
    let due = t
        .sla
        .first_reply_due
        .map(|d| format!(", first reply due in {}", hours::short(d.since(ctx.now))))
        .unwrap_or_default();
    outbox::staff_post(
        ctx,
        desk,
        &format!(
            "🆕 New {} ticket #{} from {who}, {}{due} · {}",
            q.wire.name,
            t.number,
            t.priority.as_str(),
            agent_name(ctx, t.assignee)?
        ),
    )
}

/// An agent's login name for the staff chat ("unassigned" for none).
pub fn agent_name(ctx: &WriteCtx<'_>, a: Option<AgentId>) -> Result<String, DomainError> {
    Ok(match a {
        Some(a) => rows::load_agent(ctx, a)?.map_or_else(|| a.to_string(), |a| a.name),
        None => "unassigned".into(),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use shared::*;

    use crate::domain::buttons::{Choice, Keyboard};
    use crate::domain::testkit::{Desk0, at, settings};

    const CHAT: i64 = 3131;

    /// The keyboard stored with the chat's first waiting message.
    async fn buttons(desk: &Desk0) -> Keyboard {
        let row = desk
            .due()
            .await
            .into_iter()
            .find(|d| d.chat_id == CHAT)
            .unwrap();
        Keyboard::decode(row.markup.as_deref().unwrap()).unwrap()
    }

    /// Side B of a `notifications` test: the status changes of two
    /// minutes go out as one message; side A's go one by one.
    #[tokio::test]
    async fn side_b_of_a_notifications_test_gets_one_summary() {
        use crate::domain::experiments::{Experiment, Kind, Variant};
        for side in [Variant::B, Variant::A] {
            let mut s = settings();
            s.bot.quiet_hours = String::new();
            // A name whose split puts this customer on `side`.
            let name = (0..)
                .map(|i| format!("summary-{i}"))
                .find(|n| {
                    let e = Experiment {
                        name: n.clone(),
                        kind: Kind::Notifications,
                        share: 50,
                        enabled: true,
                    };
                    e.variant_of(CHAT) == side
                })
                .unwrap();
            s.experiments.push(crate::settings::ExperimentSettings {
                name,
                kind: "notifications".into(),
                share: 50,
                enabled: true,
            });
            let mut desk = Desk0::new(s, at("2026-11-23T10:00:00Z")).await;
            let ticket = desk.customer_writes(CHAT, "en", "Export broken").await;
            let before = desk.sent_to(CHAT).await.len();
            desk.command(Command::Take { ticket_id: ticket }).await;
            desk.advance(Duration::from_secs(30));
            for status in [TicketStatus::PendingOnCustomer, TicketStatus::Open] {
                desk.command(Command::SetStatus {
                    ticket_id: ticket,
                    status,
                })
                .await;
                desk.advance(Duration::from_secs(30));
            }
            let n = desk.ticket(ticket).await.number;
            let lines = [
                format!("Ticket #{n}: lead has taken your request."),
                format!("Ticket #{n}: we need a few more details from you — just reply here."),
                format!("Ticket #{n} is in progress."),
            ];
            let sent = desk.sent_to(CHAT).await;
            if side == Variant::A {
                assert_eq!(sent[before..], lines, "one by one");
                continue;
            }
            assert_eq!(sent.len(), before, "gathering: {sent:?}");
            desk.advance(Duration::from_secs(31));
            desk.tick().await;
            let sent = desk.sent_to(CHAT).await;
            assert_eq!(
                sent[before..],
                [format!("Ticket #{n}, what happened:\n{}", lines.join("\n"))]
            );
        }
    }

    /// Side B of a `csat_timing` test: the resolution without stars, the
    /// rating request a day later with them (unless rated by then).
    #[tokio::test]
    async fn side_b_of_a_rating_test_is_asked_a_day_later() {
        use crate::domain::experiments::{Experiment, Kind, Variant};
        let mut s = settings();
        s.bot.quiet_hours = String::new();
        s.bot.followup_after = "0".into();
        let name = (0..)
            .map(|i| format!("later-{i}"))
            .find(|n| {
                let e = Experiment {
                    name: n.clone(),
                    kind: Kind::CsatTiming,
                    share: 50,
                    enabled: true,
                };
                e.variant_of(CHAT) == Variant::B
            })
            .unwrap();
        s.experiments.push(crate::settings::ExperimentSettings {
            name,
            kind: "csat_timing".into(),
            share: 50,
            enabled: true,
        });
        let mut desk = Desk0::new(s, at("2026-11-23T10:00:00Z")).await;
        let ticket = desk.customer_writes(CHAT, "en", "Export broken").await;
        desk.command(Command::SetStatus {
            ticket_id: ticket,
            status: TicketStatus::Resolved,
        })
        .await;
        let sent = desk.sent_to(CHAT).await;
        let resolution = sent.last().unwrap();
        assert!(!resolution.contains("How did we do"), "{resolution}");
        let k = buttons_of_last(&desk).await;
        assert_eq!(k, vec![Choice::Reopen { ticket }]);
        // Not before the day is over.
        desk.advance(Duration::from_secs(23 * 3600));
        desk.tick().await;
        assert_eq!(desk.sent_to(CHAT).await.len(), sent.len());
        desk.advance(Duration::from_secs(3600));
        desk.tick().await;
        let later = desk.sent_to(CHAT).await;
        assert_eq!(later.len(), sent.len() + 1);
        let n = desk.ticket(ticket).await.number;
        assert_eq!(
            later.last().unwrap(),
            &format!("How did we do with ticket #{n} (General)? Rate it from 1 to 5:")
        );
        assert_eq!(
            buttons_of_last(&desk).await,
            (1..=5)
                .map(|stars| Choice::Rate { ticket, stars })
                .collect::<Vec<_>>()
        );
    }

    /// The buttons of the chat's newest bot message.
    async fn buttons_of_last(desk: &Desk0) -> Vec<Choice> {
        let markups = desk
            .store
            .readers()
            .read(|c| crate::store::outbox::markups_for(c, CHAT))
            .await
            .unwrap();
        markups
            .last()
            .cloned()
            .flatten()
            .and_then(|m| Keyboard::decode(&m))
            .map(|k| k.rows.into_iter().flatten().map(|b| b.choice).collect())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn a_resolution_at_night_waits_for_the_morning_with_its_rating_buttons() {
        let mut s = settings();
        s.bot.quiet_hours = "22:00-08:00".into();
        s.bot.default_time_zone = "UTC".into();
        let mut desk = Desk0::new(s, at("2026-11-23T21:50:00Z")).await;
        let ticket = desk.customer_writes(CHAT, "en", "Export broken").await;
        desk.advance(Duration::from_secs(20 * 60));
        desk.command(Command::SetStatus {
            ticket_id: ticket,
            status: TicketStatus::Resolved,
        })
        .await;
        assert!(desk.sent_to(CHAT).await.is_empty(), "nothing at 22:10");
        // The resolution is held; the follow-up is scheduled too.
        assert_eq!(desk.held().await, 2);
        desk.clock.set(at("2026-11-24T08:00:10Z"));
        desk.tick().await;
        let sent = desk.sent_to(CHAT).await;
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert!(sent[0].contains("is resolved"), "{sent:?}");
        let k = buttons(&desk).await;
        let choices: Vec<Choice> = k.rows.iter().flatten().map(|b| b.choice.clone()).collect();
        assert_eq!(
            choices[..5],
            (1..=5)
                .map(|stars| Choice::Rate { ticket, stars })
                .collect::<Vec<_>>()[..]
        );
        assert_eq!(choices[5], Choice::Reopen { ticket });
        assert_eq!(desk.held().await, 1, "the follow-up still waits");
    }

    /// A customer's own settings (the mini app's): no quiet hours at all,
    /// and the essential only: the resolution comes at night at once, the
    /// engineer taking it is not told, and no follow-up is planned.
    #[tokio::test]
    async fn a_customers_own_quiet_hours_and_essential_notifications_are_kept() {
        let mut s = settings();
        s.bot.quiet_hours = "22:00-08:00".into();
        s.bot.default_time_zone = "UTC".into();
        s.bot.followup_after = "2h".into();
        let mut desk = Desk0::new(s, at("2026-11-23T21:50:00Z")).await;
        let ticket = desk.customer_writes(CHAT, "en", "Export broken").await;
        let sender = Desk0::sender(CHAT, "en");
        desk.write(move |ctx, _| {
            crate::domain::dialogue::app::settings(
                ctx,
                &sender,
                &AppSettingsChange {
                    quiet_hours: Some(String::new()),
                    notifications: Some("essential".into()),
                    ..Default::default()
                },
            )
            .map(|_| ())
        })
        .await
        .unwrap();
        let before = desk.sent_to(CHAT).await.len();
        desk.advance(Duration::from_secs(20 * 60));
        desk.command(Command::Take { ticket_id: ticket }).await;
        desk.command(Command::SetStatus {
            ticket_id: ticket,
            status: TicketStatus::Resolved,
        })
        .await;
        let sent = desk.sent_to(CHAT).await;
        assert_eq!(sent.len(), before + 1, "{sent:?}");
        assert!(sent[before].contains("is resolved"), "at 22:10: {sent:?}");
        assert_eq!(desk.held().await, 0, "no follow-up planned");
    }

    #[tokio::test]
    async fn the_follow_up_asks_once_whether_it_is_still_fixed() {
        let mut s = settings();
        s.bot.quiet_hours = String::new();
        s.bot.followup_after = "2h".into();
        let mut desk = Desk0::new(s, at("2026-11-23T10:00:00Z")).await;
        let ticket = desk.customer_writes(CHAT, "en", "Login loop").await;
        desk.command(Command::SetStatus {
            ticket_id: ticket,
            status: TicketStatus::Resolved,
        })
        .await;
        let resolved = desk.sent_to(CHAT).await.len();
        desk.advance(Duration::from_secs(3600));
        desk.tick().await;
        assert_eq!(desk.sent_to(CHAT).await.len(), resolved, "not yet");
        desk.advance(Duration::from_secs(3601));
        desk.tick().await;
        desk.tick().await;
        let sent = desk.sent_to(CHAT).await;
        assert_eq!(sent.len(), resolved + 1, "{sent:?}");
        assert!(
            sent.last()
                .unwrap()
                .contains(&format!("#{}", desk.ticket(ticket).await.number))
        );
        assert_eq!(desk.held().await, 0);
    }
}
