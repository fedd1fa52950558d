//! GetStreamUri's `Protocol` (`tr2:TransportProtocol`, ver20 media.wsdl; Media2 spec,
//! "GetStreamUri"): which ones nvt serves, and how.
//!
//! The unicast protocols get the profile's one RTSP URI (`onvif::media::uri::stream`), as
//! Media 1 does: the client picks UDP, interleaved TCP or the HTTP tunnel in its RTSP
//! SETUP, so one URI plays them all (docs/media.md, "Stream URIs and transports").
//! RtspMulticast gets the stream's multicast URL (`uri::multicast`), whose DESCRIBE names
//! the group: the protocol is the client's only word for multicast here, and a receiver
//! that SETUPs with its default transports then still joins the group.

/// A `Protocol` value of GetStreamUri.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// `RtspUnicast`: RTP over UDP unicast.
    RtspUnicast,
    /// `RtspMulticast`: RTP over UDP multicast, to the encoder configuration's group (the
    /// multicast URL).
    RtspMulticast,
    /// `RTSP`: RTP interleaved in the RTSP connection (TCP).
    Rtsp,
    /// `RtspOverHttp`: RTSP and RTP tunnelled in HTTP. The spec wants the web service's
    /// port; nvt's tunnel is served on the RTSP port (src/rtsp/tunnel.rs), so the URI is
    /// that of the other protocols (docs/media2.md, "Deviations").
    RtspOverHttp,
}

/// Why a `Protocol` value is not served: the fault is `InvalidStreamSetup` either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// `RtspsUnicast`, `RtspsMulticast`: SRTP over RTSPS; nvt has no TLS, and its
    /// capabilities say so (`SecureRTSPStreaming` false).
    Secure,
    /// A value the enumeration does not have.
    Unknown,
}

impl Protocol {
    pub(crate) fn parse(value: &str) -> Result<Protocol, Refused> {
        match value.trim() {
            "RtspUnicast" => Ok(Protocol::RtspUnicast),
            "RtspMulticast" => Ok(Protocol::RtspMulticast),
            "RTSP" => Ok(Protocol::Rtsp),
            "RtspOverHttp" => Ok(Protocol::RtspOverHttp),
            "RtspsUnicast" | "RtspsMulticast" => Err(Refused::Secure),
            _ => Err(Refused::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_plain_protocols_are_served_and_srtp_is_not() {
        assert_eq!(Protocol::parse("RtspUnicast"), Ok(Protocol::RtspUnicast));
        assert_eq!(Protocol::parse(" RTSP "), Ok(Protocol::Rtsp));
        assert_eq!(
            Protocol::parse("RtspMulticast"),
            Ok(Protocol::RtspMulticast)
        );
        assert_eq!(Protocol::parse("RtspOverHttp"), Ok(Protocol::RtspOverHttp));
        assert_eq!(Protocol::parse("RtspsUnicast"), Err(Refused::Secure));
        assert_eq!(Protocol::parse("RtspsMulticast"), Err(Refused::Secure));
        // Case matters: the schema's values are exact.
        assert_eq!(Protocol::parse("rtsp"), Err(Refused::Unknown));
        assert_eq!(Protocol::parse("RTP-Unicast"), Err(Refused::Unknown));
    }
}
