//! Telegram's signed launch data for the customer's mini app
//! (docs/miniapp.md): `initData`, the query string Telegram hands the app
//! and the app sends back as `Authorization: tma <initData>`. Checked as
//! Telegram's page "Validating data received via the Mini App" says:
//!
//! - **with the bot token** (ours): HMAC-SHA256 of the data-check-string
//!   (every field but `hash`, `key=value`, sorted by key, one per line)
//!   under the key HMAC-SHA256("WebAppData", bot token), compared with
//!   `hash` in constant time;
//! - **without it** (a third party): the Ed25519 `signature` of
//!   "<bot id>:WebAppData\n" and every field but `hash` and `signature`,
//!   under Telegram's public key.
//!
//! Either way `auth_date` must be no older than the configured age (and not
//! in the future), and `user` must be there: the customer is who it says.
//! Pure functions, no state: the HTTP routes call [`verify`], the demo and
//! the tests [`sign`].

use std::time::Duration;

use base64::Engine as _;
use ring::{hmac, signature};
use serde::Deserialize;
use shared::Timestamp;

/// The longest launch data accepted (Telegram's are well under 1 KiB).
pub const MAX_LEN: usize = 4096;

/// How far ahead of our clock an `auth_date` may be (clocks drift).
const SKEW: Duration = Duration::from_secs(60);

/// Telegram's Ed25519 public keys for third-party validation (hex), from
/// core.telegram.org/bots/webapps.
pub const TELEGRAM_KEY: &str = "e7bf03a2fa4602af4580703d88dda5bb59f32ed8b02a56c187fe7d34caed242d";
/// The same, for bots of Telegram's test environment.
pub const TELEGRAM_TEST_KEY: &str =
    "40055058a4ee38156a06562e52eece92a771bcd8346a8c4615cb7376eddf72ec";

/// Why launch data was refused (all of them answer 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("no launch data")]
    Missing,
    #[error("the launch data is longer than {MAX_LEN} bytes")]
    TooLong,
    #[error("the field {0:?} appears twice")]
    Duplicate(String),
    #[error("the launch data has no {0}")]
    NoField(&'static str),
    #[error("the hash does not match: forged or altered launch data")]
    BadHash,
    #[error("the signature does not match: forged or altered launch data")]
    BadSignature,
    #[error("auth_date is not a time")]
    BadDate,
    #[error("the launch data is older than {}s: open the app again", .0.as_secs())]
    Stale(Duration),
    #[error("auth_date is in the future")]
    Future,
    #[error("the user field is not a Telegram user: {0}")]
    BadUser(String),
}

/// The Telegram user who opened the app (WebAppUser).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebAppUser {
    pub id: i64,
    pub first_name: String,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    /// IETF tag of the user's Telegram language.
    #[serde(default)]
    pub language_code: Option<String>,
}

/// Launch data that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub user: WebAppUser,
    pub auth_date: Timestamp,
    /// `startapp` of the link that opened the app, if any.
    pub start_param: Option<String>,
}

