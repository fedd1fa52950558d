//! The responder's decisions, sans-IO: a datagram, its sender and the interface it came in
//! on go in; a reply (bytes, destination, delay) or the reason for silence comes out. Also
//! the Hello and Bye to send. The tokio shell (`super`) owns sockets, timers and interfaces.
//!
//! Order of the checks, cheapest and most protective first: discoverable at all, sender
//! on-link, size cap and parse, MessageID not a repeat, Types/Scopes or EPR match, then the
//! rate limiter (charged only for a reply that would really be sent).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use rand::Rng;

use super::limits::{APP_MAX_DELAY, RateLimiter, SeenIds};
use super::matcher::{MatchBy, scopes_match, types_match};
use super::message::{self, AppSequence, Dropped, Request, Target};

/// An interface the responder serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Iface {
    pub index: u32,
    pub name: String,
    /// (address, prefix length)
    pub ipv4: Vec<(Ipv4Addr, u8)>,
    /// Device service URLs reachable through this interface.
    pub xaddrs: Vec<String>,
}

/// What the device advertises; read from the settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advertised {
    pub scopes: Vec<String>,
    pub metadata_version: u32,
    /// false: NonDiscoverable (ONVIF Core s.7.3.3): no replies, no Hello, no Bye.
    pub discoverable: bool,
}

/// A unicast reply to send after `delay`.
#[derive(Debug)]
pub struct Reply {
    pub to: SocketAddr,
    pub delay: Duration,
    pub bytes: Vec<u8>,
}

/// Where a datagram was sent: to the WS-Discovery multicast group, or to one of our addresses
/// (`IP_PKTINFO`'s destination). Only a unicast Probe may get a fault (ONVIF Core s.7.3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dest {
    Multicast,
    Unicast,
}

/// Why a datagram got no reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Silence {
    NonDiscoverable,
    /// The sender is not on the receiving interface's subnet (nor IPv6 link-local).
    OffLink,
    Dropped(Dropped),
    /// A repeat of a MessageID seen recently (SOAP-over-UDP retransmission).
    Duplicate,
    NoMatch,
    RateLimited,
    /// The interface has no device service address to give.
    NoXAddrs,
}

pub struct Responder {
    epr: String,
    ad: Advertised,
    instance_id: u64,
    message_number: u64,
    limiter: RateLimiter,
    seen: SeenIds,
}

/// True if `from` is on-link for `iface`: in the subnet of one of its IPv4 addresses, or an
/// IPv6 link-local address (the only IPv6 senders a link-scope multicast Probe comes from).
pub fn on_link(from: IpAddr, iface: &Iface) -> bool {
    match from {
        IpAddr::V4(a) => iface.ipv4.iter().any(|(ours, prefix)| {
            let mask = u32::MAX
                .checked_shl(32 - u32::from((*prefix).min(32)))
                .unwrap_or(0);
            u32::from(a) & mask == u32::from(*ours) & mask && a != *ours
        }),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => on_link(IpAddr::V4(v4), iface),
            None => (a.segments()[0] & 0xffc0) == 0xfe80,
        },
    }
}

impl Responder {
    /// `instance_id` must grow with every start (see [`AppSequence`]).
    pub fn new(epr: String, ad: Advertised, instance_id: u64, now: Instant) -> Responder {
        Responder {
            epr,
            ad,
            instance_id,
            message_number: 0,
            limiter: RateLimiter::new(now),
            seen: SeenIds::default(),
        }
    }

    pub fn epr(&self) -> &str {
        &self.epr
    }

    pub fn advertised(&self) -> &Advertised {
        &self.ad
    }

    fn next_seq(&mut self) -> AppSequence {
        self.message_number += 1;
        AppSequence {
            instance_id: self.instance_id,
            message_number: self.message_number,
        }
    }

    /// Takes new settings; returns true when a Hello should announce them (scopes or
    /// metadata changed while discoverable, or discoverable again).
    pub fn update(&mut self, ad: Advertised) -> bool {
        let announce = ad.discoverable && ad != self.ad;
        self.ad = ad;
        announce
    }

