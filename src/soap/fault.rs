//! SOAP faults as ONVIF uses them: a SOAP 1.2 code (`env:Sender`, `env:Receiver`, ...), a
//! chain of `ter:` subcodes (ONVIF Core s.5.11 "Error handling"), a reason, and the HTTP
//! status the SOAP 1.2 HTTP binding (SOAP 1.2 part 2, s.7.5.1) gives to each code.

use std::borrow::Cow;

use super::version::SoapVersion;
use crate::xml::XmlWriter;

/// The SOAP 1.2 fault code (SOAP 1.2 part 1, s.5.4.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    VersionMismatch,
    MustUnderstand,
    Sender,
    Receiver,
}

impl Code {
    fn local(self) -> &'static str {
        match self {
            Code::VersionMismatch => "VersionMismatch",
            Code::MustUnderstand => "MustUnderstand",
            Code::Sender => "Sender",
            Code::Receiver => "Receiver",
        }
    }
    /// The SOAP 1.1 equivalent (SOAP 1.1 s.4.4.1), for 1.1 requests.
    fn local11(self) -> &'static str {
        match self {
            Code::VersionMismatch => "VersionMismatch",
            Code::MustUnderstand => "MustUnderstand",
            Code::Sender => "Client",
            Code::Receiver => "Server",
        }
    }
}

/// A SOAP fault to send. Subcodes are local names in the `ter:` namespace, outermost first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub(crate) code: Code,
    pub subcodes: Vec<&'static str>,
    pub(crate) reason: Cow<'static, str>,
    /// The fault's detail element (SOAP 1.2 part 1 s.5.4.5), already written with its own
    /// namespace declarations: the declared faults of the WSDL (e.g. WS-BaseNotification's
    /// `wsnt:TopicNotSupportedFault`) travel here.
    pub(crate) detail: Option<String>,
}

impl Fault {
    pub(crate) fn new(
        code: Code,
        subcodes: &[&'static str],
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Fault {
            code,
            subcodes: subcodes.to_vec(),
            reason: reason.into(),
            detail: None,
        }
    }

    /// The same fault with a detail element (well-formed XML declaring its own prefixes).
    pub(crate) fn with_detail(mut self, xml: String) -> Self {
        self.detail = Some(xml);
        self
    }

    /// `env:Receiver / ter:ActionNotSupported`: the operation is unknown or not implemented
    /// (ONVIF Core, generic faults). Never answer those with an empty success.
    pub(crate) fn action_not_supported() -> Self {
        Fault::new(
            Code::Receiver,
            &["ActionNotSupported"],
            "Optional Action Not Implemented",
        )
    }

    /// `env:Sender / ter:NotAuthorized`.
    pub(crate) fn not_authorized() -> Self {
        Fault::new(Code::Sender, &["NotAuthorized"], "Sender not Authorized")
    }

    /// `env:Sender / ter:WellFormed`: the XML could not be parsed.
    pub(crate) fn well_formed(detail: impl Into<Cow<'static, str>>) -> Self {
        Fault::new(Code::Sender, &["WellFormed"], detail)
    }

    /// `env:Sender / ter:InvalidArgVal / <specific>`.
    pub(crate) fn invalid_arg_val(
        specific: Option<&'static str>,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        let mut f = Fault::new(Code::Sender, &["InvalidArgVal"], reason);
        f.subcodes.extend(specific);
        f
    }

    /// `env:Sender / ter:InvalidArgs`: a required element is missing or has the wrong type.
    pub(crate) fn invalid_args(reason: impl Into<Cow<'static, str>>) -> Self {
        Fault::new(Code::Sender, &["InvalidArgs"], reason)
    }

    /// `env:Sender / ter:OperationProhibited / <specific>`.
    pub(crate) fn operation_prohibited(
        specific: &'static str,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Fault::new(Code::Sender, &["OperationProhibited", specific], reason)
    }

    /// `env:Receiver / ter:Action / <specific>`.
    pub(crate) fn action(specific: &'static str, reason: impl Into<Cow<'static, str>>) -> Self {
        Fault::new(Code::Receiver, &["Action", specific], reason)
    }

    /// HTTP status for this fault (SOAP 1.2 part 2, s.7.5.1.2, table 20): Sender faults are
    /// the client's (400), everything else 500.
    pub(crate) fn http_status(&self) -> u16 {
        match self.code {
            Code::Sender => 400,
            _ => 500,
        }
    }

    /// Writes the `Fault` element (inside `env:Body`).
    pub(crate) fn write(&self, w: &mut XmlWriter, version: SoapVersion) {
        match version {
            SoapVersion::V12 => {
                w.raw("<env:Fault><env:Code><env:Value>env:");
                w.raw(self.code.local());
                w.raw("</env:Value>");
                for s in &self.subcodes {
                    w.raw("<env:Subcode><env:Value>ter:");
                    w.raw(s);
                    w.raw("</env:Value>");
                }
                for _ in &self.subcodes {
                    w.raw("</env:Subcode>");
                }
                w.raw("</env:Code><env:Reason><env:Text xml:lang=\"en\">");
                w.text(&self.reason);
                w.raw("</env:Text></env:Reason>");
                if let Some(d) = &self.detail {
                    w.raw("<env:Detail>");
                    w.raw(d);
                    w.raw("</env:Detail>");
                }
                w.raw("</env:Fault>");
            }
            SoapVersion::V11 => {
                w.raw("<env:Fault><faultcode>env:");
                w.raw(self.code.local11());
                w.raw("</faultcode><faultstring>");
                for s in &self.subcodes {
                    w.text(&format!("ter:{s} "));
                }
                w.text(&self.reason);
                w.raw("</faultstring>");
                if let Some(d) = &self.detail {
                    w.raw("<detail>");
                    w.raw(d);
                    w.raw("</detail>");
                }
                w.raw("</env:Fault>");
            }
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "env:{}", self.code.local())?;
        for s in &self.subcodes {
            write!(f, "/ter:{s}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for Fault {}
