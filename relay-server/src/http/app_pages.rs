//! The mini app's pages under `/app/` (docs/miniapp.md): one HTML page,
//! its script and its style, embedded in the binary (vanilla JS, no build
//! step). The page loads Telegram's WebApp script (`[miniapp]
//! telegram_js`) or, with that empty, a stand-in that runs the app in a
//! plain browser. Served with a content security policy that lets the page
//! load nothing but itself (and Telegram's script) and talk to nothing but
//! this server.

use std::io::Write as _;
use std::sync::{Arc, OnceLock};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
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

/// `text` gzipped, once per process.
fn gzipped(cell: &'static OnceLock<Vec<u8>>, text: &str) -> &'static [u8] {
    cell.get_or_init(|| {
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to memory does not fail.
        let _ = z.write_all(text.as_bytes());
        z.finish().unwrap_or_default()
    })
}

/// Whether the client takes gzip (every browser and Telegram's webviews).
fn takes_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.trim().split(';');
            parts.next() == Some("gzip") && !parts.any(|q| q.trim() == "q=0")
        })
}

/// `GET /app/{file}`: the script, the style, the stand-in (gzipped for
/// clients that take it).
pub async fn file(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    static JS_GZ: OnceLock<Vec<u8>> = OnceLock::new();
    static CSS_GZ: OnceLock<Vec<u8>> = OnceLock::new();
    static STANDIN_GZ: OnceLock<Vec<u8>> = OnceLock::new();
    if !app.desk.miniapp.enabled {
        return off();
    }
    let (body, kind, gz) = match name.as_str() {
        "app.js" => (APP_JS, "text/javascript; charset=utf-8", &JS_GZ),
        "app.css" => (APP_CSS, "text/css; charset=utf-8", &CSS_GZ),
        "standin.js" => (STANDIN_JS, "text/javascript; charset=utf-8", &STANDIN_GZ),
        "index.html" => return Redirect::permanent("/app/").into_response(),
        _ => return refuse(StatusCode::NOT_FOUND, "no such file"),
    };
    let head = [
        (header::CONTENT_TYPE, kind),
        (header::CACHE_CONTROL, "no-cache"),
        (header::VARY, "Accept-Encoding"),
    ];
    let mut r = if takes_gzip(&headers) {
        let mut r = (StatusCode::OK, head, gzipped(gz, body)).into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        (StatusCode::OK, head, body).into_response()
    };
    page_headers(&mut r, None);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of one language's table in app.js (`TEXTS.<lang>`).
    fn text_keys(lang: &str) -> std::collections::BTreeSet<String> {
        let start = APP_JS
            .find(&format!("\n    {lang}: {{"))
            .unwrap_or_else(|| panic!("no {lang} table"));
        let body = &APP_JS[start..];
        let end = body.find("\n    }").expect("the table ends");
        let (mut keys, mut word, mut quoted, mut escaped) = (
            std::collections::BTreeSet::new(),
            String::new(),
            false,
            false,
        );
        // Identifiers followed by ':' outside the strings.
        for c in body[lang.len() + 8..end].chars() {
            if quoted {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => quoted = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => {
                    quoted = true;
                    word.clear();
                }
                'a'..='z' | '_' => word.push(c),
                ':' if !word.is_empty() => {
                    keys.insert(std::mem::take(&mut word));
                }
                _ => word.clear(),
            }
        }
        keys
    }

    /// Every text the app shows exists in all four languages.
    #[test]
    fn every_language_has_every_text() {
        let en = text_keys("en");
        assert!(en.len() > 50 && en.contains("shared_note"), "{en:?}");
        for lang in ["uk", "ru", "zh"] {
            let keys = text_keys(lang);
            assert_eq!(
                en.symmetric_difference(&keys).collect::<Vec<_>>(),
                Vec::<&String>::new(),
                "{lang} differs from en"
            );
        }
    }

    /// Everything a phone downloads to show the first screen (before
    /// compression): a budget that keeps the page fast on a slow link.
    #[test]
    fn the_app_stays_small() {
        let bytes = INDEX.len() + APP_JS.len() + APP_CSS.len();
        assert!(bytes < 80 * 1024, "the app is {bytes} bytes");
    }

    #[test]
    fn files_go_gzipped_to_who_takes_it_and_read_back_the_same() {
        use std::io::Read as _;
        static CELL: OnceLock<Vec<u8>> = OnceLock::new();
        let z = gzipped(&CELL, APP_JS);
        assert!(
            z.len() * 2 < APP_JS.len(),
            "{} of {}",
            z.len(),
            APP_JS.len()
        );
        let mut back = String::new();
        flate2::read::GzDecoder::new(z)
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, APP_JS);
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            takes_gzip(&m)
        };
        assert!(h("gzip, deflate, br"));
        assert!(h("br;q=1.0, gzip;q=0.8"));
        assert!(!h("gzip;q=0"));
        assert!(!h("br"));
        assert!(!takes_gzip(&HeaderMap::new()));
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
