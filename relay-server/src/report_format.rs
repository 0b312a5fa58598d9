//! `relay-server report` as people and programs read it: a table, CSV (one
//! row per group, one column per figure) or JSON (everything)
//! (docs/metrics.md).

use std::fmt::Write;
use std::time::Duration;

use crate::domain::hours;
use crate::domain::report::{Comparison, Durations, Figures, Rate, Report, Stats};

fn dur(ms: Option<i64>) -> String {
    ms.map_or_else(
        || "-".into(),
        |ms| hours::short(Duration::from_millis(u64::try_from(ms).unwrap_or(0))),
    )
}

fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), |r| format!("{:.1} %", r * 100.0))
}

/// A share in whole per cent, for narrow columns.
fn whole_pct(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), |r| format!("{:.0}%", r * 100.0))
}

fn rate(r: &Rate) -> String {
    let pending = if r.pending > 0 {
        format!(", {} pending", r.pending)
    } else {
        String::new()
    };
    format!("{:>7}  ({} of {}{pending})", pct(r.rate), r.count, r.of)
}

fn stats(s: &Stats) -> String {
    format!(
        "P50 {:<7} P90 {:<7} mean {:<7} ({})",
        dur(s.p50_ms),
        dur(s.p90_ms),
        dur(s.mean_ms),
        s.count
    )
}

fn durations(out: &mut String, name: &str, d: &Durations) {
    let _ = writeln!(out, "{name:<18} calendar  {}", stats(&d.calendar));
    let _ = writeln!(out, "{:<18} business  {}", "", stats(&d.business));
}

