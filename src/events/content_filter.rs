//! Message content filters in the ONVIF ItemFilter dialect
//! (`http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter`, ONVIF Core s.9.4.4
//! "Message Content Filter"), which every device shall support: a subset of XPath 1.0 that
//! tests the SimpleItems and ElementItems of a message, whatever group (Source, Key, Data)
//! they are in. Sans-IO: [`parse`] turns the text into a typed [`Expr`], [`Expr::eval`] runs
//! it on a message's items. Fuzzed (`fuzz/fuzz_targets/content_filter.rs`).
//!
//! Grammar (Core s.9.4.4 [1]-[8]; `and` binds tighter than `or`, both left associative, as
//! in XPath 1.0):
//! ```text
//! Expression ::= BoolExpr | Expression 'and' Expression | Expression 'or' Expression
//!              | '(' Expression ')' | 'not' '(' Expression ')'
//! BoolExpr   ::= 'boolean' '(' PathExpr ')'
//! PathExpr   ::= '//' Prefix? ('SimpleItem' | 'ElementItem') '[' AttrExpr ']'
//! AttrExpr   ::= AttrComp | AttrExpr 'and' AttrExpr | AttrExpr 'or' AttrExpr
//!              | '(' AttrExpr ')' | 'not' '(' AttrExpr ')'
//! AttrComp   ::= ('@Name' | '@Value') '=' String        ; String in "..." or '...'
//! ```
//! The prefix shall name the ONVIF schema namespace (s.9.4.4: "The SimpleItem and
//! ElementItem Prefix namespace shall correspond to http://www.onvif.org/ver10/schema");
//! no prefix is accepted too, as the grammar's `Prefix ::= NamespacePrefix ':' | ''` allows.
//! XPath whitespace rules apply (any whitespace between tokens). Anything else, including
//! the rest of XPath, is refused: [`ParseError`] maps to `InvalidMessageContentExpressionFault`.
//!
//! Bounds: [`MAX_EXPRESSION_BYTES`], [`MAX_DEPTH`], [`MAX_TESTS`] (docs/events.md).

use std::fmt;

use super::topics::TT;

/// Longest expression accepted, in bytes.
pub(crate) const MAX_EXPRESSION_BYTES: usize = 2048;
/// Deepest nesting of `(`, `not(`, `boolean(` and `[` together; the parser recurses once per
/// level, so this bounds its stack.
pub(crate) const MAX_DEPTH: usize = 16;
/// Most attribute comparisons (`@Name="..."`, `@Value="..."`) in one expression.
pub(crate) const MAX_TESTS: usize = 64;

/// Which kind of item a path selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Simple,
    Element,
}

impl ItemKind {
    fn local(self) -> &'static str {
        match self {
            ItemKind::Simple => "SimpleItem",
            ItemKind::Element => "ElementItem",
        }
    }
}

/// An attribute of an item: `@Name` or `@Value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attr {
    Name,
    Value,
}

/// The predicate inside `[...]`, tested on one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pred {
    Eq(Attr, String),
    Not(Box<Pred>),
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
}

/// A whole expression, tested on a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// `boolean(//tt:SimpleItem[pred])`: some item of this kind satisfies `pred`.
    Exists(ItemKind, Pred),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// One item of a message as the filter sees it. ElementItems have no `Value` attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item<'a> {
    pub kind: ItemKind,
    pub name: &'a str,
    pub value: Option<&'a str>,
}

impl Pred {
    fn eval(&self, it: &Item) -> bool {
        match self {
            // XPath 1.0 s.3.4: comparing an empty node-set (no such attribute) is false.
            Pred::Eq(Attr::Name, s) => it.name == s,
            Pred::Eq(Attr::Value, s) => it.value == Some(s.as_str()),
            Pred::Not(p) => !p.eval(it),
            Pred::And(a, b) => a.eval(it) && b.eval(it),
            Pred::Or(a, b) => a.eval(it) || b.eval(it),
        }
    }

    fn each_name<'a>(&'a self, f: &mut impl FnMut(&'a str)) {
        match self {
            Pred::Eq(Attr::Name, s) => f(s),
            Pred::Eq(Attr::Value, _) => {}
            Pred::Not(p) => p.each_name(f),
            Pred::And(a, b) | Pred::Or(a, b) => {
                a.each_name(f);
                b.each_name(f);
            }
        }
    }
}

