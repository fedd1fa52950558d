//! WS-Discovery 2005/04 messages over SOAP-over-UDP, sans-IO: a datagram in, a [`Request`]
//! (Probe or Resolve) or the reason it is dropped out; and the four messages a Target Service
//! sends (ProbeMatches, ResolveMatches, Hello, Bye) written as bytes.
//!
//! Reading goes through the same bounded, namespace-resolving XML tree as the SOAP services
//! (`crate::xml`: no DTD, no entities, depth and element caps), so names are matched by
//! namespace URI, never by prefix. Tolerated vendor variants: a SOAP 1.1 envelope (answered in
//! 1.1), WS-Addressing 1.0 instead of the 2004/08 submission namespace, a missing
//! `wsa:Action` or `wsa:To`, extra header blocks. Whatever else is wrong drops the datagram
//! silently: a multicast Probe never gets a fault (SOAP-over-UDP s.4), and a fault is an
//! amplifier too.

use crate::soap::SoapVersion;
use crate::soap::ns::{ENV11, ENV12, WSA, WSA_2004};
use crate::xml::{Element, XmlWriter};

use super::limits::{MAX_DATAGRAM, MAX_MESSAGE_ID, MAX_PROBE_ITEMS};
use super::matcher::{MatchBy, QName};

/// WS-Discovery 2005/04 namespace (the version ONVIF Core s.7 mandates).
pub(crate) const WSD: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
/// `dn:NetworkVideoTransmitter` lives here (ONVIF Core s.7.3.1).
pub(crate) const DN: &str = "http://www.onvif.org/ver10/network/wsdl";
/// `tds:Device`.
pub(crate) const TDS: &str = "http://www.onvif.org/ver10/device/wsdl";

pub(crate) const ACTION_PROBE: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe";
pub(crate) const ACTION_RESOLVE: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Resolve";
pub(crate) const ACTION_PROBE_MATCHES: &str =
    "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches";
pub(crate) const ACTION_RESOLVE_MATCHES: &str =
    "http://schemas.xmlsoap.org/ws/2005/04/discovery/ResolveMatches";
pub(crate) const ACTION_HELLO: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello";
pub(crate) const ACTION_BYE: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Bye";
/// `wsa:Action` of a WS-Discovery fault (2005/04 s.4.1).
pub(crate) const ACTION_FAULT: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery/fault";
/// The matching rules we support, listed in a MatchingRuleNotSupported fault.
pub(crate) const SUPPORTED_MATCHING_RULES: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery/rfc3986 \
http://schemas.xmlsoap.org/ws/2005/04/discovery/rfc2396 \
http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0";
/// `wsa:To` of multicast messages (WS-Discovery 2005/04 s.2.4).
pub(crate) const TO_DISCOVERY: &str = "urn:schemas-xmlsoap-org:ws:2005:04:discovery";
/// `wsa:To` of replies (the anonymous role of WS-Addressing 2004/08).
pub(crate) const TO_ANONYMOUS: &str =
    "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";

/// A request the responder may answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Inbound {
    pub(crate) version: SoapVersion,
    /// `wsa:MessageID`, at most [`MAX_MESSAGE_ID`] bytes; echoed as `wsa:RelatesTo`.
    pub(crate) message_id: String,
    pub(crate) request: Request,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Request {
    Probe {
        types: Vec<QName>,
        scopes: Vec<String>,
        match_by: MatchBy,
    },
    Resolve {
        /// `wsa:EndpointReference/wsa:Address`.
        address: String,
    },
}

/// Why a datagram was dropped (logged at debug level, never answered).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dropped {
    TooLarge,
    NotXml,
    NotSoap,
    /// Hello, Bye, ProbeMatches... or anything not a Probe or Resolve.
    NotARequest,
    /// `wsa:Action` names something else than the body.
    ActionMismatch,
    NoMessageId,
    MessageIdTooLong,
    /// A Types QName with an unbound prefix, or too many Types/Scopes.
    BadProbe,
    NoAddress,
}

