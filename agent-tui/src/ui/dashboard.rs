//! The leads' dashboard: who waits and who works right now (from the
//! mirror), today's first replies against each queue's target, this
//! week's CSAT, tickets by hour today and the hour-of-week heat map
//! (from the live figures, `crate::dashboard`). One page: two columns on
//! a wide terminal, one on 80x24.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use shared::*;

use super::text::{self, fit, fit_right};
use crate::action::Action;
use crate::dashboard::{Dashboard, Live, Samples};
use crate::sla::{Level, span};
use crate::state::App;

/// CSAT the desk aims for (docs/metrics.md).
pub const CSAT_TARGET: f64 = 4.5;
/// Columns this wide and rows this tall get the two-column layout.
const WIDE_COLS: u16 = 120;
const WIDE_ROWS: u16 = 30;

const WEEKDAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

/// What is true right now, from one pass over the mirror's tickets.
#[derive(Default)]
struct Now<'a> {
    /// Open tickets owed a reply, those nobody holds, and the longest
    /// wait (ms, ticket number).
    waiting: usize,
    unassigned: usize,
    longest: Option<(i64, u64)>,
    /// Each agent's unresolved tickets (a few agents: a list).
    holding: Vec<(AgentId, usize)>,
    /// Queues with a ticket in the mirror (a few).
    busy: Vec<&'a QueueId>,
}

fn now(app: &App) -> Now<'_> {
    let mut n = Now::default();
    for t in app.mirror.tickets.values() {
        if n.busy.last() != Some(&&t.queue) && !n.busy.contains(&&t.queue) {
            n.busy.push(&t.queue);
        }
        let open = matches!(t.status, TicketStatus::New | TicketStatus::Open);
        if let Some(a) = t.assignee
            && (open || t.status == TicketStatus::PendingOnCustomer)
        {
            match n.holding.iter_mut().find(|(x, _)| *x == a) {
                Some((_, c)) => *c += 1,
                None => n.holding.push((a, 1)),
            }
        }
        let Some(since) = t.waiting_since.filter(|_| open) else {
            continue;
        };
        n.waiting += 1;
        n.unassigned += usize::from(t.assignee.is_none());
        let ms = app.now.0 - since.0;
        if n.longest.is_none_or(|(m, _)| ms > m) {
            n.longest = Some((ms, t.number));
        }
    }
    n
}

impl Now<'_> {
    fn holding(&self, agent: AgentId) -> usize {
        self.holding
            .iter()
            .find(|(a, _)| *a == agent)
            .map_or(0, |(_, c)| *c)
    }
}

fn secs(ms: i64) -> String {
    span(u64::try_from(ms.max(0) / 1000).unwrap_or(0))
}