impl Expr {
    /// Whether a message with these items passes the filter.
    pub(crate) fn eval(&self, items: &[Item]) -> bool {
        match self {
            Expr::Exists(kind, p) => items.iter().any(|i| i.kind == *kind && p.eval(i)),
            Expr::Not(e) => !e.eval(items),
            Expr::And(a, b) => a.eval(items) && b.eval(items),
            Expr::Or(a, b) => a.eval(items) || b.eval(items),
        }
    }

    /// Every item name the expression compares `@Name` with, and the kind of item it tests.
    pub fn names(&self) -> Vec<(ItemKind, &str)> {
        let mut out = Vec::new();
        self.each_name(&mut out);
        out
    }

    fn each_name<'a>(&'a self, out: &mut Vec<(ItemKind, &'a str)>) {
        match self {
            Expr::Exists(k, p) => p.each_name(&mut |n| out.push((*k, n))),
            Expr::Not(e) => e.each_name(out),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.each_name(out);
                b.each_name(out);
            }
        }
    }
}

/// Writes the expression back in the dialect (canonical form, `tt:` prefix, fully
/// parenthesised): `parse(e.to_string())` gives `e` again.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Exists(k, p) => write!(f, "boolean(//tt:{}[{p}])", k.local()),
            Expr::Not(e) => write!(f, "not({e})"),
            Expr::And(a, b) => write!(f, "({a} and {b})"),
            Expr::Or(a, b) => write!(f, "({a} or {b})"),
        }
    }
}

impl fmt::Display for Pred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pred::Eq(a, s) => {
                let a = match a {
                    Attr::Name => "@Name",
                    Attr::Value => "@Value",
                };
                // XPath literals have no escapes: a value with `"` is written in `'`.
                if s.contains('"') {
                    write!(f, "{a}='{s}'")
                } else {
                    write!(f, "{a}=\"{s}\"")
                }
            }
            Pred::Not(p) => write!(f, "not({p})"),
            Pred::And(a, b) => write!(f, "({a} and {b})"),
            Pred::Or(a, b) => write!(f, "({a} or {b})"),
        }
    }
}

/// Why an expression is refused (it becomes the fault's description).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid ItemFilter expression at byte {at}: {what}")]
pub struct ParseError {
    pub at: usize,
    pub what: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok<'a> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Slash2,
    At,
    Eq,
    /// A name, possibly prefixed (`tt:SimpleItem`, `and`, `boolean`).
    Name(&'a str),
    Literal(&'a str),
}

/// XPath 1.0 ExprToken subset; positions are byte offsets for error messages.
fn lex(text: &str) -> Result<Vec<(usize, Tok<'_>)>, ParseError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at, what: &str| ParseError {
        at,
        what: what.to_owned(),
    };
    while i < b.len() {
        let c = b[i];
        let start = i;
        let tok = match c {
            // XPath 1.0 [39] ExprWhitespace.
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b'[' => Tok::LBracket,
            b']' => Tok::RBracket,
            b'@' => Tok::At,
            b'=' => Tok::Eq,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i += 2;
                out.push((start, Tok::Slash2));
                continue;
            }
            b'"' | b'\'' => {
                let end = text[i + 1..]
                    .find(c as char)
                    .ok_or_else(|| err(i, "unterminated string literal"))?;
                out.push((start, Tok::Literal(&text[i + 1..i + 1 + end])));
                i += end + 2;
                continue;
            }
            _ if name_start(text[i..].chars().next().unwrap_or(' ')) => {
                let mut colon = false;
                let mut j = i;
                for ch in text[i..].chars() {
                    let ok = if ch == ':' {
                        // One colon, followed by a name start (a QName, not `a::b`).
                        let next = text[j + 1..].chars().next();
                        !colon && next.is_some_and(name_start)
                    } else {
                        name_char(ch)
                    };
                    if !ok {
                        break;
                    }
                    colon |= ch == ':';
                    j += ch.len_utf8();
                }
                out.push((start, Tok::Name(&text[i..j])));
                i = j;
                continue;
            }
            _ => return Err(err(i, "character outside the ItemFilter dialect")),
        };
        out.push((start, tok));
        i += 1;
    }
    Ok(out)
}

