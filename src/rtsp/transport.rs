//! The `Transport` header (RFC 2326 s12.39), sans-IO.
//!
//! Written here rather than with `rtsp-types`' typed header because the server must echo an
//! interleaved transport *exactly* as the client sent it (some clients compare the strings),
//! and must see every parameter (notably `destination`) to refuse what it will not do.

/// Lower transport of an `RTP/AVP` spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lower {
    /// `RTP/AVP` or `RTP/AVP/UDP`.
    Udp,
    /// `RTP/AVP/TCP`: interleaved on the RTSP connection (s10.12).
    Tcp,
}

/// One transport spec of the (comma-separated, preference-ordered) header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TransportSpec {
    /// The spec exactly as sent, for echoing.
    pub(crate) raw: String,
    pub(crate) lower: Option<Lower>,
    pub(crate) multicast: bool,
    pub(crate) destination: Option<String>,
    pub(crate) interleaved: Option<(u8, u8)>,
    pub(crate) client_port: Option<(u16, u16)>,
    pub(crate) port: Option<(u16, u16)>,
    pub(crate) ttl: Option<u8>,
    /// `mode=` value without quotes, lower-cased (`play` when absent, s12.39).
    pub(crate) mode: Option<String>,
}

/// Why a Transport header cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TransportError {
    #[error("empty Transport header")]
    Empty,
    #[error("malformed Transport parameter")]
    Malformed,
}

/// Parses every spec of the header. Specs with an unknown protocol get `lower: None` rather
/// than an error, so the caller can skip to the next alternative (s12.39).
pub(crate) fn parse(header: &str) -> Result<Vec<TransportSpec>, TransportError> {
    let mut out = Vec::new();
    for raw in header.split(',') {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let mut parts = raw.split(';');
        let proto = parts.next().unwrap_or_default().trim();
        let mut spec = TransportSpec {
            raw: raw.to_owned(),
            lower: match proto.to_ascii_uppercase().as_str() {
                "RTP/AVP" | "RTP/AVP/UDP" => Some(Lower::Udp),
                "RTP/AVP/TCP" => Some(Lower::Tcp),
                _ => None,
            },
            ..Default::default()
        };
        for p in parts {
            let p = p.trim();
            let (k, v) = match p.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (p, None),
            };
            match (k.to_ascii_lowercase().as_str(), v) {
                ("unicast", None) => spec.multicast = false,
                ("multicast", None) => spec.multicast = true,
                ("destination", Some(v)) => spec.destination = Some(v.to_owned()),
                ("interleaved", Some(v)) => {
                    let (a, b) = pair(v)?;
                    spec.interleaved = Some((
                        u8::try_from(a).map_err(|_| TransportError::Malformed)?,
                        u8::try_from(b).map_err(|_| TransportError::Malformed)?,
                    ));
                }
                ("client_port", Some(v)) => spec.client_port = Some(pair(v)?),
                ("port", Some(v)) => spec.port = Some(pair(v)?),
                ("ttl", Some(v)) => {
                    spec.ttl = Some(v.parse().map_err(|_| TransportError::Malformed)?)
                }
                ("mode", Some(v)) => {
                    spec.mode = Some(v.trim_matches('"').to_ascii_lowercase());
                }
                // Everything else (ssrc, source, append, layers, server_port...) is
                // informational for a sender, or ignorable per s12.39.
                _ => {}
            }
        }
        out.push(spec);
    }
    if out.is_empty() {
        return Err(TransportError::Empty);
    }
    Ok(out)
}

/// `a-b` or `a` (then `b = a + 1`, s12.39 "client_port").
fn pair(v: &str) -> Result<(u16, u16), TransportError> {
    let num = |s: &str| {
        s.trim()
            .parse::<u16>()
            .map_err(|_| TransportError::Malformed)
    };
    match v.split_once('-') {
        Some((a, b)) => Ok((num(a)?, num(b)?)),
        None => {
            let a = num(v)?;
            Ok((a, a.checked_add(1).ok_or(TransportError::Malformed)?))
        }
    }
}

impl TransportSpec {
    /// True if this spec asks to play (not record): `mode` absent or `play`.
    pub(crate) fn is_play(&self) -> bool {
        self.mode.as_deref().is_none_or(|m| m == "play")
    }

    /// The Transport reply for an interleaved spec: the request echoed, with the default
    /// channels appended if the client named none.
    pub(crate) fn interleaved_reply(&self, channels: (u8, u8)) -> String {
        if self.interleaved.is_some() {
            self.raw.clone()
        } else {
            format!("{};interleaved={}-{}", self.raw, channels.0, channels.1)
        }
    }
}

/// The Transport reply for UDP unicast (s12.39): client and server port pairs and our SSRC.
pub(crate) fn udp_reply(client: (u16, u16), server: (u16, u16), ssrc: u32) -> String {
    format!(
        "RTP/AVP;unicast;client_port={}-{};server_port={}-{};ssrc={:08X}",
        client.0, client.1, server.0, server.1, ssrc
    )
}

/// The Transport reply for multicast (s12.39): the stream's group, ports and TTL.
pub(crate) fn multicast_reply(group: std::net::Ipv4Addr, port: u16, ttl: u8, ssrc: u32) -> String {
    format!(
        "RTP/AVP;multicast;destination={group};port={}-{};ttl={ttl};ssrc={ssrc:08X}",
        port,
        port.wrapping_add(1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preference_list() {
        let v =
            parse("RTP/AVP/TCP;unicast;interleaved=4-5, RTP/AVP;unicast;client_port=5000").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].lower, Some(Lower::Tcp));
        assert_eq!(v[0].interleaved, Some((4, 5)));
        assert_eq!(
            v[0].interleaved_reply((0, 1)),
            "RTP/AVP/TCP;unicast;interleaved=4-5"
        );
        assert_eq!(v[1].lower, Some(Lower::Udp));
        assert_eq!(v[1].client_port, Some((5000, 5001)));
    }

    #[test]
    fn multicast_and_destination() {
        let v = parse("RTP/AVP;multicast;destination=239.1.2.3;port=5000-5001;ttl=4").unwrap();
        assert!(v[0].multicast);
        assert_eq!(v[0].destination.as_deref(), Some("239.1.2.3"));
        assert_eq!(v[0].ttl, Some(4));
        assert_eq!(v[0].port, Some((5000, 5001)));
    }

    #[test]
    fn unknown_protocol_is_skippable_and_mode() {
        let v = parse("RTP/SAVP;unicast, RTP/AVP/TCP;mode=\"RECORD\"").unwrap();
        assert_eq!(v[0].lower, None);
        assert!(!v[1].is_play());
        assert_eq!(
            v[1].interleaved_reply((2, 3)),
            "RTP/AVP/TCP;mode=\"RECORD\";interleaved=2-3"
        );
    }

    #[test]
    fn malformed() {
        assert_eq!(parse(""), Err(TransportError::Empty));
        assert_eq!(
            parse("RTP/AVP;client_port=x"),
            Err(TransportError::Malformed)
        );
        assert_eq!(
            parse("RTP/AVP/TCP;interleaved=300-301"),
            Err(TransportError::Malformed)
        );
        assert_eq!(
            parse("RTP/AVP;client_port=65535"),
            Err(TransportError::Malformed)
        );
    }
}
