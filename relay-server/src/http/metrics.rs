//! `/metrics` for Prometheus, on a listener of its own (`[metrics]
//! listen`), apart from the workstations' port: what the process counted
//! (`crate::metrics`) and backlogs read from the database when scraped.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::metrics::{METRICS, Scraped, render};
use crate::store::{self, Store};

/// The exposition format's media type.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What the scrape handler needs.
#[derive(Clone)]
pub struct Scrape {
    pub store: Store,
    /// Unix seconds the process started.
    pub started_at: f64,
}

pub fn router(scrape: Scrape) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(scrape)
}

async fn metrics(State(s): State<Scrape>) -> Response {
    let now = s.store.now();
    let read = s
        .store
        .readers()
        .read(|c| {
            Ok((
                store::outbox::depth(c)?,
                store::safety::moderation_counts(c)?,
            ))
        })
        .await;
    let ((pending, sending, oldest), (moderation_pending, _)) = match read {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("metrics: cannot read the backlogs: {e}");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("cannot read the database: {e}\n"),
            )
                .into_response();
        }
    };
    let scraped = Scraped {
        outbox_pending: pending,
        outbox_sending: sending,
        outbox_oldest: oldest.map_or(Duration::ZERO, |t| now.since(t)),
        moderation_pending,
        head_seq: s.store.head().0,
        started_at: s.started_at,
    };
    let body = render(&METRICS, &scraped, env!("CARGO_PKG_VERSION"));
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}