fn name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

struct Parser<'a, 'r> {
    toks: Vec<(usize, Tok<'a>)>,
    pos: usize,
    end: usize,
    depth: usize,
    tests: usize,
    resolve: &'r dyn Fn(&str) -> Option<&'r str>,
}

impl<'a> Parser<'a, '_> {
    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |t| t.0)
    }
    fn err<T>(&self, what: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            at: self.at(),
            what: what.into(),
        })
    }
    fn peek(&self) -> Option<&Tok<'a>> {
        self.toks.get(self.pos).map(|t| &t.1)
    }
    fn peek_name(&self, n: &str) -> bool {
        matches!(self.peek(), Some(Tok::Name(x)) if *x == n)
    }
    fn expect(&mut self, t: Tok<'a>, what: &str) -> Result<(), ParseError> {
        if self.peek() == Some(&t) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(format!("expected {what}"))
        }
    }
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(format!("nested deeper than {MAX_DEPTH}"));
        }
        Ok(())
    }

    /// Expression: or-chains of and-chains of unary terms.
    fn expr(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.and_expr()?;
        while self.peek_name("or") {
            self.pos += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and_expr()?));
        }
        Ok(e)
    }
    fn and_expr(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.unary()?;
        while self.peek_name("and") {
            self.pos += 1;
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }
    fn unary(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let e = match self.peek() {
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.expr()?;
                self.expect(Tok::RParen, "')'")?;
                e
            }
            Some(Tok::Name("not")) => {
                self.pos += 1;
                self.expect(Tok::LParen, "'(' after not")?;
                let e = self.expr()?;
                self.expect(Tok::RParen, "')'")?;
                Expr::Not(Box::new(e))
            }
            Some(Tok::Name("boolean")) => {
                self.pos += 1;
                self.expect(Tok::LParen, "'(' after boolean")?;
                let e = self.path()?;
                self.expect(Tok::RParen, "')'")?;
                e
            }
            _ => return self.err("expected boolean(...), not(...) or '('"),
        };
        self.depth -= 1;
        Ok(e)
    }
    /// `//Prefix?SimpleItem[AttrExpr]` or `//Prefix?ElementItem[AttrExpr]`.
    fn path(&mut self) -> Result<Expr, ParseError> {
        self.expect(Tok::Slash2, "'//'")?;
        let Some(Tok::Name(q)) = self.peek().cloned() else {
            return self.err("expected tt:SimpleItem or tt:ElementItem");
        };
        let (prefix, local) = q.split_once(':').unwrap_or(("", q));
        let kind = match local {
            "SimpleItem" => ItemKind::Simple,
            "ElementItem" => ItemKind::Element,
            _ => return self.err("only SimpleItem and ElementItem can be tested"),
        };
        if !prefix.is_empty() {
            match (self.resolve)(prefix) {
                Some(TT) => {}
                Some(_) => return self.err(format!("prefix {prefix:?} is not the ONVIF schema")),
                None => return self.err(format!("undeclared prefix {prefix:?}")),
            }
        }
        self.pos += 1;
        self.enter()?;
        self.expect(Tok::LBracket, "'['")?;
        let p = self.attr_expr()?;
        self.expect(Tok::RBracket, "']'")?;
        self.depth -= 1;
        Ok(Expr::Exists(kind, p))
    }
    fn attr_expr(&mut self) -> Result<Pred, ParseError> {
        let mut p = self.attr_and()?;
        while self.peek_name("or") {
            self.pos += 1;
            p = Pred::Or(Box::new(p), Box::new(self.attr_and()?));
        }
        Ok(p)
    }
    fn attr_and(&mut self) -> Result<Pred, ParseError> {
        let mut p = self.attr_unary()?;
        while self.peek_name("and") {
            self.pos += 1;
            p = Pred::And(Box::new(p), Box::new(self.attr_unary()?));
        }
        Ok(p)
    }
    fn attr_unary(&mut self) -> Result<Pred, ParseError> {
        self.enter()?;
        let p = match self.peek() {
            Some(Tok::LParen) => {
                self.pos += 1;
                let p = self.attr_expr()?;
                self.expect(Tok::RParen, "')'")?;
                p
            }
            Some(Tok::Name("not")) => {
                self.pos += 1;
                self.expect(Tok::LParen, "'(' after not")?;
                let p = self.attr_expr()?;
                self.expect(Tok::RParen, "')'")?;
                Pred::Not(Box::new(p))
            }
            Some(Tok::At) => {
                self.pos += 1;
                let attr = match self.peek() {
                    Some(Tok::Name("Name")) => Attr::Name,
                    Some(Tok::Name("Value")) => Attr::Value,
                    _ => return self.err("only @Name and @Value can be compared"),
                };
                self.pos += 1;
                self.expect(Tok::Eq, "'='")?;
                let Some(Tok::Literal(s)) = self.peek().cloned() else {
                    return self.err("expected a string literal");
                };
                self.pos += 1;
                self.tests += 1;
                if self.tests > MAX_TESTS {
                    return self.err(format!("more than {MAX_TESTS} comparisons"));
                }
                Pred::Eq(attr, s.to_owned())
            }
            _ => return self.err("expected @Name=, @Value=, not(...) or '('"),
        };
        self.depth -= 1;
        Ok(p)
    }
}

