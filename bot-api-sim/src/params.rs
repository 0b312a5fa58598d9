//! Bot API parameters from any of the encodings clients use: query string,
//! JSON body, form-urlencoded (values may be JSON-encoded), multipart.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use serde_json::{Map, Value};

/// An uploaded file: its name and size; its contents only when they are
/// text (UTF-8 without control characters) of at most [`KEEP_TEXT`] bytes
/// (a JSON export a test reads back).
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: Option<String>,
    pub size: usize,
    pub text: Option<String>,
}

/// Uploaded text files up to this size are kept for drivers to read.
pub const KEEP_TEXT: usize = 1 << 20;

/// The parameters of one call.
#[derive(Debug, Default)]
pub struct Params {
    pub values: Map<String, Value>,
    pub uploads: Vec<Upload>,
}

/// A value as Telegram reads it: JSON if it parses as an object or array,
/// otherwise the string itself (numbers stay strings until asked for).
fn loose(raw: &str) -> Value {
    let t = raw.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        if let Ok(v) = serde_json::from_str(raw) {
            return v;
        }
    }
    Value::String(raw.to_owned())
}

fn add_pairs(values: &mut Map<String, Value>, bytes: &[u8]) {
    for (k, v) in form_urlencoded::parse(bytes) {
        values.insert(k.into_owned(), loose(&v));
    }
}

impl Params {
    pub async fn from_request(req: Request) -> Result<Params, String> {
        let mut p = Params::default();
        if let Some(q) = req.uri().query() {
            add_pairs(&mut p.values, q.as_bytes());
        }
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let mut mp = Multipart::from_request(req, &())
                .await
                .map_err(|e| e.body_text())?;
            while let Some(field) = mp.next_field().await.map_err(|e| e.body_text())? {
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|e| e.body_text())?;
                if file_name.is_some() {
                    // Text: UTF-8 with no control characters but line breaks and tabs.
                    let text = (bytes.len() <= KEEP_TEXT)
                        .then(|| std::str::from_utf8(&bytes).ok())
                        .flatten()
                        .filter(|t| !t.chars().any(|c| c.is_control() && !"\n\r\t".contains(c)))
                        .map(str::to_owned);
                    p.uploads.push(Upload {
                        file_name,
                        size: bytes.len(),
                        text,
                    });
                } else {
                    p.values
                        .insert(name, loose(&String::from_utf8_lossy(&bytes)));
                }
            }
            return Ok(p);
        }
        let body: Bytes = axum::body::to_bytes(req.into_body(), 16 * 1024 * 1024)
            .await
            .map_err(|e| e.to_string())?;
        if body.is_empty() {
            return Ok(p);
        }
        if content_type.starts_with("application/json") {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(m)) => p.values.extend(m),
                Ok(_) => return Err("the JSON body must be an object".into()),
                Err(e) => return Err(format!("can't parse JSON body: {e}")),
            }
        } else {
            add_pairs(&mut p.values, &body);
        }
        Ok(p)
    }

    /// A string parameter (numbers and booleans are given as text).
    pub fn str(&self, key: &str) -> Option<String> {
        match self.values.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// An integer parameter, given as a number or as text.
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.values.get(key)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn bool(&self, key: &str) -> bool {
        match self.values.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        }
    }

    /// A JSON parameter (object or array), given as JSON or as JSON text.
    pub fn json(&self, key: &str) -> Option<Value> {
        match self.values.get(key)? {
            Value::String(s) => serde_json::from_str(s).ok(),
            Value::Null => None,
            v => Some(v.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_values() {
        assert_eq!(loose("123"), Value::String("123".into()));
        assert_eq!(loose(r#"{"a":1}"#)["a"], 1);
        assert_eq!(loose("[1,2]")[1], 2);
        assert_eq!(loose("{not json"), Value::String("{not json".into()));
    }

    #[test]
    fn typed_access() {
        let mut p = Params::default();
        add_pairs(
            &mut p.values,
            b"chat_id=42&text=hi+there&disable=true&reply_markup=%7B%22k%22%3A1%7D",
        );
        assert_eq!(p.int("chat_id"), Some(42));
        assert_eq!(p.str("text").unwrap(), "hi there");
        assert!(p.bool("disable"));
        assert_eq!(p.json("reply_markup").unwrap()["k"], 1);
    }
}
