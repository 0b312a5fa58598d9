//! Pure render functions: each panel draws from `&App` into a frame area.
//! [`measure`] records the sizes the update functions page and scroll by.

pub mod compose;
pub mod customer;
pub mod dashboard;
pub mod groups;
pub mod header;
pub mod popup;
pub mod quarantine;
pub mod queue;
pub mod status;
pub mod text;
pub mod theme;
pub mod thread;
pub mod time;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::state::{App, Screen};

/// Terminals at least this wide show the customer panel beside the thread.
pub const WIDE: u16 = 110;
/// Width of the customer panel beside the thread.
pub const PANEL: u16 = 38;

/// The screen's three bands: header, body, status line.
pub fn bands(area: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// A chat's body: ticket line, thread, compose box, and the customer
/// panel (or `None` where it does not fit or is hidden).
pub struct ChatAreas {
    pub title: Rect,
    pub thread: Rect,
    pub compose: Rect,
    pub panel: Option<Rect>,
}

pub fn chat_areas(app: &App, body: Rect) -> ChatAreas {
    let [title, main] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(body);
    let wide = body.width >= WIDE;
    let (column, panel) = if wide && !app.customer_toggled {
        let [c, p] =
            Layout::horizontal([Constraint::Min(20), Constraint::Length(PANEL)]).areas(main);
        (c, Some(p))
    } else if !wide && app.customer_toggled {
        return ChatAreas {
            title,
            thread: Rect::new(main.x, main.y, main.width, 0),
            compose: Rect::new(main.x, main.y + main.height, main.width, 0),
            panel: Some(main),
        };
    } else {
        (main, None)
    };
    let h = compose::height(app, column.width).min(column.height.saturating_sub(3).max(3));
    let [thread, compose] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(h)]).areas(column);
    ChatAreas {
        title,
        thread,
        compose,
        panel,
    }
}

/// Records the sizes of the lists and the thread for paging.
pub fn measure(app: &mut App, area: Rect) {
    let [_, body, _] = bands(area);
    app.viewport.width = area.width;
    app.viewport.height = area.height;
    app.viewport.list_rows = body.height.saturating_sub(2);
    let chat = chat_areas(app, body);
    app.viewport.thread_rows = chat.thread.height;
    app.viewport.thread_width = chat.thread.width;
    app.clamp_offset();
}

/// Measures, then draws: one frame as the terminal loop makes it.
pub fn frame(f: &mut Frame, app: &mut App) {
    measure(app, f.area());
    draw(f, app);
}

/// The smallest terminal the workstation lays out for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draws the whole screen.
pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return too_small(f, app, area);
    }
    let [head, body, foot] = bands(area);
    header::draw(f, app, head);
    match app.screen {
        Screen::Queues => queue::draw(f, app, body),
        Screen::Chat(i) => match app.chats.get(i) {
            Some(chat) => {
                let a = chat_areas(app, body);
                thread::draw_title(f, app, chat.ticket, a.title);
                thread::draw(f, app, chat, a.thread);
                compose::draw(f, app, chat.ticket, a.compose);
                if let Some(p) = a.panel {
                    customer::draw(f, app, chat.ticket, p);
                }
            }
            None => queue::draw(f, app, body),
        },
        Screen::Groups => groups::draw_list(f, app, body),
        Screen::Group(c) => groups::draw_conversation(f, app, c, body),
        Screen::Quarantine => quarantine::draw(f, app, body),
        Screen::Dashboard => dashboard::draw(f, app, body),
    }
    status::draw(f, app, foot);
    if let Some(o) = &app.overlay {
        let ticket = o.ticket();
        let cx = crate::overlay::DrawCtx {
            theme: &app.theme,
            keymap: &app.keymap,
            mirror: &app.mirror,
            alerts: &app.alerts,
            now: app.now,
            vars: ticket.map(|t| app.vars(t)).unwrap_or_default(),
            language: ticket.and_then(|t| app.customer_language(t)),
        };
        o.draw(f, &cx, area);
    }
}

/// Below 80x24 nothing fits without colliding: say so, and what to do.
fn too_small(f: &mut Frame, app: &App, area: Rect) {
    let msg = format!(
        "agent-tui needs at least {MIN_WIDTH}x{MIN_HEIGHT}; this terminal is {}x{}. \
         Enlarge it (ctrl-c quits).",
        area.width, area.height
    );
    let lines = text::wrap(&msg, usize::from(area.width.max(1)));
    let top = area.height.saturating_sub(lines.len() as u16) / 2;
    for (i, l) in lines.iter().enumerate().take(usize::from(area.height)) {
        f.render_widget(
            ratatui::text::Line::styled(l.clone(), app.theme.error()),
            Rect::new(area.x, area.y + top + i as u16, area.width, 1),
        );
    }
}
