//! Network settings: the host name (RFC 1123) and SetNetworkProtocols, merged with the
//! current protocols. Both are stored and reported; new ports take effect at the restart that
//! follows the answer (`camera::core`).

use crate::settings::Settings;

use super::error::{ChangeError, NetworkError};

/// SetNetworkProtocols' values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolsRequest {
    pub(crate) protocols: Vec<ProtocolRequest>,
    /// Ports the servers run on now (what a protocol without a stored port has).
    pub(crate) running_http: u16,
    pub(crate) running_rtsp: u16,
    /// Address the servers listen on: a new port is test-bound there before it is accepted.
    pub(crate) bind: std::net::IpAddr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProtocolRequest {
    pub(crate) kind: ProtocolKind,
    pub(crate) enabled: bool,
    /// As sent: zero or one port is accepted.
    pub(crate) ports: Vec<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ProtocolKind {
    Http,
    Rtsp,
    /// A protocol nvt does not serve (HTTPS), named for the message.
    Other(String),
}

/// RFC 1123 host name: labels of letters, digits and '-', not starting or ending with '-',
/// at most 63 octets each and 253 in all.
pub(crate) fn valid_hostname(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// SetNetworkProtocols on the current protocols: a protocol absent from the request, or
/// without a port, keeps what it has. HTTP carries ONVIF itself and cannot be disabled;
/// HTTPS is not offered.
pub(crate) fn protocols(next: &mut Settings, req: &ProtocolsRequest) -> Result<(), ChangeError> {
    let p = &mut next.network.protocols;
    let mut http_port = p.http_port.unwrap_or(req.running_http);
    let mut rtsp_port = p.rtsp_port.unwrap_or(req.running_rtsp);
    let (old_http, old_rtsp) = (http_port, rtsp_port);
    let mut rtsp_enabled = p.rtsp_enabled;
    for item in &req.protocols {
        let port = match item.ports.as_slice() {
            [] => None,
            [one] => Some(
                u16::try_from(*one)
                    .ok()
                    .filter(|n| *n != 0)
                    .ok_or(NetworkError::InvalidPort)?,
            ),
            _ => return Err(NetworkError::InvalidPort.into()),
        };
        match &item.kind {
            ProtocolKind::Http => {
                if !item.enabled {
                    return Err(NetworkError::ServiceNotSupported(
                        "HTTP carries ONVIF itself and cannot be disabled".into(),
                    )
                    .into());
                }
                http_port = port.unwrap_or(http_port);
            }
            ProtocolKind::Rtsp => {
                rtsp_enabled = item.enabled;
                rtsp_port = port.unwrap_or(rtsp_port);
            }
            ProtocolKind::Other(name) => {
                return Err(NetworkError::ServiceNotSupported(format!(
                    "protocol {name} not supported (HTTPS is not offered)"
                ))
                .into());
            }
        }
    }
    if http_port == rtsp_port {
        return Err(NetworkError::PortInUse("HTTP and RTSP need different ports".into()).into());
    }
    if http_port == old_http && rtsp_port == old_rtsp && rtsp_enabled == p.rtsp_enabled {
        return Ok(());
    }
    p.http_port = Some(http_port);
    p.rtsp_port = Some(rtsp_port);
    p.rtsp_enabled = rtsp_enabled;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::change::testing::{NO_HW, admin, with_users};
    use crate::camera::change::{Change, plan};

    fn protocols_request(items: Vec<ProtocolRequest>) -> Change {
        Change::NetworkProtocols(ProtocolsRequest {
            protocols: items,
            running_http: 8080,
            running_rtsp: 8554,
            bind: std::net::Ipv4Addr::LOCALHOST.into(),
        })
    }

    fn item(kind: ProtocolKind, enabled: bool, ports: &[i32]) -> ProtocolRequest {
        ProtocolRequest {
            kind,
            enabled,
            ports: ports.to_vec(),
        }
    }

    /// Two SetNetworkProtocols planned one after the other on the current settings (as the
    /// core runs them, under the lock): the second keeps what the first changed.
    #[test]
    fn network_protocols_merge_with_the_current_ones() {
        let s = with_users(vec![admin("a")]);
        let http = protocols_request(vec![item(ProtocolKind::Http, true, &[8081])]);
        let (s, _) = plan(&s, &NO_HW, http).unwrap();
        let rtsp_off = protocols_request(vec![item(ProtocolKind::Rtsp, false, &[])]);
        let (s, _) = plan(&s, &NO_HW, rtsp_off).unwrap();
        let p = &s.network.protocols;
        assert_eq!(
            (p.http_port, p.rtsp_port, p.rtsp_enabled),
            (Some(8081), Some(8554), false)
        );
        let refused = |items| plan(&s, &NO_HW, protocols_request(items)).unwrap_err();
        assert_eq!(
            refused(vec![item(ProtocolKind::Rtsp, true, &[8081])]),
            ChangeError::Network(NetworkError::PortInUse(
                "HTTP and RTSP need different ports".into()
            ))
        );
        assert_eq!(
            refused(vec![item(ProtocolKind::Http, true, &[70000])]),
            ChangeError::Network(NetworkError::InvalidPort)
        );
        assert_eq!(
            refused(vec![item(ProtocolKind::Http, true, &[80, 81])]),
            ChangeError::Network(NetworkError::InvalidPort)
        );
        assert!(matches!(
            refused(vec![item(ProtocolKind::Http, false, &[])]),
            ChangeError::Network(NetworkError::ServiceNotSupported(_))
        ));
        assert!(matches!(
            refused(vec![item(
                ProtocolKind::Other("HTTPS".into()),
                true,
                &[443]
            )]),
            ChangeError::Network(NetworkError::ServiceNotSupported(_))
        ));
    }

    #[test]
    fn hostnames_follow_rfc_1123() {
        let s = with_users(vec![admin("a")]);
        for bad in ["", "-cam", "cam_1", "a..b", &"x".repeat(64)] {
            assert_eq!(
                plan(&s, &NO_HW, Change::Hostname(bad.into())).unwrap_err(),
                ChangeError::Network(NetworkError::InvalidHostname),
                "{bad:?}"
            );
        }
        let (s, _) = plan(&s, &NO_HW, Change::Hostname("cam-1.local".into())).unwrap();
        assert_eq!(s.network.hostname.as_deref(), Some("cam-1.local"));
    }
}