/// The decoded fields, in the order sent; refuses empty, oversize and
/// repeated ones (a repeated field could be read one way here and another
/// elsewhere).
fn fields(init_data: &str) -> Result<Vec<(String, String)>, Refused> {
    if init_data.trim().is_empty() {
        return Err(Refused::Missing);
    }
    if init_data.len() > MAX_LEN {
        return Err(Refused::TooLong);
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(init_data.as_bytes()) {
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(Refused::Duplicate(k.into_owned()));
        }
        out.push((k.into_owned(), v.into_owned()));
    }
    Ok(out)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Every field but those in `skip`, `key=value`, sorted by key, one per
/// line.
fn data_check_string(fields: &[(String, String)], skip: &[&str]) -> String {
    let mut kept: Vec<&(String, String)> = fields
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .collect();
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    kept.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The key the hash is made with: HMAC-SHA256 of the bot token under
/// "WebAppData".
fn secret_key(bot_token: &str) -> hmac::Key {
    let secret = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, b"WebAppData"),
        bot_token.as_bytes(),
    );
    hmac::Key::new(hmac::HMAC_SHA256, secret.as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// Checks launch data signed with our bot's token, as of `now`.
pub fn verify(
    init_data: &str,
    bot_token: &str,
    now: Timestamp,
    max_age: Duration,
) -> Result<Launch, Refused> {
    let fields = fields(init_data)?;
    let hash = field(&fields, "hash").ok_or(Refused::NoField("hash"))?;
    let tag = unhex(hash)
        .filter(|t| t.len() == 32)
        .ok_or(Refused::BadHash)?;
    let check = data_check_string(&fields, &["hash"]);
    hmac::verify(&secret_key(bot_token), check.as_bytes(), &tag).map_err(|_| Refused::BadHash)?;
    launch(&fields, now, max_age)
}

/// Checks launch data by Telegram's Ed25519 signature, without the bot's
/// token: `bot_id` is the number before the token's colon, `key` one of
/// [`TELEGRAM_KEY`], [`TELEGRAM_TEST_KEY`] (hex, 32 bytes).
pub fn verify_third_party(
    init_data: &str,
    bot_id: i64,
    key: &str,
    now: Timestamp,
    max_age: Duration,
) -> Result<Launch, Refused> {
    let fields = fields(init_data)?;
    let sig = field(&fields, "signature").ok_or(Refused::NoField("signature"))?;
    // base64url; Telegram leaves the padding off.
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let sig = engine
        .decode(sig)
        .ok()
        .filter(|s| s.len() == 64)
        .ok_or(Refused::BadSignature)?;
    let key = unhex(key)
        .filter(|k| k.len() == 32)
        .ok_or(Refused::BadSignature)?;
    let message = format!(
        "{bot_id}:WebAppData\n{}",
        data_check_string(&fields, &["hash", "signature"])
    );
    signature::UnparsedPublicKey::new(&signature::ED25519, key)
        .verify(message.as_bytes(), &sig)
        .map_err(|_| Refused::BadSignature)?;
    launch(&fields, now, max_age)
}

/// The bot's id: the number before the token's colon.
pub fn bot_id(bot_token: &str) -> Option<i64> {
    bot_token.split_once(':')?.0.parse().ok()
}

/// What signed launch data says, once its age is right.
fn launch(
    fields: &[(String, String)],
    now: Timestamp,
    max_age: Duration,
) -> Result<Launch, Refused> {
    let secs: i64 = field(fields, "auth_date")
        .ok_or(Refused::NoField("auth_date"))?
        .parse()
        .map_err(|_| Refused::BadDate)?;
    let auth_date = Timestamp(secs.checked_mul(1000).ok_or(Refused::BadDate)?);
    if auth_date > now + SKEW {
        return Err(Refused::Future);
    }
    if now.ms_since(auth_date) > i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX) {
        return Err(Refused::Stale(max_age));
    }
    let user = field(fields, "user").ok_or(Refused::NoField("user"))?;
    let user: WebAppUser =
        serde_json::from_str(user).map_err(|e| Refused::BadUser(e.to_string()))?;
    if user.id <= 0 {
        return Err(Refused::BadUser(format!("id {}", user.id)));
    }
    Ok(Launch {
        user,
        auth_date,
        start_param: field(fields, "start_param").map(str::to_owned),
    })
}

/// Launch data for `fields` signed with `bot_token`, as Telegram would
/// send it (the demo's stand-in for Telegram, and tests).
pub fn sign(fields: &[(&str, &str)], bot_token: &str) -> String {
    let owned: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let check = data_check_string(&owned, &["hash"]);
    let hash = hex(hmac::sign(&secret_key(bot_token), check.as_bytes()).as_ref());
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        query.append_pair(k, v);
    }
    query.append_pair("hash", &hash);
    query.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn at_secs(s: i64) -> Timestamp {
        Timestamp(s * 1000)
    }

    // Published vectors, computed by Telegram and by other people's code,
    // not by this module (docs/miniapp.md, "Security"): their hashes and
    // signatures were made independently of the code under test.

    /// tma.js and init-data-golang's test data (bot token below).
    const V1_TOKEN: &str = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8";
    const V1: &str = "query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%7D&auth_date=1662771648&hash=c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2";
    /// tma.js's init-data-node test: receiver, chat, start_param.
    const V2: &str = "auth_date=1&can_send_after=10000&chat=%7B%22id%22%3A1%2C%22type%22%3A%22group%22%2C%22title%22%3A%22chat-title%22%2C%22photo_url%22%3A%22group%22%2C%22username%22%3A%22my-chat%22%7D&chat_instance=888&chat_type=sender&hash=47cfa22e72b887cba90c9cb833c5ea0f599975b6ce7193741844b5c4a4228b40&query_id=QUERY&receiver=%7B%22added_to_attachment_menu%22%3Afalse%2C%22allows_write_to_pm%22%3Atrue%2C%22first_name%22%3A%22receiver-first-name%22%2C%22id%22%3A991%2C%22is_bot%22%3Afalse%2C%22is_premium%22%3Atrue%2C%22language_code%22%3A%22ru%22%2C%22last_name%22%3A%22receiver-last-name%22%2C%22photo_url%22%3A%22receiver-photo%22%2C%22username%22%3A%22receiver-username%22%7D&start_param=debug&user=%7B%22added_to_attachment_menu%22%3Afalse%2C%22allows_write_to_pm%22%3Afalse%2C%22first_name%22%3A%22user-first-name%22%2C%22id%22%3A222%2C%22is_bot%22%3Atrue%2C%22is_premium%22%3Afalse%2C%22language_code%22%3A%22en%22%2C%22last_name%22%3A%22user-last-name%22%2C%22photo_url%22%3A%22user-photo%22%2C%22username%22%3A%22user-username%22%7D";
    /// Real data of Bot API 8.0+, with `signature` (which the hash covers).
    const V3_TOKEN: &str = "7342037359:AAHI25ES9xCOMPokpYoz-p8XVrZUdygo2J4";
    const V3: &str = "user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%20%2B%20-%20%3F%20%5C%2F%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%2C%22photo_url%22%3A%22https%3A%5C%2F%5C%2Ft.me%5C%2Fi%5C%2Fuserpic%5C%2F320%5C%2F4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.svg%22%7D&chat_instance=8134722200314281151&chat_type=private&auth_date=1733509682&signature=TYJxVcisqbWjtodPepiJ6ghziUL94-KNpG8Pau-X7oNNLNBM72APCpi_RKiUlBvcqo5L-LAxIc3dnTzcZX_PDg&hash=a433d8f9847bd6addcc563bff7cc82c89e97ea0d90c11fe5729cae6796a36d73";
    /// init-data-golang's third-party test: signed by Telegram's key.
    const V4: &str = "user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%20%2B%20-%20%3F%20%5C%2F%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%2C%22photo_url%22%3A%22https%3A%5C%2F%5C%2Ft.me%5C%2Fi%5C%2Fuserpic%5C%2F320%5C%2F4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.svg%22%7D&chat_instance=8134722200314281151&chat_type=private&auth_date=1733584787&hash=2174df5b000556d044f3f020384e879c8efcab55ddea2ced4eb752e93e7080d6&signature=zL-ucjNyREiHDE8aihFwpfR9aggP2xiAo3NSpfe-p7IbCisNlDKlo7Kb6G4D0Ao2mBrSgEk4maLSdv6MLIlADQ";

    #[test]
    fn published_hashes_pass_with_their_tokens() {
        let l = verify(V1, V1_TOKEN, at_secs(1_662_771_648 + 60), HOUR).unwrap();
        assert_eq!(l.user.id, 279_058_397);
        assert_eq!(l.user.first_name, "Vladislav");
        assert_eq!(l.user.language_code.as_deref(), Some("ru"));
        assert_eq!(l.auth_date, at_secs(1_662_771_648));
        let l = verify(V2, V1_TOKEN, at_secs(2), HOUR).unwrap();
        assert_eq!((l.user.id, l.start_param.as_deref()), (222, Some("debug")));
        // The hash covers `signature` too; the name's "+ - ? /" survives
        // decoding byte for byte.
        let l = verify(V3, V3_TOKEN, at_secs(1_733_509_682), HOUR).unwrap();
        assert_eq!(l.user.first_name, "Vladislav + - ? /");
    }

    #[test]
    fn forged_altered_and_foreign_data_is_refused() {
        let now = at_secs(1_662_771_648 + 60);
        // Another bot's token.
        assert_eq!(
            verify(V1, &format!("{V1_TOKEN}A"), now, HOUR),
            Err(Refused::BadHash)
        );
        // Any field changed: the user id, the date, one character.
        for altered in [
            V1.replace("279058397", "279058398"),
            V1.replace("auth_date=1662771648", "auth_date=1662771649"),
            format!("{V1}abc"),
            V1.replace("&hash=c501", "&hash=d501"),
            V1.replace(
                "&hash=c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2",
                "&hash=zz",
            ),
        ] {
            assert_eq!(
                verify(&altered, V1_TOKEN, now, HOUR),
                Err(Refused::BadHash),
                "{altered}"
            );
        }
        // A field added after signing.
        assert_eq!(
            verify(&format!("{V1}&start_param=x"), V1_TOKEN, now, HOUR),
            Err(Refused::BadHash)
        );
        // The same field twice, the hash missing, nothing at all, too long.
        assert_eq!(
            verify(&format!("{V1}&auth_date=1"), V1_TOKEN, now, HOUR),
            Err(Refused::Duplicate("auth_date".into()))
        );
        let no_hash = V1.split("&hash=").next().unwrap();
        assert_eq!(
            verify(no_hash, V1_TOKEN, now, HOUR),
            Err(Refused::NoField("hash"))
        );
        assert_eq!(verify("  ", V1_TOKEN, now, HOUR), Err(Refused::Missing));
        assert_eq!(
            verify(&"a=b&".repeat(2000), V1_TOKEN, now, HOUR),
            Err(Refused::TooLong)
        );
    }

    #[test]
    fn old_and_future_data_is_refused() {
        let signed = 1_662_771_648;
        assert_eq!(
            verify(V1, V1_TOKEN, at_secs(signed + 3601), HOUR),
            Err(Refused::Stale(HOUR))
        );
        assert!(verify(V1, V1_TOKEN, at_secs(signed + 3600), HOUR).is_ok());
        assert_eq!(
            verify(V1, V1_TOKEN, at_secs(signed - 61), HOUR),
            Err(Refused::Future)
        );
        assert!(verify(V1, V1_TOKEN, at_secs(signed - 59), HOUR).is_ok());
    }

    #[test]
    fn telegrams_ed25519_signature_passes_only_as_signed() {
        let now = at_secs(1_733_584_787);
        let l = verify_third_party(V4, 7_342_037_359, TELEGRAM_KEY, now, HOUR).unwrap();
        assert_eq!(l.user.id, 279_058_397);
        // V3 is real data too: Telegram signed it for the same bot.
        assert!(
            verify_third_party(
                V3,
                7_342_037_359,
                TELEGRAM_KEY,
                at_secs(1_733_509_682),
                HOUR
            )
            .is_ok()
        );
        for (data, bot, key) in [
            (V4, 1, TELEGRAM_KEY),
            (V4, 7_342_037_359, TELEGRAM_TEST_KEY),
            (&*format!("{V4}a"), 7_342_037_359, TELEGRAM_KEY),
            (
                &*V4.replace("279058397", "279058398"),
                7_342_037_359,
                TELEGRAM_KEY,
            ),
        ] {
            assert_eq!(
                verify_third_party(data, bot, key, now, HOUR),
                Err(Refused::BadSignature),
                "{bot} {data}"
            );
        }
        assert_eq!(
            verify_third_party(V1, 5_768_337_691, TELEGRAM_KEY, now, HOUR),
            Err(Refused::NoField("signature"))
        );
        assert_eq!(bot_id(V3_TOKEN), Some(7_342_037_359));
        assert_eq!(bot_id("nonsense"), None);
    }

    #[test]
    fn signed_here_verifies_here_and_matches_the_published_way() {
        // V1 re-signed by `sign` from its own fields gives V1's hash: the
        // signer follows the published algorithm, not just the verifier.
        let user = r#"{"id":279058397,"first_name":"Vladislav","last_name":"Kibenko","username":"vdkfrost","language_code":"ru","is_premium":true}"#;
        let data = sign(
            &[
                ("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"),
                ("user", user),
                ("auth_date", "1662771648"),
            ],
            V1_TOKEN,
        );
        assert!(
            data.ends_with("hash=c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2"),
            "{data}"
        );
        let l = verify(&data, V1_TOKEN, at_secs(1_662_771_700), HOUR).unwrap();
        assert_eq!(l.user.username.as_deref(), Some("vdkfrost"));
        // A user that is not one.
        let data = sign(&[("user", "{\"id\":\"x\"}"), ("auth_date", "10")], "1:a");
        assert!(matches!(
            verify(&data, "1:a", at_secs(10), HOUR),
            Err(Refused::BadUser(_))
        ));
        let data = sign(&[("auth_date", "10")], "1:a");
        assert_eq!(
            verify(&data, "1:a", at_secs(10), HOUR),
            Err(Refused::NoField("user"))
        );
    }
}
