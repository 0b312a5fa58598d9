//! The demo's stand-in for Telegram around the mini app (`GET /demo/app`):
//! a page that opens the app, in a phone-sized frame, as a chosen scripted
//! customer, with launch data signed by the bot's token just as Telegram
//! signs it. Only desk-demo mounts it (`serve_with`): anyone who can open
//! it can act as any of these customers, which is the point of a demo and
//! must never be possible on a real desk.

pub use axum::Router;
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::init_data::sign;

/// A scripted customer the page can open the app as.
#[derive(Debug, Clone)]
pub struct Person {
    pub telegram_user_id: i64,
    pub first_name: String,
    pub lang: String,
}

/// Telegram's own light and dark theme colours (what its clients send as
/// `themeParams`).
pub const LIGHT: &str = r##"{"bg_color":"#ffffff","text_color":"#000000","hint_color":"#999999","link_color":"#2481cc","button_color":"#2481cc","button_text_color":"#ffffff","secondary_bg_color":"#efeff3","section_bg_color":"#ffffff","destructive_text_color":"#e53935"}"##;
pub const DARK: &str = r##"{"bg_color":"#212121","text_color":"#ffffff","hint_color":"#aaaaaa","link_color":"#62bcf9","button_color":"#2ea6ff","button_text_color":"#ffffff","secondary_bg_color":"#0f0f0f","section_bg_color":"#212121","destructive_text_color":"#ef5b5b"}"##;

/// The address of the app opened as `who`, launch data signed with
/// `bot_token` at `auth_date` (Unix seconds), in the given theme.
pub fn launch_url(who: &Person, bot_token: &str, auth_date: i64, dark: bool) -> String {
    let user = serde_json::json!({
        "id": who.telegram_user_id,
        "first_name": who.first_name,
        "language_code": who.lang,
        "allows_write_to_pm": true,
    })
    .to_string();
    let data = sign(
        &[
            ("query_id", &format!("demo{}", who.telegram_user_id)),
            ("user", &user),
            ("auth_date", &auth_date.to_string()),
        ],
        bot_token,
    );
    let fragment: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("tgWebAppData", &data)
        .append_pair("tgWebAppThemeParams", if dark { DARK } else { LIGHT })
        .append_pair("tgWebAppPlatform", "standin")
        .finish();
    format!("/app/#{fragment}")
}

/// `?user=<telegram user id>&theme=light|dark`.
struct Pick {
    user: Option<i64>,
    theme: Option<String>,
}

impl Pick {
    fn of(uri: &Uri) -> Pick {
        let mut pick = Pick {
            user: None,
            theme: None,
        };
        for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
            match &*k {
                "user" => pick.user = v.parse().ok(),
                "theme" => pick.theme = Some(v.into_owned()),
                _ => {}
            }
        }
        pick
    }
}

/// The stand-in's routes, for `serve_with`.
pub fn router(bot_token: String, people: Vec<Person>) -> Router {
    Router::new().route(
        "/demo/app",
        get(move |uri: Uri| {
            let (token, people) = (bot_token.clone(), people.clone());
            async move { page(&token, &people, Pick::of(&uri)) }
        }),
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(token: &str, people: &[Person], pick: Pick) -> Response {
    let dark = pick.theme.as_deref() == Some("dark");
    let who = pick
        .user
        .and_then(|id| people.iter().find(|p| p.telegram_user_id == id))
        .or(people.first());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let theme = if dark { "dark" } else { "light" };
    let links: String = people
        .iter()
        .map(|p| {
            let current = who.is_some_and(|w| w.telegram_user_id == p.telegram_user_id);
            format!(
                "<li><a href=\"?user={}&amp;theme={theme}\"{}>{} ({}, {})</a></li>",
                p.telegram_user_id,
                if current {
                    " aria-current=\"page\""
                } else {
                    ""
                },
                escape(&p.first_name),
                escape(&p.lang),
                p.telegram_user_id
            )
        })
        .collect();
    let frame = who.map_or_else(String::new, |w| {
        format!(
            "<iframe title=\"The mini app as {}\" src=\"{}\" width=\"390\" height=\"844\"></iframe>",
            escape(&w.first_name),
            escape(&launch_url(w, token, now, dark))
        )
    });
    let other = if dark { "light" } else { "dark" };
    let user_q = who.map_or(0, |w| w.telegram_user_id);
    let body = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mini app stand-in · desk-demo</title>
<style>
body {{ font: 16px/1.4 system-ui, sans-serif; margin: 0; display: flex; gap: 2rem; padding: 1.5rem; background: #e9ecef; color: #111; flex-wrap: wrap; }}
aside {{ max-width: 22rem; }} a {{ color: #0b57a4; }} a[aria-current] {{ font-weight: 700; }}
iframe {{ border: 10px solid #111; border-radius: 2rem; background: #fff; }}
</style></head><body>
<aside>
<h1>Mini app stand-in</h1>
<p>Telegram opens the customer's mini app with launch data signed by the bot's token.
This page does the same for a scripted customer of the demo, so you can see what they see.
Launch data is valid for <code>[miniapp] max_age</code>: reload to sign it again.</p>
<h2>Open as</h2><ul>{links}</ul>
<p><a href="?user={user_q}&amp;theme={other}">Switch to the {other} theme</a></p>
<p>Reply from the workstation and watch the open ticket update.</p>
</aside>
{frame}
</body></html>"#
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::init_data::verify;

    #[test]
    fn the_stand_in_signs_what_the_server_accepts() {
        let token = "123456:ABC-demo";
        let who = Person {
            telegram_user_id: 42,
            first_name: "Оксана <b>".into(),
            lang: "uk".into(),
        };
        let url = launch_url(&who, token, 1_800_000_000, true);
        let fragment = url.strip_prefix("/app/#").unwrap();
        let data = url::form_urlencoded::parse(fragment.as_bytes())
            .find(|(k, _)| k == "tgWebAppData")
            .unwrap()
            .1
            .into_owned();
        let at = shared::Timestamp(1_800_000_000 * 1000 + 5000);
        let launch = verify(&data, token, at, std::time::Duration::from_secs(3600)).unwrap();
        assert_eq!(launch.user.id, 42);
        assert_eq!(launch.user.first_name, "Оксана <b>");
        assert!(
            verify(
                &data,
                "123456:other",
                at,
                std::time::Duration::from_secs(3600)
            )
            .is_err()
        );
        assert!(fragment.contains("tgWebAppThemeParams"));
    }
}