/// The "now" lines: waiting, longest wait, groups, agents and breaches.
fn now_lines(app: &App, n: &Now<'_>, d: Option<&Dashboard>) -> Vec<Line<'static>> {
    let t = &app.theme;
    let longest = match n.longest {
        Some((ms, number)) => format!(" · longest {} (#{number})", secs(ms)),
        None => String::new(),
    };
    let (groups, overdue) = crate::groups::counts(&app.mirror, app.now);
    let groups = match (groups, overdue) {
        (0, _) => String::new(),
        (g, 0) => format!(" · groups owed {g}"),
        (g, o) => format!(" · groups owed {g} ({o} overdue)"),
    };
    let style = if n.waiting == 0 {
        t.good()
    } else {
        Style::new()
    };
    let first = Line::from(vec![
        Span::styled(format!(" Waiting {}", n.waiting), style.patch(t.title())),
        Span::raw(format!(" ({} unassigned){longest}{groups}", n.unassigned)),
    ]);
    let agents: Vec<&Agent> = app.mirror.agents.values().collect();
    let online = agents
        .iter()
        .filter(|a| a.presence == Presence::Online)
        .count();
    let away = agents
        .iter()
        .filter(|a| a.presence == Presence::Away)
        .count();
    let (held, room): (usize, u32) = agents
        .iter()
        .filter(|a| a.presence != Presence::Offline)
        .fold((0, 0), |(h, c), a| (h + n.holding(a.id), c + a.capacity));
    let away = if away > 0 {
        format!(", {away} away")
    } else {
        String::new()
    };
    let mut second = vec![Span::raw(format!(
        " Agents {online} of {} online{away} · holding {held} of {room} chats",
        agents.len()
    ))];
    if let Some(d) = d {
        let style = if d.breaches_today > 0 {
            t.sla(Level::Breached)
        } else {
            Style::new()
        };
        second.push(Span::raw(" · "));
        second.push(Span::styled(
            format!("breaches today {}", d.breaches_today),
            style,
        ));
    }
    vec![first, Line::from(second)]
}

/// One line per agent: presence and load against capacity.
fn agent_lines(app: &App, now: &Now<'_>, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let name_w = 18;
    let bar_w = width.saturating_sub(name_w + 20).min(20);
    let mut agents: Vec<&Agent> = app.mirror.agents.values().collect();
    agents.sort_by_key(|a| {
        let order = match a.presence {
            Presence::Online => 0,
            Presence::Away => 1,
            Presence::Offline => 2,
        };
        (order, a.display_name.clone())
    });
    agents
        .into_iter()
        .map(|a| {
            let n = now.holding(a.id);
            let cap = a.capacity.max(1) as usize;
            let filled = (n * bar_w).div_ceil(cap).min(bar_w);
            let style = match a.presence {
                Presence::Online if n >= cap => t.sla(Level::Warning),
                Presence::Online => t.good(),
                _ => t.dim(),
            };
            Line::from(vec![
                Span::raw(format!("   {} ", fit(&a.display_name, name_w))),
                Span::styled(fit(a.presence.as_str(), 8), style),
                Span::raw(format!("{:>2}/{:<2} ", n, a.capacity)),
                Span::styled("█".repeat(filled), style),
                Span::styled("·".repeat(bar_w - filled), t.dim()),
            ])
        })
        .collect()
}

/// First replies today per queue: P50, P90, the target and the share
/// within it.
fn first_reply_lines(app: &App, now: &Now<'_>, d: &Dashboard, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let name_w = width.saturating_sub(46).clamp(6, 18);
    let mut out = vec![Line::styled(
        format!(
            " {}{}{}{}{}{}",
            fit("First reply today", name_w + 1),
            fit_right("n", 4),
            fit_right("P50", 9),
            fit_right("P90", 9),
            fit_right("target", 8),
            fit_right("within", 8),
        ),
        t.dim(),
    )];
    let row = |name: &str, s: &Samples, target: Option<u32>| -> Line<'static> {
        let target_ms = target.map(|m| i64::from(m) * 60_000);
        let judge = |v: Option<i64>| match (v, target_ms) {
            (Some(v), Some(tm)) if v > tm => t.sla(Level::Breached),
            (Some(_), Some(_)) => t.good(),
            _ => Style::new(),
        };
        let p50 = s.percentile(50);
        let p90 = s.percentile(90);
        let show = |v: Option<i64>| v.map_or_else(|| "-".into(), secs);
        let within = match (target_ms, s.len()) {
            (Some(tm), n) if n > 0 => format!("{}%", s.within(tm) * 100 / n),
            _ => "-".into(),
        };
        Line::from(vec![
            Span::raw(format!(
                " {} {}",
                fit(name, name_w),
                fit_right(&s.len().to_string(), 4)
            )),
            Span::styled(fit_right(&show(p50), 9), judge(p50)),
            Span::styled(fit_right(&show(p90), 9), judge(p90)),
            Span::raw(fit_right(
                &target.map_or_else(|| "-".into(), |m| format!("{m}m")),
                8,
            )),
            Span::raw(fit_right(&within, 8)),
        ])
    };
    let empty = Samples::default();
    for q in &app.mirror.queues {
        let s = d.first.get(&q.id).unwrap_or(&empty);
        // A queue with nothing today and nobody waiting takes no room.
        if s.is_empty() && !now.busy.contains(&&q.id) {
            continue;
        }
        out.push(row(&q.name, s, Some(q.first_reply_minutes)));
    }
    out.push(row("all", &d.first_all, None));
    let awaiting = d.awaiting.len();
    out.push(Line::styled(
        format!(
            " {} tickets today · {awaiting} still wait for a first reply",
            d.today()
        ),
        t.dim(),
    ));
    out
}

fn csat_line(app: &App, d: &Dashboard) -> Line<'static> {
    let t = &app.theme;
    let (by, mean) = d.csat();
    let n: u32 = by.iter().sum();
    let Some(mean) = mean else {
        return Line::styled(" CSAT this week: no ratings yet", t.dim());
    };
    let style = if mean >= CSAT_TARGET {
        t.good()
    } else {
        t.sla(Level::Breached)
    };
    let dist = (1..=5)
        .rev()
        .map(|s| format!("{s}★ {}", by[s - 1]))
        .collect::<Vec<_>>()
        .join("  ");
    Line::from(vec![
        Span::raw(" CSAT this week "),
        Span::styled(format!("{mean:.2}"), style.patch(t.title())),
        Span::raw(format!(" of {n} (target {CSAT_TARGET}) · ")),
        Span::styled(dist, t.dim()),
    ])
}

