//! A bounded XML element tree with names resolved to namespace URIs.
//!
//! Why a tree and not streaming deserialization: requests are capped at
//! [`MAX_BODY_BYTES`](crate::soap::limits::MAX_BODY_BYTES), the envelope needs two looks at the
//! headers (security before dispatch) and the body (access class before parsing the
//! operation), and matching children by (namespace URI, local name) in any order with unknown
//! extension elements skipped is simplest on a tree. Prefixes are resolved while reading and
//! then forgotten, so nothing downstream can match by prefix by mistake.
//!
//! Hostile input: DOCTYPE (and so every entity definition: billion laughs, quadratic blowup,
//! XXE) and processing instructions are refused outright; only the five predefined entities
//! and character references are expanded; depth, element count and attribute count are
//! bounded (see [`limits`](super::limits)).

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use super::limits::{MAX_ATTRIBUTES, MAX_DEPTH, MAX_ELEMENTS};

/// An element: namespace URI (None when unqualified), local name, attributes, child elements
/// and the concatenation of its character data. Equality ignores `ns_decls`: prefixes are
/// lexical, not part of the information the element carries.
#[derive(Clone, Debug, Default)]
pub struct Element {
    pub ns: Option<String>,
    pub name: String,
    pub(crate) attrs: Vec<Attribute>,
    pub children: Vec<Element>,
    pub text: String,
    /// Namespace declarations made on this element, (prefix, URI), "" for the default
    /// namespace. Kept for values of type xs:QName (e.g. event topics), whose prefixes refer
    /// to the declarations in scope.
    pub ns_decls: Vec<(String, String)>,
}

impl PartialEq for Element {
    fn eq(&self, o: &Self) -> bool {
        self.ns == o.ns
            && self.name == o.name
            && self.attrs == o.attrs
            && self.text == o.text
            && self.children == o.children
    }
}

impl Eq for Element {}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    pub(crate) ns: Option<String>,
    pub(crate) name: String,
    pub(crate) value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("not well-formed: {0}")]
    Syntax(String),
    #[error("document is not UTF-8")]
    NotUtf8,
    #[error("DOCTYPE is not allowed")]
    DocType,
    #[error("processing instructions are not allowed")]
    ProcessingInstruction,
    #[error("undefined entity &{0};")]
    UnknownEntity(String),
    #[error("unbound namespace prefix")]
    UnboundPrefix,
    #[error("nesting deeper than {MAX_DEPTH}")]
    TooDeep,
    #[error("more than {MAX_ELEMENTS} elements")]
    TooManyElements,
    #[error("more than {MAX_ATTRIBUTES} attributes on an element")]
    TooManyAttributes,
    #[error("no root element")]
    NoRoot,
    #[error("content after the root element")]
    TrailingContent,
    #[error("unsupported encoding {0}")]
    Encoding(String),
}

impl Element {
    pub(crate) fn new(ns: Option<&str>, name: &str) -> Self {
        Element {
            ns: ns.map(str::to_owned),
            name: name.to_owned(),
            ..Default::default()
        }
    }

    /// True if this element is `{ns}name`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.name == name && self.ns.as_deref() == Some(ns)
    }

    /// The first child `{ns}name`.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// All children `{ns}name`, in document order.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// An unqualified attribute (the form ONVIF schemas use: attributeFormDefault unqualified).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// A namespace-qualified attribute.
    pub fn attr_ns(&self, ns: &str, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.as_deref() == Some(ns) && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// Character data with XML whitespace trimmed (for non-string simple types).
    pub(crate) fn trimmed_text(&self) -> &str {
        self.text
            .trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
    }
}

/// Parses a whole document. A UTF-8 byte-order mark is skipped; other encodings are refused
/// (SOAP 1.2 allows UTF-16 too, but no ONVIF client sends it).
pub fn parse(input: &[u8]) -> Result<Element, XmlError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let text = std::str::from_utf8(input).map_err(|_| XmlError::NotUtf8)?;
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    reader.config_mut().check_comments = true;

    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    let mut first = true;
    loop {
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| XmlError::Syntax(e.to_string()))?;
        let ns = match resolved {
            ResolveResult::Bound(ns) => Some(
                std::str::from_utf8(ns.into_inner())
                    .map_err(|_| XmlError::NotUtf8)?
                    .to_owned(),
            ),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(_) => return Err(XmlError::UnboundPrefix),
        };
        let was_first = std::mem::replace(&mut first, false);
        match event {
            Event::Decl(d) => {
                if !was_first {
                    return Err(XmlError::Syntax("misplaced XML declaration".into()));
                }
                if let Some(Ok(enc)) = d.encoding() {
                    let enc = String::from_utf8_lossy(&enc).to_ascii_lowercase();
                    if enc != "utf-8" && enc != "utf8" {
                        return Err(XmlError::Encoding(enc));
                    }
                }
            }
            Event::DocType(_) => return Err(XmlError::DocType),
            Event::PI(_) => return Err(XmlError::ProcessingInstruction),
            Event::Comment(_) => {}
            Event::Start(ref s) | Event::Empty(ref s) => {
                if root.is_some() {
                    return Err(XmlError::TrailingContent);
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(XmlError::TooManyElements);
                }
                let el = start_element(&reader, s, ns)?;
                if matches!(event, Event::Start(_)) {
                    stack.push(el);
                } else {
                    close(&mut stack, &mut root, el);
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| XmlError::Syntax("unmatched end tag".into()))?;
                close(&mut stack, &mut root, el);
            }
            Event::Text(t) => {
                let s = t
                    .xml10_content()
                    .map_err(|e| XmlError::Syntax(e.to_string()))?;
                push_text(&mut stack, &s)?;
            }
            Event::CData(c) => {
                let s = std::str::from_utf8(&c).map_err(|_| XmlError::NotUtf8)?;
                push_text(&mut stack, s)?;
            }
            Event::GeneralRef(r) => {
                let ch = r
                    .resolve_char_ref()
                    .map_err(|e| XmlError::Syntax(e.to_string()))?;
                let name = r.decode().map_err(|e| XmlError::Syntax(e.to_string()))?;
                let s: String = match ch {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| XmlError::UnknownEntity(truncate(&name, 32)))?
                        .to_owned(),
                };
                push_text(&mut stack, &s)?;
            }
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Syntax("unclosed element".into()));
    }
    root.ok_or(XmlError::NoRoot)
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn close(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

fn push_text(stack: &mut [Element], s: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(el) => {
            el.text.push_str(s);
            Ok(())
        }
        // Outside the root only whitespace may appear.
        None if s.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n')) => Ok(()),
        None => Err(XmlError::TrailingContent),
    }
}

