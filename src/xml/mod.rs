//! The XML the SOAP layer reads and writes: a bounded, namespace-resolved element tree built
//! from quick-xml events ([`dom`]) and a small writer that only emits declared prefixes
//! ([`write`]). Generated ONVIF (de)serializers work on these.

pub mod dom;
pub mod limits;
pub mod write;
pub mod xsd;

pub use dom::{Attribute, Element, XmlError, parse};
pub use write::XmlWriter;