/// Vertical bars, one per value, `col_w` columns each (the last one a
/// gap when wider than 1), `height` rows, scaled to the largest value.
pub fn bars(values: &[u32], height: usize, col_w: usize) -> Vec<String> {
    const EIGHTHS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0).max(1) as usize;
    let bar_w = if col_w > 1 { col_w - 1 } else { 1 };
    (0..height)
        .map(|row| {
            // Eighths of a row below this one.
            let floor = (height - 1 - row) * 8;
            let mut line = String::new();
            for v in values {
                let h = (*v as usize * height * 8).div_ceil(max);
                let c = EIGHTHS[h.saturating_sub(floor).min(8)];
                for _ in 0..bar_w {
                    line.push(c);
                }
                for _ in bar_w..col_w {
                    line.push(' ');
                }
            }
            line.trim_end().to_owned()
        })
        .collect()
}

/// Hour labels under 24 columns `col_w` wide: every 3 hours (every 6 on
/// one-column cells).
pub fn hour_axis(col_w: usize) -> String {
    let step = if col_w == 1 { 6 } else { 3 };
    let mut s = String::new();
    for h in (0..24).step_by(step) {
        let label = format!("{h:02}");
        s.push_str(&fit(&label, col_w * step));
    }
    s.trim_end().to_owned()
}

/// The heat map: one row per day of the week, a shade per hour, scaled
/// to the busiest hour.
pub fn heat(values: &[[u32; 24]; 7], col_w: usize) -> Vec<String> {
    const SHADES: [char; 5] = ['·', '░', '▒', '▓', '█'];
    let max = values.iter().flatten().copied().max().unwrap_or(0);
    values
        .iter()
        .enumerate()
        .map(|(day, hours)| {
            let mut line = format!("{} ", WEEKDAYS[day]);
            for v in hours {
                let shade = if *v == 0 || max == 0 {
                    SHADES[0]
                } else {
                    SHADES[1 + ((*v as usize - 1) * 4 / max as usize).min(3)]
                };
                for _ in 0..col_w {
                    line.push(shade);
                }
            }
            line
        })
        .collect()
}

fn local_hour(d: &Dashboard, now: Timestamp) -> Option<usize> {
    jiff::Timestamp::from_millisecond(now.0)
        .ok()
        .map(|ts| usize::from(ts.to_zoned(d.zone.clone()).hour() as u8))
}

/// The two charts side by side, as lines: tickets by hour today and the
/// heat map of the last four weeks.
fn chart_lines(app: &App, d: &Dashboard, width: usize, height: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    // A line: a space, the bars, a space, the heat map; bars take what
    // the heat map leaves.
    let heat_w = if width >= 150 { 2 } else { 1 };
    let heat_cols = 3 + 24 * heat_w;
    let bar_w = (width.saturating_sub(heat_cols + 3) / 24).clamp(1, 4);
    let bar_cols = 24 * bar_w + 1;
    // Title and hour labels around the bars; the heat map's 7 rows at
    // the top, the bars as tall as the room allows.
    let rows = height.saturating_sub(2).clamp(1, 12);
    let hour = local_hour(d, app.now);
    let mut out = vec![Line::styled(
        format!(
            " {}{}",
            fit(&format!("By hour today ({})", d.today()), bar_cols + 1),
            "Hour of week, last 4 weeks"
        ),
        t.dim(),
    )];
    let bar_rows = bars(&d.today_by_hour, rows, bar_w);
    let heat_rows = heat(&d.by_hour_of_week, heat_w);
    for (i, b) in bar_rows.iter().enumerate() {
        let h = heat_rows.get(i).cloned().unwrap_or_default();
        out.push(Line::from(vec![
            Span::styled(format!(" {}", fit(b, bar_cols)), t.agent()),
            Span::raw(" "),
            Span::styled(h, t.customer()),
        ]));
    }
    let mut axis: Vec<char> = fit(&hour_axis(bar_w), bar_cols).chars().collect();
    // The current hour, marked under its bar where a label leaves room.
    if let Some(at) = hour.map(|h| h * bar_w)
        && axis.get(at) == Some(&' ')
    {
        axis[at] = '^';
    }
    let axis: String = axis.into_iter().collect();
    let heat_axis = if rows >= 7 {
        format!("   {}", hour_axis(heat_w))
    } else {
        String::new()
    };
    out.push(Line::styled(format!(" {axis} {heat_axis}"), t.dim()));
    out
}

