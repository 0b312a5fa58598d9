//! Encoding of server frames and close frames.

use axum::extract::ws::{CloseFrame, Message};
use shared::{CommandId, ErrorCode, ServerMessage};

/// Close reasons must fit a control frame (123 bytes); cut on a char boundary.
pub fn close(code: u16, reason: &str) -> Message {
    let mut end = reason.len().min(120);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame {
        code,
        reason: reason[..end].to_owned().into(),
    }))
}

pub fn encode(msg: &ServerMessage) -> String {
    serde_json::to_string(msg).unwrap_or_else(|e| {
        // Our own types always encode; say so loudly if not.
        tracing::error!("cannot encode a server frame: {e}");
        r#"{"type":"error","id":null,"code":"internal","message":"encoding failed"}"#.to_owned()
    })
}

pub fn error(id: Option<CommandId>, code: ErrorCode, message: impl Into<String>) -> String {
    encode(&ServerMessage::Error {
        id,
        code,
        message: message.into(),
    })
}

/// Joins stored event JSON into one `events` frame.
pub fn events<'a>(bodies: impl Iterator<Item = &'a str>) -> String {
    let mut frame = String::from(r#"{"type":"events","events":["#);
    for (i, b) in bodies.enumerate() {
        if i > 0 {
            frame.push(',');
        }
        frame.push_str(b);
    }
    frame.push_str("]}");
    frame
}