fn utc(at: shared::Timestamp, zone: &str) -> String {
    let tz = hours::zone(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    hours::local(at, &tz)
}

/// One set of figures, a line each.
fn figures(out: &mut String, f: &Figures) {
    let _ = writeln!(
        out,
        "{:<28}{:>7}  ({} unanswered, {} unresolved)",
        "Tickets", f.tickets, f.unanswered, f.unresolved
    );
    durations(out, "First response", &f.first_response);
    durations(out, "Next response", &f.next_response);
    durations(out, "Resolution", &f.resolution);
    let _ = writeln!(
        out,
        "{:<28}{}",
        "First-contact resolution",
        rate(&f.first_contact_resolution)
    );
    let _ = writeln!(out, "{:<28}{}", "Reopened", rate(&f.reopened));
    let _ = writeln!(out, "{:<28}{}", "Repeat contacts", rate(&f.repeat_contacts));
    let c = &f.csat;
    let stars: Vec<String> = c
        .distribution
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{}★ {n}", i + 1))
        .collect();
    let _ = writeln!(
        out,
        "{:<28}{:>7}  ({} rated of {} asked, {})",
        "CSAT",
        c.mean.map_or_else(|| "-".into(), |m| format!("{m:.2}/5")),
        c.rated,
        c.asked,
        pct(c.response_rate),
    );
    let _ = writeln!(out, "{:<28}{}", "", stars.join("  "));
    let n = &f.nps;
    if n.asked > 0 {
        let _ = writeln!(
            out,
            "{:<28}{:>7}  ({} answered of {} asked)",
            "NPS",
            n.score.map_or_else(|| "-".into(), |s| format!("{s:+.0}")),
            n.answered,
            n.asked,
        );
        let _ = writeln!(
            out,
            "{:<28}{} promoters, {} passives, {} detractors",
            "", n.promoters, n.passives, n.detractors
        );
    }
    for s in &f.sla {
        let _ = writeln!(
            out,
            "{:<28}{:>7}  ({} met, {} breached, {} pending)",
            format!("SLA {}", s.target.replace('_', " ")),
            pct(s.attainment),
            s.met,
            s.breached,
            s.pending
        );
    }
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// For people: the desk, the rows if split, the knowledge base, volume,
/// reasons and groups.
pub fn table(r: &Report) -> String {
    let mut out = format!(
        "Tickets created {} to {}\nTimes in {}; FCR and self-service windows: {}\n\n",
        utc(r.from, &r.zone),
        utc(r.to, &r.zone),
        r.zone,
        hours::short(Duration::from_millis(
            u64::try_from(r.window_ms).unwrap_or(0)
        ))
    );
    figures(&mut out, &r.desk);
    let kb = &r.self_service;
    let pending = if kb.pending > 0 {
        format!(", {} pending", kb.pending)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{:<28}{:>7}  ({} of {} contacts{pending})",
        "Self-service",
        pct(kb.rate),
        kb.self_solved,
        kb.contacts,
    );
    let _ = writeln!(out, "{:<28}{:>7}", "Knowledge-base answers", kb.answers);
    let _ = writeln!(
        out,
        "{:<28}{}",
        "Bot transfer to a human",
        rate(&kb.transferred)
    );
    if let Some(by) = r.by {
        // 80 columns: the figures a lead compares across rows; every
        // other one is in --format csv and json.
        let _ = writeln!(out, "\nBy {} (calendar time):", by.as_str());
        let _ = writeln!(
            out,
            "{:<14} {:>7} {:>8} {:>8} {:>8} {:>5} {:>6} {:>6} {:>4}",
            by.as_str(),
            "tickets",
            "1st P50",
            "1st P90",
            "res P50",
            "FCR",
            "reopen",
            "repeat",
            "CSAT"
        );
        for row in &r.rows {
            let f = &row.figures;
            let key: String = row.key.chars().take(14).collect();
            let _ = writeln!(
                out,
                "{key:<14} {:>7} {:>8} {:>8} {:>8} {:>5} {:>6} {:>6} {:>4}",
                f.tickets,
                dur(f.first_response.calendar.p50_ms),
                dur(f.first_response.calendar.p90_ms),
                dur(f.resolution.calendar.p50_ms),
                whole_pct(f.first_contact_resolution.rate),
                whole_pct(f.reopened.rate),
                whole_pct(f.repeat_contacts.rate),
                f.csat
                    .mean
                    .map_or_else(|| "-".into(), |m| format!("{m:.1}")),
            );
        }
    }
    for c in &r.experiments {
        experiment(&mut out, c);
    }
    let v = &r.volume;
    out.push_str("\nTickets by day:\n");
    for (day, n) in &v.by_day {
        let _ = writeln!(out, "  {day}  {n:>6}");
    }
    let mut hours_of_week: Vec<(usize, usize, u64)> = Vec::new();
    for (d, row) in v.by_hour_of_week.iter().enumerate() {
        for (h, n) in row.iter().enumerate() {
            if *n > 0 {
                hours_of_week.push((d, h, *n));
            }
        }
    }
    hours_of_week.sort_by(|a, b| b.2.cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1))));
    let busiest: Vec<String> = hours_of_week
        .iter()
        .take(5)
        .map(|(d, h, n)| format!("{} {h:02}:00 {n}", WEEKDAYS[*d]))
        .collect();
    let _ = writeln!(out, "Busiest hours: {}", or_none(&busiest.join(", ")));
    let queues: Vec<String> = v.by_queue.iter().map(|(q, n)| format!("{q} {n}")).collect();
    let _ = writeln!(out, "By queue: {}", or_none(&queues.join(", ")));
    let top = |l: &[(String, u64)]| -> String {
        let s: Vec<String> = l.iter().take(10).map(|(k, n)| format!("{k} {n}")).collect();
        or_none(&s.join(", ")).to_owned()
    };
    let _ = writeln!(out, "Top topics: {}", top(&v.topics));
    let _ = writeln!(out, "Top tags: {}", top(&v.tags));
    if !r.groups.is_empty() {
        out.push_str("\nGroups (spam: held and not approved, of what clients wrote):\n");
        for g in &r.groups {
            let _ = writeln!(
                out,
                "  {:<26} {:>4} alerts  spam {:>7} ({} of {})",
                g.group.chars().take(26).collect::<String>(),
                g.alerts,
                pct(g.spam_share),
                g.spam,
                g.messages
            );
        }
    }
    out
}

