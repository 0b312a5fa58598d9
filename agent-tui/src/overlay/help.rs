//! `?`: every key, read from the keymap, grouped by where it applies.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{DrawCtx, Outcome};
use crate::action::{Action, Context};
use crate::ui::{popup, text};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Help {
    pub scroll: usize,
}

/// Width of the keys column.
const KEYS: usize = 22;

/// Keys that edit text, wherever text is typed (not rebindable).
const EDITING: &[(&str, &str)] = &[
    (
        "/",
        "in an empty compose box: the macro picker, with what you type next",
    ),
    ("ctrl-w", "delete the word before the cursor"),
    ("ctrl-a, ctrl-e", "line start, line end"),
    ("ctrl-u", "clear a picker's query"),
    (
        "paste",
        "goes in as is (bracketed paste), new lines included",
    ),
];

impl Help {
    pub fn key(&mut self, action: Option<Action>) -> Outcome {
        use Action::*;
        self.scroll = match action {
            Some(Back | Help | Quit) => return Outcome::Close,
            Some(Up) => self.scroll.saturating_sub(1),
            Some(Down) => self.scroll + 1,
            Some(PageUp) => self.scroll.saturating_sub(10),
            Some(PageDown) => self.scroll + 10,
            Some(Top) => 0,
            Some(Bottom) => usize::MAX / 2,
            _ => self.scroll,
        };
        Outcome::Keep
    }

    /// Every line of the help, wrapped to `width` columns.
    pub fn lines(cx: &DrawCtx<'_>, width: usize) -> Vec<Line<'static>> {
        let t = cx.theme;
        let room = width.saturating_sub(KEYS).max(10);
        let mut lines = Vec::new();
        let entry = |lines: &mut Vec<Line<'static>>, keys: String, words: String| {
            for (i, l) in text::wrap(&words, room).into_iter().enumerate() {
                let k = if i == 0 { keys.clone() } else { String::new() };
                lines.push(Line::from(vec![
                    Span::styled(text::fit(&format!("  {k}"), KEYS), t.vip()),
                    Span::raw(l),
                ]));
            }
        };
        for ctx in [
            Context::Global,
            Context::Normal,
            Context::Compose,
            Context::Picker,
        ] {
            lines.push(Line::styled(ctx.title().to_owned(), t.title()));
            for a in Action::ALL.iter().filter(|a| a.context() == ctx) {
                let keys = cx.keymap.describe(*a);
                let keys = if keys.is_empty() {
                    "(palette)".to_owned()
                } else {
                    keys
                };
                entry(&mut lines, keys, format!("{} [{}]", a.help(), a.name()));
            }
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled("Editing text".to_owned(), t.title()));
        for (keys, words) in EDITING {
            entry(&mut lines, (*keys).to_owned(), (*words).to_owned());
        }
        lines
    }

    pub fn draw(&self, f: &mut Frame, cx: &DrawCtx<'_>, area: Rect) {
        let r = popup::centered(area, 96, area.height);
        let inner = popup::frame(
            f,
            cx.theme,
            r,
            "Keys: j/k scroll, Esc closes; rebind in [keys] of the config",
        );
        let lines = Help::lines(cx, usize::from(inner.width));
        let h = usize::from(inner.height);
        let scroll = self.scroll.min(lines.len().saturating_sub(h));
        for (i, l) in lines.into_iter().skip(scroll).take(h).enumerate() {
            popup::put(f, inner, i as u16, l);
        }
    }
}
