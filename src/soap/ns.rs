//! Namespace URIs and the one prefix each is written with. Reading never looks at prefixes;
//! writing declares every prefix below once, on the envelope element.

pub(crate) const ENV12: &str = "http://www.w3.org/2003/05/soap-envelope";
pub(crate) const ENV11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const WSA: &str = "http://www.w3.org/2005/08/addressing";
/// WS-Addressing 2004/08 (the "submission" version some older clients still send).
pub(crate) const WSA_2004: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
/// WS-Security's namespaces, defined by its reader (`auth::wsse`).
pub use crate::auth::wsse::{WSSE, WSU};
pub(crate) const TER: &str = "http://www.onvif.org/ver10/error";
pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
/// The ONVIF topic namespace. Topic expressions are QName-valued text
/// (`tns1:VideoSource/MotionAlarm`), and clients such as Home Assistant match them with this
/// very prefix, so it is declared on every envelope.
pub(crate) const TNS1: &str = "http://www.onvif.org/ver10/topics";

/// (prefix, URI) declared on every response envelope besides `env`. Generated types add the
/// service namespaces through [`crate::onvif::generated::NAMESPACES`].
pub(crate) const BASE_PREFIXES: &[(&str, &str)] = &[("wsa", WSA), ("ter", TER), ("tns1", TNS1)];
