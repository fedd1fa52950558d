//! Rust emission: the type closure of the configured operations, one module per namespace
//! prefix, `FromXml`/`ToXml`/`XsValue` impls against `crate::onvif::rt`, one async trait per
//! service, its dispatcher and per-operation metadata.

use crate::config::{Config, Service};
use crate::schema::{ComplexType, Model, PKind, QName, SimpleType, TypeRef, XS};
use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

/// A service with its operations and their request and response types.
pub type ServiceOps = (Service, Vec<(crate::schema::Operation, Ty, Ty)>);

/// One emitted struct field.
struct Field {
    rust: String,
    /// Element QName (ns may be empty) or attribute name.
    xml: QName,
    kind: FieldKind,
    ty: Ty,
    optional: bool,
    many: bool,
    boxed: bool,
}

#[derive(PartialEq)]
enum FieldKind {
    Attr,
    /// xs:anyAttribute: the attributes no `Attr` field declares.
    AnyAttr,
    Elem,
    Any,
    Value,
    /// Character data of a `mixed` complex type.
    Text,
}

/// A resolved Rust type.
#[derive(Clone)]
pub struct Ty {
    path: String,
    /// Simple (text) value, parsed with `XsValue`; otherwise a complex `FromXml` type.
    simple: bool,
    /// Key of the struct this refers to (for recursion detection).
    key: Option<String>,
}

struct Struct {
    module: String,
    name: String,
    doc: String,
    fields: Vec<Field>,
}

enum Item {
    Struct(Struct),
    Enum {
        module: String,
        name: String,
        values: Vec<String>,
    },
    Alias {
        module: String,
        name: String,
        target: String,
    },
}

pub struct Emitter<'a> {
    model: &'a Model,
    cfg: &'a Config,
    /// Named types: QName -> (module, rust name) once scheduled.
    named: BTreeMap<QName, Ty>,
    items: BTreeMap<String, Item>,  // key "module::Name"
    queue: VecDeque<(QName, bool)>, // (name, is_complex)
    taken: BTreeSet<String>,
}

pub fn snake(s: &str) -> String {
    let s = s
        .replace("IPv4", "Ipv4")
        .replace("IPv6", "Ipv6")
        .replace("DNSname", "DnsName");
    let cs: Vec<char> = s.chars().collect();
    let mut out = String::new();
    for (i, &c) in cs.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = if i > 0 { Some(cs[i - 1]) } else { None };
            let next = cs.get(i + 1).copied();
            let boundary = match prev {
                None => false,
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_owned();
    let out = if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("n_{out}")
    } else {
        out
    };
    if KEYWORDS.contains(&out.as_str()) {
        format!("{out}_")
    } else {
        out
    }
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop",
    "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self",
    "static", "struct", "super", "trait", "true", "try", "type", "typeof", "unsafe", "unsized",
    "use", "virtual", "where", "while", "yield", "abstract", "become",
];

fn type_ident(s: &str) -> String {
    let mut out = String::new();
    let mut up = true;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if up { c.to_ascii_uppercase() } else { c });
            up = false;
        } else {
            up = true;
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    if out == "Self" {
        out.push('_');
    }
    out
}

fn variant_ident(s: &str, used: &mut BTreeSet<String>) -> String {
    let mut v = type_ident(s);
    if v.is_empty() {
        v = "Empty".into();
    }
    if v.starts_with(|c: char| c.is_ascii_digit()) {
        v.insert(0, 'V');
    }
    let mut cand = v.clone();
    let mut i = 2;
    while !used.insert(cand.clone()) {
        cand = format!("{v}{i}");
        i += 1;
    }
    cand
}

