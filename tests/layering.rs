//! The layering of the daemon crate, held by a test instead of a reviewer (issue 15 item 4).
//!
//! Every file under `src/` is parsed with `syn`, and every path it uses that names another of
//! the crate's files (`crate::x::y`, `super::y`, `self::y`, a child module's name, in `use`
//! trees, types, expressions and macro bodies alike) is an edge from that file to the file
//! the path leads into. Doc comments and string literals are no edges; a re-export is one.
//! `#[cfg(test)]` code is left out: unit tests may reach anywhere in their module.
//!
//! On that graph three rules hold, each written in `docs/architecture.md`:
//! - **layers**: the top-level modules, one line per layer, lowest first (a ```` ```layers ````
//!   block). A module uses only modules of lower layers; modules on one line do not use each
//!   other; every module is placed.
//! - **the ONVIF runtime cannot reach back**: the modules of the ```` ```runtime ```` block
//!   (XML, SOAP, authentication, the runtime the generated code calls, the generated code)
//!   use only each other and the crate's lowest layer, so the generated code and what it
//!   needs never depend on the daemon's services, streams or camera.
//! - **no file cycles**: no two files of the crate use each other, directly or around a
//!   loop, except a module's root (`mod.rs`) re-exporting what its own children define (a
//!   facade, not a dependency).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module path from the crate root: `["stream", "hub"]` is `crate::stream::hub`.
type ModPath = Vec<String>;

/// The lines of the ```` ```name ```` block of docs/architecture.md, comments dropped, as
/// words.
fn doc_block(root: &Path, name: &str) -> Vec<Vec<String>> {
    let doc = std::fs::read_to_string(root.join("docs/architecture.md")).expect("architecture.md");
    let fence = format!("```{name}\n");
    let start = doc
        .find(&fence)
        .unwrap_or_else(|| panic!("docs/architecture.md has a ```{name} block"));
    let body = &doc[start + fence.len()..];
    let end = body.find("```").expect("the block ends");
    body[..end]
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .filter(|l| !l.is_empty())
        .collect()
}

/// One use of a crate path: where it is made and whether it is a `pub` re-export.
#[derive(Clone, Debug)]
struct Use {
    target: ModPath,
    line: usize,
    reexport: bool,
}

/// Collects every crate path one file uses, resolved to absolute module paths.
struct Collector<'a> {
    /// The module the code being visited is in (the file's, deeper inside inline modules).
    module: ModPath,
    /// Every file module of the crate, to tell a child module's name from any other name.
    files: &'a BTreeSet<ModPath>,
    out: Vec<Use>,
    /// Inside a `pub use`.
    reexport: bool,
}