/// Parses one datagram.
pub(crate) fn parse(datagram: &[u8]) -> Result<Inbound, Dropped> {
    if datagram.len() > MAX_DATAGRAM {
        return Err(Dropped::TooLarge);
    }
    let root = crate::xml::parse(datagram).map_err(|_| Dropped::NotXml)?;
    let version = match root.ns.as_deref() {
        Some(ENV12) if root.name == "Envelope" => SoapVersion::V12,
        Some(ENV11) if root.name == "Envelope" => SoapVersion::V11,
        _ => return Err(Dropped::NotSoap),
    };
    let env = version.ns();
    let body = root.child(env, "Body").ok_or(Dropped::NotSoap)?;
    let mut message_id = None;
    let mut action = None;
    if let Some(header) = root.child(env, "Header") {
        for h in &header.children {
            if h.ns.as_deref() == Some(WSA_2004) || h.ns.as_deref() == Some(WSA) {
                match h.name.as_str() {
                    "MessageID" => message_id = Some(h.trimmed_text()),
                    "Action" => action = Some(h.trimmed_text()),
                    // ReplyTo is ignored on purpose: answering to an address named in the
                    // message, not the sender's, would make us a reflector.
                    _ => {}
                }
            }
        }
    }
    let mut ops = body.children.iter();
    let (Some(op), None) = (ops.next(), ops.next()) else {
        return Err(Dropped::NotARequest);
    };
    let request = if op.is(WSD, "Probe") {
        if action.is_some_and(|a| a != ACTION_PROBE) {
            return Err(Dropped::ActionMismatch);
        }
        probe(&root, body, op)?
    } else if op.is(WSD, "Resolve") {
        if action.is_some_and(|a| a != ACTION_RESOLVE) {
            return Err(Dropped::ActionMismatch);
        }
        let address = op
            .children
            .iter()
            .find(|c| c.name == "EndpointReference")
            .and_then(|epr| epr.children.iter().find(|c| c.name == "Address"))
            .filter(|a| a.ns.as_deref().is_some_and(|n| n == WSA_2004 || n == WSA))
            .map(|a| a.trimmed_text().to_owned())
            .ok_or(Dropped::NoAddress)?;
        Request::Resolve { address }
    } else {
        return Err(Dropped::NotARequest);
    };
    let message_id = message_id.ok_or(Dropped::NoMessageId)?;
    if message_id.is_empty() {
        return Err(Dropped::NoMessageId);
    }
    if message_id.len() > MAX_MESSAGE_ID {
        return Err(Dropped::MessageIdTooLong);
    }
    Ok(Inbound {
        version,
        message_id: message_id.to_owned(),
        request,
    })
}

fn probe(root: &Element, body: &Element, op: &Element) -> Result<Request, Dropped> {
    let mut types = Vec::new();
    if let Some(t) = op.child(WSD, "Types") {
        // xs:QName values: prefixes refer to the declarations in scope at `Types`, which may
        // be made on any ancestor (usually the Envelope).
        let scope = [root, body, op, t];
        for item in t.text.split_ascii_whitespace() {
            if types.len() >= MAX_PROBE_ITEMS {
                return Err(Dropped::BadProbe);
            }
            types.push(resolve_qname(item, &scope).ok_or(Dropped::BadProbe)?);
        }
    }
    let mut scopes = Vec::new();
    let mut match_by = MatchBy::Uri;
    if let Some(s) = op.child(WSD, "Scopes") {
        match_by = MatchBy::from_attr(s.attr("MatchBy"));
        for item in s.text.split_ascii_whitespace() {
            if scopes.len() >= MAX_PROBE_ITEMS {
                return Err(Dropped::BadProbe);
            }
            scopes.push(item.to_owned());
        }
    }
    Ok(Request::Probe {
        types,
        scopes,
        match_by,
    })
}

/// Resolves `prefix:local` (or `local`, in the default namespace) against the declarations
/// made on `scope`, outermost first.
fn resolve_qname(item: &str, scope: &[&Element]) -> Option<QName> {
    let (prefix, local) = match item.split_once(':') {
        Some((p, l)) => (p, l),
        None => ("", item),
    };
    if local.is_empty() || local.contains(':') {
        return None;
    }
    let mut ns: Option<&str> = None;
    let mut bound = prefix.is_empty();
    for el in scope {
        for (p, uri) in &el.ns_decls {
            if p == prefix {
                ns = (!uri.is_empty()).then_some(uri.as_str());
                bound = true;
            }
        }
    }
    bound.then(|| QName {
        ns: ns.map(str::to_owned),
        local: local.to_owned(),
    })
}

/// WS-Discovery AppSequence (2005/04 s.7): InstanceId grows with every start of the
/// responder, MessageNumber with every message sent in one instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AppSequence {
    pub(crate) instance_id: u64,
    pub(crate) message_number: u64,
}

