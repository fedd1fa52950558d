//! Facts about the host the Device service reports: network interfaces with their real MACs
//! and IPv4 addresses, the default gateway, the hostname. Read-only; nothing here changes the
//! host (settings a PC cannot apply are stored and reported, see docs/soap.md).

use std::net::Ipv4Addr;
use std::sync::OnceLock;

/// `IFF_UP` in `/sys/class/net/<if>/flags` (linux/if.h): administratively up.
const IFF_UP: u32 = 0x1;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Interface {
    pub(crate) name: String,
    pub(crate) mac: String,
    pub(crate) mtu: Option<u32>,
    /// Administratively up and not known to be down (RFC 2863 operStatus: `down`,
    /// `lowerlayerdown` and `notpresent` are down; `unknown`, what virtual interfaces such
    /// as dummy and tun report while up, is not).
    pub(crate) up: bool,
    /// Backed by a device (a NIC), not a virtual interface (bridge, veth, docker, ifb...).
    pub(crate) physical: bool,
    /// (address, prefix length)
    pub(crate) ipv4: Vec<(Ipv4Addr, u8)>,
}

/// Whether an interface is usable, from its sysfs `flags` and `operstate`.
pub(crate) fn is_up(flags: Option<u32>, operstate: Option<&str>) -> bool {
    flags.is_none_or(|f| f & IFF_UP != 0)
        && !matches!(operstate, Some("down" | "lowerlayerdown" | "notpresent"))
}

/// Non-loopback interfaces that have a MAC address, sorted by name.
pub(crate) fn interfaces() -> Vec<Interface> {
    let mut out: Vec<Interface> = Vec::new();
    let Ok(dir) = std::fs::read_dir("/sys/class/net") else {
        return out;
    };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let read = |f: &str| std::fs::read_to_string(e.path().join(f)).map(|s| s.trim().to_owned());
        let Ok(mac) = read("address") else { continue };
        if name == "lo" || mac.is_empty() || mac == "00:00:00:00:00:00" {
            continue;
        }
        let flags = read("flags")
            .ok()
            .and_then(|f| u32::from_str_radix(f.trim_start_matches("0x"), 16).ok());
        out.push(Interface {
            mtu: read("mtu").ok().and_then(|m| m.parse().ok()),
            up: is_up(flags, read("operstate").ok().as_deref()),
            physical: e.path().join("device").exists(),
            name,
            mac,
            ipv4: Vec::new(),
        });
    }
    if let Ok(addrs) = nix::ifaddrs::getifaddrs() {
        for a in addrs {
            let (Some(addr), Some(mask)) = (a.address, a.netmask) else {
                continue;
            };
            let (Some(ip), Some(mask)) = (addr.as_sockaddr_in(), mask.as_sockaddr_in()) else {
                continue;
            };
            if let Some(i) = out.iter_mut().find(|i| i.name == a.interface_name) {
                i.ipv4
                    .push((ip.ip(), u32::from(mask.ip()).count_ones() as u8));
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// IPv4 default gateways from the kernel routing table.
pub(crate) fn default_gateways() -> Vec<Ipv4Addr> {
    let Ok(t) = std::fs::read_to_string("/proc/net/route") else {
        return Vec::new();
    };
    t.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() > 2 && f[1] == "00000000" {
                let g = u32::from_str_radix(f[2], 16).ok()?;
                // /proc/net/route prints the address in host byte order of a little-endian
                // in-memory value.
                Some(Ipv4Addr::from(g.swap_bytes()))
            } else {
                None
            }
        })
        .filter(|g| !g.is_unspecified())
        .collect()
}

pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "nvt".into())
}

/// The interface the device's identity comes from (EPR UUID, the MAC scope, HA's device
/// id): the best by [`identity_rank`], then by name. Chosen once per process, so the identity
/// never changes while the daemon runs (a link going down does not make it another device).
pub(crate) fn primary() -> Option<&'static Interface> {
    static PRIMARY: OnceLock<Option<Interface>> = OnceLock::new();
    PRIMARY.get_or_init(|| pick_primary(&interfaces())).as_ref()
}

/// How suitable an interface is as the identity, best first: a NIC that is up with an IPv4
/// address (what a camera's eth0 is), then weaker matches; a down or virtual interface (an
/// unplugged port, a docker bridge) only when nothing better exists.
fn identity_rank(i: &Interface) -> (bool, bool, bool) {
    (i.up, i.physical, !i.ipv4.is_empty())
}