    /// Decides what to answer to `data` from `from`, received on `iface`.
    pub fn on_datagram(
        &mut self,
        data: &[u8],
        from: SocketAddr,
        dest: Dest,
        iface: &Iface,
        now: Instant,
        rng: &mut impl Rng,
    ) -> Result<Reply, Silence> {
        if !self.ad.discoverable {
            return Err(Silence::NonDiscoverable);
        }
        if !on_link(from.ip(), iface) {
            return Err(Silence::OffLink);
        }
        let m = message::parse(data).map_err(Silence::Dropped)?;
        if !self.seen.first_time(&m.message_id, now) {
            return Err(Silence::Duplicate);
        }
        if let Request::Probe {
            match_by: MatchBy::Unsupported,
            ..
        } = &m.request
        {
            // ONVIF Core s.7.3.6: a unicast Probe with a rule we do not support gets
            // MatchingRuleNotSupported; a multicast one silence (a fault per device would
            // be a packet storm). The same on-link, repeat and rate limits as any reply.
            if dest == Dest::Multicast {
                return Err(Silence::NoMatch);
            }
            if !self.limiter.allow(from.ip(), now) {
                return Err(Silence::RateLimited);
            }
            let id = message::new_message_id(rng);
            let bytes = message::matching_rule_not_supported(m.version, &id, &m.message_id);
            return Ok(Reply {
                to: from,
                delay: Duration::ZERO,
                bytes: bytes.into_bytes(),
            });
        }
        let (matches, delay) = match &m.request {
            Request::Probe {
                types,
                scopes,
                match_by,
            } => (
                types_match(types, &message::our_types())
                    && scopes_match(scopes, &self.ad.scopes, *match_by),
                // APP_MAX_DELAY applies to ProbeMatches (WS-Discovery 2005/04 s.5.3); a Resolve
                // names one device, so ResolveMatches goes at once (s.6.3).
                Duration::from_millis(rng.random_range(0..=APP_MAX_DELAY.as_millis() as u64)),
            ),
            Request::Resolve { address } => {
                (address.eq_ignore_ascii_case(&self.epr), Duration::ZERO)
            }
        };
        if !matches {
            return Err(Silence::NoMatch);
        }
        if iface.xaddrs.is_empty() {
            return Err(Silence::NoXAddrs);
        }
        if !self.limiter.allow(from.ip(), now) {
            return Err(Silence::RateLimited);
        }
        let seq = self.next_seq();
        let id = message::new_message_id(rng);
        let target = Target {
            epr: &self.epr,
            scopes: &self.ad.scopes,
            xaddrs: &iface.xaddrs,
            metadata_version: self.ad.metadata_version,
        };
        let bytes = match m.request {
            Request::Probe { .. } => {
                message::probe_matches(m.version, &id, &m.message_id, seq, &target)
            }
            Request::Resolve { .. } => {
                message::resolve_matches(m.version, &id, &m.message_id, seq, &target)
            }
        };
        Ok(Reply {
            to: from,
            delay,
            bytes: bytes.into_bytes(),
        })
    }

    /// The Hello for `iface`, unless NonDiscoverable or the interface has no address to give.
    pub fn hello(&mut self, iface: &Iface, rng: &mut impl Rng) -> Option<Vec<u8>> {
        if !self.ad.discoverable || iface.xaddrs.is_empty() {
            return None;
        }
        let seq = self.next_seq();
        let target = Target {
            epr: &self.epr,
            scopes: &self.ad.scopes,
            xaddrs: &iface.xaddrs,
            metadata_version: self.ad.metadata_version,
        };
        Some(message::hello(&message::new_message_id(rng), seq, &target).into_bytes())
    }