/// What a ProbeMatch, ResolveMatch or Hello says about the device.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target<'a> {
    pub(crate) epr: &'a str,
    /// Scopes, each already a URI without whitespace (see `scopes`).
    pub(crate) scopes: &'a [String],
    /// Transport addresses of the device service on the interface the message goes out on.
    pub(crate) xaddrs: &'a [String],
    pub(crate) metadata_version: u32,
}

/// The QName list we advertise, written with the prefixes declared on the envelope.
pub(crate) const TYPES: &str = "dn:NetworkVideoTransmitter tds:Device";

/// Our Types, resolved (for matching).
pub(crate) fn our_types() -> [QName; 2] {
    [
        QName::new(DN, "NetworkVideoTransmitter"),
        QName::new(TDS, "Device"),
    ]
}

/// Writes one outgoing message. `message_id` is a fresh `urn:uuid:`.
fn envelope(
    version: SoapVersion,
    action: &str,
    to: &str,
    message_id: &str,
    relates_to: Option<&str>,
    seq: AppSequence,
    body: impl FnOnce(&mut XmlWriter),
) -> String {
    let mut w = XmlWriter::new();
    w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    w.open("env:Envelope");
    w.attr("xmlns:env", version.ns());
    w.attr("xmlns:wsa", WSA_2004);
    w.attr("xmlns:d", WSD);
    w.attr("xmlns:dn", DN);
    w.attr("xmlns:tds", TDS);
    w.close_start();
    w.raw("<env:Header>");
    w.simple("wsa:MessageID", message_id);
    if let Some(r) = relates_to {
        w.simple("wsa:RelatesTo", r);
    }
    w.simple("wsa:To", to);
    w.simple("wsa:Action", action);
    w.open("d:AppSequence");
    w.attr("InstanceId", &seq.instance_id.to_string());
    w.attr("MessageNumber", &seq.message_number.to_string());
    w.close_empty();
    w.raw("</env:Header><env:Body>");
    body(&mut w);
    w.raw("</env:Body>");
    w.end("env:Envelope");
    w.into_string()
}

fn epr(w: &mut XmlWriter, address: &str) {
    w.raw("<wsa:EndpointReference>");
    w.simple("wsa:Address", address);
    w.raw("</wsa:EndpointReference>");
}

fn target_fields(w: &mut XmlWriter, t: &Target<'_>) {
    epr(w, t.epr);
    w.simple("d:Types", TYPES);
    w.simple("d:Scopes", &t.scopes.join(" "));
    if !t.xaddrs.is_empty() {
        w.simple("d:XAddrs", &t.xaddrs.join(" "));
    }
    w.simple("d:MetadataVersion", &t.metadata_version.to_string());
}

/// The unicast answer to a matching Probe.
pub(crate) fn probe_matches(
    version: SoapVersion,
    message_id: &str,
    relates_to: &str,
    seq: AppSequence,
    t: &Target<'_>,
) -> String {
    envelope(
        version,
        ACTION_PROBE_MATCHES,
        TO_ANONYMOUS,
        message_id,
        Some(relates_to),
        seq,
        |w| {
            w.raw("<d:ProbeMatches><d:ProbeMatch>");
            target_fields(w, t);
            w.raw("</d:ProbeMatch></d:ProbeMatches>");
        },
    )
}

/// The unicast answer to a Resolve of our EPR.
pub(crate) fn resolve_matches(
    version: SoapVersion,
    message_id: &str,
    relates_to: &str,
    seq: AppSequence,
    t: &Target<'_>,
) -> String {
    envelope(
        version,
        ACTION_RESOLVE_MATCHES,
        TO_ANONYMOUS,
        message_id,
        Some(relates_to),
        seq,
        |w| {
            w.raw("<d:ResolveMatches><d:ResolveMatch>");
            target_fields(w, t);
            w.raw("</d:ResolveMatch></d:ResolveMatches>");
        },
    )
}

/// Multicast announcement at start, on an address change and on a scope change.
pub(crate) fn hello(message_id: &str, seq: AppSequence, t: &Target<'_>) -> String {
    envelope(
        SoapVersion::V12,
        ACTION_HELLO,
        TO_DISCOVERY,
        message_id,
        None,
        seq,
        |w| {
            w.raw("<d:Hello>");
            target_fields(w, t);
            w.raw("</d:Hello>");
        },
    )
}

