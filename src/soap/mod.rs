//! The SOAP layer of the ONVIF services, sans-IO: envelope reading and writing, faults,
//! namespaces and the limits that keep hostile requests cheap. See `docs/soap.md`.

pub mod envelope;
pub mod fault;
pub mod limits;
pub mod ns;
pub mod version;

pub use envelope::{Request, parse_request};
pub(crate) use envelope::{write_fault, write_response};
pub use fault::{Code, Fault};
pub use version::SoapVersion;
