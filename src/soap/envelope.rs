//! The SOAP envelope: reading requests (SOAP 1.2, and 1.1 for old clients) and writing
//! responses and faults in the request's version. Sans-IO: bytes in, structs out.
//!
//! SOAP 1.2 part 1 s.5: Envelope, optional Header with header blocks, Body. A header block
//! with `mustUnderstand` true that we do not process gets `env:MustUnderstand` (s.5.4.8).
//! WS-Addressing (W3C WS-Addressing 1.0 SOAP binding): when the request has a `wsa:MessageID`,
//! the response carries `wsa:RelatesTo` with it and a `wsa:Action`.

use super::fault::{Code, Fault};
use super::limits::{MAX_BODY_BYTES, MAX_HEADER_BLOCKS};
use super::ns::{BASE_PREFIXES, ENV11, ENV12, WSA, WSA_2004, WSSE};
use super::version::SoapVersion;
use crate::auth::wsse::{UsernameToken, WsseError, parse_security_header};
use crate::xml::{Element, XmlError, XmlWriter};

/// A parsed request envelope.
#[derive(Debug)]
pub struct Request {
    pub version: SoapVersion,
    /// The one element inside `Body`: the operation's request element.
    pub body: Element,
    /// `wsa:MessageID`, echoed as `wsa:RelatesTo`.
    pub message_id: Option<String>,
    /// `wsa:Action`, if sent.
    pub(crate) action: Option<String>,
    /// The UsernameToken of the `wsse:Security` header, or why it could not be read. Kept
    /// unverified here: whether a bad token matters depends on the operation's access class.
    pub security: Option<Result<UsernameToken, WsseError>>,
}

/// Why an envelope was refused, with the version to answer in when it is known.
#[derive(Debug)]
pub struct EnvelopeError {
    pub(crate) version: SoapVersion,
    pub(crate) fault: Fault,
}

fn err(version: SoapVersion, fault: Fault) -> EnvelopeError {
    EnvelopeError { version, fault }
}

