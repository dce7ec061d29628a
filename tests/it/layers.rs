//! The code's layers: no source file may reach itself again through its imports. Two files
//! that import each other (or a longer loop) cannot be understood, tested or changed one at a
//! time; a loop is broken by moving what both need into a lower module. Imports are read from
//! the source text: `use` trees (with `crate::`, `self::`, `super::` or a child module) and
//! paths written out in full (`crate::db::now()`), each resolved to the deepest module file it
//! names. `mod` declarations, macros and the crate root (`lib.rs`, which only declares
//! modules) are not imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`crate::casework::cases`) of every source file.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            let name = std::iter::once("crate".to_owned())
                .chain(parts)
                .collect::<Vec<_>>()
                .join("::");
            if path.file_name().is_some_and(|f| f == "main.rs") {
                continue; // the binary: a crate of its own
            }
            out.insert(name, path);
        }
    }
    out
}

/// The text without comments, string literals or char literals (so that a `crate::` inside
/// one is not read as an import), and without its unit tests (`#[cfg(test)]` to the end, where
/// `super::` means the file itself).
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or(text);
    let bytes: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < bytes.len() && bytes[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < bytes.len() && !(bytes[i] == '*' && bytes[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && (next == Some('#') || next == Some('"')) && !ident_before(&bytes, i) {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while bytes.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if bytes.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            let closing: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let rest: String = bytes[j..].iter().collect();
            let end = rest
                .find(&closing)
                .map(|e| e + closing.chars().count())
                .unwrap_or(rest.len());
            i = j + rest[..end].chars().count();
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < bytes.len() && bytes[i] != '"' {
                if bytes[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && bytes.get(i + 2) == Some(&'\'') {
            i += 3; // 'x'
        } else if c == '\'' && next == Some('\\') {
            i += 2;
            while i < bytes.len() && bytes[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(bytes: &[char], i: usize) -> bool {
    i > 0 && (bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_')
}

/// The paths of one `use` tree, braces expanded (`a::{b, c::d}` gives `a::b`, `a::c::d`).
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or("").trim();
        return vec![path.to_owned()];
    };
    let prefix = tree[..open].trim_end_matches("::").trim();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| match p.as_str() {
            "self" => prefix.to_owned(),
            _ if prefix.is_empty() => p,
            _ => format!("{prefix}::{p}"),
        })
        .collect()
}

/// Names a module hands on from another (`pub use session::StaffUser;`): name to module.
type Reexports = BTreeMap<String, BTreeMap<String, String>>;

/// The module file a path names: the longest prefix of it that is a module, followed through
/// any module that only hands the name on.
fn resolve(
    path: &str,
    here: &str,
    modules: &BTreeMap<String, PathBuf>,
    reexports: &Reexports,
) -> Option<String> {
    let mut segments: Vec<&str> = path.split("::").map(str::trim).collect();
    let mut base: Vec<String> = here.split("::").map(str::to_owned).collect();
    match segments.first().copied() {
        Some("crate") => {
            base = vec!["crate".to_owned()];
            segments.remove(0);
        }
        Some("self") => {
            segments.remove(0);
        }
        Some("super") => {
            while segments.first() == Some(&"super") {
                base.pop();
                segments.remove(0);
            }
        }
        Some(first) => {
            // A child module declared here (`pub use users::User;` in a mod.rs), or outside
            // the crate.
            let child = format!("{here}::{first}");
            if !modules.contains_key(&child) {
                return None;
            }
        }
        None => return None,
    }
    let mut current = base.join("::");
    let mut found = modules.contains_key(&current).then(|| current.clone());
    for segment in segments {
        if segment == "*" || segment.is_empty() {
            break;
        }
        let deeper = format!("{current}::{segment}");
        if modules.contains_key(&deeper) {
            current = deeper;
            found = Some(current.clone());
            continue;
        }
        if let Some(target) = reexports.get(&current).and_then(|r| r.get(segment)) {
            found = Some(target.clone());
        }
        break;
    }
    found.filter(|m| m != "crate")
}

/// The `pub use` trees of a module's code.
fn public_uses(code: &str) -> Vec<String> {
    regex_like_uses(code)
        .into_iter()
        .filter(|(public, _)| *public)
        .map(|(_, tree)| tree)
        .collect()
}

fn is_below(module: &str, parent: &str) -> bool {
    module.starts_with(&format!("{parent}::"))
}

/// Who imports whom, module path to module paths. A module that hands on a name of one of
/// its own children (`pub use users::User;`) does not depend on it for that: such a line is a
/// signpost, and a path through it counts as a path to the child.
fn imports(modules: &BTreeMap<String, PathBuf>) -> BTreeMap<String, BTreeSet<String>> {
    let codes: BTreeMap<&String, String> = modules
        .iter()
        .map(|(name, path)| (name, code_of(&std::fs::read_to_string(path).unwrap())))
        .collect();
    let mut reexports: Reexports = BTreeMap::new();
    for (name, code) in &codes {
        for tree in public_uses(code) {
            for p in expand(&tree) {
                // An `as` rename is rare in a signpost and read as the original name.
                let alias = p.rsplit("::").next().unwrap_or(&p).trim().to_owned();
                if let Some(t) = resolve(&p, name, modules, &BTreeMap::new()) {
                    reexports
                        .entry((*name).clone())
                        .or_default()
                        .insert(alias, t);
                }
            }
        }
    }
    let mut graph = BTreeMap::new();
    for (name, code) in &codes {
        let mut targets = BTreeSet::new();
        for (public, tree) in regex_like_uses(code) {
            for p in expand(&tree) {
                if let Some(t) = resolve(&p, name, modules, &reexports)
                    && !(public && is_below(&t, name))
                {
                    targets.insert(t);
                }
            }
        }
        for p in written_out_paths(code) {
            if let Some(t) = resolve(&p, name, modules, &reexports) {
                targets.insert(t);
            }
        }
        targets.remove(*name);
        graph.insert((*name).clone(), targets);
    }
    graph
}

/// The trees of every `use` declaration, wherever it stands, and whether it is `pub`.
fn regex_like_uses(code: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = &rest[..at];
        let before_ok = at == 0 || {
            let prev = before.chars().last().unwrap();
            !(prev.is_alphanumeric() || prev == '_')
        };
        let public =
            before.trim_end().ends_with("pub") || before.trim_end().ends_with("pub(crate)");
        let after = &rest[at + 4..];
        if before_ok && let Some(end) = after.find(';') {
            out.push((public, after[..end].to_owned()));
            rest = &after[end..];
        } else {
            rest = after;
        }
    }
    out
}

/// Paths written out in code, starting `crate::` or `super::` (not macro calls).
fn written_out_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for start in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(at) = rest.find(start) {
            let prev_ok = at == 0 || {
                let prev = rest[..at].chars().last().unwrap();
                !(prev.is_alphanumeric() || prev == '_' || prev == ':')
            };
            let tail = &rest[at..];
            let len = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            let path = tail[..len].trim_end_matches(':');
            let is_macro = tail[len..].starts_with('!');
            if prev_ok && !is_macro {
                out.push(path.to_owned());
            }
            rest = &tail[len.max(1)..];
        }
    }
    out
}

/// Strongly connected groups of more than one module (Tarjan).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.found.push(group);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

#[test]
fn no_source_file_imports_itself_round_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules(&src);
    let graph = imports(&modules);
    let found = circles(&graph);
    let report: Vec<String> = found
        .iter()
        .map(|group| {
            let members: BTreeSet<&String> = group.iter().collect();
            let ties: Vec<String> = group
                .iter()
                .flat_map(|m| {
                    graph[m]
                        .iter()
                        .filter(|t| members.contains(t))
                        .map(move |t| format!("    {m} -> {t}"))
                })
                .collect();
            format!("{}:\n{}", group.join(", "), ties.join("\n"))
        })
        .collect();
    assert!(
        found.is_empty(),
        "modules that import each other round a circle:\n{}",
        report.join("\n")
    );
    // The reader itself: it sees the imports that make the layers.
    assert!(graph["crate::web::staff::account"].contains("crate::state"));
    assert!(graph["crate::casework::cases"].contains("crate::casework::record"));
    // A name handed on by a mod.rs counts as an import of the file that defines it.
    assert!(graph["crate::web::messages"].contains("crate::auth::extract"));
    assert!(!graph["crate::accounts"].contains("crate::accounts::users"));
}

#[test]
fn the_import_reader_expands_use_trees_and_skips_strings_and_comments() {
    assert_eq!(
        expand("crate::a::{b, c::{d, self}, e as f}"),
        [
            "crate::a::b",
            "crate::a::c::d",
            "crate::a::c",
            "crate::a::e"
        ]
    );
    let code = code_of(
        "let s = \"crate::web::x\"; // crate::web::y\nlet t = r#\"crate::z\"#; crate::db::now();",
    );
    assert_eq!(written_out_paths(&code), ["crate::db::now"]);
}

/// Adapters stay thin: a file of `src/web` that grows past 600 lines is split by resource, as
/// `web/staff/cases/` and `web/api/cases/` follow `casework/`.
#[test]
fn no_adapter_file_is_longer_than_600_lines() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let long: Vec<String> = modules(web.parent().unwrap())
        .into_values()
        .filter(|path| path.starts_with(&web))
        .filter_map(|path| {
            let lines = std::fs::read_to_string(&path).unwrap().lines().count();
            (lines > 600).then(|| format!("{} ({lines} lines)", path.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by resource: {long:?}");
}

/// Test files share fixtures and helpers through `support/` only, never through each other.
#[test]
fn no_test_file_imports_another() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("main.rs") {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&path).unwrap());
        for (_, tree) in regex_like_uses(&code) {
            found.extend(expand(&tree).into_iter().map(|p| (path.clone(), p)));
        }
        found.extend(
            written_out_paths(&code)
                .into_iter()
                .map(|p| (path.clone(), p)),
        );
    }
    let crossing: Vec<String> = found
        .into_iter()
        .filter(|(_, p)| p.starts_with("crate::") && !p.starts_with("crate::support"))
        .map(|(file, p)| format!("{} uses {p}", file.display()))
        .collect();
    assert!(
        crossing.is_empty(),
        "move these into tests/it/support: {crossing:?}"
    );
}

/// Adapters call use cases; queries live below them. No file of `src/web` names diesel or the
/// schema.
#[test]
fn no_adapter_queries_the_database_itself() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let web = src.join("web");
    let querying: Vec<String> = modules(&src)
        .into_values()
        .filter(|path| path.starts_with(&web))
        .filter(|path| {
            let code = code_of(&std::fs::read_to_string(path).unwrap());
            code.contains("diesel::") || code.contains("db::schema")
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        querying.is_empty(),
        "move these queries into a use case: {querying:?}"
    );
}
