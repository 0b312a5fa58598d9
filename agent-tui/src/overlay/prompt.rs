//! A one-line prompt (tags, a transfer note, a closing summary) or a
//! confirmation, with what the customer will be sent, as the server
//! renders it, shown before it goes.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use shared::{CommandId, ConversationId, QueueId, TicketId};

use super::{DrawCtx, Outcome};
use crate::action::{Action, Arg};
use crate::compose::Compose;
use crate::keymap::Key;
use crate::ui::{popup, text};

#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub title: String,
    pub input: Compose,
    pub kind: PromptKind,
    pub preview: Preview,
    /// Why Enter did not go through (shown until the next key).
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    Transfer {
        ticket: TicketId,
        queue: QueueId,
    },
    Escalate {
        ticket: TicketId,
        queue: QueueId,
    },
    Tags {
        ticket: TicketId,
    },
    CloseWithSummary {
        ticket: TicketId,
    },
    /// A file to send the customer: its path.
    AttachFile {
        ticket: TicketId,
    },
    /// An answer posted into a customer group's conversation.
    GroupReply {
        conversation: ConversationId,
    },
    /// The organisation to bind a group to (by name; `none` unbinds).
    BindGroup {
        chat_id: i64,
    },
    /// A palette entry that messages the customer, confirmed once its
    /// text has been seen.
    Confirm {
        ticket: TicketId,
        action: Action,
        arg: Arg,
    },
}

impl PromptKind {
    pub fn ticket(&self) -> Option<TicketId> {
        Some(match self {
            PromptKind::GroupReply { .. } | PromptKind::BindGroup { .. } => return None,
            PromptKind::Transfer { ticket, .. }
            | PromptKind::Escalate { ticket, .. }
            | PromptKind::Tags { ticket }
            | PromptKind::CloseWithSummary { ticket }
            | PromptKind::AttachFile { ticket }
            | PromptKind::Confirm { ticket, .. } => *ticket,
        })
    }

    /// Whether the prompt asks for text (a confirmation does not).
    pub fn takes_text(&self) -> bool {
        !matches!(self, PromptKind::Confirm { .. })
    }
}

/// What the customer will be sent if the prompt is confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preview {
    /// Nothing goes to the customer.
    Nothing,
    /// Asked of the server (the read's id).
    Loading(CommandId),
    Texts {
        texts: Vec<String>,
        language: Option<String>,
    },
    /// The server could not be asked (offline) or refused.
    Unavailable(String),
}

impl Prompt {
    pub fn new(title: String, kind: PromptKind) -> Prompt {
        Prompt {
            title,
            input: Compose::default(),
            kind,
            preview: Preview::Nothing,
            error: None,
        }
    }

    pub fn key(&mut self, key: Key, action: Option<Action>) -> Outcome {
        self.error = None;
        // A path: tab completes it (instead of picking).
        if matches!(self.kind, PromptKind::AttachFile { .. }) && key.code == KeyCode::Tab {
            match complete_path(&self.input.text) {
                Some(done) => {
                    self.input = Compose::default();
                    self.input.insert_str(&done);
                }
                None => self.error = Some("nothing there starts like that".into()),
            }
            return Outcome::Keep;
        }
        match action {
            Some(Action::Cancel) => return Outcome::Close,
            Some(Action::Pick) => {
                // What the customer gets is seen before it goes.
                if matches!(self.preview, Preview::Loading(_)) {
                    self.error =
                        Some("a moment: asking the server what the customer will get".into());
                    return Outcome::Keep;
                }
                if matches!(self.kind, PromptKind::CloseWithSummary { .. })
                    && self.input.text.trim().is_empty()
                {
                    self.error = Some("write a summary first (Esc cancels the close)".into());
                    return Outcome::Keep;
                }
                if matches!(self.kind, PromptKind::GroupReply { .. })
                    && self.input.text.trim().is_empty()
                {
                    self.error = Some("write the answer first (Esc cancels)".into());
                    return Outcome::Keep;
                }
                return Outcome::Submit(self.clone());
            }
            _ => {}
        }
        if !self.kind.takes_text() {
            return Outcome::Keep;
        }
        if key.ctrl && key.code == KeyCode::Char('u') {
            self.input = Compose::default();
        } else {
            self.input.edit(&key);
        }
        Outcome::Keep
    }

