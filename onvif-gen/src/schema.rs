//! The subset of XML Schema 1.0 and WSDL 1.1 the ONVIF files use, loaded into a small model:
//! imports and includes (followed by schemaLocation, relative to the importing file), named
//! and anonymous complex types with sequence/choice/all, complexContent extension and
//! restriction, simpleContent, attributes (including `ref`), anyAttribute, xs:any, simple-type
//! restrictions with enumerations, lists and unions; WSDL messages, port types, SOAP 1.2
//! bindings and `wsdl:import`.

use crate::xmltree::{self, Node};
use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub const XS: &str = "http://www.w3.org/2001/XMLSchema";
pub const WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
pub const SOAP12: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";

pub type QName = (String, String);

#[derive(Clone, Debug)]
pub enum TypeRef {
    Named(QName),
    Complex(Box<ComplexType>),
    Simple(Box<SimpleType>),
}

#[derive(Clone, Debug, Default)]
pub struct ComplexType {
    /// complexContent extension base (its content comes first), or simpleContent base.
    pub base: Option<QName>,
    /// True when `base` is a simpleContent base: the element has a text value of that type.
    pub simple_content: bool,
    pub particles: Vec<Particle>,
    pub attrs: Vec<AttrDecl>,
    pub any_attr: bool,
    /// `mixed="true"`: character data between the children (e.g. wsnt:TopicExpressionType,
    /// whose value is the topic expression text).
    pub mixed: bool,
}

#[derive(Clone, Debug)]
pub struct Particle {
    pub kind: PKind,
    pub optional: bool,
    pub many: bool,
}

#[derive(Clone, Debug)]
pub enum PKind {
    Element { name: QName, ty: TypeRef },
    Ref(QName),
    Any,
}

#[derive(Clone, Debug)]
pub struct AttrDecl {
    /// Namespace is empty for unqualified (local) attributes.
    pub name: QName,
    pub ty: TypeRef,
    pub required: bool,
}

#[derive(Clone, Debug)]
pub enum SimpleType {
    Restriction { base: QName, enums: Vec<String> },
    List { item: TypeRef },
    Union,
}

#[derive(Clone, Debug)]
pub struct Operation {
    pub name: String,
    pub input: QName,
    pub output: QName,
    pub action: String,
    pub response_action: String,
}

#[derive(Default)]
pub struct Model {
    pub complex: BTreeMap<QName, ComplexType>,
    pub simple: BTreeMap<QName, SimpleType>,
    pub elements: BTreeMap<QName, TypeRef>,
    pub attributes: BTreeMap<QName, TypeRef>,
    /// WSDL operations by (portType namespace, operation name).
    pub operations: BTreeMap<QName, Operation>,
    /// WSDL operations by (portType namespace, portType name, operation name): one WSDL can
    /// have an operation of the same name in several port types (event.wsdl: `Unsubscribe`
    /// of PullPointSubscription and of the WS-BaseNotification SubscriptionManager).
    pub port_operations: BTreeMap<(String, String, String), Operation>,
    /// WSDL messages by QName -> the element of their (single) part.
    messages: BTreeMap<QName, QName>,
    loaded: BTreeSet<PathBuf>,
}

struct Ctx<'a> {
    tns: &'a str,
    qualified: bool,
}

