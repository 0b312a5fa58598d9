//! The floor plan of relay-server (docs/architecture.md), checked on the
//! source: each floor of the domain imports only from floors below it (or
//! its own, without cycles), SQL and `rusqlite` stay in `store/`, the store
//! and the settings know nothing of the rules above them, and the domain
//! knows nothing of Telegram, WebSockets or HTTP.
//!
//!   cargo test -p relay-server --test floors
//!
//! prints every violation at once, and the import graph when asked:
//!
//!   FLOORS_PRINT=1 cargo test -p relay-server --test floors -- --nocapture

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The domain's floors, lowest first. A module not listed here fails the
/// check: a new module takes a floor on purpose.
const FLOORS: &[(&str, &[&str])] = &[
    (
        "values",
        &[
            "hours",
            "i18n",
            "kb",
            "validate",
            "buttons",
            "queues",
            "access",
            "rules",
            "routing",
            "group_message",
            "spam",
            "experiments",
            "significance",
            "desk",
            "config",
        ],
    ),
    ("clocks", &["sla"]),
    ("ticket", &["ticket"]),
    ("delivery", &["outbox"]),
    ("notifications", &["wording", "talk", "notify"]),
    ("policies", &["assign", "presence", "agents"]),
    ("safety", &["safety"]),
    ("intake", &["intake", "groups"]),
    (
        "flows",
        &[
            "dialogue",
            "commands",
            "escalation",
            "automation",
            "timers",
            "privacy",
            "retention",
            "customer_app",
        ],
    ),
    ("figures", &["report", "dashboard"]),
];

/// Test-only modules of the domain (not part of the plan).
const TEST_ONLY: &[&str] = &["testkit"];

