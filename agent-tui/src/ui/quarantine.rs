//! The held messages screen: what the group safety checks kept back from
//! customer groups, waiting ones first, with the selected message's whole
//! text and reasons below the list.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use shared::*;

use super::text::{self, fit};
use super::time;
use crate::action::Action;
use crate::quarantine;
use crate::state::App;

/// Rows kept under the list for the selected message.
pub const DETAIL_ROWS: usize = 6;

fn who(h: &HeldMessage) -> String {
    match &h.author_username {
        Some(u) => format!("{} @{u}", h.author_name),
        None => h.author_name.clone(),
    }
}

fn decision(app: &App, h: &HeldMessage) -> String {
    let by = h.decided_by.map(|a| app.agent_name(a)).unwrap_or_default();
    match h.state {
        HeldState::Held => "waiting".into(),
        HeldState::Approved => format!("approved by {by}"),
        HeldState::Banned => format!("banned by {by}"),
    }
}

/// The last 7 days across the groups this engineer reads: the spam share
/// and how many decisions undid a wrong catch.
fn week(app: &App) -> String {
    let Some(fig) = &app.safety_figures else {
        return String::new();
    };
    let (messages, held, approved, banned) = fig.groups.iter().fold((0, 0, 0, 0), |a, g| {
        (
            a.0 + g.messages,
            a.1 + g.held,
            a.2 + g.approved,
            a.3 + g.banned,
        )
    });
    let all = SafetyFigure {
        chat_id: None,
        organisation_id: None,
        name: String::new(),
        messages,
        held,
        approved,
        banned,
        waiting: 0,
    };
    let fp = match all.false_positive_share() {
        Some(s) => format!(", {:.0}% of decisions approved", s * 100.0),
        None => String::new(),
    };
    format!(" · 7 days: spam {:.1}%{fp}", all.spam_share() * 100.0)
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    if area.height < 3 {
        return;
    }
    let keys = [
        (Action::ApproveHeld, "approve"),
        (Action::BanHeld, "ban"),
        (Action::Back, "back"),
    ]
    .iter()
    .map(|(a, what)| format!("{} {what}", app.keymap.hint(*a)))
    .collect::<Vec<_>>()
    .join(" · ");
    let title = format!(
        " Held messages · {} waiting{} · {keys} ",
        quarantine::waiting(&app.mirror),
        week(app)
    );
    f.render_widget(
        Line::styled(text::truncate(&title, usize::from(area.width)), t.title()),
        area,
    );
    let w = usize::from(area.width);
    let when_w = 7;
    let group_w = (w / 5).clamp(10, 28);
    let who_w = (w / 5).clamp(10, 26);
    let why_w = (w / 4).clamp(14, 34);
    let head = format!(
        " {}{}{}{}TEXT",
        fit("SENT", when_w),
        fit("GROUP", group_w + 1),
        fit("FROM", who_w + 1),
        fit("WHY", why_w + 1),
    );
    f.render_widget(
        Line::styled(text::truncate(&head, w), t.dim()),
        Rect::new(area.x, area.y + 1, area.width, 1),
    );
    if app.held_rows.is_empty() {
        let msg = "Nothing held. Messages the group safety checks keep back (a newcomer's link, spam, a look-alike of staff) wait here for you to approve or ban (docs/groups.md, \"Safety\").";
        for (i, l) in text::wrap(msg, w.saturating_sub(4)).iter().enumerate() {
            if i + 2 >= usize::from(area.height) {
                break;
            }
            f.render_widget(
                Line::styled(format!("  {l}"), t.dim()),
                Rect::new(area.x, area.y + 2 + i as u16, area.width, 1),
            );
        }
        return;
    }
    let body = usize::from(area.height - 2);
    let detail_h = if body > DETAIL_ROWS + 2 {
        DETAIL_ROWS
    } else {
        0
    };
    let list_h = body - detail_h;
    for (row, id) in app
        .held_rows
        .iter()
        .enumerate()
        .skip(app.held_offset)
        .take(list_h)
    {
        let Some(h) = app.mirror.quarantine.get(id) else {
            continue;
        };
        let y = area.y + 2 + (row - app.held_offset) as u16;
        let waiting = h.state == HeldState::Held;
        let text_w = w.saturating_sub(1 + when_w + group_w + who_w + why_w + 3);
        let body = if waiting {
            h.text.replace('\n', " ")
        } else {
            format!("[{}] {}", decision(app, h), h.text.replace('\n', " "))
        };
        let mut spans = vec![
            Span::styled(
                format!(
                    " {}",
                    fit(&time::short(h.sent_at, app.now, &app.tz), when_w)
                ),
                t.dim(),
            ),
            Span::raw(format!("{} ", fit(&h.group_title, group_w))),
            Span::styled(format!("{} ", fit(&who(h), who_w)), t.customer()),
            Span::styled(
                format!("{} ", fit(&quarantine::reasons(&h.reasons), why_w)),
                if waiting { t.error() } else { t.dim() },
            ),
            Span::styled(
                text::truncate(&body, text_w),
                if waiting { Default::default() } else { t.dim() },
            ),
        ];
        if row == app.held_sel {
            spans = spans
                .into_iter()
                .map(|s| Span::styled(s.content, t.selected()))
                .collect();
        }
        f.render_widget(Line::from(spans), Rect::new(area.x, y, area.width, 1));
    }
    if detail_h == 0 {
        return;
    }
    let Some(h) = app
        .held_rows
        .get(app.held_sel)
        .and_then(|id| app.mirror.quarantine.get(id))
    else {
        return;
    };
    let top = area.y + 2 + list_h as u16;
    let head = format!(
        "─ {} in {} · {} · {} · {} ",
        who(h),
        h.group_title,
        time::short(h.sent_at, app.now, &app.tz),
        quarantine::reasons(&h.reasons),
        decision(app, h)
    );
    let rule = format!("{head}{}", "─".repeat(w.saturating_sub(text::width(&head))));
    f.render_widget(
        Line::styled(text::truncate(&rule, w), t.dim()),
        Rect::new(area.x, top, area.width, 1),
    );
    for (i, l) in text::wrap(&h.text, w.saturating_sub(4))
        .iter()
        .take(detail_h - 1)
        .enumerate()
    {
        f.render_widget(
            Line::raw(format!("  {l}")),
            Rect::new(area.x, top + 1 + i as u16, area.width, 1),
        );
    }
}
