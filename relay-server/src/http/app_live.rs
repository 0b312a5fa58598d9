//! `GET /app/api/events`: the mini app's live updates, as server-sent
//! events (docs/miniapp.md, "Live"). The app reads them with `fetch`
//! (EventSource cannot send the launch data). An event names one of the
//! customer's tickets that changed (`event: ticket`, `data: {"id":N}`)
//! and the app reads it again; nothing of its content travels here, so
//! nothing can leak that the read routes would not show. Internal notes
//! and staff-only changes wake nobody. Streams are bounded: a few per
//! customer, a cap in all.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event as Sse, KeepAlive};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use shared::*;
use tokio::sync::broadcast::error::RecvError;

use super::app::Opened;
use super::refuse;
use crate::App;
use crate::store::StreamEvent;
use crate::store::read::ReadFor;

/// Live streams open at once, in all.
pub const MAX_STREAMS: usize = 512;
/// Live streams one customer may hold (a phone and a desktop, a reload).
pub const MAX_PER_CUSTOMER: usize = 3;

static OPEN: AtomicUsize = AtomicUsize::new(0);
static PER_USER: std::sync::Mutex<Vec<i64>> = std::sync::Mutex::new(Vec::new());

/// A place among the open streams, given back when the stream ends.
struct Slot(i64);

impl Slot {
    fn take(user: i64) -> Option<Slot> {
        let mut users = PER_USER.lock().unwrap_or_else(|e| e.into_inner());
        let mine = users.iter().filter(|u| **u == user).count();
        if mine >= MAX_PER_CUSTOMER || OPEN.load(Ordering::Relaxed) >= MAX_STREAMS {
            return None;
        }
        users.push(user);
        OPEN.fetch_add(1, Ordering::Relaxed);
        Some(Slot(user))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut users = PER_USER.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = users.iter().position(|u| *u == self.0) {
            users.swap_remove(i);
        }
        OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What the stream knows of the customer: who they are once known, and
/// their tickets with their company's shared ones (as of when the stream
/// opened; the reads decide again each time).
struct Watch {
    user: i64,
    customer: Option<CustomerId>,
    tickets: HashSet<TicketId>,
}

impl Watch {
    /// The ticket an event tells the customer about, if any.
    fn concerns(&mut self, e: &Event) -> Option<TicketId> {
        match e {
            Event::CustomerUpserted { customer } if customer.telegram_user_id == self.user => {
                self.customer = Some(customer.id);
                None
            }
            Event::TicketCreated { ticket } | Event::TicketUpdated { ticket, .. }
                // (A ticket of theirs from a customer group wakes the app
                // too; reading it is 404 unless their company shares it.)
                if Some(ticket.customer_id) == self.customer
                    || self.tickets.contains(&ticket.id) =>
            {
                self.tickets.insert(ticket.id);
                Some(ticket.id)
            }
            Event::MessageAdded { message } | Event::MessageUpdated { message }
                if message.kind != MessageKind::Note && self.tickets.contains(&message.ticket_id) =>
            {
                Some(message.ticket_id)
            }
            _ => None,
        }
    }
}

fn ticket_event(id: TicketId) -> Sse {
    Sse::default()
        .event("ticket")
        .data(format!("{{\"id\":{}}}", id.0))
}

/// `GET /app/api/events`.
pub async fn events(State(app): State<Arc<App>>, Opened(who): Opened) -> Response {
    let user = who.user.id;
    let Some(slot) = Slot::take(user) else {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "too many live views open: close one",
        );
    };
    // Subscribed before reading, so nothing between the two is missed.
    let rx = app.store.subscribe();
    let known = app
        .store
        .readers()
        .read_for(ReadFor::Client, move |c| {
            Ok(crate::domain::customer_app::watched(c, user))
        })
        .await;
    let known = known
        .map_err(|e| e.to_string())
        .and_then(|k| k.map_err(|e| e.to_string()));
    let (customer, tickets) = match known {
        Ok(k) => k,
        Err(e) => return refuse(StatusCode::SERVICE_UNAVAILABLE, e),
    };
    let watch = Watch {
        user,
        customer,
        tickets: tickets.into_iter().collect(),
    };
    // Until the launch data expires: then the app is asked to be opened
    // again, as every other route would.
    let expires = who.auth_date + app.desk.miniapp.max_age;
    let left = expires.since(app.store.now());
    let until = tokio::time::Instant::now() + left;
    let stream = live(rx, watch, app.shutdown.clone(), until, slot);
    axum::response::sse::Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
        .into_response()
}

/// The customer's events until the server stops, their launch data
/// expires or they are erased. A stream that fell behind says `resync`
/// (read everything again).
fn live(
    rx: tokio::sync::broadcast::Receiver<Arc<StreamEvent>>,
    watch: Watch,
    stop: tokio_util::sync::CancellationToken,
    until: tokio::time::Instant,
    slot: Slot,
) -> impl Stream<Item = Result<Sse, Infallible>> {
    let start = Sse::default().event("ready").data("{}");
    let state = (rx, watch, stop, slot, Some(start));
    futures_util::stream::unfold(
        state,
        move |(mut rx, mut watch, stop, slot, first)| async move {
            if let Some(e) = first {
                return Some((Ok(e), (rx, watch, stop, slot, None)));
            }
            loop {
                let got = tokio::select! {
                    _ = stop.cancelled() => return None,
                    _ = tokio::time::sleep_until(until) => return None,
                    got = rx.recv() => got,
                };
                match got {
                    Ok(e) => {
                        if let Some(Event::CustomerErased { customer_id, .. }) = &e.event
                            && Some(*customer_id) == watch.customer
                        {
                            return None;
                        }
                        if let Some(id) = e.event.as_ref().and_then(|ev| watch.concerns(ev)) {
                            return Some((Ok(ticket_event(id)), (rx, watch, stop, slot, None)));
                        }
                    }
                    Err(RecvError::Lagged(_)) => {
                        let e = Sse::default().event("resync").data("{}");
                        return Some((Ok(e), (rx, watch, stop, slot, None)));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    )
}