fn pick_primary(all: &[Interface]) -> Option<Interface> {
    let mut sorted: Vec<&Interface> = all.iter().collect();
    sorted.sort_by(|a, b| {
        identity_rank(b)
            .cmp(&identity_rank(a))
            .then_with(|| a.name.cmp(&b.name))
    });
    sorted.first().map(|i| (*i).clone())
}

/// The MAC of [`primary`] (all zeros on a host with no interface but loopback).
pub(crate) fn primary_mac() -> String {
    primary()
        .map(|i| i.mac.clone())
        .unwrap_or_else(|| "00:00:00:00:00:00".into())
}

/// The interfaces as GetNetworkInterfaces lists them: the identity's first (clients such as
/// Home Assistant take the first enabled interface's MAC as the device's), then by name.
pub(crate) fn interfaces_identity_first() -> Vec<Interface> {
    order_identity_first(interfaces(), primary().map(|p| p.name.as_str()))
}

fn order_identity_first(mut all: Vec<Interface>, primary: Option<&str>) -> Vec<Interface> {
    all.sort_by(|a, b| {
        (Some(b.name.as_str()) == primary)
            .cmp(&(Some(a.name.as_str()) == primary))
            .then_with(|| a.name.cmp(&b.name))
    });
    all
}

/// A stable `urn:uuid:` derived from the MAC (UUID version 5 shape over SHA-1), so the
/// endpoint reference survives restarts and reinstalls (Unifi Protect requires that).
pub fn endpoint_reference(mac: &str) -> String {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(b"nvt-onvif-device:");
    h.update(mac.to_ascii_lowercase().as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    urn_uuid(&b)
}

/// The `urn:uuid:` URN of 16 UUID bytes (RFC 4122 s.3: lower-case hex, 8-4-4-4-12), the
/// form WS-Addressing endpoint references and message IDs take.
pub(crate) fn urn_uuid(b: &[u8; 16]) -> String {
    let x: String = b.iter().map(|v| format!("{v:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str, up: bool, physical: bool, ipv4: bool) -> Interface {
        Interface {
            name: name.into(),
            mac: format!("02:00:00:00:00:{:02x}", name.len()),
            mtu: Some(1500),
            up,
            physical,
            ipv4: if ipv4 {
                vec![(Ipv4Addr::new(192, 0, 2, 1), 24)]
            } else {
                vec![]
            },
        }
    }

    #[test]
    fn interface_state_from_sysfs() {
        assert!(is_up(Some(0x1003), Some("up")));
        assert!(is_up(Some(0x1003), Some("unknown")), "dummy/tun while up");
        assert!(
            !is_up(Some(0x82), Some("down")),
            "an ifb that was never set up"
        );
        assert!(!is_up(Some(0x1003), Some("lowerlayerdown")));
        assert!(
            !is_up(Some(0x1002), Some("unknown")),
            "administratively down"
        );
    }

    #[test]
    fn the_identity_is_an_up_nic_and_is_listed_first() {
        // This machine's shape: ifb0/ifb1 down and sorted before eth0.
        let all = vec![
            iface("docker0", true, false, true),
            iface("eth0", true, true, true),
            iface("ifb0", false, false, false),
            iface("ifb1", false, false, false),
        ];
        let p = pick_primary(&all).unwrap();
        assert_eq!(p.name, "eth0");
        let names: Vec<String> = order_identity_first(all.clone(), Some("eth0"))
            .into_iter()
            .map(|i| i.name)
            .collect();
        assert_eq!(names, ["eth0", "docker0", "ifb0", "ifb1"]);
        // Only virtual interfaces: the up one with an address.
        let virt = vec![
            iface("a0", false, false, false),
            iface("b0", true, false, true),
        ];
        assert_eq!(pick_primary(&virt).unwrap().name, "b0");
        assert_eq!(pick_primary(&[]), None);
    }

    #[test]
    fn epr_is_stable_uuid() {
        let a = super::endpoint_reference("AA:BB:CC:00:11:22");
        assert_eq!(a, super::endpoint_reference("aa:bb:cc:00:11:22"));
        assert_eq!(a.len(), "urn:uuid:".len() + 36);
        assert_eq!(&a[9 + 14..9 + 15], "5");
    }
}
