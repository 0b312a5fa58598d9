//! Reading a client frame strictly.
//!
//! serde alone lets through things the protocol does not allow: an
//! internally tagged enum takes its tag as a variant *index* (`"kind": 0`
//! would be a `reply`), and an enum value may be written as a map
//! (`{"resolved": null}` for `"resolved"`). A client frame has objects only
//! at the top, in `command`, and in a `preview`'s inner `command`; every
//! other value is a string, a number, a boolean, null, or an array of those.

use serde::Deserialize;
use serde_json::Value;

use crate::ids::CommandId;
use crate::protocol::{COMMAND_KINDS, ClientMessage, ErrorCode};

/// Why a frame was refused, as the `error` frame says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The frame's `id`, when it had a string one.
    pub id: Option<CommandId>,
    pub code: ErrorCode,
    pub message: String,
}

/// Frame types a client may send.
const TYPES: &[&str] = &["hello", "command", "digest"];

/// Parses one text frame from a client.
pub fn client_frame(text: &str) -> Result<ClientMessage, Refused> {
    let value: Value = serde_json::from_str(text).map_err(|e| Refused {
        id: None,
        code: ErrorCode::BadFrame,
        message: format!("malformed JSON: {e}"),
    })?;
    let id = value.get("id").and_then(Value::as_str).map(CommandId::new);
    let refuse = |code, message: String| Refused {
        id: id.clone(),
        code,
        message,
    };
    let Some(kind) = value.get("type").and_then(Value::as_str) else {
        return Err(Refused {
            id: None,
            code: ErrorCode::BadFrame,
            message: "a frame must be a JSON object with a string \"type\"".into(),
        });
    };
    if !TYPES.contains(&kind) {
        return Err(refuse(
            ErrorCode::UnknownType,
            format!("unknown message type {kind:?}"),
        ));
    }
    if let Err((code, why)) = check_fields(&value, "") {
        return Err(refuse(code, format!("bad {kind} frame: {why}")));
    }
    ClientMessage::deserialize(&value)
        .map_err(|e| refuse(ErrorCode::BadFrame, format!("bad {kind} frame: {e}")))
}

