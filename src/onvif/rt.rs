//! The runtime the generated code (`src/onvif/generated/`) is written against: reading
//! elements by namespace URI, writing with declared prefixes, XSD simple values, operation
//! metadata and the per-request context handed to service implementations.

use std::borrow::Cow;

use crate::auth::Credential;
use crate::auth::access::AccessClass;
use crate::soap::Fault;
use crate::xml::{Element, XmlWriter};

/// Reads a complex type from its element. Children are matched by (namespace URI, local
/// name); unknown children are skipped, or kept where the schema has xs:any.
pub trait FromXml: Sized {
    fn from_xml(el: &Element) -> Result<Self, DeError>;
}

/// Writes a complex type as element `qname` (a declared `prefix:local`).
pub trait ToXml {
    fn to_xml(&self, w: &mut XmlWriter, qname: &str);
}

/// An XSD simple value: lexical form to and from Rust.
pub(crate) trait XsValue: Sized {
    fn parse_xs(s: &str) -> Result<Self, DeError>;
    fn to_xs(&self) -> Cow<'_, str>;
}

/// An attribute the schema does not declare, kept where the type has xs:anyAttribute (e.g.
/// WS-Addressing and WS-BaseNotification extension attributes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnyAttribute {
    /// Namespace URI; empty for an unqualified attribute.
    pub(crate) ns: String,
    pub(crate) name: String,
    pub(crate) value: String,
}

impl AnyAttribute {
    pub fn new(ns: &str, name: &str, value: &str) -> Self {
        AnyAttribute {
            ns: ns.to_owned(),
            name: name.to_owned(),
            value: value.to_owned(),
        }
    }
}

const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// The attributes of `el` that are not `declared` ((namespace URI, local name), "" for
/// unqualified), matched by namespace URI, never by prefix. Namespace declarations are not
/// attributes here.
pub(crate) fn other_attributes(el: &Element, declared: &[(&str, &str)]) -> Vec<AnyAttribute> {
    el.attrs
        .iter()
        .filter(|a| a.ns.as_deref() != Some(XMLNS_NS))
        .filter(|a| {
            let ns = a.ns.as_deref().unwrap_or("");
            !declared.iter().any(|(dn, dl)| *dn == ns && *dl == a.name)
        })
        .map(|a| AnyAttribute::new(a.ns.as_deref().unwrap_or(""), &a.name, &a.value))
        .collect()
}

/// Writes kept attributes on the element just opened, each with a prefix bound to its
/// namespace URI (declared on the element when none is in scope).
pub(crate) fn write_other_attributes(w: &mut XmlWriter, attrs: &[AnyAttribute]) {
    for a in attrs {
        w.attr_ns(&a.ns, &a.name, &a.value);
    }
}