fn builtin(local: &str) -> Option<&'static str> {
    Some(match local {
        "string" | "normalizedString" | "token" | "anyURI" | "NCName" | "Name" | "QName"
        | "language" | "ID" | "IDREF" | "NMTOKEN" | "NMTOKENS" | "hexBinary" | "base64Binary"
        | "dateTime" | "duration" | "date" | "time" | "anySimpleType" | "gYear" => "String",
        "boolean" => "bool",
        "int" => "i32",
        "integer" | "long" => "i64",
        "nonNegativeInteger" | "positiveInteger" | "unsignedLong" => "u64",
        "unsignedInt" => "u32",
        "short" => "i16",
        "unsignedShort" => "u16",
        "byte" => "i8",
        "unsignedByte" => "u8",
        "float" => "f32",
        "double" | "decimal" => "f64",
        _ => return None,
    })
}

impl<'a> Emitter<'a> {
    pub fn new(model: &'a Model, cfg: &'a Config) -> Self {
        Emitter {
            model,
            cfg,
            named: BTreeMap::new(),
            items: BTreeMap::new(),
            queue: VecDeque::new(),
            taken: BTreeSet::new(),
        }
    }

    fn module_of(&self, ns: &str) -> Result<String> {
        self.cfg
            .prefix_of(ns)
            .map(str::to_owned)
            .with_context(|| format!("no prefix configured for namespace {ns}"))
    }

    fn prefixed(&self, q: &QName) -> Result<String> {
        if q.0.is_empty() {
            return Ok(q.1.clone());
        }
        Ok(format!("{}:{}", self.module_of(&q.0)?, q.1))
    }

    fn claim(&mut self, module: &str, want: &str) -> String {
        let mut name = type_ident(want);
        if !self.taken.insert(format!("{module}::{name}")) {
            name.push_str("Element");
            let mut i = 2;
            let base = name.clone();
            while !self.taken.insert(format!("{module}::{name}")) {
                name = format!("{base}{i}");
                i += 1;
            }
        }
        name
    }

    /// The Rust type of a named XSD type, scheduling its emission.
    fn named_ty(&mut self, q: &QName) -> Result<Ty> {
        if q.0 == XS {
            if q.1 == "anyType" {
                return Ok(Ty {
                    path: "crate::xml::Element".into(),
                    simple: false,
                    key: None,
                });
            }
            let b = builtin(&q.1).with_context(|| format!("unsupported builtin xs:{}", q.1))?;
            return Ok(Ty {
                path: b.into(),
                simple: true,
                key: None,
            });
        }
        if let Some(t) = self.named.get(q) {
            return Ok(t.clone());
        }
        let module = self.module_of(&q.0)?;
        let is_complex = self.model.complex.contains_key(q);
        if !is_complex && !self.model.simple.contains_key(q) {
            bail!("type {{{}}}{} not found", q.0, q.1);
        }
        let name = self.claim(&module, &q.1);
        let ty = Ty {
            path: format!("super::{module}::{name}"),
            simple: !is_complex,
            key: Some(format!("{module}::{name}")),
        };
        self.named.insert(q.clone(), ty.clone());
        self.queue.push_back((q.clone(), is_complex));
        Ok(ty)
    }

    fn type_ref(&mut self, t: &TypeRef, module: &str, hint: &str) -> Result<Ty> {
        match t {
            TypeRef::Named(q) => self.named_ty(q),
            TypeRef::Complex(ct) => {
                let name = self.claim(module, hint);
                self.emit_complex(module, &name, ct, hint)?;
                Ok(Ty {
                    path: format!("super::{module}::{name}"),
                    simple: false,
                    key: Some(format!("{module}::{name}")),
                })
            }
            TypeRef::Simple(st) => {
                let name = self.claim(module, hint);
                self.emit_simple(module, &name, st)?;
                Ok(Ty {
                    path: format!("super::{module}::{name}"),
                    simple: true,
                    key: None,
                })
            }
        }
    }

    /// Schedules a top-level element; returns its Rust type.
    pub fn element(&mut self, q: &QName) -> Result<Ty> {
        let t = self
            .model
            .elements
            .get(q)
            .with_context(|| format!("element {{{}}}{} not found", q.0, q.1))?
            .clone();
        let module = self.module_of(&q.0)?;
        let ty = self.type_ref(&t, &module, &q.1)?;
        self.drain()?;
        Ok(ty)
    }