/// Checks the fields of the object `value` found at `path` (`""` for the
/// frame): objects only as `command`, whose `kind` is a known name.
fn check_fields(value: &Value, path: &str) -> Result<(), (ErrorCode, String)> {
    let Value::Object(fields) = value else {
        return Ok(());
    };
    for (name, field) in fields {
        let here = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        match field {
            Value::Object(command) if name == "command" => {
                match command.get("kind") {
                    // Missing: serde names the missing field.
                    None => {}
                    Some(Value::String(k)) if COMMAND_KINDS.contains(&k.as_str()) => {}
                    Some(Value::String(k)) => {
                        let known = COMMAND_KINDS.join(", ");
                        return Err((
                            ErrorCode::UnknownType,
                            format!("unknown command kind {k:?}; known: {known}"),
                        ));
                    }
                    Some(_) => {
                        return Err((ErrorCode::BadFrame, format!("{here}.kind must be a string")));
                    }
                }
                check_fields(field, &here)?;
            }
            // serde would read a command written as an array as well,
            // its first element the kind (a variant index, too).
            _ if name == "command" => {
                return Err((
                    ErrorCode::BadFrame,
                    format!("{here} must be an object with a string kind"),
                ));
            }
            Value::Object(_) => {
                return Err((
                    ErrorCode::BadFrame,
                    format!(
                        "{here} is an object; enum values are strings, and only command is an object"
                    ),
                ));
            }
            Value::Array(items) => {
                if let Some(i) = items.iter().position(|v| v.is_object() || v.is_array()) {
                    return Err((
                        ErrorCode::BadFrame,
                        format!("{here}[{i}] must be a string or a number"),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TicketStatus;
    use crate::protocol::Command;

    fn refused(text: &str) -> (Option<String>, ErrorCode, String) {
        let r = client_frame(text).expect_err(text);
        (r.id.map(|i| i.to_string()), r.code, r.message)
    }

    #[test]
    fn a_well_formed_command_is_read() {
        let m = client_frame(
            r#"{"type":"command","id":"c1","command":{"kind":"set_status","ticket_id":4,"status":"resolved"}}"#,
        )
        .unwrap();
        let ClientMessage::Command { command, .. } = m else {
            panic!("{m:?}")
        };
        assert_eq!(
            command,
            Command::SetStatus {
                ticket_id: crate::ids::TicketId(4),
                status: TicketStatus::Resolved
            }
        );
        client_frame(
            r#"{"type":"command","id":"p","command":{"kind":"preview","ticket_id":4,"command":{"kind":"set_tags","ticket_id":4,"add":["a","b"]}}}"#,
        )
        .unwrap();
    }

    /// A variant index is not a kind: `"kind": 0` used to be applied as a
    /// reply.
    #[test]
    fn a_kind_or_type_given_as_a_number_is_refused() {
        let (id, code, msg) = refused(
            r#"{"type":"command","id":"c1","command":{"kind":0,"ticket_id":4,"text":"hi"}}"#,
        );
        assert_eq!((id.as_deref(), code), (Some("c1"), ErrorCode::BadFrame));
        assert!(msg.contains("command.kind must be a string"), "{msg}");
        let (_, code, _) = refused(r#"{"type":1,"id":"c1"}"#);
        assert_eq!(code, ErrorCode::BadFrame);
        let (_, code, msg) = refused(
            r#"{"type":"command","id":"p","command":{"kind":"preview","ticket_id":4,"command":{"kind":1,"ticket_id":4}}}"#,
        );
        assert_eq!(code, ErrorCode::BadFrame);
        assert!(msg.contains("command.command.kind"), "{msg}");
    }

    /// serde reads `[0, 4, "hi"]` as a `reply` (kind by index, then the
    /// fields in order).
    #[test]
    fn a_command_written_as_an_array_is_refused() {
        for text in [
            r#"{"type":"command","id":"a1","command":[0,4,"hi"]}"#,
            r#"{"type":"command","id":"a1","command":["reply",4,"hi"]}"#,
            r#"{"type":"command","id":"a2","command":{"kind":"preview","ticket_id":4,"command":[0,4,"hi"]}}"#,
            r#"{"type":"command","id":"a3","command":"reply"}"#,
        ] {
            let (id, code, msg) = refused(text);
            assert!(id.is_some(), "{text}");
            assert_eq!(code, ErrorCode::BadFrame, "{text}");
            assert!(msg.contains("must be an object"), "{text}: {msg}");
        }
    }

    /// `{"resolved": null}` is serde's map form of `"resolved"`.
    #[test]
    fn an_enum_value_written_as_a_map_is_refused() {
        for value in [r#"{"resolved":null}"#, r#"{"resolved":[]}"#] {
            let text = format!(
                r#"{{"type":"command","id":"c2","command":{{"kind":"set_status","ticket_id":4,"status":{value}}}}}"#
            );
            let (id, code, msg) = refused(&text);
            assert_eq!((id.as_deref(), code), (Some("c2"), ErrorCode::BadFrame));
            assert!(msg.contains("command.status is an object"), "{msg}");
        }
        let (_, code, msg) = refused(
            r#"{"type":"command","id":"c3","command":{"kind":"set_tags","ticket_id":4,"add":[{"x":1}]}}"#,
        );
        assert_eq!(code, ErrorCode::BadFrame);
        assert!(msg.contains("command.add[0]"), "{msg}");
    }

    #[test]
    fn unknown_types_and_kinds_are_named() {
        let (id, code, msg) = refused(r#"{"type":"subscribe","id":"s"}"#);
        assert_eq!((id.as_deref(), code), (Some("s"), ErrorCode::UnknownType));
        assert!(msg.contains("\"subscribe\""), "{msg}");
        let (_, code, msg) =
            refused(r#"{"type":"command","id":"k","command":{"kind":"explode","ticket_id":1}}"#);
        assert_eq!(code, ErrorCode::UnknownType);
        assert!(msg.contains("known: reply"), "{msg}");
        let (id, code, _) = refused("[1,2]");
        assert_eq!((id, code), (None, ErrorCode::BadFrame));
        let (id, code, _) = refused("{nope");
        assert_eq!((id, code), (None, ErrorCode::BadFrame));
    }
}