/// Multicast farewell at a clean stop.
pub(crate) fn bye(message_id: &str, seq: AppSequence, endpoint: &str) -> String {
    envelope(
        SoapVersion::V12,
        ACTION_BYE,
        TO_DISCOVERY,
        message_id,
        None,
        seq,
        |w| {
            w.raw("<d:Bye>");
            epr(w, endpoint);
            w.raw("</d:Bye>");
        },
    )
}

/// The answer to a unicast Probe whose `MatchBy` rule we do not support (ONVIF Core s.7.3.6,
/// WS-Discovery 2005/04 s.5.1): Sender / `d:MatchingRuleNotSupported`, with the rules we do
/// support as detail. Never sent to a multicast Probe (silence there, SOAP-over-UDP s.4).
pub(crate) fn matching_rule_not_supported(
    version: SoapVersion,
    message_id: &str,
    relates_to: &str,
) -> String {
    const REASON: &str = "the matching rule specified is not supported";
    let mut w = XmlWriter::new();
    w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    w.open("env:Envelope");
    w.attr("xmlns:env", version.ns());
    w.attr("xmlns:wsa", WSA_2004);
    w.attr("xmlns:d", WSD);
    w.close_start();
    w.raw("<env:Header>");
    w.simple("wsa:MessageID", message_id);
    w.simple("wsa:RelatesTo", relates_to);
    w.simple("wsa:To", TO_ANONYMOUS);
    w.simple("wsa:Action", ACTION_FAULT);
    w.raw("</env:Header><env:Body><env:Fault>");
    match version {
        SoapVersion::V12 => {
            w.raw("<env:Code><env:Value>env:Sender</env:Value><env:Subcode>");
            w.simple("env:Value", "d:MatchingRuleNotSupported");
            w.raw("</env:Subcode></env:Code><env:Reason><env:Text xml:lang=\"en\">");
            w.raw(REASON);
            w.raw("</env:Text></env:Reason><env:Detail>");
            w.simple("d:SupportedMatchingRules", SUPPORTED_MATCHING_RULES);
            w.raw("</env:Detail>");
        }
        // SOAP 1.1 has no subcodes: the WS-Discovery subcode is the faultcode.
        SoapVersion::V11 => {
            w.simple("faultcode", "d:MatchingRuleNotSupported");
            w.simple("faultstring", REASON);
            w.raw("<detail>");
            w.simple("d:SupportedMatchingRules", SUPPORTED_MATCHING_RULES);
            w.raw("</detail>");
        }
    }
    w.raw("</env:Fault></env:Body>");
    w.end("env:Envelope");
    w.into_string()
}

/// A fresh random `urn:uuid:` (version 4) for a message we send.
pub(crate) fn new_message_id(rng: &mut impl rand::Rng) -> String {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    crate::host::urn_uuid(&b)
}