impl Model {
    /// Loads a WSDL file and everything it imports.
    pub fn load_wsdl(&mut self, path: &Path) -> Result<()> {
        let path = path
            .canonicalize()
            .with_context(|| path.display().to_string())?;
        if !self.loaded.insert(path.clone()) {
            return Ok(());
        }
        let text = std::fs::read_to_string(&path)?;
        let root = xmltree::parse(&text).with_context(|| path.display().to_string())?;
        let dir = path.parent().unwrap().to_path_buf();
        let tns = root.attr("targetNamespace").unwrap_or("").to_owned();
        for imp in root.kids(WSDL, "import") {
            if let Some(loc) = imp.attr("location") {
                self.load_wsdl(&dir.join(loc))?;
            }
        }
        if let Some(types) = root.kid(WSDL, "types") {
            for s in types.kids(XS, "schema") {
                self.load_schema_node(s, &dir)?;
            }
        }
        for m in root.kids(WSDL, "message") {
            if let Some(part) = m.kid(WSDL, "part")
                && let Some(el) = part.attr("element")
            {
                let key = (tns.clone(), m.attr("name").unwrap().to_owned());
                self.messages.insert(key, part.qname(el)?);
            }
        }
        // Actions by (bound portType's local name, operation name): several bindings of one
        // file may bind operations of the same name with different actions.
        let mut actions: BTreeMap<(String, String), String> = BTreeMap::new();
        for b in root.kids(WSDL, "binding") {
            let pt = b
                .attr("type")
                .map(|t| t.rsplit(':').next().unwrap_or(t).to_owned())
                .unwrap_or_default();
            for op in b.kids(WSDL, "operation") {
                if let Some(a) = op
                    .kid(SOAP12, "operation")
                    .and_then(|o| o.attr("soapAction"))
                {
                    let name = op.attr("name").unwrap().to_owned();
                    actions.insert((pt.clone(), name), a.to_owned());
                }
            }
        }
        for pt in root.kids(WSDL, "portType") {
            let pt_name = pt.attr("name").unwrap();
            for op in pt.kids(WSDL, "operation") {
                let name = op.attr("name").unwrap().to_owned();
                let msg = |dir: &str| -> Result<Option<QName>> {
                    let Some(n) = op.kid(WSDL, dir) else {
                        return Ok(None);
                    };
                    let q = n.qname(n.attr("message").unwrap())?;
                    Ok(self.messages.get(&q).cloned())
                };
                let (Some(input), Some(output)) = (msg("input")?, msg("output")?) else {
                    continue;
                };
                let action = actions
                    .get(&(pt_name.to_owned(), name.clone()))
                    .cloned()
                    .unwrap_or_else(|| format!("{tns}/{pt_name}/{name}Request"));
                // WSDL 1.1 default action pattern (WS-Addressing 1.0 Metadata s.4.4.4).
                let response_action = format!("{tns}/{pt_name}/{name}Response");
                let op = Operation {
                    name: name.clone(),
                    input,
                    output,
                    action,
                    response_action,
                };
                self.port_operations
                    .insert((tns.clone(), pt_name.to_owned(), name.clone()), op.clone());
                self.operations.insert((tns.clone(), name), op);
            }
        }
        Ok(())
    }

    fn load_schema_file(&mut self, path: &Path) -> Result<()> {
        let Ok(path) = path.canonicalize() else {
            // Some imports name a namespace whose file is not shipped; nothing reachable needs it.
            return Ok(());
        };
        if !self.loaded.insert(path.clone()) {
            return Ok(());
        }
        let text = std::fs::read_to_string(&path)?;
        let root = xmltree::parse(&text).with_context(|| path.display().to_string())?;
        if root.ns != XS || root.name != "schema" {
            return Ok(());
        }
        self.load_schema_node(&root, path.parent().unwrap())
    }