    fn drain(&mut self) -> Result<()> {
        while let Some((q, is_complex)) = self.queue.pop_front() {
            let ty = self.named[&q].clone();
            let (module, name) = ty
                .key
                .clone()
                .unwrap_or_default()
                .split_once("::")
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .unwrap_or_else(|| {
                    let p = ty.path.trim_start_matches("super::");
                    let (a, b) = p.split_once("::").unwrap();
                    (a.to_owned(), b.to_owned())
                });
            if is_complex {
                let ct = self.model.complex[&q].clone();
                self.emit_complex(&module, &name, &ct, &q.1)?;
            } else {
                let st = self.model.simple[&q].clone();
                self.emit_simple(&module, &name, &st)?;
            }
        }
        Ok(())
    }

    fn emit_simple(&mut self, module: &str, name: &str, st: &SimpleType) -> Result<()> {
        let item = match st {
            SimpleType::Restriction { base, enums } if !enums.is_empty() => {
                let _ = base;
                Item::Enum {
                    module: module.into(),
                    name: name.into(),
                    values: enums.clone(),
                }
            }
            SimpleType::Restriction { base, .. } => {
                let t = self.named_ty(base)?;
                Item::Alias {
                    module: module.into(),
                    name: name.into(),
                    target: t.path,
                }
            }
            SimpleType::List { item } => {
                let t = self.type_ref(item, module, &format!("{name}Item"))?;
                Item::Alias {
                    module: module.into(),
                    name: name.into(),
                    target: format!("crate::onvif::rt::List<{}>", t.path),
                }
            }
            SimpleType::Union => Item::Alias {
                module: module.into(),
                name: name.into(),
                target: "String".into(),
            },
        };
        self.items.insert(format!("{module}::{name}"), item);
        Ok(())
    }

    /// Collects the fields of a complex type, base content first (schema order).
    fn collect_fields(
        &mut self,
        module: &str,
        owner: &str,
        ct: &ComplexType,
        out: &mut Vec<Field>,
        depth: usize,
    ) -> Result<()> {
        if depth > 16 {
            bail!("extension chain too deep at {owner}");
        }
        if let Some(base) = &ct.base {
            if ct.simple_content {
                let t = if self.model.complex.contains_key(base) {
                    // simpleContent extending a complex type with simple content.
                    let b = self.model.complex[base].clone();
                    self.collect_fields(module, owner, &b, out, depth + 1)?;
                    None
                } else {
                    Some(self.named_ty(base)?)
                };
                if let Some(t) = t {
                    out.push(Field {
                        rust: "value".into(),
                        xml: (String::new(), String::new()),
                        kind: FieldKind::Value,
                        ty: t,
                        optional: false,
                        many: false,
                        boxed: false,
                    });
                }
            } else if base.0 != XS {
                let b = self
                    .model
                    .complex
                    .get(base)
                    .with_context(|| format!("base {} of {owner}", base.1))?
                    .clone();
                self.collect_fields(module, owner, &b, out, depth + 1)?;
            }
        }
        for a in &ct.attrs {
            let ty = if !a.name.0.is_empty() {
                match self.model.attributes.get(&a.name).cloned() {
                    Some(t) => self.type_ref(&t, module, &format!("{owner}{}", a.name.1))?,
                    None => self.named_ty(&(XS.into(), "string".into()))?,
                }
            } else {
                self.type_ref(&a.ty, module, &format!("{owner}{}", a.name.1))?
            };
            out.push(Field {
                rust: snake(&a.name.1),
                xml: a.name.clone(),
                kind: FieldKind::Attr,
                ty,
                optional: !a.required,
                many: false,
                boxed: false,
            });
        }
        if ct.any_attr && !out.iter().any(|f| f.kind == FieldKind::AnyAttr) {
            out.push(Field {
                rust: "other_attributes".into(),
                xml: (String::new(), String::new()),
                kind: FieldKind::AnyAttr,
                ty: Ty {
                    path: "rt::AnyAttribute".into(),
                    simple: false,
                    key: None,
                },
                optional: true,
                many: true,
                boxed: false,
            });
        }
        if ct.mixed && !ct.simple_content && !out.iter().any(|f| f.kind == FieldKind::Text) {
            out.push(Field {
                rust: "text".into(),
                xml: (String::new(), String::new()),
                kind: FieldKind::Text,
                ty: Ty {
                    path: "String".into(),
                    simple: true,
                    key: None,
                },
                optional: false,
                many: false,
                boxed: false,
            });
        }
        for p in &ct.particles {
            match &p.kind {
                PKind::Any => {
                    if !out.iter().any(|f| f.kind == FieldKind::Any) {
                        out.push(Field {
                            rust: "any".into(),
                            xml: (String::new(), String::new()),
                            kind: FieldKind::Any,
                            ty: Ty {
                                path: "crate::xml::Element".into(),
                                simple: false,
                                key: None,
                            },
                            optional: true,
                            many: true,
                            boxed: false,
                        });
                    }
                }
                PKind::Element { name, ty } => {
                    let t = self.type_ref(ty, module, &format!("{owner}{}", name.1))?;
                    out.push(Field {
                        rust: snake(&name.1),
                        xml: name.clone(),
                        kind: FieldKind::Elem,
                        ty: t,
                        optional: p.optional,
                        many: p.many,
                        boxed: false,
                    });
                }
                PKind::Ref(q) => {
                    let t = self
                        .model
                        .elements
                        .get(q)
                        .with_context(|| format!("ref {}", q.1))?
                        .clone();
                    let m = self.module_of(&q.0)?;
                    let ty = self.type_ref(&t, &m, &q.1)?;
                    out.push(Field {
                        rust: snake(&q.1),
                        xml: q.clone(),
                        kind: FieldKind::Elem,
                        ty,
                        optional: p.optional,
                        many: p.many,
                        boxed: false,
                    });
                }
            }
        }
        Ok(())
    }