/// Parses an ItemFilter expression; `resolve` maps a namespace prefix to its URI (the
/// declarations in scope at the `wsnt:MessageContent` element).
pub fn parse<'r>(
    text: &str,
    resolve: &'r dyn Fn(&str) -> Option<&'r str>,
) -> Result<Expr, ParseError> {
    if text.len() > MAX_EXPRESSION_BYTES {
        return Err(ParseError {
            at: MAX_EXPRESSION_BYTES,
            what: format!("longer than {MAX_EXPRESSION_BYTES} bytes"),
        });
    }
    let toks = lex(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        end: text.len(),
        depth: 0,
        tests: 0,
        resolve,
    };
    if p.toks.is_empty() {
        return p.err("empty expression");
    }
    let e = p.expr()?;
    if p.pos != p.toks.len() {
        return p.err("unexpected text after the expression");
    }
    Ok(e)
}

/// Entry point of the `content_filter` fuzz target and its corpus test: parse, evaluate on
/// items built from the input, and check that the canonical form parses to the same tree.
pub fn fuzz_input(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let resolve = |p: &str| match p {
        "tt" | "t" => Some(TT),
        "x" => Some("urn:x"),
        _ => None,
    };
    let Ok(e) = parse(&text, &resolve) else {
        return;
    };
    let names = e.names();
    let items: Vec<Item> = names
        .iter()
        .enumerate()
        .map(|(i, (kind, name))| Item {
            kind: *kind,
            name,
            value: (*kind == ItemKind::Simple).then_some(if i % 2 == 0 { "true" } else { name }),
        })
        .collect();
    let got = e.eval(&items);
    // De Morgan through the evaluator: not(e) is the opposite of e.
    assert_eq!(Expr::Not(Box::new(e.clone())).eval(&items), !got);
    let canonical = e.to_string();
    // The canonical form may add parentheses (one depth level per binary operator), so it
    // may exceed the bounds the original met; when it parses, it is the same tree.
    match parse(&canonical, &resolve) {
        Ok(again) => {
            assert_eq!(again, e, "{canonical}");
            assert_eq!(again.eval(&items), got);
        }
        Err(err) => assert!(
            err.what.contains("nested") || err.what.contains("longer"),
            "{canonical}: {err}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tt(p: &str) -> Option<&'static str> {
        match p {
            "tt" => Some(TT),
            "other" => Some("urn:other"),
            "onvif" => Some(TT),
            _ => None,
        }
    }

    fn p(s: &str) -> Result<Expr, ParseError> {
        parse(s, &tt)
    }

    fn cell_motion(is_motion: &'static str) -> Vec<Item<'static>> {
        let s = |name, value| Item {
            kind: ItemKind::Simple,
            name,
            value: Some(value),
        };
        vec![
            s("VideoSourceConfigurationToken", "vsc0"),
            s("VideoAnalyticsConfigurationToken", "VideoAnalyticsToken"),
            s("Rule", "MotionDetectorRule"),
            s("IsMotion", is_motion),
        ]
    }

    fn matches(expr: &str, items: &[Item]) -> bool {
        p(expr)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .eval(items)
    }

    #[test]
    fn the_spec_examples_parse_and_evaluate() {
        let on = cell_motion("true");
        let off = cell_motion("false");
        // Core s.9.4.4's examples, with our tokens.
        assert!(matches(
            r#"boolean(//tt:SimpleItem[@Name="VideoSourceConfigurationToken" and @Value="vsc0"])"#,
            &on
        ));
        assert!(!matches(
            r#"boolean(//tt:SimpleItem[@Name="VideoSourceConfigurationToken" and @Value="1"])"#,
            &on
        ));
        assert!(!matches(
            r#"not( boolean(//tt:SimpleItem[@Name="VideoAnalyticsConfigurationToken"] ) )"#,
            &on
        ));
        assert!(matches(
            "boolean(//tt:SimpleItem[@Name=\"VideoAnalyticsConfigurationToken\" and @Value=\"VideoAnalyticsToken\"] )\n  and boolean(//tt:SimpleItem[@Name=\"VideoSourceConfigurationToken\" and @Value=\"vsc0\"] )",
            &on
        ));
        let motion = r#"boolean(//tt:SimpleItem[@Name="IsMotion" and @Value="true"]) and boolean(//tt:SimpleItem[@Name='Rule' and @Value='MotionDetectorRule'])"#;
        assert!(matches(motion, &on));
        assert!(!matches(motion, &off));
        // Presence only; the name and value must be on the same item.
        assert!(matches(
            r#"boolean(//tt:SimpleItem[@Name="IsMotion"])"#,
            &off
        ));
        assert!(!matches(
            r#"boolean(//tt:SimpleItem[@Name="Rule" and @Value="vsc0"])"#,
            &on
        ));
        // The space 'boolean (' of the test specification's EVENT-2-1-19 is XPath whitespace.
        assert!(matches(r#"boolean (//tt:SimpleItem[@Value="vsc0"])"#, &on));
        assert!(matches(r#"boolean(//SimpleItem[@Value="vsc0"])"#, &on));
    }

    #[test]
    fn precedence_and_negation() {
        let on = cell_motion("true");
        let t = r#"boolean(//tt:SimpleItem[@Value="true"])"#;
        let f = r#"boolean(//tt:SimpleItem[@Value="nope"])"#;
        // 'and' binds tighter than 'or': t or (f and f) = true; (t or f) and f = false.
        assert!(matches(&format!("{t} or {f} and {f}"), &on));
        assert!(!matches(&format!("({t} or {f}) and {f}"), &on));
        assert!(matches(&format!("not({f}) and not(not({t}))"), &on));
        assert_eq!(
            p(&format!("{t} or {f} and {f}")).unwrap().to_string(),
            format!("({t} or ({f} and {f}))")
        );
        // Inside the predicate too, and not() on attributes.
        assert!(matches(
            r#"boolean(//tt:SimpleItem[@Name="IsMotion" and (@Value="false" or @Value="true")])"#,
            &on
        ));
        assert!(matches(
            r#"boolean(//tt:SimpleItem[@Name="IsMotion" and not(@Value="false")])"#,
            &on
        ));
    }

    #[test]
    fn element_items_have_a_name_and_no_value() {
        let items = [Item {
            kind: ItemKind::Element,
            name: "Box",
            value: None,
        }];
        assert!(matches(r#"boolean(//tt:ElementItem[@Name="Box"])"#, &items));
        assert!(!matches(r#"boolean(//tt:SimpleItem[@Name="Box"])"#, &items));
        assert!(!matches(
            r#"boolean(//tt:ElementItem[@Name="Box" and @Value=""])"#,
            &items
        ));
        assert!(matches(
            r#"boolean(//tt:ElementItem[not(@Value="x")])"#,
            &items
        ));
        assert_eq!(
            p(r#"boolean(//tt:ElementItem[@Name="Box"]) or boolean(//tt:SimpleItem[@Name="IsMotion" or @Name="State"])"#)
                .unwrap()
                .names(),
            vec![
                (ItemKind::Element, "Box"),
                (ItemKind::Simple, "IsMotion"),
                (ItemKind::Simple, "State")
            ]
        );
    }

    #[test]
    fn prefixes_resolve_to_the_onvif_schema() {
        let on = cell_motion("true");
        assert!(matches(
            r#"boolean(//onvif:SimpleItem[@Name="IsMotion"])"#,
            &on
        ));
        for bad in [
            r#"boolean(//other:SimpleItem[@Name="IsMotion"])"#,
            r#"boolean(//nope:SimpleItem[@Name="IsMotion"])"#,
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn outside_the_subset_is_refused() {
        for bad in [
            "",
            "   ",
            "true()",
            "boolean(//tt:SimpleItem)",
            "boolean(//tt:SimpleItem[])",
            "boolean(/tt:SimpleItem[@Name=\"a\"])",
            "boolean(//tt:Message[@Name=\"a\"])",
            "boolean(//tt:SimpleItem[@Type=\"a\"])",
            "boolean(//tt:SimpleItem[@Name!=\"a\"])",
            "boolean(//tt:SimpleItem[@Name=a])",
            "boolean(//tt:SimpleItem[@Name=\"a])",
            "boolean(//tt:SimpleItem[@Name=\"a\"]",
            "boolean(//tt:SimpleItem[@Name=\"a\"]) and",
            "boolean(//tt:SimpleItem[@Name=\"a\"]) boolean(//tt:SimpleItem[@Name=\"a\"])",
            "//tt:SimpleItem[@Name=\"a\"]",
            "boolean(//tt:SimpleItem[@Name=\"a\"]) | boolean(//tt:SimpleItem[@Name=\"b\"])",
            "boolean(//tt:SimpleItem[@Name=\"a\"]/..)",
            "boolean(//tt:SimpleItem[1])",
            "boolean(//tt::SimpleItem[@Name=\"a\"])",
            "boolean(//tt:SimpleItem[@Name=\u{201d}a\u{201d}])",
            "not boolean(//tt:SimpleItem[@Name=\"a\"])",
            "boolean(//tt:SimpleItem[@Name=\"a\"] and @Value=\"b\")",
        ] {
            assert!(p(bad).is_err(), "accepted {bad:?}");
        }
        let s = "boolean(//tt:SimpleItem[@Name=\"a\"]) xor";
        assert_eq!(p(s).unwrap_err().at, s.find("xor").unwrap());
    }

    #[test]
    fn bounds() {
        let leaf = r#"boolean(//tt:SimpleItem[@Name="IsMotion"])"#;
        // The leaf is 3 levels (boolean(, '[', the comparison), each not( one more.
        let nested = |n: usize| format!("{}{leaf}{}", "not(".repeat(n), ")".repeat(n));
        assert!(p(&nested(MAX_DEPTH - 3)).is_ok());
        let deep = p(&nested(MAX_DEPTH - 2)).unwrap_err();
        assert!(deep.what.contains("nested"), "{deep}");
        // Nesting far past the bound is refused at the bound, not by recursing that deep.
        let parens = format!("{}{leaf}", "(".repeat(1500));
        assert!(p(&parens).unwrap_err().what.contains("nested"));
        let tests = |n: usize| {
            format!(
                "boolean(//SimpleItem[{}])",
                vec![r#"@Name="a""#; n].join(" or ")
            )
        };
        assert!(
            p(&tests(MAX_TESTS + 1))
                .unwrap_err()
                .what
                .contains("comparisons")
        );
        assert!(p(&tests(MAX_TESTS)).is_ok());
        let long = format!("{leaf}{}", " ".repeat(MAX_EXPRESSION_BYTES));
        assert!(p(&long).unwrap_err().what.contains("longer"));
    }

    #[test]
    fn canonical_form_round_trips() {
        for s in [
            r#"not(boolean(//tt:SimpleItem[@Name="a" and (@Value='x"y' or not(@Value="z"))])) or boolean(//ElementItem[@Name="b"]) and boolean(//tt:SimpleItem[@Value="c"])"#,
            r#"boolean ( //onvif:SimpleItem [ @Name = "IsMotion"and@Value='true' ] )"#,
        ] {
            let e = p(s).unwrap();
            assert_eq!(p(&e.to_string()).unwrap(), e);
        }
        fuzz_input(
            br#"boolean(//tt:SimpleItem[@Name="a"]) and not(boolean(//t:ElementItem[@Name="b"]))"#,
        );
    }
}
