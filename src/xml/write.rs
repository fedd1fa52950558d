//! A minimal XML writer for responses. Element names are written as `prefix:local` with
//! prefixes from [`crate::soap::ns::PREFIXES`], all declared once on the envelope, so every
//! prefix in a response is declared (strict parsers such as Unifi Protect's check this).

use super::Element;

/// The XML namespace, bound to `xml` everywhere and never declared.
pub(crate) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

#[derive(Default)]
pub struct XmlWriter {
    buf: String,
    /// Elements opened and not yet ended (an element counts from [`open`](Self::open)).
    depth: usize,
    /// Namespace bindings in scope: (depth of the element that declared them, prefix, URI).
    /// Depth 0: bindings declared outside this writer's output (see [`in_scope`](Self::in_scope)).
    scope: Vec<(usize, String, String)>,
}

impl XmlWriter {
    pub fn new() -> Self {
        XmlWriter {
            buf: String::with_capacity(2048),
            ..Default::default()
        }
    }

    /// Records that `prefix` is bound to `uri` around everything this writer writes (e.g. on
    /// the envelope), so [`attr_ns`](Self::attr_ns) uses it instead of declaring its own.
    #[cfg(test)]
    pub(crate) fn in_scope(&mut self, prefix: &str, uri: &str) {
        self.scope.push((0, prefix.to_owned(), uri.to_owned()));
    }

    pub fn into_string(self) -> String {
        self.buf
    }

    pub fn as_str(&self) -> &str {
        &self.buf
    }

    /// Appends already well-formed markup (used for the envelope frame).
    pub fn raw(&mut self, s: &str) {
        self.buf.push_str(s);
    }

    /// `<qname` — follow with [`attr`](Self::attr) calls and then
    /// [`close_start`](Self::close_start).
    pub(crate) fn open(&mut self, qname: &str) {
        self.depth += 1;
        self.buf.push('<');
        self.buf.push_str(qname);
    }

    /// A namespace-qualified attribute of the element just opened, written with a prefix bound
    /// to `ns` in scope; if there is none, `xmlns:nsN` is declared on this element (and is in
    /// scope for its content). An empty `ns` writes an unqualified attribute.
    pub(crate) fn attr_ns(&mut self, ns: &str, local: &str, value: &str) {
        if ns.is_empty() {
            return self.attr(local, value);
        }
        if ns == XML_NS {
            return self.attr(&format!("xml:{local}"), value);
        }
        // Innermost binding first; a prefix rebound further in shadows the outer one.
        let bound = self.scope.iter().rev().find(|(_, p, _)| {
            self.scope
                .iter()
                .rev()
                .find(|(_, q, _)| q == p)
                .is_some_and(|(_, _, u)| u == ns)
        });
        let prefix = match bound {
            Some((_, p, _)) => p.clone(),
            None => {
                let mut i = self.scope.len();
                while self.scope.iter().any(|(_, p, _)| *p == format!("ns{i}")) {
                    i += 1;
                }
                let p = format!("ns{i}");
                self.attr(&format!("xmlns:{p}"), ns);
                self.scope.push((self.depth, p.clone(), ns.to_owned()));
                p
            }
        };
        self.attr(&format!("{prefix}:{local}"), value);
    }

    /// Leaves the element at the current depth: its namespace declarations go out of scope.
    fn leave(&mut self) {
        while self
            .scope
            .last()
            .is_some_and(|(d, _, _)| *d == self.depth && *d > 0)
        {
            self.scope.pop();
        }
        self.depth = self.depth.saturating_sub(1);
    }

    pub(crate) fn attr(&mut self, qname: &str, value: &str) {
        self.buf.push(' ');
        self.buf.push_str(qname);
        self.buf.push_str("=\"");
        escape_into(&mut self.buf, value, true);
        self.buf.push('"');
    }

    pub(crate) fn close_start(&mut self) {
        self.buf.push('>');
    }

    pub(crate) fn close_empty(&mut self) {
        self.buf.push_str("/>");
        self.leave();
    }

    pub(crate) fn end(&mut self, qname: &str) {
        self.buf.push_str("</");
        self.buf.push_str(qname);
        self.buf.push('>');
        self.leave();
    }

    pub(crate) fn text(&mut self, s: &str) {
        escape_into(&mut self.buf, s, false);
    }

    /// `<qname>text</qname>`.
    pub(crate) fn simple(&mut self, qname: &str, text: &str) {
        self.open(qname);
        self.close_start();
        self.text(text);
        self.end(qname);
    }

    /// Writes a captured element (xs:any content) with its own namespace declarations, using
    /// generated prefixes `n0`, `n1`... declared on the element itself.
    pub(crate) fn element(&mut self, el: &Element) {
        let mut decls: Vec<&str> = Vec::new();
        self.element_inner(el, &mut decls);
    }

