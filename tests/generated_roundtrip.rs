//! Generated types against requests captured in several client styles (zeep, ONVIF Device
//! Manager, gSOAP with WS-Addressing, SOAP 1.1): they parse by namespace URI whatever the
//! prefixes, tolerate vendor extension elements, and survive a write/read round trip.

use nvt::onvif::generated::{device, tds, tt};
use nvt::onvif::rt::{AnyAttribute, FromXml, ToXml};
use nvt::soap::parse_request;
use nvt::xml::XmlWriter;
use std::path::Path;

fn request(name: &str) -> nvt::soap::Request {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/requests")
        .join(name);
    parse_request(&std::fs::read(p).unwrap()).unwrap()
}

fn round_trip<T: FromXml + ToXml + PartialEq + std::fmt::Debug>(v: &T, qname: &str) {
    let mut w = XmlWriter::new();
    w.raw(&format!(
        "<r xmlns:tds=\"{}\" xmlns:tt=\"{}\">",
        device::NAMESPACE,
        "http://www.onvif.org/ver10/schema"
    ));
    v.to_xml(&mut w, qname);
    w.raw("</r>");
    let doc = nvt::xml::parse(w.as_str().as_bytes()).unwrap();
    let again = T::from_xml(&doc.children[0]).unwrap();
    assert_eq!(&again, v);
}

#[test]
fn every_captured_request_names_a_generated_operation() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/requests");
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        let r = request(&name);
        let op = device::operation(&r.body).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(op.request.1, r.body.name);
    }
}

#[test]
fn gsoap_set_ntp_with_vendor_extension() {
    let r = request("gsoap_wsa_set_ntp.xml");
    assert_eq!(
        r.message_id.as_deref(),
        Some("urn:uuid:6b0d1b8e-2f6a-4b9e-9d3e-0d7f1c2a3b4c")
    );
    let v = tds::SetNTP::from_xml(&r.body).unwrap();
    assert!(!v.from_dhcp);
    assert_eq!(v.ntp_manual.len(), 1);
    assert_eq!(v.ntp_manual[0].type_, tt::NetworkHostType::DNS);
    assert_eq!(v.ntp_manual[0].dns_name.as_deref(), Some("pool.ntp.org"));
    // The vendor element inside tt:Extension (xs:any) is kept.
    let ext = v.ntp_manual[0].extension.as_ref().unwrap();
    assert_eq!(ext.any.len(), 1);
    assert!(ext.any[0].is("urn:vendor", "Foo"));
    round_trip(&v, "tds:SetNTP");
}

/// `gsoap_wsa_set_ntp_ext_attr.xml` is written by hand in the gSOAP style of the request
/// above; its `tds:NTPManual` (tt:NetworkHost, which has xs:anyAttribute) carries two
/// extension attributes in a foreign namespace whose prefix is declared on the Envelope.
#[test]
fn foreign_extension_attributes_survive_round_trip() {
    const ACME: &str = "urn:example:acme-ext";
    let r = request("gsoap_wsa_set_ntp_ext_attr.xml");
    let v = tds::SetNTP::from_xml(&r.body).unwrap();
    let want = vec![
        AnyAttribute::new(ACME, "source", "vendor & \"lab\""),
        AnyAttribute::new(ACME, "weight", "2"),
    ];
    assert_eq!(v.ntp_manual[0].other_attributes, want);
    // Written back under the serializer's own prefix, declared on the element (the
    // wrapper only declares tds and tt), and read again by namespace URI.
    let mut w = XmlWriter::new();
    w.raw(&format!(
        "<r xmlns:tds=\"{}\" xmlns:tt=\"http://www.onvif.org/ver10/schema\">",
        device::NAMESPACE
    ));
    v.to_xml(&mut w, "tds:SetNTP");
    w.raw("</r>");
    let text = w.into_string();
    assert!(!text.contains("acme:"), "{text}");
    let doc = nvt::xml::parse(text.as_bytes()).expect("written XML is well-formed");
    let manual = doc.children[0]
        .child(device::NAMESPACE, "NTPManual")
        .unwrap();
    assert_eq!(manual.attr_ns(ACME, "source"), Some("vendor & \"lab\""));
    assert_eq!(manual.attr_ns(ACME, "weight"), Some("2"));
    // One declaration for the two attributes, on tds:NTPManual itself.
    assert_eq!(
        manual.ns_decls.iter().filter(|(_, u)| u == ACME).count(),
        1,
        "{text}"
    );
    let again = tds::SetNTP::from_xml(&doc.children[0]).unwrap();
    assert_eq!(again.ntp_manual[0].other_attributes, want);
    assert_eq!(again, v);
    // tds:SetNTP has no xs:anyAttribute: written without attributes or declarations.
    assert!(text.contains("<tds:SetNTP>"), "{text}");
}

