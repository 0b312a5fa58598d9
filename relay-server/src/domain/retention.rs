//! Retention: every kind of record has a time after which it goes
//! (`[retention]`, docs/privacy.md). Work is done in batches, each one
//! short write job, so the desk keeps answering while a backlog drains.

use std::time::Duration;

use shared::*;

use super::DomainError;
use super::desk::Retention;
use crate::store::access::{self, Actor, AuditEntry};
use crate::store::retention::{self as rows, Prunable};
use crate::store::{WriteCtx, erase};

/// Rows per batch and kind.
pub const BATCH: usize = 500;

/// The steps of a retention run still to finish (a step that removed less
/// than a batch is done for this run, so no table is scanned twice for
/// nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending([bool; STEPS]);

const STEPS: usize = 15;

impl Default for Pending {
    fn default() -> Self {
        Pending([true; STEPS])
    }
}

impl Pending {
    pub fn any(&self) -> bool {
        self.0.iter().any(|p| *p)
    }

    /// `keep` while step `i` is not done (a step kept forever is done).
    fn due(&mut self, i: usize, keep: Option<Duration>) -> Option<Duration> {
        if keep.is_none() {
            self.0[i] = false;
        }
        keep.filter(|_| self.0[i])
    }

    /// Step `i` removed `n`: done once under a batch.
    fn done(&mut self, i: usize, n: usize, batch: usize) {
        if n < batch {
            self.0[i] = false;
        }
    }
}

/// What one batch removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pruned {
    pub anonymized_tickets: usize,
    pub anonymized_customers: usize,
    pub deleted_tickets: usize,
    pub deleted_customers: usize,
    /// Rows of the age-only tables (events, updates, commands, notices, ...).
    pub rows: usize,
    /// Files of deleted or anonymized messages, for the caller to delete.
    pub files: Vec<String>,
}

impl Pruned {
    pub fn add(&mut self, other: Pruned) {
        self.anonymized_tickets += other.anonymized_tickets;
        self.anonymized_customers += other.anonymized_customers;
        self.deleted_tickets += other.deleted_tickets;
        self.deleted_customers += other.deleted_customers;
        self.rows += other.rows;
        self.files.extend(other.files);
    }

    pub fn is_empty(&self) -> bool {
        self.anonymized_tickets
            + self.anonymized_customers
            + self.deleted_tickets
            + self.deleted_customers
            + self.rows
            == 0
    }
}

fn cutoff(now: Timestamp, keep: Duration) -> Timestamp {
    Timestamp(now.0.saturating_sub(duration_ms(keep)))
}

