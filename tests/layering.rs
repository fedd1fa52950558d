//! The layering of the daemon crate, held by a test instead of a reviewer (issue 15 item 4).
//!
//! `docs/architecture.md` declares the top-level modules of `src/` in layers, lowest first,
//! in a ```` ```layers ```` block: one line per layer. A module may use only modules of lower
//! layers; modules on the same line do not use each other. This test reads every file under
//! `src/`, finds every path that leaves its top-level module (`crate::x`, `crate::{x, y}`,
//! `super::x` from a module's root) and fails on any edge against the declared order, and on
//! a module the order does not place. Comments and string literals are skipped, so a doc link
//! is no edge; a re-export is one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The declared layers, lowest first, as written in docs/architecture.md.
fn layers(root: &Path) -> Vec<Vec<String>> {
    let doc = std::fs::read_to_string(root.join("docs/architecture.md")).expect("architecture.md");
    let start = doc
        .find("```layers\n")
        .expect("docs/architecture.md has a ```layers block");
    let body = &doc[start + "```layers\n".len()..];
    let end = body.find("```").expect("the layers block ends");
    body[..end]
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The source with comments, string and char literals blanked (newlines kept, so an index
/// still names a line).
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |out: &mut String, s: &[u8]| {
        for &c in s {
            out.push(if c == b'\n' { '\n' } else { ' ' });
        }
    };
    while i < b.len() {
        let rest = &b[i..];
        let prev_ident = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if rest.starts_with(b"//") {
            let end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest.starts_with(b"/*") {
            let (mut depth, mut j) = (0usize, 0);
            while j < rest.len() {
                if rest[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &rest[..j]);
            i += j;
        } else if !prev_ident && raw_string_start(rest).is_some() {
            let (open, hashes) = raw_string_start(rest).unwrap();
            let mut close = vec![b'"'];
            close.extend(std::iter::repeat_n(b'#', hashes));
            let end = rest[open..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(rest.len(), |p| open + p + close.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest[0] == b'"' {
            let mut j = 1;
            while j < rest.len() && rest[j] != b'"' {
                j += if rest[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if let Some(n) = char_literal_len(&src[i..]) {
            blank(&mut out, &rest[..n]);
            i += n;
        } else {
            let ch = src[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// `r"`, `r#"`, `br##"`...: the length of the opening and the number of `#`.
fn raw_string_start(s: &[u8]) -> Option<(usize, usize)> {
    let b = usize::from(s.first() == Some(&b'b'));
    let s = s[b..].strip_prefix(b"r")?;
    let hashes = s.iter().take_while(|&&c| c == b'#').count();
    (s.get(hashes) == Some(&b'"')).then_some((b + 1 + hashes + 1, hashes))
}

/// A char literal (`'a'`, `'\n'`, `'\u{1F600}'`, `'"'`), not a lifetime: its length.
fn char_literal_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix('\'')?;
    if let Some(esc) = body.strip_prefix('\\') {
        // The escaped character may itself be a quote or a backslash.
        let close = esc.get(1..)?.find('\'')? + 1;
        return (close < 12).then_some(close + 3);
    }
    let c = body.chars().next()?;
    let n = 1 + c.len_utf8();
    (s[n..].starts_with('\'')).then_some(n + 1)
}

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    Punct(char),
    PathSep,
}

fn tokens(code: &str) -> Vec<(Tok, usize)> {
    let b = code.as_bytes();
    let (mut out, mut i, mut line) = (Vec::new(), 0, 1);
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            let n = b[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            out.push((Tok::Ident(code[i..i + 1 + n].to_owned()), line));
            i += 1 + n;
        } else if b[i..].starts_with(b"::") {
            out.push((Tok::PathSep, line));
            i += 2;
        } else {
            let ch = code[i..].chars().next().unwrap();
            out.push((Tok::Punct(ch), line));
            i += ch.len_utf8();
        }
    }
    out
}

/// The first segments of the use-tree that starts at `toks[i]` (after `crate::`): one name,
/// or the names at the top of a `{...}` group.
fn first_segments(toks: &[(Tok, usize)], i: usize) -> Vec<String> {
    match toks.get(i) {
        Some((Tok::Ident(s), _)) => vec![s.clone()],
        Some((Tok::Punct('{'), _)) => {
            let (mut depth, mut j, mut expect, mut out) = (0, i, true, Vec::new());
            while let Some((t, _)) = toks.get(j) {
                match t {
                    Tok::Punct('{') => {
                        depth += 1;
                        if depth == 1 {
                            expect = true;
                        }
                    }
                    Tok::Punct('}') => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Tok::Punct(',') if depth == 1 => expect = true,
                    Tok::Ident(s) if depth == 1 && expect => {
                        out.push(s.clone());
                        expect = false;
                    }
                    _ if depth == 1 => expect = false,
                    _ => {}
                }
                j += 1;
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Every (top-level module used, line) of one file. `depth` is how many `super::` lead from
/// the file's module to the crate root.
fn uses_of(code: &str, file_depth: usize) -> Vec<(String, usize)> {
    let toks = tokens(code);
    let mut out = Vec::new();
    // Inline modules (`mod tests { ... }`) deepen `super::`: the brace depths they close at.
    let (mut braces, mut inline): (usize, Vec<usize>) = (0, Vec::new());
    let mut i = 0;
    while i < toks.len() {
        let (t, line) = &toks[i];
        match t {
            Tok::Punct('{') => braces += 1,
            Tok::Punct('}') => {
                if inline.last() == Some(&braces) {
                    inline.pop();
                }
                braces -= 1;
            }
            Tok::Ident(m)
                if m == "mod"
                    && matches!(toks.get(i + 1), Some((Tok::Ident(_), _)))
                    && toks.get(i + 2).map(|t| &t.0) == Some(&Tok::Punct('{')) =>
            {
                inline.push(braces + 1);
            }
            Tok::Ident(c) if c == "crate" => {
                let after_path_sep = i > 0 && toks[i - 1].0 == Tok::PathSep;
                if !after_path_sep && toks.get(i + 1).map(|t| &t.0) == Some(&Tok::PathSep) {
                    for m in first_segments(&toks, i + 2) {
                        out.push((m, *line));
                    }
                }
            }
            Tok::Ident(s) if s == "super" && !(i > 0 && toks[i - 1].0 == Tok::PathSep) => {
                let mut k = 0;
                let mut j = i;
                while matches!(&toks.get(j), Some((Tok::Ident(s), _)) if s == "super")
                    && toks.get(j + 1).map(|t| &t.0) == Some(&Tok::PathSep)
                {
                    k += 1;
                    j += 2;
                }
                if k >= file_depth + inline.len() {
                    for m in first_segments(&toks, j) {
                        out.push((m, *line));
                    }
                }
                i = j.max(i + 1);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every edge between top-level modules of `src/`: (from, to) -> the places it is made.
fn edges(src: &Path, modules: &BTreeSet<String>) -> BTreeMap<(String, String), Vec<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let parts: Vec<_> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let top = parts[0].trim_end_matches(".rs").to_owned();
        if top == "lib" || top == "main" {
            continue; // the crate root declares the modules; main.rs is the binary
        }
        let last = parts.last().unwrap();
        let depth = if last == "mod.rs" {
            parts.len() - 1
        } else {
            parts.len()
        };
        let code = code_only(&std::fs::read_to_string(&f).unwrap());
        for (m, line) in uses_of(&code, depth) {
            if m != top && modules.contains(&m) {
                out.entry((top.clone(), m))
                    .or_default()
                    .push(format!("src/{}:{line}", rel.display()));
            }
        }
    }
    out
}

/// The top-level modules the crate root declares.
fn modules(src: &Path) -> BTreeSet<String> {
    let lib = code_only(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let toks = tokens(&lib);
    toks.windows(3)
        .filter_map(|w| match (&w[0].0, &w[1].0, &w[2].0) {
            (Tok::Ident(m), Tok::Ident(name), Tok::Punct(';')) if m == "mod" => Some(name.clone()),
            _ => None,
        })
        .collect()
}

/// The violations of the declared order in the tree at `root`.
fn violations(root: &Path) -> Vec<String> {
    let src = root.join("src");
    let layers = layers(root);
    let level: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(n, l)| l.iter().map(move |m| (m.as_str(), n)))
        .collect();
    let modules = modules(&src);
    let mut bad = Vec::new();
    for m in &modules {
        if !level.contains_key(m.as_str()) {
            bad.push(format!(
                "module `{m}` is in no layer of docs/architecture.md"
            ));
        }
    }
    for m in level.keys() {
        if !modules.contains(*m) {
            bad.push(format!(
                "layer names `{m}`, which src/lib.rs does not declare"
            ));
        }
    }
    for ((from, to), at) in edges(&src, &modules) {
        let (Some(&f), Some(&t)) = (level.get(from.as_str()), level.get(to.as_str())) else {
            continue;
        };
        if t >= f {
            bad.push(format!(
                "`{from}` (layer {f}) uses `{to}` (layer {t}) at {}",
                at.join(", ")
            ));
        }
    }
    bad
}

#[test]
fn top_level_modules_use_only_lower_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bad = violations(root);
    assert!(
        bad.is_empty(),
        "{} edges against the layer order of docs/architecture.md:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// The scanner sees what the compiler sees, and nothing in comments or strings.
#[test]
fn the_scanner_finds_every_form_of_path() {
    let code = code_only(
        r##"
use crate::a::X;
use crate::{b::Y, c, d::{self, Z}};
// use crate::commented;
/* use crate::blocked; /* nested */ */
let s = "crate::in_string"; let r = r#"crate::raw"#; let ch = '"'; let lt: &'static str = "";
fn f() -> crate::e::T { pub(crate) fn g() {} super::f::h() }
mod tests { use super::*; fn t() { super::super::g::x(); } }
"##,
    );
    let found: Vec<String> = uses_of(&code, 1).into_iter().map(|(m, _)| m).collect();
    assert_eq!(found, ["a", "b", "c", "d", "e", "f", "g"]);
    // One level deeper, the same `super::f` stays inside the module.
    let deeper: Vec<String> = uses_of(&code, 2).into_iter().map(|(m, _)| m).collect();
    assert_eq!(deeper, ["a", "b", "c", "d", "e"]);
}