impl Collector<'_> {
    /// `segments` as written at `line`, resolved against the current module; paths that leave
    /// the crate (std, other crates) or name a local item are dropped.
    fn path(&mut self, segments: &[String], line: usize) {
        let Some(first) = segments.first() else {
            return;
        };
        let (mut abs, rest): (ModPath, &[String]) = match first.as_str() {
            "crate" => (Vec::new(), &segments[1..]),
            "self" => (self.module.clone(), &segments[1..]),
            "super" => {
                let ups = segments.iter().take_while(|s| *s == "super").count();
                let keep = self.module.len().saturating_sub(ups);
                (self.module[..keep].to_vec(), &segments[ups..])
            }
            _ => {
                // A child module named from its parent (`hub::StreamHub` in stream/mod.rs).
                let mut child = self.module.clone();
                child.push(first.clone());
                if !self.files.contains(&child) {
                    return;
                }
                (self.module.clone(), segments)
            }
        };
        abs.extend(rest.iter().cloned());
        self.out.push(Use {
            target: abs,
            line,
            reexport: self.reexport,
        });
    }

    /// The paths of a `use` tree under `prefix`.
    fn use_tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<String>) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(&p.tree, prefix);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let line = n.ident.span().start().line;
                if n.ident == "self" {
                    self.path(&prefix.clone(), line);
                } else {
                    prefix.push(n.ident.to_string());
                    self.path(&prefix.clone(), line);
                    prefix.pop();
                }
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.path(&prefix.clone(), r.ident.span().start().line);
                prefix.pop();
            }
            syn::UseTree::Glob(g) => self.path(&prefix.clone(), g.star_token.spans[0].start().line),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(t, prefix);
                }
            }
        }
    }

    /// Paths written inside a macro call's tokens (`format!`, `matches!`, `tracing` macros):
    /// `crate`, `super` or `self` followed by `::`-separated names.
    fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
        let toks: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < toks.len() {
            match &toks[i] {
                proc_macro2::TokenTree::Group(g) => self.tokens(g.stream()),
                proc_macro2::TokenTree::Ident(id)
                    if matches!(id.to_string().as_str(), "crate" | "super" | "self")
                        && !(i >= 2 && is_colon(&toks[i - 1]) && is_colon(&toks[i - 2])) =>
                {
                    let line = id.span().start().line;
                    let mut segs = vec![id.to_string()];
                    let mut j = i + 1;
                    while j + 2 < toks.len() + 1
                        && toks.get(j).is_some_and(is_colon)
                        && toks.get(j + 1).is_some_and(is_colon)
                    {
                        match toks.get(j + 2) {
                            Some(proc_macro2::TokenTree::Ident(n)) => segs.push(n.to_string()),
                            _ => break,
                        }
                        j += 3;
                    }
                    if segs.len() > 1 {
                        self.path(&segs, line);
                    }
                    i = j;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

fn is_colon(t: &proc_macro2::TokenTree) -> bool {
    matches!(t, proc_macro2::TokenTree::Punct(p) if p.as_char() == ':')
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::ExternCrate(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::ForeignMod(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::TraitAlias(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if is_cfg_test(item_attrs(item)) {
            return;
        }
        match item {
            syn::Item::Use(u) => {
                self.reexport = !matches!(u.vis, syn::Visibility::Inherited);
                self.use_tree(&u.tree, &mut Vec::new());
                self.reexport = false;
            }
            syn::Item::Mod(m) => {
                // `mod x;` declares a file (no edge); an inline module deepens the scope.
                if let Some((_, items)) = &m.content {
                    self.module.push(m.ident.to_string());
                    for i in items {
                        self.visit_item(i);
                    }
                    self.module.pop();
                }
            }
            _ => syn::visit::visit_item(self, item),
        }
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs = match item {
            syn::ImplItem::Fn(f) => &f.attrs[..],
            syn::ImplItem::Const(c) => &c.attrs[..],
            syn::ImplItem::Type(t) => &t.attrs[..],
            _ => &[],
        };
        if !is_cfg_test(attrs) {
            syn::visit::visit_impl_item(self, item);
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        if p.leading_colon.is_none() {
            let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
            let line = p
                .segments
                .first()
                .map_or(0, |s| s.ident.span().start().line);
            self.path(&segs, line);
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.tokens(m.tokens.clone());
        syn::visit::visit_macro(self, m);
    }

    // Doc comments and other attributes carry no code paths.
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
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

/// The module path of a file under `src/` (`stream/mod.rs` and `stream.rs` are `stream`).
fn module_of(rel: &Path) -> ModPath {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    match last.as_str() {
        "mod.rs" | "lib.rs" | "main.rs" => {}
        f => parts.push(f.trim_end_matches(".rs").to_owned()),
    }
    parts
}

/// The crate's files and the file-to-file edges: (from, to) -> where and whether every use
/// making it is a re-export.
struct Graph {
    files: BTreeMap<ModPath, String>,
    edges: BTreeMap<(ModPath, ModPath), Vec<(String, bool)>>,
}

fn graph(src: &Path) -> Graph {
    let mut paths = Vec::new();
    rust_files(src, &mut paths);
    let files: BTreeMap<ModPath, String> = paths
        .iter()
        .map(|p| p.strip_prefix(src).unwrap())
        .filter(|rel| !rel.ends_with("main.rs"))
        .map(|rel| (module_of(rel), format!("src/{}", rel.display())))
        .collect();
    let names: BTreeSet<ModPath> = files.keys().cloned().collect();
    let mut edges: BTreeMap<(ModPath, ModPath), Vec<(String, bool)>> = BTreeMap::new();
    for (module, name) in &files {
        let text = std::fs::read_to_string(src.parent().unwrap().join(name)).unwrap();
        let parsed = syn::parse_file(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut c = Collector {
            module: module.clone(),
            files: &names,
            out: Vec::new(),
            reexport: false,
        };
        for item in &parsed.items {
            c.visit_item(item);
        }
        for u in c.out {
            // The file a path leads into: the longest file module it starts with.
            let Some(to) = (0..=u.target.len())
                .rev()
                .map(|n| u.target[..n].to_vec())
                .find(|p| names.contains(p))
            else {
                continue;
            };
            if to.is_empty() || &to == module {
                continue; // the crate root declares modules; a file may use itself
            }
            edges
                .entry((module.clone(), to))
                .or_default()
                .push((format!("{name}:{}", u.line), u.reexport));
        }
    }
    Graph { files, edges }
}

fn top(m: &ModPath) -> &str {
    &m[0]
}

/// The violations of the layer order.
fn layer_violations(root: &Path, g: &Graph) -> Vec<String> {
    let layers = doc_block(root, "layers");
    let level: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(n, l)| l.iter().map(move |m| (m.as_str(), n)))
        .collect();
    let modules: BTreeSet<&str> = g.files.keys().filter(|m| !m.is_empty()).map(top).collect();
    let mut bad = Vec::new();
    for m in &modules {
        if !level.contains_key(m) {
            bad.push(format!(
                "module `{m}` is in no layer of docs/architecture.md"
            ));
        }
    }
    for m in level.keys() {
        if !modules.contains(m) {
            bad.push(format!("layer names `{m}`, which src/ does not have"));
        }
    }
    let mut between: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for ((from, to), at) in &g.edges {
        if top(from) != top(to) {
            let e = between.entry((top(from), top(to))).or_default();
            e.extend(at.iter().map(|(w, _)| w.as_str()));
        }
    }
    for ((from, to), at) in between {
        let (Some(&f), Some(&t)) = (level.get(from), level.get(to)) else {
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

/// The violations of "the ONVIF runtime cannot reach back".
fn runtime_violations(root: &Path, g: &Graph) -> Vec<String> {
    let runtime: Vec<ModPath> = doc_block(root, "runtime")
        .concat()
        .iter()
        .map(|m| m.split("::").map(str::to_owned).collect())
        .collect();
    let lowest: BTreeSet<String> = doc_block(root, "layers")
        .first()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let inside = |m: &ModPath| runtime.iter().any(|r| m.starts_with(r));
    let mut bad = Vec::new();
    for r in &runtime {
        if !g.files.keys().any(|f| f.starts_with(r)) {
            bad.push(format!(
                "the runtime names `{}`, which src/ does not have",
                r.join("::")
            ));
        }
    }
    for ((from, to), at) in &g.edges {
        if inside(from) && !inside(to) && !lowest.contains(top(to)) {
            bad.push(format!(
                "the ONVIF runtime's `{}` uses `{}` at {}",
                from.join("::"),
                to.join("::"),
                at.iter()
                    .map(|(w, _)| w.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    bad
}

/// Every cycle of files (a strongly connected component of more than one file), with the
/// edges inside it. A module root's re-exports of its own descendants are no edges.
fn file_cycles(g: &Graph) -> Vec<String> {
    let mut next: BTreeMap<&ModPath, Vec<&ModPath>> = BTreeMap::new();
    for ((from, to), at) in &g.edges {
        let facade = to.starts_with(from) && at.iter().all(|(_, reexport)| *reexport);
        if !facade {
            next.entry(from).or_default().push(to);
        }
    }
    // Tarjan's strongly connected components.
    struct State<'a> {
        next: &'a BTreeMap<&'a ModPath, Vec<&'a ModPath>>,
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on: BTreeSet<&'a ModPath>,
        sccs: Vec<Vec<&'a ModPath>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a ModPath) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on.insert(v);
        for &w in s.next.get(v).map(Vec::as_slice).unwrap_or(&[]) {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                scc.push(w);
                if w == v {
                    break;
                }
            }
            s.sccs.push(scc);
        }
    }
    let mut s = State {
        next: &next,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        sccs: Vec::new(),
    };
    for &v in next.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.sccs
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| {
            let set: BTreeSet<&ModPath> = c.iter().copied().collect();
            let inner: Vec<String> = next
                .iter()
                .filter(|(f, _)| set.contains(*f))
                .flat_map(|(f, ts)| {
                    ts.iter().filter(|t| set.contains(*t)).map(move |t| {
                        let at = &g.edges[&((*f).clone(), (*t).clone())];
                        format!("{} -> {} ({})", g.files[*f], g.files[*t], at[0].0)
                    })
                })
                .collect();
            format!("cycle of {} files: {}", c.len(), inner.join("; "))
        })
        .collect()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn assert_none(what: &str, bad: Vec<String>) {
    assert!(bad.is_empty(), "{} {what}:\n{}", bad.len(), bad.join("\n"));
}

#[test]
fn top_level_modules_use_only_lower_layers() {
    let g = graph(&root().join("src"));
    assert_none(
        "edges against the layer order of docs/architecture.md",
        layer_violations(root(), &g),
    );
}

#[test]
fn the_onvif_runtime_cannot_reach_back() {
    let g = graph(&root().join("src"));
    assert_none(
        "uses leaving the ONVIF runtime of docs/architecture.md",
        runtime_violations(root(), &g),
    );
}

#[test]
fn no_two_files_use_each_other() {
    let g = graph(&root().join("src"));
    assert_none("file cycles", file_cycles(&g));
}

/// The scanner sees what the compiler sees, and nothing in comments, strings or unit tests.
#[test]
fn the_scanner_finds_every_form_of_path() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    for m in [
        "a", "b", "c", "d", "e", "f", "g", "m/mod", "m/kid", "m/other",
    ] {
        let p = src.join(format!("{m}.rs"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "").unwrap();
    }
    std::fs::write(
        src.join("lib.rs"),
        "mod a; mod b; mod c; mod d; mod e; mod f; mod g; mod m;",
    )
    .unwrap();
    std::fs::write(
        src.join("m/mod.rs"),
        r##"
mod kid; mod other;
pub use kid::Facade;
use crate::a::X;
use crate::{b::Y, c::{self, Z}};
// use crate::commented;
/* use crate::blocked; /* nested */ */
/// [`crate::doc_link`]
fn f() -> crate::d::T {
    let s = "crate::in_string";
    let r = r#"crate::raw"#;
    tracing::info!(x = ?crate::e::v());
    other::go()
}
#[cfg(test)]
mod tests { use crate::g::*; }
"##,
    )
    .unwrap();
    std::fs::write(src.join("m/kid.rs"), "fn k() { super::super::f::h(); }").unwrap();
    let g = graph(&src);
    let found: BTreeSet<String> = g
        .edges
        .iter()
        .map(|((from, to), at)| {
            format!(
                "{}->{}{}",
                from.join("::"),
                to.join("::"),
                if at[0].1 { " (re-export)" } else { "" }
            )
        })
        .collect();
    let expected: BTreeSet<String> = [
        "m->m::kid (re-export)",
        "m->a",
        "m->b",
        "m->c",
        "m->d",
        "m->e",
        "m->m::other",
        "m::kid->f",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(found, expected);
    // The facade is no cycle; a use back from the child would make one.
    assert!(file_cycles(&g).is_empty());
    std::fs::write(src.join("m/kid.rs"), "use super::f;").unwrap();
    std::fs::write(src.join("m/mod.rs"), "mod kid; use kid::K; fn f() {}").unwrap();
    let cycles = file_cycles(&graph(&src));
    assert_eq!(cycles.len(), 1, "{cycles:?}");
}