/// One batch of every step still `pending`, at `ctx.now`; a step that
/// removed less than `batch` is marked done.
pub fn prune(
    ctx: &mut WriteCtx<'_>,
    r: &Retention,
    batch: usize,
    pending: &mut Pending,
) -> Result<Pruned, DomainError> {
    let now = ctx.now;
    let mut out = Pruned::default();
    if let Some(keep) = pending.due(0, r.delete_closed_after) {
        let tickets = rows::closed_before(ctx, cutoff(now, keep), batch)?;
        pending.done(0, tickets.len(), batch);
        if !tickets.is_empty() {
            let f = erase::forget_tickets(ctx, &tickets)?;
            out.deleted_tickets = tickets.len();
            out.files.extend(f.files);
            ctx.append(Event::TicketsRemoved { tickets })?;
        }
    }
    // Only once no more tickets are to go: a customer's last ticket may.
    if let Some(keep) = pending
        .due(1, r.delete_closed_after)
        .filter(|_| !pending.0[0])
    {
        let customers = rows::idle_customers_without_tickets(ctx, cutoff(now, keep), batch)?;
        pending.done(1, customers.len(), batch);
        for (customer, telegram_user_id) in &customers {
            erase::forget_customer(ctx, *customer, *telegram_user_id, &[], "")?;
            ctx.append(Event::CustomerErased {
                customer_id: *customer,
                tickets: Vec::new(),
            })?;
        }
        out.deleted_customers = customers.len();
    }
    if let Some(keep) = pending.due(2, r.anonymize_closed_after) {
        let tickets = rows::closed_to_anonymize(ctx, cutoff(now, keep), batch)?;
        pending.done(2, tickets.len(), batch);
        if !tickets.is_empty() {
            let f = erase::anonymize_tickets(ctx, &tickets)?;
            rows::mark_anonymized(ctx, &tickets)?;
            out.anonymized_tickets = tickets.len();
            out.files.extend(f.files);
        }
    }
    if let Some(keep) = pending
        .due(3, r.anonymize_closed_after)
        .filter(|_| !pending.0[2])
    {
        let n = rows::anonymize_customers(ctx, cutoff(now, keep), batch)?;
        pending.done(3, n, batch);
        out.anonymized_customers = n;
    }
    let ages = [
        (Prunable::Events, r.events),
        (Prunable::TelegramUpdates, r.telegram_updates),
        (Prunable::AppliedCommands, r.applied_commands),
        (Prunable::Notices, r.notices),
        (Prunable::SelfService, r.self_service),
        (Prunable::StaleDialogue, r.stale_dialogue),
        (Prunable::AuditLog, r.audit_log),
        (Prunable::GroupMessages, r.group_messages),
        // A send answered a minute ago no longer spaces the next one.
        (Prunable::ChatSends, Some(Duration::from_secs(60))),
        // A ticket closed a day ago needs no clocks or read markers.
        (
            Prunable::ClosedTicketState,
            Some(Duration::from_secs(86_400)),
        ),
    ];
    let last = 4 + ages.len();
    for (i, (what, keep)) in ages.into_iter().enumerate() {
        if let Some(keep) = pending.due(4 + i, keep) {
            let n = rows::prune(ctx, what, cutoff(now, keep), batch)?;
            pending.done(4 + i, n, batch);
            out.rows += n;
        }
    }
    // The ids of private chats' messages past Telegram's 48 hours, and
    // deletions past their deadline.
    if pending.due(last, Some(Duration::from_secs(1))).is_some() {
        let n = crate::store::deletions::prune(ctx, now, batch)?;
        pending.done(last, n, batch);
        out.rows += n;
    }
    if out.deleted_tickets
        + out.deleted_customers
        + out.anonymized_tickets
        + out.anonymized_customers
        > 0
    {
        access::log(
            ctx,
            &AuditEntry {
                at: now,
                actor: Actor::System,
                action: "retention".into(),
                ticket: None,
                customer: None,
                detail: format!(
                    "{} tickets and {} customers anonymized, {} tickets and {} customers deleted",
                    out.anonymized_tickets,
                    out.anonymized_customers,
                    out.deleted_tickets,
                    out.deleted_customers
                ),
            },
        )?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::{Desk0, at, settings};
    use crate::store::retention::row_counts;

    const DAY: Duration = Duration::from_secs(86_400);

    async fn counts(d: &Desk0) -> std::collections::HashMap<&'static str, u64> {
        d.store
            .readers()
            .read(row_counts)
            .await
            .unwrap()
            .into_iter()
            .collect()
    }

    async fn prune_all(d: &Desk0) -> Pruned {
        let mut total = Pruned::default();
        let mut pending = Pending::default();
        while pending.any() {
            let (p, left) = d
                .write(move |ctx, desk| {
                    let mut left = pending;
                    let p = prune(ctx, &desk.retention, 2, &mut left)?;
                    Ok((p, left))
                })
                .await
                .unwrap();
            pending = left;
            total.add(p);
        }
        total
    }

    #[tokio::test]
    async fn closed_tickets_are_anonymized_then_deleted_and_old_rows_go() {
        let mut d = Desk0::new(settings(), at("2026-01-05T10:00:00Z")).await;
        let kept = d.customer_writes(1, "en", "still open: my card").await;
        let mut closed = Vec::new();
        for chat in 2..5 {
            let t = d
                .customer_writes(chat, "en", &format!("secret {chat}"))
                .await;
            d.command(Command::SetStatus {
                ticket_id: t,
                status: TicketStatus::Closed,
            })
            .await;
            closed.push(t);
        }
        // The ids of the chats' messages, for deletion on erasure (48 h).
        d.write(|ctx, _| {
            for chat in 1..5 {
                crate::store::deletions::note(ctx, chat, 10, ctx.now)?;
            }
            // A message in a customer group.
            crate::store::groups::add_message(
                ctx,
                &crate::store::groups::NewMessage {
                    chat_id: -100,
                    message_id: 1,
                    conversation: None,
                    thread_id: None,
                    reply_to: None,
                    author_id: 7,
                    author_name: "Olga",
                    side: "customer",
                    text: "group secret",
                    sent_at: ctx.now,
                },
            )?;
            Ok(())
        })
        .await
        .unwrap();
        let before = counts(&d).await;
        assert_eq!(before["tickets"], 4);
        assert_eq!(before["tg_recent"], 4);
        // Nothing is past its time yet.
        assert!(prune_all(&d).await.is_empty());

        // 31 days on: the event log and command answers went; the tickets,
        // their texts and their SLA clocks (the figures' attainment) stay.
        d.advance(31 * DAY);
        // One fresh event (the head is always kept).
        d.customer_writes(1, "en", "a month later").await;
        let p = prune_all(&d).await;
        assert_eq!(p.anonymized_tickets + p.deleted_tickets, 0);
        let after = counts(&d).await;
        assert!(after["events"] < before["events"], "{after:?}");
        assert_eq!(after["applied_commands"], 0);
        assert_eq!(after["tg_recent"], 0, "past Telegram's 48 hours");
        assert_eq!(after["group_messages"], 1, "kept for a year");
        assert_eq!(
            after["sla_clocks"], before["sla_clocks"],
            "kept with their tickets, for the figures"
        );
        assert_eq!(d.message(MessageId(2)).await.text, "secret 2");

        // 181 days after closing: texts emptied, customers renamed.
        d.advance(150 * DAY);
        let p = prune_all(&d).await;
        assert_eq!(p.anonymized_tickets, 3);
        assert_eq!(p.anonymized_customers, 3);
        for t in &closed {
            let last = d.ticket(*t).await.last_message_id.unwrap();
            assert_eq!(d.message(last).await.text, "");
        }
        let still = d.ticket(kept).await;
        assert_eq!(
            d.message(still.last_message_id.unwrap()).await.text,
            "a month later"
        );
        // Twice is the same as once.
        assert!(prune_all(&d).await.is_empty());

        // 731 days after closing: the tickets and their customers are gone,
        // and clients are told.
        d.advance(550 * DAY);
        let p = prune_all(&d).await;
        assert_eq!(p.deleted_tickets, 3);
        assert_eq!(p.deleted_customers, 3);
        let after = counts(&d).await;
        assert_eq!(after["tickets"], 1);
        assert_eq!(after["customers"], 1);
        assert_eq!(after["group_messages"], 0, "past a year");
        assert!(d.events().await.iter().any(|e| matches!(
            e,
            Event::TicketsRemoved { tickets } if tickets.len() <= 2
        )));
        let audit = d
            .store
            .readers()
            .read(|c| {
                crate::store::access::query(
                    c,
                    &crate::store::access::AuditQuery {
                        action: Some("retention".into()),
                        limit: 100,
                        ..Default::default()
                    },
                )
            })
            .await
            .unwrap();
        assert!(!audit.is_empty());
    }

    #[tokio::test]
    async fn a_desk_that_keeps_everything_forever_prunes_nothing_and_stops() {
        let mut s = settings();
        for k in [
            &mut s.retention.anonymize_closed_after,
            &mut s.retention.delete_closed_after,
            &mut s.retention.events,
            &mut s.retention.applied_commands,
            &mut s.retention.notices,
            &mut s.retention.self_service,
            &mut s.retention.stale_dialogue,
            &mut s.retention.audit_log,
            &mut s.retention.group_messages,
        ] {
            k.clear();
        }
        let d = Desk0::new(s, at("2026-01-05T10:00:00Z")).await;
        d.customer_writes(1, "en", "hello").await;
        d.advance(3000 * DAY);
        let p = prune_all(&d).await;
        assert_eq!(
            p.anonymized_tickets + p.deleted_tickets + p.deleted_customers,
            0
        );
        assert!(counts(&d).await["events"] > 1);
    }

    #[test]
    fn retention_settings_are_checked() {
        let mut s = settings();
        s.retention.telegram_updates = "8d".into();
        let e = crate::domain::desk::Desk::from_settings(&s).unwrap_err();
        assert!(e.contains("telegram_updates"), "{e}");
        let mut s = settings();
        s.retention.delete_closed_after = "30d".into();
        let e = crate::domain::desk::Desk::from_settings(&s).unwrap_err();
        assert!(e.contains("delete_closed_after"), "{e}");
        let mut s = settings();
        s.retention.events = "30s".into();
        assert!(crate::domain::desk::Desk::from_settings(&s).is_err());
        let mut s = settings();
        s.retention.delete_closed_after = String::new();
        s.retention.anonymize_closed_after = String::new();
        let desk = crate::domain::desk::Desk::from_settings(&s).unwrap();
        assert_eq!(desk.retention.delete_closed_after, None);
    }
}
