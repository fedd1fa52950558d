//! What the Device service tells clients about the other services: one entry per service in
//! GetServices and its part of GetCapabilities. Home Assistant finds services only through
//! GetCapabilities XAddrs, other clients only through GetServices, so both are built from the
//! same list (ONVIF.md: "Both must list the same services, and list none that does not
//! exist").

use std::sync::Arc;

use crate::onvif::generated::{self, tds, tt};
use crate::onvif::rt::SoapService;
use crate::soap::{Code, Fault};
use crate::xml::XmlWriter;

/// One ONVIF service besides Device, declared once: its entry in GetServices and
/// GetCapabilities ([`Advertised`], which names the path) and the dispatchers served there.
/// The daemon keeps one list of these; the endpoint routes from it and the Device service
/// advertises from it, so a service cannot be served without being listed or listed without
/// being served (ONVIF.md: "Both must list the same services, and list none that does not
/// exist"). Adding a service is its module (with the generator's config) and one entry.
pub(crate) struct Registration {
    pub(crate) advertised: Arc<dyn Advertised>,
    /// Dispatchers served at `advertised.path()`, tried in this order.
    pub(crate) at_path: Vec<Arc<dyn SoapService>>,
    /// Dispatchers served at every path under a prefix (one resource per path).
    pub(crate) under: Vec<(&'static str, Arc<dyn SoapService>)>,
}

impl Registration {
    pub(crate) fn new(
        advertised: impl Advertised + 'static,
        service: impl SoapService + 'static,
    ) -> Self {
        Registration {
            advertised: Arc::new(advertised),
            at_path: vec![Arc::new(service)],
            under: Vec::new(),
        }
    }

    /// Another dispatcher at the same path (Events: the NotificationProducer).
    pub(crate) fn and(mut self, service: impl SoapService + 'static) -> Self {
        self.at_path.push(Arc::new(service));
        self
    }

    /// A dispatcher for every path under `prefix` (Events: the pull points).
    pub(crate) fn under(mut self, prefix: &'static str, service: Arc<dyn SoapService>) -> Self {
        self.under.push((prefix, service));
        self
    }
}

/// The entries the Device service lists, in registration order.
pub(crate) fn advertised(services: &[Registration]) -> Vec<Arc<dyn Advertised>> {
    services.iter().map(|s| s.advertised.clone()).collect()
}

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
pub(crate) fn service_capabilities(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onvif::device::{Device, DeviceHooks, Identity, device_now_ms};
    use crate::onvif::endpoint::{DEVICE_PATH, Endpoint, HttpRequest, Security};
    use crate::settings::SettingsStore;

    const ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
    const TDS: &str = "http://www.onvif.org/ver10/device/wsdl";
    const TT: &str = "http://www.onvif.org/ver10/schema";
    const TEV: &str = "http://www.onvif.org/ver10/events/wsdl";

    async fn post(e: &Endpoint, path: &str, body: &str) -> (u16, crate::xml::Element) {
        let env = format!(
            r#"<s:Envelope xmlns:s="{ENV}" xmlns:tds="{TDS}" xmlns:tev="{TEV}" xmlns:tt="{TT}"><s:Body>{body}</s:Body></s:Envelope>"#
        );
        let r = e
            .handle(&HttpRequest {
                method: "POST",
                uri: path,
                authorization: None,
                host: "192.0.2.1:8080",
                peer: "127.0.0.1".parse().unwrap(),
                body: env.as_bytes(),
                accepts_gzip: true,
            })
            .await;
        let doc = crate::xml::parse(r.body.as_bytes()).unwrap();
        let body = doc.child(ENV, "Body").unwrap().children[0].clone();
        (r.status, body)
    }

    /// One registration is the whole of a service's wiring: the endpoint answers at the
    /// path the entry advertises, and GetServices and GetCapabilities list that path.
    #[tokio::test]
    async fn one_registration_routes_and_advertises_a_service() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SettingsStore::open(dir.path()).unwrap().0);
        let broker = Arc::new(crate::events::Broker::new(4, Arc::new(|| 0)));
        let services = [crate::onvif::events::Events::new(broker, store.clone()).registration()];
        let hooks = DeviceHooks {
            reboot: Arc::new(|| {}),
            http_port: 8080,
            rtsp_port: 8554,
            bind: std::net::Ipv4Addr::LOCALHOST.into(),
            services: advertised(&services),
        };
        let identity = Identity {
            manufacturer: "nvt".into(),
            model: "sim".into(),
            firmware_version: "t".into(),
            serial_number: "1".into(),
            hardware_id: "sim".into(),
        };
        let clock = store.clone();
        let gate = Security::new(store.clone(), Arc::new(move || device_now_ms(&clock)));
        let device = Device::new(store, identity, hooks);
        let endpoint = services.iter().fold(
            Endpoint::new(gate).route(DEVICE_PATH, generated::device::Service(device)),
            Endpoint::register,
        );

        let (status, services) = post(&endpoint, DEVICE_PATH, "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>").await;
        assert_eq!(status, 200);
        let listed: Vec<(String, String)> = services
            .children_named(TDS, "Service")
            .map(|s| {
                let text = |n| s.child(TDS, n).map(|e| e.text.clone()).unwrap_or_default();
                (text("Namespace"), text("XAddr"))
            })
            .collect();
        let events_xaddr = "http://192.0.2.1:8080/onvif/events_service".to_owned();
        assert_eq!(
            listed,
            [
                (
                    TDS.to_owned(),
                    "http://192.0.2.1:8080/onvif/device_service".to_owned()
                ),
                (TEV.to_owned(), events_xaddr.clone()),
            ]
        );

        let (status, caps) = post(
            &endpoint,
            DEVICE_PATH,
            "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>",
        )
        .await;
        assert_eq!(status, 200);
        let events = caps
            .child(TDS, "Capabilities")
            .and_then(|c| c.child(TT, "Events"))
            .and_then(|e| e.child(TT, "XAddr"))
            .map(|x| x.text.clone());
        assert_eq!(events.as_deref(), Some(events_xaddr.as_str()));
        let media = caps
            .child(TDS, "Capabilities")
            .and_then(|c| c.child(TT, "Media"));
        assert!(
            media.is_none(),
            "a service that is not registered is not listed"
        );

        // Served where it is listed.
        let (status, answer) = post(
            &endpoint,
            "/onvif/events_service",
            "<tev:GetServiceCapabilities/>",
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(answer.name, "GetServiceCapabilitiesResponse");
        assert_eq!(answer.ns.as_deref(), Some(TEV));
    }
}
