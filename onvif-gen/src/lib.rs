//! onvif-gen: WSDL/XSD to Rust. Empty until the SOAP layer lands (issue 4).
