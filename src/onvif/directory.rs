//! What the Device service tells clients about the other services: one entry per service in
//! GetServices and its part of GetCapabilities. Home Assistant finds services only through
//! GetCapabilities XAddrs, other clients only through GetServices, so both are built from the
//! same list (ONVIF.md: "Both must list the same services, and list none that does not
//! exist").

use crate::onvif::generated::{self, tds, tt};
use crate::soap::{Code, Fault};
use crate::xml::XmlWriter;

/// A service the device advertises besides itself. Each service implementation provides
/// one; the daemon hands the list to the Device service.
pub trait Advertised: Send + Sync {
    /// Namespace of the service's WSDL (GetServices `Namespace`).
    fn namespace(&self) -> &'static str;
    /// Path the service is served at; its XAddr is `http://<Host header><path>`.
    fn path(&self) -> &'static str;
    /// Version reported in GetServices.
    fn version(&self) -> tt::OnvifVersion {
        tt::OnvifVersion {
            major: 2,
            minor: 60,
        }
    }
    /// Writes the service's GetServiceCapabilities answer as its own Capabilities element
    /// (e.g. `trt:Capabilities`), for GetServices with IncludeCapability.
    fn write_capabilities(&self, w: &mut XmlWriter);
    /// The GetCapabilities category the service answers for.
    fn category(&self) -> tt::CapabilityCategory;
    /// Fills the service's entry of GetCapabilities (e.g. `caps.media`), with `xaddr`.
    fn fill_capabilities(&self, caps: &mut tt::Capabilities, xaddr: &str);
}

/// Wraps capabilities written by `write` as the xs:any content of GetServices'
/// `tds:Capabilities`.
pub fn service_capabilities(
    write: impl FnOnce(&mut XmlWriter),
) -> Result<tds::ServiceCapabilities, Fault> {
    let mut w = XmlWriter::new();
    w.raw("<r");
    for (prefix, ns) in generated::NAMESPACES {
        w.raw(&format!(" xmlns:{prefix}=\"{ns}\""));
    }
    w.raw(">");
    write(&mut w);
    w.raw("</r>");
    let el = crate::xml::parse(w.as_str().as_bytes())
        .map_err(|e| Fault::new(Code::Receiver, &["Action"], e.to_string()))?;
    Ok(tds::ServiceCapabilities { any: el.children })
}
