//! Facts about the host the Device service reports: network interfaces with their real MACs
//! and IPv4 addresses, the default gateway, the hostname. Read-only; nothing here changes the
//! host (settings a PC cannot apply are stored and reported, see docs/soap.md).

use std::net::Ipv4Addr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    pub mac: String,
    pub mtu: Option<u32>,
    pub up: bool,
    /// (address, prefix length)
    pub ipv4: Vec<(Ipv4Addr, u8)>,
}

/// Non-loopback interfaces that have a MAC address, sorted by name.
pub fn interfaces() -> Vec<Interface> {
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
        out.push(Interface {
            mtu: read("mtu").ok().and_then(|m| m.parse().ok()),
            up: read("operstate").map(|s| s != "down").unwrap_or(true),
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
pub fn default_gateways() -> Vec<Ipv4Addr> {
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

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "nvt".into())
}

/// The MAC of the first interface (the device identity: EPR UUID, HA device id).
pub fn primary_mac() -> String {
    interfaces()
        .into_iter()
        .next()
        .map(|i| i.mac)
        .unwrap_or_else(|| "00:00:00:00:00:00".into())
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
    #[test]
    fn epr_is_stable_uuid() {
        let a = super::endpoint_reference("AA:BB:CC:00:11:22");
        assert_eq!(a, super::endpoint_reference("aa:bb:cc:00:11:22"));
        assert_eq!(a.len(), "urn:uuid:".len() + 36);
        assert_eq!(&a[9 + 14..9 + 15], "5");
    }
}