/// Entry point of the `discovery_datagram` fuzz target and its corpus test: parse any bytes;
/// what parses must respect the caps and survive being answered.
#[doc(hidden)]
pub fn fuzz_input(data: &[u8]) {
    if let Ok(m) = parse(data) {
        assert!(data.len() <= MAX_DATAGRAM);
        assert!(!m.message_id.is_empty() && m.message_id.len() <= MAX_MESSAGE_ID);
        if let Request::Probe {
            types,
            scopes,
            match_by,
        } = &m.request
        {
            assert!(types.len() <= MAX_PROBE_ITEMS && scopes.len() <= MAX_PROBE_ITEMS);
            let ours = vec!["onvif://www.onvif.org/Profile/Streaming".to_owned()];
            let _ = super::matcher::scopes_match(scopes, &ours, *match_by);
        }
        let seq = AppSequence {
            instance_id: 1,
            message_number: 1,
        };
        let t = Target {
            epr: "urn:uuid:00000000-0000-5000-8000-000000000000",
            scopes: &[],
            xaddrs: &[],
            metadata_version: 1,
        };
        let reply = probe_matches(m.version, "urn:uuid:x", &m.message_id, seq, &t);
        assert!(
            crate::xml::parse(reply.as_bytes()).is_ok(),
            "reply not well-formed"
        );
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A Probe as the Python `WSDiscovery` 2.1 client writes it (prefix `ZhAqBEaFmC` is one
    /// of its random ones), with a `dn` type.
    pub(crate) const PYTHON_PROBE: &str = r#"<?xml version="1.0" ?>
<s:Envelope xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:ZhAqBEaFmC="http://www.onvif.org/ver10/network/wsdl">
	<s:Header>
		<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>
		<a:MessageID>urn:uuid:9b2ac4e0-2f1b-4b5e-8b0e-111111111111</a:MessageID>
		<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>
	</s:Header>
	<s:Body>
		<d:Probe>
			<d:Types>ZhAqBEaFmC:NetworkVideoTransmitter</d:Types>
			<d:Scopes>onvif://www.onvif.org/Profile/Streaming</d:Scopes>
		</d:Probe>
	</s:Body>
</s:Envelope>
"#;

    #[test]
    fn parses_a_probe_by_namespace() {
        let m = parse(PYTHON_PROBE.as_bytes()).unwrap();
        assert_eq!(m.version, SoapVersion::V12);
        assert_eq!(
            m.message_id,
            "urn:uuid:9b2ac4e0-2f1b-4b5e-8b0e-111111111111"
        );
        assert_eq!(
            m.request,
            Request::Probe {
                types: vec![QName::new(DN, "NetworkVideoTransmitter")],
                scopes: vec!["onvif://www.onvif.org/Profile/Streaming".into()],
                match_by: MatchBy::Uri,
            }
        );
    }

    #[test]
    fn tolerated_variants() {
        // ODM style: default-namespace Types on the Probe, no Action, WS-Addressing 1.0,
        // SOAP 1.1 envelope.
        let p = format!(
            r#"<e:Envelope xmlns:e="{ENV11}"><e:Header><MessageID xmlns="{WSA}">m1</MessageID></e:Header><e:Body><Probe xmlns="{WSD}"><Types xmlns:tds="{TDS}">tds:Device</Types><Scopes/></Probe></e:Body></e:Envelope>"#
        );
        let m = parse(p.as_bytes()).unwrap();
        assert_eq!(m.version, SoapVersion::V11);
        assert_eq!(
            m.request,
            Request::Probe {
                types: vec![QName::new(TDS, "Device")],
                scopes: vec![],
                match_by: MatchBy::Uri
            }
        );
        // A Resolve.
        let r = format!(
            r#"<s:Envelope xmlns:s="{ENV12}" xmlns:a="{WSA_2004}"><s:Header><a:MessageID>m2</a:MessageID><a:Action>{ACTION_RESOLVE}</a:Action></s:Header><s:Body><d:Resolve xmlns:d="{WSD}"><a:EndpointReference><a:Address> urn:uuid:1 </a:Address></a:EndpointReference></d:Resolve></s:Body></s:Envelope>"#
        );
        assert_eq!(
            parse(r.as_bytes()).unwrap().request,
            Request::Resolve {
                address: "urn:uuid:1".into()
            }
        );
    }

    #[test]
    fn drops_what_it_must_not_answer() {
        let with = |from: &str, to: &str| PYTHON_PROBE.replace(from, to);
        let long_id = format!("urn:{}", "x".repeat(MAX_MESSAGE_ID));
        let big = with(
            "<d:Probe>",
            &format!("<d:Probe>{}", " ".repeat(MAX_DATAGRAM)),
        );
        let many_scopes = with(
            "<d:Scopes>",
            &format!("<d:Scopes>{}", "onvif://a/b ".repeat(MAX_PROBE_ITEMS + 1)),
        );
        let cases: Vec<(String, Dropped)> = vec![
            ("garbage".into(), Dropped::NotXml),
            ("<x/>".into(), Dropped::NotSoap),
            (big, Dropped::TooLarge),
            (
                with("urn:uuid:9b2ac4e0-2f1b-4b5e-8b0e-111111111111", &long_id),
                Dropped::MessageIdTooLong,
            ),
            (
                with(
                    "<a:MessageID>urn:uuid:9b2ac4e0-2f1b-4b5e-8b0e-111111111111</a:MessageID>",
                    "",
                ),
                Dropped::NoMessageId,
            ),
            (with("d:Probe>", "d:Hello>"), Dropped::NotARequest),
            (
                with("discovery/Probe</a:Action>", "discovery/Resolve</a:Action>"),
                Dropped::ActionMismatch,
            ),
            (
                with("ZhAqBEaFmC:Network", "nope:Network"),
                Dropped::BadProbe,
            ),
            (many_scopes, Dropped::BadProbe),
            (
                with("<!DOCTYPE", "").replace(
                    "<?xml version=\"1.0\" ?>",
                    "<!DOCTYPE x [<!ENTITY a \"b\">]>",
                ),
                Dropped::NotXml,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input.as_bytes()), Err(want), "{input}");
            fuzz_input(input.as_bytes());
        }
    }

    #[test]
    fn built_messages_parse_back_as_the_python_client_reads_them() {
        let scopes = vec![
            "onvif://www.onvif.org/Profile/Streaming".to_owned(),
            "onvif://www.onvif.org/name/a%20b".to_owned(),
        ];
        let xaddrs = vec!["http://10.0.0.1:8080/onvif/device_service".to_owned()];
        let t = Target {
            epr: "urn:uuid:1",
            scopes: &scopes,
            xaddrs: &xaddrs,
            metadata_version: 7,
        };
        let seq = AppSequence {
            instance_id: 5,
            message_number: 2,
        };
        let pm = probe_matches(SoapVersion::V12, "urn:uuid:me", "urn:uuid:req<&>", seq, &t);
        let root = crate::xml::parse(pm.as_bytes()).unwrap();
        let header = root.child(ENV12, "Header").unwrap();
        assert_eq!(
            header.child(WSA_2004, "RelatesTo").unwrap().text,
            "urn:uuid:req<&>"
        );
        assert_eq!(
            header.child(WSA_2004, "Action").unwrap().text,
            ACTION_PROBE_MATCHES
        );
        let app = header.child(WSD, "AppSequence").unwrap();
        assert_eq!(
            (app.attr("InstanceId"), app.attr("MessageNumber")),
            (Some("5"), Some("2"))
        );
        let m = root
            .child(ENV12, "Body")
            .unwrap()
            .child(WSD, "ProbeMatches")
            .unwrap()
            .child(WSD, "ProbeMatch")
            .unwrap();
        let types: Vec<QName> = m
            .child(WSD, "Types")
            .unwrap()
            .text
            .split_whitespace()
            .map(|q| resolve_qname(q, &[&root]).unwrap())
            .collect();
        assert_eq!(types, our_types());
        assert_eq!(m.child(WSD, "Scopes").unwrap().text, scopes.join(" "));
        assert_eq!(m.child(WSD, "MetadataVersion").unwrap().text, "7");
        let h = hello("urn:uuid:h", seq, &t);
        assert!(
            crate::xml::parse(h.as_bytes())
                .unwrap()
                .child(ENV12, "Body")
                .unwrap()
                .child(WSD, "Hello")
                .is_some()
        );
        let b = bye("urn:uuid:b", seq, "urn:uuid:1");
        assert!(b.contains("<wsa:Address>urn:uuid:1</wsa:Address>"));
        let r = resolve_matches(SoapVersion::V11, "urn:uuid:r", "x", seq, &t);
        assert!(
            crate::xml::parse(r.as_bytes())
                .unwrap()
                .is(ENV11, "Envelope")
        );
    }

    #[test]
    fn corpus_seeds_from_real_clients_parse() {
        let seed = |name: &str| {
            let path = format!(
                "{}/fuzz/corpus/discovery_datagram/{name}",
                env!("CARGO_MANIFEST_DIR")
            );
            parse(&std::fs::read(path).unwrap())
        };
        let dn_nvt = QName::new(DN, "NetworkVideoTransmitter");
        assert!(matches!(seed("python_probe.xml").unwrap().request,
            Request::Probe { ref types, .. } if *types == [dn_nvt]));
        assert!(matches!(seed("odm_probe_soap12.xml").unwrap().request,
            Request::Probe { ref types, ref scopes, .. }
                if *types == [QName::new(TDS, "Device")] && scopes.is_empty()));
        assert!(matches!(seed("strcmp_soap11.xml").unwrap().request,
            Request::Probe { match_by: MatchBy::Strcmp0, ref scopes, .. } if scopes.len() == 2));
        assert!(matches!(
            seed("python_resolve.xml").unwrap().request,
            Request::Resolve { .. }
        ));
        assert_eq!(seed("hello_dropped.xml"), Err(Dropped::NotARequest));
        assert_eq!(seed("doctype.xml"), Err(Dropped::NotXml));
    }

    #[test]
    fn message_ids_are_uuid_urns() {
        let id = new_message_id(&mut rand::rng());
        assert_eq!(id.len(), 45);
        assert_ne!(id, new_message_id(&mut rand::rng()));
    }
}
