//! The compose box: a small multi-line editor with a cursor, a selection
//! (a macro's fill-in field being replaced) and the reply/note switch.

use unicode_width::UnicodeWidthChar;

use crate::template;

/// What the text will be sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendAs {
    #[default]
    Reply,
    Note,
}

/// A draft: kept per ticket while tabs switch and chats close.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Compose {
    pub text: String,
    /// Byte offset of the cursor in `text`.
    pub cursor: usize,
    /// A selected range (a fill-in field); typing replaces it.
    #[serde(skip)]
    pub selection: Option<(usize, usize)>,
    /// Fill-in fields a macro left; sending waits until none is left.
    #[serde(default)]
    pub fields: Vec<String>,
    #[serde(default)]
    pub send_as: SendAs,
    /// Set the ticket to "waiting on the customer" once this is sent
    /// (the palette's "ask for details").
    #[serde(default)]
    pub then_pending: bool,
}

impl Compose {
    /// The editing keys every text field shares (the compose box, prompts):
    /// characters, ctrl-w, ctrl-a/ctrl-e, arrows, home/end, backspace,
    /// delete. False when `key` is not one of them.
    pub fn edit(&mut self, key: &crate::keymap::Key) -> bool {
        use crossterm::event::KeyCode;
        match key.code {
            KeyCode::Char('w') if key.ctrl => self.delete_word(),
            KeyCode::Char('a') if key.ctrl => self.home(),
            KeyCode::Char('e') if key.ctrl => self.end(),
            KeyCode::Char(c) if !key.ctrl && !key.alt => self.insert_char(c),
            KeyCode::Backspace => self.backspace(),
            KeyCode::Delete => self.delete(),
            KeyCode::Left => self.left(),
            KeyCode::Right => self.right(),
            KeyCode::Up => self.vertical(true),
            KeyCode::Down => self.vertical(false),
            KeyCode::Home => self.home(),
            KeyCode::End => self.end(),
            _ => return false,
        }
        true
    }

    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
    }

    pub fn clear(&mut self) {
        *self = Compose {
            send_as: self.send_as,
            ..Compose::default()
        };
    }

    fn take_selection(&mut self) {
        if let Some((a, b)) = self.selection.take() {
            self.text.replace_range(a..b, "");
            self.cursor = a;
        }
    }

    pub fn insert_str(&mut self, s: &str) {
        self.take_selection();
        // Terminals paste CR line ends; keep LF only, and no other controls.
        let clean: String = s
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .chars()
            .filter(|c| *c == '\n' || *c == '\t' || !c.is_control())
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        self.text.insert_str(self.cursor, &clean);
        self.cursor += clean.len();
    }

    pub fn insert_char(&mut self, c: char) {
        let mut b = [0; 4];
        self.insert_str(c.encode_utf8(&mut b));
    }

    pub fn backspace(&mut self) {
        if self.selection.is_some() {
            return self.take_selection();
        }
        if let Some(c) = self.text[..self.cursor].chars().next_back() {
            self.cursor -= c.len_utf8();
            self.text.remove(self.cursor);
        }
    }

    pub fn delete(&mut self) {
        if self.selection.is_some() {
            return self.take_selection();
        }
        if self.cursor < self.text.len() {
            self.text.remove(self.cursor);
        }
    }

    /// Deletes the word before the cursor (ctrl-w).
    pub fn delete_word(&mut self) {
        self.selection = None;
        let before = &self.text[..self.cursor];
        let trimmed = before.trim_end_matches(|c: char| c.is_whitespace());
        let start = trimmed
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8());
        self.text.replace_range(start..self.cursor, "");
        self.cursor = start;
    }

    pub fn left(&mut self) {
        self.selection = None;
        if let Some(c) = self.text[..self.cursor].chars().next_back() {
            self.cursor -= c.len_utf8();
        }
    }

    pub fn right(&mut self) {
        self.selection = None;
        if let Some(c) = self.text[self.cursor..].chars().next() {
            self.cursor += c.len_utf8();
        }
    }

    fn line_start(&self) -> usize {
        self.text[..self.cursor].rfind('\n').map_or(0, |i| i + 1)
    }

    fn line_end(&self) -> usize {
        self.text[self.cursor..]
            .find('\n')
            .map_or(self.text.len(), |i| self.cursor + i)
    }

    pub fn home(&mut self) {
        self.selection = None;
        self.cursor = self.line_start();
    }

    pub fn end(&mut self) {
        self.selection = None;
        self.cursor = self.line_end();
    }

    /// Moves to the same column of the previous (`up`) or next line.
    pub fn vertical(&mut self, up: bool) {
        self.selection = None;
        let start = self.line_start();
        let col = self.text[start..self.cursor].chars().count();
        let target = if up {
            if start == 0 {
                return;
            }
            self.text[..start - 1].rfind('\n').map_or(0, |i| i + 1)
        } else {
            let end = self.line_end();
            if end == self.text.len() {
                return;
            }
            end + 1
        };
        let line_end = self.text[target..]
            .find('\n')
            .map_or(self.text.len(), |i| target + i);
        self.cursor = self.text[target..line_end]
            .char_indices()
            .nth(col)
            .map_or(line_end, |(i, _)| target + i);
    }

    /// Inserts a macro's text at the cursor and selects its first
    /// fill-in field, if any.
    pub fn insert_macro(&mut self, text: &str, fields: Vec<String>) {
        self.insert_str(text);
        for f in fields {
            if !self.fields.contains(&f) {
                self.fields.push(f);
            }
        }
        self.cursor -= text.len();
        if !self.next_field() {
            self.cursor += text.len();
        }
    }

    /// Fill-in fields still in the text.
    pub fn unfilled(&self) -> Vec<String> {
        let present: Vec<String> = template::placeholders(&self.text)
            .into_iter()
            .map(|p| p.name)
            .collect();
        self.fields
            .iter()
            .filter(|f| present.contains(f))
            .cloned()
            .collect()
    }

    /// Selects the next unfilled field after the cursor (wrapping). False
    /// when none is left.
    pub fn next_field(&mut self) -> bool {
        let from = self.selection.map_or(self.cursor, |(_, b)| b);
        let ps: Vec<_> = template::placeholders(&self.text)
            .into_iter()
            .filter(|p| self.fields.contains(&p.name))
            .collect();
        let next = ps.iter().find(|p| p.start >= from).or_else(|| ps.first());
        match next {
            Some(p) => {
                self.selection = Some((p.start, p.end));
                self.cursor = p.end;
                true
            }
            None => {
                self.selection = None;
                false
            }
        }
    }

    /// The text laid out in rows of at most `width` columns: each row's
    /// byte range. Also returns the cursor's (row, column).
    pub fn layout(&self, width: u16) -> (Vec<(usize, usize)>, (usize, u16)) {
        let width = width.max(1);
        let mut rows = Vec::new();
        let mut cursor = (0, 0);
        let mut row_start = 0;
        let mut col: u16 = 0;
        for (i, c) in self.text.char_indices() {
            if i == self.cursor {
                cursor = (rows.len(), col);
            }
            if c == '\n' {
                rows.push((row_start, i));
                row_start = i + 1;
                col = 0;
                continue;
            }
            let w = c.width().unwrap_or(0) as u16;
            if col + w > width {
                rows.push((row_start, i));
                row_start = i;
                col = 0;
                if i == self.cursor {
                    cursor = (rows.len(), 0);
                }
            }
            col += w;
        }
        if self.cursor >= self.text.len() {
            if col >= width {
                rows.push((row_start, self.text.len()));
                row_start = self.text.len();
                col = 0;
            }
            cursor = (rows.len(), col);
        }
        rows.push((row_start, self.text.len()));
        (rows, cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_across_lines_and_wide_characters() {
        let mut c = Compose::default();
        c.insert_str("你好 world\r\nline two");
        assert_eq!(c.text, "你好 world\nline two");
        c.vertical(true);
        assert_eq!(&c.text[c.cursor..], "\nline two");
        c.home();
        c.right();
        c.backspace();
        assert_eq!(c.text, "好 world\nline two");
        c.end();
        c.delete_word();
        assert_eq!(c.text, "好 \nline two");
        c.insert_char('🙂');
        assert_eq!(c.text, "好 🙂\nline two");
        // Layout counts display columns: 好 is two wide.
        let (rows, cur) = c.layout(4);
        let texts: Vec<&str> = rows.iter().map(|(a, b)| &c.text[*a..*b]).collect();
        assert_eq!(texts, vec!["好 ", "🙂", "line", " two"]);
        assert_eq!(cur, (1, 2));
    }

    #[test]
    fn macro_fields_are_walked_and_replaced() {
        let mut c = Compose::default();
        c.insert_macro(
            "Done: {what}. Next: {steps}.",
            vec!["what".into(), "steps".into()],
        );
        assert_eq!(c.selection, Some((6, 12)));
        c.insert_str("reset");
        assert_eq!(c.text, "Done: reset. Next: {steps}.");
        assert_eq!(c.unfilled(), vec!["steps"]);
        assert!(c.next_field());
        c.insert_str("log in");
        assert_eq!(c.text, "Done: reset. Next: log in.");
        assert!(c.unfilled().is_empty());
        assert!(!c.next_field());
        // A macro without fields leaves the cursor after it.
        let mut c = Compose::default();
        c.insert_macro("Thanks!", vec![]);
        assert_eq!(c.cursor, c.text.len());
    }
}