#[test]
fn declared_attributes_are_not_kept_twice() {
    // tds:NetworkCapabilities declares IPFilter (unqualified) and has xs:anyAttribute: only
    // the undeclared ones are kept, and a declared name in another namespace is undeclared.
    let doc = nvt::xml::parse(
        br#"<tds:C xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:x="urn:x" IPFilter="true" x:IPFilter="no" extra="1"/>"#,
    )
    .unwrap();
    let v = tds::NetworkCapabilities::from_xml(&doc).unwrap();
    assert_eq!(v.ip_filter, Some(true));
    assert_eq!(
        v.other_attributes,
        vec![
            AnyAttribute::new("urn:x", "IPFilter", "no"),
            AnyAttribute::new("", "extra", "1"),
        ]
    );
    round_trip(&v, "tds:NetworkCapabilities");
}

#[test]
fn odm_default_namespace_get_capabilities() {
    let r = request("odm_get_capabilities_secured.xml");
    let v = tds::GetCapabilities::from_xml(&r.body).unwrap();
    assert_eq!(v.category, vec![tt::CapabilityCategory::All]);
    assert!(matches!(r.security, Some(Ok(_))));
    round_trip(&v, "tds:GetCapabilities");
}

#[test]
fn zeep_and_soap11_empty_requests() {
    let r = request("zeep_get_device_information.xml");
    tds::GetDeviceInformation::from_xml(&r.body).unwrap();
    let r = request("soap11_get_hostname.xml");
    assert_eq!(r.version, nvt::soap::SoapVersion::V11);
    tds::GetHostname::from_xml(&r.body).unwrap();
}

#[test]
fn wrong_namespace_or_bad_values_are_rejected() {
    // Right local names, wrong namespace: FromDHCP is not found, so it is missing.
    let doc = nvt::xml::parse(
        br#"<SetNTP xmlns="http://www.onvif.org/ver10/device/wsdl"><x:FromDHCP xmlns:x="urn:wrong">true</x:FromDHCP></SetNTP>"#,
    )
    .unwrap();
    assert!(tds::SetNTP::from_xml(&doc).is_err());
    let doc = nvt::xml::parse(
        br#"<SetNTP xmlns="http://www.onvif.org/ver10/device/wsdl"><FromDHCP>maybe</FromDHCP></SetNTP>"#,
    )
    .unwrap();
    let e = tds::SetNTP::from_xml(&doc).unwrap_err();
    assert_eq!(nvt::onvif::rt::fault_of(e).subcodes, ["InvalidArgVal"]);
}

#[test]
fn users_round_trip() {
    let doc = nvt::xml::parse(
        br#"<tds:CreateUsers xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><tds:User><tt:Username>op</tt:Username><tt:Password>Secret-123</tt:Password><tt:UserLevel>Operator</tt:UserLevel></tds:User></tds:CreateUsers>"#,
    )
    .unwrap();
    let v = tds::CreateUsers::from_xml(&doc).unwrap();
    assert_eq!(v.user[0].user_level, tt::UserLevel::Operator);
    round_trip(&v, "tds:CreateUsers");
}