    /// The Bye, unless NonDiscoverable.
    pub fn bye(&mut self, rng: &mut impl Rng) -> Option<Vec<u8>> {
        if !self.ad.discoverable {
            return None;
        }
        let seq = self.next_seq();
        Some(message::bye(&message::new_message_id(rng), seq, &self.epr).into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::limits::{GLOBAL_BURST, PER_SOURCE_BURST};
    use crate::discovery::message::tests::PYTHON_PROBE;

    const EPR: &str = "urn:uuid:5d3cbfb1-1111-5222-8333-444444444444";
    const MC: Dest = Dest::Multicast;

    fn iface() -> Iface {
        Iface {
            index: 2,
            name: "eth0".into(),
            ipv4: vec![("10.1.2.3".parse().unwrap(), 24)],
            xaddrs: vec!["http://10.1.2.3:8080/onvif/device_service".into()],
        }
    }

    fn responder() -> Responder {
        Responder::new(
            EPR.into(),
            Advertised {
                scopes: vec![
                    "onvif://www.onvif.org/Profile/Streaming".into(),
                    "onvif://www.onvif.org/name/cam".into(),
                ],
                metadata_version: 3,
                discoverable: true,
            },
            100,
            Instant::now(),
        )
    }

    fn probe(id: u32) -> String {
        PYTHON_PROBE.replace("111111111111", &format!("{id:012}"))
    }

    fn src() -> SocketAddr {
        "10.1.2.50:40000".parse().unwrap()
    }

    #[test]
    fn answers_a_matching_probe_to_its_sender_within_app_max_delay() {
        let mut r = responder();
        let now = Instant::now();
        let reply = r
            .on_datagram(
                probe(1).as_bytes(),
                src(),
                MC,
                &iface(),
                now,
                &mut rand::rng(),
            )
            .unwrap();
        assert_eq!(reply.to, src());
        assert!(reply.delay <= APP_MAX_DELAY);
        let text = String::from_utf8(reply.bytes).unwrap();
        assert!(text.contains(
            "<wsa:RelatesTo>urn:uuid:9b2ac4e0-2f1b-4b5e-8b0e-000000000001</wsa:RelatesTo>"
        ));
        assert!(text.contains("http://10.1.2.3:8080/onvif/device_service"));
        assert!(text.contains("<d:MetadataVersion>3</d:MetadataVersion>"));
        assert!(text.contains(r#"InstanceId="100" MessageNumber="1""#));
        // A retransmission of the same Probe is not answered twice.
        assert_eq!(
            r.on_datagram(
                probe(1).as_bytes(),
                src(),
                MC,
                &iface(),
                now,
                &mut rand::rng()
            )
            .unwrap_err(),
            Silence::Duplicate
        );
    }

    #[test]
    fn silence_cases() {
        let now = Instant::now();
        let mut rng = rand::rng();
        let mut r = responder();
        let off_link: SocketAddr = "192.168.9.9:3702".parse().unwrap();
        assert_eq!(
            r.on_datagram(probe(1).as_bytes(), off_link, MC, &iface(), now, &mut rng)
                .unwrap_err(),
            Silence::OffLink
        );
        let ours: SocketAddr = "10.1.2.3:3702".parse().unwrap();
        assert_eq!(
            r.on_datagram(probe(2).as_bytes(), ours, MC, &iface(), now, &mut rng)
                .unwrap_err(),
            Silence::OffLink,
            "our own multicast looped back"
        );
        let other_type = probe(3).replace("NetworkVideoTransmitter", "Printer");
        assert_eq!(
            r.on_datagram(other_type.as_bytes(), src(), MC, &iface(), now, &mut rng)
                .unwrap_err(),
            Silence::NoMatch
        );
        let other_scope = probe(4).replace("Profile/Streaming", "Profile/G");
        assert_eq!(
            r.on_datagram(other_scope.as_bytes(), src(), MC, &iface(), now, &mut rng)
                .unwrap_err(),
            Silence::NoMatch
        );
        assert_eq!(
            r.on_datagram(b"\x00garbage", src(), MC, &iface(), now, &mut rng)
                .unwrap_err(),
            Silence::Dropped(Dropped::NotXml)
        );
        let mut no_addr = iface();
        no_addr.xaddrs.clear();
        assert_eq!(
            r.on_datagram(probe(5).as_bytes(), src(), MC, &no_addr, now, &mut rng)
                .unwrap_err(),
            Silence::NoXAddrs
        );
        assert!(!r.update(Advertised {
            discoverable: false,
            ..r.advertised().clone()
        }));
        assert_eq!(
            r.on_datagram(probe(6).as_bytes(), src(), MC, &iface(), now, &mut rng)
                .unwrap_err(),
            Silence::NonDiscoverable
        );
        assert!(r.hello(&iface(), &mut rng).is_none());
        assert!(r.bye(&mut rng).is_none());
        // Discoverable again: announce.
        assert!(r.update(Advertised {
            discoverable: true,
            ..r.advertised().clone()
        }));
    }

    #[test]
    fn unsupported_matching_rule_faults_a_unicast_probe_only() {
        let now = Instant::now();
        let mut rng = rand::rng();
        let mut r = responder();
        let ldap = |id: u32| {
            probe(id).replace(
                "<d:Scopes>",
                r#"<d:Scopes MatchBy="http://schemas.xmlsoap.org/ws/2005/04/discovery/ldap">"#,
            )
        };
        // Multicast: silence, as for any Probe that does not match.
        assert_eq!(
            r.on_datagram(ldap(1).as_bytes(), src(), MC, &iface(), now, &mut rng)
                .unwrap_err(),
            Silence::NoMatch
        );
        // Unicast: a SOAP 1.2 fault, at once, related to the Probe.
        let reply = r
            .on_datagram(
                ldap(2).as_bytes(),
                src(),
                Dest::Unicast,
                &iface(),
                now,
                &mut rng,
            )
            .unwrap();
        assert_eq!((reply.to, reply.delay), (src(), Duration::ZERO));
        let text = String::from_utf8(reply.bytes).unwrap();
        let doc = crate::xml::parse(text.as_bytes()).unwrap();
        let fault = doc
            .child(crate::soap::ns::ENV12, "Body")
            .and_then(|b| b.child(crate::soap::ns::ENV12, "Fault"))
            .expect("a SOAP 1.2 Fault");
        let code = fault.child(crate::soap::ns::ENV12, "Code").unwrap();
        assert_eq!(
            code.child(crate::soap::ns::ENV12, "Value")
                .unwrap()
                .trimmed_text(),
            "env:Sender"
        );
        assert_eq!(
            code.child(crate::soap::ns::ENV12, "Subcode")
                .and_then(|s| s.child(crate::soap::ns::ENV12, "Value"))
                .unwrap()
                .trimmed_text(),
            "d:MatchingRuleNotSupported"
        );
        assert!(text.contains(
            "<wsa:RelatesTo>urn:uuid:9b2ac4e0-2f1b-4b5e-8b0e-000000000002</wsa:RelatesTo>"
        ));
        assert!(text.contains(message::ACTION_FAULT));
        assert!(text.contains("discovery/strcmp0"));
        // Supported rules over unicast are answered as usual; a repeat is not answered.
        assert!(
            r.on_datagram(
                probe(3).as_bytes(),
                src(),
                Dest::Unicast,
                &iface(),
                now,
                &mut rng
            )
            .is_ok()
        );
        assert_eq!(
            r.on_datagram(
                ldap(2).as_bytes(),
                src(),
                Dest::Unicast,
                &iface(),
                now,
                &mut rng
            )
            .unwrap_err(),
            Silence::Duplicate
        );
        // Off-link senders get nothing, fault or not.
        let off_link: SocketAddr = "192.168.9.9:3702".parse().unwrap();
        assert_eq!(
            r.on_datagram(
                ldap(4).as_bytes(),
                off_link,
                Dest::Unicast,
                &iface(),
                now,
                &mut rng
            )
            .unwrap_err(),
            Silence::OffLink
        );
    }

    #[test]
    fn resolve_by_epr_only() {
        let now = Instant::now();
        let mut rng = rand::rng();
        let mut r = responder();
        let resolve = |id: u32, epr: &str| {
            format!(
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header><a:MessageID>urn:uuid:r{id}</a:MessageID></s:Header><s:Body><d:Resolve xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"><a:EndpointReference><a:Address>{epr}</a:Address></a:EndpointReference></d:Resolve></s:Body></s:Envelope>"#
            )
        };
        let reply = r
            .on_datagram(
                resolve(1, EPR).as_bytes(),
                src(),
                MC,
                &iface(),
                now,
                &mut rng,
            )
            .unwrap();
        assert_eq!(reply.delay, Duration::ZERO);
        assert!(
            String::from_utf8(reply.bytes)
                .unwrap()
                .contains("<d:ResolveMatch>")
        );
        assert_eq!(
            r.on_datagram(
                resolve(2, "urn:uuid:other").as_bytes(),
                src(),
                MC,
                &iface(),
                now,
                &mut rng
            )
            .unwrap_err(),
            Silence::NoMatch
        );
    }

    #[test]
    fn flood_is_rate_limited_per_source_and_overall() {
        let now = Instant::now();
        let mut rng = rand::rng();
        let mut r = responder();
        let replies = (0..1000)
            .filter(|i| {
                r.on_datagram(probe(*i).as_bytes(), src(), MC, &iface(), now, &mut rng)
                    .is_ok()
            })
            .count();
        assert_eq!(replies, PER_SOURCE_BURST as usize);
        let mut wide = iface();
        wide.ipv4 = vec![("10.0.0.1".parse().unwrap(), 8)];
        let mut r = responder();
        let replies = (0..1000u32)
            .filter(|i| {
                let from = SocketAddr::from(((0x0a00_1000 + i).to_be_bytes(), 3702));
                r.on_datagram(probe(*i).as_bytes(), from, MC, &wide, now, &mut rng)
                    .is_ok()
            })
            .count();
        assert_eq!(replies, GLOBAL_BURST as usize);
    }

    /// The smallest Probe that gets an answer, against that answer with the scopes and XAddrs
    /// of a default install: the worst-case amplification (documented in docs/discovery.md).
    #[test]
    fn worst_case_amplification() {
        let mut scopes = crate::discovery::scopes::fixed("SIM-X1", "02:00:00:00:00:01");
        scopes.extend(crate::discovery::scopes::configurable(
            &crate::settings::Settings::default(),
        ));
        let mut r = Responder::new(
            EPR.into(),
            Advertised {
                scopes,
                metadata_version: 1,
                discoverable: true,
            },
            1_800_000_000,
            Instant::now(),
        );
        let mut i = iface();
        i.ipv4 = vec![("192.168.100.100".parse().unwrap(), 24)];
        i.xaddrs = vec!["http://192.168.100.100:8080/onvif/device_service".into()];
        let smallest = concat!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">"#,
            r#"<s:Header><a:MessageID xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing">x</a:MessageID></s:Header>"#,
            r#"<s:Body><d:Probe xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"/></s:Body></s:Envelope>"#
        );
        let from: SocketAddr = "192.168.100.7:3702".parse().unwrap();
        let reply = r
            .on_datagram(
                smallest.as_bytes(),
                from,
                MC,
                &i,
                Instant::now(),
                &mut rand::rng(),
            )
            .unwrap();
        let factor = reply.bytes.len() as f64 / smallest.len() as f64;
        eprintln!(
            "smallest answered probe {} bytes -> {} bytes ({factor:.1}x)",
            smallest.len(),
            reply.bytes.len()
        );
        assert!(factor < 6.0, "amplification {factor:.1}");
    }

    #[test]
    fn on_link_rules() {
        let i = iface();
        assert!(on_link("10.1.2.200".parse().unwrap(), &i));
        assert!(!on_link("10.1.3.1".parse().unwrap(), &i));
        assert!(on_link("fe80::1".parse().unwrap(), &i));
        assert!(!on_link("2001:db8::1".parse().unwrap(), &i));
        assert!(on_link("::ffff:10.1.2.9".parse().unwrap(), &i));
        let mut host = iface();
        host.ipv4 = vec![("10.1.2.3".parse().unwrap(), 32)];
        assert!(!on_link("10.1.2.4".parse().unwrap(), &host));
        let mut all = iface();
        all.ipv4 = vec![("10.1.2.3".parse().unwrap(), 0)];
        assert!(on_link("8.8.8.8".parse().unwrap(), &all));
    }
}
