//! A minimal XML writer for responses. Element names are written as `prefix:local` with
//! prefixes from [`crate::soap::ns::PREFIXES`], all declared once on the envelope, so every
//! prefix in a response is declared (strict parsers such as Unifi Protect's check this).

use super::Element;

#[derive(Default)]
pub struct XmlWriter {
    buf: String,
}

impl XmlWriter {
    pub fn new() -> Self {
        XmlWriter {
            buf: String::with_capacity(2048),
        }
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
    pub fn open(&mut self, qname: &str) {
        self.buf.push('<');
        self.buf.push_str(qname);
    }

    pub fn attr(&mut self, qname: &str, value: &str) {
        self.buf.push(' ');
        self.buf.push_str(qname);
        self.buf.push_str("=\"");
        escape_into(&mut self.buf, value, true);
        self.buf.push('"');
    }

    pub fn close_start(&mut self) {
        self.buf.push('>');
    }

    pub fn close_empty(&mut self) {
        self.buf.push_str("/>");
    }

    pub fn end(&mut self, qname: &str) {
        self.buf.push_str("</");
        self.buf.push_str(qname);
        self.buf.push('>');
    }

    pub fn text(&mut self, s: &str) {
        escape_into(&mut self.buf, s, false);
    }

    /// `<qname>text</qname>`.
    pub fn simple(&mut self, qname: &str, text: &str) {
        self.open(qname);
        self.close_start();
        self.text(text);
        self.end(qname);
    }

    /// Writes a captured element (xs:any content) with its own namespace declarations, using
    /// generated prefixes `n0`, `n1`... declared on the element itself.
    pub fn element(&mut self, el: &Element) {
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
pub fn escape_into(out: &mut String, s: &str, attr: bool) {
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