/// Why a request body does not match its schema type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeError {
    #[error("required {0} missing")]
    Missing(&'static str),
    #[error("invalid {ty} value {value:?}")]
    Value { ty: &'static str, value: String },
}

impl DeError {
    pub(crate) fn missing(what: &'static str) -> Self {
        DeError::Missing(what)
    }
    pub(crate) fn value(ty: &'static str, value: &str) -> Self {
        DeError::Value {
            ty,
            value: value.chars().take(64).collect(),
        }
    }
}

/// ONVIF Core generic faults: a missing required argument is `ter:InvalidArgs`, a value that
/// does not parse is `ter:InvalidArgVal`.
pub fn fault_of(e: DeError) -> Fault {
    match e {
        DeError::Missing(_) => Fault::invalid_args(e.to_string()),
        DeError::Value { .. } => Fault::invalid_arg_val(None, e.to_string()),
    }
}

/// XSD whitespace collapse for tokens (enumerations, numbers, booleans).
pub(crate) fn collapse(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

impl FromXml for Element {
    fn from_xml(el: &Element) -> Result<Self, DeError> {
        Ok(el.clone())
    }
}

/// xs:anyType content: written under the schema's element name, content as received.
impl ToXml for Element {
    fn to_xml(&self, w: &mut XmlWriter, qname: &str) {
        w.open(qname);
        w.close_start();
        w.text(&self.text);
        for c in &self.children {
            w.element(c);
        }
        w.end(qname);
    }
}

impl XsValue for String {
    fn parse_xs(s: &str) -> Result<Self, DeError> {
        Ok(s.to_owned())
    }
    fn to_xs(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl XsValue for bool {
    fn parse_xs(s: &str) -> Result<Self, DeError> {
        match collapse(s) {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(DeError::value("boolean", s)),
        }
    }
    fn to_xs(&self) -> Cow<'_, str> {
        Cow::Borrowed(if *self { "true" } else { "false" })
    }
}

macro_rules! int_value {
    ($($t:ty => $n:literal),*) => {$(
        impl XsValue for $t {
            fn parse_xs(s: &str) -> Result<Self, DeError> {
                let c = collapse(s);
                c.strip_prefix('+').unwrap_or(c).parse().map_err(|_| DeError::value($n, s))
            }
            fn to_xs(&self) -> Cow<'_, str> {
                Cow::Owned(self.to_string())
            }
        }
    )*};
}
int_value!(i8 => "byte", i16 => "short", i32 => "int", i64 => "long", u8 => "unsignedByte",
    u16 => "unsignedShort", u32 => "unsignedInt", u64 => "unsignedLong");

macro_rules! float_value {
    ($($t:ty => $n:literal),*) => {$(
        impl XsValue for $t {
            fn parse_xs(s: &str) -> Result<Self, DeError> {
                match collapse(s) {
                    "INF" => Ok(<$t>::INFINITY),
                    "-INF" => Ok(<$t>::NEG_INFINITY),
                    "NaN" => Ok(<$t>::NAN),
                    // Rust also accepts "inf"/"infinity"/"nan", which XSD does not.
                    c if c.bytes().any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') => {
                        Err(DeError::value($n, s))
                    }
                    c => c.parse().map_err(|_| DeError::value($n, s)),
                }
            }
            fn to_xs(&self) -> Cow<'_, str> {
                if self.is_nan() {
                    Cow::Borrowed("NaN")
                } else if self.is_infinite() {
                    Cow::Borrowed(if *self > 0.0 { "INF" } else { "-INF" })
                } else {
                    Cow::Owned(self.to_string())
                }
            }
        }
    )*};
}
float_value!(f32 => "float", f64 => "double");

/// An xs:list value: whitespace-separated items.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct List<T>(pub Vec<T>);

impl<T: XsValue> XsValue for List<T> {
    fn parse_xs(s: &str) -> Result<Self, DeError> {
        s.split_ascii_whitespace()
            .map(T::parse_xs)
            .collect::<Result<_, _>>()
            .map(List)
    }
    fn to_xs(&self) -> Cow<'_, str> {
        let parts: Vec<Cow<'_, str>> = self.0.iter().map(XsValue::to_xs).collect();
        Cow::Owned(parts.join(" "))
    }
}

/// Static facts about one operation, generated from the WSDL and the access table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    pub name: &'static str,
    /// Request element (namespace URI, local name): the dispatch key.
    pub request: (&'static str, &'static str),
    /// SOAP action of the request (WSDL binding).
    pub(crate) action: &'static str,
    /// WS-Addressing action of the response.
    pub(crate) response_action: &'static str,
    pub access: AccessClass,
}

/// What a service implementation knows about the request it serves.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// The authenticated user, None for anonymous (PRE_AUTH operations).
    pub(crate) user: Option<Credential>,
    /// Host (and port) the client addressed, from the Host header: service addresses in
    /// responses use it so they are reachable from that client.
    pub(crate) host: String,
    /// Request path (no query): tells apart resources served under one prefix, such as
    /// one pull-point subscription among many.
    pub(crate) path: String,
    /// The client's address.
    pub(crate) peer: std::net::IpAddr,
}

impl Default for RequestContext {
    fn default() -> Self {
        RequestContext {
            user: None,
            host: String::new(),
            path: String::new(),
            peer: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        }
    }
}

/// A boxed, sendable future: what object-safe service dispatch returns.
pub(crate) type BoxFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// One generated service as the endpoint routes to it: its operation table and dispatcher.
/// Each generated service module has `Service<S>` implementing this for any implementation
/// `S` of its trait, so the endpoint can hold services of different types side by side.
pub trait SoapService: Send + Sync {
    /// Namespace of the service's messages (its GetServices entry).
    fn namespace(&self) -> &'static str;
    /// The operation `body` names, if this service has it.
    fn operation(&self, body: &Element) -> Option<&'static Operation>;
    /// Parses the request, calls the operation, and returns the response element.
    fn dispatch<'a>(
        &'a self,
        ctx: &'a RequestContext,
        op: &'static Operation,
        body: &'a Element,
    ) -> BoxFuture<'a, Result<String, Fault>>;
}
