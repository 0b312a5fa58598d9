//! Key bindings: defaults (vim-style and arrows both), overridable by
//! action name in the config file's `[keys]` table.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::{Action, Context};

/// A key with its modifiers, normalized so that `G` and `shift-g` match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error(
        "unknown key {0:?} (examples: \"ctrl-n\", \"alt-1\", \"G\", \"enter\", \"f1\", \"pgdn\")"
    )]
    Unknown(String),
    #[error(
        "unknown action {0:?} in [keys]; see `agent-tui --help` or docs/agent-tui.md for the names"
    )]
    UnknownAction(String),
    #[error(
        "key {key} is bound to both {first} and {second} ({context}); give one of them another key in [keys]"
    )]
    Conflict {
        key: String,
        first: &'static str,
        second: &'static str,
        context: &'static str,
    },
}

impl Key {
    pub fn new(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    pub fn ctrl(c: char) -> Key {
        Key {
            ctrl: true,
            ..Key::new(KeyCode::Char(c))
        }
    }

    pub fn alt(c: char) -> Key {
        Key {
            alt: true,
            ..Key::new(KeyCode::Char(c))
        }
    }

    pub fn from_event(e: &KeyEvent) -> Key {
        let mut k = Key {
            code: e.code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
            alt: e.modifiers.contains(KeyModifiers::ALT),
            shift: e.modifiers.contains(KeyModifiers::SHIFT),
        };
        k.normalize();
        k
    }

    fn normalize(&mut self) {
        match self.code {
            // A character already carries its shift (`G`, `?`).
            KeyCode::Char(c) => {
                self.shift = false;
                if self.ctrl || self.alt {
                    self.code = KeyCode::Char(c.to_ascii_lowercase());
                }
            }
            KeyCode::BackTab => self.shift = false,
            _ => {}
        }
    }

    /// Parses `ctrl-n`, `alt-1`, `shift-tab`, `G`, `?`, `enter`, `f5`, ...
    pub fn parse(s: &str) -> Result<Key, KeyError> {
        let err = || KeyError::Unknown(s.to_owned());
        let mut k = Key::new(KeyCode::Null);
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && (lower.starts_with("ctrl-") || lower.starts_with("c-")) {
                k.ctrl = true;
                rest = &rest[rest.find('-').unwrap() + 1..];
            } else if rest.chars().count() > 1
                && (lower.starts_with("alt-") || lower.starts_with("m-"))
            {
                k.alt = true;
                rest = &rest[rest.find('-').unwrap() + 1..];
            } else if rest.chars().count() > 1 && lower.starts_with("shift-") {
                k.shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        k.code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(if k.shift { c.to_ascii_uppercase() } else { c }),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" if k.shift => KeyCode::BackTab,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pagedown" => KeyCode::PageDown,
                "insert" => KeyCode::Insert,
                f if f.starts_with('f') => {
                    let n: u8 = f[1..].parse().map_err(|_| err())?;
                    if !(1..=12).contains(&n) {
                        return Err(err());
                    }
                    KeyCode::F(n)
                }
                _ => return Err(err()),
            },
        };
        k.normalize();
        Ok(k)
    }
}

