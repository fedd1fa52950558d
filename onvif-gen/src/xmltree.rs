//! A plain element tree for reading WSDL/XSD files (trusted input from `wsdl/`), with element
//! names resolved to namespace URIs and each element's in-scope prefix bindings kept, because
//! XSD attribute values such as `type="tt:Name"` are QNames resolved against them.

use anyhow::{Context, Result, bail};
use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Debug)]
pub struct Node {
    pub ns: String,
    pub name: String,
    pub attrs: BTreeMap<String, String>,
    pub children: Vec<Node>,
    /// prefix -> URI in scope ("" is the default namespace).
    pub scope: Rc<BTreeMap<String, String>>,
}

impl Node {
    pub fn attr(&self, k: &str) -> Option<&str> {
        self.attrs.get(k).map(String::as_str)
    }
    pub fn kids<'a>(&'a self, ns: &'a str, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children
            .iter()
            .filter(move |c| c.ns == ns && c.name == name)
    }
    pub fn kid(&self, ns: &str, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.ns == ns && c.name == name)
    }
    /// Resolves a QName-valued attribute to (namespace URI, local name).
    pub fn qname(&self, value: &str) -> Result<(String, String)> {
        let (p, l) = match value.split_once(':') {
            Some((p, l)) => (p, l),
            None => ("", value),
        };
        if p == "xml" {
            return Ok((
                "http://www.w3.org/XML/1998/namespace".to_owned(),
                l.to_owned(),
            ));
        }
        match self.scope.get(p) {
            Some(u) => Ok((u.clone(), l.to_owned())),
            None if p.is_empty() => Ok((String::new(), l.to_owned())),
            None => bail!("unbound prefix in {value}"),
        }
    }
}

pub fn parse(text: &str) -> Result<Node> {
    let mut r = NsReader::from_str(text);
    r.config_mut().trim_text(true);
    let mut stack: Vec<Node> = Vec::new();
    let mut scopes: Vec<Rc<BTreeMap<String, String>>> = vec![Rc::new(BTreeMap::new())];
    loop {
        let (res, ev) = r.read_resolved_event().context("xml")?;
        let ns = match res {
            ResolveResult::Bound(n) => String::from_utf8_lossy(n.into_inner()).into_owned(),
            _ => String::new(),
        };
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                let mut scope = (**scopes.last().unwrap()).clone();
                let mut attrs = BTreeMap::new();
                for a in s.attributes() {
                    let a = a?;
                    let k = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)?
                        .into_owned();
                    if k == "xmlns" {
                        scope.insert(String::new(), v);
                    } else if let Some(p) = k.strip_prefix("xmlns:") {
                        scope.insert(p.to_owned(), v);
                    } else {
                        attrs.insert(k, v);
                    }
                }
                let scope = Rc::new(scope);
                let node = Node {
                    ns,
                    name: String::from_utf8_lossy(s.local_name().into_inner()).into_owned(),
                    attrs,
                    children: Vec::new(),
                    scope: scope.clone(),
                };
                if matches!(ev, Event::Start(_)) {
                    stack.push(node);
                    scopes.push(scope);
                } else if let Some(p) = stack.last_mut() {
                    p.children.push(node);
                } else {
                    return Ok(node);
                }
            }
            Event::End(_) => {
                scopes.pop();
                let n = stack.pop().context("unbalanced")?;
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => return Ok(n),
                }
            }
            Event::Eof => bail!("no root"),
            _ => {}
        }
    }
}
