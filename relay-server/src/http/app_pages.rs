//! The mini app's pages under `/app/` (docs/miniapp.md): one HTML page,
//! its script and its style, embedded in the binary (vanilla JS, no build
//! step). The page loads Telegram's WebApp script (`[miniapp]
//! telegram_js`) or, with that empty, a stand-in that runs the app in a
//! plain browser. Served with a content security policy that lets the page
//! load nothing but itself (and Telegram's script) and talk to nothing but
//! this server.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::refuse;
use crate::App;

const INDEX: &str = include_str!("app_static/index.html");
const APP_JS: &str = include_str!("app_static/app.js");
const APP_CSS: &str = include_str!("app_static/app.css");
const STANDIN_JS: &str = include_str!("app_static/standin.js");

/// Where the page's `<script>` for Telegram goes.
const TELEGRAM_SLOT: &str = "<!--telegram-->";

/// The origin (scheme://host[:port]) of an address.
fn origin(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

/// The page's headers: the policy, no sniffing, no referrer.
fn page_headers(r: &mut Response, telegram: Option<&str>) {
    let scripts = telegram.map_or_else(String::new, |u| format!(" {}", origin(u)));
    let csp = format!(
        "default-src 'none'; script-src 'self'{scripts}; style-src 'self'; \
         img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
    );
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

fn off() -> Response {
    refuse(
        StatusCode::NOT_FOUND,
        "the mini app is off here ([miniapp] enabled = false)",
    )
}

/// `GET /app`: to `/app/`, so the page's relative addresses resolve.
pub async fn to_index() -> Redirect {
    Redirect::permanent("/app/")
}

/// `GET /app/`: the page.
pub async fn index(State(app): State<Arc<App>>) -> Response {
    if !app.desk.miniapp.enabled {
        return off();
    }
    let telegram = app.desk.miniapp.telegram_js.as_deref();
    let tag = match telegram {
        Some(src) => format!("<script src=\"{}\"></script>", html_attr(src)),
        None => "<script src=\"standin.js\"></script>".to_owned(),
    };
    let body = INDEX.replace(TELEGRAM_SLOT, &tag);
    let mut r = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response();
    page_headers(&mut r, telegram);
    r
}

/// An address safe inside a double-quoted attribute.
fn html_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// `GET /app/{file}`: the script, the style, the stand-in.
pub async fn file(State(app): State<Arc<App>>, Path(name): Path<String>) -> Response {
    if !app.desk.miniapp.enabled {
        return off();
    }
    let (body, kind) = match name.as_str() {
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "standin.js" => (STANDIN_JS, "text/javascript; charset=utf-8"),
        "index.html" => return Redirect::permanent("/app/").into_response(),
        _ => return refuse(StatusCode::NOT_FOUND, "no such file"),
    };
    let mut r = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response();
    page_headers(&mut r, None);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a phone downloads to show the first screen (before
    /// compression): a budget that keeps the page fast on a slow link.
    #[test]
    fn the_app_stays_small() {
        let bytes = INDEX.len() + APP_JS.len() + APP_CSS.len();
        assert!(bytes < 80 * 1024, "the app is {bytes} bytes");
    }

    #[test]
    fn the_page_has_one_place_for_telegrams_script() {
        assert_eq!(INDEX.matches(TELEGRAM_SLOT).count(), 1);
        assert_eq!(
            origin("https://telegram.org/js/telegram-web-app.js"),
            "https://telegram.org"
        );
        assert_eq!(
            html_attr("https://x/\"><script>"),
            "https://x/&quot;>&lt;script>"
        );
    }
}