impl Key {
    /// The terminal event this key arrives as.
    pub fn event(&self) -> KeyEvent {
        let mut m = KeyModifiers::NONE;
        if self.ctrl {
            m |= KeyModifiers::CONTROL;
        }
        if self.alt {
            m |= KeyModifiers::ALT;
        }
        if self.shift {
            m |= KeyModifiers::SHIFT;
        }
        KeyEvent::new(self.code, m)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        if self.shift {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The bindings in force.
#[derive(Debug, Clone)]
pub struct Keymap {
    by_action: BTreeMap<Action, Vec<Key>>,
    lookup: HashMap<(Context, Key), Action>,
}

fn defaults() -> Vec<(Action, &'static [&'static str])> {
    use Action::*;
    vec![
        (Quit, &["ctrl-c"]),
        (Palette, &["ctrl-p", ":"]),
        (Macros, &["ctrl-k", "m"]),
        (NextWaiting, &["ctrl-n", "n"]),
        (Chat1, &["alt-1", "1", "f1"]),
        (Chat2, &["alt-2", "2", "f2"]),
        (Chat3, &["alt-3", "3", "f3"]),
        (Chat4, &["alt-4", "4", "f4"]),
        (Chat5, &["alt-5", "5", "f5"]),
        (Chat6, &["alt-6", "6", "f6"]),
        (Chat7, &["alt-7", "7", "f7"]),
        (Chat8, &["alt-8", "8", "f8"]),
        (Chat9, &["alt-9", "9", "f9"]),
        (Chat10, &["alt-0", "0", "f10"]),
        (AckAlerts, &["ctrl-g", "a"]),
        (Help, &["?"]),
        (Back, &["q", "esc"]),
        (Up, &["k", "up"]),
        (Down, &["j", "down"]),
        (PageUp, &["pgup", "ctrl-u"]),
        (PageDown, &["pgdn", "ctrl-d"]),
        (Top, &["g", "home"]),
        (Bottom, &["G", "end"]),
        (NextQueue, &["l", "right"]),
        (PrevQueue, &["h", "left"]),
        (Open, &["enter", "o"]),
        (CloseChat, &["x"]),
        (NextChat, &["tab", "alt-right"]),
        (PrevChat, &["shift-tab", "alt-left"]),
        (Compose, &["i", "r"]),
        (Take, &["t"]),
        (Customer, &["c"]),
        (Alerts, &["!"]),
        (Groups, &["w"]),
        (GroupAck, &["A"]),
        (GroupTicket, &["+"]),
        (LinkTelegram, &[]),
        (BindGroup, &[]),
        (Quarantine, &["Q"]),
        (Dashboard, &["D"]),
        (ApproveHeld, &["y"]),
        (BanHeld, &["B"]),
        (Send, &["enter"]),
        (Newline, &["alt-enter", "ctrl-j"]),
        (NextField, &["tab"]),
        (ToggleNote, &["ctrl-t"]),
        (Leave, &["esc"]),
        (SendAndClose, &["ctrl-s"]),
        (Assign, &[]),
        (Unassign, &[]),
        (Share, &[]),
        (Unshare, &[]),
        (Transfer, &[]),
        (Escalate, &[]),
        (SetStatus, &[]),
        (SetPriority, &[]),
        (AddTags, &["#"]),
        (RemoveTag, &[]),
        (Note, &["N"]),
        (CloseTicket, &["C"]),
        (AskDetails, &[]),
        (OpenAttachment, &["f"]),
        (AttachFile, &["ctrl-o"]),
        (Pick, &["enter", "tab"]),
        (Cancel, &["esc"]),
        (SelectUp, &["up", "ctrl-p"]),
        (SelectDown, &["down", "ctrl-n"]),
    ]
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::new(&BTreeMap::new()).expect("default bindings parse")
    }
}

impl Keymap {
    /// Defaults with `overrides` (action name → keys) replacing the keys of
    /// the actions they name.
    pub fn new(overrides: &BTreeMap<String, Vec<String>>) -> Result<Keymap, KeyError> {
        let mut by_action: BTreeMap<Action, Vec<Key>> = BTreeMap::new();
        for (action, keys) in defaults() {
            let keys = keys
                .iter()
                .map(|k| Key::parse(k))
                .collect::<Result<_, _>>()?;
            by_action.insert(action, keys);
        }
        for (name, keys) in overrides {
            let action =
                Action::parse(name).ok_or_else(|| KeyError::UnknownAction(name.clone()))?;
            let keys = keys
                .iter()
                .map(|k| Key::parse(k))
                .collect::<Result<_, _>>()?;
            by_action.insert(action, keys);
        }
        let mut lookup: HashMap<(Context, Key), Action> = HashMap::new();
        for (action, keys) in &by_action {
            for k in keys {
                if let Some(other) = lookup.insert((action.context(), *k), *action)
                    && other != *action
                {
                    return Err(conflict(k, other, *action, action.context().title()));
                }
            }
        }
        // A global key also works in the contexts below it: the same key
        // there would never be reached (or would shadow the global one).
        for ((ctx, k), action) in &lookup {
            if let Some(global) = lookup.get(&(Context::Global, *k))
                && shadowed_by_global(*ctx, k)
            {
                let (first, second) = if global < action {
                    (*global, *action)
                } else {
                    (*action, *global)
                };
                return Err(conflict(k, first, second, ctx.title()));
            }
        }
        Ok(Keymap { by_action, lookup })
    }