    fn load_schema_node(&mut self, s: &Node, dir: &Path) -> Result<()> {
        let tns = s.attr("targetNamespace").unwrap_or("").to_owned();
        let ctx = Ctx {
            tns: &tns,
            qualified: s.attr("elementFormDefault") == Some("qualified"),
        };
        for c in &s.children {
            if c.ns != XS {
                continue;
            }
            let name = || (tns.clone(), c.attr("name").unwrap_or("").to_owned());
            match c.name.as_str() {
                "import" | "include" => {
                    if let Some(loc) = c.attr("schemaLocation") {
                        self.load_schema_file(&dir.join(loc))?;
                    }
                }
                "complexType" => {
                    let ct = complex(c, &ctx)?;
                    self.complex.insert(name(), ct);
                }
                "simpleType" => {
                    let st = simple(c)?;
                    self.simple.insert(name(), st);
                }
                "element" => {
                    let ty = element_type(c, &ctx)?;
                    self.elements.insert(name(), ty);
                }
                "attribute" => {
                    let ty = attr_type(c)?;
                    self.attributes.insert(name(), ty);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn occurs(n: &Node) -> (bool, bool) {
    let optional = n.attr("minOccurs") == Some("0");
    let many = matches!(n.attr("maxOccurs"), Some(m) if m != "1" && m != "0");
    (optional, many)
}

fn element_type(n: &Node, ctx: &Ctx) -> Result<TypeRef> {
    if let Some(t) = n.attr("type") {
        return Ok(TypeRef::Named(n.qname(t)?));
    }
    if let Some(ct) = n.kid(XS, "complexType") {
        return Ok(TypeRef::Complex(Box::new(complex(ct, ctx)?)));
    }
    if let Some(st) = n.kid(XS, "simpleType") {
        return Ok(TypeRef::Simple(Box::new(simple(st)?)));
    }
    Ok(TypeRef::Named((XS.into(), "anyType".into())))
}

fn attr_type(n: &Node) -> Result<TypeRef> {
    if let Some(t) = n.attr("type") {
        return Ok(TypeRef::Named(n.qname(t)?));
    }
    if let Some(st) = n.kid(XS, "simpleType") {
        return Ok(TypeRef::Simple(Box::new(simple(st)?)));
    }
    Ok(TypeRef::Named((XS.into(), "string".into())))
}

fn simple(n: &Node) -> Result<SimpleType> {
    if let Some(r) = n.kid(XS, "restriction") {
        let base = match r.attr("base") {
            Some(b) => r.qname(b)?,
            None => (XS.into(), "string".into()),
        };
        let enums = r
            .kids(XS, "enumeration")
            .filter_map(|e| e.attr("value").map(str::to_owned))
            .collect();
        return Ok(SimpleType::Restriction { base, enums });
    }
    if let Some(l) = n.kid(XS, "list") {
        let item = match (l.attr("itemType"), l.kid(XS, "simpleType")) {
            (Some(t), _) => TypeRef::Named(l.qname(t)?),
            (None, Some(st)) => TypeRef::Simple(Box::new(simple(st)?)),
            _ => bail!("list without item type"),
        };
        return Ok(SimpleType::List { item });
    }
    Ok(SimpleType::Union)
}

fn complex(n: &Node, ctx: &Ctx) -> Result<ComplexType> {
    let mut ct = ComplexType {
        mixed: n.attr("mixed") == Some("true"),
        ..ComplexType::default()
    };
    let mut body = n;
    if let Some(cc) = n.kid(XS, "complexContent") {
        ct.mixed |= cc.attr("mixed") == Some("true");
        if let Some(ext) = cc.kid(XS, "extension") {
            ct.base = Some(ext.qname(ext.attr("base").unwrap())?);
            body = ext;
        } else if let Some(res) = cc.kid(XS, "restriction") {
            // A restriction redeclares the content it keeps; the base adds nothing.
            body = res;
        }
    } else if let Some(sc) = n.kid(XS, "simpleContent") {
        let d = sc
            .kid(XS, "extension")
            .or_else(|| sc.kid(XS, "restriction"))
            .context("simpleContent")?;
        ct.base = Some(d.qname(d.attr("base").unwrap())?);
        ct.simple_content = true;
        body = d;
    }
    for c in &body.children {
        if c.ns != XS {
            continue;
        }
        match c.name.as_str() {
            "sequence" | "choice" | "all" => particles(c, ctx, false, false, &mut ct.particles)?,
            "attribute" => attribute(c, ctx, &mut ct.attrs)?,
            "anyAttribute" => ct.any_attr = true,
            _ => {}
        }
    }
    Ok(ct)
}

fn attribute(c: &Node, _ctx: &Ctx, out: &mut Vec<AttrDecl>) -> Result<()> {
    if c.attr("use") == Some("prohibited") {
        return Ok(());
    }
    let required = c.attr("use") == Some("required");
    if let Some(r) = c.attr("ref") {
        let q = c.qname(r)?;
        out.push(AttrDecl {
            name: q.clone(),
            // Resolved against the top-level attribute declarations when emitting.
            ty: TypeRef::Named((XS.into(), "string".into())),
            required,
        });
    } else {
        out.push(AttrDecl {
            name: (
                String::new(),
                c.attr("name").context("attribute name")?.to_owned(),
            ),
            ty: attr_type(c)?,
            required,
        });
    }
    Ok(())
}

/// Flattens a model group into particles. Members of a choice become optional; members of a
/// repeated group become repeated.
fn particles(g: &Node, ctx: &Ctx, opt: bool, many: bool, out: &mut Vec<Particle>) -> Result<()> {
    let (o, m) = occurs(g);
    let opt = opt || o || g.name == "choice";
    let many = many || m;
    for c in &g.children {
        if c.ns != XS {
            continue;
        }
        let (co, cm) = occurs(c);
        match c.name.as_str() {
            "element" => {
                let kind = if let Some(r) = c.attr("ref") {
                    PKind::Ref(c.qname(r)?)
                } else {
                    let qualified = match c.attr("form") {
                        Some(f) => f == "qualified",
                        None => ctx.qualified,
                    };
                    let ns = if qualified {
                        ctx.tns.to_owned()
                    } else {
                        String::new()
                    };
                    PKind::Element {
                        name: (ns, c.attr("name").context("element name")?.to_owned()),
                        ty: element_type(c, ctx)?,
                    }
                };
                out.push(Particle {
                    kind,
                    optional: opt || co,
                    many: many || cm,
                });
            }
            "any" => out.push(Particle {
                kind: PKind::Any,
                optional: true,
                many: true,
            }),
            "sequence" | "choice" | "all" => particles(c, ctx, opt, many, out)?,
            _ => {}
        }
    }
    Ok(())
}
