//! Inline keyboards, as the JSON the outbox sends with a message.

use serde_json::json;

/// Rows of (label, callback data) buttons.
pub fn rows(rows: &[Vec<(String, String)>]) -> String {
    let rows: Vec<Vec<serde_json::Value>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|(text, data)| json!({ "text": text, "callback_data": data }))
                .collect()
        })
        .collect();
    json!({ "inline_keyboard": rows }).to_string()
}

/// Buttons two to a row.
pub fn pairs(buttons: Vec<(String, String)>) -> String {
    let rows_: Vec<Vec<(String, String)>> = buttons.chunks(2).map(<[_]>::to_vec).collect();
    rows(&rows_)
}