    fn emit_complex(
        &mut self,
        module: &str,
        name: &str,
        ct: &ComplexType,
        doc: &str,
    ) -> Result<()> {
        let key = format!("{module}::{name}");
        // Reserve the slot first so recursive references terminate.
        self.items.insert(
            key.clone(),
            Item::Alias {
                module: module.into(),
                name: name.into(),
                target: String::new(),
            },
        );
        let mut fields = Vec::new();
        self.collect_fields(module, name, ct, &mut fields, 0)?;
        // Unique field names (an attribute and an element may share a name).
        let mut seen = BTreeSet::new();
        for f in &mut fields {
            let mut n = f.rust.clone();
            if f.kind == FieldKind::Attr && seen.contains(&n) {
                n.push_str("_attr");
            }
            let mut i = 2;
            let base = n.clone();
            while !seen.insert(n.clone()) {
                n = format!("{base}{i}");
                i += 1;
            }
            f.rust = n;
        }
        self.items.insert(
            key,
            Item::Struct(Struct {
                module: module.into(),
                name: name.into(),
                doc: doc.into(),
                fields,
            }),
        );
        Ok(())
    }

    /// Boxes fields that would make a type contain itself.
    fn break_cycles(&mut self) {
        let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, it) in &self.items {
            if let Item::Struct(s) = it {
                let e = s
                    .fields
                    .iter()
                    .filter(|f| !f.many)
                    .filter_map(|f| f.ty.key.clone())
                    .collect();
                edges.insert(k.clone(), e);
            }
        }
        let reaches = |from: &str, to: &str| -> bool {
            let mut stack = vec![from.to_owned()];
            let mut seen = BTreeSet::new();
            while let Some(n) = stack.pop() {
                if n == to {
                    return true;
                }
                if seen.insert(n.clone())
                    && let Some(e) = edges.get(&n)
                {
                    stack.extend(e.iter().cloned());
                }
            }
            false
        };
        let mut to_box = Vec::new();
        for (k, it) in &self.items {
            if let Item::Struct(s) = it {
                for (i, f) in s.fields.iter().enumerate() {
                    if f.many {
                        continue;
                    }
                    if let Some(t) = &f.ty.key
                        && reaches(t, k)
                    {
                        to_box.push((k.clone(), i));
                    }
                }
            }
        }
        for (k, i) in to_box {
            if let Some(Item::Struct(s)) = self.items.get_mut(&k) {
                s.fields[i].boxed = true;
            }
        }
    }

    /// Renders all modules: file name -> contents.
    pub fn render(mut self, services: &[ServiceOps]) -> Result<BTreeMap<String, String>> {
        self.break_cycles();
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        let header = "// @generated by onvif-gen from the ONVIF WSDL/XSD in wsdl/. Do not edit by hand:\n// change onvif-gen or onvif-gen/onvif-gen.toml and regenerate (see docs/soap.md).\n";
        for it in self.items.values() {
            let (module, code) = match it {
                Item::Struct(s) => (s.module.clone(), self.render_struct(s)?),
                Item::Enum {
                    module,
                    name,
                    values,
                } => (module.clone(), render_enum(name, values)),
                Item::Alias {
                    module,
                    name,
                    target,
                } => {
                    if target.is_empty() {
                        continue;
                    }
                    (module.clone(), format!("pub type {name} = {target};\n"))
                }
            };
            let f = files.entry(format!("{module}.rs")).or_insert_with(|| {
                format!("{header}//! Types of namespace `{}`.\n#![allow(clippy::all, unused_imports, unused_mut, unused_variables, non_camel_case_types, non_snake_case)]\n\nuse crate::onvif::rt::{{self, FromXml, ToXml, XsValue, DeError}};\nuse crate::xml::{{Element, XmlWriter}};\n", self.cfg.namespaces.get(&module).cloned().unwrap_or_default())
            });
            f.push('\n');
            f.push_str(&code);
        }
        for (svc, ops) in services {
            files.insert(format!("{}.rs", svc.module), self.render_service(svc, ops)?);
        }
        // mod.rs
        let mut m = format!("{header}//! Generated ONVIF types and service dispatch.\n\n");
        let type_mods: Vec<String> = files
            .keys()
            .filter(|k| {
                !services
                    .iter()
                    .any(|(s, _)| format!("{}.rs", s.module) == **k)
            })
            .map(|k| k.trim_end_matches(".rs").to_owned())
            .collect();
        for k in files.keys() {
            let k = k.trim_end_matches(".rs");
            writeln!(m, "#[rustfmt::skip]\npub mod {k};").unwrap();
        }
        m.push_str("\n/// (prefix, namespace URI) of every module, declared on each response envelope.\npub const NAMESPACES: &[(&str, &str)] = &[\n");
        for k in &type_mods {
            writeln!(m, "    ({k:?}, {:?}),", self.cfg.namespaces[k]).unwrap();
        }
        m.push_str("];\n");
        files.insert("mod.rs".into(), m);
        Ok(files)
    }

    fn field_type(&self, f: &Field) -> String {
        let inner = if f.boxed {
            format!("Box<{}>", f.ty.path)
        } else {
            f.ty.path.clone()
        };
        if f.many {
            format!("Vec<{}>", f.ty.path)
        } else if f.optional {
            format!("Option<{inner}>")
        } else {
            inner
        }
    }

    fn render_struct(&self, s: &Struct) -> Result<String> {
        let mut o = String::new();
        writeln!(o, "/// `{}`", s.doc).unwrap();
        writeln!(
            o,
            "#[derive(Clone, Debug, Default, PartialEq)]\npub struct {} {{",
            s.name
        )
        .unwrap();
        for f in &s.fields {
            let what = match f.kind {
                FieldKind::Attr => format!("attribute `{}`", f.xml.1),
                FieldKind::AnyAttr => "xs:anyAttribute: undeclared attributes".into(),
                FieldKind::Elem => format!("element `{}`", self.prefixed(&f.xml)?),
                FieldKind::Any => "xs:any content".into(),
                FieldKind::Value => "simple content".into(),
                FieldKind::Text => "character data (mixed content)".into(),
            };
            writeln!(
                o,
                "    /// {what}\n    pub {}: {},",
                f.rust,
                self.field_type(f)
            )
            .unwrap();
        }
        o.push_str("}\n\n");
        // FromXml
        writeln!(o, "impl FromXml for {} {{\n    fn from_xml(el: &Element) -> Result<Self, DeError> {{\n        let mut out = Self::default();", s.name).unwrap();
        let required: Vec<&Field> = s
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Elem && !f.optional && !f.many)
            .collect();
        for (i, _) in required.iter().enumerate() {
            writeln!(o, "        let mut seen{i} = false;").unwrap();
        }
        for f in &s.fields {
            match f.kind {
                FieldKind::Attr => {
                    let get = if f.xml.0.is_empty() {
                        format!("el.attr({:?})", f.xml.1)
                    } else {
                        format!("el.attr_ns({:?}, {:?})", f.xml.0, f.xml.1)
                    };
                    if f.optional {
                        writeln!(o, "        if let Some(v) = {get} {{ out.{} = Some(XsValue::parse_xs(v)?); }}", f.rust).unwrap();
                    } else {
                        writeln!(o, "        out.{} = XsValue::parse_xs({get}.ok_or_else(|| DeError::missing({:?}))?)?;", f.rust, f.xml.1).unwrap();
                    }
                }
                FieldKind::Value => {
                    writeln!(o, "        out.value = XsValue::parse_xs(&el.text)?;").unwrap()
                }
                FieldKind::Text => {
                    writeln!(o, "        out.{} = el.text.clone();", f.rust).unwrap()
                }
                FieldKind::AnyAttr => {
                    let declared: Vec<String> = s
                        .fields
                        .iter()
                        .filter(|d| d.kind == FieldKind::Attr)
                        .map(|d| format!("({:?}, {:?})", d.xml.0, d.xml.1))
                        .collect();
                    writeln!(
                        o,
                        "        out.{} = rt::other_attributes(el, &[{}]);",
                        f.rust,
                        declared.join(", ")
                    )
                    .unwrap();
                }
                _ => {}
            }
        }
        let elems: Vec<&Field> = s
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Elem)
            .collect();
        let has_any = s.fields.iter().any(|f| f.kind == FieldKind::Any);
        if !elems.is_empty() || has_any {
            o.push_str("        for c in &el.children {\n            match (c.ns.as_deref().unwrap_or(\"\"), c.name.as_str()) {\n");
            for f in &elems {
                let read = if f.ty.simple {
                    "XsValue::parse_xs(&c.text)?".to_owned()
                } else {
                    "FromXml::from_xml(c)?".to_owned()
                };
                let assign = if f.many {
                    format!("out.{}.push({read})", f.rust)
                } else if f.optional {
                    if f.boxed {
                        format!("out.{} = Some(Box::new({read}))", f.rust)
                    } else {
                        format!("out.{} = Some({read})", f.rust)
                    }
                } else {
                    let i = required.iter().position(|r| std::ptr::eq(*r, *f)).unwrap();
                    if f.boxed {
                        format!("{{ out.{} = Box::new({read}); seen{i} = true; }}", f.rust)
                    } else {
                        format!("{{ out.{} = {read}; seen{i} = true; }}", f.rust)
                    }
                };
                writeln!(
                    o,
                    "                ({:?}, {:?}) => {assign},",
                    f.xml.0, f.xml.1
                )
                .unwrap();
            }
            if has_any {
                o.push_str("                _ => out.any.push(c.clone()),\n");
            } else {
                o.push_str("                _ => {} // unknown extension elements are tolerated\n");
            }
            o.push_str("            }\n        }\n");
        }
        for (i, f) in required.iter().enumerate() {
            writeln!(
                o,
                "        if !seen{i} {{ return Err(DeError::missing({:?})); }}",
                f.xml.1
            )
            .unwrap();
        }
        o.push_str("        Ok(out)\n    }\n}\n\n");
        // ToXml
        writeln!(o, "impl ToXml for {} {{\n    fn to_xml(&self, w: &mut XmlWriter, qname: &str) {{\n        w.open(qname);", s.name).unwrap();
        for f in s.fields.iter().filter(|f| f.kind == FieldKind::Attr) {
            let q = self.prefixed(&f.xml)?;
            if f.optional {
                writeln!(
                    o,
                    "        if let Some(v) = &self.{} {{ w.attr({q:?}, &v.to_xs()); }}",
                    f.rust
                )
                .unwrap();
            } else {
                writeln!(o, "        w.attr({q:?}, &self.{}.to_xs());", f.rust).unwrap();
            }
        }
        if let Some(f) = s.fields.iter().find(|f| f.kind == FieldKind::AnyAttr) {
            writeln!(
                o,
                "        rt::write_other_attributes(w, &self.{});",
                f.rust
            )
            .unwrap();
        }
        o.push_str("        w.close_start();\n");
        for f in &s.fields {
            match f.kind {
                FieldKind::Value => o.push_str("        w.text(&self.value.to_xs());\n"),
                FieldKind::Text => writeln!(o, "        w.text(&self.{});", f.rust).unwrap(),
                FieldKind::Any => o.push_str("        for a in &self.any { w.element(a); }\n"),
                FieldKind::Elem => {
                    let q = self.prefixed(&f.xml)?;
                    let write = |v: &str| {
                        if f.ty.simple {
                            format!("w.simple({q:?}, &{v}.to_xs())")
                        } else {
                            format!("{v}.to_xml(w, {q:?})")
                        }
                    };
                    if f.many {
                        writeln!(o, "        for v in &self.{} {{ {}; }}", f.rust, write("v"))
                            .unwrap();
                    } else if f.optional {
                        writeln!(
                            o,
                            "        if let Some(v) = &self.{} {{ {}; }}",
                            f.rust,
                            write("v")
                        )
                        .unwrap();
                    } else {
                        writeln!(o, "        {};", write(&format!("self.{}", f.rust))).unwrap();
                    }
                }
                FieldKind::Attr | FieldKind::AnyAttr => {}
            }
        }
        o.push_str("        w.end(qname);\n    }\n}\n");
        Ok(o)
    }

    fn render_service(
        &self,
        svc: &Service,
        ops: &[(crate::schema::Operation, Ty, Ty)],
    ) -> Result<String> {
        let mut o = String::new();
        writeln!(o, "// @generated by onvif-gen from the ONVIF WSDL/XSD in wsdl/. Do not edit by hand.\n//! The `{}` service: trait, operation table and dispatcher.\n#![allow(clippy::all, unused_imports)]\n\nuse crate::auth::access::AccessClass;\nuse crate::onvif::rt::{{self, FromXml, ToXml, Operation, RequestContext}};\nuse crate::soap::Fault;\nuse crate::xml::{{Element, XmlWriter}};\nuse std::future::Future;\n", svc.trait_name).unwrap();
        writeln!(
            o,
            "/// Namespace of the service's messages.\npub const NAMESPACE: &str = {:?};\n",
            svc.namespace
        )
        .unwrap();
        writeln!(o, "/// One entry per generated operation, sorted by name.\npub const OPERATIONS: &[Operation] = &[").unwrap();
        for (op, _, _) in ops {
            let class = svc
                .operations
                .get(&op.name)
                .map(String::as_str)
                .unwrap_or("");
            let class = access_variant(class)?;
            writeln!(o, "    Operation {{ name: {:?}, request: ({:?}, {:?}), action: {:?}, response_action: {:?}, access: AccessClass::{class} }},", op.name, op.input.0, op.input.1, op.action, op.response_action).unwrap();
        }
        o.push_str("];\n\n");
        o.push_str("/// The operation a request body element names (by namespace URI and local name), if this\n/// service has it.\npub fn operation(body: &Element) -> Option<&'static Operation> {\n    let ns = body.ns.as_deref()?;\n    OPERATIONS.iter().find(|o| o.request.0 == ns && o.request.1 == body.name)\n}\n\n");
        writeln!(o, "/// The `{}` operations. Each default answers `env:Receiver/ter:ActionNotSupported`.\npub trait {}: Send + Sync {{", svc.namespace, svc.trait_name).unwrap();
        for (op, i, r) in ops {
            writeln!(o, "    /// `{}`\n    fn {}(&self, ctx: &RequestContext, req: {}) -> impl Future<Output = Result<{}, Fault>> + Send {{\n        let _ = (ctx, req);\n        async {{ Err(Fault::action_not_supported()) }}\n    }}", op.name, snake(&op.name), i.path, r.path).unwrap();
        }
        o.push_str("}\n\n");
        writeln!(o, "/// Parses the request, calls the operation and writes the response element.\npub async fn dispatch<S: {} + ?Sized>(svc: &S, ctx: &RequestContext, op: &Operation, body: &Element) -> Result<String, Fault> {{\n    let mut w = XmlWriter::new();\n    match op.name {{", svc.trait_name).unwrap();
        for (op, _, _) in ops {
            let out_q = self.prefixed(&op.output)?;
            writeln!(o, "        {:?} => {{\n            let req = FromXml::from_xml(body).map_err(rt::fault_of)?;\n            let resp = svc.{}(ctx, req).await?;\n            resp.to_xml(&mut w, {out_q:?});\n        }}", op.name, snake(&op.name)).unwrap();
        }
        o.push_str("        _ => return Err(Fault::action_not_supported()),\n    }\n    Ok(w.into_string())\n}\n");
        writeln!(o, "\n/// An implementation of [`{t}`] as the endpoint routes to it (`rt::SoapService`).\npub struct Service<S>(pub S);\n\nimpl<S: {t} + 'static> rt::SoapService for Service<S> {{\n    fn namespace(&self) -> &'static str {{\n        NAMESPACE\n    }}\n    fn operation(&self, body: &Element) -> Option<&'static Operation> {{\n        operation(body)\n    }}\n    fn dispatch<'a>(&'a self, ctx: &'a RequestContext, op: &'static Operation, body: &'a Element) -> rt::BoxFuture<'a, Result<String, Fault>> {{\n        Box::pin(dispatch(&self.0, ctx, op, body))\n    }}\n}}", t = svc.trait_name).unwrap();
        Ok(o)
    }
}