/// An experiment's comparison: each outcome's A and B, and whether they
/// differ by more than chance.
fn experiment(out: &mut String, c: &Comparison) {
    let _ = writeln!(
        out,
        "\nExperiment {}\n  {}: A {}, B {}",
        c.experiment, c.kind, c.a, c.b
    );
    for o in &c.outcomes {
        let show = |v: Option<f64>| match (o.what, v) {
            (_, None) => "-".to_owned(),
            ("csat_mean", Some(v)) => format!("{v:.2}"),
            (_, Some(v)) => format!("{:.1}%", v * 100.0),
        };
        let p = o
            .verdict
            .p
            .map_or_else(String::new, |p| format!(" (p {p:.3})"));
        let what = match o.what {
            "csat_mean" => "CSAT mean",
            "csat_response_rate" => "CSAT answered",
            "first_contact_resolution" => "FCR",
            "repeat_contacts" => "repeat contacts",
            "self_service" => "self-service",
            other => other,
        };
        let _ = writeln!(
            out,
            "  {what:<16}{:>6} n {:<6}{:>6} n {:<6} {}{p}",
            show(o.a),
            o.a_n,
            show(o.b),
            o.b_n,
            o.verdict.says
        );
    }
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "none" } else { s }
}

fn cell(v: Option<impl ToString>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

/// A CSV field, quoted when it must be.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// One row per group (the desk first, as `all`), one column per figure;
/// durations in milliseconds, rates as fractions.
pub fn csv(r: &Report) -> String {
    let mut targets: Vec<String> = r
        .desk
        .sla
        .iter()
        .chain(r.rows.iter().flat_map(|x| &x.figures.sla))
        .map(|s| s.target.clone())
        .collect();
    targets.sort();
    targets.dedup();
    let mut head = vec![
        r.by.map_or("group", |b| b.as_str()).to_owned(),
        "tickets".into(),
        "unanswered".into(),
        "unresolved".into(),
    ];
    for d in ["first_response", "next_response", "resolution"] {
        for t in ["calendar", "business"] {
            for s in ["count", "p50_ms", "p90_ms", "mean_ms"] {
                head.push(format!("{d}_{t}_{s}"));
            }
        }
    }
    for r in ["fcr", "reopened", "repeat"] {
        for s in ["count", "of", "pending", "rate"] {
            head.push(format!("{r}_{s}"));
        }
    }
    for s in [
        "rated",
        "asked",
        "response_rate",
        "mean",
        "1",
        "2",
        "3",
        "4",
        "5",
    ] {
        head.push(format!("csat_{s}"));
    }
    for s in [
        "asked",
        "answered",
        "promoters",
        "passives",
        "detractors",
        "score",
    ] {
        head.push(format!("nps_{s}"));
    }
    for t in &targets {
        for s in ["met", "breached", "pending", "attainment"] {
            head.push(format!("sla_{t}_{s}"));
        }
    }
    let mut out = head.join(",");
    out.push('\n');
    let desk = ("all".to_owned(), &r.desk);
    for (key, f) in std::iter::once(desk).chain(r.rows.iter().map(|x| (x.key.clone(), &x.figures)))
    {
        let mut row = vec![
            field(&key),
            f.tickets.to_string(),
            f.unanswered.to_string(),
            f.unresolved.to_string(),
        ];
        for d in [&f.first_response, &f.next_response, &f.resolution] {
            for s in [&d.calendar, &d.business] {
                row.push(s.count.to_string());
                row.push(cell(s.p50_ms));
                row.push(cell(s.p90_ms));
                row.push(cell(s.mean_ms));
            }
        }
        for x in [&f.first_contact_resolution, &f.reopened, &f.repeat_contacts] {
            row.push(x.count.to_string());
            row.push(x.of.to_string());
            row.push(x.pending.to_string());
            row.push(cell(x.rate));
        }
        let c = &f.csat;
        row.push(c.rated.to_string());
        row.push(c.asked.to_string());
        row.push(cell(c.response_rate));
        row.push(cell(c.mean));
        row.extend(c.distribution.iter().map(u64::to_string));
        let n = &f.nps;
        row.extend(
            [n.asked, n.answered, n.promoters, n.passives, n.detractors].map(|v| v.to_string()),
        );
        row.push(cell(n.score));
        for t in &targets {
            match f.sla.iter().find(|s| &s.target == t) {
                Some(s) => {
                    row.push(s.met.to_string());
                    row.push(s.breached.to_string());
                    row.push(s.pending.to_string());
                    row.push(cell(s.attainment));
                }
                None => row.extend(["0".into(), "0".into(), "0".into(), String::new()]),
            }
        }
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// Everything, for programs.
pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).expect("a report always encodes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::{By, GroupLine, Row, SelfService, Sla, Volume};
    use shared::Timestamp;

    /// Long names, long durations, every figure set: still 80 columns.
    #[test]
    fn the_table_fits_80_columns() {
        let mut f = Figures {
            tickets: 123_456,
            unanswered: 12_345,
            unresolved: 23_456,
            ..Figures::default()
        };
        let long = Stats {
            count: 123_456,
            p50_ms: Some(3 * 86_400_000 + 23 * 3_600_000),
            p90_ms: Some(29 * 86_400_000 + 23 * 3_600_000),
            mean_ms: Some(12 * 86_400_000),
        };
        f.first_response.calendar = long.clone();
        f.resolution.business = long;
        f.first_contact_resolution = Rate {
            count: 61_234,
            of: 99_999,
            pending: 12_345,
            rate: Some(0.612),
        };
        f.csat.rated = 50_000;
        f.csat.asked = 90_000;
        f.csat.mean = Some(4.61);
        f.csat.response_rate = Some(0.55);
        f.csat.distribution = [1_000, 2_000, 3_000, 14_000, 30_000];
        f.sla = vec![Sla {
            target: "first_reply".into(),
            met: 99_000,
            breached: 1_000,
            pending: 456,
            attainment: Some(0.99),
        }];
        let r = Report {
            from: Timestamp(1_767_258_000_000),
            to: Timestamp(1_768_258_000_000),
            zone: "America/Argentina/ComodRivadavia".into(),
            window_ms: 7 * 86_400_000,
            by: Some(By::Organisation),
            desk: f.clone(),
            rows: vec![Row {
                key: "Globex International Holdings · підтримка".into(),
                figures: f,
            }],
            self_service: SelfService {
                answers: 40_000,
                self_solved: 12_000,
                contacts: 150_000,
                pending: 1_234,
                rate: Some(0.08),
                transferred: Rate::default(),
            },
            volume: Volume::default(),
            groups: vec![GroupLine {
                group: "Acme Worldwide Logistics ⇄ Support (EU)".into(),
                messages: 1_234_567,
                spam: 12_345,
                spam_share: Some(0.01),
                alerts: 1_234,
            }],
            experiments: vec![Comparison {
                experiment: "receipt-december-2026-steps".into(),
                kind: "question_order",
                a: "topic_first",
                b: "screenshot_first",
                outcomes: vec![crate::domain::report::Outcome {
                    what: "first_contact_resolution",
                    a: Some(0.6123),
                    a_n: 123_456,
                    b: Some(0.6345),
                    b_n: 123_789,
                    verdict: crate::domain::significance::proportions(
                        75_592, 123_456, 78_544, 123_789,
                    ),
                }],
            }],
        };
        f_nps_check(&r);
        let table = table(&r);
        for line in table.lines() {
            assert!(
                line.chars().count() <= 80,
                "{} wide: {line}",
                line.chars().count()
            );
        }
        assert!(table.contains("Globex Interna "), "{table}");
        assert!(table.contains("B higher (p 0.000)"), "{table}");
    }

    /// NPS shows when it was asked, within the width too.
    fn f_nps_check(r: &Report) {
        let mut r = r.clone();
        r.desk.nps = crate::domain::report::Nps {
            asked: 123_456,
            answered: 65_432,
            promoters: 40_000,
            passives: 15_432,
            detractors: 10_000,
            score: Some(45.85),
        };
        let t = table(&r);
        assert!(t.contains("+46  (65432 answered of 123456 asked)"), "{t}");
        assert!(t.lines().all(|l| l.chars().count() <= 80), "{t}");
    }
}
