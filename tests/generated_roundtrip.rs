//! Generated types against requests captured in several client styles (zeep, ONVIF Device
//! Manager, gSOAP with WS-Addressing, SOAP 1.1): they parse by namespace URI whatever the
//! prefixes, tolerate vendor extension elements, and survive a write/read round trip.

use nvt::onvif::generated::{device, tds, tt};
use nvt::onvif::rt::{FromXml, ToXml};
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