    fn element_inner<'a>(&mut self, el: &'a Element, scope: &mut Vec<&'a str>) {
        let depth = scope.len();
        let mut new_decls = Vec::new();
        let prefix_of = |scope: &mut Vec<&'a str>, new: &mut Vec<usize>, ns: &'a str| -> usize {
            match scope.iter().position(|s| *s == ns) {
                Some(i) => i,
                None => {
                    scope.push(ns);
                    new.push(scope.len() - 1);
                    scope.len() - 1
                }
            }
        };
        let name = match &el.ns {
            Some(ns) => format!("n{}:{}", prefix_of(scope, &mut new_decls, ns), el.name),
            None => el.name.clone(),
        };
        let attrs: Vec<(String, &str)> = el
            .attrs
            .iter()
            .map(|a| match &a.ns {
                Some(ns) => (
                    format!("n{}:{}", prefix_of(scope, &mut new_decls, ns), a.name),
                    a.value.as_str(),
                ),
                None => (a.name.clone(), a.value.as_str()),
            })
            .collect();
        self.open(&name);
        for i in &new_decls {
            self.attr(&format!("xmlns:n{i}"), scope[*i]);
        }
        // The element's own declarations too: values of type xs:QName in its text or
        // attributes (event topics, `Type="xs:boolean"`) refer to them. Prefixes of the form
        // used above (`nN`) and the default namespace are left out so nothing is declared twice.
        for (p, u) in &el.ns_decls {
            let generated = p
                .strip_prefix('n')
                .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()));
            if !p.is_empty() && !generated && p != "xml" && p != "xmlns" {
                self.attr(&format!("xmlns:{p}"), u);
            }
        }
        for (k, v) in &attrs {
            self.attr(k, v);
        }
        if el.children.is_empty() && el.text.is_empty() {
            self.close_empty();
        } else {
            self.close_start();
            self.text(&el.text);
            for c in &el.children {
                self.element_inner(c, scope);
            }
            self.end(&name);
        }
        scope.truncate(depth);
    }
}

/// Escapes character data (`&`, `<`, `>`) and, in attributes, quotes and whitespace that
/// attribute-value normalisation would otherwise eat.
pub(crate) fn escape_into(out: &mut String, s: &str, attr: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\n' if attr => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attr => out.push_str("&#9;"),
            // Characters XML 1.0 cannot carry at all are dropped rather than producing a
            // document no client can parse.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t') => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attr_ns_declares_a_prefix_only_when_none_is_in_scope() {
        let mut w = XmlWriter::new();
        w.in_scope("tt", "urn:tt");
        w.open("tt:a");
        w.attr_ns("urn:tt", "k", "1"); // bound outside: no declaration
        w.attr_ns("urn:v", "x", "2"); // unbound: declared here
        w.attr_ns("urn:v", "y", "3"); // now in scope: reused
        w.attr_ns(XML_NS, "lang", "en"); // always bound
        w.attr_ns("", "plain", "4");
        w.close_start();
        w.open("tt:b");
        w.attr_ns("urn:v", "z", "5"); // declared by the parent
        w.close_empty();
        w.end("tt:a");
        w.open("tt:c");
        w.attr_ns("urn:v", "z", "6"); // the parent's declaration is out of scope again
        w.close_empty();
        assert_eq!(
            w.as_str(),
            concat!(
                r#"<tt:a tt:k="1" xmlns:ns1="urn:v" ns1:x="2" ns1:y="3" xml:lang="en" plain="4">"#,
                r#"<tt:b ns1:z="5"/></tt:a>"#,
                r#"<tt:c xmlns:ns1="urn:v" ns1:z="6"/>"#,
            )
        );
    }

    #[test]
    fn attr_ns_prefixes_are_unique_in_scope() {
        let mut w = XmlWriter::new();
        w.in_scope("ns0", "urn:outer");
        w.open("a");
        w.attr("xmlns:q", "urn:x");
        w.attr_ns("urn:inner", "k", "1");
        w.close_start();
        // ns0 is bound outside and ns1 on `a`: the next declaration must pick neither.
        w.open("b");
        w.attr_ns("urn:outer", "k", "2");
        w.attr_ns("urn:other", "k", "3");
        w.close_empty();
        w.end("a");
        assert_eq!(
            w.as_str(),
            r#"<a xmlns:q="urn:x" xmlns:ns1="urn:inner" ns1:k="1"><b ns0:k="2" xmlns:ns2="urn:other" ns2:k="3"/></a>"#
        );
    }

    #[test]
    fn own_namespace_declarations_are_written_for_qname_values() {
        let mut el = Element::new(Some("urn:t"), "d");
        el.ns_decls.push(("xs".into(), "urn:xs".into()));
        el.ns_decls.push(("n0".into(), "urn:clash".into()));
        el.attrs.push(crate::xml::dom::Attribute {
            ns: None,
            name: "Type".into(),
            value: "xs:boolean".into(),
        });
        let mut w = XmlWriter::new();
        w.element(&el);
        assert_eq!(
            w.as_str(),
            r#"<n0:d xmlns:n0="urn:t" xmlns:xs="urn:xs" Type="xs:boolean"/>"#
        );
        let back = crate::xml::parse(w.as_str().as_bytes()).unwrap();
        assert!(back.ns_decls.contains(&("xs".into(), "urn:xs".into())));
    }

    #[test]
    fn any_element_round_trips_with_declared_prefixes() {
        let src = br#"<a:x xmlns:a="urn:a" xmlns:b="urn:b" b:k="v&quot;"><a:y>1 &lt; 2</a:y><b:z/></a:x>"#;
        let el = crate::xml::parse(src).unwrap();
        let mut w = XmlWriter::new();
        w.element(&el);
        let again = crate::xml::parse(w.as_str().as_bytes()).unwrap();
        let strip = |mut e: Element| {
            fn s(e: &mut Element) {
                e.ns_decls.clear();
                e.children.iter_mut().for_each(s);
            }
            s(&mut e);
            e
        };
        assert_eq!(strip(again), strip(el));
    }
}