fn put(f: &mut Frame, area: Rect, y: &mut u16, lines: Vec<Line<'static>>) {
    for l in lines {
        if *y >= area.y + area.height {
            return;
        }
        f.render_widget(l, Rect::new(area.x, *y, area.width, 1));
        *y += 1;
    }
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    if area.height < 3 {
        return;
    }
    let ready = match &app.dashboard {
        Some(Live::Ready(d)) => Some(d.as_ref()),
        _ => None,
    };
    let zone = ready.map_or_else(
        || app.desk_zone.clone().unwrap_or_default(),
        |d| d.zone_name.clone(),
    );
    let day = ready
        .and_then(|d| {
            jiff::Timestamp::from_millisecond(app.now.0).ok().map(|ts| {
                ts.to_zoned(d.zone.clone())
                    .strftime("%a %-d %b %H:%M")
                    .to_string()
            })
        })
        .unwrap_or_default();
    let title = format!(
        " Desk figures · {day} {zone} · {} queues ",
        app.keymap.hint(Action::Back)
    );
    f.render_widget(
        Line::styled(text::truncate(&title, usize::from(area.width)), t.title()),
        area,
    );
    let body = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
    let mut y = body.y;
    let n = now(app);
    put(f, body, &mut y, now_lines(app, &n, ready));
    let Some(d) = ready else {
        let why = match (&app.dashboard, app.conn.online()) {
            (_, false) => " Offline: today's figures come once connected.".to_owned(),
            (Some(_), true) => " Counting today's figures…".to_owned(),
            // The last ask failed (the status line said why).
            (None, true) => format!(
                " No figures yet: {} asks again.",
                app.keymap.hint(Action::Dashboard)
            ),
        };
        put(
            f,
            body,
            &mut y,
            vec![Line::raw(""), Line::styled(why, t.dim())],
        );
        return;
    };
    let w = usize::from(area.width);
    if area.width >= WIDE_COLS && area.height >= WIDE_ROWS {
        // Left: agents; right: first replies and CSAT; charts below.
        let half = area.width / 2;
        let top = y + 1;
        let left = Rect::new(body.x, top, half, body.height);
        let right = Rect::new(body.x + half, top, area.width - half, body.height);
        let mut ly = top;
        put(f, left, &mut ly, vec![Line::styled(" Agents", t.dim())]);
        let agents = agent_lines(app, &n, usize::from(half));
        put(f, left, &mut ly, agents);
        let mut ry = top;
        let mut lines = first_reply_lines(app, &n, d, usize::from(right.width));
        lines.push(Line::raw(""));
        lines.push(csat_line(app, d));
        put(f, right, &mut ry, lines);
        let mut cy = ly.max(ry) + 1;
        let rest = (body.y + body.height).saturating_sub(cy);
        let charts = Rect::new(body.x, cy, area.width, rest);
        let lines = chart_lines(app, d, w, usize::from(rest).min(12));
        put(f, charts, &mut cy, lines);
    } else {
        let mut lines = vec![Line::raw("")];
        lines.extend(first_reply_lines(app, &n, d, w));
        lines.push(csat_line(app, d));
        lines.push(Line::raw(""));
        put(f, body, &mut y, lines);
        let rest = (body.y + body.height).saturating_sub(y);
        let lines = chart_lines(app, d, w, usize::from(rest));
        put(f, body, &mut y, lines);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_in_eighths() {
        let b = bars(&[0, 1, 2, 4], 2, 2);
        assert_eq!(b, vec!["      █", "  ▄ █ █"]);
        assert_eq!(bars(&[0, 0], 1, 1), vec![""]);
    }

    #[test]
    fn the_heat_map_shades_by_share_of_the_busiest_hour() {
        let mut v = [[0u32; 24]; 7];
        v[0][0] = 8;
        v[0][1] = 1;
        v[6][23] = 4;
        let h = heat(&v, 1);
        assert!(h[0].starts_with("Mo █░··"), "{}", h[0]);
        assert!(h[6].ends_with('▒'), "{}", h[6]);
        assert_eq!(h.len(), 7);
    }

    #[test]
    fn hour_labels_sit_over_their_hours() {
        assert_eq!(hour_axis(2), "00    03    06    09    12    15    18    21");
        assert_eq!(hour_axis(1), "00    06    12    18");
    }
}