    /// The preview's lines, wrapped to `width`.
    fn preview_lines(&self, width: usize) -> Vec<String> {
        let mut out = Vec::new();
        match &self.preview {
            Preview::Nothing => {}
            Preview::Loading(_) => {
                out.push("The customer will be told: (asking the server...)".into())
            }
            Preview::Unavailable(why) => out.push(format!(
                "The customer will be told, but the text cannot be shown: {why}"
            )),
            Preview::Texts { texts, .. } if texts.is_empty() => {
                out.push("Nothing is sent to the customer.".into())
            }
            Preview::Texts { texts, language } => {
                let lang = language
                    .as_deref()
                    .map_or_else(|| "their language".to_owned(), shared::language_name);
                out.push(format!("The customer will be sent (in {lang}):"));
                for t in texts {
                    for l in text::wrap(t, width.saturating_sub(2)) {
                        out.push(format!("  {l}"));
                    }
                }
            }
        }
        out.into_iter()
            .flat_map(|l| text::wrap(&l, width))
            .collect()
    }

    pub fn draw(&self, f: &mut Frame, cx: &DrawCtx<'_>, area: Rect) {
        let t = cx.theme;
        let width = area.width.saturating_sub(4).min(78);
        let preview = self.preview_lines(usize::from(width));
        let input_rows = if self.kind.takes_text() { 2 } else { 0 };
        let rows = 2 + input_rows + preview.len() as u16 + u16::from(!preview.is_empty()) + 1;
        let r = popup::centered(area, 80, rows);
        let inner = popup::frame(f, t, r, &self.title);
        let mut row = 0;
        if self.kind.takes_text() {
            popup::put(f, inner, 0, Line::raw(self.input.text.clone()));
            let col = text::width(&self.input.text[..self.input.cursor]) as u16;
            f.set_cursor_position((inner.x + col.min(inner.width.saturating_sub(1)), inner.y));
            row = 2;
        }
        for l in &preview {
            popup::put(f, inner, row, Line::raw(l.clone()));
            row += 1;
        }
        if !preview.is_empty() {
            row += 1;
        }
        let foot = match &self.error {
            Some(e) => Line::styled(e.clone(), t.error()),
            None => Line::styled("Enter to confirm, Esc to cancel", t.dim()),
        };
        popup::put(f, inner, row.min(inner.height.saturating_sub(1)), foot);
    }
}

/// `~/x` with the home directory.
pub fn expand_home(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => std::path::PathBuf::from(path),
    }
}

/// Completes the last part of a path as far as it is unambiguous (a
/// directory gets its `/`); `None` when nothing matches.
pub fn complete_path(typed: &str) -> Option<String> {
    let (dir_part, prefix) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let dir = if dir_part.is_empty() {
        std::path::PathBuf::from(".")
    } else {
        expand_home(dir_part)
    };
    let mut names: Vec<(String, bool)> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            (name.starts_with(prefix) && (!name.starts_with('.') || prefix.starts_with('.')))
                .then_some((name, is_dir))
        })
        .collect();
    names.sort();
    let first = names.first()?;
    if names.len() == 1 {
        let slash = if first.1 { "/" } else { "" };
        return Some(format!("{dir_part}{}{slash}", first.0));
    }
    // The longest common prefix of every match.
    let mut common: Vec<char> = first.0.chars().collect();
    for (n, _) in &names[1..] {
        let same = common
            .iter()
            .zip(n.chars())
            .take_while(|(a, b)| **a == *b)
            .count();
        common.truncate(same);
    }
    Some(format!("{dir_part}{}", common.iter().collect::<String>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_completes_paths_as_far_as_they_are_unambiguous() {
        let dir = std::env::temp_dir().join(format!("complete-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("reports")).unwrap();
        std::fs::write(dir.join("receipt-1.pdf"), "").unwrap();
        std::fs::write(dir.join("receipt-2.pdf"), "").unwrap();
        let d = format!("{}/", dir.display());
        assert_eq!(
            complete_path(&format!("{d}rep")),
            Some(format!("{d}reports/"))
        );
        assert_eq!(
            complete_path(&format!("{d}rec")),
            Some(format!("{d}receipt-"))
        );
        assert_eq!(complete_path(&format!("{d}zzz")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