fn start_element(
    reader: &NsReader<&[u8]>,
    s: &BytesStart<'_>,
    ns: Option<String>,
) -> Result<Element, XmlError> {
    let name = std::str::from_utf8(s.local_name().into_inner())
        .map_err(|_| XmlError::NotUtf8)?
        .to_owned();
    let mut el = Element {
        ns,
        name,
        ..Default::default()
    };
    for (i, a) in s.attributes().enumerate() {
        if i >= MAX_ATTRIBUTES {
            return Err(XmlError::TooManyAttributes);
        }
        let a = a.map_err(|e| XmlError::Syntax(e.to_string()))?;
        let key = std::str::from_utf8(a.key.as_ref()).map_err(|_| XmlError::NotUtf8)?;
        let value =
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| match e {
                    quick_xml::Error::Escape(
                        quick_xml::escape::EscapeError::UnrecognizedEntity(_, n),
                    ) => XmlError::UnknownEntity(truncate(&n, 32)),
                    e => XmlError::Syntax(e.to_string()),
                })?
                .into_owned();
        if key == "xmlns" {
            el.ns_decls.push((String::new(), value));
            continue;
        }
        if let Some(prefix) = key.strip_prefix("xmlns:") {
            el.ns_decls.push((prefix.to_owned(), value));
            continue;
        }
        let (res, local) = reader.resolver().resolve_attribute(a.key);
        let ans = match res {
            ResolveResult::Bound(n) => Some(
                std::str::from_utf8(n.into_inner())
                    .map_err(|_| XmlError::NotUtf8)?
                    .to_owned(),
            ),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(_) => return Err(XmlError::UnboundPrefix),
        };
        el.attrs.push(Attribute {
            ns: ans,
            name: std::str::from_utf8(local.into_inner())
                .map_err(|_| XmlError::NotUtf8)?
                .to_owned(),
            value,
        });
    }
    Ok(el)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_namespaces_not_prefixes() {
        let a = parse(
            br#"<?xml version="1.0"?><a:x xmlns:a="urn:n"><a:y k="1">t&amp;u&#65;</a:y></a:x>"#,
        )
        .unwrap();
        let b = parse(br#"<x xmlns="urn:n"><y k="1"><![CDATA[t&u]]>A</y></x>"#).unwrap();
        assert!(a.is("urn:n", "x") && b.is("urn:n", "x"));
        assert_eq!(a.child("urn:n", "y").unwrap().text, "t&uA");
        assert_eq!(b.child("urn:n", "y").unwrap().text, "t&uA");
        assert_eq!(a.child("urn:n", "y").unwrap().attr("k"), Some("1"));
    }

    #[test]
    fn refuses_hostile_constructs() {
        let cases: &[(&[u8], XmlError)] = &[
            (
                b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>",
                XmlError::DocType,
            ),
            (b"<?pi x?><x/>", XmlError::ProcessingInstruction),
            (b"<x>&ext;</x>", XmlError::UnknownEntity("ext".into())),
            (b"<x/><y/>", XmlError::TrailingContent),
            (b"<x/>junk", XmlError::TrailingContent),
            (b"<p:x/>", XmlError::UnboundPrefix),
            (b"", XmlError::NoRoot),
            (b"\xff\xfe<\x00", XmlError::NotUtf8),
            (
                b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><x/>",
                XmlError::Encoding("iso-8859-1".into()),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse(input).unwrap_err(),
                *want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        let deep = "<a>".repeat(10_000) + &"</a>".repeat(10_000);
        assert_eq!(parse(deep.as_bytes()).unwrap_err(), XmlError::TooDeep);
        let many = format!("<r>{}</r>", "<a/>".repeat(MAX_ELEMENTS + 1));
        assert_eq!(
            parse(many.as_bytes()).unwrap_err(),
            XmlError::TooManyElements
        );
        let attrs: String = (0..100).map(|i| format!(" a{i}=\"\"")).collect();
        assert_eq!(
            parse(format!("<r{attrs}/>").as_bytes()).unwrap_err(),
            XmlError::TooManyAttributes
        );
        assert!(matches!(parse(b"<a><b></a></b>"), Err(XmlError::Syntax(_))));
        assert!(matches!(
            parse(b"<a x=\"1\" x=\"2\"/>"),
            Err(XmlError::Syntax(_))
        ));
    }
}