    /// The action bound to `key` in `ctx`. Global bindings come first,
    /// except in pickers, whose own keys come first. Plain characters bound
    /// globally (like `1` or `n`) are text while typing (compose box,
    /// pickers).
    pub fn action(&self, ctx: Context, key: &Key) -> Option<Action> {
        let own = || {
            if ctx == Context::Global {
                None
            } else {
                self.lookup.get(&(ctx, *key)).copied()
            }
        };
        let global = || {
            if typing(ctx) && plain_char(key) {
                None
            } else {
                self.lookup.get(&(Context::Global, *key)).copied()
            }
        };
        if ctx == Context::Picker {
            own().or_else(global)
        } else {
            global().or_else(own)
        }
    }

    pub fn keys(&self, action: Action) -> &[Key] {
        self.by_action.get(&action).map_or(&[], Vec::as_slice)
    }

    /// `"ctrl-p, :"` for help lines.
    pub fn describe(&self, action: Action) -> String {
        self.keys(action)
            .iter()
            .map(Key::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Which actions differ from the defaults, for `--check`.
    pub fn describe_overrides(&self) -> String {
        let defaults = Keymap::default();
        let changed: Vec<String> = Action::ALL
            .iter()
            .filter(|a| self.keys(**a) != defaults.keys(**a))
            .map(|a| format!("{} = {}", a.name(), self.describe(*a)))
            .collect();
        if changed.is_empty() {
            "defaults".into()
        } else {
            format!("defaults, except {}", changed.join("; "))
        }
    }

    /// The first key of `action`, for hints in the status line.
    pub fn hint(&self, action: Action) -> String {
        self.keys(action)
            .first()
            .map_or_else(|| "unbound".into(), Key::to_string)
    }
}

/// Contexts where plain characters are text.
fn typing(ctx: Context) -> bool {
    matches!(ctx, Context::Compose | Context::Picker)
}

fn plain_char(key: &Key) -> bool {
    matches!(key.code, KeyCode::Char(_)) && !key.ctrl && !key.alt
}

/// Whether a global binding of `key` takes it from `ctx`.
fn shadowed_by_global(ctx: Context, key: &Key) -> bool {
    match ctx {
        Context::Global | Context::Picker => false,
        Context::Normal => true,
        Context::Compose => !plain_char(key),
    }
}

fn conflict(key: &Key, first: Action, second: Action, context: &'static str) -> KeyError {
    KeyError::Conflict {
        key: key.to_string(),
        first: first.name(),
        second: second.name(),
        context,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> Key {
        Key::from_event(&KeyEvent::new(code, m))
    }

    #[test]
    fn parses_and_prints_keys() {
        for s in [
            "ctrl-n",
            "alt-1",
            "G",
            "?",
            "enter",
            "f5",
            "pgdn",
            "shift-tab",
            "space",
        ] {
            assert_eq!(Key::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Key::parse("C-n").unwrap(), Key::ctrl('n'));
        assert_eq!(
            Key::parse("backtab").unwrap(),
            Key::parse("shift-tab").unwrap()
        );
        assert_eq!(Key::parse("shift-g").unwrap(), Key::parse("G").unwrap());
        assert!(Key::parse("hyper-x").is_err());
        assert!(Key::parse("f13").is_err());
        assert!(Key::parse("").is_err());
    }

    #[test]
    fn terminal_events_match_bindings() {
        let km = Keymap::default();
        // Shift comes with the character.
        assert_eq!(
            km.action(
                Context::Normal,
                &ev(KeyCode::Char('G'), KeyModifiers::SHIFT)
            ),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(
                Context::Normal,
                &ev(KeyCode::Char('?'), KeyModifiers::SHIFT)
            ),
            Some(Action::Help)
        );
        assert_eq!(
            km.action(Context::Normal, &ev(KeyCode::Down, KeyModifiers::NONE)),
            Some(Action::Down)
        );
        // Digits jump to chats outside the compose box, and are text inside it.
        let one = ev(KeyCode::Char('1'), KeyModifiers::NONE);
        assert_eq!(km.action(Context::Normal, &one), Some(Action::Chat1));
        assert_eq!(km.action(Context::Compose, &one), None);
        let alt1 = ev(KeyCode::Char('1'), KeyModifiers::ALT);
        assert_eq!(km.action(Context::Compose, &alt1), Some(Action::Chat1));
        assert_eq!(
            km.action(Context::Compose, &ev(KeyCode::Enter, KeyModifiers::NONE)),
            Some(Action::Send)
        );
        assert_eq!(
            km.action(
                Context::Compose,
                &ev(KeyCode::Char('j'), KeyModifiers::CONTROL)
            ),
            Some(Action::Newline)
        );
    }

    #[test]
    fn overrides_replace_an_actions_keys() {
        let mut o = BTreeMap::new();
        o.insert("take".to_owned(), vec!["T".to_owned(), "ctrl-y".to_owned()]);
        let km = Keymap::new(&o).unwrap();
        assert_eq!(
            km.action(Context::Normal, &Key::parse("T").unwrap()),
            Some(Action::Take)
        );
        assert_eq!(km.action(Context::Normal, &Key::parse("t").unwrap()), None);
        assert_eq!(km.describe(Action::Take), "T, ctrl-y");
        o.insert("teleport".to_owned(), vec!["z".to_owned()]);
        assert_eq!(
            Keymap::new(&o).unwrap_err(),
            KeyError::UnknownAction("teleport".into())
        );
    }

    #[test]
    fn a_key_bound_twice_where_both_apply_is_an_error() {
        // `n` is next_waiting everywhere: as take it would never be reached.
        let mut o = BTreeMap::new();
        o.insert("take".to_owned(), vec!["n".to_owned()]);
        let err = Keymap::new(&o).unwrap_err();
        assert_eq!(
            err,
            KeyError::Conflict {
                key: "n".into(),
                first: "next_waiting",
                second: "take",
                context: "Queues and threads"
            }
        );
        assert!(err.to_string().contains("next_waiting") && err.to_string().contains("take"));
        // Two actions of one context.
        let mut o = BTreeMap::new();
        o.insert("customer".to_owned(), vec!["t".to_owned()]);
        assert!(matches!(Keymap::new(&o), Err(KeyError::Conflict { .. })));
        // A plain character is text in the compose box: no conflict there.
        let mut o = BTreeMap::new();
        o.insert("toggle_note".to_owned(), vec!["n".to_owned()]);
        assert!(Keymap::new(&o).is_ok());
        // The defaults are free of conflicts.
        assert!(Keymap::new(&BTreeMap::new()).is_ok());
    }

    #[test]
    fn picker_keys_come_first_in_pickers() {
        let km = Keymap::default();
        assert_eq!(
            km.action(Context::Picker, &Key::ctrl('n')),
            Some(Action::SelectDown)
        );
        assert_eq!(
            km.action(Context::Normal, &Key::ctrl('n')),
            Some(Action::NextWaiting)
        );
        assert_eq!(km.action(Context::Picker, &Key::parse("n").unwrap()), None);
        assert_eq!(
            km.action(Context::Picker, &Key::ctrl('c')),
            Some(Action::Quit)
        );
    }

    #[test]
    fn unbound_action_example() {
        let mut o = BTreeMap::new();
        o.insert("teleport".to_owned(), vec!["z".to_owned()]);
        assert_eq!(
            Keymap::new(&o).unwrap_err(),
            KeyError::UnknownAction("teleport".into())
        );
    }
}

#[cfg(test)]
mod doc_tests {
    use super::*;

    /// docs/agent-tui.md lists every action with its default keys.
    #[test]
    fn the_user_guide_lists_every_binding() {
        let doc = include_str!("../../docs/agent-tui.md");
        let km = Keymap::default();
        for a in Action::ALL {
            let keys = km.describe(*a);
            let keys = if keys.is_empty() {
                "(palette)".to_owned()
            } else {
                keys.split(", ")
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let row = format!("| `{}` | {keys} | {} |", a.name(), a.help());
            assert!(doc.contains(&row), "docs/agent-tui.md lacks the row {row}");
        }
    }
}