/// Parses a request body. `body.len()` must already be known to be within
/// [`MAX_BODY_BYTES`]; it is checked again here so the core is safe on its own.
pub fn parse_request(body: &[u8]) -> Result<Request, EnvelopeError> {
    let v12 = SoapVersion::V12;
    if body.len() > MAX_BODY_BYTES {
        return Err(err(
            v12,
            Fault::new(Code::Sender, &["WellFormed"], "request too large"),
        ));
    }
    let root = crate::xml::parse(body).map_err(|e| {
        let f = match e {
            XmlError::DocType | XmlError::ProcessingInstruction | XmlError::UnknownEntity(_) => {
                Fault::well_formed(e.to_string())
            }
            XmlError::TooDeep | XmlError::TooManyElements | XmlError::TooManyAttributes => {
                Fault::well_formed(e.to_string())
            }
            XmlError::UnboundPrefix => Fault::new(Code::Sender, &["Namespace"], e.to_string()),
            XmlError::Syntax(_) => Fault::new(Code::Sender, &["WellFormed"], "XML not well-formed"),
            _ => Fault::well_formed(e.to_string()),
        };
        err(v12, f)
    })?;
    let version = match root.ns.as_deref() {
        Some(ENV12) if root.name == "Envelope" => SoapVersion::V12,
        Some(ENV11) if root.name == "Envelope" => SoapVersion::V11,
        _ if root.name == "Envelope" => {
            return Err(err(
                v12,
                Fault::new(
                    Code::VersionMismatch,
                    &[],
                    "unsupported SOAP envelope namespace",
                ),
            ));
        }
        _ => {
            return Err(err(
                v12,
                Fault::new(Code::Sender, &["WellFormed"], "not a SOAP envelope"),
            ));
        }
    };
    let env = version.ns();
    let mut header: Option<&Element> = None;
    let mut body_el: Option<&Element> = None;
    for c in &root.children {
        match (c.ns.as_deref() == Some(env), c.name.as_str()) {
            (true, "Header") if header.is_none() && body_el.is_none() => header = Some(c),
            (true, "Body") if body_el.is_none() => body_el = Some(c),
            _ => {
                return Err(err(
                    version,
                    Fault::new(
                        Code::Sender,
                        &["WellFormed"],
                        "unexpected element in Envelope",
                    ),
                ));
            }
        }
    }
    let body_el = body_el.ok_or_else(|| {
        err(
            version,
            Fault::new(Code::Sender, &["WellFormed"], "no Body"),
        )
    })?;
    let mut req = Request {
        version,
        body: Element::default(),
        message_id: None,
        action: None,
        security: None,
    };
    if let Some(h) = header {
        if h.children.len() > MAX_HEADER_BLOCKS {
            return Err(err(
                version,
                Fault::new(Code::Sender, &["WellFormed"], "too many header blocks"),
            ));
        }
        for block in &h.children {
            let ns = block.ns.as_deref().unwrap_or("");
            if ns == WSSE && block.name == "Security" {
                if req.security.is_some() {
                    return Err(err(
                        version,
                        Fault::new(
                            Code::Sender,
                            &["InvalidArgs"],
                            "more than one Security header",
                        ),
                    ));
                }
                req.security = match parse_security_header(block) {
                    Ok(Some(t)) => Some(Ok(t)),
                    Ok(None) => None,
                    Err(e) => Some(Err(e)),
                };
            } else if ns == WSA || ns == WSA_2004 {
                match block.name.as_str() {
                    "MessageID" => req.message_id = Some(block.trimmed_text().to_owned()),
                    "Action" => req.action = Some(block.trimmed_text().to_owned()),
                    _ => {} // To, ReplyTo...: we always answer on the HTTP response.
                }
            } else if must_understand(block, env) {
                return Err(err(
                    version,
                    Fault::new(
                        Code::MustUnderstand,
                        &[],
                        format!("header {} not understood", truncate(&block.name, 64)),
                    ),
                ));
            }
        }
    }
    let mut elements = body_el.children.iter();
    let op = elements.next().ok_or_else(|| {
        err(
            version,
            Fault::new(Code::Sender, &["InvalidArgs"], "empty Body"),
        )
    })?;
    if elements.next().is_some() {
        return Err(err(
            version,
            Fault::new(
                Code::Sender,
                &["InvalidArgs"],
                "more than one element in Body",
            ),
        ));
    }
    req.body = op.clone();
    // Declarations made on the Envelope and Body are in scope in the operation element too:
    // QName-valued content (event topic expressions) may use them.
    for (p, u) in body_el.ns_decls.iter().chain(&root.ns_decls) {
        if !req.body.ns_decls.iter().any(|(q, _)| q == p) {
            req.body.ns_decls.insert(0, (p.clone(), u.clone()));
        }
    }
    // Cap echoed values so a response can never amplify a request by much.
    if req.message_id.as_ref().is_some_and(|m| m.len() > 256) {
        req.message_id = None;
    }
    Ok(req)
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn must_understand(block: &Element, env: &str) -> bool {
    matches!(
        block.attr_ns(env, "mustUnderstand").map(str::trim),
        Some("1" | "true")
    )
}

/// Writes a complete response envelope. `namespaces` are the (prefix, URI) pairs the body
/// uses (declared on the Envelope); `body` writes the body content.
pub(crate) fn write_response(
    version: SoapVersion,
    namespaces: &[(&str, &str)],
    relates_to: Option<&str>,
    action: Option<&str>,
    body: impl FnOnce(&mut XmlWriter),
) -> String {
    let mut w = XmlWriter::new();
    w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    w.open("env:Envelope");
    w.attr("xmlns:env", version.ns());
    // A prefix is declared once even when a generated module shares it with the base set
    // (`wsa`): a repeated attribute would make the envelope not well-formed.
    for (i, (p, u)) in BASE_PREFIXES.iter().chain(namespaces).enumerate() {
        let earlier = BASE_PREFIXES.iter().chain(namespaces).take(i);
        if earlier.clone().any(|(q, _)| q == p) {
            continue;
        }
        w.attr(&format!("xmlns:{p}"), u);
    }
    w.close_start();
    if let Some(id) = relates_to {
        w.raw("<env:Header>");
        w.simple("wsa:RelatesTo", id);
        if let Some(a) = action {
            w.simple("wsa:Action", a);
        }
        w.raw("</env:Header>");
    }
    w.raw("<env:Body>");
    body(&mut w);
    w.raw("</env:Body></env:Envelope>");
    w.into_string()
}

/// WS-Addressing fault action (WS-Addressing 1.0 SOAP binding s.6).
pub(crate) const FAULT_ACTION: &str = "http://www.w3.org/2005/08/addressing/soap/fault";

/// Writes a fault envelope.
pub(crate) fn write_fault(version: SoapVersion, fault: &Fault, relates_to: Option<&str>) -> String {
    write_response(version, &[], relates_to, Some(FAULT_ACTION), |w| {
        fault.write(w, version)
    })
}

/// Entry point of the `soap_envelope` fuzz target and its corpus test: parse any bytes as a
/// request and, when that works, verify its UsernameToken and write the answer.
#[doc(hidden)]
pub fn fuzz_input(data: &[u8]) {
    match parse_request(data) {
        Ok(req) => {
            if let Some(Ok(token)) = &req.security {
                let users: Vec<crate::auth::Credential> = Vec::new();
                let _ = crate::auth::wsse::WsseVerifier::default().verify(token, &users, 0);
            }
            let _ = write_response(
                req.version,
                &[],
                req.message_id.as_deref(),
                req.action.as_deref(),
                |w| w.element(&req.body),
            );
        }
        Err(e) => {
            let _ = write_fault(e.version, &e.fault, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GET_DEVICE_INFO_12: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><GetDeviceInformation xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>"#;

    #[test]
    fn parses_12_and_11() {
        let r = parse_request(GET_DEVICE_INFO_12.as_bytes()).unwrap();
        assert_eq!(r.version, SoapVersion::V12);
        assert!(r.body.is(
            "http://www.onvif.org/ver10/device/wsdl",
            "GetDeviceInformation"
        ));
        let v11 = GET_DEVICE_INFO_12.replace(ENV12, ENV11);
        assert_eq!(
            parse_request(v11.as_bytes()).unwrap().version,
            SoapVersion::V11
        );
    }

    #[test]
    fn wsa_and_must_understand() {
        let with_header = |h: &str| {
            GET_DEVICE_INFO_12.replace(
                "<s:Body",
                &format!("<s:Header xmlns:a=\"{WSA}\">{h}</s:Header><s:Body"),
            )
        };
        let r = parse_request(
            with_header("<a:MessageID>urn:uuid:1</a:MessageID><a:Action s:mustUnderstand=\"1\">x</a:Action>").as_bytes(),
        )
        .unwrap();
        assert_eq!(r.message_id.as_deref(), Some("urn:uuid:1"));
        let e = parse_request(
            with_header("<x:Foo xmlns:x=\"urn:x\" s:mustUnderstand=\"true\"/>").as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.fault.code, Code::MustUnderstand);
        // Not mustUnderstand: ignored.
        assert!(parse_request(with_header("<x:Foo xmlns:x=\"urn:x\"/>").as_bytes()).is_ok());
        let many = with_header(&"<x:Foo xmlns:x=\"urn:x\"/>".repeat(1000));
        let e = parse_request(many.as_bytes()).unwrap_err();
        assert_eq!(e.fault.http_status(), 400);
    }

    #[test]
    fn envelope_errors() {
        let e = parse_request(b"<x/>").unwrap_err();
        assert_eq!(
            (e.fault.code, e.fault.subcodes.as_slice()),
            (Code::Sender, &["WellFormed"][..])
        );
        let e =
            parse_request(b"<e:Envelope xmlns:e=\"urn:other\"><e:Body/></e:Envelope>").unwrap_err();
        assert_eq!(e.fault.code, Code::VersionMismatch);
        let e = parse_request(
            format!("<s:Envelope xmlns:s=\"{ENV12}\"><s:Body/></s:Envelope>").as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.fault.subcodes, ["InvalidArgs"]);
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert!(parse_request(&big).is_err());
    }

    #[test]
    fn response_and_fault_are_well_formed_and_declared() {
        let s = write_response(
            SoapVersion::V12,
            &[("tds", "urn:tds")],
            Some("urn:uuid:1"),
            Some("urn:act"),
            |w| w.simple("tds:X", "a<b"),
        );
        let el = crate::xml::parse(s.as_bytes()).unwrap();
        assert!(el.is(ENV12, "Envelope"));
        let f = write_fault(SoapVersion::V12, &Fault::action_not_supported(), None);
        assert!(f.starts_with("<?xml"));
        let el = crate::xml::parse(f.as_bytes()).unwrap();
        let code = el
            .child(ENV12, "Body")
            .unwrap()
            .child(ENV12, "Fault")
            .unwrap()
            .child(ENV12, "Code")
            .unwrap();
        assert_eq!(code.child(ENV12, "Value").unwrap().text, "env:Receiver");
        assert_eq!(
            code.child(ENV12, "Subcode")
                .unwrap()
                .child(ENV12, "Value")
                .unwrap()
                .text,
            "ter:ActionNotSupported"
        );
        let f11 = write_fault(SoapVersion::V11, &Fault::not_authorized(), None);
        assert!(crate::xml::parse(f11.as_bytes()).is_ok());
    }
}
