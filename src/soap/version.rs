//! The two SOAP versions a request may come in, which also decide how its answer (and a
//! fault) is written: SOAP 1.2 (what ONVIF specifies) and 1.1 (what some clients send).

use super::ns::{ENV11, ENV12};

/// SOAP 1.1 or 1.2, by the envelope's namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SoapVersion {
    V11,
    V12,
}

impl SoapVersion {
    pub(crate) fn ns(self) -> &'static str {
        match self {
            SoapVersion::V11 => ENV11,
            SoapVersion::V12 => ENV12,
        }
    }
    /// The HTTP Content-Type of a message in this version.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            SoapVersion::V11 => "text/xml; charset=utf-8",
            SoapVersion::V12 => "application/soap+xml; charset=utf-8",
        }
    }
}
