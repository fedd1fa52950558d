//! The XML the SOAP layer reads and writes: a bounded, namespace-resolved element tree built
//! from quick-xml events ([`dom`]) and a small writer that only emits declared prefixes
//! ([`write`]). Generated ONVIF (de)serializers work on these.

pub(crate) mod dom;
pub(crate) mod limits;
pub(crate) mod write;
pub mod xsd;

pub use dom::{Attribute, Element, XmlError, parse};
pub use write::XmlWriter;