/// The domain modules that may read `crate::settings`: the one bridge.
const SETTINGS_BRIDGE: &[&str] = &["config"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The code of a file without comments and without its unit tests (a
/// `#[cfg(test)]` module at the end, or a file that is one).
fn code(path: &Path) -> String {
    let name = path.file_stem().unwrap().to_str().unwrap();
    if ["tests", "props"].contains(&name) {
        return String::new();
    }
    let mut text = std::fs::read_to_string(path).unwrap();
    // Each `#[cfg(test)] mod name { ... }` block is cut out, braces matched.
    while let Some(i) = text.find("#[cfg(test)]\nmod ") {
        let Some(open) = text[i..].find(['{', ';']).map(|o| i + o) else {
            break;
        };
        if text.as_bytes()[open] == b';' {
            text.replace_range(i..=open, "");
            continue;
        }
        let mut depth = 0;
        let mut end = text.len();
        for (k, c) in text[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + k + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        text.replace_range(i..end, "");
    }
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first segment of each path that follows `prefix` in `code`:
/// `prefix::a::b` gives a, `prefix::{a, b::c}` gives a and b.
fn after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices(prefix) {
        // Not the tail of a longer path (`super::super::` is handled by
        // its own prefix; `crate::domain::` must start a path).
        if code[..i].ends_with("::") {
            continue;
        }
        let rest = &code[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let end = group
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => return true,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    false
                })
                .map_or(group.len(), |(i, _)| i);
            let mut depth = 0;
            let mut item = String::new();
            for c in group[..end].chars().chain([',']) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        let first = item.trim().split("::").next().unwrap_or("").trim();
                        if !first.is_empty() {
                            out.insert(first.to_owned());
                        }
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Each domain module (a top-level file or directory) and the domain
/// modules its code refers to.
fn domain_graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = src().join("domain");
    let modules: BTreeSet<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() || p.file_stem().is_some_and(|s| s != "mod"))
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_owned())
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in rust_files(&root) {
        let rel = path.strip_prefix(&root).unwrap();
        let parts: Vec<&str> = rel.iter().map(|p| p.to_str().unwrap()).collect();
        if parts == ["mod.rs"] {
            continue;
        }
        let module = parts[0].trim_end_matches(".rs").to_owned();
        let code = code(&path);
        let mut refs = after(&code, "crate::domain::");
        // `super::` of a top-level file or of a directory's mod.rs is the
        // domain; of a file inside a directory, the directory itself.
        let depth = parts.len() - usize::from(parts.last() == Some(&"mod.rs"));
        match depth {
            1 => refs.extend(after(&code, "super::")),
            2 => refs.extend(after(&code, "super::super::")),
            _ => {}
        }
        let deps = graph.entry(module.clone()).or_default();
        for r in refs {
            if modules.contains(&r) && r != module {
                deps.insert(r);
            }
        }
    }
    graph
}

fn floor_of(module: &str) -> Option<usize> {
    FLOORS.iter().position(|(_, mods)| mods.contains(&module))
}

/// Every cycle's modules, as found by depth-first search.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        if let Some(i) = stack.iter().position(|s| s == m) {
            found.push(stack[i..].to_vec());
            return;
        }
        if done.contains(m) {
            return;
        }
        stack.push(m.to_owned());
        for d in graph.get(m).into_iter().flatten() {
            visit(d, graph, stack, done, found);
        }
        stack.pop();
        done.insert(m.to_owned());
    }
    let (mut done, mut found) = (BTreeSet::new(), Vec::new());
    for m in graph.keys() {
        visit(m, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

/// Files under `src/` (relative) whose code mentions `needle`.
fn files_mentioning(dir: &str, needle: &str) -> Vec<String> {
    rust_files(&src().join(dir))
        .into_iter()
        .filter(|p| code(p).contains(needle))
        .map(|p| p.strip_prefix(src()).unwrap().display().to_string())
        .collect()
}

#[test]
fn relay_server_keeps_its_floor_plan() {
    let graph = domain_graph();
    if std::env::var_os("FLOORS_PRINT").is_some() {
        for (m, deps) in &graph {
            let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
            println!("{m} -> {}", deps.join(" "));
        }
    }
    let mut wrong = Vec::new();
    for (m, deps) in &graph {
        if TEST_ONLY.contains(&m.as_str()) {
            continue;
        }
        let Some(floor) = floor_of(m) else {
            wrong.push(format!(
                "domain/{m} has no floor: give it one in tests/floors.rs and docs/architecture.md"
            ));
            continue;
        };
        for d in deps {
            match floor_of(d) {
                Some(f) if f > floor => wrong.push(format!(
                    "domain/{m} ({}) imports domain/{d} from a floor above ({})",
                    FLOORS[floor].0, FLOORS[f].0
                )),
                None if TEST_ONLY.contains(&d.as_str()) => {
                    wrong.push(format!("domain/{m} imports the test-only {d}"))
                }
                _ => {}
            }
        }
    }
    for c in cycles(&graph) {
        wrong.push(format!("an import cycle in the domain: {}", c.join(" -> ")));
    }
    for f in files_mentioning("", "rusqlite") {
        if !f.starts_with("store/") {
            wrong.push(format!("{f} uses rusqlite: SQL lives in store/"));
        }
    }
    for layer in ["telegram", "sync", "http", "tls", "files", "export"] {
        for f in files_mentioning("domain", &format!("crate::{layer}")) {
            wrong.push(format!("{f} reaches up into crate::{layer}"));
        }
    }
    for above in ["domain", "telegram", "sync", "http", "seed", "export"] {
        for f in files_mentioning("store", &format!("crate::{above}")) {
            wrong.push(format!("{f}: the store knows nothing of crate::{above}"));
        }
    }
    let settings = code(&src().join("settings.rs"));
    for above in [
        "crate::domain",
        "crate::store",
        "crate::telegram",
        "crate::sync",
        "crate::http",
        "crate::files",
        "crate::tls",
    ] {
        if settings.contains(above) {
            wrong.push(format!("settings.rs imports {above}: settings are a leaf"));
        }
    }
    for f in files_mentioning("domain", "crate::settings") {
        let module = f
            .trim_start_matches("domain/")
            .split(['/', '.'])
            .next()
            .unwrap_or_default();
        if !SETTINGS_BRIDGE.contains(&module) && !f.ends_with("testkit.rs") {
            wrong.push(format!(
                "{f} reads crate::settings: only the bridge (domain/config.rs) turns settings into domain values"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "the floor plan is broken:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn the_check_sees_imports_in_every_form() {
    let code = "use super::{DomainError, assign, outbox::{a, b}};\n\
                use crate::domain::ticket;\n\
                let x = super::super::sla::track(y);\n\
                crate::domain::notify::send();";
    let top = after(code, "super::");
    assert_eq!(
        top,
        ["DomainError", "assign", "outbox", "super"]
            .map(String::from)
            .into()
    );
    assert_eq!(after(code, "super::super::"), ["sla".to_owned()].into());
    assert_eq!(
        after(code, "crate::domain::"),
        ["notify", "ticket"].map(String::from).into()
    );
    let graph = BTreeMap::from([
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]);
    assert_eq!(cycles(&graph).len(), 1);
}
