//! Colours: rich (256 colours), the 16 basic ones, or none at all
//! (NO_COLOR), where emphasis is carried by bold, reverse and underline.

use ratatui::style::{Color, Modifier, Style};

use crate::config::Colors;
use crate::sla::Level;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub colors: Colors,
}

impl Theme {
    pub fn new(colors: Colors) -> Theme {
        Theme { colors }
    }

    fn pick(&self, rich: Style, basic: Style, none: Style) -> Style {
        match self.colors {
            Colors::Rich | Colors::Auto => rich,
            Colors::Basic => basic,
            Colors::None => none,
        }
    }

    fn fg(&self, rich: Color, basic: Color, none: Modifier) -> Style {
        self.pick(
            Style::new().fg(rich),
            Style::new().fg(basic),
            Style::new().add_modifier(none),
        )
    }

    pub fn sla(&self, level: Level) -> Style {
        match level {
            Level::Ok => self.fg(Color::Indexed(71), Color::Green, Modifier::empty()),
            Level::Warning => self
                .fg(Color::Indexed(214), Color::Yellow, Modifier::BOLD)
                .add_modifier(Modifier::BOLD),
            Level::Breached => self.pick(
                Style::new()
                    .fg(Color::Indexed(196))
                    .add_modifier(Modifier::BOLD),
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            ),
        }
    }

    pub fn selected(&self) -> Style {
        self.pick(
            Style::new()
                .bg(Color::Indexed(238))
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::REVERSED),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }

    pub fn dim(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Indexed(245)),
            Style::new().fg(Color::DarkGray),
            Style::new().add_modifier(Modifier::DIM),
        )
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Indexed(75), Color::Cyan, Modifier::BOLD)
            .add_modifier(Modifier::BOLD)
    }

    pub fn customer(&self) -> Style {
        self.fg(Color::Indexed(75), Color::Cyan, Modifier::BOLD)
            .add_modifier(Modifier::BOLD)
    }

    pub fn agent(&self) -> Style {
        self.fg(Color::Indexed(114), Color::Green, Modifier::BOLD)
            .add_modifier(Modifier::BOLD)
    }

    pub fn note(&self) -> Style {
        self.fg(Color::Indexed(179), Color::Yellow, Modifier::ITALIC)
            .add_modifier(Modifier::ITALIC)
    }

    pub fn vip(&self) -> Style {
        self.fg(Color::Indexed(220), Color::Yellow, Modifier::BOLD)
            .add_modifier(Modifier::BOLD)
    }

    pub fn critical(&self) -> Style {
        self.fg(Color::Indexed(196), Color::Red, Modifier::BOLD)
            .add_modifier(Modifier::BOLD)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Indexed(203), Color::Red, Modifier::BOLD)
    }

    pub fn good(&self) -> Style {
        self.fg(Color::Indexed(71), Color::Green, Modifier::empty())
    }

    /// Matched characters in fuzzy results.
    pub fn matched(&self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::Indexed(214))
                .add_modifier(Modifier::BOLD),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
        )
    }

    pub fn tab(&self, active: bool) -> Style {
        if active {
            self.pick(
                Style::new()
                    .fg(Color::Black)
                    .bg(Color::Indexed(75))
                    .add_modifier(Modifier::BOLD),
                Style::new().fg(Color::Black).bg(Color::Cyan),
                Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            )
        } else {
            Style::new()
        }
    }

    /// The alert badge.
    pub fn alert(&self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::White)
                .bg(Color::Indexed(160))
                .add_modifier(Modifier::BOLD),
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )
    }

    pub fn border(&self) -> Style {
        self.dim()
    }

    pub fn focused_border(&self) -> Style {
        self.fg(Color::Indexed(75), Color::Cyan, Modifier::BOLD)
    }
}