fn access_variant(class: &str) -> Result<&'static str> {
    Ok(match class {
        "PRE_AUTH" => "PreAuth",
        "READ_SYSTEM" => "ReadSystem",
        "READ_SYSTEM_SENSITIVE" => "ReadSystemSensitive",
        "READ_SYSTEM_SECRET" => "ReadSystemSecret",
        "WRITE_SYSTEM" => "WriteSystem",
        "UNRECOVERABLE" => "Unrecoverable",
        "READ_MEDIA" => "ReadMedia",
        "ACTUATE" => "Actuate",
        "" => "Unclassified",
        other => bail!("unknown access class {other}"),
    })
}

fn render_enum(name: &str, values: &[String]) -> String {
    let mut used = BTreeSet::new();
    let vs: Vec<(String, &String)> = values
        .iter()
        .map(|v| (variant_ident(v, &mut used), v))
        .collect();
    let mut o = String::new();
    writeln!(
        o,
        "#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]\npub enum {name} {{"
    )
    .unwrap();
    for (i, (v, raw)) in vs.iter().enumerate() {
        if i == 0 {
            o.push_str("    #[default]\n");
        }
        writeln!(o, "    /// `{raw}`\n    {v},").unwrap();
    }
    o.push_str("}\n\n");
    writeln!(o, "impl XsValue for {name} {{\n    fn parse_xs(s: &str) -> Result<Self, DeError> {{\n        match rt::collapse(s) {{").unwrap();
    for (v, raw) in &vs {
        writeln!(o, "            {raw:?} => Ok(Self::{v}),").unwrap();
    }
    writeln!(o, "            _ => Err(DeError::value({name:?}, s)),\n        }}\n    }}\n    fn to_xs(&self) -> std::borrow::Cow<'_, str> {{\n        match self {{").unwrap();
    for (v, raw) in &vs {
        writeln!(o, "            Self::{v} => {raw:?}.into(),").unwrap();
    }
    o.push_str("        }\n    }\n}\n");
    o
}
